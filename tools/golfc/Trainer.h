//===- Trainer.h - what golfc train's loop runs on --------------*- C++ -*-===//
//
// The training loop (TrainCommand.cpp) is the same on every executor: it
// owns the data, the schedule, logging and checkpoints, and hands each
// step's micro-batches to a Trainer. CpuTrainer runs the CPU reference
// executor and its optimizers (exact, slow); GpuTrainer runs the CUDA
// executor with the whole step captured as a CUDA graph (cuda/TrainStep.h).
// A GPU step may still be running when step() returns: its loss and
// gradient norm arrive through stats(), which waits.
//
// In a data-parallel run (Ranks, Distributed.h), every rank has a Trainer: each step()
// gets that rank's micro-batches, and the trainers sum gradients and
// losses across the ranks (the CPU one through the HostGroup, the GPU one
// through NCCL), so every rank takes the same step with the same weights.
// evaluate() splits the windows across the ranks and returns the same
// result on all of them.
//
//===----------------------------------------------------------------------===//
#ifndef GOLF_TOOLS_GOLFC_TRAINER_H
#define GOLF_TOOLS_GOLFC_TRAINER_H

#include "Distributed.h"
#include "Evaluate.h"

#include "runtime/data/TokenStream.h"
#include "runtime/train/Averaging.h"
#include "runtime/train/State.h"

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace golf {

struct StepStats {
  double loss = 0;     // mean over the step's micro-batches
  double gradNorm = 0; // of the mean gradient, before clipping
};

/// A checkpoint's contents, or the run's state to write one.
struct TrainState {
  cpu::ParamStore params;
  train::StateBlob optimizer, averaging;
};

class Trainer {
public:
  virtual ~Trainer() = default;
  /// "CPU reference executor", or the GPU and how it runs.
  virtual std::string describe() const = 0;
  /// Sets the weights; with a checkpoint's state, also the optimizers and
  /// averaging (else they start fresh from `state.params`).
  virtual bool start(const TrainState &state, bool resumed, std::string &error) = 0;
  /// One optimizer step on `batches` (the step's micro-batches) with
  /// `function` (loss_grad, loss_qat_grad, ...), 0-based index `step`; a
  /// soft-round QAT function gets `softRoundAlpha` as its sharpness.
  virtual bool step(const std::string &function, const std::vector<data::Batch> &batches,
                    int64_t step, double lrMult, double softRoundAlpha, std::string &error) = 0;
  /// Loss and gradient norm of steps [first, last); waits for them.
  virtual std::optional<std::vector<StepStats>> stats(int64_t first, int64_t last,
                                                      std::string &error) = 0;
  virtual std::optional<TrainState> state(std::string &error) = 0;
  /// The weights the averaging exports (EMA, SWA or live) and their source.
  virtual std::optional<cpu::ParamStore> exportWeights(train::WeightsSource &source,
                                                       std::string &error) = 0;
  /// val_loss / val_bpb of `weights` (the live weights when null). On the
  /// GPU, evaluating other weights replaces the live ones: do it last.
  virtual std::optional<EvalResult> evaluate(const cpu::ParamStore *weights,
                                             const Validation &val, std::string &error) = 0;
  /// Device memory this run allocated, in GiB (0 on the CPU).
  virtual double deviceGiB() const { return 0; }
};

std::unique_ptr<Trainer> makeCpuTrainer(const plan::Plan &plan, const Ranks &ranks,
                                        std::string &error);

/// Runs `function` (loss_grad, loss_qat_grad, ...) on one micro-batch on
/// the CPU reference, a soft-round QAT function with sharpness
/// `softRoundAlpha`: the loss, and every parameter's gradient by name in
/// `grads`.
std::optional<double> lossAndGrads(cpu::Executor &ex, const std::string &function,
                                   const data::Batch &batch, const cpu::ParamStore &params,
                                   cpu::ParamStore &grads, std::string &error,
                                   double softRoundAlpha = 0);
// makeGpuTrainer: Gpu.h.

} // namespace golf

#endif // GOLF_TOOLS_GOLFC_TRAINER_H
