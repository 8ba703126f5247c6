//===- Fusion.h - which values of a function live in memory -----*- C++ -*-===//
//
// The GPU backend fuses by materialization: a value is written to device
// memory only when it must be (a function result, the output of a reduction
// or library op, an operand of a library op, or a value read by several
// ops); every other value is recomputed inside the kernel that consumes it,
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

struct FusionPlan {
  std::vector<bool> materialized; // per plan value id
  std::vector<int> producer;      // per value id: op index in the function, -1 for arguments
  std::vector<int> uses;          // per value id: number of reading ops
};

FusionPlan planFusion(const plan::Plan &plan, const plan::Function &f);

} // namespace golf::cudagen

#endif // GOLF_CODEGEN_CUDA_FUSION_H
