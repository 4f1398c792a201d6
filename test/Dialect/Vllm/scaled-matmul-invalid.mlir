// Diagnostics of vllm.scaled_matmul, including the producer/consumer scale
// format checks (SPEC C8, C10).
// RUN: vllm-opt %s -split-input-file -verify-diagnostics

func.func @k_mismatch(%a: tensor<?x256xf8E4M3FN>, %b: tensor<128x384xf8E4M3FN>, %sa: tensor<?xf32, #vllm.scales<row>>, %sb: tensor<1xf32, #vllm.scales<tensor>>) {
  // expected-error @+1 {{A has K = 256 but B [N, K] has K = 384}}
  %d = vllm.scaled_matmul %a, %b scales(%sa, %sb) : (tensor<?x256xf8E4M3FN>, tensor<128x384xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>, tensor<1xf32, #vllm.scales<tensor>>) -> tensor<?x128xbf16>
  return
}

// -----

func.func @result_shape(%a: tensor<?x256xf8E4M3FN>, %b: tensor<128x256xf8E4M3FN>, %sa: tensor<?xf32, #vllm.scales<row>>, %sb: tensor<1xf32, #vllm.scales<tensor>>) {
  // expected-error @+1 {{result shape ?x64 does not match [M, N] = ?x128}}
  %d = vllm.scaled_matmul %a, %b scales(%sa, %sb) : (tensor<?x256xf8E4M3FN>, tensor<128x256xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>, tensor<1xf32, #vllm.scales<tensor>>) -> tensor<?x64xbf16>
  return
}

// -----

func.func @dynamic_n(%a: tensor<?x256xf8E4M3FN>, %b: tensor<?x256xf8E4M3FN>, %sa: tensor<?xf32, #vllm.scales<row>>, %sb: tensor<1xf32, #vllm.scales<tensor>>) {
  // expected-error @+1 {{K and N must be static}}
  %d = vllm.scaled_matmul %a, %b scales(%sa, %sb) : (tensor<?x256xf8E4M3FN>, tensor<?x256xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>, tensor<1xf32, #vllm.scales<tensor>>) -> tensor<?x?xbf16>
  return
}

// -----

func.func @c8_missing_encoding(%a: tensor<?x256xf8E4M3FN>, %b: tensor<128x256xf8E4M3FN>, %sa: tensor<?x2xf32>, %sb: tensor<1xf32, #vllm.scales<tensor>>) {
  // expected-error @+1 {{(C8) scale operands must carry a #vllm.scales encoding that states their format}}
  %d = vllm.scaled_matmul %a, %b scales(%sa, %sb) : (tensor<?x256xf8E4M3FN>, tensor<128x256xf8E4M3FN>, tensor<?x2xf32>, tensor<1xf32, #vllm.scales<tensor>>) -> tensor<?x128xbf16>
  return
}

// -----

func.func @c8_activation_scale_shape(%a: tensor<?x256xf8E4M3FN>, %b: tensor<128x256xf8E4M3FN>, %sa: tensor<?x4xf32, #vllm.scales<group 128, f32, row_major>>, %sb: tensor<1xf32, #vllm.scales<tensor>>) {
  // expected-error @+1 {{(C8) activation scales in format #vllm.scales<group 128, f32, row_major> must be 'tensor<?x2xf32, #vllm.scales<group 128, f32, row_major>>', got 'tensor<?x4xf32, #vllm.scales<group 128, f32, row_major>>'}}
  %d = vllm.scaled_matmul %a, %b scales(%sa, %sb) : (tensor<?x256xf8E4M3FN>, tensor<128x256xf8E4M3FN>, tensor<?x4xf32, #vllm.scales<group 128, f32, row_major>>, tensor<1xf32, #vllm.scales<tensor>>) -> tensor<?x128xbf16>
  return
}

// -----

func.func @c8_weight_block_shape(%a: tensor<?x256xf8E4M3FN>, %b: tensor<300x256xf8E4M3FN>, %sa: tensor<?xf32, #vllm.scales<row>>, %sb: tensor<2x2xf32, #vllm.scales<block 128x128, f32>>) {
  // expected-error @+1 {{(C8) weight scales in format #vllm.scales<block 128x128, f32> must be 'tensor<3x2xf32, #vllm.scales<block 128x128, f32>>'}}
  %d = vllm.scaled_matmul %a, %b scales(%sa, %sb) : (tensor<?x256xf8E4M3FN>, tensor<300x256xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>, tensor<2x2xf32, #vllm.scales<block 128x128, f32>>) -> tensor<?x300xbf16>
  return
}

// -----

func.func @activation_block_scales(%a: tensor<?x256xf8E4M3FN>, %b: tensor<128x256xf8E4M3FN>, %sa: tensor<?x2xf32, #vllm.scales<block 128x128, f32>>, %sb: tensor<1xf32, #vllm.scales<tensor>>) {
  // expected-error @+1 {{activation scales must be per-group, per-row or per-tensor, got #vllm.scales<block 128x128, f32>}}
  %d = vllm.scaled_matmul %a, %b scales(%sa, %sb) : (tensor<?x256xf8E4M3FN>, tensor<128x256xf8E4M3FN>, tensor<?x2xf32, #vllm.scales<block 128x128, f32>>, tensor<1xf32, #vllm.scales<tensor>>) -> tensor<?x128xbf16>
  return
}

// -----

func.func @activation_group_64(%a: tensor<?x256xf8E4M3FN>, %b: tensor<128x256xf8E4M3FN>, %sa: tensor<?x4xf32, #vllm.scales<group 64, f32, row_major>>, %sb: tensor<1xf32, #vllm.scales<tensor>>) {
  // expected-error @+1 {{activation scale groups must be 1x128, got 1x64}}
  %d = vllm.scaled_matmul %a, %b scales(%sa, %sb) : (tensor<?x256xf8E4M3FN>, tensor<128x256xf8E4M3FN>, tensor<?x4xf32, #vllm.scales<group 64, f32, row_major>>, tensor<1xf32, #vllm.scales<tensor>>) -> tensor<?x128xbf16>
  return
}

// -----

func.func @weight_group_scales(%a: tensor<?x256xf8E4M3FN>, %b: tensor<128x256xf8E4M3FN>, %sa: tensor<?xf32, #vllm.scales<row>>, %sb: tensor<128x2xf32, #vllm.scales<group 128, f32, row_major>>) {
  // expected-error @+1 {{weight scales must be 128x128 blocks, per-row or per-tensor, got #vllm.scales<group 128, f32, row_major>}}
  %d = vllm.scaled_matmul %a, %b scales(%sa, %sb) : (tensor<?x256xf8E4M3FN>, tensor<128x256xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>, tensor<128x2xf32, #vllm.scales<group 128, f32, row_major>>) -> tensor<?x128xbf16>
  return
}

// -----

func.func @weight_block_64(%a: tensor<?x256xf8E4M3FN>, %b: tensor<128x256xf8E4M3FN>, %sa: tensor<?xf32, #vllm.scales<row>>, %sb: tensor<2x4xf32, #vllm.scales<block 64x64, f32>>) {
  // expected-error @+1 {{weight scale blocks must be 128x128, got 64x64}}
  %d = vllm.scaled_matmul %a, %b scales(%sa, %sb) : (tensor<?x256xf8E4M3FN>, tensor<128x256xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>, tensor<2x4xf32, #vllm.scales<block 64x64, f32>>) -> tensor<?x128xbf16>
  return
}

// -----

func.func @c10_k_not_multiple_of_128(%a: tensor<?x192xf8E4M3FN>, %b: tensor<128x192xf8E4M3FN>, %sa: tensor<?xf32, #vllm.scales<row>>, %sb: tensor<1x2xf32, #vllm.scales<block 128x128, f32>>) {
  // expected-error @+1 {{(C10) block scaling requires K % 128 == 0, got K = 192}}
  %d = vllm.scaled_matmul %a, %b scales(%sa, %sb) : (tensor<?x192xf8E4M3FN>, tensor<128x192xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>, tensor<1x2xf32, #vllm.scales<block 128x128, f32>>) -> tensor<?x128xbf16>
  return
}

// -----

// The quantize produces f32 MN-major scales, which the sm_100a GEMM does not
// consume.
func.func @c10_sm100a_needs_packed(%y: tensor<?x256xbf16>, %b: tensor<128x256xf8E4M3FN>, %sb: tensor<1x2xf32, #vllm.scales<block 128x128, f32>>) {
  %q, %s = vllm.quantize %y as <per_group 128, f32, mn_major, align 4> : tensor<?x256xbf16> -> tensor<?x256xf8E4M3FN>, tensor<2x?xf32, #vllm.scales<group 128, f32, mn_major, align 4>>
  // expected-error @+1 {{(C10) the GEMM on sm_100a consumes activation scales as ue8m0_packed, mn_major, align 4, got #vllm.scales<group 128, f32, mn_major, align 4>}}
  %d = vllm.scaled_matmul %q, %b scales(%s, %sb) chip <sm_100a> : (tensor<?x256xf8E4M3FN>, tensor<128x256xf8E4M3FN>, tensor<2x?xf32, #vllm.scales<group 128, f32, mn_major, align 4>>, tensor<1x2xf32, #vllm.scales<block 128x128, f32>>) -> tensor<?x128xbf16>
  return
}

// -----

func.func @c10_sm90a_rejects_packed(%y: tensor<?x256xbf16>, %b: tensor<128x256xf8E4M3FN>, %sb: tensor<1x2xf32, #vllm.scales<block 128x128, f32>>) {
  %q, %s = vllm.quantize %y as <per_group 128, ue8m0_packed, mn_major, align 4> : tensor<?x256xbf16> -> tensor<?x256xf8E4M3FN>, tensor<1x?xi32, #vllm.scales<group 128, ue8m0_packed, mn_major, align 4>>
  // expected-error @+1 {{(C10) the GEMM on sm_90a consumes activation scales as f32 or ue8m0_f32, mn_major, align 4, got #vllm.scales<group 128, ue8m0_packed, mn_major, align 4>}}
  %d = vllm.scaled_matmul %q, %b scales(%s, %sb) chip <sm_90a> : (tensor<?x256xf8E4M3FN>, tensor<128x256xf8E4M3FN>, tensor<1x?xi32, #vllm.scales<group 128, ue8m0_packed, mn_major, align 4>>, tensor<1x2xf32, #vllm.scales<block 128x128, f32>>) -> tensor<?x128xbf16>
  return
}

// -----

func.func @c10_sm90a_rejects_row_major(%y: tensor<?x256xbf16>, %b: tensor<128x256xf8E4M3FN>, %sb: tensor<1x2xf32, #vllm.scales<block 128x128, f32>>) {
  %q, %s = vllm.quantize %y as <per_group 128, ue8m0_f32, row_major> : tensor<?x256xbf16> -> tensor<?x256xf8E4M3FN>, tensor<?x2xf32, #vllm.scales<group 128, ue8m0_f32, row_major>>
  // expected-error @+1 {{(C10) the GEMM on sm_90a consumes activation scales as f32 or ue8m0_f32, mn_major, align 4}}
  %d = vllm.scaled_matmul %q, %b scales(%s, %sb) chip <sm_90a> : (tensor<?x256xf8E4M3FN>, tensor<128x256xf8E4M3FN>, tensor<?x2xf32, #vllm.scales<group 128, ue8m0_f32, row_major>>, tensor<1x2xf32, #vllm.scales<block 128x128, f32>>) -> tensor<?x128xbf16>
  return
}

// -----

// C8: a consumer that declares another scale layout than the producer made
// is rejected: the layout is part of the scale tensor's type.
func.func @c8_producer_consumer_mismatch(%y: tensor<?x256xbf16>, %b: tensor<128x256xf8E4M3FN>, %sb: tensor<1x2xf32, #vllm.scales<block 128x128, f32>>) {
  %q, %s = vllm.quantize %y as <per_group 128, f32, mn_major, align 4> : tensor<?x256xbf16> -> tensor<?x256xf8E4M3FN>, tensor<2x?xf32, #vllm.scales<group 128, f32, mn_major, align 4>>
  // expected-error @+2 {{use of value '%s' expects different type than prior uses: 'tensor<2x?xf32, #vllm.scales<group 128, ue8m0_f32, mn_major, align 4>>' vs 'tensor<2x?xf32, #vllm.scales<group 128, f32, mn_major, align 4>>'}}
  // expected-note @-2 {{prior use here}}
  %d = vllm.scaled_matmul %q, %b scales(%s, %sb) chip <sm_90a> : (tensor<?x256xf8E4M3FN>, tensor<128x256xf8E4M3FN>, tensor<2x?xf32, #vllm.scales<group 128, ue8m0_f32, mn_major, align 4>>, tensor<1x2xf32, #vllm.scales<block 128x128, f32>>) -> tensor<?x128xbf16>
  return
}
