// Symbols whose names the lowered module needs for itself: the runtime
// functions launches and allocations call (mgpu*), those of our runtime
// (vllmrt*), the C entry points of public functions (_mlir_ciface_*) and
// LLVM's intrinsics (llvm.*). A user function with such a name was called
// instead of the runtime (mgpuLaunchKernel, mgpuModuleGetFunction: silently
// wrong code), crashed the lowering (mgpuMemAlloc) or failed inside it
// (mgpuMemFree); each is now a diagnostic on the function, before any
// rewrite, whether it is converted or not.
// RUN: vllm-opt %s -split-input-file -verify-diagnostics --convert-vllm-to-gpu=chip=sm_90a

// expected-error @+1 {{symbol name '@mgpuMemAlloc' is reserved: names starting with 'mgpu' belong to the runtime interface of compiled code; rename it}}
func.func @mgpuMemAlloc(%x: tensor<?x256xbf16>, %w: tensor<256xbf16>) -> tensor<?x256xbf16> {
  %y = vllm.rms_norm %x, %w {epsilon = 1.0e-06 : f32} : (tensor<?x256xbf16>, tensor<256xbf16>) -> tensor<?x256xbf16>
  %z = vllm.rms_norm %y, %w {epsilon = 1.0e-06 : f32} : (tensor<?x256xbf16>, tensor<256xbf16>) -> tensor<?x256xbf16>
  return %z : tensor<?x256xbf16>
}

// -----

// A private helper next to the compiled function collides just the same:
// every function of the module ends up in one LLVM module with the runtime
// declarations.
// expected-error @+1 {{symbol name '@mgpuLaunchKernel' is reserved: names starting with 'mgpu'}}
func.func private @mgpuLaunchKernel(%p: memref<4xf32>)
func.func @norm(%x: tensor<?x256xbf16>, %w: tensor<256xbf16>) -> tensor<?x256xbf16> {
  %y = vllm.rms_norm %x, %w {epsilon = 1.0e-06 : f32} : (tensor<?x256xbf16>, tensor<256xbf16>) -> tensor<?x256xbf16>
  return %y : tensor<?x256xbf16>
}

// -----

// Every reserved name is reported, not only the first.
// expected-error @+1 {{symbol name '@mgpuModuleGetFunction' is reserved}}
func.func @mgpuModuleGetFunction(%x: tensor<?x256xbf16>, %w: tensor<256xbf16>) -> tensor<?x256xbf16> {
  %y = vllm.rms_norm %x, %w {epsilon = 1.0e-06 : f32} : (tensor<?x256xbf16>, tensor<256xbf16>) -> tensor<?x256xbf16>
  return %y : tensor<?x256xbf16>
}
// expected-error @+1 {{symbol name '@mgpuMemFree' is reserved}}
func.func @mgpuMemFree(%x: tensor<?x256xbf16>, %w: tensor<256xbf16>) -> tensor<?x256xbf16> {
  %y = vllm.rms_norm %x, %w {epsilon = 1.0e-06 : f32} : (tensor<?x256xbf16>, tensor<256xbf16>) -> tensor<?x256xbf16>
  return %y : tensor<?x256xbf16>
}
// expected-error @+1 {{symbol name '@vllmrtSetStream' is reserved: names starting with 'vllmrt'}}
func.func private @vllmrtSetStream()
// expected-error @+1 {{symbol name '@_mlir_ciface_norm' is reserved: names starting with '_mlir_'}}
func.func private @_mlir_ciface_norm()
// expected-error @+1 {{symbol name '@llvm.nvvm.foo' is reserved: names starting with 'llvm.'}}
func.func private @"llvm.nvvm.foo"()
