//===- KernelBuilder.cpp - CUDA source for fused expressions --------------===//
#include "codegen/cuda/KernelBuilder.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>
#include <stdexcept>

namespace golf::cudagen {

namespace {

// Every kernel starts with this: the storage types, rounding to the narrow
// float types, and warp reductions (the row emitters use them).
const char *kPrelude = R"(#include <cuda_bf16.h>
#include <cuda_fp16.h>
__device__ __forceinline__ float golf_ld(float x) { return x; }
__device__ __forceinline__ float golf_ld(__nv_bfloat16 x) { return __bfloat162float(x); }
__device__ __forceinline__ float golf_ld(__half x) { return __half2float(x); }
__device__ __forceinline__ float golf_ld(double x) { return float(x); }
__device__ __forceinline__ int golf_ld(int x) { return x; }
__device__ __forceinline__ float golf_round_bf16(float x) { return __bfloat162float(__float2bfloat16_rn(x)); }
__device__ __forceinline__ float golf_round_f16(float x) { return __half2float(__float2half_rn(x)); }
__device__ __forceinline__ float golf_warp_sum(float x) {
  for (int o = 16; o > 0; o >>= 1) x += __shfl_xor_sync(0xffffffffu, x, o);
  return x;
}
__device__ __forceinline__ float golf_max_nan(float a, float b) {
  return (isnan(a) || isnan(b)) ? __int_as_float(0x7fc00000) : fmaxf(a, b);
}
__device__ __forceinline__ float golf_min_nan(float a, float b) {
  return (isnan(a) || isnan(b)) ? __int_as_float(0x7fc00000) : fminf(a, b);
}
__device__ __forceinline__ float golf_warp_max(float x) {
  for (int o = 16; o > 0; o >>= 1) x = golf_max_nan(x, __shfl_xor_sync(0xffffffffu, x, o));
  return x;
}
__device__ __forceinline__ void golf_ld4(const float* p, float* o) {
  const float4 t = *reinterpret_cast<const float4*>(p);
  o[0] = t.x, o[1] = t.y, o[2] = t.z, o[3] = t.w;
}
__device__ __forceinline__ void golf_ld4(const int* p, int* o) {
  const int4 t = *reinterpret_cast<const int4*>(p);
  o[0] = t.x, o[1] = t.y, o[2] = t.z, o[3] = t.w;
}
__device__ __forceinline__ void golf_ld4(const __nv_bfloat16* p, float* o) {
  const uint2 t = *reinterpret_cast<const uint2*>(p);
  const float2 a = __bfloat1622float2(*reinterpret_cast<const __nv_bfloat162*>(&t.x));
  const float2 b = __bfloat1622float2(*reinterpret_cast<const __nv_bfloat162*>(&t.y));
  o[0] = a.x, o[1] = a.y, o[2] = b.x, o[3] = b.y;
}
__device__ __forceinline__ void golf_ld4(const __half* p, float* o) {
  const uint2 t = *reinterpret_cast<const uint2*>(p);
  const float2 a = __half22float2(*reinterpret_cast<const __half2*>(&t.x));
  const float2 b = __half22float2(*reinterpret_cast<const __half2*>(&t.y));
  o[0] = a.x, o[1] = a.y, o[2] = b.x, o[3] = b.y;
}
__device__ __forceinline__ void golf_st4(float* p, float a, float b, float c, float d) {
  *reinterpret_cast<float4*>(p) = make_float4(a, b, c, d);
}
__device__ __forceinline__ void golf_st4(int* p, int a, int b, int c, int d) {
  *reinterpret_cast<int4*>(p) = make_int4(a, b, c, d);
}
__device__ __forceinline__ void golf_st4(__nv_bfloat16* p, float a, float b, float c, float d) {
  const __nv_bfloat162 lo = __floats2bfloat162_rn(a, b), hi = __floats2bfloat162_rn(c, d);
  *reinterpret_cast<uint2*>(p) = make_uint2(*reinterpret_cast<const unsigned*>(&lo), *reinterpret_cast<const unsigned*>(&hi));
}
__device__ __forceinline__ void golf_st4(__half* p, float a, float b, float c, float d) {
  const __half2 lo = __floats2half2_rn(a, b), hi = __floats2half2_rn(c, d);
  *reinterpret_cast<uint2*>(p) = make_uint2(*reinterpret_cast<const unsigned*>(&lo), *reinterpret_cast<const unsigned*>(&hi));
}
)";

} // namespace

std::string floatLiteral(double x) {
  if (std::isnan(x))
    return "__int_as_float(0x7fc00000)";
  if (std::isinf(x))
    return x > 0 ? "__int_as_float(0x7f800000)" : "__int_as_float(0xff800000)";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.9gf", x);
  std::string s = buf;
  if (s.find_first_of(".eE") == std::string::npos)
    s.insert(s.size() - 1, ".0");
  return s;
}

namespace {

std::string litD(double x) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.17g", x);
  std::string s = buf;
  if (s.find_first_of(".eEn") == std::string::npos)
    s += ".0";
  return s;
}

std::string str(int64_t x) { return std::to_string(x); }

int64_t product(const std::vector<int64_t> &shape) {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  return n;
}

uint64_t fnv1a(const std::string &s) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

bool isIntType(plan::DType d) { return d == plan::DType::I32 || d == plan::DType::I1; }

const plan::Json &attr(const plan::Op &op, const char *name) {
  if (!op.attrs.contains(name))
    throw std::invalid_argument("op '" + op.kind + "' lacks attribute '" + name + "'");
  return op.attrs.at(name);
}

} // namespace

const char *storageType(plan::DType d) {
  switch (d) {
  case plan::DType::F32:
    return "float";
  case plan::DType::BF16:
    return "__nv_bfloat16";
  case plan::DType::F16:
    return "__half";
  case plan::DType::F64:
    return "double";
  case plan::DType::I32:
  case plan::DType::I1:
    return "int"; // NVRTC has no <stdint.h>; int is 32 bits on every CUDA target
  }
  return "float";
}

KernelBuilder::KernelBuilder(const std::vector<plan::TensorType> &values, const plan::Function &f,
                             const FusionPlan &fusion)
    : values_(values), f_(f), fusion_(fusion) {}

void KernelBuilder::line(const std::string &text) {
  body_.append(size_t(depth_) * 2, ' ');
  body_ += text;
  body_ += '\n';
}

void KernelBuilder::open(const std::string &header) {
  line(header + " {");
  ++depth_;
  memo_.emplace_back();
}

void KernelBuilder::close() {
  memo_.pop_back();
  --depth_;
  line("}");
}

std::string KernelBuilder::fresh(const char *prefix) { return prefix + std::to_string(counter_++); }

Index KernelBuilder::unravel(const std::string &linear, const std::vector<int64_t> &shape) {
  Index idx(shape.size(), "0");
  std::string rest = fresh("r");
  line(indexType(product(shape)) + " " + rest + " = " + linear + ";");
  for (size_t k = shape.size(); k-- > 0;) {
    if (shape[k] == 1)
      continue;
    std::string i = fresh("i");
    bool first = k == 0 || [&] {
      for (size_t j = 0; j < k; ++j)
        if (shape[j] != 1)
          return false;
      return true;
    }();
    line("int " + i + " = " + (first ? "int(" + rest + ")" : "int(" + rest + " % " + str(shape[k]) + ")") + ";");
    if (!first)
      line(rest + " /= " + str(shape[k]) + ";");
    idx[k] = i;
  }
  return idx;
}

std::string KernelBuilder::ravel(const Index &idx, const std::vector<int64_t> &shape) {
  std::string out;
  int64_t stride = 1;
  // 32-bit offsets where they fit: 64-bit division and multiplication cost
  // more than the rest of a short fused kernel.
  std::string wide = product(shape) > kMaxInt ? "(long long)" : "";
  for (size_t k = shape.size(); k-- > 0;) {
    if (shape[k] != 1 && idx[k] != "0") {
      std::string term = stride == 1 ? wide + "(" + idx[k] + ")"
                                     : wide + "(" + idx[k] + ") * " + str(stride);
      out = out.empty() ? term : term + " + " + out;
    }
    stride *= shape[k];
  }
  return out.empty() ? "0" : out;
}

std::string indexType(int64_t extent) { return extent > kMaxInt ? "long long" : "int"; }

std::string KernelBuilder::roundTo(plan::DType d, const std::string &expr) const {
  if (d == plan::DType::BF16)
    return "golf_round_bf16(" + expr + ")";
  if (d == plan::DType::F16)
    return "golf_round_f16(" + expr + ")";
  return expr;
}

namespace {

std::string memoKey(int v, const Index &idx) {
  std::string key = std::to_string(v);
  for (const std::string &i : idx)
    key += "," + i;
  return key;
}

} // namespace

std::string KernelBuilder::value(int v, const Index &idx) {
  if (auto row = rows_.find(v); row != rows_.end())
    return row->second + "[" + idx.back() + "]";
  std::string key = memoKey(v, idx);
  for (auto it = memo_.rbegin(); it != memo_.rend(); ++it)
    if (auto hit = it->find(key); hit != it->end())
      return hit->second;
  std::string out;
  if (std::find(absorbed_.begin(), absorbed_.end(), v) != absorbed_.end()) {
    out = compute(v, idx);
    storeAbsorbed(v, idx, out);
  } else {
    out = fusion_.materialized[size_t(v)] ? load(v, idx) : compute(v, idx);
  }
  memo_.back()[key] = out;
  return out;
}

std::string KernelBuilder::laneKey(int v, const Index &first) const {
  return std::to_string(v) + "@" + ravel(first, type(v).shape);
}

void KernelBuilder::storeAbsorbed(int v, const Index &idx, const std::string &local) {
  const plan::TensorType &t = type(v);
  std::string base;
  if (idx.empty() || !laneOf(idx.back(), base) || t.shape.back() % lanes_.width != 0 ||
      t.dtype == plan::DType::F64 || fusion_.epilogueEnd[size_t(v)] >= 0) {
    store(v, idx, local);
    return;
  }
  // Lanes run one after the other at the same depth, so lane 0's local is
  // still in scope when the last lane computes its own: one 4-wide store then.
  Index first(idx);
  first.back() = base;
  auto pending = pendingLanes_.try_emplace(laneKey(v, first)).first;
  std::vector<std::string> &lanes = pending->second;
  lanes.resize(size_t(lanes_.width));
  lanes[size_t(lanes_.lane)] = local;
  if (std::any_of(lanes.begin(), lanes.end(), [](const std::string &e) { return e.empty(); }))
    return;
  storeLanes(v, first, lanes);
  pendingLanes_.erase(pending);
}

void KernelBuilder::absorbWrittenBy(int norm) {
  for (size_t v = 0; v < fusion_.writtenByNorm.size(); ++v)
    if (fusion_.writtenByNorm[v] == norm)
      absorbed_.push_back(int(v));
}

std::string KernelBuilder::load(int v, const Index &idx) {
  size_t slot = 0;
  while (slot < operands_.size() && operands_[slot] != v)
    ++slot;
  const plan::TensorType &t = type(v);
  if (slot == operands_.size()) {
    operands_.push_back(v);
    params_.push_back("const " + std::string(storageType(t.dtype)) + "* __restrict__ in" +
                      std::to_string(slot));
    args_.push_back({ArgRef::Operand, int(slot)});
  }
  // One 4-wide load serves the four lanes of a vectorized kernel when the
  // value's last axis is the lanes' axis, unmoved, and a multiple of 4 long
  // (so the lane-0 offset is 4-aligned; buffers are 256-byte aligned).
  // Only at the kernel's top level, where every lane sees the load.
  std::string base;
  if (!idx.empty() && laneOf(idx.back(), base) && t.shape.back() % lanes_.width == 0 &&
      t.dtype != plan::DType::F64) {
    Index first(idx);
    first.back() = base;
    std::string key = laneKey(v, first);
    auto hit = vectors_.find(key);
    if (hit == vectors_.end()) {
      std::string name = fresh("v");
      line(std::string(isIntType(t.dtype) ? "int " : "float ") + name + "[4];");
      line("golf_ld4(in" + std::to_string(slot) + " + " + ravel(first, t.shape) + ", " + name + ");");
      hit = vectors_.emplace(key, name).first;
    }
    return hit->second + "[" + std::to_string(lanes_.lane) + "]";
  }
  std::string name = fresh(isIntType(t.dtype) ? "n" : "x");
  line(std::string(isIntType(t.dtype) ? "int " : "float ") + name + " = golf_ld(in" +
       std::to_string(slot) + "[" + ravel(idx, t.shape) + "]);");
  return name;
}

void KernelBuilder::setLane(const std::string &first, int lane) {
  lanes_.width = 4;
  lanes_.lane = lane;
  lanes_.depth = depth_;
  lanes_.aligned.insert(first);
}

void KernelBuilder::storeLanesThrough(int v, const Index &lead, const std::string &first,
                                      const std::vector<std::string> &exprs) {
  int end = fusion_.epilogueEnd[size_t(v)];
  std::vector<std::string> values;
  for (size_t u = 0; u < exprs.size(); ++u) {
    Index idx(lead);
    idx.push_back(laneIndex(first, int(u)));
    if (end >= 0) {
      setLane(first, int(u));
      values.push_back(throughEpilogue(v, idx, exprs[u]));
      continue;
    }
    // Later reads of v at idx in this scope (a norm's column epilogue) reuse it.
    std::string local = fresh("x");
    line("float " + local + " = " + roundTo(type(v).dtype, exprs[u]) + ";");
    memo_.back()[memoKey(v, idx)] = local;
    values.push_back(local);
  }
  clearLanes();
  Index at(lead);
  at.push_back(first);
  storeLanes(end >= 0 ? end : v, at, values);
}

std::string KernelBuilder::throughEpilogue(int v, const Index &idx, const std::string &expr) {
  if (fusion_.epilogueRow[size_t(v)])
    throw std::logic_error("a row epilogue is the emitter's to stage");
  // v at idx is this local, and the chain it feeds is computed from it
  // (every link reads v at idx: Fusion.cpp checks).
  std::string local = fresh("x");
  line("float " + local + " = " + roundTo(type(v).dtype, expr) + ";");
  memo_.back()[memoKey(v, idx)] = local;
  // Later reads of the end at idx (a norm's column epilogue) reuse it.
  int end = fusion_.epilogueEnd[size_t(v)];
  std::string out = compute(end, idx);
  memo_.back()[memoKey(end, idx)] = out;
  return out;
}

std::string KernelBuilder::laneIndex(const std::string &first, int lane) {
  return "(" + first + " + " + std::to_string(lane) + ")";
}

bool KernelBuilder::laneOf(const std::string &index, std::string &base) const {
  if (lanes_.width == 1 || depth_ != lanes_.depth)
    return false;
  std::string tail = " + " + std::to_string(lanes_.lane) + ")";
  if (index.size() < tail.size() + 2 || index.front() != '(' ||
      index.compare(index.size() - tail.size(), tail.size(), tail) != 0)
    return false;
  base = index.substr(1, index.size() - tail.size() - 1);
  return lanes_.aligned.count(base) > 0;
}

std::string KernelBuilder::alignedLocal(const std::string &expr) {
  auto hit = lanes_.derived.find(expr);
  if (hit != lanes_.derived.end())
    return hit->second;
  std::string name = fresh("c");
  line("const int " + name + " = " + expr + ";");
  lanes_.aligned.insert(name);
  return lanes_.derived.emplace(expr, name).first->second;
}

void KernelBuilder::storeLanes(int v, const Index &first, const std::vector<std::string> &exprs) {
  std::string out = output(v), args;
  for (const std::string &e : exprs)
    args += ", " + (isIntType(type(v).dtype) ? "int(" + e + ")" : e);
  line("golf_st4(" + out + " + " + ravel(first, type(v).shape) + args + ");");
}

std::string KernelBuilder::output(int v) {
  for (size_t i = 0; i < results_.size(); ++i)
    if (results_[i] == v)
      return "out" + std::to_string(i);
  std::string name = "out" + std::to_string(results_.size());
  params_.push_back(std::string(storageType(type(v).dtype)) + "* __restrict__ " + name);
  args_.push_back({ArgRef::Result, int(results_.size())});
  results_.push_back(v);
  return name;
}

void KernelBuilder::store(int v, const Index &idx, const std::string &expr) {
  if (int end = fusion_.epilogueEnd[size_t(v)]; end >= 0)
    store(end, idx, throughEpilogue(v, idx, expr));
  else
    storeOwn(v, idx, expr);
}

void KernelBuilder::storeOwn(int v, const Index &idx, const std::string &expr) {
  std::string out = output(v);
  plan::DType d = type(v).dtype;
  std::string conv = isIntType(d) ? "int(" + expr + ")"
                     : d == plan::DType::F32 ? expr
                     : d == plan::DType::BF16 ? "__float2bfloat16_rn(" + expr + ")"
                     : d == plan::DType::F16 ? "__float2half_rn(" + expr + ")"
                                             : "double(" + expr + ")";
  line(out + "[" + ravel(idx, type(v).shape) + "] = " + conv + ";");
}

std::string KernelBuilder::scratch(uint64_t bytes, bool zeroed) {
  std::string name = "scratch" + std::to_string(scratchBytes_.size());
  params_.push_back("float* __restrict__ " + name);
  args_.push_back({ArgRef::Scratch, int(scratchBytes_.size())});
  scratchBytes_.push_back(bytes);
  scratchZeroed_.push_back(zeroed);
  return name;
}

std::string KernelBuilder::conditional(const std::string &cond,
                                       const std::function<std::string()> &then,
                                       const std::string &otherwise, bool isInt) {
  std::string name = fresh(isInt ? "n" : "x");
  line(std::string(isInt ? "int " : "float ") + name + " = " + otherwise + ";");
  open("if (" + cond + ")");
  std::string v = then();
  line(name + " = " + v + ";");
  close();
  return name;
}

Index KernelBuilder::broadcastIndex(int operand, const Index &idx, size_t outRank) const {
  const std::vector<int64_t> &shape = type(operand).shape;
  Index in(shape.size(), "0");
  for (size_t k = 0; k < shape.size(); ++k)
    if (shape[k] != 1)
      in[k] = idx[k + outRank - shape.size()];
  return in;
}

std::string KernelBuilder::compute(int v, const Index &idx) {
  int p = fusion_.producer[size_t(v)];
  if (p < 0)
    throw std::logic_error("argument %" + std::to_string(v) + " is not materialized");
  const plan::Op &op = f_.ops[size_t(p)];
  if (std::find(inlined_.begin(), inlined_.end(), p) == inlined_.end())
    inlined_.push_back(p);
  switch (classify(op.kind)) {
  case OpClass::Constant:
    return constant(op, v, idx);
  case OpClass::Pointwise:
  case OpClass::View:
    return pointwise(op, v, idx);
  default:
    throw std::logic_error("value of '" + op.kind + "' must be materialized");
  }
}

std::string KernelBuilder::constant(const plan::Op &op, int v, const Index &idx) {
  const plan::Json &value = attr(op, "value");
  bool isInt = isIntType(type(v).dtype);
  auto element = [&](const plan::Json &e) {
    double x = e.is_boolean() ? (e.get<bool>() ? 1.0 : 0.0) : e.get<double>();
    return isInt ? std::to_string(int64_t(x)) : floatLiteral(x);
  };
  if (!value.is_array())
    return roundTo(type(v).dtype, element(value));
  std::string table = fresh("c");
  globals_ += std::string("__device__ const ") + (isInt ? "int" : "float") + " " + table + "[] = {";
  for (size_t i = 0; i < value.size(); ++i)
    globals_ += (i ? ", " : "") + element(value[i]);
  globals_ += "};\n";
  return roundTo(type(v).dtype, table + "[" + ravel(idx, type(v).shape) + "]");
}

std::string KernelBuilder::pointwise(const plan::Op &op, int v, const Index &idx) {
  const std::string &k = op.kind;
  size_t rank = idx.size();
  plan::DType d = type(v).dtype;
  auto operand = [&](size_t i) { return value(op.operands[i], broadcastIndex(op.operands[i], idx, rank)); };
  auto define = [&](const std::string &expr) {
    std::string name = fresh(isIntType(d) ? "n" : "x");
    line(std::string(isIntType(d) ? "int " : "float ") + name + " = " + roundTo(d, expr) + ";");
    return name;
  };
  static const std::map<std::string, std::string> unary = {
      {"neg", "-(#)"},          {"exp", "expf(#)"},
      {"log", "logf(#)"},       {"tanh", "tanhf(#)"},
      {"sigmoid", "1.0f / (1.0f + expf(-(#)))"},
      {"relu", "((#) > 0.0f || isnan(#) ? (#) : 0.0f)"},
      {"square", "(#) * (#)"},  {"sqrt", "sqrtf(#)"},
      {"rsqrt", "1.0f / sqrtf(#)"}, {"abs", "fabsf(#)"},
      {"round", "rintf(#)"},    {"cast", "(#)"},
      {"stop_gradient", "(#)"}};
  if (auto it = unary.find(k); it != unary.end()) {
    std::string x = operand(0), e = it->second;
    for (size_t at; (at = e.find('#')) != std::string::npos;)
      e.replace(at, 1, x);
    return define(e);
  }
  static const std::map<std::string, std::string> binary = {
      {"add", "# + @"}, {"sub", "# - @"}, {"mul", "# * @"}, {"div", "# / @"},
      {"max", "golf_max_nan(#, @)"}, {"min", "golf_min_nan(#, @)"}, {"pow", "powf(#, @)"}};
  if (auto it = binary.find(k); it != binary.end()) {
    std::string a = operand(0), b = operand(1), e = it->second;
    e.replace(e.find('#'), 1, a);
    e.replace(e.find('@'), 1, b);
    return define(e);
  }
  if (k == "leaky_relu") {
    std::string x = operand(0);
    return define("(" + x + " > 0.0f ? " + x + " : " + floatLiteral(attr(op, "slope").get<double>()) + " * " + x + ")");
  }
  if (k == "clamp") {
    std::string x = operand(0);
    return define("(isnan(" + x + ") ? " + x + " : fminf(fmaxf(" + x + ", " +
                  floatLiteral(attr(op, "min").get<double>()) + "), " + floatLiteral(attr(op, "max").get<double>()) + "))");
  }
  if (k == "softcap") {
    std::string x = operand(0), c = floatLiteral(attr(op, "cap").get<double>());
    return define(c + " * tanhf(" + x + " / " + c + ")");
  }
  if (k == "cmp") {
    static const std::map<std::string, std::string> ops = {
        {"eq", "=="}, {"ne", "!="}, {"lt", "<"}, {"le", "<="}, {"gt", ">"}, {"ge", ">="}};
    std::string a = operand(0), b = operand(1);
    return define("(" + a + " " + ops.at(attr(op, "predicate").get<std::string>()) + " " + b + " ? 1 : 0)");
  }
  if (k == "select") {
    std::string c = operand(0), a = operand(1), b = operand(2);
    return define("(" + c + " ? " + a + " : " + b + ")");
  }
  if (k == "broadcast")
    return operand(0);
  if (k == "rope")
    return rope(op, idx);
  if (k == "bigram_hash")
    return bigramHash(op, idx);
  return layout(op, idx);
}

// Layout ops read one operand at a moved index (or several, piecewise).
std::string KernelBuilder::layout(const plan::Op &op, const Index &idx) {
  const std::string &k = op.kind;
  int x = op.operands.empty() ? -1 : op.operands[0];
  bool isInt = x >= 0 && isIntType(type(x).dtype);
  auto i64s = [&](const char *name) { return attr(op, name).get<std::vector<int64_t>>(); };
  if (k == "reshape") {
    const std::vector<int64_t> &to = type(op.results[0]).shape, &from = type(x).shape;
    if (!to.empty() && !from.empty() && to.back() == from.back() && to.back() != 1) {
      // The last axis is kept: only the leading index moves, so the last
      // index stays what the consumer wrote (lanes of a vectorized kernel).
      std::string lin = fresh("l");
      Index lead(idx.begin(), idx.end() - 1);
      line(indexType(type(x).numel()) + " " + lin + " = " +
           ravel(lead, std::vector<int64_t>(to.begin(), to.end() - 1)) + ";");
      Index in = unravel(lin, std::vector<int64_t>(from.begin(), from.end() - 1));
      in.push_back(idx.back());
      return value(x, in);
    }
    std::string lin = fresh("l");
    line(indexType(type(x).numel()) + " " + lin + " = " + ravel(idx, to) + ";");
    return value(x, unravel(lin, from));
  }
  if (k == "transpose") {
    std::vector<int64_t> perm = i64s("perm");
    Index in(idx.size());
    for (size_t j = 0; j < perm.size(); ++j)
      in[size_t(perm[j])] = idx[j];
    return value(x, in);
  }
  // Head splits and merges keep the lanes of a vectorized kernel together
  // when the head dim is a multiple of 4: a lane-0 index moves, the lane
  // offset stays (laneOf).
  std::string base;
  if (k == "split_heads") { // [B, T, H*D] -> [B, H, T, D]
    int64_t d = type(op.results[0]).shape[3];
    if (d % 4 == 0 && laneOf(idx[3], base))
      return value(x, {idx[0], idx[2], laneIndex(alignedLocal("(" + idx[1] + ") * " + str(d) + " + " + base), lanes_.lane)});
    return value(x, {idx[0], idx[2], "(" + idx[1] + ") * " + str(d) + " + " + idx[3]});
  }
  if (k == "merge_heads") { // [B, H, T, D] -> [B, T, H*D]
    int64_t d = type(x).shape[3];
    if (d % 4 == 0 && laneOf(idx[2], base))
      return value(x, {idx[0], alignedLocal(base + " / " + str(d)), idx[1],
                       laneIndex(alignedLocal(base + " % " + str(d)), lanes_.lane)});
    return value(x, {idx[0], "(" + idx[2] + ") / " + str(d), idx[1], "(" + idx[2] + ") % " + str(d)});
  }
  if (k == "slice") {
    std::vector<int64_t> starts = i64s("starts");
    Index in(idx);
    for (size_t j = 0; j < in.size(); ++j)
      if (starts[j])
        in[j] = "(" + idx[j] + " + " + str(starts[j]) + ")";
    return value(x, in);
  }
  if (k == "pad") {
    std::vector<int64_t> low = i64s("low"), high = i64s("high");
    Index in(idx);
    std::string cond;
    for (size_t j = 0; j < in.size(); ++j) {
      if (!low[j] && !high[j])
        continue;
      std::string i = fresh("p");
      line("int " + i + " = " + idx[j] + " - " + str(low[j]) + ";");
      in[j] = i;
      cond += (cond.empty() ? "" : " && ") + i + " >= 0 && " + i + " < " + str(type(x).shape[j]);
    }
    if (cond.empty())
      return value(x, in);
    return conditional(cond, [&] { return value(x, in); }, isInt ? "0" : "0.0f", isInt);
  }
  if (k == "shift") {
    int64_t rank = int64_t(idx.size()), axis = attr(op, "axis").get<int64_t>();
    axis = axis < 0 ? axis + rank : axis;
    int64_t offset = attr(op, "offset").get<int64_t>(), n = type(x).shape[size_t(axis)];
    Index in(idx);
    std::string i = fresh("p");
    line("int " + i + " = " + idx[size_t(axis)] + " - (" + str(offset) + ");");
    in[size_t(axis)] = i;
    return conditional(i + " >= 0 && " + i + " < " + str(n), [&] { return value(x, in); },
                       isInt ? "0" : "0.0f", isInt);
  }
  if (k == "concat") {
    int64_t rank = int64_t(idx.size()), axis = attr(op, "axis").get<int64_t>();
    axis = axis < 0 ? axis + rank : axis;
    std::string name = fresh(isInt ? "n" : "x");
    line(std::string(isInt ? "int " : "float ") + name + ";");
    int64_t at = 0;
    for (size_t o = 0; o < op.operands.size(); ++o) {
      int64_t n = type(op.operands[o]).shape[size_t(axis)];
      Index in(idx);
      in[size_t(axis)] = "(" + idx[size_t(axis)] + " - " + str(at) + ")";
      bool last = o + 1 == op.operands.size();
      open(std::string(o ? "else " : "") + (last ? "" : "if (" + idx[size_t(axis)] + " < " + str(at + n) + ")"));
      line(name + " = " + value(op.operands[o], in) + ";");
      close();
      at += n;
    }
    return name;
  }
  if (k == "embedding") { // table [N, D], ids S -> S x [D]
    int table = op.operands[0], ids = op.operands[1];
    int64_t rows = type(table).shape[0];
    Index lead(idx.begin(), idx.end() - 1);
    std::string id = value(ids, lead);
    // An id out of range poisons the result (NaN) instead of reading outside the table.
    return conditional(id + " >= 0 && " + id + " < " + str(rows),
                       [&] { return value(table, {id, idx.back()}); }, floatLiteral(NAN), false);
  }
  throw std::invalid_argument("no CUDA lowering for pointwise op '" + k + "'");
}

std::string KernelBuilder::rope(const plan::Op &op, const Index &idx) {
  int x = op.operands[0];
  int64_t dims = attr(op, "dims").get<int64_t>(), half = dims / 2;
  double base = attr(op, "base").get<double>();
  bool inverse = op.attrs.value("inverse", false);
  const std::string &i = idx.back(), &t = idx[idx.size() - 2];
  std::string y = fresh("x");
  line("float " + y + ";");
  open("if (" + i + " >= " + str(dims) + ")");
  line(y + " = " + value(x, idx) + ";");
  close();
  open("else");
  // The angle in double, as the CPU reference computes it, from inverse
  // frequencies the host computes with the reference's std::pow (a pow per
  // element in double cost more than the rest of a fused kernel); sin/cos
  // in fp32 after reduction to [-pi, pi] keep the error at float rounding.
  std::string j = fresh("j"), s = fresh("s"), c = fresh("c"), freq = fresh("f");
  globals_ += "__device__ const double " + freq + "[] = {";
  for (int64_t k = 0; k < half; ++k)
    globals_ += (k ? ", " : "") + litD(std::pow(base, -2.0 * double(k) / double(dims)));
  globals_ += "};\n";
  line("int " + j + " = " + i + " < " + str(half) + " ? " + i + " : " + i + " - " + str(half) + ";");
  std::string a = fresh("a");
  line("double " + a + " = double(" + t + ") * " + freq + "[" + j + "];");
  line(a + " = fma(-6.283185307179586, rint(" + a + " * 0.15915494309189535), " + a + ");");
  line("float " + s + ", " + c + ";");
  line("__sincosf(float(" + a + "), &" + s + ", &" + c + ");");
  if (inverse)
    line(s + " = -" + s + ";");
  Index lo(idx), hi(idx);
  lo.back() = j;
  hi.back() = "(" + j + " + " + str(half) + ")";
  std::string x1 = value(x, lo), x2 = value(x, hi);
  line(y + " = " + i + " < " + str(half) + " ? " + x1 + " * " + c + " + " + x2 + " * " + s + " : -" +
       x1 + " * " + s + " + " + x2 + " * " + c + ";");
  close();
  return y;
}

std::string KernelBuilder::bigramHash(const plan::Op &op, const Index &idx) {
  int ids = op.operands[0];
  int64_t mod = attr(op, "buckets").get<int64_t>() - 1;
  uint32_t mulCur = uint32_t(attr(op, "mul_cur").get<int64_t>());
  uint32_t mulPrev = uint32_t(attr(op, "mul_prev").get<int64_t>());
  const std::string &i = idx.back();
  Index prev(idx);
  prev.back() = "(" + i + " - 1)";
  return conditional(i + " > 0", [&] {
    std::string cur = value(ids, idx), before = value(ids, prev), h = fresh("n");
    line("long long " + h + " = (long long)(int(" + std::to_string(mulCur) + "u * unsigned(" + cur +
         ")) ^ int(" + std::to_string(mulPrev) + "u * unsigned(" + before + "))) % " + str(mod) + ";");
    return "int(" + h + " < 0 ? " + h + " + " + str(mod) + " : " + h + ")";
  }, str(mod), true);
}

Step KernelBuilder::finish(const std::string &prefix, const std::string &label,
                           std::array<uint32_t, 3> grid, std::array<uint32_t, 3> block,
                           uint32_t sharedBytes) {
  if (!pendingLanes_.empty())
    throw std::logic_error("a vectorized kernel stored some lanes of " + pendingLanes_.begin()->first +
                           " but not all");
  std::string signature;
  for (size_t i = 0; i < params_.size(); ++i)
    signature += (i ? ", " : "") + params_[i];
  uint32_t threads = block[0] * block[1] * block[2];
  std::string text = std::string(kPrelude) + globals_ + "extern \"C\" __global__ void __launch_bounds__(" +
                     std::to_string(threads) + ") GOLF_ENTRY(" + signature + ") {\n" + body_ + "}\n";
  char hash[17];
  std::snprintf(hash, sizeof hash, "%016llx", (unsigned long long)fnv1a(text));
  std::string name = prefix + "_" + std::string(hash).substr(0, 12);
  text.replace(text.find("GOLF_ENTRY"), 10, name);
  Step step;
  step.kind = Step::Program;
  step.label = label;
  step.operands = operands_;
  step.results = results_;
  step.ops.assign(inlined_.rbegin(), inlined_.rend());
  step.program.kernels.push_back({name, text});
  step.program.scratchBytes = scratchBytes_;
  step.program.scratchZeroed = scratchZeroed_;
  Launch launch;
  launch.kernel = name;
  launch.grid = grid;
  launch.block = block;
  launch.sharedBytes = sharedBytes;
  launch.args = args_;
  step.program.launches.push_back(launch);
  return step;
}

} // namespace golf::cudagen
