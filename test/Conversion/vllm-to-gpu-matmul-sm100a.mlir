// scaled_matmul on sm_100a tensor cores (matmul-kernel=auto): a tcgen05
// kernel per variant of the strategy table, MMAs into tensor memory with
// the packed UE8M0 activation scales applied by the MMA (block32, scale
// factor id = K block % 4) and the 128x128 weight scales in the f32
// promotion of each K block's partial sum (or, for power-of-two weight
// scales, as B's scale factors in the MMA). Not run on a GPU: the structure
// checked here, and ptxas (vllm-to-gpu-ptxas-matmul-sm100a.mlir), are the
// checks.
// RUN: vllm-opt %s -split-input-file --convert-vllm-to-gpu="chip=sm_100a matmul-kernel=auto" --canonicalize --cse | FileCheck %s
// RUN: vllm-opt %s -split-input-file --convert-vllm-to-gpu="chip=sm_100a" | FileCheck %s --check-prefix=SIMT
// RUN: vllm-opt %s -split-input-file --convert-vllm-to-gpu="chip=sm_100a features=+ptx87 matmul-kernel=auto" | FileCheck %s --check-prefix=PTX87
// RUN: vllm-opt %s -split-input-file --convert-vllm-to-gpu="chip=sm_100a features=+ptx90 matmul-kernel=auto" | FileCheck %s --check-prefix=PTX90
// RUN: vllm-opt %s -split-input-file --vllm-gpu-pipeline="chip=sm_100a format=ptx matmul-kernel=auto" | vllm-opt --vllm-dump-gpu-binary -o /dev/null | FileCheck %s --check-prefix=PTX

// DeepSeek-V3's q_a/kv_a projection: N = 2112, K = 7168, 56 K blocks, 14
// packed scale words per row.
// The module's PTX version is raised from the chip's default 8.6 to 8.8,
// which the block32 MMA needs.
// CHECK: gpu.module @vllm_kernels [#nvvm.target<O = 3, chip = "sm_100a", features = "+ptx88">]
// CHECK: llvm.mlir.global external @vllm_gemm_dynamic_smem() {addr_space = 3 : i32, alignment = 1024 : i64} : !llvm.array<0 x i8>
// The largest variant: 128 x 128 tiles, 7 stages, eight warps.
// CHECK: gpu.func @[[$BIG:scaled_matmul_n2112_k7168_bf16_a_group128_ue8m0_packed_mn_major4_b_block128x128_f32_tcgen05_m128n128s7]](%{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr, %{{.*}}: index, %{{.*}}: memref<?x?xi32>, %{{.*}}: memref<17x56xf32>, %{{.*}}: memref<?x2112xbf16>)
// CHECK-SAME: known_block_size = array<i32: 256, 1, 1>
// CHECK-SAME: nvvm.minctasm = 1
// Barriers (offsets past the 7 stages and the two 512-byte scale slots at
// 229376): full[7] from 230400 and empty[7] from 230456 (one arrive: the
// producer's, or a tcgen05.commit), the partial sums' full[2] (commit) and
// empty[2] (the 128 epilogue threads), the scale slots' full[2] (the 32
// lanes of the scale warp) and empty[2] (commit).
// CHECK-COUNT-14: nvvm.mbarrier.init %{{.*}}, %c1_i32
// CHECK: %[[PF0:.*]] = llvm.getelementptr %{{.*}}[230512]
// CHECK-NEXT: nvvm.mbarrier.init %[[PF0]], %c1_i32
// CHECK: %[[PE0:.*]] = llvm.getelementptr %{{.*}}[230528]
// CHECK-NEXT: nvvm.mbarrier.init %[[PE0]], %c128_i32
// CHECK: %[[SF0:.*]] = llvm.getelementptr %{{.*}}[230544]
// CHECK-NEXT: nvvm.mbarrier.init %[[SF0]], %c32_i32
// CHECK: %[[SE0:.*]] = llvm.getelementptr %{{.*}}[230560]
// CHECK-NEXT: nvvm.mbarrier.init %[[SE0]], %c1_i32
// CHECK: nvvm.fence.mbarrier.init
// Warp 1 allocates 512 columns (2 x 128 partial sums, 4 of B's scales, 2 x 4
// of scale slots, rounded up to a power of two) and publishes the address.
// CHECK: %[[TSLOT:.*]] = llvm.getelementptr %{{.*}}[230576]
// CHECK: scf.if
// CHECK-NEXT: nvvm.tcgen05.alloc %[[TSLOT]], %c512_i32 : !llvm.ptr<3>, i32
// CHECK-NEXT: nvvm.tcgen05.relinquish_alloc_permit
// CHECK-NEXT: nvvm.tcgen05.fence <before>
// CHECK: gpu.barrier
// CHECK-NEXT: nvvm.tcgen05.fence <after>
// CHECK-NEXT: %[[TMEM:.*]] = llvm.load %[[TSLOT]] : !llvm.ptr<3> -> i32
// The epilogue warps set B's scale factors (column 256) to UE8M0 1.0 in
// their lane quarter (lane 32 (warp - 4), i.e. quarter << 21).
// CHECK: %[[QUARTER:.*]] = arith.index_castui
// CHECK-NEXT: %[[LANES:.*]] = arith.shli %[[QUARTER]], %c21_i32
// CHECK-NEXT: %[[SFBCOL:.*]] = arith.addi %[[LANES]], %c256_i32
// CHECK-NEXT: %[[SFBADDR:.*]] = arith.addi %[[TMEM]], %[[SFBCOL]]
// CHECK-NEXT: %[[SFBPTR:.*]] = llvm.inttoptr %[[SFBADDR]] : i32 to !llvm.ptr<6>
// CHECK-NEXT: nvvm.tcgen05.st %[[SFBPTR]], %{{.*}} {shape = #nvvm.tcgen05_ldst_shape<shape_32x32b>} : vector<4xi32>
// CHECK-NEXT: nvvm.tcgen05.wait <store>
// CHECK-NEXT: nvvm.tcgen05.fence <before>
// CHECK: gpu.barrier
// The producer (lane 0 of warp 0): waits for an empty stage (empty[] from
// 230456), expects 32 KiB on full[] and copies A and B.
// CHECK: scf.for %{{.*}} = %c0 to %c56 step %c1 iter_args
// CHECK: arith.addi %{{.*}}, %c230456_i32
// CHECK: nvvm.mbarrier.try_wait.parity
// CHECK: nvvm.mbarrier.arrive.expect_tx %[[FULL:.*]], %c32768_i32
// CHECK: nvvm.cp.async.bulk.tensor.shared.cluster.global %{{.*}}, %arg0, %[[FULL]], box
// CHECK: nvvm.cp.async.bulk.tensor.shared.cluster.global %{{.*}}, %arg1, %[[FULL]], box
// The MMA thread (lane 0 of warp 1): per K block kb, the packed word kb / 4
// of the tile's (14 per tile) and its byte kb % 4.
// CHECK: scf.for %{{.*}} = %c0 to %c56 step %c1 iter_args
// CHECK: %[[WORD:.*]] = arith.divui %[[KB:.*]], %c4 : index
// CHECK-NEXT: %[[BYTE:.*]] = arith.remui %[[KB]], %c4 : index
// CHECK: %[[FIRSTOFWORD:.*]] = arith.cmpi eq, %[[BYTE]], %c0 : index
// It waits for the partial sum buffer to be read (partial empty, 230528),
// for the stage (full, 230400) and at the first K block of a word for the
// scale slot (scale full, 230544).
// CHECK: arith.addi %{{.*}}, %c230528_i32
// CHECK: nvvm.mbarrier.try_wait.parity
// CHECK: arith.addi %{{.*}}, %c230400_i32
// CHECK: nvvm.mbarrier.try_wait.parity
// CHECK: scf.if %[[FIRSTOFWORD]] {
// CHECK: arith.addi %{{.*}}, %c230544_i32
// CHECK: nvvm.mbarrier.try_wait.parity
// CHECK: nvvm.tcgen05.fence <after>
// Scale slot s is columns 260 + 4 s; at the first K block of a word its 128
// words are copied there from shared memory (slot s at 229376 + 512 s;
// descriptor: stride byte offset 128 >> 4 at bit 32, version 1 at bit 46:
// 70403103916032), replicated to the four lane quarters.
// CHECK: %[[SLOTCOL:.*]] = arith.addi %{{.*}}, %c260_i32 : i32
// CHECK-NEXT: %[[SFAADDR:.*]] = arith.addi %[[TMEM]], %[[SLOTCOL]]
// CHECK-NEXT: %[[SFA:.*]] = llvm.inttoptr %[[SFAADDR]] : i32 to !llvm.ptr<6>
// CHECK-NEXT: scf.if %[[FIRSTOFWORD]] {
// CHECK: arith.addi %{{.*}}, %c229376_i32
// CHECK: %[[CPDESC:.*]] = arith.ori %{{.*}}, %c70403103916032_i64 : i64
// CHECK-NEXT: nvvm.tcgen05.cp %[[SFA]], %[[CPDESC]] {multicast = #nvvm.tcgen05_cp_multicast<warpx4>, shape = #nvvm.tcgen05_cp_shape<shape_32x128b>}
// The instruction descriptor: N >> 3 = 16 at bit 17, UE8M0 scales (bit 23),
// M >> 4 = 8 at bit 24 (144703488), and a_sf_id = kb % 4 at bit 29.
// CHECK: %[[BYTE32:.*]] = arith.index_castui %[[BYTE]] : index to i32
// CHECK-NEXT: %[[SFID:.*]] = arith.shli %[[BYTE32]], %c29_i32 : i32
// CHECK-NEXT: %[[IDESC:.*]] = arith.ori %[[SFID]], %c144703488_i32 : i32
// The partial sum buffer kb % 2 (columns 128 b) and B's scales (column 256).
// CHECK: %[[DADDR:.*]] = arith.addi %[[TMEM]], %{{.*}} : i32
// CHECK-NEXT: %[[D:.*]] = llvm.inttoptr %[[DADDR]] : i32 to !llvm.ptr<6>
// CHECK-NEXT: %[[SFBADDR2:.*]] = arith.addi %[[TMEM]], %c256_i32 : i32
// CHECK-NEXT: %[[SFB:.*]] = llvm.inttoptr %[[SFBADDR2]] : i32 to !llvm.ptr<6>
// Four k32 MMAs from 128-byte swizzled K-major descriptors (stride byte
// offset 1024 >> 4, version 1, layout SWIZZLE_128B = 2 at bit 61:
// 4611756662049472512), A and B advancing 32 bytes per MMA: the start
// fields (address bits 4-17) are computed once per stage and the k-th MMA
// adds 2 k; the first one starts the partial sum (enable-input-d false).
// CHECK: %[[ASTART:.*]] = arith.shrui %{{.*}}, %c4_i32 : i32
// CHECK: %[[BSTART:.*]] = arith.shrui %{{.*}}, %c4_i32 : i32
// CHECK: %[[ADESC:.*]] = arith.ori %{{.*}}, %c4611756662049472512_i64 : i64
// CHECK: %[[BDESC:.*]] = arith.ori %{{.*}}, %c4611756662049472512_i64 : i64
// CHECK-NEXT: nvvm.tcgen05.mma.block_scale %[[D]], %[[ADESC]], %[[BDESC]], %[[IDESC]], %false, %[[SFA]], %[[SFB]] {blockScale = #nvvm.tcgen05_mma_block_scale<block32>, ctaGroup = #nvvm.cta_group<cta_1>, kind = #nvvm.block_scale_kind<mxf8f6f4>}
// CHECK: arith.addi %[[ASTART]], %c2_i32 : i32
// CHECK: arith.addi %[[BSTART]], %c2_i32 : i32
// CHECK: nvvm.tcgen05.mma.block_scale %[[D]], %{{.*}}, %{{.*}}, %[[IDESC]], %true, %[[SFA]], %[[SFB]]
// CHECK: arith.addi %[[ASTART]], %c4_i32 : i32
// CHECK: arith.addi %[[BSTART]], %c4_i32 : i32
// CHECK: nvvm.tcgen05.mma.block_scale %[[D]], %{{.*}}, %{{.*}}, %[[IDESC]], %true, %[[SFA]], %[[SFB]]
// CHECK: arith.addi %[[ASTART]], %c6_i32 : i32
// CHECK: arith.addi %[[BSTART]], %c6_i32 : i32
// CHECK: nvvm.tcgen05.mma.block_scale %[[D]], %{{.*}}, %{{.*}}, %[[IDESC]], %true, %[[SFA]], %[[SFB]]
// CHECK-NOT: nvvm.tcgen05.mma.block_scale
// Commits: the stage to the producer (empty, 230456), the partial sum to the
// epilogue (partial full, 230512), and after a word's last K block (kb % 4
// = 3 or kb = 55) the scale slot to the scale warp (scale empty, 230560).
// CHECK: arith.addi %{{.*}}, %c230456_i32
// CHECK-NEXT: %[[EMPTY:.*]] = llvm.getelementptr
// CHECK-NEXT: nvvm.tcgen05.commit %[[EMPTY]] : !llvm.ptr<3>
// CHECK-NEXT: arith.addi %{{.*}}, %c230512_i32
// CHECK-NEXT: %[[PFULL:.*]] = llvm.getelementptr
// CHECK-NEXT: nvvm.tcgen05.commit %[[PFULL]] : !llvm.ptr<3>
// CHECK-NEXT: %[[ENDSWORD:.*]] = arith.cmpi eq, %[[BYTE]], %c3 : index
// CHECK-NEXT: %[[LASTKB:.*]] = arith.cmpi eq, %[[KB]], %c55 : index
// CHECK-NEXT: %[[RELEASE:.*]] = arith.ori %[[ENDSWORD]], %[[LASTKB]] : i1
// CHECK-NEXT: scf.if %[[RELEASE]] {
// CHECK: arith.addi %{{.*}}, %c230560_i32
// CHECK-NEXT: %[[SEMPTY:.*]] = llvm.getelementptr
// CHECK-NEXT: nvvm.tcgen05.commit %[[SEMPTY]] : !llvm.ptr<3>
// The scale warp: 14 words per tile, each lane the words of rows lane,
// 32 + lane, 64 + lane, 96 + lane (0 past Mpad), after the slot is free
// (scale empty) one 16-byte store, a proxy fence, and an arrive on scale
// full.
// CHECK: %[[MPAD:.*]] = memref.dim %arg3, %c1 : memref<?x?xi32>
// CHECK: scf.for %[[P:.*]] = %c0 to %c14 step %c1 iter_args
// CHECK-COUNT-4: memref.load %arg3[%[[P]], %{{.*}}] : memref<?x?xi32>
// CHECK: arith.addi %{{.*}}, %c230560_i32
// CHECK: nvvm.mbarrier.try_wait.parity
// CHECK: %[[WORDS:.*]] = vector.from_elements %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} : vector<4xi32>
// CHECK: llvm.store %[[WORDS]], %{{.*}} {alignment = 16 : i64} : vector<4xi32>, !llvm.ptr<3>
// CHECK-NEXT: nvvm.fence.proxy {kind = #nvvm.proxy_kind<async.shared>, space = #nvvm.shared_space<cta>}
// CHECK-NEXT: arith.addi %{{.*}}, %c230544_i32
// CHECK-NEXT: %[[SFULL:.*]] = llvm.getelementptr
// CHECK-NEXT: nvvm.mbarrier.arrive %[[SFULL]]
// The epilogue: per K block, the weight scale of the tile's 128-column
// block, a wait on partial full, four 32-column loads of its lane quarter
// each tied to tcgen05.wait::ld, the release (partial empty), and one fma
// per column.
// CHECK: scf.for %{{.*}} = %c0 to %c56 step %c1 iter_args
// CHECK: %[[SB:.*]] = memref.load %arg4[%{{.*}}, %{{.*}}] : memref<17x56xf32>
// CHECK: arith.addi %{{.*}}, %c230512_i32
// CHECK: nvvm.mbarrier.try_wait.parity
// CHECK-NEXT: nvvm.tcgen05.fence <after>
// CHECK: nvvm.tcgen05.ld %{{.*}} {shape = #nvvm.tcgen05_ldst_shape<shape_32x32b>} : vector<32xi32>
// CHECK: llvm.inline_asm has_side_effects "tcgen05.wait::ld.sync.aligned;", "{{(=r,)+}}0,1,2,
// CHECK-COUNT-32: llvm.intr.fma(%{{.*}}, %[[SB]], %{{.*}})
// CHECK-COUNT-2: nvvm.tcgen05.ld
// CHECK: nvvm.tcgen05.ld
// CHECK: llvm.inline_asm has_side_effects "tcgen05.wait::ld.sync.aligned;"
// CHECK: nvvm.tcgen05.fence <before>
// CHECK-NEXT: arith.addi %{{.*}}, %c230528_i32
// CHECK-NEXT: %[[PEMPTY:.*]] = llvm.getelementptr
// CHECK-NEXT: nvvm.mbarrier.arrive %[[PEMPTY]]
// CHECK: scf.yield
// D = RN(acc): 16 stores of 8 bf16 per thread, behind the M and N guards.
// CHECK-COUNT-16: vector.store %{{.*}}, %arg5[%{{.*}}, %{{.*}}] {alignment = 16 : i64} : memref<?x2112xbf16>, vector<8xbf16>
// Warp 1 frees the tensor memory after every thread is done with it.
// CHECK: nvvm.tcgen05.fence <before>
// CHECK-NEXT: gpu.barrier
// CHECK-NEXT: scf.if
// CHECK-NEXT: nvvm.tcgen05.fence <after>
// CHECK-NEXT: %[[BASE:.*]] = llvm.inttoptr %[[TMEM]] : i32 to !llvm.ptr<6>
// CHECK-NEXT: nvvm.tcgen05.dealloc %[[BASE]], %c512_i32 : !llvm.ptr<6>, i32
// CHECK: gpu.return
// Narrower N tiles where the range's smallest M leaves too few tiles for
// the 148 SMs.
// CHECK: gpu.func @[[$MID:.*_tcgen05_m128n32s8]](
// CHECK: nvvm.tcgen05.alloc %{{.*}}, %c128_i32
// CHECK: gpu.func @[[$SMALL:.*_tcgen05_m128n16s8]](
// CHECK: nvvm.tcgen05.alloc %{{.*}}, %c64_i32
// The epilogue of a 16-column tile loads 16 columns.
// CHECK: nvvm.tcgen05.ld %{{.*}} {shape = #nvvm.tcgen05_ldst_shape<shape_32x32b>} : vector<16xi32>
// The host picks the variant from M (1025 and more, 257, else the decode
// one), with the TMA descriptors of the sm_90a kernel (bytes, 128-byte
// swizzle) and a persistent grid of at most 148 CTAs.
// CHECK-LABEL: func.func @mm(
// CHECK: %[[M:.*]] = memref.dim %arg1, %c0
// CHECK: arith.cmpi uge, %[[M]], %c257
// CHECK: arith.cmpi uge, %[[M]], %c1025
// CHECK: call @vllmrtTensorMapEncode2d(%{{.*}}, %c7168_i64, %c2112_i64, %c7168_i64, %c128_i64, %c128_i64, %c0_i64, %c3_i64)
// CHECK: arith.minui %{{.*}}, %c148
// CHECK: gpu.launch_func async [%{{.*}}] @vllm_kernels::@[[$BIG]] blocks in (%{{.*}}, %c1, %c1) threads in (%c256, %c1, %c1) dynamic_shared_memory_size %c231608_i32
// CHECK: gpu.launch_func {{.*}} @vllm_kernels::@[[$MID]] {{.*}} dynamic_shared_memory_size %c166088_i32
// CHECK: gpu.launch_func {{.*}} @vllm_kernels::@[[$SMALL]] {{.*}} dynamic_shared_memory_size %c149704_i32

// Without matmul-kernel=auto the SIMT kernel computes it (and the module
// keeps the chip's default PTX version).
// SIMT: gpu.module @vllm_kernels [#nvvm.target<O = 3, chip = "sm_100a", features = "+ptx86">]
// SIMT-NOT: tcgen05
// SIMT-LABEL: func.func @mm(
// SIMT: gpu.launch_func {{.*}} @vllm_kernels::@scaled_matmul_n2112_k7168_bf16_a_group128_ue8m0_packed_mn_major4_b_block128x128_f32 blocks

// An explicit PTX version older than 8.8 is kept, and the op stays on SIMT;
// a newer one is kept too, with the tcgen05 kernel.
// PTX87: gpu.module @vllm_kernels [#nvvm.target<O = 3, chip = "sm_100a", features = "+ptx87">]
// PTX87-NOT: tcgen05
// PTX87-LABEL: func.func @mm(
// PTX87: gpu.launch_func {{.*}} @vllm_kernels::@scaled_matmul_n2112_k7168_bf16_a_group128_ue8m0_packed_mn_major4_b_block128x128_f32 blocks
// PTX90: gpu.module @vllm_kernels [#nvvm.target<O = 3, chip = "sm_100a", features = "+ptx90">]
// PTX90: nvvm.tcgen05.mma.block_scale

// In the PTX, tensor memory is allocated and freed by warp 1, the scale words
// are copied to tensor memory, four block-scaled MMAs per K block, the commits,
// and the loads of the partial sums with their waits.
// PTX: .version 8.8
// PTX: .target sm_100a
// PTX: .extern .shared .align 1024 .b8 vllm_gemm_dynamic_smem[];
// PTX-LABEL: .visible .entry scaled_matmul_n2112_k7168_bf16_a_group128_ue8m0_packed_mn_major4_b_block128x128_f32_tcgen05_m128n128s7(
// PTX: .maxntid 256, 1, 1
// PTX: tcgen05.alloc.cta_group::1.sync.aligned.shared::cta.b32
// PTX: tcgen05.relinquish_alloc_permit.cta_group::1.sync.aligned;
// PTX: tcgen05.st.sync.aligned.32x32b.x4.b32
// PTX: tcgen05.wait::st.sync.aligned;
// PTX: cp.async.bulk.tensor.2d.shared::cta.global.tile.mbarrier::complete_tx::bytes
// PTX: tcgen05.fence::after_thread_sync;
// PTX: tcgen05.cp.cta_group::1.32x128b.warpx4
// PTX-COUNT-4: tcgen05.mma.cta_group::1.kind::mxf8f6f4.block_scale.block32.collector::a::discard [%r{{[0-9]+}}], %rd{{[0-9]+}}, %rd{{[0-9]+}}, %r{{[0-9]+}}, [%r{{[0-9]+}}], [%r{{[0-9]+}}], %p{{[0-9]+}};
// PTX-NEXT: tcgen05.commit.cta_group::1.mbarrier::arrive::one.shared::cluster.b64
// PTX-NEXT: tcgen05.commit.cta_group::1.mbarrier::arrive::one.shared::cluster.b64
// PTX: tcgen05.commit.cta_group::1.mbarrier::arrive::one.shared::cluster.b64
// PTX: st.shared.v4.b32
// PTX: fence.proxy.async.shared::cta;
// PTX: tcgen05.ld.sync.aligned.32x32b.x32.b32
// PTX: tcgen05.wait::ld.sync.aligned;
// PTX: tcgen05.dealloc.cta_group::1.sync.aligned.b32
// PTX-LABEL: .visible .entry
func.func @mm(%a: tensor<?x7168xf8E4M3FN>, %b: tensor<2112x7168xf8E4M3FN>, %sa: tensor<14x?xi32, #vllm.scales<group 128, ue8m0_packed, mn_major, align 4>>, %sb: tensor<17x56xf32, #vllm.scales<block 128x128, f32>>) -> tensor<?x2112xbf16> {
  %d = vllm.scaled_matmul %a, %b scales(%sa, %sb) chip <sm_100a> : (tensor<?x7168xf8E4M3FN>, tensor<2112x7168xf8E4M3FN>, tensor<14x?xi32, #vllm.scales<group 128, ue8m0_packed, mn_major, align 4>>, tensor<17x56xf32, #vllm.scales<block 128x128, f32>>) -> tensor<?x2112xbf16>
  return %d : tensor<?x2112xbf16>
}

// -----

// A static M launches one variant (M = 4096: 128 x 128 tiles); per-tensor
// weight scales (loaded once per K block like a block's) and an f32 result
// (four f32 per store). K = 640: 5 K blocks, so the second packed word
// serves one K block only and its slot is released after it (kb = 4).
// CHECK: gpu.func @[[$KERNEL:scaled_matmul_n7168_k640_f32_a_group128_ue8m0_packed_mn_major4_b_tensor_tcgen05_m128n128s7]](
// CHECK: %[[KB:.*]] = arith.remui %{{.*}}, %c4 : index
// CHECK: arith.cmpi eq, %[[KB]], %c3 : index
// CHECK-NEXT: arith.cmpi eq, %{{.*}}, %c4 : index
// CHECK: scf.for %{{.*}} = %c0 to %c2 step %c1 iter_args
// CHECK: %[[SB:.*]] = memref.load %arg4[%c0] : memref<1xf32>
// CHECK: llvm.intr.fma(%{{.*}}, %[[SB]], %{{.*}})
// CHECK-COUNT-32: vector.store {{.*}} {alignment = 16 : i64} : memref<?x7168xf32>, vector<4xf32>
// CHECK-NOT: gpu.func
// CHECK-LABEL: func.func @static_m(
// CHECK-NOT: arith.cmpi uge
// CHECK: gpu.launch_func {{.*}} @vllm_kernels::@[[$KERNEL]] blocks in (%c148,
func.func @static_m(%a: tensor<4096x640xf8E4M3FN>, %b: tensor<7168x640xf8E4M3FN>, %sa: tensor<2x4096xi32, #vllm.scales<group 128, ue8m0_packed, mn_major, align 4>>, %sb: tensor<1xf32, #vllm.scales<tensor>>) -> tensor<4096x7168xf32> {
  %d = vllm.scaled_matmul %a, %b scales(%sa, %sb) chip <sm_100a> : (tensor<4096x640xf8E4M3FN>, tensor<7168x640xf8E4M3FN>, tensor<2x4096xi32, #vllm.scales<group 128, ue8m0_packed, mn_major, align 4>>, tensor<1xf32, #vllm.scales<tensor>>) -> tensor<4096x7168xf32>
  return %d : tensor<4096x7168xf32>
}

// -----

// Power-of-two (ue8m0_f32) 128x128 weight scales are B's scale factors in
// the MMA (design (b)), which then accumulates over all of K: one
// accumulator per tile (two, alternating by tile), read once per tile. The
// extra 1 KiB of weight scale slots leaves 6 stages of 128 x 128 tiles.
// CHECK: gpu.func @[[$KERNELB:scaled_matmul_n7168_k640_bf16_a_group128_ue8m0_packed_mn_major4_b_block128x128_ue8m0_f32_tcgen05_m128n128s6]](
// Tensor memory: accumulators at 0 and 128, activation scale slots at 256
// and 260, weight scale slots at 264 and 268 (512 columns); no constant
// weight scales.
// CHECK: nvvm.tcgen05.alloc %{{.*}}, %c512_i32
// CHECK-NOT: nvvm.tcgen05.st
// The MMA thread waits once per tile for its accumulator (tile count % 2)
// to be read (accumulator empty, 198768) ...
// CHECK: %[[TILES:.*]] = arith.divui %{{.*}}, %c5 : index
// CHECK: arith.addi %{{.*}}, %c198768_i32
// CHECK: nvvm.mbarrier.try_wait.parity
// CHECK: scf.for %[[KB:.*]] = %c0 to %c5 step %c1 iter_args
// CHECK: %[[BYTE:.*]] = arith.remui %[[KB]], %c4 : index
// ... copies both scale slots of a word (activation scales from 196608 to
// column 256 + 4 s, weight scales from 197632 to column 264 + 4 s) ...
// CHECK: nvvm.tcgen05.fence <after>
// CHECK: arith.addi %{{.*}}, %c196608_i32
// CHECK: nvvm.tcgen05.cp
// CHECK: arith.addi %{{.*}}, %c197632_i32
// CHECK: arith.addi %{{.*}}, %c264_i32
// CHECK: nvvm.tcgen05.cp
// ... selects byte kb % 4 of both (a_sf_id at bit 29, b_sf_id at bit 4) ...
// CHECK: %[[BYTE32:.*]] = arith.index_castui %[[BYTE]] : index to i32
// CHECK-NEXT: %[[ASF:.*]] = arith.shli %[[BYTE32]], %c29_i32 : i32
// CHECK-NEXT: %[[ADESC:.*]] = arith.ori %[[ASF]], %c144703488_i32 : i32
// CHECK-NEXT: %[[BSF:.*]] = arith.shli %[[BYTE32]], %c4_i32 : i32
// CHECK-NEXT: %[[IDESC:.*]] = arith.ori %[[ADESC]], %[[BSF]] : i32
// ... accumulates from the tile's first MMA on (enable-input-d = kb != 0,
// then true) ...
// CHECK: %[[NOTFIRST:.*]] = arith.cmpi ne, %[[KB]], %c0 : index
// CHECK: nvvm.tcgen05.mma.block_scale %[[ACC:.*]], %{{.*}}, %{{.*}}, %[[IDESC]], %[[NOTFIRST]], %{{.*}}, %{{.*}} {blockScale = #nvvm.tcgen05_mma_block_scale<block32>
// CHECK-COUNT-3: nvvm.tcgen05.mma.block_scale %[[ACC]], %{{.*}}, %{{.*}}, %[[IDESC]], %true,
// ... and commits the stage every K block, the accumulator (accumulator
// full, 198752) after the tile's last K block, the slots after a word's.
// CHECK: arith.addi %{{.*}}, %c198704_i32
// CHECK-NEXT: %[[EMPTY:.*]] = llvm.getelementptr
// CHECK-NEXT: nvvm.tcgen05.commit %[[EMPTY]]
// CHECK: %[[LASTKB:.*]] = arith.cmpi eq, %[[KB]], %c4 : index
// CHECK-NEXT: scf.if %[[LASTKB]] {
// CHECK-NEXT: arith.addi %{{.*}}, %c198752_i32
// CHECK-NEXT: %[[AFULL:.*]] = llvm.getelementptr
// CHECK-NEXT: nvvm.tcgen05.commit %[[AFULL]]
// CHECK: arith.addi %{{.*}}, %c198800_i32
// CHECK: nvvm.tcgen05.commit
// The scale warp: the weight scale word of K blocks 4 p .. 4 p + 3 from the
// exponent fields (1.0 = 127 past the 5 K blocks), in every row of the
// slot.
// CHECK: %[[FIRSTKB:.*]] = arith.muli %{{.*}}, %c4 : index
// CHECK-NEXT: %[[INK:.*]] = arith.cmpi ule, %[[FIRSTKB]], %c4 : index
// CHECK-NEXT: %[[CLAMPED:.*]] = arith.minui %[[FIRSTKB]], %c4 : index
// CHECK-NEXT: %[[SB:.*]] = memref.load %arg4[%{{.*}}, %[[CLAMPED]]] : memref<56x5xf32>
// CHECK-NEXT: %[[SBBITS:.*]] = arith.bitcast %[[SB]] : f32 to i32
// CHECK-NEXT: %[[SBEXP:.*]] = arith.shrui %[[SBBITS]], %c23_i32 : i32
// CHECK-NEXT: %[[SBBYTE:.*]] = arith.andi %[[SBEXP]], %c255_i32 : i32
// CHECK-NEXT: arith.select %[[INK]], %[[SBBYTE]], %c127_i32 : i32
// CHECK-COUNT-3: arith.select %{{.*}}, %{{.*}}, %c127_i32 : i32
// CHECK: %[[WWORD:.*]] = vector.broadcast %{{.*}} : i32 to vector<4xi32>
// CHECK: llvm.store %[[WWORD]], %{{.*}} {alignment = 16 : i64} : vector<4xi32>, !llvm.ptr<3>
// CHECK-NEXT: nvvm.fence.proxy
// The epilogue: once per tile, wait for the accumulator, four 32-column
// loads, release it, 16 stores per thread, no f32 promotion.
// CHECK: arith.addi %{{.*}}, %c198752_i32
// CHECK: nvvm.mbarrier.try_wait.parity
// CHECK-NEXT: nvvm.tcgen05.fence <after>
// CHECK-NOT: llvm.intr.fma
// CHECK: nvvm.tcgen05.ld %{{.*}} : vector<32xi32>
// CHECK-COUNT-4: vector.store {{.*}} : memref<?x7168xbf16>, vector<8xbf16>
// CHECK-COUNT-3: nvvm.tcgen05.ld %{{.*}} : vector<32xi32>
// CHECK: nvvm.tcgen05.fence <before>
// CHECK-NEXT: arith.addi %{{.*}}, %c198768_i32
// CHECK-NEXT: %[[AEMPTY:.*]] = llvm.getelementptr
// CHECK-NEXT: nvvm.mbarrier.arrive %[[AEMPTY]]
// CHECK-COUNT-4: vector.store {{.*}} : memref<?x7168xbf16>, vector<8xbf16>
// CHECK-NOT: llvm.intr.fma
// CHECK: gpu.return
// CHECK-LABEL: func.func @ue8m0_weights(
// CHECK: gpu.launch_func {{.*}} @vllm_kernels::@[[$KERNELB]] blocks in (%c148, %c1, %c1) threads in (%c256, %c1, %c1) dynamic_shared_memory_size %c199848_i32
func.func @ue8m0_weights(%a: tensor<4096x640xf8E4M3FN>, %b: tensor<7168x640xf8E4M3FN>, %sa: tensor<2x4096xi32, #vllm.scales<group 128, ue8m0_packed, mn_major, align 4>>, %sb: tensor<56x5xf32, #vllm.scales<block 128x128, ue8m0_f32>>) -> tensor<4096x7168xbf16> {
  %d = vllm.scaled_matmul %a, %b scales(%sa, %sb) : (tensor<4096x640xf8E4M3FN>, tensor<7168x640xf8E4M3FN>, tensor<2x4096xi32, #vllm.scales<group 128, ue8m0_packed, mn_major, align 4>>, tensor<56x5xf32, #vllm.scales<block 128x128, ue8m0_f32>>) -> tensor<4096x7168xbf16>
  return %d : tensor<4096x7168xbf16>
}

// -----

// What stays on the SIMT kernel on sm_100a: activation scales the MMA does
// not consume (f32 1x128 groups, SPEC C10: layout selection packs them for
// sm_100a; per-row), per-channel weight scales, and shapes the TMA
// descriptors cannot describe (N not a multiple of 8).
// CHECK-LABEL: func.func @f32_groups(
// CHECK-NOT: vllmrtTensorMapEncode2d
// CHECK: gpu.launch_func {{.*}} @vllm_kernels::@scaled_matmul_n2112_k7168_bf16_a_group128_f32_mn_major4_b_block128x128_f32 blocks
// CHECK-LABEL: func.func @per_row_a(
// CHECK-NOT: vllmrtTensorMapEncode2d
// CHECK: gpu.launch_func {{.*}} @vllm_kernels::@scaled_matmul_n256_k256_bf16_a_row_b_tensor blocks
// CHECK-LABEL: func.func @per_channel_b(
// CHECK-NOT: vllmrtTensorMapEncode2d
// CHECK: gpu.launch_func {{.*}} @vllm_kernels::@scaled_matmul_n256_k256_bf16_a_group128_ue8m0_packed_mn_major4_b_row blocks
// CHECK-LABEL: func.func @n_tail(
// CHECK-NOT: vllmrtTensorMapEncode2d
// CHECK: gpu.launch_func {{.*}} @vllm_kernels::@scaled_matmul_n130_k256_bf16_a_group128_ue8m0_packed_mn_major4_b_tensor blocks
func.func @f32_groups(%a: tensor<?x7168xf8E4M3FN>, %b: tensor<2112x7168xf8E4M3FN>, %sa: tensor<56x?xf32, #vllm.scales<group 128, f32, mn_major, align 4>>, %sb: tensor<17x56xf32, #vllm.scales<block 128x128, f32>>) -> tensor<?x2112xbf16> {
  %d = vllm.scaled_matmul %a, %b scales(%sa, %sb) : (tensor<?x7168xf8E4M3FN>, tensor<2112x7168xf8E4M3FN>, tensor<56x?xf32, #vllm.scales<group 128, f32, mn_major, align 4>>, tensor<17x56xf32, #vllm.scales<block 128x128, f32>>) -> tensor<?x2112xbf16>
  return %d : tensor<?x2112xbf16>
}
func.func @per_row_a(%a: tensor<?x256xf8E4M3FN>, %b: tensor<256x256xf8E4M3FN>, %sa: tensor<?xf32, #vllm.scales<row>>, %sb: tensor<1xf32, #vllm.scales<tensor>>) -> tensor<?x256xbf16> {
  %d = vllm.scaled_matmul %a, %b scales(%sa, %sb) : (tensor<?x256xf8E4M3FN>, tensor<256x256xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>, tensor<1xf32, #vllm.scales<tensor>>) -> tensor<?x256xbf16>
  return %d : tensor<?x256xbf16>
}
func.func @per_channel_b(%a: tensor<?x256xf8E4M3FN>, %b: tensor<256x256xf8E4M3FN>, %sa: tensor<1x?xi32, #vllm.scales<group 128, ue8m0_packed, mn_major, align 4>>, %sb: tensor<256xf32, #vllm.scales<row>>) -> tensor<?x256xbf16> {
  %d = vllm.scaled_matmul %a, %b scales(%sa, %sb) : (tensor<?x256xf8E4M3FN>, tensor<256x256xf8E4M3FN>, tensor<1x?xi32, #vllm.scales<group 128, ue8m0_packed, mn_major, align 4>>, tensor<256xf32, #vllm.scales<row>>) -> tensor<?x256xbf16>
  return %d : tensor<?x256xbf16>
}
func.func @n_tail(%a: tensor<?x256xf8E4M3FN>, %b: tensor<130x256xf8E4M3FN>, %sa: tensor<1x?xi32, #vllm.scales<group 128, ue8m0_packed, mn_major, align 4>>, %sb: tensor<1xf32, #vllm.scales<tensor>>) -> tensor<?x130xbf16> {
  %d = vllm.scaled_matmul %a, %b scales(%sa, %sb) : (tensor<?x256xf8E4M3FN>, tensor<130x256xf8E4M3FN>, tensor<1x?xi32, #vllm.scales<group 128, ue8m0_packed, mn_major, align 4>>, tensor<1xf32, #vllm.scales<tensor>>) -> tensor<?x130xbf16>
  return %d : tensor<?x130xbf16>
}
