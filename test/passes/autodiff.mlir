// RUN: golf-opt %s --split-input-file --golf-autodiff --canonicalize --cse --verify-diagnostics | FileCheck %s

// A linear layer on a batch: the weight gradient folds the batch axes into
// the rows of one product, dy^T @ x.
// CHECK-LABEL: func.func @loss_grad
// CHECK-SAME: -> (tensor<f32>, tensor<4x3xf32>)
// CHECK-SAME: golf.result_names = ["loss", "grad:w"]
// CHECK: %[[W:.+]] = golf.param_ref @w
// CHECK: %[[Y:.+]] = golf.matmul %[[X:.+]], %[[W]] {transpose_rhs}
// CHECK: %[[DY:.+]] = golf.broadcast %{{.+}} : tensor<2x5x1xf32> -> tensor<2x5x4xf32>
// CHECK-DAG: %[[XF:.+]] = golf.reshape %[[X]] : tensor<2x5x3xf32> -> tensor<10x3xf32>
// CHECK-DAG: %[[DYF:.+]] = golf.reshape %[[DY]] : tensor<2x5x4xf32> -> tensor<10x4xf32>
// CHECK: %[[DW:.+]] = golf.matmul %[[DYF]], %[[XF]] {transpose_lhs} : tensor<10x4xf32>, tensor<10x3xf32> -> tensor<4x3xf32>
// CHECK: return %{{.+}}, %[[DW]]
golf.param @w : tensor<4x3xf32> {group = "matrix", init = {kind = "zeros"}, quant = "attn"}
func.func @loss(%x: tensor<2x5x3xf32>) -> tensor<f32> {
  %w = golf.param_ref @w : tensor<4x3xf32>
  %y = golf.matmul %x, %w {transpose_rhs} : tensor<2x5x3xf32>, tensor<4x3xf32> -> tensor<2x5x4xf32>
  %a = golf.reduce_sum %y {axis = 2 : i64} : tensor<2x5x4xf32> -> tensor<2x5xf32>
  %b = golf.reduce_sum %a {axis = 1 : i64} : tensor<2x5xf32> -> tensor<2xf32>
  %c = golf.reduce_sum %b {axis = 0 : i64} : tensor<2xf32> -> tensor<f32>
  return %c : tensor<f32>
}

// -----

// A broadcast operand gets its gradient summed back to its own shape; a
// parameter used twice gets the sum of both gradients; an unused one zeros.
// CHECK-LABEL: func.func @loss_grad
// CHECK-SAME: golf.result_names = ["loss", "grad:s", "grad:unused"]
// CHECK-DAG: %[[ZERO:.+]] = golf.constant dense<0.000000e+00> : tensor<3xf32>
// CHECK-DAG: %[[G1:.+]] = golf.reduce_to %{{.+}} : tensor<2x4xf32> -> tensor<4xf32>
// CHECK-DAG: %[[G2:.+]] = golf.reduce_to %{{.+}} : tensor<2x4xf32> -> tensor<4xf32>
// CHECK: %[[DS:.+]] = golf.add %{{.+}}, %{{.+}} : tensor<4xf32>, tensor<4xf32> -> tensor<4xf32>
// CHECK: return %{{.+}}, %[[DS]], %[[ZERO]]
golf.param @s : tensor<4xf32> {group = "scalar", init = {kind = "ones"}, quant = "control"}
golf.param @unused : tensor<3xf32> {group = "scalar", init = {kind = "ones"}, quant = "control"}
func.func @loss(%x: tensor<2x4xf32>) -> tensor<f32> {
  %s = golf.param_ref @s : tensor<4xf32>
  %y = golf.mul %x, %s : tensor<2x4xf32>, tensor<4xf32> -> tensor<2x4xf32>
  %z = golf.add %y, %s : tensor<2x4xf32>, tensor<4xf32> -> tensor<2x4xf32>
  %a = golf.reduce_mean %z {axis = 1 : i64} : tensor<2x4xf32> -> tensor<2xf32>
  %b = golf.reduce_sum %a {axis = 0 : i64} : tensor<2xf32> -> tensor<f32>
  return %b : tensor<f32>
}

// -----

// Token embedding, RMSNorm, softcap and cross-entropy.
// CHECK-LABEL: func.func @loss_grad
// CHECK: %[[DZ:.+]] = golf.cross_entropy_grad %{{.+}}, %[[T:.+]], %{{.+}} {reduction = "mean"}
// CHECK: golf.sub
// CHECK: %[[DH:.+]] = golf.rms_norm_grad %{{.+}}, %{{.+}} : tensor<2x4x8xf32>
// CHECK: %[[DE:.+]] = golf.embedding_grad %[[IDS:.+]], %[[DH]] {rows = 16 : i64} : tensor<2x4xi32>, tensor<2x4x8xf32> -> tensor<16x8xf32>
golf.param @emb : tensor<16x8xf32> {group = "embed", init = {kind = "normal", std = 0.02 : f64}, quant = "embed"}
func.func @loss(%ids: tensor<2x4xi32>, %t: tensor<2x4xi32>) -> tensor<f32> {
  %e = golf.param_ref @emb : tensor<16x8xf32>
  %x = golf.embedding %e[%ids] : tensor<16x8xf32>, tensor<2x4xi32> -> tensor<2x4x8xf32>
  %h = golf.rms_norm %x : tensor<2x4x8xf32>
  %l = golf.matmul %h, %e {transpose_rhs} : tensor<2x4x8xf32>, tensor<16x8xf32> -> tensor<2x4x16xf32>
  %z = golf.softcap %l {cap = 30.0 : f64} : tensor<2x4x16xf32>
  %c = golf.cross_entropy %z, %t {reduction = "mean"} : tensor<2x4x16xf32>, tensor<2x4xi32> -> tensor<f32>
  return %c : tensor<f32>
}

// -----

// Attention, RoPE (the gradient rotates back), head split/merge, slice (pad)
// and shift (shifted the other way).
// CHECK-LABEL: func.func @loss_grad
// CHECK: golf.attention
// CHECK: golf.split_heads %{{.+}} {heads = 2 : i64} : tensor<1x3x8xf32> -> tensor<1x2x3x4xf32>
// CHECK: %{{.+}}, %{{.+}}, %{{.+}} = golf.attention_grad %{{.+}} {causal, scale = 5.000000e-01 : f64}
// CHECK: golf.rope %{{.+}} {base = 1.000000e+04 : f64, dims = 4 : i64, inverse}
// CHECK: golf.merge_heads %{{.+}} : tensor<1x2x3x4xf32> -> tensor<1x3x8xf32>
// CHECK: golf.pad %{{.+}} {high = array<i64: 0, 0, 0>, low = array<i64: 0, 1, 0>} : tensor<1x3x8xf32> -> tensor<1x4x8xf32>
// CHECK: golf.shift %{{.+}} {axis = 1 : i64, offset = -1 : i64}
golf.param @x : tensor<1x4x8xf32> {group = "scalar", init = {kind = "zeros"}, quant = "control"}
func.func @loss() -> tensor<f32> {
  %x = golf.param_ref @x : tensor<1x4x8xf32>
  %p = golf.shift %x {axis = 1 : i64, offset = 1 : i64} : tensor<1x4x8xf32>
  %s = golf.slice %p {starts = array<i64: 0, 1, 0>, limits = array<i64: 1, 4, 8>} : tensor<1x4x8xf32> -> tensor<1x3x8xf32>
  %h = golf.split_heads %s {heads = 2 : i64} : tensor<1x3x8xf32> -> tensor<1x2x3x4xf32>
  %r = golf.rope %h {base = 1.0e+04 : f64, dims = 4 : i64} : tensor<1x2x3x4xf32>
  %a = golf.attention %r, %r, %h {causal, scale = 0.5 : f64} : tensor<1x2x3x4xf32>, tensor<1x2x3x4xf32>, tensor<1x2x3x4xf32> -> tensor<1x2x3x4xf32>
  %m = golf.merge_heads %a : tensor<1x2x3x4xf32> -> tensor<1x3x8xf32>
  %q = golf.square %m : tensor<1x3x8xf32>
  %b = golf.reduce_sum %q {axis = 2 : i64} : tensor<1x3x8xf32> -> tensor<1x3xf32>
  %c = golf.reduce_sum %b {axis = 1 : i64} : tensor<1x3xf32> -> tensor<1xf32>
  %d = golf.reduce_sum %c {axis = 0 : i64} : tensor<1xf32> -> tensor<f32>
  return %d : tensor<f32>
}

// -----

// Fake quantization: STE passes the gradient through; soft-round has its
// own derivative op.
// CHECK-LABEL: func.func @loss_grad
// CHECK-NOT: golf.fake_quant_grad %{{.+}} {bits = 6
// CHECK: golf.fake_quant_grad %{{.+}}, %{{.+}} {alpha = 4.000000e+00 : f64, bits = 5 : i64, mode = "soft_round"}
golf.param @w : tensor<4x4xf32> {group = "matrix", init = {kind = "zeros"}, quant = "mlp"}
func.func @loss(%x: tensor<4x4xf32>) -> tensor<f32> {
  %w = golf.param_ref @w : tensor<4x4xf32>
  %a = golf.fake_quant %w {bits = 6 : i64, mode = "ste"} : tensor<4x4xf32>
  %b = golf.fake_quant %a {bits = 5 : i64, mode = "soft_round", alpha = 4.0 : f64} : tensor<4x4xf32>
  %y = golf.matmul %x, %b : tensor<4x4xf32>, tensor<4x4xf32> -> tensor<4x4xf32>
  %s = golf.reduce_sum %y {axis = 1 : i64} : tensor<4x4xf32> -> tensor<4xf32>
  %t = golf.reduce_sum %s {axis = 0 : i64} : tensor<4xf32> -> tensor<f32>
  return %t : tensor<f32>
}

// -----

// expected-error @+1 {{golf-autodiff needs a @loss function}}
module {
}

// -----

// bf16 values: a scalar the rule needs that bf16 cannot hold is not rounded
// into it (0.9 would be 0.898, 1/3 0.334, 1/30 0.0334). leaky_relu's slope,
// the mean's 1/n and the softcap's 1/cap multiply in f32 and round once.
// CHECK-LABEL: func.func @loss_grad
// CHECK-DAG: %[[SLOPE:.+]] = golf.constant dense<0.899999976> : tensor<f32>
// CHECK-DAG: %[[N:.+]] = golf.constant dense<0.333333343> : tensor<f32>
// CHECK-DAG: %[[CAP:.+]] = golf.constant dense<0.0333333351> : tensor<f32>
// CHECK-NOT: dense<0.898
// CHECK-NOT: dense<0.334
// CHECK-NOT: dense<3.344
// CHECK: %[[T:.+]] = golf.cast %{{.+}} {to = f32} : tensor<2xbf16> -> tensor<2xf32>
// CHECK-NEXT: %[[TC:.+]] = golf.mul %[[T]], %[[CAP]]
// CHECK-NEXT: golf.cast %[[TC]] {to = bf16} : tensor<2xf32> -> tensor<2xbf16>
// CHECK: %[[M:.+]] = golf.mul %{{.+}}, %[[N]] : tensor<2x3xf32>, tensor<f32> -> tensor<2x3xf32>
// CHECK-NEXT: golf.cast %[[M]] {to = bf16} : tensor<2x3xf32> -> tensor<2x3xbf16>
// CHECK: %[[WIDE:.+]] = golf.cast %{{.+}} {to = f32} : tensor<2x3xbf16> -> tensor<2x3xf32>
// CHECK-NEXT: %[[PROD:.+]] = golf.mul %[[WIDE]], %[[SLOPE]]
// CHECK-NEXT: golf.cast %[[PROD]] {to = bf16} : tensor<2x3xf32> -> tensor<2x3xbf16>
golf.param @x : tensor<2x3xbf16> {group = "scalar", init = {kind = "zeros"}, quant = "control"}
func.func @loss() -> tensor<f32> {
  %x = golf.param_ref @x : tensor<2x3xbf16>
  %l = golf.leaky_relu %x {slope = 0.9 : f64} : tensor<2x3xbf16>
  %m = golf.reduce_mean %l {axis = 1 : i64} : tensor<2x3xbf16> -> tensor<2xbf16>
  %z = golf.softcap %m {cap = 30.0 : f64} : tensor<2xbf16>
  %s = golf.reduce_sum %z {axis = 0 : i64} : tensor<2xbf16> -> tensor<bf16>
  %c = golf.cast %s {to = f32} : tensor<bf16> -> tensor<f32>
  return %c : tensor<f32>
}
