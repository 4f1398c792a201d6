// vllm-fuse-norm-quant on silu_and_mul -> quantize: other users of the
// product, several quantizes of one product, batch dimensions flattened by
// collapse_shape, placement of the fused op, nested regions; the same
// plumbing as for the norms (fuse-norm-quant.mlir). (One case per scheme:
// fuse-silu-quant-schemes.mlir; cases left alone: fuse-silu-quant-negative.mlir.)
// RUN: vllm-opt %s -split-input-file --vllm-fuse-norm-quant | FileCheck %s

// The product has another user: the fused op also returns it.
// CHECK-LABEL: func.func @multi_use_product(
// CHECK-SAME: %[[X:[^:]*]]: tensor<?x512xbf16>)
// CHECK-NEXT: %[[Q:.*]], %[[S:.*]], %[[Y:.*]] = vllm.elementwise_quant silu_and_mul(%[[X]]) as <per_group 128, ue8m0_packed, mn_major, align 4> : tensor<?x512xbf16> -> tensor<?x256xf8E4M3FN>, tensor<1x?xi32, #vllm.scales<group 128, ue8m0_packed, mn_major, align 4>>, tensor<?x256xbf16>
// CHECK-NEXT: %[[E:.*]] = arith.mulf %[[Y]], %[[Y]]
// CHECK-NEXT: return %[[Q]], %[[S]], %[[E]]
func.func @multi_use_product(%x: tensor<?x512xbf16>) -> (tensor<?x256xf8E4M3FN>, tensor<1x?xi32, #vllm.scales<group 128, ue8m0_packed, mn_major, align 4>>, tensor<?x256xbf16>) {
  %y = vllm.silu_and_mul %x : tensor<?x512xbf16> -> tensor<?x256xbf16>
  %q, %s = vllm.quantize %y as <per_group 128, ue8m0_packed, mn_major, align 4> : tensor<?x256xbf16> -> tensor<?x256xf8E4M3FN>, tensor<1x?xi32, #vllm.scales<group 128, ue8m0_packed, mn_major, align 4>>
  %e = arith.mulf %y, %y : tensor<?x256xbf16>
  return %q, %s, %e : tensor<?x256xf8E4M3FN>, tensor<1x?xi32, #vllm.scales<group 128, ue8m0_packed, mn_major, align 4>>, tensor<?x256xbf16>
}

// -----

// The product is returned and used before the quantize.
// CHECK-LABEL: func.func @multi_use_product_before(
// CHECK-SAME: %[[X:[^:]*]]: tensor<?x512xbf16>)
// CHECK-NEXT: %[[Q:.*]], %[[S:.*]], %[[Y:.*]] = vllm.elementwise_quant silu_and_mul(%[[X]]) as <per_token> : tensor<?x512xbf16> -> tensor<?x256xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>, tensor<?x256xbf16>
// CHECK-NEXT: %[[E:.*]] = arith.negf %[[Y]]
// CHECK-NEXT: return %[[Q]], %[[S]], %[[E]], %[[Y]]
func.func @multi_use_product_before(%x: tensor<?x512xbf16>) -> (tensor<?x256xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>, tensor<?x256xbf16>, tensor<?x256xbf16>) {
  %y = vllm.silu_and_mul %x : tensor<?x512xbf16> -> tensor<?x256xbf16>
  %e = arith.negf %y : tensor<?x256xbf16>
  %q, %s = vllm.quantize %y as <per_token> : tensor<?x256xbf16> -> tensor<?x256xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>
  return %q, %s, %e, %y : tensor<?x256xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>, tensor<?x256xbf16>, tensor<?x256xbf16>
}

// -----

// Two quantizes of one product: the first in block order fuses and returns
// the product, which the second reads.
// CHECK-LABEL: func.func @two_quantizes(
// CHECK-SAME: %[[X:[^:]*]]: tensor<?x512xbf16>)
// CHECK-NEXT: %[[Q1:.*]], %[[S1:.*]], %[[Y:.*]] = vllm.elementwise_quant silu_and_mul(%[[X]]) as <per_group 128, f32, mn_major, align 4>
// CHECK-NEXT: %[[Q2:.*]], %[[S2:.*]] = vllm.quantize %[[Y]] as <per_group 128, ue8m0_packed, mn_major, align 4>
// CHECK-NEXT: return %[[Q1]], %[[S1]], %[[Q2]], %[[S2]]
func.func @two_quantizes(%x: tensor<?x512xbf16>) -> (tensor<?x256xf8E4M3FN>, tensor<2x?xf32, #vllm.scales<group 128, f32, mn_major, align 4>>, tensor<?x256xf8E4M3FN>, tensor<1x?xi32, #vllm.scales<group 128, ue8m0_packed, mn_major, align 4>>) {
  %y = vllm.silu_and_mul %x : tensor<?x512xbf16> -> tensor<?x256xbf16>
  %q1, %s1 = vllm.quantize %y as <per_group 128, f32, mn_major, align 4> : tensor<?x256xbf16> -> tensor<?x256xf8E4M3FN>, tensor<2x?xf32, #vllm.scales<group 128, f32, mn_major, align 4>>
  %q2, %s2 = vllm.quantize %y as <per_group 128, ue8m0_packed, mn_major, align 4> : tensor<?x256xbf16> -> tensor<?x256xf8E4M3FN>, tensor<1x?xi32, #vllm.scales<group 128, ue8m0_packed, mn_major, align 4>>
  return %q1, %s1, %q2, %s2 : tensor<?x256xf8E4M3FN>, tensor<2x?xf32, #vllm.scales<group 128, f32, mn_major, align 4>>, tensor<?x256xf8E4M3FN>, tensor<1x?xi32, #vllm.scales<group 128, ue8m0_packed, mn_major, align 4>>
}

// -----

// Batch dimensions: silu_and_mul on [B, S, 2I], its product flattened to
// [M, I] before the quantize. The input is collapsed to [M, 2I] (its own
// last dimension) in front of the fused op.
// CHECK-LABEL: func.func @batch_collapse(
// CHECK-SAME: %[[X:[^:]*]]: tensor<2x?x512xbf16>)
// CHECK-NEXT: %[[XC:.*]] = tensor.collapse_shape %[[X]] {{\[}}[0, 1], [2]] : tensor<2x?x512xbf16> into tensor<?x512xbf16>
// CHECK-NEXT: %[[Q:.*]], %[[S:.*]] = vllm.elementwise_quant silu_and_mul(%[[XC]]) as <per_group 128, ue8m0_packed, mn_major, align 4> : tensor<?x512xbf16> -> tensor<?x256xf8E4M3FN>, tensor<1x?xi32, #vllm.scales<group 128, ue8m0_packed, mn_major, align 4>>{{$}}
// CHECK-NEXT: return %[[Q]], %[[S]]
func.func @batch_collapse(%x: tensor<2x?x512xbf16>) -> (tensor<?x256xf8E4M3FN>, tensor<1x?xi32, #vllm.scales<group 128, ue8m0_packed, mn_major, align 4>>) {
  %y = vllm.silu_and_mul %x : tensor<2x?x512xbf16> -> tensor<2x?x256xbf16>
  %yc = tensor.collapse_shape %y [[0, 1], [2]] : tensor<2x?x256xbf16> into tensor<?x256xbf16>
  %q, %s = vllm.quantize %yc as <per_group 128, ue8m0_packed, mn_major, align 4> : tensor<?x256xbf16> -> tensor<?x256xf8E4M3FN>, tensor<1x?xi32, #vllm.scales<group 128, ue8m0_packed, mn_major, align 4>>
  return %q, %s : tensor<?x256xf8E4M3FN>, tensor<1x?xi32, #vllm.scales<group 128, ue8m0_packed, mn_major, align 4>>
}

// -----

// Batch dimensions with another user of the [B, S, I] product: it reads the
// fused op's product expanded back, with the dynamic size taken from x and
// the last dimension I (not x's 2I).
// CHECK-LABEL: func.func @batch_collapse_product_user(
// CHECK-SAME: %[[X:[^:]*]]: tensor<2x?x512xbf16>)
// CHECK-DAG: %[[C1:.*]] = arith.constant 1 : index
// CHECK-DAG: %[[XC:.*]] = tensor.collapse_shape %[[X]] {{\[}}[0, 1], [2]] : tensor<2x?x512xbf16> into tensor<?x512xbf16>
// CHECK: %[[Q:.*]], %[[S:.*]], %[[Y:.*]] = vllm.elementwise_quant silu_and_mul(%[[XC]]) as <dynamic_per_tensor> : tensor<?x512xbf16> -> tensor<?x256xf8E4M3FN>, tensor<1xf32, #vllm.scales<tensor>>, tensor<?x256xbf16>
// CHECK: %[[D1:.*]] = tensor.dim %[[X]], %[[C1]] : tensor<2x?x512xbf16>
// CHECK: %[[YE:.*]] = tensor.expand_shape %[[Y]] {{\[}}[0, 1], [2]] output_shape [2, %[[D1]], 256] : tensor<?x256xbf16> into tensor<2x?x256xbf16>
// CHECK: %[[E:.*]] = arith.negf %[[YE]] : tensor<2x?x256xbf16>
// CHECK-NEXT: return %[[Q]], %[[S]], %[[E]]
func.func @batch_collapse_product_user(%x: tensor<2x?x512xbf16>) -> (tensor<?x256xf8E4M3FN>, tensor<1xf32, #vllm.scales<tensor>>, tensor<2x?x256xbf16>) {
  %y = vllm.silu_and_mul %x : tensor<2x?x512xbf16> -> tensor<2x?x256xbf16>
  %yc = tensor.collapse_shape %y [[0, 1], [2]] : tensor<2x?x256xbf16> into tensor<?x256xbf16>
  %q, %s = vllm.quantize %yc as <dynamic_per_tensor> : tensor<?x256xbf16> -> tensor<?x256xf8E4M3FN>, tensor<1xf32, #vllm.scales<tensor>>
  %e = arith.negf %y : tensor<2x?x256xbf16>
  return %q, %s, %e : tensor<?x256xf8E4M3FN>, tensor<1xf32, #vllm.scales<tensor>>, tensor<2x?x256xbf16>
}

// -----

// The collapsed [M, I] tensor has another user: it reads the fused op's
// product directly, no expand_shape.
// CHECK-LABEL: func.func @batch_collapse_collapsed_user(
// CHECK-SAME: %[[X:[^:]*]]: tensor<?x4x512xf16>)
// CHECK-NEXT: %[[XC:.*]] = tensor.collapse_shape %[[X]] {{\[}}[0, 1], [2]] : tensor<?x4x512xf16> into tensor<?x512xf16>
// CHECK-NEXT: %[[Q:.*]], %[[S:.*]], %[[Y:.*]] = vllm.elementwise_quant silu_and_mul(%[[XC]]) as <per_token>
// CHECK-NOT: tensor.expand_shape
// CHECK-NEXT: return %[[Q]], %[[S]], %[[Y]]
func.func @batch_collapse_collapsed_user(%x: tensor<?x4x512xf16>) -> (tensor<?x256xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>, tensor<?x256xf16>) {
  %y = vllm.silu_and_mul %x : tensor<?x4x512xf16> -> tensor<?x4x256xf16>
  %yc = tensor.collapse_shape %y [[0, 1], [2]] : tensor<?x4x256xf16> into tensor<?x256xf16>
  %q, %s = vllm.quantize %yc as <per_token> : tensor<?x256xf16> -> tensor<?x256xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>
  return %q, %s, %yc : tensor<?x256xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>, tensor<?x256xf16>
}

// -----

// A static scale defined after silu_and_mul: the fused op goes where the
// quantize was (the product has no user before it).
// CHECK-LABEL: func.func @static_scale_after(
// CHECK-SAME: %[[X:[^:]*]]: tensor<?x512xbf16>, %[[S0:[^:]*]]: tensor<1xf32>)
// CHECK-NEXT: %[[S:.*]] = tensor.cast %[[S0]] : tensor<1xf32> to tensor<1xf32, #vllm.scales<tensor>>
// CHECK-NEXT: %[[Q:.*]], %{{.*}}, %[[Y:.*]] = vllm.elementwise_quant silu_and_mul(%[[X]]) scale(%[[S]] : tensor<1xf32, #vllm.scales<tensor>>) as <static_per_tensor>
// CHECK-NEXT: %[[E:.*]] = arith.negf %[[Y]]
// CHECK-NEXT: return %[[Q]], %[[E]]
func.func @static_scale_after(%x: tensor<?x512xbf16>, %s0: tensor<1xf32>) -> (tensor<?x256xf8E4M3FN>, tensor<?x256xbf16>) {
  %y = vllm.silu_and_mul %x : tensor<?x512xbf16> -> tensor<?x256xbf16>
  %s = tensor.cast %s0 : tensor<1xf32> to tensor<1xf32, #vllm.scales<tensor>>
  %q, %sc = vllm.quantize %y scale(%s : tensor<1xf32, #vllm.scales<tensor>>) as <static_per_tensor> : tensor<?x256xbf16> -> tensor<?x256xf8E4M3FN>, tensor<1xf32, #vllm.scales<tensor>>
  %e = arith.negf %y : tensor<?x256xbf16>
  return %q, %e : tensor<?x256xf8E4M3FN>, tensor<?x256xbf16>
}

// -----

// Both ops inside one region (an scf.if branch): fused there.
// CHECK-LABEL: func.func @nested_region(
// CHECK: scf.if
// CHECK-NEXT: %[[Q:.*]], %[[S:.*]] = vllm.elementwise_quant silu_and_mul(%{{.*}}) as <per_group 128, ue8m0_f32, mn_major, align 4>
// CHECK-NEXT: scf.yield %[[Q]], %[[S]]
func.func @nested_region(%c: i1, %x: tensor<?x512xbf16>, %q0: tensor<?x256xf8E4M3FN>, %s0: tensor<2x?xf32, #vllm.scales<group 128, ue8m0_f32, mn_major, align 4>>) -> (tensor<?x256xf8E4M3FN>, tensor<2x?xf32, #vllm.scales<group 128, ue8m0_f32, mn_major, align 4>>) {
  %r:2 = scf.if %c -> (tensor<?x256xf8E4M3FN>, tensor<2x?xf32, #vllm.scales<group 128, ue8m0_f32, mn_major, align 4>>) {
    %y = vllm.silu_and_mul %x : tensor<?x512xbf16> -> tensor<?x256xbf16>
    %q, %s = vllm.quantize %y as <per_group 128, ue8m0_f32, mn_major, align 4> : tensor<?x256xbf16> -> tensor<?x256xf8E4M3FN>, tensor<2x?xf32, #vllm.scales<group 128, ue8m0_f32, mn_major, align 4>>
    scf.yield %q, %s : tensor<?x256xf8E4M3FN>, tensor<2x?xf32, #vllm.scales<group 128, ue8m0_f32, mn_major, align 4>>
  } else {
    scf.yield %q0, %s0 : tensor<?x256xf8E4M3FN>, tensor<2x?xf32, #vllm.scales<group 128, ue8m0_f32, mn_major, align 4>>
  }
  return %r#0, %r#1 : tensor<?x256xf8E4M3FN>, tensor<2x?xf32, #vllm.scales<group 128, ue8m0_f32, mn_major, align 4>>
}

// -----

// A whole MLP site: the norm feeding the gate/up GEMM and the down
// projection's input both fuse, into their own fused ops.
// CHECK-LABEL: func.func @norm_and_silu_sites(
// CHECK: vllm.rms_norm_quant
// CHECK: vllm.scaled_matmul
// CHECK: vllm.elementwise_quant silu_and_mul
// CHECK-NOT: vllm.quantize
// CHECK-NOT: vllm.silu_and_mul
// CHECK: return
func.func @norm_and_silu_sites(%x: tensor<?x256xbf16>, %w: tensor<256xbf16>, %b: tensor<512x256xf8E4M3FN>, %sb: tensor<4x2xf32, #vllm.scales<block 128x128, f32>>) -> (tensor<?x256xf8E4M3FN>, tensor<1x?xi32, #vllm.scales<group 128, ue8m0_packed, mn_major, align 4>>) {
  %y = vllm.rms_norm %x, %w {epsilon = 1.0e-06 : f32} : (tensor<?x256xbf16>, tensor<256xbf16>) -> tensor<?x256xbf16>
  %q, %s = vllm.quantize %y as <per_group 128, ue8m0_packed, mn_major, align 4> : tensor<?x256xbf16> -> tensor<?x256xf8E4M3FN>, tensor<1x?xi32, #vllm.scales<group 128, ue8m0_packed, mn_major, align 4>>
  %gu = vllm.scaled_matmul %q, %b scales(%s, %sb) : (tensor<?x256xf8E4M3FN>, tensor<512x256xf8E4M3FN>, tensor<1x?xi32, #vllm.scales<group 128, ue8m0_packed, mn_major, align 4>>, tensor<4x2xf32, #vllm.scales<block 128x128, f32>>) -> tensor<?x512xbf16>
  %a = vllm.silu_and_mul %gu : tensor<?x512xbf16> -> tensor<?x256xbf16>
  %qa, %sa = vllm.quantize %a as <per_group 128, ue8m0_packed, mn_major, align 4> : tensor<?x256xbf16> -> tensor<?x256xf8E4M3FN>, tensor<1x?xi32, #vllm.scales<group 128, ue8m0_packed, mn_major, align 4>>
  return %qa, %sa : tensor<?x256xf8E4M3FN>, tensor<1x?xi32, #vllm.scales<group 128, ue8m0_packed, mn_major, align 4>>
}
