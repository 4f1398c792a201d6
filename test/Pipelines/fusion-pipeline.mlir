// vllm-fusion-pipeline: layout selection (when a chip is given), fusion,
// canonicalize, cse; its typed `chip` option in both spellings. (An unknown
// chip: fusion-pipeline-invalid.mlir.)
// RUN: vllm-opt %s -split-input-file --vllm-fusion-pipeline=chip=sm_100a | FileCheck %s --check-prefixes=CHECK,SM100
// RUN: vllm-opt %s -split-input-file --pass-pipeline="builtin.module(vllm-fusion-pipeline{chip=sm_100a})" | FileCheck %s --check-prefixes=CHECK,SM100
// RUN: vllm-opt %s -split-input-file --pass-pipeline="builtin.module(func.func(vllm-fusion-pipeline{chip=sm_100a}))" | FileCheck %s --check-prefixes=CHECK,SM100
// RUN: vllm-opt %s -split-input-file --vllm-fusion-pipeline="chip=sm_90a" | FileCheck %s --check-prefixes=CHECK,SM90
// RUN: vllm-opt %s -split-input-file --vllm-fusion-pipeline | FileCheck %s --check-prefixes=CHECK,NOCHIP

// CHECK-LABEL: func.func @layer(
// SM100: %[[Q:.*]], %[[S:.*]], %[[RO:.*]] = vllm.rms_norm_quant %{{.*}}, %{{.*}} residual(%{{.*}}) as <per_group 128, ue8m0_packed, mn_major, align 4>
// SM100-NEXT: %[[D:.*]] = vllm.scaled_matmul %[[Q]], %{{.*}} scales(%[[S]], %{{.*}}) chip <sm_100a>
// SM90: %[[Q:.*]], %[[S:.*]], %[[RO:.*]] = vllm.rms_norm_quant %{{.*}}, %{{.*}} residual(%{{.*}}) as <per_group 128, f32, mn_major, align 4>
// SM90-NEXT: %[[D:.*]] = vllm.scaled_matmul %[[Q]], %{{.*}} scales(%[[S]], %{{.*}}) chip <sm_90a>
// NOCHIP: %[[Q:.*]], %[[S:.*]], %[[RO:.*]] = vllm.rms_norm_quant %{{.*}}, %{{.*}} residual(%{{.*}}) as <per_group 128, f32, row_major>
// The colon right after the scales means no chip was recorded.
// NOCHIP-NEXT: %[[D:.*]] = vllm.scaled_matmul %[[Q]], %{{.*}} scales(%[[S]], %{{.*}}) :
// CHECK-NEXT: return %[[D]], %[[RO]]
func.func @layer(%x: tensor<?x256xbf16>, %res: tensor<?x256xbf16>, %w: tensor<256xbf16>, %b: tensor<128x256xf8E4M3FN>, %sb: tensor<1x2xf32, #vllm.scales<block 128x128, f32>>) -> (tensor<?x128xbf16>, tensor<?x256xbf16>) {
  %y, %r = vllm.fused_add_rms_norm %x, %res, %w {epsilon = 1.0e-06 : f32} : (tensor<?x256xbf16>, tensor<?x256xbf16>, tensor<256xbf16>) -> (tensor<?x256xbf16>, tensor<?x256xbf16>)
  %q, %s = vllm.quantize %y as <per_group 128, f32, row_major> : tensor<?x256xbf16> -> tensor<?x256xf8E4M3FN>, tensor<?x2xf32, #vllm.scales<group 128, f32, row_major>>
  %d = vllm.scaled_matmul %q, %b scales(%s, %sb) : (tensor<?x256xf8E4M3FN>, tensor<128x256xf8E4M3FN>, tensor<?x2xf32, #vllm.scales<group 128, f32, row_major>>, tensor<1x2xf32, #vllm.scales<block 128x128, f32>>) -> tensor<?x128xbf16>
  return %d, %r : tensor<?x128xbf16>, tensor<?x256xbf16>
}

// -----

// Canonicalization after fusion: the static scale result is the scale
// operand itself, so the return reads the argument.
// CHECK-LABEL: func.func @static_scale(
// CHECK-SAME: %[[SC:[^:]*]]: tensor<1xf32, #vllm.scales<tensor>>)
// CHECK-NEXT: %[[Q:.*]], %{{.*}} = vllm.rms_norm_quant %{{.*}}, %{{.*}} scale(%[[SC]]) as <static_per_tensor>
// CHECK-NEXT: return %[[Q]], %[[SC]]
func.func @static_scale(%x: tensor<?x256xbf16>, %w: tensor<256xbf16>, %sc: tensor<1xf32, #vllm.scales<tensor>>) -> (tensor<?x256xf8E4M3FN>, tensor<1xf32, #vllm.scales<tensor>>) {
  %y = vllm.rms_norm %x, %w {epsilon = 1.0e-06 : f32} : (tensor<?x256xbf16>, tensor<256xbf16>) -> tensor<?x256xbf16>
  %q, %s = vllm.quantize %y scale(%sc : tensor<1xf32, #vllm.scales<tensor>>) as <static_per_tensor> : tensor<?x256xbf16> -> tensor<?x256xf8E4M3FN>, tensor<1xf32, #vllm.scales<tensor>>
  return %q, %s : tensor<?x256xf8E4M3FN>, tensor<1xf32, #vllm.scales<tensor>>
}

// -----

// The normalized tensor's other user is dead: fusion returns the normalized
// tensor, canonicalization removes the dead user and then the extra result.
// CHECK-LABEL: func.func @dead_other_user(
// CHECK-NEXT: %[[Q:.*]], %[[S:.*]] = vllm.rms_norm_quant
// CHECK-NEXT: return %[[Q]], %[[S]]
func.func @dead_other_user(%x: tensor<?x256xbf16>, %w: tensor<256xbf16>) -> (tensor<?x256xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>) {
  %y = vllm.rms_norm %x, %w {epsilon = 1.0e-06 : f32} : (tensor<?x256xbf16>, tensor<256xbf16>) -> tensor<?x256xbf16>
  %dead = arith.negf %y : tensor<?x256xbf16>
  %q, %s = vllm.quantize %y as <per_token> : tensor<?x256xbf16> -> tensor<?x256xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>
  return %q, %s : tensor<?x256xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>
}

// -----

// Batch shape: after canonicalization the expand of the normalized tensor
// and the user's collapse cancel out.
// CHECK-LABEL: func.func @batch_cancel(
// CHECK: %[[Q:.*]], %[[S:.*]], %[[N:.*]] = vllm.rms_norm_quant
// CHECK-NOT: tensor.expand_shape
// CHECK: return %[[Q]], %[[S]], %[[N]]
func.func @batch_cancel(%x: tensor<2x?x256xbf16>, %w: tensor<256xbf16>) -> (tensor<?x256xf8E4M3FN>, tensor<1xf32, #vllm.scales<tensor>>, tensor<?x256xbf16>) {
  %y = vllm.rms_norm %x, %w {epsilon = 1.0e-06 : f32} : (tensor<2x?x256xbf16>, tensor<256xbf16>) -> tensor<2x?x256xbf16>
  %yc = tensor.collapse_shape %y [[0, 1], [2]] : tensor<2x?x256xbf16> into tensor<?x256xbf16>
  %q, %s = vllm.quantize %yc as <dynamic_per_tensor> : tensor<?x256xbf16> -> tensor<?x256xf8E4M3FN>, tensor<1xf32, #vllm.scales<tensor>>
  %yc2 = tensor.collapse_shape %y [[0, 1], [2]] : tensor<2x?x256xbf16> into tensor<?x256xbf16>
  return %q, %s, %yc2 : tensor<?x256xf8E4M3FN>, tensor<1xf32, #vllm.scales<tensor>>, tensor<?x256xbf16>
}
