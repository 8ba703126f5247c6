// RUN: golf-opt %s --split-input-file --golf-autocast | FileCheck %s
// RUN: golf-opt %s --split-input-file --golf-autocast --cse --canonicalize | FileCheck %s --check-prefix=CLEAN

// autocast = bf16: a product reads bf16 copies of its f32 operands and its
// bf16 result is widened back for the ops that read it.
// CHECK-LABEL: func.func @linear(
// CHECK-SAME: %[[X:.+]]: tensor<4x8xf32>
// CHECK: %[[W:.+]] = golf.param_ref @w
// CHECK: %[[E:.+]] = golf.param_ref @emb
// CHECK: %[[XB:.+]] = golf.cast %[[X]] {to = bf16} : tensor<4x8xf32> -> tensor<4x8xbf16>
// CHECK: %[[WB:.+]] = golf.cast %[[W]] {to = bf16} : tensor<16x8xf32> -> tensor<16x8xbf16>
// CHECK: %[[YB:.+]] = golf.matmul %[[XB]], %[[WB]] {transpose_rhs} : tensor<4x8xbf16>, tensor<16x8xbf16> -> tensor<4x16xbf16>
// CHECK: %[[Y:.+]] = golf.cast %[[YB]] {to = f32} : tensor<4x16xbf16> -> tensor<4x16xf32>
// CHECK: %[[R:.+]] = golf.relu %[[Y]]
// CHECK: %[[RB:.+]] = golf.cast %[[R]] {to = bf16}
// CHECK: %[[ZB:.+]] = golf.matmul %[[RB]], %{{.+}} : tensor<4x16xbf16>, tensor<16x8xbf16> -> tensor<4x8xbf16>
// CHECK: %[[Z:.+]] = golf.cast %[[ZB]] {to = f32}
// CHECK: return %[[Z]]
module attributes {golf.train = {autocast = "bf16"}} {
  golf.param @w : tensor<16x8xf32> {group = "matrix", init = {kind = "zeros"}, quant = "attn"}
  golf.param @emb : tensor<16x8xbf16> {group = "embed", init = {kind = "zeros"}, quant = "embed"}
  func.func @linear(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
    %w = golf.param_ref @w : tensor<16x8xf32>
    %e = golf.param_ref @emb : tensor<16x8xbf16>
    %y = golf.matmul %x, %w {transpose_rhs} : tensor<4x8xf32>, tensor<16x8xf32> -> tensor<4x16xf32>
    %r = golf.relu %y : tensor<4x16xf32>
    %eb = golf.cast %e {to = f32} : tensor<16x8xbf16> -> tensor<16x8xf32>
    %z = golf.matmul %r, %eb : tensor<4x16xf32>, tensor<16x8xf32> -> tensor<4x8xf32>
    return %z : tensor<4x8xf32>
  }
}
// After CSE and canonicalization the widening of the bf16 embedding and its
// narrowing for the product cancel out.
// CLEAN-LABEL: func.func @linear(
// CLEAN: %[[E:.+]] = golf.param_ref @emb
// CLEAN: golf.matmul %{{.+}}, %[[E]] : tensor<4x16xbf16>, tensor<16x8xbf16> -> tensor<4x8xbf16>

// -----

// Attention and its gradient: every float operand and result goes through
// bf16; two readers of one value share its cast after CSE.
// CHECK-LABEL: func.func @attention(
// CHECK: %[[A:.+]] = golf.attention %{{.+}}, %{{.+}}, %{{.+}} {causal, scale = 1.250000e-01 : f64} : tensor<1x2x4x8xbf16>, tensor<1x1x4x8xbf16>, tensor<1x1x4x8xbf16> -> tensor<1x2x4x8xbf16>
// CHECK: golf.cast %[[A]] {to = f32}
// CHECK: %[[DQ:[^,]+]], %[[DK:[^,]+]], %[[DV:[^ ]+]] = golf.attention_grad {{.+}} -> tensor<1x2x4x8xbf16>, tensor<1x1x4x8xbf16>, tensor<1x1x4x8xbf16>
// CHECK-DAG: golf.cast %[[DQ]] {to = f32}
// CHECK-DAG: golf.cast %[[DK]] {to = f32}
// CHECK-DAG: golf.cast %[[DV]] {to = f32}
// CLEAN-LABEL: func.func @attention(
// CLEAN-SAME: %[[Q:[^:]+]]: tensor<1x2x4x8xf32>
// CLEAN-COUNT-1: golf.cast %[[Q]] {to = bf16}
// CLEAN-NOT: golf.cast %[[Q]] {to = bf16}
module attributes {golf.train = {autocast = "bf16"}} {
  func.func @attention(%q: tensor<1x2x4x8xf32>, %k: tensor<1x1x4x8xf32>, %v: tensor<1x1x4x8xf32>)
      -> (tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x1x4x8xf32>, tensor<1x1x4x8xf32>) {
    %y = golf.attention %q, %k, %v {causal, scale = 0.125 : f64} : tensor<1x2x4x8xf32>, tensor<1x1x4x8xf32>, tensor<1x1x4x8xf32> -> tensor<1x2x4x8xf32>
    %dq, %dk, %dv = golf.attention_grad %q, %k, %v, %y {causal, scale = 0.125 : f64}
        : tensor<1x2x4x8xf32>, tensor<1x1x4x8xf32>, tensor<1x1x4x8xf32>, tensor<1x2x4x8xf32>
        -> tensor<1x2x4x8xf32>, tensor<1x1x4x8xf32>, tensor<1x1x4x8xf32>
    return %y, %dq, %dk, %dv : tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x1x4x8xf32>, tensor<1x1x4x8xf32>
  }
}

// -----

// autocast = off (the default): nothing changes.
// CHECK-LABEL: func.func @off(
// CHECK-NOT: golf.cast
// CHECK: golf.matmul %{{.+}}, %{{.+}} : tensor<4x8xf32>, tensor<8x4xf32> -> tensor<4x4xf32>
module attributes {golf.train = {autocast = "off"}} {
  func.func @off(%x: tensor<4x8xf32>, %w: tensor<8x4xf32>) -> tensor<4x4xf32> {
    %y = golf.matmul %x, %w : tensor<4x8xf32>, tensor<8x4xf32> -> tensor<4x4xf32>
    return %y : tensor<4x4xf32>
  }
}
