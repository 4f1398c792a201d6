// vllm-fuse-norm-quant folds the tensor-parallel all_reduce into the fused
// norm + quantize it feeds (SPEC.md 3.11): all_reduce -> fused_add_rms_norm
// -> quantize becomes one rms_norm_quant ... all_reduce(group g) for every
// scheme, and so does all_reduce -> rms_norm_quant with a residual.
// RUN: vllm-opt %s -split-input-file --vllm-fuse-norm-quant | FileCheck %s

// Per-group packed UE8M0 (sm_100a's format): the partial sum %x becomes the
// fused op's x, the group moves over, residual_out keeps its users.
// CHECK-LABEL: func.func @site_packed(
// CHECK-SAME: %[[X:[^:]*]]: tensor<?x7168xbf16>, %[[RES:[^:]*]]: tensor<?x7168xbf16>, %[[W:[^:]*]]: tensor<7168xbf16>)
// CHECK-NOT: vllm.all_reduce
// CHECK: %[[Q:.*]], %[[S:.*]], %[[R:.*]] = vllm.rms_norm_quant %[[X]], %[[W]] all_reduce(group 1) residual(%[[RES]]) as <per_group 128, ue8m0_packed, mn_major, align 4> {epsilon = 9.99999997E-7 : f32}
// CHECK-NOT: vllm.all_reduce
// CHECK: return %[[Q]], %[[S]], %[[R]]
func.func @site_packed(%x: tensor<?x7168xbf16>, %res: tensor<?x7168xbf16>, %w: tensor<7168xbf16>)
    -> (tensor<?x7168xf8E4M3FN>, tensor<14x?xi32, #vllm.scales<group 128, ue8m0_packed, mn_major, align 4>>, tensor<?x7168xbf16>) {
  %s = vllm.all_reduce %x group 1 : tensor<?x7168xbf16> -> tensor<?x7168xbf16>
  %y, %r = vllm.fused_add_rms_norm %s, %res, %w {epsilon = 1.0e-06 : f32}
      : (tensor<?x7168xbf16>, tensor<?x7168xbf16>, tensor<7168xbf16>) -> (tensor<?x7168xbf16>, tensor<?x7168xbf16>)
  %q, %sc = vllm.quantize %y as <per_group 128, ue8m0_packed, mn_major, align 4>
      : tensor<?x7168xbf16> -> tensor<?x7168xf8E4M3FN>, tensor<14x?xi32, #vllm.scales<group 128, ue8m0_packed, mn_major, align 4>>
  return %q, %sc, %r : tensor<?x7168xf8E4M3FN>, tensor<14x?xi32, #vllm.scales<group 128, ue8m0_packed, mn_major, align 4>>, tensor<?x7168xbf16>
}

// -----

// Static per-tensor: the scale operand moves along; round_before_weight and
// the normalized tensor (it has another user) are kept.
// CHECK-LABEL: func.func @site_static(
// CHECK-SAME: %[[X:[^:]*]]: tensor<?x256xf16>
// CHECK: %{{.*}}, %{{.*}}, %{{.*}}, %[[Y:.*]] = vllm.rms_norm_quant %[[X]], %{{.*}} all_reduce(group 0) residual(%{{.*}}) scale(%{{.*}}) as <static_per_tensor> {epsilon = 9.99999974E-6 : f32, round_before_weight}
// CHECK-NOT: vllm.all_reduce
// CHECK: return {{.*}}%[[Y]]
func.func @site_static(%x: tensor<?x256xf16>, %res: tensor<?x256xf16>, %w: tensor<256xf16>, %s0: tensor<1xf32, #vllm.scales<tensor>>)
    -> (tensor<?x256xf8E4M3FN>, tensor<1xf32, #vllm.scales<tensor>>, tensor<?x256xf16>, tensor<?x256xf16>) {
  %s = vllm.all_reduce %x group 0 : tensor<?x256xf16> -> tensor<?x256xf16>
  %y, %r = vllm.fused_add_rms_norm %s, %res, %w {epsilon = 1.0e-05 : f32, round_before_weight}
      : (tensor<?x256xf16>, tensor<?x256xf16>, tensor<256xf16>) -> (tensor<?x256xf16>, tensor<?x256xf16>)
  %q, %sc = vllm.quantize %y scale(%s0 : tensor<1xf32, #vllm.scales<tensor>>) as <static_per_tensor>
      : tensor<?x256xf16> -> tensor<?x256xf8E4M3FN>, tensor<1xf32, #vllm.scales<tensor>>
  return %q, %sc, %r, %y : tensor<?x256xf8E4M3FN>, tensor<1xf32, #vllm.scales<tensor>>, tensor<?x256xf16>, tensor<?x256xf16>
}

// -----

// Dynamic per-tensor and per-token with an upper bound, on f32, static M.
// CHECK-LABEL: func.func @site_dynamic(
// CHECK: vllm.rms_norm_quant %{{.*}}, %{{.*}} all_reduce(group 7) residual(%{{.*}}) as <dynamic_per_tensor>
// CHECK: vllm.rms_norm_quant %{{.*}}, %{{.*}} all_reduce(group 7) residual(%{{.*}}) as <per_token, upper_bound = 1.000000e+02>
// CHECK-NOT: vllm.all_reduce
func.func @site_dynamic(%x: tensor<3x128xf32>, %x2: tensor<3x128xf32>, %res: tensor<3x128xf32>, %w: tensor<128xf32>)
    -> (tensor<3x128xf8E4M3FN>, tensor<1xf32, #vllm.scales<tensor>>, tensor<3x128xf8E4M3FN>, tensor<3xf32, #vllm.scales<row>>) {
  %s = vllm.all_reduce %x group 7 : tensor<3x128xf32> -> tensor<3x128xf32>
  %y, %r = vllm.fused_add_rms_norm %s, %res, %w {epsilon = 1.0e-06 : f32}
      : (tensor<3x128xf32>, tensor<3x128xf32>, tensor<128xf32>) -> (tensor<3x128xf32>, tensor<3x128xf32>)
  %q, %sc = vllm.quantize %y as <dynamic_per_tensor> : tensor<3x128xf32> -> tensor<3x128xf8E4M3FN>, tensor<1xf32, #vllm.scales<tensor>>
  %s2 = vllm.all_reduce %x2 group 7 : tensor<3x128xf32> -> tensor<3x128xf32>
  %y2, %r2 = vllm.fused_add_rms_norm %s2, %r, %w {epsilon = 1.0e-06 : f32}
      : (tensor<3x128xf32>, tensor<3x128xf32>, tensor<128xf32>) -> (tensor<3x128xf32>, tensor<3x128xf32>)
  %q2, %sc2 = vllm.quantize %y2 as <per_token, upper_bound = 100.0> : tensor<3x128xf32> -> tensor<3x128xf8E4M3FN>, tensor<3xf32, #vllm.scales<row>>
  return %q, %sc, %q2, %sc2 : tensor<3x128xf8E4M3FN>, tensor<1xf32, #vllm.scales<tensor>>, tensor<3x128xf8E4M3FN>, tensor<3xf32, #vllm.scales<row>>
}

// -----

// An rms_norm_quant written by hand fuses the same way.
// CHECK-LABEL: func.func @already_fused_norm(
// CHECK: vllm.rms_norm_quant %arg0, %arg2 all_reduce(group 3) residual(%arg1) as <per_token>
// CHECK-NOT: vllm.all_reduce
func.func @already_fused_norm(%x: tensor<?x128xbf16>, %res: tensor<?x128xbf16>, %w: tensor<128xbf16>)
    -> (tensor<?x128xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>, tensor<?x128xbf16>) {
  %s = vllm.all_reduce %x group 3 : tensor<?x128xbf16> -> tensor<?x128xbf16>
  %q, %sc, %r = vllm.rms_norm_quant %s, %w residual(%res) as <per_token> {epsilon = 1.0e-06 : f32}
      : (tensor<?x128xbf16>, tensor<128xbf16>, tensor<?x128xbf16>) -> (tensor<?x128xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>, tensor<?x128xbf16>)
  return %q, %sc, %r : tensor<?x128xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>, tensor<?x128xbf16>
}
