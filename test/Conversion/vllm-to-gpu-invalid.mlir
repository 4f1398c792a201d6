// Functions convert-vllm-to-gpu cannot compile are diagnosed, not lowered
// half-way.
// RUN: vllm-opt %s -split-input-file -verify-diagnostics --convert-vllm-to-gpu=chip=sm_90a

func.func @other_op(%x: tensor<?x64xbf16>) -> tensor<?x64xbf16> {
  // expected-error @below {{'arith.addf' op is not supported by convert-vllm-to-gpu: a compiled function may contain vllm ops, tensor.collapse_shape, tensor.expand_shape, tensor.dim, scalar arith ops and func.return}}
  %y = arith.addf %x, %x : tensor<?x64xbf16>
  return %y : tensor<?x64xbf16>
}

// -----

func.func @empty() -> tensor<4x64xbf16> {
  // expected-error @below {{'tensor.empty' op is not supported by convert-vllm-to-gpu}}
  %e = tensor.empty() : tensor<4x64xbf16>
  return %e : tensor<4x64xbf16>
}

// -----

// expected-error @below {{'func.func' op has a 'i32' in its signature; compiled functions take and return ranked tensors only}}
func.func @scalar_arg(%x: tensor<?x64xbf16>, %n: i32) -> tensor<?x64xbf16> {
  return %x : tensor<?x64xbf16>
}

// -----

// expected-error @below {{'func.func' op declares a tensor function without a body; convert-vllm-to-gpu needs the body to compile it}}
func.func private @declaration(%x: tensor<?x64xbf16>) -> tensor<?x64xbf16>

// -----

// expected-error @below {{'func.func' op has control flow (several blocks); convert-vllm-to-gpu compiles straight-line functions of vllm ops}}
func.func @blocks(%x: tensor<?x64xbf16>, %w: tensor<64xbf16>) -> tensor<?x64xbf16> {
  cf.br ^bb1
^bb1:
  %y = vllm.rms_norm %x, %w {epsilon = 1.0e-06 : f32} : (tensor<?x64xbf16>, tensor<64xbf16>) -> tensor<?x64xbf16>
  return %y : tensor<?x64xbf16>
}

// -----

func.func @call(%x: tensor<?x64xbf16>) -> tensor<?x64xbf16> {
  // expected-error @below {{'func.call' op is not supported by convert-vllm-to-gpu}}
  %y = func.call @callee(%x) : (tensor<?x64xbf16>) -> tensor<?x64xbf16>
  return %y : tensor<?x64xbf16>
}
func.func @callee(%x: tensor<?x64xbf16>) -> tensor<?x64xbf16> {
  return %x : tensor<?x64xbf16>
}

// -----

// The buffer form (what one-shot-bufferize makes of vllm ops) is not
// lowered yet: the diagnostic says to convert the tensor form.
func.func @buffer_form(%x: memref<?x7168xbf16>, %w: memref<7168xbf16>, %y: memref<?x7168xbf16>) {
  // expected-error @+1 {{'vllm.buffer.rms_norm' op is the buffer form of a vllm op (SPEC.md 3.9), which convert-vllm-to-gpu does not lower yet: run it on the tensor form, before one-shot-bufferize}}
  vllm.buffer.rms_norm %x, %w into %y {epsilon = 1.0e-06 : f32} : memref<?x7168xbf16>, memref<7168xbf16> into memref<?x7168xbf16>
  return
}
