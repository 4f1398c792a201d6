// Every kind of kernel the GPU lowering generates, for the ptxas tests:
// norms, quantize and rms_norm_quant for every scheme, encoding and layout,
// with and without residual, odd and large hidden sizes, f16/f32 inputs, and
// scaled_matmul with every activation and weight scale format.

func.func @quant_static(%y: tensor<?x256xbf16>, %s: tensor<1xf32, #vllm.scales<tensor>>) -> (tensor<?x256xf8E4M3FN>, tensor<1xf32, #vllm.scales<tensor>>) {
  %q, %sc = vllm.quantize %y scale(%s : tensor<1xf32, #vllm.scales<tensor>>) as <static_per_tensor> : tensor<?x256xbf16> -> tensor<?x256xf8E4M3FN>, tensor<1xf32, #vllm.scales<tensor>>
  return %q, %sc : tensor<?x256xf8E4M3FN>, tensor<1xf32, #vllm.scales<tensor>>
}

func.func @fused_static(%x: tensor<?x256xbf16>, %w: tensor<256xbf16>, %r: tensor<?x256xbf16>, %s: tensor<1xf32, #vllm.scales<tensor>>) -> (tensor<?x256xf8E4M3FN>, tensor<1xf32, #vllm.scales<tensor>>, tensor<?x256xbf16>, tensor<?x256xbf16>) {
  %q, %sc, %ro, %n = vllm.rms_norm_quant %x, %w residual(%r) scale(%s) as <static_per_tensor> {epsilon = 1.0e-06 : f32} : (tensor<?x256xbf16>, tensor<256xbf16>, tensor<?x256xbf16>, tensor<1xf32, #vllm.scales<tensor>>) -> (tensor<?x256xf8E4M3FN>, tensor<1xf32, #vllm.scales<tensor>>, tensor<?x256xbf16>, tensor<?x256xbf16>)
  return %q, %sc, %ro, %n : tensor<?x256xf8E4M3FN>, tensor<1xf32, #vllm.scales<tensor>>, tensor<?x256xbf16>, tensor<?x256xbf16>
}

func.func @quant_dyn_tensor(%y: tensor<?x256xbf16>) -> (tensor<?x256xf8E4M3FN>, tensor<1xf32, #vllm.scales<tensor>>) {
  %q, %sc = vllm.quantize %y as <dynamic_per_tensor> : tensor<?x256xbf16> -> tensor<?x256xf8E4M3FN>, tensor<1xf32, #vllm.scales<tensor>>
  return %q, %sc : tensor<?x256xf8E4M3FN>, tensor<1xf32, #vllm.scales<tensor>>
}

func.func @fused_dyn_tensor(%x: tensor<?x256xbf16>, %w: tensor<256xbf16>, %r: tensor<?x256xbf16>) -> (tensor<?x256xf8E4M3FN>, tensor<1xf32, #vllm.scales<tensor>>, tensor<?x256xbf16>, tensor<?x256xbf16>) {
  %q, %sc, %ro, %n = vllm.rms_norm_quant %x, %w residual(%r) as <dynamic_per_tensor> {epsilon = 1.0e-06 : f32} : (tensor<?x256xbf16>, tensor<256xbf16>, tensor<?x256xbf16>) -> (tensor<?x256xf8E4M3FN>, tensor<1xf32, #vllm.scales<tensor>>, tensor<?x256xbf16>, tensor<?x256xbf16>)
  return %q, %sc, %ro, %n : tensor<?x256xf8E4M3FN>, tensor<1xf32, #vllm.scales<tensor>>, tensor<?x256xbf16>, tensor<?x256xbf16>
}

func.func @quant_token(%y: tensor<?x256xbf16>) -> (tensor<?x256xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>) {
  %q, %sc = vllm.quantize %y as <per_token> : tensor<?x256xbf16> -> tensor<?x256xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>
  return %q, %sc : tensor<?x256xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>
}

func.func @fused_token(%x: tensor<?x256xbf16>, %w: tensor<256xbf16>, %r: tensor<?x256xbf16>) -> (tensor<?x256xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>, tensor<?x256xbf16>, tensor<?x256xbf16>) {
  %q, %sc, %ro, %n = vllm.rms_norm_quant %x, %w residual(%r) as <per_token> {epsilon = 1.0e-06 : f32} : (tensor<?x256xbf16>, tensor<256xbf16>, tensor<?x256xbf16>) -> (tensor<?x256xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>, tensor<?x256xbf16>, tensor<?x256xbf16>)
  return %q, %sc, %ro, %n : tensor<?x256xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>, tensor<?x256xbf16>, tensor<?x256xbf16>
}

func.func @quant_token_ub(%y: tensor<?x256xbf16>) -> (tensor<?x256xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>) {
  %q, %sc = vllm.quantize %y as <per_token, upper_bound = 2.5> : tensor<?x256xbf16> -> tensor<?x256xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>
  return %q, %sc : tensor<?x256xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>
}

func.func @fused_token_ub(%x: tensor<?x256xbf16>, %w: tensor<256xbf16>, %r: tensor<?x256xbf16>) -> (tensor<?x256xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>, tensor<?x256xbf16>, tensor<?x256xbf16>) {
  %q, %sc, %ro, %n = vllm.rms_norm_quant %x, %w residual(%r) as <per_token, upper_bound = 2.5> {epsilon = 1.0e-06 : f32} : (tensor<?x256xbf16>, tensor<256xbf16>, tensor<?x256xbf16>) -> (tensor<?x256xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>, tensor<?x256xbf16>, tensor<?x256xbf16>)
  return %q, %sc, %ro, %n : tensor<?x256xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>, tensor<?x256xbf16>, tensor<?x256xbf16>
}

func.func @quant_g128_f32_rm(%y: tensor<?x256xbf16>) -> (tensor<?x256xf8E4M3FN>, tensor<?x2xf32, #vllm.scales<group 128, f32, row_major>>) {
  %q, %sc = vllm.quantize %y as <per_group 128, f32, row_major> : tensor<?x256xbf16> -> tensor<?x256xf8E4M3FN>, tensor<?x2xf32, #vllm.scales<group 128, f32, row_major>>
  return %q, %sc : tensor<?x256xf8E4M3FN>, tensor<?x2xf32, #vllm.scales<group 128, f32, row_major>>
}

func.func @fused_g128_f32_rm(%x: tensor<?x256xbf16>, %w: tensor<256xbf16>, %r: tensor<?x256xbf16>) -> (tensor<?x256xf8E4M3FN>, tensor<?x2xf32, #vllm.scales<group 128, f32, row_major>>, tensor<?x256xbf16>, tensor<?x256xbf16>) {
  %q, %sc, %ro, %n = vllm.rms_norm_quant %x, %w residual(%r) as <per_group 128, f32, row_major> {epsilon = 1.0e-06 : f32} : (tensor<?x256xbf16>, tensor<256xbf16>, tensor<?x256xbf16>) -> (tensor<?x256xf8E4M3FN>, tensor<?x2xf32, #vllm.scales<group 128, f32, row_major>>, tensor<?x256xbf16>, tensor<?x256xbf16>)
  return %q, %sc, %ro, %n : tensor<?x256xf8E4M3FN>, tensor<?x2xf32, #vllm.scales<group 128, f32, row_major>>, tensor<?x256xbf16>, tensor<?x256xbf16>
}

func.func @quant_g128_f32_mn4(%y: tensor<?x256xbf16>) -> (tensor<?x256xf8E4M3FN>, tensor<2x?xf32, #vllm.scales<group 128, f32, mn_major, align 4>>) {
  %q, %sc = vllm.quantize %y as <per_group 128, f32, mn_major, align 4> : tensor<?x256xbf16> -> tensor<?x256xf8E4M3FN>, tensor<2x?xf32, #vllm.scales<group 128, f32, mn_major, align 4>>
  return %q, %sc : tensor<?x256xf8E4M3FN>, tensor<2x?xf32, #vllm.scales<group 128, f32, mn_major, align 4>>
}

func.func @fused_g128_f32_mn4(%x: tensor<?x256xbf16>, %w: tensor<256xbf16>, %r: tensor<?x256xbf16>) -> (tensor<?x256xf8E4M3FN>, tensor<2x?xf32, #vllm.scales<group 128, f32, mn_major, align 4>>, tensor<?x256xbf16>, tensor<?x256xbf16>) {
  %q, %sc, %ro, %n = vllm.rms_norm_quant %x, %w residual(%r) as <per_group 128, f32, mn_major, align 4> {epsilon = 1.0e-06 : f32} : (tensor<?x256xbf16>, tensor<256xbf16>, tensor<?x256xbf16>) -> (tensor<?x256xf8E4M3FN>, tensor<2x?xf32, #vllm.scales<group 128, f32, mn_major, align 4>>, tensor<?x256xbf16>, tensor<?x256xbf16>)
  return %q, %sc, %ro, %n : tensor<?x256xf8E4M3FN>, tensor<2x?xf32, #vllm.scales<group 128, f32, mn_major, align 4>>, tensor<?x256xbf16>, tensor<?x256xbf16>
}

func.func @quant_g128_ue8f32_mn1(%y: tensor<?x256xbf16>) -> (tensor<?x256xf8E4M3FN>, tensor<2x?xf32, #vllm.scales<group 128, ue8m0_f32, mn_major>>) {
  %q, %sc = vllm.quantize %y as <per_group 128, ue8m0_f32, mn_major> : tensor<?x256xbf16> -> tensor<?x256xf8E4M3FN>, tensor<2x?xf32, #vllm.scales<group 128, ue8m0_f32, mn_major>>
  return %q, %sc : tensor<?x256xf8E4M3FN>, tensor<2x?xf32, #vllm.scales<group 128, ue8m0_f32, mn_major>>
}

func.func @fused_g128_ue8f32_mn1(%x: tensor<?x256xbf16>, %w: tensor<256xbf16>, %r: tensor<?x256xbf16>) -> (tensor<?x256xf8E4M3FN>, tensor<2x?xf32, #vllm.scales<group 128, ue8m0_f32, mn_major>>, tensor<?x256xbf16>, tensor<?x256xbf16>) {
  %q, %sc, %ro, %n = vllm.rms_norm_quant %x, %w residual(%r) as <per_group 128, ue8m0_f32, mn_major> {epsilon = 1.0e-06 : f32} : (tensor<?x256xbf16>, tensor<256xbf16>, tensor<?x256xbf16>) -> (tensor<?x256xf8E4M3FN>, tensor<2x?xf32, #vllm.scales<group 128, ue8m0_f32, mn_major>>, tensor<?x256xbf16>, tensor<?x256xbf16>)
  return %q, %sc, %ro, %n : tensor<?x256xf8E4M3FN>, tensor<2x?xf32, #vllm.scales<group 128, ue8m0_f32, mn_major>>, tensor<?x256xbf16>, tensor<?x256xbf16>
}

func.func @quant_g128_ue8f32_rm(%y: tensor<?x256xbf16>) -> (tensor<?x256xf8E4M3FN>, tensor<?x2xf32, #vllm.scales<group 128, ue8m0_f32, row_major>>) {
  %q, %sc = vllm.quantize %y as <per_group 128, ue8m0_f32, row_major> : tensor<?x256xbf16> -> tensor<?x256xf8E4M3FN>, tensor<?x2xf32, #vllm.scales<group 128, ue8m0_f32, row_major>>
  return %q, %sc : tensor<?x256xf8E4M3FN>, tensor<?x2xf32, #vllm.scales<group 128, ue8m0_f32, row_major>>
}

func.func @fused_g128_ue8f32_rm(%x: tensor<?x256xbf16>, %w: tensor<256xbf16>, %r: tensor<?x256xbf16>) -> (tensor<?x256xf8E4M3FN>, tensor<?x2xf32, #vllm.scales<group 128, ue8m0_f32, row_major>>, tensor<?x256xbf16>, tensor<?x256xbf16>) {
  %q, %sc, %ro, %n = vllm.rms_norm_quant %x, %w residual(%r) as <per_group 128, ue8m0_f32, row_major> {epsilon = 1.0e-06 : f32} : (tensor<?x256xbf16>, tensor<256xbf16>, tensor<?x256xbf16>) -> (tensor<?x256xf8E4M3FN>, tensor<?x2xf32, #vllm.scales<group 128, ue8m0_f32, row_major>>, tensor<?x256xbf16>, tensor<?x256xbf16>)
  return %q, %sc, %ro, %n : tensor<?x256xf8E4M3FN>, tensor<?x2xf32, #vllm.scales<group 128, ue8m0_f32, row_major>>, tensor<?x256xbf16>, tensor<?x256xbf16>
}

func.func @quant_g128_packed(%y: tensor<?x256xbf16>) -> (tensor<?x256xf8E4M3FN>, tensor<1x?xi32, #vllm.scales<group 128, ue8m0_packed, mn_major, align 4>>) {
  %q, %sc = vllm.quantize %y as <per_group 128, ue8m0_packed, mn_major, align 4> : tensor<?x256xbf16> -> tensor<?x256xf8E4M3FN>, tensor<1x?xi32, #vllm.scales<group 128, ue8m0_packed, mn_major, align 4>>
  return %q, %sc : tensor<?x256xf8E4M3FN>, tensor<1x?xi32, #vllm.scales<group 128, ue8m0_packed, mn_major, align 4>>
}

func.func @fused_g128_packed(%x: tensor<?x256xbf16>, %w: tensor<256xbf16>, %r: tensor<?x256xbf16>) -> (tensor<?x256xf8E4M3FN>, tensor<1x?xi32, #vllm.scales<group 128, ue8m0_packed, mn_major, align 4>>, tensor<?x256xbf16>, tensor<?x256xbf16>) {
  %q, %sc, %ro, %n = vllm.rms_norm_quant %x, %w residual(%r) as <per_group 128, ue8m0_packed, mn_major, align 4> {epsilon = 1.0e-06 : f32} : (tensor<?x256xbf16>, tensor<256xbf16>, tensor<?x256xbf16>) -> (tensor<?x256xf8E4M3FN>, tensor<1x?xi32, #vllm.scales<group 128, ue8m0_packed, mn_major, align 4>>, tensor<?x256xbf16>, tensor<?x256xbf16>)
  return %q, %sc, %ro, %n : tensor<?x256xf8E4M3FN>, tensor<1x?xi32, #vllm.scales<group 128, ue8m0_packed, mn_major, align 4>>, tensor<?x256xbf16>, tensor<?x256xbf16>
}

func.func @quant_g32_packed(%y: tensor<?x256xbf16>) -> (tensor<?x256xf8E4M3FN>, tensor<2x?xi32, #vllm.scales<group 32, ue8m0_packed, mn_major, align 4>>) {
  %q, %sc = vllm.quantize %y as <per_group 32, ue8m0_packed, mn_major, align 4> : tensor<?x256xbf16> -> tensor<?x256xf8E4M3FN>, tensor<2x?xi32, #vllm.scales<group 32, ue8m0_packed, mn_major, align 4>>
  return %q, %sc : tensor<?x256xf8E4M3FN>, tensor<2x?xi32, #vllm.scales<group 32, ue8m0_packed, mn_major, align 4>>
}

func.func @fused_g32_packed(%x: tensor<?x256xbf16>, %w: tensor<256xbf16>, %r: tensor<?x256xbf16>) -> (tensor<?x256xf8E4M3FN>, tensor<2x?xi32, #vllm.scales<group 32, ue8m0_packed, mn_major, align 4>>, tensor<?x256xbf16>, tensor<?x256xbf16>) {
  %q, %sc, %ro, %n = vllm.rms_norm_quant %x, %w residual(%r) as <per_group 32, ue8m0_packed, mn_major, align 4> {epsilon = 1.0e-06 : f32} : (tensor<?x256xbf16>, tensor<256xbf16>, tensor<?x256xbf16>) -> (tensor<?x256xf8E4M3FN>, tensor<2x?xi32, #vllm.scales<group 32, ue8m0_packed, mn_major, align 4>>, tensor<?x256xbf16>, tensor<?x256xbf16>)
  return %q, %sc, %ro, %n : tensor<?x256xf8E4M3FN>, tensor<2x?xi32, #vllm.scales<group 32, ue8m0_packed, mn_major, align 4>>, tensor<?x256xbf16>, tensor<?x256xbf16>
}

func.func @quant_g64_f32_mn4(%y: tensor<?x256xbf16>) -> (tensor<?x256xf8E4M3FN>, tensor<4x?xf32, #vllm.scales<group 64, f32, mn_major, align 4>>) {
  %q, %sc = vllm.quantize %y as <per_group 64, f32, mn_major, align 4> : tensor<?x256xbf16> -> tensor<?x256xf8E4M3FN>, tensor<4x?xf32, #vllm.scales<group 64, f32, mn_major, align 4>>
  return %q, %sc : tensor<?x256xf8E4M3FN>, tensor<4x?xf32, #vllm.scales<group 64, f32, mn_major, align 4>>
}

func.func @fused_g64_f32_mn4(%x: tensor<?x256xbf16>, %w: tensor<256xbf16>, %r: tensor<?x256xbf16>) -> (tensor<?x256xf8E4M3FN>, tensor<4x?xf32, #vllm.scales<group 64, f32, mn_major, align 4>>, tensor<?x256xbf16>, tensor<?x256xbf16>) {
  %q, %sc, %ro, %n = vllm.rms_norm_quant %x, %w residual(%r) as <per_group 64, f32, mn_major, align 4> {epsilon = 1.0e-06 : f32} : (tensor<?x256xbf16>, tensor<256xbf16>, tensor<?x256xbf16>) -> (tensor<?x256xf8E4M3FN>, tensor<4x?xf32, #vllm.scales<group 64, f32, mn_major, align 4>>, tensor<?x256xbf16>, tensor<?x256xbf16>)
  return %q, %sc, %ro, %n : tensor<?x256xf8E4M3FN>, tensor<4x?xf32, #vllm.scales<group 64, f32, mn_major, align 4>>, tensor<?x256xbf16>, tensor<?x256xbf16>
}

func.func @norm_bf16_h1001(%x: tensor<?x1001xbf16>, %w: tensor<1001xbf16>, %r: tensor<?x1001xbf16>) -> (tensor<?x1001xbf16>, tensor<?x1001xbf16>, tensor<?x1001xbf16>) {
  %y = vllm.rms_norm %x, %w {epsilon = 1.0e-05 : f32} : (tensor<?x1001xbf16>, tensor<1001xbf16>) -> tensor<?x1001xbf16>
  %y2, %ro = vllm.fused_add_rms_norm %x, %r, %w {epsilon = 1.0e-06 : f32} : (tensor<?x1001xbf16>, tensor<?x1001xbf16>, tensor<1001xbf16>) -> (tensor<?x1001xbf16>, tensor<?x1001xbf16>)
  return %y, %y2, %ro : tensor<?x1001xbf16>, tensor<?x1001xbf16>, tensor<?x1001xbf16>
}

func.func @fused_token_bf16_h1001(%x: tensor<?x1001xbf16>, %w: tensor<1001xbf16>) -> (tensor<?x1001xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>) {
  %q, %sc = vllm.rms_norm_quant %x, %w as <per_token> {epsilon = 1.0e-06 : f32} : (tensor<?x1001xbf16>, tensor<1001xbf16>) -> (tensor<?x1001xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>)
  return %q, %sc : tensor<?x1001xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>
}

func.func @norm_f16_h4100(%x: tensor<?x4100xf16>, %w: tensor<4100xf16>, %r: tensor<?x4100xf16>) -> (tensor<?x4100xf16>, tensor<?x4100xf16>, tensor<?x4100xf16>) {
  %y = vllm.rms_norm %x, %w {epsilon = 1.0e-05 : f32} : (tensor<?x4100xf16>, tensor<4100xf16>) -> tensor<?x4100xf16>
  %y2, %ro = vllm.fused_add_rms_norm %x, %r, %w {epsilon = 1.0e-06 : f32} : (tensor<?x4100xf16>, tensor<?x4100xf16>, tensor<4100xf16>) -> (tensor<?x4100xf16>, tensor<?x4100xf16>)
  return %y, %y2, %ro : tensor<?x4100xf16>, tensor<?x4100xf16>, tensor<?x4100xf16>
}

func.func @fused_token_f16_h4100(%x: tensor<?x4100xf16>, %w: tensor<4100xf16>) -> (tensor<?x4100xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>) {
  %q, %sc = vllm.rms_norm_quant %x, %w as <per_token> {epsilon = 1.0e-06 : f32} : (tensor<?x4100xf16>, tensor<4100xf16>) -> (tensor<?x4100xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>)
  return %q, %sc : tensor<?x4100xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>
}

func.func @norm_f32_h7168(%x: tensor<?x7168xf32>, %w: tensor<7168xf32>, %r: tensor<?x7168xf32>) -> (tensor<?x7168xf32>, tensor<?x7168xf32>, tensor<?x7168xf32>) {
  %y = vllm.rms_norm %x, %w {epsilon = 1.0e-05 : f32} : (tensor<?x7168xf32>, tensor<7168xf32>) -> tensor<?x7168xf32>
  %y2, %ro = vllm.fused_add_rms_norm %x, %r, %w {epsilon = 1.0e-06 : f32} : (tensor<?x7168xf32>, tensor<?x7168xf32>, tensor<7168xf32>) -> (tensor<?x7168xf32>, tensor<?x7168xf32>)
  return %y, %y2, %ro : tensor<?x7168xf32>, tensor<?x7168xf32>, tensor<?x7168xf32>
}

func.func @fused_token_f32_h7168(%x: tensor<?x7168xf32>, %w: tensor<7168xf32>) -> (tensor<?x7168xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>) {
  %q, %sc = vllm.rms_norm_quant %x, %w as <per_token> {epsilon = 1.0e-06 : f32} : (tensor<?x7168xf32>, tensor<7168xf32>) -> (tensor<?x7168xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>)
  return %q, %sc : tensor<?x7168xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>
}

func.func @norm_bf16_h16384(%x: tensor<?x16384xbf16>, %w: tensor<16384xbf16>, %r: tensor<?x16384xbf16>) -> (tensor<?x16384xbf16>, tensor<?x16384xbf16>, tensor<?x16384xbf16>) {
  %y = vllm.rms_norm %x, %w {epsilon = 1.0e-05 : f32} : (tensor<?x16384xbf16>, tensor<16384xbf16>) -> tensor<?x16384xbf16>
  %y2, %ro = vllm.fused_add_rms_norm %x, %r, %w {epsilon = 1.0e-06 : f32} : (tensor<?x16384xbf16>, tensor<?x16384xbf16>, tensor<16384xbf16>) -> (tensor<?x16384xbf16>, tensor<?x16384xbf16>)
  return %y, %y2, %ro : tensor<?x16384xbf16>, tensor<?x16384xbf16>, tensor<?x16384xbf16>
}

func.func @fused_token_bf16_h16384(%x: tensor<?x16384xbf16>, %w: tensor<16384xbf16>) -> (tensor<?x16384xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>) {
  %q, %sc = vllm.rms_norm_quant %x, %w as <per_token> {epsilon = 1.0e-06 : f32} : (tensor<?x16384xbf16>, tensor<16384xbf16>) -> (tensor<?x16384xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>)
  return %q, %sc : tensor<?x16384xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>
}

func.func @norm_bf16_h65536(%x: tensor<?x65536xbf16>, %w: tensor<65536xbf16>, %r: tensor<?x65536xbf16>) -> (tensor<?x65536xbf16>, tensor<?x65536xbf16>, tensor<?x65536xbf16>) {
  %y = vllm.rms_norm %x, %w {epsilon = 1.0e-05 : f32} : (tensor<?x65536xbf16>, tensor<65536xbf16>) -> tensor<?x65536xbf16>
  %y2, %ro = vllm.fused_add_rms_norm %x, %r, %w {epsilon = 1.0e-06 : f32} : (tensor<?x65536xbf16>, tensor<?x65536xbf16>, tensor<65536xbf16>) -> (tensor<?x65536xbf16>, tensor<?x65536xbf16>)
  return %y, %y2, %ro : tensor<?x65536xbf16>, tensor<?x65536xbf16>, tensor<?x65536xbf16>
}

func.func @fused_token_bf16_h65536(%x: tensor<?x65536xbf16>, %w: tensor<65536xbf16>) -> (tensor<?x65536xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>) {
  %q, %sc = vllm.rms_norm_quant %x, %w as <per_token> {epsilon = 1.0e-06 : f32} : (tensor<?x65536xbf16>, tensor<65536xbf16>) -> (tensor<?x65536xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>)
  return %q, %sc : tensor<?x65536xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>
}

func.func @mm_g_f32_rm_block_bf16(%a: tensor<?x256xf8E4M3FN>, %b: tensor<200x256xf8E4M3FN>, %sa: tensor<?x2xf32, #vllm.scales<group 128, f32, row_major>>, %sb: tensor<2x2xf32, #vllm.scales<block 128x128, f32>>) -> tensor<?x200xbf16> {
  %d = vllm.scaled_matmul %a, %b scales(%sa, %sb) : (tensor<?x256xf8E4M3FN>, tensor<200x256xf8E4M3FN>, tensor<?x2xf32, #vllm.scales<group 128, f32, row_major>>, tensor<2x2xf32, #vllm.scales<block 128x128, f32>>) -> tensor<?x200xbf16>
  return %d : tensor<?x200xbf16>
}

func.func @mm_g_f32_rm_block_ue8_bf16(%a: tensor<?x256xf8E4M3FN>, %b: tensor<200x256xf8E4M3FN>, %sa: tensor<?x2xf32, #vllm.scales<group 128, f32, row_major>>, %sb: tensor<2x2xf32, #vllm.scales<block 128x128, ue8m0_f32>>) -> tensor<?x200xbf16> {
  %d = vllm.scaled_matmul %a, %b scales(%sa, %sb) : (tensor<?x256xf8E4M3FN>, tensor<200x256xf8E4M3FN>, tensor<?x2xf32, #vllm.scales<group 128, f32, row_major>>, tensor<2x2xf32, #vllm.scales<block 128x128, ue8m0_f32>>) -> tensor<?x200xbf16>
  return %d : tensor<?x200xbf16>
}

func.func @mm_g_f32_rm_row_bf16(%a: tensor<?x256xf8E4M3FN>, %b: tensor<200x256xf8E4M3FN>, %sa: tensor<?x2xf32, #vllm.scales<group 128, f32, row_major>>, %sb: tensor<200xf32, #vllm.scales<row>>) -> tensor<?x200xbf16> {
  %d = vllm.scaled_matmul %a, %b scales(%sa, %sb) : (tensor<?x256xf8E4M3FN>, tensor<200x256xf8E4M3FN>, tensor<?x2xf32, #vllm.scales<group 128, f32, row_major>>, tensor<200xf32, #vllm.scales<row>>) -> tensor<?x200xbf16>
  return %d : tensor<?x200xbf16>
}

func.func @mm_g_f32_rm_tensor_bf16(%a: tensor<?x256xf8E4M3FN>, %b: tensor<200x256xf8E4M3FN>, %sa: tensor<?x2xf32, #vllm.scales<group 128, f32, row_major>>, %sb: tensor<1xf32, #vllm.scales<tensor>>) -> tensor<?x200xbf16> {
  %d = vllm.scaled_matmul %a, %b scales(%sa, %sb) : (tensor<?x256xf8E4M3FN>, tensor<200x256xf8E4M3FN>, tensor<?x2xf32, #vllm.scales<group 128, f32, row_major>>, tensor<1xf32, #vllm.scales<tensor>>) -> tensor<?x200xbf16>
  return %d : tensor<?x200xbf16>
}

func.func @mm_g_f32_rm_tensor_f32(%a: tensor<?x256xf8E4M3FN>, %b: tensor<200x256xf8E4M3FN>, %sa: tensor<?x2xf32, #vllm.scales<group 128, f32, row_major>>, %sb: tensor<1xf32, #vllm.scales<tensor>>) -> tensor<?x200xf32> {
  %d = vllm.scaled_matmul %a, %b scales(%sa, %sb) : (tensor<?x256xf8E4M3FN>, tensor<200x256xf8E4M3FN>, tensor<?x2xf32, #vllm.scales<group 128, f32, row_major>>, tensor<1xf32, #vllm.scales<tensor>>) -> tensor<?x200xf32>
  return %d : tensor<?x200xf32>
}

func.func @mm_g_f32_mn4_block_bf16(%a: tensor<?x256xf8E4M3FN>, %b: tensor<200x256xf8E4M3FN>, %sa: tensor<2x?xf32, #vllm.scales<group 128, f32, mn_major, align 4>>, %sb: tensor<2x2xf32, #vllm.scales<block 128x128, f32>>) -> tensor<?x200xbf16> {
  %d = vllm.scaled_matmul %a, %b scales(%sa, %sb) : (tensor<?x256xf8E4M3FN>, tensor<200x256xf8E4M3FN>, tensor<2x?xf32, #vllm.scales<group 128, f32, mn_major, align 4>>, tensor<2x2xf32, #vllm.scales<block 128x128, f32>>) -> tensor<?x200xbf16>
  return %d : tensor<?x200xbf16>
}

func.func @mm_g_f32_mn4_block_ue8_bf16(%a: tensor<?x256xf8E4M3FN>, %b: tensor<200x256xf8E4M3FN>, %sa: tensor<2x?xf32, #vllm.scales<group 128, f32, mn_major, align 4>>, %sb: tensor<2x2xf32, #vllm.scales<block 128x128, ue8m0_f32>>) -> tensor<?x200xbf16> {
  %d = vllm.scaled_matmul %a, %b scales(%sa, %sb) : (tensor<?x256xf8E4M3FN>, tensor<200x256xf8E4M3FN>, tensor<2x?xf32, #vllm.scales<group 128, f32, mn_major, align 4>>, tensor<2x2xf32, #vllm.scales<block 128x128, ue8m0_f32>>) -> tensor<?x200xbf16>
  return %d : tensor<?x200xbf16>
}

func.func @mm_g_f32_mn4_row_bf16(%a: tensor<?x256xf8E4M3FN>, %b: tensor<200x256xf8E4M3FN>, %sa: tensor<2x?xf32, #vllm.scales<group 128, f32, mn_major, align 4>>, %sb: tensor<200xf32, #vllm.scales<row>>) -> tensor<?x200xbf16> {
  %d = vllm.scaled_matmul %a, %b scales(%sa, %sb) : (tensor<?x256xf8E4M3FN>, tensor<200x256xf8E4M3FN>, tensor<2x?xf32, #vllm.scales<group 128, f32, mn_major, align 4>>, tensor<200xf32, #vllm.scales<row>>) -> tensor<?x200xbf16>
  return %d : tensor<?x200xbf16>
}

func.func @mm_g_f32_mn4_tensor_bf16(%a: tensor<?x256xf8E4M3FN>, %b: tensor<200x256xf8E4M3FN>, %sa: tensor<2x?xf32, #vllm.scales<group 128, f32, mn_major, align 4>>, %sb: tensor<1xf32, #vllm.scales<tensor>>) -> tensor<?x200xbf16> {
  %d = vllm.scaled_matmul %a, %b scales(%sa, %sb) : (tensor<?x256xf8E4M3FN>, tensor<200x256xf8E4M3FN>, tensor<2x?xf32, #vllm.scales<group 128, f32, mn_major, align 4>>, tensor<1xf32, #vllm.scales<tensor>>) -> tensor<?x200xbf16>
  return %d : tensor<?x200xbf16>
}

func.func @mm_g_f32_mn4_tensor_f32(%a: tensor<?x256xf8E4M3FN>, %b: tensor<200x256xf8E4M3FN>, %sa: tensor<2x?xf32, #vllm.scales<group 128, f32, mn_major, align 4>>, %sb: tensor<1xf32, #vllm.scales<tensor>>) -> tensor<?x200xf32> {
  %d = vllm.scaled_matmul %a, %b scales(%sa, %sb) : (tensor<?x256xf8E4M3FN>, tensor<200x256xf8E4M3FN>, tensor<2x?xf32, #vllm.scales<group 128, f32, mn_major, align 4>>, tensor<1xf32, #vllm.scales<tensor>>) -> tensor<?x200xf32>
  return %d : tensor<?x200xf32>
}

func.func @mm_g_ue8f32_mn1_block_bf16(%a: tensor<?x256xf8E4M3FN>, %b: tensor<200x256xf8E4M3FN>, %sa: tensor<2x?xf32, #vllm.scales<group 128, ue8m0_f32, mn_major>>, %sb: tensor<2x2xf32, #vllm.scales<block 128x128, f32>>) -> tensor<?x200xbf16> {
  %d = vllm.scaled_matmul %a, %b scales(%sa, %sb) : (tensor<?x256xf8E4M3FN>, tensor<200x256xf8E4M3FN>, tensor<2x?xf32, #vllm.scales<group 128, ue8m0_f32, mn_major>>, tensor<2x2xf32, #vllm.scales<block 128x128, f32>>) -> tensor<?x200xbf16>
  return %d : tensor<?x200xbf16>
}

func.func @mm_g_ue8f32_mn1_block_ue8_bf16(%a: tensor<?x256xf8E4M3FN>, %b: tensor<200x256xf8E4M3FN>, %sa: tensor<2x?xf32, #vllm.scales<group 128, ue8m0_f32, mn_major>>, %sb: tensor<2x2xf32, #vllm.scales<block 128x128, ue8m0_f32>>) -> tensor<?x200xbf16> {
  %d = vllm.scaled_matmul %a, %b scales(%sa, %sb) : (tensor<?x256xf8E4M3FN>, tensor<200x256xf8E4M3FN>, tensor<2x?xf32, #vllm.scales<group 128, ue8m0_f32, mn_major>>, tensor<2x2xf32, #vllm.scales<block 128x128, ue8m0_f32>>) -> tensor<?x200xbf16>
  return %d : tensor<?x200xbf16>
}

func.func @mm_g_ue8f32_mn1_row_bf16(%a: tensor<?x256xf8E4M3FN>, %b: tensor<200x256xf8E4M3FN>, %sa: tensor<2x?xf32, #vllm.scales<group 128, ue8m0_f32, mn_major>>, %sb: tensor<200xf32, #vllm.scales<row>>) -> tensor<?x200xbf16> {
  %d = vllm.scaled_matmul %a, %b scales(%sa, %sb) : (tensor<?x256xf8E4M3FN>, tensor<200x256xf8E4M3FN>, tensor<2x?xf32, #vllm.scales<group 128, ue8m0_f32, mn_major>>, tensor<200xf32, #vllm.scales<row>>) -> tensor<?x200xbf16>
  return %d : tensor<?x200xbf16>
}

func.func @mm_g_ue8f32_mn1_tensor_bf16(%a: tensor<?x256xf8E4M3FN>, %b: tensor<200x256xf8E4M3FN>, %sa: tensor<2x?xf32, #vllm.scales<group 128, ue8m0_f32, mn_major>>, %sb: tensor<1xf32, #vllm.scales<tensor>>) -> tensor<?x200xbf16> {
  %d = vllm.scaled_matmul %a, %b scales(%sa, %sb) : (tensor<?x256xf8E4M3FN>, tensor<200x256xf8E4M3FN>, tensor<2x?xf32, #vllm.scales<group 128, ue8m0_f32, mn_major>>, tensor<1xf32, #vllm.scales<tensor>>) -> tensor<?x200xbf16>
  return %d : tensor<?x200xbf16>
}

func.func @mm_g_ue8f32_mn1_tensor_f32(%a: tensor<?x256xf8E4M3FN>, %b: tensor<200x256xf8E4M3FN>, %sa: tensor<2x?xf32, #vllm.scales<group 128, ue8m0_f32, mn_major>>, %sb: tensor<1xf32, #vllm.scales<tensor>>) -> tensor<?x200xf32> {
  %d = vllm.scaled_matmul %a, %b scales(%sa, %sb) : (tensor<?x256xf8E4M3FN>, tensor<200x256xf8E4M3FN>, tensor<2x?xf32, #vllm.scales<group 128, ue8m0_f32, mn_major>>, tensor<1xf32, #vllm.scales<tensor>>) -> tensor<?x200xf32>
  return %d : tensor<?x200xf32>
}

func.func @mm_g_packed_block_bf16(%a: tensor<?x256xf8E4M3FN>, %b: tensor<200x256xf8E4M3FN>, %sa: tensor<1x?xi32, #vllm.scales<group 128, ue8m0_packed, mn_major, align 4>>, %sb: tensor<2x2xf32, #vllm.scales<block 128x128, f32>>) -> tensor<?x200xbf16> {
  %d = vllm.scaled_matmul %a, %b scales(%sa, %sb) : (tensor<?x256xf8E4M3FN>, tensor<200x256xf8E4M3FN>, tensor<1x?xi32, #vllm.scales<group 128, ue8m0_packed, mn_major, align 4>>, tensor<2x2xf32, #vllm.scales<block 128x128, f32>>) -> tensor<?x200xbf16>
  return %d : tensor<?x200xbf16>
}

func.func @mm_g_packed_block_ue8_bf16(%a: tensor<?x256xf8E4M3FN>, %b: tensor<200x256xf8E4M3FN>, %sa: tensor<1x?xi32, #vllm.scales<group 128, ue8m0_packed, mn_major, align 4>>, %sb: tensor<2x2xf32, #vllm.scales<block 128x128, ue8m0_f32>>) -> tensor<?x200xbf16> {
  %d = vllm.scaled_matmul %a, %b scales(%sa, %sb) : (tensor<?x256xf8E4M3FN>, tensor<200x256xf8E4M3FN>, tensor<1x?xi32, #vllm.scales<group 128, ue8m0_packed, mn_major, align 4>>, tensor<2x2xf32, #vllm.scales<block 128x128, ue8m0_f32>>) -> tensor<?x200xbf16>
  return %d : tensor<?x200xbf16>
}

func.func @mm_g_packed_row_bf16(%a: tensor<?x256xf8E4M3FN>, %b: tensor<200x256xf8E4M3FN>, %sa: tensor<1x?xi32, #vllm.scales<group 128, ue8m0_packed, mn_major, align 4>>, %sb: tensor<200xf32, #vllm.scales<row>>) -> tensor<?x200xbf16> {
  %d = vllm.scaled_matmul %a, %b scales(%sa, %sb) : (tensor<?x256xf8E4M3FN>, tensor<200x256xf8E4M3FN>, tensor<1x?xi32, #vllm.scales<group 128, ue8m0_packed, mn_major, align 4>>, tensor<200xf32, #vllm.scales<row>>) -> tensor<?x200xbf16>
  return %d : tensor<?x200xbf16>
}

func.func @mm_g_packed_tensor_bf16(%a: tensor<?x256xf8E4M3FN>, %b: tensor<200x256xf8E4M3FN>, %sa: tensor<1x?xi32, #vllm.scales<group 128, ue8m0_packed, mn_major, align 4>>, %sb: tensor<1xf32, #vllm.scales<tensor>>) -> tensor<?x200xbf16> {
  %d = vllm.scaled_matmul %a, %b scales(%sa, %sb) : (tensor<?x256xf8E4M3FN>, tensor<200x256xf8E4M3FN>, tensor<1x?xi32, #vllm.scales<group 128, ue8m0_packed, mn_major, align 4>>, tensor<1xf32, #vllm.scales<tensor>>) -> tensor<?x200xbf16>
  return %d : tensor<?x200xbf16>
}

func.func @mm_g_packed_tensor_f32(%a: tensor<?x256xf8E4M3FN>, %b: tensor<200x256xf8E4M3FN>, %sa: tensor<1x?xi32, #vllm.scales<group 128, ue8m0_packed, mn_major, align 4>>, %sb: tensor<1xf32, #vllm.scales<tensor>>) -> tensor<?x200xf32> {
  %d = vllm.scaled_matmul %a, %b scales(%sa, %sb) : (tensor<?x256xf8E4M3FN>, tensor<200x256xf8E4M3FN>, tensor<1x?xi32, #vllm.scales<group 128, ue8m0_packed, mn_major, align 4>>, tensor<1xf32, #vllm.scales<tensor>>) -> tensor<?x200xf32>
  return %d : tensor<?x200xf32>
}

func.func @mm_row_block_bf16(%a: tensor<?x256xf8E4M3FN>, %b: tensor<200x256xf8E4M3FN>, %sa: tensor<?xf32, #vllm.scales<row>>, %sb: tensor<2x2xf32, #vllm.scales<block 128x128, f32>>) -> tensor<?x200xbf16> {
  %d = vllm.scaled_matmul %a, %b scales(%sa, %sb) : (tensor<?x256xf8E4M3FN>, tensor<200x256xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>, tensor<2x2xf32, #vllm.scales<block 128x128, f32>>) -> tensor<?x200xbf16>
  return %d : tensor<?x200xbf16>
}

func.func @mm_row_block_ue8_bf16(%a: tensor<?x256xf8E4M3FN>, %b: tensor<200x256xf8E4M3FN>, %sa: tensor<?xf32, #vllm.scales<row>>, %sb: tensor<2x2xf32, #vllm.scales<block 128x128, ue8m0_f32>>) -> tensor<?x200xbf16> {
  %d = vllm.scaled_matmul %a, %b scales(%sa, %sb) : (tensor<?x256xf8E4M3FN>, tensor<200x256xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>, tensor<2x2xf32, #vllm.scales<block 128x128, ue8m0_f32>>) -> tensor<?x200xbf16>
  return %d : tensor<?x200xbf16>
}

func.func @mm_row_row_bf16(%a: tensor<?x256xf8E4M3FN>, %b: tensor<200x256xf8E4M3FN>, %sa: tensor<?xf32, #vllm.scales<row>>, %sb: tensor<200xf32, #vllm.scales<row>>) -> tensor<?x200xbf16> {
  %d = vllm.scaled_matmul %a, %b scales(%sa, %sb) : (tensor<?x256xf8E4M3FN>, tensor<200x256xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>, tensor<200xf32, #vllm.scales<row>>) -> tensor<?x200xbf16>
  return %d : tensor<?x200xbf16>
}

func.func @mm_row_tensor_bf16(%a: tensor<?x256xf8E4M3FN>, %b: tensor<200x256xf8E4M3FN>, %sa: tensor<?xf32, #vllm.scales<row>>, %sb: tensor<1xf32, #vllm.scales<tensor>>) -> tensor<?x200xbf16> {
  %d = vllm.scaled_matmul %a, %b scales(%sa, %sb) : (tensor<?x256xf8E4M3FN>, tensor<200x256xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>, tensor<1xf32, #vllm.scales<tensor>>) -> tensor<?x200xbf16>
  return %d : tensor<?x200xbf16>
}

func.func @mm_row_tensor_f32(%a: tensor<?x256xf8E4M3FN>, %b: tensor<200x256xf8E4M3FN>, %sa: tensor<?xf32, #vllm.scales<row>>, %sb: tensor<1xf32, #vllm.scales<tensor>>) -> tensor<?x200xf32> {
  %d = vllm.scaled_matmul %a, %b scales(%sa, %sb) : (tensor<?x256xf8E4M3FN>, tensor<200x256xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>, tensor<1xf32, #vllm.scales<tensor>>) -> tensor<?x200xf32>
  return %d : tensor<?x200xf32>
}

func.func @mm_tensor_block_bf16(%a: tensor<?x256xf8E4M3FN>, %b: tensor<200x256xf8E4M3FN>, %sa: tensor<1xf32, #vllm.scales<tensor>>, %sb: tensor<2x2xf32, #vllm.scales<block 128x128, f32>>) -> tensor<?x200xbf16> {
  %d = vllm.scaled_matmul %a, %b scales(%sa, %sb) : (tensor<?x256xf8E4M3FN>, tensor<200x256xf8E4M3FN>, tensor<1xf32, #vllm.scales<tensor>>, tensor<2x2xf32, #vllm.scales<block 128x128, f32>>) -> tensor<?x200xbf16>
  return %d : tensor<?x200xbf16>
}

func.func @mm_tensor_block_ue8_bf16(%a: tensor<?x256xf8E4M3FN>, %b: tensor<200x256xf8E4M3FN>, %sa: tensor<1xf32, #vllm.scales<tensor>>, %sb: tensor<2x2xf32, #vllm.scales<block 128x128, ue8m0_f32>>) -> tensor<?x200xbf16> {
  %d = vllm.scaled_matmul %a, %b scales(%sa, %sb) : (tensor<?x256xf8E4M3FN>, tensor<200x256xf8E4M3FN>, tensor<1xf32, #vllm.scales<tensor>>, tensor<2x2xf32, #vllm.scales<block 128x128, ue8m0_f32>>) -> tensor<?x200xbf16>
  return %d : tensor<?x200xbf16>
}

func.func @mm_tensor_row_bf16(%a: tensor<?x256xf8E4M3FN>, %b: tensor<200x256xf8E4M3FN>, %sa: tensor<1xf32, #vllm.scales<tensor>>, %sb: tensor<200xf32, #vllm.scales<row>>) -> tensor<?x200xbf16> {
  %d = vllm.scaled_matmul %a, %b scales(%sa, %sb) : (tensor<?x256xf8E4M3FN>, tensor<200x256xf8E4M3FN>, tensor<1xf32, #vllm.scales<tensor>>, tensor<200xf32, #vllm.scales<row>>) -> tensor<?x200xbf16>
  return %d : tensor<?x200xbf16>
}

func.func @mm_tensor_tensor_bf16(%a: tensor<?x256xf8E4M3FN>, %b: tensor<200x256xf8E4M3FN>, %sa: tensor<1xf32, #vllm.scales<tensor>>, %sb: tensor<1xf32, #vllm.scales<tensor>>) -> tensor<?x200xbf16> {
  %d = vllm.scaled_matmul %a, %b scales(%sa, %sb) : (tensor<?x256xf8E4M3FN>, tensor<200x256xf8E4M3FN>, tensor<1xf32, #vllm.scales<tensor>>, tensor<1xf32, #vllm.scales<tensor>>) -> tensor<?x200xbf16>
  return %d : tensor<?x200xbf16>
}

func.func @mm_tensor_tensor_f32(%a: tensor<?x256xf8E4M3FN>, %b: tensor<200x256xf8E4M3FN>, %sa: tensor<1xf32, #vllm.scales<tensor>>, %sb: tensor<1xf32, #vllm.scales<tensor>>) -> tensor<?x200xf32> {
  %d = vllm.scaled_matmul %a, %b scales(%sa, %sb) : (tensor<?x256xf8E4M3FN>, tensor<200x256xf8E4M3FN>, tensor<1xf32, #vllm.scales<tensor>>, tensor<1xf32, #vllm.scales<tensor>>) -> tensor<?x200xf32>
  return %d : tensor<?x200xf32>
}

func.func @mm_odd_k(%a: tensor<?x200xf8E4M3FN>, %b: tensor<130x200xf8E4M3FN>, %sa: tensor<?xf32, #vllm.scales<row>>, %sb: tensor<1xf32, #vllm.scales<tensor>>) -> tensor<?x130xf32> {
  %d = vllm.scaled_matmul %a, %b scales(%sa, %sb) : (tensor<?x200xf8E4M3FN>, tensor<130x200xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>, tensor<1xf32, #vllm.scales<tensor>>) -> tensor<?x130xf32>
  return %d : tensor<?x130xf32>
}

func.func @norm_bf16_h24576(%x: tensor<?x24576xbf16>, %w: tensor<24576xbf16>, %r: tensor<?x24576xbf16>) -> (tensor<?x24576xbf16>, tensor<?x24576xbf16>, tensor<?x24576xbf16>) {
  %y = vllm.rms_norm %x, %w {epsilon = 1.0e-05 : f32} : (tensor<?x24576xbf16>, tensor<24576xbf16>) -> tensor<?x24576xbf16>
  %y2, %ro = vllm.fused_add_rms_norm %x, %r, %w {epsilon = 1.0e-06 : f32} : (tensor<?x24576xbf16>, tensor<?x24576xbf16>, tensor<24576xbf16>) -> (tensor<?x24576xbf16>, tensor<?x24576xbf16>)
  return %y, %y2, %ro : tensor<?x24576xbf16>, tensor<?x24576xbf16>, tensor<?x24576xbf16>
}

func.func @fused_token_bf16_h24576(%x: tensor<?x24576xbf16>, %w: tensor<24576xbf16>, %r: tensor<?x24576xbf16>) -> (tensor<?x24576xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>, tensor<?x24576xbf16>) {
  %q, %sc, %ro = vllm.rms_norm_quant %x, %w residual(%r) as <per_token> {epsilon = 1.0e-06 : f32} : (tensor<?x24576xbf16>, tensor<24576xbf16>, tensor<?x24576xbf16>) -> (tensor<?x24576xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>, tensor<?x24576xbf16>)
  return %q, %sc, %ro : tensor<?x24576xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>, tensor<?x24576xbf16>
}

func.func @quant_token_bf16_h24576(%y: tensor<?x24576xbf16>) -> (tensor<?x24576xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>) {
  %q, %sc = vllm.quantize %y as <per_token> : tensor<?x24576xbf16> -> tensor<?x24576xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>
  return %q, %sc : tensor<?x24576xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>
}

func.func @fused_packed_bf16_h24576(%x: tensor<?x24576xbf16>, %w: tensor<24576xbf16>, %r: tensor<?x24576xbf16>) -> (tensor<?x24576xf8E4M3FN>, tensor<48x?xi32, #vllm.scales<group 128, ue8m0_packed, mn_major, align 4>>, tensor<?x24576xbf16>) {
  %q, %sc, %ro = vllm.rms_norm_quant %x, %w residual(%r) as <per_group 128, ue8m0_packed, mn_major, align 4> {epsilon = 1.0e-06 : f32} : (tensor<?x24576xbf16>, tensor<24576xbf16>, tensor<?x24576xbf16>) -> (tensor<?x24576xf8E4M3FN>, tensor<48x?xi32, #vllm.scales<group 128, ue8m0_packed, mn_major, align 4>>, tensor<?x24576xbf16>)
  return %q, %sc, %ro : tensor<?x24576xf8E4M3FN>, tensor<48x?xi32, #vllm.scales<group 128, ue8m0_packed, mn_major, align 4>>, tensor<?x24576xbf16>
}

func.func @quant_packed_bf16_h24576(%y: tensor<?x24576xbf16>) -> (tensor<?x24576xf8E4M3FN>, tensor<48x?xi32, #vllm.scales<group 128, ue8m0_packed, mn_major, align 4>>) {
  %q, %sc = vllm.quantize %y as <per_group 128, ue8m0_packed, mn_major, align 4> : tensor<?x24576xbf16> -> tensor<?x24576xf8E4M3FN>, tensor<48x?xi32, #vllm.scales<group 128, ue8m0_packed, mn_major, align 4>>
  return %q, %sc : tensor<?x24576xf8E4M3FN>, tensor<48x?xi32, #vllm.scales<group 128, ue8m0_packed, mn_major, align 4>>
}

func.func @fused_dyn_bf16_h24576(%x: tensor<?x24576xbf16>, %w: tensor<24576xbf16>, %r: tensor<?x24576xbf16>) -> (tensor<?x24576xf8E4M3FN>, tensor<1xf32, #vllm.scales<tensor>>, tensor<?x24576xbf16>) {
  %q, %sc, %ro = vllm.rms_norm_quant %x, %w residual(%r) as <dynamic_per_tensor> {epsilon = 1.0e-06 : f32} : (tensor<?x24576xbf16>, tensor<24576xbf16>, tensor<?x24576xbf16>) -> (tensor<?x24576xf8E4M3FN>, tensor<1xf32, #vllm.scales<tensor>>, tensor<?x24576xbf16>)
  return %q, %sc, %ro : tensor<?x24576xf8E4M3FN>, tensor<1xf32, #vllm.scales<tensor>>, tensor<?x24576xbf16>
}

func.func @quant_dyn_bf16_h24576(%y: tensor<?x24576xbf16>) -> (tensor<?x24576xf8E4M3FN>, tensor<1xf32, #vllm.scales<tensor>>) {
  %q, %sc = vllm.quantize %y as <dynamic_per_tensor> : tensor<?x24576xbf16> -> tensor<?x24576xf8E4M3FN>, tensor<1xf32, #vllm.scales<tensor>>
  return %q, %sc : tensor<?x24576xf8E4M3FN>, tensor<1xf32, #vllm.scales<tensor>>
}

func.func @norm_f32_h32768(%x: tensor<?x32768xf32>, %w: tensor<32768xf32>, %r: tensor<?x32768xf32>) -> (tensor<?x32768xf32>, tensor<?x32768xf32>, tensor<?x32768xf32>) {
  %y = vllm.rms_norm %x, %w {epsilon = 1.0e-05 : f32} : (tensor<?x32768xf32>, tensor<32768xf32>) -> tensor<?x32768xf32>
  %y2, %ro = vllm.fused_add_rms_norm %x, %r, %w {epsilon = 1.0e-06 : f32} : (tensor<?x32768xf32>, tensor<?x32768xf32>, tensor<32768xf32>) -> (tensor<?x32768xf32>, tensor<?x32768xf32>)
  return %y, %y2, %ro : tensor<?x32768xf32>, tensor<?x32768xf32>, tensor<?x32768xf32>
}

func.func @fused_token_f32_h32768(%x: tensor<?x32768xf32>, %w: tensor<32768xf32>, %r: tensor<?x32768xf32>) -> (tensor<?x32768xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>, tensor<?x32768xf32>) {
  %q, %sc, %ro = vllm.rms_norm_quant %x, %w residual(%r) as <per_token> {epsilon = 1.0e-06 : f32} : (tensor<?x32768xf32>, tensor<32768xf32>, tensor<?x32768xf32>) -> (tensor<?x32768xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>, tensor<?x32768xf32>)
  return %q, %sc, %ro : tensor<?x32768xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>, tensor<?x32768xf32>
}

func.func @quant_token_f32_h32768(%y: tensor<?x32768xf32>) -> (tensor<?x32768xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>) {
  %q, %sc = vllm.quantize %y as <per_token> : tensor<?x32768xf32> -> tensor<?x32768xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>
  return %q, %sc : tensor<?x32768xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>
}

func.func @fused_packed_f32_h32768(%x: tensor<?x32768xf32>, %w: tensor<32768xf32>, %r: tensor<?x32768xf32>) -> (tensor<?x32768xf8E4M3FN>, tensor<64x?xi32, #vllm.scales<group 128, ue8m0_packed, mn_major, align 4>>, tensor<?x32768xf32>) {
  %q, %sc, %ro = vllm.rms_norm_quant %x, %w residual(%r) as <per_group 128, ue8m0_packed, mn_major, align 4> {epsilon = 1.0e-06 : f32} : (tensor<?x32768xf32>, tensor<32768xf32>, tensor<?x32768xf32>) -> (tensor<?x32768xf8E4M3FN>, tensor<64x?xi32, #vllm.scales<group 128, ue8m0_packed, mn_major, align 4>>, tensor<?x32768xf32>)
  return %q, %sc, %ro : tensor<?x32768xf8E4M3FN>, tensor<64x?xi32, #vllm.scales<group 128, ue8m0_packed, mn_major, align 4>>, tensor<?x32768xf32>
}

func.func @quant_packed_f32_h32768(%y: tensor<?x32768xf32>) -> (tensor<?x32768xf8E4M3FN>, tensor<64x?xi32, #vllm.scales<group 128, ue8m0_packed, mn_major, align 4>>) {
  %q, %sc = vllm.quantize %y as <per_group 128, ue8m0_packed, mn_major, align 4> : tensor<?x32768xf32> -> tensor<?x32768xf8E4M3FN>, tensor<64x?xi32, #vllm.scales<group 128, ue8m0_packed, mn_major, align 4>>
  return %q, %sc : tensor<?x32768xf8E4M3FN>, tensor<64x?xi32, #vllm.scales<group 128, ue8m0_packed, mn_major, align 4>>
}

func.func @fused_dyn_f32_h32768(%x: tensor<?x32768xf32>, %w: tensor<32768xf32>, %r: tensor<?x32768xf32>) -> (tensor<?x32768xf8E4M3FN>, tensor<1xf32, #vllm.scales<tensor>>, tensor<?x32768xf32>) {
  %q, %sc, %ro = vllm.rms_norm_quant %x, %w residual(%r) as <dynamic_per_tensor> {epsilon = 1.0e-06 : f32} : (tensor<?x32768xf32>, tensor<32768xf32>, tensor<?x32768xf32>) -> (tensor<?x32768xf8E4M3FN>, tensor<1xf32, #vllm.scales<tensor>>, tensor<?x32768xf32>)
  return %q, %sc, %ro : tensor<?x32768xf8E4M3FN>, tensor<1xf32, #vllm.scales<tensor>>, tensor<?x32768xf32>
}

func.func @quant_dyn_f32_h32768(%y: tensor<?x32768xf32>) -> (tensor<?x32768xf8E4M3FN>, tensor<1xf32, #vllm.scales<tensor>>) {
  %q, %sc = vllm.quantize %y as <dynamic_per_tensor> : tensor<?x32768xf32> -> tensor<?x32768xf8E4M3FN>, tensor<1xf32, #vllm.scales<tensor>>
  return %q, %sc : tensor<?x32768xf8E4M3FN>, tensor<1xf32, #vllm.scales<tensor>>
}

func.func @norm_bf16_h131072(%x: tensor<?x131072xbf16>, %w: tensor<131072xbf16>, %r: tensor<?x131072xbf16>) -> (tensor<?x131072xbf16>, tensor<?x131072xbf16>, tensor<?x131072xbf16>) {
  %y = vllm.rms_norm %x, %w {epsilon = 1.0e-05 : f32} : (tensor<?x131072xbf16>, tensor<131072xbf16>) -> tensor<?x131072xbf16>
  %y2, %ro = vllm.fused_add_rms_norm %x, %r, %w {epsilon = 1.0e-06 : f32} : (tensor<?x131072xbf16>, tensor<?x131072xbf16>, tensor<131072xbf16>) -> (tensor<?x131072xbf16>, tensor<?x131072xbf16>)
  return %y, %y2, %ro : tensor<?x131072xbf16>, tensor<?x131072xbf16>, tensor<?x131072xbf16>
}

func.func @fused_token_bf16_h131072(%x: tensor<?x131072xbf16>, %w: tensor<131072xbf16>, %r: tensor<?x131072xbf16>) -> (tensor<?x131072xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>, tensor<?x131072xbf16>) {
  %q, %sc, %ro = vllm.rms_norm_quant %x, %w residual(%r) as <per_token> {epsilon = 1.0e-06 : f32} : (tensor<?x131072xbf16>, tensor<131072xbf16>, tensor<?x131072xbf16>) -> (tensor<?x131072xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>, tensor<?x131072xbf16>)
  return %q, %sc, %ro : tensor<?x131072xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>, tensor<?x131072xbf16>
}

func.func @quant_token_bf16_h131072(%y: tensor<?x131072xbf16>) -> (tensor<?x131072xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>) {
  %q, %sc = vllm.quantize %y as <per_token> : tensor<?x131072xbf16> -> tensor<?x131072xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>
  return %q, %sc : tensor<?x131072xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>
}

func.func @fused_packed_bf16_h131072(%x: tensor<?x131072xbf16>, %w: tensor<131072xbf16>, %r: tensor<?x131072xbf16>) -> (tensor<?x131072xf8E4M3FN>, tensor<256x?xi32, #vllm.scales<group 128, ue8m0_packed, mn_major, align 4>>, tensor<?x131072xbf16>) {
  %q, %sc, %ro = vllm.rms_norm_quant %x, %w residual(%r) as <per_group 128, ue8m0_packed, mn_major, align 4> {epsilon = 1.0e-06 : f32} : (tensor<?x131072xbf16>, tensor<131072xbf16>, tensor<?x131072xbf16>) -> (tensor<?x131072xf8E4M3FN>, tensor<256x?xi32, #vllm.scales<group 128, ue8m0_packed, mn_major, align 4>>, tensor<?x131072xbf16>)
  return %q, %sc, %ro : tensor<?x131072xf8E4M3FN>, tensor<256x?xi32, #vllm.scales<group 128, ue8m0_packed, mn_major, align 4>>, tensor<?x131072xbf16>
}

func.func @quant_packed_bf16_h131072(%y: tensor<?x131072xbf16>) -> (tensor<?x131072xf8E4M3FN>, tensor<256x?xi32, #vllm.scales<group 128, ue8m0_packed, mn_major, align 4>>) {
  %q, %sc = vllm.quantize %y as <per_group 128, ue8m0_packed, mn_major, align 4> : tensor<?x131072xbf16> -> tensor<?x131072xf8E4M3FN>, tensor<256x?xi32, #vllm.scales<group 128, ue8m0_packed, mn_major, align 4>>
  return %q, %sc : tensor<?x131072xf8E4M3FN>, tensor<256x?xi32, #vllm.scales<group 128, ue8m0_packed, mn_major, align 4>>
}

func.func @fused_dyn_bf16_h131072(%x: tensor<?x131072xbf16>, %w: tensor<131072xbf16>, %r: tensor<?x131072xbf16>) -> (tensor<?x131072xf8E4M3FN>, tensor<1xf32, #vllm.scales<tensor>>, tensor<?x131072xbf16>) {
  %q, %sc, %ro = vllm.rms_norm_quant %x, %w residual(%r) as <dynamic_per_tensor> {epsilon = 1.0e-06 : f32} : (tensor<?x131072xbf16>, tensor<131072xbf16>, tensor<?x131072xbf16>) -> (tensor<?x131072xf8E4M3FN>, tensor<1xf32, #vllm.scales<tensor>>, tensor<?x131072xbf16>)
  return %q, %sc, %ro : tensor<?x131072xf8E4M3FN>, tensor<1xf32, #vllm.scales<tensor>>, tensor<?x131072xbf16>
}

func.func @quant_dyn_bf16_h131072(%y: tensor<?x131072xbf16>) -> (tensor<?x131072xf8E4M3FN>, tensor<1xf32, #vllm.scales<tensor>>) {
  %q, %sc = vllm.quantize %y as <dynamic_per_tensor> : tensor<?x131072xbf16> -> tensor<?x131072xf8E4M3FN>, tensor<1xf32, #vllm.scales<tensor>>
  return %q, %sc : tensor<?x131072xf8E4M3FN>, tensor<1xf32, #vllm.scales<tensor>>
}

func.func @fused_token_res_f32_h24576(%x: tensor<?x24576xf32>, %w: tensor<24576xf32>, %r: tensor<?x24576xf32>) -> (tensor<?x24576xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>, tensor<?x24576xf32>) {
  %q, %sc, %ro = vllm.rms_norm_quant %x, %w residual(%r) as <per_token> {epsilon = 1.0e-06 : f32} : (tensor<?x24576xf32>, tensor<24576xf32>, tensor<?x24576xf32>) -> (tensor<?x24576xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>, tensor<?x24576xf32>)
  return %q, %sc, %ro : tensor<?x24576xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>, tensor<?x24576xf32>
}

func.func @fused_packed_res_f32_h12288(%x: tensor<?x12288xf32>, %w: tensor<12288xf32>, %r: tensor<?x12288xf32>) -> (tensor<?x12288xf8E4M3FN>, tensor<24x?xi32, #vllm.scales<group 128, ue8m0_packed, mn_major, align 4>>, tensor<?x12288xf32>) {
  %q, %sc, %ro = vllm.rms_norm_quant %x, %w residual(%r) as <per_group 128, ue8m0_packed, mn_major, align 4> {epsilon = 1.0e-06 : f32} : (tensor<?x12288xf32>, tensor<12288xf32>, tensor<?x12288xf32>) -> (tensor<?x12288xf8E4M3FN>, tensor<24x?xi32, #vllm.scales<group 128, ue8m0_packed, mn_major, align 4>>, tensor<?x12288xf32>)
  return %q, %sc, %ro : tensor<?x12288xf8E4M3FN>, tensor<24x?xi32, #vllm.scales<group 128, ue8m0_packed, mn_major, align 4>>, tensor<?x12288xf32>
}
