// Integer division by zero (UBSan report) in chooseRowConfig, Codegen.cpp:467, for a zero-sized hidden dimension: vllm-opt %s --convert-vllm-to-gpu=chip=sm_100a (also chip=sm_90a and --vllm-gpu-pipeline)
func.func @f(%x: tensor<?x0xbf16>, %r: tensor<?x0xbf16>, %w: tensor<0xbf16>) -> (tensor<?x0xbf16>, tensor<?x0xbf16>) {
  %y, %ro = vllm.fused_add_rms_norm %x, %r, %w {epsilon = 1.0e-06 : f32} : (tensor<?x0xbf16>, tensor<?x0xbf16>, tensor<0xbf16>) -> (tensor<?x0xbf16>, tensor<?x0xbf16>)
  return %y, %ro : tensor<?x0xbf16>, tensor<?x0xbf16>
}
