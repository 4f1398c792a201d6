// The plugin brings the verifiers along: upstream mlir-opt reports the
// same SPEC-tagged diagnostics as vllm-opt.
// Debian's mlir-opt is not instrumented: it cannot load the plugin of the
// sanitizer build without the ASan runtime preloaded.
// UNSUPPORTED: asan
// RUN: mlir-opt %s --load-dialect-plugin=%vllm_lib/VllmPlugin.so -verify-diagnostics

func.func @c8_through_plugin(%y: tensor<257x256xbf16>) {
  // expected-error @+1 {{(C8) scales in format #vllm.scales<group 128, ue8m0_packed, mn_major, align 4> for a 257x256 input have shape 1x260, got 1x257}}
  %q, %s = vllm.quantize %y as <per_group 128, ue8m0_packed, mn_major, align 4> : tensor<257x256xbf16> -> tensor<257x256xf8E4M3FN>, tensor<1x257xi32, #vllm.scales<group 128, ue8m0_packed, mn_major, align 4>>
  return
}
