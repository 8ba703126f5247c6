//===- Attention.cpp - CUDA programs for attention and attention_grad -----===//
//
// Each kernel source is a prelude of constexpr constants (shapes, mask,
// scale, dtypes, the entry name) followed by kernels/attention_common.cuh
// and one kernel file, embedded at build time (EmbedSources.cmake). Entry
// names carry the specialization and a hash of the source, so equal names
// mean equal sources.
//
// Forward (operands q, k, v; results y [, lse]):
//   [convert fp32 operands to bf16 scratch]
//   attention_fwd.cuh: grid (B*H, ceil(T/128)), 256 threads, 48 KiB smem;
//     with saveLse it also writes each row's lse, so that the backward
//     skips its stats pass (a second forward, about a quarter of it).
// Backward (operands q, k, v, dy [, lse, y]; results dq, dk, dv):
//   [convert fp32 operands to bf16 scratch]
//   without saved statistics, attention_fwd.cuh in stats mode: lse and
//     delta = rowsum(dy * y) per query row into fp32 scratch, and zeros the
//     fp32 dq accumulator; with them, attention_aux.cuh computes delta
//     from dy and the saved y and zeros the accumulator;
//   attention_bwd.cuh: grid (B*Hkv, ceil(S/128)), 256 threads, 81 KiB smem
//     (the runtime raises cudaFuncAttributeMaxDynamicSharedMemorySize for
//     launches above 48 KiB); writes dk and dv, adds into the accumulator;
//   attention_aux.cuh: dq = scale * accumulator in dq's dtype.
//
//===----------------------------------------------------------------------===//
#include "codegen/cuda/Attention.h"

#include "codegen/cuda/AttentionSources.inc" // kernels:: attention_{common,fwd,bwd,aux}

#include <cmath>
#include <cstdio>
#include <stdexcept>

namespace golf::cudagen {

namespace {

using plan::DType;

// Tile shapes; the kernel files static_assert the same numbers.
constexpr int64_t kHeadDim = 64;
constexpr int64_t kFwdRows = 128, kFwdKeys = 64, kFwdThreads = 256;
constexpr int64_t kFwdSmem = (kFwdRows + 4 * kFwdKeys) * kHeadDim * 2;
constexpr int64_t kBwdKeys = 128, kBwdRows = 64, kBwdThreads = 256;
constexpr int64_t kBwdSmem = 2 * kBwdKeys * kHeadDim * 2 + 4 * kBwdRows * kHeadDim * 2 +
                             kBwdKeys * kBwdRows * 2 + 4 * kBwdRows * 4;
constexpr int64_t kAuxThreads = 256;
constexpr int64_t kMaxGridY = 65535, kMaxGridX = (int64_t(1) << 31) - 1;

int64_t ceilDiv(int64_t a, int64_t b) { return (a + b - 1) / b; }

[[noreturn]] void unsupported(const std::string &what) {
  throw std::invalid_argument("attention (CUDA): " + what);
}

const char *typeTag(DType t) { return t == DType::F32 ? "f32" : "bf16"; }

void checkDType(DType t, const char *what) {
  if (t != DType::F32 && t != DType::BF16)
    unsupported(std::string(what) + " has dtype " + plan::dtypeName(t) +
                "; supported: f32, bf16");
}

} // namespace

void validateAttention(const AttentionShape &s, bool grad) {
  if (s.B <= 0 || s.H <= 0 || s.Hkv <= 0 || s.T <= 0 || s.S <= 0 || s.D <= 0 || s.Dv <= 0)
    unsupported("dimensions must be positive");
  if (s.H % s.Hkv != 0)
    unsupported(std::to_string(s.H) + " query heads are not a multiple of " +
                std::to_string(s.Hkv) + " KV heads");
  if (s.D != kHeadDim || s.Dv != kHeadDim)
    unsupported("head dims D=" + std::to_string(s.D) + ", Dv=" + std::to_string(s.Dv) +
                " are not supported (supported: D = Dv = 64)");
  if (s.causal && s.T != s.S)
    unsupported("causal attention needs equal query and key lengths (T=" + std::to_string(s.T) +
                ", S=" + std::to_string(s.S) + ")");
  if (!(s.scale > 0) || !std::isfinite(s.scale))
    unsupported("scale must be finite and > 0");
  checkDType(s.q, "q");
  checkDType(s.k, "k");
  checkDType(s.v, "v");
  checkDType(s.out, grad ? "dq" : "y");
  if (grad) {
    checkDType(s.dy.value_or(s.out), "dy");
    checkDType(s.dk.value_or(s.out), "dk");
    checkDType(s.dv.value_or(s.out), "dv");
  }
  // Grid limits, and element counts that the kernels' 64-bit offsets and
  // 32-bit row indices hold.
  if (s.B * s.H > kMaxGridX || ceilDiv(s.T, kFwdRows) > kMaxGridY ||
      ceilDiv(s.S, kBwdKeys) > kMaxGridY || s.T > (int64_t(1) << 30) ||
      s.S > (int64_t(1) << 30) || s.B * s.H * ceilDiv(s.T, kFwdRows) * kFwdRows * kHeadDim / 4 / kAuxThreads > kMaxGridX)
    unsupported("shape is too large for the kernels' grids");
}

int64_t attentionLseCount(const AttentionShape &s) {
  return s.B * s.H * ceilDiv(s.T, kFwdRows) * kFwdRows;
}

namespace {

std::string hex(uint64_t x, int digits) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%0*llx", digits, static_cast<unsigned long long>(x));
  return buf;
}

uint64_t fnv1a(const std::string &text) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : text)
    h = (h ^ c) * 1099511628211ull;
  return h;
}

/// A float literal that reads back as the nearest float to x.
std::string floatLit(double x) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.9gf", static_cast<double>(static_cast<float>(x)));
  return buf;
}

/// Collects constants and builds one kernel source: prelude, common
/// helpers, kernel file, and trailing checks that host and kernel agree.
class Source {
public:
  explicit Source(std::string prefix) : prefix_(std::move(prefix)) {}
  Source &define(const std::string &macro, int64_t value) {
    prelude_ += "#define " + macro + " " + std::to_string(value) + "\n";
    return *this;
  }
  Source &constant(const std::string &type, const std::string &name, const std::string &value) {
    prelude_ += "constexpr " + type + " " + name + " = " + value + ";\n";
    return *this;
  }
  Source &integer(const std::string &name, int64_t value) {
    return constant(value > INT32_MAX ? "long long" : "int", name,
                    std::to_string(value) + (value > INT32_MAX ? "LL" : ""));
  }
  Source &flag(const std::string &name, bool value) {
    return constant("bool", name, value ? "true" : "false");
  }
  Source &check(const std::string &condition) {
    trailer_ += "static_assert(" + condition + ", \"host and kernel disagree: " + condition + "\");\n";
    return *this;
  }
  Kernel build(const char *body) const {
    std::string text = "#define GOLF_ATTN_PRELUDE 1\n#pragma nv_diag_suppress 177 // unused constants\n" + prelude_ + kernels::attention_common +
                       "\n" + body + "\n" + trailer_;
    Kernel k;
    k.name = prefix_ + "_" + hex(fnv1a(text), 12);
    k.source = "// golfc attention kernel " + k.name + "\n#define GOLF_KERNEL_NAME " + k.name +
               "\n" + text;
    return k;
  }

private:
  std::string prefix_, prelude_, trailer_;
};

std::string shapeTag(const AttentionShape &s) {
  const AttentionShape::Merged &m = s.merged;
  std::string merged;
  for (auto [flag, name] : {std::pair{m.q, "q"}, {m.k, "k"}, {m.v, "v"}, {m.out, "o"},
                            {m.dy, "y"}, {m.dk, "K"}, {m.dv, "V"}})
    merged += flag ? name : "";
  return "c" + std::to_string(s.causal) + "_g" + std::to_string(s.H / s.Hkv) + "_d64_b" +
         std::to_string(s.B) + "_h" + std::to_string(s.H) + "_t" + std::to_string(s.T) + "_s" +
         std::to_string(s.S) + (merged.empty() ? "" : "_m" + merged);
}

/// The shape constants shared by the forward and backward kernels.
Source &shapeConstants(Source &src, const AttentionShape &s) {
  const double log2e = 1.4426950408889634;
  return src.integer("kB", s.B)
      .integer("kH", s.H)
      .integer("kHkv", s.Hkv)
      .integer("kT", s.T)
      .integer("kS", s.S)
      .integer("kTPad", ceilDiv(s.T, kFwdRows) * kFwdRows)
      .flag("kCausal", s.causal)
      .flag("kQMerged", s.merged.q)
      .flag("kKMerged", s.merged.k)
      .flag("kVMerged", s.merged.v)
      .flag("kDyMerged", s.merged.dy)
      .constant("float", "kScale", floatLit(s.scale))
      .constant("float", "kScaleLog2", floatLit(s.scale * log2e));
}

/// Builds an OpProgram: kernels deduplicated by name, scratch, launches.
class ProgramBuilder {
public:
  ArgRef scratch(uint64_t bytes, bool zeroed = false) {
    p_.scratchBytes.push_back(bytes);
    p_.scratchZeroed.push_back(zeroed);
    return {ArgRef::Scratch, static_cast<int>(p_.scratchBytes.size() - 1)};
  }
  void launch(const Kernel &k, std::array<uint32_t, 3> grid, uint32_t threads, uint32_t smem,
              std::vector<ArgRef> args) {
    bool known = false;
    for (const Kernel &have : p_.kernels)
      known = known || have.name == k.name;
    if (!known)
      p_.kernels.push_back(k);
    Launch l;
    l.kernel = k.name;
    l.grid = grid;
    l.block = {threads, 1, 1};
    l.sharedBytes = smem;
    l.args = std::move(args);
    p_.launches.push_back(std::move(l));
  }
  /// The bf16 view of operand `index`: itself, or a converted scratch copy.
  ArgRef bf16Operand(int index, DType type, int64_t count) {
    ArgRef in{ArgRef::Operand, index};
    if (type == DType::BF16)
      return in;
    ArgRef out = scratch(uint64_t(count) * 2);
    Kernel k = Source("attn_cvt_bf16_n" + std::to_string(count))
                   .define("GOLF_ATTN_AUX", 1)
                   .integer("kCount", count)
                   .check("aux::kThreads == " + std::to_string(kAuxThreads))
                   .build(kernels::attention_aux);
    launch(k, {uint32_t(ceilDiv(count / 4, kAuxThreads)), 1, 1}, kAuxThreads, 0, {in, out});
    return out;
  }
  OpProgram take() { return std::move(p_); }

private:
  OpProgram p_;
};

} // namespace

OpProgram emitAttention(const AttentionShape &s, bool saveLse) {
  validateAttention(s, false);
  ProgramBuilder pb;
  const int64_t qCount = s.B * s.H * s.T * kHeadDim, kvCount = s.B * s.Hkv * s.S * kHeadDim;
  ArgRef q = pb.bf16Operand(0, s.q, qCount);
  ArgRef k = pb.bf16Operand(1, s.k, kvCount);
  ArgRef v = pb.bf16Operand(2, s.v, kvCount);
  Source src("attn_fwd_" + shapeTag(s) + "_" + typeTag(s.out));
  shapeConstants(src, s)
      .define("GOLF_ATTN_STATS", saveLse ? 2 : 0)
      .flag("kOutF32", s.out == DType::F32)
      .flag("kOutMerged", s.merged.out)
      .check("fwd::kThreads == " + std::to_string(kFwdThreads))
      .check("fwd::kBM == " + std::to_string(kFwdRows))
      .check("fwd::kSmemBytes == " + std::to_string(kFwdSmem));
  std::vector<ArgRef> args{q, k, v, {ArgRef::Result, 0}};
  if (saveLse)
    args.push_back({ArgRef::Result, 1});
  pb.launch(src.build(kernels::attention_fwd),
            {uint32_t(s.B * s.H), uint32_t(ceilDiv(s.T, kFwdRows)), 1}, kFwdThreads, kFwdSmem,
            std::move(args));
  return pb.take();
}

OpProgram emitAttentionGrad(const AttentionShape &s, std::optional<SavedAttention> saved) {
  validateAttention(s, true);
  ProgramBuilder pb;
  const int64_t tPad = ceilDiv(s.T, kFwdRows) * kFwdRows;
  const int64_t qCount = s.B * s.H * s.T * kHeadDim, kvCount = s.B * s.Hkv * s.S * kHeadDim;
  ArgRef q = pb.bf16Operand(0, s.q, qCount);
  ArgRef k = pb.bf16Operand(1, s.k, kvCount);
  ArgRef v = pb.bf16Operand(2, s.v, kvCount);
  ArgRef dy = pb.bf16Operand(3, s.dy.value_or(s.out), qCount);
  const uint64_t rowBytes = uint64_t(attentionLseCount(s)) * 4; // a float per padded query row
  ArgRef lse = saved ? ArgRef{ArgRef::Operand, 4} : pb.scratch(rowBytes);
  ArgRef delta = pb.scratch(rowBytes);
  ArgRef dqAcc = pb.scratch(uint64_t(s.B * s.H * tPad * kHeadDim) * 4); // zeroed by the first pass

  if (saved) {
    if (saved->y != DType::F32 && saved->y != DType::BF16)
      unsupported(std::string("saved y has dtype ") + plan::dtypeName(saved->y) +
                  "; supported: f32, bf16");
    Source src("attn_delta_n" + std::to_string(s.B * s.H) + "_t" + std::to_string(s.T) + "_y" +
               typeTag(saved->y) + (saved->merged ? "_merged" : "") +
               (s.merged.dy ? "_dymerged" : ""));
    src.define("GOLF_ATTN_AUX", 3)
        .integer("kRows", s.B * s.H * tPad)
        .integer("kH", s.H)
        .integer("kT", s.T)
        .integer("kTPad", tPad)
        .flag("kYF32", saved->y == DType::F32)
        .flag("kYMerged", saved->merged)
        .flag("kDyMerged", s.merged.dy)
        .check("aux::kThreads == " + std::to_string(kAuxThreads));
    pb.launch(src.build(kernels::attention_aux),
              {uint32_t(s.B * s.H * tPad * 8 / kAuxThreads), 1, 1}, kAuxThreads, 0,
              {dy, {ArgRef::Operand, 5}, delta, dqAcc});
  } else {
    Source stats("attn_bwd_stats_" + shapeTag(s));
    shapeConstants(stats, s)
        .define("GOLF_ATTN_STATS", 1)
        .flag("kOutF32", false)
        .flag("kOutMerged", false)
        .check("fwd::kThreads == " + std::to_string(kFwdThreads))
        .check("fwd::kBM == " + std::to_string(kFwdRows))
        .check("fwd::kSmemBytes == " + std::to_string(kFwdSmem));
    pb.launch(stats.build(kernels::attention_fwd),
              {uint32_t(s.B * s.H), uint32_t(ceilDiv(s.T, kFwdRows)), 1}, kFwdThreads, kFwdSmem,
              {q, k, v, dy, lse, delta, dqAcc});
  }

  const DType dkType = s.dk.value_or(s.out), dvType = s.dv.value_or(s.out);
  Source main("attn_bwd_" + shapeTag(s) + "_dk" + typeTag(dkType) + "_dv" + typeTag(dvType));
  shapeConstants(main, s)
      .flag("kDkF32", dkType == DType::F32)
      .flag("kDvF32", dvType == DType::F32)
      .flag("kDkMerged", s.merged.dk)
      .flag("kDvMerged", s.merged.dv)
      .check("bwd::kThreads == " + std::to_string(kBwdThreads))
      .check("bwd::kBN == " + std::to_string(kBwdKeys))
      .check("bwd::kBM == " + std::to_string(kBwdRows))
      .check("bwd::kSmemBytes == " + std::to_string(kBwdSmem));
  pb.launch(main.build(kernels::attention_bwd),
            {uint32_t(s.B * s.Hkv), uint32_t(ceilDiv(s.S, kBwdKeys)), 1}, kBwdThreads, kBwdSmem,
            {q, k, v, dy, lse, delta, dqAcc, {ArgRef::Result, 1}, {ArgRef::Result, 2}});

  Source dq("attn_dq_n" + std::to_string(s.B * s.H) + "_t" + std::to_string(s.T) + "_" +
            typeTag(s.out) + (s.merged.out ? "_merged" : ""));
  dq.define("GOLF_ATTN_AUX", 2)
      .integer("kCount", qCount)
      .integer("kH", s.H)
      .integer("kT", s.T)
      .flag("kOutMerged", s.merged.out)
      .integer("kTPad", tPad)
      .flag("kOutF32", s.out == DType::F32)
      .constant("float", "kScale", floatLit(s.scale))
      .check("aux::kThreads == " + std::to_string(kAuxThreads));
  pb.launch(dq.build(kernels::attention_aux),
            {uint32_t(ceilDiv(qCount / 4, kAuxThreads)), 1, 1}, kAuxThreads, 0,
            {dqAcc, {ArgRef::Result, 0}});
  return pb.take();
}

} // namespace golf::cudagen
