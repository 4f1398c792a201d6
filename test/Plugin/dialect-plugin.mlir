// Upstream mlir-opt loads the vllm dialect from the plugin and round-trips
// its ops and attributes.
// Debian's mlir-opt is not instrumented: it cannot load the plugin of the
// sanitizer build without the ASan runtime preloaded.
// UNSUPPORTED: asan
// RUN: mlir-opt %s --load-dialect-plugin=%vllm_lib/VllmPlugin.so | FileCheck %s
// RUN: mlir-opt %s --load-dialect-plugin=%vllm_lib/VllmPlugin.so --mlir-print-op-generic | mlir-opt --load-dialect-plugin=%vllm_lib/VllmPlugin.so | FileCheck %s

// CHECK-LABEL: func.func @plugin
// CHECK: vllm.rms_norm_quant %{{.*}}, %{{.*}} as <per_group 128, ue8m0_packed, mn_major, align 4>
func.func @plugin(%x: tensor<?x256xbf16>, %w: tensor<256xbf16>) -> tensor<1x?xi32, #vllm.scales<group 128, ue8m0_packed, mn_major, align 4>> {
  %q, %s = vllm.rms_norm_quant %x, %w as <per_group 128, ue8m0_packed, mn_major, align 4> {epsilon = 1.0e-06 : f32} : (tensor<?x256xbf16>, tensor<256xbf16>) -> (tensor<?x256xf8E4M3FN>, tensor<1x?xi32, #vllm.scales<group 128, ue8m0_packed, mn_major, align 4>>)
  return %s : tensor<1x?xi32, #vllm.scales<group 128, ue8m0_packed, mn_major, align 4>>
}
