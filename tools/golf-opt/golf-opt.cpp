//===- golf-opt.cpp - golf dialect optimizer driver -----------------------===//
//
// The lit-test harness: parses golf IR, runs the named passes, prints the
// result.
//
//===----------------------------------------------------------------------===//
#include "ir/GolfDialect.h"
#include "passes/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"
#include "mlir/Transforms/Passes.h"

int main(int argc, char **argv) {
  mlir::golf::registerGolfPasses();
  mlir::registerCanonicalizerPass();
  mlir::registerCSEPass();
  mlir::DialectRegistry registry;
  registry.insert<mlir::golf::GolfDialect, mlir::func::FuncDialect>();
  return mlir::asMainReturnCode(
      mlir::MlirOptMain(argc, argv, "golf optimizer driver\n", registry));
}
