//===- Fusion.cpp - materialization rules ----------------------------------===//
#include "codegen/cuda/Fusion.h"
#include "codegen/cuda/BufferPlan.h"

#include <algorithm>
#include <stdexcept>
#include <string>

namespace golf::cudagen {

namespace {

/// Pointwise ops that compute each result element from operand elements at
/// the same index (operands may broadcast), with no layout change.
const char *const kElementwise[] = {
    "cast", "neg",  "exp",   "log",   "tanh", "sigmoid",    "relu",  "square", "sqrt",
    "rsqrt", "abs", "round", "leaky_relu", "clamp", "add", "sub", "mul", "div", "max",
    "min", "pow", "cmp", "select", "softcap", "stop_gradient"};
/// Pointwise ops that move, gather or generate elements.
const char *const kLayout[] = {"broadcast", "transpose", "split_heads", "merge_heads", "slice",
                               "concat",    "shift",     "pad",         "rope",        "embedding",
                               "bigram_hash"};

template <size_t N> bool oneOf(std::string_view kind, const char *const (&kinds)[N]) {
  for (const char *k : kinds)
    if (kind == k)
      return true;
  return false;
}

} // namespace

bool elementwise(std::string_view kind) { return oneOf(kind, kElementwise); }

std::vector<std::vector<int>> readersOf(const plan::Function &f, size_t values) {
  std::vector<std::vector<int>> out(values);
  for (size_t i = 0; i < f.ops.size(); ++i)
    for (int v : f.ops[i].operands)
      if (out[size_t(v)].empty() || out[size_t(v)].back() != int(i))
        out[size_t(v)].push_back(int(i));
  return out;
}

int lastUse(const FusionPlan &fp, const plan::Function &f,
            const std::vector<std::vector<int>> &readers, int v) {
  int last = -1;
  for (int j : readers[size_t(v)]) {
    last = std::max(last, j);
    for (int r : f.ops[size_t(j)].results)
      if (!fp.materialized[size_t(r)])
        last = std::max(last, lastUse(fp, f, readers, r));
  }
  return last;
}

void leavesOf(const plan::Function &f, const FusionPlan &fp, int v, std::vector<int> &out) {
  int p = fp.producer[size_t(v)];
  if (p < 0)
    return;
  for (int o : f.ops[size_t(p)].operands) {
    if (!fp.materialized[size_t(o)])
      leavesOf(f, fp, o, out);
    else if (std::find(out.begin(), out.end(), o) == out.end())
      out.push_back(o);
  }
}

int availableAt(const plan::Function &f, const FusionPlan &fp, int v) {
  if (int norm = fp.writtenByNorm[size_t(v)]; norm >= 0) {
    int end = fp.epilogueEnd[size_t(f.ops[size_t(norm)].results[0])];
    return end >= 0 ? fp.producer[size_t(end)] : norm;
  }
  if (int end = fp.epilogueEnd[size_t(v)]; end >= 0)
    return fp.producer[size_t(end)];
  return fp.producer[size_t(v)];
}

OpClass classify(std::string_view kind) {
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
  if (elementwise(kind) || oneOf(kind, kLayout))
    return OpClass::Pointwise;
  if (oneOf(kind, reductions))
    return OpClass::Reduction;
  throw std::invalid_argument("no CUDA lowering for op kind '" + std::string(kind) + "'");
}

namespace {

/// Row reductions whose emitters store their result one element at a time
/// over the row (KernelBuilder::store), where an epilogue can take over.
bool rowwise(std::string_view kind) {
  return kind == "rms_norm" || kind == "rms_norm_grad" || kind == "cross_entropy_grad" ||
         kind == "fake_quant" || kind == "fake_quant_grad";
}

/// Whether every op up to op `at` (the chain's last) that reads one of
/// `links` is an op of the chain itself: one that makes the next link, or
/// `at`. Other readers must come later, once the kernel has written them.
bool readLater(const plan::Function &f, const std::vector<int> &links, int at) {
  auto isLink = [&](int v) { return std::find(links.begin(), links.end(), v) != links.end(); };
  for (int j = 0; j <= at; ++j) {
    const plan::Op &op = f.ops[size_t(j)];
    if (j == at || (op.results.size() == 1 && isLink(op.results[0])))
      continue;
    if (std::any_of(op.operands.begin(), op.operands.end(), isLink))
      return false;
  }
  return true;
}

/// Follows the single-reader chain from reduction result `r` to the first
/// materialized value; -1 when the chain forks, changes shape or leaves
/// elementwise ops. Where `rowOps` (norms), the chain may also hold RoPE,
/// which stays within the row, and one merge_heads, which moves whole rows
/// (the norm's rows of the head dim become rows of the merged tensor).
/// Sets `acrossRow` when a link reads other elements of the row or moves it.
/// A link past `r` that is not in memory may have other readers (they
/// recompute it from r): the chain goes on through its first reader, and
/// `keepsStart` says that r must then be written too (the q norm: rope(q)
/// is read by q_gain's multiply and again by q_gain's gradient). `links`
/// gets r and the chain's values before the end.
int chainEnd(const plan::Plan &plan, const plan::Function &f, const FusionPlan &fp,
             const std::vector<int> &reader, const std::vector<int> &firstReader, int r, bool rowOps,
             bool &acrossRow, bool &keepsStart, std::vector<int> &links) {
  std::vector<int64_t> shape = plan.values[size_t(r)].shape;
  const int64_t row = shape.back();
  bool merged = false;
  acrossRow = keepsStart = false;
  links.clear();
  for (int cur = r;;) {
    links.push_back(cur);
    if (reader[size_t(cur)] < 0)
      return -1;
    int next = reader[size_t(cur)];
    if (fp.uses[size_t(cur)] != 1) {
      if (cur == r)
        return -1;
      next = firstReader[size_t(cur)];
      keepsStart = true;
    }
    const plan::Op &op = f.ops[size_t(next)];
    if (op.results.size() != 1)
      return -1;
    const std::vector<int64_t> &after = plan.values[size_t(op.results[0])].shape;
    bool rope = rowOps && op.kind == "rope";
    bool merge = rowOps && !merged && op.kind == "merge_heads" && shape.size() == 4;
    if (!merge && ((!elementwise(op.kind) && !rope) || after != shape))
      return -1;
    acrossRow = acrossRow || rope || merge;
    merged = merged || merge;
    shape = after;
    cur = op.results[0];
    if (fp.materialized[size_t(cur)])
      return acrossRow && row > kMaxEpilogueRow ? -1 : cur;
  }
}

/// The ops a kernel computing `v` inlines: v's producer and, through
/// values not in memory (or written by the same kernel), theirs.
void expressionOps(const plan::Function &f, const FusionPlan &fp, int v, int norm,
                   std::vector<bool> &in) {
  int p = fp.producer[size_t(v)];
  if (p < 0 || in[size_t(p)])
    return;
  in[size_t(p)] = true;
  for (int o : f.ops[size_t(p)].operands)
    if (!fp.materialized[size_t(o)] || fp.writtenByNorm[size_t(o)] == norm)
      expressionOps(f, fp, o, norm, in);
}

/// Whether the rms_norm at op `norm` may compute and write pointwise value
/// `v` itself: v has the norm input's shape, and every op that reads v
/// before the norm's kernel runs is inlined into that kernel.
bool absorbable(const plan::Plan &plan, const plan::Function &f, const FusionPlan &fp, int v,
                int norm, int runsAt, const std::vector<bool> &inlined) {
  int p = fp.producer[size_t(v)];
  int x = f.ops[size_t(norm)].operands[0];
  if (p < 0 || !fp.materialized[size_t(v)] || fp.epilogueOf[size_t(v)] >= 0 ||
      fp.writtenByNorm[size_t(v)] >= 0 || classify(f.ops[size_t(p)].kind) != OpClass::Pointwise ||
      plan.values[size_t(v)].shape != plan.values[size_t(x)].shape)
    return false;
  for (int j = p + 1; j <= runsAt && j < int(f.ops.size()); ++j)
    for (int o : f.ops[size_t(j)].operands)
      if (o == v && !inlined[size_t(j)] && j != norm)
        return false;
  return true;
}

/// Prologues: the rms_norm at op `norm` computes its input (when pointwise)
/// and the pointwise values that input's expression reads (the residual
/// stream before the scale-and-add), writing each once.
void absorbPrologue(const plan::Plan &plan, const plan::Function &f, FusionPlan &fp, int norm) {
  const plan::Op &op = f.ops[size_t(norm)];
  int x = op.operands[0];
  if (plan.values[size_t(x)].shape.back() > kMaxEpilogueRow)
    return;
  // The norm's kernel runs where its epilogue ends, if it has one.
  int runsAt = norm;
  if (int end = fp.epilogueEnd[size_t(op.results[0])]; end >= 0)
    runsAt = fp.producer[size_t(end)];
  std::vector<bool> inlined(f.ops.size(), false);
  if (!absorbable(plan, f, fp, x, norm, runsAt, inlined))
    return;
  fp.writtenByNorm[size_t(x)] = norm;
  for (bool grew = true; grew;) {
    grew = false;
    std::fill(inlined.begin(), inlined.end(), false);
    expressionOps(f, fp, x, norm, inlined);
    for (size_t j = 0; j < f.ops.size() && !grew; ++j)
      if (inlined[j])
        for (int o : f.ops[j].operands)
          if (absorbable(plan, f, fp, o, norm, runsAt, inlined)) {
            fp.writtenByNorm[size_t(o)] = norm;
            grew = true;
            break;
          }
  }
}

/// Where the kernel that op `j` is computed in runs, if `j` makes a value
/// in memory (or is a reduction); -1 when `j` is inlined into its readers.
int runsAt(const plan::Function &f, const FusionPlan &fp, int j) {
  const plan::Op &op = f.ops[size_t(j)];
  if (op.results.size() != 1)
    return -1;
  int r = op.results[0];
  if (classify(op.kind) == OpClass::Reduction || fp.materialized[size_t(r)])
    return availableAt(f, fp, r);
  return -1;
}

/// A pointwise value read by several ops is recomputed by each reader after
/// all when everything it is computed from stays in memory until its last
/// reader anyway, and that is at most two tensors of at most twice its
/// bytes (other inputs are small: per-channel scales). Then keeping it costs
/// its bytes for its whole life (the residual stream after a resid_mix lives
/// from the forward to its norm's gradient, across the peak) and saves
/// only a read of its inputs per reader. Each reader must be a kernel of
/// its own that runs once those inputs are in memory. Runs after the
/// prologues: a norm that wrote the value computes it again instead.
void recomputeWhereFree(const plan::Plan &plan, const plan::Function &f, FusionPlan &fp) {
  std::vector<std::vector<int>> readers = readersOf(f, plan.values.size());
  auto bytes = [&](int v) {
    return plan.values[size_t(v)].numel() * int64_t(elementBytes(plan.values[size_t(v)].dtype));
  };
  for (size_t v = 0; v < plan.values.size(); ++v) {
    int p = fp.producer[v];
    if (p < 0 || !fp.materialized[v] || fp.uses[v] <= 1 || fp.epilogueOf[v] >= 0 ||
        classify(f.ops[size_t(p)].kind) != OpClass::Pointwise ||
        std::find(f.results.begin(), f.results.end(), int(v)) != f.results.end())
      continue;
    int firstRun = int(f.ops.size());
    for (int j : readers[v]) {
      int at = classify(f.ops[size_t(j)].kind) == OpClass::Library ? -1 : runsAt(f, fp, j);
      firstRun = at < 0 ? -1 : std::min(firstRun, at);
      if (firstRun < 0)
        break;
    }
    if (firstRun < 0)
      continue;
    std::vector<int> leaves;
    leavesOf(f, fp, int(v), leaves);
    const int64_t own = bytes(int(v));
    int big = 0;
    int64_t bigBytes = 0;
    bool ready = true;
    const int last = lastUse(fp, f, readers, int(v));
    for (int leaf : leaves) {
      if (bytes(leaf) * 4 >= own)
        ++big, bigBytes += bytes(leaf);
      ready = ready && availableAt(f, fp, leaf) <= firstRun && lastUse(fp, f, readers, leaf) >= last;
    }
    if (ready && big <= 2 && bigBytes <= 2 * own) {
      fp.materialized[v] = false;
      fp.writtenByNorm[v] = -1;
    }
  }
}

} // namespace

FusionPlan planFusion(const plan::Plan &plan, const plan::Function &f) {
  size_t n = plan.values.size();
  FusionPlan fp{std::vector<bool>(n, false), std::vector<int>(n, -1), std::vector<int>(n, 0),
                std::vector<int>(n, -1), std::vector<int>(n, -1), std::vector<bool>(n, false),
                std::vector<int>(n, -1)};
  std::vector<int> reader(n, -1);      // per value: the last op reading it
  std::vector<int> firstReader(n, -1); // and the first
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
      reader[size_t(v)] = int(i);
      if (firstReader[size_t(v)] < 0)
        firstReader[size_t(v)] = int(i);
      if (c == OpClass::Library)
        fp.materialized[size_t(v)] = true;
    }
  }
  for (int r : f.results)
    fp.materialized[size_t(r)] = true;
  // A value read by several ops is written once rather than recomputed in
  // each reader, unless its producer reads a single operand: then every
  // reader recomputes it from that operand (one read each instead of a
  // write and a read each). That keeps softcapped logits, casts and head
  // splits out of memory even when the loss, its gradient and the
  // softcap's gradient all read them.
  for (size_t v = 0; v < n; ++v) {
    int p = fp.producer[v];
    if (p < 0 || fp.uses[v] <= 1 || fp.materialized[v])
      continue;
    const plan::Op &op = f.ops[size_t(p)];
    OpClass c = classify(op.kind);
    bool recompute = c == OpClass::Constant ||
                     ((c == OpClass::Pointwise || c == OpClass::View) && op.operands.size() == 1);
    if (!recompute)
      fp.materialized[v] = true;
  }
  // A constant that must be materialized (a function result) is written by
  // a pointwise kernel like any other expression.
  //
  // Epilogues, then prologues (Fusion.h).
  std::vector<bool> isResult(n, false);
  for (int r : f.results)
    isResult[size_t(r)] = true;
  for (const plan::Op &op : f.ops) {
    if (!rowwise(op.kind) || op.results.size() != 1 || isResult[size_t(op.results[0])])
      continue;
    bool acrossRow = false, keepsStart = false;
    int r = op.results[0];
    std::vector<int> links;
    int end = chainEnd(plan, f, fp, reader, firstReader, r, op.kind.rfind("rms_norm", 0) == 0,
                       acrossRow, keepsStart, links);
    // Only a row-staged epilogue (Norm.cpp) writes the norm's result beside
    // the chain's end; the other readers come after the kernel, which runs
    // where the chain ends.
    if (end < 0 || fp.epilogueOf[size_t(end)] >= 0 ||
        (keepsStart && !(acrossRow && op.kind == "rms_norm" &&
                         readLater(f, links, fp.producer[size_t(end)]))))
      continue;
    fp.materialized[size_t(r)] = keepsStart;
    fp.epilogueEnd[size_t(r)] = end;
    fp.epilogueOf[size_t(end)] = r;
    fp.epilogueRow[size_t(r)] = acrossRow;
  }
  for (size_t i = 0; i < f.ops.size(); ++i)
    if (f.ops[i].kind == "rms_norm")
      absorbPrologue(plan, f, fp, int(i));
  recomputeWhereFree(plan, f, fp);
  return fp;
}

} // namespace golf::cudagen
