// The tensor form of @layer in vllm-to-gpu-buffers.mlir (without the
// linalg op, which launches nothing of ours).
func.func @layer(%x: tensor<?x4096xbf16>, %res: tensor<?x4096xbf16>, %w: tensor<4096xbf16>, %b: tensor<2112x4096xf8E4M3FN>, %sb: tensor<17x32xf32, #vllm.scales<block 128x128, f32>>) -> (tensor<?x2112xbf16>, tensor<?x4096xbf16>) {
  %q, %s, %r = vllm.rms_norm_quant %x, %w residual(%res) as <per_group 128, f32, mn_major, align 4> {epsilon = 1.0e-06 : f32} : (tensor<?x4096xbf16>, tensor<4096xbf16>, tensor<?x4096xbf16>) -> (tensor<?x4096xf8E4M3FN>, tensor<32x?xf32, #vllm.scales<group 128, f32, mn_major, align 4>>, tensor<?x4096xbf16>)
  %d = vllm.scaled_matmul %q, %b scales(%s, %sb) chip <sm_90a> : (tensor<?x4096xf8E4M3FN>, tensor<2112x4096xf8E4M3FN>, tensor<32x?xf32, #vllm.scales<group 128, f32, mn_major, align 4>>, tensor<17x32xf32, #vllm.scales<block 128x128, f32>>) -> tensor<?x2112xbf16>
  return %d, %r : tensor<?x2112xbf16>, tensor<?x4096xbf16>
}
