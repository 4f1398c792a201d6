// vllm-fuse-norm-quant leaves an all_reduce alone where folding it into the
// norm + quantize would not be an exact replacement or is not supported:
// the all_reduce stays, and no all-reduce form appears.
// RUN: vllm-opt %s -split-input-file --vllm-fuse-norm-quant | FileCheck %s

// The sum has another user: the fused op does not return it.
// CHECK-LABEL: func.func @sum_has_other_user(
// CHECK: %[[S:.*]] = vllm.all_reduce
// CHECK: vllm.rms_norm_quant %[[S]], %{{.*}} residual(
// CHECK-NOT: all_reduce(group
// CHECK: return {{.*}}%[[S]]
func.func @sum_has_other_user(%x: tensor<?x128xbf16>, %res: tensor<?x128xbf16>, %w: tensor<128xbf16>)
    -> (tensor<?x128xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>, tensor<?x128xbf16>, tensor<?x128xbf16>) {
  %s = vllm.all_reduce %x group 0 : tensor<?x128xbf16> -> tensor<?x128xbf16>
  %y, %r = vllm.fused_add_rms_norm %s, %res, %w {epsilon = 1.0e-06 : f32}
      : (tensor<?x128xbf16>, tensor<?x128xbf16>, tensor<128xbf16>) -> (tensor<?x128xbf16>, tensor<?x128xbf16>)
  %q, %sc = vllm.quantize %y as <per_token> : tensor<?x128xbf16> -> tensor<?x128xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>
  return %q, %sc, %r, %s : tensor<?x128xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>, tensor<?x128xbf16>, tensor<?x128xbf16>
}

// -----

// No residual (C19): rms_norm + quantize fuse, the all_reduce stays.
// CHECK-LABEL: func.func @no_residual(
// CHECK: %[[S:.*]] = vllm.all_reduce
// CHECK: vllm.rms_norm_quant %[[S]], %{{.*}} as <per_token>
// CHECK-NOT: all_reduce(group
func.func @no_residual(%x: tensor<?x128xbf16>, %w: tensor<128xbf16>)
    -> (tensor<?x128xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>) {
  %s = vllm.all_reduce %x group 0 : tensor<?x128xbf16> -> tensor<?x128xbf16>
  %y = vllm.rms_norm %s, %w {epsilon = 1.0e-06 : f32} : (tensor<?x128xbf16>, tensor<128xbf16>) -> tensor<?x128xbf16>
  %q, %sc = vllm.quantize %y as <per_token> : tensor<?x128xbf16> -> tensor<?x128xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>
  return %q, %sc : tensor<?x128xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>
}

// -----

// No quantize: there is no all-reduce form of the norm alone.
// CHECK-LABEL: func.func @no_quantize(
// CHECK: %[[S:.*]] = vllm.all_reduce
// CHECK: vllm.fused_add_rms_norm %[[S]]
func.func @no_quantize(%x: tensor<?x128xbf16>, %res: tensor<?x128xbf16>, %w: tensor<128xbf16>)
    -> (tensor<?x128xbf16>, tensor<?x128xbf16>) {
  %s = vllm.all_reduce %x group 0 : tensor<?x128xbf16> -> tensor<?x128xbf16>
  %y, %r = vllm.fused_add_rms_norm %s, %res, %w {epsilon = 1.0e-06 : f32}
      : (tensor<?x128xbf16>, tensor<?x128xbf16>, tensor<128xbf16>) -> (tensor<?x128xbf16>, tensor<?x128xbf16>)
  return %y, %r : tensor<?x128xbf16>, tensor<?x128xbf16>
}

// -----

// The sum is the residual operand, not x: the fused op sums x only.
// CHECK-LABEL: func.func @sum_is_residual(
// CHECK: %[[S:.*]] = vllm.all_reduce
// CHECK: vllm.rms_norm_quant %{{.*}}, %{{.*}} residual(%[[S]])
// CHECK-NOT: all_reduce(group
func.func @sum_is_residual(%x: tensor<?x128xbf16>, %res: tensor<?x128xbf16>, %w: tensor<128xbf16>)
    -> (tensor<?x128xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>, tensor<?x128xbf16>) {
  %s = vllm.all_reduce %res group 0 : tensor<?x128xbf16> -> tensor<?x128xbf16>
  %y, %r = vllm.fused_add_rms_norm %x, %s, %w {epsilon = 1.0e-06 : f32}
      : (tensor<?x128xbf16>, tensor<?x128xbf16>, tensor<128xbf16>) -> (tensor<?x128xbf16>, tensor<?x128xbf16>)
  %q, %sc = vllm.quantize %y as <per_token> : tensor<?x128xbf16> -> tensor<?x128xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>
  return %q, %sc, %r : tensor<?x128xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>, tensor<?x128xbf16>
}

// -----

// The norm + quantize is in another block than the all_reduce (inside an
// scf.if): folding would move the collective into a conditional region.
// CHECK-LABEL: func.func @other_block(
// CHECK: %[[S:.*]] = vllm.all_reduce
// CHECK: scf.if
// CHECK: vllm.rms_norm_quant %[[S]], %{{.*}} residual(
// CHECK-NOT: all_reduce(group
func.func @other_block(%c: i1, %x: tensor<?x128xbf16>, %res: tensor<?x128xbf16>, %w: tensor<128xbf16>)
    -> (tensor<?x128xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>) {
  %s = vllm.all_reduce %x group 0 : tensor<?x128xbf16> -> tensor<?x128xbf16>
  %q, %sc = scf.if %c -> (tensor<?x128xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>) {
    %y, %r = vllm.fused_add_rms_norm %s, %res, %w {epsilon = 1.0e-06 : f32}
        : (tensor<?x128xbf16>, tensor<?x128xbf16>, tensor<128xbf16>) -> (tensor<?x128xbf16>, tensor<?x128xbf16>)
    %q1, %sc1 = vllm.quantize %y as <per_token> : tensor<?x128xbf16> -> tensor<?x128xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>
    scf.yield %q1, %sc1 : tensor<?x128xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>
  } else {
    %q2, %sc2 = vllm.quantize %x as <per_token> : tensor<?x128xbf16> -> tensor<?x128xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>
    scf.yield %q2, %sc2 : tensor<?x128xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>
  }
  return %q, %sc : tensor<?x128xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>
}
