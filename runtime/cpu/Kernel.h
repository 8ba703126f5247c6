//===- Kernel.h - what an op kernel sees (internal) -------------*- C++ -*-===//
//
// Each op kind has one KernelDef: operand/result counts, an attribute schema
// (checked once when the executor is created, so a bad plan fails before any
// work) and the kernel function. A kernel reads its operands and attributes
// from a KernelCtx, checks that the operand shapes agree with the result
// types the plan declares (a kernel never trusts the plan to size its
// writes), and fills ctx.out. Kernels report problems by throwing
// KernelError; the executor turns it into a one-line error naming the op.
//
//===----------------------------------------------------------------------===//
#ifndef GOLF_RUNTIME_CPU_KERNEL_H
#define GOLF_RUNTIME_CPU_KERNEL_H

#include "runtime/cpu/Executor.h"
#include "runtime/cpu/ThreadPool.h"

#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace golf::cpu {

struct KernelError : std::runtime_error {
  using std::runtime_error::runtime_error;
};
[[noreturn]] inline void fail(const std::string &message) { throw KernelError(message); }

enum class AttrType : uint8_t {
  I64,      // JSON integer
  F64,      // JSON number
  Str,      // JSON string (optionally one of `choices`)
  Unit,     // `true` when present
  I64Array, // JSON array of integers
  DType,    // a float dtype name
  Value,    // a number, a bool or a flat array of them (constant)
};

struct AttrSpec {
  const char *name;
  AttrType type;
  bool required = true;
  std::vector<std::string> choices = {};
};

/// Checks one op's attributes against a schema; returns "" or the reason.
std::string checkAttrs(const plan::Json &attrs, const std::vector<AttrSpec> &specs);

class KernelCtx {
public:
  KernelCtx(const plan::Op &op, Precision precision, ThreadPool &pool,
            std::shared_ptr<MemoryMeter> meter, const ParamStore *params)
      : op(op), precision(precision), pool(pool), meter(std::move(meter)), params(params) {}

  const plan::Op &op;
  Precision precision;
  ThreadPool &pool;
  std::shared_ptr<MemoryMeter> meter;
  const ParamStore *params;
  std::vector<const Tensor *> in;                // operands
  std::vector<const plan::TensorType *> outType; // declared result types
  std::vector<Tensor> out;                       // filled by the kernel

  // Attributes (the schema was checked; these still check and throw).
  int64_t i64(const char *name) const;
  double f64(const char *name) const;
  std::optional<double> optF64(const char *name) const;
  bool flag(const char *name) const;
  std::string str(const char *name) const;
  std::vector<int64_t> i64s(const char *name) const;
  DType dtypeAttr(const char *name) const;

  Storage floatStorage() const { return precision == Precision::F32 ? Storage::F32 : Storage::F64; }
  const Shape &outShape(int i = 0) const { return outType[size_t(i)]->shape; }
  DType outDType(int i = 0) const { return outType[size_t(i)]->dtype; }
  /// Throws unless result i is declared with `shape`.
  void expectOutShape(const Shape &shape, int i = 0) const;
  /// Allocates result i with its declared type, uninitialized or zeroed.
  /// alloc/allocZeros require a float result, allocInt an i32/i1 one, and
  /// allocAs the given storage: a kernel never writes elements of another
  /// size than the buffer holds, whatever the plan declares.
  Tensor &alloc(int i = 0) { return allocAs(floatStorage(), i); }
  Tensor &allocZeros(int i = 0) { return allocAs(floatStorage(), i, true); }
  Tensor &allocInt(int i = 0) { return allocAs(Storage::I32, i); }
  Tensor &allocAs(Storage storage, int i = 0, bool zero = false);
  /// Metered scratch of n elements of T (float, double or int32_t).
  template <class T> Tensor scratch(int64_t n) const {
    Storage s = std::is_same_v<T, double> ? Storage::F64
                : std::is_same_v<T, float> ? Storage::F32 : Storage::I32;
    return Tensor::allocate(s == Storage::I32 ? DType::I32 : DType::F32, {n}, s, meter);
  }
  /// Operand i, which must be a float tensor (floatIn) or an i32/i1 one (intIn).
  const Tensor &floatIn(int i) const;
  const Tensor &intIn(int i) const;
};

/// Runs f(float{}) or f(double{}) for the run's float storage, so a kernel is
/// written once as a template over its element type.
template <class F> void withFloat(const KernelCtx &ctx, F &&f) {
  if (ctx.precision == Precision::F32)
    f(float{});
  else
    f(double{});
}

using KernelFn = void (*)(KernelCtx &);

struct KernelDef {
  const char *kind;
  int minOperands, maxOperands; // maxOperands -1: variadic
  int results;
  std::vector<AttrSpec> attrs;
  KernelFn fn;
  bool makesViews = false; // results may share operand/param buffers
};

/// Every kernel family adds its definitions here (one function per file).
void addElementwiseKernels(std::vector<KernelDef> &defs);
void addReduceKernels(std::vector<KernelDef> &defs);
void addNormKernels(std::vector<KernelDef> &defs);
void addLossKernels(std::vector<KernelDef> &defs);
void addMatmulKernels(std::vector<KernelDef> &defs);
void addAttentionKernels(std::vector<KernelDef> &defs);
void addEmbeddingKernels(std::vector<KernelDef> &defs);
void addShapeKernels(std::vector<KernelDef> &defs);
void addQuantKernels(std::vector<KernelDef> &defs);
void addSourceKernels(std::vector<KernelDef> &defs);

/// The registry, built once.
const KernelDef *findKernel(std::string_view kind);

/// Brings a caller's tensor (argument or parameter) to the run's storage and
/// rounds it to the declared dtype, copying only when something changes:
/// caller buffers are never written. Throws on a shape or kind mismatch.
Tensor adoptTensor(const Tensor &t, const plan::TensorType &type, Precision precision,
                   const std::shared_ptr<MemoryMeter> &meter, const std::string &what);

/// Row-major strides of a shape.
std::vector<int64_t> stridesOf(const Shape &shape);
/// Normalizes a possibly negative axis; throws if out of range.
int64_t normalizeAxis(int64_t axis, int64_t rank);

} // namespace golf::cpu

#endif // GOLF_RUNTIME_CPU_KERNEL_H
