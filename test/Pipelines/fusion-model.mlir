// The fusion pipeline on a transformer-shaped graph: 4 layers, each with
// two norm -> quantize -> scaled_matmul sites (attention input, MLP input)
// and two quantizes of non-norm activations (o_proj, down_proj), a residual
// chain through every fused_add_rms_norm, and a final norm without a
// quantize. Every norm site fuses and every scale is packed for sm_100a.
//
// Op counts before:
// RUN: grep -v '^//' %s | grep "= vllm.rms_norm %" | count 1
// RUN: grep -v '^//' %s | grep "= vllm.fused_add_rms_norm %" | count 8
// RUN: grep -v '^//' %s | grep "= vllm.quantize %" | count 16
// RUN: grep -v '^//' %s | grep "= vllm.scaled_matmul %" | count 16
// and after (the 8 norm sites become 8 fused ops; o/down quantizes stay):
// RUN: vllm-opt %s --vllm-fusion-pipeline=chip=sm_100a > %t
// RUN: grep "= vllm.rms_norm_quant %" %t | count 8
// RUN: FileCheck %s --check-prefix=NO-NORM < %t
// RUN: grep "= vllm.fused_add_rms_norm %" %t | count 1
// RUN: grep "= vllm.quantize %" %t | count 8
// RUN: grep "= vllm.scaled_matmul .* chip <sm_100a>" %t | count 16
// RUN: grep "as <per_group 128, ue8m0_packed, mn_major, align 4>" %t | count 16
// and the structure, layer by layer:
// RUN: FileCheck %s < %t

// NO-NORM-NOT: = vllm.rms_norm %

// CHECK-LABEL: func.func @model(
// CHECK-SAME: %[[H0:[^:]*]]: tensor<?x256xbf16>
// CHECK-SAME: %[[LN1_0:[^:]*]]: tensor<256xbf16>, %[[LN2_0:[^:]*]]: tensor<256xbf16>
// CHECK-SAME: %[[LN1_1:[^:]*]]: tensor<256xbf16>, %[[LN2_1:[^:]*]]: tensor<256xbf16>
// CHECK-SAME: %[[LN1_2:[^:]*]]: tensor<256xbf16>, %[[LN2_2:[^:]*]]: tensor<256xbf16>
// CHECK-SAME: %[[LN1_3:[^:]*]]: tensor<256xbf16>, %[[LN2_3:[^:]*]]: tensor<256xbf16>
// CHECK-SAME: %[[LNF:[^:]*]]: tensor<256xbf16>
// Layer 0: attention input norm (fused with its quantize), qkv, o_proj.
// CHECK: %[[Q1_0:.*]], %[[S1_0:.*]] = vllm.rms_norm_quant %[[H0]], %[[LN1_0]] as <per_group 128, ue8m0_packed, mn_major, align 4>
// CHECK-NEXT: %[[A_0:.*]] = vllm.scaled_matmul %[[Q1_0]], %{{.*}} scales(%[[S1_0]], %{{.*}}) chip <sm_100a>
// CHECK-NEXT: %[[QO_0:.*]], %[[SO_0:.*]] = vllm.quantize %[[A_0]] as <per_group 128, ue8m0_packed, mn_major, align 4>
// CHECK-NEXT: %[[O_0:.*]] = vllm.scaled_matmul %[[QO_0]], %{{.*}} scales(%[[SO_0]], %{{.*}}) chip <sm_100a>
// Layer 0: post-attention fused_add norm on the residual chain, MLP.
// CHECK-NEXT: %[[Q2_0:.*]], %[[S2_0:.*]], %[[R2_0:.*]] = vllm.rms_norm_quant %[[O_0]], %[[LN2_0]] residual(%[[H0]]) as <per_group 128, ue8m0_packed, mn_major, align 4>
// CHECK-NEXT: %[[U_0:.*]] = vllm.scaled_matmul %[[Q2_0]], %{{.*}} scales(%[[S2_0]], %{{.*}}) chip <sm_100a>
// CHECK-NEXT: %[[QD_0:.*]], %[[SD_0:.*]] = vllm.quantize %[[U_0]] as <per_group 128, ue8m0_packed, mn_major, align 4>
// CHECK-NEXT: %[[D_0:.*]] = vllm.scaled_matmul %[[QD_0]], %{{.*}} scales(%[[SD_0]], %{{.*}}) chip <sm_100a>
// Layer 1: attention input norm (fused with its quantize), qkv, o_proj.
// CHECK: %[[Q1_1:.*]], %[[S1_1:.*]], %[[R1_1:.*]] = vllm.rms_norm_quant %[[D_0]], %[[LN1_1]] residual(%[[R2_0]]) as <per_group 128, ue8m0_packed, mn_major, align 4>
// CHECK-NEXT: %[[A_1:.*]] = vllm.scaled_matmul %[[Q1_1]], %{{.*}} scales(%[[S1_1]], %{{.*}}) chip <sm_100a>
// CHECK-NEXT: %[[QO_1:.*]], %[[SO_1:.*]] = vllm.quantize %[[A_1]] as <per_group 128, ue8m0_packed, mn_major, align 4>
// CHECK-NEXT: %[[O_1:.*]] = vllm.scaled_matmul %[[QO_1]], %{{.*}} scales(%[[SO_1]], %{{.*}}) chip <sm_100a>
// Layer 1: post-attention fused_add norm on the residual chain, MLP.
// CHECK-NEXT: %[[Q2_1:.*]], %[[S2_1:.*]], %[[R2_1:.*]] = vllm.rms_norm_quant %[[O_1]], %[[LN2_1]] residual(%[[R1_1]]) as <per_group 128, ue8m0_packed, mn_major, align 4>
// CHECK-NEXT: %[[U_1:.*]] = vllm.scaled_matmul %[[Q2_1]], %{{.*}} scales(%[[S2_1]], %{{.*}}) chip <sm_100a>
// CHECK-NEXT: %[[QD_1:.*]], %[[SD_1:.*]] = vllm.quantize %[[U_1]] as <per_group 128, ue8m0_packed, mn_major, align 4>
// CHECK-NEXT: %[[D_1:.*]] = vllm.scaled_matmul %[[QD_1]], %{{.*}} scales(%[[SD_1]], %{{.*}}) chip <sm_100a>
// Layer 2: attention input norm (fused with its quantize), qkv, o_proj.
// CHECK: %[[Q1_2:.*]], %[[S1_2:.*]], %[[R1_2:.*]] = vllm.rms_norm_quant %[[D_1]], %[[LN1_2]] residual(%[[R2_1]]) as <per_group 128, ue8m0_packed, mn_major, align 4>
// CHECK-NEXT: %[[A_2:.*]] = vllm.scaled_matmul %[[Q1_2]], %{{.*}} scales(%[[S1_2]], %{{.*}}) chip <sm_100a>
// CHECK-NEXT: %[[QO_2:.*]], %[[SO_2:.*]] = vllm.quantize %[[A_2]] as <per_group 128, ue8m0_packed, mn_major, align 4>
// CHECK-NEXT: %[[O_2:.*]] = vllm.scaled_matmul %[[QO_2]], %{{.*}} scales(%[[SO_2]], %{{.*}}) chip <sm_100a>
// Layer 2: post-attention fused_add norm on the residual chain, MLP.
// CHECK-NEXT: %[[Q2_2:.*]], %[[S2_2:.*]], %[[R2_2:.*]] = vllm.rms_norm_quant %[[O_2]], %[[LN2_2]] residual(%[[R1_2]]) as <per_group 128, ue8m0_packed, mn_major, align 4>
// CHECK-NEXT: %[[U_2:.*]] = vllm.scaled_matmul %[[Q2_2]], %{{.*}} scales(%[[S2_2]], %{{.*}}) chip <sm_100a>
// CHECK-NEXT: %[[QD_2:.*]], %[[SD_2:.*]] = vllm.quantize %[[U_2]] as <per_group 128, ue8m0_packed, mn_major, align 4>
// CHECK-NEXT: %[[D_2:.*]] = vllm.scaled_matmul %[[QD_2]], %{{.*}} scales(%[[SD_2]], %{{.*}}) chip <sm_100a>
// Layer 3: attention input norm (fused with its quantize), qkv, o_proj.
// CHECK: %[[Q1_3:.*]], %[[S1_3:.*]], %[[R1_3:.*]] = vllm.rms_norm_quant %[[D_2]], %[[LN1_3]] residual(%[[R2_2]]) as <per_group 128, ue8m0_packed, mn_major, align 4>
// CHECK-NEXT: %[[A_3:.*]] = vllm.scaled_matmul %[[Q1_3]], %{{.*}} scales(%[[S1_3]], %{{.*}}) chip <sm_100a>
// CHECK-NEXT: %[[QO_3:.*]], %[[SO_3:.*]] = vllm.quantize %[[A_3]] as <per_group 128, ue8m0_packed, mn_major, align 4>
// CHECK-NEXT: %[[O_3:.*]] = vllm.scaled_matmul %[[QO_3]], %{{.*}} scales(%[[SO_3]], %{{.*}}) chip <sm_100a>
// Layer 3: post-attention fused_add norm on the residual chain, MLP.
// CHECK-NEXT: %[[Q2_3:.*]], %[[S2_3:.*]], %[[R2_3:.*]] = vllm.rms_norm_quant %[[O_3]], %[[LN2_3]] residual(%[[R1_3]]) as <per_group 128, ue8m0_packed, mn_major, align 4>
// CHECK-NEXT: %[[U_3:.*]] = vllm.scaled_matmul %[[Q2_3]], %{{.*}} scales(%[[S2_3]], %{{.*}}) chip <sm_100a>
// CHECK-NEXT: %[[QD_3:.*]], %[[SD_3:.*]] = vllm.quantize %[[U_3]] as <per_group 128, ue8m0_packed, mn_major, align 4>
// CHECK-NEXT: %[[D_3:.*]] = vllm.scaled_matmul %[[QD_3]], %{{.*}} scales(%[[SD_3]], %{{.*}}) chip <sm_100a>
// The final norm has no quantize and stays.
// CHECK-NEXT: %[[YF:.*]], %{{.*}} = vllm.fused_add_rms_norm %[[D_3]], %[[R2_3]], %[[LNF]]
// CHECK-NEXT: return %[[YF]]
func.func @model(%h0: tensor<?x256xbf16>,
    %ln1_0: tensor<256xbf16>,
    %ln2_0: tensor<256xbf16>,
    %ln1_1: tensor<256xbf16>,
    %ln2_1: tensor<256xbf16>,
    %ln1_2: tensor<256xbf16>,
    %ln2_2: tensor<256xbf16>,
    %ln1_3: tensor<256xbf16>,
    %ln2_3: tensor<256xbf16>,
    %lnf: tensor<256xbf16>,
    %w_qkv: tensor<256x256xf8E4M3FN>,
    %s_qkv: tensor<2x2xf32, #vllm.scales<block 128x128, f32>>,
    %w_o: tensor<256x256xf8E4M3FN>,
    %s_o: tensor<2x2xf32, #vllm.scales<block 128x128, f32>>,
    %w_up: tensor<512x256xf8E4M3FN>,
    %s_up: tensor<4x2xf32, #vllm.scales<block 128x128, f32>>,
    %w_down: tensor<256x512xf8E4M3FN>,
    %s_down: tensor<2x4xf32, #vllm.scales<block 128x128, f32>>) -> tensor<?x256xbf16> {
  // layer 0
  %y1_0 = vllm.rms_norm %h0, %ln1_0 {epsilon = 1.0e-06 : f32} : (tensor<?x256xbf16>, tensor<256xbf16>) -> tensor<?x256xbf16>
  %qkv_0_q, %qkv_0_s = vllm.quantize %y1_0 as <per_group 128, f32, row_major> : tensor<?x256xbf16> -> tensor<?x256xf8E4M3FN>, tensor<?x2xf32, #vllm.scales<group 128, f32, row_major>>
  %qkv_0 = vllm.scaled_matmul %qkv_0_q, %w_qkv scales(%qkv_0_s, %s_qkv) : (tensor<?x256xf8E4M3FN>, tensor<256x256xf8E4M3FN>, tensor<?x2xf32, #vllm.scales<group 128, f32, row_major>>, tensor<2x2xf32, #vllm.scales<block 128x128, f32>>) -> tensor<?x256xbf16>
  %o_0_q, %o_0_s = vllm.quantize %qkv_0 as <per_group 128, f32, row_major> : tensor<?x256xbf16> -> tensor<?x256xf8E4M3FN>, tensor<?x2xf32, #vllm.scales<group 128, f32, row_major>>
  %o_0 = vllm.scaled_matmul %o_0_q, %w_o scales(%o_0_s, %s_o) : (tensor<?x256xf8E4M3FN>, tensor<256x256xf8E4M3FN>, tensor<?x2xf32, #vllm.scales<group 128, f32, row_major>>, tensor<2x2xf32, #vllm.scales<block 128x128, f32>>) -> tensor<?x256xbf16>
  %y2_0, %r2_0 = vllm.fused_add_rms_norm %o_0, %h0, %ln2_0 {epsilon = 1.0e-06 : f32} : (tensor<?x256xbf16>, tensor<?x256xbf16>, tensor<256xbf16>) -> (tensor<?x256xbf16>, tensor<?x256xbf16>)
  %up_0_q, %up_0_s = vllm.quantize %y2_0 as <per_group 128, f32, row_major> : tensor<?x256xbf16> -> tensor<?x256xf8E4M3FN>, tensor<?x2xf32, #vllm.scales<group 128, f32, row_major>>
  %up_0 = vllm.scaled_matmul %up_0_q, %w_up scales(%up_0_s, %s_up) : (tensor<?x256xf8E4M3FN>, tensor<512x256xf8E4M3FN>, tensor<?x2xf32, #vllm.scales<group 128, f32, row_major>>, tensor<4x2xf32, #vllm.scales<block 128x128, f32>>) -> tensor<?x512xbf16>
  %down_0_q, %down_0_s = vllm.quantize %up_0 as <per_group 128, f32, row_major> : tensor<?x512xbf16> -> tensor<?x512xf8E4M3FN>, tensor<?x4xf32, #vllm.scales<group 128, f32, row_major>>
  %down_0 = vllm.scaled_matmul %down_0_q, %w_down scales(%down_0_s, %s_down) : (tensor<?x512xf8E4M3FN>, tensor<256x512xf8E4M3FN>, tensor<?x4xf32, #vllm.scales<group 128, f32, row_major>>, tensor<2x4xf32, #vllm.scales<block 128x128, f32>>) -> tensor<?x256xbf16>
  // layer 1
  %y1_1, %r1_1 = vllm.fused_add_rms_norm %down_0, %r2_0, %ln1_1 {epsilon = 1.0e-06 : f32} : (tensor<?x256xbf16>, tensor<?x256xbf16>, tensor<256xbf16>) -> (tensor<?x256xbf16>, tensor<?x256xbf16>)
  %qkv_1_q, %qkv_1_s = vllm.quantize %y1_1 as <per_group 128, f32, row_major> : tensor<?x256xbf16> -> tensor<?x256xf8E4M3FN>, tensor<?x2xf32, #vllm.scales<group 128, f32, row_major>>
  %qkv_1 = vllm.scaled_matmul %qkv_1_q, %w_qkv scales(%qkv_1_s, %s_qkv) : (tensor<?x256xf8E4M3FN>, tensor<256x256xf8E4M3FN>, tensor<?x2xf32, #vllm.scales<group 128, f32, row_major>>, tensor<2x2xf32, #vllm.scales<block 128x128, f32>>) -> tensor<?x256xbf16>
  %o_1_q, %o_1_s = vllm.quantize %qkv_1 as <per_group 128, f32, row_major> : tensor<?x256xbf16> -> tensor<?x256xf8E4M3FN>, tensor<?x2xf32, #vllm.scales<group 128, f32, row_major>>
  %o_1 = vllm.scaled_matmul %o_1_q, %w_o scales(%o_1_s, %s_o) : (tensor<?x256xf8E4M3FN>, tensor<256x256xf8E4M3FN>, tensor<?x2xf32, #vllm.scales<group 128, f32, row_major>>, tensor<2x2xf32, #vllm.scales<block 128x128, f32>>) -> tensor<?x256xbf16>
  %y2_1, %r2_1 = vllm.fused_add_rms_norm %o_1, %r1_1, %ln2_1 {epsilon = 1.0e-06 : f32} : (tensor<?x256xbf16>, tensor<?x256xbf16>, tensor<256xbf16>) -> (tensor<?x256xbf16>, tensor<?x256xbf16>)
  %up_1_q, %up_1_s = vllm.quantize %y2_1 as <per_group 128, f32, row_major> : tensor<?x256xbf16> -> tensor<?x256xf8E4M3FN>, tensor<?x2xf32, #vllm.scales<group 128, f32, row_major>>
  %up_1 = vllm.scaled_matmul %up_1_q, %w_up scales(%up_1_s, %s_up) : (tensor<?x256xf8E4M3FN>, tensor<512x256xf8E4M3FN>, tensor<?x2xf32, #vllm.scales<group 128, f32, row_major>>, tensor<4x2xf32, #vllm.scales<block 128x128, f32>>) -> tensor<?x512xbf16>
  %down_1_q, %down_1_s = vllm.quantize %up_1 as <per_group 128, f32, row_major> : tensor<?x512xbf16> -> tensor<?x512xf8E4M3FN>, tensor<?x4xf32, #vllm.scales<group 128, f32, row_major>>
  %down_1 = vllm.scaled_matmul %down_1_q, %w_down scales(%down_1_s, %s_down) : (tensor<?x512xf8E4M3FN>, tensor<256x512xf8E4M3FN>, tensor<?x4xf32, #vllm.scales<group 128, f32, row_major>>, tensor<2x4xf32, #vllm.scales<block 128x128, f32>>) -> tensor<?x256xbf16>
  // layer 2
  %y1_2, %r1_2 = vllm.fused_add_rms_norm %down_1, %r2_1, %ln1_2 {epsilon = 1.0e-06 : f32} : (tensor<?x256xbf16>, tensor<?x256xbf16>, tensor<256xbf16>) -> (tensor<?x256xbf16>, tensor<?x256xbf16>)
  %qkv_2_q, %qkv_2_s = vllm.quantize %y1_2 as <per_group 128, f32, row_major> : tensor<?x256xbf16> -> tensor<?x256xf8E4M3FN>, tensor<?x2xf32, #vllm.scales<group 128, f32, row_major>>
  %qkv_2 = vllm.scaled_matmul %qkv_2_q, %w_qkv scales(%qkv_2_s, %s_qkv) : (tensor<?x256xf8E4M3FN>, tensor<256x256xf8E4M3FN>, tensor<?x2xf32, #vllm.scales<group 128, f32, row_major>>, tensor<2x2xf32, #vllm.scales<block 128x128, f32>>) -> tensor<?x256xbf16>
  %o_2_q, %o_2_s = vllm.quantize %qkv_2 as <per_group 128, f32, row_major> : tensor<?x256xbf16> -> tensor<?x256xf8E4M3FN>, tensor<?x2xf32, #vllm.scales<group 128, f32, row_major>>
  %o_2 = vllm.scaled_matmul %o_2_q, %w_o scales(%o_2_s, %s_o) : (tensor<?x256xf8E4M3FN>, tensor<256x256xf8E4M3FN>, tensor<?x2xf32, #vllm.scales<group 128, f32, row_major>>, tensor<2x2xf32, #vllm.scales<block 128x128, f32>>) -> tensor<?x256xbf16>
  %y2_2, %r2_2 = vllm.fused_add_rms_norm %o_2, %r1_2, %ln2_2 {epsilon = 1.0e-06 : f32} : (tensor<?x256xbf16>, tensor<?x256xbf16>, tensor<256xbf16>) -> (tensor<?x256xbf16>, tensor<?x256xbf16>)
  %up_2_q, %up_2_s = vllm.quantize %y2_2 as <per_group 128, f32, row_major> : tensor<?x256xbf16> -> tensor<?x256xf8E4M3FN>, tensor<?x2xf32, #vllm.scales<group 128, f32, row_major>>
  %up_2 = vllm.scaled_matmul %up_2_q, %w_up scales(%up_2_s, %s_up) : (tensor<?x256xf8E4M3FN>, tensor<512x256xf8E4M3FN>, tensor<?x2xf32, #vllm.scales<group 128, f32, row_major>>, tensor<4x2xf32, #vllm.scales<block 128x128, f32>>) -> tensor<?x512xbf16>
  %down_2_q, %down_2_s = vllm.quantize %up_2 as <per_group 128, f32, row_major> : tensor<?x512xbf16> -> tensor<?x512xf8E4M3FN>, tensor<?x4xf32, #vllm.scales<group 128, f32, row_major>>
  %down_2 = vllm.scaled_matmul %down_2_q, %w_down scales(%down_2_s, %s_down) : (tensor<?x512xf8E4M3FN>, tensor<256x512xf8E4M3FN>, tensor<?x4xf32, #vllm.scales<group 128, f32, row_major>>, tensor<2x4xf32, #vllm.scales<block 128x128, f32>>) -> tensor<?x256xbf16>
  // layer 3
  %y1_3, %r1_3 = vllm.fused_add_rms_norm %down_2, %r2_2, %ln1_3 {epsilon = 1.0e-06 : f32} : (tensor<?x256xbf16>, tensor<?x256xbf16>, tensor<256xbf16>) -> (tensor<?x256xbf16>, tensor<?x256xbf16>)
  %qkv_3_q, %qkv_3_s = vllm.quantize %y1_3 as <per_group 128, f32, row_major> : tensor<?x256xbf16> -> tensor<?x256xf8E4M3FN>, tensor<?x2xf32, #vllm.scales<group 128, f32, row_major>>
  %qkv_3 = vllm.scaled_matmul %qkv_3_q, %w_qkv scales(%qkv_3_s, %s_qkv) : (tensor<?x256xf8E4M3FN>, tensor<256x256xf8E4M3FN>, tensor<?x2xf32, #vllm.scales<group 128, f32, row_major>>, tensor<2x2xf32, #vllm.scales<block 128x128, f32>>) -> tensor<?x256xbf16>
  %o_3_q, %o_3_s = vllm.quantize %qkv_3 as <per_group 128, f32, row_major> : tensor<?x256xbf16> -> tensor<?x256xf8E4M3FN>, tensor<?x2xf32, #vllm.scales<group 128, f32, row_major>>
  %o_3 = vllm.scaled_matmul %o_3_q, %w_o scales(%o_3_s, %s_o) : (tensor<?x256xf8E4M3FN>, tensor<256x256xf8E4M3FN>, tensor<?x2xf32, #vllm.scales<group 128, f32, row_major>>, tensor<2x2xf32, #vllm.scales<block 128x128, f32>>) -> tensor<?x256xbf16>
  %y2_3, %r2_3 = vllm.fused_add_rms_norm %o_3, %r1_3, %ln2_3 {epsilon = 1.0e-06 : f32} : (tensor<?x256xbf16>, tensor<?x256xbf16>, tensor<256xbf16>) -> (tensor<?x256xbf16>, tensor<?x256xbf16>)
  %up_3_q, %up_3_s = vllm.quantize %y2_3 as <per_group 128, f32, row_major> : tensor<?x256xbf16> -> tensor<?x256xf8E4M3FN>, tensor<?x2xf32, #vllm.scales<group 128, f32, row_major>>
  %up_3 = vllm.scaled_matmul %up_3_q, %w_up scales(%up_3_s, %s_up) : (tensor<?x256xf8E4M3FN>, tensor<512x256xf8E4M3FN>, tensor<?x2xf32, #vllm.scales<group 128, f32, row_major>>, tensor<4x2xf32, #vllm.scales<block 128x128, f32>>) -> tensor<?x512xbf16>
  %down_3_q, %down_3_s = vllm.quantize %up_3 as <per_group 128, f32, row_major> : tensor<?x512xbf16> -> tensor<?x512xf8E4M3FN>, tensor<?x4xf32, #vllm.scales<group 128, f32, row_major>>
  %down_3 = vllm.scaled_matmul %down_3_q, %w_down scales(%down_3_s, %s_down) : (tensor<?x512xf8E4M3FN>, tensor<256x512xf8E4M3FN>, tensor<?x4xf32, #vllm.scales<group 128, f32, row_major>>, tensor<2x4xf32, #vllm.scales<block 128x128, f32>>) -> tensor<?x256xbf16>
  %yf, %rf = vllm.fused_add_rms_norm %down_3, %r2_3, %lnf {epsilon = 1.0e-06 : f32} : (tensor<?x256xbf16>, tensor<?x256xbf16>, tensor<256xbf16>) -> (tensor<?x256xbf16>, tensor<?x256xbf16>)
  return %yf : tensor<?x256xbf16>
}
