// convert-vllm-to-gpu on the element-wise linalg ops of a function on
// buffers: each becomes a kernel (a grid-stride loop over the iteration
// points, the last loop fastest) launched on the function's stream, in
// the function's order. Named ops, a broadcast, a transpose, a scalar
// operand, a captured constant and linalg.index.
// RUN: vllm-opt %s --convert-vllm-to-gpu=chip=sm_90a | FileCheck %s
// RUN: vllm-opt %s --convert-vllm-to-gpu=chip=sm_100a | FileCheck %s

// The kernels, in the order built.
// The bias add: the bias is read at the column only; the row size is a
// kernel argument, the column size the constant 2112.
// CHECK-LABEL: gpu.func @elementwise_layer_0(
// CHECK-SAME: %[[A:[^:]*]]: memref<?x2112xbf16>, %[[BIAS:[^:]*]]: memref<2112xbf16>, %[[OUT:[^:]*]]: memref<?x2112xbf16>, %[[ROWS:[^:]*]]: index, %{{[^:]*}}: index) kernel attributes {known_block_size = array<i32: 256, 1, 1>}
// CHECK-DAG: %[[COLS:.*]] = arith.constant 2112 : index
// CHECK-DAG: %[[BLOCK:.*]] = gpu.block_id  x
// CHECK-DAG: %[[THREAD:.*]] = gpu.thread_id  x
// CHECK-DAG: %[[GRID:.*]] = gpu.grid_dim  x
// CHECK: scf.for %[[I:.*]] = %{{.*}} to %{{.*}} step %{{.*}} {
// CHECK-NEXT: %[[COL:.*]] = arith.remui %[[I]], %[[COLS]] : index
// CHECK-NEXT: %[[ROW:.*]] = arith.divui %[[I]], %[[COLS]] : index
// CHECK-NEXT: %[[VA:.*]] = memref.load %[[A]][%[[ROW]], %[[COL]]]
// CHECK-NEXT: %[[VB:.*]] = memref.load %[[BIAS]][%[[COL]]]
// CHECK-NEXT: %[[SUM:.*]] = arith.addf %[[VA]], %[[VB]] : bf16
// CHECK-NEXT: memref.store %[[SUM]], %[[OUT]][%[[ROW]], %[[COL]]]
// CHECK-NEXT: }
// CHECK-NEXT: gpu.return

// linalg.fill: a scalar operand, no load.
// CHECK-LABEL: gpu.func @elementwise_layer_1(
// CHECK-SAME: %[[VALUE:[^:]*]]: f32, %[[DEST:[^:]*]]: memref<8x?xf32>
// CHECK: scf.for
// CHECK-NOT: memref.load
// CHECK: memref.store %[[VALUE]], %[[DEST]]

// A transpose with a captured constant and linalg.index: the constant is
// cloned into the kernel, the index is the loop index, the output is
// written through the permutation.
// CHECK-LABEL: gpu.func @elementwise_layer_2(
// CHECK-SAME: %[[SRC:[^:]*]]: memref<4x?xf32>, %[[DST:[^:]*]]: memref<?x4xf32>
// CHECK: scf.for %[[J:.*]] =
// CHECK: %[[D1:.*]] = arith.remui %[[J]]
// CHECK: %[[D0:.*]] = arith.divui %[[J]]
// CHECK: %[[V:.*]] = memref.load %[[SRC]][%[[D0]], %[[D1]]]
// CHECK: %[[K:.*]] = arith.constant 2.000000e+00 : f32
// CHECK: %[[SCALED:.*]] = arith.mulf %[[V]], %[[K]]
// CHECK: arith.index_cast %[[D0]]
// CHECK: memref.store %{{.*}}, %[[DST]][%[[D1]], %[[D0]]]

// The host function: launches on the stream's token, in order, each grid
// at least one CTA.
// CHECK-LABEL: func.func @layer(
// CHECK-SAME: %[[S:[^:]*]]: !llvm.ptr,
// CHECK: %[[TOKEN:.*]] = builtin.unrealized_conversion_cast %[[S]] : !llvm.ptr to !gpu.async.token
// CHECK: %[[CTAS:.*]] = arith.ceildivui %{{.*}}, %{{.*}} : index
// CHECK: %[[ONE:.*]] = arith.maxui %[[CTAS]], %{{.*}} : index
// CHECK: %[[GRIDX:.*]] = arith.minui %[[ONE]], %{{.*}} : index
// CHECK: gpu.launch_func async [%[[TOKEN]]] @vllm_kernels::@elementwise_layer_0 blocks in (%[[GRIDX]], %{{.*}}, %{{.*}}) threads in (%{{.*}}, %{{.*}}, %{{.*}})
// CHECK: call @layer__rms_norm_0(
// CHECK: gpu.launch_func async [%[[TOKEN]]] @vllm_kernels::@elementwise_layer_1
// CHECK: gpu.launch_func async [%[[TOKEN]]] @vllm_kernels::@elementwise_layer_2
// CHECK-NOT: linalg.
// CHECK: return
#id = affine_map<(d0, d1) -> (d0, d1)>
#col = affine_map<(d0, d1) -> (d1)>
#transposed = affine_map<(d0, d1) -> (d1, d0)>
func.func @layer(%a: memref<?x2112xbf16>, %bias: memref<2112xbf16>, %out: memref<?x2112xbf16>, %x: memref<?x256xbf16>, %w: memref<256xbf16>, %y: memref<?x256xbf16>, %dest: memref<8x?xf32>, %src: memref<4x?xf32>, %dst: memref<?x4xf32>) {
  linalg.generic {indexing_maps = [#id, #col, #id], iterator_types = ["parallel", "parallel"]} ins(%a, %bias : memref<?x2112xbf16>, memref<2112xbf16>) outs(%out : memref<?x2112xbf16>) {
  ^bb0(%va: bf16, %vb: bf16, %unused: bf16):
    %sum = arith.addf %va, %vb : bf16
    linalg.yield %sum : bf16
  }
  vllm.buffer.rms_norm %x, %w into %y {epsilon = 1.0e-06 : f32} : memref<?x256xbf16>, memref<256xbf16> into memref<?x256xbf16>
  %zero = arith.constant 0.0 : f32
  linalg.fill ins(%zero : f32) outs(%dest : memref<8x?xf32>)
  %two = arith.constant 2.0 : f32
  linalg.generic {indexing_maps = [#id, #transposed], iterator_types = ["parallel", "parallel"]} ins(%src : memref<4x?xf32>) outs(%dst : memref<?x4xf32>) {
  ^bb0(%v: f32, %unused: f32):
    %scaled = arith.mulf %v, %two : f32
    %i = linalg.index 0 : index
    %ii = arith.index_cast %i : index to i32
    %fi = arith.sitofp %ii : i32 to f32
    %r = arith.addf %scaled, %fi : f32
    linalg.yield %r : f32
  }
  return
}
