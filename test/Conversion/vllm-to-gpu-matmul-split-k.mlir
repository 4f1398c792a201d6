// Split K in the sm_90a tensor-core GEMM at small M (M <= 256, SPEC 3.5):
// where the 128-column tiles alone do not cover the 132 SMs, each tile's K
// blocks are cut into consecutive ranges, one CTA each; every CTA writes its
// range's f32 sums to a workspace from the runtime, and the last CTA of a
// tile to finish adds the ranges in range order and rounds once.
// RUN: vllm-opt %s -split-input-file --convert-vllm-to-gpu="chip=sm_90a matmul-kernel=auto" --canonicalize --cse | FileCheck %s
// RUN: vllm-opt %s -split-input-file --convert-vllm-to-gpu="chip=sm_90a matmul-kernel=auto matmul-split-k=1" --canonicalize --cse | FileCheck %s --check-prefix=NOSPLIT
// RUN: vllm-opt %s -split-input-file --convert-vllm-to-gpu="chip=sm_90a matmul-kernel=auto matmul-split-k=3" --canonicalize --cse | FileCheck %s --check-prefix=THREE
// RUN: vllm-opt %s -split-input-file --convert-vllm-to-gpu="chip=sm_100a matmul-kernel=auto" | FileCheck %s --check-prefix=SM100
// RUN: vllm-opt %s -split-input-file --vllm-gpu-pipeline="chip=sm_90a format=ptx matmul-kernel=auto" | vllm-opt --vllm-dump-gpu-binary -o /dev/null | FileCheck %s --check-prefix=PTX

// N = 2112, K = 7168: 17 tiles of 128 columns x 7 ranges of 8 of the 56 K
// blocks = 119 CTAs at M <= 64 with one warpgroup of consumers (m64n128),
// and at M = 65 .. 128 with two (m128n128; 65 .. 256 loops over up to two
// units per CTA).
// Like every kernel with two consumer warpgroups, its producer warpgroup
// gets 56 registers, the consumers 224.
// CHECK: gpu.func @[[$SPLIT128:.*_wgmma_m128n128s6_splitk7]](
// CHECK-SAME: known_block_size = array<i32: 384, 1, 1>
// CHECK: nvvm.setmaxregister decrease 56
// CHECK: nvvm.setmaxregister increase 224
// CHECK: nvvm.barrier id = %c1_i32 number_of_threads = %c256_i32
// The decode kernel, in detail; it takes the workspace as a seventh
// argument.
// CHECK: gpu.func @[[$SPLIT:.*_wgmma_m64n128s8_splitk7]](%{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr, %{{.*}}: index, %{{.*}}: memref<?x?xf32>, %{{.*}}: memref<17x56xf32>, %{{.*}}: memref<?x2112xbf16>, %[[WS:.*]]: !llvm.ptr)
// CHECK-SAME: known_block_size = array<i32: 256, 1, 1>
// The producer walks ceil(M / 64) x 17 x 7 work units; unit u is range
// u % 7 of tile u / 7, K blocks [8 r, min(8 r + 8, 56)).
// CHECK: nvvm.setmaxregister decrease 40
// CHECK: %[[UNITS:.*]] = arith.muli %{{.*}}, %c119 : index
// CHECK: scf.for %[[U:.*]] = %{{.*}} to %[[UNITS]] step %{{.*}} iter_args
// CHECK-NEXT: %[[TILE:.*]] = arith.divui %[[U]], %c7 : index
// CHECK-NEXT: %[[R:.*]] = arith.remui %[[U]], %c7 : index
// CHECK-NEXT: %[[KBEGIN:.*]] = arith.muli %[[R]], %c8 : index
// CHECK-NEXT: %[[KNEXT:.*]] = arith.addi %[[KBEGIN]], %c8 : index
// CHECK-NEXT: %[[KEND:.*]] = arith.minui %[[KNEXT]], %c56 : index
// CHECK: scf.for %{{.*}} = %[[KBEGIN]] to %[[KEND]] step %c1 iter_args
// CHECK: nvvm.cp.async.bulk.tensor.shared.cluster.global
// The scale warp walks the same units and K ranges.
// CHECK: scf.for %[[SU:.*]] = %{{.*}} to %{{.*}} step %{{.*}} iter_args
// CHECK-NEXT: arith.divui %[[SU]], %c7 : index
// CHECK-NEXT: %[[SR:.*]] = arith.remui %[[SU]], %c7 : index
// CHECK-NEXT: %[[SBEGIN:.*]] = arith.muli %[[SR]], %c8 : index
// CHECK: %[[SEND:.*]] = arith.minui %{{.*}}, %c56 : index
// CHECK: scf.for %{{.*}} = %[[SBEGIN]] to %[[SEND]] step %c1 iter_args
// CHECK: nvvm.cp.async.mbarrier.arrive %{{.*}} {noinc = true}
// The consumers too.
// CHECK: nvvm.setmaxregister increase 232
// CHECK: scf.for %[[CU:.*]] = %{{.*}} to %{{.*}} step %{{.*}} iter_args
// CHECK-NEXT: %[[CTILE:.*]] = arith.divui %[[CU]], %c7 : index
// CHECK-NEXT: %[[CR:.*]] = arith.remui %[[CU]], %c7 : index
// CHECK-NEXT: %[[CBEGIN:.*]] = arith.muli %[[CR]], %c8 : index
// CHECK: %[[CEND:.*]] = arith.minui %{{.*}}, %c56 : index
// CHECK: scf.for %{{.*}} = %[[CBEGIN]] to %[[CEND]] step %c1 iter_args
// CHECK-COUNT-4: nvvm.wgmma.mma_async
// CHECK-COUNT-64: llvm.intr.fma
// CHECK: scf.yield
// After the range: the 64 sums of each thread go to the workspace after its
// 1024 counters, element e at 1024 + ((tile x 7 + range) x 8192) + 128 e +
// thread; those of each of the thread's two rows only where the row is in D
// (32 each).
// CHECK: %[[BASE:.*]] = llvm.addrspacecast %[[WS]] : !llvm.ptr to !llvm.ptr<1>
// CHECK-NEXT: scf.if %[[ROW0:.*]] {
// CHECK-NEXT: %[[SLOT:.*]] = arith.muli %[[CTILE]], %c7 : index
// CHECK-NEXT: %[[UNIT:.*]] = arith.addi %[[SLOT]], %[[CR]] : index
// CHECK-NEXT: %[[UNITBASE:.*]] = arith.muli %[[UNIT]], %c8192 : index
// CHECK-NEXT: arith.addi %[[UNITBASE]], %c1024 : index
// CHECK-COUNT-32: llvm.store %{{.*}}, %{{.*}} : f32, !llvm.ptr<1>
// CHECK-NOT: llvm.store
// CHECK: scf.if %[[ROW1:.*]] {
// CHECK-COUNT-32: llvm.store %{{.*}}, %{{.*}} : f32, !llvm.ptr<1>
// The tile's arrival counter: word `tile` of the workspace.
// CHECK: %[[TILE64:.*]] = arith.index_castui %[[CTILE]] : index to i64
// CHECK-NEXT: %[[COUNTER:.*]] = llvm.getelementptr %[[BASE]][%[[TILE64]]] : (!llvm.ptr<1>, i64) -> !llvm.ptr<1>, i32
// Release the sums, count the unit in (thread 0), tell the consumers through
// shared memory whether it was the tile's seventh.
// CHECK: nvvm.memory.barrier <gpu>
// CHECK-NEXT: nvvm.barrier id = %c1_i32 number_of_threads = %c128_i32
// CHECK: scf.if %[[LEADER:.*]] {
// CHECK-NEXT: %[[BEFORE:.*]] = llvm.atomicrmw add %[[COUNTER]], %c1_i32 monotonic : !llvm.ptr<1>, i32
// CHECK-NEXT: %[[LAST:.*]] = arith.cmpi eq, %[[BEFORE]], %c6_i32 : i32
// CHECK-NEXT: %[[FLAG:.*]] = arith.extui %[[LAST]] : i1 to i32
// CHECK-NEXT: llvm.store %[[FLAG]], %[[FLAGPTR:.*]] : i32, !llvm.ptr<3>
// CHECK-NEXT: }
// CHECK-NEXT: nvvm.barrier id = %c1_i32 number_of_threads = %c128_i32
// CHECK-NEXT: %[[READ:.*]] = llvm.load %[[FLAGPTR]] : !llvm.ptr<3> -> i32
// CHECK-NEXT: %[[ISLAST:.*]] = arith.cmpi ne, %[[READ]], %c0_i32 : i32
// The last unit acquires; for each of the thread's rows in D, 16 of its
// elements at a time, it loads range 0's sums, then adds ranges 1 to 6 in
// order, one per iteration, rounds once and stores them as two 16-byte
// stores of 8 columns (the quad's transpose: vllm-to-gpu-matmul-sm90a.mlir);
// its thread 0 resets the counter for the next launch.
// CHECK: scf.if %[[ISLAST]] {
// CHECK-NEXT: nvvm.memory.barrier <gpu>
// CHECK: scf.if %[[ROW0]] -> (f32,
// CHECK-COUNT-16: llvm.load volatile %{{.*}} {alignment = 4 : i64} : !llvm.ptr<1> -> f32
// CHECK: scf.for %{{.*}} = %c1 to %c7 step %c1 iter_args
// CHECK-COUNT-16: arith.addf
// CHECK: } else {
// CHECK-COUNT-2: vector.store %{{.*}} {alignment = 16 : i64} : memref<?x2112xbf16>, vector<8xbf16>
// CHECK: scf.if %[[ROW0]] -> (f32,
// CHECK-COUNT-2: vector.store %{{.*}} {alignment = 16 : i64} : memref<?x2112xbf16>, vector<8xbf16>
// CHECK: scf.if %[[ROW1]] -> (f32,
// CHECK-COUNT-2: vector.store %{{.*}} {alignment = 16 : i64} : memref<?x2112xbf16>, vector<8xbf16>
// CHECK: scf.if %[[ROW1]] -> (f32,
// CHECK-COUNT-2: vector.store %{{.*}} {alignment = 16 : i64} : memref<?x2112xbf16>, vector<8xbf16>
// CHECK-NOT: vector.store
// CHECK: scf.if %[[LEADER]] {
// CHECK-NEXT: llvm.store %c0_i32, %[[COUNTER]] : i32, !llvm.ptr<1>
// CHECK: gpu.return
// CHECK: func.func private @vllmrtWorkspace(i64, !llvm.ptr) -> !llvm.ptr
// The host: nothing at M = 0; for M <= 64 the stream's (argument 0)
// workspace of 4 KiB of counters and ceil(M / 64) x 119 units x 32 KiB;
// min(units, 132) CTAs, no launch without a workspace.
// CHECK-LABEL: func.func @mm(
// CHECK: %[[M:.*]] = memref.dim %arg1, %c0
// CHECK: %[[ANY:.*]] = arith.cmpi ugt, %[[M]], %c0
// CHECK: cf.cond_br %[[ANY]]
// CHECK: %[[MT:.*]] = arith.divui %{{.*}}, %c64 : index
// CHECK: %[[HUNITS:.*]] = arith.muli %[[MT]], %c119 : index
// CHECK: %[[PBYTES:.*]] = arith.muli %[[MT]], %c3899392 : index
// CHECK: %[[BYTES:.*]] = arith.addi %[[PBYTES]], %c4096 : index
// CHECK: %[[BYTES64:.*]] = arith.index_castui %[[BYTES]] : index to i64
// CHECK: %[[WSP:.*]] = call @vllmrtWorkspace(%[[BYTES64]], %arg0) : (i64, !llvm.ptr) -> !llvm.ptr
// CHECK: %[[WSOK:.*]] = llvm.icmp "ne" %[[WSP]]
// CHECK: %[[OK:.*]] = arith.andi %{{.*}}, %[[WSOK]] : i1
// CHECK: %[[GRID:.*]] = arith.minui %[[HUNITS]], %c132 : index
// CHECK: cf.cond_br %[[OK]]
// CHECK: gpu.launch_func async [%{{.*}}] @vllm_kernels::@[[$SPLIT]] blocks in (%[[GRID]], %c1, %c1) threads in (%c256, %c1, %c1) dynamic_shared_memory_size %c199944_i32 args({{.*}}, %[[WSP]] : !llvm.ptr)

// With matmul-split-k=1, the variants below M = 257 narrow their tiles
// instead.
// NOSPLIT-NOT: splitk
// NOSPLIT: gpu.func @{{.*}}_wgmma_m128n16s8(
// NOSPLIT: gpu.func @{{.*}}_wgmma_m64n16s8(
// NOSPLIT-NOT: vllmrtWorkspace
// NOSPLIT-LABEL: func.func @mm(

// At most 3 ranges: 56 K blocks in 3 of 19, 19 and 18.
// THREE: gpu.func @{{.*}}_wgmma_m128n128s6_splitk3(
// THREE: gpu.func @{{.*}}_wgmma_m64n128s8_splitk3(
// THREE: arith.muli %{{.*}}, %c19 : index
// THREE: arith.minui %{{.*}}, %c56 : index

// sm_100a's kernel does not split K.
// SM100-NOT: splitk
// SM100-NOT: vllmrtWorkspace

// The PTX has the release fence, the consumers' named barrier, the relaxed
// count, the acquire fence and the loads that bypass L1.
// PTX-LABEL: .visible .entry {{.*}}_wgmma_m64n128s8_splitk7(
// PTX: membar.gl;
// PTX-NEXT: bar.sync {{.*}}1, 128;
// PTX: atom.global.add.u32
// PTX: bar.sync {{.*}}1, 128;
// PTX: membar.gl;
// PTX: ld.volatile.global.b32
func.func @mm(%a: tensor<?x7168xf8E4M3FN>, %b: tensor<2112x7168xf8E4M3FN>, %sa: tensor<56x?xf32, #vllm.scales<group 128, f32, mn_major, align 4>>, %sb: tensor<17x56xf32, #vllm.scales<block 128x128, f32>>) -> tensor<?x2112xbf16> {
  %d = vllm.scaled_matmul %a, %b scales(%sa, %sb) chip <sm_90a> : (tensor<?x7168xf8E4M3FN>, tensor<2112x7168xf8E4M3FN>, tensor<56x?xf32, #vllm.scales<group 128, f32, mn_major, align 4>>, tensor<17x56xf32, #vllm.scales<block 128x128, f32>>) -> tensor<?x2112xbf16>
  return %d : tensor<?x2112xbf16>
}

// -----

// Uneven: 16 tiles (the last half full) x 7 ranges of the 19 K blocks, 3
// each but the last, which gets 1.
// CHECK: gpu.func @{{.*}}n1984_k2432{{.*}}_wgmma_m64n128s8_splitk7(
// CHECK: arith.muli %{{.*}}, %c112 : index
// CHECK: arith.muli %{{.*}}, %c3 : index
// CHECK: arith.minui %{{.*}}, %c19 : index
// CHECK-LABEL: func.func @uneven(
func.func @uneven(%a: tensor<?x2432xf8E4M3FN>, %b: tensor<1984x2432xf8E4M3FN>, %sa: tensor<19x?xf32, #vllm.scales<group 128, f32, mn_major, align 4>>, %sb: tensor<16x19xf32, #vllm.scales<block 128x128, f32>>) -> tensor<?x1984xbf16> {
  %d = vllm.scaled_matmul %a, %b scales(%sa, %sb) chip <sm_90a> : (tensor<?x2432xf8E4M3FN>, tensor<1984x2432xf8E4M3FN>, tensor<19x?xf32, #vllm.scales<group 128, f32, mn_major, align 4>>, tensor<16x19xf32, #vllm.scales<block 128x128, f32>>) -> tensor<?x1984xbf16>
  return %d : tensor<?x1984xbf16>
}

// -----

// Negative: 192 tiles of 128 columns already cover the SMs (N = 24576), and
// a single K block (K = 128) has nothing to split: no split-K kernel.
// CHECK: gpu.module @vllm_kernels
// CHECK-NOT: splitk
// CHECK-LABEL: func.func @wide(
// CHECK-NOT: vllmrtWorkspace
func.func @wide(%a: tensor<?x1536xf8E4M3FN>, %b: tensor<24576x1536xf8E4M3FN>, %sa: tensor<1xf32, #vllm.scales<tensor>>, %sb: tensor<1xf32, #vllm.scales<tensor>>) -> tensor<?x24576xbf16> {
  %d = vllm.scaled_matmul %a, %b scales(%sa, %sb) : (tensor<?x1536xf8E4M3FN>, tensor<24576x1536xf8E4M3FN>, tensor<1xf32, #vllm.scales<tensor>>, tensor<1xf32, #vllm.scales<tensor>>) -> tensor<?x24576xbf16>
  return %d : tensor<?x24576xbf16>
}

// -----

// CHECK: gpu.module @vllm_kernels
// CHECK-NOT: splitk
// CHECK-LABEL: func.func @one_block(
// CHECK-NOT: vllmrtWorkspace
func.func @one_block(%a: tensor<?x128xf8E4M3FN>, %b: tensor<256x128xf8E4M3FN>, %sa: tensor<1xf32, #vllm.scales<tensor>>, %sb: tensor<1xf32, #vllm.scales<tensor>>) -> tensor<?x256xbf16> {
  %d = vllm.scaled_matmul %a, %b scales(%sa, %sb) : (tensor<?x128xf8E4M3FN>, tensor<256x128xf8E4M3FN>, tensor<1xf32, #vllm.scales<tensor>>, tensor<1xf32, #vllm.scales<tensor>>) -> tensor<?x256xbf16>
  return %d : tensor<?x256xbf16>
}
