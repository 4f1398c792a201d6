// Integer division by zero (UBSan report) in chooseRowConfig, Codegen.cpp:467, for a zero-sized hidden dimension: vllm-opt %s --convert-vllm-to-gpu=chip=sm_100a (also chip=sm_90a and --vllm-gpu-pipeline)
func.func @f(%y: tensor<?x0xbf16>) -> (tensor<?x0xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>) {
  %q, %s = vllm.quantize %y as <per_token> : tensor<?x0xbf16> -> tensor<?x0xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>
  return %q, %s : tensor<?x0xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>
}
