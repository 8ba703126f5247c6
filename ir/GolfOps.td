//===- GolfOps.td - golf dialect operations ------------------*- tablegen -*-===//
//
// Every op infers its result type from its operands and attributes
// (InferTypeOpAdaptor), so the same shape rule builds the op in the frontend
// and checks it in the verifier. Elementwise binary ops broadcast numpy-style
// (shapes aligned on the right, size-1 dims stretch).
//
//===----------------------------------------------------------------------===//

#ifndef GOLF_OPS
#define GOLF_OPS

include "GolfDialect.td"
include "mlir/IR/SymbolInterfaces.td"
include "mlir/Interfaces/SideEffectInterfaces.td"
include "mlir/Interfaces/InferTypeOpInterface.td"

def Golf_FloatTensor : RankedTensorOf<[F32, BF16, F16, F64]>;
def Golf_IdTensor : RankedTensorOf<[I32]>;
def Golf_BoolTensor : RankedTensorOf<[I1]>;
def Golf_AnyTensor : RankedTensorOf<[F32, BF16, F16, F64, I32, I1]>;

// Ops whose result type follows from operands and attributes.
class Golf_InferOp<string mnemonic, list<Trait> traits = []>
    : Golf_Op<mnemonic, !listconcat(traits, [Pure, InferTypeOpAdaptor])>;

// Ops whose result has exactly the type of their operands; ODS generates
// the inference from SameOperandsAndResultType.
class Golf_SameTypeOp<string mnemonic>
    : Golf_Op<mnemonic, [Pure, SameOperandsAndResultType, InferTypeOpInterface]>;

//===----------------------------------------------------------------------===//
// Parameters and constants
//===----------------------------------------------------------------------===//

def Golf_ParamOp : Golf_Op<"param", [Symbol]> {
  let summary = "a trainable parameter of the model";
  let description = [{
    Declares a parameter at module level: its shape and storage dtype, how it
    is initialized, which optimizer group updates it, which quantization
    class exports it, and an optional weight-decay override. Functions read it
    with `golf.param_ref`.

    `init` is a dictionary with a `kind` (normal, uniform, zeros, ones, fill,
    orthogonal, linear_default, rows, bigram_pmi) and that kind's numbers.

    Example:
    ```mlir
    golf.param @tok_emb : tensor<1024x512xbf16>
        {group = "embed", quant = "embedding",
         init = {kind = "normal", mean = 0.0 : f64, std = 5.000000e-03 : f64}}
    ```
  }];
  let arguments = (ins SymbolNameAttr:$sym_name, TypeAttrOf<Golf_FloatTensor>:$type,
                       DictionaryAttr:$init, StrAttr:$group, StrAttr:$quant,
                       OptionalAttr<F64Attr>:$wd);
  let assemblyFormat = "$sym_name `:` $type attr-dict";
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    ::mlir::RankedTensorType getTensorType() {
      return ::llvm::cast<::mlir::RankedTensorType>(getType());
    }
  }];
}

def Golf_ParamRefOp : Golf_Op<"param_ref",
    [Pure, DeclareOpInterfaceMethods<SymbolUserOpInterface>]> {
  let summary = "reads a parameter inside a function";
  let description = [{
    Yields the current value of the module-level `golf.param` it names. The
    result type must equal the parameter's type.

    Example:
    ```mlir
    %w = golf.param_ref @"layer.0.wq" : tensor<512x512xf32>
    ```
  }];
  let arguments = (ins FlatSymbolRefAttr:$name);
  let results = (outs Golf_FloatTensor:$result);
  let assemblyFormat = "$name attr-dict `:` type($result)";
}

def Golf_ConstantOp : Golf_Op<"constant",
    [Pure, ConstantLike, AllTypesMatch<["value", "result"]>]> {
  let summary = "a constant tensor";
  let description = [{
    A constant, usually a splat scalar produced by the frontend for literals
    such as the `1 - g` in a gate.

    Example:
    ```mlir
    %one = golf.constant dense<1.0> : tensor<f32>
    ```
  }];
  let arguments = (ins ElementsAttr:$value);
  let results = (outs Golf_AnyTensor:$result);
  let assemblyFormat = "$value attr-dict";
  let hasFolder = 1;
}

def Golf_CastOp : Golf_InferOp<"cast"> {
  let summary = "converts the element type of a float tensor";
  let description = [{
    Rounds to the target float type (round-to-nearest-even), shape unchanged.

    Example:
    ```mlir
    %y = golf.cast %x {to = bf16} : tensor<4x8xf32> -> tensor<4x8xbf16>
    ```
  }];
  let arguments = (ins Golf_FloatTensor:$input, TypeAttr:$to);
  let results = (outs Golf_FloatTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  let hasFolder = 1;
  // Casts move above layout ops (reshape, broadcast, transpose, head
  // split/merge): casts of one value in several layouts become one cast.
  let hasCanonicalizer = 1;
}

//===----------------------------------------------------------------------===//
// Elementwise math
//===----------------------------------------------------------------------===//

class Golf_UnaryOp<string mnemonic, string what> : Golf_SameTypeOp<mnemonic> {
  let summary = "elementwise " # what;
  let description = "Applies " # what # " to every element; shape and dtype unchanged.\n\n"
    # "Example:\n```mlir\n%y = golf." # mnemonic # " %x : tensor<8x512xf32>\n```";
  let arguments = (ins Golf_FloatTensor:$input);
  let results = (outs Golf_FloatTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input)";
}

def Golf_NegOp : Golf_UnaryOp<"neg", "negation -x"> { let hasFolder = 1; }
def Golf_ExpOp : Golf_UnaryOp<"exp", "the exponential e^x">;
def Golf_LogOp : Golf_UnaryOp<"log", "the natural logarithm">;
def Golf_TanhOp : Golf_UnaryOp<"tanh", "the hyperbolic tangent">;
def Golf_SigmoidOp : Golf_UnaryOp<"sigmoid", "the logistic sigmoid 1/(1+e^-x)">;
def Golf_ReluOp : Golf_UnaryOp<"relu", "max(x, 0)">;
def Golf_SquareOp : Golf_UnaryOp<"square", "x*x">;
def Golf_SqrtOp : Golf_UnaryOp<"sqrt", "the square root">;
def Golf_RsqrtOp : Golf_UnaryOp<"rsqrt", "the reciprocal square root 1/sqrt(x)">;
def Golf_AbsOp : Golf_UnaryOp<"abs", "the absolute value">;
def Golf_StopGradientOp : Golf_UnaryOp<"stop_gradient",
    "the identity, with a zero gradient (autodiff treats the value as a constant)">;
def Golf_RoundOp : Golf_UnaryOp<"round",
    "round-half-to-even (gradient passes straight through, as for STE)">;

def Golf_LeakyReluOp : Golf_SameTypeOp<"leaky_relu"> {
  let summary = "elementwise leaky ReLU";
  let description = [{
    `x if x > 0 else slope * x`. The seeds square it for LeakyReLU(s)^2 MLPs.

    Example:
    ```mlir
    %y = golf.leaky_relu %x {slope = 5.000000e-01 : f64} : tensor<8x1536xf32>
    ```
  }];
  let arguments = (ins Golf_FloatTensor:$input, F64Attr:$slope);
  let results = (outs Golf_FloatTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input)";
}

def Golf_ClampOp : Golf_SameTypeOp<"clamp"> {
  let summary = "elementwise clamp to [min, max]";
  let description = [{
    Example:
    ```mlir
    %y = golf.clamp %x {min = -4.0 : f64, max = 4.0 : f64} : tensor<16xf32>
    ```
  }];
  let arguments = (ins Golf_FloatTensor:$input, F64Attr:$min, F64Attr:$max);
  let results = (outs Golf_FloatTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input)";
  let hasVerifier = 1;
}

class Golf_BinaryOp<string mnemonic, string what>
    : Golf_InferOp<mnemonic> {
  let summary = "elementwise " # what # " with broadcasting";
  let description = "Computes " # what # " elementwise. Both operands have the same element "
    # "type; shapes broadcast numpy-style.\n\n"
    # "Example:\n```mlir\n%z = golf." # mnemonic
    # " %x, %s : tensor<8x1024x512xf32>, tensor<512xf32> -> tensor<8x1024x512xf32>\n```";
  let arguments = (ins Golf_FloatTensor:$lhs, Golf_FloatTensor:$rhs);
  let results = (outs Golf_FloatTensor:$result);
  let assemblyFormat = "$lhs `,` $rhs attr-dict `:` type($lhs) `,` type($rhs) `->` type($result)";
  let extraClassDefinition = [{
    ::llvm::LogicalResult $cppClass::inferReturnTypes(::mlir::MLIRContext *,
        std::optional<::mlir::Location> loc, Adaptor adaptor,
        ::llvm::SmallVectorImpl<::mlir::Type> &types) {
      return ::mlir::golf::inferBroadcast(loc, adaptor.getLhs().getType(),
          adaptor.getRhs().getType(), /*resultElement=*/nullptr, types);
    }
  }];
}

def Golf_AddOp : Golf_BinaryOp<"add", "x + y"> { let hasFolder = 1; }
def Golf_SubOp : Golf_BinaryOp<"sub", "x - y"> { let hasFolder = 1; }
def Golf_MulOp : Golf_BinaryOp<"mul", "x * y"> { let hasFolder = 1; }
def Golf_DivOp : Golf_BinaryOp<"div", "x / y"> { let hasFolder = 1; }
def Golf_MaxOp : Golf_BinaryOp<"max", "max(x, y)">;
def Golf_MinOp : Golf_BinaryOp<"min", "min(x, y)">;
def Golf_PowOp : Golf_BinaryOp<"pow", "x ** y">;

def Golf_CmpOp : Golf_InferOp<"cmp"> {
  let summary = "elementwise comparison with broadcasting";
  let description = [{
    Compares two float tensors; `predicate` is one of eq, ne, lt, le, gt, ge.
    The result is an i1 tensor of the broadcast shape, for `golf.select`.

    Example:
    ```mlir
    %m = golf.cmp %x, %y {predicate = "gt"} : tensor<4xf32>, tensor<f32> -> tensor<4xi1>
    ```
  }];
  let arguments = (ins Golf_FloatTensor:$lhs, Golf_FloatTensor:$rhs, StrAttr:$predicate);
  let results = (outs Golf_BoolTensor:$result);
  let assemblyFormat = "$lhs `,` $rhs attr-dict `:` type($lhs) `,` type($rhs) `->` type($result)";
  let hasVerifier = 1;
}

def Golf_SelectOp : Golf_InferOp<"select"> {
  let summary = "elementwise choice between two tensors";
  let description = [{
    `cond ? lhs : rhs` elementwise; the three shapes broadcast together.

    Example:
    ```mlir
    %y = golf.select %m, %a, %b : tensor<4xi1>, tensor<4xf32>, tensor<f32> -> tensor<4xf32>
    ```
  }];
  let arguments = (ins Golf_BoolTensor:$cond, Golf_FloatTensor:$lhs, Golf_FloatTensor:$rhs);
  let results = (outs Golf_FloatTensor:$result);
  let assemblyFormat = [{
    $cond `,` $lhs `,` $rhs attr-dict `:` type($cond) `,` type($lhs) `,` type($rhs)
    `->` type($result)
  }];
}

//===----------------------------------------------------------------------===//
// Reductions and normalization
//===----------------------------------------------------------------------===//

class Golf_ReduceOp<string mnemonic, string what> : Golf_InferOp<mnemonic> {
  let summary = what # " over one axis";
  let description = "Reduces `axis` by " # what # " (accumulating in at least f32); with "
    # "`keepdim` the axis stays with size 1.\n\n"
    # "Example:\n```mlir\n%s = golf." # mnemonic
    # " %x {axis = 1 : i64} : tensor<8x512xf32> -> tensor<8xf32>\n```";
  let arguments = (ins Golf_FloatTensor:$input, I64Attr:$axis, UnitAttr:$keepdim);
  let results = (outs Golf_FloatTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  let extraClassDefinition = [{
    ::llvm::LogicalResult $cppClass::inferReturnTypes(::mlir::MLIRContext *,
        std::optional<::mlir::Location> loc, Adaptor adaptor,
        ::llvm::SmallVectorImpl<::mlir::Type> &types) {
      return ::mlir::golf::inferReduce(loc, adaptor.getInput().getType(),
          adaptor.getAxis(), adaptor.getKeepdim(), types);
    }
  }];
}

def Golf_ReduceSumOp : Golf_ReduceOp<"reduce_sum", "the sum">;
def Golf_ReduceMeanOp : Golf_ReduceOp<"reduce_mean", "the mean">;
def Golf_ReduceMaxOp : Golf_ReduceOp<"reduce_max", "the maximum">;

def Golf_RmsNormOp : Golf_SameTypeOp<"rms_norm"> {
  let summary = "RMS normalization over the last axis, no learned gain";
  let description = [{
    `x / sqrt(mean(x^2, last axis) + eps)`. Without `eps`, PyTorch's
    `F.rms_norm(x, eps=None)` default: the epsilon of its computation type,
    float32's 2^-23 for bf16, f16 and f32 inputs, float64's for f64 (the
    baseline relies on it: its bf16 embedding has RMS 0.005).

    Example:
    ```mlir
    %h = golf.rms_norm %x : tensor<8x1024x512xf32>
    ```
  }];
  let arguments = (ins Golf_FloatTensor:$input, OptionalAttr<F64Attr>:$eps);
  let results = (outs Golf_FloatTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input)";
  let hasVerifier = 1;
}

def Golf_SoftcapOp : Golf_SameTypeOp<"softcap"> {
  let summary = "logit soft-capping cap * tanh(x / cap)";
  let description = [{
    Bounds logits smoothly to (-cap, cap).

    Example:
    ```mlir
    %z = golf.softcap %logits {cap = 3.0e+01 : f64} : tensor<8x1024x1024xf32>
    ```
  }];
  let arguments = (ins Golf_FloatTensor:$input, F64Attr:$cap);
  let results = (outs Golf_FloatTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input)";
  let hasVerifier = 1;
}

def Golf_CrossEntropyOp : Golf_InferOp<"cross_entropy"> {
  let summary = "softmax cross-entropy of logits against target ids";
  let description = [{
    Natural-log negative log-likelihood of `targets` under softmax(`logits`)
    over the last axis, computed in f32. `reduction` is "mean" (a scalar, the
    training loss) or "none" (one value per target, for evaluation).

    Example:
    ```mlir
    %loss = golf.cross_entropy %z, %y {reduction = "mean"}
        : tensor<8x1024x1024xf32>, tensor<8x1024xi32> -> tensor<f32>
    ```
  }];
  let arguments = (ins Golf_FloatTensor:$logits, Golf_IdTensor:$targets,
                       StrAttr:$reduction);
  let results = (outs Golf_FloatTensor:$result);
  let assemblyFormat = [{
    $logits `,` $targets attr-dict `:` type($logits) `,` type($targets) `->` type($result)
  }];
}

//===----------------------------------------------------------------------===//
// Linear algebra and lookup
//===----------------------------------------------------------------------===//

def Golf_MatmulOp : Golf_InferOp<"matmul"> {
  let summary = "matrix product with optional transposes";
  let description = [{
    `op(lhs) @ op(rhs)` where op transposes the last two axes when
    `transpose_lhs` / `transpose_rhs` is set. The right side is either a
    matrix shared by every batch entry of the left side (a linear layer) or
    has the same leading axes as the left side (a batched product).

    Example, a linear layer `h @ W.T`:
    ```mlir
    %q = golf.matmul %h, %w {transpose_rhs}
        : tensor<8x1024x512xf32>, tensor<256x512xf32> -> tensor<8x1024x256xf32>
    ```
  }];
  let arguments = (ins Golf_FloatTensor:$lhs, Golf_FloatTensor:$rhs,
                       UnitAttr:$transpose_lhs, UnitAttr:$transpose_rhs);
  let results = (outs Golf_FloatTensor:$result);
  let assemblyFormat = "$lhs `,` $rhs attr-dict `:` type($lhs) `,` type($rhs) `->` type($result)";
}

def Golf_EmbeddingOp : Golf_InferOp<"embedding"> {
  let summary = "gathers rows of a table by integer ids";
  let description = [{
    `table[ids]`: for a table of shape [N, D] and ids of shape S the result
    has shape S x [D]. Ids must lie in [0, N); the executors check.

    Example:
    ```mlir
    %x = golf.embedding %tok_emb[%ids]
        : tensor<1024x512xbf16>, tensor<8x1024xi32> -> tensor<8x1024x512xbf16>
    ```
  }];
  let arguments = (ins Golf_FloatTensor:$table, Golf_IdTensor:$ids);
  let results = (outs Golf_FloatTensor:$result);
  let assemblyFormat = "$table `[` $ids `]` attr-dict `:` type($table) `,` type($ids) `->` type($result)";
}

def Golf_BigramHashOp : Golf_SameTypeOp<"bigram_hash"> {
  let summary = "hashes each token with its predecessor into a bucket id";
  let description = [{
    For ids t of shape [B, T] (int32 arithmetic):
    h[b, 0] = buckets - 1, and for i >= 1
    h[b, i] = ((mul_cur * t[b, i]) xor (mul_prev * t[b, i-1])) mod (buckets - 1).
    The BigramHash embedding of the seeds gathers a table with these ids.

    Example:
    ```mlir
    %h = golf.bigram_hash %ids {buckets = 4096 : i64, mul_cur = 36313 : i64,
                                mul_prev = 27191 : i64} : tensor<8x2048xi32>
    ```
  }];
  let arguments = (ins Golf_IdTensor:$input, I64Attr:$buckets, I64Attr:$mul_cur,
                       I64Attr:$mul_prev);
  let results = (outs Golf_IdTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input)";
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Shape manipulation
//===----------------------------------------------------------------------===//

def Golf_ReshapeOp : Golf_Op<"reshape", [Pure]> {
  let summary = "reinterprets a tensor with another static shape";
  let description = [{
    Row-major reshape; element count and element type are unchanged. The
    result type is written out (it cannot be inferred from the operand).

    Example:
    ```mlir
    %y = golf.reshape %x : tensor<8x1024x8xf32> -> tensor<8x1024x8x1xf32>
    ```
  }];
  let arguments = (ins Golf_AnyTensor:$input);
  let results = (outs Golf_AnyTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  let hasVerifier = 1;
  let hasFolder = 1;
}

def Golf_BroadcastOp : Golf_Op<"broadcast", [Pure]> {
  let summary = "stretches size-1 (or missing leading) axes to a larger shape";
  let description = [{
    Numpy broadcasting made explicit; the result type is written out.

    Example:
    ```mlir
    %m = golf.broadcast %mem : tensor<64x512xf32> -> tensor<8x64x512xf32>
    ```
  }];
  let arguments = (ins Golf_FloatTensor:$input);
  let results = (outs Golf_FloatTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  let hasVerifier = 1;
  let hasFolder = 1;
}

def Golf_TransposeOp : Golf_InferOp<"transpose"> {
  let summary = "permutes the axes";
  let description = [{
    Result axis i is input axis perm[i].

    Example:
    ```mlir
    %y = golf.transpose %x {perm = array<i64: 0, 2, 1>}
        : tensor<8x1024x64xf32> -> tensor<8x64x1024xf32>
    ```
  }];
  let arguments = (ins Golf_AnyTensor:$input, DenseI64ArrayAttr:$perm);
  let results = (outs Golf_AnyTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  let hasFolder = 1;
}

def Golf_SplitHeadsOp : Golf_InferOp<"split_heads"> {
  let summary = "[B, T, H*D] -> [B, H, T, D]";
  let description = [{
    Splits the feature axis into `heads` heads and moves the head axis in
    front of the sequence axis, the layout attention and RoPE work in.

    Example:
    ```mlir
    %q = golf.split_heads %x {heads = 8 : i64}
        : tensor<8x1024x512xf32> -> tensor<8x8x1024x64xf32>
    ```
  }];
  let arguments = (ins Golf_FloatTensor:$input, I64Attr:$heads);
  let results = (outs Golf_FloatTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
}

def Golf_MergeHeadsOp : Golf_InferOp<"merge_heads"> {
  let summary = "[B, H, T, D] -> [B, T, H*D]";
  let description = [{
    The inverse of `golf.split_heads`.

    Example:
    ```mlir
    %y = golf.merge_heads %o : tensor<8x8x1024x64xf32> -> tensor<8x1024x512xf32>
    ```
  }];
  let arguments = (ins Golf_FloatTensor:$input);
  let results = (outs Golf_FloatTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
}

def Golf_SliceOp : Golf_InferOp<"slice"> {
  let summary = "a static box [starts, limits) of a tensor";
  let description = [{
    Keeps indices starts[i] <= j < limits[i] on every axis (step 1).

    Example, dropping the first 64 positions:
    ```mlir
    %y = golf.slice %x {starts = array<i64: 0, 64, 0>, limits = array<i64: 8, 2048, 512>}
        : tensor<8x2048x512xf32> -> tensor<8x1984x512xf32>
    ```
  }];
  let arguments = (ins Golf_AnyTensor:$input, DenseI64ArrayAttr:$starts,
                       DenseI64ArrayAttr:$limits);
  let results = (outs Golf_AnyTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  let hasFolder = 1;
}

def Golf_ConcatOp : Golf_InferOp<"concat"> {
  let summary = "joins tensors along one axis";
  let description = [{
    All inputs have the same element type and agree on every other axis.

    Example:
    ```mlir
    %y = golf.concat %a, %b {axis = 1 : i64}
        : tensor<8x64x512xf32>, tensor<8x1984x512xf32> -> tensor<8x2048x512xf32>
    ```
  }];
  let arguments = (ins Variadic<Golf_FloatTensor>:$inputs, I64Attr:$axis);
  let results = (outs Golf_FloatTensor:$result);
  let assemblyFormat = "$inputs attr-dict `:` type($inputs) `->` type($result)";
}

def Golf_ShiftOp : Golf_SameTypeOp<"shift"> {
  let summary = "shifts a tensor forward along an axis, filling with zeros";
  let description = [{
    `y[..., t, ...] = x[..., t - offset, ...]` where that index exists, else
    0. With offset 1 along the sequence axis this gives every position its
    predecessor (SmearGate); offset -1 is its gradient.

    Example:
    ```mlir
    %prev = golf.shift %x {axis = 1 : i64, offset = 1 : i64} : tensor<8x1024x512xf32>
    ```
  }];
  let arguments = (ins Golf_FloatTensor:$input, I64Attr:$axis, I64Attr:$offset);
  let results = (outs Golf_FloatTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input)";
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Attention
//===----------------------------------------------------------------------===//

def Golf_RopeOp : Golf_SameTypeOp<"rope"> {
  let summary = "rotary position embedding on the first `dims` of each head";
  let description = [{
    For x of shape [B, H, T, D] and r = dims (even, <= D), half-split pairs
    (x_i, x_{i+r/2}) for i < r/2 are rotated by theta = t * base^(-2i/r):
    (x_i cos + x_{i+r/2} sin, -x_i sin + x_{i+r/2} cos). Dims r..D-1 pass
    through (partial RoPE). With `inverse` the rotation is by -theta, which is
    also the gradient of the forward rotation.

    Example, partial RoPE on 16 of 64 dims:
    ```mlir
    %q = golf.rope %x {base = 1.0e+04 : f64, dims = 16 : i64} : tensor<8x8x2048x64xf32>
    ```
  }];
  let arguments = (ins Golf_FloatTensor:$input, F64Attr:$base, I64Attr:$dims,
                       UnitAttr:$inverse);
  let results = (outs Golf_FloatTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input)";
  let hasVerifier = 1;
}

def Golf_AttentionOp : Golf_InferOp<"attention"> {
  let summary = "scaled dot-product attention with grouped KV heads";
  let description = [{
    q: [B, H, T, D], k: [B, Hkv, S, D], v: [B, Hkv, S, Dv] with H a multiple
    of Hkv; query head h reads KV head h / (H / Hkv). softmax(q k^T * scale)
    v with a causal mask when `causal` is set. The default scale is 1/sqrt(D).
    XSA, output gates and value residuals are ordinary ops around it.

    Example:
    ```mlir
    %y = golf.attention %q, %k, %v {causal, scale = 1.250000e-01 : f64}
        : tensor<8x8x1024x64xf32>, tensor<8x4x1024x64xf32>, tensor<8x4x1024x64xf32>
        -> tensor<8x8x1024x64xf32>
    ```
  }];
  let arguments = (ins Golf_FloatTensor:$q, Golf_FloatTensor:$k, Golf_FloatTensor:$v,
                       UnitAttr:$causal, F64Attr:$scale);
  let results = (outs Golf_FloatTensor:$result);
  let assemblyFormat = [{
    $q `,` $k `,` $v attr-dict `:` type($q) `,` type($k) `,` type($v) `->` type($result)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Quantization-aware training
//===----------------------------------------------------------------------===//

def Golf_FakeQuantOp : Golf_Op<"fake_quant", [Pure, AllTypesMatch<["input", "result"]>]> {
  let summary = "per-row symmetric quantize-dequantize (QAT)";
  let description = [{
    Rows are all axes but the last. Per row s = max|w| / (2^(bits-1) - 1);
    the forward value is clamp(round(w / s), -2^(bits-1), 2^(bits-1) - 1) * s.
    With mode "ste" the gradient passes straight through; with mode
    "soft_round" round is replaced by the soft-round of sharpness `alpha`,
    whose derivative is used. The sharpness is the `alpha` attribute, or
    the 0-d f32 `sharpness` operand when it changes during training (the
    trainer anneals it; golf-insert-qat makes it an argument of @loss_qat).

    Example:
    ```mlir
    %wq = golf.fake_quant %w {bits = 6 : i64, mode = "ste"} : tensor<512x512xf32>
    %ws = golf.fake_quant %w sharpness %a : tensor<f32> {bits = 5 : i64, mode = "soft_round"}
        : tensor<512x512xf32>
    ```
  }];
  let arguments = (ins Golf_FloatTensor:$input, Optional<Golf_FloatTensor>:$sharpness,
                       I64Attr:$bits, StrAttr:$mode, OptionalAttr<F64Attr>:$alpha);
  let results = (outs Golf_FloatTensor:$result);
  let assemblyFormat =
      "$input (`sharpness` $sharpness^ `:` type($sharpness))? attr-dict `:` type($input)";
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Gradients (produced by golf-autodiff)
//===----------------------------------------------------------------------===//

def Golf_AttentionGradOp : Golf_Op<"attention_grad", [Pure]> {
  let summary = "gradients of golf.attention with respect to q, k and v";
  let description = [{
    Given the forward operands and the output gradient `dy`, recomputes the
    attention probabilities P = softmax(q k^T * scale [+ causal mask]) and
    returns dq = (P * (dP - rowsum(dP * P))) k * scale, dk (summed over the
    query heads sharing a KV head), dv = P^T dy (likewise summed), with
    dP = dy v^T.

    Example:
    ```mlir
    %dq, %dk, %dv = golf.attention_grad %q, %k, %v, %dy {causal, scale = 1.250000e-01 : f64}
        : tensor<2x8x16x64xf32>, tensor<2x4x16x64xf32>, tensor<2x4x16x64xf32>, tensor<2x8x16x64xf32>
        -> tensor<2x8x16x64xf32>, tensor<2x4x16x64xf32>, tensor<2x4x16x64xf32>
    ```
  }];
  let arguments = (ins Golf_FloatTensor:$q, Golf_FloatTensor:$k, Golf_FloatTensor:$v,
                       Golf_FloatTensor:$dy, UnitAttr:$causal, F64Attr:$scale);
  let results = (outs Golf_FloatTensor:$dq, Golf_FloatTensor:$dk, Golf_FloatTensor:$dv);
  let assemblyFormat = [{
    $q `,` $k `,` $v `,` $dy attr-dict `:` type($q) `,` type($k) `,` type($v) `,` type($dy)
    `->` type($dq) `,` type($dk) `,` type($dv)
  }];
  let hasVerifier = 1;
}

def Golf_RmsNormGradOp : Golf_Op<"rms_norm_grad", [Pure, AllTypesMatch<["input", "dy", "result"]>]> {
  let summary = "gradient of golf.rms_norm";
  let description = [{
    With r = 1/sqrt(mean(x^2) + eps) over the last axis (n entries):
    dx = r * dy - x * r^3 * mean(dy * x). `eps` as in the forward op.

    Example:
    ```mlir
    %dx = golf.rms_norm_grad %x, %dy : tensor<2x16x512xf32>
    ```
  }];
  let arguments = (ins Golf_FloatTensor:$input, Golf_FloatTensor:$dy, OptionalAttr<F64Attr>:$eps);
  let results = (outs Golf_FloatTensor:$result);
  let assemblyFormat = "$input `,` $dy attr-dict `:` type($input)";
}

def Golf_CrossEntropyGradOp : Golf_Op<"cross_entropy_grad",
    [Pure, AllTypesMatch<["logits", "result"]>]> {
  let summary = "gradient of golf.cross_entropy with respect to the logits";
  let description = [{
    dlogits = (softmax(logits) - onehot(targets)) * g, where g is `dloss`
    divided by the number of targets for reduction "mean" (a scalar dloss)
    or `dloss` per target for reduction "none".

    Example:
    ```mlir
    %dz = golf.cross_entropy_grad %z, %y, %dl {reduction = "mean"}
        : tensor<2x16x64xf32>, tensor<2x16xi32>, tensor<f32> -> tensor<2x16x64xf32>
    ```
  }];
  let arguments = (ins Golf_FloatTensor:$logits, Golf_IdTensor:$targets,
                       Golf_FloatTensor:$dloss, StrAttr:$reduction);
  let results = (outs Golf_FloatTensor:$result);
  let assemblyFormat = [{
    $logits `,` $targets `,` $dloss attr-dict `:` type($logits) `,` type($targets) `,`
    type($dloss) `->` type($result)
  }];
  let hasVerifier = 1;
}

def Golf_EmbeddingGradOp : Golf_Op<"embedding_grad", [Pure]> {
  let summary = "gradient of golf.embedding: scatter-add of rows";
  let description = [{
    dtable[r] = sum of dy[i] over the positions i with ids[i] = r; the table
    has `rows` rows. Sums run in a fixed order (deterministic).

    Example:
    ```mlir
    %dt = golf.embedding_grad %ids, %dy {rows = 1024 : i64}
        : tensor<2x16xi32>, tensor<2x16x512xf32> -> tensor<1024x512xf32>
    ```
  }];
  let arguments = (ins Golf_IdTensor:$ids, Golf_FloatTensor:$dy, I64Attr:$rows);
  let results = (outs Golf_FloatTensor:$result);
  let assemblyFormat = "$ids `,` $dy attr-dict `:` type($ids) `,` type($dy) `->` type($result)";
  let hasVerifier = 1;
}

def Golf_PadOp : Golf_InferOp<"pad"> {
  let summary = "zero padding, the gradient of golf.slice";
  let description = [{
    Puts `low[i]` zeros before and `high[i]` zeros after axis i.

    Example:
    ```mlir
    %y = golf.pad %x {low = array<i64: 0, 64, 0>, high = array<i64: 0, 0, 0>}
        : tensor<2x1984x512xf32> -> tensor<2x2048x512xf32>
    ```
  }];
  let arguments = (ins Golf_FloatTensor:$input, DenseI64ArrayAttr:$low, DenseI64ArrayAttr:$high);
  let results = (outs Golf_FloatTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
}

def Golf_ReduceToOp : Golf_Op<"reduce_to", [Pure]> {
  let summary = "sums a tensor down to a shape that broadcasts to it";
  let description = [{
    The gradient of implicit broadcasting: sums over the leading axes the
    result lacks and over the axes where the result has size 1.

    Example:
    ```mlir
    %g = golf.reduce_to %x : tensor<2x16x512xf32> -> tensor<512xf32>
    ```
  }];
  let arguments = (ins Golf_FloatTensor:$input);
  let results = (outs Golf_FloatTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  let hasVerifier = 1;
  let hasFolder = 1;
}

def Golf_FakeQuantGradOp : Golf_Op<"fake_quant_grad",
    [Pure, AllTypesMatch<["input", "dy", "result"]>]> {
  let summary = "gradient of golf.fake_quant";
  let description = [{
    For mode "ste" the gradient passes straight through (dx = dy). For
    "soft_round" it is dy times the derivative of the soft-rounded value with
    respect to w (the per-row scale treated as a constant, as in the seeds).

    The sharpness is the `alpha` attribute or the `sharpness` operand, as
    in golf.fake_quant.

    Example:
    ```mlir
    %dw = golf.fake_quant_grad %w, %dy {alpha = 4.0 : f64, bits = 5 : i64, mode = "soft_round"}
        : tensor<512x512xf32>
    ```
  }];
  let arguments = (ins Golf_FloatTensor:$input, Golf_FloatTensor:$dy,
                       Optional<Golf_FloatTensor>:$sharpness, I64Attr:$bits, StrAttr:$mode,
                       OptionalAttr<F64Attr>:$alpha);
  let results = (outs Golf_FloatTensor:$result);
  let assemblyFormat =
      "$input `,` $dy (`sharpness` $sharpness^ `:` type($sharpness))? attr-dict `:` type($input)";
}

#endif // GOLF_OPS
