// sm_100a (Blackwell): the chip is recorded in the IR, UE8M0 scales use the
// cvt.rp.satfinite.ue8m0x2.f32 instruction, FP8 the packed e4m3x2 one, and
// rows move in 16-byte vectors (scalars for odd H).
// RUN: vllm-opt %s --convert-vllm-to-gpu=chip=sm_100a | FileCheck %s --check-prefix=IR
// RUN: vllm-opt %s --vllm-gpu-pipeline="chip=sm_100a format=ptx" | vllm-opt --vllm-dump-gpu-binary -o /dev/null | FileCheck %s --check-prefix=PTX
// The same kernels for the other chip never contain the instruction:
// RUN: vllm-opt %s --vllm-gpu-pipeline="chip=sm_90a format=ptx" | vllm-opt --vllm-dump-gpu-binary -o /dev/null | FileCheck %s --check-prefix=SM90

// IR: gpu.module @vllm_kernels [#nvvm.target<O = 3, chip = "sm_100a", features = "+ptx86">]
// IR-LABEL: gpu.func @add_rms_norm_bf16_h7168_eps358637BD_r_q_group128_ue8m0_packed_mn_major4(
// IR-SAME: known_block_size = array<i32: 448, 1, 1>
// IR: vector.load {{.*}} {alignment = 16 : i64} : memref<?x7168xbf16>, vector<8xbf16>
// U(s) of the clamped scale in one instruction; +Inf selected to 255:
// IR: %[[RAW:.*]] = nvvm.convert.f32x2.to.f8x2 %[[S:[^,]*]], %[[S]] {rnd = #nvvm.fp_rnd_mode<rp>, sat = #nvvm.sat_mode<satfinite>} : i16(f8E8M0FNU)
// IR: %[[WIDE:.*]] = arith.extui %[[RAW]] : i16 to i32
// IR: %[[BYTE:.*]] = arith.andi %[[WIDE]], %{{.*}} : i32
// IR: %[[INF:.*]] = arith.cmpf oeq, %[[S]], %{{.*}} : f32
// IR: arith.select %[[INF]], %{{.*}}, %[[BYTE]] : i32
// IR: nvvm.convert.f32x2.to.f8x2 {{.*}} {rnd = #nvvm.fp_rnd_mode<rn>, sat = #nvvm.sat_mode<satfinite>} : i16(f8E4M3FN)
// IR-LABEL: gpu.func @quantize_bf16_h7168_q_group128_ue8m0_f32_mn_major4(
// IR: nvvm.convert.f32x2.to.f8x2 {{.*}} : i16(f8E8M0FNU)

// PTX: .version 8.6
// PTX: .target sm_100a

// The fused kernel, persistent with 2 CTAs of 448 threads per SM: x and the
// residual of the CTA's first row read before its row loop (16-byte loads;
// the vectors carried across iterations are v2.b64 ones); in the loop the
// next row's x and residual are loaded first, then w (v4.b32), each bf16
// word widened by a shift and a mask (no cvt.f32.bf16), then the row's
// residual_out is packed two elements per cvt.rn.bf16x2.f32 and written,
// the sum of squares reduced by shuffles and one shared-memory step across
// the 14 warps, r = 1/sqrt.rn(sum/H + eps), then per 128-group: amax over 16
// lanes, the scale a / 448 without a division (a product with RN(1/448) =
// 0f3B124925 and Markstein's two fmas), the UE8M0 scale, FP8 codes, and the
// group bytes assembled into packed words in shared memory.
// PTX-LABEL: .entry add_rms_norm_bf16_h7168_eps358637BD_r_q_group128_ue8m0_packed_mn_major4(
// PTX: .maxntid 448, 1, 1
// PTX: .minnctapersm 2
// PTX-COUNT-4: ld.global.v2.b64
// PTX-COUNT-4: ld.global.v2.b64
// PTX-NOT: cvt.f32.bf16
// PTX: ld.global.v4.b32 {[[W0:%r[0-9]+]], {{%r[0-9]+}}, {{%r[0-9]+}}, {{%r[0-9]+}}}
// PTX-NEXT: shl.b32 {{%r[0-9]+}}, [[W0]], 16;
// PTX-NEXT: and.b32 {{%r[0-9]+}}, [[W0]], -65536;
// PTX: ld.global.v4.b32
// PTX-NOT: cvt.f32.bf16
// PTX: cvt.rn.bf16x2.f32
// PTX-COUNT-2: st.global.v4.b32
// PTX-NOT: cvt.f32.bf16
// PTX: shfl.sync.bfly.b32 {{.*}}, 16, 31, -1;
// PTX: bar.sync 0;
// PTX: div.rn.f32 {{.*}}, 0f45E00000;
// PTX: sqrt.rn.f32
// PTX: shfl.sync.bfly.b32 {{.*}}, 8, 31, -1;
// PTX-NOT: div.rn.f32
// PTX: max.f32 [[A:%r[0-9]+]], {{%r[0-9]+}}, 0f2EDBE6FF;
// PTX-NEXT: mul.rn.f32 [[Q0:%r[0-9]+]], [[A]], 0f3B124925;
// PTX-NEXT: neg.f32 [[NEG_A:%r[0-9]+]], [[A]];
// PTX-NEXT: fma.rn.f32 [[ERR:%r[0-9]+]], [[Q0]], 0f43E00000, [[NEG_A]];
// PTX-NEXT: fma.rn.f32 [[Q1:%r[0-9]+]], [[ERR]], 0fBB124925, [[Q0]];
// PTX-NEXT: setp.equ.f32 [[Q0_INF:%p[0-9]+]], [[Q0]], 0f7F800000;
// PTX-NEXT: selp.f32 [[S:%r[0-9]+]], [[Q0]], [[Q1]], [[Q0_INF]];
// PTX-NEXT: max.f32 [[S2:%r[0-9]+]], [[S]], 0f2EDBE6FF;
// PTX-NEXT: cvt.rp.satfinite.ue8m0x2.f32 {{%rs[0-9]+}}, [[S2]], [[S2]];
// PTX: cvt.rn.satfinite.e4m3x2.f32
// PTX: st.global.v4.b16
// PTX: st.shared.b8
// PTX: bar.sync 0;
// PTX: st.global.b32

// PTX-LABEL: .entry quantize_bf16_h7168_q_group128_ue8m0_f32_mn_major4(
// PTX: ld.global.v2.b64
// PTX-NOT: div.rn.f32
// PTX: mul.rn.f32 {{%r[0-9]+}}, {{%r[0-9]+}}, 0f3B124925;
// PTX-NEXT: neg.f32
// PTX-NEXT: fma.rn.f32 {{%r[0-9]+}}, {{%r[0-9]+}}, 0f43E00000, {{%r[0-9]+}};
// PTX-NEXT: fma.rn.f32 {{%r[0-9]+}}, {{%r[0-9]+}}, 0fBB124925, {{%r[0-9]+}};
// PTX-NOT: div.rn.f32
// PTX: cvt.rp.satfinite.ue8m0x2.f32
// PTX: cvt.rn.satfinite.e4m3x2.f32

// Odd H (1001): 2-byte scalar loads, widened by cvt.f32.bf16 (a single
// bf16 is not a whole word), 1-byte FP8 stores; the per-token scale is
// still one div.rn.f32 of the amax by 448 per row.
// PTX-LABEL: .entry rms_norm_bf16_h1001_eps358637BD_q_token(
// PTX: .maxntid 512, 1, 1
// PTX-NOT: ld.global.v
// PTX: ld.global.b16
// PTX: cvt.f32.bf16
// PTX: div.rn.f32 {{%r[0-9]+}}, {{%r[0-9]+}}, 0f43E00000;
// PTX: cvt.rn.satfinite.e4m3x2.f32
// PTX: st.global.b8
// PTX-NOT: ue8m0x2

// SM90: .target sm_90a
// SM90-NOT: ue8m0x2
// SM90: cvt.rn.satfinite.e4m3x2.f32
// SM90-NOT: ue8m0x2

func.func @fused_packed(%x: tensor<?x7168xbf16>, %r: tensor<?x7168xbf16>, %w: tensor<7168xbf16>) -> (tensor<?x7168xf8E4M3FN>, tensor<14x?xi32, #vllm.scales<group 128, ue8m0_packed, mn_major, align 4>>, tensor<?x7168xbf16>) {
  %q, %s, %ro = vllm.rms_norm_quant %x, %w residual(%r) as <per_group 128, ue8m0_packed, mn_major, align 4> {epsilon = 1.0e-06 : f32} : (tensor<?x7168xbf16>, tensor<7168xbf16>, tensor<?x7168xbf16>) -> (tensor<?x7168xf8E4M3FN>, tensor<14x?xi32, #vllm.scales<group 128, ue8m0_packed, mn_major, align 4>>, tensor<?x7168xbf16>)
  return %q, %s, %ro : tensor<?x7168xf8E4M3FN>, tensor<14x?xi32, #vllm.scales<group 128, ue8m0_packed, mn_major, align 4>>, tensor<?x7168xbf16>
}

func.func @quant_ue8m0_f32(%y: tensor<?x7168xbf16>) -> (tensor<?x7168xf8E4M3FN>, tensor<56x?xf32, #vllm.scales<group 128, ue8m0_f32, mn_major, align 4>>) {
  %q, %s = vllm.quantize %y as <per_group 128, ue8m0_f32, mn_major, align 4> : tensor<?x7168xbf16> -> tensor<?x7168xf8E4M3FN>, tensor<56x?xf32, #vllm.scales<group 128, ue8m0_f32, mn_major, align 4>>
  return %q, %s : tensor<?x7168xf8E4M3FN>, tensor<56x?xf32, #vllm.scales<group 128, ue8m0_f32, mn_major, align 4>>
}

func.func @odd_h(%x: tensor<?x1001xbf16>, %w: tensor<1001xbf16>) -> (tensor<?x1001xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>) {
  %q, %s = vllm.rms_norm_quant %x, %w as <per_token> {epsilon = 1.0e-06 : f32} : (tensor<?x1001xbf16>, tensor<1001xbf16>) -> (tensor<?x1001xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>)
  return %q, %s : tensor<?x1001xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>
}
