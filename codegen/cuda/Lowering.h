//===- Lowering.h - a plan function to GPU steps ----------------*- C++ -*-===//
//
// lowerFunction walks a function's ops in order and gives every
// materialized value (Fusion.h) the step that computes it: a pointwise
// kernel for fused expressions, one emitter per reduction family
// (Reduce.cpp, Norm.cpp, Loss.cpp, Quant.cpp, Embedding.cpp), cuBLASLt for
// matmul and the attention templates for attention.
//
//===----------------------------------------------------------------------===//
#ifndef GOLF_CODEGEN_CUDA_LOWERING_H
#define GOLF_CODEGEN_CUDA_LOWERING_H

#include "codegen/cuda/KernelBuilder.h"

#include <functional>
#include <map>

namespace golf::cudagen {

/// Choices of the GPU lowering.
struct LowerOptions {
  /// Attention where the fused kernels apply (bf16 operands, head dim 64):
  /// golfc's FlashAttention-style kernels (Attention.h), or cuDNN's fused
  /// SDPA (a library step, runtime/cuda/CudnnAttention.h); elsewhere, and
  /// always with General, products and a row softmax (AttentionOp.cpp).
  enum class Attention : uint8_t { Flash, Cudnn, General } attention = Attention::Flash;
  /// Arena bytes a function may plan before cheap values read late are
  /// recomputed instead of kept (Remat.cpp: one more pass over memory
  /// each, for less memory); 0: no limit, keep them.
  uint64_t memoryBudget = 0;
};
/// "flash", "cudnn" or "general".
const char *attentionName(LowerOptions::Attention a);

/// Throws std::invalid_argument with a one-line reason for what the GPU
/// backend cannot run.
FunctionProgram lowerFunction(const plan::Plan &plan, const plan::Function &f,
                              const LowerOptions &options = {});

/// What every emitter sees: the function, its value table (with room for
/// temporaries) and the fusion decisions.
class Lowering {
public:
  Lowering(const plan::Plan &plan, const plan::Function &f, const LowerOptions &options);
  const LowerOptions &options() const { return options_; }
  KernelBuilder builder() const { return KernelBuilder(values_, f_, fusion_); }
  const plan::TensorType &type(int v) const { return values_[size_t(v)]; }
  /// A new materialized value of `type`, written and read by this lowering
  /// only. It may move the value table: references from type() die.
  int addTemporary(plan::TensorType type);
  const plan::Function &function() const { return f_; }
  const std::vector<plan::TensorType> &values() const { return values_; }
  /// The function's parameters: each param_ref's value and its name.
  std::vector<std::pair<int, std::string>> params() const;
  const FusionPlan &fusion() const { return fusion_; }
  FunctionProgram take(std::vector<Step> steps);

  /// What a flash attention forward keeps for its gradient (AttentionOp.cpp):
  /// the temporary holding its lse and the materialized value the backward
  /// reads y from (y itself or merge_heads(y)).
  struct AttentionStats {
    int lse, y;
  };
  void saveAttentionStats(int y, AttentionStats stats) { attentionStats_[y] = stats; }
  /// The statistics saved by the forward whose result is `y`, if any.
  const AttentionStats *attentionStats(int y) const {
    auto it = attentionStats_.find(y);
    return it == attentionStats_.end() ? nullptr : &it->second;
  }

  /// Head layouts of the flash attention kernels (AttentionOp.cpp): an
  /// operand split by split_heads is read from the projection it splits
  /// (`readFrom`), a result merged by merge_heads is written merged
  /// (`writeTo`), so neither copy runs; the split or unmerged value then
  /// lives nowhere.
  void readMerged(int split, int source) {
    readFrom_[split] = source;
    fusion_.materialized[size_t(split)] = false;
  }
  void writeMerged(int result, int merged) {
    writeTo_[result] = merged;
    fusion_.materialized[size_t(result)] = false;
  }
  /// The merged value behind `v` (readFrom or writeTo), or -1.
  int mergedSource(int v) const {
    auto r = readFrom_.find(v);
    return r != readFrom_.end() ? r->second : -1;
  }
  int mergedTarget(int v) const {
    auto w = writeTo_.find(v);
    return w != writeTo_.end() ? w->second : -1;
  }
  /// Whether an attention kernel writes `v` (a merge_heads result).
  bool writtenByAttention(int v) const {
    for (const auto &[result, merged] : writeTo_)
      if (merged == v)
        return true;
    return false;
  }

private:
  const plan::Function &f_;
  LowerOptions options_;
  std::vector<plan::TensorType> values_;
  FusionPlan fusion_;
  std::map<int, AttentionStats> attentionStats_;
  std::map<int, int> readFrom_, writeTo_;
};

// The emitters, one per op family.
Step emitPointwise(const Lowering &l, const std::vector<int> &values); // of one shape, side by side
std::vector<Step> emitReduce(Lowering &l, const plan::Op &op);        // reduce_{sum,mean,max,to}
std::vector<Step> emitNorm(Lowering &l, const plan::Op &op);          // rms_norm(_grad)
/// An rms_norm_grad whose epilogue end (the residual gradient) the column
/// group `g` reads: one kernel computes both, each warp walking rows and
/// adding column sums into shared memory (Norm.cpp), when normTakesColumns.
struct ColumnGroup;
bool normTakesColumns(const Lowering &l, const plan::Op &op, const ColumnGroup &g);
std::vector<Step> emitNormGradColumns(Lowering &l, const plan::Op &op, const ColumnGroup &g);
std::vector<Step> emitLoss(Lowering &l, const plan::Op &op);          // cross_entropy(_grad)
std::vector<Step> emitQuant(Lowering &l, const plan::Op &op);         // fake_quant(_grad)
std::vector<Step> emitEmbeddingGrad(Lowering &l, const plan::Op &op); // embedding_grad
Step emitGemm(const Lowering &l, const plan::Op &op);
std::vector<Step> emitAttentionOp(Lowering &l, const plan::Op &op);
/// Decides the head layouts of the flash attention kernels (Lowering::
/// readMerged, writeMerged) before any step is emitted.
void planAttentionLayouts(Lowering &l);

/// Sums all of `in` that project onto each element of `out` (numpy
/// broadcasting read backwards), times `scale`: reduce_to, and the mean of
/// a loss over its rows.
std::vector<Step> emitSumTo(Lowering &l, int in, int out, double scale, const std::string &label);

/// Whether reduce_to(in -> out) sums leading rows into trailing columns
/// (at least 1024 rows); sets the row count and the column count (out's
/// elements).
bool sumsRowsToColumns(const std::vector<int64_t> &in, const std::vector<int64_t> &out,
                       int64_t &rows, int64_t &cols);

/// The second stage of chunked sums: each out = scale * the sum, in order,
/// of its partial sums stored [chunks, outputs] (chunkMajor) or [outputs,
/// chunks]; every out has as many elements. One launch.
struct PartialSum {
  int partial, out;
  double scale;
};
Step sumPartials(const Lowering &l, const std::vector<PartialSum> &sums, int64_t chunks,
                 bool chunkMajor, const std::string &prefix, const std::string &label);

/// Column sums over the same rows and columns, and pointwise `siblings`
/// with as many elements, in one pass over the rows (Columns.cpp).
struct ColumnSum {
  int in, out;
  double scale;
};
struct ColumnGroup {
  std::vector<int> members; // the ops, leader first (empty for a lone sum)
  std::vector<ColumnSum> sums;
  std::vector<int> siblings;
};
std::vector<Step> emitColumns(Lowering &l, const ColumnGroup &g, const std::string &label);
/// The ops (leader first) one column kernel computes when the lowering
/// reaches the column sum at op `leader`; ops marked `done` are taken. What
/// the members read must be in memory before op `before` (default: the
/// leader) runs.
std::vector<int> columnGroupAt(const Lowering &l, int leader, const std::vector<bool> &done, int before = -1);
ColumnGroup columnGroupOf(const Lowering &l, const std::vector<int> &members);
/// The column group led by the first column sum after op `at` that reads
/// `v` (made by op `at`), with what its members read in memory by then;
/// empty if there is none.
std::vector<int> columnGroupAfter(const Lowering &l, int at, int v, const std::vector<bool> &done);
std::vector<Step> emitColumnGroup(Lowering &l, const std::vector<int> &members);
/// "columns: #12 reduce_to #13 mul ..." for a group's steps.
std::string columnLabel(const Lowering &l, const ColumnGroup &g);

/// One row of a column pass, for emitters that walk rows (the column kernel,
/// a norm gradient with a column epilogue): stores the siblings and hands
/// each sum's operand at (row, column + lane), lane by lane, to add().
constexpr int64_t kColumnLanes = 4;
struct ColumnRow {
  std::string row, column; // C expressions; column is a multiple of `lanes`
  int64_t lanes = 1;       // 1, or kColumnLanes (KernelBuilder lanes)
  /// Emits the statements that add `values` (one per lane) into sum `sum`.
  std::function<void(KernelBuilder &b, size_t sum, const std::vector<std::string> &values)> add;
  /// Each shape's (row, column) index, made on first use; an emitter may
  /// preset its own so that values it holds in registers are not reloaded.
  std::map<std::vector<int64_t>, Index> index;
};
void emitColumnRow(KernelBuilder &b, const Lowering &l, const ColumnGroup &g, int64_t cols, ColumnRow &at);
/// Whether every tensor of `g` may be read kColumnLanes columns at a time.
bool vectorColumns(const Lowering &l, const ColumnGroup &g, int64_t cols);
/// A column pass's partial sums [chunks, cols], one per sum of `g`, and a
/// builder that computes and stores g's siblings where it reads them.
struct ColumnKernel {
  std::vector<int> partials;
  KernelBuilder b;
};
ColumnKernel startColumnKernel(Lowering &l, const ColumnGroup &g, int64_t chunks, int64_t cols);
/// The step that adds each sum's partials [chunks, cols] into its result.
Step sumColumnPartials(Lowering &l, const ColumnGroup &g, const std::vector<int> &partials, int64_t chunks,
                       const std::string &label);

/// Warp-per-row loops for row emitters: eight rows per block of 256 threads.
struct RowLoop {
  Index lead;       // the row's index over all axes but the last
  std::string lane; // 0..31
  std::array<uint32_t, 3> grid, block;
};
RowLoop openRows(KernelBuilder &b, const std::vector<int64_t> &shape);

/// Runs cheap pointwise steps again right before readers that come long
/// after the first run, so their values need not stay alive in between
/// (Remat.cpp).
void rematerialize(Lowering &l, std::vector<Step> &steps);

/// "op #12 rms_norm" for labels and errors.
std::string opLabel(const plan::Function &f, const plan::Op &op);

} // namespace golf::cudagen

#endif // GOLF_CODEGEN_CUDA_LOWERING_H
