// Functions convert-vllm-to-gpu cannot compile are diagnosed, not lowered
// half-way.
// RUN: vllm-opt %s -split-input-file -verify-diagnostics --convert-vllm-to-gpu=chip=sm_90a

func.func @other_op(%x: tensor<?x64xbf16>) -> tensor<?x64xbf16> {
  // expected-error @below {{'arith.addf' op is not supported by convert-vllm-to-gpu: a compiled function on tensors may contain vllm ops, tensor.collapse_shape, tensor.expand_shape, tensor.dim, scalar arith ops and func.return; bufferize a function with other ops first (element-wise ones then become kernels: vllm-compile --bufferize, docs/design.md Layering)}}
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

// A function is compiled either on tensors or on buffers.
func.func @mixed_forms(%x: tensor<?x7168xbf16>, %xb: memref<?x7168xbf16>, %w: memref<7168xbf16>, %y: memref<?x7168xbf16>) -> tensor<?x7168xbf16> {
  // expected-error @+1 {{'vllm.buffer.rms_norm' op is the buffer form of a vllm op (SPEC.md 3.9) in a function with tensors: convert-vllm-to-gpu compiles a function either on tensors or on buffers}}
  vllm.buffer.rms_norm %xb, %w into %y {epsilon = 1.0e-06 : f32} : memref<?x7168xbf16>, memref<7168xbf16> into memref<?x7168xbf16>
  return %x : tensor<?x7168xbf16>
}

// -----

// The conversion adds a stream argument to a function on buffers, so a call
// in the module would no longer match it.
// expected-error @+1 {{'func.func' op is called in the module, but convert-vllm-to-gpu adds a stream argument to functions on buffers with vllm ops; call it from outside the module}}
func.func @callee(%x: memref<?x7168xbf16>, %w: memref<7168xbf16>, %y: memref<?x7168xbf16>) {
  vllm.buffer.rms_norm %x, %w into %y {epsilon = 1.0e-06 : f32} : memref<?x7168xbf16>, memref<7168xbf16> into memref<?x7168xbf16>
  return
}
func.func @caller(%x: memref<?x7168xbf16>, %w: memref<7168xbf16>, %y: memref<?x7168xbf16>) {
  call @callee(%x, %w, %y) : (memref<?x7168xbf16>, memref<7168xbf16>, memref<?x7168xbf16>) -> ()
  return
}

// -----

func.func @nested(%c: i1, %x: memref<?x7168xbf16>, %w: memref<7168xbf16>, %y: memref<?x7168xbf16>) {
  scf.if %c {
    // expected-error @+1 {{'vllm.buffer.rms_norm' op is nested in another op; convert-vllm-to-gpu lowers buffer ops at the top level of a function}}
    vllm.buffer.rms_norm %x, %w into %y {epsilon = 1.0e-06 : f32} : memref<?x7168xbf16>, memref<7168xbf16> into memref<?x7168xbf16>
  }
  return
}

// -----

func.func @strided_copy(%x: memref<?x7168xbf16, strided<[?, 1], offset: ?>>, %w: memref<7168xbf16>, %y: memref<?x7168xbf16>, %t: memref<?x7168xbf16>) {
  // expected-error @+1 {{'memref.copy' op copies a buffer with a non-identity layout, which convert-vllm-to-gpu cannot turn into a device copy; bufferize with function-boundary-type-conversion=identity-layout-map}}
  memref.copy %x, %t : memref<?x7168xbf16, strided<[?, 1], offset: ?>> to memref<?x7168xbf16>
  vllm.buffer.rms_norm %t, %w into %y {epsilon = 1.0e-06 : f32} : memref<?x7168xbf16>, memref<7168xbf16> into memref<?x7168xbf16>
  return
}

// -----

func.func @alloc_memory_space(%x: memref<?x7168xbf16>, %w: memref<7168xbf16>) {
  %c0 = arith.constant 0 : index
  %m = memref.dim %x, %c0 : memref<?x7168xbf16>
  // expected-error @+1 {{'memref.alloc' op allocates a buffer with a layout or memory space; convert-vllm-to-gpu places the buffers of a function on buffers in device memory with the identity layout}}
  %y = memref.alloc(%m) : memref<?x7168xbf16, 1>
  %y0 = memref.alloc(%m) : memref<?x7168xbf16>
  vllm.buffer.rms_norm %x, %w into %y0 {epsilon = 1.0e-06 : f32} : memref<?x7168xbf16>, memref<7168xbf16> into memref<?x7168xbf16>
  return
}

// -----

func.func @tensor_op_in_buffer_function(%x: memref<?x7168xbf16>, %w: memref<7168xbf16>, %y: memref<?x7168xbf16>) {
  vllm.buffer.rms_norm %x, %w into %y {epsilon = 1.0e-06 : f32} : memref<?x7168xbf16>, memref<7168xbf16> into memref<?x7168xbf16>
  %t = bufferization.to_tensor %x : memref<?x7168xbf16> to tensor<?x7168xbf16>
  %tw = bufferization.to_tensor %w : memref<7168xbf16> to tensor<7168xbf16>
  // expected-error @+1 {{'vllm.rms_norm' op is a tensor op in a function on buffers; convert-vllm-to-gpu compiles a function either on tensors or on buffers (bufferize all of it)}}
  %n = vllm.rms_norm %t, %tw {epsilon = 1.0e-06 : f32} : (tensor<?x7168xbf16>, tensor<7168xbf16>) -> tensor<?x7168xbf16>
  return
}
