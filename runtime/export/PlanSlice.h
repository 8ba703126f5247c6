//===- PlanSlice.h - plan functions that return intermediates ---*- C++ -*-===//
//
// Export needs values inside a model function: the inputs of the quantized
// matmuls (GPTQ's Hessians) and the logits (self-generated calibration).
// Rather than hooking an executor, it derives plan functions that return
// them, so any executor that runs plans (the CPU one now, the GPU one later)
// supplies them unchanged.
//
//===----------------------------------------------------------------------===//
#ifndef GOLF_RUNTIME_EXPORT_PLANSLICE_H
#define GOLF_RUNTIME_EXPORT_PLANSLICE_H

#include "runtime/plan/Plan.h"

#include <optional>
#include <string>

namespace golf::exporter {

/// A function `name` with `base`'s arguments that runs only the ops the
/// `values` depend on and returns them (result names "value:<id>").
plan::Function sliceFunction(const plan::Function &base, const std::vector<int> &values,
                             std::string name);

/// `plan` with `fn` as its only function (the executor then checks and
/// keeps only what runs).
plan::Plan planWith(const plan::Plan &plan, plan::Function fn);

/// The input x of a linear y = x W^T: a matmul with transpose_rhs whose
/// right operand is a 2-D parameter (through casts).
struct LinearInput {
  std::string param;
  int value = 0;
};
std::vector<LinearInput> linearInputs(const plan::Plan &plan, const plan::Function &fn);

/// The value `fn` passes to its cross_entropy as logits, if any.
std::optional<int> logitsValue(const plan::Function &fn);

} // namespace golf::exporter

#endif // GOLF_RUNTIME_EXPORT_PLANSLICE_H
