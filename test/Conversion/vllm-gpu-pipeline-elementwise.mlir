// A model-shaped tensor function with element-wise ops between the norm,
// quantize and GEMM sites (a residual add done apart from the norm, a
// bias add with a broadcast after the GEMM, a scaling): upstream's
// convert-elementwise-to-linalg and bufferization after the fusion
// pipeline (which works on tensors), then vllm-gpu-pipeline, into one module whose host function launches every
// kernel, the element-wise ones included, on the caller's stream
// (docs/design.md, "Layering"). Both chips; ptxas assembles the kernels
// (no spills, no warnings).
// RUN: vllm-opt %s --vllm-fusion-pipeline=chip=sm_90a --convert-elementwise-to-linalg --one-shot-bufferize="bufferize-function-boundaries function-boundary-type-conversion=identity-layout-map" --ownership-based-buffer-deallocation --canonicalize --buffer-deallocation-simplification --bufferization-lower-deallocations --convert-bufferization-to-memref --canonicalize --vllm-gpu-pipeline="chip=sm_90a format=ptx" | FileCheck %s
// RUN: vllm-opt %s --vllm-fusion-pipeline=chip=sm_100a --convert-elementwise-to-linalg --one-shot-bufferize="bufferize-function-boundaries function-boundary-type-conversion=identity-layout-map" --ownership-based-buffer-deallocation --canonicalize --buffer-deallocation-simplification --bufferization-lower-deallocations --convert-bufferization-to-memref --canonicalize --vllm-gpu-pipeline="chip=sm_100a format=ptx" | FileCheck %s
// RUN: vllm-opt %s --vllm-fusion-pipeline=chip=sm_90a --convert-elementwise-to-linalg --one-shot-bufferize="bufferize-function-boundaries function-boundary-type-conversion=identity-layout-map" --ownership-based-buffer-deallocation --canonicalize --buffer-deallocation-simplification --bufferization-lower-deallocations --convert-bufferization-to-memref --canonicalize --vllm-gpu-pipeline="chip=sm_90a format=ptx" | vllm-opt --vllm-dump-gpu-binary=output=%t.sm90a.ptx -o /dev/null
// RUN: %if ptxas %{ %ptxas -arch=sm_90a -v %t.sm90a.ptx -o %t.sm90a.cubin 2>&1 | FileCheck %s --check-prefix=PTXAS --implicit-check-not=warning %}
// RUN: vllm-opt %s --vllm-fusion-pipeline=chip=sm_100a --convert-elementwise-to-linalg --one-shot-bufferize="bufferize-function-boundaries function-boundary-type-conversion=identity-layout-map" --ownership-based-buffer-deallocation --canonicalize --buffer-deallocation-simplification --bufferization-lower-deallocations --convert-bufferization-to-memref --canonicalize --vllm-gpu-pipeline="chip=sm_100a format=ptx" | vllm-opt --vllm-dump-gpu-binary=output=%t.sm100a.ptx -o /dev/null
// RUN: %if ptxas %{ %ptxas -arch=sm_100a -v %t.sm100a.ptx -o %t.sm100a.cubin 2>&1 | FileCheck %s --check-prefix=PTXAS --implicit-check-not=warning %}

// The kernels: three element-wise ones (the residual add, the scaling of
// the residual, the bias add), the fused norm + quantization, the GEMM.
// CHECK: gpu.binary @vllm_kernels
// CHECK-LABEL: llvm.func @layer(
// CHECK: gpu.launch_func <%{{.*}} : !llvm.ptr> @vllm_kernels::@elementwise_layer_0
// CHECK: llvm.call @layer__rms_norm_quant_0(
// CHECK: llvm.call @layer__scaled_matmul_1(
// CHECK-DAG: gpu.launch_func <%{{.*}} : !llvm.ptr> @vllm_kernels::@elementwise_layer_1
// CHECK-DAG: gpu.launch_func <%{{.*}} : !llvm.ptr> @vllm_kernels::@elementwise_layer_2
// CHECK-NOT: linalg.
// CHECK-NOT: llvm.call @malloc
// CHECK: llvm.func @_mlir_ciface_layer(

// PTXAS-DAG: Compiling entry function 'elementwise_layer_0'
// PTXAS-DAG: Compiling entry function 'elementwise_layer_1'
// PTXAS-DAG: Compiling entry function 'elementwise_layer_2'
// PTXAS-NOT: {{[1-9][0-9]*}} bytes spill stores
func.func @layer(%x: tensor<?x4096xbf16>, %res: tensor<?x4096xbf16>, %w: tensor<4096xbf16>, %b: tensor<2112x4096xf8E4M3FN>, %sb: tensor<17x32xf32, #vllm.scales<block 128x128, f32>>, %bias: tensor<2112xbf16>) -> (tensor<?x2112xbf16>, tensor<?x4096xbf16>) {
  %h = arith.addf %x, %res : tensor<?x4096xbf16>
  %y = vllm.rms_norm %h, %w {epsilon = 1.0e-06 : f32} : (tensor<?x4096xbf16>, tensor<4096xbf16>) -> tensor<?x4096xbf16>
  %q, %s = vllm.quantize %y as <per_group 128, f32, mn_major, align 4> : tensor<?x4096xbf16> -> tensor<?x4096xf8E4M3FN>, tensor<32x?xf32, #vllm.scales<group 128, f32, mn_major, align 4>>
  %d = vllm.scaled_matmul %q, %b scales(%s, %sb) : (tensor<?x4096xf8E4M3FN>, tensor<2112x4096xf8E4M3FN>, tensor<32x?xf32, #vllm.scales<group 128, f32, mn_major, align 4>>, tensor<17x32xf32, #vllm.scales<block 128x128, f32>>) -> tensor<?x2112xbf16>
  %c0 = arith.constant 0 : index
  %m = tensor.dim %d, %c0 : tensor<?x2112xbf16>
  %empty = tensor.empty(%m) : tensor<?x2112xbf16>
  %e = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%d, %bias : tensor<?x2112xbf16>, tensor<2112xbf16>) outs(%empty : tensor<?x2112xbf16>) {
  ^bb0(%a: bf16, %c: bf16, %out: bf16):
    %sum = arith.addf %a, %c : bf16
    linalg.yield %sum : bf16
  } -> tensor<?x2112xbf16>
  %half = arith.constant dense<5.000000e-01> : tensor<4096xbf16>
  %m2 = tensor.dim %h, %c0 : tensor<?x4096xbf16>
  %empty2 = tensor.empty(%m2) : tensor<?x4096xbf16>
  %scaled = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%h : tensor<?x4096xbf16>) outs(%empty2 : tensor<?x4096xbf16>) {
  ^bb0(%a: bf16, %out: bf16):
    %k = arith.constant 5.000000e-01 : bf16
    %p = arith.mulf %a, %k : bf16
    linalg.yield %p : bf16
  } -> tensor<?x4096xbf16>
  return %e, %scaled : tensor<?x2112xbf16>, tensor<?x4096xbf16>
}
