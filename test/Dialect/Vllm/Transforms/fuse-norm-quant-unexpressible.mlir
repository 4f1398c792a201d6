// Negative cases of the fusion that cannot even be written down: the
// verifiers reject them before any pass runs, so the pass never sees them.
// RUN: vllm-opt %s -split-input-file -verify-diagnostics --vllm-fuse-norm-quant

// A norm whose weight dtype differs from the input's does not verify (C1),
// so there is no "norm with a different weight dtype" to fuse or not.
func.func @weight_dtype_differs(%x: tensor<?x256xbf16>, %w: tensor<256xf32>) -> (tensor<?x256xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>) {
  // expected-error @+1 {{(C1) weight element type 'f32' differs from the input element type 'bf16'}}
  %y = vllm.rms_norm %x, %w {epsilon = 1.0e-06 : f32} : (tensor<?x256xbf16>, tensor<256xf32>) -> tensor<?x256xbf16>
  %q, %s = vllm.quantize %y as <per_token> : tensor<?x256xbf16> -> tensor<?x256xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>
  return %q, %s : tensor<?x256xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>
}

// -----

// An unsupported group size cannot be expressed in a scheme (C5).
func.func @group_size_unsupported(%x: tensor<?x512xbf16>, %w: tensor<512xbf16>) {
  %y = vllm.rms_norm %x, %w {epsilon = 1.0e-06 : f32} : (tensor<?x512xbf16>, tensor<512xbf16>) -> tensor<?x512xbf16>
  // expected-error @+1 {{(C5) group size must be 32, 64 or 128, got 256}}
  %q, %s = vllm.quantize %y as <per_group 256, f32, row_major> : tensor<?x512xbf16> -> tensor<?x512xf8E4M3FN>, tensor<?x2xf32>
  return
}

// -----

// A group size that does not divide the hidden size is rejected by the
// quantize (C5).
func.func @group_size_not_dividing(%x: tensor<?x320xbf16>, %w: tensor<320xbf16>) {
  %y = vllm.rms_norm %x, %w {epsilon = 1.0e-06 : f32} : (tensor<?x320xbf16>, tensor<320xbf16>) -> tensor<?x320xbf16>
  // expected-error @+1 {{(C5) hidden size 320 is not a multiple of the group size 128}}
  %q, %s = vllm.quantize %y as <per_group 128, f32, row_major> : tensor<?x320xbf16> -> tensor<?x320xf8E4M3FN>, tensor<?x2xf32, #vllm.scales<group 128, f32, row_major>>
  return
}

// -----

// The fused op itself is rank 2 only: batch dimensions have to be
// flattened, which is why the pass collapses x in front of it.
func.func @fused_rank3(%x: tensor<2x?x256xbf16>, %w: tensor<256xbf16>) {
  // expected-error @+1 {{(C1) expects the input to have rank 2 [M, H], got rank 3}}
  %q, %s = vllm.rms_norm_quant %x, %w as <per_token> {epsilon = 1.0e-06 : f32} : (tensor<2x?x256xbf16>, tensor<256xbf16>) -> (tensor<2x?x256xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>)
  return
}
