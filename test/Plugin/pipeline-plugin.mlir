// Upstream mlir-opt, with the vllm dialect and passes loaded from the
// plugin, runs the composed pipeline of docs/design.md ("Layering") on the
// layer of vllm-gpu-pipeline-elementwise.mlir: the fusion, upstream's
// convert-elementwise-to-linalg and bufferization, then
// vllm-gpu-pipeline, which launches the element-wise kernels and the
// vllm ops' kernels on the caller's stream.
// UNSUPPORTED: asan
// RUN: mlir-opt %S/../Conversion/vllm-gpu-pipeline-elementwise.mlir --load-dialect-plugin=%vllm_lib/VllmPlugin.so --load-pass-plugin=%vllm_lib/VllmPlugin.so --pass-pipeline='builtin.module(vllm-fusion-pipeline{chip=sm_90a},convert-elementwise-to-linalg,one-shot-bufferize{bufferize-function-boundaries function-boundary-type-conversion=identity-layout-map},ownership-based-buffer-deallocation,canonicalize,buffer-deallocation-simplification,bufferization-lower-deallocations,convert-bufferization-to-memref,canonicalize,vllm-gpu-pipeline{chip=sm_90a format=ptx})' | FileCheck %s

// CHECK: gpu.binary @vllm_kernels
// CHECK-LABEL: llvm.func @layer(
// CHECK: gpu.launch_func <%[[STREAM:.*]] : !llvm.ptr> @vllm_kernels::@elementwise_layer_0
// CHECK: llvm.call @layer__rms_norm_quant_0(%[[STREAM]],
// CHECK: llvm.call @layer__scaled_matmul_1(%[[STREAM]],
// CHECK-DAG: gpu.launch_func <%[[STREAM]] : !llvm.ptr> @vllm_kernels::@elementwise_layer_1
// CHECK-DAG: gpu.launch_func <%[[STREAM]] : !llvm.ptr> @vllm_kernels::@elementwise_layer_2
// CHECK-NOT: linalg.
