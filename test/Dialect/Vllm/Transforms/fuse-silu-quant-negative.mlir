// vllm-fuse-norm-quant must leave these silu_and_mul / quantize pairs alone
// (the cases of fuse-norm-quant-negative.mlir for the element-wise
// prologue). Each case checks that both ops are still there and no fused op
// appeared; the second RUN line checks that the pass changes nothing at all.
// RUN: vllm-opt %s -split-input-file --vllm-fuse-norm-quant | FileCheck %s
// RUN: vllm-opt %s -split-input-file --vllm-fuse-norm-quant > %t.fused
// RUN: vllm-opt %s -split-input-file > %t.plain
// RUN: diff %t.plain %t.fused

// The quantize reads a conversion of the product, not the product.
// CHECK-LABEL: func.func @input_is_other_op(
// CHECK-NOT: vllm.elementwise_quant
// CHECK: vllm.silu_and_mul
// CHECK-NEXT: arith.extf
// CHECK-NEXT: vllm.quantize
// CHECK-NOT: vllm.elementwise_quant
func.func @input_is_other_op(%x: tensor<?x512xbf16>) -> (tensor<?x256xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>) {
  %y = vllm.silu_and_mul %x : tensor<?x512xbf16> -> tensor<?x256xbf16>
  %y32 = arith.extf %y : tensor<?x256xbf16> to tensor<?x256xf32>
  %q, %s = vllm.quantize %y32 as <per_token> : tensor<?x256xf32> -> tensor<?x256xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>
  return %q, %s : tensor<?x256xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>
}

// -----

// The quantize is in a successor block.
// CHECK-LABEL: func.func @cross_block(
// CHECK-NOT: vllm.elementwise_quant
// CHECK: vllm.silu_and_mul
// CHECK: ^bb1:
// CHECK-NEXT: vllm.quantize
// CHECK-NOT: vllm.elementwise_quant
func.func @cross_block(%x: tensor<?x512xbf16>) -> (tensor<?x256xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>) {
  %y = vllm.silu_and_mul %x : tensor<?x512xbf16> -> tensor<?x256xbf16>
  cf.br ^bb1
^bb1:
  %q, %s = vllm.quantize %y as <per_token> : tensor<?x256xbf16> -> tensor<?x256xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>
  return %q, %s : tensor<?x256xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>
}

// -----

// The quantize is inside a conditional region and silu_and_mul outside.
// CHECK-LABEL: func.func @cross_region(
// CHECK-NOT: vllm.elementwise_quant
// CHECK: vllm.silu_and_mul
// CHECK: scf.if
// CHECK-NEXT: vllm.quantize
// CHECK-NOT: vllm.elementwise_quant
func.func @cross_region(%c: i1, %x: tensor<?x512xbf16>, %q0: tensor<?x256xf8E4M3FN>, %s0: tensor<?xf32, #vllm.scales<row>>) -> (tensor<?x256xbf16>, tensor<?x256xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>) {
  %y = vllm.silu_and_mul %x : tensor<?x512xbf16> -> tensor<?x256xbf16>
  %r:2 = scf.if %c -> (tensor<?x256xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>) {
    %q, %s = vllm.quantize %y as <per_token> : tensor<?x256xbf16> -> tensor<?x256xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>
    scf.yield %q, %s : tensor<?x256xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>
  } else {
    scf.yield %q0, %s0 : tensor<?x256xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>
  }
  return %y, %r#0, %r#1 : tensor<?x256xbf16>, tensor<?x256xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>
}

// -----

// A collapse that merges the last dimension into the rows is not the row
// flattening the prologue commutes with.
// CHECK-LABEL: func.func @collapse_merges_last(
// CHECK-NOT: vllm.elementwise_quant
// CHECK: vllm.silu_and_mul
// CHECK-NEXT: tensor.collapse_shape
// CHECK-NEXT: vllm.quantize
// CHECK-NOT: vllm.elementwise_quant
func.func @collapse_merges_last(%x: tensor<4x2x256xbf16>) -> (tensor<4x256xf8E4M3FN>, tensor<4xf32, #vllm.scales<row>>) {
  %y = vllm.silu_and_mul %x : tensor<4x2x256xbf16> -> tensor<4x2x128xbf16>
  %yc = tensor.collapse_shape %y [[0], [1, 2]] : tensor<4x2x128xbf16> into tensor<4x256xbf16>
  %q, %s = vllm.quantize %yc as <per_token> : tensor<4x256xbf16> -> tensor<4x256xf8E4M3FN>, tensor<4xf32, #vllm.scales<row>>
  return %q, %s : tensor<4x256xf8E4M3FN>, tensor<4xf32, #vllm.scales<row>>
}

// -----

// A slice of the rows between them.
// CHECK-LABEL: func.func @slice_between(
// CHECK-NOT: vllm.elementwise_quant
// CHECK: vllm.silu_and_mul
// CHECK-NEXT: tensor.extract_slice
// CHECK-NEXT: vllm.quantize
// CHECK-NOT: vllm.elementwise_quant
func.func @slice_between(%x: tensor<8x512xbf16>) -> (tensor<4x256xf8E4M3FN>, tensor<4xf32, #vllm.scales<row>>) {
  %y = vllm.silu_and_mul %x : tensor<8x512xbf16> -> tensor<8x256xbf16>
  %ys = tensor.extract_slice %y[0, 0] [4, 256] [1, 1] : tensor<8x256xbf16> to tensor<4x256xbf16>
  %q, %s = vllm.quantize %ys as <per_token> : tensor<4x256xbf16> -> tensor<4x256xf8E4M3FN>, tensor<4xf32, #vllm.scales<row>>
  return %q, %s : tensor<4x256xf8E4M3FN>, tensor<4xf32, #vllm.scales<row>>
}

// -----

func.func private @get_scale() -> tensor<1xf32, #vllm.scales<tensor>>
func.func private @consume(tensor<?x256xbf16>)

// The static scale is defined after silu_and_mul and the product has a user
// before the quantize: no place for the fused op dominates both.
// CHECK-LABEL: func.func @static_scale_late_with_early_user(
// CHECK-NOT: vllm.elementwise_quant
// CHECK: vllm.silu_and_mul
// CHECK-NEXT: call @consume
// CHECK-NEXT: call @get_scale
// CHECK-NEXT: vllm.quantize
// CHECK-NOT: vllm.elementwise_quant
func.func @static_scale_late_with_early_user(%x: tensor<?x512xbf16>) -> (tensor<?x256xf8E4M3FN>, tensor<1xf32, #vllm.scales<tensor>>) {
  %y = vllm.silu_and_mul %x : tensor<?x512xbf16> -> tensor<?x256xbf16>
  call @consume(%y) : (tensor<?x256xbf16>) -> ()
  %s = call @get_scale() : () -> tensor<1xf32, #vllm.scales<tensor>>
  %q, %sc = vllm.quantize %y scale(%s : tensor<1xf32, #vllm.scales<tensor>>) as <static_per_tensor> : tensor<?x256xbf16> -> tensor<?x256xf8E4M3FN>, tensor<1xf32, #vllm.scales<tensor>>
  return %q, %sc : tensor<?x256xf8E4M3FN>, tensor<1xf32, #vllm.scales<tensor>>
}

// -----

// silu_and_mul without a quantize stays as it is.
// CHECK-LABEL: func.func @no_quantize(
// CHECK-NOT: vllm.elementwise_quant
// CHECK: vllm.silu_and_mul
// CHECK-NOT: vllm.elementwise_quant
func.func @no_quantize(%x: tensor<?x512xbf16>) -> tensor<?x256xbf16> {
  %y = vllm.silu_and_mul %x : tensor<?x512xbf16> -> tensor<?x256xbf16>
  return %y : tensor<?x256xbf16>
}
