//===- Print.h - readable dumps of the GPU lowering -------------*- C++ -*-===//
//
// `golfc compile --emit=fused` prints, per function, each step with the plan
// ops it computes (fused producers first), the values it reads and writes,
// and its launches; `--emit=cuda` prints every distinct kernel's source
// once, headed by the steps that launch it.
//
//===----------------------------------------------------------------------===//
#ifndef GOLF_CODEGEN_CUDA_PRINT_H
#define GOLF_CODEGEN_CUDA_PRINT_H

#include "codegen/cuda/Lowering.h"

#include <string>
#include <vector>

namespace golf::cudagen {

/// Lowers every function of the plan; throws std::invalid_argument.
std::vector<FunctionProgram> lowerPlan(const plan::Plan &plan, const LowerOptions &options = {});

std::string printFused(const plan::Plan &plan, const std::vector<FunctionProgram> &programs);
std::string printCuda(const std::vector<FunctionProgram> &programs);

/// The bytes a step moves at least: each value it reads or writes, once.
/// Over a function's generated steps, the memory traffic that fusion
/// decides (GEMMs and attention read their operands however they are made).
uint64_t stepBytes(const FunctionProgram &p, const Step &s);

/// One line naming a cuDNN attention call: direction, sizes, mask, scale and
/// the tensors in merge_heads' layout (--emit=fused, profiles, the runtime's
/// graph cache key).
std::string describe(const AttentionCall &call);

/// Every distinct kernel of the programs, in first-use order.
std::vector<Kernel> distinctKernels(const std::vector<FunctionProgram> &programs);

} // namespace golf::cudagen

#endif // GOLF_CODEGEN_CUDA_PRINT_H
