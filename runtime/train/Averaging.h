//===- Averaging.h - EMA and SWA of the weights -----------------*- C++ -*-===//
//
// From train["averaging"] (pgolf-spec §4.18):
//   ema(decay, every): an fp32 shadow of every parameter (double in double
//     storage), starting from the weights given to start(); after each step
//     whose count of completed steps is a multiple of `every`:
//     shadow = decay*shadow + (1 - decay)*weights (the decay is per update,
//     not per step).
//   swa(every, below_lr_scale, apply): after a step that used an LR
//     multiplier < below_lr_scale and whose completed-step count is a
//     multiple of `every`, add the weights to a running sum (double); the
//     average is sum / snapshots.
//
// Which weights are exported (exportSource / exportWeights):
//   1. the EMA shadow, if there is an ema directive;
//   2. else the SWA average, if there is a swa directive with apply = true
//      and at least one snapshot was taken;
//   3. else the live weights.
// So with both ema and swa(apply = true) the EMA wins, as in the records
// that have both (their SWA buffer is never applied); swa(apply = false)
// only keeps the average for inspection. A 50/50 blend (PR #693) is not
// expressible. A live export returns the live handles; EMA and SWA exports
// are new tensors in each live tensor's storage, rounded to its dtype (a
// bf16 parameter gets its average rounded to bf16, as load_state_dict into
// a bf16 module does).
//
// Call order per run: start(params) once training begins (again after the
// priming warm-up is undone), afterStep(params, stepsDone, lrMult) after
// every optimizer step.
//
//===----------------------------------------------------------------------===//
#ifndef GOLF_RUNTIME_TRAIN_AVERAGING_H
#define GOLF_RUNTIME_TRAIN_AVERAGING_H

#include "runtime/cpu/Executor.h"
#include "runtime/train/State.h"

#include <optional>
#include <string>

namespace golf::train {

enum class WeightsSource { Live, Ema, Swa };
const char *weightsSourceName(WeightsSource source); // "live", "ema", "swa"

class Averaging {
public:
  /// Reads train["averaging"]; no directive is fine (exports the live weights).
  static std::optional<Averaging> create(const plan::Json &train, std::string &error);

  bool hasEma() const { return ema_.has_value(); }
  bool hasSwa() const { return swa_.has_value(); }
  /// The EMA's decay per update (when hasEma()).
  double emaDecay() const { return ema_ ? ema_->decay : 0.0; }
  /// Whether afterStep(stepsDone, lrMult) updates the EMA / takes a SWA
  /// snapshot (a GPU trainer updates its own EMA and downloads the weights
  /// only for snapshots).
  bool emaDue(int64_t stepsDone) const;
  bool swaDue(int64_t stepsDone, double lrMult) const;
  /// This averaging without its EMA directive (the GPU trainer keeps the
  /// EMA on the device and the SWA sums here).
  Averaging withoutEma() const;

  /// (Re)starts: the EMA shadow becomes a copy of `params`, SWA is emptied.
  bool start(const cpu::ParamStore &params, std::string &error);
  /// After a step: `stepsDone` steps are complete (the step index + 1);
  /// `lrMult` is the multiplier that step used.
  bool afterStep(const cpu::ParamStore &params, int64_t stepsDone, double lrMult,
                 std::string &error);

  WeightsSource exportSource() const;
  /// The weights to export (see header), for every parameter of `live`.
  std::optional<cpu::ParamStore> exportWeights(const cpu::ParamStore &live,
                                               std::string &error) const;

  /// The EMA shadow (empty before start() or without ema).
  const cpu::ParamStore &emaShadow() const { return shadow_; }
  /// Snapshots taken so far, and their average in `live`'s dtypes/storages.
  int64_t swaCount() const { return swaCount_; }
  std::optional<cpu::ParamStore> swaAverage(const cpu::ParamStore &live,
                                            std::string &error) const;

  /// EMA shadow, SWA sums and counts, for checkpoints.
  StateBlob saveState() const;
  bool loadState(const StateBlob &state, std::string &error);

private:
  struct Ema {
    double decay;
    int64_t every;
  };
  struct Swa {
    int64_t every;
    double below;
    bool apply;
  };
  std::optional<Ema> ema_;
  std::optional<Swa> swa_;
  bool started_ = false;
  cpu::ParamStore shadow_;  // EMA, F32 dtype
  cpu::ParamStore swaSum_;  // F64 dtype and storage
  int64_t swaCount_ = 0;
};

} // namespace golf::train

#endif // GOLF_RUNTIME_TRAIN_AVERAGING_H
