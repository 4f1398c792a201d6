// Host code the pipeline cannot compile, after the partial conversion
// (used by vllm-check-host-code.mlir): in @mixed, the linalg op beside the
// vllm buffer op becomes a kernel on the stream, but a memref.load would
// read device memory on the host; @plain holds no vllm op, so
// convert-vllm-to-gpu leaves it (and its linalg op) alone.
func.func @mixed(%x: memref<?x256xbf16>, %w: memref<256xbf16>, %y: memref<?x256xbf16>) -> bf16 {
  %c0 = arith.constant 0 : index
  %m = memref.dim %x, %c0 : memref<?x256xbf16>
  %h = memref.alloc(%m) : memref<?x256xbf16>
  linalg.add ins(%x, %x : memref<?x256xbf16>, memref<?x256xbf16>) outs(%h : memref<?x256xbf16>)
  vllm.buffer.rms_norm %h, %w into %y {epsilon = 1.0e-06 : f32} : memref<?x256xbf16>, memref<256xbf16> into memref<?x256xbf16>
  memref.dealloc %h : memref<?x256xbf16>
  // expected-error @+1 {{'memref.load' op cannot be compiled by vllm-gpu-pipeline}}
  %v = memref.load %y[%c0, %c0] : memref<?x256xbf16>
  return %v : bf16
}

func.func @plain(%x: memref<?x256xbf16>, %y: memref<?x256xbf16>) {
  // expected-error @+1 {{'linalg.add' op cannot be compiled by vllm-gpu-pipeline}}
  linalg.add ins(%x, %x : memref<?x256xbf16>, memref<?x256xbf16>) outs(%y : memref<?x256xbf16>)
  return
}
