//===- AttentionOp.cpp - attention as products and row softmaxes ----------===//
//
// The general lowering of golf.attention and golf.attention_grad, for every
// head dim and GQA ratio: the query heads that share a KV head are
// contiguous in [B, H, T, D], so each (batch, KV head) is one product of a
// [g*T, D] block with K^T, batched over B*Hkv by cuBLASLt. The scores and
// probabilities are materialized ([B*Hkv, g*T, S] f32), which costs memory
// and bandwidth that a flash kernel avoids; this path is the exact,
// always-available one, used where the FlashAttention-style kernels of
// Attention.h do not apply (or are switched off).
//
//===----------------------------------------------------------------------===//
#include "codegen/cuda/Attention.h"
#include "codegen/cuda/Lowering.h"

#include <algorithm>
#include <stdexcept>

namespace golf::cudagen {

namespace {

struct Dims {
  int64_t b, h, t, d, hkv, s, dv, g;
};

Dims dimsOf(const Lowering &l, const plan::Op &op) {
  const std::vector<int64_t> &q = l.type(op.operands[0]).shape, &k = l.type(op.operands[1]).shape,
                             &v = l.type(op.operands[2]).shape;
  return {q[0], q[1], q[2], q[3], k[1], k[2], v[3], q[1] / k[1]};
}

Step gemm(const Lowering &l, const plan::Op &op, const std::string &what, int a, int b, int c,
          GemmCall g) {
  Step s;
  s.kind = Step::Gemm;
  s.label = opLabel(l.function(), op) + " " + what;
  s.operands = {a, b};
  s.results = {c};
  s.gemm = g;
  return s;
}

/// probs = softmax(scale * scores [+ causal mask]) row by row; masked
/// entries are 0.
Step softmaxRows(Lowering &l, const plan::Op &op, const Dims &d, int scores, int probs) {
  bool causal = op.attrs.value("causal", false);
  std::string scale = floatLiteral(op.attrs.at("scale").get<double>());
  KernelBuilder b = l.builder();
  RowLoop r = openRows(b, l.type(scores).shape);
  std::string s = std::to_string(d.s);
  b.line("const int valid = " + (causal ? "int(row % " + std::to_string(d.t) + ") + 1" : s) + ";");
  Index at(r.lead);
  at.push_back("c");
  b.line("float m = __int_as_float(0xff800000);");
  b.open("for (int c = lane; c < valid; c += 32)");
  b.line("m = golf_max_nan(m, " + b.value(scores, at) + " * " + scale + ");");
  b.close();
  b.line("m = golf_warp_max(m);");
  b.line("float sum = 0.0f;");
  b.open("for (int c = lane; c < valid; c += 32)");
  b.line("sum += expf(" + b.value(scores, at) + " * " + scale + " - m);");
  b.close();
  b.line("const float inv = 1.0f / golf_warp_sum(sum);");
  b.open("for (int c = lane; c < " + s + "; c += 32)");
  b.store(probs, at, "c < valid ? expf(" + b.value(scores, at) + " * " + scale + " - m) * inv : 0.0f");
  b.close();
  return b.finish("softmax_rows", opLabel(l.function(), op) + " softmax", r.grid, r.block);
}

/// dscores = probs * (dprobs - rowsum(dprobs * probs)) * scale.
Step softmaxGradRows(Lowering &l, const plan::Op &op, int probs, int dprobs, int dscores) {
  std::string scale = floatLiteral(op.attrs.at("scale").get<double>());
  KernelBuilder b = l.builder();
  const std::vector<int64_t> &shape = l.type(probs).shape;
  RowLoop r = openRows(b, shape);
  std::string s = std::to_string(shape.back());
  Index at(r.lead);
  at.push_back("c");
  b.line("float dot = 0.0f;");
  b.open("for (int c = lane; c < " + s + "; c += 32)");
  b.line("dot += " + b.value(probs, at) + " * " + b.value(dprobs, at) + ";");
  b.close();
  b.line("dot = golf_warp_sum(dot);");
  b.open("for (int c = lane; c < " + s + "; c += 32)");
  b.store(dscores, at, b.value(probs, at) + " * (" + b.value(dprobs, at) + " - dot) * " + scale);
  b.close();
  return b.finish("softmax_grad_rows", opLabel(l.function(), op) + " softmax grad", r.grid, r.block);
}

AttentionShape flashShape(const Lowering &l, const plan::Op &op) {
  Dims d = dimsOf(l, op);
  AttentionShape s{d.b, d.h, d.hkv, d.t, d.s, d.d, d.dv, op.attrs.value("causal", false),
                   op.attrs.at("scale").get<double>(), l.type(op.operands[0]).dtype,
                   l.type(op.operands[1]).dtype, l.type(op.operands[2]).dtype,
                   l.type(op.results[0]).dtype, std::nullopt, std::nullopt, std::nullopt};
  if (op.kind == "attention_grad") {
    s.dy = l.type(op.operands[3]).dtype;
    s.dk = l.type(op.results[1]).dtype;
    s.dv = l.type(op.results[2]).dtype;
  }
  return s;
}

/// The flash kernels and cuDNN multiply bf16 operands and round the
/// probabilities to bf16, so f32 attention (autocast off) would differ from
/// the CPU reference by ~2e-2 at the baseline's size (golfc check, H100): it
/// takes the exact general path instead. Under autocast the IR casts q, k
/// and v to bf16 itself.
bool fusedApplies(const Lowering &l, const plan::Op &op) {
  if (l.options().attention == LowerOptions::Attention::General ||
      l.type(op.operands[0]).dtype != plan::DType::BF16)
    return false;
  try {
    validateAttention(flashShape(l, op), op.kind == "attention_grad");
  } catch (const std::invalid_argument &) {
    return false; // the general lowering handles every shape
  }
  return true;
}

/// cuDNN's SDPA reads and writes one dtype: every operand and result bf16.
bool cudnnApplies(const Lowering &l, const plan::Op &op) {
  if (l.options().attention != LowerOptions::Attention::Cudnn || !fusedApplies(l, op))
    return false;
  for (const std::vector<int> *values : {&op.operands, &op.results})
    for (int v : *values)
      if (l.type(v).dtype != plan::DType::BF16)
        return false;
  return true;
}

/// The op of `kind` over the same q, k and v, with the same mask and scale:
/// the gradient of a forward, or the forward of a gradient.
const plan::Op *partner(const plan::Function &f, const plan::Op &op, const std::string &kind) {
  for (const plan::Op &o : f.ops)
    if (o.kind == kind && std::equal(op.operands.begin(), op.operands.begin() + 3, o.operands.begin()) &&
        o.attrs.value("causal", false) == op.attrs.value("causal", false) &&
        o.attrs.at("scale") == op.attrs.at("scale"))
      return &o;
  return nullptr;
}

/// Where the backward at op `grad` reads y from for delta: the
/// materialized merge_heads(y), which the output projection's weight
/// gradient keeps alive anyway; else y itself when the backward reads it
/// anyway (an attention gate's gradient: a reader past the midpoint
/// between forward and backward, so y outlives the forward already);
/// else -1 (y dies with the forward, and the backward recomputes its
/// statistics).
int savedYOf(const Lowering &l, int y, const plan::Op &forward, const plan::Op &grad) {
  const plan::Function &f = l.function();
  for (const plan::Op &o : f.ops)
    if (o.kind == "merge_heads" && o.operands[0] == y && l.fusion().materialized[size_t(o.results[0])])
      return o.results[0];
  const int at = int(&forward - f.ops.data()), gradAt = int(&grad - f.ops.data());
  if (!l.fusion().materialized[size_t(y)] ||
      lastUse(l.fusion(), f, readersOf(f, l.values().size()), y) <= (at + gradAt) / 2)
    return -1;
  return y;
}

bool isArgOrResult(const plan::Function &f, int v) {
  return std::find(f.args.begin(), f.args.end(), v) != f.args.end() ||
         std::find(f.results.begin(), f.results.end(), v) != f.results.end();
}

/// The projection that split_heads splits into operand `v`, when every op
/// reading `v` is a flash attention kernel (which then reads the
/// projection itself); else -1.
int splitSource(const Lowering &l, int v) {
  const plan::Function &f = l.function();
  int p = l.fusion().producer[size_t(v)];
  if (p < 0 || f.ops[size_t(p)].kind != "split_heads" || isArgOrResult(f, v))
    return -1;
  int source = f.ops[size_t(p)].operands[0];
  if (!l.fusion().materialized[size_t(source)] || l.type(source).dtype != l.type(v).dtype)
    return -1;
  for (const plan::Op &o : f.ops)
    if (std::find(o.operands.begin(), o.operands.end(), v) != o.operands.end() &&
        ((o.kind != "attention" && o.kind != "attention_grad") || !fusedApplies(l, o)))
      return -1;
  return source;
}

/// The materialized merge_heads of result `v` when that is its only reader
/// (the kernel then writes it merged); else -1.
int mergeTarget(const Lowering &l, int v) {
  const plan::Function &f = l.function();
  const FusionPlan &fp = l.fusion();
  if (fp.uses[size_t(v)] != 1 || isArgOrResult(f, v))
    return -1;
  for (const plan::Op &o : f.ops)
    if (o.kind == "merge_heads" && o.operands[0] == v) {
      int m = o.results[0];
      bool ok = fp.materialized[size_t(m)] && fp.writtenByNorm[size_t(m)] < 0 &&
                fp.epilogueOf[size_t(m)] < 0 && l.type(m).dtype == l.type(v).dtype;
      return ok ? m : -1;
    }
  return -1;
}

/// Whether `op` runs on cuDNN: a forward that applies, or a backward whose
/// forward ran there and saved its statistics.
bool onCudnn(const Lowering &l, const plan::Op &op) {
  if (!cudnnApplies(l, op))
    return false;
  if (op.kind == "attention")
    return true;
  const plan::Op *forward = partner(l.function(), op, "attention");
  return forward && cudnnApplies(l, *forward) && l.attentionStats(forward->results[0]);
}

/// The FlashAttention-style program, or cuDNN's SDPA as a library step
/// (onCudnn). A forward whose gradient is in the same function, runs on the
/// same kernels and can read y (savedYOf) saves its softmax statistics for
/// it, which then skips its stats pass. The two kinds' statistics differ
/// (cuDNN's: a natural-log sum per row; the flash kernels': a log2 sum,
/// rows padded to 128), so a backward reads only its own kind's.
Step fusedAttention(Lowering &l, const plan::Op &op) {
  AttentionShape s = flashShape(l, op);
  const bool cudnn = onCudnn(l, op);
  const std::string stats = cudnn ? "stats" : "lse";
  Step step;
  step.label = opLabel(l.function(), op) + (cudnn ? " (cudnn)" : " (flash)");
  step.operands = op.operands;
  step.results = op.results;
  // Operands read from their projections, results written merged.
  bool *readsMerged[] = {&s.merged.q, &s.merged.k, &s.merged.v, &s.merged.dy};
  for (size_t i = 0; i < step.operands.size() && i < 4; ++i)
    if (int source = l.mergedSource(step.operands[i]); source >= 0) {
      *readsMerged[i] = true;
      step.operands[i] = source;
    }
  bool *writesMerged[] = {&s.merged.out, &s.merged.dk, &s.merged.dv};
  for (size_t i = 0; i < step.results.size(); ++i)
    if (int target = l.mergedTarget(step.results[i]); target >= 0) {
      *writesMerged[i] = true;
      step.results[i] = target;
    }
  if (cudnn) {
    step.kind = Step::Attention;
    step.attention.shape = s;
  }
  const int y = op.results[0];
  if (op.kind == "attention") {
    const plan::Op *grad = partner(l.function(), op, "attention_grad");
    const bool sameKernels = grad && (cudnn ? cudnnApplies(l, *grad) : fusedApplies(l, *grad));
    const int savedY = sameKernels ? savedYOf(l, y, op, *grad) : -1;
    const bool save = savedY >= 0;
    if (save) {
      int t = l.addTemporary({plan::DType::F32, {cudnn ? s.B * s.H * s.T : attentionLseCount(s)}});
      l.saveAttentionStats(y, {t, savedY});
      step.results.push_back(t);
      step.label += ", saves " + stats;
    }
    if (cudnn)
      step.attention.stats = save;
    else
      step.program = emitAttention(s, save);
    return step;
  }
  const plan::Op *forward = partner(l.function(), op, "attention");
  const Lowering::AttentionStats *saved = forward ? l.attentionStats(forward->results[0]) : nullptr;
  if (!saved) { // never on cuDNN (onCudnn)
    step.program = emitAttentionGrad(s);
    return step;
  }
  step.operands.push_back(saved->lse);
  step.operands.push_back(saved->y);
  step.label += ", reads the forward's " + stats;
  const bool yMerged = saved->y != forward->results[0];
  if (cudnn) {
    step.attention.grad = true;
    step.attention.yMerged = yMerged;
  } else {
    step.program = emitAttentionGrad(s, SavedAttention{l.type(saved->y).dtype, yMerged});
  }
  return step;
}

} // namespace

void planAttentionLayouts(Lowering &l) {
  for (const plan::Op &op : l.function().ops) {
    if ((op.kind != "attention" && op.kind != "attention_grad") || !fusedApplies(l, op))
      continue;
    for (size_t i = 0; i < op.operands.size(); ++i)
      if (int source = splitSource(l, op.operands[i]); source >= 0)
        l.readMerged(op.operands[i], source);
    for (int r : op.results)
      if (int target = mergeTarget(l, r); target >= 0)
        l.writeMerged(r, target);
  }
}

std::vector<Step> emitAttentionOp(Lowering &l, const plan::Op &op) {
  if (fusedApplies(l, op))
    return {fusedAttention(l, op)};
  Dims d = dimsOf(l, op);
  int q = op.operands[0], k = op.operands[1], v = op.operands[2];
  int64_t groups = d.b * d.hkv, rows = d.g * d.t;
  // Scores and their gradient come out of products in f32; the
  // probabilities and dscores go back into products, next to operands of
  // q's dtype (the op's verifier makes q, k, v and dy share it), so they are
  // stored in that dtype: cuBLASLt multiplies equal types.
  plan::TensorType square{plan::DType::F32, {groups, rows, d.s}};
  plan::TensorType operand{l.type(q).dtype, square.shape};
  int scores = l.addTemporary(square), probs = l.addTemporary(operand);
  // scores = Qg @ K^T, per (batch, KV head).
  GemmCall qk{rows, d.s, d.d, false, true, groups, rows * d.d, d.s * d.d, rows * d.s};
  std::vector<Step> steps{gemm(l, op, "q k^T", q, k, scores, qk),
                          softmaxRows(l, op, d, scores, probs)};
  if (op.kind == "attention") {
    GemmCall pv{rows, d.dv, d.s, false, false, groups, rows * d.s, d.s * d.dv, rows * d.dv};
    steps.push_back(gemm(l, op, "p v", probs, v, op.results[0], pv));
    return steps;
  }
  int dy = op.operands[3];
  int dprobs = l.addTemporary(square), dscores = l.addTemporary(operand);
  GemmCall dyv{rows, d.s, d.dv, false, true, groups, rows * d.dv, d.s * d.dv, rows * d.s};
  steps.push_back(gemm(l, op, "dy v^T", dy, v, dprobs, dyv));
  steps.push_back(softmaxGradRows(l, op, probs, dprobs, dscores));
  GemmCall dq{rows, d.d, d.s, false, false, groups, rows * d.s, d.s * d.d, rows * d.d};
  steps.push_back(gemm(l, op, "dq = ds k", dscores, k, op.results[0], dq));
  // Summing over the g query heads of a group is the K = g*T contraction.
  GemmCall dk{d.s, d.d, rows, true, false, groups, rows * d.s, rows * d.d, d.s * d.d};
  steps.push_back(gemm(l, op, "dk = ds^T q", dscores, q, op.results[1], dk));
  GemmCall dv{d.s, d.dv, rows, true, false, groups, rows * d.s, rows * d.dv, d.s * d.dv};
  steps.push_back(gemm(l, op, "dv = p^T dy", probs, dy, op.results[2], dv));
  return steps;
}

} // namespace golf::cudagen
