//===- Gradients.h - global-norm clipping and accumulation ------*- C++ -*-===//
//
// clipGradNorm is torch.nn.utils.clip_grad_norm_: total = sqrt(sum of all
// squared gradient elements) over every tensor (accumulated in double, in
// the ParamStore's name order, so it is deterministic), coef =
// min(maxNorm / (total + 1e-6), 1), every gradient times coef. maxNorm <= 0
// only measures (the plan's grad_clip = 0 means off). Scaled gradients are
// new tensors (same dtype and storage) put into `grads`.
//
// GradAccumulator sums micro-batch gradients in double and hands back the
// sum or the mean in the first micro-batch's storage and dtype. (torch
// accumulates into .grad in the parameter's dtype, after scaling each
// micro-batch's loss by 1/k; summing in double is the exact version.)
//
//===----------------------------------------------------------------------===//
#ifndef GOLF_RUNTIME_TRAIN_GRADIENTS_H
#define GOLF_RUNTIME_TRAIN_GRADIENTS_H

#include "runtime/cpu/Executor.h"
#include "runtime/dist/SumAcrossRanks.h"

#include <optional>
#include <string>

namespace golf::train {

/// The global L2 norm of all gradients; nullopt with `error` for a
/// non-float or undefined tensor.
std::optional<double> gradNorm(const cpu::ParamStore &grads, std::string &error);

/// Clips in place (see header) and returns the norm before clipping. A
/// non-finite norm is returned as is, and the gradients are then left
/// unchanged (torch would multiply them by NaN); the caller decides.
std::optional<double> clipGradNorm(cpu::ParamStore &grads, double maxNorm, std::string &error);

class GradAccumulator {
public:
  /// Adds one micro-batch's gradients; the first call fixes the names and
  /// shapes, later calls must match them.
  bool add(const cpu::ParamStore &grads, std::string &error);
  int64_t count() const { return count_; }
  /// Every rank's sums and counts added up (a data-parallel step), so that
  /// mean() is over all ranks' micro-batches. Every rank must have added
  /// the same tensors.
  bool sumAcrossRanks(const dist::SumAcrossRanks &sum, std::string &error);
  /// The sum, or the sum / count(); empty before the first add().
  cpu::ParamStore sum() const;
  cpu::ParamStore mean() const;
  void clear();

private:
  cpu::ParamStore result(double divisor) const;
  struct Entry {
    plan::DType dtype; // of the result: the first micro-batch's
    cpu::Shape shape;
    cpu::Storage storage;
    std::vector<double> total;
  };
  std::map<std::string, Entry, std::less<>> entries_;
  int64_t count_ = 0;
};

} // namespace golf::train

#endif // GOLF_RUNTIME_TRAIN_GRADIENTS_H
