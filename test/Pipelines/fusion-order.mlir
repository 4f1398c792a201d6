// vllm-fuse-norm-quant and vllm-select-scale-layout commute: layout first
// creates the fused op with the chip's scheme, fusion first rewrites the
// fused op's scheme. Both orders must give the same IR, for each chip.
// RUN: vllm-opt %s -split-input-file --vllm-select-scale-layout=chip=sm_100a --vllm-fuse-norm-quant > %t.layout-first.sm100a
// RUN: vllm-opt %s -split-input-file --vllm-fuse-norm-quant --vllm-select-scale-layout=chip=sm_100a > %t.fuse-first.sm100a
// RUN: FileCheck %s --check-prefix=SM100 < %t.layout-first.sm100a
// RUN: FileCheck %s --check-prefix=SM100 < %t.fuse-first.sm100a
// RUN: diff %t.layout-first.sm100a %t.fuse-first.sm100a
// RUN: vllm-opt %s -split-input-file --vllm-select-scale-layout=chip=sm_90a --vllm-fuse-norm-quant > %t.layout-first.sm90a
// RUN: vllm-opt %s -split-input-file --vllm-fuse-norm-quant --vllm-select-scale-layout=chip=sm_90a > %t.fuse-first.sm90a
// RUN: FileCheck %s --check-prefix=SM90 < %t.layout-first.sm90a
// RUN: FileCheck %s --check-prefix=SM90 < %t.fuse-first.sm90a
// RUN: diff %t.layout-first.sm90a %t.fuse-first.sm90a

// A residual norm site whose normalized tensor has another user.
// SM100-LABEL: func.func @site(
// SM100-SAME: %[[X:[^:]*]]: tensor<?x256xbf16>, %[[RES:[^:]*]]: tensor<?x256xbf16>, %[[W:[^:]*]]: tensor<256xbf16>, %[[B:[^:]*]]: tensor<128x256xf8E4M3FN>, %[[SB:[^:]*]]: tensor<1x2xf32, #vllm.scales<block 128x128, f32>>)
// SM100-NEXT: %[[Q:.*]], %[[S:.*]], %[[RO:.*]], %[[N:.*]] = vllm.rms_norm_quant %[[X]], %[[W]] residual(%[[RES]]) as <per_group 128, ue8m0_packed, mn_major, align 4> {epsilon = 9.99999997E-7 : f32} : (tensor<?x256xbf16>, tensor<256xbf16>, tensor<?x256xbf16>) -> (tensor<?x256xf8E4M3FN>, tensor<1x?xi32, #vllm.scales<group 128, ue8m0_packed, mn_major, align 4>>, tensor<?x256xbf16>, tensor<?x256xbf16>)
// SM100-NEXT: %[[D:.*]] = vllm.scaled_matmul %[[Q]], %[[B]] scales(%[[S]], %[[SB]]) chip <sm_100a>
// SM100-NEXT: return %[[D]], %[[RO]], %[[N]]
// SM90-LABEL: func.func @site(
// SM90-NEXT: %[[Q:.*]], %[[S:.*]], %[[RO:.*]], %[[N:.*]] = vllm.rms_norm_quant %{{.*}}, %{{.*}} residual(%{{.*}}) as <per_group 128, f32, mn_major, align 4> {epsilon = 9.99999997E-7 : f32} : (tensor<?x256xbf16>, tensor<256xbf16>, tensor<?x256xbf16>) -> (tensor<?x256xf8E4M3FN>, tensor<2x?xf32, #vllm.scales<group 128, f32, mn_major, align 4>>, tensor<?x256xbf16>, tensor<?x256xbf16>)
// SM90-NEXT: %[[D:.*]] = vllm.scaled_matmul %[[Q]], %{{.*}} scales(%[[S]], %{{.*}}) chip <sm_90a>
// SM90-NEXT: return %[[D]], %[[RO]], %[[N]]
func.func @site(%x: tensor<?x256xbf16>, %res: tensor<?x256xbf16>, %w: tensor<256xbf16>, %b: tensor<128x256xf8E4M3FN>, %sb: tensor<1x2xf32, #vllm.scales<block 128x128, f32>>) -> (tensor<?x128xbf16>, tensor<?x256xbf16>, tensor<?x256xbf16>) {
  %y, %r = vllm.fused_add_rms_norm %x, %res, %w {epsilon = 1.0e-06 : f32} : (tensor<?x256xbf16>, tensor<?x256xbf16>, tensor<256xbf16>) -> (tensor<?x256xbf16>, tensor<?x256xbf16>)
  %q, %s = vllm.quantize %y as <per_group 128, f32, row_major> : tensor<?x256xbf16> -> tensor<?x256xf8E4M3FN>, tensor<?x2xf32, #vllm.scales<group 128, f32, row_major>>
  %d = vllm.scaled_matmul %q, %b scales(%s, %sb) : (tensor<?x256xf8E4M3FN>, tensor<128x256xf8E4M3FN>, tensor<?x2xf32, #vllm.scales<group 128, f32, row_major>>, tensor<1x2xf32, #vllm.scales<block 128x128, f32>>) -> tensor<?x128xbf16>
  return %d, %r, %y : tensor<?x128xbf16>, tensor<?x256xbf16>, tensor<?x256xbf16>
}

// -----

// UE8M0 in f32 on a batch-shaped norm: packed on sm_100a, kept UE8M0 (in
// f32, MN-major align 4) on sm_90a.
// SM100-LABEL: func.func @batch_site(
// SM100: %[[XC:.*]] = tensor.collapse_shape
// SM100-NEXT: %[[Q:.*]], %[[S:.*]] = vllm.rms_norm_quant %[[XC]], %{{.*}} as <per_group 128, ue8m0_packed, mn_major, align 4>
// SM100-NEXT: vllm.scaled_matmul %[[Q]], %{{.*}} scales(%[[S]], %{{.*}}) chip <sm_100a>
// SM90-LABEL: func.func @batch_site(
// SM90: %[[XC:.*]] = tensor.collapse_shape
// SM90-NEXT: %[[Q:.*]], %[[S:.*]] = vllm.rms_norm_quant %[[XC]], %{{.*}} as <per_group 128, ue8m0_f32, mn_major, align 4>
// SM90-NEXT: vllm.scaled_matmul %[[Q]], %{{.*}} scales(%[[S]], %{{.*}}) chip <sm_90a>
func.func @batch_site(%x: tensor<4x?x256xbf16>, %w: tensor<256xbf16>, %b: tensor<128x256xf8E4M3FN>, %sb: tensor<1x2xf32, #vllm.scales<block 128x128, f32>>) -> tensor<?x128xbf16> {
  %y = vllm.rms_norm %x, %w {epsilon = 1.0e-06 : f32} : (tensor<4x?x256xbf16>, tensor<256xbf16>) -> tensor<4x?x256xbf16>
  %yc = tensor.collapse_shape %y [[0, 1], [2]] : tensor<4x?x256xbf16> into tensor<?x256xbf16>
  %q, %s = vllm.quantize %yc as <per_group 128, ue8m0_f32, row_major> : tensor<?x256xbf16> -> tensor<?x256xf8E4M3FN>, tensor<?x2xf32, #vllm.scales<group 128, ue8m0_f32, row_major>>
  %d = vllm.scaled_matmul %q, %b scales(%s, %sb) : (tensor<?x256xf8E4M3FN>, tensor<128x256xf8E4M3FN>, tensor<?x2xf32, #vllm.scales<group 128, ue8m0_f32, row_major>>, tensor<1x2xf32, #vllm.scales<block 128x128, f32>>) -> tensor<?x128xbf16>
  return %d : tensor<?x128xbf16>
}

// -----

// A per-token site: the scheme stays, only the chip is recorded.
// SM100-LABEL: func.func @per_token_site(
// SM100-NEXT: %[[Q:.*]], %[[S:.*]] = vllm.rms_norm_quant %{{.*}}, %{{.*}} as <per_token>
// SM100-NEXT: vllm.scaled_matmul %[[Q]], %{{.*}} scales(%[[S]], %{{.*}}) chip <sm_100a>
// SM90-LABEL: func.func @per_token_site(
// SM90-NEXT: %[[Q:.*]], %[[S:.*]] = vllm.rms_norm_quant %{{.*}}, %{{.*}} as <per_token>
// SM90-NEXT: vllm.scaled_matmul %[[Q]], %{{.*}} scales(%[[S]], %{{.*}}) chip <sm_90a>
func.func @per_token_site(%x: tensor<?x256xbf16>, %w: tensor<256xbf16>, %b: tensor<128x256xf8E4M3FN>, %sb: tensor<128xf32, #vllm.scales<row>>) -> tensor<?x128xbf16> {
  %y = vllm.rms_norm %x, %w {epsilon = 1.0e-06 : f32} : (tensor<?x256xbf16>, tensor<256xbf16>) -> tensor<?x256xbf16>
  %q, %s = vllm.quantize %y as <per_token> : tensor<?x256xbf16> -> tensor<?x256xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>
  %d = vllm.scaled_matmul %q, %b scales(%s, %sb) : (tensor<?x256xf8E4M3FN>, tensor<128x256xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>, tensor<128xf32, #vllm.scales<row>>) -> tensor<?x128xbf16>
  return %d : tensor<?x128xbf16>
}
