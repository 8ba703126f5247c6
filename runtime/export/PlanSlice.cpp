//===- PlanSlice.cpp - plan functions that return intermediates -----------===//
#include "runtime/export/PlanSlice.h"

#include <map>

namespace golf::exporter {

plan::Function sliceFunction(const plan::Function &base, const std::vector<int> &values,
                             std::string name) {
  plan::Function f;
  f.name = std::move(name);
  f.args = base.args;
  f.results = values;
  for (int v : values)
    f.resultNames.push_back("value:" + std::to_string(v));
  std::vector<bool> needed;
  auto mark = [&](int v) {
    if (size_t(v) >= needed.size())
      needed.resize(size_t(v) + 1, false);
    needed[size_t(v)] = true;
  };
  auto isNeeded = [&](int v) { return size_t(v) < needed.size() && needed[size_t(v)]; };
  for (int v : values)
    mark(v);
  std::vector<bool> keep(base.ops.size(), false);
  for (size_t i = base.ops.size(); i-- > 0;) {
    const plan::Op &op = base.ops[i];
    for (int r : op.results)
      keep[i] = keep[i] || isNeeded(r);
    if (keep[i])
      for (int v : op.operands)
        mark(v);
  }
  for (size_t i = 0; i < base.ops.size(); ++i)
    if (keep[i])
      f.ops.push_back(base.ops[i]);
  return f;
}

plan::Plan planWith(const plan::Plan &plan, plan::Function fn) {
  plan::Plan p;
  p.model = plan.model;
  p.params = plan.params;
  p.values = plan.values;
  p.functions.push_back(std::move(fn));
  p.train = plan.train;
  p.exportSettings = plan.exportSettings;
  p.eval = plan.eval;
  return p;
}

std::vector<LinearInput> linearInputs(const plan::Plan &plan, const plan::Function &fn) {
  std::map<int, const plan::Op *> producer;
  for (const plan::Op &op : fn.ops)
    for (int r : op.results)
      producer[r] = &op;
  auto paramOf = [&](int v) -> const plan::Param * {
    for (auto it = producer.find(v); it != producer.end(); it = producer.find(v)) {
      const plan::Op &op = *it->second;
      if (op.kind == "cast" && op.operands.size() == 1) {
        v = op.operands[0];
        continue;
      }
      if (op.kind != "param_ref")
        return nullptr;
      std::string name = op.attrs.value("name", "");
      if (!name.empty() && name[0] == '@')
        name.erase(0, 1);
      return plan.param(name);
    }
    return nullptr;
  };
  std::vector<LinearInput> out;
  for (const plan::Op &op : fn.ops) {
    if (op.kind != "matmul" || op.operands.size() != 2 || !op.attrs.value("transpose_rhs", false) ||
        op.attrs.value("transpose_lhs", false))
      continue;
    const plan::Param *p = paramOf(op.operands[1]);
    if (p && p->type.shape.size() == 2)
      out.push_back({p->name, op.operands[0]});
  }
  return out;
}

std::optional<int> logitsValue(const plan::Function &fn) {
  for (const plan::Op &op : fn.ops)
    if (op.kind == "cross_entropy" && !op.operands.empty())
      return op.operands[0];
  return std::nullopt;
}

} // namespace golf::exporter
