// A tensor function bufferized with upstream passes, then compiled by
// vllm-gpu-pipeline into one module of host code and kernels: the
// composition of SPEC.md 3.9 (docs/design.md, "Layering").
// RUN: vllm-opt %s --one-shot-bufferize="bufferize-function-boundaries function-boundary-type-conversion=identity-layout-map" --ownership-based-buffer-deallocation --canonicalize --buffer-deallocation-simplification --bufferization-lower-deallocations --convert-bufferization-to-memref --canonicalize --vllm-gpu-pipeline="chip=sm_90a format=ptx" | FileCheck %s
// RUN: vllm-opt %s --one-shot-bufferize="bufferize-function-boundaries function-boundary-type-conversion=identity-layout-map" --ownership-based-buffer-deallocation --canonicalize --buffer-deallocation-simplification --bufferization-lower-deallocations --convert-bufferization-to-memref --canonicalize --vllm-gpu-pipeline="chip=sm_100a format=ptx" | FileCheck %s

// CHECK-DAG: gpu.binary @vllm_kernels
// CHECK-DAG: llvm.func @layer__rms_norm_quant_0(
// CHECK-DAG: llvm.func @layer__scaled_matmul_1(
// CHECK-LABEL: llvm.func @layer(
// CHECK: llvm.call @mgpuMemAlloc
// CHECK: llvm.call @layer__rms_norm_quant_0(
// CHECK: llvm.call @layer__scaled_matmul_1(
// CHECK: llvm.call @mgpuMemFree
// CHECK-NOT: llvm.call @malloc
// CHECK-NOT: llvm.call @free
// CHECK: llvm.func @_mlir_ciface_layer(
func.func @layer(%x: tensor<?x4096xbf16>, %res: tensor<?x4096xbf16>, %w: tensor<4096xbf16>, %b: tensor<2112x4096xf8E4M3FN>, %sb: tensor<17x32xf32, #vllm.scales<block 128x128, f32>>) -> (tensor<?x2112xbf16>, tensor<?x4096xbf16>) {
  %q, %s, %r = vllm.rms_norm_quant %x, %w residual(%res) as <per_group 128, ue8m0_packed, mn_major, align 4> {epsilon = 1.0e-06 : f32} : (tensor<?x4096xbf16>, tensor<4096xbf16>, tensor<?x4096xbf16>) -> (tensor<?x4096xf8E4M3FN>, tensor<8x?xi32, #vllm.scales<group 128, ue8m0_packed, mn_major, align 4>>, tensor<?x4096xbf16>)
  %d = vllm.scaled_matmul %q, %b scales(%s, %sb) : (tensor<?x4096xf8E4M3FN>, tensor<2112x4096xf8E4M3FN>, tensor<8x?xi32, #vllm.scales<group 128, ue8m0_packed, mn_major, align 4>>, tensor<17x32xf32, #vllm.scales<block 128x128, f32>>) -> tensor<?x2112xbf16>
  return %d, %r : tensor<?x2112xbf16>, tensor<?x4096xbf16>
}
