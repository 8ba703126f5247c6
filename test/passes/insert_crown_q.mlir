// RUN: golf-opt %s --split-input-file --golf-insert-crown-q | FileCheck %s

// With a crown_q directive, @loss_crownq adds weight / (2 matrices) /
// (15^2 * 12) times the sum over the quantized matrices of
// mean_r(mean_j(w^2) * stop_gradient(max_j |w|)^2); the float and kept
// tensors take no part; @loss is unchanged. @loss_qat gets its twin.
// CHECK-LABEL: func.func @loss(
// CHECK-NOT: golf.stop_gradient
// CHECK: return
// CHECK-LABEL: func.func @loss_crownq(
// CHECK: golf.reduce_sum %{{.+}} {axis = 0 : i64} : tensor<4xf32> -> tensor<f32>
// CHECK: %[[A:.+]] = golf.param_ref @attn : tensor<512x256xf32>
// CHECK: %[[SQ:.+]] = golf.square %[[A]] : tensor<512x256xf32>
// CHECK: %[[MS:.+]] = golf.reduce_mean %[[SQ]] {axis = 1 : i64} : tensor<512x256xf32> -> tensor<512xf32>
// CHECK: %[[ABS:.+]] = golf.abs %[[A]] : tensor<512x256xf32>
// CHECK: %[[MX:.+]] = golf.reduce_max %[[ABS]] {axis = 1 : i64} : tensor<512x256xf32> -> tensor<512xf32>
// CHECK: %[[D:.+]] = golf.stop_gradient %[[MX]] : tensor<512xf32>
// CHECK: %[[D2:.+]] = golf.square %[[D]] : tensor<512xf32>
// CHECK: %[[ROW:.+]] = golf.mul %[[MS]], %[[D2]]
// CHECK: %[[TA:.+]] = golf.reduce_mean %[[ROW]] {axis = 0 : i64} : tensor<512xf32> -> tensor<f32>
// CHECK: golf.param_ref @mlp
// CHECK: %[[TM:.+]] = golf.reduce_mean %{{.+}} {axis = 0 : i64} : tensor<512xf32> -> tensor<f32>
// CHECK: %[[SUM:.+]] = golf.add %[[TA]], %[[TM]]
// CHECK: %[[C:.+]] = golf.constant dense<1.85185181E-5> : tensor<f32>
// CHECK: %[[P:.+]] = golf.mul %[[SUM]], %[[C]]
// CHECK: %[[L:.+]] = golf.add %{{.+}}, %[[P]]
// CHECK: return %[[L]]
// CHECK-NOT: golf.param_ref @emb
// CHECK-LABEL: func.func @loss_qat_crownq(
// CHECK: golf.fake_quant
// CHECK: golf.stop_gradient
module attributes {golf.train = {crown_q = {kind = "crown_q", weight = 0.1 : f64, during = "warmdown"}},
                   golf.export = {passthrough_numel = 65536 : i64,
                                  quant = [{class = "attn", bits = 6 : i64}, {class = "default", bits = 5 : i64}],
                                  keep = [{class = "embed", dtype = "f16"}]}} {
  golf.param @attn : tensor<512x256xf32> {group = "matrix", init = {kind = "zeros"}, quant = "attn"}
  golf.param @mlp : tensor<512x256xf32> {group = "matrix", init = {kind = "zeros"}, quant = "mlp"}
  golf.param @emb : tensor<256x512xf32> {group = "embed", init = {kind = "zeros"}, quant = "embed"}
  func.func @loss(%x: tensor<4x256xf32>) -> tensor<f32> {
    %a = golf.param_ref @attn : tensor<512x256xf32>
    %y = golf.matmul %x, %a {transpose_rhs} : tensor<4x256xf32>, tensor<512x256xf32> -> tensor<4x512xf32>
    %s = golf.reduce_sum %y {axis = 1 : i64} : tensor<4x512xf32> -> tensor<4xf32>
    %t = golf.reduce_sum %s {axis = 0 : i64} : tensor<4xf32> -> tensor<f32>
    return %t : tensor<f32>
  }
  func.func @loss_qat(%x: tensor<4x256xf32>) -> tensor<f32> {
    %a = golf.param_ref @attn : tensor<512x256xf32>
    %q = golf.fake_quant %a {bits = 6 : i64, mode = "ste"} : tensor<512x256xf32>
    %y = golf.matmul %x, %q {transpose_rhs} : tensor<4x256xf32>, tensor<512x256xf32> -> tensor<4x512xf32>
    %s = golf.reduce_sum %y {axis = 1 : i64} : tensor<4x512xf32> -> tensor<4xf32>
    %t = golf.reduce_sum %s {axis = 0 : i64} : tensor<4xf32> -> tensor<f32>
    return %t : tensor<f32>
  }
}

// -----

// Without a crown_q directive the module is unchanged.
// CHECK-LABEL: func.func @plain
// CHECK-NOT: @loss_crownq
module {
  func.func @plain(%x: tensor<4xf32>) -> tensor<4xf32> {
    return %x : tensor<4xf32>
  }
}
