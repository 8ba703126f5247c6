//===- Columns.cpp - column sums and their siblings in one pass -----------===//
//
// The gradients of per-channel scales sum a product over all rows into
// columns (reduce_to [rows, C] -> [C]); the backward computes several of
// them from the same rows (the residual stream's gradient times each
// mixing input), next to pointwise values over the same rows (that
// gradient scaled, cast for the next product). Each would read its
// operands once more. A column kernel computes them side by side:
//
//   grid (ceil(C / 256), ceil(rows / 256)); thread c of chunk k walks rows
//   256k .. 256k + 255 of column c, adding each sum's operand into its own
//   accumulator and storing each sibling value, then writes one partial
//   sum per accumulator; a second kernel adds each sum's partials in chunk
//   order (deterministic), all sums in one launch.
//
// Where every tensor's last axis is a multiple of 4, a thread owns 4
// adjacent columns (16-byte loads and stores) and chunks are 128 rows.
// A warp reads neighbouring columns of one row: coalesced. Siblings a
// later member reads are computed once, stored, and reused from registers.
//
// columnGroupAt picks the members: from a leading column sum it scans
// forward to the next library op or other reduction for column sums over
// the same rows and columns and for materialized pointwise values of
// rows * C elements that share an operand with the group, whose operands
// are all available when the leader runs (made before it, or members
// themselves). Steps in between that the members do not read run after the
// group, in their order.
//
//===----------------------------------------------------------------------===//
#include "codegen/cuda/Lowering.h"

#include <algorithm>
#include <map>
#include <set>

namespace golf::cudagen {

namespace {

constexpr int64_t kThreads = 256, kRowsPerChunk = 256, kVectorRowsPerChunk = 128;
/// How far past the leader (in ops) members are looked for.
constexpr size_t kWindow = 96;

/// Whether computing `v` reads the siblings only element for element:
/// through elementwise ops of one shape all the way (`inPlace` says so for
/// the path down to `v`). A sibling read at another index would be
/// recomputed, and stored, by a thread that does not own it.
bool readsSiblingsInPlace(const Lowering &l, int v, const std::set<int> &siblings,
                          bool inPlace = true) {
  const FusionPlan &fp = l.fusion();
  int p = fp.producer[size_t(v)];
  if (p < 0)
    return true;
  const plan::Op &op = l.function().ops[size_t(p)];
  for (int o : op.operands) {
    bool here = inPlace && elementwise(op.kind) && l.type(o).shape == l.type(v).shape;
    if (siblings.count(o) ? !here
                          : !fp.materialized[size_t(o)] && !readsSiblingsInPlace(l, o, siblings, here))
      return false;
  }
  return true;
}

/// A pointwise value that a column kernel may compute and store.
bool siblingCandidate(const Lowering &l, const plan::Op &op, int64_t elements) {
  if (classify(op.kind) != OpClass::Pointwise || op.results.size() != 1)
    return false;
  int v = op.results[0];
  const FusionPlan &fp = l.fusion();
  plan::DType d = l.type(v).dtype;
  return fp.materialized[size_t(v)] && fp.writtenByNorm[size_t(v)] < 0 &&
         fp.epilogueOf[size_t(v)] < 0 && l.type(v).numel() == elements &&
         (d == plan::DType::F32 || d == plan::DType::BF16 || d == plan::DType::F16);
}

/// The index of flat position row * cols + column of `shape`: leading axes
/// from the row and trailing ones from the column where they split there,
/// else from the flat position.
Index rowColumnIndex(KernelBuilder &b, const std::vector<int64_t> &shape, int64_t cols,
                     const ColumnRow &at) {
  int64_t trailing = 1;
  size_t split = shape.size();
  while (split > 0 && trailing < cols)
    trailing *= shape[--split];
  if (trailing != cols)
    return b.unravel("(long long)" + at.row + " * " + std::to_string(cols) + "LL + " + at.column, shape);
  Index idx = b.unravel(at.row, {shape.begin(), shape.begin() + long(split)});
  Index tail = b.unravel(at.column, {shape.begin() + long(split), shape.end()});
  idx.insert(idx.end(), tail.begin(), tail.end());
  return idx;
}

} // namespace

std::vector<int> columnGroupAt(const Lowering &l, int leader, const std::vector<bool> &done, int before) {
  if (before < 0)
    before = leader;
  const plan::Function &f = l.function();
  const plan::Op &lead = f.ops[size_t(leader)];
  int64_t rows = 0, cols = 0;
  if (lead.kind != "reduce_to" ||
      !sumsRowsToColumns(l.type(lead.operands[0]).shape, l.type(lead.results[0]).shape, rows, cols))
    return {leader};
  const FusionPlan &fp = l.fusion();
  // The values in memory that computing `v` reads (siblings included), if
  // all but the siblings are in memory before op `before` runs.
  std::set<int> siblings;
  auto readyReads = [&](int v, std::vector<int> &reads) {
    leavesOf(f, fp, v, reads);
    for (int read : reads)
      if (!siblings.count(read) && availableAt(f, fp, read) >= before)
        return false;
    return true;
  };
  std::vector<int> members{leader}, first;
  if (!readyReads(lead.results[0], first))
    return {leader};
  std::set<int> shared(first.begin(), first.end());
  for (size_t j = size_t(leader) + 1; j < f.ops.size() && j <= size_t(leader) + kWindow; ++j) {
    if (done[j])
      continue;
    const plan::Op &op = f.ops[j];
    OpClass c = classify(op.kind);
    int64_t r = 0, k = 0;
    bool sum = op.kind == "reduce_to" &&
               sumsRowsToColumns(l.type(op.operands[0]).shape, l.type(op.results[0]).shape, r, k) &&
               r == rows && k == cols;
    if (!sum && (c == OpClass::Library || c == OpClass::Reduction))
      break;
    if (!sum && !siblingCandidate(l, op, rows * cols))
      continue; // inlined elsewhere, or a step that runs after the group
    std::vector<int> reads;
    // A sum reads its operand at the group's (row, column), as siblings are
    // stored.
    const int root = sum ? op.operands[0] : op.results[0];
    if (!readyReads(op.results[0], reads) ||
        !(siblings.count(root) || readsSiblingsInPlace(l, root, siblings)))
      continue;
    bool related = false;
    for (int v : reads)
      related = related || shared.count(v) || siblings.count(v);
    if (!related)
      continue;
    members.push_back(int(j));
    shared.insert(reads.begin(), reads.end());
    if (!sum)
      siblings.insert(op.results[0]);
  }
  return members;
}

bool vectorColumns(const Lowering &l, const ColumnGroup &g, int64_t cols) {
  bool vector = cols % kColumnLanes == 0;
  for (const ColumnSum &s : g.sums)
    vector = vector && l.type(s.in).shape.back() % kColumnLanes == 0;
  for (int v : g.siblings)
    vector = vector && l.type(v).shape.back() % kColumnLanes == 0;
  return vector;
}

void emitColumnRow(KernelBuilder &b, const Lowering &l, const ColumnGroup &g, int64_t cols, ColumnRow &at) {
  std::vector<std::vector<std::string>> values(g.sums.size());
  for (int64_t u = 0; u < at.lanes; ++u) {
    // Lane u of each shape's index: its last index moved by u (a multiple of
    // 4 plus u, as every last axis is a multiple of 4).
    auto indexOf = [&](int v) {
      const std::vector<int64_t> &shape = l.type(v).shape;
      auto it = at.index.find(shape);
      if (it == at.index.end())
        it = at.index.emplace(shape, rowColumnIndex(b, shape, cols, at)).first;
      Index idx = it->second;
      if (at.lanes > 1) {
        b.setLane(idx.back(), int(u));
        idx.back() = KernelBuilder::laneIndex(idx.back(), int(u));
      }
      return idx;
    };
    // Program order: a sibling is stored before a later sum reads it.
    for (int v : g.siblings)
      b.value(v, indexOf(v));
    for (size_t i = 0; i < g.sums.size(); ++i)
      values[i].push_back(b.value(g.sums[i].in, indexOf(g.sums[i].in)));
  }
  b.clearLanes();
  for (size_t i = 0; i < g.sums.size(); ++i)
    at.add(b, i, values[i]);
}

ColumnKernel startColumnKernel(Lowering &l, const ColumnGroup &g, int64_t chunks, int64_t cols) {
  std::vector<int> partials;
  for (size_t i = 0; i < g.sums.size(); ++i)
    partials.push_back(l.addTemporary({plan::DType::F32, {chunks, cols}}));
  ColumnKernel k{partials, l.builder()}; // after the temporaries: the builder sees them
  for (int v : g.siblings)
    k.b.absorb(v);
  return k;
}

Step sumColumnPartials(Lowering &l, const ColumnGroup &g, const std::vector<int> &partials, int64_t chunks,
                       const std::string &label) {
  std::vector<PartialSum> chunked;
  for (size_t i = 0; i < g.sums.size(); ++i)
    chunked.push_back({partials[i], g.sums[i].out, g.sums[i].scale});
  return sumPartials(l, chunked, chunks, true, "colsum_chunks", label);
}

std::vector<Step> emitColumns(Lowering &l, const ColumnGroup &g, const std::string &label) {
  int64_t rows = 0, cols = 0;
  sumsRowsToColumns(l.type(g.sums[0].in).shape, l.type(g.sums[0].out).shape, rows, cols);
  // Four adjacent columns per thread where every tensor's last axis allows
  // (KernelBuilder lanes: 16-byte loads and stores). A quarter of the
  // threads per row then, so half as long chunks keep enough warps in flight.
  const bool vector = vectorColumns(l, g, cols);
  const int64_t lanes = vector ? kColumnLanes : 1;
  const int64_t rowsPerChunk = vector ? kVectorRowsPerChunk : kRowsPerChunk;
  const int64_t threads = std::min(kThreads, cols / lanes);
  const int64_t chunks = (rows + rowsPerChunk - 1) / rowsPerChunk;
  auto [partials, b] = startColumnKernel(l, g, chunks, cols);
  b.line("const int c = (blockIdx.x * " + std::to_string(threads) + " + threadIdx.x) * " + std::to_string(lanes) +
         ";");
  b.line("if (c >= " + std::to_string(cols) + ") return;");
  b.line("const long long end = min((long long)(blockIdx.y + 1) * " + std::to_string(rowsPerChunk) + ", " +
         std::to_string(rows) + "LL);");
  ColumnRow at;
  at.row = "q";
  at.column = "c";
  at.lanes = lanes;
  auto acc = [](size_t i, int64_t u) { return "acc" + std::to_string(i) + "_" + std::to_string(u); };
  at.add = [&](KernelBuilder &kb, size_t i, const std::vector<std::string> &values) {
    for (size_t u = 0; u < values.size(); ++u)
      kb.line(acc(i, int64_t(u)) + " += " + values[u] + ";");
  };
  for (size_t i = 0; i < g.sums.size(); ++i)
    for (int64_t u = 0; u < lanes; ++u)
      b.line("float " + acc(i, u) + " = 0.0f;");
  b.line("#pragma unroll 4"); // several rows in flight per thread
  b.open("for (long long q = (long long)blockIdx.y * " + std::to_string(rowsPerChunk) + "; q < end; ++q)");
  emitColumnRow(b, l, g, cols, at);
  b.close();
  for (size_t i = 0; i < g.sums.size(); ++i) {
    std::vector<std::string> accs;
    for (int64_t u = 0; u < lanes; ++u)
      accs.push_back(acc(i, u));
    if (vector)
      b.storeLanes(partials[i], {"blockIdx.y", "c"}, accs);
    else
      b.store(partials[i], {"blockIdx.y", "c"}, accs[0]);
  }
  std::vector<Step> steps{b.finish(g.sums.size() + g.siblings.size() > 1 ? "columns" : "colsum", label,
                                   {uint32_t((cols / lanes + threads - 1) / threads), uint32_t(chunks), 1},
                                   {uint32_t(threads), 1, 1})};
  steps.push_back(sumColumnPartials(l, g, partials, chunks, label));
  return steps;
}

std::vector<int> columnGroupAfter(const Lowering &l, int at, int v, const std::vector<bool> &done) {
  const plan::Function &f = l.function();
  for (size_t j = size_t(at) + 1; j < f.ops.size() && j <= size_t(at) + kWindow; ++j) {
    const plan::Op &op = f.ops[j];
    OpClass c = classify(op.kind);
    int64_t rows = 0, cols = 0;
    if (done[j] || (c != OpClass::Library && c != OpClass::Reduction))
      continue;
    if (op.kind != "reduce_to" ||
        !sumsRowsToColumns(l.type(op.operands[0]).shape, l.type(op.results[0]).shape, rows, cols))
      return {};
    std::vector<int> reads;
    leavesOf(f, l.fusion(), op.results[0], reads);
    if (std::find(reads.begin(), reads.end(), v) == reads.end())
      return {};
    for (int read : reads)
      if (availableAt(f, l.fusion(), read) > at)
        return {};
    return columnGroupAt(l, int(j), done, at + 1);
  }
  return {};
}

ColumnGroup columnGroupOf(const Lowering &l, const std::vector<int> &members) {
  const plan::Function &f = l.function();
  ColumnGroup g;
  g.members = members;
  for (int m : members) {
    const plan::Op &op = f.ops[size_t(m)];
    if (op.kind == "reduce_to")
      g.sums.push_back({op.operands[0], op.results[0], 1.0});
    else
      g.siblings.push_back(op.results[0]);
  }
  return g;
}

std::string columnLabel(const Lowering &l, const ColumnGroup &g) {
  std::string label = "columns:";
  for (int m : g.members)
    label += " " + opLabel(l.function(), l.function().ops[size_t(m)]).substr(3);
  return label;
}

std::vector<Step> emitColumnGroup(Lowering &l, const std::vector<int> &members) {
  ColumnGroup g = columnGroupOf(l, members);
  std::vector<Step> steps = emitColumns(l, g, columnLabel(l, g));
  for (Step &s : steps)
    s.ops.insert(s.ops.end(), members.begin(), members.end());
  return steps;
}

} // namespace golf::cudagen
