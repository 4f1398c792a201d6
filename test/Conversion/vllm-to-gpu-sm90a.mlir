// sm_90a (Hopper): the chip is recorded in the IR; UE8M0 scales come from
// the bit rule of SPEC.md section 2 (there is no ue8m0x2 conversion on this
// chip, and the NVPTX backend would abort on it); FP8 uses the packed
// e4m3x2 conversions; the GEMM decodes fp8 with cvt.rn.f16x2.e4m3x2.
// RUN: vllm-opt %s --convert-vllm-to-gpu=chip=sm_90a | FileCheck %s --check-prefix=IR
// RUN: vllm-opt %s --vllm-gpu-pipeline="chip=sm_90a format=ptx" | vllm-opt --vllm-dump-gpu-binary -o /dev/null | FileCheck %s --check-prefix=PTX
// A newer PTX ISA and another optimization level are recorded as given:
// RUN: vllm-opt %s --convert-vllm-to-gpu="chip=sm_90a features=+ptx88 opt-level=1" | FileCheck %s --check-prefix=OPTS
// RUN: vllm-opt %s --vllm-gpu-pipeline="chip=sm_90a features=+ptx88 format=ptx" | vllm-opt --vllm-dump-gpu-binary -o /dev/null | FileCheck %s --check-prefix=PTX88

// IR: gpu.module @vllm_kernels [#nvvm.target<O = 3, chip = "sm_90a", features = "+ptx86">]
// IR-NOT: f8E8M0FNU
// IR-LABEL: gpu.func @rms_norm_bf16_h7168_eps358637BD_q_group128_ue8m0_f32_mn_major4(
// s = RN(max(amax, 1e-10) / 448), without a division: q0 = a * RN(1/448),
// Markstein's correction q1 = fma(-fma(448, q0, -a), RN(1/448), q0), and q0
// kept where its exponent field is 255 (a = +Inf). Then e = exponent field +
// (mantissa field != 0) on the bits of s' = max(s, 1e-10); the scale is the
// f32 with bits e << 23.
// After the norm's last division (1 / rms) there is none before the scale:
// IR: llvm.inline_asm "sqrt.rn.f32 $0, $1;"
// IR-NEXT: arith.divf %{{.*}}, %{{.*}} : f32
// IR-NOT: arith.divf
// IR: %[[AFLOOR:.*]] = arith.constant 1.000000e-10 : f32
// IR-NEXT: %[[A:.*]] = arith.maxnumf %{{.*}}, %[[AFLOOR]] : f32
// IR-NEXT: %[[INV448:.*]] = arith.constant 0.00223214296 : f32
// IR-NEXT: %[[C448:.*]] = arith.constant 4.480000e+02 : f32
// IR-NEXT: %[[Q0:.*]] = arith.mulf %[[A]], %[[INV448]] : f32
// IR-NEXT: %[[NEG_A:.*]] = arith.negf %[[A]] : f32
// IR-NEXT: %[[ERR:.*]] = llvm.intr.fma(%[[C448]], %[[Q0]], %[[NEG_A]])
// IR-NEXT: %[[NEG_ERR:.*]] = arith.negf %[[ERR]] : f32
// IR-NEXT: %[[Q1:.*]] = llvm.intr.fma(%[[NEG_ERR]], %[[INV448]], %[[Q0]])
// IR-NEXT: %[[Q0_BITS:.*]] = arith.bitcast %[[Q0]] : f32 to i32
// IR-NEXT: %[[EXP_MASK:.*]] = arith.constant 2139095040 : i32
// IR-NEXT: %[[Q0_EXP:.*]] = arith.andi %[[Q0_BITS]], %[[EXP_MASK]] : i32
// IR-NEXT: %[[EXP_MASK2:.*]] = arith.constant 2139095040 : i32
// IR-NEXT: %[[Q0_INF:.*]] = arith.cmpi eq, %[[Q0_EXP]], %[[EXP_MASK2]] : i32
// IR-NEXT: %[[RAW:.*]] = arith.select %[[Q0_INF]], %[[Q0]], %[[Q1]] : f32
// IR-NEXT: %[[FLOOR:.*]] = arith.constant 1.000000e-10 : f32
// IR-NEXT: %[[S:.*]] = arith.maxnumf %[[RAW]], %[[FLOOR]] : f32
// IR-NEXT: %[[BITS:.*]] = arith.bitcast %[[S]] : f32 to i32
// IR-NEXT: %[[C23:.*]] = arith.constant 23 : i32
// IR-NEXT: %[[EXP:.*]] = arith.shrui %[[BITS]], %[[C23]] : i32
// IR-NEXT: %[[MASK:.*]] = arith.constant 8388607 : i32
// IR-NEXT: %[[MANT:.*]] = arith.andi %[[BITS]], %[[MASK]] : i32
// IR-NEXT: %[[ZERO:.*]] = arith.constant 0 : i32
// IR-NEXT: %[[INEXACT:.*]] = arith.cmpi ne, %[[MANT]], %[[ZERO]] : i32
// IR-NEXT: %[[UP:.*]] = arith.extui %[[INEXACT]] : i1 to i32
// IR-NEXT: %[[E:.*]] = arith.addi %[[EXP]], %[[UP]] : i32
// IR-NEXT: %[[C23B:.*]] = arith.constant 23 : i32
// IR-NEXT: %[[POW2:.*]] = arith.shli %[[E]], %[[C23B]] : i32
// IR-NEXT: %[[SCALE:.*]] = arith.bitcast %[[POW2]] : i32 to f32
// The quotients y / s are products y * 2^(127 - e): the reciprocal of a
// power of two is exact, built from the bits (254 - e) << 23 (the subnormal
// 2^-127 for e = 254, 0 for e = 255), so no division per element.
// IR-NEXT: %[[C254:.*]] = arith.constant 254 : i32
// IR-NEXT: %[[NEG_E:.*]] = arith.subi %[[C254]], %[[E]] : i32
// IR-NEXT: %[[C23C:.*]] = arith.constant 23 : i32
// IR-NEXT: %[[RBITS:.*]] = arith.shli %[[NEG_E]], %[[C23C]] : i32
// IR: %[[R:.*]] = arith.bitcast %{{.*}} : i32 to f32
// IR-NEXT: arith.mulf %{{.*}}, %[[R]] : f32
// IR-NOT: arith.divf %{{.*}}, %[[SCALE]] : f32
// IR: nvvm.convert.f32x2.to.f8x2 {{.*}} {rnd = #nvvm.fp_rnd_mode<rn>, sat = #nvvm.sat_mode<satfinite>} : i16(f8E4M3FN)
// IR-NOT: f8E8M0FNU

// PTX: .version 8.6
// PTX: .target sm_90a
// PTX-NOT: ue8m0x2
// PTX-LABEL: .entry rms_norm_bf16_h7168_eps358637BD_q_group128_ue8m0_f32_mn_major4(
// PTX: ld.global.v4.b32
// bf16 words are widened with integer operations, not cvt.f32.bf16: a shift
// for the low element, a mask for the high one.
// PTX-NOT: cvt.f32.bf16
// PTX: shl.b32 {{%r[0-9]+}}, [[W:%r[0-9]+]], 16;
// PTX-NEXT: and.b32 {{%r[0-9]+}}, [[W]], -65536;
// PTX-NOT: cvt.f32.bf16
// PTX: sqrt.rn.f32
// The y round trip through bf16 packs two elements per cvt.rn.bf16x2.f32
// and unpacks the words the same way.
// PTX-NOT: cvt.f32.bf16
// PTX: cvt.rn.bf16x2.f32
// PTX-NEXT: cvt.rn.bf16x2.f32
// PTX-NEXT: cvt.rn.bf16x2.f32
// PTX-NEXT: cvt.rn.bf16x2.f32 [[Y01:%r[0-9]+]], {{%r[0-9]+}}, {{%r[0-9]+}};
// PTX-NEXT: shl.b32 {{%r[0-9]+}}, [[Y01]], 16;
// PTX-NEXT: and.b32 {{%r[0-9]+}}, [[Y01]], -65536;
// The group amax runs on the packed y: one max.xorsign.abs.bf16x2 per pair
// of words reduces each of the thread's two vectors to a pair; the pairs
// are regrouped (two 16-bit moves) and folded into one pair holding both
// vectors' amax, which one butterfly of 32-bit shuffles reduces over the 16
// lanes of a 128-group; then both halves are widened and their sign bits
// cleared (0x7FFF0000 = 2147418112).
// PTX-NOT: cvt.f32.bf16
// PTX: max.xorsign.abs.bf16x2
// PTX-NEXT: max.xorsign.abs.bf16x2
// PTX-NEXT: max.xorsign.abs.bf16x2 [[V0:%r[0-9]+]],
// PTX-NEXT: max.xorsign.abs.bf16x2
// PTX-NEXT: max.xorsign.abs.bf16x2
// PTX-NEXT: max.xorsign.abs.bf16x2 [[V1:%r[0-9]+]],
// PTX-NEXT: mov.b32 {[[V1LO:%rs[0-9]+]], [[V1HI:%rs[0-9]+]]}, [[V1]];
// PTX-NEXT: mov.b32 {[[V0LO:%rs[0-9]+]], [[V0HI:%rs[0-9]+]]}, [[V0]];
// PTX-NEXT: mov.b32 [[LOS:%r[0-9]+]], {[[V0LO]], [[V1LO]]};
// PTX-NEXT: mov.b32 [[HIS:%r[0-9]+]], {[[V0HI]], [[V1HI]]};
// PTX-NEXT: max.xorsign.abs.bf16x2 {{%r[0-9]+}}, [[LOS]], [[HIS]];
// PTX-NEXT: shfl.sync.bfly.b32 {{.*}}, 8, 31, -1;
// PTX-NEXT: max.xorsign.abs.bf16x2
// PTX-NEXT: shfl.sync.bfly.b32 {{.*}}, 4, 31, -1;
// PTX-NEXT: max.xorsign.abs.bf16x2
// PTX-NEXT: shfl.sync.bfly.b32 {{.*}}, 2, 31, -1;
// PTX-NEXT: max.xorsign.abs.bf16x2
// PTX-NEXT: shfl.sync.bfly.b32 {{.*}}, 1, 31, -1;
// PTX-NEXT: max.xorsign.abs.bf16x2 [[PAIR:%r[0-9]+]],
// PTX-NEXT: shl.b32 [[LO:%r[0-9]+]], [[PAIR]], 16;
// PTX-NEXT: and.b32 {{%r[0-9]+}}, [[LO]], 2147418112;
// PTX-NEXT: and.b32 {{%r[0-9]+}}, [[PAIR]], 2147418112;
// The group scale: no div.rn.f32 by 448 (0f43E00000), but a product with
// RN(1/448) = 0f3B124925 and two fmas (the second with -RN(1/448)), q0 kept
// where it is +Inf or NaN.
// PTX-NOT: div.rn.f32
// PTX: max.f32 [[A:%r[0-9]+]], {{%r[0-9]+}}, 0f2EDBE6FF;
// PTX-NEXT: mul.rn.f32 [[Q0:%r[0-9]+]], [[A]], 0f3B124925;
// PTX-NEXT: neg.f32 [[NEG_A:%r[0-9]+]], [[A]];
// PTX-NEXT: fma.rn.f32 [[ERR:%r[0-9]+]], [[Q0]], 0f43E00000, [[NEG_A]];
// PTX-NEXT: fma.rn.f32 [[Q1:%r[0-9]+]], [[ERR]], 0fBB124925, [[Q0]];
// PTX-NEXT: setp.equ.f32 [[Q0_INF:%p[0-9]+]], [[Q0]], 0f7F800000;
// PTX-NEXT: selp.f32 [[S:%r[0-9]+]], [[Q0]], [[Q1]], [[Q0_INF]];
// PTX-NEXT: max.f32 [[S2:%r[0-9]+]], [[S]], 0f2EDBE6FF;
// The bit rule after LLVM's folding: (bits + 0x7FFFFF) & 0xFF800000.
// PTX-NEXT: add.s32 [[UP:%r[0-9]+]], [[S2]], 8388607;
// PTX: and.b32 [[POW2:%r[0-9]+]], [[UP]], -8388608;
// The reciprocal 2^(127 - e): (254 - e) << 23 = 0x7F000000 - POW2.
// PTX: sub.s32 [[RECIP:%r[0-9]+]], 2130706432, [[POW2]];
// PTX: mul.rn.f32 {{%r[0-9]+}}, {{%r[0-9]+}}, {{%r[0-9]+}};
// PTX-NOT: div.rn.f32 {{%r[0-9]+}}, {{%r[0-9]+}}, [[POW2]];
// PTX: cvt.rn.satfinite.e4m3x2.f32
// PTX: st.global.v4.b16
// PTX-LABEL: .entry scaled_matmul_n256_k512_bf16_a_group128_f32_mn_major4_b_block128x128_f32(
// PTX: ld.global.v4.b32
// PTX: cvt.rn.f16x2.e4m3x2
// PTX: bar.sync 0;
// PTX: fma.rn.f32
// PTX-NOT: ue8m0x2

// OPTS: gpu.module @vllm_kernels [#nvvm.target<O = 1, chip = "sm_90a", features = "+ptx88">]
// PTX88: .version 8.8
// PTX88: .target sm_90a

func.func @fused_ue8m0_f32(%x: tensor<?x7168xbf16>, %w: tensor<7168xbf16>) -> (tensor<?x7168xf8E4M3FN>, tensor<56x?xf32, #vllm.scales<group 128, ue8m0_f32, mn_major, align 4>>) {
  %q, %s = vllm.rms_norm_quant %x, %w as <per_group 128, ue8m0_f32, mn_major, align 4> {epsilon = 1.0e-06 : f32} : (tensor<?x7168xbf16>, tensor<7168xbf16>) -> (tensor<?x7168xf8E4M3FN>, tensor<56x?xf32, #vllm.scales<group 128, ue8m0_f32, mn_major, align 4>>)
  return %q, %s : tensor<?x7168xf8E4M3FN>, tensor<56x?xf32, #vllm.scales<group 128, ue8m0_f32, mn_major, align 4>>
}

func.func @gemm(%a: tensor<?x512xf8E4M3FN>, %b: tensor<256x512xf8E4M3FN>, %sa: tensor<4x?xf32, #vllm.scales<group 128, f32, mn_major, align 4>>, %sb: tensor<2x4xf32, #vllm.scales<block 128x128, f32>>) -> tensor<?x256xbf16> {
  %d = vllm.scaled_matmul %a, %b scales(%sa, %sb) chip <sm_90a> : (tensor<?x512xf8E4M3FN>, tensor<256x512xf8E4M3FN>, tensor<4x?xf32, #vllm.scales<group 128, f32, mn_major, align 4>>, tensor<2x4xf32, #vllm.scales<block 128x128, f32>>) -> tensor<?x256xbf16>
  return %d : tensor<?x256xbf16>
}
