// The three inputs of issue 16 that crashed the compiler, each the whole
// input a mutation fuzzer produced from the lit suite, with the pipelines
// that crashed on them. Each is now a diagnostic (the classes are tested in
// Dialect/Vllm/invalid-sizes.mlir and Conversion/vllm-to-gpu-reserved-
// symbols.mlir).
// RUN: vllm-opt %s -split-input-file -verify-diagnostics --convert-vllm-to-gpu=chip=sm_90a
// RUN: vllm-opt %s -split-input-file -verify-diagnostics --vllm-gpu-pipeline=chip=sm_90a

// F1: SIGFPE (a division by zero in chooseRowConfig) for H = 0.
func.func @group(%y: tensor<?x0xbf16>) -> (tensor<?x0xf8E4M3FN>, tensor<?x0xf32, #vllm.scales<group 128, f32, row_major>>) {
  // expected-error @+1 {{(C11) the hidden size (last dimension) must be positive, got 0}}
  %q, %s = vllm.quantize %y as <per_group 128, f32, row_major> : tensor<?x0xbf16> -> tensor<?x0xf8E4M3FN>, tensor<?x0xf32, #vllm.scales<group 128, f32, row_major>>
  return %q, %s : tensor<?x0xf8E4M3FN>, tensor<?x0xf32, #vllm.scales<group 128, f32, row_major>>
}

// -----

// F2: SEGV (a user function named like a runtime entry point).
// expected-error @+1 {{symbol name '@mgpuMemAlloc' is reserved}}
func.func @mgpuMemAlloc(%x: tensor<?x256xbf16>, %w: tensor<256xbf16>) -> tensor<?x256xbf16> {
  %y = vllm.rms_norm %x, %w {epsilon = 1.0e-06 : f32} : (tensor<?x256xbf16>, tensor<256xbf16>) -> tensor<?x256xbf16>
  %z = vllm.rms_norm %y, %w {epsilon = 1.0e-06 : f32} : (tensor<?x256xbf16>, tensor<256xbf16>) -> tensor<?x256xbf16>
  return %z : tensor<?x256xbf16>
}

// -----

// F3: the row count overflowed int64 and the lowering built invalid IR
// ("expected sizes to be non-negative, but got -4").
func.func @rank3(%x: tensor<4x9223372036854775807x4096xbf16>, %w: tensor<4096xbf16>) -> tensor<4x9223372036854775807x4096xbf16> {
  // expected-error @+1 {{(C11) operand #0 of type 'tensor<4x9223372036854775807x4096xbf16>' has more than 2^63 - 1 bytes}}
  %y = vllm.rms_norm %x, %w {epsilon = 1.0e-06 : f32} : (tensor<4x9223372036854775807x4096xbf16>, tensor<4096xbf16>) -> tensor<4x9223372036854775807x4096xbf16>
  return %y : tensor<4x9223372036854775807x4096xbf16>
}
