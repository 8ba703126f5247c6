//===- OptimizerImpl.h - one optimizer (internal) ---------------*- C++ -*-===//
//
// The interface Muon.cpp and Adam.cpp implement. Methods throw TrainError;
// Optimizers (Optimizer.cpp) validates inputs first and catches.
//
//===----------------------------------------------------------------------===//
#ifndef GOLF_RUNTIME_TRAIN_OPTIMIZERIMPL_H
#define GOLF_RUNTIME_TRAIN_OPTIMIZERIMPL_H

#include "runtime/cpu/ThreadPool.h"
#include "runtime/train/Optimizer.h"
#include "runtime/train/OptimizerSpec.h"

#include <functional>

namespace golf::train {

class Optimizer {
public:
  virtual ~Optimizer() = default;
  /// Updates every slot; params and grads were validated by the caller.
  virtual void step(cpu::ParamStore &params, const cpu::ParamStore &grads,
                    const StepContext &ctx, cpu::ThreadPool *pool) = 0;
  /// State tensors are named prefix + "<what>/<param>"; scalars go to meta.
  virtual void save(StateBlob &out, const std::string &prefix) const = 0;
  /// Reads and checks this optimizer's state from `in` (saved after `steps`
  /// steps) and returns what installs it; the returned function does not
  /// throw, so a set of optimizers loads all or nothing.
  virtual std::function<void()> prepareLoad(const StateBlob &in, const std::string &prefix,
                                            int64_t steps) = 0;
  OptimizerSpec spec;
  int64_t steps = 0;

protected:
  /// A copy of the state tensor prefix + what + "/" + slot from `in`,
  /// checked against the slot's shape; undefined when absent and `steps` is
  /// 0 (state is created at the first step).
  cpu::Tensor loadTensor(const StateBlob &in, const std::string &prefix, const std::string &what,
                         const Slot &slot, int64_t steps) const;
};

/// The optimizer of `spec` (kind muon, or adam/adamw), with no state yet.
std::unique_ptr<Optimizer> makeMuon(const OptimizerSpec &spec);
std::unique_ptr<Optimizer> makeAdam(const OptimizerSpec &spec);

/// A state tensor of `slot`'s dtype and shape in `storage`, zeros.
cpu::Tensor zeroState(const Slot &slot, cpu::Storage storage);
/// `t` in `storage` (a copy when it differs), so state follows the params.
cpu::Tensor inStorage(const cpu::Tensor &t, cpu::Storage storage);

} // namespace golf::train

#endif // GOLF_RUNTIME_TRAIN_OPTIMIZERIMPL_H
