// ptxas accepts every kernel of the tensor-parallel functions
// (gpu-tests/allreduce/all_reduce_tests.mlir: all_reduce alone for bf16,
// f16 and f32, and the fused all-reduce + add + norm + quantize site for
// five schemes), fused and unfused, for sm_90a and sm_100a, and records the
// spills (lib/Conversion/VllmToGPU/Codegen.h, kAllReduceRegisters): the
// fused f32 kernels of H = 1001 (one element per vector, two rows in
// flight at 64 registers) spill 16-20 bytes on both chips, and sm_100a's
// ptxas spills 16 bytes of the f16 all_reduce kernel at 40 registers (its
// f32 pairs live across the peer loop). Every other entry has none. A
// change that makes them grow, or go away, fails here.
// REQUIRES: ptxas
// RUN: vllm-opt %S/../../gpu-tests/allreduce/all_reduce_tests.mlir --vllm-gpu-pipeline="chip=sm_90a format=ptx fuse=true" | vllm-opt --vllm-dump-gpu-binary=output=%t.90f.ptx -o /dev/null
// RUN: %ptxas -arch=sm_90a -v %t.90f.ptx -o %t.90f.cubin 2> %t.90f.log
// RUN: FileCheck %s --check-prefix=ENTRIES21 < %t.90f.log
// RUN: FileCheck %s --check-prefix=SPILL90F < %t.90f.log
// RUN: vllm-opt %S/../../gpu-tests/allreduce/all_reduce_tests.mlir --vllm-gpu-pipeline="chip=sm_90a format=ptx fuse=false" | vllm-opt --vllm-dump-gpu-binary=output=%t.90u.ptx -o /dev/null
// RUN: %ptxas -arch=sm_90a -v %t.90u.ptx -o %t.90u.cubin 2> %t.90u.log
// RUN: FileCheck %s --check-prefix=ENTRIES19 < %t.90u.log
// RUN: FileCheck %s --check-prefix=NOSPILL < %t.90u.log
// RUN: vllm-opt %S/../../gpu-tests/allreduce/all_reduce_tests.mlir --vllm-gpu-pipeline="chip=sm_100a format=ptx fuse=true" | vllm-opt --vllm-dump-gpu-binary=output=%t.100f.ptx -o /dev/null
// RUN: %ptxas -arch=sm_100a -v %t.100f.ptx -o %t.100f.cubin 2> %t.100f.log
// RUN: FileCheck %s --check-prefix=ENTRIES21 < %t.100f.log
// RUN: FileCheck %s --check-prefix=SPILL100F < %t.100f.log
// RUN: vllm-opt %S/../../gpu-tests/allreduce/all_reduce_tests.mlir --vllm-gpu-pipeline="chip=sm_100a format=ptx fuse=false" | vllm-opt --vllm-dump-gpu-binary=output=%t.100u.ptx -o /dev/null
// RUN: %ptxas -arch=sm_100a -v %t.100u.ptx -o %t.100u.cubin 2> %t.100u.log
// RUN: FileCheck %s --check-prefix=ENTRIES19 < %t.100u.log
// RUN: FileCheck %s --check-prefix=SPILL100U < %t.100u.log

// ENTRIES21-COUNT-21: Compiling entry function '{{.*}}'
// ENTRIES21-NOT: Compiling entry function
// ENTRIES19-COUNT-19: Compiling entry function '{{.*}}'
// ENTRIES19-NOT: Compiling entry function

// NOSPILL-NOT: error
// NOSPILL-NOT: {{[1-9][0-9]*}} bytes spill

// The fused builds: the two f32 H = 1001 kernels spill, nothing else.
// SPILL90F-NOT: {{[1-9][0-9]*}} bytes spill
// SPILL90F: Function properties for all_reduce_add_rms_norm_f32_h1001_eps358637BD_r_y_amax{{$}}
// SPILL90F-NEXT: 20 bytes spill stores, 20 bytes spill loads
// SPILL90F-NOT: {{[1-9][0-9]*}} bytes spill
// SPILL90F: Function properties for all_reduce_add_rms_norm_f32_h1001_eps358637BD_r_y_q_token{{$}}
// SPILL90F-NEXT: 16 bytes spill stores, 16 bytes spill loads
// SPILL90F-NOT: {{[1-9][0-9]*}} bytes spill
// SPILL100F-NOT: {{[1-9][0-9]*}} bytes spill
// SPILL100F: Function properties for all_reduce_add_rms_norm_f32_h1001_eps358637BD_r_y_amax{{$}}
// SPILL100F-NEXT: 20 bytes spill stores, 20 bytes spill loads
// SPILL100F-NOT: {{[1-9][0-9]*}} bytes spill
// SPILL100F: Function properties for all_reduce_add_rms_norm_f32_h1001_eps358637BD_r_y_q_token{{$}}
// SPILL100F-NEXT: 16 bytes spill stores, 16 bytes spill loads
// SPILL100F-NOT: {{[1-9][0-9]*}} bytes spill
// SPILL100F: Function properties for all_reduce_f16_h256{{$}}
// SPILL100F-NEXT: 16 bytes spill stores, 16 bytes spill loads
// SPILL100F-NOT: {{[1-9][0-9]*}} bytes spill
// SPILL100U-NOT: {{[1-9][0-9]*}} bytes spill
// SPILL100U: Function properties for all_reduce_f16_h256{{$}}
// SPILL100U-NEXT: 16 bytes spill stores, 16 bytes spill loads
// SPILL100U-NOT: {{[1-9][0-9]*}} bytes spill
