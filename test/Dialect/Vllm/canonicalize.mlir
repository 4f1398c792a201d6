// Canonicalization patterns of the vllm dialect.
// RUN: vllm-opt %s -split-input-file -canonicalize | FileCheck %s

// The scales result of a static quantization is its scale operand.
// CHECK-LABEL: func.func @forward_static_scale
// CHECK-SAME: (%[[Y:[^:]*]]: tensor<?x256xbf16>, %[[S:.*]]: tensor<1xf32, #vllm.scales<tensor>>)
// CHECK: %[[Q:.*]], %{{.*}} = vllm.quantize %[[Y]] scale(%[[S]]
// CHECK: return %[[Q]], %[[S]]
func.func @forward_static_scale(%y: tensor<?x256xbf16>, %s: tensor<1xf32, #vllm.scales<tensor>>) -> (tensor<?x256xf8E4M3FN>, tensor<1xf32, #vllm.scales<tensor>>) {
  %q, %s1 = vllm.quantize %y scale(%s : tensor<1xf32, #vllm.scales<tensor>>) as <static_per_tensor> : tensor<?x256xbf16> -> tensor<?x256xf8E4M3FN>, tensor<1xf32, #vllm.scales<tensor>>
  return %q, %s1 : tensor<?x256xf8E4M3FN>, tensor<1xf32, #vllm.scales<tensor>>
}

// -----

// Same for the fused op.
// CHECK-LABEL: func.func @forward_static_scale_fused
// CHECK-SAME: %[[S:[^:]*]]: tensor<1xf32, #vllm.scales<tensor>>)
// CHECK: %[[Q:.*]], %{{.*}} = vllm.rms_norm_quant
// CHECK: return %[[Q]], %[[S]]
func.func @forward_static_scale_fused(%x: tensor<?x256xbf16>, %w: tensor<256xbf16>, %s: tensor<1xf32, #vllm.scales<tensor>>) -> (tensor<?x256xf8E4M3FN>, tensor<1xf32, #vllm.scales<tensor>>) {
  %q, %s1 = vllm.rms_norm_quant %x, %w scale(%s) as <static_per_tensor> {epsilon = 1.0e-06 : f32} : (tensor<?x256xbf16>, tensor<256xbf16>, tensor<1xf32, #vllm.scales<tensor>>) -> (tensor<?x256xf8E4M3FN>, tensor<1xf32, #vllm.scales<tensor>>)
  return %q, %s1 : tensor<?x256xf8E4M3FN>, tensor<1xf32, #vllm.scales<tensor>>
}

// -----

// Dynamic scales are computed, so nothing is forwarded.
// CHECK-LABEL: func.func @keep_dynamic_scale
// CHECK: %[[Q:.*]], %[[S:.*]] = vllm.quantize
// CHECK: return %[[Q]], %[[S]]
func.func @keep_dynamic_scale(%y: tensor<?x256xbf16>) -> (tensor<?x256xf8E4M3FN>, tensor<1xf32, #vllm.scales<tensor>>) {
  %q, %s = vllm.quantize %y as <dynamic_per_tensor> : tensor<?x256xbf16> -> tensor<?x256xf8E4M3FN>, tensor<1xf32, #vllm.scales<tensor>>
  return %q, %s : tensor<?x256xf8E4M3FN>, tensor<1xf32, #vllm.scales<tensor>>
}

// -----

// An unused normalized result is dropped, so the kernel writes one tensor
// fewer; the residual_out result stays.
// CHECK-LABEL: func.func @drop_unused_normalized
// CHECK: %[[Q:.*]], %[[S:.*]], %[[R:.*]] = vllm.rms_norm_quant {{.*}} -> (tensor<?x256xf8E4M3FN>, tensor<?x2xf32, #vllm.scales<group 128, f32, row_major>>, tensor<?x256xbf16>)
// CHECK: return %[[Q]], %[[S]], %[[R]]
func.func @drop_unused_normalized(%x: tensor<?x256xbf16>, %w: tensor<256xbf16>, %r: tensor<?x256xbf16>) -> (tensor<?x256xf8E4M3FN>, tensor<?x2xf32, #vllm.scales<group 128, f32, row_major>>, tensor<?x256xbf16>) {
  %q, %s, %ro, %n = vllm.rms_norm_quant %x, %w residual(%r) as <per_group 128, f32, row_major> {epsilon = 1.0e-06 : f32} : (tensor<?x256xbf16>, tensor<256xbf16>, tensor<?x256xbf16>) -> (tensor<?x256xf8E4M3FN>, tensor<?x2xf32, #vllm.scales<group 128, f32, row_major>>, tensor<?x256xbf16>, tensor<?x256xbf16>)
  return %q, %s, %ro : tensor<?x256xf8E4M3FN>, tensor<?x2xf32, #vllm.scales<group 128, f32, row_major>>, tensor<?x256xbf16>
}

// -----

// A used normalized result stays.
// CHECK-LABEL: func.func @keep_used_normalized
// CHECK: %[[Q:.*]], %[[S:.*]], %[[N:.*]] = vllm.rms_norm_quant
// CHECK: return %[[Q]], %[[N]]
func.func @keep_used_normalized(%x: tensor<?x256xbf16>, %w: tensor<256xbf16>) -> (tensor<?x256xf8E4M3FN>, tensor<?x256xbf16>) {
  %q, %s, %n = vllm.rms_norm_quant %x, %w as <per_token> {epsilon = 1.0e-06 : f32} : (tensor<?x256xbf16>, tensor<256xbf16>) -> (tensor<?x256xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>, tensor<?x256xbf16>)
  return %q, %n : tensor<?x256xf8E4M3FN>, tensor<?x256xbf16>
}

// -----

// Unused pure ops are erased.
// CHECK-LABEL: func.func @dead_ops
// CHECK-NOT: vllm.
// CHECK: return
func.func @dead_ops(%x: tensor<?x256xbf16>, %w: tensor<256xbf16>) {
  %y = vllm.rms_norm %x, %w {epsilon = 1.0e-06 : f32} : (tensor<?x256xbf16>, tensor<256xbf16>) -> tensor<?x256xbf16>
  %q, %s = vllm.quantize %y as <per_token> : tensor<?x256xbf16> -> tensor<?x256xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>
  return
}

// -----

// elementwise_quant: the static scale is forwarded, an unused product
// dropped (the kernel then writes one tensor fewer), a used one kept.
// CHECK-LABEL: func.func @elementwise_quant
// CHECK-SAME: (%[[X:[^:]*]]: tensor<?x256xbf16>, %[[S:[^:]*]]: tensor<1xf32, #vllm.scales<tensor>>)
// CHECK: %[[Q:.*]], %{{.*}} = vllm.elementwise_quant silu_and_mul(%[[X]]) scale(%[[S]] : tensor<1xf32, #vllm.scales<tensor>>) as <static_per_tensor> : tensor<?x256xbf16> -> tensor<?x128xf8E4M3FN>, tensor<1xf32, #vllm.scales<tensor>>{{$}}
// CHECK: %[[Q2:.*]], %[[S2:.*]], %[[Y2:.*]] = vllm.elementwise_quant silu_and_mul(%[[X]]) as <per_token> : tensor<?x256xbf16> -> tensor<?x128xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>, tensor<?x128xbf16>
// CHECK: return %[[Q]], %[[S]], %[[Q2]], %[[S2]], %[[Y2]]
func.func @elementwise_quant(%x: tensor<?x256xbf16>, %s: tensor<1xf32, #vllm.scales<tensor>>) -> (tensor<?x128xf8E4M3FN>, tensor<1xf32, #vllm.scales<tensor>>, tensor<?x128xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>, tensor<?x128xbf16>) {
  %q, %s1, %y = vllm.elementwise_quant silu_and_mul(%x) scale(%s : tensor<1xf32, #vllm.scales<tensor>>) as <static_per_tensor> : tensor<?x256xbf16> -> tensor<?x128xf8E4M3FN>, tensor<1xf32, #vllm.scales<tensor>>, tensor<?x128xbf16>
  %q2, %s2, %y2 = vllm.elementwise_quant silu_and_mul(%x) as <per_token> : tensor<?x256xbf16> -> tensor<?x128xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>, tensor<?x128xbf16>
  return %q, %s1, %q2, %s2, %y2 : tensor<?x128xf8E4M3FN>, tensor<1xf32, #vllm.scales<tensor>>, tensor<?x128xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>, tensor<?x128xbf16>
}
