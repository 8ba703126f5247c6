//===- Kernel.cpp - attribute schema, kernel context, registry ------------===//
//
// Attribute encodings follow the plan format: integers as JSON integers,
// floats as JSON numbers (integers accepted), unit attributes as `true`,
// DenseI64Array attributes as integer arrays, dtypes as their names.
//
//===----------------------------------------------------------------------===//
#include "runtime/cpu/Kernel.h"

#include <mutex>

namespace golf::cpu {

namespace {

const char *typeName(AttrType t) {
  switch (t) {
  case AttrType::I64:
    return "an integer";
  case AttrType::F64:
    return "a number";
  case AttrType::Str:
    return "a string";
  case AttrType::Unit:
    return "true";
  case AttrType::I64Array:
    return "an array of integers";
  case AttrType::DType:
    return "a float dtype name";
  case AttrType::Value:
    return "a number, a bool or an array of them";
  }
  return "?";
}

bool isScalarValue(const plan::Json &j) { return j.is_number() || j.is_boolean(); }

bool hasType(const plan::Json &j, AttrType t) {
  switch (t) {
  case AttrType::I64:
    return j.is_number_integer();
  case AttrType::F64:
    return j.is_number();
  case AttrType::Str:
    return j.is_string();
  case AttrType::Unit:
    return j.is_boolean() && j.get<bool>();
  case AttrType::I64Array:
    if (!j.is_array())
      return false;
    for (const plan::Json &e : j)
      if (!e.is_number_integer())
        return false;
    return true;
  case AttrType::DType: {
    if (!j.is_string())
      return false;
    auto d = plan::parseDType(j.get<std::string>());
    return d && plan::isFloat(*d);
  }
  case AttrType::Value:
    if (isScalarValue(j))
      return true;
    if (!j.is_array())
      return false;
    for (const plan::Json &e : j)
      if (!isScalarValue(e))
        return false;
    return true;
  }
  return false;
}

const plan::Json &attrOf(const plan::Op &op, const char *name, AttrType type) {
  auto it = op.attrs.find(name);
  if (it == op.attrs.end())
    fail(std::string("missing attribute '") + name + "'");
  if (!hasType(*it, type))
    fail(std::string("attribute '") + name + "' must be " + typeName(type));
  return *it;
}

} // namespace

std::string checkAttrs(const plan::Json &attrs, const std::vector<AttrSpec> &specs) {
  for (const AttrSpec &s : specs) {
    auto it = attrs.find(s.name);
    if (it == attrs.end()) {
      if (s.required)
        return std::string("missing attribute '") + s.name + "'";
      continue;
    }
    if (s.type == AttrType::Unit && it->is_boolean() && !it->get<bool>())
      continue; // an explicit `false` unit attribute reads as absent
    if (!hasType(*it, s.type))
      return std::string("attribute '") + s.name + "' must be " + typeName(s.type) +
             ", got " + it->dump();
    if (!s.choices.empty()) {
      bool ok = false;
      for (const std::string &c : s.choices)
        ok = ok || *it == c;
      if (!ok) {
        std::string list;
        for (const std::string &c : s.choices)
          list += (list.empty() ? "" : ", ") + c;
        return std::string("attribute '") + s.name + "' must be one of " + list + ", got " +
               it->dump();
      }
    }
  }
  return "";
}

int64_t KernelCtx::i64(const char *name) const {
  return attrOf(op, name, AttrType::I64).get<int64_t>();
}
double KernelCtx::f64(const char *name) const {
  return attrOf(op, name, AttrType::F64).get<double>();
}
std::optional<double> KernelCtx::optF64(const char *name) const {
  if (!op.attrs.contains(name))
    return std::nullopt;
  return f64(name);
}
bool KernelCtx::flag(const char *name) const {
  auto it = op.attrs.find(name);
  return it != op.attrs.end() && it->is_boolean() && it->get<bool>();
}
std::string KernelCtx::str(const char *name) const {
  return attrOf(op, name, AttrType::Str).get<std::string>();
}
std::vector<int64_t> KernelCtx::i64s(const char *name) const {
  return attrOf(op, name, AttrType::I64Array).get<std::vector<int64_t>>();
}
DType KernelCtx::dtypeAttr(const char *name) const {
  return *plan::parseDType(attrOf(op, name, AttrType::DType).get<std::string>());
}

void KernelCtx::expectOutShape(const Shape &shape, int i) const {
  if (outShape(i) != shape)
    fail("result " + std::to_string(i) + " is declared " + shapeString(outShape(i)) +
         " but the operands give " + shapeString(shape));
}

Tensor &KernelCtx::allocAs(Storage storage, int i, bool zero) {
  const plan::TensorType &t = *outType[size_t(i)];
  if (storageFor(t.dtype, precision) != storage)
    fail("result " + std::to_string(i) + " is declared " + plan::dtypeName(t.dtype) +
         ", which this op cannot produce here");
  out[size_t(i)] = zero ? Tensor::zeros(t.dtype, t.shape, storage, meter)
                        : Tensor::allocate(t.dtype, t.shape, storage, meter);
  return out[size_t(i)];
}

const Tensor &KernelCtx::floatIn(int i) const {
  const Tensor &t = *in[size_t(i)];
  if (!t.defined() || t.storage() != floatStorage())
    fail("operand " + std::to_string(i) + " must be a float tensor");
  return t;
}

const Tensor &KernelCtx::intIn(int i) const {
  const Tensor &t = *in[size_t(i)];
  if (!t.defined() || t.storage() != Storage::I32)
    fail("operand " + std::to_string(i) + " must be an integer tensor");
  return t;
}

const KernelDef *findKernel(std::string_view kind) {
  static std::vector<KernelDef> defs;
  static std::once_flag once;
  std::call_once(once, [] {
    addSourceKernels(defs);
    addElementwiseKernels(defs);
    addReduceKernels(defs);
    addNormKernels(defs);
    addLossKernels(defs);
    addMatmulKernels(defs);
    addAttentionKernels(defs);
    addEmbeddingKernels(defs);
    addShapeKernels(defs);
    addQuantKernels(defs);
  });
  for (const KernelDef &d : defs)
    if (kind == d.kind)
      return &d;
  return nullptr;
}

std::vector<int64_t> stridesOf(const Shape &shape) {
  std::vector<int64_t> s(shape.size());
  int64_t acc = 1;
  for (size_t i = shape.size(); i-- > 0;) {
    s[i] = acc;
    acc *= shape[i];
  }
  return s;
}

int64_t normalizeAxis(int64_t axis, int64_t rank) {
  if (axis < -rank || axis >= rank)
    fail("axis " + std::to_string(axis) + " is out of range for rank " + std::to_string(rank));
  return axis < 0 ? axis + rank : axis;
}

} // namespace golf::cpu
