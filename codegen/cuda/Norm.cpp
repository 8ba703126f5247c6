//===- Norm.cpp - rms_norm and its gradient, a warp per row ----------------===//
#include "codegen/cuda/Lowering.h"

#include <cfloat>

namespace golf::cudagen {

namespace {

double epsOf(const plan::Op &op, plan::DType d) {
  if (op.attrs.contains("eps"))
    return op.attrs.at("eps").get<double>();
  return plan::rmsNormDefaultEps(d);
}

} // namespace

std::vector<Step> emitNorm(Lowering &l, const plan::Op &op) {
  int x = op.operands[0], y = op.results[0];
  bool grad = op.kind == "rms_norm_grad";
  const std::vector<int64_t> &shape = l.type(x).shape;
  std::string n = std::to_string(shape.back());
  KernelBuilder b = l.builder();
  RowLoop rows = openRows(b, shape);
  Index at(rows.lead);
  at.push_back("c");
  b.line("float ss = 0.0f, dot = 0.0f;");
  b.open("for (int c = lane; c < " + n + "; c += 32)");
  std::string xv = b.value(x, at);
  b.line("ss += " + xv + " * " + xv + ";");
  if (grad)
    b.line("dot += " + b.value(op.operands[1], at) + " * " + xv + ";");
  b.close();
  b.line("ss = golf_warp_sum(ss);");
  b.line("const float inv = 1.0f / sqrtf(ss / " + n + ".0f + " + floatLiteral(epsOf(op, l.type(x).dtype)) + ");");
  if (grad) {
    b.line("dot = golf_warp_sum(dot);");
    b.line("const float k = inv * inv * inv * dot / " + n + ".0f;");
  }
  b.open("for (int c = lane; c < " + n + "; c += 32)");
  std::string xs = b.value(x, at);
  b.store(y, at, grad ? "inv * " + b.value(op.operands[1], at) + " - " + xs + " * k" : xs + " * inv");
  b.close();
  return {b.finish(grad ? "rmsnorm_grad" : "rmsnorm", opLabel(l.function(), op), rows.grid, rows.block)};
}

} // namespace golf::cudagen
