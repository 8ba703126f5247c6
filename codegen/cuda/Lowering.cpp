//===- Lowering.cpp - a plan function to GPU steps -------------------------===//
#include "codegen/cuda/Lowering.h"

#include <algorithm>
#include <stdexcept>

namespace golf::cudagen {

std::string opLabel(const plan::Function &f, const plan::Op &op) {
  return "op #" + std::to_string(&op - f.ops.data()) + " " + op.kind;
}

Lowering::Lowering(const plan::Plan &plan, const plan::Function &f, const LowerOptions &options)
    : f_(f), options_(options), values_(plan.values), fusion_(planFusion(plan, f)) {}

int Lowering::addTemporary(plan::TensorType type) {
  values_.push_back(std::move(type));
  fusion_.materialized.push_back(true);
  fusion_.producer.push_back(-1);
  fusion_.uses.push_back(1);
  fusion_.epilogueEnd.push_back(-1);
  fusion_.epilogueOf.push_back(-1);
  fusion_.epilogueRow.push_back(false);
  fusion_.writtenByNorm.push_back(-1);
  return int(values_.size() - 1);
}

std::vector<std::pair<int, std::string>> Lowering::params() const {
  std::vector<std::pair<int, std::string>> out;
  for (const plan::Op &op : f_.ops)
    if (op.kind == "param_ref") {
      std::string name = op.attrs.at("name").get<std::string>();
      out.emplace_back(op.results[0], name[0] == '@' ? name.substr(1) : name);
    }
  return out;
}

FunctionProgram Lowering::take(std::vector<Step> steps) {
  FunctionProgram p;
  p.function = f_.name;
  p.values = values_;
  p.materialized = fusion_.materialized;
  p.params = params();
  p.steps = std::move(steps);
  return p;
}

RowLoop openRows(KernelBuilder &b, const std::vector<int64_t> &shape) {
  std::vector<int64_t> lead(shape.begin(), shape.end() - 1);
  int64_t rows = 1;
  for (int64_t d : lead)
    rows *= d;
  b.line("const int row = blockIdx.x * 8 + threadIdx.x / 32;");
  b.line("if (row >= " + std::to_string(rows) + ") return;");
  b.line("const int lane = threadIdx.x & 31;");
  RowLoop loop;
  loop.lead = b.unravel("row", lead);
  loop.lane = "lane";
  loop.grid = {uint32_t((rows + 7) / 8), 1, 1};
  loop.block = {256, 1, 1};
  return loop;
}

namespace {

using Emitter = std::vector<Step> (*)(Lowering &, const plan::Op &);

Emitter reductionEmitter(const std::string &kind) {
  if (kind.rfind("reduce_", 0) == 0)
    return emitReduce;
  if (kind.rfind("rms_norm", 0) == 0)
    return emitNorm;
  if (kind.rfind("cross_entropy", 0) == 0)
    return emitLoss;
  if (kind.rfind("fake_quant", 0) == 0)
    return emitQuant;
  return emitEmbeddingGrad;
}

/// The steps of reduction `op`, whose kernel writes `v` (its result, or its
/// epilogue's end) at op `at`. A norm gradient also computes the column sums
/// that read `v` while the rows are in registers, and marks them `grouped`.
std::vector<Step> emitRowReduction(Lowering &l, const plan::Op &op, int at, int v, std::vector<bool> &grouped) {
  if (op.kind == "rms_norm_grad") {
    ColumnGroup group = columnGroupOf(l, columnGroupAfter(l, at, v, grouped));
    if (normTakesColumns(l, op, group)) {
      for (int m : group.members)
        grouped[size_t(m)] = true;
      return emitNormGradColumns(l, op, group);
    }
  }
  return reductionEmitter(op.kind)(l, op);
}

/// Moves the generated steps that read parameters only (and what such
/// steps made), in order, to the front and marks them weightsOnly. The
/// weights do not change between the micro-batches of an optimizer step,
/// so neither do their casts: the trainer runs these steps once per step.
void hoistWeightSteps(const Lowering &l, std::vector<Step> &steps) {
  std::vector<bool> fromWeights(l.values().size(), false);
  for (const auto &[v, name] : l.params())
    fromWeights[size_t(v)] = true;
  std::vector<Step> hoisted, rest;
  for (Step &s : steps) {
    bool only = (s.kind == Step::Program || s.kind == Step::Alias) && !s.operands.empty();
    for (int v : s.operands)
      only = only && fromWeights[size_t(v)];
    if (!only) {
      rest.push_back(std::move(s));
      continue;
    }
    s.weightsOnly = true;
    for (int r : s.results)
      fromWeights[size_t(r)] = true;
    hoisted.push_back(std::move(s));
  }
  hoisted.insert(hoisted.end(), std::make_move_iterator(rest.begin()), std::make_move_iterator(rest.end()));
  steps = std::move(hoisted);
}

} // namespace

const char *attentionName(LowerOptions::Attention a) {
  switch (a) {
  case LowerOptions::Attention::Flash:
    return "flash";
  case LowerOptions::Attention::Cudnn:
    return "cudnn";
  case LowerOptions::Attention::General:
    return "general";
  }
  return "?";
}

FunctionProgram lowerFunction(const plan::Plan &plan, const plan::Function &f,
                              const LowerOptions &options) {
  Lowering l(plan, f, options);
  planAttentionLayouts(l);
  const FusionPlan &fusion = l.fusion();
  std::vector<Step> steps;
  std::vector<bool> grouped(f.ops.size(), false); // computed by an earlier column kernel
  for (const plan::Op &op : f.ops) {
    size_t first = steps.size();
    const int self = int(&op - f.ops.data());
    if (grouped[size_t(self)])
      continue;
    try {
      switch (classify(op.kind)) {
      case OpClass::Source:
        break;
      case OpClass::Constant:
      case OpClass::Pointwise:
        if (int r = fusion.epilogueOf[size_t(op.results[0])]; r >= 0) {
          // The row reduction deferred to here (its epilogue reads values
          // made up to this op) writes this value.
          int at = fusion.producer[size_t(r)];
          const plan::Op &reduction = f.ops[size_t(at)];
          for (Step &s : emitRowReduction(l, reduction, self, op.results[0], grouped)) {
            s.ops.insert(s.ops.begin(), at);
            steps.push_back(std::move(s));
          }
        } else if (fusion.materialized[size_t(op.results[0])] &&
                   fusion.writtenByNorm[size_t(op.results[0])] < 0 &&
                   !l.writtenByAttention(op.results[0])) {
          steps.push_back(emitPointwise(l, {op.results[0]}));
        }
        break;
      case OpClass::View:
        if (!fusion.materialized[size_t(op.results[0])])
          break;
        if (fusion.materialized[size_t(op.operands[0])]) {
          Step alias;
          alias.kind = Step::Alias;
          alias.label = opLabel(f, op);
          alias.operands = {op.operands[0]};
          alias.results = {op.results[0]};
          steps.push_back(std::move(alias));
        } else {
          steps.push_back(emitPointwise(l, {op.results[0]}));
        }
        break;
      case OpClass::Reduction:
        if (op.results.size() == 1 && fusion.epilogueEnd[size_t(op.results[0])] >= 0)
          break; // emitted where its epilogue ends
        if (std::vector<int> group = columnGroupAt(l, self, grouped); group.size() > 1) {
          for (int m : group)
            grouped[size_t(m)] = true;
          for (Step &s : emitColumnGroup(l, group))
            steps.push_back(std::move(s));
          break;
        }
        for (Step &s : emitRowReduction(l, op, self, op.results.size() == 1 ? op.results[0] : -1, grouped))
          steps.push_back(std::move(s));
        break;
      case OpClass::Library:
        if (op.kind == "matmul")
          steps.push_back(emitGemm(l, op));
        else
          for (Step &s : emitAttentionOp(l, op))
            steps.push_back(std::move(s));
        break;
      }
    } catch (const std::invalid_argument &e) {
      throw std::invalid_argument("function '" + f.name + "' " + opLabel(f, op) + ": " + e.what());
    }
    for (size_t s = first; s < steps.size(); ++s)
      if (std::find(steps[s].ops.begin(), steps[s].ops.end(), self) == steps[s].ops.end())
        steps[s].ops.push_back(self);
  }
  rematerialize(l, steps);
  hoistWeightSteps(l, steps);
  return l.take(std::move(steps));
}

} // namespace golf::cudagen
