// Every kind of kernel the lowering generates for the MLP's down-projection
// site (SPEC.md 3.7, 3.8): silu_and_mul alone (bf16, f16, f32; a row kept in
// registers and a streamed one) and elementwise_quant silu_and_mul for every
// scheme, at I = 2048 and at DeepSeek-V3's I = 18432 split over TP = 8
// (2304) and TP = 4 (4608), with and without the product returned.
// Used by the ptxas tests (vllm-to-gpu-ptxas-silu.mlir).

func.func @silu_quant_spt_i2048(%x: tensor<?x4096xbf16>, %s0: tensor<1xf32, #vllm.scales<tensor>>) -> (tensor<?x2048xf8E4M3FN>, tensor<1xf32, #vllm.scales<tensor>>) {
  %q, %s = vllm.elementwise_quant silu_and_mul(%x) scale(%s0 : tensor<1xf32, #vllm.scales<tensor>>) as <static_per_tensor> : tensor<?x4096xbf16> -> tensor<?x2048xf8E4M3FN>, tensor<1xf32, #vllm.scales<tensor>>
  return %q, %s : tensor<?x2048xf8E4M3FN>, tensor<1xf32, #vllm.scales<tensor>>
}

func.func @silu_quant_dpt_i2048(%x: tensor<?x4096xbf16>) -> (tensor<?x2048xf8E4M3FN>, tensor<1xf32, #vllm.scales<tensor>>) {
  %q, %s = vllm.elementwise_quant silu_and_mul(%x) as <dynamic_per_tensor> : tensor<?x4096xbf16> -> tensor<?x2048xf8E4M3FN>, tensor<1xf32, #vllm.scales<tensor>>
  return %q, %s : tensor<?x2048xf8E4M3FN>, tensor<1xf32, #vllm.scales<tensor>>
}

func.func @silu_quant_tok_i2048(%x: tensor<?x4096xbf16>) -> (tensor<?x2048xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>) {
  %q, %s = vllm.elementwise_quant silu_and_mul(%x) as <per_token> : tensor<?x4096xbf16> -> tensor<?x2048xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>
  return %q, %s : tensor<?x2048xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>
}

func.func @silu_quant_tokub_i2048(%x: tensor<?x4096xbf16>) -> (tensor<?x2048xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>) {
  %q, %s = vllm.elementwise_quant silu_and_mul(%x) as <per_token, upper_bound = 2.500000e+00> : tensor<?x4096xbf16> -> tensor<?x2048xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>
  return %q, %s : tensor<?x2048xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>
}

func.func @silu_quant_g128_f32_rm_i2048(%x: tensor<?x4096xbf16>) -> (tensor<?x2048xf8E4M3FN>, tensor<?x16xf32, #vllm.scales<group 128, f32, row_major>>) {
  %q, %s = vllm.elementwise_quant silu_and_mul(%x) as <per_group 128, f32, row_major> : tensor<?x4096xbf16> -> tensor<?x2048xf8E4M3FN>, tensor<?x16xf32, #vllm.scales<group 128, f32, row_major>>
  return %q, %s : tensor<?x2048xf8E4M3FN>, tensor<?x16xf32, #vllm.scales<group 128, f32, row_major>>
}

func.func @silu_quant_g128_f32_mn4_i2048(%x: tensor<?x4096xbf16>) -> (tensor<?x2048xf8E4M3FN>, tensor<16x?xf32, #vllm.scales<group 128, f32, mn_major, align 4>>) {
  %q, %s = vllm.elementwise_quant silu_and_mul(%x) as <per_group 128, f32, mn_major, align 4> : tensor<?x4096xbf16> -> tensor<?x2048xf8E4M3FN>, tensor<16x?xf32, #vllm.scales<group 128, f32, mn_major, align 4>>
  return %q, %s : tensor<?x2048xf8E4M3FN>, tensor<16x?xf32, #vllm.scales<group 128, f32, mn_major, align 4>>
}

func.func @silu_quant_g128_ue8f32_mn4_i2048(%x: tensor<?x4096xbf16>) -> (tensor<?x2048xf8E4M3FN>, tensor<16x?xf32, #vllm.scales<group 128, ue8m0_f32, mn_major, align 4>>) {
  %q, %s = vllm.elementwise_quant silu_and_mul(%x) as <per_group 128, ue8m0_f32, mn_major, align 4> : tensor<?x4096xbf16> -> tensor<?x2048xf8E4M3FN>, tensor<16x?xf32, #vllm.scales<group 128, ue8m0_f32, mn_major, align 4>>
  return %q, %s : tensor<?x2048xf8E4M3FN>, tensor<16x?xf32, #vllm.scales<group 128, ue8m0_f32, mn_major, align 4>>
}

func.func @silu_quant_g128_ue8pk_mn4_i2048(%x: tensor<?x4096xbf16>) -> (tensor<?x2048xf8E4M3FN>, tensor<4x?xi32, #vllm.scales<group 128, ue8m0_packed, mn_major, align 4>>) {
  %q, %s = vllm.elementwise_quant silu_and_mul(%x) as <per_group 128, ue8m0_packed, mn_major, align 4> : tensor<?x4096xbf16> -> tensor<?x2048xf8E4M3FN>, tensor<4x?xi32, #vllm.scales<group 128, ue8m0_packed, mn_major, align 4>>
  return %q, %s : tensor<?x2048xf8E4M3FN>, tensor<4x?xi32, #vllm.scales<group 128, ue8m0_packed, mn_major, align 4>>
}

func.func @silu_quant_tok_i2304(%x: tensor<?x4608xbf16>) -> (tensor<?x2304xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>) {
  %q, %s = vllm.elementwise_quant silu_and_mul(%x) as <per_token> : tensor<?x4608xbf16> -> tensor<?x2304xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>
  return %q, %s : tensor<?x2304xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>
}

func.func @silu_quant_g128_f32_mn4_i2304(%x: tensor<?x4608xbf16>) -> (tensor<?x2304xf8E4M3FN>, tensor<18x?xf32, #vllm.scales<group 128, f32, mn_major, align 4>>) {
  %q, %s = vllm.elementwise_quant silu_and_mul(%x) as <per_group 128, f32, mn_major, align 4> : tensor<?x4608xbf16> -> tensor<?x2304xf8E4M3FN>, tensor<18x?xf32, #vllm.scales<group 128, f32, mn_major, align 4>>
  return %q, %s : tensor<?x2304xf8E4M3FN>, tensor<18x?xf32, #vllm.scales<group 128, f32, mn_major, align 4>>
}

func.func @silu_quant_g128_ue8pk_mn4_i2304(%x: tensor<?x4608xbf16>) -> (tensor<?x2304xf8E4M3FN>, tensor<5x?xi32, #vllm.scales<group 128, ue8m0_packed, mn_major, align 4>>) {
  %q, %s = vllm.elementwise_quant silu_and_mul(%x) as <per_group 128, ue8m0_packed, mn_major, align 4> : tensor<?x4608xbf16> -> tensor<?x2304xf8E4M3FN>, tensor<5x?xi32, #vllm.scales<group 128, ue8m0_packed, mn_major, align 4>>
  return %q, %s : tensor<?x2304xf8E4M3FN>, tensor<5x?xi32, #vllm.scales<group 128, ue8m0_packed, mn_major, align 4>>
}

func.func @silu_quant_tok_i4608(%x: tensor<?x9216xbf16>) -> (tensor<?x4608xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>) {
  %q, %s = vllm.elementwise_quant silu_and_mul(%x) as <per_token> : tensor<?x9216xbf16> -> tensor<?x4608xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>
  return %q, %s : tensor<?x4608xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>
}

func.func @silu_quant_g128_f32_mn4_i4608(%x: tensor<?x9216xbf16>) -> (tensor<?x4608xf8E4M3FN>, tensor<36x?xf32, #vllm.scales<group 128, f32, mn_major, align 4>>) {
  %q, %s = vllm.elementwise_quant silu_and_mul(%x) as <per_group 128, f32, mn_major, align 4> : tensor<?x9216xbf16> -> tensor<?x4608xf8E4M3FN>, tensor<36x?xf32, #vllm.scales<group 128, f32, mn_major, align 4>>
  return %q, %s : tensor<?x4608xf8E4M3FN>, tensor<36x?xf32, #vllm.scales<group 128, f32, mn_major, align 4>>
}

func.func @silu_quant_g128_ue8pk_mn4_i4608(%x: tensor<?x9216xbf16>) -> (tensor<?x4608xf8E4M3FN>, tensor<9x?xi32, #vllm.scales<group 128, ue8m0_packed, mn_major, align 4>>) {
  %q, %s = vllm.elementwise_quant silu_and_mul(%x) as <per_group 128, ue8m0_packed, mn_major, align 4> : tensor<?x9216xbf16> -> tensor<?x4608xf8E4M3FN>, tensor<9x?xi32, #vllm.scales<group 128, ue8m0_packed, mn_major, align 4>>
  return %q, %s : tensor<?x4608xf8E4M3FN>, tensor<9x?xi32, #vllm.scales<group 128, ue8m0_packed, mn_major, align 4>>
}

func.func @silu_quant_g128_ue8pk_mn4_i2048_y(%x: tensor<?x4096xbf16>) -> (tensor<?x2048xf8E4M3FN>, tensor<4x?xi32, #vllm.scales<group 128, ue8m0_packed, mn_major, align 4>>, tensor<?x2048xbf16>) {
  %q, %s, %y = vllm.elementwise_quant silu_and_mul(%x) as <per_group 128, ue8m0_packed, mn_major, align 4> : tensor<?x4096xbf16> -> tensor<?x2048xf8E4M3FN>, tensor<4x?xi32, #vllm.scales<group 128, ue8m0_packed, mn_major, align 4>>, tensor<?x2048xbf16>
  return %q, %s, %y : tensor<?x2048xf8E4M3FN>, tensor<4x?xi32, #vllm.scales<group 128, ue8m0_packed, mn_major, align 4>>, tensor<?x2048xbf16>
}

func.func @silu_quant_dpt_i2304_y(%x: tensor<?x4608xbf16>) -> (tensor<?x2304xf8E4M3FN>, tensor<1xf32, #vllm.scales<tensor>>, tensor<?x2304xbf16>) {
  %q, %s, %y = vllm.elementwise_quant silu_and_mul(%x) as <dynamic_per_tensor> : tensor<?x4608xbf16> -> tensor<?x2304xf8E4M3FN>, tensor<1xf32, #vllm.scales<tensor>>, tensor<?x2304xbf16>
  return %q, %s, %y : tensor<?x2304xf8E4M3FN>, tensor<1xf32, #vllm.scales<tensor>>, tensor<?x2304xbf16>
}

func.func @silu_quant_tok_f16_i2048(%x: tensor<?x4096xf16>) -> (tensor<?x2048xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>) {
  %q, %s = vllm.elementwise_quant silu_and_mul(%x) as <per_token> : tensor<?x4096xf16> -> tensor<?x2048xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>
  return %q, %s : tensor<?x2048xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>
}

func.func @silu_quant_g128_f32_mn4_f32_i2048(%x: tensor<?x4096xf32>) -> (tensor<?x2048xf8E4M3FN>, tensor<16x?xf32, #vllm.scales<group 128, f32, mn_major, align 4>>) {
  %q, %s = vllm.elementwise_quant silu_and_mul(%x) as <per_group 128, f32, mn_major, align 4> : tensor<?x4096xf32> -> tensor<?x2048xf8E4M3FN>, tensor<16x?xf32, #vllm.scales<group 128, f32, mn_major, align 4>>
  return %q, %s : tensor<?x2048xf8E4M3FN>, tensor<16x?xf32, #vllm.scales<group 128, f32, mn_major, align 4>>
}

func.func @silu_bf16_i2048(%x: tensor<?x4096xbf16>) -> tensor<?x2048xbf16> {
  %y = vllm.silu_and_mul %x : tensor<?x4096xbf16> -> tensor<?x2048xbf16>
  return %y : tensor<?x2048xbf16>
}

func.func @silu_bf16_i2304(%x: tensor<?x4608xbf16>) -> tensor<?x2304xbf16> {
  %y = vllm.silu_and_mul %x : tensor<?x4608xbf16> -> tensor<?x2304xbf16>
  return %y : tensor<?x2304xbf16>
}

func.func @silu_f16_i4608(%x: tensor<?x9216xf16>) -> tensor<?x4608xf16> {
  %y = vllm.silu_and_mul %x : tensor<?x9216xf16> -> tensor<?x4608xf16>
  return %y : tensor<?x4608xf16>
}

func.func @silu_f32_i2048(%x: tensor<?x4096xf32>) -> tensor<?x2048xf32> {
  %y = vllm.silu_and_mul %x : tensor<?x4096xf32> -> tensor<?x2048xf32>
  return %y : tensor<?x2048xf32>
}

func.func @silu_f32_i18432(%x: tensor<?x36864xf32>) -> tensor<?x18432xf32> {
  %y = vllm.silu_and_mul %x : tensor<?x36864xf32> -> tensor<?x18432xf32>
  return %y : tensor<?x18432xf32>
}

func.func @silu_bf16_i100(%x: tensor<?x200xbf16>) -> tensor<?x100xbf16> {
  %y = vllm.silu_and_mul %x : tensor<?x200xbf16> -> tensor<?x100xbf16>
  return %y : tensor<?x100xbf16>
}
