// The library gpu-tests/python/test_torch_ops.py loads as PyTorch custom ops
// (docs/pytorch.md). Built with
//   build/bin/vllm-compile gpu-tests/python/torch_ops_test.mlir --chip sm_90a \
//       -o DIR/torch_ops_test.so
// which writes DIR/torch_ops_test.manifest.json next to it.
//
// One function per kind of signature the loader must handle: one result and
// several, ranks 1 to 3, every element type (bf16, f16, f32, f8E4M3FN, i32),
// a static scale operand, scale results whose dynamic dimension is M (per
// token) or roundUp(M, 4) (MN-major, align 4), packed UE8M0 with G % 4 != 0,
// and a rank-3 input whose dynamic dimension is not the first.

func.func @rms_norm(%x: tensor<?x4096xbf16>, %w: tensor<4096xbf16>) -> tensor<?x4096xbf16> {
  %y = vllm.rms_norm %x, %w {epsilon = 1.0e-06 : f32} : (tensor<?x4096xbf16>, tensor<4096xbf16>) -> tensor<?x4096xbf16>
  return %y : tensor<?x4096xbf16>
}

func.func @rms_norm_f16_3d(%x: tensor<?x2x256xf16>, %w: tensor<256xf16>) -> tensor<?x2x256xf16> {
  %y = vllm.rms_norm %x, %w {epsilon = 1.0e-05 : f32} : (tensor<?x2x256xf16>, tensor<256xf16>) -> tensor<?x2x256xf16>
  return %y : tensor<?x2x256xf16>
}

func.func @fused_add_rms_norm_f32(%x: tensor<?x1024xf32>, %r: tensor<?x1024xf32>, %w: tensor<1024xf32>) -> (tensor<?x1024xf32>, tensor<?x1024xf32>) {
  %y, %ro = vllm.fused_add_rms_norm %x, %r, %w {epsilon = 1.0e-06 : f32} : (tensor<?x1024xf32>, tensor<?x1024xf32>, tensor<1024xf32>) -> (tensor<?x1024xf32>, tensor<?x1024xf32>)
  return %y, %ro : tensor<?x1024xf32>, tensor<?x1024xf32>
}

func.func @rms_norm_quant_tok(%x: tensor<?x4096xbf16>, %w: tensor<4096xbf16>) -> (tensor<?x4096xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>) {
  %q, %s = vllm.rms_norm_quant %x, %w as <per_token> {epsilon = 1.0e-06 : f32} : (tensor<?x4096xbf16>, tensor<4096xbf16>) -> (tensor<?x4096xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>)
  return %q, %s : tensor<?x4096xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>
}

func.func @rms_norm_quant_g128_packed(%x: tensor<?x7168xbf16>, %w: tensor<7168xbf16>, %r: tensor<?x7168xbf16>) -> (tensor<?x7168xf8E4M3FN>, tensor<14x?xi32, #vllm.scales<group 128, ue8m0_packed, mn_major, align 4>>, tensor<?x7168xbf16>) {
  %q, %s, %ro = vllm.rms_norm_quant %x, %w residual(%r) as <per_group 128, ue8m0_packed, mn_major, align 4> {epsilon = 1.0e-06 : f32} : (tensor<?x7168xbf16>, tensor<7168xbf16>, tensor<?x7168xbf16>) -> (tensor<?x7168xf8E4M3FN>, tensor<14x?xi32, #vllm.scales<group 128, ue8m0_packed, mn_major, align 4>>, tensor<?x7168xbf16>)
  return %q, %s, %ro : tensor<?x7168xf8E4M3FN>, tensor<14x?xi32, #vllm.scales<group 128, ue8m0_packed, mn_major, align 4>>, tensor<?x7168xbf16>
}

func.func @rms_norm_quant_g128_f32(%x: tensor<?x7168xbf16>, %w: tensor<7168xbf16>) -> (tensor<?x7168xf8E4M3FN>, tensor<56x?xf32, #vllm.scales<group 128, f32, mn_major, align 4>>) {
  %q, %s = vllm.rms_norm_quant %x, %w as <per_group 128, f32, mn_major, align 4> {epsilon = 1.0e-06 : f32} : (tensor<?x7168xbf16>, tensor<7168xbf16>) -> (tensor<?x7168xf8E4M3FN>, tensor<56x?xf32, #vllm.scales<group 128, f32, mn_major, align 4>>)
  return %q, %s : tensor<?x7168xf8E4M3FN>, tensor<56x?xf32, #vllm.scales<group 128, f32, mn_major, align 4>>
}

func.func @quantize_static(%y: tensor<?x4096xbf16>, %s: tensor<1xf32, #vllm.scales<tensor>>) -> (tensor<?x4096xf8E4M3FN>, tensor<1xf32, #vllm.scales<tensor>>) {
  %q, %sc = vllm.quantize %y scale(%s : tensor<1xf32, #vllm.scales<tensor>>) as <static_per_tensor> : tensor<?x4096xbf16> -> tensor<?x4096xf8E4M3FN>, tensor<1xf32, #vllm.scales<tensor>>
  return %q, %sc : tensor<?x4096xf8E4M3FN>, tensor<1xf32, #vllm.scales<tensor>>
}

func.func @quantize_g128_packed(%y: tensor<?x256xbf16>) -> (tensor<?x256xf8E4M3FN>, tensor<1x?xi32, #vllm.scales<group 128, ue8m0_packed, mn_major, align 4>>) {
  %q, %s = vllm.quantize %y as <per_group 128, ue8m0_packed, mn_major, align 4> : tensor<?x256xbf16> -> tensor<?x256xf8E4M3FN>, tensor<1x?xi32, #vllm.scales<group 128, ue8m0_packed, mn_major, align 4>>
  return %q, %s : tensor<?x256xf8E4M3FN>, tensor<1x?xi32, #vllm.scales<group 128, ue8m0_packed, mn_major, align 4>>
}

func.func @silu_and_mul(%x: tensor<?x4096xbf16>) -> tensor<?x2048xbf16> {
  %y = vllm.silu_and_mul %x : tensor<?x4096xbf16> -> tensor<?x2048xbf16>
  return %y : tensor<?x2048xbf16>
}

func.func @silu_and_mul_quant_g128_packed(%x: tensor<?x4096xbf16>) -> (tensor<?x2048xf8E4M3FN>, tensor<4x?xi32, #vllm.scales<group 128, ue8m0_packed, mn_major, align 4>>) {
  %q, %s = vllm.elementwise_quant silu_and_mul(%x) as <per_group 128, ue8m0_packed, mn_major, align 4> : tensor<?x4096xbf16> -> tensor<?x2048xf8E4M3FN>, tensor<4x?xi32, #vllm.scales<group 128, ue8m0_packed, mn_major, align 4>>
  return %q, %s : tensor<?x2048xf8E4M3FN>, tensor<4x?xi32, #vllm.scales<group 128, ue8m0_packed, mn_major, align 4>>
}
