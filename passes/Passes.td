//===- Passes.td - golf passes -------------------------------*- tablegen -*-===//
//
// Every golf pass is declared here, grouped by phase, alphabetical within a
// group. Each has one lit test file under test/passes/.
//
//===----------------------------------------------------------------------===//

#ifndef GOLF_PASSES
#define GOLF_PASSES

include "mlir/Pass/PassBase.td"

//===----------------------------------------------------------------------===//
// Contract
//===----------------------------------------------------------------------===//

def GolfVerifyContract : Pass<"golf-verify-contract", "::mlir::ModuleOp"> {
  let summary = "Checks the backend contract: static shapes, golf ops only";
  let description = [{
    States once what every later phase relies on, so that no later pass has
    to check it again:
    - every value in every function is a ranked tensor with a static shape
      and an element type the backends support (f32, bf16, f16, f64, i32, i1);
    - function bodies hold only golf ops and `func.return`, in one block;
    - every `golf.param` has a unique name and is read by at least one
      function (an unused parameter would be trained and exported for
      nothing), and the `@loss` function returns a scalar;
    - no tensor has more than 2^40 elements.

    Example: a `tensor<?x512xf32>` argument is rejected with
    `error: dynamic shape tensor<?x512xf32>: the backend contract needs static shapes`.
  }];
}

#endif // GOLF_PASSES
