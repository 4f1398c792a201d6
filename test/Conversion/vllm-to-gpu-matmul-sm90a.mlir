// scaled_matmul on sm_90a tensor cores (matmul-kernel=auto; the default is
// still the SIMT kernel until the tensor-core one has passed the GPU
// numerics suite): a warp-specialized kernel per variant of the strategy
// table, chosen by M at run time, fed by TMA descriptors the runtime makes.
// RUN: vllm-opt %s -split-input-file --convert-vllm-to-gpu="chip=sm_90a matmul-kernel=auto" --canonicalize --cse | FileCheck %s
// RUN: vllm-opt %s -split-input-file --convert-vllm-to-gpu="chip=sm_90a" | FileCheck %s --check-prefix=SIMT
// RUN: vllm-opt %s -split-input-file --convert-vllm-to-gpu="chip=sm_100a matmul-kernel=auto" | FileCheck %s --check-prefix=SIMT
// RUN: vllm-opt %s -split-input-file --vllm-gpu-pipeline="chip=sm_90a format=ptx matmul-kernel=auto" | vllm-opt --vllm-dump-gpu-binary -o /dev/null | FileCheck %s --check-prefix=PTX
// RUN: vllm-opt %s -split-input-file --convert-vllm-to-gpu="chip=sm_90a matmul-kernel=auto" --canonicalize --cse | FileCheck %s --check-prefix=WIDE


// Tiles of 256 columns (4 stages; from M = 4097, and where they take
// fewer waves): per K block two halves of 128 columns, each four MMAs into
// the same 64 partial sums, a wait and the promotion of its 64 of the 128
// accumulators; the stage is released after the second half's wait. The
// scale warp copies a weight scale word per half.
// WIDE-LABEL: gpu.func @{{.*}}_wgmma_m128n256s4(
// WIDE: nvvm.setmaxregister decrease 80
// WIDE: nvvm.cp.async.bulk.tensor.shared.cluster.global
// WIDE: nvvm.cp.async.bulk.tensor.shared.cluster.global
// WIDE: scf.if %{{.*}} {
// WIDE: nvvm.cp.async.shared.global %{{.*}}, %{{.*}}, 4, cache =  ca : !llvm.ptr<3>, !llvm.ptr<1>
// WIDE: nvvm.cp.async.shared.global %{{.*}}, %{{.*}}, 4, cache =  ca : !llvm.ptr<3>, !llvm.ptr<1>
// WIDE: nvvm.cp.async.mbarrier.arrive
// WIDE: nvvm.setmaxregister increase 208
// WIDE: nvvm.wgmma.fence.aligned
// WIDE-COUNT-4: nvvm.wgmma.mma_async {{.*}} <m = 64, n = 128, k = 32>
// WIDE: "wgmma.wait_group.sync.aligned 0;"
// WIDE-NOT: nvvm.mbarrier.arrive
// WIDE-COUNT-64: llvm.intr.fma
// WIDE: nvvm.wgmma.fence.aligned
// WIDE-COUNT-4: nvvm.wgmma.mma_async {{.*}} <m = 64, n = 128, k = 32>
// WIDE: "wgmma.wait_group.sync.aligned 0;"
// WIDE: nvvm.mbarrier.arrive
// WIDE-COUNT-64: llvm.intr.fma
// WIDE: scf.yield
// WIDE-COUNT-16: vector.store %{{.*}} {alignment = 16 : i64} : memref<?x2112xbf16>, vector<8xbf16>
// WIDE-NOT: vector.store
// WIDE: gpu.return

// DeepSeek-V3's q_a/kv_a projection: N = 2112, K = 7168, 56 K blocks.
// The kernels come first: one per distinct tile shape, all reading the
// module's dynamic shared memory aligned to the 128-byte swizzle's atom.
// CHECK: gpu.module @vllm_kernels
// CHECK: llvm.mlir.global external @vllm_gemm_dynamic_smem() {addr_space = 3 : i32, alignment = 1024 : i64} : !llvm.array<0 x i8>
// The 128 x 128 tiles: 6 stages (each with its A and B tiles and its K
// block's scale words), two consumer warpgroups and a producer (384
// threads).
// CHECK: gpu.func @[[$BIG:scaled_matmul_n2112_k7168_bf16_a_group128_f32_mn_major4_b_block128x128_f32_wgmma_m128n128s6]](%{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr, %{{.*}}: index, %{{.*}}: memref<?x?xf32>, %{{.*}}: memref<17x56xf32>, %{{.*}}: memref<?x2112xbf16>)
// CHECK-SAME: known_block_size = array<i32: 384, 1, 1>
// CHECK-SAME: nvvm.minctasm = 1
// Thread 0 makes the barriers of the 6 stages: `full` completes with the
// producer thread's arrive and one arrive per lane of the scale warp (33),
// `empty` with one arrive per consumer thread (256).
// CHECK: nvvm.mbarrier.init %{{.*}}, %c33_i32 : !llvm.ptr<3>, i32
// CHECK: nvvm.mbarrier.init %{{.*}}, %c256_i32 : !llvm.ptr<3>, i32
// CHECK-COUNT-10: nvvm.mbarrier.init
// CHECK-NOT: nvvm.mbarrier.init
// CHECK: nvvm.fence.mbarrier.init
// CHECK: nvvm.fence.proxy {kind = #nvvm.proxy_kind<async.shared>, space = #nvvm.shared_space<cta>}
// CHECK: gpu.barrier
// The producer warpgroup: registers lowered. One thread walks (tile, K
// block), waits for an empty stage, expects the stage's 32 KiB and copies A
// then B. The tiles go in groups of 8 rows of tiles (136 of the 17
// columns), M fastest within a group.
// CHECK: nvvm.setmaxregister decrease 56
// CHECK: scf.for %{{.*}} = %{{.*}} to %{{.*}} step %{{.*}} iter_args
// CHECK: %[[MTILES:.*]] = arith.divui %{{.*}}, %c17_i32 : i32
// CHECK: %[[GROUP:.*]] = arith.divui %{{.*}}, %c136_i32 : i32
// CHECK: %[[FIRST_ROW:.*]] = arith.muli %[[GROUP]], %c8_i32 : i32
// CHECK: %[[LEFT:.*]] = arith.subi %[[MTILES]], %[[FIRST_ROW]] : i32
// CHECK: %[[GROUP_ROWS:.*]] = arith.minui %[[LEFT]], %c8_i32 : i32
// CHECK: %[[IN_GROUP:.*]] = arith.subi
// CHECK: %[[ROW_IN_GROUP:.*]] = arith.remui %[[IN_GROUP]], %[[GROUP_ROWS]] : i32
// CHECK: arith.addi %[[FIRST_ROW]], %[[ROW_IN_GROUP]] : i32
// CHECK: arith.divui %[[IN_GROUP]], %[[GROUP_ROWS]] : i32
// CHECK: scf.for %{{.*}} = %c0 to %c56 step
// CHECK: nvvm.mbarrier.try_wait.parity
// CHECK: nvvm.mbarrier.arrive.expect_tx %[[FULL:.*]], %c32768_i32
// CHECK: nvvm.cp.async.bulk.tensor.shared.cluster.global %{{.*}}, %arg0, %[[FULL]], box[%[[K0:.*]], %{{.*}}] {isCTAOnly = true}
// CHECK: nvvm.cp.async.bulk.tensor.shared.cluster.global %{{.*}}, %arg1, %[[FULL]], box[%[[K0]], %{{.*}}] {isCTAOnly = true}
// The scale warp (warp 9, the producer warpgroup's second): the same walk;
// per K block, once the stage is empty, a 4-byte cp.async of sa for each of
// the tile's 128 rows (four per lane; a row past M copies 0 bytes, which
// zero-fills the word) and, by lane 0, of the tile's sb after them (word
// 128, byte 512 of the stage's 528-byte scale area), then an arrive on the
// stage's `full` that counts when the lane's copies have landed.
// CHECK: %[[WARP:.*]] = arith.divui %thread_id_x, %c32 : index
// CHECK: %[[IS_SCALE_WARP:.*]] = arith.cmpi eq, %[[WARP]], %c9 : index
// CHECK: scf.if %[[IS_SCALE_WARP]] {
// CHECK: %[[LANE0:.*]] = arith.cmpi eq, %{{.*}}, %c0 : index
// CHECK: scf.for %{{.*}} = %c0 to %c56 step
// CHECK: nvvm.mbarrier.try_wait.parity
// CHECK: %[[STAGE_OFFSET:.*]] = arith.muli %{{.*}}, %c528_i32 : i32
// CHECK: arith.addi %[[STAGE_OFFSET]], %c196608_i32 : i32
// CHECK: %[[IN_D:.*]] = arith.cmpi ult, %{{.*}}, %arg2 : index
// CHECK: %[[SOURCE_BYTES:.*]] = arith.select %[[IN_D]], %c4_i32, %c0_i32 : i32
// CHECK: nvvm.cp.async.shared.global %{{.*}}, %{{.*}}, 4, cache =  ca, %[[SOURCE_BYTES]] : !llvm.ptr<3>, !llvm.ptr<1>, i32
// CHECK-COUNT-3: nvvm.cp.async.shared.global %{{.*}}, %{{.*}}, 4, cache =  ca, %{{.*}} : !llvm.ptr<3>, !llvm.ptr<1>, i32
// CHECK: scf.if %[[LANE0]] {
// CHECK: memref.extract_aligned_pointer_as_index %arg4
// CHECK: arith.addi %[[STAGE_OFFSET]], %c197120_i32 : i32
// CHECK: nvvm.cp.async.shared.global %{{.*}}, %{{.*}}, 4, cache =  ca : !llvm.ptr<3>, !llvm.ptr<1>
// CHECK: nvvm.cp.async.mbarrier.arrive %{{.*}} {noinc = true} : !llvm.ptr<3>
// The consumers: registers raised. Per K block: the wait for the stage,
// the three scale words read from its scale area (sa of the thread's two
// rows, sb), four k32 MMAs of which the first starts from zero, a wait
// that ties the partial sums, a release of the stage by every thread (an
// arrive releases only its own thread's reads of the scale words), and one
// fma per accumulator.
// CHECK: nvvm.setmaxregister increase 224
// CHECK: scf.for %{{.*}} = %c0 to %c56 step %c1 iter_args
// CHECK: nvvm.mbarrier.try_wait.parity
// CHECK: %[[STAGE_AREA:.*]] = arith.muli %{{.*}}, %c528_i32 : i32
// CHECK: llvm.load %{{.*}} : !llvm.ptr<3> -> f32
// CHECK: llvm.load %{{.*}} : !llvm.ptr<3> -> f32
// CHECK: arith.addi %[[STAGE_AREA]], %c197120_i32 : i32
// CHECK: llvm.load %{{.*}} : !llvm.ptr<3> -> f32
// CHECK-NOT: nvvm.cp.async
// The descriptors' start fields (shared-memory address bits 4-17) are
// computed once per stage; the k-th k32 slice adds 32 k >> 4 = 2 k.
// CHECK: %[[A_START:.*]] = arith.shrui %{{.*}}, %c4_i32 : i32
// CHECK: %[[B_START:.*]] = arith.shrui %{{.*}}, %c4_i32 : i32
// CHECK: nvvm.wgmma.fence.aligned
// CHECK: %[[A_EXT:.*]] = arith.extui %[[A_START]] : i32 to i64
// CHECK-NEXT: %[[A_DESC:.*]] = arith.ori %[[A_EXT]], %c4611686293305360384_i64 : i64
// CHECK: nvvm.wgmma.mma_async %[[A_DESC]], {{.*}} <m = 64, n = 128, k = 32>, D[<f32>, <zero>], A[<e4m3>, <one>, <row>], B[<e4m3>, <one>, <col>]
// CHECK: arith.addi %[[A_START]], %c2_i32 : i32
// CHECK: arith.addi %[[B_START]], %c2_i32 : i32
// CHECK: nvvm.wgmma.mma_async {{.*}} <m = 64, n = 128, k = 32>, D[<f32>, <one>]
// CHECK: arith.addi %[[A_START]], %c4_i32 : i32
// CHECK: arith.addi %[[B_START]], %c4_i32 : i32
// CHECK: nvvm.wgmma.mma_async {{.*}} <m = 64, n = 128, k = 32>, D[<f32>, <one>]
// CHECK: arith.addi %[[A_START]], %c6_i32 : i32
// CHECK: arith.addi %[[B_START]], %c6_i32 : i32
// CHECK: nvvm.wgmma.mma_async {{.*}} <m = 64, n = 128, k = 32>, D[<f32>, <one>]
// CHECK-NOT: nvvm.wgmma.mma_async
// CHECK: nvvm.wgmma.commit.group.sync.aligned
// CHECK: llvm.inline_asm has_side_effects "wgmma.wait_group.sync.aligned 0;", "{{(=f,)+}}0,1,2,
// CHECK-NOT: nvvm.bar.warp.sync
// CHECK-NOT: scf.if
// CHECK: nvvm.mbarrier.arrive %{{.*}} : !llvm.ptr<3>
// CHECK-COUNT-64: llvm.intr.fma
// CHECK: scf.yield
// The epilogue: a thread's 32 pairs of bf16, per row 4 groups of 4 pair
// columns; each group is transposed across the quad (two shuffles 2 lanes
// apart, two 1 apart) into 8 contiguous columns per thread, one 16-byte
// store behind the M and N guards: 8 stores.
// CHECK: %[[QUAD_ODD:.*]] = arith.cmpi ne, %{{.*}}, %c0 : index
// CHECK: %[[QUAD_HIGH:.*]] = arith.cmpi ne, %{{.*}}, %c0 : index
// CHECK: arith.select %[[QUAD_HIGH]], %{{.*}}, %{{.*}} : i32
// CHECK-NEXT: %[[SENT0:.*]] = arith.select %[[QUAD_HIGH]], %{{.*}}, %{{.*}} : i32
// CHECK-NEXT: gpu.shuffle  xor %[[SENT0]], %c2_i32, %c32_i32 : i32
// CHECK: gpu.shuffle  xor %{{.*}}, %c2_i32, %c32_i32 : i32
// CHECK: gpu.shuffle  xor %{{.*}}, %c1_i32, %c32_i32 : i32
// CHECK-NEXT: gpu.shuffle  xor %{{.*}}, %c1_i32, %c32_i32 : i32
// CHECK: %[[WORDS:.*]] = vector.from_elements %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} : vector<4xi32>
// CHECK-NEXT: %[[VALUES:.*]] = vector.bitcast %[[WORDS]] : vector<4xi32> to vector<8xbf16>
// CHECK: scf.if
// CHECK-NEXT: vector.store %[[VALUES]], %arg5[%{{.*}}, %{{.*}}] {alignment = 16 : i64} : memref<?x2112xbf16>, vector<8xbf16>
// CHECK-COUNT-7: vector.store %{{.*}} {alignment = 16 : i64} : memref<?x2112xbf16>, vector<8xbf16>
// CHECK-NOT: vector.store
// CHECK: gpu.return
// 64-column tiles where they take fewer waves (M = 257 .. 4096 by the
// count of row tiles), and below M = 257 the 17 tiles of 128 columns with
// K split into 7 ranges instead (vllm-to-gpu-matmul-split-k.mlir), with a
// single consumer warpgroup up to M = 64. The variants whose last wave's
// tiles are split along K (`_tail8`) are those of
// vllm-to-gpu-matmul-tail-split.mlir.
// CHECK: gpu.func @[[$MID:.*_wgmma_m128n64s8]](
// CHECK: gpu.func @[[$SMALL:.*_wgmma_m128n128s6_splitk7]](
// CHECK: gpu.func @[[$DECODE:.*_wgmma_m64n128s8_splitk7]](
// CHECK-SAME: known_block_size = array<i32: 256, 1, 1>
// CHECK: func.func private @vllmrtTensorMapEncode2d(!llvm.ptr, i64, i64, i64, i64, i64, i64, i64) -> !llvm.ptr
// The host picks the variant from M (the first M of each range of row-tile
// counts whose tiles differ: 4097 and more, 3969, 3713, 2945, 2433, 2305,
// 2049, 1921, 1793, 1409, 1025, 897, 641, 513, 257, 65, else the decode
// one); the descriptors
// describe A [M, 7168] and B [2112, 7168] as bytes (data type 0) with the
// 128-byte swizzle (3) and the variant's box; nothing is launched when the
// runtime could not make one.
// CHECK-LABEL: func.func @mm(
// CHECK: %[[M:.*]] = memref.dim %arg1, %c0
// CHECK: %[[AT65:.*]] = arith.cmpi uge, %[[M]], %c65
// CHECK: cf.cond_br %[[AT65]], ^[[FROM65:bb[0-9]+]], ^[[DECODE_BB:bb[0-9]+]]
// CHECK: ^[[FROM65]]:
// CHECK: arith.cmpi uge, %[[M]], %c257
// CHECK: arith.cmpi uge, %[[M]], %c513
// CHECK: arith.cmpi uge, %[[M]], %c641
// CHECK: arith.cmpi uge, %[[M]], %c897
// CHECK: arith.cmpi uge, %[[M]], %c1025
// CHECK: arith.cmpi uge, %[[M]], %c1409
// CHECK: arith.cmpi uge, %[[M]], %c1793
// CHECK: arith.cmpi uge, %[[M]], %c1921
// CHECK: arith.cmpi uge, %[[M]], %c2049
// CHECK: arith.cmpi uge, %[[M]], %c2305
// CHECK: arith.cmpi uge, %[[M]], %c2433
// CHECK: arith.cmpi uge, %[[M]], %c2945
// CHECK: arith.cmpi uge, %[[M]], %c3713
// CHECK: arith.cmpi uge, %[[M]], %c3969
// CHECK: arith.cmpi uge, %[[M]], %c4097
// CHECK: %[[AMAP:.*]] = call @vllmrtTensorMapEncode2d(%{{.*}}, %c7168_i64, %{{.*}}, %c7168_i64, %c128_i64, %c128_i64, %c0_i64, %c3_i64)
// CHECK: %[[BMAP:.*]] = call @vllmrtTensorMapEncode2d(%{{.*}}, %c7168_i64, %c2112_i64, %c7168_i64, %c128_i64, %c256_i64, %c0_i64, %c3_i64)
// CHECK: %[[ANZ:.*]] = llvm.icmp "ne" %[[AMAP]]
// CHECK: %[[BNZ:.*]] = llvm.icmp "ne" %[[BMAP]]
// CHECK: %[[OK:.*]] = arith.andi %[[ANZ]], %[[BNZ]]
// Persistent: min(ceil(M / 128) x 9 tiles, 132 SMs) CTAs.
// CHECK: %[[BUMP:.*]] = arith.addi %[[M]], %c127
// CHECK: %[[MT:.*]] = arith.divui %[[BUMP]], %c128
// CHECK: %[[TILES:.*]] = arith.muli %[[MT]], %c9
// CHECK: %[[GRID:.*]] = arith.minui %[[TILES]], %c132
// CHECK: cf.cond_br %[[OK]]
// The activation scales are passed as a memref of dynamic sizes, the
// kernel's type whatever M an op has.
// CHECK: %[[SA:.*]] = memref.cast %arg3 : memref<56x?xf32> to memref<?x?xf32>
// CHECK: gpu.launch_func async [%{{.*}}] @vllm_kernels::@{{.*}}_wgmma_m128n256s4 blocks in (%[[GRID]], %c1, %c1) threads in (%c384, %c1, %c1) dynamic_shared_memory_size %c199808_i32 args(%[[AMAP]] : !llvm.ptr, %[[BMAP]] : !llvm.ptr, %[[M]] : index, %[[SA]] : memref<?x?xf32>, %arg4 : memref<17x56xf32>, %arg5 : memref<?x2112xbf16>)
// CHECK: gpu.launch_func {{.*}} @vllm_kernels::@{{.*}}_wgmma_m128n256s4_tail8
// CHECK: gpu.launch_func {{.*}} @vllm_kernels::@[[$BIG]] {{.*}} dynamic_shared_memory_size %c200896_i32
// CHECK: gpu.launch_func {{.*}} @vllm_kernels::@{{.*}}_wgmma_m128n256s4 blocks
// CHECK: gpu.launch_func {{.*}} @vllm_kernels::@[[$BIG]]
// CHECK: gpu.launch_func {{.*}} @vllm_kernels::@{{.*}}_wgmma_m128n256s4_tail8
// CHECK: gpu.launch_func {{.*}} @vllm_kernels::@{{.*}}_wgmma_m128n128s6_tail8
// CHECK: gpu.launch_func {{.*}} @vllm_kernels::@[[$MID]] {{.*}} dynamic_shared_memory_size %c201984_i32
// CHECK: gpu.launch_func {{.*}} @vllm_kernels::@[[$BIG]]
// CHECK: gpu.launch_func {{.*}} @vllm_kernels::@{{.*}}_wgmma_m128n256s4 blocks
// CHECK: gpu.launch_func {{.*}} @vllm_kernels::@{{.*}}_wgmma_m128n128s6_tail8
// CHECK: gpu.launch_func {{.*}} @vllm_kernels::@[[$MID]]
// CHECK: gpu.launch_func {{.*}} @vllm_kernels::@[[$BIG]]
// CHECK: gpu.launch_func {{.*}} @vllm_kernels::@{{.*}}_wgmma_m128n64s8_tail8
// CHECK: gpu.launch_func {{.*}} @vllm_kernels::@[[$MID]]
// CHECK: gpu.launch_func {{.*}} @vllm_kernels::@[[$SMALL]] {{.*}} dynamic_shared_memory_size %c200904_i32
// CHECK: ^[[DECODE_BB]]:
// CHECK: call @vllmrtTensorMapEncode2d(%{{.*}}, %c7168_i64, %{{.*}}, %c7168_i64, %c128_i64, %c64_i64, %c0_i64, %c3_i64)
// CHECK: call @vllmrtTensorMapEncode2d(%{{.*}}, %c7168_i64, %c2112_i64, %c7168_i64, %c128_i64, %c128_i64, %c0_i64, %c3_i64)
// CHECK: gpu.launch_func {{.*}} @vllm_kernels::@[[$DECODE]] {{.*}} threads in (%c256, %c1, %c1) dynamic_shared_memory_size %c199944_i32

// SIMT-LABEL: func.func @mm(
// SIMT-NOT: wgmma
// SIMT: gpu.launch_func {{.*}} @vllm_kernels::@scaled_matmul_n2112_k7168_bf16_a_group128_f32_mn_major4_b_block128x128_f32 blocks

// In the PTX, the 128-byte swizzled tiles arrive by `cp.async.bulk.tensor` into
// this CTA's shared memory, the MMAs read them through descriptors.
// PTX: .extern .shared .align 1024 .b8 vllm_gemm_dynamic_smem[];
// PTX-LABEL: .visible .entry scaled_matmul_n2112_k7168_bf16_a_group128_f32_mn_major4_b_block128x128_f32_wgmma_m128n128s6(
// PTX: .maxntid 384, 1, 1
// PTX: mbarrier.init.shared.b64
// PTX: fence.mbarrier_init.release.cluster;
// PTX: setmaxnreg.dec.sync.aligned.u32 56;
// PTX: mbarrier.try_wait.parity
// PTX: cp.async.bulk.tensor.2d.shared::cta.global.tile.mbarrier::complete_tx::bytes
// PTX: setmaxnreg.inc.sync.aligned.u32 224;
// PTX: wgmma.fence.sync.aligned;
// PTX: wgmma.mma_async.sync.aligned.m64n128k32.f32.e4m3.e4m3
// PTX: wgmma.commit_group.sync.aligned;
// PTX: wgmma.wait_group.sync.aligned 0;
// PTX: mbarrier.arrive
func.func @mm(%a: tensor<?x7168xf8E4M3FN>, %b: tensor<2112x7168xf8E4M3FN>, %sa: tensor<56x?xf32, #vllm.scales<group 128, f32, mn_major, align 4>>, %sb: tensor<17x56xf32, #vllm.scales<block 128x128, f32>>) -> tensor<?x2112xbf16> {
  %d = vllm.scaled_matmul %a, %b scales(%sa, %sb) chip <sm_90a> : (tensor<?x7168xf8E4M3FN>, tensor<2112x7168xf8E4M3FN>, tensor<56x?xf32, #vllm.scales<group 128, f32, mn_major, align 4>>, tensor<17x56xf32, #vllm.scales<block 128x128, f32>>) -> tensor<?x2112xbf16>
  return %d : tensor<?x2112xbf16>
}

// -----

// A static M launches one variant (M = 4096: 128 x 256 tiles), per-row
// activation and weight scales, and an f32 result: the per-column weight
// scales are loaded once per tile (before the K loop), so the scale warp
// copies only sa of the tile's rows (no sb word) and the consumers read two
// words per K block; the epilogue stores pairs of f32.
// CHECK: gpu.func @[[$KERNEL:scaled_matmul_n7168_k2048_f32_a_row_b_row_wgmma_m128n256s4]](
// CHECK: nvvm.setmaxregister decrease 80
// CHECK: scf.for %{{.*}} = %c0 to %c16 step %c1 iter_args
// CHECK: scf.for %{{.*}} = %c0 to %c16 step %c1 iter_args
// CHECK: nvvm.mbarrier.try_wait.parity
// CHECK-COUNT-4: nvvm.cp.async.shared.global %{{.*}}, %{{.*}}, 4, cache =  ca, %{{.*}} : !llvm.ptr<3>, !llvm.ptr<1>, i32
// CHECK-NOT: nvvm.cp.async.shared.global
// CHECK: nvvm.cp.async.mbarrier.arrive %{{.*}} {noinc = true}
// CHECK: nvvm.setmaxregister increase 208
// CHECK: memref.load %arg4
// CHECK: scf.for %{{.*}} = %c0 to %c16 step %c1 iter_args
// CHECK: nvvm.mbarrier.try_wait.parity
// CHECK: llvm.load %{{.*}} : !llvm.ptr<3> -> f32
// CHECK: llvm.load %{{.*}} : !llvm.ptr<3> -> f32
// CHECK-NOT: llvm.load %{{.*}} : !llvm.ptr<3>
// CHECK: nvvm.wgmma.fence.aligned
// CHECK: vector.store {{.*}} {alignment = 8 : i64} : memref<?x7168xf32>, vector<2xf32>
// CHECK-NOT: gpu.func
// CHECK-LABEL: func.func @static_m(
// CHECK-NOT: arith.cmpi uge
// CHECK: gpu.launch_func {{.*}} @vllm_kernels::@[[$KERNEL]] blocks in (%c132,
func.func @static_m(%a: tensor<4096x2048xf8E4M3FN>, %b: tensor<7168x2048xf8E4M3FN>, %sa: tensor<4096xf32, #vllm.scales<row>>, %sb: tensor<7168xf32, #vllm.scales<row>>) -> tensor<4096x7168xf32> {
  %d = vllm.scaled_matmul %a, %b scales(%sa, %sb) : (tensor<4096x2048xf8E4M3FN>, tensor<7168x2048xf8E4M3FN>, tensor<4096xf32, #vllm.scales<row>>, tensor<7168xf32, #vllm.scales<row>>) -> tensor<4096x7168xf32>
  return %d : tensor<4096x7168xf32>
}

// -----

// Packed UE8M0 activation scales (an op without a chip: C10 holds sm_90a's
// GEMM to DeepGEMM's layouts, the lowering takes every format): the scale
// warp copies each row's i32 word of four exponents, word (kb / 4, row);
// the consumers decode the byte of K block kb to f32 (2^(e - 127),
// 0 -> 2^-127, 255 -> NaN).
// CHECK: gpu.func @{{.*}}_a_group128_ue8m0_packed_mn_major4_b_block128x128_f32_wgmma_m128n128s6(
// CHECK: nvvm.setmaxregister decrease 56
// CHECK: scf.for %[[COPY_KB:.*]] = %c0 to %c56 step %c1 iter_args
// CHECK: nvvm.mbarrier.try_wait.parity
// CHECK: %[[WORD_COLUMN:.*]] = arith.divui %[[COPY_KB]], %c4 : index
// CHECK: nvvm.cp.async.shared.global
// CHECK: nvvm.setmaxregister increase 224
// CHECK: scf.for %[[KB:.*]] = %c0 to %c56 step %c1 iter_args
// CHECK: nvvm.mbarrier.try_wait.parity
// CHECK: %[[WORD:.*]] = llvm.load %{{.*}} : !llvm.ptr<3> -> i32
// CHECK: %[[SHIFT:.*]] = arith.index_cast %{{.*}} : index to i32
// CHECK-NEXT: %[[SHIFTED:.*]] = arith.shrui %[[WORD]], %[[SHIFT]] : i32
// CHECK-NEXT: %[[BYTE:.*]] = arith.andi %[[SHIFTED]], %c255_i32 : i32
// CHECK-NEXT: arith.shli %[[BYTE]], %c23_i32 : i32
// CHECK: arith.bitcast %{{.*}} : i32 to f32
// CHECK: llvm.load %{{.*}} : !llvm.ptr<3> -> i32
// CHECK: llvm.load %{{.*}} : !llvm.ptr<3> -> f32
// CHECK: nvvm.wgmma.fence.aligned
func.func @packed(%a: tensor<?x7168xf8E4M3FN>, %b: tensor<2112x7168xf8E4M3FN>, %sa: tensor<14x?xi32, #vllm.scales<group 128, ue8m0_packed, mn_major, align 4>>, %sb: tensor<17x56xf32, #vllm.scales<block 128x128, f32>>) -> tensor<?x2112xbf16> {
  %d = vllm.scaled_matmul %a, %b scales(%sa, %sb) : (tensor<?x7168xf8E4M3FN>, tensor<2112x7168xf8E4M3FN>, tensor<14x?xi32, #vllm.scales<group 128, ue8m0_packed, mn_major, align 4>>, tensor<17x56xf32, #vllm.scales<block 128x128, f32>>) -> tensor<?x2112xbf16>
  return %d : tensor<?x2112xbf16>
}
// -----

// Shapes the TMA descriptors cannot describe stay on the SIMT kernel: K =
// 200 is no multiple of 16 bytes per row, N = 130 no multiple of 8.
// CHECK-LABEL: func.func @k_tail(
// CHECK-NOT: vllmrtTensorMapEncode2d
// CHECK: gpu.launch_func {{.*}} @vllm_kernels::@scaled_matmul_n128_k200_bf16_a_tensor_b_tensor blocks
// CHECK-LABEL: func.func @n_tail(
// CHECK-NOT: vllmrtTensorMapEncode2d
// CHECK: gpu.launch_func {{.*}} @vllm_kernels::@scaled_matmul_n130_k256_bf16_a_tensor_b_tensor blocks
func.func @k_tail(%a: tensor<?x200xf8E4M3FN>, %b: tensor<128x200xf8E4M3FN>, %sa: tensor<1xf32, #vllm.scales<tensor>>, %sb: tensor<1xf32, #vllm.scales<tensor>>) -> tensor<?x128xbf16> {
  %d = vllm.scaled_matmul %a, %b scales(%sa, %sb) : (tensor<?x200xf8E4M3FN>, tensor<128x200xf8E4M3FN>, tensor<1xf32, #vllm.scales<tensor>>, tensor<1xf32, #vllm.scales<tensor>>) -> tensor<?x128xbf16>
  return %d : tensor<?x128xbf16>
}
func.func @n_tail(%a: tensor<?x256xf8E4M3FN>, %b: tensor<130x256xf8E4M3FN>, %sa: tensor<1xf32, #vllm.scales<tensor>>, %sb: tensor<1xf32, #vllm.scales<tensor>>) -> tensor<?x130xbf16> {
  %d = vllm.scaled_matmul %a, %b scales(%sa, %sb) : (tensor<?x256xf8E4M3FN>, tensor<130x256xf8E4M3FN>, tensor<1xf32, #vllm.scales<tensor>>, tensor<1xf32, #vllm.scales<tensor>>) -> tensor<?x130xbf16>
  return %d : tensor<?x130xbf16>
}

// -----

// Two GEMMs of the same N, K and formats with different static M share
// their kernels, the SIMT one too: the activation scales are a memref of
// dynamic sizes in the kernels' signature, whatever M an op has. (With the
// first op's static sizes, the second failed to lower: "memref.cast ...
// cast incompatible".)
// CHECK-LABEL: func.func @two_static_m(
// CHECK: memref.cast %{{.*}} : memref<56x512xf32> to memref<?x?xf32>
// CHECK: gpu.launch_func
// CHECK: memref.cast %{{.*}} : memref<56x1024xf32> to memref<?x?xf32>
// CHECK: gpu.launch_func
// SIMT-LABEL: func.func @two_static_m(
// SIMT: memref.cast %{{.*}} : memref<56x512xf32> to memref<?x?xf32>
// SIMT: gpu.launch_func {{.*}} @vllm_kernels::@[[$SIMT_MM:scaled_matmul_n2112_k7168_bf16_a_group128_f32_mn_major4_b_block128x128_f32]] blocks
// SIMT: memref.cast %{{.*}} : memref<56x1024xf32> to memref<?x?xf32>
// SIMT: gpu.launch_func {{.*}} @vllm_kernels::@[[$SIMT_MM]] blocks
func.func @two_static_m(%a: tensor<512x7168xf8E4M3FN>, %a2: tensor<1024x7168xf8E4M3FN>, %b: tensor<2112x7168xf8E4M3FN>, %sa: tensor<56x512xf32, #vllm.scales<group 128, f32, mn_major, align 4>>, %sa2: tensor<56x1024xf32, #vllm.scales<group 128, f32, mn_major, align 4>>, %sb: tensor<17x56xf32, #vllm.scales<block 128x128, f32>>) -> (tensor<512x2112xbf16>, tensor<1024x2112xbf16>) {
  %d = vllm.scaled_matmul %a, %b scales(%sa, %sb) chip <sm_90a> : (tensor<512x7168xf8E4M3FN>, tensor<2112x7168xf8E4M3FN>, tensor<56x512xf32, #vllm.scales<group 128, f32, mn_major, align 4>>, tensor<17x56xf32, #vllm.scales<block 128x128, f32>>) -> tensor<512x2112xbf16>
  %d2 = vllm.scaled_matmul %a2, %b scales(%sa2, %sb) chip <sm_90a> : (tensor<1024x7168xf8E4M3FN>, tensor<2112x7168xf8E4M3FN>, tensor<56x1024xf32, #vllm.scales<group 128, f32, mn_major, align 4>>, tensor<17x56xf32, #vllm.scales<block 128x128, f32>>) -> tensor<1024x2112xbf16>
  return %d, %d2 : tensor<512x2112xbf16>, tensor<1024x2112xbf16>
}
