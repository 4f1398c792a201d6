// Upstream mlir-opt, with the vllm dialect loaded from the plugin, bufferizes
// a module that mixes vllm ops with linalg: the plugin attaches the vllm
// ops' BufferizableOpInterface models (SPEC.md 3.9).
// UNSUPPORTED: asan
// RUN: mlir-opt %s --load-dialect-plugin=%vllm_lib/VllmPlugin.so --one-shot-bufferize="bufferize-function-boundaries function-boundary-type-conversion=identity-layout-map" | FileCheck %s

// CHECK-LABEL: func.func @mixed(
// CHECK-SAME: %[[X:[^:]*]]: memref<?x256xbf16>, %[[W:[^:]*]]: memref<256xbf16>)
// CHECK: linalg.add
// CHECK: vllm.buffer.rms_norm_quant %{{.*}}, %[[W]] as <per_group 128, ue8m0_packed, mn_major, align 4> into
func.func @mixed(%x: tensor<?x256xbf16>, %w: tensor<256xbf16>) -> tensor<1x?xi32, #vllm.scales<group 128, ue8m0_packed, mn_major, align 4>> {
  %c0 = arith.constant 0 : index
  %m = tensor.dim %x, %c0 : tensor<?x256xbf16>
  %init = tensor.empty(%m) : tensor<?x256xbf16>
  %h = linalg.add ins(%x, %x : tensor<?x256xbf16>, tensor<?x256xbf16>) outs(%init : tensor<?x256xbf16>) -> tensor<?x256xbf16>
  %q, %s = vllm.rms_norm_quant %h, %w as <per_group 128, ue8m0_packed, mn_major, align 4> {epsilon = 1.0e-06 : f32} : (tensor<?x256xbf16>, tensor<256xbf16>) -> (tensor<?x256xf8E4M3FN>, tensor<1x?xi32, #vllm.scales<group 128, ue8m0_packed, mn_major, align 4>>)
  return %s : tensor<1x?xi32, #vllm.scales<group 128, ue8m0_packed, mn_major, align 4>>
}
