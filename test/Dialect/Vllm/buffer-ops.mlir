// Round-trip of the buffer forms (SPEC.md 3.9) in the custom syntax and
// through the generic form, including the residual updated in place (C15).
// RUN: vllm-opt %s -split-input-file | vllm-opt -split-input-file | FileCheck %s
// RUN: vllm-opt %s -split-input-file -mlir-print-op-generic | vllm-opt -split-input-file | FileCheck %s

// CHECK-LABEL: func.func @norms
// CHECK-SAME: (%[[X:[^:]*]]: memref<?x7168xbf16>, %[[R:[^:]*]]: memref<?x7168xbf16>, %[[W:[^:]*]]: memref<7168xbf16>, %[[Y:[^:]*]]: memref<?x7168xbf16>)
// CHECK: vllm.buffer.rms_norm %[[X]], %[[W]] into %[[Y]] {epsilon = 9.99999997E-7 : f32} : memref<?x7168xbf16>, memref<7168xbf16> into memref<?x7168xbf16>
// CHECK: vllm.buffer.fused_add_rms_norm %[[X]], %[[R]], %[[W]] into %[[Y]], %[[R]] {epsilon = 9.99999997E-7 : f32} : memref<?x7168xbf16>, memref<?x7168xbf16>, memref<7168xbf16> into memref<?x7168xbf16>, memref<?x7168xbf16>
func.func @norms(%x: memref<?x7168xbf16>, %res: memref<?x7168xbf16>, %w: memref<7168xbf16>, %y: memref<?x7168xbf16>) {
  vllm.buffer.rms_norm %x, %w into %y {epsilon = 1.0e-06 : f32} : memref<?x7168xbf16>, memref<7168xbf16> into memref<?x7168xbf16>
  vllm.buffer.fused_add_rms_norm %x, %res, %w into %y, %res {epsilon = 1.0e-06 : f32} : memref<?x7168xbf16>, memref<?x7168xbf16>, memref<7168xbf16> into memref<?x7168xbf16>, memref<?x7168xbf16>
  return
}

// -----

// CHECK-LABEL: func.func @quantize
// CHECK: vllm.buffer.quantize %{{.*}} as <per_group 128, ue8m0_packed, mn_major, align 4> into %{{.*}}, %{{.*}} : memref<?x7168xbf16> into memref<?x7168xf8E4M3FN>, memref<14x?xi32>
// CHECK: vllm.buffer.quantize %{{.*}} scale(%{{.*}} : memref<1xf32>) as <static_per_tensor> into %{{.*}}, %{{.*}} : memref<?x7168xbf16> into memref<?x7168xf8E4M3FN>, memref<1xf32>
func.func @quantize(%y: memref<?x7168xbf16>, %q: memref<?x7168xf8E4M3FN>, %s: memref<14x?xi32>, %s0: memref<1xf32>, %s1: memref<1xf32>) {
  vllm.buffer.quantize %y as <per_group 128, ue8m0_packed, mn_major, align 4> into %q, %s : memref<?x7168xbf16> into memref<?x7168xf8E4M3FN>, memref<14x?xi32>
  vllm.buffer.quantize %y scale(%s0 : memref<1xf32>) as <static_per_tensor> into %q, %s1 : memref<?x7168xbf16> into memref<?x7168xf8E4M3FN>, memref<1xf32>
  return
}

// -----

// CHECK-LABEL: func.func @rms_norm_quant
// CHECK: vllm.buffer.rms_norm_quant %{{.*}}, %{{.*}} residual(%[[R:.*]] : memref<?x7168xbf16>) as <per_group 128, f32, mn_major, align 4> into %{{.*}}, %{{.*}} residual_out(%[[R]] : memref<?x7168xbf16>) {epsilon = 9.99999997E-7 : f32} : memref<?x7168xbf16>, memref<7168xbf16> into memref<?x7168xf8E4M3FN>, memref<56x?xf32>
// CHECK: vllm.buffer.rms_norm_quant %{{.*}}, %{{.*}} as <per_token> into %{{.*}}, %{{.*}} normalized(%{{.*}} : memref<?x7168xbf16>) {epsilon = 9.99999997E-7 : f32} : memref<?x7168xbf16>, memref<7168xbf16> into memref<?x7168xf8E4M3FN>, memref<?xf32>
func.func @rms_norm_quant(%x: memref<?x7168xbf16>, %w: memref<7168xbf16>, %res: memref<?x7168xbf16>, %q: memref<?x7168xf8E4M3FN>, %s: memref<56x?xf32>, %st: memref<?xf32>, %n: memref<?x7168xbf16>) {
  vllm.buffer.rms_norm_quant %x, %w residual(%res : memref<?x7168xbf16>) as <per_group 128, f32, mn_major, align 4> into %q, %s residual_out(%res : memref<?x7168xbf16>) {epsilon = 1.0e-06 : f32} : memref<?x7168xbf16>, memref<7168xbf16> into memref<?x7168xf8E4M3FN>, memref<56x?xf32>
  vllm.buffer.rms_norm_quant %x, %w as <per_token> into %q, %st normalized(%n : memref<?x7168xbf16>) {epsilon = 1.0e-06 : f32} : memref<?x7168xbf16>, memref<7168xbf16> into memref<?x7168xf8E4M3FN>, memref<?xf32>
  return
}

// -----

// CHECK-LABEL: func.func @silu
// CHECK: vllm.buffer.silu_and_mul %{{.*}} into %{{.*}} : memref<?x4096xbf16> into memref<?x2048xbf16>
// CHECK: vllm.buffer.elementwise_quant silu_and_mul(%{{.*}}) as <per_group 128, f32, mn_major, align 4> into %{{.*}}, %{{.*}} product(%{{.*}} : memref<?x2048xbf16>) : memref<?x4096xbf16> into memref<?x2048xf8E4M3FN>, memref<16x?xf32>
func.func @silu(%x: memref<?x4096xbf16>, %y: memref<?x2048xbf16>, %q: memref<?x2048xf8E4M3FN>, %s: memref<16x?xf32>) {
  vllm.buffer.silu_and_mul %x into %y : memref<?x4096xbf16> into memref<?x2048xbf16>
  vllm.buffer.elementwise_quant silu_and_mul(%x) as <per_group 128, f32, mn_major, align 4> into %q, %s product(%y : memref<?x2048xbf16>) : memref<?x4096xbf16> into memref<?x2048xf8E4M3FN>, memref<16x?xf32>
  return
}

// -----

// CHECK-LABEL: func.func @matmul
// CHECK: vllm.buffer.scaled_matmul %{{.*}}, %{{.*}} scales(%{{.*}} as <group 128, ue8m0_packed, mn_major, align 4>, %{{.*}} as <block 128x128, f32>) chip <sm_100a> into %{{.*}} : memref<?x7168xf8E4M3FN>, memref<2112x7168xf8E4M3FN>, memref<14x?xi32>, memref<17x56xf32> into memref<?x2112xbf16>
func.func @matmul(%a: memref<?x7168xf8E4M3FN>, %b: memref<2112x7168xf8E4M3FN>, %sa: memref<14x?xi32>, %sb: memref<17x56xf32>, %d: memref<?x2112xbf16>) {
  vllm.buffer.scaled_matmul %a, %b scales(%sa as <group 128, ue8m0_packed, mn_major, align 4>, %sb as <block 128x128, f32>) chip <sm_100a> into %d : memref<?x7168xf8E4M3FN>, memref<2112x7168xf8E4M3FN>, memref<14x?xi32>, memref<17x56xf32> into memref<?x2112xbf16>
  return
}
