// vllm-check-host-code: host code that vllm-gpu-pipeline would leave
// unlowered or run on the host against device memory is diagnosed.
// RUN: vllm-opt %s -split-input-file -verify-diagnostics --vllm-check-host-code
// Through the pipeline, after the partial conversion of a function on
// buffers:
// RUN: vllm-opt %S/Inputs/host-linalg.mlir -verify-diagnostics --vllm-gpu-pipeline="chip=sm_90a format=ptx" -o /dev/null

func.func @linalg(%x: memref<?x64xbf16>, %y: memref<?x64xbf16>) {
  // expected-error @+1 {{'linalg.add' op cannot be compiled by vllm-gpu-pipeline: after convert-vllm-to-gpu a host function may hold only launches, stream-ordered allocations and copies, calls, scalar code and buffer views; lower it to GPU kernels first (docs/design.md, Layering)}}
  linalg.add ins(%x, %x : memref<?x64xbf16>, memref<?x64xbf16>) outs(%y : memref<?x64xbf16>)
  return
}

// -----

func.func @load(%x: memref<?x64xbf16>) -> bf16 {
  %c0 = arith.constant 0 : index
  // expected-error @+1 {{'memref.load' op cannot be compiled by vllm-gpu-pipeline}}
  %v = memref.load %x[%c0, %c0] : memref<?x64xbf16>
  return %v : bf16
}

// -----

func.func @clone(%x: memref<?x64xbf16>) -> memref<?x64xbf16> {
  // expected-error @+1 {{'bufferization.clone' op cannot be compiled by vllm-gpu-pipeline}}
  %c = bufferization.clone %x : memref<?x64xbf16> to memref<?x64xbf16>
  return %c : memref<?x64xbf16>
}

// -----

// Views, sizes, scalar code, GPU ops and calls pass.
func.func private @callee(!llvm.ptr, memref<?xbf16>)
func.func @views(%s: !llvm.ptr, %x: memref<?x64xbf16>) -> index {
  %c0 = arith.constant 0 : index
  %m = memref.dim %x, %c0 : memref<?x64xbf16>
  %flat = memref.collapse_shape %x [[0, 1]] : memref<?x64xbf16> into memref<?xbf16>
  %t = builtin.unrealized_conversion_cast %s : !llvm.ptr to !gpu.async.token
  %y, %t2 = gpu.alloc async [%t] (%m) : memref<?x64xbf16>
  %t3 = gpu.dealloc async [%t] %y : memref<?x64xbf16>
  call @callee(%s, %flat) : (!llvm.ptr, memref<?xbf16>) -> ()
  return %m : index
}
