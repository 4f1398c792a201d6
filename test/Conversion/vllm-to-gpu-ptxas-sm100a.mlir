// ptxas (sm_100a) accepts every kind of kernel the lowering generates
// (Inputs/all-kernels.mlir: norms, quantize and rms_norm_quant for every
// scheme, encoding and layout, odd, large and streamed hidden sizes, bf16,
// f16 and f32, scaled_matmul for every scale format, and the variants of
// the persistent norm kernels that stage w in shared memory), and none of
// them spills: every entry reports 0 bytes of spill stores and loads.
// REQUIRES: ptxas
// RUN: vllm-opt %S/Inputs/all-kernels.mlir --vllm-gpu-pipeline="chip=sm_100a format=ptx" | vllm-opt --vllm-dump-gpu-binary=output=%t.ptx -o /dev/null
// RUN: %ptxas -arch=sm_100a -v %t.ptx -o %t.cubin 2> %t.log
// RUN: FileCheck %s --check-prefix=ENTRIES < %t.log
// RUN: FileCheck %s < %t.log

// ENTRIES-COUNT-112: Compiling entry function '{{.*}}' for 'sm_100a'
// ENTRIES-NOT: Compiling entry function

// One "no spills" line per entry, and no other spill line.
// CHECK-NOT: error
// CHECK-COUNT-112: 0 bytes stack frame, 0 bytes spill stores, 0 bytes spill loads
// CHECK-NOT: spill
