// Static shapes whose kernels would need more CTAs than CUDA's grid allows
// (gridDim.x < 2^31, gridDim.y < 2^16) are diagnosed by the lowering; with
// a dynamic M the launch fails at run time instead (docs/gpu-testing.md).
// RUN: vllm-opt %s -split-input-file -verify-diagnostics --convert-vllm-to-gpu=chip=sm_90a

// Rows of 65536 bf16 are streamed with a CTA per row: 2^31 rows is one CTA
// too many.
func.func @streamed_rows(%x: tensor<2147483648x65536xbf16>, %w: tensor<65536xbf16>) -> tensor<2147483648x65536xbf16> {
  // expected-error @+1 {{'vllm.rms_norm' op cannot be lowered: its kernel needs a grid of 2147483648 CTAs along x, more than CUDA's limit of 2147483647}}
  %y = vllm.rms_norm %x, %w {epsilon = 1.0e-06 : f32} : (tensor<2147483648x65536xbf16>, tensor<65536xbf16>) -> tensor<2147483648x65536xbf16>
  return %y : tensor<2147483648x65536xbf16>
}

// -----

// One row fewer fits.
func.func @streamed_rows_fit(%x: tensor<2147483647x65536xbf16>, %w: tensor<65536xbf16>) -> tensor<2147483647x65536xbf16> {
  %y = vllm.rms_norm %x, %w {epsilon = 1.0e-06 : f32} : (tensor<2147483647x65536xbf16>, tensor<65536xbf16>) -> tensor<2147483647x65536xbf16>
  return %y : tensor<2147483647x65536xbf16>
}

// -----

// Persistent kernels launch at most one wave, whatever M.
func.func @persistent_rows(%x: tensor<4294967296x256xbf16>, %w: tensor<256xbf16>) -> tensor<4294967296x256xbf16> {
  %y = vllm.rms_norm %x, %w {epsilon = 1.0e-06 : f32} : (tensor<4294967296x256xbf16>, tensor<256xbf16>) -> tensor<4294967296x256xbf16>
  return %y : tensor<4294967296x256xbf16>
}

// -----

// The SIMT GEMM tiles M by 64 along y: 65536 x 64 rows need 65536 CTAs.
func.func @matmul_rows(%a: tensor<4194304x128xf8E4M3FN>, %b: tensor<64x128xf8E4M3FN>, %sa: tensor<1xf32, #vllm.scales<tensor>>, %sb: tensor<1xf32, #vllm.scales<tensor>>) -> tensor<4194304x64xbf16> {
  // expected-error @+1 {{'vllm.scaled_matmul' op cannot be lowered: its kernel needs a grid of 65536 CTAs along y, more than CUDA's limit of 65535}}
  %d = vllm.scaled_matmul %a, %b scales(%sa, %sb) : (tensor<4194304x128xf8E4M3FN>, tensor<64x128xf8E4M3FN>, tensor<1xf32, #vllm.scales<tensor>>, tensor<1xf32, #vllm.scales<tensor>>) -> tensor<4194304x64xbf16>
  return %d : tensor<4194304x64xbf16>
}
