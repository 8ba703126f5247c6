//===- Quant.cpp - fake_quant and its gradient, a warp per row -------------===//
//
// Per-row symmetric quantization (rows: all axes but the last) as
// runtime/cpu/Quant.cpp: s = max|w| / qmax, clamp(round(w / s)) * s, round
// half to even, or the soft-round of sharpness alpha (a constant, or read
// from the 0-d sharpness operand that the trainer anneals).
//
//===----------------------------------------------------------------------===//
#include "codegen/cuda/Lowering.h"

#include <cmath>

namespace golf::cudagen {

std::vector<Step> emitQuant(Lowering &l, const plan::Op &op) {
  int w = op.operands[0], y = op.results[0];
  bool grad = op.kind == "fake_quant_grad";
  int64_t bits = op.attrs.at("bits").get<int64_t>();
  bool soft = op.attrs.at("mode").get<std::string>() == "soft_round";
  double qmax = std::ldexp(1.0, int(bits - 1)) - 1, qmin = -std::ldexp(1.0, int(bits - 1));
  const size_t sharpnessOperand = grad ? 2 : 1;
  const bool runtimeAlpha = op.operands.size() > sharpnessOperand;
  const std::vector<int64_t> &shape = l.type(w).shape;
  std::string n = std::to_string(shape.back());
  KernelBuilder b = l.builder();
  RowLoop r = openRows(b, shape);
  // a and tanh(a / 2): literals, or computed once per row from the operand.
  std::string a, th;
  if (soft && runtimeAlpha) {
    b.line("const float alpha = " + b.value(op.operands[sharpnessOperand], Index{}) + ";");
    b.line("const float tanhHalfAlpha = tanhf(0.5f * alpha);");
    a = "alpha";
    th = "tanhHalfAlpha";
  } else if (soft) {
    double alpha = op.attrs.at("alpha").get<double>();
    a = floatLiteral(alpha);
    th = floatLiteral(std::tanh(alpha / 2));
  }
  Index at(r.lead);
  at.push_back("c");
  if (grad && !soft) { // straight through
    b.open("for (int c = lane; c < " + n + "; c += 32)");
    b.store(y, at, b.value(op.operands[1], at));
    b.close();
    return {b.finish("fq_grad_ste", opLabel(l.function(), op), r.grid, r.block)};
  }
  b.line("float amax = 0.0f;");
  b.open("for (int c = lane; c < " + n + "; c += 32)");
  b.line("amax = fmaxf(amax, fabsf(" + b.value(w, at) + "));");
  b.close();
  b.line("amax = golf_warp_max(amax);");
  // The scale and the scaled weight in double, as the CPU reference computes
  // them: rounding is discontinuous, and a float quotient would round some
  // values just below .5 the other way.
  b.line("const double s = double(amax) / " + std::to_string(qmax) + ";");
  b.open("for (int c = lane; c < " + n + "; c += 32)");
  b.line("const double v = s > 0.0 ? double(" + b.value(w, at) + ") / s : 0.0;");
  if (soft) {
    b.line("const double fl = floor(v);");
    b.line("const float t = tanhf(" + a + " * float(v - fl - 0.5));");
    b.line("const double rr = fl + 0.5 * t / " + th + " + 0.5;");
  } else {
    b.line("const double rr = rint(v);");
  }
  if (grad) {
    b.line("const bool clamped = rr < " + floatLiteral(qmin) + " || rr > " + floatLiteral(qmax) + ";");
    b.store(y, at, "clamped ? 0.0f : " + b.value(op.operands[1], at) + " * (0.5f * " + a +
                       " * (1.0f - t * t) / " + th + ")");
  } else {
    b.store(y, at, "float(fmin(fmax(rr, " + std::to_string(qmin) + "), " + std::to_string(qmax) + ") * s)");
  }
  b.close();
  return {b.finish(grad ? "fq_grad" : "fq", opLabel(l.function(), op), r.grid, r.block)};
}

} // namespace golf::cudagen
