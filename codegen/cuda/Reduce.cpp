//===- Reduce.cpp - sums, means and maxima along axes; reduce_to ----------===//
//
// Along the last axis a warp owns each output (coalesced reads, shuffle
// reduction); along an inner axis a thread owns each output and walks the
// axis, so that neighbouring threads read neighbouring elements. reduce_to
// gives each output element a block that sums everything projecting onto
// it in a fixed order (a thread, where that is at most 64 elements), except
// sums over leading rows into trailing columns, which read coalesced by
// columns in parallel row chunks (Columns.cpp).
// Results are deterministic.
//
//===----------------------------------------------------------------------===//
#include "codegen/cuda/Lowering.h"


namespace golf::cudagen {

namespace {

Index withAxis(const Index &outer, size_t axis, const std::string &i, bool keepdim) {
  Index in(outer);
  if (keepdim)
    in[axis] = i;
  else
    in.insert(in.begin() + long(axis), i);
  return in;
}

} // namespace

namespace {

/// The axes of `in` that reduce_to(in -> out) sums over.
struct SumAxes {
  std::vector<int64_t> reduced;  // their sizes, in order
  std::vector<size_t> reducedAt; // their positions in `in`
  std::vector<size_t> keptAt;    // positions of the other axes of size > 1
  int64_t count = 1;             // elements summed per output
  size_t lead = 0;               // axes of `in` that `out` lacks
};

SumAxes sumAxes(const std::vector<int64_t> &is, const std::vector<int64_t> &os) {
  SumAxes a;
  a.lead = is.size() - os.size();
  for (size_t k = 0; k < is.size(); ++k) {
    if (k < a.lead || (os[k - a.lead] == 1 && is[k] != 1)) {
      a.reduced.push_back(is[k]);
      a.reducedAt.push_back(k);
      a.count *= is[k];
    } else if (is[k] != 1) {
      a.keptAt.push_back(k);
    }
  }
  return a;
}

/// The index of `in` from a reduced position and an output index.
Index inIndex(const SumAxes &a, size_t rank, const Index &reduced, const Index &out) {
  Index idx(rank, "0");
  for (size_t k = a.lead; k < rank; ++k)
    idx[k] = out[k - a.lead];
  for (size_t j = 0; j < a.reducedAt.size(); ++j)
    idx[a.reducedAt[j]] = reduced[j];
  return idx;
}

} // namespace

Step sumPartials(const Lowering &l, const std::vector<PartialSum> &sums, int64_t chunks,
                 bool chunkMajor, const std::string &prefix, const std::string &label) {
  constexpr int64_t kThreads = 256;
  int64_t outputs = l.type(sums[0].out).numel();
  KernelBuilder f = l.builder();
  f.line("const long long e = (long long)blockIdx.x * " + std::to_string(kThreads) + " + threadIdx.x;");
  f.line("if (e >= " + std::to_string(outputs) + "LL) return;");
  for (size_t i = 0; i < sums.size(); ++i) {
    // Sum i is blockIdx.y == i: one launch for a column group's sums.
    if (sums.size() > 1)
      f.open(std::string(i ? "else " : "") + "if (blockIdx.y == " + std::to_string(i) + ")");
    f.line("float acc = 0.0f;");
    f.open("for (int k = 0; k < " + std::to_string(chunks) + "; ++k)");
    f.line("acc += " + f.value(sums[i].partial, chunkMajor ? Index{"k", "e"} : Index{"e", "k"}) + ";");
    f.close();
    f.store(sums[i].out, f.unravel("e", l.type(sums[i].out).shape),
            sums[i].scale == 1.0 ? "acc" : "acc * " + floatLiteral(sums[i].scale));
    if (sums.size() > 1)
      f.close();
  }
  return f.finish(prefix, label, {uint32_t((outputs + kThreads - 1) / kThreads), uint32_t(sums.size()), 1},
                  {uint32_t(kThreads), 1, 1});
}

bool sumsRowsToColumns(const std::vector<int64_t> &in, const std::vector<int64_t> &out,
                       int64_t &rows, int64_t &cols) {
  if (in.size() < out.size())
    return false;
  SumAxes axes = sumAxes(in, out);
  if (axes.keptAt.empty() || axes.reducedAt.empty() ||
      axes.reducedAt.back() > axes.keptAt.front() || axes.count < 1024)
    return false;
  rows = axes.count;
  cols = 1;
  for (int64_t d : out)
    cols *= d;
  return true;
}

std::vector<Step> emitSumTo(Lowering &l, int in, int out, double scale, const std::string &label) {
  const std::vector<int64_t> is = l.type(in).shape, os = l.type(out).shape;
  int64_t rows = 0, cols = 0;
  if (sumsRowsToColumns(is, os, rows, cols))
    return emitColumns(l, {{}, {{in, out, scale}}, {}}, label);
  SumAxes axes = sumAxes(is, os);
  constexpr int64_t kThreads = 256, kChunk = 8192, kSmallSum = 64;
  int64_t count = axes.count, outputs = l.type(out).numel();
  std::string scaled = scale == 1.0 ? "acc" : "acc * " + floatLiteral(scale);
  if (count <= kSmallSum) {
    // Few elements per output (a broadcast over a short axis): a thread per
    // output adds them in order; a block each would leave most threads idle.
    KernelBuilder b = l.builder();
    b.line("const long long e = (long long)blockIdx.x * " + std::to_string(kThreads) + " + threadIdx.x;");
    b.line("if (e >= " + std::to_string(outputs) + "LL) return;");
    Index o = b.unravel("e", os);
    b.line("float acc = 0.0f;");
    b.open("for (int j = 0; j < " + std::to_string(count) + "; ++j)");
    b.line("acc += " + b.value(in, inIndex(axes, is.size(), b.unravel("j", axes.reduced), o)) + ";");
    b.close();
    b.store(out, o, scaled);
    return {b.finish("sumto", label, {uint32_t((outputs + kThreads - 1) / kThreads), 1, 1},
                     {uint32_t(kThreads), 1, 1})};
  }
  // Otherwise a block per (output, chunk of kChunk summed elements); with
  // several chunks a second kernel adds each output's partials in order.
  int64_t chunks = (count + kChunk - 1) / kChunk;
  int partial = chunks > 1 ? l.addTemporary({plan::DType::F32, {outputs, chunks}}) : out;
  KernelBuilder b = l.builder();
  b.line("__shared__ float part[32];");
  Index o = b.unravel("blockIdx.x", os);
  b.line("const long long end = min((long long)(blockIdx.y + 1) * " + std::to_string(kChunk) + ", " +
         std::to_string(count) + "LL);");
  b.line("float acc = 0.0f;");
  // Where the input's last axis is summed and a multiple of 4 long, a thread
  // takes 4 adjacent elements at a time (KernelBuilder lanes: 16-byte loads).
  const int64_t lanes =
      axes.reducedAt.back() == is.size() - 1 && axes.reduced.back() % 4 == 0 && count % 4 == 0 ? 4 : 1;
  const std::string width = std::to_string(lanes);
  b.open("for (long long q = (long long)blockIdx.y * " + std::to_string(kChunk) + " + threadIdx.x * " + width +
         "; q < end; q += " + std::to_string(kThreads * lanes) + ")");
  Index reduced = b.unravel("q", axes.reduced);
  for (int64_t u = 0; u < lanes; ++u) {
    Index at(reduced);
    if (lanes > 1) {
      b.setLane(reduced.back(), int(u));
      at.back() = KernelBuilder::laneIndex(reduced.back(), int(u));
    }
    b.line("acc += " + b.value(in, inIndex(axes, is.size(), at, o)) + ";");
  }
  b.clearLanes();
  b.close();
  b.line("acc = golf_warp_sum(acc);");
  b.line("if ((threadIdx.x & 31) == 0) part[threadIdx.x / 32] = acc;");
  b.line("__syncthreads();");
  b.open("if (threadIdx.x < 32)");
  b.line("acc = threadIdx.x < " + std::to_string(kThreads / 32) + " ? part[threadIdx.x] : 0.0f;");
  b.line("acc = golf_warp_sum(acc);");
  b.open("if (threadIdx.x == 0)");
  if (chunks > 1)
    b.store(partial, {"blockIdx.x", "blockIdx.y"}, "acc");
  else
    b.store(out, o, scaled);
  b.close();
  b.close();
  std::vector<Step> steps{b.finish("sumto", label, {uint32_t(outputs), uint32_t(chunks), 1},
                                   {uint32_t(kThreads), 1, 1})};
  if (chunks > 1)
    steps.push_back(sumPartials(l, {{partial, out, scale}}, chunks, false, "sumto_chunks", label));
  return steps;
}

std::vector<Step> emitReduce(Lowering &l, const plan::Op &op) {
  const plan::Function &f = l.function();
  int x = op.operands[0], y = op.results[0];
  if (op.kind == "reduce_to")
    return emitSumTo(l, x, y, 1.0, opLabel(f, op));
  const std::vector<int64_t> &shape = l.type(x).shape;
  int64_t rank = int64_t(shape.size()), axis = op.attrs.at("axis").get<int64_t>();
  axis = axis < 0 ? axis + rank : axis;
  bool keepdim = op.attrs.value("keepdim", false);
  int64_t n = shape[size_t(axis)];
  bool isMax = op.kind == "reduce_max", isMean = op.kind == "reduce_mean";
  std::string init = isMax ? "__int_as_float(0xff800000)" : "0.0f";
  auto combine = [&](const std::string &v) {
    return isMax ? "acc = golf_max_nan(acc, " + v + ");" : "acc += " + v + ";";
  };
  std::string finish = isMean ? "acc / " + floatLiteral(double(n)) : "acc";
  KernelBuilder b = l.builder();
  if (axis == rank - 1) {
    RowLoop rows = openRows(b, shape);
    b.line("float acc = " + init + ";");
    b.open("for (int c = lane; c < " + std::to_string(n) + "; c += 32)");
    Index idx(rows.lead);
    idx.push_back("c");
    b.line(combine(b.value(x, idx)));
    b.close();
    b.line(std::string("acc = ") + (isMax ? "golf_warp_max(acc);" : "golf_warp_sum(acc);"));
    b.open("if (lane == 0)");
    Index out(rows.lead);
    if (keepdim)
      out.push_back("0");
    b.store(y, out, finish);
    b.close();
    return {b.finish("rowreduce", opLabel(f, op), rows.grid, rows.block)};
  }
  int64_t outputs = l.type(y).numel();
  b.line("const long long e = (long long)blockIdx.x * 256 + threadIdx.x;");
  b.line("if (e >= " + std::to_string(outputs) + "LL) return;");
  Index out = b.unravel("e", l.type(y).shape);
  b.line("float acc = " + init + ";");
  b.open("for (int j = 0; j < " + std::to_string(n) + "; ++j)");
  b.line(combine(b.value(x, withAxis(out, size_t(axis), "j", keepdim))));
  b.close();
  b.store(y, out, finish);
  return {b.finish("colreduce", opLabel(f, op), {uint32_t((outputs + 255) / 256), 1, 1}, {256, 1, 1})};
}

} // namespace golf::cudagen
