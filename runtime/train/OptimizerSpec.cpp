//===- OptimizerSpec.cpp - reading a plan's optimizer directives ----------===//
#include "runtime/train/OptimizerSpec.h"
#include "runtime/cpu/Tensor.h"
#include "runtime/train/Error.h"
#include "runtime/train/Schedule.h"

#include <map>
#include <set>

namespace golf::train {
namespace {

OptimizerSpec readOne(const plan::Json &d) {
  OptimizerSpec s;
  s.kind = jsonString(d, "kind", "train optimizer");
  s.group = jsonString(d, "group", s.kind + "(...)");
  const std::string what = s.describe();
  if (s.kind != "muon" && s.kind != "adam" && s.kind != "adamw")
    fail("train: unknown optimizer '" + s.kind + "' (optimizers: muon, adam, adamw)");
  s.lr = jsonNumber(d, "lr", what);
  if (s.isMuon()) {
    s.momentum = jsonNumberOr(d, "momentum", 0.95, what);
    if (d.contains("momentum_warmup_start") && !d["momentum_warmup_start"].is_null())
      s.warmupStart = jsonNumber(d, "momentum_warmup_start", what);
    s.warmupSteps = jsonIntOr(d, "momentum_warmup_steps", 0, what);
    s.nesterov = jsonBoolOr(d, "nesterov", true, what);
    int64_t ns = jsonIntOr(d, "ns_steps", 5, what);
    if (ns < 0 || ns > 100)
      fail(what + ": ns_steps must be in 0..100, got " + std::to_string(ns));
    s.nsSteps = int(ns);
    s.wd = jsonNumberOr(d, "wd", 0.0, what);
    s.rowNormalize = jsonBoolOr(d, "row_normalize", false, what);
    jsonBoolOr(d, "parallel", false, what); // banking across GPUs: no numeric effect
    return s;
  }
  if (d.contains("betas") && !d["betas"].is_null()) {
    const plan::Json &b = d["betas"];
    if (!b.is_array() || b.size() != 2 || !b[0].is_number() || !b[1].is_number())
      fail(what + ": 'betas' must be a pair of numbers, got " + b.dump());
    s.beta1 = b[0].get<double>();
    s.beta2 = b[1].get<double>();
  }
  if (!(s.beta1 >= 0 && s.beta1 < 1 && s.beta2 >= 0 && s.beta2 < 1))
    fail(what + ": betas must be in [0, 1)");
  s.eps = jsonNumberOr(d, "eps", 1e-8, what);
  // Settings.cpp's defaults: adam 0 (L2), adamw 0.01 (decoupled).
  s.wd = jsonNumberOr(d, "wd", s.decoupled() ? 0.01 : 0.0, what);
  return s;
}

} // namespace

double OptimizerSpec::momentumAt(int64_t step) const {
  if (!isMuon())
    return 0;
  return warmupStart ? warmupMomentum(*warmupStart, momentum, warmupSteps, step) : momentum;
}

std::string OptimizerSpec::describe() const { return kind + "(group = " + group + ")"; }

std::vector<OptimizerSpec> readOptimizerSpecs(const plan::Plan &plan) {
  auto list = plan.train.find("optimizers");
  if (list == plan.train.end() || !list->is_array() || list->empty())
    fail("train: no optimizers (train[\"optimizers\"] must be a non-empty list)");
  std::vector<OptimizerSpec> specs;
  std::map<std::string, size_t> byGroup;
  for (const plan::Json &d : *list) {
    OptimizerSpec s = readOne(d);
    auto [it, fresh] = byGroup.emplace(s.group, specs.size());
    if (!fresh)
      fail("group '" + s.group + "' has two optimizers (" + specs[it->second].kind + " and " +
           s.kind + ")");
    specs.push_back(std::move(s));
  }
  for (const plan::Param &p : plan.params) {
    auto it = byGroup.find(p.group);
    if (it == byGroup.end())
      fail("no optimizer updates parameter group '" + p.group + "' (parameter '" + p.name +
           "')");
    if (!plan::isFloat(p.type.dtype))
      fail("parameter '" + p.name + "' is not a float tensor and cannot be optimized");
    OptimizerSpec &o = specs[it->second];
    if (o.isMuon() && p.type.shape.size() < 2)
      fail(o.describe() + " updates matrices; parameter '" + p.name + "' has shape " +
           cpu::shapeString(p.type.shape));
    o.slots.push_back({p.name, p.type, p.wd.value_or(o.wd)});
  }
  for (const OptimizerSpec &o : specs)
    if (o.slots.empty())
      fail(o.describe() + ": no parameter is in that group");
  return specs;
}

std::string statePrefix(const OptimizerSpec &spec, size_t index) {
  return std::to_string(index) + "." + spec.kind + "." + spec.group + "/";
}

std::vector<int64_t> savedSteps(const std::vector<OptimizerSpec> &specs, const StateBlob &state) {
  std::set<std::string> known;
  for (size_t i = 0; i < specs.size(); ++i) {
    std::string prefix = statePrefix(specs[i], i);
    known.insert(prefix);
    if (!state.meta.is_object() || !state.meta.contains(prefix))
      fail("saved optimizer state has no " + specs[i].describe() +
           " (the checkpoint's optimizers differ from this run's)");
  }
  for (const auto &[key, value] : state.meta.items())
    if (!known.count(key))
      fail("saved optimizer state has an optimizer this run lacks (" + key + ")");
  for (const auto &[name, tensor] : state.tensors) {
    size_t slash = name.find('/');
    if (slash == std::string::npos || !known.count(name.substr(0, slash + 1)))
      fail("saved optimizer state has an unknown tensor '" + name + "'");
  }
  std::vector<int64_t> steps;
  for (size_t i = 0; i < specs.size(); ++i) {
    int64_t n = jsonInt(state.meta.at(statePrefix(specs[i], i)), "steps", "saved optimizer state");
    if (n < 0)
      fail("saved optimizer state has a negative step count");
    steps.push_back(n);
  }
  return steps;
}

std::pair<int64_t, int64_t> matrixDims(const Slot &slot) {
  const std::vector<int64_t> &shape = slot.type.shape;
  return {shape[shape.size() - 2], shape.back()};
}

} // namespace golf::train
