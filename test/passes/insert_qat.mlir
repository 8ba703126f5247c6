// RUN: golf-opt %s --split-input-file --golf-insert-qat | FileCheck %s

// With a qat directive, @loss_qat reads every weight the export will
// quantize through fake_quant at its class's width; small tensors and kept
// classes stay float; @loss is unchanged.
// CHECK-LABEL: func.func @loss(
// CHECK-NOT: golf.fake_quant
// CHECK-LABEL: func.func @loss_qat(
// CHECK-DAG: %[[A:.+]] = golf.param_ref @attn
// CHECK-DAG: %[[QA:.+]] = golf.fake_quant %[[A]] {bits = 6 : i64, mode = "ste"} : tensor<512x256xf32>
// CHECK-DAG: %[[M:.+]] = golf.param_ref @mlp
// CHECK-DAG: %[[QM:.+]] = golf.fake_quant %[[M]] {bits = 5 : i64, mode = "ste"} : tensor<512x256xf32>
// CHECK-DAG: golf.matmul %{{.+}}, %[[QA]]
// CHECK-DAG: golf.matmul %{{.+}}, %[[QM]]
// CHECK-NOT: golf.fake_quant {{.+}} tensor<256xf32>
// CHECK-NOT: golf.fake_quant {{.+}} tensor<256x512xf32>
module attributes {golf.train = {qat = {below_lr_scale = 0.15 : f64, mode = "ste", kind = "qat"}},
                   golf.export = {passthrough_numel = 65536 : i64,
                                  quant = [{class = "attn", bits = 6 : i64}, {class = "default", bits = 5 : i64}],
                                  keep = [{class = "embed", dtype = "f16"}]}} {
  golf.param @attn : tensor<512x256xf32> {group = "matrix", init = {kind = "zeros"}, quant = "attn"}
  golf.param @mlp : tensor<512x256xf32> {group = "matrix", init = {kind = "zeros"}, quant = "mlp"}
  golf.param @emb : tensor<256x512xf32> {group = "embed", init = {kind = "zeros"}, quant = "embed"}
  golf.param @gain : tensor<256xf32> {group = "scalar", init = {kind = "ones"}, quant = "control"}
  func.func @loss(%x: tensor<4x256xf32>) -> tensor<f32> {
    %a = golf.param_ref @attn : tensor<512x256xf32>
    %m = golf.param_ref @mlp : tensor<512x256xf32>
    %e = golf.param_ref @emb : tensor<256x512xf32>
    %g = golf.param_ref @gain : tensor<256xf32>
    %xg = golf.mul %x, %g : tensor<4x256xf32>, tensor<256xf32> -> tensor<4x256xf32>
    %y = golf.matmul %xg, %a {transpose_rhs} : tensor<4x256xf32>, tensor<512x256xf32> -> tensor<4x512xf32>
    %z = golf.matmul %xg, %m {transpose_rhs} : tensor<4x256xf32>, tensor<512x256xf32> -> tensor<4x512xf32>
    %w = golf.add %y, %z : tensor<4x512xf32>, tensor<4x512xf32> -> tensor<4x512xf32>
    %o = golf.matmul %w, %e {transpose_rhs} : tensor<4x512xf32>, tensor<256x512xf32> -> tensor<4x256xf32>
    %s = golf.reduce_sum %o {axis = 1 : i64} : tensor<4x256xf32> -> tensor<4xf32>
    %t = golf.reduce_sum %s {axis = 0 : i64} : tensor<4xf32> -> tensor<f32>
    return %t : tensor<f32>
  }
}

// -----

// Without a qat directive the module is unchanged.
// CHECK-LABEL: func.func @plain
// CHECK-NOT: @loss_qat
module {
  func.func @plain(%x: tensor<4xf32>) -> tensor<4xf32> {
    return %x : tensor<4xf32>
  }
}

// -----

// Soft-round QAT: @loss_qat takes the sharpness as a last argument (the
// trainer anneals it from alpha_start to alpha_end) and every fake_quant
// reads it.
// CHECK-LABEL: func.func @loss_qat(
// CHECK-SAME: %[[X:.+]]: tensor<4x256xf32>, %[[A:.+]]: tensor<f32>) -> tensor<f32>
// CHECK: golf.fake_quant %{{.+}} sharpness %[[A]] : tensor<f32> {bits = 5 : i64, mode = "soft_round"} : tensor<512x256xf32>
module attributes {golf.train = {qat = {below_lr_scale = 0.5 : f64, mode = "soft_round", kind = "qat",
                                        alpha_start = 1.0 : f64, alpha_end = 16.0 : f64}},
                   golf.export = {passthrough_numel = 65536 : i64, quant = [{class = "default", bits = 5 : i64}]}} {
  golf.param @mlp : tensor<512x256xf32> {group = "matrix", init = {kind = "zeros"}, quant = "mlp"}
  func.func @loss(%x: tensor<4x256xf32>) -> tensor<f32> {
    %m = golf.param_ref @mlp : tensor<512x256xf32>
    %z = golf.matmul %x, %m {transpose_rhs} : tensor<4x256xf32>, tensor<512x256xf32> -> tensor<4x512xf32>
    %s = golf.reduce_sum %z {axis = 1 : i64} : tensor<4x512xf32> -> tensor<4xf32>
    %t = golf.reduce_sum %s {axis = 0 : i64} : tensor<4xf32> -> tensor<f32>
    return %t : tensor<f32>
  }
}
