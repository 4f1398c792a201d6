// `round_before_weight` (SPEC.md 3.1: y = RN_T(RN_T(x * r) * w), the two
// roundings of Hugging Face's RMSNorm and vLLM's kernels) is part of the
// norm's semantics: it round-trips, every pass that rebuilds a norm keeps
// it (the fusion into rms_norm_quant, the scale-layout selection,
// canonicalization, bufferization), and a norm without it never gains it.
// RUN: vllm-opt %s | vllm-opt | FileCheck %s --check-prefix=ROUNDTRIP
// RUN: vllm-opt %s --vllm-fuse-norm-quant | FileCheck %s --check-prefix=FUSE
// RUN: vllm-opt %s --vllm-fuse-norm-quant --vllm-select-scale-layout=chip=sm_90a -canonicalize | FileCheck %s --check-prefix=LAYOUT
// RUN: vllm-opt %s --vllm-fuse-norm-quant --one-shot-bufferize="bufferize-function-boundaries function-boundary-type-conversion=identity-layout-map" | FileCheck %s --check-prefix=BUFFER

// ROUNDTRIP-LABEL: func.func @hf_norm(
// ROUNDTRIP: vllm.rms_norm %{{.*}}, %{{.*}} {epsilon = 9.99999997E-7 : f32, round_before_weight} :
// FUSE-LABEL: func.func @hf_norm(
// FUSE: vllm.rms_norm_quant %{{.*}}, %{{.*}} as <per_token> {epsilon = 9.99999997E-7 : f32, round_before_weight} :
// FUSE-NOT: vllm.rms_norm %
// BUFFER-LABEL: func.func @hf_norm(
// BUFFER: vllm.buffer.rms_norm_quant {{.*}} as <per_token> into {{.*}} {epsilon = 9.99999997E-7 : f32, round_before_weight} :
func.func @hf_norm(%x: tensor<?x7168xbf16>, %w: tensor<7168xbf16>) -> (tensor<?x7168xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>) {
  %y = vllm.rms_norm %x, %w {epsilon = 1.0e-06 : f32, round_before_weight} : (tensor<?x7168xbf16>, tensor<7168xbf16>) -> tensor<?x7168xbf16>
  %q, %s = vllm.quantize %y as <per_token> : tensor<?x7168xbf16> -> tensor<?x7168xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>
  return %q, %s : tensor<?x7168xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>
}

// With a residual, into a per-group quantization whose layout the
// selection rewrites for the chip (the fused op is rebuilt there too).
// ROUNDTRIP-LABEL: func.func @hf_add_norm(
// ROUNDTRIP: vllm.fused_add_rms_norm %{{.*}}, %{{.*}}, %{{.*}} {epsilon = 9.99999997E-7 : f32, round_before_weight} :
// FUSE-LABEL: func.func @hf_add_norm(
// FUSE: vllm.rms_norm_quant %{{.*}}, %{{.*}} residual(%{{.*}}) as <per_group 128, f32, row_major> {epsilon = 9.99999997E-7 : f32, round_before_weight} :
// LAYOUT-LABEL: func.func @hf_add_norm(
// LAYOUT: vllm.rms_norm_quant %{{.*}}, %{{.*}} residual(%{{.*}}) as <per_group 128, f32, mn_major, align 4> {epsilon = 9.99999997E-7 : f32, round_before_weight} :
// BUFFER-LABEL: func.func @hf_add_norm(
// BUFFER: vllm.buffer.rms_norm_quant {{.*}} round_before_weight
func.func @hf_add_norm(%x: tensor<?x7168xbf16>, %r: tensor<?x7168xbf16>, %w: tensor<7168xbf16>, %b: tensor<2112x7168xf8E4M3FN>, %sb: tensor<17x56xf32, #vllm.scales<block 128x128, f32>>) -> (tensor<?x2112xbf16>, tensor<?x7168xbf16>) {
  %y, %ro = vllm.fused_add_rms_norm %x, %r, %w {epsilon = 1.0e-06 : f32, round_before_weight} : (tensor<?x7168xbf16>, tensor<?x7168xbf16>, tensor<7168xbf16>) -> (tensor<?x7168xbf16>, tensor<?x7168xbf16>)
  %q, %s = vllm.quantize %y as <per_group 128, f32, row_major> : tensor<?x7168xbf16> -> tensor<?x7168xf8E4M3FN>, tensor<?x56xf32, #vllm.scales<group 128, f32, row_major>>
  %d = vllm.scaled_matmul %q, %b scales(%s, %sb) : (tensor<?x7168xf8E4M3FN>, tensor<2112x7168xf8E4M3FN>, tensor<?x56xf32, #vllm.scales<group 128, f32, row_major>>, tensor<17x56xf32, #vllm.scales<block 128x128, f32>>) -> tensor<?x2112xbf16>
  return %d, %ro : tensor<?x2112xbf16>, tensor<?x7168xbf16>
}

// The normalized result is kept while it has a user, and dropped by
// canonicalization once the fused op no longer needs it; the attribute
// survives both.
// FUSE-LABEL: func.func @hf_norm_normalized_used(
// FUSE: vllm.rms_norm_quant {{.*}} round_before_weight
// LAYOUT-LABEL: func.func @hf_norm_normalized_dropped(
// LAYOUT: vllm.rms_norm_quant %{{.*}}, %{{.*}} as <per_token> {epsilon = 9.99999997E-7 : f32, round_before_weight} : (tensor<?x7168xbf16>, tensor<7168xbf16>) -> (tensor<?x7168xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>)
func.func @hf_norm_normalized_used(%x: tensor<?x7168xbf16>, %w: tensor<7168xbf16>) -> (tensor<?x7168xf8E4M3FN>, tensor<?x7168xbf16>) {
  %y = vllm.rms_norm %x, %w {epsilon = 1.0e-06 : f32, round_before_weight} : (tensor<?x7168xbf16>, tensor<7168xbf16>) -> tensor<?x7168xbf16>
  %q, %s = vllm.quantize %y as <per_token> : tensor<?x7168xbf16> -> tensor<?x7168xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>
  return %q, %y : tensor<?x7168xf8E4M3FN>, tensor<?x7168xbf16>
}
func.func @hf_norm_normalized_dropped(%x: tensor<?x7168xbf16>, %w: tensor<7168xbf16>) -> tensor<?x7168xf8E4M3FN> {
  %q, %s, %n = vllm.rms_norm_quant %x, %w as <per_token> {epsilon = 1.0e-06 : f32, round_before_weight} : (tensor<?x7168xbf16>, tensor<7168xbf16>) -> (tensor<?x7168xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>, tensor<?x7168xbf16>)
  return %q : tensor<?x7168xf8E4M3FN>
}

// Without the attribute the fused op has none.
// FUSE-LABEL: func.func @plain_norm(
// FUSE: vllm.rms_norm_quant %{{.*}}, %{{.*}} as <per_token> {epsilon = 9.99999997E-7 : f32} :
// FUSE-NOT: round_before_weight
func.func @plain_norm(%x: tensor<?x7168xbf16>, %w: tensor<7168xbf16>) -> (tensor<?x7168xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>) {
  %y = vllm.rms_norm %x, %w {epsilon = 1.0e-06 : f32} : (tensor<?x7168xbf16>, tensor<7168xbf16>) -> tensor<?x7168xbf16>
  %q, %s = vllm.quantize %y as <per_token> : tensor<?x7168xbf16> -> tensor<?x7168xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>
  return %q, %s : tensor<?x7168xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>
}
