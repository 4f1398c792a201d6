// The example model graph (examples/model.mlir: 4 DeepSeek-V3-shaped layers,
// fused_add_rms_norm -> quantize -> scaled_matmul sites, residual chain,
// silu_and_mul -> quantize before the down projection)
// compiles, fused and unfused, to cubin for sm_100a and sm_90a with one
// command; every kernel but one assembles without spills, and each library
// leaves only the runtime's mgpu* functions undefined (no libcuda, no stream
// creation or synchronization).
// REQUIRES: ptxas
// RUN: rm -rf %t && %vllm_obj/bin/vllm-compile %vllm_src/examples/model.mlir --chip sm_100a,sm_90a --fusion both --output-dir %t --report > %t.report
// RUN: FileCheck %s --check-prefix=REPORT < %t.report
// RUN: nm -D --undefined-only %t/model.sm_100a.fused.so | FileCheck %s --check-prefix=SYMS
// RUN: nm -D --undefined-only %t/model.sm_100a.unfused.so | FileCheck %s --check-prefix=SYMS
// RUN: nm -D --undefined-only %t/model.sm_90a.fused.so | FileCheck %s --check-prefix=SYMS
// RUN: nm -D --undefined-only %t/model.sm_90a.unfused.so | FileCheck %s --check-prefix=SYMS
// RUN: nm -D --defined-only %t/model.sm_90a.fused.so | FileCheck %s --check-prefix=EXPORTS

// Fused, the norm sites become rms_norm_quant kernels and the
// down-projection site an elementwise_quant silu_and_mul kernel, with the
// layout each chip's GEMM consumes; unfused, norms, silu_and_mul and
// quantizes stay separate kernels.
// Every norm kernel comes with its variant that stages w in shared memory
// (_wsmem), launched when M gives each CTA two rows or more, and every
// silu_and_mul kernel its variant that reads silu from a table in shared
// memory (_silutab), from two rows per CTA too.
// REPORT: == model.mlir, sm_100a, fused: 12 kernels, model.sm_100a.fused.so
// REPORT-NOT: ==
// REPORT-DAG: add_rms_norm_bf16_h7168_eps358637BD_r_q_group128_ue8m0_packed_mn_major4{{$}}
// REPORT-DAG: add_rms_norm_bf16_h7168_eps358637BD_r_q_group128_ue8m0_packed_mn_major4_wsmem
// REPORT-DAG: rms_norm_bf16_h1536_eps358637BD_q_group128_ue8m0_packed_mn_major4{{$}}
// REPORT-DAG: rms_norm_bf16_h1536_eps358637BD_q_group128_ue8m0_packed_mn_major4_wsmem
// REPORT-DAG: silu_and_mul_bf16_h2048_q_group128_ue8m0_packed_mn_major4{{$}}
// REPORT-DAG: silu_and_mul_bf16_h2048_q_group128_ue8m0_packed_mn_major4_silutab
// REPORT: == model.mlir, sm_100a, unfused: 15 kernels, model.sm_100a.unfused.so
// REPORT-NOT: ==
// REPORT-DAG: add_rms_norm_bf16_h7168_eps358637BD_r_y{{$}}
// REPORT-DAG: add_rms_norm_bf16_h7168_eps358637BD_r_y_wsmem
// REPORT-DAG: quantize_bf16_h7168_q_group128_f32_row_major
// REPORT-DAG: silu_and_mul_bf16_h2048_y{{$}}
// REPORT-DAG: silu_and_mul_bf16_h2048_y_silutab
// REPORT-DAG: quantize_bf16_h2048_q_group128_f32_row_major
// REPORT: == model.mlir, sm_90a, fused: 12 kernels, model.sm_90a.fused.so
// REPORT-NOT: ==
// REPORT-DAG: add_rms_norm_bf16_h7168_eps358637BD_r_q_group128_f32_mn_major4{{$}}
// REPORT-DAG: add_rms_norm_bf16_h7168_eps358637BD_r_q_group128_f32_mn_major4_wsmem
// REPORT-DAG: silu_and_mul_bf16_h2048_q_group128_f32_mn_major4{{$}}
// REPORT-DAG: silu_and_mul_bf16_h2048_q_group128_f32_mn_major4_silutab
// REPORT: == model.mlir, sm_90a, unfused: 15 kernels, model.sm_90a.unfused.so
// The spill column is 0/0 for every kernel but two fused kernels with
// packed UE8M0 scales for sm_100a, where ptxas spills one register (4 bytes,
// L1-resident): the H = 7168 residual kernel, held to 72 registers (2 CTAs
// of 448 threads per SM, 2 rows in flight), and the H = 1536 one, held to
// 64 (10 CTAs of 96 threads). More registers would cost them resident CTAs.
// Their staged-weights variants do not spill.
// RUN: grep -c " 0/0 " %t.report | FileCheck %s --check-prefix=NOSPILL
// NOSPILL: 52
// RUN: grep -v " 0/0 " %t.report | FileCheck %s --check-prefix=SPILL
// SPILL: 72 4/4 {{.*}} add_rms_norm_bf16_h7168_eps358637BD_r_q_group128_ue8m0_packed_mn_major4{{$}}
// SPILL-NEXT: 64 4/4 {{.*}} rms_norm_bf16_h1536_eps358637BD_q_group128_ue8m0_packed_mn_major4{{$}}
// SPILL-NOT: {{^ +[0-9]+ +[0-9]+/[0-9]+ }}

// SYMS-NOT: cu{{[A-Z]}}
// SYMS-NOT: mgpuStream
// SYMS: U mgpuLaunchKernel
// SYMS: U mgpuMemAlloc
// SYMS: U mgpuMemFree
// SYMS: U mgpuModuleGetFunction
// SYMS: U mgpuModuleLoad
// SYMS: U mgpuModuleUnload
// SYMS-NOT: mgpu

// EXPORTS: T _mlir_ciface_model
// EXPORTS: T model
