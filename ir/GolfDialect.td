//===- GolfDialect.td - the golf dialect --------------------*- tablegen -*-===//
//
// The golf dialect holds a parameter-golf model as a graph of tensor ops with
// static shapes. Parameters are module-level symbols; the training loss and
// the evaluation forward pass are func.func bodies built from golf ops.
//
//===----------------------------------------------------------------------===//

#ifndef GOLF_DIALECT
#define GOLF_DIALECT

include "mlir/IR/OpBase.td"

def Golf_Dialect : Dialect {
  let name = "golf";
  let summary = "Tensor ops for small transformer language models.";
  let description = [{
    The `golf` dialect is what the `.golf` frontend lowers to and what every
    later phase (autodiff, QAT insertion, fusion, buffer planning, CUDA
    codegen and the CPU reference executor) consumes. Every tensor is ranked
    with a static shape: the `golf-verify-contract` pass states this once.

    Element types: `f32`, `bf16`, `f16`, `f64` for values, `i32` for token ids
    and hashes, `i1` for comparison results.
  }];
  let cppNamespace = "::mlir::golf";
  let dependentDialects = ["::mlir::func::FuncDialect"];
  // Inherent attributes live in the attribute dictionary so that the
  // frontend can run result-type inference on an OperationState before the
  // op exists (and report a source error instead of aborting).
  let usePropertiesForAttributes = 0;
}

class Golf_Op<string mnemonic, list<Trait> traits = []>
    : Op<Golf_Dialect, mnemonic, traits>;

#endif // GOLF_DIALECT
