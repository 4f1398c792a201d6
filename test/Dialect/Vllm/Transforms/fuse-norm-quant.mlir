// vllm-fuse-norm-quant: residual rewiring, other users of the normalized
// tensor, several quantizes of one norm, batch dimensions flattened by
// collapse_shape, placement of the fused op, nested regions.
// (One case per scheme/encoding/layout: fuse-norm-quant-schemes.mlir; cases
// that must be left alone: fuse-norm-quant-negative.mlir.)
// RUN: vllm-opt %s -split-input-file --vllm-fuse-norm-quant | FileCheck %s

// Every user of residual_out reads the fused op's residual_out: the next
// norm, an elementwise op and the return.
// CHECK-LABEL: func.func @residual_rewiring(
// CHECK-SAME: %[[X:[^:]*]]: tensor<?x256xbf16>, %[[RES:[^:]*]]: tensor<?x256xbf16>, %[[W:[^:]*]]: tensor<256xbf16>)
// CHECK: %[[Q:.*]], %[[S:.*]], %[[RO:.*]] = vllm.rms_norm_quant %[[X]], %[[W]] residual(%[[RES]]) as <per_token>
// CHECK-NEXT: %[[Y2:.*]], %[[R2:.*]] = vllm.fused_add_rms_norm %[[X]], %[[RO]], %[[W]]
// CHECK-NEXT: %[[SUM:.*]] = arith.addf %[[RO]], %[[Y2]]
// CHECK-NEXT: return %[[Q]], %[[S]], %[[RO]], %[[SUM]], %[[R2]]
func.func @residual_rewiring(%x: tensor<?x256xbf16>, %res: tensor<?x256xbf16>, %w: tensor<256xbf16>) -> (tensor<?x256xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>, tensor<?x256xbf16>, tensor<?x256xbf16>, tensor<?x256xbf16>) {
  %y, %r = vllm.fused_add_rms_norm %x, %res, %w {epsilon = 1.0e-06 : f32} : (tensor<?x256xbf16>, tensor<?x256xbf16>, tensor<256xbf16>) -> (tensor<?x256xbf16>, tensor<?x256xbf16>)
  %q, %s = vllm.quantize %y as <per_token> : tensor<?x256xbf16> -> tensor<?x256xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>
  %y2, %r2 = vllm.fused_add_rms_norm %x, %r, %w {epsilon = 1.0e-06 : f32} : (tensor<?x256xbf16>, tensor<?x256xbf16>, tensor<256xbf16>) -> (tensor<?x256xbf16>, tensor<?x256xbf16>)
  %sum = arith.addf %r, %y2 : tensor<?x256xbf16>
  return %q, %s, %r, %sum, %r2 : tensor<?x256xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>, tensor<?x256xbf16>, tensor<?x256xbf16>, tensor<?x256xbf16>
}

// -----

// The normalized tensor has another user: the fused op also returns it.
// CHECK-LABEL: func.func @multi_use_normalized(
// CHECK-SAME: %[[X:[^:]*]]: tensor<?x256xbf16>, %[[W:[^:]*]]: tensor<256xbf16>)
// CHECK: %[[Q:.*]], %[[S:.*]], %[[Y:.*]] = vllm.rms_norm_quant %[[X]], %[[W]] as <per_group 128, ue8m0_packed, mn_major, align 4> {epsilon = 9.99999997E-7 : f32} : (tensor<?x256xbf16>, tensor<256xbf16>) -> (tensor<?x256xf8E4M3FN>, tensor<1x?xi32, #vllm.scales<group 128, ue8m0_packed, mn_major, align 4>>, tensor<?x256xbf16>)
// CHECK-NEXT: %[[E:.*]] = arith.mulf %[[Y]], %[[Y]]
// CHECK-NEXT: return %[[Q]], %[[S]], %[[E]]
func.func @multi_use_normalized(%x: tensor<?x256xbf16>, %w: tensor<256xbf16>) -> (tensor<?x256xf8E4M3FN>, tensor<1x?xi32, #vllm.scales<group 128, ue8m0_packed, mn_major, align 4>>, tensor<?x256xbf16>) {
  %y = vllm.rms_norm %x, %w {epsilon = 1.0e-06 : f32} : (tensor<?x256xbf16>, tensor<256xbf16>) -> tensor<?x256xbf16>
  %q, %s = vllm.quantize %y as <per_group 128, ue8m0_packed, mn_major, align 4> : tensor<?x256xbf16> -> tensor<?x256xf8E4M3FN>, tensor<1x?xi32, #vllm.scales<group 128, ue8m0_packed, mn_major, align 4>>
  %e = arith.mulf %y, %y : tensor<?x256xbf16>
  return %q, %s, %e : tensor<?x256xf8E4M3FN>, tensor<1x?xi32, #vllm.scales<group 128, ue8m0_packed, mn_major, align 4>>, tensor<?x256xbf16>
}

// -----

// Same with a residual: results (q, scales, residual_out, normalized); the
// normalized user comes before the quantize.
// CHECK-LABEL: func.func @multi_use_normalized_residual(
// CHECK-SAME: %[[X:[^:]*]]: tensor<?x256xbf16>, %[[RES:[^:]*]]: tensor<?x256xbf16>, %[[W:[^:]*]]: tensor<256xbf16>)
// CHECK: %[[Q:.*]], %[[S:.*]], %[[RO:.*]], %[[Y:.*]] = vllm.rms_norm_quant %[[X]], %[[W]] residual(%[[RES]]) as <per_group 128, f32, row_major> {epsilon = 9.99999997E-7 : f32} : (tensor<?x256xbf16>, tensor<256xbf16>, tensor<?x256xbf16>) -> (tensor<?x256xf8E4M3FN>, tensor<?x2xf32, #vllm.scales<group 128, f32, row_major>>, tensor<?x256xbf16>, tensor<?x256xbf16>)
// CHECK-NEXT: %[[E:.*]] = arith.negf %[[Y]]
// CHECK-NEXT: return %[[Q]], %[[S]], %[[RO]], %[[E]]
func.func @multi_use_normalized_residual(%x: tensor<?x256xbf16>, %res: tensor<?x256xbf16>, %w: tensor<256xbf16>) -> (tensor<?x256xf8E4M3FN>, tensor<?x2xf32, #vllm.scales<group 128, f32, row_major>>, tensor<?x256xbf16>, tensor<?x256xbf16>) {
  %y, %r = vllm.fused_add_rms_norm %x, %res, %w {epsilon = 1.0e-06 : f32} : (tensor<?x256xbf16>, tensor<?x256xbf16>, tensor<256xbf16>) -> (tensor<?x256xbf16>, tensor<?x256xbf16>)
  %e = arith.negf %y : tensor<?x256xbf16>
  %q, %s = vllm.quantize %y as <per_group 128, f32, row_major> : tensor<?x256xbf16> -> tensor<?x256xf8E4M3FN>, tensor<?x2xf32, #vllm.scales<group 128, f32, row_major>>
  return %q, %s, %r, %e : tensor<?x256xf8E4M3FN>, tensor<?x2xf32, #vllm.scales<group 128, f32, row_major>>, tensor<?x256xbf16>, tensor<?x256xbf16>
}

// -----

// Two quantizes of one norm (two schemes): the first in block order fuses
// and also returns the normalized tensor; the second quantizes that, so the
// norm is still computed once and every value is unchanged.
// CHECK-LABEL: func.func @two_quantizes(
// CHECK-SAME: %[[X:[^:]*]]: tensor<?x256xbf16>, %[[W:[^:]*]]: tensor<256xbf16>)
// CHECK: %[[Q1:.*]], %[[S1:.*]], %[[Y:.*]] = vllm.rms_norm_quant %[[X]], %[[W]] as <per_token>
// CHECK-NEXT: %[[Q2:.*]], %[[S2:.*]] = vllm.quantize %[[Y]] as <per_group 128, ue8m0_packed, mn_major, align 4>
// CHECK-NEXT: return %[[Q1]], %[[S1]], %[[Q2]], %[[S2]]
func.func @two_quantizes(%x: tensor<?x256xbf16>, %w: tensor<256xbf16>) -> (tensor<?x256xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>, tensor<?x256xf8E4M3FN>, tensor<1x?xi32, #vllm.scales<group 128, ue8m0_packed, mn_major, align 4>>) {
  %y = vllm.rms_norm %x, %w {epsilon = 1.0e-06 : f32} : (tensor<?x256xbf16>, tensor<256xbf16>) -> tensor<?x256xbf16>
  %q1, %s1 = vllm.quantize %y as <per_token> : tensor<?x256xbf16> -> tensor<?x256xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>
  %q2, %s2 = vllm.quantize %y as <per_group 128, ue8m0_packed, mn_major, align 4> : tensor<?x256xbf16> -> tensor<?x256xf8E4M3FN>, tensor<1x?xi32, #vllm.scales<group 128, ue8m0_packed, mn_major, align 4>>
  return %q1, %s1, %q2, %s2 : tensor<?x256xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>, tensor<?x256xf8E4M3FN>, tensor<1x?xi32, #vllm.scales<group 128, ue8m0_packed, mn_major, align 4>>
}

// -----

// The choice follows block order, not use-list order: here the packed
// quantize comes first.
// CHECK-LABEL: func.func @two_quantizes_swapped(
// CHECK: %[[Q1:.*]], %[[S1:.*]], %[[Y:.*]] = vllm.rms_norm_quant %{{.*}}, %{{.*}} as <per_group 128, ue8m0_packed, mn_major, align 4>
// CHECK-NEXT: %[[Q2:.*]], %[[S2:.*]] = vllm.quantize %[[Y]] as <per_token>
// CHECK-NEXT: return %[[Q2]], %[[S2]], %[[Q1]], %[[S1]]
func.func @two_quantizes_swapped(%x: tensor<?x256xbf16>, %w: tensor<256xbf16>) -> (tensor<?x256xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>, tensor<?x256xf8E4M3FN>, tensor<1x?xi32, #vllm.scales<group 128, ue8m0_packed, mn_major, align 4>>) {
  %y = vllm.rms_norm %x, %w {epsilon = 1.0e-06 : f32} : (tensor<?x256xbf16>, tensor<256xbf16>) -> tensor<?x256xbf16>
  %q2, %s2 = vllm.quantize %y as <per_group 128, ue8m0_packed, mn_major, align 4> : tensor<?x256xbf16> -> tensor<?x256xf8E4M3FN>, tensor<1x?xi32, #vllm.scales<group 128, ue8m0_packed, mn_major, align 4>>
  %q1, %s1 = vllm.quantize %y as <per_token> : tensor<?x256xbf16> -> tensor<?x256xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>
  return %q1, %s1, %q2, %s2 : tensor<?x256xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>, tensor<?x256xf8E4M3FN>, tensor<1x?xi32, #vllm.scales<group 128, ue8m0_packed, mn_major, align 4>>
}

// -----

// Static token count.
// CHECK-LABEL: func.func @static_m(
// CHECK: vllm.rms_norm_quant %{{.*}}, %{{.*}} residual(%{{.*}}) as <per_group 128, ue8m0_f32, mn_major, align 4> {epsilon = 9.99999997E-7 : f32} : (tensor<1x256xbf16>, tensor<256xbf16>, tensor<1x256xbf16>) -> (tensor<1x256xf8E4M3FN>, tensor<2x4xf32, #vllm.scales<group 128, ue8m0_f32, mn_major, align 4>>, tensor<1x256xbf16>)
// CHECK-NOT: vllm.quantize
func.func @static_m(%x: tensor<1x256xbf16>, %res: tensor<1x256xbf16>, %w: tensor<256xbf16>) -> (tensor<1x256xf8E4M3FN>, tensor<2x4xf32, #vllm.scales<group 128, ue8m0_f32, mn_major, align 4>>, tensor<1x256xbf16>) {
  %y, %r = vllm.fused_add_rms_norm %x, %res, %w {epsilon = 1.0e-06 : f32} : (tensor<1x256xbf16>, tensor<1x256xbf16>, tensor<256xbf16>) -> (tensor<1x256xbf16>, tensor<1x256xbf16>)
  %q, %s = vllm.quantize %y as <per_group 128, ue8m0_f32, mn_major, align 4> : tensor<1x256xbf16> -> tensor<1x256xf8E4M3FN>, tensor<2x4xf32, #vllm.scales<group 128, ue8m0_f32, mn_major, align 4>>
  return %q, %s, %r : tensor<1x256xf8E4M3FN>, tensor<2x4xf32, #vllm.scales<group 128, ue8m0_f32, mn_major, align 4>>, tensor<1x256xbf16>
}

// -----

// Batch dimensions: the norm runs on [B, S, H] and a collapse_shape flattens
// it to [B*S, H] for the quantize. The fused op runs on the collapsed input.
// CHECK-LABEL: func.func @batch_collapse(
// CHECK-SAME: %[[X:[^:]*]]: tensor<2x?x256xbf16>, %[[W:[^:]*]]: tensor<256xbf16>)
// CHECK-NEXT: %[[XC:.*]] = tensor.collapse_shape %[[X]] {{\[}}[0, 1], [2]] : tensor<2x?x256xbf16> into tensor<?x256xbf16>
// CHECK-NEXT: %[[Q:.*]], %[[S:.*]] = vllm.rms_norm_quant %[[XC]], %[[W]] as <per_group 128, ue8m0_packed, mn_major, align 4> {epsilon = 9.99999997E-7 : f32} : (tensor<?x256xbf16>, tensor<256xbf16>) -> (tensor<?x256xf8E4M3FN>, tensor<1x?xi32, #vllm.scales<group 128, ue8m0_packed, mn_major, align 4>>)
// CHECK-NEXT: return %[[Q]], %[[S]]
func.func @batch_collapse(%x: tensor<2x?x256xbf16>, %w: tensor<256xbf16>) -> (tensor<?x256xf8E4M3FN>, tensor<1x?xi32, #vllm.scales<group 128, ue8m0_packed, mn_major, align 4>>) {
  %y = vllm.rms_norm %x, %w {epsilon = 1.0e-06 : f32} : (tensor<2x?x256xbf16>, tensor<256xbf16>) -> tensor<2x?x256xbf16>
  %yc = tensor.collapse_shape %y [[0, 1], [2]] : tensor<2x?x256xbf16> into tensor<?x256xbf16>
  %q, %s = vllm.quantize %yc as <per_group 128, ue8m0_packed, mn_major, align 4> : tensor<?x256xbf16> -> tensor<?x256xf8E4M3FN>, tensor<1x?xi32, #vllm.scales<group 128, ue8m0_packed, mn_major, align 4>>
  return %q, %s : tensor<?x256xf8E4M3FN>, tensor<1x?xi32, #vllm.scales<group 128, ue8m0_packed, mn_major, align 4>>
}

// -----

// Batch dimensions with a residual: x and the residual are collapsed;
// residual_out and the normalized tensor are expanded back to [B, S, H] for
// their users, with S read off x.
// CHECK-LABEL: func.func @batch_collapse_residual(
// CHECK-SAME: %[[X:[^:]*]]: tensor<2x?x256xbf16>, %[[RES:[^:]*]]: tensor<2x?x256xbf16>, %[[W:[^:]*]]: tensor<256xbf16>)
// CHECK-DAG: %[[C1:.*]] = arith.constant 1 : index
// CHECK-DAG: %[[XC:.*]] = tensor.collapse_shape %[[X]] {{\[}}[0, 1], [2]] : tensor<2x?x256xbf16> into tensor<?x256xbf16>
// CHECK-DAG: %[[RC:.*]] = tensor.collapse_shape %[[RES]] {{\[}}[0, 1], [2]] : tensor<2x?x256xbf16> into tensor<?x256xbf16>
// CHECK: %[[Q:.*]], %[[S:.*]], %[[RO:.*]], %[[Y:.*]] = vllm.rms_norm_quant %[[XC]], %[[W]] residual(%[[RC]]) as <per_token, upper_bound = 1.200000e+03> {epsilon = 3.000000e-03 : f32} : (tensor<?x256xbf16>, tensor<256xbf16>, tensor<?x256xbf16>) -> (tensor<?x256xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>, tensor<?x256xbf16>, tensor<?x256xbf16>)
// CHECK: %[[D1:.*]] = tensor.dim %[[X]], %[[C1]] : tensor<2x?x256xbf16>
// CHECK-DAG: %[[YE:.*]] = tensor.expand_shape %[[Y]] {{\[}}[0, 1], [2]] output_shape [2, %[[D1]], 256] : tensor<?x256xbf16> into tensor<2x?x256xbf16>
// CHECK-DAG: %[[RE:.*]] = tensor.expand_shape %[[RO]] {{\[}}[0, 1], [2]] output_shape [2, %[[D1]], 256] : tensor<?x256xbf16> into tensor<2x?x256xbf16>
// CHECK: %[[E:.*]] = arith.negf %[[YE]] : tensor<2x?x256xbf16>
// CHECK-NEXT: return %[[Q]], %[[S]], %[[RE]], %[[E]]
func.func @batch_collapse_residual(%x: tensor<2x?x256xbf16>, %res: tensor<2x?x256xbf16>, %w: tensor<256xbf16>) -> (tensor<?x256xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>, tensor<2x?x256xbf16>, tensor<2x?x256xbf16>) {
  %y, %r = vllm.fused_add_rms_norm %x, %res, %w {epsilon = 3.0e-03 : f32} : (tensor<2x?x256xbf16>, tensor<2x?x256xbf16>, tensor<256xbf16>) -> (tensor<2x?x256xbf16>, tensor<2x?x256xbf16>)
  %yc = tensor.collapse_shape %y [[0, 1], [2]] : tensor<2x?x256xbf16> into tensor<?x256xbf16>
  %q, %s = vllm.quantize %yc as <per_token, upper_bound = 1.2e+03> : tensor<?x256xbf16> -> tensor<?x256xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>
  %e = arith.negf %y : tensor<2x?x256xbf16>
  return %q, %s, %r, %e : tensor<?x256xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>, tensor<2x?x256xbf16>, tensor<2x?x256xbf16>
}

// -----

// The collapsed [M, H] tensor has another user: it reads the fused op's
// normalized result directly, no expand needed.
// CHECK-LABEL: func.func @batch_collapse_collapsed_user(
// CHECK-SAME: %[[X:[^:]*]]: tensor<?x4x256xf16>, %[[W:[^:]*]]: tensor<256xf16>)
// CHECK-NEXT: %[[XC:.*]] = tensor.collapse_shape %[[X]] {{\[}}[0, 1], [2]] : tensor<?x4x256xf16> into tensor<?x256xf16>
// CHECK-NEXT: %[[Q:.*]], %[[S:.*]], %[[Y:.*]] = vllm.rms_norm_quant %[[XC]], %[[W]] as <dynamic_per_tensor>
// CHECK-NOT: tensor.expand_shape
// CHECK-NEXT: return %[[Q]], %[[S]], %[[Y]]
func.func @batch_collapse_collapsed_user(%x: tensor<?x4x256xf16>, %w: tensor<256xf16>) -> (tensor<?x256xf8E4M3FN>, tensor<1xf32, #vllm.scales<tensor>>, tensor<?x256xf16>) {
  %y = vllm.rms_norm %x, %w {epsilon = 1.0e-06 : f32} : (tensor<?x4x256xf16>, tensor<256xf16>) -> tensor<?x4x256xf16>
  %yc = tensor.collapse_shape %y [[0, 1], [2]] : tensor<?x4x256xf16> into tensor<?x256xf16>
  %q, %s = vllm.quantize %yc as <dynamic_per_tensor> : tensor<?x256xf16> -> tensor<?x256xf8E4M3FN>, tensor<1xf32, #vllm.scales<tensor>>
  return %q, %s, %yc : tensor<?x256xf8E4M3FN>, tensor<1xf32, #vllm.scales<tensor>>, tensor<?x256xf16>
}

// -----

// Rank 4 with all static sizes: [2, 3, 4, 256] -> [24, 256].
// CHECK-LABEL: func.func @batch_collapse_rank4(
// CHECK-SAME: %[[X:[^:]*]]: tensor<2x3x4x256xbf16>, %[[RES:[^:]*]]: tensor<2x3x4x256xbf16>, %[[W:[^:]*]]: tensor<256xbf16>)
// CHECK-DAG: %[[XC:.*]] = tensor.collapse_shape %[[X]] {{\[}}[0, 1, 2], [3]] : tensor<2x3x4x256xbf16> into tensor<24x256xbf16>
// CHECK-DAG: %[[RC:.*]] = tensor.collapse_shape %[[RES]] {{\[}}[0, 1, 2], [3]] : tensor<2x3x4x256xbf16> into tensor<24x256xbf16>
// CHECK: %[[Q:.*]], %[[S:.*]], %[[RO:.*]] = vllm.rms_norm_quant %[[XC]], %[[W]] residual(%[[RC]]) as <per_group 64, f32, mn_major, align 4> {epsilon = 9.99999997E-7 : f32} : (tensor<24x256xbf16>, tensor<256xbf16>, tensor<24x256xbf16>) -> (tensor<24x256xf8E4M3FN>, tensor<4x24xf32, #vllm.scales<group 64, f32, mn_major, align 4>>, tensor<24x256xbf16>)
// CHECK-NEXT: %[[RE:.*]] = tensor.expand_shape %[[RO]] {{\[}}[0, 1, 2], [3]] output_shape [2, 3, 4, 256] : tensor<24x256xbf16> into tensor<2x3x4x256xbf16>
// CHECK-NEXT: return %[[Q]], %[[S]], %[[RE]]
func.func @batch_collapse_rank4(%x: tensor<2x3x4x256xbf16>, %res: tensor<2x3x4x256xbf16>, %w: tensor<256xbf16>) -> (tensor<24x256xf8E4M3FN>, tensor<4x24xf32, #vllm.scales<group 64, f32, mn_major, align 4>>, tensor<2x3x4x256xbf16>) {
  %y, %r = vllm.fused_add_rms_norm %x, %res, %w {epsilon = 1.0e-06 : f32} : (tensor<2x3x4x256xbf16>, tensor<2x3x4x256xbf16>, tensor<256xbf16>) -> (tensor<2x3x4x256xbf16>, tensor<2x3x4x256xbf16>)
  %yc = tensor.collapse_shape %y [[0, 1, 2], [3]] : tensor<2x3x4x256xbf16> into tensor<24x256xbf16>
  %q, %s = vllm.quantize %yc as <per_group 64, f32, mn_major, align 4> : tensor<24x256xbf16> -> tensor<24x256xf8E4M3FN>, tensor<4x24xf32, #vllm.scales<group 64, f32, mn_major, align 4>>
  return %q, %s, %r : tensor<24x256xf8E4M3FN>, tensor<4x24xf32, #vllm.scales<group 64, f32, mn_major, align 4>>, tensor<2x3x4x256xbf16>
}

// -----

// A static scale defined after the norm: the fused op is placed at the
// quantize, where the scale is available.
// CHECK-LABEL: func.func @static_scale_defined_late(
// CHECK-SAME: %[[X:[^:]*]]: tensor<?x256xbf16>, %[[RES:[^:]*]]: tensor<?x256xbf16>, %[[W:[^:]*]]: tensor<256xbf16>)
// CHECK-NEXT: %[[SC:.*]] = call @get_scale()
// CHECK-NEXT: %[[Q:.*]], %[[S:.*]], %[[RO:.*]] = vllm.rms_norm_quant %[[X]], %[[W]] residual(%[[RES]]) scale(%[[SC]]) as <static_per_tensor>
// CHECK-NEXT: return %[[Q]], %[[S]], %[[RO]]
func.func private @get_scale() -> tensor<1xf32, #vllm.scales<tensor>>
func.func @static_scale_defined_late(%x: tensor<?x256xbf16>, %res: tensor<?x256xbf16>, %w: tensor<256xbf16>) -> (tensor<?x256xf8E4M3FN>, tensor<1xf32, #vllm.scales<tensor>>, tensor<?x256xbf16>) {
  %y, %r = vllm.fused_add_rms_norm %x, %res, %w {epsilon = 1.0e-06 : f32} : (tensor<?x256xbf16>, tensor<?x256xbf16>, tensor<256xbf16>) -> (tensor<?x256xbf16>, tensor<?x256xbf16>)
  %sc = func.call @get_scale() : () -> tensor<1xf32, #vllm.scales<tensor>>
  %q, %s = vllm.quantize %y scale(%sc : tensor<1xf32, #vllm.scales<tensor>>) as <static_per_tensor> : tensor<?x256xbf16> -> tensor<?x256xf8E4M3FN>, tensor<1xf32, #vllm.scales<tensor>>
  return %q, %s, %r : tensor<?x256xf8E4M3FN>, tensor<1xf32, #vllm.scales<tensor>>, tensor<?x256xbf16>
}

// -----

// An op with side effects between the norm and the quantize does not block
// fusion: the vllm ops are Pure with value semantics, so nothing the call
// does can change the tensor the norm produced. The fused op takes the
// norm's place.
// CHECK-LABEL: func.func @side_effect_between(
// CHECK-NEXT: %[[Q:.*]], %[[S:.*]] = vllm.rms_norm_quant
// CHECK-NEXT: call @side_effect()
// CHECK-NEXT: return %[[Q]], %[[S]]
func.func private @side_effect()
func.func @side_effect_between(%x: tensor<?x256xbf16>, %w: tensor<256xbf16>) -> (tensor<?x256xf8E4M3FN>, tensor<?x2xf32, #vllm.scales<group 128, ue8m0_f32, row_major>>) {
  %y = vllm.rms_norm %x, %w {epsilon = 1.0e-06 : f32} : (tensor<?x256xbf16>, tensor<256xbf16>) -> tensor<?x256xbf16>
  func.call @side_effect() : () -> ()
  %q, %s = vllm.quantize %y as <per_group 128, ue8m0_f32, row_major> : tensor<?x256xbf16> -> tensor<?x256xf8E4M3FN>, tensor<?x2xf32, #vllm.scales<group 128, ue8m0_f32, row_major>>
  return %q, %s : tensor<?x256xf8E4M3FN>, tensor<?x2xf32, #vllm.scales<group 128, ue8m0_f32, row_major>>
}

// -----

// Norm and quantize inside one nested block (a loop body) fuse there.
// CHECK-LABEL: func.func @inside_loop(
// CHECK: scf.for
// CHECK-NEXT: %[[Q:.*]], %[[S:.*]], %[[RO:.*]] = vllm.rms_norm_quant
// CHECK-NEXT: func.call @use(%[[Q]], %[[S]])
// CHECK-NEXT: scf.yield %[[RO]]
func.func @inside_loop(%x: tensor<?x256xbf16>, %res: tensor<?x256xbf16>, %w: tensor<256xbf16>, %n: index) -> tensor<?x256xbf16> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %out = scf.for %i = %c0 to %n step %c1 iter_args(%acc = %res) -> tensor<?x256xbf16> {
    %y, %r = vllm.fused_add_rms_norm %x, %acc, %w {epsilon = 1.0e-06 : f32} : (tensor<?x256xbf16>, tensor<?x256xbf16>, tensor<256xbf16>) -> (tensor<?x256xbf16>, tensor<?x256xbf16>)
    %q, %s = vllm.quantize %y as <per_token> : tensor<?x256xbf16> -> tensor<?x256xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>
    func.call @use(%q, %s) : (tensor<?x256xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>) -> ()
    scf.yield %r : tensor<?x256xbf16>
  }
  return %out : tensor<?x256xbf16>
}
func.func private @use(tensor<?x256xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>)

// -----

// Two quantizes; the first in block order cannot be fused (its static scale
// is defined after an early user of residual_out), so the second one is, and
// the first reads the fused op's normalized result.
// CHECK-LABEL: func.func @first_candidate_blocked(
// CHECK-SAME: %[[X:[^:]*]]: tensor<?x256xbf16>, %[[RES:[^:]*]]: tensor<?x256xbf16>, %[[W:[^:]*]]: tensor<256xbf16>)
// CHECK-NEXT: %[[Q2:.*]], %[[S2:.*]], %[[RO:.*]], %[[N:.*]] = vllm.rms_norm_quant %[[X]], %[[W]] residual(%[[RES]]) as <per_token>
// CHECK-NEXT: call @consume(%[[RO]])
// CHECK-NEXT: %[[SC:.*]] = call @get_scale()
// CHECK-NEXT: %[[Q1:.*]], %[[S1:.*]] = vllm.quantize %[[N]] scale(%[[SC]] : tensor<1xf32, #vllm.scales<tensor>>) as <static_per_tensor>
// CHECK-NEXT: return %[[Q1]], %[[S1]], %[[Q2]], %[[S2]]
func.func private @get_scale() -> tensor<1xf32, #vllm.scales<tensor>>
func.func private @consume(tensor<?x256xbf16>)
func.func @first_candidate_blocked(%x: tensor<?x256xbf16>, %res: tensor<?x256xbf16>, %w: tensor<256xbf16>) -> (tensor<?x256xf8E4M3FN>, tensor<1xf32, #vllm.scales<tensor>>, tensor<?x256xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>) {
  %y, %r = vllm.fused_add_rms_norm %x, %res, %w {epsilon = 1.0e-06 : f32} : (tensor<?x256xbf16>, tensor<?x256xbf16>, tensor<256xbf16>) -> (tensor<?x256xbf16>, tensor<?x256xbf16>)
  func.call @consume(%r) : (tensor<?x256xbf16>) -> ()
  %sc = func.call @get_scale() : () -> tensor<1xf32, #vllm.scales<tensor>>
  %q1, %s1 = vllm.quantize %y scale(%sc : tensor<1xf32, #vllm.scales<tensor>>) as <static_per_tensor> : tensor<?x256xbf16> -> tensor<?x256xf8E4M3FN>, tensor<1xf32, #vllm.scales<tensor>>
  %q2, %s2 = vllm.quantize %y as <per_token> : tensor<?x256xbf16> -> tensor<?x256xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>
  return %q1, %s1, %q2, %s2 : tensor<?x256xf8E4M3FN>, tensor<1xf32, #vllm.scales<tensor>>, tensor<?x256xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>
}
