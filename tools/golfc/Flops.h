//===- Flops.h - model FLOPs of a training step -----------------*- C++ -*-===//
//
// MFU's numerator, counted from the compiled graph rather than a formula
// per architecture: the matrix products and attention of @loss's forward
// pass (2·M·N·K per product; 4·B·H·T·S·D per attention, halved when
// causal), times 3 for forward + backward, per token of its micro-batch.
// For the baseline this is 6·(matrix weights, the tied head once) +
// 6·layers·seq·dim, the usual count (bench/baseline_h100/torch_train.py
// uses the same).
//
//===----------------------------------------------------------------------===//
#ifndef GOLF_TOOLS_GOLFC_FLOPS_H
#define GOLF_TOOLS_GOLFC_FLOPS_H

#include "runtime/plan/Plan.h"

namespace golf {

/// Training FLOPs per token (0 when the plan has no @loss).
double trainFlopsPerToken(const plan::Plan &plan);

/// Dense bf16 tensor-core peak of an H100 SXM (989 TFLOP/s), MFU's
/// denominator here and in the PyTorch comparison.
inline constexpr double kH100Bf16Peak = 989e12;

} // namespace golf

#endif // GOLF_TOOLS_GOLFC_FLOPS_H
