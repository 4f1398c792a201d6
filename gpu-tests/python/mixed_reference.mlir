// The vllm op of mixed_test.mlir on tensors, compiled the usual way
// (vllm-compile, loaded with vllm_mlir.load): test_mixed.py compares the
// function on buffers against it.
func.func @norm_quant(%h: tensor<?x2048xbf16>, %w: tensor<2048xbf16>) -> (tensor<?x2048xf8E4M3FN>, tensor<16x?xf32, #vllm.scales<group 128, f32, mn_major, align 4>>) {
  %q, %s = vllm.rms_norm_quant %h, %w as <per_group 128, f32, mn_major, align 4> {epsilon = 1.0e-06 : f32} : (tensor<?x2048xbf16>, tensor<2048xbf16>) -> (tensor<?x2048xf8E4M3FN>, tensor<16x?xf32, #vllm.scales<group 128, f32, mn_major, align 4>>)
  return %q, %s : tensor<?x2048xf8E4M3FN>, tensor<16x?xf32, #vllm.scales<group 128, f32, mn_major, align 4>>
}
