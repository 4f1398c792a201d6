// Regressions found by the GPU numerics suite on the H200.
// RUN: vllm-opt %s -split-input-file --vllm-gpu-pipeline="chip=sm_90a format=ptx" | vllm-opt --vllm-dump-gpu-binary -o /dev/null | FileCheck %s --check-prefix=PTX
// RUN: vllm-opt %s -split-input-file --convert-vllm-to-gpu=chip=sm_90a --cse | FileCheck %s --check-prefix=IR

// Two reduction buffers of 2 x 12 floats (352 threads: 11 warps, a half per
// row parity rounded up to 4 entries): the NVPTX vectorizer reads them with
// ld.shared.v4, so both must be 16-byte aligned or the second one faults
// with CUDA_ERROR_MISALIGNED_ADDRESS.
// PTX-DAG: .shared .align 16 .b8 __wg_rms_norm_bf16_h4100_{{.*}}_y_amax_0[96];
// PTX-DAG: .shared .align 16 .b8 __wg_rms_norm_bf16_h4100_{{.*}}_y_amax_1[96];
// PTX-NOT: .shared .align 4
func.func @fused_dpt_h4100(%x: tensor<?x4100xbf16>, %w: tensor<4100xbf16>) -> (tensor<?x4100xf8E4M3FN>, tensor<1xf32, #vllm.scales<tensor>>, tensor<?x4100xbf16>) {
  %q, %sc, %y = vllm.rms_norm_quant %x, %w as <dynamic_per_tensor> {epsilon = 1.0e-05 : f32} : (tensor<?x4100xbf16>, tensor<4100xbf16>) -> (tensor<?x4100xf8E4M3FN>, tensor<1xf32, #vllm.scales<tensor>>, tensor<?x4100xbf16>)
  return %q, %sc, %y : tensor<?x4100xf8E4M3FN>, tensor<1xf32, #vllm.scales<tensor>>, tensor<?x4100xbf16>
}

// -----

// SPEC: the amax of an all-NaN row is NaN, and minNum(NaN, ub) = ub, so such
// a row gets the scale ub / 448 (not min_scale). The accumulation starts
// from NaN and lanes past the end of the row contribute NaN, not their
// zero fill.
// IR-LABEL: gpu.func @quantize_bf16_h128_q_token_ub
// IR: %[[NAN:.*]] = arith.constant 0x7FC00000 : f32
// IR: arith.select %{{.*}}, %{{.*}}, %[[NAN]] : f32
// IR: arith.minnumf %{{.*}}, %{{.*}} : f32
func.func @quant_tokub_h128(%y: tensor<?x128xbf16>) -> (tensor<?x128xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>) {
  %q, %s = vllm.quantize %y as <per_token, upper_bound = 2.5> : tensor<?x128xbf16> -> tensor<?x128xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>
  return %q, %s : tensor<?x128xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>
}
