// Split tails in the sm_90a tensor-core GEMM (SPEC 3.5, "Split tail"):
// from M = 257, where the T tiles of D fill at least one wave over the 132
// SMs and leave a last, partial one of R = T mod 132 tiles, the variants
// whose waves model gains at least 10% by it split each of those R tiles'
// K blocks into S ranges, S = ceil(56 / ceil(56 / min(132 / R, 56, 8))),
// one work unit each, through the split-K workspace and its ordered
// reduction; the whole tiles keep one unit each.
// RUN: vllm-opt %s --convert-vllm-to-gpu="chip=sm_90a matmul-kernel=auto" --canonicalize --cse | FileCheck %s
// RUN: vllm-opt %s --convert-vllm-to-gpu="chip=sm_90a matmul-kernel=auto matmul-split-k=1" --canonicalize --cse | FileCheck %s --check-prefix=NOSPLIT
// RUN: vllm-opt %s --convert-vllm-to-gpu="chip=sm_90a matmul-kernel=auto matmul-split-k=3" --canonicalize --cse | FileCheck %s --check-prefix=THREE
// RUN: vllm-opt %s --convert-vllm-to-gpu="chip=sm_100a matmul-kernel=auto" | FileCheck %s --check-prefix=SM100

// N = 2112, K = 7168 (56 K blocks). Three tile shapes have a tail-split
// variant besides the plain one; the 128 x 128 one, in detail. It takes the
// workspace as a seventh argument.
// CHECK: gpu.func @{{.*}}_wgmma_m128n256s4_tail8(
// CHECK: gpu.func @[[$TAIL:.*_wgmma_m128n128s6_tail8]](%{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr, %[[M:.*]]: index, %{{.*}}: memref<?x?xf32>, %{{.*}}: memref<17x56xf32>, %{{.*}}: memref<?x2112xbf16>, %[[WS:.*]]: !llvm.ptr)
// CHECK-SAME: known_block_size = array<i32: 384, 1, 1>
// CHECK: %[[BUMP:.*]] = arith.addi %[[M]], %c127 : index
// CHECK: %[[MT:.*]] = arith.divui %[[BUMP]], %c128 : index
// CHECK: %[[TILES:.*]] = arith.muli %[[MT]], %c17 : index
// The producer thread: R, S and the ranges' length, as the host computes
// them; no split without a whole wave before the last or with S < 2.
// CHECK: nvvm.setmaxregister decrease 56
// CHECK: %[[LAST:.*]] = arith.remui %[[TILES]], %c132 : index
// CHECK: %[[LAST1:.*]] = arith.maxui %[[LAST]], %c1 : index
// CHECK: %[[FIT:.*]] = arith.divui %c132, %[[LAST1]] : index
// CHECK: %[[WANTED:.*]] = arith.minui %[[FIT]], %c8 : index
// CHECK: %[[WB:.*]] = arith.addi %[[WANTED]], %c55 : index
// CHECK: %[[PER:.*]] = arith.divui %[[WB]], %[[WANTED]] : index
// CHECK: %[[PB:.*]] = arith.addi %[[PER]], %c55 : index
// CHECK: %[[RANGES:.*]] = arith.divui %[[PB]], %[[PER]] : index
// CHECK: %[[WAVE:.*]] = arith.cmpi uge, %[[TILES]], %c132 : index
// CHECK: %[[PARTIAL:.*]] = arith.cmpi ne, %[[LAST]], %c0 : index
// CHECK: %[[SEVERAL:.*]] = arith.cmpi uge, %[[RANGES]], %c2 : index
// CHECK: %[[BOTH:.*]] = arith.andi %[[WAVE]], %[[PARTIAL]] : i1
// CHECK: %[[SPLIT:.*]] = arith.andi %[[BOTH]], %[[SEVERAL]] : i1
// CHECK: %[[S:.*]] = arith.select %[[SPLIT]], %[[RANGES]], %c1 : index
// CHECK: %[[LEN:.*]] = arith.select %[[SPLIT]], %[[PER]], %c56 : index
// CHECK: %[[SPLIT_TILES:.*]] = arith.select %[[SPLIT]], %[[LAST]], %c0 : index
// CHECK: %[[WHOLE:.*]] = arith.subi %[[TILES]], %[[SPLIT_TILES]] : index
// CHECK: %[[SPLIT_UNITS:.*]] = arith.muli %[[SPLIT_TILES]], %[[S]] : index
// CHECK: %[[UNITS:.*]] = arith.addi %[[WHOLE]], %[[SPLIT_UNITS]] : index
// Unit u < WHOLE is tile u, all 56 K blocks; unit WHOLE + t S + r is range
// r of tile WHOLE + t, K blocks [r LEN, min(r LEN + LEN, 56)). The tile
// then goes through the grouped order like any other.
// CHECK: scf.for %[[U:.*]] = %block_id_x to %[[UNITS]] step %grid_dim_x
// CHECK: %[[IS_SPLIT:.*]] = arith.cmpi uge, %[[U]], %[[WHOLE]] : index
// CHECK: %[[PAST:.*]] = arith.subi %[[U]], %[[WHOLE]] : index
// CHECK: %[[SU:.*]] = arith.select %[[IS_SPLIT]], %[[PAST]], %c0 : index
// CHECK: %[[T:.*]] = arith.divui %[[SU]], %[[S]] : index
// CHECK: %[[R:.*]] = arith.remui %[[SU]], %[[S]] : index
// CHECK: %[[STILE:.*]] = arith.addi %[[WHOLE]], %[[T]] : index
// CHECK: arith.select %[[IS_SPLIT]], %[[STILE]], %[[U]] : index
// CHECK: %[[KB0:.*]] = arith.muli %[[R]], %[[LEN]] : index
// CHECK: %[[KB1:.*]] = arith.addi %[[KB0]], %[[LEN]] : index
// CHECK: %[[KEND:.*]] = arith.minui %[[KB1]], %c56 : index
// CHECK: %[[FROM:.*]] = arith.select %[[IS_SPLIT]], %[[KB0]], %c0 : index
// CHECK: %[[TO:.*]] = arith.select %[[IS_SPLIT]], %[[KEND]], %c56 : index
// CHECK: arith.divui %{{.*}}, %c136_i32 : i32
// CHECK: scf.for %{{.*}} = %[[FROM]] to %[[TO]] step %c1
// CHECK: nvvm.cp.async.bulk.tensor.shared.cluster.global
// The scale warp walks the same units.
// CHECK: arith.remui %[[TILES]], %c132 : index
// CHECK: scf.for %{{.*}} = %block_id_x to %{{.*}} step %grid_dim_x
// CHECK: nvvm.cp.async.mbarrier.arrive
// The consumers: the same units; after a unit's K blocks a range of a split
// tile adds its sums through the workspace (rows in D only; the counter of
// split tile t; the last range to finish adds the ranges in order), and a
// whole tile stores its own.
// CHECK: nvvm.setmaxregister increase 224
// CHECK: scf.for %[[CU:.*]] = %block_id_x to %{{.*}} step %grid_dim_x
// CHECK: %[[C_IS_SPLIT:.*]] = arith.cmpi uge, %[[CU]], %{{.*}} : index
// CHECK: scf.for %{{.*}} = %{{.*}} to %{{.*}} step %c1 iter_args
// CHECK-COUNT-4: nvvm.wgmma.mma_async
// CHECK: scf.yield
// CHECK: scf.if %[[C_IS_SPLIT]] {
// CHECK: llvm.addrspacecast %[[WS]] : !llvm.ptr to !llvm.ptr<1>
// CHECK-COUNT-64: llvm.store %{{.*}} : f32, !llvm.ptr<1>
// CHECK: nvvm.memory.barrier <gpu>
// CHECK: nvvm.barrier id = %c1_i32 number_of_threads = %c256_i32
// CHECK: llvm.atomicrmw add %{{.*}}, %c1_i32 monotonic : !llvm.ptr<1>, i32
// CHECK: %[[S32:.*]] = arith.index_castui %{{.*}} : index to i32
// CHECK: %[[LASTCOUNT:.*]] = arith.subi %[[S32]], %c1_i32 : i32
// CHECK: arith.cmpi eq, %{{.*}}, %[[LASTCOUNT]] : i32
// CHECK: scf.if
// CHECK: nvvm.memory.barrier <gpu>
// CHECK: scf.for
// CHECK: vector.store %{{.*}} {alignment = 16 : i64} : memref<?x2112xbf16>, vector<8xbf16>
// CHECK: llvm.store %c0_i32, %{{.*}} : i32, !llvm.ptr<1>
// CHECK: } else {
// CHECK-NOT: llvm.atomicrmw
// CHECK: vector.store %{{.*}} {alignment = 16 : i64} : memref<?x2112xbf16>, vector<8xbf16>
// CHECK: gpu.return
// CHECK: gpu.func @{{.*}}_wgmma_m128n64s8_tail8(
// The host: the variants, from the last range down (M = 4097 and more,
// 3969 .. 4096, ...); the tail-split ones are those of 3969 .. 4096 and
// 2305 .. 2432 (256 columns), 2049 .. 2304 and 1025 .. 1408 (128), 513 ..
// 640 (64). For 2049 .. 2304 (17 or 18 row tiles of 17 tiles): the same R
// and S as the kernel, a workspace of 4 KiB of counters and 64 KiB per
// split unit, min(units, 132) CTAs, no launch without a workspace.
// CHECK-LABEL: func.func @mm(
// CHECK: arith.cmpi uge, %{{.*}}, %c513
// CHECK: arith.cmpi uge, %{{.*}}, %c641
// CHECK: arith.cmpi uge, %{{.*}}, %c1025
// CHECK: arith.cmpi uge, %{{.*}}, %c1409
// CHECK: arith.cmpi uge, %{{.*}}, %c2049
// CHECK: arith.cmpi uge, %{{.*}}, %c2305
// CHECK: arith.cmpi uge, %{{.*}}, %c2433
// CHECK: arith.cmpi uge, %{{.*}}, %c3969
// CHECK: arith.cmpi uge, %{{.*}}, %c4097
// CHECK: gpu.launch_func {{.*}}_wgmma_m128n256s4 blocks
// CHECK: gpu.launch_func {{.*}}_wgmma_m128n256s4_tail8 blocks
// CHECK: gpu.launch_func {{.*}}_wgmma_m128n128s6 blocks
// CHECK: gpu.launch_func {{.*}}_wgmma_m128n256s4 blocks
// CHECK: gpu.launch_func {{.*}}_wgmma_m128n128s6 blocks
// CHECK: gpu.launch_func {{.*}}_wgmma_m128n256s4_tail8 blocks
// CHECK: %[[HTILES:.*]] = arith.muli %{{.*}}, %c17 : index
// CHECK: %[[HLAST:.*]] = arith.remui %[[HTILES]], %c132 : index
// CHECK: %[[HSPLIT_TILES:.*]] = arith.select %{{.*}}, %[[HLAST]], %c0 : index
// CHECK: %[[HWHOLE:.*]] = arith.subi %[[HTILES]], %[[HSPLIT_TILES]] : index
// CHECK: %[[HSPLIT_UNITS:.*]] = arith.muli %[[HSPLIT_TILES]], %{{.*}} : index
// CHECK: %[[HUNITS:.*]] = arith.addi %[[HWHOLE]], %[[HSPLIT_UNITS]] : index
// CHECK: %[[PBYTES:.*]] = arith.muli %[[HSPLIT_UNITS]], %c65536 : index
// CHECK: %[[BYTES:.*]] = arith.addi %[[PBYTES]], %c4096 : index
// CHECK: %[[BYTES64:.*]] = arith.index_castui %[[BYTES]] : index to i64
// CHECK: %[[WSP:.*]] = call @vllmrtWorkspace(%[[BYTES64]], %arg0) : (i64, !llvm.ptr) -> !llvm.ptr
// CHECK: llvm.icmp "ne" %[[WSP]]
// CHECK: %[[GRID:.*]] = arith.minui %[[HUNITS]], %c132 : index
// CHECK: gpu.launch_func {{.*}} @vllm_kernels::@[[$TAIL]] blocks in (%[[GRID]], %c1, %c1) {{.*}} args({{.*}}, %[[WSP]] : !llvm.ptr)
// CHECK: gpu.launch_func {{.*}}_wgmma_m128n64s8 blocks
// CHECK: gpu.launch_func {{.*}}_wgmma_m128n128s6 blocks
// CHECK: gpu.launch_func {{.*}}_wgmma_m128n256s4 blocks
// CHECK: gpu.launch_func {{.*}}_wgmma_m128n128s6_tail8 blocks
// CHECK: gpu.launch_func {{.*}}_wgmma_m128n64s8 blocks
// CHECK: gpu.launch_func {{.*}}_wgmma_m128n128s6 blocks
// CHECK: gpu.launch_func {{.*}}_wgmma_m128n64s8_tail8 blocks
// CHECK: gpu.launch_func {{.*}}_wgmma_m128n64s8 blocks
// CHECK: gpu.launch_func {{.*}}_wgmma_m128n128s6_splitk7 blocks

// matmul-split-k=1 splits no tail; matmul-split-k=3 at most 3 ranges.
// NOSPLIT-NOT: _tail
// NOSPLIT-NOT: vllmrtWorkspace
// THREE: gpu.func @{{.*}}_wgmma_m128n256s4_tail3(
// THREE: arith.minui %{{.*}}, %c3 : index
// THREE-NOT: _tail8

// sm_100a's kernel does not split its tails.
// SM100-NOT: _tail
// SM100-NOT: vllmrtWorkspace
func.func @mm(%a: tensor<?x7168xf8E4M3FN>, %b: tensor<2112x7168xf8E4M3FN>, %sa: tensor<56x?xf32, #vllm.scales<group 128, f32, mn_major, align 4>>, %sb: tensor<17x56xf32, #vllm.scales<block 128x128, f32>>) -> tensor<?x2112xbf16> {
  %d = vllm.scaled_matmul %a, %b scales(%sa, %sb) chip <sm_90a> : (tensor<?x7168xf8E4M3FN>, tensor<2112x7168xf8E4M3FN>, tensor<56x?xf32, #vllm.scales<group 128, f32, mn_major, align 4>>, tensor<17x56xf32, #vllm.scales<block 128x128, f32>>) -> tensor<?x2112xbf16>
  return %d : tensor<?x2112xbf16>
}
