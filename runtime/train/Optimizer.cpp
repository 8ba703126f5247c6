//===- Optimizer.cpp - building and stepping a plan's optimizers ----------===//
#include "runtime/train/Optimizer.h"

#include "runtime/cpu/Blas.h"
#include "runtime/train/Elements.h"
#include "runtime/train/OptimizerImpl.h"

#include <cmath>

namespace golf::train {

cpu::Tensor zeroState(const Slot &slot, Storage storage) {
  return Tensor::zeros(slot.type.dtype, slot.type.shape, storage);
}

cpu::Tensor inStorage(const cpu::Tensor &t, Storage storage) {
  return t.storage() == storage ? t : t.convertedTo(storage);
}

cpu::Tensor Optimizer::loadTensor(const StateBlob &in, const std::string &prefix,
                                  const std::string &what, const Slot &slot,
                                  int64_t steps) const {
  auto it = in.tensors.find(prefix + what + "/" + slot.name);
  if (it == in.tensors.end()) {
    if (steps == 0)
      return {};
    fail("optimizer state has no " + what + " of '" + slot.name + "' for " + spec.describe());
  }
  expectShape(it->second, slot.type.shape, spec.kind + " " + what + " of '" + slot.name + "'");
  // Own a copy: the blob's tensors may be shared with the caller.
  return copyOf(it->second);
}

struct Optimizers::Impl {
  std::vector<std::unique_ptr<Optimizer>> all;
  std::unique_ptr<cpu::ThreadPool> pool;

  std::string prefix(size_t i) const { return statePrefix(all[i]->spec, i); }
};

Optimizers::Optimizers(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Optimizers::Optimizers(Optimizers &&) noexcept = default;
Optimizers &Optimizers::operator=(Optimizers &&) noexcept = default;
Optimizers::~Optimizers() = default;

std::optional<Optimizers> Optimizers::create(const plan::Plan &plan, std::string &error,
                                             int threads) {
  auto impl = std::make_unique<Impl>();
  bool ok = guard(error, [&] {
    for (OptimizerSpec &spec : readOptimizerSpecs(plan))
      impl->all.push_back(spec.isMuon() ? makeMuon(spec) : makeAdam(spec));
    if (threads < 1)
      fail("optimizers need at least one thread");
    if (threads > 1)
      impl->pool = std::make_unique<cpu::ThreadPool>(threads);
    // Products run from both pool threads at once; OpenBLAS's own threads
    // would fight them (cpu/Blas.h).
    cpu::useSingleThreadedBlas();
  });
  if (!ok)
    return std::nullopt;
  return Optimizers(std::move(impl));
}

bool Optimizers::step(cpu::ParamStore &params, const cpu::ParamStore &grads,
                      const StepContext &ctx, std::string &error) {
  return guard(error, [&] {
    if (!std::isfinite(ctx.lrMult) || ctx.lrMult < 0)
      fail("LR multiplier must be finite and >= 0, got " + std::to_string(ctx.lrMult));
    if (ctx.step < 0)
      fail("step index must be >= 0");
    for (const auto &o : impl_->all)
      for (const Slot &s : o->spec.slots) {
        auto p = params.find(s.name);
        if (p == params.end())
          fail("parameter '" + s.name + "' is missing from the parameters");
        expectShape(p->second, s.type.shape, "parameter '" + s.name + "'");
        auto g = grads.find(s.name);
        if (g == grads.end())
          fail("no gradient for parameter '" + s.name + "'");
        expectShape(g->second, s.type.shape, "gradient of '" + s.name + "'");
      }
    for (const auto &o : impl_->all) {
      o->step(params, grads, ctx, impl_->pool.get());
      ++o->steps;
    }
  });
}

double Optimizers::momentumAt(const std::string &group, int64_t step) const {
  for (const auto &o : impl_->all)
    if (o->spec.group == group)
      return o->spec.momentumAt(step);
  return 0;
}

std::vector<OptimizerInfo> Optimizers::describe() const {
  std::vector<OptimizerInfo> out;
  for (const auto &o : impl_->all) {
    OptimizerInfo info{o->spec.kind, o->spec.group, o->spec.lr, {}, o->steps};
    for (const Slot &s : o->spec.slots)
      info.params.push_back(s.name);
    out.push_back(std::move(info));
  }
  return out;
}

StateBlob Optimizers::saveState() const {
  StateBlob out;
  for (size_t i = 0; i < impl_->all.size(); ++i) {
    const Optimizer &o = *impl_->all[i];
    std::string prefix = impl_->prefix(i);
    out.meta[prefix] = {{"kind", o.spec.kind}, {"group", o.spec.group}, {"steps", o.steps}};
    o.save(out, prefix);
  }
  return out;
}

bool Optimizers::loadState(const StateBlob &state, std::string &error) {
  return guard(error, [&] {
    std::vector<OptimizerSpec> specs;
    for (const auto &o : impl_->all)
      specs.push_back(o->spec);
    std::vector<int64_t> steps = savedSteps(specs, state);
    std::vector<std::function<void()>> commits;
    for (size_t i = 0; i < impl_->all.size(); ++i)
      commits.push_back(impl_->all[i]->prepareLoad(state, impl_->prefix(i), steps[i]));
    for (size_t i = 0; i < impl_->all.size(); ++i) {
      commits[i]();
      impl_->all[i]->steps = steps[i];
    }
  });
}

} // namespace golf::train
