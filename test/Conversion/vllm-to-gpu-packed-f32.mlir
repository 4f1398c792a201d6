// sm_100a has f32x2 arithmetic (add/mul/fma.rn.f32x2): the row kernels do
// their element-wise f32 work on pairs of elements there, one instruction per
// two elements, with the same rounding per lane as the scalar instruction
// (TargetChipInfo::hasPackedF32Arithmetic, emitElementwiseF32). Paired: the
// residual add, the norm's two products, the quotients y * r and their
// Markstein correction. Not paired: the sum of squares (one fma chain: its
// order is the norm's summation order), and the quotients of per-token with
// an upper bound (a select per element). sm_90a keeps every operation scalar.
// RUN: vllm-opt %s --convert-vllm-to-gpu=chip=sm_100a --canonicalize --cse | FileCheck %s --check-prefix=IR
// RUN: vllm-opt %s --vllm-gpu-pipeline="chip=sm_100a format=ptx" | vllm-opt --vllm-dump-gpu-binary -o /dev/null | FileCheck %s --check-prefix=PTX
// RUN: vllm-opt %s --convert-vllm-to-gpu=chip=sm_90a | FileCheck %s --check-prefix=SM90
// RUN: vllm-opt %s --vllm-gpu-pipeline="chip=sm_90a format=ptx" | vllm-opt --vllm-dump-gpu-binary -o /dev/null | FileCheck %s --check-prefix=SM90-PTX

// IR-LABEL: gpu.func @add_rms_norm_bf16_h2048_eps358637BD_r_q_group128_f32_row_major(
// residual_out = RN(x + residual), two elements per add:
// IR: %[[X01:.*]] = vector.from_elements %{{.*}}, %{{.*}} : vector<2xf32>
// IR-NEXT: %[[R01:.*]] = vector.from_elements %{{.*}}, %{{.*}} : vector<2xf32>
// IR-NEXT: arith.addf %[[X01]], %[[R01]] : vector<2xf32>
// The sum of squares stays one scalar fma chain:
// IR: llvm.intr.fma(%{{.*}}, %{{.*}}, %{{.*}}) : (f32, f32, f32) -> f32
// IR-NOT: vector<2xf32>
// IR: gpu.barrier
// y = RN((v * r) * w) on pairs, r broadcast:
// IR: %[[V01:.*]] = vector.from_elements %{{.*}}, %{{.*}} : vector<2xf32>
// IR-NEXT: %[[RR:.*]] = vector.broadcast %{{.*}} : f32 to vector<2xf32>
// IR-NEXT: %[[W01:.*]] = vector.from_elements %{{.*}}, %{{.*}} : vector<2xf32>
// IR-NEXT: %[[VR:.*]] = arith.mulf %[[V01]], %[[RR]] : vector<2xf32>
// IR-NEXT: arith.mulf %[[VR]], %[[W01]] : vector<2xf32>
// The group's quotients: q0 = y * r, e = fma(s', q0, -y), q1 = fma(-e, r, q0)
// on pairs, after the group's r = RN(1/s):
// IR: arith.divf %{{.*}}, %{{.*}} : f32
// IR: %[[Y01:.*]] = vector.from_elements %{{.*}}, %{{.*}} : vector<2xf32>
// IR-NEXT: %[[GR:.*]] = vector.broadcast %{{.*}} : f32 to vector<2xf32>
// IR-NEXT: %[[GS:.*]] = vector.broadcast %{{.*}} : f32 to vector<2xf32>
// IR-NEXT: %[[Q0:.*]] = arith.mulf %[[Y01]], %[[GR]] : vector<2xf32>
// IR-NEXT: %[[NY:.*]] = arith.negf %[[Y01]] : vector<2xf32>
// IR-NEXT: %[[E:.*]] = llvm.intr.fma(%[[GS]], %[[Q0]], %[[NY]]) : (vector<2xf32>, vector<2xf32>, vector<2xf32>) -> vector<2xf32>
// IR-NEXT: %[[NE:.*]] = arith.negf %[[E]] : vector<2xf32>
// IR-NEXT: llvm.intr.fma(%[[NE]], %[[GR]], %[[Q0]]) : (vector<2xf32>, vector<2xf32>, vector<2xf32>) -> vector<2xf32>
// IR: gpu.return

// Per-token with an upper bound: the quotients select q0 per element where
// it is not finite, so they stay scalar.
// IR-LABEL: gpu.func @quantize_bf16_h256_q_token_ub44960000(
// IR-NOT: vector<2xf32>
// IR: gpu.return

// PTX-LABEL: .entry add_rms_norm_bf16_h2048_eps358637BD_r_q_group128_f32_row_major(
// PTX: add.rn.f32x2
// PTX: bar.sync
// PTX: mul.rn.f32x2
// PTX: fma.rn.f32x2
// PTX-LABEL: .entry quantize_bf16_h256_q_token_ub44960000(
// PTX-NOT: f32x2

// SM90-NOT: vector<2xf32>
// SM90-PTX-NOT: f32x2

func.func @fused_group(%x: tensor<?x2048xbf16>, %r: tensor<?x2048xbf16>, %w: tensor<2048xbf16>) -> (tensor<?x2048xf8E4M3FN>, tensor<?x16xf32, #vllm.scales<group 128, f32, row_major>>, tensor<?x2048xbf16>) {
  %q, %s, %ro = vllm.rms_norm_quant %x, %w residual(%r) as <per_group 128, f32, row_major> {epsilon = 1.0e-06 : f32} : (tensor<?x2048xbf16>, tensor<2048xbf16>, tensor<?x2048xbf16>) -> (tensor<?x2048xf8E4M3FN>, tensor<?x16xf32, #vllm.scales<group 128, f32, row_major>>, tensor<?x2048xbf16>)
  return %q, %s, %ro : tensor<?x2048xf8E4M3FN>, tensor<?x16xf32, #vllm.scales<group 128, f32, row_major>>, tensor<?x2048xbf16>
}

func.func @token_ub(%y: tensor<?x256xbf16>) -> (tensor<?x256xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>) {
  %q, %s = vllm.quantize %y as <per_token, upper_bound = 1.2e+03> : tensor<?x256xbf16> -> tensor<?x256xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>
  return %q, %s : tensor<?x256xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>
}
