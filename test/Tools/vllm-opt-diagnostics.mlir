// vllm-opt prints a diagnostic with its source location only: the operation
// it is attached to (here a whole function) is printed ("see current
// operation") only when asked for with --mlir-print-op-on-diagnostic.
// RUN: not vllm-opt %s --convert-vllm-to-gpu=chip=sm_90a 2>&1 | FileCheck %s --implicit-check-not="see current operation"
// RUN: not vllm-opt %s --convert-vllm-to-gpu=chip=sm_90a --mlir-print-op-on-diagnostic 2>&1 | FileCheck %s --check-prefix=ASKED

// CHECK: vllm-opt-diagnostics.mlir:{{[0-9]+}}:1: error: 'func.func' op has control flow (several blocks); convert-vllm-to-gpu compiles straight-line functions of vllm ops
// ASKED: error: 'func.func' op has control flow
// ASKED: note: see current operation:
// ASKED-NEXT: "func.func"() <{{.*}}sym_name = "branchy"
func.func @branchy(%x: tensor<?x256xbf16>, %w: tensor<256xbf16>, %c: i1) -> tensor<?x256xbf16> {
  cf.cond_br %c, ^a, ^b
^a:
  %y = vllm.rms_norm %x, %w {epsilon = 1.0e-06 : f32} : (tensor<?x256xbf16>, tensor<256xbf16>) -> tensor<?x256xbf16>
  return %y : tensor<?x256xbf16>
^b:
  return %x : tensor<?x256xbf16>
}
