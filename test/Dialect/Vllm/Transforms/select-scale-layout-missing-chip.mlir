// vllm-select-scale-layout without its required `chip` option fails with an
// error at the op it runs on.
// RUN: vllm-opt %s -verify-diagnostics --vllm-select-scale-layout
// RUN: vllm-opt %s -verify-diagnostics --vllm-select-scale-layout=chip=

// expected-error @+1 {{vllm-select-scale-layout requires the 'chip' option (sm_90a or sm_100a)}}
module {
  func.func @f(%y: tensor<?x256xbf16>) -> (tensor<?x256xf8E4M3FN>, tensor<?x2xf32, #vllm.scales<group 128, f32, row_major>>) {
    %q, %s = vllm.quantize %y as <per_group 128, f32, row_major> : tensor<?x256xbf16> -> tensor<?x256xf8E4M3FN>, tensor<?x2xf32, #vllm.scales<group 128, f32, row_major>>
    return %q, %s : tensor<?x256xf8E4M3FN>, tensor<?x2xf32, #vllm.scales<group 128, f32, row_major>>
  }
}
