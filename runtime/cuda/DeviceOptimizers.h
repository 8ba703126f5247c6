//===- DeviceOptimizers.h - the plan's optimizers on the GPU ----*- C++ -*-===//
//
// Muon, Adam and AdamW with their state in device memory, stepping the
// executor's parameters in place from fp32 gradient accumulators. The math
// is runtime/train/Optimizer.h's (the CPU optimizers are the oracle);
// settings come from the same OptimizerSpecs, and saveState/loadState use
// train::Optimizers' names, so a checkpoint moves between CPU and GPU.
//
// Adam is one multi-tensor launch per step for all its tensors. Muon is
// three multi-tensor launches (momentum, normalize, update) around the
// Newton-Schulz iteration, which runs as batched cuBLASLt products, one
// batch per matrix shape (all 18 [512, 512] matrices of the baseline in one
// call). Tall matrices are not transposed: their iteration uses XᵀX and
// X·B, the same map. The iteration's operands are bf16 with fp32
// accumulation when `bf16NewtonSchulz` (as the record trainers run it under
// autocast), else exact fp32 like the CPU reference.
//
// In a data-parallel run (`comm` given), the ranks split each shape's
// matrices (Parallel Muon, pgolf-spec §4.17): rank r iterates its
// contiguous share of the batch (padded with zero matrices to a multiple
// of the ranks), and one NCCL all-gather per shape hands every rank all the
// orthogonalized updates; everything else is replicated, on the same
// all-reduced gradients, so the ranks' weights stay identical.
//
// Everything enqueued is capturable into a CUDA graph once each product
// shape has run once (Gemm tunes on first use).
//
//===----------------------------------------------------------------------===//
#ifndef GOLF_RUNTIME_CUDA_DEVICEOPTIMIZERS_H
#define GOLF_RUNTIME_CUDA_DEVICEOPTIMIZERS_H

#include "runtime/cuda/Gemm.h"
#include "runtime/cuda/MultiTensor.h"
#include "runtime/cuda/Nccl.h"
#include "runtime/train/OptimizerSpec.h"
#include "runtime/train/State.h"

#include <map>
#include <memory>

namespace golf::cuda {

/// Whether the plan's Newton-Schulz runs in bf16: under `autocast = bf16`,
/// as the record trainers run it.
bool bf16NewtonSchulz(const plan::Plan &plan);

class DeviceOptimizers {
public:
  /// `params` and `gradients` (fp32) are the device buffers of every
  /// parameter of the plan, by name. Throws std::runtime_error (or
  /// train::TrainError) with one line.
  DeviceOptimizers(const plan::Plan &plan, const std::map<std::string, void *> &params,
                   const std::map<std::string, float *> &gradients, bool bf16NewtonSchulz,
                   NcclComm *comm = nullptr);
  ~DeviceOptimizers();

  /// This step's learning rates, bias corrections and momenta into
  /// scalars.opt, for 0-based step index `step` and the schedule's
  /// multiplier; then counts the step as taken.
  void beginStep(golf_mt::StepScalars &scalars, int64_t step, double lrMult);
  /// Enqueues every optimizer's update on `stream`.
  void enqueue(const TrainKernels &kernels, cudaStream_t stream,
               const golf_mt::StepScalars *scalars, const golf_mt::GradScale *scale);

  /// train::Optimizers' state names and meta; downloads (synchronizes).
  train::StateBlob saveState() const;
  /// Checks everything against this run's optimizers, then uploads.
  void loadState(const train::StateBlob &state);

  const std::vector<train::OptimizerSpec> &specs() const { return specs_; }
  uint64_t stateBytes() const;

private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::vector<train::OptimizerSpec> specs_;
};

} // namespace golf::cuda

#endif // GOLF_RUNTIME_CUDA_DEVICEOPTIMIZERS_H
