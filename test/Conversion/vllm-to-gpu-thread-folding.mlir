// A row kernel may fold F threads of its row's reduction layout into one
// (RowConfig::foldedThreads, the row-thread-folding option): threads / F
// threads with F x slots slots, slot s of thread t holding what slot s / F
// of reduction thread t + (s % F) x threads held. The thread keeps one
// partial sum of squares per folded thread (its slots k, k + F, ... in that
// order), and warp w stores its partial k where the reduction's warp
// w + k x warps stores its sum: every addition happens in the order of the
// unfolded layout, so the sum has the same bits (SPEC C9; the GPU numerics
// suite compares the folded fused kernel with the unfolded unfused norm).
// By default per-token without a residual folds two threads: its rows are
// reduced twice (sum of squares, then amax), and the cross-warp steps and
// barriers of both get half the warps. So does per-group f32 without a
// residual where the folded CTA has a multiple of 4 warps, one per
// scheduler (docs/benchmarks.md).
// RUN: vllm-opt %s -split-input-file --convert-vllm-to-gpu="chip=sm_90a weight-staging-rows=0" --canonicalize --cse | FileCheck %s
// RUN: vllm-opt %s -split-input-file --convert-vllm-to-gpu="chip=sm_90a weight-staging-rows=0 row-thread-folding=1" --canonicalize --cse | FileCheck %s --check-prefix=NONE
// RUN: vllm-opt %s -split-input-file --convert-vllm-to-gpu="chip=sm_90a weight-staging-rows=0 row-thread-folding=2" --canonicalize --cse | FileCheck %s --check-prefix=TWO
// RUN: vllm-opt %s -split-input-file --convert-vllm-to-gpu="chip=sm_90a weight-staging-rows=0 row-thread-folding=4" --canonicalize --cse | FileCheck %s --check-prefix=FOUR

// H = 7168: the reduction layout has 448 threads of 2 vectors (14 warps);
// folded, 224 threads of 4. The sum buffer keeps the 14 warps' entries
// (2 x 16), the amax buffer (order-free) has the 7 physical warps' (2 x 8).
// Slots 0 and 2 belong to reduction thread t, slots 1 and 3 to t + 224:
// two fma chains from zero, each continued by its own later slot.
// CHECK-LABEL: gpu.func @rms_norm_bf16_h7168_eps358637BD_q_token(
// CHECK-SAME: workgroup(%[[SUM:.*]] : memref<32xf32, #gpu.address_space<workgroup>> {llvm.align = 16 : i64}, %[[AMAX:.*]] : memref<16xf32, #gpu.address_space<workgroup>> {llvm.align = 16 : i64})
// CHECK-SAME: known_block_size = array<i32: 224, 1, 1>
// CHECK: llvm.intr.fma(%{{.*}}, %{{.*}}, %[[ZERO:cst[_0-9]*]]) : (f32, f32, f32) -> f32
// CHECK-COUNT-6: llvm.intr.fma
// CHECK-NEXT: %[[A1:.*]] = llvm.intr.fma
// CHECK-NEXT: llvm.intr.fma(%{{.*}}, %{{.*}}, %[[ZERO]])
// CHECK-COUNT-6: llvm.intr.fma
// CHECK-NEXT: %[[B1:.*]] = llvm.intr.fma
// CHECK-NEXT: llvm.intr.fma(%{{.*}}, %{{.*}}, %[[A1]])
// CHECK-COUNT-6: llvm.intr.fma
// CHECK-NEXT: %[[A2:.*]] = llvm.intr.fma
// CHECK-NEXT: llvm.intr.fma(%{{.*}}, %{{.*}}, %[[B1]])
// CHECK-COUNT-6: llvm.intr.fma
// CHECK-NEXT: %[[B2:.*]] = llvm.intr.fma
// Each partial gets its own butterfly over the 32 lanes.
// CHECK-NEXT: gpu.shuffle xor %[[A2]], %c16_i32, %c32_i32 : f32
// CHECK-COUNT-4: gpu.shuffle xor
// CHECK: %[[AW:.*]] = arith.addf
// CHECK-NEXT: gpu.shuffle xor %[[B2]], %c16_i32, %c32_i32 : f32
// CHECK-COUNT-4: gpu.shuffle xor
// CHECK: %[[BW:.*]] = arith.addf
// Lane 0 of warp w stores partial 0 at entry w and partial 1 at w + 7.
// CHECK-NEXT: %[[WARP:.*]] = arith.divui %thread_id_x, %c32 : index
// CHECK: scf.if
// CHECK-NEXT: %[[E0:.*]] = arith.addi %[[BASE:.*]], %[[WARP]] : index
// CHECK-NEXT: memref.store %[[AW]], %[[SUM]][%[[E0]]]
// CHECK-NEXT: %[[W7:.*]] = arith.addi %[[WARP]], %c7 : index
// CHECK-NEXT: %[[E1:.*]] = arith.addi %[[BASE]], %[[W7]] : index
// CHECK-NEXT: memref.store %[[BW]], %[[SUM]][%[[E1]]]
// CHECK-NEXT: }
// CHECK-NEXT: gpu.barrier
// The 14 partials in the reduction's warp order, as in the unfolded kernel.
// CHECK-NEXT: memref.load %[[SUM]][%[[BASE]]]
// CHECK-COUNT-13: memref.load %[[SUM]]
// CHECK-NOT: memref.load %[[SUM]]
// The amax: one value per thread, 7 warps.
// CHECK: gpu.barrier
// CHECK-COUNT-7: memref.load %[[AMAX]]
// CHECK-NOT: memref.load %[[AMAX]]
// CHECK: gpu.return
// The unfused norm keeps the reduction layout.
// CHECK-LABEL: gpu.func @rms_norm_bf16_h7168_eps358637BD_y(
// CHECK-SAME: workgroup(%{{.*}} : memref<32xf32, #gpu.address_space<workgroup>> {llvm.align = 16 : i64})
// CHECK-SAME: known_block_size = array<i32: 448, 1, 1>
// CHECK-LABEL: gpu.func @quantize_bf16_h7168_q_token(
// CHECK-SAME: known_block_size = array<i32: 448, 1, 1>

// Without folding: 448 threads, one chain, one butterfly, 14 partials.
// NONE-LABEL: gpu.func @rms_norm_bf16_h7168_eps358637BD_q_token(
// NONE-SAME: known_block_size = array<i32: 448, 1, 1>
// NONE: llvm.intr.fma(%{{.*}}, %{{.*}}, %[[ZERO:cst[_0-9]*]]) : (f32, f32, f32) -> f32
// NONE-NOT: llvm.intr.fma(%{{.*}}, %{{.*}}, %[[ZERO]])
// NONE-COUNT-5: gpu.shuffle xor
// NONE-NOT: gpu.shuffle
// NONE: gpu.barrier
// NONE-COUNT-14: memref.load
// NONE: gpu.barrier

// With the option at 2, every eligible kernel folds, the unfused norm too.
// TWO-LABEL: gpu.func @rms_norm_bf16_h7168_eps358637BD_q_token(
// TWO-SAME: known_block_size = array<i32: 224, 1, 1>
// TWO-LABEL: gpu.func @rms_norm_bf16_h7168_eps358637BD_y(
// TWO-SAME: known_block_size = array<i32: 224, 1, 1>
// TWO-LABEL: gpu.func @quantize_bf16_h7168_q_token(
// TWO-SAME: known_block_size = array<i32: 224, 1, 1>

// At 4: 14 warps do not split into fours, so H = 7168 folds two.
// FOUR-LABEL: gpu.func @rms_norm_bf16_h7168_eps358637BD_q_token(
// FOUR-SAME: known_block_size = array<i32: 224, 1, 1>
func.func @token(%x: tensor<?x7168xbf16>, %w: tensor<7168xbf16>) -> (tensor<?x7168xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>, tensor<?x7168xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>) {
  %q, %s = vllm.rms_norm_quant %x, %w as <per_token> {epsilon = 1.0e-06 : f32} : (tensor<?x7168xbf16>, tensor<7168xbf16>) -> (tensor<?x7168xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>)
  %y = vllm.rms_norm %x, %w {epsilon = 1.0e-06 : f32} : (tensor<?x7168xbf16>, tensor<7168xbf16>) -> tensor<?x7168xbf16>
  %qu, %su = vllm.quantize %y as <per_token> : tensor<?x7168xbf16> -> tensor<?x7168xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>
  return %q, %s, %qu, %su : tensor<?x7168xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>, tensor<?x7168xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>
}

// -----

// H = 4096: 256 threads of 2 vectors (8 warps); folded two, 128 threads of
// 4; folded four (option), 64 threads of 8.
// CHECK-LABEL: gpu.func @rms_norm_bf16_h4096_eps358637BD_q_token(
// CHECK-SAME: workgroup(%{{.*}} : memref<16xf32, #gpu.address_space<workgroup>> {llvm.align = 16 : i64}, %{{.*}} : memref<8xf32, #gpu.address_space<workgroup>> {llvm.align = 16 : i64})
// CHECK-SAME: known_block_size = array<i32: 128, 1, 1>
// NONE-LABEL: gpu.func @rms_norm_bf16_h4096_eps358637BD_q_token(
// NONE-SAME: known_block_size = array<i32: 256, 1, 1>
// FOUR-LABEL: gpu.func @rms_norm_bf16_h4096_eps358637BD_q_token(
// FOUR-SAME: workgroup(%[[SUM:.*]] : memref<16xf32, #gpu.address_space<workgroup>> {llvm.align = 16 : i64}, %{{.*}} : memref<8xf32, #gpu.address_space<workgroup>> {llvm.align = 16 : i64})
// FOUR-SAME: known_block_size = array<i32: 64, 1, 1>
// FOUR: memref.store %{{.*}}, %[[SUM]]
// FOUR: memref.store %{{.*}}, %[[SUM]]
// FOUR: memref.store %{{.*}}, %[[SUM]]
// FOUR: memref.store %{{.*}}, %[[SUM]]
// FOUR-NEXT: }
// FOUR-NEXT: gpu.barrier
// FOUR-COUNT-8: memref.load %[[SUM]]
// FOUR-NOT: memref.load %[[SUM]]
// FOUR: gpu.return
func.func @token4096(%x: tensor<?x4096xbf16>, %w: tensor<4096xbf16>) -> (tensor<?x4096xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>) {
  %q, %s = vllm.rms_norm_quant %x, %w as <per_token> {epsilon = 1.0e-06 : f32} : (tensor<?x4096xbf16>, tensor<4096xbf16>) -> (tensor<?x4096xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>)
  return %q, %s : tensor<?x4096xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>
}

// -----

// Per-group f32 without a residual folds where the folded CTA keeps a
// multiple of 4 warps: H = 4096, 256 threads (8 warps) -> 128 (4). Not at
// H = 6144 (384 threads, 12 warps -> 6), nor with other scale encodings.
// The folded kernel keeps a partial per folded thread: two fma chains from
// zero, each butterflied.
// CHECK-LABEL: gpu.func @rms_norm_bf16_h4096_eps358637BD_q_group128_f32_mn_major4(
// CHECK-SAME: known_block_size = array<i32: 128, 1, 1>
// CHECK: llvm.intr.fma(%{{.*}}, %{{.*}}, %[[ZERO:cst[_0-9]*]]) : (f32, f32, f32) -> f32
// CHECK: llvm.intr.fma(%{{.*}}, %{{.*}}, %[[ZERO]]) : (f32, f32, f32) -> f32
// CHECK-COUNT-10: gpu.shuffle xor
// CHECK: gpu.barrier
// CHECK-COUNT-8: memref.load
// CHECK-LABEL: gpu.func @rms_norm_bf16_h4096_eps358637BD_q_group128_ue8m0_f32_mn_major4(
// CHECK-SAME: known_block_size = array<i32: 256, 1, 1>
// CHECK-LABEL: gpu.func @rms_norm_bf16_h6144_eps358637BD_q_group128_f32_mn_major4(
// CHECK-SAME: known_block_size = array<i32: 384, 1, 1>
// NONE-LABEL: gpu.func @rms_norm_bf16_h4096_eps358637BD_q_group128_f32_mn_major4(
// NONE-SAME: known_block_size = array<i32: 256, 1, 1>
// TWO-LABEL: gpu.func @rms_norm_bf16_h4096_eps358637BD_q_group128_f32_mn_major4(
// TWO-SAME: known_block_size = array<i32: 128, 1, 1>
// TWO-LABEL: gpu.func @rms_norm_bf16_h4096_eps358637BD_q_group128_ue8m0_f32_mn_major4(
// TWO-SAME: known_block_size = array<i32: 128, 1, 1>
// TWO-LABEL: gpu.func @rms_norm_bf16_h6144_eps358637BD_q_group128_f32_mn_major4(
// TWO-SAME: known_block_size = array<i32: 192, 1, 1>
func.func @group4096(%x: tensor<?x4096xbf16>, %w: tensor<4096xbf16>, %x6: tensor<?x6144xbf16>, %w6: tensor<6144xbf16>) -> (tensor<?x4096xf8E4M3FN>, tensor<32x?xf32, #vllm.scales<group 128, f32, mn_major, align 4>>, tensor<?x4096xf8E4M3FN>, tensor<32x?xf32, #vllm.scales<group 128, ue8m0_f32, mn_major, align 4>>, tensor<?x6144xf8E4M3FN>, tensor<48x?xf32, #vllm.scales<group 128, f32, mn_major, align 4>>) {
  %q, %s = vllm.rms_norm_quant %x, %w as <per_group 128, f32, mn_major, align 4> {epsilon = 1.0e-06 : f32} : (tensor<?x4096xbf16>, tensor<4096xbf16>) -> (tensor<?x4096xf8E4M3FN>, tensor<32x?xf32, #vllm.scales<group 128, f32, mn_major, align 4>>)
  %q2, %s2 = vllm.rms_norm_quant %x, %w as <per_group 128, ue8m0_f32, mn_major, align 4> {epsilon = 1.0e-06 : f32} : (tensor<?x4096xbf16>, tensor<4096xbf16>) -> (tensor<?x4096xf8E4M3FN>, tensor<32x?xf32, #vllm.scales<group 128, ue8m0_f32, mn_major, align 4>>)
  %q3, %s3 = vllm.rms_norm_quant %x6, %w6 as <per_group 128, f32, mn_major, align 4> {epsilon = 1.0e-06 : f32} : (tensor<?x6144xbf16>, tensor<6144xbf16>) -> (tensor<?x6144xf8E4M3FN>, tensor<48x?xf32, #vllm.scales<group 128, f32, mn_major, align 4>>)
  return %q, %s, %q2, %s2, %q3, %s3 : tensor<?x4096xf8E4M3FN>, tensor<32x?xf32, #vllm.scales<group 128, f32, mn_major, align 4>>, tensor<?x4096xf8E4M3FN>, tensor<32x?xf32, #vllm.scales<group 128, ue8m0_f32, mn_major, align 4>>, tensor<?x6144xf8E4M3FN>, tensor<48x?xf32, #vllm.scales<group 128, f32, mn_major, align 4>>
}

// -----

// Not folded by default: a residual (its second input's registers cost
// resident CTAs) and per-group f32 at H = 7168 (the folded CTA's 7 warps
// share the 4 schedulers unequally); the option folds them. Never folded: odd H (rows of 1-element vectors, which
// the register estimate is not calibrated on) and streamed rows (summed
// chunk by chunk).
// CHECK-LABEL: gpu.func @add_rms_norm_bf16_h7168_eps358637BD_r_q_token(
// CHECK-SAME: known_block_size = array<i32: 448, 1, 1>
// CHECK-LABEL: gpu.func @rms_norm_bf16_h7168_eps358637BD_q_group128_f32_mn_major4(
// CHECK-SAME: known_block_size = array<i32: 448, 1, 1>
// CHECK-LABEL: gpu.func @rms_norm_bf16_h1001_eps358637BD_q_token(
// CHECK-SAME: known_block_size = array<i32: 512, 1, 1>
// CHECK-LABEL: gpu.func @rms_norm_bf16_h65536_eps358637BD_q_token(
// CHECK-SAME: known_block_size = array<i32: 512, 1, 1>
// TWO-LABEL: gpu.func @add_rms_norm_bf16_h7168_eps358637BD_r_q_token(
// TWO-SAME: known_block_size = array<i32: 224, 1, 1>
// TWO-LABEL: gpu.func @rms_norm_bf16_h7168_eps358637BD_q_group128_f32_mn_major4(
// TWO-SAME: known_block_size = array<i32: 224, 1, 1>
// TWO-LABEL: gpu.func @rms_norm_bf16_h1001_eps358637BD_q_token(
// TWO-SAME: known_block_size = array<i32: 512, 1, 1>
// TWO-LABEL: gpu.func @rms_norm_bf16_h65536_eps358637BD_q_token(
// TWO-SAME: known_block_size = array<i32: 512, 1, 1>
func.func @unfolded(%x: tensor<?x7168xbf16>, %w: tensor<7168xbf16>, %r: tensor<?x7168xbf16>, %xo: tensor<?x1001xbf16>, %wo: tensor<1001xbf16>, %xl: tensor<?x65536xbf16>, %wl: tensor<65536xbf16>) -> (tensor<?x7168xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>, tensor<?x7168xbf16>, tensor<?x7168xf8E4M3FN>, tensor<56x?xf32, #vllm.scales<group 128, f32, mn_major, align 4>>, tensor<?x1001xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>, tensor<?x65536xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>) {
  %q, %s, %ro = vllm.rms_norm_quant %x, %w residual(%r) as <per_token> {epsilon = 1.0e-06 : f32} : (tensor<?x7168xbf16>, tensor<7168xbf16>, tensor<?x7168xbf16>) -> (tensor<?x7168xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>, tensor<?x7168xbf16>)
  %qg, %sg = vllm.rms_norm_quant %x, %w as <per_group 128, f32, mn_major, align 4> {epsilon = 1.0e-06 : f32} : (tensor<?x7168xbf16>, tensor<7168xbf16>) -> (tensor<?x7168xf8E4M3FN>, tensor<56x?xf32, #vllm.scales<group 128, f32, mn_major, align 4>>)
  %qo, %so = vllm.rms_norm_quant %xo, %wo as <per_token> {epsilon = 1.0e-06 : f32} : (tensor<?x1001xbf16>, tensor<1001xbf16>) -> (tensor<?x1001xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>)
  %ql, %sl = vllm.rms_norm_quant %xl, %wl as <per_token> {epsilon = 1.0e-06 : f32} : (tensor<?x65536xbf16>, tensor<65536xbf16>) -> (tensor<?x65536xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>)
  return %q, %s, %ro, %qg, %sg, %qo, %so, %ql, %sl : tensor<?x7168xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>, tensor<?x7168xbf16>, tensor<?x7168xf8E4M3FN>, tensor<56x?xf32, #vllm.scales<group 128, f32, mn_major, align 4>>, tensor<?x1001xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>, tensor<?x65536xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>
}
