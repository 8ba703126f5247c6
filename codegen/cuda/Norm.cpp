//===- Norm.cpp - rms_norm and its gradient, a warp per row ----------------===//
#include "codegen/cuda/Lowering.h"

#include <algorithm>
#include <cfloat>
#include <stdexcept>

namespace golf::cudagen {

namespace {

double epsOf(const plan::Op &op, plan::DType d) {
  if (op.attrs.contains("eps"))
    return op.attrs.at("eps").get<double>();
  return plan::rmsNormDefaultEps(d);
}

/// The index in the epilogue's end of element `at` of the norm's result
/// `y`: the chain's links keep the index, except merge_heads, which moves
/// row (b, h, t) of the head dim to columns h*D .. h*D + D-1 of row (b, t).
Index endIndex(const Lowering &l, int y, int end, Index at) {
  const plan::Function &f = l.function();
  for (int cur = y; cur != end;) {
    const plan::Op *next = nullptr;
    for (size_t j = size_t(l.fusion().producer[size_t(cur)]) + 1; j < f.ops.size() && !next; ++j)
      if (std::find(f.ops[j].operands.begin(), f.ops[j].operands.end(), cur) != f.ops[j].operands.end())
        next = &f.ops[j];
    if (!next)
      throw std::logic_error("epilogue chain of %" + std::to_string(y) + " is broken");
    if (next->kind == "merge_heads") {
      const std::string d = std::to_string(l.type(cur).shape[3]);
      at = {at[0], at[2], "(" + at[1] + " * " + d + " + " + at[3] + ")"};
    }
    cur = next->results[0];
  }
  return at;
}

} // namespace

std::vector<Step> emitNorm(Lowering &l, const plan::Op &op) {
  int x = op.operands[0], y = op.results[0];
  bool grad = op.kind == "rms_norm_grad";
  const std::vector<int64_t> &shape = l.type(x).shape;
  std::string n = std::to_string(shape.back());
  // A warp owns a row. Rows of up to 32 values per lane stay in registers
  // between the sum and the write, so x and dy (often fused expressions over
  // several tensors) are read and computed once; longer rows read twice.
  const int64_t perLane = (shape.back() + 31) / 32;
  const bool cached = perLane <= 32;
  const std::string m = std::to_string(perLane);
  KernelBuilder b = l.builder();
  if (cached && !grad)
    b.absorbWrittenBy(int(&op - l.function().ops.data()));
  RowLoop rows = openRows(b, shape);
  Index at(rows.lead);
  at.push_back("c");
  b.line("float ss = 0.0f, dot = 0.0f;");
  // Rows that are a multiple of 128 long: each lane owns 4 adjacent values
  // per 128 (value j at 128 (j / 4) + 4 lane + j % 4), read and written 4 at
  // a time (KernelBuilder lanes); otherwise value j is at lane + 32 j.
  const bool vector = cached && shape.back() % 128 == 0;
  const std::string cOfJ = vector ? "128 * (j >> 2) + 4 * lane + (j & 3)" : "lane + 32 * j";
  auto elementOf = [&](const std::string &j) {
    return grad ? "inv * gr[" + j + "] - xr[" + j + "] * k" : "xr[" + j + "] * inv";
  };
  if (vector) {
    b.line("float xr[" + m + "], gr[" + m + "];");
    b.line("#pragma unroll");
    b.open("for (int g = 0; g < " + std::to_string(perLane / 4) + "; ++g)");
    std::string c0 = b.fresh("c");
    b.line("const int " + c0 + " = 128 * g + 4 * lane;");
    for (int u = 0; u < 4; ++u) {
      Index au(rows.lead);
      au.push_back(KernelBuilder::laneIndex(c0, u));
      b.setLane(c0, u);
      std::string j = "4 * g + " + std::to_string(u);
      b.line("xr[" + j + "] = " + b.value(x, au) + ";");
      if (grad)
        b.line("gr[" + j + "] = " + b.value(op.operands[1], au) + ";");
    }
    b.clearLanes();
    b.line("#pragma unroll");
    b.open("for (int u = 4 * g; u < 4 * g + 4; ++u)");
    b.line("ss += xr[u] * xr[u];");
    if (grad)
      b.line("dot += gr[u] * xr[u];");
    b.close();
    b.close();
  } else if (cached) {
    b.line("float xr[" + m + "], gr[" + m + "];");
    b.line("#pragma unroll");
    b.open("for (int j = 0; j < " + m + "; ++j)");
    b.line("const int c = lane + 32 * j;");
    b.line("xr[j] = 0.0f, gr[j] = 0.0f;");
    b.open("if (c < " + n + ")");
    b.line("xr[j] = " + b.value(x, at) + ";");
    if (grad)
      b.line("gr[j] = " + b.value(op.operands[1], at) + ";");
    b.close();
    b.line("ss += xr[j] * xr[j];");
    if (grad)
      b.line("dot += gr[j] * xr[j];");
    b.close();
  } else {
    b.open("for (int c = lane; c < " + n + "; c += 32)");
    std::string xv = b.value(x, at);
    b.line("ss += " + xv + " * " + xv + ";");
    if (grad)
      b.line("dot += " + b.value(op.operands[1], at) + " * " + xv + ";");
    b.close();
  }
  b.line("ss = golf_warp_sum(ss);");
  b.line("const float inv = 1.0f / sqrtf(ss / " + n + ".0f + " + floatLiteral(epsOf(op, l.type(x).dtype)) + ");");
  if (grad) {
    b.line("dot = golf_warp_sum(dot);");
    b.line("const float k = inv * inv * inv * dot / " + n + ".0f;");
  }
  const FusionPlan &fusion = l.fusion();
  if (cached && fusion.epilogueRow[size_t(y)]) {
    // The epilogue reads across the row (RoPE): stage the warp's row in
    // shared memory, rounded to y's dtype as a store would, then compute
    // the epilogue's end from it.
    b.line("__shared__ float golf_rows[8][" + n + "];");
    b.line("float* srow = golf_rows[threadIdx.x / 32];");
    b.line("#pragma unroll");
    b.open("for (int j = 0; j < " + m + "; ++j)");
    b.line("const int c = " + cOfJ + ";");
    b.open("if (c < " + n + ")");
    b.line("srow[c] = " + b.roundTo(l.type(y).dtype, elementOf("j")) + ";");
    b.close();
    b.close();
    b.line("__syncwarp();");
    b.bindRow(y, "srow");
    int end = fusion.epilogueEnd[size_t(y)];
    b.open("for (int c = lane; c < " + n + "; c += 32)");
    Index atEnd = endIndex(l, y, end, at);
    b.store(end, atEnd, b.compute(end, atEnd));
    b.close();
  } else if (vector) {
    b.line("#pragma unroll");
    b.open("for (int g = 0; g < " + std::to_string(perLane / 4) + "; ++g)");
    std::string c0 = b.fresh("c");
    b.line("const int " + c0 + " = 128 * g + 4 * lane;");
    std::vector<std::string> lanes;
    for (int u = 0; u < 4; ++u)
      lanes.push_back(elementOf("4 * g + " + std::to_string(u)));
    b.storeLanesThrough(y, rows.lead, c0, lanes);
    b.close();
  } else if (cached) {
    b.line("#pragma unroll");
    b.open("for (int j = 0; j < " + m + "; ++j)");
    b.line("const int c = lane + 32 * j;");
    b.open("if (c < " + n + ")");
    b.store(y, at, elementOf("j"));
    b.close();
    b.close();
  } else {
    b.open("for (int c = lane; c < " + n + "; c += 32)");
    std::string xs = b.value(x, at);
    b.store(y, at, grad ? "inv * " + b.value(op.operands[1], at) + " - " + xs + " * k" : xs + " * inv");
    b.close();
  }
  return {b.finish(grad ? "rmsnorm_grad" : "rmsnorm", opLabel(l.function(), op), rows.grid, rows.block)};
}

} // namespace golf::cudagen
