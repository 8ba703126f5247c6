//===- Optimizer.cpp - building and stepping a plan's optimizers ----------===//
#include "runtime/train/Optimizer.h"

#include "runtime/cpu/Blas.h"
#include "runtime/train/Elements.h"
#include "runtime/train/OptimizerImpl.h"

#include <cmath>
#include <cstring>
#include <map>
#include <set>

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
    fail("optimizer state has no " + what + " of '" + slot.name + "' for " + kind +
         "(group = " + group + ")");
  }
  expectShape(it->second, slot.type.shape, kind + " " + what + " of '" + slot.name + "'");
  // Own a copy: the blob's tensors may be shared with the caller.
  return copyOf(it->second);
}

struct Optimizers::Impl {
  std::vector<std::unique_ptr<Optimizer>> all;
  std::unique_ptr<cpu::ThreadPool> pool;

  std::string prefix(size_t i) const {
    return std::to_string(i) + "." + all[i]->kind + "." + all[i]->group + "/";
  }
};

Optimizers::Optimizers(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Optimizers::Optimizers(Optimizers &&) noexcept = default;
Optimizers &Optimizers::operator=(Optimizers &&) noexcept = default;
Optimizers::~Optimizers() = default;

std::optional<Optimizers> Optimizers::create(const plan::Plan &plan, std::string &error,
                                             int threads) {
  auto impl = std::make_unique<Impl>();
  bool ok = guard(error, [&] {
    auto list = plan.train.find("optimizers");
    if (list == plan.train.end() || !list->is_array() || list->empty())
      fail("train: no optimizers (train[\"optimizers\"] must be a non-empty list)");
    std::map<std::string, Optimizer *> byGroup;
    for (const plan::Json &d : *list) {
      std::string kind = jsonString(d, "kind", "train optimizer");
      std::string group = jsonString(d, "group", kind + "(...)");
      std::string what = kind + "(group = " + group + ")";
      std::unique_ptr<Optimizer> opt;
      if (kind == "muon")
        opt = makeMuon(d, what);
      else if (kind == "adam" || kind == "adamw")
        opt = makeAdam(d, what, kind == "adamw");
      else
        fail("train: unknown optimizer '" + kind + "' (optimizers: muon, adam, adamw)");
      opt->kind = kind;
      opt->group = group;
      if (!byGroup.emplace(group, opt.get()).second)
        fail("group '" + group + "' has two optimizers (" + byGroup[group]->kind + " and " +
             kind + ")");
      impl->all.push_back(std::move(opt));
    }
    for (const plan::Param &p : plan.params) {
      auto it = byGroup.find(p.group);
      if (it == byGroup.end())
        fail("no optimizer updates parameter group '" + p.group + "' (parameter '" + p.name +
             "')");
      if (!plan::isFloat(p.type.dtype))
        fail("parameter '" + p.name + "' is not a float tensor and cannot be optimized");
      Optimizer &o = *it->second;
      if (o.kind == "muon" && p.type.shape.size() < 2)
        fail(o.kind + "(group = " + o.group + ") updates matrices; parameter '" + p.name +
             "' has shape " + cpu::shapeString(p.type.shape));
      o.slots.push_back({p.name, p.type, p.wd.value_or(o.wd)});
    }
    for (const auto &o : impl->all)
      if (o->slots.empty())
        fail(o->kind + "(group = " + o->group + "): no parameter is in that group");
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
      for (const Slot &s : o->slots) {
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
    if (o->group == group)
      return o->momentumAt(step);
  return 0;
}

std::vector<OptimizerInfo> Optimizers::describe() const {
  std::vector<OptimizerInfo> out;
  for (const auto &o : impl_->all) {
    OptimizerInfo info{o->kind, o->group, o->lr, {}, o->steps};
    for (const Slot &s : o->slots)
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
    out.meta[prefix] = {{"kind", o.kind}, {"group", o.group}, {"steps", o.steps}};
    o.save(out, prefix);
  }
  return out;
}

bool Optimizers::loadState(const StateBlob &state, std::string &error) {
  return guard(error, [&] {
    std::set<std::string> known;
    for (size_t i = 0; i < impl_->all.size(); ++i) {
      std::string prefix = impl_->prefix(i);
      known.insert(prefix);
      const Optimizer &o = *impl_->all[i];
      if (!state.meta.is_object() || !state.meta.contains(prefix))
        fail("saved optimizer state has no " + o.kind + "(group = " + o.group +
             ") (the checkpoint's optimizers differ from this run's)");
    }
    for (const auto &[key, value] : state.meta.items())
      if (!known.count(key))
        fail("saved optimizer state has an optimizer this run lacks (" + key + ")");
    for (const auto &[name, tensor] : state.tensors) {
      size_t slash = name.find('/');
      if (slash == std::string::npos || !known.count(name.substr(0, slash + 1)))
        fail("saved optimizer state has an unknown tensor '" + name + "'");
    }
    std::vector<std::function<void()>> commits;
    std::vector<int64_t> steps;
    for (size_t i = 0; i < impl_->all.size(); ++i) {
      std::string prefix = impl_->prefix(i);
      int64_t n = jsonInt(state.meta.at(prefix), "steps", "saved optimizer state");
      if (n < 0)
        fail("saved optimizer state has a negative step count");
      commits.push_back(impl_->all[i]->prepareLoad(state, prefix, n));
      steps.push_back(n);
    }
    for (size_t i = 0; i < impl_->all.size(); ++i) {
      commits[i]();
      impl_->all[i]->steps = steps[i];
    }
  });
}

} // namespace golf::train
