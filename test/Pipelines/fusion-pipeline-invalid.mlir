// vllm-fusion-pipeline rejects an unknown chip when the pipeline is parsed,
// before any pass runs (hence the unknown location).
// RUN: vllm-opt %s -verify-diagnostics --vllm-fusion-pipeline=chip=sm_80
// RUN: vllm-opt %s -verify-diagnostics --pass-pipeline="builtin.module(vllm-fusion-pipeline{chip=sm_80})"

// expected-error@unknown {{vllm-fusion-pipeline: unknown chip 'sm_80' (expected sm_90a or sm_100a)}}
func.func @f() {
  return
}
