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

#include <functional>

namespace golf::train {

/// A parameter an optimizer updates.
struct Slot {
  std::string name;
  plan::TensorType type;
  double wd = 0; // the parameter's own wd, else its optimizer's
};

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
  virtual double momentumAt(int64_t /*step*/) const { return 0; }

  std::string kind, group;
  double lr = 0;
  double wd = 0; // default for slots whose parameter has no wd of its own
  std::vector<Slot> slots;
  int64_t steps = 0;

protected:
  /// A copy of the state tensor prefix + what + "/" + slot from `in`,
  /// checked against the slot's shape; undefined when absent and `steps` is
  /// 0 (state is created at the first step).
  cpu::Tensor loadTensor(const StateBlob &in, const std::string &prefix, const std::string &what,
                         const Slot &slot, int64_t steps) const;
};

/// The optimizer a settings object describes ("what" names it in messages),
/// without slots: the caller adds them, resolving each slot's wd from the
/// parameter's own wd or the optimizer's `wd`.
std::unique_ptr<Optimizer> makeMuon(const plan::Json &settings, const std::string &what);
std::unique_ptr<Optimizer> makeAdam(const plan::Json &settings, const std::string &what,
                                    bool decoupled);

/// A state tensor of `slot`'s dtype and shape in `storage`, zeros.
cpu::Tensor zeroState(const Slot &slot, cpu::Storage storage);
/// `t` in `storage` (a copy when it differs), so state follows the params.
cpu::Tensor inStorage(const cpu::Tensor &t, cpu::Storage storage);

} // namespace golf::train

#endif // GOLF_RUNTIME_TRAIN_OPTIMIZERIMPL_H
