//===- Passes.h - golf passes ------------------------------------*- C++ -*-===//
#ifndef GOLF_PASSES_PASSES_H
#define GOLF_PASSES_PASSES_H

#include "ir/GolfOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/Pass.h"

namespace mlir::golf {

#define GEN_PASS_DECL
#include "passes/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "passes/Passes.h.inc"

} // namespace mlir::golf

#endif // GOLF_PASSES_PASSES_H
