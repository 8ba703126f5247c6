//===- Executor.h - runs lowered plan functions on the GPU ------*- C++ -*-===//
//
// The GPU counterpart of cpu::Executor: create() lowers every function of a
// plan (codegen/cuda), compiles the distinct kernels with NVRTC in parallel
// (through the on-disk cache), loads them and plans each function's device
// memory. Functions run one at a time on one stream, so they share one
// arena, as large as the largest function's plan: a function's results stay
// valid until the next run of any function (cuDNN's workspace follows the
// plans in the same allocation). Parameters live in one allocation of their
// own, uploaded by setParams(); run() uploads the arguments,
// replays the steps on the stream and downloads the results.
//
// The training step (TrainStep.h) drives functions without host copies:
// it writes arguments at argAddresses(), enqueue()s the function, reads
// results at resultAddresses() and updates parameters in place at
// paramAddress(), all on stream().
//
//   auto ex = cuda::Executor::create(plan, device, {}, report);
//   ex->setParams(params);                       // cpu::ParamStore
//   auto out = ex->run("loss_grad", {ids, targets});
//
// Errors throw (CudaError, CompileError, std::runtime_error) with one line.
//
//===----------------------------------------------------------------------===//
#ifndef GOLF_RUNTIME_CUDA_EXECUTOR_H
#define GOLF_RUNTIME_CUDA_EXECUTOR_H

#include "codegen/cuda/Lowering.h"
#include "runtime/cpu/Executor.h"
#include "runtime/cuda/Device.h"
#include "runtime/cuda/Nvrtc.h"

#include <cuda_runtime_api.h>

#include <memory>
#include <string>
#include <vector>

namespace golf::cuda {

struct ExecutorOptions {
  std::string cacheDir = defaultCacheDir();
  /// Fill every arena with NaN bytes before each run, so that a value a
  /// kernel forgot to write cannot pass a check (golfc check).
  bool poison = false;
  cudagen::LowerOptions lowering;
  /// Only these functions of the plan (all when empty): a trainer needs no
  /// arena or kernels for @loss.
  std::vector<std::string> functions;
};

struct CompileReport {
  int kernels = 0;     // distinct kernels
  NvrtcStats nvrtc;    // compiled vs cached, seconds
  double lowerSeconds = 0, loadSeconds = 0;
  uint64_t arenaBytes = 0; // the shared arena: the largest function's plan
  uint64_t naiveBytes = 0, paramBytes = 0; // over all functions
  std::string cudnn; // "cuDNN 9.14.0" when the plan has cuDNN attention steps
};

class Executor {
public:
  static std::unique_ptr<Executor> create(const plan::Plan &plan, const DeviceInfo &device,
                                          const ExecutorOptions &options, CompileReport &report);
  ~Executor();

  /// Uploads every parameter of the plan (by name, converted to its dtype).
  void setParams(const cpu::ParamStore &params);
  /// Runs a function; results come back as host tensors in F32 storage.
  std::vector<cpu::Tensor> run(const std::string &function, const std::vector<cpu::Tensor> &args);
  /// Milliseconds the last run's steps took on the GPU (events around them).
  double lastRunMs() const;

  /// Every parameter, downloaded (F32 storage, rounded to its dtype).
  cpu::ParamStore params() const;
  void *paramAddress(const std::string &name) const;
  /// Device addresses of a function's arguments and results (in the
  /// shared arena; results of gradient functions are not parameters).
  std::vector<void *> argAddresses(const std::string &function) const;
  std::vector<void *> resultAddresses(const std::string &function) const;
  /// Which of a function's steps enqueue() runs: all of them; those that
  /// read the weights alone (cudagen::Step::weightsOnly, such as bf16 casts
  /// of weights: once per optimizer step, their results stay valid until
  /// another function runs); or the rest (once per micro-batch, after
  /// Weights).
  enum class Part : uint8_t { All, Weights, Batch };
  /// Enqueues a function's steps on stream() with whatever its argument
  /// buffers hold; nothing is copied or awaited. Capturable into a graph
  /// once the function has run once (GEMM tuning, kernel attributes).
  void enqueue(const std::string &function, Part part = Part::All);
  cudaStream_t stream() const;

  /// One step's share of a profiled run.
  struct StepTime {
    std::string label; // the step's label (ops it computes)
    std::string what;  // kernel name(s), "gemm m=.. n=.. k=..", or "view"
    double ms = 0;
    /// GEMM steps: the same product alone, the tuned cuBLASLt algorithm's mean
    /// time when its shape was tuned (at least as fast as cuBLASLt's own first
    /// choice); 0 for other steps.
    double aloneMs = 0;
    /// A weights-only step (Part::Weights): a trainer runs it once per
    /// optimizer step, not per micro-batch.
    bool weightsOnly = false;
    /// Generated and attention steps: the bytes of the values it reads and
    /// writes (cudagen::stepBytes), so bytes / ms is its bandwidth; 0 else.
    uint64_t bytes = 0;
  };
  /// Runs a function with an event after every step (slower than run(): for
  /// inspection, not for timing the whole) and returns each step's time.
  std::vector<StepTime> profile(const std::string &function, const std::vector<cpu::Tensor> &args);

private:
  struct Impl;
  explicit Executor(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

} // namespace golf::cuda

#endif // GOLF_RUNTIME_CUDA_EXECUTOR_H
