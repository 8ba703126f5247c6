//===- Passes.h - golf passes ------------------------------------*- C++ -*-===//
#ifndef GOLF_PASSES_PASSES_H
#define GOLF_PASSES_PASSES_H

#include "ir/GolfOps.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/Pass.h"

namespace mlir::golf {

#define GEN_PASS_DECL
#include "passes/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "passes/Passes.h.inc"

/// The bit width the export section `exp` gives `param`, or nothing if it
/// stays float (golf-insert-qat's rule, which golf-insert-crown-q shares).
std::optional<int64_t> exportBits(ParamOp param, DictionaryAttr exp);

/// What a pass that builds a late-training twin of @loss reads: the train
/// section's directive `name` (null when absent: nothing to do), @loss and
/// the export section (empty when absent). Failure (emitted on the module)
/// when the directive is there but @loss is not.
struct LateTraining {
  DictionaryAttr directive, exportSection;
  func::FuncOp loss;
};
FailureOr<LateTraining> lateTraining(ModuleOp module, StringRef name, StringRef pass);

} // namespace mlir::golf

#endif // GOLF_PASSES_PASSES_H
