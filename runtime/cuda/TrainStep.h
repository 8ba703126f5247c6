//===- TrainStep.h - one training step on the GPU, as a graph ---*- C++ -*-===//
//
// A whole optimizer step on the device: for each of the step's
// micro-batches, the gradient function (@loss_grad or @loss_qat_grad) and
// an accumulation pass into fp32 buffers; the global gradient norm and the
// clip coefficient; every optimizer (DeviceOptimizers.h); the EMA of the
// weights. The first step on a function runs eagerly (it tunes the GEMMs);
// later steps replay a CUDA graph captured from the same enqueues.
//
// Tokens travel through pinned staging buffers and a second stream, two
// steps' worth (ping-pong), so the next step's tokens are copied while the
// current step runs. Per-step numbers (learning rates, momentum) are copied
// from pinned memory just before each replay. Losses and gradient norms go
// to a device ring that the host reads only when it asks (stats()), so it
// never waits on the GPU to log a step; enqueue() keeps at most two steps
// in flight so that the wall clock the schedule reads tracks the GPU.
//
//   cuda::TrainStep step(plan, executor, options);
//   step.enqueue("loss_grad", inputs, targets, stepIndex, lrMult, emaNow);
//   auto s = step.stats(first, last); // waits: loss and grad norm per step
//
// In a data-parallel run (`comm` set), every rank runs this step on its
// own micro-batches; after the last one, one NCCL all-reduce sums the
// ranks' gradient accumulators (a single flat fp32 buffer) and their
// losses, inside the graph, and every rank then takes the same optimizer
// step on the mean over all ranks' micro-batches. Muon's Newton-Schulz is
// split across the ranks (DeviceOptimizers.h).
//
// Errors throw with one line (CudaError, std::runtime_error, TrainError).
//
//===----------------------------------------------------------------------===//
#ifndef GOLF_RUNTIME_CUDA_TRAINSTEP_H
#define GOLF_RUNTIME_CUDA_TRAINSTEP_H

#include "runtime/cuda/DeviceOptimizers.h"
#include "runtime/cuda/Executor.h"
#include "runtime/cuda/MultiTensor.h"
#include "runtime/cuda/Nccl.h"

#include <optional>

namespace golf::cuda {

struct TrainStepOptions {
  int64_t accumulation = 1;       // micro-batches per step on this rank
  NcclComm *comm = nullptr;       // the data-parallel run's ranks, if any
  double maxNorm = 0;             // gradient clipping (<= 0: measure only)
  bool bf16NewtonSchulz = false;  // DeviceOptimizers.h
  std::optional<double> emaDecay; // keep an EMA shadow on the device
  bool graphs = true;             // false: every step eager (debugging)
  std::string cacheDir = defaultCacheDir();
};

struct StepStats {
  double loss = 0;     // mean over the step's micro-batches
  double gradNorm = 0; // of the mean gradient, before clipping
};

class TrainStep {
public:
  TrainStep(const plan::Plan &plan, Executor &executor, const DeviceInfo &device,
            const TrainStepOptions &options);
  ~TrainStep();

  /// Enqueues 0-based step `step` on `function`: inputs[k] and targets[k]
  /// hold micro-batch k's ids (the function's argument shape, row-major);
  /// a soft-round QAT function's third argument gets `softRoundAlpha`.
  /// Returns once the tokens are staged; the GPU runs on.
  void enqueue(const std::string &function, const std::vector<const int32_t *> &inputs,
               const std::vector<const int32_t *> &targets, int64_t step, double lrMult,
               bool emaNow, double softRoundAlpha = 0);
  /// Waits for every enqueued step; the stats of steps [first, last), which
  /// must be among the golf_mt::kStatsSlots step indices before the last
  /// one enqueued.
  std::vector<StepStats> stats(int64_t first, int64_t last);
  void synchronize();

  DeviceOptimizers &optimizers();
  /// The EMA shadow (fp32 values in F32 storage), or empty without EMA.
  cpu::ParamStore emaShadow() const;
  /// Sets the shadow: to `shadow` when given, else to the current weights.
  void startEma(const cpu::ParamStore *shadow = nullptr);
  /// Device memory this object holds (accumulators, state, staging).
  uint64_t memoryBytes() const;

private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

} // namespace golf::cuda

#endif // GOLF_RUNTIME_CUDA_TRAINSTEP_H
