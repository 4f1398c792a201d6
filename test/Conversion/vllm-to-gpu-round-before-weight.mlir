// round_before_weight (SPEC.md 3.1): the row kernel rounds x * r to T with
// one packed conversion per vector, widens it back, and only then
// multiplies by w; the kernel's name says so (`_rbw`), so a module with both
// roundings gets two kernels. For f32 rows the first rounding is the
// identity: the same kernel as without the attribute.
// RUN: vllm-opt %s -split-input-file --convert-vllm-to-gpu="chip=sm_90a weight-staging-rows=0" --canonicalize --cse | FileCheck %s
// Both chips assemble the 11 kernels below (with their staged-weights
// variants). All but one are spill-free: the H = 7168 residual kernel with
// packed UE8M0 scales, held to 72 registers (2 CTAs of 448 threads per SM),
// spills one register (4 bytes, L1-resident) on both chips, as the same
// kernel without the attribute does on sm_100a
// (vllm-to-gpu-ptxas-known-spills.mlir); its _wsmem variant does not. A
// register term for it would halve its resident CTAs; not timed yet.
// RUN: vllm-opt %s --vllm-gpu-pipeline="chip=sm_90a format=ptx" | vllm-opt --vllm-dump-gpu-binary=output=%t.90.ptx -o /dev/null
// RUN: %ptxas -arch=sm_90a -v %t.90.ptx -o %t.90.cubin 2> %t.90.log
// RUN: grep -c " 0 bytes spill stores, 0 bytes spill loads" %t.90.log | FileCheck %s --check-prefix=NOSPILL
// RUN: grep -B2 "[1-9] bytes spill stores" %t.90.log | FileCheck %s --check-prefix=SPILL
// RUN: vllm-opt %s --vllm-gpu-pipeline="chip=sm_100a format=ptx" | vllm-opt --vllm-dump-gpu-binary=output=%t.100.ptx -o /dev/null
// RUN: %ptxas -arch=sm_100a -v %t.100.ptx -o %t.100.cubin 2> %t.100.log
// RUN: grep -c " 0 bytes spill stores, 0 bytes spill loads" %t.100.log | FileCheck %s --check-prefix=NOSPILL
// RUN: grep -B2 "[1-9] bytes spill stores" %t.100.log | FileCheck %s --check-prefix=SPILL
// REQUIRES: ptxas

// NOSPILL: 10
// SPILL: Function properties for add_rms_norm_bf16_h7168_eps358637BD_rbw_r_q_group128_ue8m0_packed_mn_major4{{$}}
// SPILL-NEXT: 8 bytes stack frame, 4 bytes spill stores, 4 bytes spill loads
// SPILL-NOT: Function properties

// H = 4096 bf16: 256 threads with two vectors of 8 each. Per vector: the 8
// products x * r, one truncf to bf16 and the widening back (a shift and a
// mask per pair of elements), the 8 products with w, then y's own rounding.
// CHECK: gpu.func @rms_norm_bf16_h4096_eps358637BD_rbw_y(
// CHECK: %[[R:.*]] = arith.divf %cst{{.*}}, %{{.*}} : f32
// CHECK-COUNT-8: arith.mulf %{{.*}}, %[[R]] : f32
// CHECK-NEXT: %[[XR:.*]] = vector.from_elements
// CHECK-NEXT: %[[ROUNDED:.*]] = arith.truncf %[[XR]] : vector<8xf32> to vector<8xbf16>
// CHECK-NEXT: %[[WORDS:.*]] = vector.bitcast %[[ROUNDED]] : vector<8xbf16> to vector<4xi32>
// CHECK: %[[W0:.*]] = vector.extract %[[WORDS]][0] : i32 from vector<4xi32>
// CHECK-NEXT: %[[LO:.*]] = arith.shli %[[W0]], %c16_i32 : i32
// CHECK-NEXT: %[[HI:.*]] = arith.andi %[[W0]], %c-65536_i32 : i32
// CHECK-NEXT: %[[LOF:.*]] = arith.bitcast %[[LO]] : i32 to f32
// CHECK-NEXT: %[[HIF:.*]] = arith.bitcast %[[HI]] : i32 to f32
// CHECK: arith.mulf %[[LOF]], %{{.*}} : f32
// CHECK-NEXT: arith.mulf %[[HIF]], %{{.*}} : f32
// CHECK-COUNT-6: arith.mulf
// CHECK-NEXT: %[[Y:.*]] = vector.from_elements
// CHECK-NEXT: %[[YT:.*]] = arith.truncf %[[Y]] : vector<8xf32> to vector<8xbf16>
// CHECK-NEXT: vector.store %[[YT]]
// CHECK: gpu.return
// CHECK: gpu.func @rms_norm_bf16_h4096_eps358637BD_y(
// CHECK-NOT: gpu.func
// CHECK-LABEL: func.func @both_roundings(
// CHECK: gpu.launch_func {{.*}}@rms_norm_bf16_h4096_eps358637BD_rbw_y
// CHECK: gpu.launch_func {{.*}}@rms_norm_bf16_h4096_eps358637BD_y
func.func @both_roundings(%x: tensor<?x4096xbf16>, %w: tensor<4096xbf16>) -> (tensor<?x4096xbf16>, tensor<?x4096xbf16>) {
  %y = vllm.rms_norm %x, %w {epsilon = 1.0e-06 : f32, round_before_weight} : (tensor<?x4096xbf16>, tensor<4096xbf16>) -> tensor<?x4096xbf16>
  %y1 = vllm.rms_norm %x, %w {epsilon = 1.0e-06 : f32} : (tensor<?x4096xbf16>, tensor<4096xbf16>) -> tensor<?x4096xbf16>
  return %y, %y1 : tensor<?x4096xbf16>, tensor<?x4096xbf16>
}

// -----

// CHECK: gpu.func @add_rms_norm_bf16_h7168_eps358637BD_rbw_r_q_group128_ue8m0_packed_mn_major4(
// CHECK: arith.truncf %{{.*}} : vector<8xf32> to vector<8xbf16>
// CHECK-LABEL: func.func @fused_residual_packed(
func.func @fused_residual_packed(%x: tensor<?x7168xbf16>, %r: tensor<?x7168xbf16>, %w: tensor<7168xbf16>) -> (tensor<?x7168xf8E4M3FN>, tensor<14x?xi32, #vllm.scales<group 128, ue8m0_packed, mn_major, align 4>>, tensor<?x7168xbf16>) {
  %q, %s, %ro = vllm.rms_norm_quant %x, %w residual(%r) as <per_group 128, ue8m0_packed, mn_major, align 4> {epsilon = 1.0e-06 : f32, round_before_weight} : (tensor<?x7168xbf16>, tensor<7168xbf16>, tensor<?x7168xbf16>) -> (tensor<?x7168xf8E4M3FN>, tensor<14x?xi32, #vllm.scales<group 128, ue8m0_packed, mn_major, align 4>>, tensor<?x7168xbf16>)
  return %q, %s, %ro : tensor<?x7168xf8E4M3FN>, tensor<14x?xi32, #vllm.scales<group 128, ue8m0_packed, mn_major, align 4>>, tensor<?x7168xbf16>
}

// -----

// CHECK: gpu.func @rms_norm_bf16_h1536_eps358637BD_rbw_q_token(
// CHECK-LABEL: func.func @per_token(
func.func @per_token(%x: tensor<?x1536xbf16>, %w: tensor<1536xbf16>) -> (tensor<?x1536xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>) {
  %q, %s = vllm.rms_norm_quant %x, %w as <per_token> {epsilon = 1.0e-06 : f32, round_before_weight} : (tensor<?x1536xbf16>, tensor<1536xbf16>) -> (tensor<?x1536xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>)
  return %q, %s : tensor<?x1536xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>
}

// -----

// f32 rows: no `_rbw` kernel, no truncf before the weight.
// CHECK: gpu.func @rms_norm_f32_h4096_eps358637BD_y(
// CHECK-NOT: arith.truncf
// CHECK: gpu.return
// CHECK-LABEL: func.func @f32_rows(
func.func @f32_rows(%x: tensor<?x4096xf32>, %w: tensor<4096xf32>) -> tensor<?x4096xf32> {
  %y = vllm.rms_norm %x, %w {epsilon = 1.0e-06 : f32, round_before_weight} : (tensor<?x4096xf32>, tensor<4096xf32>) -> tensor<?x4096xf32>
  return %y : tensor<?x4096xf32>
}

// -----

// f16 rows round to f16 (one packed conversion).
// CHECK: gpu.func @rms_norm_f16_h2048_eps358637BD_rbw_y(
// CHECK: arith.truncf %{{.*}} : vector<8xf32> to vector<8xf16>
// CHECK-LABEL: func.func @f16_rows(
func.func @f16_rows(%x: tensor<?x2048xf16>, %w: tensor<2048xf16>) -> tensor<?x2048xf16> {
  %y = vllm.rms_norm %x, %w {epsilon = 1.0e-06 : f32, round_before_weight} : (tensor<?x2048xf16>, tensor<2048xf16>) -> tensor<?x2048xf16>
  return %y : tensor<?x2048xf16>
}
