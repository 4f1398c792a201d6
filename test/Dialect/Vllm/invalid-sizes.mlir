// SPEC C11: the sizes every op accepts. Static dimensions other than the
// rows are positive; row counts may be 0; no tensor an op reads or writes
// has more than 2^63 - 1 bytes by its static dimensions. These inputs
// crashed the lowering before (a division by zero for H = 0, an int64
// overflow of the row count; test/Regression/issue16-*.mlir).
// RUN: vllm-opt %s -split-input-file -verify-diagnostics

func.func @c11_norm_zero_hidden(%x: tensor<?x0xbf16>, %w: tensor<0xbf16>) {
  // expected-error @+1 {{(C11) the hidden size (last dimension) must be positive, got 0}}
  %y = vllm.rms_norm %x, %w {epsilon = 1.0e-06 : f32} : (tensor<?x0xbf16>, tensor<0xbf16>) -> tensor<?x0xbf16>
  return
}

// -----

func.func @c11_fused_add_zero_hidden(%x: tensor<4x2x0xf16>, %w: tensor<0xf16>) {
  // expected-error @+1 {{(C11) the hidden size (last dimension) must be positive, got 0}}
  %y, %r = vllm.fused_add_rms_norm %x, %x, %w {epsilon = 1.0e-06 : f32} : (tensor<4x2x0xf16>, tensor<4x2x0xf16>, tensor<0xf16>) -> (tensor<4x2x0xf16>, tensor<4x2x0xf16>)
  return
}

// -----

func.func @c11_quantize_group_zero_hidden(%y: tensor<?x0xbf16>) {
  // expected-error @+1 {{(C11) the hidden size (last dimension) must be positive, got 0}}
  %q, %s = vllm.quantize %y as <per_group 128, f32, row_major> : tensor<?x0xbf16> -> tensor<?x0xf8E4M3FN>, tensor<?x0xf32, #vllm.scales<group 128, f32, row_major>>
  return
}

// -----

func.func @c11_quantize_token_zero_hidden(%y: tensor<8x0xf32>) {
  // expected-error @+1 {{(C11) the hidden size (last dimension) must be positive, got 0}}
  %q, %s = vllm.quantize %y as <per_token> : tensor<8x0xf32> -> tensor<8x0xf8E4M3FN>, tensor<8xf32, #vllm.scales<row>>
  return
}

// -----

func.func @c11_rms_norm_quant_zero_hidden(%x: tensor<?x0xbf16>, %w: tensor<0xbf16>) {
  // expected-error @+1 {{(C11) the hidden size (last dimension) must be positive, got 0}}
  %q, %s = vllm.rms_norm_quant %x, %w as <per_token> {epsilon = 1.0e-06 : f32} : (tensor<?x0xbf16>, tensor<0xbf16>) -> (tensor<?x0xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>)
  return
}

// -----

func.func @c11_matmul_zero_n(%a: tensor<?x128xf8E4M3FN>, %b: tensor<0x128xf8E4M3FN>, %sa: tensor<1xf32, #vllm.scales<tensor>>, %sb: tensor<1xf32, #vllm.scales<tensor>>) {
  // expected-error @+1 {{(C11) K and N must be positive, got K = 128, N = 0}}
  %d = vllm.scaled_matmul %a, %b scales(%sa, %sb) : (tensor<?x128xf8E4M3FN>, tensor<0x128xf8E4M3FN>, tensor<1xf32, #vllm.scales<tensor>>, tensor<1xf32, #vllm.scales<tensor>>) -> tensor<?x0xbf16>
  return
}

// -----

func.func @c11_matmul_zero_k(%a: tensor<?x0xf8E4M3FN>, %b: tensor<64x0xf8E4M3FN>, %sa: tensor<1xf32, #vllm.scales<tensor>>, %sb: tensor<1xf32, #vllm.scales<tensor>>) {
  // expected-error @+1 {{(C11) K and N must be positive, got K = 0, N = 64}}
  %d = vllm.scaled_matmul %a, %b scales(%sa, %sb) : (tensor<?x0xf8E4M3FN>, tensor<64x0xf8E4M3FN>, tensor<1xf32, #vllm.scales<tensor>>, tensor<1xf32, #vllm.scales<tensor>>) -> tensor<?x64xbf16>
  return
}

// -----

// Zero rows are valid (the kernels then have no work), static or through a
// zero leading dimension.
func.func @c11_zero_rows(%x: tensor<0x256xbf16>, %x3: tensor<4x0x256xbf16>, %w: tensor<256xbf16>) {
  %y = vllm.rms_norm %x, %w {epsilon = 1.0e-06 : f32} : (tensor<0x256xbf16>, tensor<256xbf16>) -> tensor<0x256xbf16>
  %y3 = vllm.rms_norm %x3, %w {epsilon = 1.0e-06 : f32} : (tensor<4x0x256xbf16>, tensor<256xbf16>) -> tensor<4x0x256xbf16>
  %q, %s = vllm.quantize %y as <per_group 128, ue8m0_packed, mn_major, align 4> : tensor<0x256xbf16> -> tensor<0x256xf8E4M3FN>, tensor<1x0xi32, #vllm.scales<group 128, ue8m0_packed, mn_major, align 4>>
  return
}

// -----

// The row count of a rank-3 input overflows int64 (4 x (2^63 - 1) rows).
func.func @c11_row_count_overflow(%x: tensor<4x9223372036854775807x4096xbf16>, %w: tensor<4096xbf16>) {
  // expected-error @+1 {{(C11) operand #0 of type 'tensor<4x9223372036854775807x4096xbf16>' has more than 2^63 - 1 bytes, the largest tensor the kernels can address}}
  %y = vllm.rms_norm %x, %w {epsilon = 1.0e-06 : f32} : (tensor<4x9223372036854775807x4096xbf16>, tensor<4096xbf16>) -> tensor<4x9223372036854775807x4096xbf16>
  return
}

// -----

// 2^61 rows of two bf16 are 2^63 bytes: the element count fits, the byte
// size does not.
func.func @c11_byte_size_overflow(%x: tensor<2305843009213693952x2xbf16>, %w: tensor<2xbf16>) {
  // expected-error @+1 {{(C11) operand #0 of type 'tensor<2305843009213693952x2xbf16>' has more than 2^63 - 1 bytes}}
  %y = vllm.rms_norm %x, %w {epsilon = 1.0e-06 : f32} : (tensor<2305843009213693952x2xbf16>, tensor<2xbf16>) -> tensor<2305843009213693952x2xbf16>
  return
}

// -----

// One row fewer is 2^63 - 4 bytes: accepted.
func.func @c11_largest_accepted(%x: tensor<2305843009213693951x2xbf16>, %w: tensor<2xbf16>) {
  %y = vllm.rms_norm %x, %w {epsilon = 1.0e-06 : f32} : (tensor<2305843009213693951x2xbf16>, tensor<2xbf16>) -> tensor<2305843009213693951x2xbf16>
  return
}

// -----

// Only the result overflows: A [2^40, 128] fp8 and B [2^23, 128] fp8 fit,
// D [2^40, 2^23] bf16 is 2^64 bytes.
func.func @c11_matmul_result_overflow(%a: tensor<1099511627776x128xf8E4M3FN>, %b: tensor<8388608x128xf8E4M3FN>, %sa: tensor<1xf32, #vllm.scales<tensor>>, %sb: tensor<1xf32, #vllm.scales<tensor>>) {
  // expected-error @+1 {{(C11) result #0 of type 'tensor<1099511627776x8388608xbf16>' has more than 2^63 - 1 bytes}}
  %d = vllm.scaled_matmul %a, %b scales(%sa, %sb) : (tensor<1099511627776x128xf8E4M3FN>, tensor<8388608x128xf8E4M3FN>, tensor<1xf32, #vllm.scales<tensor>>, tensor<1xf32, #vllm.scales<tensor>>) -> tensor<1099511627776x8388608xbf16>
  return
}

// -----

// A dynamic dimension counts as one row: the static part alone overflows.
func.func @c11_static_part_overflow(%x: tensor<?x4611686018427387904xf32>, %w: tensor<4611686018427387904xf32>) {
  // expected-error @+1 {{(C11) operand #0 of type 'tensor<?x4611686018427387904xf32>' has more than 2^63 - 1 bytes}}
  %y = vllm.rms_norm %x, %w {epsilon = 1.0e-06 : f32} : (tensor<?x4611686018427387904xf32>, tensor<4611686018427387904xf32>) -> tensor<?x4611686018427387904xf32>
  return
}
