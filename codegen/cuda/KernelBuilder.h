//===- KernelBuilder.h - CUDA source for fused expressions ------*- C++ -*-===//
//
// Builds one kernel's CUDA C++: statements that compute any value of a plan
// function at a symbolic index, inlining the pointwise and layout ops that
// produce it (Fusion.h decides where inlining stops) and loading
// materialized values from pointer parameters. Emitters (Pointwise.cpp,
// Reduce.cpp, ...) open loops and scopes around value() calls and store the
// results; finish() wraps the body into an extern "C" kernel whose name is
// derived from its text, so identical kernels share one NVRTC compile.
//
// Math is fp32 (fp64 for RoPE angles); values declared bf16/f16 are rounded
// when produced, as the CPU executor does, so fused and unfused programs
// compute the same numbers.
//
//===----------------------------------------------------------------------===//
#ifndef GOLF_CODEGEN_CUDA_KERNELBUILDER_H
#define GOLF_CODEGEN_CUDA_KERNELBUILDER_H

#include "codegen/cuda/Fusion.h"
#include "codegen/cuda/Program.h"

#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace golf::cudagen {

/// One C expression (an int) per axis.
using Index = std::vector<std::string>;

class KernelBuilder {
public:
  /// `values`: the function's value types (the plan's, plus temporaries the
  /// lowering adds after them).
  KernelBuilder(const std::vector<plan::TensorType> &values, const plan::Function &f,
                const FusionPlan &fusion);

  /// A C variable holding value `v` at `idx` (float, or int for integer
  /// values), emitting the statements that compute it into the body.
  std::string value(int v, const Index &idx);
  /// Like value(), but computes `v` from its producer even when `v` itself is
  /// materialized: the root of a pointwise kernel.
  std::string compute(int v, const Index &idx);
  /// The pointer parameter that result `v` is stored through.
  std::string output(int v);
  /// Stores `expr` into result `v` at `idx`, converting to its dtype, or
  /// through v's epilogue into its end (Fusion.h).
  void store(int v, const Index &idx, const std::string &expr);
  /// Stores into `v` itself, also where an epilogue ends elsewhere (a norm
  /// whose result stays in memory beside its epilogue's end).
  void storeOwn(int v, const Index &idx, const std::string &expr);
  /// Vectorized kernels compute 4 adjacent elements of the last axis per
  /// thread, one lane after the other at the top level: lane u's last index
  /// is laneIndex(first, u) ("(c4 + 2)"), `first` a multiple of 4. Loads of
  /// values whose own last index is a lane index become one 4-wide load
  /// shared by the lanes.
  void setLane(const std::string &first, int lane);
  static std::string laneIndex(const std::string &first, int lane);
  /// Ends the lanes: later indices are plain.
  void clearLanes() { lanes_.width = 1; }
  /// Stores the 4 lanes' `exprs` (lane u at last index laneIndex(first, u)
  /// after `lead`) into `v`, or through v's elementwise epilogue into its
  /// end (Fusion.h): one 4-wide store. The stored values stay readable at
  /// their indices for the rest of the scope.
  void storeLanesThrough(int v, const Index &lead, const std::string &first,
                         const std::vector<std::string> &exprs);
  /// One 4-wide store of the lanes' `exprs` into `v`, lane 0 at `first`.
  void storeLanes(int v, const Index &first, const std::vector<std::string> &exprs);
  /// From now on `v` at any index reads `row[last index]`: a row of `v` the
  /// emitter staged in shared memory (row epilogues, Fusion.h).
  void bindRow(int v, const std::string &row) { rows_[v] = row; }
  /// Values the fusion plan has the norm at op `norm` write (its prologue,
  /// Fusion.h): value() computes and stores them instead of loading.
  void absorbWrittenBy(int norm);
  /// value() computes and stores `v` (a column kernel's sibling) instead of
  /// loading it; in a vectorized kernel, one 4-wide store after the last lane.
  void absorb(int v) { absorbed_.push_back(v); }
  /// A scratch buffer parameter of `bytes` (float elements).
  std::string scratch(uint64_t bytes, bool zeroed);

  /// Appends a statement at the current depth.
  void line(const std::string &text);
  /// Opens a block ("for (...) {", "if (...) {"); values computed inside are
  /// forgotten when it closes.
  void open(const std::string &header);
  void close();
  /// A fresh local name.
  std::string fresh(const char *prefix);
  /// The index of row-major linear position `linear` in `shape`, as locals.
  Index unravel(const std::string &linear, const std::vector<int64_t> &shape);
  /// The row-major linear offset of `idx` in `shape` (size-1 axes skipped).
  static std::string ravel(const Index &idx, const std::vector<int64_t> &shape);

  /// The finished kernel (entry named `<prefix>_<hash>`), and the step that
  /// launches it over `grid` x `block` with `sharedBytes`.
  Step finish(const std::string &prefix, const std::string &label, std::array<uint32_t, 3> grid,
              std::array<uint32_t, 3> block, uint32_t sharedBytes = 0);

  const plan::TensorType &type(int v) const { return values_[size_t(v)]; }
  /// `expr` rounded to dtype `d` (bf16, f16) and back to float.
  std::string roundTo(plan::DType d, const std::string &expr) const;

private:
  std::string pointwise(const plan::Op &op, int v, const Index &idx);
  std::string layout(const plan::Op &op, const Index &idx);
  std::string conditional(const std::string &cond, const std::function<std::string()> &then,
                          const std::string &otherwise, bool isInt);
  std::string load(int v, const Index &idx);
  std::string constant(const plan::Op &op, int v, const Index &idx);
  std::string rope(const plan::Op &op, const Index &idx);
  std::string bigramHash(const plan::Op &op, const Index &idx);
  Index broadcastIndex(int operand, const Index &idx, size_t outRank) const;

  const std::vector<plan::TensorType> &values_;
  const plan::Function &f_;
  const FusionPlan &fusion_;
  std::string globals_, body_;
  int depth_ = 1, counter_ = 0;
  std::vector<std::map<std::string, std::string>> memo_{1};
  std::map<int, std::string> rows_;
  /// Whether `index` is "(base + lane)" for the current lane and a base
  /// known to be a multiple of 4 (then sets `base`).
  bool laneOf(const std::string &index, std::string &base) const;
  /// For result `v` with an elementwise epilogue: `expr` is v at `idx`; the
  /// value of the epilogue's end there, to store in v's place.
  std::string throughEpilogue(int v, const Index &idx, const std::string &expr);
  /// A top-level local holding `expr`, a multiple of 4 (one per expression).
  std::string alignedLocal(const std::string &expr);
  struct Lanes {
    int width = 1, lane = 0, depth = 1; // depth: the scope the lanes live in
    std::set<std::string> aligned;              // expressions that are multiples of 4
    std::map<std::string, std::string> derived; // expression -> its alignedLocal
  } lanes_;
  /// "v@offset": value `v` at lane 0's index `first`, the key of vectors_ and pendingLanes_.
  std::string laneKey(int v, const Index &first) const;
  std::map<std::string, std::string> vectors_; // (value, lane-0 offset) -> 4-wide local
  /// An absorbed value's store: 4-wide once every lane has computed it.
  void storeAbsorbed(int v, const Index &idx, const std::string &local);
  std::map<std::string, std::vector<std::string>> pendingLanes_; // (value, lane-0 offset) -> locals
  std::vector<int> absorbed_;
  std::vector<int> operands_, results_, inlined_;
  std::vector<std::string> params_;
  std::vector<ArgRef> args_;
  std::vector<uint64_t> scratchBytes_;
  std::vector<bool> scratchZeroed_;
};

/// The largest linear offset a 32-bit index holds.
constexpr int64_t kMaxInt = 2147483647;
/// The C type ("int" or "long long") of indices below `extent`.
std::string indexType(int64_t extent);

/// A float literal for CUDA source that reads back as the float nearest `x`
/// ("0.125f", "3.00000012e-08f"; NaN and infinities as bit patterns).
std::string floatLiteral(double x);

/// The CUDA element type that stores dtype `d` ("float", "__nv_bfloat16", ...).
const char *storageType(plan::DType d);

} // namespace golf::cudagen

#endif // GOLF_CODEGEN_CUDA_KERNELBUILDER_H
