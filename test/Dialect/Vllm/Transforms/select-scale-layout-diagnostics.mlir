// vllm-select-scale-layout: what it leaves alone, with a warning on each
// matmul that stays without a chip. (Errors for a bad `chip` option:
// select-scale-layout-{missing,unknown}-chip.mlir.)
// RUN: vllm-opt %s -split-input-file -verify-diagnostics --vllm-select-scale-layout=chip=sm_100a | FileCheck %s

// The scales also feed the return: changing their format would change what
// the caller reads. The producer stays as it is.
// CHECK-LABEL: func.func @scales_escape(
// CHECK: vllm.quantize %{{.*}} as <per_group 128, f32, row_major>
// CHECK-NOT: chip
// CHECK: return
func.func @scales_escape(%y: tensor<?x256xbf16>, %b: tensor<128x256xf8E4M3FN>, %sb: tensor<1x2xf32, #vllm.scales<block 128x128, f32>>) -> (tensor<?x128xbf16>, tensor<?x2xf32, #vllm.scales<group 128, f32, row_major>>) {
  %q, %s = vllm.quantize %y as <per_group 128, f32, row_major> : tensor<?x256xbf16> -> tensor<?x256xf8E4M3FN>, tensor<?x2xf32, #vllm.scales<group 128, f32, row_major>>
  // expected-warning @+1 {{activation scales #vllm.scales<group 128, f32, row_major> are not in the format sm_100a consumes (ue8m0_packed, mn_major, align 4); the chip is not recorded: their producer also feeds 'func.return', which would read a different format}}
  %d = vllm.scaled_matmul %q, %b scales(%s, %sb) : (tensor<?x256xf8E4M3FN>, tensor<128x256xf8E4M3FN>, tensor<?x2xf32, #vllm.scales<group 128, f32, row_major>>, tensor<1x2xf32, #vllm.scales<block 128x128, f32>>) -> tensor<?x128xbf16>
  // expected-note @+1 {{other user here}}
  return %d, %s : tensor<?x128xbf16>, tensor<?x2xf32, #vllm.scales<group 128, f32, row_major>>
}

// -----

// The quantized output also feeds another op: re-quantizing with other
// scales would change its bits.
// CHECK-LABEL: func.func @output_escapes(
// CHECK: vllm.quantize %{{.*}} as <per_group 128, ue8m0_f32, row_major>
// CHECK-NOT: chip
// CHECK: return
func.func private @consume(tensor<?x256xf8E4M3FN>)
func.func @output_escapes(%y: tensor<?x256xbf16>, %b: tensor<128x256xf8E4M3FN>, %sb: tensor<1x2xf32, #vllm.scales<block 128x128, f32>>) -> tensor<?x128xbf16> {
  %q, %s = vllm.quantize %y as <per_group 128, ue8m0_f32, row_major> : tensor<?x256xbf16> -> tensor<?x256xf8E4M3FN>, tensor<?x2xf32, #vllm.scales<group 128, ue8m0_f32, row_major>>
  // expected-note @+1 {{other user here}}
  func.call @consume(%q) : (tensor<?x256xf8E4M3FN>) -> ()
  // expected-warning @+1 {{their producer also feeds 'func.call'}}
  %d = vllm.scaled_matmul %q, %b scales(%s, %sb) : (tensor<?x256xf8E4M3FN>, tensor<128x256xf8E4M3FN>, tensor<?x2xf32, #vllm.scales<group 128, ue8m0_f32, row_major>>, tensor<1x2xf32, #vllm.scales<block 128x128, f32>>) -> tensor<?x128xbf16>
  return %d : tensor<?x128xbf16>
}

// -----

// Two matmuls that need different formats: one already records sm_90a (a
// recorded chip is kept), the other would get sm_100a. No single format
// serves both, so the producer stays in the sm_90a format and only the
// sm_100a one is reported.
// CHECK-LABEL: func.func @conflicting_chips(
// CHECK: vllm.quantize %{{.*}} as <per_group 128, f32, mn_major, align 4>
// CHECK-NEXT: vllm.scaled_matmul {{.*}} chip <sm_90a>
// CHECK-NEXT: vllm.scaled_matmul
// CHECK-NOT: chip
// CHECK-SAME: -> tensor<?x128xbf16>
func.func @conflicting_chips(%y: tensor<?x256xbf16>, %b: tensor<128x256xf8E4M3FN>, %sb: tensor<1x2xf32, #vllm.scales<block 128x128, f32>>) -> (tensor<?x128xbf16>, tensor<?x128xbf16>) {
  %q, %s = vllm.quantize %y as <per_group 128, f32, mn_major, align 4> : tensor<?x256xbf16> -> tensor<?x256xf8E4M3FN>, tensor<2x?xf32, #vllm.scales<group 128, f32, mn_major, align 4>>
  // expected-note @+1 {{conflicting matmul here}}
  %d1 = vllm.scaled_matmul %q, %b scales(%s, %sb) chip <sm_90a> : (tensor<?x256xf8E4M3FN>, tensor<128x256xf8E4M3FN>, tensor<2x?xf32, #vllm.scales<group 128, f32, mn_major, align 4>>, tensor<1x2xf32, #vllm.scales<block 128x128, f32>>) -> tensor<?x128xbf16>
  // expected-warning @+1 {{their producer also feeds a scaled_matmul for another chip}}
  %d2 = vllm.scaled_matmul %q, %b scales(%s, %sb) : (tensor<?x256xf8E4M3FN>, tensor<128x256xf8E4M3FN>, tensor<2x?xf32, #vllm.scales<group 128, f32, mn_major, align 4>>, tensor<1x2xf32, #vllm.scales<block 128x128, f32>>) -> tensor<?x128xbf16>
  return %d1, %d2 : tensor<?x128xbf16>, tensor<?x128xbf16>
}

// -----

// Scales that come from a function argument cannot be re-laid out here.
// CHECK-LABEL: func.func @scales_from_argument(
// CHECK: vllm.scaled_matmul
// CHECK-NOT: chip
// CHECK-SAME: -> tensor<?x128xbf16>
func.func @scales_from_argument(%q: tensor<?x256xf8E4M3FN>, %s: tensor<?x2xf32, #vllm.scales<group 128, f32, row_major>>, %b: tensor<128x256xf8E4M3FN>, %sb: tensor<1x2xf32, #vllm.scales<block 128x128, f32>>) -> tensor<?x128xbf16> {
  // expected-warning @+1 {{the chip is not recorded: they are not produced by vllm.quantize, vllm.rms_norm_quant or vllm.elementwise_quant}}
  %d = vllm.scaled_matmul %q, %b scales(%s, %sb) : (tensor<?x256xf8E4M3FN>, tensor<128x256xf8E4M3FN>, tensor<?x2xf32, #vllm.scales<group 128, f32, row_major>>, tensor<1x2xf32, #vllm.scales<block 128x128, f32>>) -> tensor<?x128xbf16>
  return %d : tensor<?x128xbf16>
}

// -----

// Scales from an argument that are already in the chip's format are fine:
// the matmul records the chip, no warning.
// CHECK-LABEL: func.func @consumable_argument(
// CHECK: vllm.scaled_matmul {{.*}} chip <sm_100a>
func.func @consumable_argument(%q: tensor<?x256xf8E4M3FN>, %s: tensor<1x?xi32, #vllm.scales<group 128, ue8m0_packed, mn_major, align 4>>, %b: tensor<128x256xf8E4M3FN>, %sb: tensor<1x2xf32, #vllm.scales<block 128x128, f32>>) -> tensor<?x128xbf16> {
  %d = vllm.scaled_matmul %q, %b scales(%s, %sb) : (tensor<?x256xf8E4M3FN>, tensor<128x256xf8E4M3FN>, tensor<1x?xi32, #vllm.scales<group 128, ue8m0_packed, mn_major, align 4>>, tensor<1x2xf32, #vllm.scales<block 128x128, f32>>) -> tensor<?x128xbf16>
  return %d : tensor<?x128xbf16>
}

// -----

// A quantize that feeds no matmul is not touched, and nothing is reported.
// CHECK-LABEL: func.func @no_matmul(
// CHECK: vllm.quantize %{{.*}} as <per_group 128, f32, row_major>
func.func @no_matmul(%y: tensor<?x256xbf16>) -> (tensor<?x256xf8E4M3FN>, tensor<?x2xf32, #vllm.scales<group 128, f32, row_major>>) {
  %q, %s = vllm.quantize %y as <per_group 128, f32, row_major> : tensor<?x256xbf16> -> tensor<?x256xf8E4M3FN>, tensor<?x2xf32, #vllm.scales<group 128, f32, row_major>>
  return %q, %s : tensor<?x256xf8E4M3FN>, tensor<?x2xf32, #vllm.scales<group 128, f32, row_major>>
}

// -----

// The same for the fused down-projection site: its scales also feed the
// return, so elementwise_quant keeps its scheme.
// CHECK-LABEL: func.func @elementwise_quant_scales_escape(
// CHECK: vllm.elementwise_quant silu_and_mul(%{{.*}}) as <per_group 128, f32, row_major>
// CHECK-NOT: chip
// CHECK: return
func.func @elementwise_quant_scales_escape(%x: tensor<?x512xbf16>, %b: tensor<128x256xf8E4M3FN>, %sb: tensor<1x2xf32, #vllm.scales<block 128x128, f32>>) -> (tensor<?x128xbf16>, tensor<?x2xf32, #vllm.scales<group 128, f32, row_major>>) {
  %q, %s = vllm.elementwise_quant silu_and_mul(%x) as <per_group 128, f32, row_major> : tensor<?x512xbf16> -> tensor<?x256xf8E4M3FN>, tensor<?x2xf32, #vllm.scales<group 128, f32, row_major>>
  // expected-warning @+1 {{the chip is not recorded: their producer also feeds 'func.return', which would read a different format}}
  %d = vllm.scaled_matmul %q, %b scales(%s, %sb) : (tensor<?x256xf8E4M3FN>, tensor<128x256xf8E4M3FN>, tensor<?x2xf32, #vllm.scales<group 128, f32, row_major>>, tensor<1x2xf32, #vllm.scales<block 128x128, f32>>) -> tensor<?x128xbf16>
  // expected-note @+1 {{other user here}}
  return %d, %s : tensor<?x128xbf16>, tensor<?x2xf32, #vllm.scales<group 128, f32, row_major>>
}
