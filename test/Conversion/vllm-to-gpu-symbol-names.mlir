// Names near the reserved ones are the user's: the kernel module takes
// another name when a function already has its own (vllm_kernels), and
// names that only contain a reserved prefix are accepted. A module with
// nothing to convert is left alone, whatever its names.
// RUN: vllm-opt %s -split-input-file --convert-vllm-to-gpu=chip=sm_90a | FileCheck %s

// CHECK-LABEL: gpu.module @vllm_kernels_0
// CHECK: func.func @vllm_kernels(
// CHECK: gpu.launch_func async [%{{.*}}] @vllm_kernels_0::@rms_norm_
// CHECK: func.func @my_mgpuMemAlloc(
func.func @vllm_kernels(%x: tensor<?x256xbf16>, %w: tensor<256xbf16>) -> tensor<?x256xbf16> {
  %y = vllm.rms_norm %x, %w {epsilon = 1.0e-06 : f32} : (tensor<?x256xbf16>, tensor<256xbf16>) -> tensor<?x256xbf16>
  return %y : tensor<?x256xbf16>
}
func.func @my_mgpuMemAlloc(%x: tensor<?x256xbf16>, %w: tensor<256xbf16>) -> tensor<?x256xbf16> {
  %y = vllm.rms_norm %x, %w {epsilon = 1.0e-06 : f32} : (tensor<?x256xbf16>, tensor<256xbf16>) -> tensor<?x256xbf16>
  return %y : tensor<?x256xbf16>
}

// -----

// CHECK-LABEL: func.func private @mgpuMemAlloc(i64)
// CHECK-NOT: gpu.module
func.func private @mgpuMemAlloc(i64)
