// A public function whose signature cannot be described is an error naming
// the argument or result and why; every such type is reported, and no
// manifest is written.
// RUN: rm -f %t.json
// RUN: vllm-opt %s -split-input-file -verify-diagnostics --vllm-export-manifest=output=%t.json -o /dev/null
// RUN: not test -e %t.json

// expected-error @+1 {{'func.func' op cannot be described in the manifest: argument #1 is 'i32' (entry points take and return ranked tensors only)}}
func.func @scalar_argument(%x: tensor<4xf32>, %n: i32) -> tensor<4xf32> {
  return %x : tensor<4xf32>
}

// -----

// expected-error @+1 {{'func.func' op cannot be described in the manifest: argument #0 is 'tensor<*xf32>' (entry points take and return ranked tensors only)}}
func.func @unranked(%x: tensor<*xf32>) {
  return
}

// -----

// expected-error @+2 {{'func.func' op cannot be described in the manifest: argument #0 is 'tensor<4xindex>' (the element type must be an integer or float type)}}
// expected-error @+1 {{'func.func' op cannot be described in the manifest: result #0 is 'tensor<4xindex>' (the element type must be an integer or float type)}}
func.func @index_elements(%x: tensor<4xindex>) -> tensor<4xindex> {
  return %x : tensor<4xindex>
}

// -----

// expected-error @+1 {{'func.func' op cannot be described in the manifest: argument #0 is 'tensor<4xf32, "other">' (the only tensor encoding described is #vllm.scales)}}
func.func @other_encoding(%x: tensor<4xf32, "other">) {
  return
}

// -----

// Every bad type of one function, and a bad function after a good one.
func.func @good(%x: tensor<4xf32>) -> tensor<4xf32> {
  return %x : tensor<4xf32>
}
// expected-error @+3 {{'func.func' op cannot be described in the manifest: argument #0 is 'vector<4xf32>' (entry points take and return ranked tensors only)}}
// expected-error @+2 {{'func.func' op cannot be described in the manifest: argument #1 is 'tensor<4xcomplex<f32>>' (the element type must be an integer or float type)}}
// expected-error @+1 {{'func.func' op cannot be described in the manifest: result #0 is 'tensor<4xcomplex<f32>>' (the element type must be an integer or float type)}}
func.func @two(%v: vector<4xf32>, %x: tensor<4xcomplex<f32>>) -> tensor<4xcomplex<f32>> {
  return %x : tensor<4xcomplex<f32>>
}

// -----

// A function on buffers with vllm ops (after bufferization) is an entry
// point the manifest cannot describe: an error, not an empty entry list.
// expected-error @+1 {{'func.func' op is a function on buffers (SPEC.md 3.9), which manifest format_version 2 does not describe; write the manifest before bufferization}}
func.func @on_buffers(%x: memref<?x256xbf16>, %w: memref<256xbf16>, %y: memref<?x256xbf16>) {
  vllm.buffer.rms_norm %x, %w into %y {epsilon = 1.0e-06 : f32} : memref<?x256xbf16>, memref<256xbf16> into memref<?x256xbf16>
  return
}
