// RUN: golf-opt %s --split-input-file --verify-diagnostics

func.func @matmul_contraction(%a: tensor<2x3xf32>, %b: tensor<4x5xf32>) {
  // expected-error @+2 {{contraction sizes differ: 3 vs 4}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = golf.matmul %a, %b : tensor<2x3xf32>, tensor<4x5xf32> -> tensor<2x5xf32>
  return
}

// -----

func.func @result_type_mismatch(%a: tensor<2x3xf32>, %b: tensor<3x5xf32>) {
  // expected-error @+2 {{inferred type(s) 'tensor<2x5xf32>' are incompatible with return type(s) of operation 'tensor<2x6xf32>'}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = golf.matmul %a, %b : tensor<2x3xf32>, tensor<3x5xf32> -> tensor<2x6xf32>
  return
}

// -----

func.func @broadcast_mismatch(%a: tensor<4x8xf32>, %b: tensor<3xf32>) {
  // expected-error @+2 {{shapes 4x8 and 3 do not broadcast}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = golf.add %a, %b : tensor<4x8xf32>, tensor<3xf32> -> tensor<4x8xf32>
  return
}

// -----

func.func @mixed_dtypes(%a: tensor<4xf32>, %b: tensor<4xbf16>) {
  // expected-error @+2 {{element types differ: 'f32' and 'bf16'}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = golf.mul %a, %b : tensor<4xf32>, tensor<4xbf16> -> tensor<4xf32>
  return
}

// -----

func.func @gqa_heads(%q: tensor<1x6x8x4xf32>, %k: tensor<1x4x8x4xf32>) {
  // expected-error @+2 {{6 query heads are not a multiple of 4 KV heads}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = golf.attention %q, %k, %k {causal, scale = 0.5 : f64} : tensor<1x6x8x4xf32>, tensor<1x4x8x4xf32>, tensor<1x4x8x4xf32> -> tensor<1x6x8x4xf32>
  return
}

// -----

func.func @attention_scale(%q: tensor<1x2x8x4xf32>) {
  // expected-error @+1 {{scale must be > 0}}
  %0 = golf.attention %q, %q, %q {scale = 0.0 : f64} : tensor<1x2x8x4xf32>, tensor<1x2x8x4xf32>, tensor<1x2x8x4xf32> -> tensor<1x2x8x4xf32>
  return
}

// -----

func.func @rope_odd_dims(%x: tensor<1x2x8x64xf32>) {
  // expected-error @+1 {{dims must be even and in (0, 64], got 15}}
  %0 = golf.rope %x {base = 1.0e+04 : f64, dims = 15 : i64} : tensor<1x2x8x64xf32>
  return
}

// -----

func.func @split_heads(%x: tensor<2x8x30xf32>) {
  // expected-error @+2 {{features 30 do not split into 4 heads}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = golf.split_heads %x {heads = 4 : i64} : tensor<2x8x30xf32> -> tensor<2x4x8x7xf32>
  return
}

// -----

func.func @reshape_count(%x: tensor<4x8xf32>) {
  // expected-error @+1 {{element count changes from 4x8 to 5x8}}
  %0 = golf.reshape %x : tensor<4x8xf32> -> tensor<5x8xf32>
  return
}

// -----

func.func @slice_bounds(%x: tensor<4x8xf32>) {
  // expected-error @+2 {{slice [2, 9) is out of bounds on axis 1 of size 8}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = golf.slice %x {starts = array<i64: 0, 2>, limits = array<i64: 4, 9>} : tensor<4x8xf32> -> tensor<4x7xf32>
  return
}

// -----

func.func @cross_entropy_targets(%l: tensor<2x8x64xf32>, %t: tensor<2x7xi32>) {
  // expected-error @+2 {{targets shape 2x7 must equal logits shape without its last axis (2x8)}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = golf.cross_entropy %l, %t {reduction = "mean"} : tensor<2x8x64xf32>, tensor<2x7xi32> -> tensor<f32>
  return
}

// -----

func.func @fake_quant_bits(%w: tensor<4x8xf32>) {
  // expected-error @+1 {{bits must be in [2, 8], got 12}}
  %0 = golf.fake_quant %w {bits = 12 : i64, mode = "ste"} : tensor<4x8xf32>
  return
}

// -----

func.func @soft_round_alpha(%w: tensor<4x8xf32>) {
  // expected-error @+1 {{alpha is required for soft_round and only for it}}
  %0 = golf.fake_quant %w {bits = 5 : i64, mode = "soft_round"} : tensor<4x8xf32>
  return
}

// -----

func.func @soft_round_two_sharpnesses(%w: tensor<4x8xf32>, %a: tensor<f32>) {
  // expected-error @+1 {{takes its sharpness from the alpha attribute or the operand, not both}}
  %0 = golf.fake_quant %w sharpness %a : tensor<f32> {alpha = 2.0 : f64, bits = 5 : i64, mode = "soft_round"} : tensor<4x8xf32>
  return
}

// -----

func.func @soft_round_sharpness_type(%w: tensor<4x8xf32>, %a: tensor<2xf32>) {
  // expected-error @+1 {{sharpness must be a tensor<f32>, got 'tensor<2xf32>'}}
  %0 = golf.fake_quant %w sharpness %a : tensor<2xf32> {bits = 5 : i64, mode = "soft_round"} : tensor<4x8xf32>
  return
}

// -----

func.func @cmp_predicate(%a: tensor<4xf32>) {
  // expected-error @+1 {{predicate must be one of eq, ne, lt, le, gt, ge; got 'bigger'}}
  %0 = golf.cmp %a, %a {predicate = "bigger"} : tensor<4xf32>, tensor<4xf32> -> tensor<4xi1>
  return
}

// -----

golf.param @w : tensor<4x8xf32> {group = "matrix", init = {kind = "zeros"}, quant = "attn"}
func.func @param_type() {
  // expected-error @+1 {{type 'tensor<8x4xf32>' does not match parameter type 'tensor<4x8xf32>'}}
  %0 = golf.param_ref @w : tensor<8x4xf32>
  return
}

// -----

func.func @param_missing() {
  // expected-error @+1 {{'nothere' is not a golf.param}}
  %0 = golf.param_ref @nothere : tensor<8x4xf32>
  return
}

// -----

// expected-error @+1 {{init needs a string 'kind'}}
golf.param @noinit : tensor<4xf32> {group = "scalar", init = {std = 1.0 : f64}, quant = "control"}

// -----

func.func @clamp_range(%x: tensor<4xf32>) {
  // expected-error @+1 {{min must not exceed max}}
  %0 = golf.clamp %x {min = 1.0 : f64, max = -1.0 : f64} : tensor<4xf32>
  return
}

// -----

func.func @embedding_table(%t: tensor<4x8x2xf32>, %ids: tensor<3xi32>) {
  // expected-error @+2 {{embedding table must be 2-D, got shape 4x8x2}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = golf.embedding %t[%ids] : tensor<4x8x2xf32>, tensor<3xi32> -> tensor<3x8xf32>
  return
}
