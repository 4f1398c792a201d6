// The tensor-parallel functions of vllm-all-reduce-tests (AllReduceTests.cpp):
// all_reduce alone, and the site all_reduce -> fused_add_rms_norm -> quantize
// for several schemes, element types and hidden sizes. Compiled three ways:
// fused (the all-reduce form of rms_norm_quant), unfused with the peer
// kernel, and unfused with all-reduce=nccl (ncclAllReduce). Every site
// function also returns the normalized tensor, so the quantization can be
// checked exactly against the CPU reference given the GPU's y (SPEC.md 5).
// Names: ar_<t>_h<H>(x) -> y; site_<scheme>_<t>_h<H>(x, res, w [, s]) ->
// (q, scales, residual_out, y).

func.func @ar_bf16_h7168(%x: tensor<?x7168xbf16>) -> tensor<?x7168xbf16> {
  %y = vllm.all_reduce %x group 0 : tensor<?x7168xbf16> -> tensor<?x7168xbf16>
  return %y : tensor<?x7168xbf16>
}

func.func @ar_f16_h256(%x: tensor<?x256xf16>) -> tensor<?x256xf16> {
  %y = vllm.all_reduce %x group 0 : tensor<?x256xf16> -> tensor<?x256xf16>
  return %y : tensor<?x256xf16>
}

func.func @ar_f32_h1001(%x: tensor<?x1001xf32>) -> tensor<?x1001xf32> {
  %y = vllm.all_reduce %x group 0 : tensor<?x1001xf32> -> tensor<?x1001xf32>
  return %y : tensor<?x1001xf32>
}

func.func @site_g128pk_bf16_h7168(%x: tensor<?x7168xbf16>, %res: tensor<?x7168xbf16>, %w: tensor<7168xbf16>)
    -> (tensor<?x7168xf8E4M3FN>, tensor<14x?xi32, #vllm.scales<group 128, ue8m0_packed, mn_major, align 4>>, tensor<?x7168xbf16>, tensor<?x7168xbf16>) {
  %sum = vllm.all_reduce %x group 0 : tensor<?x7168xbf16> -> tensor<?x7168xbf16>
  %y, %r = vllm.fused_add_rms_norm %sum, %res, %w {epsilon = 1.0e-06 : f32}
      : (tensor<?x7168xbf16>, tensor<?x7168xbf16>, tensor<7168xbf16>) -> (tensor<?x7168xbf16>, tensor<?x7168xbf16>)
  %q, %sc = vllm.quantize %y as <per_group 128, ue8m0_packed, mn_major, align 4> : tensor<?x7168xbf16> -> tensor<?x7168xf8E4M3FN>, tensor<14x?xi32, #vllm.scales<group 128, ue8m0_packed, mn_major, align 4>>
  return %q, %sc, %r, %y : tensor<?x7168xf8E4M3FN>, tensor<14x?xi32, #vllm.scales<group 128, ue8m0_packed, mn_major, align 4>>, tensor<?x7168xbf16>, tensor<?x7168xbf16>
}

func.func @site_g128f32_bf16_h7168(%x: tensor<?x7168xbf16>, %res: tensor<?x7168xbf16>, %w: tensor<7168xbf16>)
    -> (tensor<?x7168xf8E4M3FN>, tensor<56x?xf32, #vllm.scales<group 128, f32, mn_major, align 4>>, tensor<?x7168xbf16>, tensor<?x7168xbf16>) {
  %sum = vllm.all_reduce %x group 0 : tensor<?x7168xbf16> -> tensor<?x7168xbf16>
  %y, %r = vllm.fused_add_rms_norm %sum, %res, %w {epsilon = 1.0e-06 : f32}
      : (tensor<?x7168xbf16>, tensor<?x7168xbf16>, tensor<7168xbf16>) -> (tensor<?x7168xbf16>, tensor<?x7168xbf16>)
  %q, %sc = vllm.quantize %y as <per_group 128, f32, mn_major, align 4> : tensor<?x7168xbf16> -> tensor<?x7168xf8E4M3FN>, tensor<56x?xf32, #vllm.scales<group 128, f32, mn_major, align 4>>
  return %q, %sc, %r, %y : tensor<?x7168xf8E4M3FN>, tensor<56x?xf32, #vllm.scales<group 128, f32, mn_major, align 4>>, tensor<?x7168xbf16>, tensor<?x7168xbf16>
}

func.func @site_tok_bf16_h7168(%x: tensor<?x7168xbf16>, %res: tensor<?x7168xbf16>, %w: tensor<7168xbf16>)
    -> (tensor<?x7168xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>, tensor<?x7168xbf16>, tensor<?x7168xbf16>) {
  %sum = vllm.all_reduce %x group 0 : tensor<?x7168xbf16> -> tensor<?x7168xbf16>
  %y, %r = vllm.fused_add_rms_norm %sum, %res, %w {epsilon = 1.0e-06 : f32}
      : (tensor<?x7168xbf16>, tensor<?x7168xbf16>, tensor<7168xbf16>) -> (tensor<?x7168xbf16>, tensor<?x7168xbf16>)
  %q, %sc = vllm.quantize %y as <per_token> : tensor<?x7168xbf16> -> tensor<?x7168xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>
  return %q, %sc, %r, %y : tensor<?x7168xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>, tensor<?x7168xbf16>, tensor<?x7168xbf16>
}

func.func @site_dpt_bf16_h7168(%x: tensor<?x7168xbf16>, %res: tensor<?x7168xbf16>, %w: tensor<7168xbf16>)
    -> (tensor<?x7168xf8E4M3FN>, tensor<1xf32, #vllm.scales<tensor>>, tensor<?x7168xbf16>, tensor<?x7168xbf16>) {
  %sum = vllm.all_reduce %x group 0 : tensor<?x7168xbf16> -> tensor<?x7168xbf16>
  %y, %r = vllm.fused_add_rms_norm %sum, %res, %w {epsilon = 1.0e-06 : f32}
      : (tensor<?x7168xbf16>, tensor<?x7168xbf16>, tensor<7168xbf16>) -> (tensor<?x7168xbf16>, tensor<?x7168xbf16>)
  %q, %sc = vllm.quantize %y as <dynamic_per_tensor> : tensor<?x7168xbf16> -> tensor<?x7168xf8E4M3FN>, tensor<1xf32, #vllm.scales<tensor>>
  return %q, %sc, %r, %y : tensor<?x7168xf8E4M3FN>, tensor<1xf32, #vllm.scales<tensor>>, tensor<?x7168xbf16>, tensor<?x7168xbf16>
}

func.func @site_static_bf16_h7168(%x: tensor<?x7168xbf16>, %res: tensor<?x7168xbf16>, %w: tensor<7168xbf16>, %s0: tensor<1xf32, #vllm.scales<tensor>>)
    -> (tensor<?x7168xf8E4M3FN>, tensor<1xf32, #vllm.scales<tensor>>, tensor<?x7168xbf16>, tensor<?x7168xbf16>) {
  %sum = vllm.all_reduce %x group 0 : tensor<?x7168xbf16> -> tensor<?x7168xbf16>
  %y, %r = vllm.fused_add_rms_norm %sum, %res, %w {epsilon = 1.0e-06 : f32}
      : (tensor<?x7168xbf16>, tensor<?x7168xbf16>, tensor<7168xbf16>) -> (tensor<?x7168xbf16>, tensor<?x7168xbf16>)
  %q, %sc = vllm.quantize %y scale(%s0 : tensor<1xf32, #vllm.scales<tensor>>) as <static_per_tensor> : tensor<?x7168xbf16> -> tensor<?x7168xf8E4M3FN>, tensor<1xf32, #vllm.scales<tensor>>
  return %q, %sc, %r, %y : tensor<?x7168xf8E4M3FN>, tensor<1xf32, #vllm.scales<tensor>>, tensor<?x7168xbf16>, tensor<?x7168xbf16>
}

func.func @site_g128pk_f16_h256(%x: tensor<?x256xf16>, %res: tensor<?x256xf16>, %w: tensor<256xf16>)
    -> (tensor<?x256xf8E4M3FN>, tensor<1x?xi32, #vllm.scales<group 128, ue8m0_packed, mn_major, align 4>>, tensor<?x256xf16>, tensor<?x256xf16>) {
  %sum = vllm.all_reduce %x group 0 : tensor<?x256xf16> -> tensor<?x256xf16>
  %y, %r = vllm.fused_add_rms_norm %sum, %res, %w {epsilon = 1.0e-06 : f32}
      : (tensor<?x256xf16>, tensor<?x256xf16>, tensor<256xf16>) -> (tensor<?x256xf16>, tensor<?x256xf16>)
  %q, %sc = vllm.quantize %y as <per_group 128, ue8m0_packed, mn_major, align 4> : tensor<?x256xf16> -> tensor<?x256xf8E4M3FN>, tensor<1x?xi32, #vllm.scales<group 128, ue8m0_packed, mn_major, align 4>>
  return %q, %sc, %r, %y : tensor<?x256xf8E4M3FN>, tensor<1x?xi32, #vllm.scales<group 128, ue8m0_packed, mn_major, align 4>>, tensor<?x256xf16>, tensor<?x256xf16>
}

func.func @site_tok_f16_h256(%x: tensor<?x256xf16>, %res: tensor<?x256xf16>, %w: tensor<256xf16>)
    -> (tensor<?x256xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>, tensor<?x256xf16>, tensor<?x256xf16>) {
  %sum = vllm.all_reduce %x group 0 : tensor<?x256xf16> -> tensor<?x256xf16>
  %y, %r = vllm.fused_add_rms_norm %sum, %res, %w {epsilon = 1.0e-06 : f32}
      : (tensor<?x256xf16>, tensor<?x256xf16>, tensor<256xf16>) -> (tensor<?x256xf16>, tensor<?x256xf16>)
  %q, %sc = vllm.quantize %y as <per_token> : tensor<?x256xf16> -> tensor<?x256xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>
  return %q, %sc, %r, %y : tensor<?x256xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>, tensor<?x256xf16>, tensor<?x256xf16>
}

func.func @site_tok_f32_h1001(%x: tensor<?x1001xf32>, %res: tensor<?x1001xf32>, %w: tensor<1001xf32>)
    -> (tensor<?x1001xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>, tensor<?x1001xf32>, tensor<?x1001xf32>) {
  %sum = vllm.all_reduce %x group 0 : tensor<?x1001xf32> -> tensor<?x1001xf32>
  %y, %r = vllm.fused_add_rms_norm %sum, %res, %w {epsilon = 1.0e-06 : f32}
      : (tensor<?x1001xf32>, tensor<?x1001xf32>, tensor<1001xf32>) -> (tensor<?x1001xf32>, tensor<?x1001xf32>)
  %q, %sc = vllm.quantize %y as <per_token> : tensor<?x1001xf32> -> tensor<?x1001xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>
  return %q, %sc, %r, %y : tensor<?x1001xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>, tensor<?x1001xf32>, tensor<?x1001xf32>
}

func.func @site_dpt_f32_h1001(%x: tensor<?x1001xf32>, %res: tensor<?x1001xf32>, %w: tensor<1001xf32>)
    -> (tensor<?x1001xf8E4M3FN>, tensor<1xf32, #vllm.scales<tensor>>, tensor<?x1001xf32>, tensor<?x1001xf32>) {
  %sum = vllm.all_reduce %x group 0 : tensor<?x1001xf32> -> tensor<?x1001xf32>
  %y, %r = vllm.fused_add_rms_norm %sum, %res, %w {epsilon = 1.0e-06 : f32}
      : (tensor<?x1001xf32>, tensor<?x1001xf32>, tensor<1001xf32>) -> (tensor<?x1001xf32>, tensor<?x1001xf32>)
  %q, %sc = vllm.quantize %y as <dynamic_per_tensor> : tensor<?x1001xf32> -> tensor<?x1001xf8E4M3FN>, tensor<1xf32, #vllm.scales<tensor>>
  return %q, %sc, %r, %y : tensor<?x1001xf8E4M3FN>, tensor<1xf32, #vllm.scales<tensor>>, tensor<?x1001xf32>, tensor<?x1001xf32>
}
