//===- Schedule.cpp - LR multiplier, stop rule, late-phase switches -------===//
#include "runtime/train/Schedule.h"

#include "runtime/train/Error.h"

#include <algorithm>

namespace golf::train {

double warmupMomentum(double start, double end, int64_t steps, int64_t step) {
  if (steps <= 0)
    return end;
  double f = std::min(double(std::max<int64_t>(step, 0)) / double(steps), 1.0);
  return (1 - f) * start + f * end;
}

std::optional<Schedule> Schedule::create(const plan::Json &train, std::string &error) {
  Schedule s;
  bool ok = guard(error, [&] {
    s.iterations_ = jsonIntOr(train, "iterations", 20000, "train");
    s.wallclock_ = jsonNumberOr(train, "wallclock", 600, "train");
    if (s.iterations_ < 0 || s.wallclock_ < 0)
      fail("train: iterations and wallclock must be >= 0");
    auto list = train.find("schedules");
    if (list != train.end() && !list->is_null()) {
      if (!list->is_array())
        fail("train: 'schedules' must be a list");
      for (const plan::Json &d : *list) {
        std::string kind = jsonString(d, "kind", "train schedule");
        std::string what = kind + "(...)";
        int64_t steps = jsonInt(d, "steps", what);
        if (steps < 0)
          fail(what + ": steps must be >= 0, got " + std::to_string(steps));
        if (kind == "warmup") {
          s.directives_.push_back({Directive::Warmup, steps});
        } else if (kind == "warmdown") {
          std::string by = jsonStringOr(d, "by", "iterations", what);
          if (by != "iterations" && by != "wallclock")
            fail(what + ": 'by' must be iterations or wallclock, got '" + by + "'");
          s.directives_.push_back(
              {by == "wallclock" ? Directive::WarmdownWallclock : Directive::WarmdownIterations,
               steps});
        } else {
          fail("train: unknown schedule '" + kind + "' (schedules: warmup, warmdown)");
        }
      }
    }
    auto qat = train.find("qat");
    if (qat != train.end() && !qat->is_null()) {
      Qat q;
      q.below = jsonNumberOr(*qat, "below_lr_scale", 1.0, "qat(...)");
      q.alphaStart = jsonNumberOr(*qat, "alpha_start", 1.0, "qat(...)");
      q.alphaEnd = jsonNumberOr(*qat, "alpha_end", 16.0, "qat(...)");
      s.qat_ = q;
    }
    auto crown = train.find("crown_q");
    if (crown != train.end() && !crown->is_null()) {
      std::string during = jsonStringOr(*crown, "during", "warmdown", "crown_q(...)");
      if (during != "warmdown" && during != "always")
        fail("crown_q(...): 'during' must be warmdown or always, got '" + during + "'");
      s.crownQ_ = CrownQ{during == "always"};
    }
  });
  if (!ok)
    return std::nullopt;
  return s;
}

double Schedule::lrMultiplier(int64_t step, double elapsed) const {
  double mult = 1.0;
  for (const Directive &d : directives_) {
    if (d.steps == 0)
      continue; // a zero-length ramp is no ramp (the baseline's warmdown_iters <= 0)
    if (d.kind == Directive::Warmup) {
      mult *= std::min(double(step + 1) / double(d.steps), 1.0);
    } else if (d.kind == Directive::WarmdownWallclock && wallclock_ > 0) {
      double stepTime = elapsed / double(std::max<int64_t>(step, 1));
      double window = double(d.steps) * stepTime;
      double remaining = std::max(wallclock_ - elapsed, 0.0);
      if (remaining <= window)
        mult *= remaining / std::max(window, 1e-12);
    } else {
      int64_t start = std::max<int64_t>(iterations_ - d.steps, 0);
      if (step >= iterations_)
        mult = 0.0;
      else if (step >= start)
        mult *= double(iterations_ - step) / double(d.steps);
    }
  }
  return mult;
}

bool Schedule::shouldStop(int64_t stepsDone, double elapsed) const {
  return stepsDone >= iterations_ || (wallclock_ > 0 && elapsed >= wallclock_);
}

bool Schedule::qatActive(double lrMult) const {
  if (!qat_)
    return false;
  return qat_->below >= 1.0 || lrMult < qat_->below;
}

double Schedule::softRoundAlpha(double lrMult) const {
  if (!qat_)
    return 0.0;
  double below = std::min(qat_->below, 1.0);
  double progress = below > 0 ? std::clamp(1.0 - lrMult / below, 0.0, 1.0) : 0.0;
  return qat_->alphaStart + (qat_->alphaEnd - qat_->alphaStart) * progress;
}

bool Schedule::crownQActive(double lrMult) const {
  if (!crownQ_)
    return false;
  return crownQ_->always || lrMult < 1.0;
}

} // namespace golf::train
