// Round-trip of every vllm op and attribute form, in the custom syntax and
// through the generic form.
// RUN: vllm-opt %s -split-input-file | vllm-opt -split-input-file | FileCheck %s
// RUN: vllm-opt %s -split-input-file -mlir-print-op-generic | vllm-opt -split-input-file | FileCheck %s

// CHECK-LABEL: func.func @rms_norm
// CHECK-SAME: (%[[X:.*]]: tensor<?x7168xbf16>, %[[W:.*]]: tensor<7168xbf16>)
// CHECK: vllm.rms_norm %[[X]], %[[W]] {epsilon = 9.99999997E-7 : f32} : (tensor<?x7168xbf16>, tensor<7168xbf16>) -> tensor<?x7168xbf16>
func.func @rms_norm(%x: tensor<?x7168xbf16>, %w: tensor<7168xbf16>) -> tensor<?x7168xbf16> {
  %y = vllm.rms_norm %x, %w {epsilon = 1.0e-06 : f32} : (tensor<?x7168xbf16>, tensor<7168xbf16>) -> tensor<?x7168xbf16>
  return %y : tensor<?x7168xbf16>
}

// -----

// Leading batch dimensions, f16 and f32, any positive epsilon (C2).
// CHECK-LABEL: func.func @rms_norm_batched
// CHECK: vllm.rms_norm %{{.*}}, %{{.*}} {epsilon = 3.000000e-02 : f32} : (tensor<2x?x4096xf16>, tensor<4096xf16>) -> tensor<2x?x4096xf16>
// CHECK: vllm.rms_norm %{{.*}}, %{{.*}} {epsilon = 9.99999974E-6 : f32} : (tensor<5x1000xf32>, tensor<1000xf32>) -> tensor<5x1000xf32>
func.func @rms_norm_batched(%x: tensor<2x?x4096xf16>, %w: tensor<4096xf16>, %x2: tensor<5x1000xf32>, %w2: tensor<1000xf32>) -> (tensor<2x?x4096xf16>, tensor<5x1000xf32>) {
  %y = vllm.rms_norm %x, %w {epsilon = 3.0e-02 : f32} : (tensor<2x?x4096xf16>, tensor<4096xf16>) -> tensor<2x?x4096xf16>
  %y2 = vllm.rms_norm %x2, %w2 {epsilon = 1.0e-05 : f32} : (tensor<5x1000xf32>, tensor<1000xf32>) -> tensor<5x1000xf32>
  return %y, %y2 : tensor<2x?x4096xf16>, tensor<5x1000xf32>
}

// -----

// CHECK-LABEL: func.func @fused_add_rms_norm
// CHECK-SAME: (%[[X:.*]]: tensor<?x7168xbf16>, %[[R:.*]]: tensor<?x7168xbf16>, %[[W:.*]]: tensor<7168xbf16>)
// CHECK: %[[Y:.*]], %[[RO:.*]] = vllm.fused_add_rms_norm %[[X]], %[[R]], %[[W]] {epsilon = 9.99999997E-7 : f32}
// CHECK-SAME: : (tensor<?x7168xbf16>, tensor<?x7168xbf16>, tensor<7168xbf16>) -> (tensor<?x7168xbf16>, tensor<?x7168xbf16>)
// CHECK: return %[[Y]], %[[RO]]
func.func @fused_add_rms_norm(%x: tensor<?x7168xbf16>, %r: tensor<?x7168xbf16>, %w: tensor<7168xbf16>) -> (tensor<?x7168xbf16>, tensor<?x7168xbf16>) {
  %y, %ro = vllm.fused_add_rms_norm %x, %r, %w {epsilon = 1.0e-06 : f32} : (tensor<?x7168xbf16>, tensor<?x7168xbf16>, tensor<7168xbf16>) -> (tensor<?x7168xbf16>, tensor<?x7168xbf16>)
  return %y, %ro : tensor<?x7168xbf16>, tensor<?x7168xbf16>
}

// -----

// Every quantization scheme, and every scale encoding and layout of the
// per-group scheme.
// CHECK-LABEL: func.func @quantize_schemes
// CHECK-SAME: (%[[Y:[^:]*]]: tensor<?x256xbf16>, %[[S:.*]]: tensor<1xf32, #vllm.scales<tensor>>)
// CHECK: vllm.quantize %[[Y]] scale(%[[S]] : tensor<1xf32, #vllm.scales<tensor>>) as <static_per_tensor> : tensor<?x256xbf16> -> tensor<?x256xf8E4M3FN>, tensor<1xf32, #vllm.scales<tensor>>
// CHECK: vllm.quantize %[[Y]] as <dynamic_per_tensor> : tensor<?x256xbf16> -> tensor<?x256xf8E4M3FN>, tensor<1xf32, #vllm.scales<tensor>>
// CHECK: vllm.quantize %[[Y]] as <per_token> : tensor<?x256xbf16> -> tensor<?x256xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>
// CHECK: vllm.quantize %[[Y]] as <per_token, upper_bound = 1.200000e+03> : tensor<?x256xbf16> -> tensor<?x256xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>
// CHECK: vllm.quantize %[[Y]] as <per_group 128, f32, row_major> : tensor<?x256xbf16> -> tensor<?x256xf8E4M3FN>, tensor<?x2xf32, #vllm.scales<group 128, f32, row_major>>
// CHECK: vllm.quantize %[[Y]] as <per_group 64, f32, mn_major> : tensor<?x256xbf16> -> tensor<?x256xf8E4M3FN>, tensor<4x?xf32, #vllm.scales<group 64, f32, mn_major>>
// CHECK: vllm.quantize %[[Y]] as <per_group 32, f32, mn_major, align 4> : tensor<?x256xbf16> -> tensor<?x256xf8E4M3FN>, tensor<8x?xf32, #vllm.scales<group 32, f32, mn_major, align 4>>
// CHECK: vllm.quantize %[[Y]] as <per_group 128, ue8m0_f32, row_major> : tensor<?x256xbf16> -> tensor<?x256xf8E4M3FN>, tensor<?x2xf32, #vllm.scales<group 128, ue8m0_f32, row_major>>
// CHECK: vllm.quantize %[[Y]] as <per_group 128, ue8m0_f32, mn_major, align 4> : tensor<?x256xbf16> -> tensor<?x256xf8E4M3FN>, tensor<2x?xf32, #vllm.scales<group 128, ue8m0_f32, mn_major, align 4>>
// CHECK: vllm.quantize %[[Y]] as <per_group 128, ue8m0_packed, mn_major, align 4> : tensor<?x256xbf16> -> tensor<?x256xf8E4M3FN>, tensor<1x?xi32, #vllm.scales<group 128, ue8m0_packed, mn_major, align 4>>
func.func @quantize_schemes(%y: tensor<?x256xbf16>, %s: tensor<1xf32, #vllm.scales<tensor>>) {
  %q0, %s0 = vllm.quantize %y scale(%s : tensor<1xf32, #vllm.scales<tensor>>) as <static_per_tensor> : tensor<?x256xbf16> -> tensor<?x256xf8E4M3FN>, tensor<1xf32, #vllm.scales<tensor>>
  %q1, %s1 = vllm.quantize %y as <dynamic_per_tensor> : tensor<?x256xbf16> -> tensor<?x256xf8E4M3FN>, tensor<1xf32, #vllm.scales<tensor>>
  %q2, %s2 = vllm.quantize %y as <per_token> : tensor<?x256xbf16> -> tensor<?x256xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>
  %q3, %s3 = vllm.quantize %y as <per_token, upper_bound = 1200.0> : tensor<?x256xbf16> -> tensor<?x256xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>
  %q4, %s4 = vllm.quantize %y as <per_group 128, f32, row_major> : tensor<?x256xbf16> -> tensor<?x256xf8E4M3FN>, tensor<?x2xf32, #vllm.scales<group 128, f32, row_major>>
  %q5, %s5 = vllm.quantize %y as <per_group 64, f32, mn_major> : tensor<?x256xbf16> -> tensor<?x256xf8E4M3FN>, tensor<4x?xf32, #vllm.scales<group 64, f32, mn_major>>
  %q6, %s6 = vllm.quantize %y as <per_group 32, f32, mn_major, align 4> : tensor<?x256xbf16> -> tensor<?x256xf8E4M3FN>, tensor<8x?xf32, #vllm.scales<group 32, f32, mn_major, align 4>>
  %q7, %s7 = vllm.quantize %y as <per_group 128, ue8m0_f32, row_major> : tensor<?x256xbf16> -> tensor<?x256xf8E4M3FN>, tensor<?x2xf32, #vllm.scales<group 128, ue8m0_f32, row_major>>
  %q8, %s8 = vllm.quantize %y as <per_group 128, ue8m0_f32, mn_major, align 4> : tensor<?x256xbf16> -> tensor<?x256xf8E4M3FN>, tensor<2x?xf32, #vllm.scales<group 128, ue8m0_f32, mn_major, align 4>>
  %q9, %s9 = vllm.quantize %y as <per_group 128, ue8m0_packed, mn_major, align 4> : tensor<?x256xbf16> -> tensor<?x256xf8E4M3FN>, tensor<1x?xi32, #vllm.scales<group 128, ue8m0_packed, mn_major, align 4>>
  return
}

// -----

// Static shapes: the padded row count of MN-major scales is roundup(M, align),
// and the packed word count is ceil(G / 4) (the SPEC 3.3 worked example:
// M = 257, H = 256 -> 1 x 260 words).
// CHECK-LABEL: func.func @quantize_static_shapes
// CHECK: tensor<257x256xf8E4M3FN>, tensor<1x260xi32, #vllm.scales<group 128, ue8m0_packed, mn_major, align 4>>
// CHECK: tensor<257x7168xf8E4M3FN>, tensor<56x260xf32, #vllm.scales<group 128, f32, mn_major, align 4>>
// CHECK: tensor<257x7168xf8E4M3FN>, tensor<56x257xf32, #vllm.scales<group 128, f32, mn_major>>
// CHECK: tensor<257x7168xf8E4M3FN>, tensor<14x260xi32, #vllm.scales<group 128, ue8m0_packed, mn_major, align 4>>
// CHECK: tensor<257x7168xf8E4M3FN>, tensor<257xf32, #vllm.scales<row>>
func.func @quantize_static_shapes(%y: tensor<257x256xbf16>, %z: tensor<257x7168xf16>) {
  %q0, %s0 = vllm.quantize %y as <per_group 128, ue8m0_packed, mn_major, align 4> : tensor<257x256xbf16> -> tensor<257x256xf8E4M3FN>, tensor<1x260xi32, #vllm.scales<group 128, ue8m0_packed, mn_major, align 4>>
  %q1, %s1 = vllm.quantize %z as <per_group 128, f32, mn_major, align 4> : tensor<257x7168xf16> -> tensor<257x7168xf8E4M3FN>, tensor<56x260xf32, #vllm.scales<group 128, f32, mn_major, align 4>>
  %q2, %s2 = vllm.quantize %z as <per_group 128, f32, mn_major> : tensor<257x7168xf16> -> tensor<257x7168xf8E4M3FN>, tensor<56x257xf32, #vllm.scales<group 128, f32, mn_major>>
  %q3, %s3 = vllm.quantize %z as <per_group 128, ue8m0_packed, mn_major, align 4> : tensor<257x7168xf16> -> tensor<257x7168xf8E4M3FN>, tensor<14x260xi32, #vllm.scales<group 128, ue8m0_packed, mn_major, align 4>>
  %q4, %s4 = vllm.quantize %z as <per_token> : tensor<257x7168xf16> -> tensor<257x7168xf8E4M3FN>, tensor<257xf32, #vllm.scales<row>>
  return
}

// -----

// The fused op: with and without residual, with the static scale operand,
// and with the optional normalized result.
// CHECK-LABEL: func.func @rms_norm_quant
// CHECK-SAME: (%[[X:[^:]*]]: tensor<?x7168xbf16>, %[[W:[^:]*]]: tensor<7168xbf16>, %[[R:[^:]*]]: tensor<?x7168xbf16>, %[[S:.*]]: tensor<1xf32, #vllm.scales<tensor>>)
// CHECK: vllm.rms_norm_quant %[[X]], %[[W]] as <per_group 128, ue8m0_packed, mn_major, align 4> {epsilon = 9.99999997E-7 : f32} : (tensor<?x7168xbf16>, tensor<7168xbf16>) -> (tensor<?x7168xf8E4M3FN>, tensor<14x?xi32, #vllm.scales<group 128, ue8m0_packed, mn_major, align 4>>)
// CHECK: vllm.rms_norm_quant %[[X]], %[[W]] residual(%[[R]]) as <per_group 128, f32, mn_major, align 4> {epsilon = 9.99999997E-7 : f32} : (tensor<?x7168xbf16>, tensor<7168xbf16>, tensor<?x7168xbf16>) -> (tensor<?x7168xf8E4M3FN>, tensor<56x?xf32, #vllm.scales<group 128, f32, mn_major, align 4>>, tensor<?x7168xbf16>)
// CHECK: vllm.rms_norm_quant %[[X]], %[[W]] residual(%[[R]]) scale(%[[S]]) as <static_per_tensor> {epsilon = 9.99999974E-6 : f32} : (tensor<?x7168xbf16>, tensor<7168xbf16>, tensor<?x7168xbf16>, tensor<1xf32, #vllm.scales<tensor>>) -> (tensor<?x7168xf8E4M3FN>, tensor<1xf32, #vllm.scales<tensor>>, tensor<?x7168xbf16>, tensor<?x7168xbf16>)
// CHECK: vllm.rms_norm_quant %[[X]], %[[W]] as <per_token, upper_bound = 1.000000e+02> {epsilon = 9.99999974E-6 : f32} : (tensor<?x7168xbf16>, tensor<7168xbf16>) -> (tensor<?x7168xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>, tensor<?x7168xbf16>)
func.func @rms_norm_quant(%x: tensor<?x7168xbf16>, %w: tensor<7168xbf16>, %r: tensor<?x7168xbf16>, %s: tensor<1xf32, #vllm.scales<tensor>>) {
  %q0, %s0 = vllm.rms_norm_quant %x, %w as <per_group 128, ue8m0_packed, mn_major, align 4> {epsilon = 1.0e-06 : f32} : (tensor<?x7168xbf16>, tensor<7168xbf16>) -> (tensor<?x7168xf8E4M3FN>, tensor<14x?xi32, #vllm.scales<group 128, ue8m0_packed, mn_major, align 4>>)
  %q1, %s1, %r1 = vllm.rms_norm_quant %x, %w residual(%r) as <per_group 128, f32, mn_major, align 4> {epsilon = 1.0e-06 : f32} : (tensor<?x7168xbf16>, tensor<7168xbf16>, tensor<?x7168xbf16>) -> (tensor<?x7168xf8E4M3FN>, tensor<56x?xf32, #vllm.scales<group 128, f32, mn_major, align 4>>, tensor<?x7168xbf16>)
  %q2, %s2, %r2, %n2 = vllm.rms_norm_quant %x, %w residual(%r) scale(%s) as <static_per_tensor> {epsilon = 1.0e-05 : f32} : (tensor<?x7168xbf16>, tensor<7168xbf16>, tensor<?x7168xbf16>, tensor<1xf32, #vllm.scales<tensor>>) -> (tensor<?x7168xf8E4M3FN>, tensor<1xf32, #vllm.scales<tensor>>, tensor<?x7168xbf16>, tensor<?x7168xbf16>)
  %q3, %s3, %n3 = vllm.rms_norm_quant %x, %w as <per_token, upper_bound = 100.0> {epsilon = 1.0e-05 : f32} : (tensor<?x7168xbf16>, tensor<7168xbf16>) -> (tensor<?x7168xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>, tensor<?x7168xbf16>)
  return
}

// -----

// Block-scaled GEMM with every activation- and weight-scale form.
// CHECK-LABEL: func.func @scaled_matmul
// CHECK: vllm.scaled_matmul %{{.*}}, %{{.*}} scales(%{{.*}}, %{{.*}}) chip <sm_100a> : (tensor<?x7168xf8E4M3FN>, tensor<2112x7168xf8E4M3FN>, tensor<14x?xi32, #vllm.scales<group 128, ue8m0_packed, mn_major, align 4>>, tensor<17x56xf32, #vllm.scales<block 128x128, f32>>) -> tensor<?x2112xbf16>
// CHECK: vllm.scaled_matmul %{{.*}}, %{{.*}} scales(%{{.*}}, %{{.*}}) chip <sm_90a> : (tensor<?x7168xf8E4M3FN>, tensor<2112x7168xf8E4M3FN>, tensor<56x?xf32, #vllm.scales<group 128, f32, mn_major, align 4>>, tensor<17x56xf32, #vllm.scales<block 128x128, ue8m0_f32>>) -> tensor<?x2112xf32>
// CHECK: vllm.scaled_matmul %{{.*}}, %{{.*}} scales(%{{.*}}, %{{.*}}) : (tensor<?x7168xf8E4M3FN>, tensor<2112x7168xf8E4M3FN>, tensor<?x56xf32, #vllm.scales<group 128, f32, row_major>>, tensor<2112xf32, #vllm.scales<row>>) -> tensor<?x2112xbf16>
// CHECK: vllm.scaled_matmul %{{.*}}, %{{.*}} scales(%{{.*}}, %{{.*}}) chip <sm_100a> : (tensor<?x7168xf8E4M3FN>, tensor<2112x7168xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>, tensor<1xf32, #vllm.scales<tensor>>) -> tensor<?x2112xbf16>
func.func @scaled_matmul(%a: tensor<?x7168xf8E4M3FN>, %b: tensor<2112x7168xf8E4M3FN>,
    %sa_packed: tensor<14x?xi32, #vllm.scales<group 128, ue8m0_packed, mn_major, align 4>>,
    %sa_mn: tensor<56x?xf32, #vllm.scales<group 128, f32, mn_major, align 4>>,
    %sa_rm: tensor<?x56xf32, #vllm.scales<group 128, f32, row_major>>,
    %sa_tok: tensor<?xf32, #vllm.scales<row>>,
    %sb_blk: tensor<17x56xf32, #vllm.scales<block 128x128, f32>>,
    %sb_ue: tensor<17x56xf32, #vllm.scales<block 128x128, ue8m0_f32>>,
    %sb_ch: tensor<2112xf32, #vllm.scales<row>>,
    %sb_t: tensor<1xf32, #vllm.scales<tensor>>) {
  %d0 = vllm.scaled_matmul %a, %b scales(%sa_packed, %sb_blk) chip <sm_100a> : (tensor<?x7168xf8E4M3FN>, tensor<2112x7168xf8E4M3FN>, tensor<14x?xi32, #vllm.scales<group 128, ue8m0_packed, mn_major, align 4>>, tensor<17x56xf32, #vllm.scales<block 128x128, f32>>) -> tensor<?x2112xbf16>
  %d1 = vllm.scaled_matmul %a, %b scales(%sa_mn, %sb_ue) chip <sm_90a> : (tensor<?x7168xf8E4M3FN>, tensor<2112x7168xf8E4M3FN>, tensor<56x?xf32, #vllm.scales<group 128, f32, mn_major, align 4>>, tensor<17x56xf32, #vllm.scales<block 128x128, ue8m0_f32>>) -> tensor<?x2112xf32>
  %d2 = vllm.scaled_matmul %a, %b scales(%sa_rm, %sb_ch) : (tensor<?x7168xf8E4M3FN>, tensor<2112x7168xf8E4M3FN>, tensor<?x56xf32, #vllm.scales<group 128, f32, row_major>>, tensor<2112xf32, #vllm.scales<row>>) -> tensor<?x2112xbf16>
  %d3 = vllm.scaled_matmul %a, %b scales(%sa_tok, %sb_t) chip <sm_100a> : (tensor<?x7168xf8E4M3FN>, tensor<2112x7168xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>, tensor<1xf32, #vllm.scales<tensor>>) -> tensor<?x2112xbf16>
  return
}

// -----

// A quantize feeding the GEMM in the format sm_100a consumes: the scale
// layout is visible in the SSA type shared by producer and consumer.
// CHECK-LABEL: func.func @producer_consumer
// CHECK: %[[Q:.*]], %[[S:.*]] = vllm.quantize
// CHECK: vllm.scaled_matmul %[[Q]], %{{.*}} scales(%[[S]], %{{.*}}) chip <sm_100a>
func.func @producer_consumer(%y: tensor<?x7168xbf16>, %b: tensor<2112x7168xf8E4M3FN>, %sb: tensor<17x56xf32, #vllm.scales<block 128x128, f32>>) -> tensor<?x2112xbf16> {
  %q, %s = vllm.quantize %y as <per_group 128, ue8m0_packed, mn_major, align 4> : tensor<?x7168xbf16> -> tensor<?x7168xf8E4M3FN>, tensor<14x?xi32, #vllm.scales<group 128, ue8m0_packed, mn_major, align 4>>
  %d = vllm.scaled_matmul %q, %b scales(%s, %sb) chip <sm_100a> : (tensor<?x7168xf8E4M3FN>, tensor<2112x7168xf8E4M3FN>, tensor<14x?xi32, #vllm.scales<group 128, ue8m0_packed, mn_major, align 4>>, tensor<17x56xf32, #vllm.scales<block 128x128, f32>>) -> tensor<?x2112xbf16>
  return %d : tensor<?x2112xbf16>
}

// -----

// silu_and_mul: gate | up halves of the last dimension, any leading dims.
// CHECK-LABEL: func.func @silu_and_mul
// CHECK: vllm.silu_and_mul %{{.*}} : tensor<?x4096xbf16> -> tensor<?x2048xbf16>
// CHECK: vllm.silu_and_mul %{{.*}} : tensor<2x?x6xf32> -> tensor<2x?x3xf32>
func.func @silu_and_mul(%x: tensor<?x4096xbf16>, %x2: tensor<2x?x6xf32>) -> (tensor<?x2048xbf16>, tensor<2x?x3xf32>) {
  %y = vllm.silu_and_mul %x : tensor<?x4096xbf16> -> tensor<?x2048xbf16>
  %y2 = vllm.silu_and_mul %x2 : tensor<2x?x6xf32> -> tensor<2x?x3xf32>
  return %y, %y2 : tensor<?x2048xbf16>, tensor<2x?x3xf32>
}

// -----

// elementwise_quant: packed UE8M0, a static scale, and the product returned.
// CHECK-LABEL: func.func @elementwise_quant
// CHECK-SAME: (%[[X:[^:]*]]: tensor<?x4096xbf16>, %[[S0:[^:]*]]: tensor<1xf32, #vllm.scales<tensor>>)
// CHECK: vllm.elementwise_quant silu_and_mul(%[[X]]) as <per_group 128, ue8m0_packed, mn_major, align 4> : tensor<?x4096xbf16> -> tensor<?x2048xf8E4M3FN>, tensor<4x?xi32, #vllm.scales<group 128, ue8m0_packed, mn_major, align 4>>{{$}}
// CHECK: vllm.elementwise_quant silu_and_mul(%[[X]]) scale(%[[S0]] : tensor<1xf32, #vllm.scales<tensor>>) as <static_per_tensor> : tensor<?x4096xbf16> -> tensor<?x2048xf8E4M3FN>, tensor<1xf32, #vllm.scales<tensor>>, tensor<?x2048xbf16>
func.func @elementwise_quant(%x: tensor<?x4096xbf16>, %s0: tensor<1xf32, #vllm.scales<tensor>>) -> (tensor<?x2048xf8E4M3FN>, tensor<4x?xi32, #vllm.scales<group 128, ue8m0_packed, mn_major, align 4>>, tensor<?x2048xf8E4M3FN>, tensor<1xf32, #vllm.scales<tensor>>, tensor<?x2048xbf16>) {
  %q, %s = vllm.elementwise_quant silu_and_mul(%x) as <per_group 128, ue8m0_packed, mn_major, align 4> : tensor<?x4096xbf16> -> tensor<?x2048xf8E4M3FN>, tensor<4x?xi32, #vllm.scales<group 128, ue8m0_packed, mn_major, align 4>>
  %q2, %s2, %y = vllm.elementwise_quant silu_and_mul(%x) scale(%s0 : tensor<1xf32, #vllm.scales<tensor>>) as <static_per_tensor> : tensor<?x4096xbf16> -> tensor<?x2048xf8E4M3FN>, tensor<1xf32, #vllm.scales<tensor>>, tensor<?x2048xbf16>
  return %q, %s, %q2, %s2, %y : tensor<?x2048xf8E4M3FN>, tensor<4x?xi32, #vllm.scales<group 128, ue8m0_packed, mn_major, align 4>>, tensor<?x2048xf8E4M3FN>, tensor<1xf32, #vllm.scales<tensor>>, tensor<?x2048xbf16>
}
