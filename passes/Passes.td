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
// Autodiff
//===----------------------------------------------------------------------===//

def GolfAutodiff : Pass<"golf-autodiff", "::mlir::ModuleOp"> {
  let summary = "Reverse-mode differentiation of @loss into @loss_grad";
  let description = [{
    For each function F named by `functions` (default: loss) builds `@F_grad`
    with the arguments of `@F`; it returns the loss
    followed by the gradient of every `golf.param` in module order (zeros for
    a parameter the loss does not reach). The function attribute
    `golf.result_names` names the results: "loss", then "grad:<param>".

    Each op has one rule in this pass; gradients of values used several
    times are summed, and gradients of broadcast operands are reduced back
    with `golf.reduce_to`. `golf.round` and `golf.fake_quant` in "ste" mode
    pass gradients straight through; soft-round uses `golf.fake_quant_grad`.

    Example:
    ```mlir
    func.func @loss_grad(%ids: tensor<2x16xi32>, %targets: tensor<2x16xi32>)
        -> (tensor<f32>, tensor<64x32xf32>, ...)
        attributes {golf.result_names = ["loss", "grad:tok_emb", ...]}
    ```
  }];
  let options = [
    ListOption<"functions", "functions", "std::string",
               "the scalar functions to differentiate (default: loss)">
  ];
}

//===----------------------------------------------------------------------===//
// Quantization-aware training
//===----------------------------------------------------------------------===//

def GolfInsertQat : Pass<"golf-insert-qat", "::mlir::ModuleOp"> {
  let summary = "Builds @loss_qat: @loss on fake-quantized weights";
  let description = [{
    When the train section has a `qat` directive, clones `@loss` into
    `@loss_qat` in which every parameter that the export will quantize is
    read through `golf.fake_quant` with its class's bit width (or the qat
    directive's `bits`) and mode. A parameter is quantized at export when it
    has rank >= 2, more than `passthrough_numel` elements, a `quant` rule for
    its class (or a `default` rule) and no `keep` rule. The trainer switches
    from `@loss_grad` to `@loss_qat_grad` once the LR multiplier falls below
    the directive's threshold (late QAT, pgolf-spec §4.19): two static
    graphs instead of a runtime flag. With mode soft_round, @loss_qat takes
    the sharpness as a last `tensor<f32>` argument that every fake_quant
    reads, so the trainer can anneal it from alpha_start to alpha_end.

    Without a qat directive the pass does nothing.

    Example: `%w = golf.param_ref @"blocks.0.wq"` becomes, in `@loss_qat`,
    `%q = golf.fake_quant %w {bits = 6 : i64, mode = "ste"}`.
  }];
}

def GolfInsertCrownQ : Pass<"golf-insert-crown-q", "::mlir::ModuleOp"> {
  let summary = "Builds the loss functions with CROWN-Q's quantization-noise penalty";
  let description = [{
    When the train section has a `crown_q` directive, clones `@loss` into
    `@loss_crownq` (and `@loss_qat`, if golf-insert-qat made one, into
    `@loss_qat_crownq`) with the penalty of pgolf-spec §4.19 added to the
    returned loss:

      weight * mean over W of mean_r( mean_j(W[r, j]^2) * d_r^2 / 12 ),
      d_r = max_j |W[r, j]| / 15, held constant (golf.stop_gradient),

    over the matrices the export quantizes (golf-insert-qat's rule). The
    trainer takes the `_crownq` functions while the directive is on (during
    warmdown, or always): static graphs instead of a runtime switch.

    Without a crown_q directive the pass does nothing.

    Example, for one quantized `@w : tensor<4x8xf32>` and weight 0.01:
    ```mlir
    %w = golf.param_ref @w : tensor<4x8xf32>
    %sq = golf.square %w : tensor<4x8xf32>
    %ms = golf.reduce_mean %sq {axis = 1 : i64} : tensor<4x8xf32> -> tensor<4xf32>
    %a = golf.abs %w : tensor<4x8xf32>
    %mx = golf.reduce_max %a {axis = 1 : i64} : tensor<4x8xf32> -> tensor<4xf32>
    %d = golf.stop_gradient %mx : tensor<4xf32>
    ...
    %loss2 = golf.add %loss, %penalty : tensor<f32>, tensor<f32> -> tensor<f32>
    ```
  }];
}

//===----------------------------------------------------------------------===//
// Precision
//===----------------------------------------------------------------------===//

def GolfAutocast : Pass<"golf-autocast", "::mlir::ModuleOp"> {
  let summary = "Runs matrix products and attention in bf16 (torch.autocast)";
  let description = [{
    When the train section says `autocast = bf16`, every `golf.matmul`,
    `golf.attention` and `golf.attention_grad` of every function reads its
    float operands through `golf.cast` to bf16 and produces bf16 results,
    which are cast back to their original type for the ops that read them.
    The products accumulate in fp32 (cuBLASLt and the attention kernels do;
    so does the CPU executor, which keeps the rounded bf16 values in fp32):
    what PyTorch's autocast does for the records' trainers, so that the GPU
    runs tensor-core products while the CPU executor computes the same
    numbers as its oracle. Runs after golf-autodiff, so the backward
    products are covered too and the casts of a value are shared by its
    forward and backward readers (after CSE). With `autocast = off` (the
    default) the pass does nothing.

    Example, `%y = golf.matmul %x, %w {transpose_rhs}` on f32 values becomes:
    ```mlir
    %xb = golf.cast %x {to = bf16} : tensor<8x64xf32> -> tensor<8x64xbf16>
    %wb = golf.cast %w {to = bf16} : tensor<32x64xf32> -> tensor<32x64xbf16>
    %yb = golf.matmul %xb, %wb {transpose_rhs}
        : tensor<8x64xbf16>, tensor<32x64xbf16> -> tensor<8x32xbf16>
    %y = golf.cast %yb {to = f32} : tensor<8x32xbf16> -> tensor<8x32xf32>
    ```
  }];
}

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
