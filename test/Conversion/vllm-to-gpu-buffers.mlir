// convert-vllm-to-gpu on functions on buffers (SPEC.md 3.9), the partial
// conversion: the function gets the caller's stream first; each vllm buffer
// op becomes a call, on that stream, of a private host function that
// launches the tensor form's kernels; allocations, copies and frees become
// stream-ordered GPU ops; element-wise linalg ops become kernels launched
// on the same stream (vllm-to-gpu-elementwise.mlir has the kernels); every
// other op is left alone.
// RUN: vllm-opt %s -split-input-file --convert-vllm-to-gpu=chip=sm_90a | FileCheck %s
// The buffer form launches exactly the tensor form's kernels:
// RUN: vllm-opt %s -split-input-file --convert-vllm-to-gpu=chip=sm_90a | FileCheck %s --check-prefix=KERNELS
// RUN: vllm-opt %S/Inputs/buffers-tensor-form.mlir --convert-vllm-to-gpu=chip=sm_90a | FileCheck %s --check-prefix=KERNELS

// KERNELS: gpu.module @vllm_kernels
// KERNELS-DAG: gpu.func @add_rms_norm_bf16_h4096_eps358637BD_r_q_group128_f32_mn_major4_wsmem(
// KERNELS-DAG: gpu.func @add_rms_norm_bf16_h4096_eps358637BD_r_q_group128_f32_mn_major4(
// KERNELS-DAG: gpu.func @scaled_matmul_n2112_k4096_bf16_a_group128_f32_mn_major4_b_block128x128_f32(

// The kernels of each buffer op, in a private function taking the stream,
// the input buffers and the output buffers.
// CHECK-LABEL: func.func private @layer__rms_norm_quant_0(
// CHECK-SAME: %[[STREAM:[^:]*]]: !llvm.ptr, %{{[^:]*}}: memref<?x4096xbf16>, %{{[^:]*}}: memref<4096xbf16>, %{{[^:]*}}: memref<?x4096xbf16>, %{{[^:]*}}: memref<?x4096xf8E4M3FN>, %{{[^:]*}}: memref<32x?xf32>, %{{[^:]*}}: memref<?x4096xbf16>)
// CHECK: builtin.unrealized_conversion_cast %[[STREAM]] : !llvm.ptr to !gpu.async.token
// CHECK: gpu.launch_func async {{.*}} @vllm_kernels::@add_rms_norm_bf16_h4096_eps358637BD_r_q_group128_f32_mn_major4
// CHECK-LABEL: func.func private @layer__scaled_matmul_1(
// CHECK: gpu.launch_func async {{.*}} @vllm_kernels::@scaled_matmul_n2112_k4096_bf16_a_group128_f32_mn_major4_b_block128x128_f32

// CHECK-LABEL: func.func @layer(
// CHECK-SAME: %[[S:[^:]*]]: !llvm.ptr, %[[X:[^:]*]]: memref<?x4096xbf16>, %[[RES:[^:]*]]: memref<?x4096xbf16>, %[[W:[^:]*]]: memref<4096xbf16>, %[[B:[^:]*]]: memref<2112x4096xf8E4M3FN>, %[[SB:[^:]*]]: memref<17x32xf32>, %[[D:[^:]*]]: memref<?x2112xbf16>)
// CHECK-SAME: attributes {llvm.emit_c_interface}
// CHECK: %[[TOKEN:.*]] = builtin.unrealized_conversion_cast %[[S]] : !llvm.ptr to !gpu.async.token
// CHECK: %[[H:.*]], %{{.*}} = gpu.alloc async [%[[TOKEN]]] (%{{.*}}) : memref<?x4096xbf16>
// CHECK: gpu.launch_func async [%[[TOKEN]]] @vllm_kernels::@elementwise_layer_0 blocks in ({{.*}}) threads in ({{.*}}) args(%[[X]] : memref<?x4096xbf16>, %[[X]] : memref<?x4096xbf16>, %[[H]] : memref<?x4096xbf16>, %{{.*}} : index, %{{.*}} : index)
// CHECK-NOT: linalg.
// CHECK: %[[Q:.*]], %{{.*}} = gpu.alloc async [%[[TOKEN]]] (%{{.*}}) : memref<?x4096xf8E4M3FN>
// CHECK: %[[SA:.*]], %{{.*}} = gpu.alloc async [%[[TOKEN]]] (%{{.*}}) : memref<32x?xf32>
// The residual is updated in place: passed as input and as residual_out.
// CHECK: call @layer__rms_norm_quant_0(%[[S]], %[[H]], %[[W]], %[[RES]], %[[Q]], %[[SA]], %[[RES]])
// CHECK: gpu.dealloc async [%[[TOKEN]]] %[[H]]
// CHECK: call @layer__scaled_matmul_1(%[[S]], %[[Q]], %[[B]], %[[SA]], %[[SB]], %[[D]])
// CHECK: gpu.dealloc async [%[[TOKEN]]] %[[Q]]
// CHECK: gpu.dealloc async [%[[TOKEN]]] %[[SA]]
// CHECK-NOT: memref.alloc
// CHECK-NOT: memref.dealloc
// CHECK: return
func.func @layer(%x: memref<?x4096xbf16>, %res: memref<?x4096xbf16>, %w: memref<4096xbf16>, %b: memref<2112x4096xf8E4M3FN>, %sb: memref<17x32xf32>, %d: memref<?x2112xbf16>) {
  %c0 = arith.constant 0 : index
  %m = memref.dim %x, %c0 : memref<?x4096xbf16>
  %h = memref.alloc(%m) : memref<?x4096xbf16>
  linalg.add ins(%x, %x : memref<?x4096xbf16>, memref<?x4096xbf16>) outs(%h : memref<?x4096xbf16>)
  %q = memref.alloc(%m) : memref<?x4096xf8E4M3FN>
  %c3 = arith.constant 3 : index
  %c4 = arith.constant 4 : index
  %bumped = arith.addi %m, %c3 : index
  %blocks = arith.divui %bumped, %c4 : index
  %padded = arith.muli %blocks, %c4 : index
  %sa = memref.alloc(%padded) : memref<32x?xf32>
  vllm.buffer.rms_norm_quant %h, %w residual(%res : memref<?x4096xbf16>) as <per_group 128, f32, mn_major, align 4> into %q, %sa residual_out(%res : memref<?x4096xbf16>) {epsilon = 1.0e-06 : f32} : memref<?x4096xbf16>, memref<4096xbf16> into memref<?x4096xf8E4M3FN>, memref<32x?xf32>
  memref.dealloc %h : memref<?x4096xbf16>
  vllm.buffer.scaled_matmul %q, %b scales(%sa as <group 128, f32, mn_major, align 4>, %sb as <block 128x128, f32>) chip <sm_90a> into %d : memref<?x4096xf8E4M3FN>, memref<2112x4096xf8E4M3FN>, memref<32x?xf32>, memref<17x32xf32> into memref<?x2112xbf16>
  memref.dealloc %q : memref<?x4096xf8E4M3FN>
  memref.dealloc %sa : memref<32x?xf32>
  return
}

// -----

// A residual that a later op reads is copied first (as one-shot-bufferize
// does): the copy is made on the stream.
// CHECK-LABEL: func.func @copied(
// CHECK-SAME: %[[S:[^:]*]]: !llvm.ptr, %[[X:[^:]*]]: memref<?x256xbf16>, %[[RES:[^:]*]]: memref<?x256xbf16>, %[[W:[^:]*]]: memref<256xbf16>, %[[Y:[^:]*]]: memref<?x256xbf16>, %[[Z:[^:]*]]: memref<?x256xbf16>)
// CHECK: %[[TOKEN:.*]] = builtin.unrealized_conversion_cast %[[S]]
// CHECK: %[[COPY:.*]], %{{.*}} = gpu.alloc async [%[[TOKEN]]] (%{{.*}}) : memref<?x256xbf16>
// CHECK: gpu.memcpy async [%[[TOKEN]]] %[[COPY]], %[[RES]]
// CHECK: call @copied__fused_add_rms_norm_0(%[[S]], %[[X]], %[[COPY]], %[[W]], %[[Y]], %[[COPY]])
// CHECK: call @copied__rms_norm_1(%[[S]], %[[RES]], %[[W]], %[[Z]])
// CHECK: gpu.dealloc async [%[[TOKEN]]] %[[COPY]]
func.func @copied(%x: memref<?x256xbf16>, %res: memref<?x256xbf16>, %w: memref<256xbf16>, %y: memref<?x256xbf16>, %z: memref<?x256xbf16>) {
  %c0 = arith.constant 0 : index
  %m = memref.dim %res, %c0 : memref<?x256xbf16>
  %copy = memref.alloc(%m) : memref<?x256xbf16>
  memref.copy %res, %copy : memref<?x256xbf16> to memref<?x256xbf16>
  vllm.buffer.fused_add_rms_norm %x, %copy, %w into %y, %copy {epsilon = 1.0e-06 : f32} : memref<?x256xbf16>, memref<?x256xbf16>, memref<256xbf16> into memref<?x256xbf16>, memref<?x256xbf16>
  vllm.buffer.rms_norm %res, %w into %z {epsilon = 1.0e-06 : f32} : memref<?x256xbf16>, memref<256xbf16> into memref<?x256xbf16>
  memref.dealloc %copy : memref<?x256xbf16>
  return
}
