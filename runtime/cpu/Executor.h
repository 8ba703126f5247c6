//===- Executor.h - the CPU reference executor ------------------*- C++ -*-===//
//
// Runs the functions of a plan::Plan on the CPU, exactly: the oracle every
// other backend and every gradient is checked against.
//
//   std::string err;
//   auto ex = cpu::Executor::create(plan, {cpu::Precision::F32}, err);
//   cpu::ParamStore params = ...;              // name -> Tensor
//   auto out = ex->run("loss", {ids, targets}, params, err);
//   // out: the function's results in order; ex->lastRun().peakBytes
//
// Precision F32: float storage, sgemm for products, every other reduction
// (sums, means, norms, softmax denominators, cross-entropy) accumulated in
// double; bf16/f16 values rounded whenever produced. Precision F64: double
// everywhere, dgemm, no rounding to narrower dtypes (gradient checks).
//
// Errors never escape as exceptions: create() and run() return nullopt and
// set `error` to one line, naming the function and op where one failed.
// Results are deterministic: the same inputs give bit-identical outputs on
// every run, whatever the thread timing or thread count. One executor runs
// one function at a time (run() is not reentrant); use one executor per
// calling thread.
//
//===----------------------------------------------------------------------===//
#ifndef GOLF_RUNTIME_CPU_EXECUTOR_H
#define GOLF_RUNTIME_CPU_EXECUTOR_H

#include "runtime/cpu/Tensor.h"

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace golf::cpu {

/// Parameter values by name. Tensors may be held in either float storage;
/// the executor converts a copy when it differs from the run's precision.
using ParamStore = std::map<std::string, Tensor, std::less<>>;

struct ExecutorOptions {
  Precision precision = Precision::F32;
  /// Threads for parallel loops and products, counting the caller (the CI
  /// machines have 2). Creating an executor sets OpenBLAS to one thread,
  /// process-wide: the executor splits products over its own threads.
  int threads = 2;
  /// Fail with the op's name when an op produces NaN or infinity.
  bool checkFinite = true;
};

struct RunStats {
  /// Peak bytes of tensors the executor allocated during the run (op results,
  /// converted inputs, kernel scratch); caller-owned inputs are not counted.
  int64_t peakBytes = 0;
  double seconds = 0;
  int64_t ops = 0;
};

class Executor {
public:
  /// Checks every function of `plan` (op kinds, operand and result counts,
  /// attributes, parameter references, definition before use) and computes
  /// each value's last use. The executor keeps its own copy of the plan.
  static std::optional<Executor> create(const plan::Plan &plan, ExecutorOptions options,
                                        std::string &error);
  static std::optional<Executor> create(const plan::Plan &plan, Precision precision,
                                        std::string &error) {
    ExecutorOptions options;
    options.precision = precision;
    return create(plan, options, error);
  }

  /// Runs the plan function `name` on `args` (the function's arguments in
  /// order: int32 token ids as I32 tensors, floats in either storage).
  /// Returns the results in the function's order.
  std::optional<std::vector<Tensor>> run(std::string_view name, const std::vector<Tensor> &args,
                                         const ParamStore &params, std::string &error);

  /// Statistics of the last run().
  const RunStats &lastRun() const;
  Precision precision() const;
  const plan::Plan &plan() const;

  Executor(Executor &&) noexcept;
  Executor &operator=(Executor &&) noexcept;
  ~Executor();

private:
  struct Impl;
  explicit Executor(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

} // namespace golf::cpu

#endif // GOLF_RUNTIME_CPU_EXECUTOR_H
