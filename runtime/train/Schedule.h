//===- Schedule.h - what the training clock decides -------------*- C++ -*-===//
//
// Everything that is a function of (step, elapsed training time, LR
// multiplier): the LR multiplier from train["schedules"], the stop rule,
// Muon's momentum warm-up, and the late-phase switches keyed on the LR
// multiplier (late QAT, soft-round sharpness, CROWN-Q).
//
// Conventions (the baseline's training loop, pgolf-spec §3.5):
//   `step` is the 0-based index of the step about to be taken; `elapsed` is
//   the training time in seconds before that step (validation and the
//   priming warm-up excluded). The multiplier of every schedule directive is
//   multiplied together and applies to every optimizer group's lr.
//   warmup(steps)      mult = min((step + 1) / steps, 1): step 0 already
//                      moves (modded-nanogpt's rule; a step at lr 0 is waste).
//   warmdown(steps, by = iterations)
//                      mult = (iterations - step) / steps for step in
//                      [iterations - steps, iterations), else 1 (0 from
//                      `iterations` on): reaches 0 at step `iterations`.
//   warmdown(steps, by = wallclock)
//                      s = elapsed / max(step, 1), W = steps * s,
//                      R = max(wallclock - elapsed, 0): mult = R / W if
//                      R <= W else 1. Falls back to the iterations rule when
//                      wallclock is 0 (no cap), as the baseline does.
//   stop: after `stepsDone` steps, stop when stepsDone >= iterations or
//         (wallclock > 0 and elapsed >= wallclock).
//
//===----------------------------------------------------------------------===//
#ifndef GOLF_RUNTIME_TRAIN_SCHEDULE_H
#define GOLF_RUNTIME_TRAIN_SCHEDULE_H

#include "runtime/plan/Plan.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace golf::train {

/// Muon's momentum warm-up: (1 - f)*start + f*end, f = min(step / steps, 1);
/// `end` when steps <= 0.
double warmupMomentum(double start, double end, int64_t steps, int64_t step);

class Schedule {
public:
  /// Reads train["schedules"], "iterations", "wallclock", "qat", "crown_q".
  static std::optional<Schedule> create(const plan::Json &train, std::string &error);

  double lrMultiplier(int64_t step, double elapsedSeconds) const;
  bool shouldStop(int64_t stepsDone, double elapsedSeconds) const;

  int64_t iterations() const { return iterations_; }
  double wallclock() const { return wallclock_; }

  /// Late QAT (train["qat"], pgolf-spec §4.19): fake quantization is on for
  /// a step whose LR multiplier is below below_lr_scale; a threshold >= 1
  /// means from step 0 (the frontend's default 1.0: QAT throughout, as the
  /// 03-19 records did). Off when there is no qat directive.
  bool qatEnabled() const { return qat_.has_value(); }
  bool qatActive(double lrMult) const;
  /// Soft-round sharpness: alpha_start when QAT switches on, linear in the
  /// LR multiplier to alpha_end as it reaches 0:
  /// alpha_start + (alpha_end - alpha_start) * clamp(1 - mult / threshold, 0, 1).
  double softRoundAlpha(double lrMult) const;
  /// CROWN-Q's penalty is on always, or during warmdown (multiplier < 1).
  bool crownQActive(double lrMult) const;

private:
  struct Directive {
    enum Kind { Warmup, WarmdownIterations, WarmdownWallclock } kind;
    int64_t steps;
  };
  struct Qat {
    double below, alphaStart, alphaEnd;
  };
  struct CrownQ {
    bool always;
  };
  std::vector<Directive> directives_;
  int64_t iterations_ = 20000;
  double wallclock_ = 600;
  std::optional<Qat> qat_;
  std::optional<CrownQ> crownQ_;
};

} // namespace golf::train

#endif // GOLF_RUNTIME_TRAIN_SCHEDULE_H
