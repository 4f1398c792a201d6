// convert-vllm-to-gpu on the MLP's down-projection site (SPEC.md 3.7, 3.8):
// the fused op is one row kernel that reads [M, 2I] (gate | up) and writes
// q and the scales; the unfused sequence is two kernels with the same
// prologue code. The exp is the f32 algorithm of SPEC.md section 2, op by
// op (its constants by their bits), and the PTX keeps IEEE rounding on
// every step: no ex2.approx, div.rn for the division, and only .rn
// multiplies and adds (which ptxas does not contract into fma).
// RUN: vllm-opt %s -split-input-file --convert-vllm-to-gpu=chip=sm_90a | FileCheck %s
// RUN: vllm-opt %s -split-input-file --vllm-gpu-pipeline="chip=sm_90a format=ptx" | vllm-opt --vllm-dump-gpu-binary -o /dev/null | FileCheck %s --check-prefixes=PTX,PTX90
// RUN: vllm-opt %s -split-input-file --vllm-gpu-pipeline="chip=sm_100a format=ptx" | vllm-opt --vllm-dump-gpu-binary -o /dev/null | FileCheck %s --check-prefixes=PTX,PTX100
// RUN: vllm-opt %s -split-input-file --vllm-gpu-pipeline="chip=sm_100a format=ptx" | vllm-opt --vllm-dump-gpu-binary -o /dev/null | not grep ex2.approx

// CHECK-LABEL: gpu.module
// CHECK: gpu.func @silu_and_mul_bf16_h256_q_group128_ue8m0_packed_mn_major4(%{{.*}}: memref<?x512xbf16>, %{{.*}}: memref<?x256xf8E4M3FN>, %{{.*}}: memref<1x?xi32>)
// The up half is read 256 columns after the gate.
// CHECK: %[[I:.*]] = arith.constant 256 : index
// CHECK: %[[UPCOL:.*]] = arith.addi %{{.*}}, %[[I]] : index
// CHECK: vector.load %{{.*}}[%{{.*}}, %[[UPCOL]]] {alignment = 16 : i64} : memref<?x512xbf16>, vector<8xbf16>
// X(-g), SPEC.md section 2:
// CHECK: %[[NEG:.*]] = arith.negf %[[G:.*]] : f32
// CHECK: %[[HI:.*]] = arith.constant 8.900000e+01 : f32
// CHECK: %[[LO:.*]] = arith.constant -1.040000e+02 : f32
// CHECK: %[[ABOVE:.*]] = arith.cmpf ogt, %[[NEG]], %[[HI]] : f32
// CHECK: %[[BELOW:.*]] = arith.cmpf olt, %[[NEG]], %[[LO]] : f32
// CHECK: %[[RAISED:.*]] = arith.select %[[BELOW]], %[[LO]], %[[NEG]] : f32
// CHECK: %[[C:.*]] = arith.select %[[ABOVE]], %[[HI]], %[[RAISED]] : f32
// CHECK: %[[L2E:.*]] = arith.constant 1.44269502 : f32
// CHECK: %[[M:.*]] = arith.constant 0x4B400000 : f32
// CHECK: %[[K:.*]] = llvm.intr.fma(%[[C]], %[[L2E]], %[[M]]) : (f32, f32, f32) -> f32
// CHECK: %[[N:.*]] = arith.subf %[[K]], %[[M]] : f32
// CHECK: %[[LN2HI:.*]] = arith.constant -0.693147182 : f32
// CHECK: %[[LN2LO:.*]] = arith.constant 1.90465421E-9 : f32
// CHECK: %[[R0:.*]] = llvm.intr.fma(%[[N]], %[[LN2HI]], %[[C]])
// CHECK: %[[R:.*]] = llvm.intr.fma(%[[N]], %[[LN2LO]], %[[R0]])
// CHECK: %[[C7:.*]] = arith.constant 1.98412701E-4 : f32
// CHECK-COUNT-7: llvm.intr.fma(%{{.*}}, %[[R]], %{{.*}})
// CHECK: %[[KB:.*]] = arith.bitcast %[[K]] : f32 to i32
// CHECK: %[[MB:.*]] = arith.constant 1262485504 : i32
// CHECK: %[[IN:.*]] = arith.subi %[[KB]], %[[MB]] : i32
// CHECK: %[[I1:.*]] = arith.shrsi %[[IN]], %{{.*}} : i32
// CHECK: %[[I2:.*]] = arith.subi %[[IN]], %[[I1]] : i32
// CHECK: %[[S1:.*]] = arith.bitcast %{{.*}} : i32 to f32
// CHECK: %[[S2:.*]] = arith.bitcast %{{.*}} : i32 to f32
// CHECK: %[[P1:.*]] = arith.mulf %{{.*}}, %[[S1]] : f32
// CHECK: %[[EXP:.*]] = arith.mulf %[[P1]], %[[S2]] : f32
// silu(g) * u:
// CHECK: %[[D:.*]] = arith.addf %{{.*}}, %[[EXP]] : f32
// CHECK: %[[SILU:.*]] = arith.divf %[[G]], %[[D]] : f32
// CHECK: arith.mulf %[[SILU]], %{{.*}} : f32
// One launch in the host function.
// CHECK-LABEL: func.func @fused(
// CHECK: gpu.launch_func {{.*}} @{{.*}}::@silu_and_mul_bf16_h256_q_group128_ue8m0_packed_mn_major4
// CHECK-NOT: gpu.launch_func
// CHECK: return
// PTX: .entry silu_and_mul_bf16_h256_q_group128_ue8m0_packed_mn_major4
// PTX: div.rn.f32
// PTX90-NOT: {{(mul|add|sub)\.f32}}
// PTX100: fma.rn.f32x2
// PTX100-NOT: {{(mul|add|sub)\.f32x?2? }}
func.func @fused(%x: tensor<?x512xbf16>) -> (tensor<?x256xf8E4M3FN>, tensor<1x?xi32, #vllm.scales<group 128, ue8m0_packed, mn_major, align 4>>) {
  %q, %s = vllm.elementwise_quant silu_and_mul(%x) as <per_group 128, ue8m0_packed, mn_major, align 4> : tensor<?x512xbf16> -> tensor<?x256xf8E4M3FN>, tensor<1x?xi32, #vllm.scales<group 128, ue8m0_packed, mn_major, align 4>>
  return %q, %s : tensor<?x256xf8E4M3FN>, tensor<1x?xi32, #vllm.scales<group 128, ue8m0_packed, mn_major, align 4>>
}

// -----

// Unfused: silu_and_mul writes y [M, I], then a quantize kernel reads it.
// CHECK-LABEL: gpu.module
// CHECK-DAG: gpu.func @silu_and_mul_bf16_h256_y(%{{.*}}: memref<?x512xbf16>, %{{.*}}: memref<?x256xbf16>)
// CHECK-DAG: gpu.func @quantize_bf16_h256_q_group128_ue8m0_packed_mn_major4(%{{.*}}: memref<?x256xbf16>,
// CHECK-LABEL: func.func @unfused(
// CHECK: gpu.launch_func {{.*}}::@silu_and_mul_bf16_h256_y
// CHECK: gpu.launch_func {{.*}}::@quantize_bf16_h256_q_group128_ue8m0_packed_mn_major4
// PTX: .entry silu_and_mul_bf16_h256_y
func.func @unfused(%x: tensor<?x512xbf16>) -> (tensor<?x256xf8E4M3FN>, tensor<1x?xi32, #vllm.scales<group 128, ue8m0_packed, mn_major, align 4>>) {
  %y = vllm.silu_and_mul %x : tensor<?x512xbf16> -> tensor<?x256xbf16>
  %q, %s = vllm.quantize %y as <per_group 128, ue8m0_packed, mn_major, align 4> : tensor<?x256xbf16> -> tensor<?x256xf8E4M3FN>, tensor<1x?xi32, #vllm.scales<group 128, ue8m0_packed, mn_major, align 4>>
  return %q, %s : tensor<?x256xf8E4M3FN>, tensor<1x?xi32, #vllm.scales<group 128, ue8m0_packed, mn_major, align 4>>
}

// -----

// Batch dimensions: silu_and_mul on [B, S, 2I] writes [B, S, I] through
// [M, 2I] -> [M, I] views; the dynamic per-tensor fused op with its product
// returned runs the amax kernel (which stores the product) and the apply
// kernel reading it.
// CHECK-LABEL: func.func @batched(
// CHECK: memref.collapse_shape %{{.*}} {{\[}}[0, 1], [2]] : memref<2x?x512xf32> into memref<?x512xf32>
// CHECK: gpu.launch_func {{.*}}::@silu_and_mul_f32_h256_y
// CHECK-LABEL: func.func @dynamic_per_tensor(
// CHECK: gpu.launch_func {{.*}}::@silu_and_mul_f16_h256_y_amax
// CHECK: gpu.launch_func {{.*}}::@quantize_f16_h256_q_tensor
func.func @batched(%x: tensor<2x?x512xf32>) -> tensor<2x?x256xf32> {
  %y = vllm.silu_and_mul %x : tensor<2x?x512xf32> -> tensor<2x?x256xf32>
  return %y : tensor<2x?x256xf32>
}
func.func @dynamic_per_tensor(%x: tensor<?x512xf16>) -> (tensor<?x256xf8E4M3FN>, tensor<1xf32, #vllm.scales<tensor>>, tensor<?x256xf16>) {
  %q, %s, %y = vllm.elementwise_quant silu_and_mul(%x) as <dynamic_per_tensor> : tensor<?x512xf16> -> tensor<?x256xf8E4M3FN>, tensor<1xf32, #vllm.scales<tensor>>, tensor<?x256xf16>
  return %q, %s, %y : tensor<?x256xf8E4M3FN>, tensor<1xf32, #vllm.scales<tensor>>, tensor<?x256xf16>
}
