//===- PlanBuilder.h - golf IR to the runtime's plan ------------*- C++ -*-===//
#ifndef GOLF_CODEGEN_PLANBUILDER_H
#define GOLF_CODEGEN_PLANBUILDER_H

#include "mlir/IR/BuiltinOps.h"
#include "runtime/plan/Plan.h"

namespace golf {

/// Converts a verified golf module (after golf-verify-contract, usually
/// after golf-autodiff) into a plan: parameters, every function as an op
/// list over numbered values, and the sections. Fails with a diagnostic on
/// anything the plan cannot express (a non-splat constant, a foreign op).
mlir::FailureOr<plan::Plan> buildPlan(mlir::ModuleOp module);

} // namespace golf

#endif // GOLF_CODEGEN_PLANBUILDER_H
