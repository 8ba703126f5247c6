// RUN: golf-opt %s --split-input-file --canonicalize --cse | FileCheck %s
// The folders and canonicalization patterns of the golf ops (with CSE, as golfc runs them).

// CHECK-LABEL: func.func @identities
// CHECK-SAME: (%[[X:.+]]: tensor<4x8xf32>)
// CHECK-NEXT: return %[[X]]
func.func @identities(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %one = golf.constant dense<1.0> : tensor<f32>
  %zero = golf.constant dense<0.0> : tensor<f32>
  %a = golf.mul %x, %one : tensor<4x8xf32>, tensor<f32> -> tensor<4x8xf32>
  %b = golf.add %a, %zero : tensor<4x8xf32>, tensor<f32> -> tensor<4x8xf32>
  %c = golf.neg %b : tensor<4x8xf32>
  %d = golf.neg %c : tensor<4x8xf32>
  %e = golf.div %d, %one : tensor<4x8xf32>, tensor<f32> -> tensor<4x8xf32>
  %f = golf.sub %e, %zero : tensor<4x8xf32>, tensor<f32> -> tensor<4x8xf32>
  return %f : tensor<4x8xf32>
}

// -----

// A broadcasting identity keeps the op: the result type differs from x.
// CHECK-LABEL: func.func @broadcast_kept
// CHECK: golf.mul
func.func @broadcast_kept(%x: tensor<8xf32>) -> tensor<4x8xf32> {
  %one = golf.constant dense<1.0> : tensor<4x8xf32>
  %a = golf.mul %x, %one : tensor<8xf32>, tensor<4x8xf32> -> tensor<4x8xf32>
  return %a : tensor<4x8xf32>
}

// -----

// CHECK-LABEL: func.func @shapes
// CHECK-SAME: (%[[X:.+]]: tensor<2x3x4xf32>)
// CHECK-NEXT: %[[R:.+]] = golf.reshape %[[X]] : tensor<2x3x4xf32> -> tensor<24xf32>
// CHECK-NEXT: return %[[R]]
func.func @shapes(%x: tensor<2x3x4xf32>) -> tensor<24xf32> {
  %t = golf.transpose %x {perm = array<i64: 0, 2, 1>} : tensor<2x3x4xf32> -> tensor<2x4x3xf32>
  %u = golf.transpose %t {perm = array<i64: 0, 2, 1>} : tensor<2x4x3xf32> -> tensor<2x3x4xf32>
  %s = golf.slice %u {starts = array<i64: 0, 0, 0>, limits = array<i64: 2, 3, 4>} : tensor<2x3x4xf32> -> tensor<2x3x4xf32>
  %c = golf.cast %s {to = f32} : tensor<2x3x4xf32> -> tensor<2x3x4xf32>
  %r1 = golf.reshape %c : tensor<2x3x4xf32> -> tensor<6x4xf32>
  %r2 = golf.reshape %r1 : tensor<6x4xf32> -> tensor<24xf32>
  return %r2 : tensor<24xf32>
}

// -----

// Widening then narrowing back is the identity (bf16 ⊂ f32); narrowing then
// widening rounds, so it stays.
// CHECK-LABEL: func.func @cast_round_trip
// CHECK-SAME: (%[[B:.+]]: tensor<4xbf16>, %[[F:.+]]: tensor<4xf32>)
// CHECK-NEXT: %[[N:.+]] = golf.cast %[[F]] {to = bf16}
// CHECK-NEXT: %[[W:.+]] = golf.cast %[[N]] {to = f32}
// CHECK-NEXT: return %[[B]], %[[W]]
func.func @cast_round_trip(%b: tensor<4xbf16>, %f: tensor<4xf32>) -> (tensor<4xbf16>, tensor<4xf32>) {
  %w = golf.cast %b {to = f32} : tensor<4xbf16> -> tensor<4xf32>
  %n = golf.cast %w {to = bf16} : tensor<4xf32> -> tensor<4xbf16>
  %fn = golf.cast %f {to = bf16} : tensor<4xf32> -> tensor<4xbf16>
  %fw = golf.cast %fn {to = f32} : tensor<4xbf16> -> tensor<4xf32>
  return %n, %fw : tensor<4xbf16>, tensor<4xf32>
}

// -----

// Casts move above layout ops, so casts of one value through different
// views (a product's operand and its weight gradient's) meet and CSE keeps
// one; bf16 -> f32 -> bf16 around a head merge folds away.
// CHECK-LABEL: func.func @cast_hoisting
// CHECK-SAME: (%[[X:.+]]: tensor<2x4x8xf32>, %[[Y:.+]]: tensor<2x2x4x4xbf16>)
// CHECK-NEXT: %[[C:.+]] = golf.cast %[[X]] {to = bf16} : tensor<2x4x8xf32> -> tensor<2x4x8xbf16>
// CHECK-NEXT: %[[R:.+]] = golf.reshape %[[C]] : tensor<2x4x8xbf16> -> tensor<8x8xbf16>
// CHECK-NEXT: %[[M:.+]] = golf.merge_heads %[[Y]]
// CHECK-NEXT: return %[[C]], %[[R]], %[[M]]
func.func @cast_hoisting(%x: tensor<2x4x8xf32>, %y: tensor<2x2x4x4xbf16>) -> (tensor<2x4x8xbf16>, tensor<8x8xbf16>, tensor<2x4x8xbf16>) {
  %a = golf.cast %x {to = bf16} : tensor<2x4x8xf32> -> tensor<2x4x8xbf16>
  %r = golf.reshape %x : tensor<2x4x8xf32> -> tensor<8x8xf32>
  %b = golf.cast %r {to = bf16} : tensor<8x8xf32> -> tensor<8x8xbf16>
  %w = golf.cast %y {to = f32} : tensor<2x2x4x4xbf16> -> tensor<2x2x4x4xf32>
  %m = golf.merge_heads %w : tensor<2x2x4x4xf32> -> tensor<2x4x8xf32>
  %n = golf.cast %m {to = bf16} : tensor<2x4x8xf32> -> tensor<2x4x8xbf16>
  return %a, %b, %n : tensor<2x4x8xbf16>, tensor<8x8xbf16>, tensor<2x4x8xbf16>
}

// -----

// A slice keeps its cast below it: hoisting would convert unread elements.
// CHECK-LABEL: func.func @cast_below_slice
// CHECK: golf.slice
// CHECK-NEXT: golf.cast
func.func @cast_below_slice(%x: tensor<8x8xf32>) -> tensor<2x8xbf16> {
  %s = golf.slice %x {starts = array<i64: 0, 0>, limits = array<i64: 2, 8>} : tensor<8x8xf32> -> tensor<2x8xf32>
  %c = golf.cast %s {to = bf16} : tensor<2x8xf32> -> tensor<2x8xbf16>
  return %c : tensor<2x8xbf16>
}
