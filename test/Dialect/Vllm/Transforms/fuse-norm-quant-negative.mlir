// vllm-fuse-norm-quant must leave these alone: fusing them would not be an
// exact replacement, or is not supported. Each case checks that the norm and
// the quantize are still there and that no fused op appeared; the second
// RUN line checks that the pass changes nothing at all.
// RUN: vllm-opt %s -split-input-file --vllm-fuse-norm-quant | FileCheck %s
// RUN: vllm-opt %s -split-input-file --vllm-fuse-norm-quant > %t.fused
// RUN: vllm-opt %s -split-input-file > %t.plain
// RUN: diff %t.plain %t.fused

// The quantize's input is a function argument, not a norm.
// CHECK-LABEL: func.func @input_is_argument(
// CHECK-NOT: vllm.rms_norm_quant
// CHECK: vllm.quantize
// CHECK-NOT: vllm.rms_norm_quant
func.func @input_is_argument(%y: tensor<?x256xbf16>) -> (tensor<?x256xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>) {
  %q, %s = vllm.quantize %y as <per_token> : tensor<?x256xbf16> -> tensor<?x256xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>
  return %q, %s : tensor<?x256xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>
}

// -----

// The quantize reads another op (a conversion of the normalized tensor to
// f32), not the norm. The norm's element type and the quantize's input type
// differ, so there is no rms_norm_quant that computes this.
// CHECK-LABEL: func.func @input_is_other_op(
// CHECK-NOT: vllm.rms_norm_quant
// CHECK: vllm.rms_norm %
// CHECK-NEXT: arith.extf
// CHECK-NEXT: vllm.quantize
// CHECK-NOT: vllm.rms_norm_quant
func.func @input_is_other_op(%x: tensor<?x256xbf16>, %w: tensor<256xbf16>) -> (tensor<?x256xf8E4M3FN>, tensor<1xf32, #vllm.scales<tensor>>) {
  %y = vllm.rms_norm %x, %w {epsilon = 1.0e-06 : f32} : (tensor<?x256xbf16>, tensor<256xbf16>) -> tensor<?x256xbf16>
  %y32 = arith.extf %y : tensor<?x256xbf16> to tensor<?x256xf32>
  %q, %s = vllm.quantize %y32 as <dynamic_per_tensor> : tensor<?x256xf32> -> tensor<?x256xf8E4M3FN>, tensor<1xf32, #vllm.scales<tensor>>
  return %q, %s : tensor<?x256xf8E4M3FN>, tensor<1xf32, #vllm.scales<tensor>>
}

// -----

// The quantize reads residual_out (the sum), not the normalized tensor.
// CHECK-LABEL: func.func @input_is_residual_out(
// CHECK-NOT: vllm.rms_norm_quant
// CHECK: %{{.*}}, %[[R:.*]] = vllm.fused_add_rms_norm
// CHECK-NEXT: vllm.quantize %[[R]]
// CHECK-NOT: vllm.rms_norm_quant
func.func @input_is_residual_out(%x: tensor<?x256xbf16>, %res: tensor<?x256xbf16>, %w: tensor<256xbf16>) -> (tensor<?x256xbf16>, tensor<?x256xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>) {
  %y, %r = vllm.fused_add_rms_norm %x, %res, %w {epsilon = 1.0e-06 : f32} : (tensor<?x256xbf16>, tensor<?x256xbf16>, tensor<256xbf16>) -> (tensor<?x256xbf16>, tensor<?x256xbf16>)
  %q, %s = vllm.quantize %r as <per_token> : tensor<?x256xbf16> -> tensor<?x256xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>
  return %y, %q, %s : tensor<?x256xbf16>, tensor<?x256xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>
}

// -----

// The sequence crosses a block boundary: the quantize is in a successor
// block. A fused op in one block cannot replace a quantize in another.
// CHECK-LABEL: func.func @cross_block(
// CHECK-NOT: vllm.rms_norm_quant
// CHECK: vllm.rms_norm %
// CHECK: ^bb1:
// CHECK-NEXT: vllm.quantize
// CHECK-NOT: vllm.rms_norm_quant
func.func @cross_block(%x: tensor<?x256xbf16>, %w: tensor<256xbf16>) -> (tensor<?x256xf8E4M3FN>, tensor<1x?xi32, #vllm.scales<group 128, ue8m0_packed, mn_major, align 4>>) {
  %y = vllm.rms_norm %x, %w {epsilon = 1.0e-06 : f32} : (tensor<?x256xbf16>, tensor<256xbf16>) -> tensor<?x256xbf16>
  cf.br ^bb1
^bb1:
  %q, %s = vllm.quantize %y as <per_group 128, ue8m0_packed, mn_major, align 4> : tensor<?x256xbf16> -> tensor<?x256xf8E4M3FN>, tensor<1x?xi32, #vllm.scales<group 128, ue8m0_packed, mn_major, align 4>>
  return %q, %s : tensor<?x256xf8E4M3FN>, tensor<1x?xi32, #vllm.scales<group 128, ue8m0_packed, mn_major, align 4>>
}

// -----

// The quantize is inside a conditional region: fusing would compute the
// quantization unconditionally (or the norm conditionally).
// CHECK-LABEL: func.func @cross_region(
// CHECK-NOT: vllm.rms_norm_quant
// CHECK: vllm.fused_add_rms_norm
// CHECK: scf.if
// CHECK-NEXT: vllm.quantize
// CHECK-NOT: vllm.rms_norm_quant
func.func @cross_region(%x: tensor<?x256xbf16>, %res: tensor<?x256xbf16>, %w: tensor<256xbf16>, %c: i1, %m: index) -> (tensor<?x256xbf16>, tensor<?x256xf8E4M3FN>) {
  %y, %r = vllm.fused_add_rms_norm %x, %res, %w {epsilon = 1.0e-06 : f32} : (tensor<?x256xbf16>, tensor<?x256xbf16>, tensor<256xbf16>) -> (tensor<?x256xbf16>, tensor<?x256xbf16>)
  %out = scf.if %c -> tensor<?x256xf8E4M3FN> {
    %q, %s = vllm.quantize %y as <per_token> : tensor<?x256xbf16> -> tensor<?x256xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>
    scf.yield %q : tensor<?x256xf8E4M3FN>
  } else {
    %z = tensor.empty(%m) : tensor<?x256xf8E4M3FN>
    scf.yield %z : tensor<?x256xf8E4M3FN>
  }
  return %r, %out : tensor<?x256xbf16>, tensor<?x256xf8E4M3FN>
}

// -----

// A collapse that does not keep the hidden dimension ([B, S, 128] ->
// [B, S*128]) does not commute with the norm: the norm normalizes rows of
// 128, the quantize would see rows of 256.
// CHECK-LABEL: func.func @collapse_merges_hidden(
// CHECK-NOT: vllm.rms_norm_quant
// CHECK: vllm.rms_norm %
// CHECK-NEXT: tensor.collapse_shape
// CHECK-NEXT: vllm.quantize
// CHECK-NOT: vllm.rms_norm_quant
func.func @collapse_merges_hidden(%x: tensor<?x2x128xbf16>, %w: tensor<128xbf16>) -> (tensor<?x256xf8E4M3FN>, tensor<?x2xf32, #vllm.scales<group 128, f32, row_major>>) {
  %y = vllm.rms_norm %x, %w {epsilon = 1.0e-06 : f32} : (tensor<?x2x128xbf16>, tensor<128xbf16>) -> tensor<?x2x128xbf16>
  %yc = tensor.collapse_shape %y [[0], [1, 2]] : tensor<?x2x128xbf16> into tensor<?x256xbf16>
  %q, %s = vllm.quantize %yc as <per_group 128, f32, row_major> : tensor<?x256xbf16> -> tensor<?x256xf8E4M3FN>, tensor<?x2xf32, #vllm.scales<group 128, f32, row_major>>
  return %q, %s : tensor<?x256xf8E4M3FN>, tensor<?x2xf32, #vllm.scales<group 128, f32, row_major>>
}

// -----

// Any other reshape-like op between them (here a slice of the rows) is not
// looked through.
// CHECK-LABEL: func.func @slice_between(
// CHECK-NOT: vllm.rms_norm_quant
// CHECK: vllm.rms_norm %
// CHECK-NEXT: tensor.extract_slice
// CHECK-NEXT: vllm.quantize
// CHECK-NOT: vllm.rms_norm_quant
func.func @slice_between(%x: tensor<8x256xbf16>, %w: tensor<256xbf16>) -> (tensor<4x256xf8E4M3FN>, tensor<4xf32, #vllm.scales<row>>) {
  %y = vllm.rms_norm %x, %w {epsilon = 1.0e-06 : f32} : (tensor<8x256xbf16>, tensor<256xbf16>) -> tensor<8x256xbf16>
  %ys = tensor.extract_slice %y[0, 0] [4, 256] [1, 1] : tensor<8x256xbf16> to tensor<4x256xbf16>
  %q, %s = vllm.quantize %ys as <per_token> : tensor<4x256xbf16> -> tensor<4x256xf8E4M3FN>, tensor<4xf32, #vllm.scales<row>>
  return %q, %s : tensor<4x256xf8E4M3FN>, tensor<4xf32, #vllm.scales<row>>
}

// -----

// The static scale is defined after the norm, so the fused op could only go
// where the quantize is; but residual_out is used before that point, and the
// fused op would not dominate that use. Left alone.
// CHECK-LABEL: func.func @static_scale_late_with_early_user(
// CHECK-NOT: vllm.rms_norm_quant
// CHECK: vllm.fused_add_rms_norm
// CHECK-NEXT: call @consume
// CHECK-NEXT: call @get_scale
// CHECK-NEXT: vllm.quantize
// CHECK-NOT: vllm.rms_norm_quant
func.func private @get_scale() -> tensor<1xf32, #vllm.scales<tensor>>
func.func private @consume(tensor<?x256xbf16>)
func.func @static_scale_late_with_early_user(%x: tensor<?x256xbf16>, %res: tensor<?x256xbf16>, %w: tensor<256xbf16>) -> (tensor<?x256xf8E4M3FN>, tensor<1xf32, #vllm.scales<tensor>>) {
  %y, %r = vllm.fused_add_rms_norm %x, %res, %w {epsilon = 1.0e-06 : f32} : (tensor<?x256xbf16>, tensor<?x256xbf16>, tensor<256xbf16>) -> (tensor<?x256xbf16>, tensor<?x256xbf16>)
  func.call @consume(%r) : (tensor<?x256xbf16>) -> ()
  %sc = func.call @get_scale() : () -> tensor<1xf32, #vllm.scales<tensor>>
  %q, %s = vllm.quantize %y scale(%sc : tensor<1xf32, #vllm.scales<tensor>>) as <static_per_tensor> : tensor<?x256xbf16> -> tensor<?x256xf8E4M3FN>, tensor<1xf32, #vllm.scales<tensor>>
  return %q, %s : tensor<?x256xf8E4M3FN>, tensor<1xf32, #vllm.scales<tensor>>
}

// -----

// A norm without a quantize stays a norm.
// CHECK-LABEL: func.func @no_quantize(
// CHECK-NOT: vllm.rms_norm_quant
// CHECK: vllm.rms_norm %
func.func @no_quantize(%x: tensor<?x256xbf16>, %w: tensor<256xbf16>) -> tensor<?x256xbf16> {
  %y = vllm.rms_norm %x, %w {epsilon = 1.0e-06 : f32} : (tensor<?x256xbf16>, tensor<256xbf16>) -> tensor<?x256xbf16>
  return %y : tensor<?x256xbf16>
}
