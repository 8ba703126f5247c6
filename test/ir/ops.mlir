// RUN: golf-opt %s --split-input-file | golf-opt --split-input-file | FileCheck %s
// Round trip: every op prints and parses back unchanged.

// CHECK-LABEL: func.func @block
// CHECK: %[[W:.+]] = golf.param_ref @w : tensor<256x512xf32>
// CHECK: %[[Y:.+]] = golf.matmul %{{.+}}, %[[W]] {transpose_rhs} : tensor<2x16x512xf32>, tensor<256x512xf32> -> tensor<2x16x256xf32>
// CHECK: %[[H:.+]] = golf.split_heads %[[Y]] {heads = 4 : i64} : tensor<2x16x256xf32> -> tensor<2x4x16x64xf32>
// CHECK: golf.rope %[[H]] {base = 1.000000e+04 : f64, dims = 16 : i64}
// CHECK: golf.attention {{.+}} {causal, scale = 1.250000e-01 : f64}
// CHECK: golf.merge_heads
golf.param @w : tensor<256x512xf32> {group = "matrix", init = {kind = "linear_default"}, quant = "attn"}
func.func @block(%x: tensor<2x16x512xf32>) -> tensor<2x16x256xf32> {
  %w = golf.param_ref @w : tensor<256x512xf32>
  %y = golf.matmul %x, %w {transpose_rhs} : tensor<2x16x512xf32>, tensor<256x512xf32> -> tensor<2x16x256xf32>
  %h = golf.split_heads %y {heads = 4 : i64} : tensor<2x16x256xf32> -> tensor<2x4x16x64xf32>
  %r = golf.rope %h {base = 1.0e+04 : f64, dims = 16 : i64} : tensor<2x4x16x64xf32>
  %a = golf.attention %r, %r, %r {causal, scale = 0.125 : f64} : tensor<2x4x16x64xf32>, tensor<2x4x16x64xf32>, tensor<2x4x16x64xf32> -> tensor<2x4x16x64xf32>
  %m = golf.merge_heads %a : tensor<2x4x16x64xf32> -> tensor<2x16x256xf32>
  return %m : tensor<2x16x256xf32>
}

// -----

// CHECK-LABEL: func.func @elementwise
// CHECK: golf.add %{{.+}}, %{{.+}} : tensor<4x8xf32>, tensor<8xf32> -> tensor<4x8xf32>
// CHECK: golf.leaky_relu %{{.+}} {slope = 5.000000e-01 : f64} : tensor<4x8xf32>
// CHECK: golf.cmp %{{.+}}, %{{.+}} {predicate = "gt"} : tensor<4x8xf32>, tensor<f32> -> tensor<4x8xi1>
// CHECK: golf.select
// CHECK: golf.clamp %{{.+}} {max = 4.000000e+00 : f64, min = -4.000000e+00 : f64}
// CHECK: golf.cast %{{.+}} {to = bf16} : tensor<4x8xf32> -> tensor<4x8xbf16>
func.func @elementwise(%x: tensor<4x8xf32>, %b: tensor<8xf32>) -> tensor<4x8xbf16> {
  %s = golf.add %x, %b : tensor<4x8xf32>, tensor<8xf32> -> tensor<4x8xf32>
  %l = golf.leaky_relu %s {slope = 0.5 : f64} : tensor<4x8xf32>
  %z = golf.constant dense<0.0> : tensor<f32>
  %m = golf.cmp %l, %z {predicate = "gt"} : tensor<4x8xf32>, tensor<f32> -> tensor<4x8xi1>
  %e = golf.select %m, %l, %z : tensor<4x8xi1>, tensor<4x8xf32>, tensor<f32> -> tensor<4x8xf32>
  %c = golf.clamp %e {min = -4.0 : f64, max = 4.0 : f64} : tensor<4x8xf32>
  %h = golf.cast %c {to = bf16} : tensor<4x8xf32> -> tensor<4x8xbf16>
  return %h : tensor<4x8xbf16>
}

// -----

// CHECK-LABEL: func.func @tokens
// CHECK: golf.bigram_hash %{{.+}} {buckets = 4096 : i64, mul_cur = 36313 : i64, mul_prev = 27191 : i64} : tensor<2x16xi32>
// CHECK: golf.embedding %{{.+}}[%{{.+}}] : tensor<4096x64xf32>, tensor<2x16xi32> -> tensor<2x16x64xf32>
// CHECK: golf.shift %{{.+}} {axis = 1 : i64, offset = 1 : i64} : tensor<2x16x64xf32>
// CHECK: golf.reduce_sum %{{.+}} {axis = -1 : i64, keepdim} : tensor<2x16x64xf32> -> tensor<2x16x1xf32>
// CHECK: golf.softcap
// CHECK: golf.cross_entropy %{{.+}}, %{{.+}} {reduction = "none"} : tensor<2x16x64xf32>, tensor<2x16xi32> -> tensor<2x16xf32>
golf.param @table : tensor<4096x64xf32> {group = "embed", init = {kind = "zeros"}, quant = "bigram"}
func.func @tokens(%ids: tensor<2x16xi32>) -> tensor<2x16xf32> {
  %h = golf.bigram_hash %ids {buckets = 4096 : i64, mul_cur = 36313 : i64, mul_prev = 27191 : i64} : tensor<2x16xi32>
  %t = golf.param_ref @table : tensor<4096x64xf32>
  %e = golf.embedding %t[%h] : tensor<4096x64xf32>, tensor<2x16xi32> -> tensor<2x16x64xf32>
  %p = golf.shift %e {axis = 1 : i64, offset = 1 : i64} : tensor<2x16x64xf32>
  %s = golf.reduce_sum %p {axis = -1 : i64, keepdim} : tensor<2x16x64xf32> -> tensor<2x16x1xf32>
  %d = golf.div %p, %s : tensor<2x16x64xf32>, tensor<2x16x1xf32> -> tensor<2x16x64xf32>
  %c = golf.softcap %d {cap = 30.0 : f64} : tensor<2x16x64xf32>
  %n = golf.cross_entropy %c, %ids {reduction = "none"} : tensor<2x16x64xf32>, tensor<2x16xi32> -> tensor<2x16xf32>
  return %n : tensor<2x16xf32>
}

// -----

// CHECK-LABEL: func.func @shapes
// CHECK: golf.fake_quant %{{.+}} {bits = 6 : i64, mode = "ste"} : tensor<4x8xf32>
// CHECK: golf.broadcast %{{.+}} : tensor<4x8xf32> -> tensor<2x4x8xf32>
// CHECK: golf.slice %{{.+}} {limits = array<i64: 2, 16, 8>, starts = array<i64: 0, 4, 0>}
// CHECK: golf.concat %{{.+}}, %{{.+}} {axis = 1 : i64} : tensor<2x4x8xf32>, tensor<2x12x8xf32> -> tensor<2x16x8xf32>
// CHECK: golf.transpose %{{.+}} {perm = array<i64: 0, 2, 1>} : tensor<2x16x8xf32> -> tensor<2x8x16xf32>
golf.param @mem : tensor<4x8xf32> {group = "scalar", init = {kind = "normal", std = 0.02 : f64}, quant = "control"}
func.func @shapes(%x: tensor<2x16x8xf32>) -> tensor<2x8x16xf32> {
  %m = golf.param_ref @mem : tensor<4x8xf32>
  %q = golf.fake_quant %m {bits = 6 : i64, mode = "ste"} : tensor<4x8xf32>
  %b = golf.broadcast %q : tensor<4x8xf32> -> tensor<2x4x8xf32>
  %r = golf.slice %x {starts = array<i64: 0, 4, 0>, limits = array<i64: 2, 16, 8>} : tensor<2x16x8xf32> -> tensor<2x12x8xf32>
  %c = golf.concat %b, %r {axis = 1 : i64} : tensor<2x4x8xf32>, tensor<2x12x8xf32> -> tensor<2x16x8xf32>
  %t = golf.transpose %c {perm = array<i64: 0, 2, 1>} : tensor<2x16x8xf32> -> tensor<2x8x16xf32>
  return %t : tensor<2x8x16xf32>
}
