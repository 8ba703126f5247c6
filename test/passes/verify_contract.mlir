// RUN: golf-opt %s --split-input-file --golf-verify-contract --verify-diagnostics | FileCheck %s

// A module that keeps the contract passes through unchanged.
// CHECK-LABEL: func.func @loss
// CHECK: %[[W:.+]] = golf.param_ref @w
// CHECK: golf.matmul %{{.+}}, %[[W]] {transpose_rhs}
golf.param @w : tensor<8x8xf32> {group = "matrix", init = {kind = "zeros"}, quant = "attn"}
func.func @loss(%x: tensor<2x8xf32>) -> tensor<f32> {
  %w = golf.param_ref @w : tensor<8x8xf32>
  %y = golf.matmul %x, %w {transpose_rhs} : tensor<2x8xf32>, tensor<8x8xf32> -> tensor<2x8xf32>
  %s = golf.reduce_sum %y {axis = 1 : i64} : tensor<2x8xf32> -> tensor<2xf32>
  %t = golf.reduce_sum %s {axis = 0 : i64} : tensor<2xf32> -> tensor<f32>
  return %t : tensor<f32>
}

// -----

// expected-error @+1 {{dynamic shape 'tensor<?x8xf32>': the backend contract needs static shapes}}
func.func @dynamic(%x: tensor<?x8xf32>) {
  return
}

// -----

// expected-error @+1 {{parameter 'unused' is never used by a function}}
golf.param @unused : tensor<4xf32> {group = "scalar", init = {kind = "ones"}, quant = "control"}

// -----

func.func @foreign(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{op func.call is outside the golf dialect}}
  %0 = func.call @foreign(%x) : (tensor<4xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

// expected-error @+1 {{@loss must return one scalar tensor}}
func.func @loss(%x: tensor<4xf32>) -> tensor<4xf32> {
  return %x : tensor<4xf32>
}
