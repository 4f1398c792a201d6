// The lowering of the tensor-parallel ops (SPEC.md 3.10, 3.11;
// lib/Conversion/VllmToGPU/AllReduce.cpp): the host stages this rank's
// input with vllmrtCommStage (which returns the group's descriptor, null on
// error), caps the grid with vllmrtCommCtaLimit and launches only with a
// descriptor; the kernels meet the same CTA of every rank at a start and an
// end barrier (release stores to the peers' flags, acquire loads of their
// own) and sum the ranks' staged rows in rank order. all-reduce=nccl makes
// the unfused all_reduce one ncclAllReduce call instead.
// RUN: vllm-opt %s -split-input-file --convert-vllm-to-gpu=chip=sm_90a --canonicalize --cse | FileCheck %s
// RUN: vllm-opt %s -split-input-file --convert-vllm-to-gpu="chip=sm_90a all-reduce=nccl" --canonicalize --cse | FileCheck %s --check-prefix=NCCL
// RUN: vllm-opt %s -split-input-file --vllm-gpu-pipeline="chip=sm_90a format=ptx" | vllm-opt --vllm-dump-gpu-binary=output=- -o /dev/null | FileCheck %s --check-prefix=PTX

// The peer kernel: (descriptor, y); 896 16-byte vectors per row, a CTA of
// 512 threads per 512 vectors, at most the group's CTA limit. Nothing is
// staged or launched when M = 0.
// CHECK: gpu.func @all_reduce_bf16_h7168(%{{.*}}: i64, %{{.*}}: memref<?x7168xbf16>) kernel
// CHECK-COUNT-2: llvm.load %{{.*}} atomic acquire
// CHECK: func.func private @vllmrtCommStage(i32, !llvm.ptr, i64, !llvm.ptr) -> !llvm.ptr
// CHECK: func.func private @vllmrtCommCtaLimit(i32) -> i64
// CHECK-LABEL: func.func @ar(
// CHECK-SAME: %[[STREAM:[^:]*]]: !llvm.ptr, %[[X:[^:]*]]: memref<?x7168xbf16>, %[[Y:[^:]*]]: memref<?x7168xbf16>)
// CHECK-DAG: %[[C3:.*]] = arith.constant 3 : i32
// CHECK-DAG: %[[ROWBYTES:.*]] = arith.constant 14336 : index
// CHECK-DAG: %[[VECS:.*]] = arith.constant 896 : index
// CHECK: %[[M:.*]] = memref.dim %[[X]]
// CHECK: %[[HAS_ROWS:.*]] = arith.cmpi ugt, %[[M]]
// CHECK: cf.cond_br %[[HAS_ROWS]]
// CHECK: %[[XPTR:.*]] = memref.extract_aligned_pointer_as_index %[[X]]
// CHECK: %[[BYTES:.*]] = arith.muli %[[M]], %[[ROWBYTES]]
// CHECK: %[[DESC:.*]] = call @vllmrtCommStage(%[[C3]], %{{.*}}, %{{.*}}, %[[STREAM]])
// CHECK: %[[DESC64:.*]] = llvm.ptrtoint %[[DESC]]
// CHECK: %[[LIMIT:.*]] = call @vllmrtCommCtaLimit(%[[C3]])
// CHECK: %[[GRID:.*]] = arith.minui %{{.*}}, %{{.*}} : index
// CHECK: %[[STAGED:.*]] = arith.cmpi ne, %[[DESC64]]
// CHECK: cf.cond_br %[[STAGED]]
// CHECK: gpu.launch_func async [%{{.*}}] @vllm_kernels::@all_reduce_bf16_h7168 blocks in (%[[GRID]], %{{.*}}, %{{.*}}) threads in (%{{.*}}, %{{.*}}, %{{.*}}) args(%[[DESC64]] : i64, %[[Y]] : memref<?x7168xbf16>)

// all-reduce=nccl: no kernel, one call with the element count and the
// element type code (2: bf16), skipped when M = 0.
// NCCL-NOT: gpu.func
// NCCL: func.func private @vllmrtCommAllReduceNccl(i32, !llvm.ptr, !llvm.ptr, i64, i32, !llvm.ptr) -> i32
// NCCL-LABEL: func.func @ar(
// NCCL-SAME: %[[STREAM:[^:]*]]: !llvm.ptr, %[[X:[^:]*]]: memref<?x7168xbf16>, %[[Y:[^:]*]]: memref<?x7168xbf16>)
// NCCL-DAG: %[[BF16:.*]] = arith.constant 2 : i32
// NCCL-DAG: %[[C3:.*]] = arith.constant 3 : i32
// NCCL-DAG: %[[H:.*]] = arith.constant 7168 : index
// NCCL: %[[M:.*]] = memref.dim %[[X]]
// NCCL: %[[COUNT:.*]] = arith.muli %[[M]], %[[H]]
// NCCL: %[[COUNT64:.*]] = arith.index_castui %[[COUNT]] : index to i64
// NCCL: cf.cond_br
// NCCL: call @vllmrtCommAllReduceNccl(%[[C3]], %{{.*}}, %{{.*}}, %[[COUNT64]], %[[BF16]], %[[STREAM]])
// NCCL-NOT: gpu.launch_func

// PTX: .entry all_reduce_bf16_h7168(
// PTX: st.release.sys.global.b32
// PTX: ld.acquire.sys.global.b32
// PTX: st.release.sys.global.b32
// PTX: ld.acquire.sys.global.b32
func.func @ar(%x: tensor<?x7168xbf16>) -> tensor<?x7168xbf16> {
  %y = vllm.all_reduce %x group 3 : tensor<?x7168xbf16> -> tensor<?x7168xbf16>
  return %y : tensor<?x7168xbf16>
}

// -----

// The fused site: one row kernel whose first operand is the descriptor,
// launched with the rows' grid (padded for MN-major scales) capped by the
// group's limit; x is staged first. The kernel is the same with either
// all-reduce option.
// CHECK: gpu.func @all_reduce_add_rms_norm_bf16_h7168_eps358637BD_r_q_group128_ue8m0_packed_mn_major4(%{{.*}}: i64, %{{.*}}: memref<?x7168xbf16>, %{{.*}}: memref<?x7168xbf16>, %{{.*}}: memref<7168xbf16>, %{{.*}}: memref<?x7168xbf16>, %{{.*}}: memref<?x7168xf8E4M3FN>, %{{.*}}: memref<14x?xi32>)
// CHECK-LABEL: func.func @site(
// CHECK-SAME: %[[STREAM:[^:]*]]: !llvm.ptr, %[[X:[^:]*]]: memref<?x7168xbf16>, %[[RES:[^:]*]]: memref<?x7168xbf16>, %[[W:[^:]*]]: memref<7168xbf16>
// CHECK: %[[DESC:.*]] = call @vllmrtCommStage(%{{.*}}, %{{.*}}, %{{.*}}, %[[STREAM]])
// CHECK: %[[DESC64:.*]] = llvm.ptrtoint %[[DESC]]
// CHECK: call @vllmrtCommCtaLimit(
// CHECK: gpu.launch_func async [%{{.*}}] @vllm_kernels::@all_reduce_add_rms_norm_bf16_h7168_eps358637BD_r_q_group128_ue8m0_packed_mn_major4{{(_wsmem)?}} blocks in (%{{.*}}) threads in (%{{.*}}) args(%[[DESC64]] : i64, %[[X]] : memref<?x7168xbf16>, %[[RES]] : memref<?x7168xbf16>, %[[W]] : memref<7168xbf16>,
// NCCL-LABEL: func.func @site(
// NCCL: call @vllmrtCommStage(
// NCCL: gpu.launch_func async [%{{.*}}] @vllm_kernels::@all_reduce_add_rms_norm_bf16_h7168
// PTX: .entry all_reduce_add_rms_norm_bf16_h7168_eps358637BD_r_q_group128_ue8m0_packed_mn_major4
// PTX: st.release.sys.global.b32
// PTX: ld.acquire.sys.global.b32
func.func @site(%x: tensor<?x7168xbf16>, %res: tensor<?x7168xbf16>, %w: tensor<7168xbf16>)
    -> (tensor<?x7168xf8E4M3FN>, tensor<14x?xi32, #vllm.scales<group 128, ue8m0_packed, mn_major, align 4>>, tensor<?x7168xbf16>) {
  %q, %s, %r = vllm.rms_norm_quant %x, %w all_reduce(group 0) residual(%res)
      as <per_group 128, ue8m0_packed, mn_major, align 4> {epsilon = 1.0e-06 : f32}
      : (tensor<?x7168xbf16>, tensor<7168xbf16>, tensor<?x7168xbf16>)
      -> (tensor<?x7168xf8E4M3FN>, tensor<14x?xi32, #vllm.scales<group 128, ue8m0_packed, mn_major, align 4>>, tensor<?x7168xbf16>)
  return %q, %s, %r : tensor<?x7168xf8E4M3FN>, tensor<14x?xi32, #vllm.scales<group 128, ue8m0_packed, mn_major, align 4>>, tensor<?x7168xbf16>
}

// -----

// Bufferized functions lower the buffer form the same way (in the host
// function the buffer function calls); f32 is element type code 0.
// CHECK-LABEL: func.func private @buffers__all_reduce_0(
// CHECK: call @vllmrtCommStage(
// CHECK: gpu.launch_func async [%{{.*}}] @vllm_kernels::@all_reduce_f32_h1001
// CHECK-LABEL: func.func @buffers(
// CHECK: call @buffers__all_reduce_0(
// NCCL-LABEL: func.func private @buffers__all_reduce_0(
// NCCL: call @vllmrtCommAllReduceNccl(%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %c0_i32,
func.func @buffers(%x: memref<?x1001xf32>, %y: memref<?x1001xf32>) {
  vllm.buffer.all_reduce %x into %y group 1 : memref<?x1001xf32> into memref<?x1001xf32>
  return
}
