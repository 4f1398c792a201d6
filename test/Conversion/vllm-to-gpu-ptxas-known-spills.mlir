// The spills the register estimate accepts (lib/Conversion/VllmToGPU/
// Codegen.h, next to kNoResidualGroupF32ScaleRegisters), one register
// (4 bytes, L1-resident) each, where more resident warps measured faster
// than the registers that avoid them:
// - per-group f32 without a residual at H = 2048 runs 4 CTAs of 256 threads
//   per SM (64 registers) with one row in flight; its variant that stages w
//   in shared memory spills for sm_90a (sm_100a's paired f32 arithmetic
//   fits). At H = 4096 the same kernel spilled until it folded two
//   reduction threads into one (vllm-to-gpu-thread-folding.mlir).
// - packed UE8M0 without a residual with one row in flight at 64 registers
//   (H = 1536: 10 CTAs of 96 threads) spills on both chips where it reads w
//   from global memory; a term for it would also take H = 4096 from 4 CTAs
//   per SM to 3, which measured 10% slower.
// - packed UE8M0 with a residual at H = 7168 runs 2 CTAs of 448 threads
//   (72 registers); the variant that reads w from global memory spills on
//   both chips. A register term would leave one CTA per SM.
// A change of the estimate or of the kernels that makes the spills grow, or
// makes them go away, fails here and should be measured (docs/benchmarks.md).
// REQUIRES: ptxas
// RUN: vllm-opt %s --vllm-gpu-pipeline="chip=sm_90a format=ptx" | vllm-opt --vllm-dump-gpu-binary=output=%t.sm_90a.ptx -o /dev/null
// RUN: %ptxas -arch=sm_90a -v %t.sm_90a.ptx -o %t.sm_90a.cubin 2> %t.sm_90a.log
// RUN: FileCheck %s --check-prefix=SM90 < %t.sm_90a.log
// RUN: vllm-opt %s --vllm-gpu-pipeline="chip=sm_100a format=ptx" | vllm-opt --vllm-dump-gpu-binary=output=%t.sm_100a.ptx -o /dev/null
// RUN: %ptxas -arch=sm_100a -v %t.sm_100a.ptx -o %t.sm_100a.cubin 2> %t.sm_100a.log
// RUN: FileCheck %s --check-prefix=SM100 < %t.sm_100a.log

// SM90: Function properties for rms_norm_bf16_h1536_eps358637BD_q_group128_ue8m0_packed_mn_major4{{$}}
// SM90-NEXT: 4 bytes spill stores, 4 bytes spill loads
// SM90-NEXT: Used 64 registers
// SM90: Function properties for rms_norm_bf16_h1536_eps358637BD_q_group128_ue8m0_packed_mn_major4_wsmem{{$}}
// SM90-NEXT: 0 bytes spill stores, 0 bytes spill loads
// SM90-NEXT: Used 64 registers
// SM90: Function properties for add_rms_norm_bf16_h7168_eps358637BD_r_q_group128_ue8m0_packed_mn_major4{{$}}
// SM90-NEXT: 4 bytes spill stores, 4 bytes spill loads
// SM90-NEXT: Used 72 registers
// SM90: Function properties for add_rms_norm_bf16_h7168_eps358637BD_r_q_group128_ue8m0_packed_mn_major4_wsmem{{$}}
// SM90-NEXT: 0 bytes spill stores, 0 bytes spill loads
// SM90-NEXT: Used 72 registers
// SM90: Function properties for rms_norm_bf16_h2048_eps358637BD_q_group128_f32_mn_major4{{$}}
// SM90-NEXT: 0 bytes spill stores, 0 bytes spill loads
// SM90-NEXT: Used 64 registers
// SM90: Function properties for rms_norm_bf16_h2048_eps358637BD_q_group128_f32_mn_major4_wsmem{{$}}
// SM90-NEXT: 4 bytes spill stores, 4 bytes spill loads
// SM90-NEXT: Used 64 registers

// SM100: Function properties for rms_norm_bf16_h1536_eps358637BD_q_group128_ue8m0_packed_mn_major4{{$}}
// SM100-NEXT: 4 bytes spill stores, 4 bytes spill loads
// SM100-NEXT: Used 64 registers
// SM100: Function properties for rms_norm_bf16_h1536_eps358637BD_q_group128_ue8m0_packed_mn_major4_wsmem{{$}}
// SM100-NEXT: 0 bytes spill stores, 0 bytes spill loads
// SM100-NEXT: Used 64 registers
// SM100: Function properties for add_rms_norm_bf16_h7168_eps358637BD_r_q_group128_ue8m0_packed_mn_major4{{$}}
// SM100-NEXT: 4 bytes spill stores, 4 bytes spill loads
// SM100-NEXT: Used 72 registers
// SM100: Function properties for add_rms_norm_bf16_h7168_eps358637BD_r_q_group128_ue8m0_packed_mn_major4_wsmem{{$}}
// SM100-NEXT: 0 bytes spill stores, 0 bytes spill loads
// SM100-NEXT: Used 72 registers
// SM100: Function properties for rms_norm_bf16_h2048_eps358637BD_q_group128_f32_mn_major4{{$}}
// SM100-NEXT: 0 bytes spill stores, 0 bytes spill loads
// SM100-NEXT: Used 64 registers
// SM100: Function properties for rms_norm_bf16_h2048_eps358637BD_q_group128_f32_mn_major4_wsmem{{$}}
// SM100-NEXT: 0 bytes spill stores, 0 bytes spill loads
// SM100-NEXT: Used 64 registers

func.func @g128f32_h2048(%x: tensor<?x2048xbf16>, %w: tensor<2048xbf16>) -> (tensor<?x2048xf8E4M3FN>, tensor<16x?xf32, #vllm.scales<group 128, f32, mn_major, align 4>>) {
  %q, %s = vllm.rms_norm_quant %x, %w as <per_group 128, f32, mn_major, align 4> {epsilon = 1.0e-06 : f32} : (tensor<?x2048xbf16>, tensor<2048xbf16>) -> (tensor<?x2048xf8E4M3FN>, tensor<16x?xf32, #vllm.scales<group 128, f32, mn_major, align 4>>)
  return %q, %s : tensor<?x2048xf8E4M3FN>, tensor<16x?xf32, #vllm.scales<group 128, f32, mn_major, align 4>>
}
func.func @g128pk_res_h7168(%x: tensor<?x7168xbf16>, %w: tensor<7168xbf16>, %r: tensor<?x7168xbf16>) -> (tensor<?x7168xf8E4M3FN>, tensor<14x?xi32, #vllm.scales<group 128, ue8m0_packed, mn_major, align 4>>, tensor<?x7168xbf16>) {
  %q, %s, %ro = vllm.rms_norm_quant %x, %w residual(%r) as <per_group 128, ue8m0_packed, mn_major, align 4> {epsilon = 1.0e-06 : f32} : (tensor<?x7168xbf16>, tensor<7168xbf16>, tensor<?x7168xbf16>) -> (tensor<?x7168xf8E4M3FN>, tensor<14x?xi32, #vllm.scales<group 128, ue8m0_packed, mn_major, align 4>>, tensor<?x7168xbf16>)
  return %q, %s, %ro : tensor<?x7168xf8E4M3FN>, tensor<14x?xi32, #vllm.scales<group 128, ue8m0_packed, mn_major, align 4>>, tensor<?x7168xbf16>
}
func.func @g128pk_h1536(%x: tensor<?x1536xbf16>, %w: tensor<1536xbf16>) -> (tensor<?x1536xf8E4M3FN>, tensor<3x?xi32, #vllm.scales<group 128, ue8m0_packed, mn_major, align 4>>) {
  %q, %s = vllm.rms_norm_quant %x, %w as <per_group 128, ue8m0_packed, mn_major, align 4> {epsilon = 1.0e-06 : f32} : (tensor<?x1536xbf16>, tensor<1536xbf16>) -> (tensor<?x1536xf8E4M3FN>, tensor<3x?xi32, #vllm.scales<group 128, ue8m0_packed, mn_major, align 4>>)
  return %q, %s : tensor<?x1536xf8E4M3FN>, tensor<3x?xi32, #vllm.scales<group 128, ue8m0_packed, mn_major, align 4>>
}
