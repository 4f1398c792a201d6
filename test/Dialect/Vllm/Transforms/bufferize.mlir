// One-shot bufferization of vllm ops (SPEC.md 3.9): each tensor op becomes
// its buffer form; results get new identity-layout buffers sized from the
// input (scale rows padded for MN-major); residual_out is the residual's
// buffer, updated in place exactly when nothing reads the residual later
// (C15); operands whose buffers the kernels cannot address are copied.
// RUN: vllm-opt %s -split-input-file --one-shot-bufferize="bufferize-function-boundaries function-boundary-type-conversion=identity-layout-map" | FileCheck %s
// RUN: vllm-opt %s -split-input-file --one-shot-bufferize="bufferize-function-boundaries test-analysis-only" | FileCheck %s --check-prefix=ANALYSIS
// RUN: vllm-opt %s -split-input-file --one-shot-bufferize="bufferize-function-boundaries" -canonicalize | FileCheck %s --check-prefix=STRIDED

// The residual is dead after the norm: written in place, no copy, and the
// function returns the argument's buffer as residual_out.
// CHECK-LABEL: func.func @residual_in_place(
// CHECK-SAME: %[[X:[^:]*]]: memref<?x4096xbf16>, %[[RES:[^:]*]]: memref<?x4096xbf16>, %[[W:[^:]*]]: memref<4096xbf16>)
// CHECK-NOT: memref.copy
// CHECK: %[[ROWS:.*]] = memref.dim %[[X]], %{{.*}} : memref<?x4096xbf16>
// CHECK: %[[Y:.*]] = memref.alloc(%[[ROWS]]) {{.*}} : memref<?x4096xbf16>
// CHECK: vllm.buffer.fused_add_rms_norm %[[X]], %[[RES]], %[[W]] into %[[Y]], %[[RES]] {epsilon = 9.99999997E-7 : f32}
// CHECK-NOT: memref.copy
// CHECK: return %[[Y]], %[[RES]]
// ANALYSIS-LABEL: func.func @residual_in_place(
// ANALYSIS: vllm.fused_add_rms_norm {{.*}}__inplace_operands_attr__ = ["true", "true", "true"]
// STRIDED-LABEL: func.func @residual_in_place(
// STRIDED-SAME: %[[X:[^:]*]]: memref<?x4096xbf16, strided<[?, ?], offset: ?>>, %[[RES:[^:]*]]: memref<?x4096xbf16, strided<[?, ?], offset: ?>>
// STRIDED: %[[XC:.*]] = memref.alloc
// STRIDED: memref.copy %[[X]], %[[XC]]
// STRIDED: %[[RC:.*]] = memref.alloc
// STRIDED: memref.copy %[[RES]], %[[RC]]
// STRIDED: vllm.buffer.fused_add_rms_norm %[[XC]], %[[RC]], %{{.*}} into %{{.*}}, %[[RC]]
// STRIDED-NEXT: memref.copy %[[RC]], %[[RES]]
// STRIDED: return %{{.*}}, %[[RES]]
func.func @residual_in_place(%x: tensor<?x4096xbf16>, %res: tensor<?x4096xbf16>, %w: tensor<4096xbf16>) -> (tensor<?x4096xbf16>, tensor<?x4096xbf16>) {
  %y, %r = vllm.fused_add_rms_norm %x, %res, %w {epsilon = 1.0e-06 : f32} : (tensor<?x4096xbf16>, tensor<?x4096xbf16>, tensor<4096xbf16>) -> (tensor<?x4096xbf16>, tensor<?x4096xbf16>)
  return %y, %r : tensor<?x4096xbf16>, tensor<?x4096xbf16>
}

// -----

// A later op reads the residual: it is copied, and the norm updates the copy.
// CHECK-LABEL: func.func @residual_read_later(
// CHECK-SAME: %[[X:[^:]*]]: memref<?x4096xbf16>, %[[RES:[^:]*]]: memref<?x4096xbf16>, %[[W:[^:]*]]: memref<4096xbf16>)
// CHECK: %[[COPY:.*]] = memref.alloc
// CHECK: memref.copy %[[RES]], %[[COPY]]
// CHECK: vllm.buffer.fused_add_rms_norm %[[X]], %[[COPY]], %[[W]] into %{{.*}}, %[[COPY]]
// CHECK: vllm.buffer.rms_norm %[[RES]], %[[W]] into
// ANALYSIS-LABEL: func.func @residual_read_later(
// ANALYSIS: vllm.fused_add_rms_norm {{.*}}__inplace_operands_attr__ = ["true", "false", "true"]
func.func @residual_read_later(%x: tensor<?x4096xbf16>, %res: tensor<?x4096xbf16>, %w: tensor<4096xbf16>) -> (tensor<?x4096xbf16>, tensor<?x4096xbf16>, tensor<?x4096xbf16>) {
  %y, %r = vllm.fused_add_rms_norm %x, %res, %w {epsilon = 1.0e-06 : f32} : (tensor<?x4096xbf16>, tensor<?x4096xbf16>, tensor<4096xbf16>) -> (tensor<?x4096xbf16>, tensor<?x4096xbf16>)
  %z = vllm.rms_norm %res, %w {epsilon = 1.0e-06 : f32} : (tensor<?x4096xbf16>, tensor<4096xbf16>) -> tensor<?x4096xbf16>
  return %y, %r, %z : tensor<?x4096xbf16>, tensor<?x4096xbf16>, tensor<?x4096xbf16>
}

// -----

// rms_norm_quant with a residual, then the GEMM; an element-wise linalg op
// (the residual add done apart, as another frontend emits it) in front.
// The MN-major scales get roundup(M, 4) columns.
// CHECK-LABEL: func.func @layer(
// CHECK-SAME: %[[X:[^:]*]]: memref<?x4096xbf16>, %[[RES:[^:]*]]: memref<?x4096xbf16>, %[[W:[^:]*]]: memref<4096xbf16>, %[[B:[^:]*]]: memref<2112x4096xf8E4M3FN>, %[[SB:[^:]*]]: memref<17x32xf32>)
// CHECK: %[[H:.*]] = memref.alloc(%{{.*}}) {{.*}} : memref<?x4096xbf16>
// CHECK: linalg.add ins(%[[X]], %[[X]] : {{.*}}) outs(%[[H]] :
// CHECK: %[[M:.*]] = memref.dim %[[H]], %{{.*}} : memref<?x4096xbf16>
// CHECK: %[[Q:.*]] = memref.alloc(%[[M]]) {{.*}} : memref<?x4096xf8E4M3FN>
// CHECK: %[[M2:.*]] = memref.dim %[[H]], %{{.*}} : memref<?x4096xbf16>
// CHECK: %[[C3:.*]] = arith.constant 3 : index
// CHECK: %[[C4:.*]] = arith.constant 4 : index
// CHECK: %[[BUMPED:.*]] = arith.addi %[[M2]], %[[C3]]
// CHECK: %[[BLOCKS:.*]] = arith.divui %[[BUMPED]], %[[C4]]
// CHECK: %[[PADDED:.*]] = arith.muli %[[BLOCKS]], %[[C4]]
// CHECK: %[[S:.*]] = memref.alloc(%[[PADDED]]) {{.*}} : memref<32x?xf32>
// CHECK: vllm.buffer.rms_norm_quant %[[H]], %[[W]] residual(%[[RES]] : memref<?x4096xbf16>) as <per_group 128, f32, mn_major, align 4> into %[[Q]], %[[S]] residual_out(%[[RES]] : memref<?x4096xbf16>)
// CHECK: %[[D:.*]] = memref.alloc(%{{.*}}) {{.*}} : memref<?x2112xbf16>
// CHECK: vllm.buffer.scaled_matmul %[[Q]], %[[B]] scales(%[[S]] as <group 128, f32, mn_major, align 4>, %[[SB]] as <block 128x128, f32>) chip <sm_90a> into %[[D]]
// CHECK: return %[[D]], %[[RES]]
func.func @layer(%x: tensor<?x4096xbf16>, %res: tensor<?x4096xbf16>, %w: tensor<4096xbf16>, %b: tensor<2112x4096xf8E4M3FN>, %sb: tensor<17x32xf32, #vllm.scales<block 128x128, f32>>) -> (tensor<?x2112xbf16>, tensor<?x4096xbf16>) {
  %c0 = arith.constant 0 : index
  %m = tensor.dim %x, %c0 : tensor<?x4096xbf16>
  %init = tensor.empty(%m) : tensor<?x4096xbf16>
  %h = linalg.add ins(%x, %x : tensor<?x4096xbf16>, tensor<?x4096xbf16>) outs(%init : tensor<?x4096xbf16>) -> tensor<?x4096xbf16>
  %q, %s, %r = vllm.rms_norm_quant %h, %w residual(%res) as <per_group 128, f32, mn_major, align 4> {epsilon = 1.0e-06 : f32} : (tensor<?x4096xbf16>, tensor<4096xbf16>, tensor<?x4096xbf16>) -> (tensor<?x4096xf8E4M3FN>, tensor<32x?xf32, #vllm.scales<group 128, f32, mn_major, align 4>>, tensor<?x4096xbf16>)
  %d = vllm.scaled_matmul %q, %b scales(%s, %sb) chip <sm_90a> : (tensor<?x4096xf8E4M3FN>, tensor<2112x4096xf8E4M3FN>, tensor<32x?xf32, #vllm.scales<group 128, f32, mn_major, align 4>>, tensor<17x32xf32, #vllm.scales<block 128x128, f32>>) -> tensor<?x2112xbf16>
  return %d, %r : tensor<?x2112xbf16>, tensor<?x4096xbf16>
}

// -----

// Packed UE8M0 scales, a static per-tensor scale, the product of a prologue,
// and a view of the leading dimensions: every result is a new buffer.
// CHECK-LABEL: func.func @quantizations(
// CHECK-SAME: %[[X:[^:]*]]: memref<2x?x4096xbf16>, %[[S0:[^:]*]]: memref<1xf32>)
// CHECK: %[[Y:.*]] = memref.alloc(%{{.*}}) {{.*}} : memref<2x?x2048xbf16>
// CHECK: vllm.buffer.silu_and_mul %[[X]] into %[[Y]] : memref<2x?x4096xbf16> into memref<2x?x2048xbf16>
// CHECK: %[[Y2D:.*]] = memref.collapse_shape %[[Y]] {{\[}}[0, 1], [2]]
// CHECK: %[[Q:.*]] = memref.alloc(%{{.*}}) {{.*}} : memref<?x2048xf8E4M3FN>
// CHECK: %[[SP:.*]] = memref.alloc(%{{.*}}) {{.*}} : memref<4x?xi32>
// CHECK: vllm.buffer.quantize %[[Y2D]] as <per_group 128, ue8m0_packed, mn_major, align 4> into %[[Q]], %[[SP]]
// CHECK: %[[X2D:.*]] = memref.collapse_shape %[[X]] {{\[}}[0, 1], [2]]
// CHECK: %[[Q2:.*]] = memref.alloc(%{{.*}}) {{.*}} : memref<?x2048xf8E4M3FN>
// CHECK: %[[ST:.*]] = memref.alloc() {{.*}} : memref<1xf32>
// CHECK: %[[P:.*]] = memref.alloc(%{{.*}}) {{.*}} : memref<?x2048xbf16>
// CHECK: vllm.buffer.elementwise_quant silu_and_mul(%[[X2D]]) scale(%[[S0]] : memref<1xf32>) as <static_per_tensor> into %[[Q2]], %[[ST]] product(%[[P]] : memref<?x2048xbf16>)
func.func @quantizations(%x: tensor<2x?x4096xbf16>, %s0: tensor<1xf32, #vllm.scales<tensor>>) -> (tensor<?x2048xf8E4M3FN>, tensor<4x?xi32, #vllm.scales<group 128, ue8m0_packed, mn_major, align 4>>, tensor<?x2048xf8E4M3FN>, tensor<?x2048xbf16>) {
  %y = vllm.silu_and_mul %x : tensor<2x?x4096xbf16> -> tensor<2x?x2048xbf16>
  %y2 = tensor.collapse_shape %y [[0, 1], [2]] : tensor<2x?x2048xbf16> into tensor<?x2048xbf16>
  %q, %s = vllm.quantize %y2 as <per_group 128, ue8m0_packed, mn_major, align 4> : tensor<?x2048xbf16> -> tensor<?x2048xf8E4M3FN>, tensor<4x?xi32, #vllm.scales<group 128, ue8m0_packed, mn_major, align 4>>
  %x2 = tensor.collapse_shape %x [[0, 1], [2]] : tensor<2x?x4096xbf16> into tensor<?x4096xbf16>
  %q2, %s2, %p = vllm.elementwise_quant silu_and_mul(%x2) scale(%s0 : tensor<1xf32, #vllm.scales<tensor>>) as <static_per_tensor> : tensor<?x4096xbf16> -> tensor<?x2048xf8E4M3FN>, tensor<1xf32, #vllm.scales<tensor>>, tensor<?x2048xbf16>
  return %q, %s, %q2, %p : tensor<?x2048xf8E4M3FN>, tensor<4x?xi32, #vllm.scales<group 128, ue8m0_packed, mn_major, align 4>>, tensor<?x2048xf8E4M3FN>, tensor<?x2048xbf16>
}

// -----

// The residual is also the input: the op reads the buffer it would write,
// so the analysis copies the residual (and the buffer op verifies, C15).
// CHECK-LABEL: func.func @residual_is_input(
// CHECK-SAME: %[[X:[^:]*]]: memref<?x4096xbf16>, %[[W:[^:]*]]: memref<4096xbf16>)
// CHECK: %[[COPY:.*]] = memref.alloc
// CHECK: memref.copy %[[X]], %[[COPY]]
// CHECK: vllm.buffer.fused_add_rms_norm %[[X]], %[[COPY]], %[[W]] into %{{.*}}, %[[COPY]]
// ANALYSIS-LABEL: func.func @residual_is_input(
// ANALYSIS: vllm.fused_add_rms_norm {{.*}}__inplace_operands_attr__ = ["true", "false", "true"]
func.func @residual_is_input(%x: tensor<?x4096xbf16>, %w: tensor<4096xbf16>) -> (tensor<?x4096xbf16>, tensor<?x4096xbf16>) {
  %y, %r = vllm.fused_add_rms_norm %x, %x, %w {epsilon = 1.0e-06 : f32} : (tensor<?x4096xbf16>, tensor<?x4096xbf16>, tensor<4096xbf16>) -> (tensor<?x4096xbf16>, tensor<?x4096xbf16>)
  return %y, %r : tensor<?x4096xbf16>, tensor<?x4096xbf16>
}

// -----

// rms_norm_quant's residual, dead afterwards, is updated in place too.
// CHECK-LABEL: func.func @norm_quant_in_place(
// CHECK-SAME: %[[X:[^:]*]]: memref<?x256xbf16>, %[[RES:[^:]*]]: memref<?x256xbf16>, %[[W:[^:]*]]: memref<256xbf16>)
// CHECK-NOT: memref.copy
// CHECK: vllm.buffer.rms_norm_quant %[[X]], %[[W]] residual(%[[RES]] : memref<?x256xbf16>) as <per_token> into %{{.*}}, %{{.*}} residual_out(%[[RES]] : memref<?x256xbf16>)
// ANALYSIS-LABEL: func.func @norm_quant_in_place(
// ANALYSIS: vllm.rms_norm_quant {{.*}}__inplace_operands_attr__ = ["true", "true", "true"]
func.func @norm_quant_in_place(%x: tensor<?x256xbf16>, %res: tensor<?x256xbf16>, %w: tensor<256xbf16>) -> (tensor<?x256xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>, tensor<?x256xbf16>) {
  %q, %s, %r = vllm.rms_norm_quant %x, %w residual(%res) as <per_token> {epsilon = 1.0e-06 : f32} : (tensor<?x256xbf16>, tensor<256xbf16>, tensor<?x256xbf16>) -> (tensor<?x256xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>, tensor<?x256xbf16>)
  return %q, %s, %r : tensor<?x256xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>, tensor<?x256xbf16>
}

// -----

// all_reduce writes a new buffer (its input is only read: no copy of it),
// and the all-reduce form of rms_norm_quant keeps its group; its residual
// is updated in place as without the all-reduce.
// CHECK-LABEL: func.func @all_reduce(
// CHECK-SAME: %[[X:[^:]*]]: memref<?x256xbf16>, %[[RES:[^:]*]]: memref<?x256xbf16>, %[[W:[^:]*]]: memref<256xbf16>)
// CHECK: %[[M:.*]] = memref.dim %[[X]], %{{.*}}
// CHECK: %[[Y:.*]] = memref.alloc(%[[M]]) {{.*}} : memref<?x256xbf16>
// CHECK: vllm.buffer.all_reduce %[[X]] into %[[Y]] group 2 : memref<?x256xbf16> into memref<?x256xbf16>
// CHECK: vllm.buffer.rms_norm_quant %[[Y]], %[[W]] all_reduce(group 2) residual(%[[RES]] : memref<?x256xbf16>) as <per_token> into %{{.*}}, %{{.*}} residual_out(%[[RES]] : memref<?x256xbf16>)
// ANALYSIS-LABEL: func.func @all_reduce(
// ANALYSIS: vllm.all_reduce %arg0 group 2 {__inplace_operands_attr__ = ["true"]}
func.func @all_reduce(%x: tensor<?x256xbf16>, %res: tensor<?x256xbf16>, %w: tensor<256xbf16>)
    -> (tensor<?x256xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>, tensor<?x256xbf16>) {
  %s = vllm.all_reduce %x group 2 : tensor<?x256xbf16> -> tensor<?x256xbf16>
  %q, %sc, %r = vllm.rms_norm_quant %s, %w all_reduce(group 2) residual(%res) as <per_token> {epsilon = 1.0e-06 : f32}
      : (tensor<?x256xbf16>, tensor<256xbf16>, tensor<?x256xbf16>) -> (tensor<?x256xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>, tensor<?x256xbf16>)
  return %q, %sc, %r : tensor<?x256xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>, tensor<?x256xbf16>
}
