//===- Lower.h - .golf syntax tree to golf IR -------------------*- C++ -*-===//
#ifndef GOLF_FRONTEND_LOWER_H
#define GOLF_FRONTEND_LOWER_H

#include "frontend/AST.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"
#include <map>
#include <optional>

namespace golf {

struct LowerOptions {
  /// `--set name=value`: replaces the first top-level assignment of `name`
  /// (value in .golf expression syntax).
  std::map<std::string, std::string> overrides;
  /// Sequences per training micro-batch; default from the train section.
  std::optional<int64_t> trainBatch;
  /// Sequences per evaluation batch; default from the eval section, else 8.
  std::optional<int64_t> evalBatch;
  /// `--autocast=off|bf16`: replaces the train section's autocast setting.
  std::optional<std::string> autocast;
};

/// Runs the program at compile time and builds a module with the parameters
/// (golf.param), `@loss(ids, targets)` at training shapes and
/// `@nll(ids, targets)` (per-token loss) at evaluation shapes, and the
/// train/export/eval sections as attributes. Null after reporting errors.
mlir::OwningOpRef<mlir::ModuleOp> lowerToGolf(const Module &module,
                                              const LowerOptions &options,
                                              mlir::MLIRContext &ctx,
                                              Diagnostics &diags);

} // namespace golf

#endif // GOLF_FRONTEND_LOWER_H
