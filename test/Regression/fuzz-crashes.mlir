// Inputs vllm-fuzz found crashing or producing invalid IR (2026-12-05,
// docs/fuzzing.md), each the minimized input with the pipelines it failed
// in. Class 1: a zero-sized hidden dimension divided by zero in
// chooseRowConfig (UBSan), now SPEC C11's diagnostic. Class 2: a zero-sized
// leading dimension next to a dynamic one made convert-vllm-to-gpu emit a
// memref.collapse_shape to a static 0 rows, which its verifier rejects
// after the pass had reported success; the rows are now dynamic. Class 3
// (CI's 150 s run, 2026-12-05): a tensor.expand_shape whose static
// output_shape entry disagrees with its result type, which tensor's verifier
// accepts and memref's rejects, became an invalid memref.expand_shape; it is
// now diagnosed before the conversion. Class 4 (CI's 600 s run on 42021ee):
// a reshape reassociation index of 2^32 passes tensor's verifiers (they
// check it through affine maps, 32-bit) but not memref's; reassociations
// are now checked before the conversion.
// RUN: vllm-opt %s -split-input-file -verify-diagnostics --convert-vllm-to-gpu=chip=sm_100a
// RUN: vllm-opt %s -split-input-file -verify-diagnostics --convert-vllm-to-gpu=chip=sm_90a
// RUN: vllm-opt %s -split-input-file -verify-diagnostics --vllm-gpu-pipeline="chip=sm_100a format=ptx"
// The zero-hidden inputs fail (as above); the others convert:
// RUN: not vllm-opt %s -split-input-file --convert-vllm-to-gpu=chip=sm_90a 2>/dev/null | FileCheck %s

func.func @f(%x: tensor<?x0xbf16>, %w: tensor<0xbf16>) -> tensor<?x0xbf16> {
  // expected-error @+1 {{(C11) the hidden size (last dimension) must be positive, got 0}}
  %y = vllm.rms_norm %x, %w {epsilon = 1.0e-06 : f32} : (tensor<?x0xbf16>, tensor<0xbf16>) -> tensor<?x0xbf16>
  return %y : tensor<?x0xbf16>
}

// -----

func.func @f(%x: tensor<?x0xbf16>, %r: tensor<?x0xbf16>, %w: tensor<0xbf16>) -> (tensor<?x0xbf16>, tensor<?x0xbf16>) {
  // expected-error @+1 {{(C11) the hidden size (last dimension) must be positive, got 0}}
  %y, %ro = vllm.fused_add_rms_norm %x, %r, %w {epsilon = 1.0e-06 : f32} : (tensor<?x0xbf16>, tensor<?x0xbf16>, tensor<0xbf16>) -> (tensor<?x0xbf16>, tensor<?x0xbf16>)
  return %y, %ro : tensor<?x0xbf16>, tensor<?x0xbf16>
}

// -----

func.func @f(%y: tensor<?x0xbf16>) -> (tensor<?x0xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>) {
  // expected-error @+1 {{(C11) the hidden size (last dimension) must be positive, got 0}}
  %q, %s = vllm.quantize %y as <per_token> : tensor<?x0xbf16> -> tensor<?x0xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>
  return %q, %s : tensor<?x0xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>
}

// -----

func.func @f(%x: tensor<?x0xbf16>, %w: tensor<0xbf16>) -> (tensor<?x0xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>) {
  // expected-error @+1 {{(C11) the hidden size (last dimension) must be positive, got 0}}
  %q, %s = vllm.rms_norm_quant %x, %w as <per_token> {epsilon = 1.0e-06 : f32} : (tensor<?x0xbf16>, tensor<0xbf16>) -> (tensor<?x0xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>)
  return %q, %s : tensor<?x0xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>
}

// -----

func.func @f(%x: tensor<?x4096xbf16>, %w: tensor<4096xbf16>) -> tensor<2x?x4096xbf16> {
  %y = vllm.rms_norm %x, %w {epsilon = 1.0e-06 : f32} : (tensor<?x4096xbf16>, tensor<4096xbf16>) -> tensor<?x4096xbf16>
  %c0 = arith.constant 0 : index
  %d = tensor.dim %y, %c0 : tensor<?x4096xbf16>
  %c2 = arith.constant 2 : index
  %h = arith.divui %d, %c2 : index
  // expected-error @+1 {{'tensor.expand_shape' op has output_shape entry 2 = 2147483647 but its result type has size 4096 there; the two must agree}}
  %e = tensor.expand_shape %y [[0, 1], [2]] output_shape [2, %h, 2147483647] : tensor<?x4096xbf16> into tensor<2x?x4096xbf16>
  return %e : tensor<2x?x4096xbf16>
}

// -----

func.func @f(%x: tensor<2x?x1xbf16>, %w: tensor<1xbf16>) -> tensor<?x1xbf16> {
  %y = vllm.rms_norm %x, %w {epsilon = 1.0e-06 : f32} : (tensor<2x?x1xbf16>, tensor<1xbf16>) -> tensor<2x?x1xbf16>
  // expected-error @+1 {{'tensor.collapse_shape' op has reassociation index 4294967296 where 0 is expected; the indices must list the expanded dimensions 0..2 in order}}
  %c = tensor.collapse_shape %y [[4294967296, 1], [2]] : tensor<2x?x1xbf16> into tensor<?x1xbf16>
  return %c : tensor<?x1xbf16>
}

// -----

func.func @f(%x: tensor<?x1xbf16>, %w: tensor<1xbf16>) -> tensor<2x?x1xbf16> {
  %y = vllm.rms_norm %x, %w {epsilon = 1.0e-06 : f32} : (tensor<?x1xbf16>, tensor<1xbf16>) -> tensor<?x1xbf16>
  %c3 = arith.constant 3 : index
  // expected-error @+1 {{'tensor.expand_shape' op has reassociation index 4294967297 where 1 is expected; the indices must list the expanded dimensions 0..2 in order}}
  %e = tensor.expand_shape %y [[0, 4294967297], [2]] output_shape [2, %c3, 1] : tensor<?x1xbf16> into tensor<2x?x1xbf16>
  return %e : tensor<2x?x1xbf16>
}

// -----

// CHECK-LABEL: func.func @f(
// CHECK-SAME: memref<0x?x256xbf16>
// CHECK: memref.collapse_shape %{{.*}} {{\[}}[0, 1], [2]] : memref<0x?x256xbf16> into memref<?x256xbf16>
func.func @f(%x: tensor<0x?x256xbf16>, %w: tensor<256xbf16>) -> tensor<0x?x256xbf16> {
  %y = vllm.rms_norm %x, %w {epsilon = 1.0e-06 : f32} : (tensor<0x?x256xbf16>, tensor<256xbf16>) -> tensor<0x?x256xbf16>
  return %y : tensor<0x?x256xbf16>
}

// -----

// CHECK-LABEL: func.func @f(
// CHECK: memref.collapse_shape %{{.*}} {{\[}}[0, 1], [2]] : memref<0x?x256xbf16> into memref<?x256xbf16>
func.func @f(%x: tensor<0x?x256xbf16>, %r: tensor<0x?x256xbf16>, %w: tensor<256xbf16>) -> (tensor<0x?x256xbf16>, tensor<0x?x256xbf16>) {
  %y, %ro = vllm.fused_add_rms_norm %x, %r, %w {epsilon = 1.0e-06 : f32} : (tensor<0x?x256xbf16>, tensor<0x?x256xbf16>, tensor<256xbf16>) -> (tensor<0x?x256xbf16>, tensor<0x?x256xbf16>)
  return %y, %ro : tensor<0x?x256xbf16>, tensor<0x?x256xbf16>
}
