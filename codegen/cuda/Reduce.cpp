//===- Reduce.cpp - sums, means and maxima along axes; reduce_to ----------===//
//
// Along the last axis a warp owns each output (coalesced reads, shuffle
// reduction); along an inner axis a thread owns each output and walks the
// axis, so that neighbouring threads read neighbouring elements. reduce_to
// gives each output element a block that sums everything projecting onto
// it in a fixed order: results are deterministic.
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

Step emitSumTo(const Lowering &l, int in, int out, double scale, const std::string &label) {
  KernelBuilder b = l.builder();
  const std::vector<int64_t> &is = l.type(in).shape, &os = l.type(out).shape;
  size_t lead = is.size() - os.size();
  std::vector<int64_t> reduced;  // the axes summed over, in order
  std::vector<size_t> reducedAt; // their positions in `in`
  for (size_t k = 0; k < is.size(); ++k)
    if (k < lead || (os[k - lead] == 1 && is[k] != 1)) {
      reduced.push_back(is[k]);
      reducedAt.push_back(k);
    }
  int64_t count = 1, outputs = l.type(out).numel();
  for (int64_t d : reduced)
    count *= d;
  constexpr int kThreads = 256;
  b.line("__shared__ float part[32];");
  Index o = b.unravel("blockIdx.x", os);
  b.line("float acc = 0.0f;");
  b.open("for (long long q = threadIdx.x; q < " + std::to_string(count) + "LL; q += " +
         std::to_string(kThreads) + ")");
  Index r = b.unravel("q", reduced);
  Index idx(is.size());
  for (size_t k = lead; k < is.size(); ++k)
    idx[k] = o[k - lead];
  for (size_t j = 0; j < reducedAt.size(); ++j)
    idx[reducedAt[j]] = r[j];
  b.line("acc += " + b.value(in, idx) + ";");
  b.close();
  b.line("acc = golf_warp_sum(acc);");
  b.line("if ((threadIdx.x & 31) == 0) part[threadIdx.x / 32] = acc;");
  b.line("__syncthreads();");
  b.open("if (threadIdx.x < 32)");
  b.line("acc = threadIdx.x < " + std::to_string(kThreads / 32) + " ? part[threadIdx.x] : 0.0f;");
  b.line("acc = golf_warp_sum(acc);");
  b.open("if (threadIdx.x == 0)");
  b.store(out, o, scale == 1.0 ? "acc" : "acc * " + floatLiteral(scale));
  b.close();
  b.close();
  return b.finish("sumto", label, {uint32_t(outputs), 1, 1}, {kThreads, 1, 1});
}

std::vector<Step> emitReduce(Lowering &l, const plan::Op &op) {
  const plan::Function &f = l.function();
  int x = op.operands[0], y = op.results[0];
  if (op.kind == "reduce_to")
    return {emitSumTo(l, x, y, 1.0, opLabel(f, op))};
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
