// Integer division by zero (UBSan report) in chooseRowConfig, Codegen.cpp:467, for a zero-sized hidden dimension: vllm-opt %s --convert-vllm-to-gpu=chip=sm_100a (also chip=sm_90a and --vllm-gpu-pipeline)
func.func @f(%x: tensor<?x0xbf16>, %w: tensor<0xbf16>) -> tensor<?x0xbf16> {
  %y = vllm.rms_norm %x, %w {epsilon = 1.0e-06 : f32} : (tensor<?x0xbf16>, tensor<0xbf16>) -> tensor<?x0xbf16>
  return %y : tensor<?x0xbf16>
}
