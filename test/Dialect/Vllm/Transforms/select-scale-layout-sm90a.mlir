// vllm-select-scale-layout for sm_90a: activation scales feeding a
// scaled_matmul become f32 (or UE8M0-in-f32 when the user asked for UE8M0)
// MN-major with align 4 (SPEC.md section 4) and the matmul records the chip.
// RUN: vllm-opt %s -split-input-file --vllm-select-scale-layout=chip=sm_90a | FileCheck %s

// f32 row-major -> f32 MN-major, align 4.
// CHECK-LABEL: func.func @f32_row_major(
// CHECK-SAME: %[[Y:[^:]*]]: tensor<?x256xbf16>, %[[B:[^:]*]]: tensor<128x256xf8E4M3FN>, %[[SB:[^:]*]]: tensor<1x2xf32, #vllm.scales<block 128x128, f32>>)
// CHECK-NEXT: %[[Q:.*]], %[[S:.*]] = vllm.quantize %[[Y]] as <per_group 128, f32, mn_major, align 4> : tensor<?x256xbf16> -> tensor<?x256xf8E4M3FN>, tensor<2x?xf32, #vllm.scales<group 128, f32, mn_major, align 4>>
// CHECK-NEXT: %[[D:.*]] = vllm.scaled_matmul %[[Q]], %[[B]] scales(%[[S]], %[[SB]]) chip <sm_90a> : (tensor<?x256xf8E4M3FN>, tensor<128x256xf8E4M3FN>, tensor<2x?xf32, #vllm.scales<group 128, f32, mn_major, align 4>>, tensor<1x2xf32, #vllm.scales<block 128x128, f32>>) -> tensor<?x128xbf16>
// CHECK-NEXT: return %[[D]]
func.func @f32_row_major(%y: tensor<?x256xbf16>, %b: tensor<128x256xf8E4M3FN>, %sb: tensor<1x2xf32, #vllm.scales<block 128x128, f32>>) -> tensor<?x128xbf16> {
  %q, %s = vllm.quantize %y as <per_group 128, f32, row_major> : tensor<?x256xbf16> -> tensor<?x256xf8E4M3FN>, tensor<?x2xf32, #vllm.scales<group 128, f32, row_major>>
  %d = vllm.scaled_matmul %q, %b scales(%s, %sb) : (tensor<?x256xf8E4M3FN>, tensor<128x256xf8E4M3FN>, tensor<?x2xf32, #vllm.scales<group 128, f32, row_major>>, tensor<1x2xf32, #vllm.scales<block 128x128, f32>>) -> tensor<?x128xbf16>
  return %d : tensor<?x128xbf16>
}

// -----

// f32 MN-major, align 1 -> align 4.
// CHECK-LABEL: func.func @f32_mn_major(
// CHECK-SAME: %[[Y:[^:]*]]: tensor<?x256xbf16>, %[[B:[^:]*]]: tensor<128x256xf8E4M3FN>, %[[SB:[^:]*]]: tensor<1x2xf32, #vllm.scales<block 128x128, f32>>)
// CHECK-NEXT: %[[Q:.*]], %[[S:.*]] = vllm.quantize %[[Y]] as <per_group 128, f32, mn_major, align 4> : tensor<?x256xbf16> -> tensor<?x256xf8E4M3FN>, tensor<2x?xf32, #vllm.scales<group 128, f32, mn_major, align 4>>
// CHECK-NEXT: %[[D:.*]] = vllm.scaled_matmul %[[Q]], %[[B]] scales(%[[S]], %[[SB]]) chip <sm_90a> : (tensor<?x256xf8E4M3FN>, tensor<128x256xf8E4M3FN>, tensor<2x?xf32, #vllm.scales<group 128, f32, mn_major, align 4>>, tensor<1x2xf32, #vllm.scales<block 128x128, f32>>) -> tensor<?x128xbf16>
// CHECK-NEXT: return %[[D]]
func.func @f32_mn_major(%y: tensor<?x256xbf16>, %b: tensor<128x256xf8E4M3FN>, %sb: tensor<1x2xf32, #vllm.scales<block 128x128, f32>>) -> tensor<?x128xbf16> {
  %q, %s = vllm.quantize %y as <per_group 128, f32, mn_major> : tensor<?x256xbf16> -> tensor<?x256xf8E4M3FN>, tensor<2x?xf32, #vllm.scales<group 128, f32, mn_major>>
  %d = vllm.scaled_matmul %q, %b scales(%s, %sb) : (tensor<?x256xf8E4M3FN>, tensor<128x256xf8E4M3FN>, tensor<2x?xf32, #vllm.scales<group 128, f32, mn_major>>, tensor<1x2xf32, #vllm.scales<block 128x128, f32>>) -> tensor<?x128xbf16>
  return %d : tensor<?x128xbf16>
}

// -----

// Already the sm_90a format: only the chip is recorded.
// CHECK-LABEL: func.func @already_f32_mn_major_align4(
// CHECK-SAME: %[[Y:[^:]*]]: tensor<?x256xbf16>, %[[B:[^:]*]]: tensor<128x256xf8E4M3FN>, %[[SB:[^:]*]]: tensor<1x2xf32, #vllm.scales<block 128x128, f32>>)
// CHECK-NEXT: %[[Q:.*]], %[[S:.*]] = vllm.quantize %[[Y]] as <per_group 128, f32, mn_major, align 4> : tensor<?x256xbf16> -> tensor<?x256xf8E4M3FN>, tensor<2x?xf32, #vllm.scales<group 128, f32, mn_major, align 4>>
// CHECK-NEXT: %[[D:.*]] = vllm.scaled_matmul %[[Q]], %[[B]] scales(%[[S]], %[[SB]]) chip <sm_90a> : (tensor<?x256xf8E4M3FN>, tensor<128x256xf8E4M3FN>, tensor<2x?xf32, #vllm.scales<group 128, f32, mn_major, align 4>>, tensor<1x2xf32, #vllm.scales<block 128x128, f32>>) -> tensor<?x128xbf16>
// CHECK-NEXT: return %[[D]]
func.func @already_f32_mn_major_align4(%y: tensor<?x256xbf16>, %b: tensor<128x256xf8E4M3FN>, %sb: tensor<1x2xf32, #vllm.scales<block 128x128, f32>>) -> tensor<?x128xbf16> {
  %q, %s = vllm.quantize %y as <per_group 128, f32, mn_major, align 4> : tensor<?x256xbf16> -> tensor<?x256xf8E4M3FN>, tensor<2x?xf32, #vllm.scales<group 128, f32, mn_major, align 4>>
  %d = vllm.scaled_matmul %q, %b scales(%s, %sb) : (tensor<?x256xf8E4M3FN>, tensor<128x256xf8E4M3FN>, tensor<2x?xf32, #vllm.scales<group 128, f32, mn_major, align 4>>, tensor<1x2xf32, #vllm.scales<block 128x128, f32>>) -> tensor<?x128xbf16>
  return %d : tensor<?x128xbf16>
}

// -----

// UE8M0 in f32 stays UE8M0 (the user's choice), MN-major align 4.
// CHECK-LABEL: func.func @ue8m0_f32_row_major(
// CHECK-SAME: %[[Y:[^:]*]]: tensor<?x256xbf16>, %[[B:[^:]*]]: tensor<128x256xf8E4M3FN>, %[[SB:[^:]*]]: tensor<1x2xf32, #vllm.scales<block 128x128, f32>>)
// CHECK-NEXT: %[[Q:.*]], %[[S:.*]] = vllm.quantize %[[Y]] as <per_group 128, ue8m0_f32, mn_major, align 4> : tensor<?x256xbf16> -> tensor<?x256xf8E4M3FN>, tensor<2x?xf32, #vllm.scales<group 128, ue8m0_f32, mn_major, align 4>>
// CHECK-NEXT: %[[D:.*]] = vllm.scaled_matmul %[[Q]], %[[B]] scales(%[[S]], %[[SB]]) chip <sm_90a> : (tensor<?x256xf8E4M3FN>, tensor<128x256xf8E4M3FN>, tensor<2x?xf32, #vllm.scales<group 128, ue8m0_f32, mn_major, align 4>>, tensor<1x2xf32, #vllm.scales<block 128x128, f32>>) -> tensor<?x128xbf16>
// CHECK-NEXT: return %[[D]]
func.func @ue8m0_f32_row_major(%y: tensor<?x256xbf16>, %b: tensor<128x256xf8E4M3FN>, %sb: tensor<1x2xf32, #vllm.scales<block 128x128, f32>>) -> tensor<?x128xbf16> {
  %q, %s = vllm.quantize %y as <per_group 128, ue8m0_f32, row_major> : tensor<?x256xbf16> -> tensor<?x256xf8E4M3FN>, tensor<?x2xf32, #vllm.scales<group 128, ue8m0_f32, row_major>>
  %d = vllm.scaled_matmul %q, %b scales(%s, %sb) : (tensor<?x256xf8E4M3FN>, tensor<128x256xf8E4M3FN>, tensor<?x2xf32, #vllm.scales<group 128, ue8m0_f32, row_major>>, tensor<1x2xf32, #vllm.scales<block 128x128, f32>>) -> tensor<?x128xbf16>
  return %d : tensor<?x128xbf16>
}

// -----

// Packed UE8M0 -> UE8M0 in f32 (the same powers of two, unpacked): [1, M] i32 -> [2, M] f32.
// CHECK-LABEL: func.func @ue8m0_packed(
// CHECK-SAME: %[[Y:[^:]*]]: tensor<?x256xbf16>, %[[B:[^:]*]]: tensor<128x256xf8E4M3FN>, %[[SB:[^:]*]]: tensor<1x2xf32, #vllm.scales<block 128x128, f32>>)
// CHECK-NEXT: %[[Q:.*]], %[[S:.*]] = vllm.quantize %[[Y]] as <per_group 128, ue8m0_f32, mn_major, align 4> : tensor<?x256xbf16> -> tensor<?x256xf8E4M3FN>, tensor<2x?xf32, #vllm.scales<group 128, ue8m0_f32, mn_major, align 4>>
// CHECK-NEXT: %[[D:.*]] = vllm.scaled_matmul %[[Q]], %[[B]] scales(%[[S]], %[[SB]]) chip <sm_90a> : (tensor<?x256xf8E4M3FN>, tensor<128x256xf8E4M3FN>, tensor<2x?xf32, #vllm.scales<group 128, ue8m0_f32, mn_major, align 4>>, tensor<1x2xf32, #vllm.scales<block 128x128, f32>>) -> tensor<?x128xbf16>
// CHECK-NEXT: return %[[D]]
func.func @ue8m0_packed(%y: tensor<?x256xbf16>, %b: tensor<128x256xf8E4M3FN>, %sb: tensor<1x2xf32, #vllm.scales<block 128x128, f32>>) -> tensor<?x128xbf16> {
  %q, %s = vllm.quantize %y as <per_group 128, ue8m0_packed, mn_major, align 4> : tensor<?x256xbf16> -> tensor<?x256xf8E4M3FN>, tensor<1x?xi32, #vllm.scales<group 128, ue8m0_packed, mn_major, align 4>>
  %d = vllm.scaled_matmul %q, %b scales(%s, %sb) : (tensor<?x256xf8E4M3FN>, tensor<128x256xf8E4M3FN>, tensor<1x?xi32, #vllm.scales<group 128, ue8m0_packed, mn_major, align 4>>, tensor<1x2xf32, #vllm.scales<block 128x128, f32>>) -> tensor<?x128xbf16>
  return %d : tensor<?x128xbf16>
}

// -----

// Already consumable UE8M0 in f32.
// CHECK-LABEL: func.func @already_ue8m0_f32_mn_major_align4(
// CHECK-SAME: %[[Y:[^:]*]]: tensor<?x256xbf16>, %[[B:[^:]*]]: tensor<128x256xf8E4M3FN>, %[[SB:[^:]*]]: tensor<1x2xf32, #vllm.scales<block 128x128, f32>>)
// CHECK-NEXT: %[[Q:.*]], %[[S:.*]] = vllm.quantize %[[Y]] as <per_group 128, ue8m0_f32, mn_major, align 4> : tensor<?x256xbf16> -> tensor<?x256xf8E4M3FN>, tensor<2x?xf32, #vllm.scales<group 128, ue8m0_f32, mn_major, align 4>>
// CHECK-NEXT: %[[D:.*]] = vllm.scaled_matmul %[[Q]], %[[B]] scales(%[[S]], %[[SB]]) chip <sm_90a> : (tensor<?x256xf8E4M3FN>, tensor<128x256xf8E4M3FN>, tensor<2x?xf32, #vllm.scales<group 128, ue8m0_f32, mn_major, align 4>>, tensor<1x2xf32, #vllm.scales<block 128x128, f32>>) -> tensor<?x128xbf16>
// CHECK-NEXT: return %[[D]]
func.func @already_ue8m0_f32_mn_major_align4(%y: tensor<?x256xbf16>, %b: tensor<128x256xf8E4M3FN>, %sb: tensor<1x2xf32, #vllm.scales<block 128x128, f32>>) -> tensor<?x128xbf16> {
  %q, %s = vllm.quantize %y as <per_group 128, ue8m0_f32, mn_major, align 4> : tensor<?x256xbf16> -> tensor<?x256xf8E4M3FN>, tensor<2x?xf32, #vllm.scales<group 128, ue8m0_f32, mn_major, align 4>>
  %d = vllm.scaled_matmul %q, %b scales(%s, %sb) : (tensor<?x256xf8E4M3FN>, tensor<128x256xf8E4M3FN>, tensor<2x?xf32, #vllm.scales<group 128, ue8m0_f32, mn_major, align 4>>, tensor<1x2xf32, #vllm.scales<block 128x128, f32>>) -> tensor<?x128xbf16>
  return %d : tensor<?x128xbf16>
}

// -----

// Per-token scales are consumed as they are.
// CHECK-LABEL: func.func @per_token(
// CHECK-SAME: %[[Y:[^:]*]]: tensor<?x256xbf16>, %[[B:[^:]*]]: tensor<128x256xf8E4M3FN>, %[[SB:[^:]*]]: tensor<1x2xf32, #vllm.scales<block 128x128, f32>>)
// CHECK-NEXT: %[[Q:.*]], %[[S:.*]] = vllm.quantize %[[Y]] as <per_token> : tensor<?x256xbf16> -> tensor<?x256xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>
// CHECK-NEXT: %[[D:.*]] = vllm.scaled_matmul %[[Q]], %[[B]] scales(%[[S]], %[[SB]]) chip <sm_90a> : (tensor<?x256xf8E4M3FN>, tensor<128x256xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>, tensor<1x2xf32, #vllm.scales<block 128x128, f32>>) -> tensor<?x128xbf16>
// CHECK-NEXT: return %[[D]]
func.func @per_token(%y: tensor<?x256xbf16>, %b: tensor<128x256xf8E4M3FN>, %sb: tensor<1x2xf32, #vllm.scales<block 128x128, f32>>) -> tensor<?x128xbf16> {
  %q, %s = vllm.quantize %y as <per_token> : tensor<?x256xbf16> -> tensor<?x256xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>
  %d = vllm.scaled_matmul %q, %b scales(%s, %sb) : (tensor<?x256xf8E4M3FN>, tensor<128x256xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>, tensor<1x2xf32, #vllm.scales<block 128x128, f32>>) -> tensor<?x128xbf16>
  return %d : tensor<?x128xbf16>
}

// -----

// Per-tensor scales are consumed as they are.
// CHECK-LABEL: func.func @per_tensor(
// CHECK-SAME: %[[Y:[^:]*]]: tensor<?x256xbf16>, %[[B:[^:]*]]: tensor<128x256xf8E4M3FN>, %[[SB:[^:]*]]: tensor<1x2xf32, #vllm.scales<block 128x128, f32>>)
// CHECK-NEXT: %[[Q:.*]], %[[S:.*]] = vllm.quantize %[[Y]] as <dynamic_per_tensor> : tensor<?x256xbf16> -> tensor<?x256xf8E4M3FN>, tensor<1xf32, #vllm.scales<tensor>>
// CHECK-NEXT: %[[D:.*]] = vllm.scaled_matmul %[[Q]], %[[B]] scales(%[[S]], %[[SB]]) chip <sm_90a> : (tensor<?x256xf8E4M3FN>, tensor<128x256xf8E4M3FN>, tensor<1xf32, #vllm.scales<tensor>>, tensor<1x2xf32, #vllm.scales<block 128x128, f32>>) -> tensor<?x128xbf16>
// CHECK-NEXT: return %[[D]]
func.func @per_tensor(%y: tensor<?x256xbf16>, %b: tensor<128x256xf8E4M3FN>, %sb: tensor<1x2xf32, #vllm.scales<block 128x128, f32>>) -> tensor<?x128xbf16> {
  %q, %s = vllm.quantize %y as <dynamic_per_tensor> : tensor<?x256xbf16> -> tensor<?x256xf8E4M3FN>, tensor<1xf32, #vllm.scales<tensor>>
  %d = vllm.scaled_matmul %q, %b scales(%s, %sb) : (tensor<?x256xf8E4M3FN>, tensor<128x256xf8E4M3FN>, tensor<1xf32, #vllm.scales<tensor>>, tensor<1x2xf32, #vllm.scales<block 128x128, f32>>) -> tensor<?x128xbf16>
  return %d : tensor<?x128xbf16>
}

// -----

// The fused op is rewritten the same way.
// CHECK-LABEL: func.func @fused_f32_row_major(
// CHECK-SAME: %[[X:[^:]*]]: tensor<?x256xbf16>, %[[R:[^:]*]]: tensor<?x256xbf16>, %[[W:[^:]*]]: tensor<256xbf16>, %[[B:[^:]*]]: tensor<128x256xf8E4M3FN>, %[[SB:[^:]*]]: tensor<1x2xf32, #vllm.scales<block 128x128, f32>>)
// CHECK-NEXT: %[[Q:.*]], %[[S:.*]], %[[RO:.*]], %[[N:.*]] = vllm.rms_norm_quant %[[X]], %[[W]] residual(%[[R]]) as <per_group 128, f32, mn_major, align 4> {epsilon = 9.99999974E-6 : f32} : (tensor<?x256xbf16>, tensor<256xbf16>, tensor<?x256xbf16>) -> (tensor<?x256xf8E4M3FN>, tensor<2x?xf32, #vllm.scales<group 128, f32, mn_major, align 4>>, tensor<?x256xbf16>, tensor<?x256xbf16>)
// CHECK-NEXT: %[[D:.*]] = vllm.scaled_matmul %[[Q]], %[[B]] scales(%[[S]], %[[SB]]) chip <sm_90a>
// CHECK-NEXT: return %[[D]], %[[RO]], %[[N]]
func.func @fused_f32_row_major(%x: tensor<?x256xbf16>, %r: tensor<?x256xbf16>, %w: tensor<256xbf16>, %b: tensor<128x256xf8E4M3FN>, %sb: tensor<1x2xf32, #vllm.scales<block 128x128, f32>>) -> (tensor<?x128xbf16>, tensor<?x256xbf16>, tensor<?x256xbf16>) {
  %q, %s, %ro, %n = vllm.rms_norm_quant %x, %w residual(%r) as <per_group 128, f32, row_major> {epsilon = 1.0e-05 : f32} : (tensor<?x256xbf16>, tensor<256xbf16>, tensor<?x256xbf16>) -> (tensor<?x256xf8E4M3FN>, tensor<?x2xf32, #vllm.scales<group 128, f32, row_major>>, tensor<?x256xbf16>, tensor<?x256xbf16>)
  %d = vllm.scaled_matmul %q, %b scales(%s, %sb) : (tensor<?x256xf8E4M3FN>, tensor<128x256xf8E4M3FN>, tensor<?x2xf32, #vllm.scales<group 128, f32, row_major>>, tensor<1x2xf32, #vllm.scales<block 128x128, f32>>) -> tensor<?x128xbf16>
  return %d, %ro, %n : tensor<?x128xbf16>, tensor<?x256xbf16>, tensor<?x256xbf16>
}

// -----

// Fused, packed -> UE8M0 in f32.
// CHECK-LABEL: func.func @fused_packed(
// CHECK-SAME: %[[X:[^:]*]]: tensor<?x256xbf16>, %[[R:[^:]*]]: tensor<?x256xbf16>, %[[W:[^:]*]]: tensor<256xbf16>, %[[B:[^:]*]]: tensor<128x256xf8E4M3FN>, %[[SB:[^:]*]]: tensor<1x2xf32, #vllm.scales<block 128x128, f32>>)
// CHECK-NEXT: %[[Q:.*]], %[[S:.*]], %[[RO:.*]], %[[N:.*]] = vllm.rms_norm_quant %[[X]], %[[W]] residual(%[[R]]) as <per_group 128, ue8m0_f32, mn_major, align 4> {epsilon = 9.99999974E-6 : f32} : (tensor<?x256xbf16>, tensor<256xbf16>, tensor<?x256xbf16>) -> (tensor<?x256xf8E4M3FN>, tensor<2x?xf32, #vllm.scales<group 128, ue8m0_f32, mn_major, align 4>>, tensor<?x256xbf16>, tensor<?x256xbf16>)
// CHECK-NEXT: %[[D:.*]] = vllm.scaled_matmul %[[Q]], %[[B]] scales(%[[S]], %[[SB]]) chip <sm_90a>
// CHECK-NEXT: return %[[D]], %[[RO]], %[[N]]
func.func @fused_packed(%x: tensor<?x256xbf16>, %r: tensor<?x256xbf16>, %w: tensor<256xbf16>, %b: tensor<128x256xf8E4M3FN>, %sb: tensor<1x2xf32, #vllm.scales<block 128x128, f32>>) -> (tensor<?x128xbf16>, tensor<?x256xbf16>, tensor<?x256xbf16>) {
  %q, %s, %ro, %n = vllm.rms_norm_quant %x, %w residual(%r) as <per_group 128, ue8m0_packed, mn_major, align 4> {epsilon = 1.0e-05 : f32} : (tensor<?x256xbf16>, tensor<256xbf16>, tensor<?x256xbf16>) -> (tensor<?x256xf8E4M3FN>, tensor<1x?xi32, #vllm.scales<group 128, ue8m0_packed, mn_major, align 4>>, tensor<?x256xbf16>, tensor<?x256xbf16>)
  %d = vllm.scaled_matmul %q, %b scales(%s, %sb) : (tensor<?x256xf8E4M3FN>, tensor<128x256xf8E4M3FN>, tensor<1x?xi32, #vllm.scales<group 128, ue8m0_packed, mn_major, align 4>>, tensor<1x2xf32, #vllm.scales<block 128x128, f32>>) -> tensor<?x128xbf16>
  return %d, %ro, %n : tensor<?x128xbf16>, tensor<?x256xbf16>, tensor<?x256xbf16>
}

// -----

// One quantize feeding two matmuls: rewritten once, both record the chip.
// CHECK-LABEL: func.func @two_matmuls(
// CHECK-NEXT: %[[Q:.*]], %[[S:.*]] = vllm.quantize %{{.*}} as <per_group 128, ue8m0_f32, mn_major, align 4>
// CHECK-NEXT: vllm.scaled_matmul %[[Q]], %{{.*}} scales(%[[S]], %{{.*}}) chip <sm_90a>
// CHECK-NEXT: vllm.scaled_matmul %[[Q]], %{{.*}} scales(%[[S]], %{{.*}}) chip <sm_90a>
func.func @two_matmuls(%y: tensor<?x256xbf16>, %b: tensor<128x256xf8E4M3FN>, %sb: tensor<1x2xf32, #vllm.scales<block 128x128, f32>>, %b2: tensor<128x256xf8E4M3FN>, %sb2: tensor<1x2xf32, #vllm.scales<block 128x128, f32>>) -> (tensor<?x128xbf16>, tensor<?x128xbf16>) {
  %q, %s = vllm.quantize %y as <per_group 128, ue8m0_f32, row_major> : tensor<?x256xbf16> -> tensor<?x256xf8E4M3FN>, tensor<?x2xf32, #vllm.scales<group 128, ue8m0_f32, row_major>>
  %d = vllm.scaled_matmul %q, %b scales(%s, %sb) : (tensor<?x256xf8E4M3FN>, tensor<128x256xf8E4M3FN>, tensor<?x2xf32, #vllm.scales<group 128, ue8m0_f32, row_major>>, tensor<1x2xf32, #vllm.scales<block 128x128, f32>>) -> tensor<?x128xbf16>
  %d2 = vllm.scaled_matmul %q, %b2 scales(%s, %sb2) : (tensor<?x256xf8E4M3FN>, tensor<128x256xf8E4M3FN>, tensor<?x2xf32, #vllm.scales<group 128, ue8m0_f32, row_major>>, tensor<1x2xf32, #vllm.scales<block 128x128, f32>>) -> tensor<?x128xbf16>
  return %d, %d2 : tensor<?x128xbf16>, tensor<?x128xbf16>
}

// -----

// The MLP's down-projection site, fused: elementwise_quant is a producer
// like quantize and rms_norm_quant, and keeps its product result.
// CHECK-LABEL: func.func @elementwise_quant_site(
// CHECK-SAME: %[[X:[^:]*]]: tensor<?x1024xbf16>, %[[B:[^:]*]]: tensor<256x512xf8E4M3FN>, %[[SB:[^:]*]]: tensor<2x4xf32, #vllm.scales<block 128x128, f32>>)
// CHECK-NEXT: %[[Q:.*]], %[[S:.*]], %[[Y:.*]] = vllm.elementwise_quant silu_and_mul(%[[X]]) as <per_group 128, f32, mn_major, align 4> : tensor<?x1024xbf16> -> tensor<?x512xf8E4M3FN>, tensor<4x?xf32, #vllm.scales<group 128, f32, mn_major, align 4>>, tensor<?x512xbf16>
// CHECK-NEXT: %[[D:.*]] = vllm.scaled_matmul %[[Q]], %[[B]] scales(%[[S]], %[[SB]]) chip <sm_90a>
// CHECK-NEXT: return %[[D]], %[[Y]]
func.func @elementwise_quant_site(%x: tensor<?x1024xbf16>, %b: tensor<256x512xf8E4M3FN>, %sb: tensor<2x4xf32, #vllm.scales<block 128x128, f32>>) -> (tensor<?x256xbf16>, tensor<?x512xbf16>) {
  %q, %s, %y = vllm.elementwise_quant silu_and_mul(%x) as <per_group 128, f32, row_major> : tensor<?x1024xbf16> -> tensor<?x512xf8E4M3FN>, tensor<?x4xf32, #vllm.scales<group 128, f32, row_major>>, tensor<?x512xbf16>
  %d = vllm.scaled_matmul %q, %b scales(%s, %sb) : (tensor<?x512xf8E4M3FN>, tensor<256x512xf8E4M3FN>, tensor<?x4xf32, #vllm.scales<group 128, f32, row_major>>, tensor<2x4xf32, #vllm.scales<block 128x128, f32>>) -> tensor<?x256xbf16>
  return %d, %y : tensor<?x256xbf16>, tensor<?x512xbf16>
}
