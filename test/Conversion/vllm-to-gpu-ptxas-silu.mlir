// ptxas accepts every kind of kernel the lowering generates for the MLP's
// down-projection site (Inputs/silu-kernels.mlir: silu_and_mul for bf16,
// f16 and f32, kept in registers and streamed (f32, I = 18432), and
// elementwise_quant silu_and_mul for every scheme at I = 2048, 2304 and
// 4608, with and without the product; dynamic per-tensor adds its
// quantize_*_q_tensor kernel), on both chips, and none of them spills
// (kPrologueRegisters). With silu-table-rows=2 the 18 persistent bf16
// kernels also have their `_silutab` variant (silu from the table in shared
// memory, launched from 2 rows per CTA): 26 + 18 entries.
// REQUIRES: ptxas
// RUN: vllm-opt %S/Inputs/silu-kernels.mlir --vllm-gpu-pipeline="chip=sm_90a format=ptx silu-table-rows=2" | vllm-opt --vllm-dump-gpu-binary=output=%t.90.ptx -o /dev/null
// RUN: %ptxas -arch=sm_90a -v %t.90.ptx -o %t.90.cubin 2> %t.90.log
// RUN: FileCheck %s --check-prefix=ENTRIES90 < %t.90.log
// RUN: grep -c "_silutab' for 'sm_90a'" %t.90.log | FileCheck %s --check-prefix=TABLES
// RUN: FileCheck %s < %t.90.log
// RUN: vllm-opt %S/Inputs/silu-kernels.mlir --vllm-gpu-pipeline="chip=sm_100a format=ptx silu-table-rows=2" | vllm-opt --vllm-dump-gpu-binary=output=%t.100.ptx -o /dev/null
// RUN: %ptxas -arch=sm_100a -v %t.100.ptx -o %t.100.cubin 2> %t.100.log
// RUN: FileCheck %s --check-prefix=ENTRIES100 < %t.100.log
// RUN: grep -c "_silutab' for 'sm_100a'" %t.100.log | FileCheck %s --check-prefix=TABLES
// RUN: FileCheck %s < %t.100.log

// ENTRIES90-COUNT-44: Compiling entry function '{{(silu_and_mul|quantize)_.*}}' for 'sm_90a'
// ENTRIES90-NOT: Compiling entry function
// ENTRIES100-COUNT-44: Compiling entry function '{{(silu_and_mul|quantize)_.*}}' for 'sm_100a'
// ENTRIES100-NOT: Compiling entry function

// CHECK-NOT: error
// TABLES: 18

// CHECK-COUNT-44: 0 bytes stack frame, 0 bytes spill stores, 0 bytes spill loads
// CHECK-NOT: spill
