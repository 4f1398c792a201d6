// A function on buffers with a linalg op beside a vllm buffer op: the
// partial conversion leaves the linalg op, and vllm-gpu-pipeline's host
// check reports it (used by vllm-check-host-code.mlir).
func.func @mixed(%x: memref<?x256xbf16>, %w: memref<256xbf16>, %y: memref<?x256xbf16>) {
  %c0 = arith.constant 0 : index
  %m = memref.dim %x, %c0 : memref<?x256xbf16>
  %h = memref.alloc(%m) : memref<?x256xbf16>
  // expected-error @+1 {{'linalg.add' op cannot be compiled by vllm-gpu-pipeline}}
  linalg.add ins(%x, %x : memref<?x256xbf16>, memref<?x256xbf16>) outs(%h : memref<?x256xbf16>)
  vllm.buffer.rms_norm %h, %w into %y {epsilon = 1.0e-06 : f32} : memref<?x256xbf16>, memref<256xbf16> into memref<?x256xbf16>
  memref.dealloc %h : memref<?x256xbf16>
  return
}
