// all_reduce and the all-reduce form of rms_norm_quant (SPEC.md 3.10,
// 3.11): they parse, verify and print back to the same syntax (round trip
// through the generic form too), tensor and buffer forms alike.
// RUN: vllm-opt %s | FileCheck %s
// RUN: vllm-opt %s --mlir-print-op-generic | vllm-opt | FileCheck %s

// CHECK-LABEL: func.func @all_reduce(
// CHECK: vllm.all_reduce %{{.*}} group 0 : tensor<?x7168xbf16> -> tensor<?x7168xbf16>
// CHECK: vllm.all_reduce %{{.*}} group 63 : tensor<4x256xf32> -> tensor<4x256xf32>
func.func @all_reduce(%x: tensor<?x7168xbf16>, %z: tensor<4x256xf32>) -> (tensor<?x7168xbf16>, tensor<4x256xf32>) {
  %y = vllm.all_reduce %x group 0 : tensor<?x7168xbf16> -> tensor<?x7168xbf16>
  %w = vllm.all_reduce %z group 63 : tensor<4x256xf32> -> tensor<4x256xf32>
  return %y, %w : tensor<?x7168xbf16>, tensor<4x256xf32>
}

// CHECK-LABEL: func.func @fused(
// CHECK: vllm.rms_norm_quant %{{.*}}, %{{.*}} all_reduce(group 2) residual(%{{.*}}) as <per_group 128, ue8m0_packed, mn_major, align 4> {epsilon = 9.99999997E-7 : f32} :
// CHECK: vllm.rms_norm_quant %{{.*}}, %{{.*}} all_reduce(group 0) residual(%{{.*}}) scale(%{{.*}}) as <static_per_tensor> {epsilon = 9.99999997E-7 : f32, round_before_weight} :
func.func @fused(%x: tensor<?x7168xbf16>, %r: tensor<?x7168xbf16>, %w: tensor<7168xbf16>, %s: tensor<1xf32, #vllm.scales<tensor>>)
    -> (tensor<?x7168xf8E4M3FN>, tensor<14x?xi32, #vllm.scales<group 128, ue8m0_packed, mn_major, align 4>>, tensor<?x7168xbf16>,
        tensor<?x7168xf8E4M3FN>) {
  %q, %sc, %ro = vllm.rms_norm_quant %x, %w all_reduce(group 2) residual(%r)
      as <per_group 128, ue8m0_packed, mn_major, align 4> {epsilon = 1.0e-06 : f32}
      : (tensor<?x7168xbf16>, tensor<7168xbf16>, tensor<?x7168xbf16>)
      -> (tensor<?x7168xf8E4M3FN>, tensor<14x?xi32, #vllm.scales<group 128, ue8m0_packed, mn_major, align 4>>, tensor<?x7168xbf16>)
  %q2, %sc2, %ro2 = vllm.rms_norm_quant %x, %w all_reduce(group 0) residual(%r) scale(%s)
      as <static_per_tensor> {epsilon = 1.0e-06 : f32, round_before_weight}
      : (tensor<?x7168xbf16>, tensor<7168xbf16>, tensor<?x7168xbf16>, tensor<1xf32, #vllm.scales<tensor>>)
      -> (tensor<?x7168xf8E4M3FN>, tensor<1xf32, #vllm.scales<tensor>>, tensor<?x7168xbf16>)
  return %q, %sc, %ro, %q2 : tensor<?x7168xf8E4M3FN>, tensor<14x?xi32, #vllm.scales<group 128, ue8m0_packed, mn_major, align 4>>, tensor<?x7168xbf16>, tensor<?x7168xf8E4M3FN>
}

// CHECK-LABEL: func.func @buffers(
// CHECK: vllm.buffer.all_reduce %{{.*}} into %{{.*}} group 5 : memref<?x7168xbf16> into memref<?x7168xbf16>
// CHECK: vllm.buffer.rms_norm_quant %{{.*}}, %{{.*}} all_reduce(group 5) residual(%{{.*}} : memref<?x7168xbf16>) as <per_token>
func.func @buffers(%x: memref<?x7168xbf16>, %y: memref<?x7168xbf16>, %r: memref<?x7168xbf16>, %w: memref<7168xbf16>,
                   %q: memref<?x7168xf8E4M3FN>, %s: memref<?xf32>) {
  vllm.buffer.all_reduce %x into %y group 5 : memref<?x7168xbf16> into memref<?x7168xbf16>
  vllm.buffer.rms_norm_quant %x, %w all_reduce(group 5) residual(%r : memref<?x7168xbf16>) as <per_token>
      into %q, %s residual_out(%r : memref<?x7168xbf16>) {epsilon = 1.0e-06 : f32}
      : memref<?x7168xbf16>, memref<7168xbf16> into memref<?x7168xf8E4M3FN>, memref<?xf32>
  return
}
