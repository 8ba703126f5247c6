//===- Fusion.h - which values of a function live in memory -----*- C++ -*-===//
//
// The GPU backend fuses by materialization: a value is written to device
// memory only when it must be (a function result, the output of a reduction
// or library op, an operand of a library op, or a value read by several
// ops that is not cheaper to recompute); every other value is recomputed inside the kernel that consumes it,
// from an index expression over materialized values. Pointwise and layout
// ops (elementwise math, broadcast, transpose, slice, pad, heads, rope,
// gathers) thereby fuse into their consumers, producer into consumer,
// without a search: the rules below decide.
//
//===----------------------------------------------------------------------===//
#ifndef GOLF_CODEGEN_CUDA_FUSION_H
#define GOLF_CODEGEN_CUDA_FUSION_H

#include "runtime/plan/Plan.h"

#include <string_view>
#include <vector>

namespace golf::cudagen {

enum class OpClass : uint8_t {
  Source,    // param_ref: a caller's buffer
  Constant,  // inlined as a literal or a table
  Pointwise, // each result element is an expression of operand elements
  View,      // reshape: pointwise, or a shared buffer when its operand is materialized
  Reduction, // a generated kernel that reduces (norms, losses, sums, scatter)
  Library,   // matmul (cuBLASLt), attention (its own templates)
};

/// The class of a plan op kind; throws std::invalid_argument for unknown kinds.
OpClass classify(std::string_view kind);
/// Pointwise ops that compute each result element from operand elements at
/// the same index (operands may broadcast), with no layout change.
bool elementwise(std::string_view kind);

struct FusionPlan {
  std::vector<bool> materialized; // per plan value id
  std::vector<int> producer;      // per value id: op index in the function, -1 for arguments
  std::vector<int> uses;          // per value id: number of reading ops
  // Epilogues: a row reduction (norms, the loss gradient, fake_quant) whose
  // elementwise result feeds only a chain of elementwise ops computes that
  // chain in its own kernel and writes the chain's end instead of its result
  // (an rms_norm's bf16 cast, an rms_norm_grad added to the residual's
  // gradient): one pass over memory fewer per link.
  // A norm's chain may also move elements within the row (RoPE after q/k
  // RMSNorm) or move the row (merge_heads after the q/k norms' gradients):
  // the norm kernel then stages the row in shared memory.
  std::vector<int> epilogueEnd; // per reduction result: the value its kernel writes, or -1
  std::vector<int> epilogueOf;  // per value: the reduction result whose kernel writes it, or -1
  std::vector<bool> epilogueRow; // per reduction result: the chain reads across its row
  // Prologues: an rms_norm whose input is a pointwise value read by later
  // ops too (the residual stream) computes that value itself and writes it
  // beside its own result, instead of reading it back from memory.
  std::vector<int> writtenByNorm; // per value: the rms_norm op that writes it, or -1
};

/// Every op that reads each value, in order.
std::vector<std::vector<int>> readersOf(const plan::Function &f, size_t values);
/// The last op that reads `v` from memory: directly, or through values
/// that live nowhere (each of their readers recomputes them).
int lastUse(const FusionPlan &fp, const plan::Function &f,
            const std::vector<std::vector<int>> &readers, int v);
/// Adds to `out` (once each) the values in memory that computing `v` from
/// its producer reads, through the values it inlines.
void leavesOf(const plan::Function &f, const FusionPlan &fp, int v, std::vector<int> &out);
/// The op after which value `v` is in memory: its producer, or the norm
/// whose kernel writes it (a prologue), or where a reduction's epilogue ends.
int availableAt(const plan::Function &f, const FusionPlan &fp, int v);

/// The longest row a norm stages in shared memory for a row epilogue.
constexpr int64_t kMaxEpilogueRow = 1024;

FusionPlan planFusion(const plan::Plan &plan, const plan::Function &f);

} // namespace golf::cudagen

#endif // GOLF_CODEGEN_CUDA_FUSION_H
