// How the quantization kernels form E(y / s) without a division per
// element (Quantize.cpp, emitQuotient; SPEC.md section 6): r = RN(1/s) once
// per scale, then for f32 scales Markstein's correction
//   q0 = y * r, e = fma(s, q0, -y), q1 = fma(-e, r, q0),
// where s = +Inf the correction multiplies by s' = 0 instead of s (one
// select per scale, none per element: q1 = q0 there), and where y / s is
// unbounded (per-token with an upper bound) q0 is kept where it is infinite
// or NaN (exponent field 255).
// UE8M0 scales (powers of two) are tested in vllm-to-gpu-sm90a.mlir: y * r
// alone, r built from the exponent bits. The per-group scale RN(a / 448) is
// itself such a quotient (emitDivideByFP8Max): s = 448 and r = RN(1/448) are
// constants, and q0 is kept where it is infinite (a = +Inf); the per-token
// and per-tensor scales stay divisions (one div.rn.f32 per row or tensor).
// RUN: vllm-opt %s -split-input-file --convert-vllm-to-gpu=chip=sm_90a --cse | FileCheck %s

// Per-token without a bound: s >= amax / 448, so |y / s| <= 448: q1 for
// every element, no select.
// CHECK-LABEL: gpu.func @quantize_bf16_h256_q_token(
// s = max(amax / 448, min_scale), one division per row:
// CHECK: %[[C448:.*]] = arith.constant 4.480000e+02 : f32
// CHECK-NEXT: %[[A:.*]] = arith.divf %{{.*}}, %[[C448]] : f32
// CHECK-NEXT: %[[MIN:.*]] = arith.constant 4.35965421E-6 : f32
// CHECK-NEXT: %[[S:.*]] = arith.maxnumf %[[A]], %[[MIN]] : f32
// CHECK: %[[INF:.*]] = arith.constant 0x7F800000 : f32
// CHECK-NEXT: %[[S_INF:.*]] = arith.cmpf oeq, %[[S]], %[[INF]] : f32
// CHECK-NEXT: %[[ONE:.*]] = arith.constant 1.000000e+00 : f32
// CHECK-NEXT: %[[R:.*]] = arith.divf %[[ONE]], %[[S]] : f32
// CHECK: %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK-NEXT: %[[S_CORR:.*]] = arith.select %[[S_INF]], %[[ZERO]], %[[S]] : f32
// CHECK: memref.store %[[S]]
// CHECK: %[[Q0:.*]] = arith.mulf %[[Y:.*]], %[[R]] : f32
// CHECK-NEXT: %[[NEG_Y:.*]] = arith.negf %[[Y]] : f32
// CHECK-NEXT: %[[E:.*]] = llvm.intr.fma(%[[S_CORR]], %[[Q0]], %[[NEG_Y]])
// CHECK-NEXT: %[[NEG_E:.*]] = arith.negf %[[E]] : f32
// CHECK-NEXT: %[[Q1:.*]] = llvm.intr.fma(%[[NEG_E]], %[[R]], %[[Q0]])
// CHECK-NEXT: arith.mulf %{{.*}}, %[[R]] : f32
// No division of an element, and no select:
// CHECK-NOT: arith.divf %{{.*}}, %[[S]] : f32
// CHECK-NOT: arith.select
// CHECK: gpu.return
func.func @token(%y: tensor<?x256xbf16>) -> (tensor<?x256xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>) {
  %q, %s = vllm.quantize %y as <per_token> : tensor<?x256xbf16> -> tensor<?x256xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>
  return %q, %s : tensor<?x256xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>
}

// -----

// Per-token with an upper bound: the amax is clamped, y / s may overflow
// and y may be infinite, so q0 is also kept where its exponent field is 255.
// CHECK-LABEL: gpu.func @quantize_bf16_h256_q_token_ub44960000(
// CHECK: arith.minnumf
// CHECK: %[[S:.*]] = arith.maxnumf %{{.*}}, %{{.*}} : f32
// CHECK: %[[S_INF:.*]] = arith.cmpf oeq, %[[S]], %{{.*}} : f32
// CHECK: %[[R:.*]] = arith.divf %{{.*}}, %[[S]] : f32
// CHECK: %[[S_CORR:.*]] = arith.select %[[S_INF]], %{{.*}}, %[[S]] : f32
// CHECK: %[[Q0:.*]] = arith.mulf %{{.*}}, %[[R]] : f32
// CHECK: llvm.intr.fma(%[[S_CORR]], %[[Q0]], %{{.*}})
// CHECK: %[[Q1:.*]] = llvm.intr.fma(%{{.*}}, %[[R]], %[[Q0]])
// CHECK-NEXT: %[[BITS:.*]] = arith.bitcast %[[Q0]] : f32 to i32
// CHECK-NEXT: %[[EXP_MASK:.*]] = arith.constant 2139095040 : i32
// CHECK-NEXT: %[[EXP:.*]] = arith.andi %[[BITS]], %[[EXP_MASK]] : i32
// CHECK-NEXT: %[[NOT_FINITE:.*]] = arith.cmpi eq, %[[EXP]], %[[EXP_MASK]] : i32
// CHECK-NEXT: arith.select %[[NOT_FINITE]], %[[Q0]], %[[Q1]] : f32
// CHECK-NOT: arith.divf %{{.*}}, %[[S]] : f32
// CHECK: gpu.return
func.func @token_ub(%y: tensor<?x256xbf16>) -> (tensor<?x256xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>) {
  %q, %s = vllm.quantize %y as <per_token, upper_bound = 1.2e+03> : tensor<?x256xbf16> -> tensor<?x256xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>
  return %q, %s : tensor<?x256xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>
}

// -----

// Per-group f32: s = RN(max(amax, 1e-10) / 448) >= RN(amax / 448) bounds the
// group's quotients; r once per group. s itself is formed without a
// division: q0 = a * RN(1/448), Markstein's correction with the constant
// s = 448, and q0 kept where its exponent field is 255 (a = +Inf).
// CHECK-LABEL: gpu.func @quantize_bf16_h256_q_group128_f32_row_major(
// CHECK-NOT: arith.divf
// CHECK: %[[FLOOR:.*]] = arith.constant 1.000000e-10 : f32
// CHECK-NEXT: %[[A:.*]] = arith.maxnumf %{{.*}}, %[[FLOOR]] : f32
// CHECK-NEXT: %[[INV448:.*]] = arith.constant 0.00223214296 : f32
// CHECK-NEXT: %[[C448:.*]] = arith.constant 4.480000e+02 : f32
// CHECK-NEXT: %[[SQ0:.*]] = arith.mulf %[[A]], %[[INV448]] : f32
// CHECK-NEXT: %[[NEG_A:.*]] = arith.negf %[[A]] : f32
// CHECK-NEXT: %[[SE:.*]] = llvm.intr.fma(%[[C448]], %[[SQ0]], %[[NEG_A]])
// CHECK-NEXT: %[[NEG_SE:.*]] = arith.negf %[[SE]] : f32
// CHECK-NEXT: %[[SQ1:.*]] = llvm.intr.fma(%[[NEG_SE]], %[[INV448]], %[[SQ0]])
// CHECK-NEXT: %[[SBITS:.*]] = arith.bitcast %[[SQ0]] : f32 to i32
// CHECK-NEXT: %[[EXP_MASK:.*]] = arith.constant 2139095040 : i32
// CHECK-NEXT: %[[SEXP:.*]] = arith.andi %[[SBITS]], %[[EXP_MASK]] : i32
// CHECK-NEXT: %[[SQ0_INF:.*]] = arith.cmpi eq, %[[SEXP]], %[[EXP_MASK]] : i32
// CHECK-NEXT: %[[S:.*]] = arith.select %[[SQ0_INF]], %[[SQ0]], %[[SQ1]] : f32
// The one division: r = RN(1/s).
// CHECK: %[[S_INF:.*]] = arith.cmpf oeq, %[[S]], %{{.*}} : f32
// CHECK: %[[ONE:.*]] = arith.constant 1.000000e+00 : f32
// CHECK-NEXT: %[[R:.*]] = arith.divf %[[ONE]], %[[S]] : f32
// CHECK: %[[S_CORR:.*]] = arith.select %[[S_INF]], %{{.*}}, %[[S]] : f32
// CHECK: %[[Q0:.*]] = arith.mulf %{{.*}}, %[[R]] : f32
// CHECK: llvm.intr.fma(%[[S_CORR]], %[[Q0]], %{{.*}})
// CHECK: %[[Q1:.*]] = llvm.intr.fma(%{{.*}}, %[[R]], %[[Q0]])
// CHECK-NEXT: arith.mulf %{{.*}}, %[[R]] : f32
// CHECK-NOT: arith.divf
// CHECK-NOT: arith.select %[[S_INF]]
// CHECK: gpu.return
func.func @group(%y: tensor<?x256xbf16>) -> (tensor<?x256xf8E4M3FN>, tensor<?x2xf32, #vllm.scales<group 128, f32, row_major>>) {
  %q, %s = vllm.quantize %y as <per_group 128, f32, row_major> : tensor<?x256xbf16> -> tensor<?x256xf8E4M3FN>, tensor<?x2xf32, #vllm.scales<group 128, f32, row_major>>
  return %q, %s : tensor<?x256xf8E4M3FN>, tensor<?x2xf32, #vllm.scales<group 128, f32, row_major>>
}
