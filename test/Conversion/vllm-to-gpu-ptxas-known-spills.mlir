// The spills the register estimate accepts (lib/Conversion/VllmToGPU/
// Codegen.h, next to kNoResidualGroupF32ScaleRegisters): per-group f32
// without a residual at H = 2048 and 4096 runs 4 CTAs of 256 threads per SM
// (64 registers) with one row in flight, which measured 5-8% faster on the
// H200 than 3 CTAs with two rows, although ptxas spills one register
// (4 bytes) for sm_90a. sm_100a's paired f32 arithmetic fits. A change of
// the estimate or of the kernels that makes the spills grow, or makes them
// go away, fails here and should be measured (docs/benchmarks.md).
// REQUIRES: ptxas
// RUN: vllm-opt %s --vllm-gpu-pipeline="chip=sm_90a format=ptx" | vllm-opt --vllm-dump-gpu-binary=output=%t.sm_90a.ptx -o /dev/null
// RUN: %ptxas -arch=sm_90a -v %t.sm_90a.ptx -o %t.sm_90a.cubin 2> %t.sm_90a.log
// RUN: FileCheck %s --check-prefix=SM90 < %t.sm_90a.log
// RUN: vllm-opt %s --vllm-gpu-pipeline="chip=sm_100a format=ptx" | vllm-opt --vllm-dump-gpu-binary=output=%t.sm_100a.ptx -o /dev/null
// RUN: %ptxas -arch=sm_100a -v %t.sm_100a.ptx -o %t.sm_100a.cubin 2> %t.sm_100a.log
// RUN: FileCheck %s --check-prefix=SM100 < %t.sm_100a.log

// SM90: Function properties for rms_norm_bf16_h4096_eps358637BD_q_group128_f32_mn_major4{{$}}
// SM90-NEXT: 4 bytes spill stores, 4 bytes spill loads
// SM90-NEXT: Used 64 registers
// SM90: Function properties for rms_norm_bf16_h4096_eps358637BD_q_group128_f32_mn_major4_wsmem{{$}}
// SM90-NEXT: 4 bytes spill stores, 4 bytes spill loads
// SM90-NEXT: Used 64 registers
// SM90: Function properties for rms_norm_bf16_h2048_eps358637BD_q_group128_f32_mn_major4{{$}}
// SM90-NEXT: 0 bytes spill stores, 0 bytes spill loads
// SM90-NEXT: Used 64 registers
// SM90: Function properties for rms_norm_bf16_h2048_eps358637BD_q_group128_f32_mn_major4_wsmem{{$}}
// SM90-NEXT: 4 bytes spill stores, 4 bytes spill loads
// SM90-NEXT: Used 64 registers

// SM100-COUNT-4: Used 64 registers
// SM100-NOT: Used
// RUN: FileCheck %s --check-prefix=SM100-SPILLS < %t.sm_100a.log
// SM100-SPILLS-COUNT-4: 0 bytes spill stores, 0 bytes spill loads
// SM100-SPILLS-NOT: spill

func.func @g128f32_h2048(%x: tensor<?x2048xbf16>, %w: tensor<2048xbf16>) -> (tensor<?x2048xf8E4M3FN>, tensor<16x?xf32, #vllm.scales<group 128, f32, mn_major, align 4>>) {
  %q, %s = vllm.rms_norm_quant %x, %w as <per_group 128, f32, mn_major, align 4> {epsilon = 1.0e-06 : f32} : (tensor<?x2048xbf16>, tensor<2048xbf16>) -> (tensor<?x2048xf8E4M3FN>, tensor<16x?xf32, #vllm.scales<group 128, f32, mn_major, align 4>>)
  return %q, %s : tensor<?x2048xf8E4M3FN>, tensor<16x?xf32, #vllm.scales<group 128, f32, mn_major, align 4>>
}
func.func @g128f32_h4096(%x: tensor<?x4096xbf16>, %w: tensor<4096xbf16>) -> (tensor<?x4096xf8E4M3FN>, tensor<32x?xf32, #vllm.scales<group 128, f32, mn_major, align 4>>) {
  %q, %s = vllm.rms_norm_quant %x, %w as <per_group 128, f32, mn_major, align 4> {epsilon = 1.0e-06 : f32} : (tensor<?x4096xbf16>, tensor<4096xbf16>) -> (tensor<?x4096xf8E4M3FN>, tensor<32x?xf32, #vllm.scales<group 128, f32, mn_major, align 4>>)
  return %q, %s : tensor<?x4096xf8E4M3FN>, tensor<32x?xf32, #vllm.scales<group 128, f32, mn_major, align 4>>
}
