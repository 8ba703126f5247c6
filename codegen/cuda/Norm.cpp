//===- Norm.cpp - rms_norm and its gradient, a warp per row ----------------===//
#include "codegen/cuda/Lowering.h"

#include <algorithm>
#include <cfloat>
#include <stdexcept>

namespace golf::cudagen {

namespace {

/// A norm gradient with a column epilogue: each warp walks kNormColumnRows
/// rows, kNormColumnWarps warps a block (1,024 blocks and a 2 MiB partial
/// per sum for the baseline's 65,536 rows). Its kernels take 62 to 254
/// registers (sm_90 ptxas, baseline and seeds); small blocks let two or three
/// share an SM without a register cap (a cap of 128 spilled on four seeds).
constexpr int64_t kNormColumnRows = 16, kNormColumnWarps = 4;

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

/// Rows of up to 32 values per lane stay in registers between the sum and
/// the write, so x and dy (often fused expressions over several tensors) are
/// read and computed once; longer rows read twice.
bool cachedRow(const Lowering &l, const plan::Op &op) { return l.type(op.operands[0]).shape.back() <= 32 * 32; }

/// One row of the norm or its gradient, the warp's, at `lead`. With
/// `columns`, the row's epilogue end also feeds that column pass (vector
/// rows only: normTakesColumns).
void emitNormRow(KernelBuilder &b, const Lowering &l, const plan::Op &op, const Index &lead,
                 const ColumnGroup *group, ColumnRow *columns) {
  int x = op.operands[0], y = op.results[0];
  bool grad = op.kind == "rms_norm_grad";
  const std::vector<int64_t> &shape = l.type(x).shape;
  std::string n = std::to_string(shape.back());
  const int64_t perLane = (shape.back() + 31) / 32;
  const bool cached = cachedRow(l, op);
  const std::string m = std::to_string(perLane);
  Index at(lead);
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
      Index au(lead);
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
    // Still in memory: other readers recompute part of the chain from it.
    if (fusion.materialized[size_t(y)])
      b.storeOwn(y, at, "srow[c]");
    b.close();
  } else if (vector) {
    b.line("#pragma unroll");
    b.open("for (int g = 0; g < " + std::to_string(perLane / 4) + "; ++g)");
    std::string c0 = b.fresh("c");
    b.line("const int " + c0 + " = 128 * g + 4 * lane;");
    std::vector<std::string> lanes;
    for (int u = 0; u < 4; ++u)
      lanes.push_back(elementOf("4 * g + " + std::to_string(u)));
    b.storeLanesThrough(y, lead, c0, lanes);
    if (group) {
      // The norm's result (or its epilogue's end) at (row, c0 + u) is in
      // registers now.
      Index first(lead);
      first.push_back(c0);
      columns->column = c0;
      columns->index = {{shape, first}};
      emitColumnRow(b, l, *group, shape.back(), *columns);
    }
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
}

} // namespace

std::vector<Step> emitNorm(Lowering &l, const plan::Op &op) {
  KernelBuilder b = l.builder();
  if (cachedRow(l, op) && op.kind == "rms_norm")
    b.absorbWrittenBy(int(&op - l.function().ops.data()));
  RowLoop rows = openRows(b, l.type(op.operands[0]).shape);
  emitNormRow(b, l, op, rows.lead, nullptr, nullptr);
  return {b.finish(op.kind == "rms_norm_grad" ? "rmsnorm_grad" : "rmsnorm", opLabel(l.function(), op), rows.grid,
                   rows.block)};
}

bool normTakesColumns(const Lowering &l, const plan::Op &op, const ColumnGroup &g) {
  const plan::TensorType &t = l.type(op.operands[0]);
  int y = op.results[0];
  const FusionPlan &fusion = l.fusion();
  int end = fusion.epilogueEnd[size_t(y)];
  int64_t rows = 0, cols = 0;
  return op.kind == "rms_norm_grad" && cachedRow(l, op) && t.shape.back() % 128 == 0 &&
         !fusion.epilogueRow[size_t(y)] && l.type(end >= 0 ? end : y).shape == t.shape && !g.sums.empty() &&
         sumsRowsToColumns(l.type(g.sums[0].in).shape, l.type(g.sums[0].out).shape, rows, cols) &&
         cols == t.shape.back() && rows * cols == t.numel() && vectorColumns(l, g, cols);
}

std::vector<Step> emitNormGradColumns(Lowering &l, const plan::Op &op, const ColumnGroup &g) {
  const std::vector<int64_t> &shape = l.type(op.operands[0]).shape;
  const int64_t cols = shape.back(), rows = l.type(op.operands[0]).numel() / cols;
  const int64_t rowsPerBlock = kNormColumnWarps * kNormColumnRows, threads = 32 * kNormColumnWarps;
  const int64_t blocks = (rows + rowsPerBlock - 1) / rowsPerBlock;
  const std::string warps = std::to_string(kNormColumnWarps);
  auto [partials, b] = startColumnKernel(l, g, blocks, cols);
  // A warp walks kNormColumnRows rows, adding each sum's operand into its
  // own row of shared memory (registers would hold 16 per lane and sum and
  // cut the warps an SM runs); the block then adds its warps' rows in warp
  // order: one partial row per block.
  const std::string n = std::to_string(cols), sums = std::to_string(g.sums.size());
  const uint32_t sharedBytes = uint32_t(kNormColumnWarps * int64_t(g.sums.size()) * cols * int64_t(sizeof(float)));
  b.line("extern __shared__ __align__(16) float golf_cols[]; // [warp][sum][" + n + "]");
  b.line("const int warp = blockIdx.x * " + warps + " + threadIdx.x / 32;");
  b.line("const int lane = threadIdx.x & 31;");
  b.line("float* wcols = golf_cols + (threadIdx.x / 32) * " + std::to_string(g.sums.size() * cols) + ";");
  b.line("for (int c = lane; c < " + std::to_string(g.sums.size() * cols) + "; c += 32) wcols[c] = 0.0f;");
  b.line("__syncwarp();");
  ColumnRow columns;
  columns.row = "row";
  columns.lanes = kColumnLanes;
  columns.add = [&](KernelBuilder &kb, size_t i, const std::vector<std::string> &values) {
    // One 16-byte load and store (lanes own distinct 4-column groups):
    // component by component, lanes 0, 8, 16 and 24 would share a bank.
    const std::string p = kb.fresh("p"), a = kb.fresh("a");
    kb.line("float4* " + p + " = reinterpret_cast<float4*>(wcols + " + std::to_string(i * cols) + " + " +
            columns.column + ");");
    kb.line("float4 " + a + " = *" + p + ";");
    kb.line(a + ".x += " + values[0] + ", " + a + ".y += " + values[1] + ", " + a + ".z += " + values[2] + ", " + a +
            ".w += " + values[3] + ";");
    kb.line("*" + p + " = " + a + ";");
  };
  b.open("for (int rr = 0; rr < " + std::to_string(kNormColumnRows) + "; ++rr)");
  b.line("const int row = warp * " + std::to_string(kNormColumnRows) + " + rr;");
  b.open("if (row < " + std::to_string(rows) + ")");
  Index lead = b.unravel("row", {shape.begin(), shape.end() - 1});
  emitNormRow(b, l, op, lead, &g, &columns);
  b.close();
  b.close();
  b.line("__syncthreads();");
  b.open("for (int c = threadIdx.x; c < " + n + "; c += " + std::to_string(threads) + ")");
  for (size_t i = 0; i < g.sums.size(); ++i) {
    const std::string s = "s" + std::to_string(i);
    b.line("float " + s + " = 0.0f;");
    b.line("for (int w = 0; w < " + warps + "; ++w) " + s + " += golf_cols[(w * " + sums + " + " + std::to_string(i) + ") * " +
           n + " + c];");
    b.store(partials[i], {"blockIdx.x", "c"}, s);
  }
  b.close();
  std::string label = opLabel(l.function(), op) + ", " + columnLabel(l, g);
  std::vector<Step> steps{
      b.finish("rmsnorm_grad_columns", label, {uint32_t(blocks), 1, 1}, {uint32_t(threads), 1, 1}, sharedBytes)};
  steps.push_back(sumColumnPartials(l, g, partials, blocks, label));
  for (Step &s : steps)
    s.ops.insert(s.ops.end(), g.members.begin(), g.members.end());
  return steps;
}

} // namespace golf::cudagen
