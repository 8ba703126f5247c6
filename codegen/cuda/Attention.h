//===- Attention.h - CUDA programs for attention and attention_grad -*- C++ -*-===//
//
// FlashAttention-2-style kernels on mma.sync (bf16 products, fp32
// accumulation and softmax) for golf.attention and golf.attention_grad,
// specialized per shape, mask, scale and dtypes. The CUDA sources are
// codegen/cuda/kernels/attention_*.cuh; the programs' structure is
// described in codegen/cuda/Attention.cpp.
//
// Supported: head dims D = Dv = 64; any B, H, Hkv (H a multiple of Hkv),
// T and S (causal needs T == S); F32 or BF16 operands and results (F32
// values are rounded to bf16 for the tensor cores, so results match an
// fp32 reference to bf16 precision, relative error about 1e-2 at worst).
//
//===----------------------------------------------------------------------===//
#ifndef GOLF_CODEGEN_CUDA_ATTENTION_H
#define GOLF_CODEGEN_CUDA_ATTENTION_H

#include "codegen/cuda/Program.h"
#include "runtime/plan/Plan.h"

#include <cstdint>
#include <optional>

namespace golf::cudagen {

/// Throws std::invalid_argument with a one-line reason when the kernels do
/// not support `s` (forward, or backward with `grad`).
void validateAttention(const AttentionShape &s, bool grad);

/// The forward's saved softmax statistics: the log2-sum-exp of every query
/// row, [B*H][T rounded up to 128] f32 (pad rows finite).
int64_t attentionLseCount(const AttentionShape &s);

/// Forward: operands (q, k, v), result (y); with `saveLse`, also result 1,
/// the statistics (attentionLseCount floats) for emitAttentionGrad. Throws
/// std::invalid_argument with a one-line reason for unsupported shapes.
OpProgram emitAttention(const AttentionShape &s, bool saveLse = false);

/// What a backward reads from its forward instead of recomputing it: the
/// saved lse, and y (for delta = rowsum(dy * y)), in the forward's
/// [B, H, T, D] layout or merged by merge_heads to [B, T, H*D].
struct SavedAttention {
  plan::DType y;
  bool merged;
};

/// Backward: operands (q, k, v, dy), results (dq, dk, dv). Without `saved`,
/// a first pass recomputes the softmax statistics (lse) and delta; with it,
/// operands 4 and 5 are the forward's lse and y, and delta takes one read
/// of dy and y.
OpProgram emitAttentionGrad(const AttentionShape &s,
                            std::optional<SavedAttention> saved = std::nullopt);

} // namespace golf::cudagen

#endif // GOLF_CODEGEN_CUDA_ATTENTION_H
