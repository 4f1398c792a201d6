// The shape of the generated kernels: a block size chosen from H (at most
// 512 threads, vectors per thread beyond that), 16-byte vector accesses when
// H allows and narrower aligned ones when it does not (odd H), a
// shuffle-then-shared-memory block reduction, sqrt.rn, a persistent grid
// whose CTAs loop over rows with the next rows' loads in flight, and rows
// longer than the registers hold streamed in passes.
// RUN: vllm-opt %s --convert-vllm-to-gpu --canonicalize --cse | FileCheck %s

// H = 7168 bf16: 896 vectors of 8 -> 448 threads with 2 vectors each; 2
// resident CTAs per SM (nvvm.minctasm), each prefetching 2 rows. The sum
// buffer has two halves (14 warps each, rounded up to 16 entries so that
// both start 16-byte aligned), alternating from row to row.
// CHECK-LABEL: gpu.func @rms_norm_bf16_h7168_eps358637BD_y(
// CHECK-SAME: workgroup(%{{.*}} : memref<32xf32, #gpu.address_space<workgroup>> {llvm.align = 16 : i64})
// CHECK-SAME: known_block_size = array<i32: 448, 1, 1>
// CHECK-SAME: nvvm.minctasm = 2 : i32
// The first two rows of this CTA (blockIdx and blockIdx + gridDim) load
// before the loop, each guarded by row < M.
// CHECK: %[[ROW0:.*]]:2 = scf.if %{{.*}} -> (vector<8xbf16>, vector<8xbf16>) {
// CHECK-COUNT-2: vector.load %{{.*}} {alignment = 16 : i64} : memref<?x7168xbf16>, vector<8xbf16>
// CHECK: %[[ROW1:.*]]:2 = scf.if %{{.*}} -> (vector<8xbf16>, vector<8xbf16>) {
// CHECK-COUNT-2: vector.load %{{.*}} {alignment = 16 : i64} : memref<?x7168xbf16>, vector<8xbf16>
// CHECK: %[[ITERS:.*]] = arith.divui %{{.*}}, %grid_dim_x : index
// CHECK: scf.for %[[I:.*]] = %c0 to %[[ITERS]] step %c1 iter_args(%[[X0:.*]] = %[[ROW0]]#0, %[[X1:.*]] = %[[ROW0]]#1, %[[N0:.*]] = %[[ROW1]]#0, %[[N1:.*]] = %[[ROW1]]#1)
// Row i + 2 is loaded before row i is reduced (before the barrier).
// CHECK: %[[AHEAD:.*]]:2 = scf.if %{{.*}} -> (vector<8xbf16>, vector<8xbf16>) {
// CHECK-COUNT-2: vector.load %{{.*}} {alignment = 16 : i64} : memref<?x7168xbf16>, vector<8xbf16>
// bf16 is widened to f32 without arith.extf: each i32 word of a vector
// gives its even (low) element by a shift and its odd (high) element by a
// mask, then a bitcast. w first, then x: the squares of x0[0] and x0[1]
// start the sum.
// CHECK: %[[WV:.*]] = vector.load %{{.*}} {alignment = 16 : i64} : memref<7168xbf16>, vector<8xbf16>
// CHECK-NEXT: vector.bitcast %[[WV]] : vector<8xbf16> to vector<4xi32>
// CHECK-NOT: arith.extf
// CHECK: %[[XW:.*]] = vector.bitcast %[[X0]] : vector<8xbf16> to vector<4xi32>
// CHECK-NEXT: %[[XW0:.*]] = vector.extract %[[XW]][0] : i32 from vector<4xi32>
// CHECK-NEXT: %[[LO:.*]] = arith.shli %[[XW0]], %c16_i32 : i32
// CHECK-NEXT: %[[HI:.*]] = arith.andi %[[XW0]], %c-65536_i32 : i32
// CHECK-NEXT: %[[E0:.*]] = arith.bitcast %[[LO]] : i32 to f32
// CHECK-NEXT: %[[E1:.*]] = arith.bitcast %[[HI]] : i32 to f32
// CHECK-NEXT: vector.extract %[[XW]][1] : i32 from vector<4xi32>
// CHECK-NOT: arith.extf
// CHECK: %[[SQ0:.*]] = llvm.intr.fma(%[[E0]], %[[E0]], %{{.*}}) : (f32, f32, f32) -> f32
// CHECK-NEXT: llvm.intr.fma(%[[E1]], %[[E1]], %[[SQ0]]) : (f32, f32, f32) -> f32
// CHECK-NOT: arith.extf
// CHECK: gpu.shuffle xor %{{.*}}, %c16_i32, %c32_i32 : f32
// CHECK: gpu.barrier
// CHECK: llvm.inline_asm "sqrt.rn.f32 $0, $1;", "=f,f"
// CHECK-COUNT-2: vector.store %{{.*}} {alignment = 16 : i64} : memref<?x7168xbf16>, vector<8xbf16>
// CHECK: scf.yield %[[N0]], %[[N1]], %[[AHEAD]]#0, %[[AHEAD]]#1
// CHECK: gpu.return

// H = 1001 (odd): rows are only 2-byte aligned, so scalar (1-element)
// accesses; 1001 elements -> 512 threads, the second vector guarded. A
// 1-element vector has no whole i32 word: it is widened by arith.extf.
// CHECK-LABEL: gpu.func @rms_norm_bf16_h1001_eps358637BD_y(
// CHECK-SAME: known_block_size = array<i32: 512, 1, 1>
// CHECK: vector.load %{{.*}} {alignment = 2 : i64} : memref<?x1001xbf16>, vector<1xbf16>
// CHECK: scf.if
// CHECK: vector.load %{{.*}} {alignment = 2 : i64} : memref<?x1001xbf16>, vector<1xbf16>
// CHECK: arith.extf %{{.*}} : vector<1xbf16> to vector<1xf32>
// CHECK: vector.store %{{.*}} {alignment = 2 : i64} : memref<?x1001xbf16>, vector<1xbf16>

// H = 4100: 8-byte vectors (4100 is a multiple of 4, not of 8), unpacked
// as two i32 words.
// CHECK-LABEL: gpu.func @rms_norm_bf16_h4100_eps358637BD_y(
// CHECK-SAME: known_block_size = array<i32: 352, 1, 1>
// CHECK: vector.load %{{.*}} {alignment = 8 : i64} : memref<?x4100xbf16>, vector<4xbf16>
// CHECK: vector.bitcast %{{.*}} : vector<4xbf16> to vector<2xi32>
// CHECK-NOT: arith.extf
// CHECK: gpu.return

// f32: 4 elements per 16 bytes; 64 vectors, at least two per thread
// (kMinRowInputVectorsPerThread) -> 32 threads, one warp: the sum is a warp
// reduction, without a shared buffer.
// CHECK-LABEL: gpu.func @rms_norm_f32_h256_eps358637BD_y(
// CHECK-NOT: workgroup
// CHECK-SAME: known_block_size = array<i32: 32, 1, 1>
// CHECK: vector.load %{{.*}} {alignment = 16 : i64} : memref<?x256xf32>, vector<4xf32>

// H = 65536 does not fit in registers: pass 1 sums squares, pass 2 computes
// y and its amax, the scale is stored, pass 3 recomputes y and quantizes.
// A streamed row keeps its own loads in flight, so it is compiled for one
// resident CTA per SM (nvvm.minctasm = 1).
// CHECK-LABEL: gpu.func @rms_norm_bf16_h65536_eps358637BD_q_token(
// CHECK-SAME: known_block_size = array<i32: 512, 1, 1>
// CHECK-SAME: nvvm.minctasm = 1 : i32
// CHECK: %[[SUM:.*]] = scf.for %{{.*}} = %c0 to %c6 step %c1 iter_args(%{{.*}} = %{{.*}}) -> (f32) {
// CHECK-COUNT-3: vector.load %{{.*}} : memref<?x65536xbf16>, vector<8xbf16>
// CHECK-NOT: vector.store
// CHECK: }
// CHECK: gpu.shuffle xor %[[SUM]], %c16_i32, %c32_i32 : f32
// CHECK: llvm.inline_asm "sqrt.rn.f32 $0, $1;"
// CHECK: %[[AMAX:.*]] = scf.for %{{.*}} = %c0 to %c6 step %c1 iter_args(%{{.*}} = %{{.*}}) -> (f32) {
// CHECK-COUNT-3: vector.load %{{.*}} : memref<65536xbf16>, vector<8xbf16>
// CHECK-NOT: vector.store
// CHECK: }
// CHECK: gpu.shuffle xor %[[AMAX]], %c16_i32, %c32_i32 : f32
// CHECK: memref.store %{{.*}}, %{{.*}}[%block_id_x] : memref<?xf32>
// CHECK: scf.for %{{.*}} = %c0 to %c6 step %c1 {
// CHECK-COUNT-3: vector.store %{{.*}} {alignment = 8 : i64} : memref<?x65536xf8E4M3FN>, vector<8xf8E4M3FN>
// CHECK: }
// CHECK: gpu.return

// A 1x32 group of bf16 is 4 vectors: its amax is a butterfly over 4 lanes.
// A thread's vector of 8 bf16 is reduced first as 4 packed pairs (one
// max.xorsign.abs.bf16x2 per pair of pairs), then the last pair is widened
// and its sign bits cleared.
// CHECK-LABEL: gpu.func @quantize_bf16_h256_q_group32_f32_row_major(
// CHECK-NOT: gpu.shuffle
// CHECK: %[[P01:.*]] = llvm.call_intrinsic "llvm.nvvm.fmax.xorsign.abs.bf16x2"(%{{.*}}, %{{.*}}) : (vector<2xbf16>, vector<2xbf16>) -> vector<2xbf16>
// CHECK-NEXT: %[[P23:.*]] = llvm.call_intrinsic "llvm.nvvm.fmax.xorsign.abs.bf16x2"(%{{.*}}, %{{.*}}) : (vector<2xbf16>, vector<2xbf16>) -> vector<2xbf16>
// CHECK-NEXT: %[[P:.*]] = llvm.call_intrinsic "llvm.nvvm.fmax.xorsign.abs.bf16x2"(%[[P01]], %[[P23]])
// CHECK-NOT: llvm.call_intrinsic
// CHECK: arith.andi %{{.*}}, %c2147483647_i32 : i32
// CHECK: arith.andi %{{.*}}, %c2147483647_i32 : i32
// CHECK: arith.maxnumf
// CHECK-NOT: gpu.shuffle xor %{{.*}}, %c4_i32
// CHECK: gpu.shuffle xor %{{.*}}, %c2_i32, %c32_i32 : f32
// CHECK-NEXT: arith.maxnumf
// CHECK-NEXT: gpu.shuffle xor %{{.*}}, %c1_i32, %c32_i32 : f32
// CHECK: vector.store %{{.*}} {alignment = 8 : i64} : memref<?x256xf8E4M3FN>, vector<8xf8E4M3FN>
// A streamed residual norm: pass 1 reads x and the residual and writes
// residual_out; pass 2 reads residual_out back (also right when the caller
// updates the residual in place) and w, and writes y. Streamed, so one
// resident CTA per SM.
// CHECK-LABEL: gpu.func @add_rms_norm_bf16_h32768_eps358637BD_r_y(
// CHECK-SAME: %[[X:[^:]*]]: memref<?x32768xbf16>, %[[RES:[^:]*]]: memref<?x32768xbf16>, %[[W:[^:]*]]: memref<32768xbf16>, %[[RO:[^:]*]]: memref<?x32768xbf16>, %[[Y:[^:]*]]: memref<?x32768xbf16>)
// CHECK-SAME: nvvm.minctasm = 1 : i32
// CHECK: scf.for
// CHECK: vector.load %[[X]]
// CHECK: vector.load %[[RES]]
// CHECK: vector.store %{{.*}}, %[[RO]]
// CHECK: gpu.barrier
// CHECK: scf.for
// CHECK-NOT: vector.load %[[X]]
// CHECK-NOT: vector.load %[[RES]]
// CHECK: vector.load %[[RO]]
// CHECK: vector.load %[[W]]
// CHECK: vector.store %{{.*}}, %[[Y]]
// CHECK: gpu.return

// H = 4096: each thread holds at least two input vectors
// (kMinRowInputVectorsPerThread): 512 vectors of x -> 256 threads with two
// each without a residual; with one, a vector of x and one of the residual
// per thread -> 512 threads. A fused kernel takes the layout of the unfused
// norm it replaces, so both sum in the same order; per-token without a
// residual folds two of its threads into one (128 threads of 4 vectors,
// same order: vllm-to-gpu-thread-folding.mlir).
// CHECK-LABEL: gpu.func @rms_norm_bf16_h4096_eps358637BD_y(
// CHECK-SAME: known_block_size = array<i32: 256, 1, 1>
// CHECK-LABEL: gpu.func @add_rms_norm_bf16_h4096_eps358637BD_y(
// CHECK-SAME: known_block_size = array<i32: 512, 1, 1>
// CHECK-LABEL: gpu.func @rms_norm_bf16_h4096_eps358637BD_q_token(
// CHECK-SAME: known_block_size = array<i32: 128, 1, 1>
// CHECK-LABEL: gpu.func @add_rms_norm_bf16_h4096_eps358637BD_q_token(
// CHECK-SAME: known_block_size = array<i32: 512, 1, 1>
// The packed amax needs pairs of bf16: f32 and f16 rows, and rows of
// 1-element vectors (odd H), take the f32 maximum of |y|.
// CHECK-LABEL: gpu.func @quantize_f32_h256_q_group32_f32_row_major(
// CHECK-NOT: llvm.call_intrinsic
// CHECK: arith.maxnumf
// CHECK: gpu.return
// CHECK-LABEL: gpu.func @quantize_bf16_h1001_q_token(
// CHECK-NOT: llvm.call_intrinsic
// CHECK: arith.maxnumf
// CHECK: gpu.return
// CHECK-LABEL: gpu.func @quantize_f16_h256_q_token(
// CHECK-NOT: llvm.call_intrinsic
// CHECK: arith.maxnumf
// CHECK: gpu.return

// Two slots per thread (H = 2048: 128 threads of 2 vectors) share one
// butterfly for their groups' amax: each slot's vector is reduced to a pair,
// the two pairs are regrouped (low halves, high halves) and folded into one
// pair holding slot 0's amax in the low half and slot 1's in the high one,
// shuffled as one i32 over the 8 lanes of a 128-group; then both halves are
// widened and their sign bits cleared. No f32 shuffle is left.
// CHECK-LABEL: gpu.func @quantize_bf16_h2048_q_group128_f32_row_major(
// CHECK-SAME: known_block_size = array<i32: 128, 1, 1>
// CHECK-NOT: gpu.shuffle
// CHECK-COUNT-6: llvm.call_intrinsic "llvm.nvvm.fmax.xorsign.abs.bf16x2"
// CHECK-NEXT: %[[LOS:.*]] = vector.shuffle %[[S0:.*]], %[[S1:.*]] [0, 2] : vector<2xbf16>, vector<2xbf16>
// CHECK-NEXT: %[[HIS:.*]] = vector.shuffle %[[S0]], %[[S1]] [1, 3] : vector<2xbf16>, vector<2xbf16>
// CHECK-NEXT: llvm.call_intrinsic "llvm.nvvm.fmax.xorsign.abs.bf16x2"(%[[LOS]], %[[HIS]])
// CHECK: gpu.shuffle xor %{{.*}}, %c4_i32, %c32_i32 : i32
// CHECK: gpu.shuffle xor %{{.*}}, %c2_i32, %c32_i32 : i32
// CHECK: gpu.shuffle xor %{{.*}}, %c1_i32, %c32_i32 : i32
// CHECK-NEXT: vector.broadcast
// CHECK-NEXT: vector.bitcast
// CHECK-NEXT: %[[AMAXES:.*]] = llvm.call_intrinsic "llvm.nvvm.fmax.xorsign.abs.bf16x2"
// CHECK-NEXT: %[[WORDS:.*]] = vector.bitcast %[[AMAXES]] : vector<2xbf16> to vector<1xi32>
// CHECK-NEXT: %[[WORD:.*]] = vector.extract %[[WORDS]][0] : i32 from vector<1xi32>
// CHECK-NEXT: %[[LO:.*]] = arith.shli %[[WORD]], %c16_i32 : i32
// CHECK-NEXT: %[[HI:.*]] = arith.andi %[[WORD]], %c-65536_i32 : i32
// CHECK-NEXT: %[[ALO:.*]] = arith.andi %[[LO]], %c2147483647_i32 : i32
// CHECK-NEXT: %[[A0:.*]] = arith.bitcast %[[ALO]] : i32 to f32
// CHECK-NEXT: %[[AHI:.*]] = arith.andi %[[HI]], %c2147483647_i32 : i32
// CHECK-NEXT: arith.bitcast %[[AHI]] : i32 to f32
// CHECK-NEXT: arith.maxnumf %[[A0]], %{{.*}} : f32
// CHECK-NOT: gpu.shuffle
// CHECK: gpu.return
// With f16 rows the same two slots keep the f32 form, one butterfly each.
// CHECK-LABEL: gpu.func @quantize_f16_h2048_q_group128_f32_row_major(
// CHECK-NOT: llvm.call_intrinsic
// CHECK-COUNT-4: gpu.shuffle xor %{{.*}} : f32
// CHECK-NOT: vector.shuffle
// CHECK-COUNT-4: gpu.shuffle xor %{{.*}} : f32
// CHECK: gpu.return
func.func @shapes(%a: tensor<?x7168xbf16>, %wa: tensor<7168xbf16>, %b: tensor<?x1001xbf16>, %wb: tensor<1001xbf16>, %c: tensor<?x4100xbf16>, %wc: tensor<4100xbf16>, %d: tensor<?x256xf32>, %wd: tensor<256xf32>) -> (tensor<?x7168xbf16>, tensor<?x1001xbf16>, tensor<?x4100xbf16>, tensor<?x256xf32>) {
  %ya = vllm.rms_norm %a, %wa {epsilon = 1.0e-06 : f32} : (tensor<?x7168xbf16>, tensor<7168xbf16>) -> tensor<?x7168xbf16>
  %yb = vllm.rms_norm %b, %wb {epsilon = 1.0e-06 : f32} : (tensor<?x1001xbf16>, tensor<1001xbf16>) -> tensor<?x1001xbf16>
  %yc = vllm.rms_norm %c, %wc {epsilon = 1.0e-06 : f32} : (tensor<?x4100xbf16>, tensor<4100xbf16>) -> tensor<?x4100xbf16>
  %yd = vllm.rms_norm %d, %wd {epsilon = 1.0e-06 : f32} : (tensor<?x256xf32>, tensor<256xf32>) -> tensor<?x256xf32>
  return %ya, %yb, %yc, %yd : tensor<?x7168xbf16>, tensor<?x1001xbf16>, tensor<?x4100xbf16>, tensor<?x256xf32>
}
func.func @streamed(%x: tensor<?x65536xbf16>, %w: tensor<65536xbf16>) -> (tensor<?x65536xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>) {
  %q, %s = vllm.rms_norm_quant %x, %w as <per_token> {epsilon = 1.0e-06 : f32} : (tensor<?x65536xbf16>, tensor<65536xbf16>) -> (tensor<?x65536xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>)
  return %q, %s : tensor<?x65536xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>
}
func.func @groups(%y: tensor<?x256xbf16>) -> (tensor<?x256xf8E4M3FN>, tensor<?x8xf32, #vllm.scales<group 32, f32, row_major>>) {
  %q, %s = vllm.quantize %y as <per_group 32, f32, row_major> : tensor<?x256xbf16> -> tensor<?x256xf8E4M3FN>, tensor<?x8xf32, #vllm.scales<group 32, f32, row_major>>
  return %q, %s : tensor<?x256xf8E4M3FN>, tensor<?x8xf32, #vllm.scales<group 32, f32, row_major>>
}

func.func @streamed_residual(%x: tensor<?x32768xbf16>, %r: tensor<?x32768xbf16>, %w: tensor<32768xbf16>) -> (tensor<?x32768xbf16>, tensor<?x32768xbf16>) {
  %y, %ro = vllm.fused_add_rms_norm %x, %r, %w {epsilon = 1.0e-06 : f32} : (tensor<?x32768xbf16>, tensor<?x32768xbf16>, tensor<32768xbf16>) -> (tensor<?x32768xbf16>, tensor<?x32768xbf16>)
  return %y, %ro : tensor<?x32768xbf16>, tensor<?x32768xbf16>
}

func.func @residual_layout(%x: tensor<?x4096xbf16>, %r: tensor<?x4096xbf16>, %w: tensor<4096xbf16>) -> (tensor<?x4096xbf16>, tensor<?x4096xbf16>, tensor<?x4096xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>, tensor<?x4096xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>) {
  %y = vllm.rms_norm %x, %w {epsilon = 1.0e-06 : f32} : (tensor<?x4096xbf16>, tensor<4096xbf16>) -> tensor<?x4096xbf16>
  %y2, %ro = vllm.fused_add_rms_norm %x, %r, %w {epsilon = 1.0e-06 : f32} : (tensor<?x4096xbf16>, tensor<?x4096xbf16>, tensor<4096xbf16>) -> (tensor<?x4096xbf16>, tensor<?x4096xbf16>)
  %q, %s = vllm.rms_norm_quant %x, %w as <per_token> {epsilon = 1.0e-06 : f32} : (tensor<?x4096xbf16>, tensor<4096xbf16>) -> (tensor<?x4096xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>)
  %q2, %s2, %ro2 = vllm.rms_norm_quant %x, %w residual(%r) as <per_token> {epsilon = 1.0e-06 : f32} : (tensor<?x4096xbf16>, tensor<4096xbf16>, tensor<?x4096xbf16>) -> (tensor<?x4096xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>, tensor<?x4096xbf16>)
  return %y, %y2, %q, %s, %q2, %s2 : tensor<?x4096xbf16>, tensor<?x4096xbf16>, tensor<?x4096xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>, tensor<?x4096xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>
}

func.func @unpacked_amax(%a: tensor<?x256xf32>, %b: tensor<?x1001xbf16>, %c: tensor<?x256xf16>) -> (tensor<?x256xf8E4M3FN>, tensor<?x8xf32, #vllm.scales<group 32, f32, row_major>>, tensor<?x1001xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>, tensor<?x256xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>) {
  %qa, %sa = vllm.quantize %a as <per_group 32, f32, row_major> : tensor<?x256xf32> -> tensor<?x256xf8E4M3FN>, tensor<?x8xf32, #vllm.scales<group 32, f32, row_major>>
  %qb, %sb = vllm.quantize %b as <per_token> : tensor<?x1001xbf16> -> tensor<?x1001xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>
  %qc, %sc = vllm.quantize %c as <per_token> : tensor<?x256xf16> -> tensor<?x256xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>
  return %qa, %sa, %qb, %sb, %qc, %sc : tensor<?x256xf8E4M3FN>, tensor<?x8xf32, #vllm.scales<group 32, f32, row_major>>, tensor<?x1001xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>, tensor<?x256xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>
}

func.func @paired_group_amax(%a: tensor<?x2048xbf16>, %b: tensor<?x2048xf16>) -> (tensor<?x2048xf8E4M3FN>, tensor<?x16xf32, #vllm.scales<group 128, f32, row_major>>, tensor<?x2048xf8E4M3FN>, tensor<?x16xf32, #vllm.scales<group 128, f32, row_major>>) {
  %qa, %sa = vllm.quantize %a as <per_group 128, f32, row_major> : tensor<?x2048xbf16> -> tensor<?x2048xf8E4M3FN>, tensor<?x16xf32, #vllm.scales<group 128, f32, row_major>>
  %qb, %sb = vllm.quantize %b as <per_group 128, f32, row_major> : tensor<?x2048xf16> -> tensor<?x2048xf8E4M3FN>, tensor<?x16xf32, #vllm.scales<group 128, f32, row_major>>
  return %qa, %sa, %qb, %sb : tensor<?x2048xf8E4M3FN>, tensor<?x16xf32, #vllm.scales<group 128, f32, row_major>>, tensor<?x2048xf8E4M3FN>, tensor<?x16xf32, #vllm.scales<group 128, f32, row_major>>
}
