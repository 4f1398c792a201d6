// Diagnostics of the buffer forms (SPEC.md 3.9): C14 (layout, memory space,
// scale formats), C15 (aliasing), and the tensor ops' constraints, which
// apply to the buffers unchanged.
// RUN: vllm-opt %s -split-input-file -verify-diagnostics

func.func @strided(%x: memref<?x7168xbf16, strided<[8192, 1]>>, %w: memref<7168xbf16>, %y: memref<?x7168xbf16>) {
  // expected-error @+1 {{'vllm.buffer.rms_norm' op (C14) operand #0 of type 'memref<?x7168xbf16, strided<[8192, 1]>>' must have the identity layout (contiguous, row-major) and the default memory space}}
  vllm.buffer.rms_norm %x, %w into %y {epsilon = 1.0e-06 : f32} : memref<?x7168xbf16, strided<[8192, 1]>>, memref<7168xbf16> into memref<?x7168xbf16>
  return
}

// -----

func.func @memory_space(%x: memref<?x7168xbf16>, %w: memref<7168xbf16>, %y: memref<?x7168xbf16, 3>) {
  // expected-error @+1 {{(C14) operand #2 of type 'memref<?x7168xbf16, 3>' must have the identity layout}}
  vllm.buffer.rms_norm %x, %w into %y {epsilon = 1.0e-06 : f32} : memref<?x7168xbf16>, memref<7168xbf16> into memref<?x7168xbf16, 3>
  return
}

// -----

func.func @output_is_input(%x: memref<?x7168xbf16>, %w: memref<7168xbf16>) {
  // expected-error @+1 {{(C15) the output buffer <block argument> of type 'memref<?x7168xbf16>' at index: 0 is also another operand of the op; only residual_out may be the residual buffer itself}}
  vllm.buffer.rms_norm %x, %w into %x {epsilon = 1.0e-06 : f32} : memref<?x7168xbf16>, memref<7168xbf16> into memref<?x7168xbf16>
  return
}

// -----

// The result may not be the residual buffer, only residual_out may.
func.func @result_is_residual(%x: memref<?x7168xbf16>, %res: memref<?x7168xbf16>, %w: memref<7168xbf16>, %y: memref<?x7168xbf16>) {
  // expected-error @+1 {{(C15) the output buffer <block argument> of type 'memref<?x7168xbf16>' at index: 1 is also another operand of the op}}
  vllm.buffer.fused_add_rms_norm %x, %res, %w into %res, %y {epsilon = 1.0e-06 : f32} : memref<?x7168xbf16>, memref<?x7168xbf16>, memref<7168xbf16> into memref<?x7168xbf16>, memref<?x7168xbf16>
  return
}

// -----

// Both outputs in one buffer.
func.func @same_outputs(%x: memref<?x7168xbf16>, %res: memref<?x7168xbf16>, %w: memref<7168xbf16>, %y: memref<?x7168xbf16>) {
  // expected-error @+1 {{(C15) the output buffer <block argument> of type 'memref<?x7168xbf16>' at index: 3 is also another operand of the op}}
  vllm.buffer.fused_add_rms_norm %x, %res, %w into %y, %y {epsilon = 1.0e-06 : f32} : memref<?x7168xbf16>, memref<?x7168xbf16>, memref<7168xbf16> into memref<?x7168xbf16>, memref<?x7168xbf16>
  return
}

// -----

func.func @result_type(%x: memref<?x7168xbf16>, %w: memref<7168xbf16>, %y: memref<?x7168xf16>) {
  // expected-error @+1 {{(C3) result type 'memref<?x7168xf16>' differs from the input type 'memref<?x7168xbf16>'}}
  vllm.buffer.rms_norm %x, %w into %y {epsilon = 1.0e-06 : f32} : memref<?x7168xbf16>, memref<7168xbf16> into memref<?x7168xf16>
  return
}

// -----

func.func @weight(%x: memref<?x7168xbf16>, %w: memref<4096xbf16>, %y: memref<?x7168xbf16>) {
  // expected-error @+1 {{(C1) weight length 4096 does not match the hidden size 7168}}
  vllm.buffer.rms_norm %x, %w into %y {epsilon = 1.0e-06 : f32} : memref<?x7168xbf16>, memref<4096xbf16> into memref<?x7168xbf16>
  return
}

// -----

// The scale buffer has no encoding: its shape must be the scheme's.
func.func @scales_shape(%y: memref<?x7168xbf16>, %q: memref<?x7168xf8E4M3FN>, %s: memref<56x?xi32>) {
  // expected-error @+1 {{(C8) scales in format #vllm.scales<group 128, ue8m0_packed, mn_major, align 4> for a ?x7168 input have shape 14x?, got 56x?}}
  vllm.buffer.quantize %y as <per_group 128, ue8m0_packed, mn_major, align 4> into %q, %s : memref<?x7168xbf16> into memref<?x7168xf8E4M3FN>, memref<56x?xi32>
  return
}

// -----

func.func @scales_type(%y: memref<?x7168xbf16>, %q: memref<?x7168xf8E4M3FN>, %s: memref<56x?xi32>) {
  // expected-error @+1 {{(C8) scales in format #vllm.scales<group 128, f32, mn_major, align 4> have element type 'f32', got 'i32'}}
  vllm.buffer.quantize %y as <per_group 128, f32, mn_major, align 4> into %q, %s : memref<?x7168xbf16> into memref<?x7168xf8E4M3FN>, memref<56x?xi32>
  return
}

// -----

func.func @static_scale(%y: memref<?x7168xbf16>, %q: memref<?x7168xf8E4M3FN>, %s0: memref<2xf32>, %s1: memref<1xf32>) {
  // expected-error @+1 {{(C7) the static scale must have type 'memref<1xf32>', got 'memref<2xf32>'}}
  vllm.buffer.quantize %y scale(%s0 : memref<2xf32>) as <static_per_tensor> into %q, %s1 : memref<?x7168xbf16> into memref<?x7168xf8E4M3FN>, memref<1xf32>
  return
}

// -----

func.func @residual_out_without_residual(%x: memref<?x7168xbf16>, %w: memref<7168xbf16>, %q: memref<?x7168xf8E4M3FN>, %s: memref<?xf32>, %r: memref<?x7168xbf16>) {
  // expected-error @+1 {{returns residual_out if and only if it takes a residual}}
  vllm.buffer.rms_norm_quant %x, %w as <per_token> into %q, %s residual_out(%r : memref<?x7168xbf16>) {epsilon = 1.0e-06 : f32} : memref<?x7168xbf16>, memref<7168xbf16> into memref<?x7168xf8E4M3FN>, memref<?xf32>
  return
}

// -----

func.func @product_type(%x: memref<?x4096xbf16>, %q: memref<?x2048xf8E4M3FN>, %s: memref<16x?xf32>, %y: memref<?x4096xbf16>) {
  // expected-error @+1 {{(C13) the silu_and_mul result must have type 'memref<?x2048xbf16>', got 'memref<?x4096xbf16>'}}
  vllm.buffer.elementwise_quant silu_and_mul(%x) as <per_group 128, f32, mn_major, align 4> into %q, %s product(%y : memref<?x4096xbf16>) : memref<?x4096xbf16> into memref<?x2048xf8E4M3FN>, memref<16x?xf32>
  return
}

// -----

func.func @matmul_scales(%a: memref<?x7168xf8E4M3FN>, %b: memref<2112x7168xf8E4M3FN>, %sa: memref<14x?xi32>, %sb: memref<56x17xf32>, %d: memref<?x2112xbf16>) {
  // expected-error @+1 {{(C8) weight scales in format #vllm.scales<block 128x128, f32> must be 'memref<17x56xf32>', got 'memref<56x17xf32>'}}
  vllm.buffer.scaled_matmul %a, %b scales(%sa as <group 128, ue8m0_packed, mn_major, align 4>, %sb as <block 128x128, f32>) into %d : memref<?x7168xf8E4M3FN>, memref<2112x7168xf8E4M3FN>, memref<14x?xi32>, memref<56x17xf32> into memref<?x2112xbf16>
  return
}

// -----

func.func @matmul_chip(%a: memref<?x7168xf8E4M3FN>, %b: memref<2112x7168xf8E4M3FN>, %sa: memref<56x?xf32>, %sb: memref<17x56xf32>, %d: memref<?x2112xbf16>) {
  // expected-error @+1 {{(C10) the GEMM on sm_100a consumes activation scales as ue8m0_packed, mn_major, align 4, got #vllm.scales<group 128, f32, mn_major, align 4>}}
  vllm.buffer.scaled_matmul %a, %b scales(%sa as <group 128, f32, mn_major, align 4>, %sb as <block 128x128, f32>) chip <sm_100a> into %d : memref<?x7168xf8E4M3FN>, memref<2112x7168xf8E4M3FN>, memref<56x?xf32>, memref<17x56xf32> into memref<?x2112xbf16>
  return
}

// -----

func.func @silu_shape(%x: memref<?x4096xbf16>, %y: memref<?x4096xbf16>) {
  // expected-error @+1 {{(C12) result shape ?x4096 must be ?x2048 (the input's rows, half its last dimension)}}
  vllm.buffer.silu_and_mul %x into %y : memref<?x4096xbf16> into memref<?x4096xbf16>
  return
}
