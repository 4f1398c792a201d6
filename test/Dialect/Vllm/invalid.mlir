// Every user-facing diagnostic of the dialect. Functions are named after the
// SPEC.md constraint they violate (c1_..., c10_...).
// RUN: vllm-opt %s -split-input-file -verify-diagnostics

func.func @c1_norm_rank1(%x: tensor<7168xbf16>, %w: tensor<7168xbf16>) {
  // expected-error @+1 {{(C1) expects the input to have rank >= 2 [..., H], got rank 1}}
  %y = vllm.rms_norm %x, %w {epsilon = 1.0e-06 : f32} : (tensor<7168xbf16>, tensor<7168xbf16>) -> tensor<7168xbf16>
  return
}

// -----

func.func @c1_norm_dynamic_hidden(%x: tensor<4x?xbf16>, %w: tensor<7168xbf16>) {
  // expected-error @+1 {{(C1) the hidden size (last dimension) must be static}}
  %y = vllm.rms_norm %x, %w {epsilon = 1.0e-06 : f32} : (tensor<4x?xbf16>, tensor<7168xbf16>) -> tensor<4x?xbf16>
  return
}

// -----

func.func @c1_weight_rank(%x: tensor<?x128xbf16>, %w: tensor<1x128xbf16>) {
  // expected-error @+1 {{(C1) expects a rank-1 weight, got rank 2}}
  %y = vllm.rms_norm %x, %w {epsilon = 1.0e-06 : f32} : (tensor<?x128xbf16>, tensor<1x128xbf16>) -> tensor<?x128xbf16>
  return
}

// -----

func.func @c1_weight_length(%x: tensor<?x7168xbf16>, %w: tensor<4096xbf16>) {
  // expected-error @+1 {{(C1) weight length 4096 does not match the hidden size 7168}}
  %y = vllm.rms_norm %x, %w {epsilon = 1.0e-06 : f32} : (tensor<?x7168xbf16>, tensor<4096xbf16>) -> tensor<?x7168xbf16>
  return
}

// -----

func.func @c1_weight_dtype(%x: tensor<?x7168xbf16>, %w: tensor<7168xf16>) {
  // expected-error @+1 {{(C1) weight element type 'f16' differs from the input element type 'bf16'}}
  %y = vllm.rms_norm %x, %w {epsilon = 1.0e-06 : f32} : (tensor<?x7168xbf16>, tensor<7168xf16>) -> tensor<?x7168xbf16>
  return
}

// -----

func.func @c1_element_type(%x: tensor<?x128xi8>, %w: tensor<128xi8>) {
  // expected-error @+1 {{operand #0 must be ranked tensor of bfloat16 type or 16-bit float or 32-bit float values}}
  %y = vllm.rms_norm %x, %w {epsilon = 1.0e-06 : f32} : (tensor<?x128xi8>, tensor<128xi8>) -> tensor<?x128xi8>
  return
}

// -----

func.func @c2_epsilon_zero(%x: tensor<?x128xbf16>, %w: tensor<128xbf16>) {
  // expected-error @+1 {{(C2) epsilon must be positive and finite}}
  %y = vllm.rms_norm %x, %w {epsilon = 0.0 : f32} : (tensor<?x128xbf16>, tensor<128xbf16>) -> tensor<?x128xbf16>
  return
}

// -----

func.func @c2_epsilon_negative(%x: tensor<?x128xbf16>, %r: tensor<?x128xbf16>, %w: tensor<128xbf16>) {
  // expected-error @+1 {{(C2) epsilon must be positive and finite}}
  %y, %ro = vllm.fused_add_rms_norm %x, %r, %w {epsilon = -1.0e-06 : f32} : (tensor<?x128xbf16>, tensor<?x128xbf16>, tensor<128xbf16>) -> (tensor<?x128xbf16>, tensor<?x128xbf16>)
  return
}

// -----

func.func @c2_epsilon_nan(%x: tensor<?x128xbf16>, %w: tensor<128xbf16>) {
  // expected-error @+1 {{(C2) epsilon must be positive and finite}}
  %y = vllm.rms_norm %x, %w {epsilon = 0x7FC00000 : f32} : (tensor<?x128xbf16>, tensor<128xbf16>) -> tensor<?x128xbf16>
  return
}

// -----

func.func @c3_result_type(%x: tensor<?x128xbf16>, %w: tensor<128xbf16>) {
  // expected-error @+1 {{(C3) result type 'tensor<?x128xf16>' differs from the input type 'tensor<?x128xbf16>'}}
  %y = vllm.rms_norm %x, %w {epsilon = 1.0e-06 : f32} : (tensor<?x128xbf16>, tensor<128xbf16>) -> tensor<?x128xf16>
  return
}

// -----

func.func @c3_fused_add_result_type(%x: tensor<?x128xbf16>, %r: tensor<?x128xbf16>, %w: tensor<128xbf16>) {
  // expected-error @+1 {{(C3) result types must equal the input type 'tensor<?x128xbf16>'}}
  %y, %ro = vllm.fused_add_rms_norm %x, %r, %w {epsilon = 1.0e-06 : f32} : (tensor<?x128xbf16>, tensor<?x128xbf16>, tensor<128xbf16>) -> (tensor<?x128xbf16>, tensor<4x128xbf16>)
  return
}

// -----

func.func @c4_residual_type(%x: tensor<?x128xbf16>, %r: tensor<?x128xf32>, %w: tensor<128xbf16>) {
  // expected-error @+1 {{(C4) residual type 'tensor<?x128xf32>' differs from the input type 'tensor<?x128xbf16>'}}
  %y, %ro = vllm.fused_add_rms_norm %x, %r, %w {epsilon = 1.0e-06 : f32} : (tensor<?x128xbf16>, tensor<?x128xf32>, tensor<128xbf16>) -> (tensor<?x128xbf16>, tensor<?x128xbf16>)
  return
}

// -----

func.func @c4_fused_quant_residual_type(%x: tensor<?x128xbf16>, %w: tensor<128xbf16>, %r: tensor<4x128xbf16>) {
  // expected-error @+1 {{(C4) residual type 'tensor<4x128xbf16>' differs from the input type 'tensor<?x128xbf16>'}}
  %q, %s, %ro = vllm.rms_norm_quant %x, %w residual(%r) as <per_token> {epsilon = 1.0e-06 : f32} : (tensor<?x128xbf16>, tensor<128xbf16>, tensor<4x128xbf16>) -> (tensor<?x128xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>, tensor<?x128xbf16>)
  return
}

// -----

func.func @c5_hidden_not_multiple_of_group(%y: tensor<?x192xbf16>) {
  // expected-error @+1 {{(C5) hidden size 192 is not a multiple of the group size 128}}
  %q, %s = vllm.quantize %y as <per_group 128, f32, row_major> : tensor<?x192xbf16> -> tensor<?x192xf8E4M3FN>, tensor<?x1xf32, #vllm.scales<group 128, f32, row_major>>
  return
}

// -----

func.func @c5_group_size(%y: tensor<?x192xbf16>) {
  // expected-error @+1 {{(C5) group size must be 32, 64 or 128, got 96}}
  %q, %s = vllm.quantize %y as <per_group 96, f32, row_major> : tensor<?x192xbf16> -> tensor<?x192xf8E4M3FN>, tensor<?x2xf32>
  return
}

// -----

// expected-error @+1 {{(C5) group size must be 32, 64 or 128, got 256}}
func.func @c5_scale_format_group_size(%s: tensor<?x2xf32, #vllm.scales<group 256, f32, row_major>>) {
  return
}

// -----

func.func @c6_upper_bound_per_group(%y: tensor<?x256xbf16>) {
  // expected-error @+1 {{(C6) an upper bound is allowed only for per_token scales}}
  %q, %s = vllm.quantize %y as <per_group 128, f32, row_major, upper_bound = 10.0> : tensor<?x256xbf16> -> tensor<?x256xf8E4M3FN>, tensor<?x2xf32, #vllm.scales<group 128, f32, row_major>>
  return
}

// -----

func.func @c6_upper_bound_per_tensor(%y: tensor<?x256xbf16>) {
  // expected-error @+1 {{(C6) an upper bound is allowed only for per_token scales}}
  %q, %s = vllm.quantize %y as <dynamic_per_tensor, upper_bound = 10.0> : tensor<?x256xbf16> -> tensor<?x256xf8E4M3FN>, tensor<1xf32, #vllm.scales<tensor>>
  return
}

// -----

func.func @c6_upper_bound_negative(%y: tensor<?x256xbf16>) {
  // expected-error @+1 {{(C6) the upper bound must be positive and finite}}
  %q, %s = vllm.quantize %y as <per_token, upper_bound = -1.0> : tensor<?x256xbf16> -> tensor<?x256xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>
  return
}

// -----

func.func @c7_static_without_scale(%y: tensor<?x256xbf16>) {
  // expected-error @+1 {{(C7) static_per_tensor quantization requires a scale operand}}
  %q, %s = vllm.quantize %y as <static_per_tensor> : tensor<?x256xbf16> -> tensor<?x256xf8E4M3FN>, tensor<1xf32, #vllm.scales<tensor>>
  return
}

// -----

func.func @c7_dynamic_with_scale(%y: tensor<?x256xbf16>, %s0: tensor<1xf32, #vllm.scales<tensor>>) {
  // expected-error @+1 {{(C7) only static_per_tensor quantization takes a scale operand}}
  %q, %s = vllm.quantize %y scale(%s0 : tensor<1xf32, #vllm.scales<tensor>>) as <per_token> : tensor<?x256xbf16> -> tensor<?x256xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>
  return
}

// -----

func.func @c7_static_scale_type(%y: tensor<?x256xbf16>, %s0: tensor<2xf32, #vllm.scales<tensor>>) {
  // expected-error @+1 {{(C7) the static scale must have type 'tensor<1xf32, #vllm.scales<tensor>>', got 'tensor<2xf32, #vllm.scales<tensor>>'}}
  %q, %s = vllm.quantize %y scale(%s0 : tensor<2xf32, #vllm.scales<tensor>>) as <static_per_tensor> : tensor<?x256xbf16> -> tensor<?x256xf8E4M3FN>, tensor<2xf32, #vllm.scales<tensor>>
  return
}

// -----

func.func @c7_fused_static_without_scale(%x: tensor<?x256xbf16>, %w: tensor<256xbf16>) {
  // expected-error @+1 {{(C7) static_per_tensor quantization requires a scale operand}}
  %q, %s = vllm.rms_norm_quant %x, %w as <static_per_tensor> {epsilon = 1.0e-06 : f32} : (tensor<?x256xbf16>, tensor<256xbf16>) -> (tensor<?x256xf8E4M3FN>, tensor<1xf32, #vllm.scales<tensor>>)
  return
}

// -----

func.func @c8_scales_without_encoding(%y: tensor<?x256xbf16>) {
  // expected-error @+1 {{(C8) the scales result must carry the encoding #vllm.scales<group 128, f32, row_major> of the scheme}}
  %q, %s = vllm.quantize %y as <per_group 128, f32, row_major> : tensor<?x256xbf16> -> tensor<?x256xf8E4M3FN>, tensor<?x2xf32>
  return
}

// -----

func.func @c8_scales_wrong_layout(%y: tensor<?x256xbf16>) {
  // expected-error @+1 {{(C8) the scales result is encoded as #vllm.scales<group 128, f32, mn_major, align 4> but the scheme #vllm.quant<per_group 128, f32, row_major> produces #vllm.scales<group 128, f32, row_major>}}
  %q, %s = vllm.quantize %y as <per_group 128, f32, row_major> : tensor<?x256xbf16> -> tensor<?x256xf8E4M3FN>, tensor<2x?xf32, #vllm.scales<group 128, f32, mn_major, align 4>>
  return
}

// -----

func.func @c8_packed_element_type(%y: tensor<?x256xbf16>) {
  // expected-error @+1 {{(C8) scales in format #vllm.scales<group 128, ue8m0_packed, mn_major, align 4> have element type 'i32', got 'f32'}}
  %q, %s = vllm.quantize %y as <per_group 128, ue8m0_packed, mn_major, align 4> : tensor<?x256xbf16> -> tensor<?x256xf8E4M3FN>, tensor<1x?xf32, #vllm.scales<group 128, ue8m0_packed, mn_major, align 4>>
  return
}

// -----

// MN-major align 4 pads the 257 rows to 260.
func.func @c8_unpadded_rows(%y: tensor<257x256xbf16>) {
  // expected-error @+1 {{(C8) scales in format #vllm.scales<group 128, ue8m0_packed, mn_major, align 4> for a 257x256 input have shape 1x260, got 1x257}}
  %q, %s = vllm.quantize %y as <per_group 128, ue8m0_packed, mn_major, align 4> : tensor<257x256xbf16> -> tensor<257x256xf8E4M3FN>, tensor<1x257xi32, #vllm.scales<group 128, ue8m0_packed, mn_major, align 4>>
  return
}

// -----

// Packing four UE8M0 bytes per word: 56 groups take 14 words per row.
func.func @c8_packed_word_count(%y: tensor<?x7168xbf16>) {
  // expected-error @+1 {{(C8) scales in format #vllm.scales<group 128, ue8m0_packed, mn_major, align 4> for a ?x7168 input have shape 14x?, got 56x?}}
  %q, %s = vllm.quantize %y as <per_group 128, ue8m0_packed, mn_major, align 4> : tensor<?x7168xbf16> -> tensor<?x7168xf8E4M3FN>, tensor<56x?xi32, #vllm.scales<group 128, ue8m0_packed, mn_major, align 4>>
  return
}

// -----

func.func @c8_row_major_shape(%y: tensor<?x7168xbf16>) {
  // expected-error @+1 {{(C8) scales in format #vllm.scales<group 128, f32, row_major> for a ?x7168 input have shape ?x56, got 56x?}}
  %q, %s = vllm.quantize %y as <per_group 128, f32, row_major> : tensor<?x7168xbf16> -> tensor<?x7168xf8E4M3FN>, tensor<56x?xf32, #vllm.scales<group 128, f32, row_major>>
  return
}

// -----

func.func @quantize_rank3(%y: tensor<2x?x256xbf16>) {
  // expected-error @+1 {{(C1) expects a rank-2 input [M, H], got rank 3}}
  %q, %s = vllm.quantize %y as <per_token> : tensor<2x?x256xbf16> -> tensor<2x?x256xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>
  return
}

// -----

func.func @quantize_output_shape(%y: tensor<?x256xbf16>) {
  // expected-error @+1 {{quantized output shape 4x256 differs from the input shape ?x256}}
  %q, %s = vllm.quantize %y as <per_token> : tensor<?x256xbf16> -> tensor<4x256xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>
  return
}

// -----

func.func @quantize_output_element(%y: tensor<?x256xbf16>) {
  // expected-error @+1 {{result #0 must be ranked tensor of f8E4M3FN type values}}
  %q, %s = vllm.quantize %y as <per_token> : tensor<?x256xbf16> -> tensor<?x256xf8E5M2>, tensor<?xf32, #vllm.scales<row>>
  return
}

// -----

func.func @fused_missing_residual_out(%x: tensor<?x256xbf16>, %w: tensor<256xbf16>, %r: tensor<?x256xbf16>) {
  // expected-error @+1 {{expected 3 results (q, scales, residual_out) or 4 with the normalized tensor, got 2}}
  %q, %s = vllm.rms_norm_quant %x, %w residual(%r) as <per_token> {epsilon = 1.0e-06 : f32} : (tensor<?x256xbf16>, tensor<256xbf16>, tensor<?x256xbf16>) -> (tensor<?x256xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>)
  return
}

// -----

func.func @fused_normalized_type(%x: tensor<?x256xbf16>, %w: tensor<256xbf16>) {
  // expected-error @+1 {{(C3) the normalized result type must equal the input type 'tensor<?x256xbf16>'}}
  %q, %s, %n = vllm.rms_norm_quant %x, %w as <per_token> {epsilon = 1.0e-06 : f32} : (tensor<?x256xbf16>, tensor<256xbf16>) -> (tensor<?x256xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>, tensor<?x256xf32>)
  return
}

// -----

func.func @fused_rank3(%x: tensor<2x?x256xbf16>, %w: tensor<256xbf16>) {
  // expected-error @+1 {{(C1) expects the input to have rank 2 [M, H], got rank 3}}
  %q, %s = vllm.rms_norm_quant %x, %w as <per_token> {epsilon = 1.0e-06 : f32} : (tensor<2x?x256xbf16>, tensor<256xbf16>) -> (tensor<2x?x256xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>)
  return
}

// -----

func.func @fused_segment_sizes(%x: tensor<?x256xbf16>, %w: tensor<256xbf16>) {
  // expected-error @+1 {{segment sizes are implied by the syntax}}
  %q, %s = vllm.rms_norm_quant %x, %w as <per_token> {epsilon = 1.0e-06 : f32, operandSegmentSizes = array<i32: 1, 1, 0, 0>} : (tensor<?x256xbf16>, tensor<256xbf16>) -> (tensor<?x256xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>)
  return
}
