//===- Summary.h - the parameter table of a compiled model ------*- C++ -*-===//
#ifndef GOLF_TOOLS_GOLFC_SUMMARY_H
#define GOLF_TOOLS_GOLFC_SUMMARY_H

#include "mlir/IR/BuiltinOps.h"
#include "llvm/Support/raw_ostream.h"

namespace golf {

/// Prints every parameter (name, shape, dtype, group, quant class, count),
/// totals per optimizer group and quant class, and the grand total.
void printSummary(mlir::ModuleOp module, llvm::raw_ostream &os);

} // namespace golf

#endif // GOLF_TOOLS_GOLFC_SUMMARY_H
