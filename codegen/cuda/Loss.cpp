//===- Loss.cpp - cross-entropy and its gradient, a warp per row -----------===//
//
// The logits are read through their expression, so a softcap in front of
// the loss is recomputed here rather than materialized (pgolf-spec's
// softcapped head): the loss kernels read the raw projection once per pass.
// A mean loss writes per-row losses to a temporary, summed by one block in
// a fixed order.
//
//===----------------------------------------------------------------------===//
#include "codegen/cuda/Lowering.h"

namespace golf::cudagen {

namespace {

/// Emits m (row max) and lse (log-sum-exp) of logits `z` along the row.
void rowLogSumExp(KernelBuilder &b, int z, const Index &lead, int64_t vocab) {
  Index at(lead);
  at.push_back("c");
  std::string v = std::to_string(vocab);
  b.line("float m = __int_as_float(0xff800000);");
  b.open("for (int c = lane; c < " + v + "; c += 32)");
  b.line("m = golf_max_nan(m, " + b.value(z, at) + ");");
  b.close();
  b.line("m = golf_warp_max(m);");
  b.line("float s = 0.0f;");
  b.open("for (int c = lane; c < " + v + "; c += 32)");
  b.line("s += expf(" + b.value(z, at) + " - m);");
  b.close();
  b.line("s = golf_warp_sum(s);");
  b.line("const float lse = isinf(m) ? m : m + logf(s);");
}

/// The row's target id; out-of-range targets make the row NaN (never a
/// read outside the row).
std::string rowTarget(KernelBuilder &b, int targets, const Index &lead, int64_t vocab) {
  std::string t = b.value(targets, lead);
  b.line("const bool bad = " + t + " < 0 || " + t + " >= " + std::to_string(vocab) + ";");
  return t;
}

} // namespace

std::vector<Step> emitLoss(Lowering &l, const plan::Op &op) {
  const plan::Function &f = l.function();
  int z = op.operands[0], targets = op.operands[1], out = op.results[0];
  // A copy: addTemporary below may move the value table.
  const std::vector<int64_t> shape = l.type(z).shape;
  int64_t vocab = shape.back(), rows = l.type(targets).numel();
  bool mean = op.attrs.at("reduction").get<std::string>() == "mean";
  std::string label = opLabel(f, op);
  if (op.kind == "cross_entropy") {
    int nll = mean ? l.addTemporary({plan::DType::F32, l.type(targets).shape}) : out;
    KernelBuilder b = l.builder();
    RowLoop r = openRows(b, shape);
    rowLogSumExp(b, z, r.lead, vocab);
    std::string t = rowTarget(b, targets, r.lead, vocab);
    Index at(r.lead);
    at.push_back(t);
    b.line("float zt = __int_as_float(0x7fc00000);");
    b.open("if (!bad && lane == 0)");
    b.line("zt = " + b.value(z, at) + ";");
    b.close();
    b.open("if (lane == 0)");
    b.store(nll, r.lead, "lse - zt");
    b.close();
    std::vector<Step> steps{b.finish("xent", label, r.grid, r.block)};
    if (mean)
      for (Step &s : emitSumTo(l, nll, out, 1.0 / double(rows), label + " (mean)"))
        steps.push_back(std::move(s));
    return steps;
  }
  // cross_entropy_grad(z, targets, dloss) -> dz
  int dloss = op.operands[2];
  KernelBuilder b = l.builder();
  RowLoop r = openRows(b, shape);
  rowLogSumExp(b, z, r.lead, vocab);
  std::string t = rowTarget(b, targets, r.lead, vocab);
  std::string g = mean ? b.value(dloss, {}) + " * " + floatLiteral(1.0 / double(rows))
                       : b.value(dloss, r.lead);
  b.line("const float g = bad ? __int_as_float(0x7fc00000) : " + g + ";");
  Index at(r.lead);
  at.push_back("c");
  b.open("for (int c = lane; c < " + std::to_string(vocab) + "; c += 32)");
  b.store(out, at, "(expf(" + b.value(z, at) + " - lse) - (c == " + t + " ? 1.0f : 0.0f)) * g");
  b.close();
  return {b.finish("xent_grad", label, r.grid, r.block)};
}

} // namespace golf::cudagen
