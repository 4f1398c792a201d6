// Diagnostics of the #vllm.scales and #vllm.quant attribute parsers and
// verifiers.
// RUN: vllm-opt %s -split-input-file -verify-diagnostics

// expected-error @+1 {{unknown scale granularity 'channel' (expected tensor, row, group or block)}}
func.func private @bad(tensor<4xf32, #vllm.scales<channel>>)

// -----

// expected-error @+1 {{scale row alignment must be 1 or 4, got 2}}
func.func private @bad(tensor<2x?xf32, #vllm.scales<group 128, f32, mn_major, align 2>>)

// -----

// expected-error @+1 {{alignment applies to the mn_major layout only}}
func.func private @bad(tensor<?x2xf32, #vllm.scales<group 128, f32, row_major, align 4>>)

// -----

// expected-error @+1 {{ue8m0_packed scales are MN-major with align 4}}
func.func private @bad(tensor<?x1xi32, #vllm.scales<group 128, ue8m0_packed, row_major>>)

// -----

// expected-error @+1 {{ue8m0_packed scales are MN-major with align 4}}
func.func private @bad(tensor<1x?xi32, #vllm.scales<group 128, ue8m0_packed, mn_major>>)

// -----

// expected-error @+1 {{unknown scale encoding 'e8m0' (expected f32, ue8m0_f32 or ue8m0_packed)}}
func.func private @bad(tensor<1x?xi32, #vllm.scales<group 128, e8m0, mn_major>>)

// -----

// expected-error @+1 {{unknown scale layout 'col_major' (expected row_major or mn_major)}}
func.func private @bad(tensor<1x?xf32, #vllm.scales<group 128, f32, col_major>>)

// -----

// expected-error @+1 {{block scales are f32 or ue8m0_f32, not packed}}
func.func private @bad(tensor<1x1xi32, #vllm.scales<block 128x128, ue8m0_packed>>)

// -----

// expected-error @+1 {{expected a block shape RxC}}
func.func private @bad(tensor<1x1xf32, #vllm.scales<block 128, f32>>)

// -----

// expected-error @+1 {{unknown quantization scheme 'per_channel' (expected static_per_tensor, dynamic_per_tensor, per_token or per_group)}}
func.func private @bad() attributes {s = #vllm.quant<per_channel>}

// -----

// expected-error @+1 {{ue8m0_packed scales are MN-major with align 4}}
func.func private @bad() attributes {s = #vllm.quant<per_group 128, ue8m0_packed, mn_major, align 1>}

// -----

// expected-error @+2 {{expected ::mlir::vllm::Chip to be one of: sm_90a, sm_100a}}
// expected-error @+1 {{failed to parse Vllm_ChipAttr parameter 'value'}}
func.func private @bad() attributes {c = #vllm.chip<sm_80>}

// -----

// expected-error @+1 {{unexpected option 'stride' (expected align or upper_bound)}}
func.func private @bad() attributes {s = #vllm.quant<per_token, stride = 4>}

// -----

// expected-error @+1 {{unexpected option 'upper_bound' (expected align)}}
func.func private @bad(tensor<?x2xf32, #vllm.scales<group 128, f32, row_major, upper_bound = 3.0>>)

// -----

// align is an option of per-group scales only.
// expected-error @+1 {{only per_group scales have a group size, encoding or layout}}
func.func private @bad() attributes {s = #vllm.quant<per_token, align 4>}
