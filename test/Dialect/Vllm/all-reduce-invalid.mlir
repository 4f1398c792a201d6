// Every diagnostic of all_reduce and of the all-reduce form of
// rms_norm_quant (SPEC.md 3.10, 3.11), named after the constraint.
// RUN: vllm-opt %s -split-input-file -verify-diagnostics

func.func @c17_group_too_large(%x: tensor<?x128xbf16>) {
  // expected-error @+1 {{(C17) group 64 is out of range: a group is a number in [0, 64)}}
  %y = vllm.all_reduce %x group 64 : tensor<?x128xbf16> -> tensor<?x128xbf16>
  return
}

// -----

func.func @c17_group_negative(%x: tensor<?x128xbf16>) {
  // expected-error @+1 {{(C17) group -1 is out of range: a group is a number in [0, 64)}}
  %y = vllm.all_reduce %x group -1 : tensor<?x128xbf16> -> tensor<?x128xbf16>
  return
}

// -----

func.func @c17_rank1(%x: tensor<128xbf16>) {
  // expected-error @+1 {{(C17) expects the input to have rank 2 [M, H], got rank 1}}
  %y = vllm.all_reduce %x group 0 : tensor<128xbf16> -> tensor<128xbf16>
  return
}

// -----

func.func @c17_rank3(%x: tensor<2x?x128xbf16>) {
  // expected-error @+1 {{(C17) expects the input to have rank 2 [M, H], got rank 3}}
  %y = vllm.all_reduce %x group 0 : tensor<2x?x128xbf16> -> tensor<2x?x128xbf16>
  return
}

// -----

func.func @c17_dynamic_hidden(%x: tensor<4x?xbf16>) {
  // expected-error @+1 {{(C17) the hidden size (last dimension) must be static}}
  %y = vllm.all_reduce %x group 0 : tensor<4x?xbf16> -> tensor<4x?xbf16>
  return
}

// -----

func.func @c11_zero_hidden(%x: tensor<4x0xbf16>) {
  // expected-error @+1 {{(C11) the hidden size (last dimension) must be positive, got 0}}
  %y = vllm.all_reduce %x group 0 : tensor<4x0xbf16> -> tensor<4x0xbf16>
  return
}

// -----

func.func @c17_result_type(%x: tensor<?x128xbf16>) {
  // expected-error @+1 {{(C17) result type 'tensor<?x128xf32>' differs from the input type 'tensor<?x128xbf16>'}}
  %y = vllm.all_reduce %x group 0 : tensor<?x128xbf16> -> tensor<?x128xf32>
  return
}

// -----

func.func @c17_element_type(%x: tensor<?x128xi8>) {
  // expected-error @+1 {{operand #0 must be ranked tensor of bfloat16 type or 16-bit float or 32-bit float values}}
  %y = vllm.all_reduce %x group 0 : tensor<?x128xi8> -> tensor<?x128xi8>
  return
}

// -----

func.func @c19_fused_without_residual(%x: tensor<?x128xbf16>, %w: tensor<128xbf16>) {
  // expected-error @+1 {{(C19) the all-reduce form takes a residual}}
  %q, %s = vllm.rms_norm_quant %x, %w all_reduce(group 0) as <per_token> {epsilon = 1.0e-06 : f32}
      : (tensor<?x128xbf16>, tensor<128xbf16>) -> (tensor<?x128xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>)
  return
}

// -----

func.func @c17_fused_group(%x: tensor<?x128xbf16>, %r: tensor<?x128xbf16>, %w: tensor<128xbf16>) {
  // expected-error @+1 {{(C17) group 100 is out of range: a group is a number in [0, 64)}}
  %q, %s, %ro = vllm.rms_norm_quant %x, %w all_reduce(group 100) residual(%r) as <per_token> {epsilon = 1.0e-06 : f32}
      : (tensor<?x128xbf16>, tensor<128xbf16>, tensor<?x128xbf16>) -> (tensor<?x128xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>, tensor<?x128xbf16>)
  return
}

// -----

func.func @fused_group_syntax(%x: tensor<?x128xbf16>, %r: tensor<?x128xbf16>, %w: tensor<128xbf16>) {
  // expected-error @+1 {{expected 'group'}}
  %q, %s, %ro = vllm.rms_norm_quant %x, %w all_reduce(0) residual(%r) as <per_token> {epsilon = 1.0e-06 : f32}
      : (tensor<?x128xbf16>, tensor<128xbf16>, tensor<?x128xbf16>) -> (tensor<?x128xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>, tensor<?x128xbf16>)
  return
}

// -----

func.func @c15_buffer_overlap(%x: memref<?x128xbf16>) {
  // expected-error @+1 {{(C15) the output buffer}}
  vllm.buffer.all_reduce %x into %x group 0 : memref<?x128xbf16> into memref<?x128xbf16>
  return
}

// -----

func.func @c14_buffer_layout(%x: memref<?x128xbf16, strided<[256, 1]>>, %y: memref<?x128xbf16>) {
  // expected-error @+1 {{(C14) operand #0 of type 'memref<?x128xbf16, strided<[256, 1]>>' must have the identity layout}}
  vllm.buffer.all_reduce %x into %y group 0 : memref<?x128xbf16, strided<[256, 1]>> into memref<?x128xbf16>
  return
}

// -----

func.func @c17_buffer_group(%x: memref<?x128xbf16>, %y: memref<?x128xbf16>) {
  // expected-error @+1 {{(C17) group 64 is out of range}}
  vllm.buffer.all_reduce %x into %y group 64 : memref<?x128xbf16> into memref<?x128xbf16>
  return
}
