//===- OptimizerSpec.h - the optimizers a plan asks for ---------*- C++ -*-===//
//
// One OptimizerSpec per train["optimizers"] directive, with the parameters
// of its group as slots: the settings both the CPU optimizers (Optimizer.h)
// and the GPU ones (runtime/cuda/DeviceOptimizers.h) run from, read and
// checked in one place. The math of each kind is in Optimizer.h.
//
//===----------------------------------------------------------------------===//
#ifndef GOLF_RUNTIME_TRAIN_OPTIMIZERSPEC_H
#define GOLF_RUNTIME_TRAIN_OPTIMIZERSPEC_H

#include "runtime/plan/Plan.h"
#include "runtime/train/State.h"

#include <optional>
#include <string>
#include <vector>

namespace golf::train {

/// A parameter an optimizer updates.
struct Slot {
  std::string name;
  plan::TensorType type;
  double wd = 0; // the parameter's own wd, else its optimizer's
};

struct OptimizerSpec {
  std::string kind; // muon, adam, adamw
  std::string group;
  double lr = 0;
  double wd = 0; // default for slots whose parameter has no wd of its own
  std::vector<Slot> slots;

  // muon
  double momentum = 0.95;
  std::optional<double> warmupStart;
  int64_t warmupSteps = 0;
  bool nesterov = true;
  int nsSteps = 5;
  bool rowNormalize = false;

  // adam, adamw
  double beta1 = 0.9, beta2 = 0.95, eps = 1e-8;

  bool isMuon() const { return kind == "muon"; }
  bool decoupled() const { return kind == "adamw"; }
  /// Muon's momentum at 0-based `step` (with its warm-up); 0 for Adam.
  double momentumAt(int64_t step) const;
  /// "muon(group = matrix)" for messages.
  std::string describe() const;
};

/// Reads plan.train["optimizers"]: every parameter's group must have exactly
/// one optimizer, every optimizer at least one parameter, Muon only
/// matrices (rank >= 2; rank-3+ parameters are banks of matrices). Throws
/// TrainError with a one-line reason.
std::vector<OptimizerSpec> readOptimizerSpecs(const plan::Plan &plan);

/// The name prefix of the index-th optimizer's state in a StateBlob,
/// "<index>.<kind>.<group>/", shared by CPU and GPU so that checkpoints move
/// between them.
std::string statePrefix(const OptimizerSpec &spec, size_t index);

/// Checks that a saved optimizer state (a checkpoint's) belongs to `specs`:
/// every optimizer's entry is there, no other optimizer's, no tensor outside
/// their prefixes, no negative step count. Returns each optimizer's steps;
/// throws TrainError with one line. The CPU and GPU optimizers' loadState.
std::vector<int64_t> savedSteps(const std::vector<OptimizerSpec> &specs, const StateBlob &state);

/// [rows, cols] of each matrix of a Muon slot (its two trailing dims).
std::pair<int64_t, int64_t> matrixDims(const Slot &slot);

} // namespace golf::train

#endif // GOLF_RUNTIME_TRAIN_OPTIMIZERSPEC_H
