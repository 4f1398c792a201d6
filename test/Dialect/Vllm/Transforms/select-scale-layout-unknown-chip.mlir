// vllm-select-scale-layout with a chip it does not know fails with an error
// that lists the valid ones; chip names are case-sensitive.
// RUN: vllm-opt %s -verify-diagnostics --vllm-select-scale-layout=chip=sm_80
// RUN: vllm-opt %s -verify-diagnostics --vllm-select-scale-layout=chip=SM_100A

// expected-error-re @+1 {{vllm-select-scale-layout: unknown chip '{{(sm_80|SM_100A)}}' (expected sm_90a or sm_100a)}}
module {
  func.func @f() {
    return
  }
}
