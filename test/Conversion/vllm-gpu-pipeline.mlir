// vllm-gpu-pipeline down to LLVM IR: the exported C entry point takes the
// stream first and the buffers as StridedMemRef pointers; every launch,
// allocation and free uses that stream; nothing creates, synchronizes or
// destroys a stream; the kernel module is loaded once, by a global
// constructor.
// RUN: vllm-opt %s --vllm-gpu-pipeline="chip=sm_90a format=ptx" | mlir-translate --mlir-to-llvmir | FileCheck %s --implicit-check-not=mgpuStream --implicit-check-not=mgpuEvent
// With cubin (ptxas runs inside the pipeline), the module is loaded from the
// embedded ELF image:
// RUN: %if ptxas %{ vllm-opt %s --vllm-gpu-pipeline=chip=sm_100a | FileCheck %s --check-prefix=BIN %}
// RUN: %if ptxas %{ vllm-opt %s --vllm-gpu-pipeline=chip=sm_100a | mlir-translate --mlir-to-llvmir | FileCheck %s --check-prefix=BIN-LL %}

// CHECK: @vllm_kernels_binary = internal constant
// CHECK: @llvm.global_ctors = appending global {{.*}} @vllm_kernels_load

// CHECK-LABEL: define void @seq(ptr %0,
// CHECK: %[[Y:.*]] = call ptr @mgpuMemAlloc(i64 %{{.*}}, ptr %0, i8 0)
// CHECK: %[[F1:.*]] = call ptr @mgpuModuleGetFunction(ptr %{{.*}}, ptr @vllm_kernels_rms_norm_bf16_h256_eps358637BD_y_name)
// CHECK: call void @mgpuLaunchKernel(ptr %[[F1]], i64 %{{.*}}, i64 1, i64 1, i64 32, i64 1, i64 1, i32 0, ptr %0,
// CHECK: %[[F2:.*]] = call ptr @mgpuModuleGetFunction(ptr %{{.*}}, ptr @vllm_kernels_quantize_bf16_h256_q_group128_ue8m0_packed_mn_major4_name)
// CHECK: call void @mgpuLaunchKernel(ptr %[[F2]], i64 %{{.*}}, i64 1, i64 1, i64 32, i64 1, i64 1, i32 0, ptr %0,
// CHECK: call void @mgpuMemFree(ptr %[[Y]], ptr %0)
// CHECK: ret void

// The C interface: stream, then one StridedMemRef pointer per input and
// per result.
// CHECK-LABEL: define void @_mlir_ciface_seq(ptr %0, ptr %1, ptr %2, ptr %3, ptr %4)
// CHECK: call void @seq(ptr %0,

// CHECK-LABEL: define internal void @vllm_kernels_load()
// CHECK: call ptr @mgpuModuleLoadJIT(ptr @vllm_kernels_binary, i32 3)

// The binary comes first in the module, then the runtime functions the host
// code calls, then the host code.
// BIN: gpu.binary @vllm_kernels [#gpu.object<#nvvm.target<O = 3, chip = "sm_100a", features = "+ptx86">, {{.*}}bin = "\7FELF
// BIN-NEXT: llvm.func @mgpuMemAlloc(i64, !llvm.ptr, i8) -> !llvm.ptr
// BIN-NEXT: llvm.func @mgpuMemFree(!llvm.ptr, !llvm.ptr)
// BIN: llvm.func @_mlir_ciface_seq(
// BIN-LL-LABEL: define internal void @vllm_kernels_load()
// BIN-LL: call ptr @mgpuModuleLoad(ptr @vllm_kernels_binary, i64

func.func @seq(%x: tensor<?x256xbf16>, %w: tensor<256xbf16>) -> (tensor<?x256xf8E4M3FN>, tensor<1x?xi32, #vllm.scales<group 128, ue8m0_packed, mn_major, align 4>>) {
  %y = vllm.rms_norm %x, %w {epsilon = 1.0e-06 : f32} : (tensor<?x256xbf16>, tensor<256xbf16>) -> tensor<?x256xbf16>
  %q, %s = vllm.quantize %y as <per_group 128, ue8m0_packed, mn_major, align 4> : tensor<?x256xbf16> -> tensor<?x256xf8E4M3FN>, tensor<1x?xi32, #vllm.scales<group 128, ue8m0_packed, mn_major, align 4>>
  return %q, %s : tensor<?x256xf8E4M3FN>, tensor<1x?xi32, #vllm.scales<group 128, ue8m0_packed, mn_major, align 4>>
}
