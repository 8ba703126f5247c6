//===- Fusion.cpp - materialization rules ----------------------------------===//
#include "codegen/cuda/Fusion.h"

#include <stdexcept>
#include <string>

namespace golf::cudagen {

OpClass classify(std::string_view kind) {
  static const char *const pointwise[] = {
      "cast",   "neg",         "exp",       "log",         "tanh",  "sigmoid",    "relu",
      "square", "sqrt",        "rsqrt",     "abs",         "round", "leaky_relu", "clamp",
      "add",    "sub",         "mul",       "div",         "max",   "min",        "pow",
      "cmp",    "select",      "softcap",   "broadcast",   "transpose", "split_heads",
      "merge_heads", "slice",  "concat",    "shift",       "pad",   "rope",       "embedding",
      "bigram_hash"};
  static const char *const reductions[] = {
      "reduce_sum",    "reduce_mean",        "reduce_max",     "reduce_to",  "rms_norm",
      "rms_norm_grad", "cross_entropy",      "cross_entropy_grad", "embedding_grad",
      "fake_quant",    "fake_quant_grad"};
  if (kind == "param_ref")
    return OpClass::Source;
  if (kind == "constant")
    return OpClass::Constant;
  if (kind == "reshape")
    return OpClass::View;
  if (kind == "matmul" || kind == "attention" || kind == "attention_grad")
    return OpClass::Library;
  for (const char *k : pointwise)
    if (kind == k)
      return OpClass::Pointwise;
  for (const char *k : reductions)
    if (kind == k)
      return OpClass::Reduction;
  throw std::invalid_argument("no CUDA lowering for op kind '" + std::string(kind) + "'");
}

FusionPlan planFusion(const plan::Plan &plan, const plan::Function &f) {
  size_t n = plan.values.size();
  FusionPlan fp{std::vector<bool>(n, false), std::vector<int>(n, -1), std::vector<int>(n, 0)};
  for (int a : f.args)
    fp.materialized[size_t(a)] = true;
  for (size_t i = 0; i < f.ops.size(); ++i) {
    const plan::Op &op = f.ops[i];
    OpClass c = classify(op.kind);
    for (int r : op.results) {
      fp.producer[size_t(r)] = int(i);
      if (c == OpClass::Source || c == OpClass::Reduction || c == OpClass::Library)
        fp.materialized[size_t(r)] = true;
    }
    for (size_t k = 0; k < op.operands.size(); ++k) {
      int v = op.operands[k];
      // An op reading one value twice (x * x) reads it once per element.
      bool seen = false;
      for (size_t j = 0; j < k; ++j)
        seen = seen || op.operands[j] == v;
      if (!seen)
        ++fp.uses[size_t(v)];
      if (c == OpClass::Library)
        fp.materialized[size_t(v)] = true;
    }
  }
  for (int r : f.results)
    fp.materialized[size_t(r)] = true;
  for (size_t v = 0; v < n; ++v) {
    int p = fp.producer[v];
    bool constant = p >= 0 && classify(f.ops[size_t(p)].kind) == OpClass::Constant;
    if (fp.uses[v] > 1 && !constant)
      fp.materialized[v] = true;
  }
  // A constant that must be materialized (a function result) is written by
  // a pointwise kernel like any other expression.
  return fp;
}

} // namespace golf::cudagen
