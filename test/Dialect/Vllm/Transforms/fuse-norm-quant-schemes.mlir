// vllm-fuse-norm-quant: one positive case per norm kind (rms_norm,
// fused_add_rms_norm) x scheme x scale encoding x layout. Every case must
// become a single vllm.rms_norm_quant with the quantize's scheme and result
// types and the norm's epsilon, with no norm or quantize left.
// RUN: vllm-opt %s -split-input-file --vllm-fuse-norm-quant | FileCheck %s
// CHECK-LABEL: func.func @rms_static_per_tensor(
// CHECK-SAME: %[[X:[^:]*]]: tensor<?x256xbf16>, %[[W:[^:]*]]: tensor<256xbf16>, %[[S:[^:]*]]: tensor<1xf32, #vllm.scales<tensor>>)
// CHECK-NOT: vllm.quantize
// CHECK: %[[Q:.*]], %[[SC:.*]] = vllm.rms_norm_quant %[[X]], %[[W]] scale(%[[S]]) as <static_per_tensor> {epsilon = 9.99999997E-7 : f32} : (tensor<?x256xbf16>, tensor<256xbf16>, tensor<1xf32, #vllm.scales<tensor>>) -> (tensor<?x256xf8E4M3FN>, tensor<1xf32, #vllm.scales<tensor>>)
// CHECK-NOT: vllm.quantize
// CHECK-NOT: vllm.rms_norm %
// CHECK-NOT: vllm.fused_add_rms_norm
// CHECK: return %[[Q]], %[[SC]]
func.func @rms_static_per_tensor(%x: tensor<?x256xbf16>, %w: tensor<256xbf16>, %s: tensor<1xf32, #vllm.scales<tensor>>) -> (tensor<?x256xf8E4M3FN>, tensor<1xf32, #vllm.scales<tensor>>) {
  %y = vllm.rms_norm %x, %w {epsilon = 1.0e-06 : f32} : (tensor<?x256xbf16>, tensor<256xbf16>) -> tensor<?x256xbf16>
  %q, %sc = vllm.quantize %y scale(%s : tensor<1xf32, #vllm.scales<tensor>>) as <static_per_tensor> : tensor<?x256xbf16> -> tensor<?x256xf8E4M3FN>, tensor<1xf32, #vllm.scales<tensor>>
  return %q, %sc : tensor<?x256xf8E4M3FN>, tensor<1xf32, #vllm.scales<tensor>>
}

// -----
// CHECK-LABEL: func.func @rms_dynamic_per_tensor(
// CHECK-SAME: %[[X:[^:]*]]: tensor<?x256xbf16>, %[[W:[^:]*]]: tensor<256xbf16>)
// CHECK-NOT: vllm.quantize
// CHECK: %[[Q:.*]], %[[SC:.*]] = vllm.rms_norm_quant %[[X]], %[[W]] as <dynamic_per_tensor> {epsilon = 9.99999974E-6 : f32} : (tensor<?x256xbf16>, tensor<256xbf16>) -> (tensor<?x256xf8E4M3FN>, tensor<1xf32, #vllm.scales<tensor>>)
// CHECK-NOT: vllm.quantize
// CHECK-NOT: vllm.rms_norm %
// CHECK-NOT: vllm.fused_add_rms_norm
// CHECK: return %[[Q]], %[[SC]]
func.func @rms_dynamic_per_tensor(%x: tensor<?x256xbf16>, %w: tensor<256xbf16>) -> (tensor<?x256xf8E4M3FN>, tensor<1xf32, #vllm.scales<tensor>>) {
  %y = vllm.rms_norm %x, %w {epsilon = 1.0e-05 : f32} : (tensor<?x256xbf16>, tensor<256xbf16>) -> tensor<?x256xbf16>
  %q, %sc = vllm.quantize %y as <dynamic_per_tensor> : tensor<?x256xbf16> -> tensor<?x256xf8E4M3FN>, tensor<1xf32, #vllm.scales<tensor>>
  return %q, %sc : tensor<?x256xf8E4M3FN>, tensor<1xf32, #vllm.scales<tensor>>
}

// -----
// CHECK-LABEL: func.func @rms_per_token(
// CHECK-SAME: %[[X:[^:]*]]: tensor<?x256xf16>, %[[W:[^:]*]]: tensor<256xf16>)
// CHECK-NOT: vllm.quantize
// CHECK: %[[Q:.*]], %[[SC:.*]] = vllm.rms_norm_quant %[[X]], %[[W]] as <per_token> {epsilon = 2.500000e-01 : f32} : (tensor<?x256xf16>, tensor<256xf16>) -> (tensor<?x256xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>)
// CHECK-NOT: vllm.quantize
// CHECK-NOT: vllm.rms_norm %
// CHECK-NOT: vllm.fused_add_rms_norm
// CHECK: return %[[Q]], %[[SC]]
func.func @rms_per_token(%x: tensor<?x256xf16>, %w: tensor<256xf16>) -> (tensor<?x256xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>) {
  %y = vllm.rms_norm %x, %w {epsilon = 0.25 : f32} : (tensor<?x256xf16>, tensor<256xf16>) -> tensor<?x256xf16>
  %q, %sc = vllm.quantize %y as <per_token> : tensor<?x256xf16> -> tensor<?x256xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>
  return %q, %sc : tensor<?x256xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>
}

// -----
// CHECK-LABEL: func.func @rms_per_token_upper_bound(
// CHECK-SAME: %[[X:[^:]*]]: tensor<?x256xbf16>, %[[W:[^:]*]]: tensor<256xbf16>)
// CHECK-NOT: vllm.quantize
// CHECK: %[[Q:.*]], %[[SC:.*]] = vllm.rms_norm_quant %[[X]], %[[W]] as <per_token, upper_bound = 1.200000e+03> {epsilon = 3.000000e-03 : f32} : (tensor<?x256xbf16>, tensor<256xbf16>) -> (tensor<?x256xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>)
// CHECK-NOT: vllm.quantize
// CHECK-NOT: vllm.rms_norm %
// CHECK-NOT: vllm.fused_add_rms_norm
// CHECK: return %[[Q]], %[[SC]]
func.func @rms_per_token_upper_bound(%x: tensor<?x256xbf16>, %w: tensor<256xbf16>) -> (tensor<?x256xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>) {
  %y = vllm.rms_norm %x, %w {epsilon = 3.0e-03 : f32} : (tensor<?x256xbf16>, tensor<256xbf16>) -> tensor<?x256xbf16>
  %q, %sc = vllm.quantize %y as <per_token, upper_bound = 1.200000e+03> : tensor<?x256xbf16> -> tensor<?x256xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>
  return %q, %sc : tensor<?x256xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>
}

// -----
// CHECK-LABEL: func.func @rms_group128_f32_row_major(
// CHECK-SAME: %[[X:[^:]*]]: tensor<?x256xbf16>, %[[W:[^:]*]]: tensor<256xbf16>)
// CHECK-NOT: vllm.quantize
// CHECK: %[[Q:.*]], %[[SC:.*]] = vllm.rms_norm_quant %[[X]], %[[W]] as <per_group 128, f32, row_major> {epsilon = 9.99999997E-7 : f32} : (tensor<?x256xbf16>, tensor<256xbf16>) -> (tensor<?x256xf8E4M3FN>, tensor<?x2xf32, #vllm.scales<group 128, f32, row_major>>)
// CHECK-NOT: vllm.quantize
// CHECK-NOT: vllm.rms_norm %
// CHECK-NOT: vllm.fused_add_rms_norm
// CHECK: return %[[Q]], %[[SC]]
func.func @rms_group128_f32_row_major(%x: tensor<?x256xbf16>, %w: tensor<256xbf16>) -> (tensor<?x256xf8E4M3FN>, tensor<?x2xf32, #vllm.scales<group 128, f32, row_major>>) {
  %y = vllm.rms_norm %x, %w {epsilon = 1.0e-06 : f32} : (tensor<?x256xbf16>, tensor<256xbf16>) -> tensor<?x256xbf16>
  %q, %sc = vllm.quantize %y as <per_group 128, f32, row_major> : tensor<?x256xbf16> -> tensor<?x256xf8E4M3FN>, tensor<?x2xf32, #vllm.scales<group 128, f32, row_major>>
  return %q, %sc : tensor<?x256xf8E4M3FN>, tensor<?x2xf32, #vllm.scales<group 128, f32, row_major>>
}

// -----
// CHECK-LABEL: func.func @rms_group128_f32_mn_major(
// CHECK-SAME: %[[X:[^:]*]]: tensor<?x256xbf16>, %[[W:[^:]*]]: tensor<256xbf16>)
// CHECK-NOT: vllm.quantize
// CHECK: %[[Q:.*]], %[[SC:.*]] = vllm.rms_norm_quant %[[X]], %[[W]] as <per_group 128, f32, mn_major> {epsilon = 9.99999974E-6 : f32} : (tensor<?x256xbf16>, tensor<256xbf16>) -> (tensor<?x256xf8E4M3FN>, tensor<2x?xf32, #vllm.scales<group 128, f32, mn_major>>)
// CHECK-NOT: vllm.quantize
// CHECK-NOT: vllm.rms_norm %
// CHECK-NOT: vllm.fused_add_rms_norm
// CHECK: return %[[Q]], %[[SC]]
func.func @rms_group128_f32_mn_major(%x: tensor<?x256xbf16>, %w: tensor<256xbf16>) -> (tensor<?x256xf8E4M3FN>, tensor<2x?xf32, #vllm.scales<group 128, f32, mn_major>>) {
  %y = vllm.rms_norm %x, %w {epsilon = 1.0e-05 : f32} : (tensor<?x256xbf16>, tensor<256xbf16>) -> tensor<?x256xbf16>
  %q, %sc = vllm.quantize %y as <per_group 128, f32, mn_major> : tensor<?x256xbf16> -> tensor<?x256xf8E4M3FN>, tensor<2x?xf32, #vllm.scales<group 128, f32, mn_major>>
  return %q, %sc : tensor<?x256xf8E4M3FN>, tensor<2x?xf32, #vllm.scales<group 128, f32, mn_major>>
}

// -----
// CHECK-LABEL: func.func @rms_group128_f32_mn_major_align4(
// CHECK-SAME: %[[X:[^:]*]]: tensor<?x256xbf16>, %[[W:[^:]*]]: tensor<256xbf16>)
// CHECK-NOT: vllm.quantize
// CHECK: %[[Q:.*]], %[[SC:.*]] = vllm.rms_norm_quant %[[X]], %[[W]] as <per_group 128, f32, mn_major, align 4> {epsilon = 2.500000e-01 : f32} : (tensor<?x256xbf16>, tensor<256xbf16>) -> (tensor<?x256xf8E4M3FN>, tensor<2x?xf32, #vllm.scales<group 128, f32, mn_major, align 4>>)
// CHECK-NOT: vllm.quantize
// CHECK-NOT: vllm.rms_norm %
// CHECK-NOT: vllm.fused_add_rms_norm
// CHECK: return %[[Q]], %[[SC]]
func.func @rms_group128_f32_mn_major_align4(%x: tensor<?x256xbf16>, %w: tensor<256xbf16>) -> (tensor<?x256xf8E4M3FN>, tensor<2x?xf32, #vllm.scales<group 128, f32, mn_major, align 4>>) {
  %y = vllm.rms_norm %x, %w {epsilon = 0.25 : f32} : (tensor<?x256xbf16>, tensor<256xbf16>) -> tensor<?x256xbf16>
  %q, %sc = vllm.quantize %y as <per_group 128, f32, mn_major, align 4> : tensor<?x256xbf16> -> tensor<?x256xf8E4M3FN>, tensor<2x?xf32, #vllm.scales<group 128, f32, mn_major, align 4>>
  return %q, %sc : tensor<?x256xf8E4M3FN>, tensor<2x?xf32, #vllm.scales<group 128, f32, mn_major, align 4>>
}

// -----
// CHECK-LABEL: func.func @rms_group128_ue8m0_f32_row_major(
// CHECK-SAME: %[[X:[^:]*]]: tensor<?x256xbf16>, %[[W:[^:]*]]: tensor<256xbf16>)
// CHECK-NOT: vllm.quantize
// CHECK: %[[Q:.*]], %[[SC:.*]] = vllm.rms_norm_quant %[[X]], %[[W]] as <per_group 128, ue8m0_f32, row_major> {epsilon = 3.000000e-03 : f32} : (tensor<?x256xbf16>, tensor<256xbf16>) -> (tensor<?x256xf8E4M3FN>, tensor<?x2xf32, #vllm.scales<group 128, ue8m0_f32, row_major>>)
// CHECK-NOT: vllm.quantize
// CHECK-NOT: vllm.rms_norm %
// CHECK-NOT: vllm.fused_add_rms_norm
// CHECK: return %[[Q]], %[[SC]]
func.func @rms_group128_ue8m0_f32_row_major(%x: tensor<?x256xbf16>, %w: tensor<256xbf16>) -> (tensor<?x256xf8E4M3FN>, tensor<?x2xf32, #vllm.scales<group 128, ue8m0_f32, row_major>>) {
  %y = vllm.rms_norm %x, %w {epsilon = 3.0e-03 : f32} : (tensor<?x256xbf16>, tensor<256xbf16>) -> tensor<?x256xbf16>
  %q, %sc = vllm.quantize %y as <per_group 128, ue8m0_f32, row_major> : tensor<?x256xbf16> -> tensor<?x256xf8E4M3FN>, tensor<?x2xf32, #vllm.scales<group 128, ue8m0_f32, row_major>>
  return %q, %sc : tensor<?x256xf8E4M3FN>, tensor<?x2xf32, #vllm.scales<group 128, ue8m0_f32, row_major>>
}

// -----
// CHECK-LABEL: func.func @rms_group128_ue8m0_f32_mn_major(
// CHECK-SAME: %[[X:[^:]*]]: tensor<?x256xbf16>, %[[W:[^:]*]]: tensor<256xbf16>)
// CHECK-NOT: vllm.quantize
// CHECK: %[[Q:.*]], %[[SC:.*]] = vllm.rms_norm_quant %[[X]], %[[W]] as <per_group 128, ue8m0_f32, mn_major> {epsilon = 9.99999997E-7 : f32} : (tensor<?x256xbf16>, tensor<256xbf16>) -> (tensor<?x256xf8E4M3FN>, tensor<2x?xf32, #vllm.scales<group 128, ue8m0_f32, mn_major>>)
// CHECK-NOT: vllm.quantize
// CHECK-NOT: vllm.rms_norm %
// CHECK-NOT: vllm.fused_add_rms_norm
// CHECK: return %[[Q]], %[[SC]]
func.func @rms_group128_ue8m0_f32_mn_major(%x: tensor<?x256xbf16>, %w: tensor<256xbf16>) -> (tensor<?x256xf8E4M3FN>, tensor<2x?xf32, #vllm.scales<group 128, ue8m0_f32, mn_major>>) {
  %y = vllm.rms_norm %x, %w {epsilon = 1.0e-06 : f32} : (tensor<?x256xbf16>, tensor<256xbf16>) -> tensor<?x256xbf16>
  %q, %sc = vllm.quantize %y as <per_group 128, ue8m0_f32, mn_major> : tensor<?x256xbf16> -> tensor<?x256xf8E4M3FN>, tensor<2x?xf32, #vllm.scales<group 128, ue8m0_f32, mn_major>>
  return %q, %sc : tensor<?x256xf8E4M3FN>, tensor<2x?xf32, #vllm.scales<group 128, ue8m0_f32, mn_major>>
}

// -----
// CHECK-LABEL: func.func @rms_group128_ue8m0_f32_mn_major_align4(
// CHECK-SAME: %[[X:[^:]*]]: tensor<?x256xbf16>, %[[W:[^:]*]]: tensor<256xbf16>)
// CHECK-NOT: vllm.quantize
// CHECK: %[[Q:.*]], %[[SC:.*]] = vllm.rms_norm_quant %[[X]], %[[W]] as <per_group 128, ue8m0_f32, mn_major, align 4> {epsilon = 9.99999974E-6 : f32} : (tensor<?x256xbf16>, tensor<256xbf16>) -> (tensor<?x256xf8E4M3FN>, tensor<2x?xf32, #vllm.scales<group 128, ue8m0_f32, mn_major, align 4>>)
// CHECK-NOT: vllm.quantize
// CHECK-NOT: vllm.rms_norm %
// CHECK-NOT: vllm.fused_add_rms_norm
// CHECK: return %[[Q]], %[[SC]]
func.func @rms_group128_ue8m0_f32_mn_major_align4(%x: tensor<?x256xbf16>, %w: tensor<256xbf16>) -> (tensor<?x256xf8E4M3FN>, tensor<2x?xf32, #vllm.scales<group 128, ue8m0_f32, mn_major, align 4>>) {
  %y = vllm.rms_norm %x, %w {epsilon = 1.0e-05 : f32} : (tensor<?x256xbf16>, tensor<256xbf16>) -> tensor<?x256xbf16>
  %q, %sc = vllm.quantize %y as <per_group 128, ue8m0_f32, mn_major, align 4> : tensor<?x256xbf16> -> tensor<?x256xf8E4M3FN>, tensor<2x?xf32, #vllm.scales<group 128, ue8m0_f32, mn_major, align 4>>
  return %q, %sc : tensor<?x256xf8E4M3FN>, tensor<2x?xf32, #vllm.scales<group 128, ue8m0_f32, mn_major, align 4>>
}

// -----
// CHECK-LABEL: func.func @rms_group128_ue8m0_packed(
// CHECK-SAME: %[[X:[^:]*]]: tensor<?x256xbf16>, %[[W:[^:]*]]: tensor<256xbf16>)
// CHECK-NOT: vllm.quantize
// CHECK: %[[Q:.*]], %[[SC:.*]] = vllm.rms_norm_quant %[[X]], %[[W]] as <per_group 128, ue8m0_packed, mn_major, align 4> {epsilon = 2.500000e-01 : f32} : (tensor<?x256xbf16>, tensor<256xbf16>) -> (tensor<?x256xf8E4M3FN>, tensor<1x?xi32, #vllm.scales<group 128, ue8m0_packed, mn_major, align 4>>)
// CHECK-NOT: vllm.quantize
// CHECK-NOT: vllm.rms_norm %
// CHECK-NOT: vllm.fused_add_rms_norm
// CHECK: return %[[Q]], %[[SC]]
func.func @rms_group128_ue8m0_packed(%x: tensor<?x256xbf16>, %w: tensor<256xbf16>) -> (tensor<?x256xf8E4M3FN>, tensor<1x?xi32, #vllm.scales<group 128, ue8m0_packed, mn_major, align 4>>) {
  %y = vllm.rms_norm %x, %w {epsilon = 0.25 : f32} : (tensor<?x256xbf16>, tensor<256xbf16>) -> tensor<?x256xbf16>
  %q, %sc = vllm.quantize %y as <per_group 128, ue8m0_packed, mn_major, align 4> : tensor<?x256xbf16> -> tensor<?x256xf8E4M3FN>, tensor<1x?xi32, #vllm.scales<group 128, ue8m0_packed, mn_major, align 4>>
  return %q, %sc : tensor<?x256xf8E4M3FN>, tensor<1x?xi32, #vllm.scales<group 128, ue8m0_packed, mn_major, align 4>>
}

// -----
// CHECK-LABEL: func.func @rms_group128_ue8m0_packed_m257(
// CHECK-SAME: %[[X:[^:]*]]: tensor<257x256xbf16>, %[[W:[^:]*]]: tensor<256xbf16>)
// CHECK-NOT: vllm.quantize
// CHECK: %[[Q:.*]], %[[SC:.*]] = vllm.rms_norm_quant %[[X]], %[[W]] as <per_group 128, ue8m0_packed, mn_major, align 4> {epsilon = 3.000000e-03 : f32} : (tensor<257x256xbf16>, tensor<256xbf16>) -> (tensor<257x256xf8E4M3FN>, tensor<1x260xi32, #vllm.scales<group 128, ue8m0_packed, mn_major, align 4>>)
// CHECK-NOT: vllm.quantize
// CHECK-NOT: vllm.rms_norm %
// CHECK-NOT: vllm.fused_add_rms_norm
// CHECK: return %[[Q]], %[[SC]]
func.func @rms_group128_ue8m0_packed_m257(%x: tensor<257x256xbf16>, %w: tensor<256xbf16>) -> (tensor<257x256xf8E4M3FN>, tensor<1x260xi32, #vllm.scales<group 128, ue8m0_packed, mn_major, align 4>>) {
  %y = vllm.rms_norm %x, %w {epsilon = 3.0e-03 : f32} : (tensor<257x256xbf16>, tensor<256xbf16>) -> tensor<257x256xbf16>
  %q, %sc = vllm.quantize %y as <per_group 128, ue8m0_packed, mn_major, align 4> : tensor<257x256xbf16> -> tensor<257x256xf8E4M3FN>, tensor<1x260xi32, #vllm.scales<group 128, ue8m0_packed, mn_major, align 4>>
  return %q, %sc : tensor<257x256xf8E4M3FN>, tensor<1x260xi32, #vllm.scales<group 128, ue8m0_packed, mn_major, align 4>>
}

// -----
// CHECK-LABEL: func.func @rms_group128_f32_mn_major_align4_m257(
// CHECK-SAME: %[[X:[^:]*]]: tensor<257x256xf32>, %[[W:[^:]*]]: tensor<256xf32>)
// CHECK-NOT: vllm.quantize
// CHECK: %[[Q:.*]], %[[SC:.*]] = vllm.rms_norm_quant %[[X]], %[[W]] as <per_group 128, f32, mn_major, align 4> {epsilon = 9.99999997E-7 : f32} : (tensor<257x256xf32>, tensor<256xf32>) -> (tensor<257x256xf8E4M3FN>, tensor<2x260xf32, #vllm.scales<group 128, f32, mn_major, align 4>>)
// CHECK-NOT: vllm.quantize
// CHECK-NOT: vllm.rms_norm %
// CHECK-NOT: vllm.fused_add_rms_norm
// CHECK: return %[[Q]], %[[SC]]
func.func @rms_group128_f32_mn_major_align4_m257(%x: tensor<257x256xf32>, %w: tensor<256xf32>) -> (tensor<257x256xf8E4M3FN>, tensor<2x260xf32, #vllm.scales<group 128, f32, mn_major, align 4>>) {
  %y = vllm.rms_norm %x, %w {epsilon = 1.0e-06 : f32} : (tensor<257x256xf32>, tensor<256xf32>) -> tensor<257x256xf32>
  %q, %sc = vllm.quantize %y as <per_group 128, f32, mn_major, align 4> : tensor<257x256xf32> -> tensor<257x256xf8E4M3FN>, tensor<2x260xf32, #vllm.scales<group 128, f32, mn_major, align 4>>
  return %q, %sc : tensor<257x256xf8E4M3FN>, tensor<2x260xf32, #vllm.scales<group 128, f32, mn_major, align 4>>
}

// -----
// CHECK-LABEL: func.func @rms_group64_f32_row_major(
// CHECK-SAME: %[[X:[^:]*]]: tensor<?x256xbf16>, %[[W:[^:]*]]: tensor<256xbf16>)
// CHECK-NOT: vllm.quantize
// CHECK: %[[Q:.*]], %[[SC:.*]] = vllm.rms_norm_quant %[[X]], %[[W]] as <per_group 64, f32, row_major> {epsilon = 9.99999974E-6 : f32} : (tensor<?x256xbf16>, tensor<256xbf16>) -> (tensor<?x256xf8E4M3FN>, tensor<?x4xf32, #vllm.scales<group 64, f32, row_major>>)
// CHECK-NOT: vllm.quantize
// CHECK-NOT: vllm.rms_norm %
// CHECK-NOT: vllm.fused_add_rms_norm
// CHECK: return %[[Q]], %[[SC]]
func.func @rms_group64_f32_row_major(%x: tensor<?x256xbf16>, %w: tensor<256xbf16>) -> (tensor<?x256xf8E4M3FN>, tensor<?x4xf32, #vllm.scales<group 64, f32, row_major>>) {
  %y = vllm.rms_norm %x, %w {epsilon = 1.0e-05 : f32} : (tensor<?x256xbf16>, tensor<256xbf16>) -> tensor<?x256xbf16>
  %q, %sc = vllm.quantize %y as <per_group 64, f32, row_major> : tensor<?x256xbf16> -> tensor<?x256xf8E4M3FN>, tensor<?x4xf32, #vllm.scales<group 64, f32, row_major>>
  return %q, %sc : tensor<?x256xf8E4M3FN>, tensor<?x4xf32, #vllm.scales<group 64, f32, row_major>>
}

// -----
// CHECK-LABEL: func.func @rms_group32_ue8m0_packed(
// CHECK-SAME: %[[X:[^:]*]]: tensor<?x256xbf16>, %[[W:[^:]*]]: tensor<256xbf16>)
// CHECK-NOT: vllm.quantize
// CHECK: %[[Q:.*]], %[[SC:.*]] = vllm.rms_norm_quant %[[X]], %[[W]] as <per_group 32, ue8m0_packed, mn_major, align 4> {epsilon = 2.500000e-01 : f32} : (tensor<?x256xbf16>, tensor<256xbf16>) -> (tensor<?x256xf8E4M3FN>, tensor<2x?xi32, #vllm.scales<group 32, ue8m0_packed, mn_major, align 4>>)
// CHECK-NOT: vllm.quantize
// CHECK-NOT: vllm.rms_norm %
// CHECK-NOT: vllm.fused_add_rms_norm
// CHECK: return %[[Q]], %[[SC]]
func.func @rms_group32_ue8m0_packed(%x: tensor<?x256xbf16>, %w: tensor<256xbf16>) -> (tensor<?x256xf8E4M3FN>, tensor<2x?xi32, #vllm.scales<group 32, ue8m0_packed, mn_major, align 4>>) {
  %y = vllm.rms_norm %x, %w {epsilon = 0.25 : f32} : (tensor<?x256xbf16>, tensor<256xbf16>) -> tensor<?x256xbf16>
  %q, %sc = vllm.quantize %y as <per_group 32, ue8m0_packed, mn_major, align 4> : tensor<?x256xbf16> -> tensor<?x256xf8E4M3FN>, tensor<2x?xi32, #vllm.scales<group 32, ue8m0_packed, mn_major, align 4>>
  return %q, %sc : tensor<?x256xf8E4M3FN>, tensor<2x?xi32, #vllm.scales<group 32, ue8m0_packed, mn_major, align 4>>
}

// -----
// CHECK-LABEL: func.func @rms_group128_ue8m0_packed_h640(
// CHECK-SAME: %[[X:[^:]*]]: tensor<?x640xf16>, %[[W:[^:]*]]: tensor<640xf16>)
// CHECK-NOT: vllm.quantize
// CHECK: %[[Q:.*]], %[[SC:.*]] = vllm.rms_norm_quant %[[X]], %[[W]] as <per_group 128, ue8m0_packed, mn_major, align 4> {epsilon = 3.000000e-03 : f32} : (tensor<?x640xf16>, tensor<640xf16>) -> (tensor<?x640xf8E4M3FN>, tensor<2x?xi32, #vllm.scales<group 128, ue8m0_packed, mn_major, align 4>>)
// CHECK-NOT: vllm.quantize
// CHECK-NOT: vllm.rms_norm %
// CHECK-NOT: vllm.fused_add_rms_norm
// CHECK: return %[[Q]], %[[SC]]
func.func @rms_group128_ue8m0_packed_h640(%x: tensor<?x640xf16>, %w: tensor<640xf16>) -> (tensor<?x640xf8E4M3FN>, tensor<2x?xi32, #vllm.scales<group 128, ue8m0_packed, mn_major, align 4>>) {
  %y = vllm.rms_norm %x, %w {epsilon = 3.0e-03 : f32} : (tensor<?x640xf16>, tensor<640xf16>) -> tensor<?x640xf16>
  %q, %sc = vllm.quantize %y as <per_group 128, ue8m0_packed, mn_major, align 4> : tensor<?x640xf16> -> tensor<?x640xf8E4M3FN>, tensor<2x?xi32, #vllm.scales<group 128, ue8m0_packed, mn_major, align 4>>
  return %q, %sc : tensor<?x640xf8E4M3FN>, tensor<2x?xi32, #vllm.scales<group 128, ue8m0_packed, mn_major, align 4>>
}

// -----
// CHECK-LABEL: func.func @add_static_per_tensor(
// CHECK-SAME: %[[X:[^:]*]]: tensor<?x256xbf16>, %[[R:[^:]*]]: tensor<?x256xbf16>, %[[W:[^:]*]]: tensor<256xbf16>, %[[S:[^:]*]]: tensor<1xf32, #vllm.scales<tensor>>)
// CHECK-NOT: vllm.quantize
// CHECK: %[[Q:.*]], %[[SC:.*]], %[[RO:.*]] = vllm.rms_norm_quant %[[X]], %[[W]] residual(%[[R]]) scale(%[[S]]) as <static_per_tensor> {epsilon = 9.99999997E-7 : f32} : (tensor<?x256xbf16>, tensor<256xbf16>, tensor<?x256xbf16>, tensor<1xf32, #vllm.scales<tensor>>) -> (tensor<?x256xf8E4M3FN>, tensor<1xf32, #vllm.scales<tensor>>, tensor<?x256xbf16>)
// CHECK-NOT: vllm.quantize
// CHECK-NOT: vllm.rms_norm %
// CHECK-NOT: vllm.fused_add_rms_norm
// CHECK: return %[[Q]], %[[SC]], %[[RO]]
func.func @add_static_per_tensor(%x: tensor<?x256xbf16>, %res: tensor<?x256xbf16>, %w: tensor<256xbf16>, %s: tensor<1xf32, #vllm.scales<tensor>>) -> (tensor<?x256xf8E4M3FN>, tensor<1xf32, #vllm.scales<tensor>>, tensor<?x256xbf16>) {
  %y, %r = vllm.fused_add_rms_norm %x, %res, %w {epsilon = 1.0e-06 : f32} : (tensor<?x256xbf16>, tensor<?x256xbf16>, tensor<256xbf16>) -> (tensor<?x256xbf16>, tensor<?x256xbf16>)
  %q, %sc = vllm.quantize %y scale(%s : tensor<1xf32, #vllm.scales<tensor>>) as <static_per_tensor> : tensor<?x256xbf16> -> tensor<?x256xf8E4M3FN>, tensor<1xf32, #vllm.scales<tensor>>
  return %q, %sc, %r : tensor<?x256xf8E4M3FN>, tensor<1xf32, #vllm.scales<tensor>>, tensor<?x256xbf16>
}

// -----
// CHECK-LABEL: func.func @add_dynamic_per_tensor(
// CHECK-SAME: %[[X:[^:]*]]: tensor<?x256xbf16>, %[[R:[^:]*]]: tensor<?x256xbf16>, %[[W:[^:]*]]: tensor<256xbf16>)
// CHECK-NOT: vllm.quantize
// CHECK: %[[Q:.*]], %[[SC:.*]], %[[RO:.*]] = vllm.rms_norm_quant %[[X]], %[[W]] residual(%[[R]]) as <dynamic_per_tensor> {epsilon = 9.99999974E-6 : f32} : (tensor<?x256xbf16>, tensor<256xbf16>, tensor<?x256xbf16>) -> (tensor<?x256xf8E4M3FN>, tensor<1xf32, #vllm.scales<tensor>>, tensor<?x256xbf16>)
// CHECK-NOT: vllm.quantize
// CHECK-NOT: vllm.rms_norm %
// CHECK-NOT: vllm.fused_add_rms_norm
// CHECK: return %[[Q]], %[[SC]], %[[RO]]
func.func @add_dynamic_per_tensor(%x: tensor<?x256xbf16>, %res: tensor<?x256xbf16>, %w: tensor<256xbf16>) -> (tensor<?x256xf8E4M3FN>, tensor<1xf32, #vllm.scales<tensor>>, tensor<?x256xbf16>) {
  %y, %r = vllm.fused_add_rms_norm %x, %res, %w {epsilon = 1.0e-05 : f32} : (tensor<?x256xbf16>, tensor<?x256xbf16>, tensor<256xbf16>) -> (tensor<?x256xbf16>, tensor<?x256xbf16>)
  %q, %sc = vllm.quantize %y as <dynamic_per_tensor> : tensor<?x256xbf16> -> tensor<?x256xf8E4M3FN>, tensor<1xf32, #vllm.scales<tensor>>
  return %q, %sc, %r : tensor<?x256xf8E4M3FN>, tensor<1xf32, #vllm.scales<tensor>>, tensor<?x256xbf16>
}

// -----
// CHECK-LABEL: func.func @add_per_token(
// CHECK-SAME: %[[X:[^:]*]]: tensor<?x256xf16>, %[[R:[^:]*]]: tensor<?x256xf16>, %[[W:[^:]*]]: tensor<256xf16>)
// CHECK-NOT: vllm.quantize
// CHECK: %[[Q:.*]], %[[SC:.*]], %[[RO:.*]] = vllm.rms_norm_quant %[[X]], %[[W]] residual(%[[R]]) as <per_token> {epsilon = 2.500000e-01 : f32} : (tensor<?x256xf16>, tensor<256xf16>, tensor<?x256xf16>) -> (tensor<?x256xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>, tensor<?x256xf16>)
// CHECK-NOT: vllm.quantize
// CHECK-NOT: vllm.rms_norm %
// CHECK-NOT: vllm.fused_add_rms_norm
// CHECK: return %[[Q]], %[[SC]], %[[RO]]
func.func @add_per_token(%x: tensor<?x256xf16>, %res: tensor<?x256xf16>, %w: tensor<256xf16>) -> (tensor<?x256xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>, tensor<?x256xf16>) {
  %y, %r = vllm.fused_add_rms_norm %x, %res, %w {epsilon = 0.25 : f32} : (tensor<?x256xf16>, tensor<?x256xf16>, tensor<256xf16>) -> (tensor<?x256xf16>, tensor<?x256xf16>)
  %q, %sc = vllm.quantize %y as <per_token> : tensor<?x256xf16> -> tensor<?x256xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>
  return %q, %sc, %r : tensor<?x256xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>, tensor<?x256xf16>
}

// -----
// CHECK-LABEL: func.func @add_per_token_upper_bound(
// CHECK-SAME: %[[X:[^:]*]]: tensor<?x256xbf16>, %[[R:[^:]*]]: tensor<?x256xbf16>, %[[W:[^:]*]]: tensor<256xbf16>)
// CHECK-NOT: vllm.quantize
// CHECK: %[[Q:.*]], %[[SC:.*]], %[[RO:.*]] = vllm.rms_norm_quant %[[X]], %[[W]] residual(%[[R]]) as <per_token, upper_bound = 1.200000e+03> {epsilon = 3.000000e-03 : f32} : (tensor<?x256xbf16>, tensor<256xbf16>, tensor<?x256xbf16>) -> (tensor<?x256xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>, tensor<?x256xbf16>)
// CHECK-NOT: vllm.quantize
// CHECK-NOT: vllm.rms_norm %
// CHECK-NOT: vllm.fused_add_rms_norm
// CHECK: return %[[Q]], %[[SC]], %[[RO]]
func.func @add_per_token_upper_bound(%x: tensor<?x256xbf16>, %res: tensor<?x256xbf16>, %w: tensor<256xbf16>) -> (tensor<?x256xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>, tensor<?x256xbf16>) {
  %y, %r = vllm.fused_add_rms_norm %x, %res, %w {epsilon = 3.0e-03 : f32} : (tensor<?x256xbf16>, tensor<?x256xbf16>, tensor<256xbf16>) -> (tensor<?x256xbf16>, tensor<?x256xbf16>)
  %q, %sc = vllm.quantize %y as <per_token, upper_bound = 1.200000e+03> : tensor<?x256xbf16> -> tensor<?x256xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>
  return %q, %sc, %r : tensor<?x256xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>, tensor<?x256xbf16>
}

// -----
// CHECK-LABEL: func.func @add_group128_f32_row_major(
// CHECK-SAME: %[[X:[^:]*]]: tensor<?x256xbf16>, %[[R:[^:]*]]: tensor<?x256xbf16>, %[[W:[^:]*]]: tensor<256xbf16>)
// CHECK-NOT: vllm.quantize
// CHECK: %[[Q:.*]], %[[SC:.*]], %[[RO:.*]] = vllm.rms_norm_quant %[[X]], %[[W]] residual(%[[R]]) as <per_group 128, f32, row_major> {epsilon = 9.99999997E-7 : f32} : (tensor<?x256xbf16>, tensor<256xbf16>, tensor<?x256xbf16>) -> (tensor<?x256xf8E4M3FN>, tensor<?x2xf32, #vllm.scales<group 128, f32, row_major>>, tensor<?x256xbf16>)
// CHECK-NOT: vllm.quantize
// CHECK-NOT: vllm.rms_norm %
// CHECK-NOT: vllm.fused_add_rms_norm
// CHECK: return %[[Q]], %[[SC]], %[[RO]]
func.func @add_group128_f32_row_major(%x: tensor<?x256xbf16>, %res: tensor<?x256xbf16>, %w: tensor<256xbf16>) -> (tensor<?x256xf8E4M3FN>, tensor<?x2xf32, #vllm.scales<group 128, f32, row_major>>, tensor<?x256xbf16>) {
  %y, %r = vllm.fused_add_rms_norm %x, %res, %w {epsilon = 1.0e-06 : f32} : (tensor<?x256xbf16>, tensor<?x256xbf16>, tensor<256xbf16>) -> (tensor<?x256xbf16>, tensor<?x256xbf16>)
  %q, %sc = vllm.quantize %y as <per_group 128, f32, row_major> : tensor<?x256xbf16> -> tensor<?x256xf8E4M3FN>, tensor<?x2xf32, #vllm.scales<group 128, f32, row_major>>
  return %q, %sc, %r : tensor<?x256xf8E4M3FN>, tensor<?x2xf32, #vllm.scales<group 128, f32, row_major>>, tensor<?x256xbf16>
}

// -----
// CHECK-LABEL: func.func @add_group128_f32_mn_major(
// CHECK-SAME: %[[X:[^:]*]]: tensor<?x256xbf16>, %[[R:[^:]*]]: tensor<?x256xbf16>, %[[W:[^:]*]]: tensor<256xbf16>)
// CHECK-NOT: vllm.quantize
// CHECK: %[[Q:.*]], %[[SC:.*]], %[[RO:.*]] = vllm.rms_norm_quant %[[X]], %[[W]] residual(%[[R]]) as <per_group 128, f32, mn_major> {epsilon = 9.99999974E-6 : f32} : (tensor<?x256xbf16>, tensor<256xbf16>, tensor<?x256xbf16>) -> (tensor<?x256xf8E4M3FN>, tensor<2x?xf32, #vllm.scales<group 128, f32, mn_major>>, tensor<?x256xbf16>)
// CHECK-NOT: vllm.quantize
// CHECK-NOT: vllm.rms_norm %
// CHECK-NOT: vllm.fused_add_rms_norm
// CHECK: return %[[Q]], %[[SC]], %[[RO]]
func.func @add_group128_f32_mn_major(%x: tensor<?x256xbf16>, %res: tensor<?x256xbf16>, %w: tensor<256xbf16>) -> (tensor<?x256xf8E4M3FN>, tensor<2x?xf32, #vllm.scales<group 128, f32, mn_major>>, tensor<?x256xbf16>) {
  %y, %r = vllm.fused_add_rms_norm %x, %res, %w {epsilon = 1.0e-05 : f32} : (tensor<?x256xbf16>, tensor<?x256xbf16>, tensor<256xbf16>) -> (tensor<?x256xbf16>, tensor<?x256xbf16>)
  %q, %sc = vllm.quantize %y as <per_group 128, f32, mn_major> : tensor<?x256xbf16> -> tensor<?x256xf8E4M3FN>, tensor<2x?xf32, #vllm.scales<group 128, f32, mn_major>>
  return %q, %sc, %r : tensor<?x256xf8E4M3FN>, tensor<2x?xf32, #vllm.scales<group 128, f32, mn_major>>, tensor<?x256xbf16>
}

// -----
// CHECK-LABEL: func.func @add_group128_f32_mn_major_align4(
// CHECK-SAME: %[[X:[^:]*]]: tensor<?x256xbf16>, %[[R:[^:]*]]: tensor<?x256xbf16>, %[[W:[^:]*]]: tensor<256xbf16>)
// CHECK-NOT: vllm.quantize
// CHECK: %[[Q:.*]], %[[SC:.*]], %[[RO:.*]] = vllm.rms_norm_quant %[[X]], %[[W]] residual(%[[R]]) as <per_group 128, f32, mn_major, align 4> {epsilon = 2.500000e-01 : f32} : (tensor<?x256xbf16>, tensor<256xbf16>, tensor<?x256xbf16>) -> (tensor<?x256xf8E4M3FN>, tensor<2x?xf32, #vllm.scales<group 128, f32, mn_major, align 4>>, tensor<?x256xbf16>)
// CHECK-NOT: vllm.quantize
// CHECK-NOT: vllm.rms_norm %
// CHECK-NOT: vllm.fused_add_rms_norm
// CHECK: return %[[Q]], %[[SC]], %[[RO]]
func.func @add_group128_f32_mn_major_align4(%x: tensor<?x256xbf16>, %res: tensor<?x256xbf16>, %w: tensor<256xbf16>) -> (tensor<?x256xf8E4M3FN>, tensor<2x?xf32, #vllm.scales<group 128, f32, mn_major, align 4>>, tensor<?x256xbf16>) {
  %y, %r = vllm.fused_add_rms_norm %x, %res, %w {epsilon = 0.25 : f32} : (tensor<?x256xbf16>, tensor<?x256xbf16>, tensor<256xbf16>) -> (tensor<?x256xbf16>, tensor<?x256xbf16>)
  %q, %sc = vllm.quantize %y as <per_group 128, f32, mn_major, align 4> : tensor<?x256xbf16> -> tensor<?x256xf8E4M3FN>, tensor<2x?xf32, #vllm.scales<group 128, f32, mn_major, align 4>>
  return %q, %sc, %r : tensor<?x256xf8E4M3FN>, tensor<2x?xf32, #vllm.scales<group 128, f32, mn_major, align 4>>, tensor<?x256xbf16>
}

// -----
// CHECK-LABEL: func.func @add_group128_ue8m0_f32_row_major(
// CHECK-SAME: %[[X:[^:]*]]: tensor<?x256xbf16>, %[[R:[^:]*]]: tensor<?x256xbf16>, %[[W:[^:]*]]: tensor<256xbf16>)
// CHECK-NOT: vllm.quantize
// CHECK: %[[Q:.*]], %[[SC:.*]], %[[RO:.*]] = vllm.rms_norm_quant %[[X]], %[[W]] residual(%[[R]]) as <per_group 128, ue8m0_f32, row_major> {epsilon = 3.000000e-03 : f32} : (tensor<?x256xbf16>, tensor<256xbf16>, tensor<?x256xbf16>) -> (tensor<?x256xf8E4M3FN>, tensor<?x2xf32, #vllm.scales<group 128, ue8m0_f32, row_major>>, tensor<?x256xbf16>)
// CHECK-NOT: vllm.quantize
// CHECK-NOT: vllm.rms_norm %
// CHECK-NOT: vllm.fused_add_rms_norm
// CHECK: return %[[Q]], %[[SC]], %[[RO]]
func.func @add_group128_ue8m0_f32_row_major(%x: tensor<?x256xbf16>, %res: tensor<?x256xbf16>, %w: tensor<256xbf16>) -> (tensor<?x256xf8E4M3FN>, tensor<?x2xf32, #vllm.scales<group 128, ue8m0_f32, row_major>>, tensor<?x256xbf16>) {
  %y, %r = vllm.fused_add_rms_norm %x, %res, %w {epsilon = 3.0e-03 : f32} : (tensor<?x256xbf16>, tensor<?x256xbf16>, tensor<256xbf16>) -> (tensor<?x256xbf16>, tensor<?x256xbf16>)
  %q, %sc = vllm.quantize %y as <per_group 128, ue8m0_f32, row_major> : tensor<?x256xbf16> -> tensor<?x256xf8E4M3FN>, tensor<?x2xf32, #vllm.scales<group 128, ue8m0_f32, row_major>>
  return %q, %sc, %r : tensor<?x256xf8E4M3FN>, tensor<?x2xf32, #vllm.scales<group 128, ue8m0_f32, row_major>>, tensor<?x256xbf16>
}

// -----
// CHECK-LABEL: func.func @add_group128_ue8m0_f32_mn_major(
// CHECK-SAME: %[[X:[^:]*]]: tensor<?x256xbf16>, %[[R:[^:]*]]: tensor<?x256xbf16>, %[[W:[^:]*]]: tensor<256xbf16>)
// CHECK-NOT: vllm.quantize
// CHECK: %[[Q:.*]], %[[SC:.*]], %[[RO:.*]] = vllm.rms_norm_quant %[[X]], %[[W]] residual(%[[R]]) as <per_group 128, ue8m0_f32, mn_major> {epsilon = 9.99999997E-7 : f32} : (tensor<?x256xbf16>, tensor<256xbf16>, tensor<?x256xbf16>) -> (tensor<?x256xf8E4M3FN>, tensor<2x?xf32, #vllm.scales<group 128, ue8m0_f32, mn_major>>, tensor<?x256xbf16>)
// CHECK-NOT: vllm.quantize
// CHECK-NOT: vllm.rms_norm %
// CHECK-NOT: vllm.fused_add_rms_norm
// CHECK: return %[[Q]], %[[SC]], %[[RO]]
func.func @add_group128_ue8m0_f32_mn_major(%x: tensor<?x256xbf16>, %res: tensor<?x256xbf16>, %w: tensor<256xbf16>) -> (tensor<?x256xf8E4M3FN>, tensor<2x?xf32, #vllm.scales<group 128, ue8m0_f32, mn_major>>, tensor<?x256xbf16>) {
  %y, %r = vllm.fused_add_rms_norm %x, %res, %w {epsilon = 1.0e-06 : f32} : (tensor<?x256xbf16>, tensor<?x256xbf16>, tensor<256xbf16>) -> (tensor<?x256xbf16>, tensor<?x256xbf16>)
  %q, %sc = vllm.quantize %y as <per_group 128, ue8m0_f32, mn_major> : tensor<?x256xbf16> -> tensor<?x256xf8E4M3FN>, tensor<2x?xf32, #vllm.scales<group 128, ue8m0_f32, mn_major>>
  return %q, %sc, %r : tensor<?x256xf8E4M3FN>, tensor<2x?xf32, #vllm.scales<group 128, ue8m0_f32, mn_major>>, tensor<?x256xbf16>
}

// -----
// CHECK-LABEL: func.func @add_group128_ue8m0_f32_mn_major_align4(
// CHECK-SAME: %[[X:[^:]*]]: tensor<?x256xbf16>, %[[R:[^:]*]]: tensor<?x256xbf16>, %[[W:[^:]*]]: tensor<256xbf16>)
// CHECK-NOT: vllm.quantize
// CHECK: %[[Q:.*]], %[[SC:.*]], %[[RO:.*]] = vllm.rms_norm_quant %[[X]], %[[W]] residual(%[[R]]) as <per_group 128, ue8m0_f32, mn_major, align 4> {epsilon = 9.99999974E-6 : f32} : (tensor<?x256xbf16>, tensor<256xbf16>, tensor<?x256xbf16>) -> (tensor<?x256xf8E4M3FN>, tensor<2x?xf32, #vllm.scales<group 128, ue8m0_f32, mn_major, align 4>>, tensor<?x256xbf16>)
// CHECK-NOT: vllm.quantize
// CHECK-NOT: vllm.rms_norm %
// CHECK-NOT: vllm.fused_add_rms_norm
// CHECK: return %[[Q]], %[[SC]], %[[RO]]
func.func @add_group128_ue8m0_f32_mn_major_align4(%x: tensor<?x256xbf16>, %res: tensor<?x256xbf16>, %w: tensor<256xbf16>) -> (tensor<?x256xf8E4M3FN>, tensor<2x?xf32, #vllm.scales<group 128, ue8m0_f32, mn_major, align 4>>, tensor<?x256xbf16>) {
  %y, %r = vllm.fused_add_rms_norm %x, %res, %w {epsilon = 1.0e-05 : f32} : (tensor<?x256xbf16>, tensor<?x256xbf16>, tensor<256xbf16>) -> (tensor<?x256xbf16>, tensor<?x256xbf16>)
  %q, %sc = vllm.quantize %y as <per_group 128, ue8m0_f32, mn_major, align 4> : tensor<?x256xbf16> -> tensor<?x256xf8E4M3FN>, tensor<2x?xf32, #vllm.scales<group 128, ue8m0_f32, mn_major, align 4>>
  return %q, %sc, %r : tensor<?x256xf8E4M3FN>, tensor<2x?xf32, #vllm.scales<group 128, ue8m0_f32, mn_major, align 4>>, tensor<?x256xbf16>
}

// -----
// CHECK-LABEL: func.func @add_group128_ue8m0_packed(
// CHECK-SAME: %[[X:[^:]*]]: tensor<?x256xbf16>, %[[R:[^:]*]]: tensor<?x256xbf16>, %[[W:[^:]*]]: tensor<256xbf16>)
// CHECK-NOT: vllm.quantize
// CHECK: %[[Q:.*]], %[[SC:.*]], %[[RO:.*]] = vllm.rms_norm_quant %[[X]], %[[W]] residual(%[[R]]) as <per_group 128, ue8m0_packed, mn_major, align 4> {epsilon = 2.500000e-01 : f32} : (tensor<?x256xbf16>, tensor<256xbf16>, tensor<?x256xbf16>) -> (tensor<?x256xf8E4M3FN>, tensor<1x?xi32, #vllm.scales<group 128, ue8m0_packed, mn_major, align 4>>, tensor<?x256xbf16>)
// CHECK-NOT: vllm.quantize
// CHECK-NOT: vllm.rms_norm %
// CHECK-NOT: vllm.fused_add_rms_norm
// CHECK: return %[[Q]], %[[SC]], %[[RO]]
func.func @add_group128_ue8m0_packed(%x: tensor<?x256xbf16>, %res: tensor<?x256xbf16>, %w: tensor<256xbf16>) -> (tensor<?x256xf8E4M3FN>, tensor<1x?xi32, #vllm.scales<group 128, ue8m0_packed, mn_major, align 4>>, tensor<?x256xbf16>) {
  %y, %r = vllm.fused_add_rms_norm %x, %res, %w {epsilon = 0.25 : f32} : (tensor<?x256xbf16>, tensor<?x256xbf16>, tensor<256xbf16>) -> (tensor<?x256xbf16>, tensor<?x256xbf16>)
  %q, %sc = vllm.quantize %y as <per_group 128, ue8m0_packed, mn_major, align 4> : tensor<?x256xbf16> -> tensor<?x256xf8E4M3FN>, tensor<1x?xi32, #vllm.scales<group 128, ue8m0_packed, mn_major, align 4>>
  return %q, %sc, %r : tensor<?x256xf8E4M3FN>, tensor<1x?xi32, #vllm.scales<group 128, ue8m0_packed, mn_major, align 4>>, tensor<?x256xbf16>
}

// -----
// CHECK-LABEL: func.func @add_group128_ue8m0_packed_m257(
// CHECK-SAME: %[[X:[^:]*]]: tensor<257x256xbf16>, %[[R:[^:]*]]: tensor<257x256xbf16>, %[[W:[^:]*]]: tensor<256xbf16>)
// CHECK-NOT: vllm.quantize
// CHECK: %[[Q:.*]], %[[SC:.*]], %[[RO:.*]] = vllm.rms_norm_quant %[[X]], %[[W]] residual(%[[R]]) as <per_group 128, ue8m0_packed, mn_major, align 4> {epsilon = 3.000000e-03 : f32} : (tensor<257x256xbf16>, tensor<256xbf16>, tensor<257x256xbf16>) -> (tensor<257x256xf8E4M3FN>, tensor<1x260xi32, #vllm.scales<group 128, ue8m0_packed, mn_major, align 4>>, tensor<257x256xbf16>)
// CHECK-NOT: vllm.quantize
// CHECK-NOT: vllm.rms_norm %
// CHECK-NOT: vllm.fused_add_rms_norm
// CHECK: return %[[Q]], %[[SC]], %[[RO]]
func.func @add_group128_ue8m0_packed_m257(%x: tensor<257x256xbf16>, %res: tensor<257x256xbf16>, %w: tensor<256xbf16>) -> (tensor<257x256xf8E4M3FN>, tensor<1x260xi32, #vllm.scales<group 128, ue8m0_packed, mn_major, align 4>>, tensor<257x256xbf16>) {
  %y, %r = vllm.fused_add_rms_norm %x, %res, %w {epsilon = 3.0e-03 : f32} : (tensor<257x256xbf16>, tensor<257x256xbf16>, tensor<256xbf16>) -> (tensor<257x256xbf16>, tensor<257x256xbf16>)
  %q, %sc = vllm.quantize %y as <per_group 128, ue8m0_packed, mn_major, align 4> : tensor<257x256xbf16> -> tensor<257x256xf8E4M3FN>, tensor<1x260xi32, #vllm.scales<group 128, ue8m0_packed, mn_major, align 4>>
  return %q, %sc, %r : tensor<257x256xf8E4M3FN>, tensor<1x260xi32, #vllm.scales<group 128, ue8m0_packed, mn_major, align 4>>, tensor<257x256xbf16>
}

// -----
// CHECK-LABEL: func.func @add_group128_f32_mn_major_align4_m257(
// CHECK-SAME: %[[X:[^:]*]]: tensor<257x256xf32>, %[[R:[^:]*]]: tensor<257x256xf32>, %[[W:[^:]*]]: tensor<256xf32>)
// CHECK-NOT: vllm.quantize
// CHECK: %[[Q:.*]], %[[SC:.*]], %[[RO:.*]] = vllm.rms_norm_quant %[[X]], %[[W]] residual(%[[R]]) as <per_group 128, f32, mn_major, align 4> {epsilon = 9.99999997E-7 : f32} : (tensor<257x256xf32>, tensor<256xf32>, tensor<257x256xf32>) -> (tensor<257x256xf8E4M3FN>, tensor<2x260xf32, #vllm.scales<group 128, f32, mn_major, align 4>>, tensor<257x256xf32>)
// CHECK-NOT: vllm.quantize
// CHECK-NOT: vllm.rms_norm %
// CHECK-NOT: vllm.fused_add_rms_norm
// CHECK: return %[[Q]], %[[SC]], %[[RO]]
func.func @add_group128_f32_mn_major_align4_m257(%x: tensor<257x256xf32>, %res: tensor<257x256xf32>, %w: tensor<256xf32>) -> (tensor<257x256xf8E4M3FN>, tensor<2x260xf32, #vllm.scales<group 128, f32, mn_major, align 4>>, tensor<257x256xf32>) {
  %y, %r = vllm.fused_add_rms_norm %x, %res, %w {epsilon = 1.0e-06 : f32} : (tensor<257x256xf32>, tensor<257x256xf32>, tensor<256xf32>) -> (tensor<257x256xf32>, tensor<257x256xf32>)
  %q, %sc = vllm.quantize %y as <per_group 128, f32, mn_major, align 4> : tensor<257x256xf32> -> tensor<257x256xf8E4M3FN>, tensor<2x260xf32, #vllm.scales<group 128, f32, mn_major, align 4>>
  return %q, %sc, %r : tensor<257x256xf8E4M3FN>, tensor<2x260xf32, #vllm.scales<group 128, f32, mn_major, align 4>>, tensor<257x256xf32>
}

// -----
// CHECK-LABEL: func.func @add_group64_f32_row_major(
// CHECK-SAME: %[[X:[^:]*]]: tensor<?x256xbf16>, %[[R:[^:]*]]: tensor<?x256xbf16>, %[[W:[^:]*]]: tensor<256xbf16>)
// CHECK-NOT: vllm.quantize
// CHECK: %[[Q:.*]], %[[SC:.*]], %[[RO:.*]] = vllm.rms_norm_quant %[[X]], %[[W]] residual(%[[R]]) as <per_group 64, f32, row_major> {epsilon = 9.99999974E-6 : f32} : (tensor<?x256xbf16>, tensor<256xbf16>, tensor<?x256xbf16>) -> (tensor<?x256xf8E4M3FN>, tensor<?x4xf32, #vllm.scales<group 64, f32, row_major>>, tensor<?x256xbf16>)
// CHECK-NOT: vllm.quantize
// CHECK-NOT: vllm.rms_norm %
// CHECK-NOT: vllm.fused_add_rms_norm
// CHECK: return %[[Q]], %[[SC]], %[[RO]]
func.func @add_group64_f32_row_major(%x: tensor<?x256xbf16>, %res: tensor<?x256xbf16>, %w: tensor<256xbf16>) -> (tensor<?x256xf8E4M3FN>, tensor<?x4xf32, #vllm.scales<group 64, f32, row_major>>, tensor<?x256xbf16>) {
  %y, %r = vllm.fused_add_rms_norm %x, %res, %w {epsilon = 1.0e-05 : f32} : (tensor<?x256xbf16>, tensor<?x256xbf16>, tensor<256xbf16>) -> (tensor<?x256xbf16>, tensor<?x256xbf16>)
  %q, %sc = vllm.quantize %y as <per_group 64, f32, row_major> : tensor<?x256xbf16> -> tensor<?x256xf8E4M3FN>, tensor<?x4xf32, #vllm.scales<group 64, f32, row_major>>
  return %q, %sc, %r : tensor<?x256xf8E4M3FN>, tensor<?x4xf32, #vllm.scales<group 64, f32, row_major>>, tensor<?x256xbf16>
}

// -----
// CHECK-LABEL: func.func @add_group32_ue8m0_packed(
// CHECK-SAME: %[[X:[^:]*]]: tensor<?x256xbf16>, %[[R:[^:]*]]: tensor<?x256xbf16>, %[[W:[^:]*]]: tensor<256xbf16>)
// CHECK-NOT: vllm.quantize
// CHECK: %[[Q:.*]], %[[SC:.*]], %[[RO:.*]] = vllm.rms_norm_quant %[[X]], %[[W]] residual(%[[R]]) as <per_group 32, ue8m0_packed, mn_major, align 4> {epsilon = 2.500000e-01 : f32} : (tensor<?x256xbf16>, tensor<256xbf16>, tensor<?x256xbf16>) -> (tensor<?x256xf8E4M3FN>, tensor<2x?xi32, #vllm.scales<group 32, ue8m0_packed, mn_major, align 4>>, tensor<?x256xbf16>)
// CHECK-NOT: vllm.quantize
// CHECK-NOT: vllm.rms_norm %
// CHECK-NOT: vllm.fused_add_rms_norm
// CHECK: return %[[Q]], %[[SC]], %[[RO]]
func.func @add_group32_ue8m0_packed(%x: tensor<?x256xbf16>, %res: tensor<?x256xbf16>, %w: tensor<256xbf16>) -> (tensor<?x256xf8E4M3FN>, tensor<2x?xi32, #vllm.scales<group 32, ue8m0_packed, mn_major, align 4>>, tensor<?x256xbf16>) {
  %y, %r = vllm.fused_add_rms_norm %x, %res, %w {epsilon = 0.25 : f32} : (tensor<?x256xbf16>, tensor<?x256xbf16>, tensor<256xbf16>) -> (tensor<?x256xbf16>, tensor<?x256xbf16>)
  %q, %sc = vllm.quantize %y as <per_group 32, ue8m0_packed, mn_major, align 4> : tensor<?x256xbf16> -> tensor<?x256xf8E4M3FN>, tensor<2x?xi32, #vllm.scales<group 32, ue8m0_packed, mn_major, align 4>>
  return %q, %sc, %r : tensor<?x256xf8E4M3FN>, tensor<2x?xi32, #vllm.scales<group 32, ue8m0_packed, mn_major, align 4>>, tensor<?x256xbf16>
}

// -----
// CHECK-LABEL: func.func @add_group128_ue8m0_packed_h640(
// CHECK-SAME: %[[X:[^:]*]]: tensor<?x640xf16>, %[[R:[^:]*]]: tensor<?x640xf16>, %[[W:[^:]*]]: tensor<640xf16>)
// CHECK-NOT: vllm.quantize
// CHECK: %[[Q:.*]], %[[SC:.*]], %[[RO:.*]] = vllm.rms_norm_quant %[[X]], %[[W]] residual(%[[R]]) as <per_group 128, ue8m0_packed, mn_major, align 4> {epsilon = 3.000000e-03 : f32} : (tensor<?x640xf16>, tensor<640xf16>, tensor<?x640xf16>) -> (tensor<?x640xf8E4M3FN>, tensor<2x?xi32, #vllm.scales<group 128, ue8m0_packed, mn_major, align 4>>, tensor<?x640xf16>)
// CHECK-NOT: vllm.quantize
// CHECK-NOT: vllm.rms_norm %
// CHECK-NOT: vllm.fused_add_rms_norm
// CHECK: return %[[Q]], %[[SC]], %[[RO]]
func.func @add_group128_ue8m0_packed_h640(%x: tensor<?x640xf16>, %res: tensor<?x640xf16>, %w: tensor<640xf16>) -> (tensor<?x640xf8E4M3FN>, tensor<2x?xi32, #vllm.scales<group 128, ue8m0_packed, mn_major, align 4>>, tensor<?x640xf16>) {
  %y, %r = vllm.fused_add_rms_norm %x, %res, %w {epsilon = 3.0e-03 : f32} : (tensor<?x640xf16>, tensor<?x640xf16>, tensor<640xf16>) -> (tensor<?x640xf16>, tensor<?x640xf16>)
  %q, %sc = vllm.quantize %y as <per_group 128, ue8m0_packed, mn_major, align 4> : tensor<?x640xf16> -> tensor<?x640xf8E4M3FN>, tensor<2x?xi32, #vllm.scales<group 128, ue8m0_packed, mn_major, align 4>>
  return %q, %sc, %r : tensor<?x640xf8E4M3FN>, tensor<2x?xi32, #vllm.scales<group 128, ue8m0_packed, mn_major, align 4>>, tensor<?x640xf16>
}
