// Every user-facing diagnostic of silu_and_mul (SPEC.md 3.7) and
// elementwise_quant (SPEC.md 3.8). Functions are named after the constraint
// they violate.
// RUN: vllm-opt %s -split-input-file -verify-diagnostics

func.func @c12_rank1(%x: tensor<256xbf16>) {
  // expected-error @+1 {{(C12) expects the input to have rank >= 2 [..., 2I], got rank 1}}
  %y = vllm.silu_and_mul %x : tensor<256xbf16> -> tensor<128xbf16>
  return
}

// -----

func.func @c12_dynamic_width(%x: tensor<4x?xbf16>) {
  // expected-error @+1 {{(C12) the last dimension (gate and up, 2I) must be static}}
  %y = vllm.silu_and_mul %x : tensor<4x?xbf16> -> tensor<4x?xbf16>
  return
}

// -----

func.func @c11_zero_width(%x: tensor<4x0xbf16>) {
  // expected-error @+1 {{(C11) the last dimension (gate and up, 2I) must be positive, got 0}}
  %y = vllm.silu_and_mul %x : tensor<4x0xbf16> -> tensor<4x0xbf16>
  return
}

// -----

func.func @c12_odd_width(%x: tensor<?x255xbf16>) {
  // expected-error @+1 {{(C12) the last dimension holds the gate and up halves and must be even, got 255}}
  %y = vllm.silu_and_mul %x : tensor<?x255xbf16> -> tensor<?x127xbf16>
  return
}

// -----

func.func @c12_element_type(%x: tensor<?x256xbf16>) {
  // expected-error @+1 {{(C12) result element type 'f32' differs from the input element type 'bf16'}}
  %y = vllm.silu_and_mul %x : tensor<?x256xbf16> -> tensor<?x128xf32>
  return
}

// -----

func.func @c12_result_width(%x: tensor<?x256xbf16>) {
  // expected-error @+1 {{(C12) result shape ?x256 must be ?x128 (the input's rows, half its last dimension)}}
  %y = vllm.silu_and_mul %x : tensor<?x256xbf16> -> tensor<?x256xbf16>
  return
}

// -----

func.func @c12_result_rows(%x: tensor<2x?x256xbf16>) {
  // expected-error @+1 {{(C12) result shape ?x128 must be 2x?x128 (the input's rows, half its last dimension)}}
  %y = vllm.silu_and_mul %x : tensor<2x?x256xbf16> -> tensor<?x128xbf16>
  return
}

// -----

func.func @c11_silu_too_large(%x: tensor<9223372036854775807x256xbf16>) {
  // expected-error @+1 {{(C11) operand #0 of type 'tensor<9223372036854775807x256xbf16>' has more than 2^63 - 1 bytes}}
  %y = vllm.silu_and_mul %x : tensor<9223372036854775807x256xbf16> -> tensor<9223372036854775807x128xbf16>
  return
}

// -----

func.func @c13_rank3(%x: tensor<2x?x256xbf16>) {
  // expected-error @+1 {{(C13) expects a rank-2 input [M, 2I], got rank 3}}
  %q, %s = vllm.elementwise_quant silu_and_mul(%x) as <per_token> : tensor<2x?x256xbf16> -> tensor<2x?x128xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>
  return
}

// -----

func.func @c13_dynamic_width(%x: tensor<?x?xbf16>) {
  // expected-error @+1 {{(C13) the last dimension (gate and up, 2I) must be static}}
  %q, %s = vllm.elementwise_quant silu_and_mul(%x) as <per_token> : tensor<?x?xbf16> -> tensor<?x?xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>
  return
}

// -----

func.func @c11_quant_zero_width(%x: tensor<?x0xbf16>) {
  // expected-error @+1 {{(C11) the last dimension (gate and up, 2I) must be positive, got 0}}
  %q, %s = vllm.elementwise_quant silu_and_mul(%x) as <per_token> : tensor<?x0xbf16> -> tensor<?x0xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>
  return
}

// -----

func.func @c13_odd_width(%x: tensor<?x257xbf16>) {
  // expected-error @+1 {{(C13) the last dimension holds the gate and up halves and must be even, got 257}}
  %q, %s = vllm.elementwise_quant silu_and_mul(%x) as <per_token> : tensor<?x257xbf16> -> tensor<?x128xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>
  return
}

// -----

func.func @c13_product_type(%x: tensor<?x256xbf16>) {
  // expected-error @+1 {{(C13) the silu_and_mul result must have type 'tensor<?x128xbf16>', got 'tensor<?x128xf32>'}}
  %q, %s, %y = vllm.elementwise_quant silu_and_mul(%x) as <per_token> : tensor<?x256xbf16> -> tensor<?x128xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>, tensor<?x128xf32>
  return
}

// -----

func.func @output_shape(%x: tensor<?x256xbf16>) {
  // expected-error @+1 {{quantized output shape ?x256 differs from the product shape ?x128}}
  %q, %s = vllm.elementwise_quant silu_and_mul(%x) as <per_token> : tensor<?x256xbf16> -> tensor<?x256xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>
  return
}

// -----

func.func @c5_group_of_product(%x: tensor<?x192xbf16>) {
  // The input width 192 is a multiple of 64, the product's 96 is not.
  // expected-error @+1 {{(C5) hidden size 96 is not a multiple of the group size 64}}
  %q, %s = vllm.elementwise_quant silu_and_mul(%x) as <per_group 64, f32, row_major> : tensor<?x192xbf16> -> tensor<?x96xf8E4M3FN>, tensor<?x1xf32, #vllm.scales<group 64, f32, row_major>>
  return
}

// -----

func.func @c7_static_without_scale(%x: tensor<?x256xbf16>) {
  // expected-error @+1 {{(C7) static_per_tensor quantization requires a scale operand}}
  %q, %s = vllm.elementwise_quant silu_and_mul(%x) as <static_per_tensor> : tensor<?x256xbf16> -> tensor<?x128xf8E4M3FN>, tensor<1xf32, #vllm.scales<tensor>>
  return
}

// -----

func.func @c7_scale_for_dynamic(%x: tensor<?x256xbf16>, %s0: tensor<1xf32, #vllm.scales<tensor>>) {
  // expected-error @+1 {{(C7) only static_per_tensor quantization takes a scale operand}}
  %q, %s = vllm.elementwise_quant silu_and_mul(%x) scale(%s0 : tensor<1xf32, #vllm.scales<tensor>>) as <dynamic_per_tensor> : tensor<?x256xbf16> -> tensor<?x128xf8E4M3FN>, tensor<1xf32, #vllm.scales<tensor>>
  return
}

// -----

func.func @c8_encoding(%x: tensor<?x256xbf16>) {
  // expected-error @+1 {{(C8) the scales result is encoded as #vllm.scales<group 128, f32, mn_major, align 4> but the scheme #vllm.quant<per_group 128, ue8m0_packed, mn_major, align 4> produces #vllm.scales<group 128, ue8m0_packed, mn_major, align 4>}}
  %q, %s = vllm.elementwise_quant silu_and_mul(%x) as <per_group 128, ue8m0_packed, mn_major, align 4> : tensor<?x256xbf16> -> tensor<?x128xf8E4M3FN>, tensor<1x?xf32, #vllm.scales<group 128, f32, mn_major, align 4>>
  return
}

// -----

func.func @c8_shape(%x: tensor<5x512xbf16>) {
  // expected-error @+1 {{(C8) scales in format #vllm.scales<group 128, ue8m0_packed, mn_major, align 4> for a 5x256 product have shape 1x8, got 1x5}}
  %q, %s = vllm.elementwise_quant silu_and_mul(%x) as <per_group 128, ue8m0_packed, mn_major, align 4> : tensor<5x512xbf16> -> tensor<5x256xf8E4M3FN>, tensor<1x5xi32, #vllm.scales<group 128, ue8m0_packed, mn_major, align 4>>
  return
}
