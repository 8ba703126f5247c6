//===- Optimizer.h - the optimizers of a plan -------------------*- C++ -*-===//
//
// One optimizer per train["optimizers"] directive, each updating the
// parameters of its group (plan::Param::group); built once from the plan.
//
//   std::string err;
//   auto opt = train::Optimizers::create(plan, err);
//   ...                                       // forward/backward -> grads
//   train::StepContext ctx{step, schedule.lrMultiplier(step, elapsed)};
//   if (!opt->step(params, grads, ctx, err)) ...
//
// Effective lr of a group = its lr x ctx.lrMult. A parameter's own `wd`
// (plan::Param::wd) overrides its optimizer's wd. Updated parameters are new
// tensors put into `params` (handles the caller kept still see the old
// values); each keeps its storage and is rounded to its dtype (bf16 params
// stay bf16-representable). Optimizer state has the parameter's dtype, as
// torch's zeros_like(p) state does (so a bf16 parameter has bf16 moments).
//
// muon (Muon.cpp; pgolf-spec §3.4, §4.17), per matrix (rank-3+ parameters
// are banks: each trailing [rows, cols] matrix separately):
//   mu  = momentum, or warmupMomentum(momentum_warmup_start, momentum,
//         momentum_warmup_steps, ctx.step) when a warm-up start is given
//   buf = mu*buf + g;  u = g + mu*buf if nesterov else buf
//   u   = u with each row divided by max(||row||, 1e-7)   if row_normalize
//   O   = NewtonSchulz(u, ns_steps) * sqrt(max(1, rows/cols))
//   W   = W*(1 - lr*wd) - lr*O            (decoupled weight decay)
//   `parallel` (parameter banking over GPUs) changes nothing numerically
//   here. All matrices of the group are orthogonalized as one batch over
//   the threads. Torch rounds O to bf16 (NS runs in bf16 and the update
//   goes through a bf16 buffer); we keep fp32 (NewtonSchulz.h).
// adam / adamw (Adam.cpp), torch.optim.Adam / AdamW with t = steps taken:
//   adam: g += wd*W (L2);  adamw: W *= 1 - lr*wd (decoupled)
//   m = b1*m + (1-b1)*g;  v = b2*v + (1-b2)*g²
//   W -= lr/(1-b1^t) * m / (sqrt(v)/sqrt(1-b2^t) + eps)
//
// Deterministic: threads only split independent elements or independent
// matrices (Elements.h, NewtonSchulz.h); results do not depend on them.
// One step at a time: an Optimizers is not reentrant.
//
// Checked once against PyTorch 2.11 (the records' Muon class, and
// torch.optim.Adam/AdamW with foreach=False, float64): Adam/AdamW agree to
// the last bit or one ulp over 3 steps; Muon with its NS in fp32 agrees to
// 6e-8; the bf16 original differs by ~2e-3 after 3 steps at lr 0.04.
//
//===----------------------------------------------------------------------===//
#ifndef GOLF_RUNTIME_TRAIN_OPTIMIZER_H
#define GOLF_RUNTIME_TRAIN_OPTIMIZER_H

#include "runtime/cpu/Executor.h"
#include "runtime/train/State.h"

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace golf::train {

struct StepContext {
  /// 0-based index of the step being taken (Muon's momentum warm-up clock).
  int64_t step = 0;
  /// Schedule::lrMultiplier for this step.
  double lrMult = 1.0;
};

struct OptimizerInfo {
  std::string kind;  // muon, adam, adamw
  std::string group;
  double lr = 0;     // base lr (before the multiplier)
  std::vector<std::string> params;
  int64_t steps = 0; // steps taken
};

class Optimizers {
public:
  /// Reads plan.train["optimizers"]; every parameter's group must have
  /// exactly one optimizer and every optimizer at least one parameter.
  /// `threads` counts the caller (2: the caller and one worker).
  static std::optional<Optimizers> create(const plan::Plan &plan, std::string &error,
                                          int threads = 2);

  /// One step of every optimizer. `params` and `grads` must hold every
  /// optimized parameter with its plan shape (float tensors, either
  /// storage); they are checked before anything changes, so a false return
  /// from a bad input leaves params and state untouched.
  bool step(cpu::ParamStore &params, const cpu::ParamStore &grads, const StepContext &ctx,
            std::string &error);

  /// Muon's momentum at `step` for the optimizer of `group` (logging); 0 for
  /// other kinds or unknown groups.
  double momentumAt(const std::string &group, int64_t step) const;

  std::vector<OptimizerInfo> describe() const;

  /// Momenta, Adam moments and step counts, for checkpoints. Loading checks
  /// names and shapes against this set and replaces all of its state.
  StateBlob saveState() const;
  bool loadState(const StateBlob &state, std::string &error);

  Optimizers(Optimizers &&) noexcept;
  Optimizers &operator=(Optimizers &&) noexcept;
  ~Optimizers();

private:
  struct Impl;
  explicit Optimizers(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

} // namespace golf::train

#endif // GOLF_RUNTIME_TRAIN_OPTIMIZER_H
