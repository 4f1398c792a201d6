//===- OpsTest.cpp - Hand-worked cases of norm, quantize and layouts ------===//
//
// Part of the vllm-mlir project.
//
//===----------------------------------------------------------------------===//
//
// Inputs are chosen so that every intermediate value is exact or its
// rounding is worked out in the comment; the expected bytes and values are
// written down by hand from docs/SPEC.md, never produced by the code under
// test.
//
//===----------------------------------------------------------------------===//

#include "TestHarness.h"
#include "vllm-reference/Reference.h"

#include <cmath>
#include <cstring>
#include <limits>

using namespace vllm::ref;

static const float kInf = std::numeric_limits<float>::infinity();
static const float kNaN = std::numeric_limits<float>::quiet_NaN();

/// A matrix of `type` from values that must be representable in `type`.
static Matrix makeMatrix(DType type, int64_t rows, int64_t cols,
                         const std::vector<float> &values) {
  Matrix m(type, rows, cols);
  for (int64_t i = 0; i < rows * cols; ++i) {
    float v = values[static_cast<size_t>(i)];
    if (!std::isnan(v) && roundTo(type, v) != v)
      vt::fail(__FILE__, __LINE__, "test value not representable");
    m.set(i / cols, i % cols, v);
  }
  return m;
}

static float scaleF32(const QuantOutput &out, int64_t element) {
  float v;
  std::memcpy(&v, out.scales.data() + element * 4, 4);
  return v;
}

static uint32_t scaleWord(const QuantOutput &out, int64_t element) {
  uint32_t v;
  std::memcpy(&v, out.scales.data() + element * 4, 4);
  return v;
}

//===----------------------------------------------------------------------===//
// Scale shapes and scheme constraints
//===----------------------------------------------------------------------===//

VT_TEST(scaleShapes) {
  using E = ScaleEncoding;
  using L = ScaleLayout;
  auto shape = [](QuantScheme s, int64_t M, int64_t H) {
    ScaleShape sh = scaleShape(s, M, H);
    return std::vector<int64_t>(sh.dims, sh.dims + sh.rank);
  };
  using V = std::vector<int64_t>;
  // SPEC 3.3 example: M = 257, H = 256, g = 128 -> Kp = 1, Mpad = 260.
  VT_EXPECT(shape(QuantScheme::perGroup(128, E::UE8M0Packed, L::MNMajor, 4),
                  257, 256) == V({1, 260}));
  VT_EXPECT(
      scaleShape(QuantScheme::perGroup(128, E::UE8M0Packed, L::MNMajor, 4), 257,
                 256)
          .isInt32);
  VT_EXPECT(shape(QuantScheme::perGroup(128, E::UE8M0Packed, L::MNMajor, 4),
                  257, 7168) == V({14, 260}));
  VT_EXPECT(shape(QuantScheme::perGroup(128, E::F32, L::MNMajor, 4), 257,
                  7168) == V({56, 260}));
  VT_EXPECT(shape(QuantScheme::perGroup(128, E::F32, L::MNMajor, 1), 257,
                  7168) == V({56, 257}));
  VT_EXPECT(shape(QuantScheme::perGroup(64, E::F32, L::MNMajor, 1), 257, 256) ==
            V({4, 257}));
  VT_EXPECT(shape(QuantScheme::perGroup(32, E::UE8M0F32, L::MNMajor, 4), 5,
                  256) == V({8, 8}));
  VT_EXPECT(shape(QuantScheme::perGroup(128, E::F32, L::RowMajor, 1), 257,
                  256) == V({257, 2}));
  VT_EXPECT(shape(QuantScheme::perToken(), 257, 7168) == V({257}));
  VT_EXPECT(shape(QuantScheme::dynamicPerTensor(), 257, 7168) == V({1}));
  VT_EXPECT(shape(QuantScheme::staticPerTensor(), 3, 8) == V({1}));
  // G = 5 groups of 32 -> Kp = 2 words per row.
  VT_EXPECT(shape(QuantScheme::perGroup(32, E::UE8M0Packed, L::MNMajor, 4), 1,
                  160) == V({2, 4}));
}

VT_TEST(schemeChecks) {
  using E = ScaleEncoding;
  using L = ScaleLayout;
  VT_EXPECT(QuantScheme::perGroup(128, E::F32, L::RowMajor, 1).check(256) ==
            "");
  VT_EXPECT(QuantScheme::perGroup(100, E::F32, L::RowMajor, 1).check(200) !=
            "");
  VT_EXPECT(QuantScheme::perGroup(128, E::F32, L::RowMajor, 1).check(200) !=
            "");
  VT_EXPECT(
      QuantScheme::perGroup(128, E::UE8M0Packed, L::RowMajor, 1).check(256) !=
      "");
  VT_EXPECT(
      QuantScheme::perGroup(128, E::UE8M0Packed, L::MNMajor, 1).check(256) !=
      "");
  VT_EXPECT(QuantScheme::perGroup(128, E::F32, L::MNMajor, 2).check(256) != "");
  VT_EXPECT(QuantScheme::perTokenUpperBound(2.0f).check(7) == "");
  QuantScheme bad = QuantScheme::dynamicPerTensor();
  bad.hasUpperBound = true;
  bad.upperBound = 1.0f;
  VT_EXPECT(bad.check(8) != ""); // C6.
}

//===----------------------------------------------------------------------===//
// rms_norm / fused_add_rms_norm
//===----------------------------------------------------------------------===//

VT_TEST(rmsNormExactFactor) {
  // x = 2 everywhere, H = 4: sum 16, mean 4; eps = 1e-9 vanishes in 4 + eps
  // (half an ulp of 4 is 2.4e-7), so r = 1/sqrt(4) = 0.5 and y = x*r*w = w.
  Matrix x = makeMatrix(DType::F32, 1, 4, {2, 2, 2, 2});
  Matrix w = makeMatrix(DType::F32, 1, 4, {1, -3, 0.5f, 100});
  std::vector<float> r;
  Matrix y = rmsNorm(x, w, 1e-9f, &r);
  VT_EXPECT_EQ(r[0], 0.5f);
  VT_EXPECT_EQ(y.get(0, 0), 1.0f);
  VT_EXPECT_EQ(y.get(0, 1), -3.0f);
  VT_EXPECT_EQ(y.get(0, 2), 0.5f);
  VT_EXPECT_EQ(y.get(0, 3), 100.0f);
  // x = [3, 4]: sum 25, mean 12.5, eps 3.5 -> 16, r = 0.25.
  Matrix x2 = makeMatrix(DType::F32, 1, 2, {3, 4});
  Matrix w2 = makeMatrix(DType::F32, 1, 2, {2, -1});
  Matrix y2 = rmsNorm(x2, w2, 3.5f);
  VT_EXPECT_EQ(y2.get(0, 0), 1.5f);
  VT_EXPECT_EQ(y2.get(0, 1), -1.0f);
}

VT_TEST(rmsNormRoundsOnceToBf16) {
  // x = [1, 1], eps = 2: mean + eps = 3, r = RN32(1/RN32(sqrt 3)) =
  // 0.57735026 (0x3f13cd3a); y = RN_bf16(r) = 0x3f14 (0.578125: mantissa
  // 0x13cd3a rounds up at bit 16).
  Matrix x = makeMatrix(DType::BF16, 1, 2, {1, 1});
  Matrix w = makeMatrix(DType::BF16, 1, 2, {1, -1});
  Matrix y = rmsNorm(x, w, 2.0f);
  VT_EXPECT_EQ(y.bits(0, 0), 0x3f14u);
  VT_EXPECT_EQ(y.bits(0, 1), 0xbf14u);
}

VT_TEST(rmsNormRoundBeforeWeight) {
  // As above, r = 0x3f13cd3a (0.57735026), now with w = 1.75. Once:
  // r * 1.75 = 1.0103630 = 1 + 1.33/128, RN_bf16 -> 1 + 1/128 (0x3f81).
  // round_before_weight: RN_bf16(r) = 0.578125 = 37/64 (0x3f14), times 1.75
  // = 259/256 = 1 + 1.5/128 exactly, a tie that rounds to even: 1 + 2/128
  // (0x3f82). For f32 the first rounding is the identity.
  Matrix x = makeMatrix(DType::BF16, 1, 2, {1, 1});
  Matrix w = makeMatrix(DType::BF16, 1, 2, {1.75f, -1.75f});
  Matrix once = rmsNorm(x, w, 2.0f);
  VT_EXPECT_EQ(once.bits(0, 0), 0x3f81u);
  VT_EXPECT_EQ(once.bits(0, 1), 0xbf81u);
  Matrix twice = rmsNorm(x, w, 2.0f, nullptr, /*roundBeforeWeight=*/true);
  VT_EXPECT_EQ(twice.bits(0, 0), 0x3f82u);
  VT_EXPECT_EQ(twice.bits(0, 1), 0xbf82u);
  // fused_add_rms_norm and rms_norm_quant pass it on: x + 0 = x.
  Matrix zero = makeMatrix(DType::BF16, 1, 2, {0, 0});
  Matrix y, sum;
  fusedAddRmsNorm(x, zero, w, 2.0f, y, sum, nullptr, true);
  VT_EXPECT_EQ(y.bits(0, 0), 0x3f82u);
  Matrix normalized;
  rmsNormQuant(x, w, nullptr, 0.0f, 2.0f, QuantScheme::perToken(), &normalized,
               nullptr, true);
  VT_EXPECT_EQ(normalized.bits(0, 1), 0xbf82u);
  Matrix x32 = makeMatrix(DType::F32, 1, 2, {1, 1});
  Matrix w32 = makeMatrix(DType::F32, 1, 2, {1.75f, -1.75f});
  VT_EXPECT_EQ(rmsNorm(x32, w32, 2.0f, nullptr, true).bits(0, 0),
               rmsNorm(x32, w32, 2.0f).bits(0, 0));
}

VT_TEST(rmsNormZeroAndNonFiniteRows) {
  Matrix w = makeMatrix(DType::BF16, 1, 2, {1, 1});
  // Zero row: r = 1/sqrt(eps) = 2 for eps = 0.25, y = 0.
  Matrix zero = makeMatrix(DType::BF16, 1, 2, {0, 0});
  std::vector<float> r;
  Matrix y0 = rmsNorm(zero, w, 0.25f, &r);
  VT_EXPECT_EQ(r[0], 2.0f);
  VT_EXPECT_EQ(y0.bits(0, 0), 0u);
  // +Inf in the row: the sum is Inf, r = 0, y = x * 0: 0 for finite x
  // and NaN for the Inf element.
  Matrix inf = makeMatrix(DType::BF16, 1, 2, {kInf, -3});
  Matrix y1 = rmsNorm(inf, w, 1e-6f);
  VT_EXPECT(std::isnan(y1.get(0, 0)));
  VT_EXPECT_EQ(y1.bits(0, 1), 0x8000u); // -3 * 0 = -0.
  // 1e30 squared overflows f32: same as Inf, r = 0.
  Matrix huge = makeMatrix(DType::F32, 1, 2, {1e30f, 1});
  Matrix y2 = rmsNorm(huge, makeMatrix(DType::F32, 1, 2, {1, 1}), 1e-6f);
  VT_EXPECT_EQ(y2.get(0, 0), 0.0f);
  // NaN anywhere: the whole row is NaN.
  Matrix nan = makeMatrix(DType::BF16, 1, 2, {kNaN, 1});
  Matrix y3 = rmsNorm(nan, w, 1e-6f);
  VT_EXPECT(std::isnan(y3.get(0, 0)) && std::isnan(y3.get(0, 1)));
}

VT_TEST(fusedAddRmsNormRoundsTheSum) {
  // 1 + 2^-8 is the bf16 tie between 1.0 (even) and 1.0078125: 1.0.
  // 3 + 2^-7 is the tie between 3.0 (even) and 3.015625: 3.0.
  // The norm sees [1, 3]: mean 5, eps 11 -> 16, r = 0.25 -> y = [0.25,
  // 0.75].
  Matrix x = makeMatrix(DType::BF16, 1, 2, {1, 3});
  Matrix res = makeMatrix(DType::BF16, 1, 2,
                          {std::ldexp(1.0f, -8), std::ldexp(1.0f, -7)});
  Matrix w = makeMatrix(DType::BF16, 1, 2, {1, 1});
  Matrix y, resOut;
  fusedAddRmsNorm(x, res, w, 11.0f, y, resOut);
  VT_EXPECT_EQ(resOut.bits(0, 0), 0x3f80u);
  VT_EXPECT_EQ(resOut.bits(0, 1), 0x4040u);
  VT_EXPECT_EQ(y.bits(0, 0), 0x3e80u); // 0.25
  VT_EXPECT_EQ(y.bits(0, 1), 0x3f40u); // 0.75
}

//===----------------------------------------------------------------------===//
// quantize: per-tensor and per-token
//===----------------------------------------------------------------------===//

VT_TEST(staticPerTensorUsesTheReciprocal) {
  // s = 7: RN32(1/7) is slightly above 1/7, so 2.734375 * RN32(1/7) =
  // 0.39062503 rounds to 0.40625 (0x2d), while 2.734375 / 7 = 0.390625
  // exactly would tie to 0.375 (0x2c). 3136 * RN32(1/7) = 448.00003
  // saturates to 448.
  Matrix y = makeMatrix(DType::F32, 1, 3, {2.734375f, 3136.0f, -0.0f});
  QuantOutput out = quantize(y, QuantScheme::staticPerTensor(), 7.0f);
  VT_EXPECT_EQ(out.q[0], 0x2d);
  VT_EXPECT_EQ(out.q[1], 0x7e);
  VT_EXPECT_EQ(out.q[2], 0x80);
  VT_EXPECT_EQ(scaleF32(out, 0), 7.0f);
  // Far above 448 * s saturates.
  Matrix big = makeMatrix(DType::BF16, 1, 2, {50.0f, -std::ldexp(1.0f, 100)});
  QuantOutput sat = quantize(big, QuantScheme::staticPerTensor(), 0.01f);
  VT_EXPECT_EQ(sat.q[0], 0x7e);
  VT_EXPECT_EQ(sat.q[1], 0xfe);
}

VT_TEST(dynamicPerTensor) {
  // amax = 896 -> s = 2: 896/2 = 448, 1/2 = 0.5 (0x30), -0.5/2 = -0.25
  // (1 0101 000 = 0xa8).
  Matrix y = makeMatrix(DType::F32, 2, 2, {896, 1, 0, -0.5f});
  QuantOutput out = quantize(y, QuantScheme::dynamicPerTensor());
  VT_EXPECT_EQ(scaleF32(out, 0), 2.0f);
  VT_EXPECT_EQ(out.q[0], 0x7e);
  VT_EXPECT_EQ(out.q[1], 0x30);
  VT_EXPECT_EQ(out.q[2], 0x00);
  VT_EXPECT_EQ(out.q[3], 0xa8);
  // All zero: the floor min_scale = RN32(1/229376) = 0x36924925.
  Matrix zero = makeMatrix(DType::F32, 2, 2, {0, 0, 0, 0});
  QuantOutput z = quantize(zero, QuantScheme::dynamicPerTensor());
  VT_EXPECT_EQ(floatBits(scaleF32(z, 0)), 0x36924925u);
  VT_EXPECT_EQ(z.q[3], 0x00);
}

VT_TEST(perTokenMinScale) {
  Matrix y = makeMatrix(DType::F32, 3, 2,
                        {0, 0,                 // zero row
                         0.001f, 0,            // amax < 2e-3
                         3136.0f, 2.734375f}); // s = 3136/448 = 7
  QuantOutput out = quantize(y, QuantScheme::perToken());
  // Row 0: s = min_scale, q = 0.
  VT_EXPECT_EQ(floatBits(scaleF32(out, 0)), 0x36924925u);
  VT_EXPECT_EQ(out.q[0], 0x00);
  // Row 1: 0.001/448 = 2.2e-6 < min_scale = 4.36e-6, so s = min_scale and
  // q = E(0.001 / min_scale) = E(229.376): quantum 16 at [128, 256),
  // 14.336 -> 14 -> 224 (0 1110 110 = 0x76).
  VT_EXPECT_EQ(floatBits(scaleF32(out, 1)), 0x36924925u);
  VT_EXPECT_EQ(out.q[2], 0x76);
  // Row 2: s = 7 exactly, 2.734375 / 7 = 0.390625 ties to 0.375 (0x2c): the
  // dynamic schemes divide, unlike the static one.
  VT_EXPECT_EQ(scaleF32(out, 2), 7.0f);
  VT_EXPECT_EQ(out.q[4], 0x7e);
  VT_EXPECT_EQ(out.q[5], 0x2c);
}

VT_TEST(perTokenUpperBound) {
  // Row 0: amax 10 clipped to ub = 2: s = RN32(2/448) = 0x3b924925;
  // 10/s = 2240 saturates; 1/s = 223.99998 -> 224 (0x76).
  // Row 1: amax 1 < ub: s = RN32(1/448); 1/s = 447.99997 -> 448;
  // -0.5/s = -223.99998 -> -224 (0xf6).
  Matrix y = makeMatrix(DType::F32, 2, 2, {10, 1, 1, -0.5f});
  QuantOutput out = quantize(y, QuantScheme::perTokenUpperBound(2.0f));
  VT_EXPECT_EQ(floatBits(scaleF32(out, 0)), 0x3b924925u);
  VT_EXPECT_EQ(out.q[0], 0x7e);
  VT_EXPECT_EQ(out.q[1], 0x76);
  VT_EXPECT_EQ(scaleF32(out, 1), 1.0f / 448.0f);
  VT_EXPECT_EQ(out.q[2], 0x7e);
  VT_EXPECT_EQ(out.q[3], 0xf6);
}

VT_TEST(perTokenNaNAndInf) {
  Matrix y = makeMatrix(DType::F32, 3, 3,
                        {kNaN, 2, -4,        // NaN ignored by amax
                         kInf, 1, 0,         // amax Inf
                         kNaN, kNaN, kNaN}); // all NaN
  QuantOutput out = quantize(y, QuantScheme::perToken());
  // Row 0: s = RN32(4/448); 2/s = 223.99998 -> 0x76; -4/s = -447.99997 ->
  // 0xfe; NaN/s is NaN.
  VT_EXPECT_EQ(scaleF32(out, 0), 4.0f / 448.0f);
  VT_EXPECT(isE4M3NaN(out.q[0]));
  VT_EXPECT_EQ(out.q[1], 0x76);
  VT_EXPECT_EQ(out.q[2], 0xfe);
  // Row 1: s = Inf; Inf/Inf = NaN, 1/Inf = 0.
  VT_EXPECT(std::isinf(scaleF32(out, 1)));
  VT_EXPECT(isE4M3NaN(out.q[3]));
  VT_EXPECT_EQ(out.q[4], 0x00);
  // Row 2: amax is NaN; maxNum(NaN / 448, min_scale) = min_scale.
  VT_EXPECT_EQ(floatBits(scaleF32(out, 2)), 0x36924925u);
  VT_EXPECT(isE4M3NaN(out.q[6]));
  // With ub = 2, Inf is clipped: s = 2/448, Inf/s = Inf saturates.
  QuantOutput ub = quantize(y, QuantScheme::perTokenUpperBound(2.0f));
  VT_EXPECT_EQ(floatBits(scaleF32(ub, 1)), 0x3b924925u);
  VT_EXPECT_EQ(ub.q[3], 0x7e);
  VT_EXPECT_EQ(ub.q[4], 0x76);
  // All NaN with ub: minNum(NaN, 2) = 2.
  VT_EXPECT_EQ(floatBits(scaleF32(ub, 2)), 0x3b924925u);
}

//===----------------------------------------------------------------------===//
// quantize: per-group encodings and layouts
//===----------------------------------------------------------------------===//

/// M = 5, H = 256, g = 128: row m has group-0 amax 448 * (m + 1) (s = m + 1)
/// and group-1 amax 448 * 2^-(m+1) (s = 2^-(m+1)), both exact divisions.
static Matrix fiveRows() {
  Matrix y(DType::BF16, 5, 256);
  for (int64_t m = 0; m < 5; ++m) {
    for (int64_t k = 0; k < 256; ++k)
      y.set(m, k, 0.0f);
    y.set(m, 3, 448.0f * static_cast<float>(m + 1));
    y.set(m, 200, -448.0f * std::ldexp(1.0f, -static_cast<int>(m + 1)));
  }
  return y;
}

VT_TEST(perGroupRowMajor) {
  QuantOutput out =
      quantize(fiveRows(), QuantScheme::perGroup(128, ScaleEncoding::F32,
                                                 ScaleLayout::RowMajor, 1));
  // [M, G] = [5, 2]: offset m * 2 + j.
  const float expected[10] = {1,      0.5f, 2,       0.25f, 3,
                              0.125f, 4,    0.0625f, 5,     0.03125f};
  VT_EXPECT_EQ(out.scales.size(), 40u);
  for (int i = 0; i < 10; ++i)
    VT_EXPECT_EQ(scaleF32(out, i), expected[i]);
  VT_EXPECT_EQ(out.q[3], 0x7e);
  VT_EXPECT_EQ(out.q[200], 0xfe);
  VT_EXPECT_EQ(out.q[0], 0x00);
}

VT_TEST(perGroupMNMajorAlign4) {
  QuantOutput out =
      quantize(fiveRows(), QuantScheme::perGroup(128, ScaleEncoding::F32,
                                                 ScaleLayout::MNMajor, 4));
  // [G, Mpad] = [2, 8]: offset j * 8 + m; rows 5..7 are zero padding.
  const float expected[16] = {1,    2,     3,      4,       5,        0, 0, 0,
                              0.5f, 0.25f, 0.125f, 0.0625f, 0.03125f, 0, 0, 0};
  VT_EXPECT_EQ(out.scales.size(), 64u);
  for (int i = 0; i < 16; ++i)
    VT_EXPECT_EQ(floatBits(scaleF32(out, i)), floatBits(expected[i]));
}

VT_TEST(perGroupMNMajorAlign1) {
  QuantOutput out =
      quantize(fiveRows(), QuantScheme::perGroup(128, ScaleEncoding::F32,
                                                 ScaleLayout::MNMajor, 1));
  // [G, M] = [2, 5]: no padding.
  const float expected[10] = {1,    2,     3,      4,       5,
                              0.5f, 0.25f, 0.125f, 0.0625f, 0.03125f};
  VT_EXPECT_EQ(out.scales.size(), 40u);
  for (int i = 0; i < 10; ++i)
    VT_EXPECT_EQ(scaleF32(out, i), expected[i]);
}

VT_TEST(perGroupUE8M0F32) {
  QuantOutput out =
      quantize(fiveRows(), QuantScheme::perGroup(128, ScaleEncoding::UE8M0F32,
                                                 ScaleLayout::MNMajor, 4));
  // U rounds s = 1, 2, 3, 4, 5 up to 1, 2, 4, 4, 8; group 1's s are exact
  // powers of two already.
  const float expected[16] = {1,    2,     4,      4,       8,        0, 0, 0,
                              0.5f, 0.25f, 0.125f, 0.0625f, 0.03125f, 0, 0, 0};
  for (int i = 0; i < 16; ++i)
    VT_EXPECT_EQ(floatBits(scaleF32(out, i)), floatBits(expected[i]));
  // Row 2: 1344 / 4 = 336 = 1.3125 * 2^8 ties between 320 (010) and 352
  // (011): 320 = 0 1111 010 = 0x7a.
  VT_EXPECT_EQ(out.q[2 * 256 + 3], 0x7a);
}

VT_TEST(packedSpecExample) {
  // SPEC 3.3 worked example: M = 257, H = 256, g = 128 -> G = 2, Kp = 1,
  // Mpad = 260; word m = e(m, 0) | e(m, 1) << 8, words 257..259 zero.
  // Group 0 of row m has amax 448 * 2^a (a = m % 9 - 4): s = 2^a exactly,
  // e = 127 + a. Group 1 has amax 672 * 2^b (b = m % 7 - 3): s = 1.5 * 2^b,
  // U rounds up, e = 128 + b.
  const int64_t M = 257, H = 256;
  Matrix y(DType::BF16, M, H);
  for (int64_t m = 0; m < M; ++m) {
    int a = static_cast<int>(m % 9) - 4, b = static_cast<int>(m % 7) - 3;
    for (int64_t k = 0; k < H; ++k)
      y.set(m, k, 0.0f);
    y.set(m, 0, std::ldexp(448.0f, a));
    y.set(m, 1, std::ldexp(1.0f, a));
    y.set(m, 128, -std::ldexp(672.0f, b));
    y.set(m, 129, std::ldexp(3.0f, b));
  }
  QuantOutput out =
      quantize(y, QuantScheme::perGroup(128, ScaleEncoding::UE8M0Packed,
                                        ScaleLayout::MNMajor, 4));
  VT_EXPECT(out.shape.isInt32);
  VT_EXPECT_EQ(out.scales.size(), 260u * 4u);
  for (int64_t m = 0; m < M; ++m) {
    uint32_t a = static_cast<uint32_t>(127 + (m % 9) - 4);
    uint32_t b = static_cast<uint32_t>(128 + (m % 7) - 3);
    VT_EXPECT_EQ(scaleWord(out, m), a | (b << 8));
    // q: 448 * 2^a / 2^a = 448 (0x7e); 2^a / 2^a = 1 (0x38);
    // -672 * 2^b / 2^(b+1) = -336 -> -320 (0xfa); 3 * 2^b / 2^(b+1) = 1.5
    // (0 0111 100 = 0x3c).
    VT_EXPECT_EQ(out.q[m * H + 0], 0x7e);
    VT_EXPECT_EQ(out.q[m * H + 1], 0x38);
    VT_EXPECT_EQ(out.q[m * H + 128], 0xfa);
    VT_EXPECT_EQ(out.q[m * H + 129], 0x3c);
  }
  for (int64_t m = 257; m < 260; ++m)
    VT_EXPECT_EQ(scaleWord(out, m), 0u);
}

VT_TEST(packedMoreThanFourGroups) {
  // H = 160, g = 32: G = 5, Kp = 2. M = 1 -> Mpad = 4: word (m, p) at
  // p * 4 + m. Group j has amax 448 * 2^j -> e = 127 + j. Word (0, 0)
  // holds groups 0..3, word (0, 1) group 4 in byte 0 and zeros above.
  Matrix y(DType::BF16, 1, 160);
  for (int64_t k = 0; k < 160; ++k)
    y.set(0, k, 0.0f);
  for (int j = 0; j < 5; ++j)
    y.set(0, j * 32 + 7, std::ldexp(448.0f, j));
  QuantOutput out =
      quantize(y, QuantScheme::perGroup(32, ScaleEncoding::UE8M0Packed,
                                        ScaleLayout::MNMajor, 4));
  VT_EXPECT_EQ(out.scales.size(), 8u * 4u);
  VT_EXPECT_EQ(scaleWord(out, 0), 0x8281807fu);
  VT_EXPECT_EQ(scaleWord(out, 1), 0u);
  VT_EXPECT_EQ(scaleWord(out, 4), 0x83u);
  VT_EXPECT_EQ(scaleWord(out, 5), 0u);
}

VT_TEST(perGroupAllZeroAndTinyGroups) {
  // All-zero groups: a = max(0, 1e-10) = 1e-10, s = RN32(1e-10 / 448) =
  // 0x2a7b5123; q = 0.
  Matrix zero = makeMatrix(DType::BF16, 1, 64, std::vector<float>(64, 0.0f));
  QuantOutput f32 =
      quantize(zero, QuantScheme::perGroup(32, ScaleEncoding::F32,
                                           ScaleLayout::RowMajor, 1));
  VT_EXPECT_EQ(floatBits(scaleF32(f32, 0)), 0x2a7b5123u);
  VT_EXPECT_EQ(floatBits(scaleF32(f32, 1)), 0x2a7b5123u);
  VT_EXPECT_EQ(f32.q[10], 0x00);
  // UE8M0: U(2.2e-13) applies its own floor 1e-10 -> e = 94 (2^-33) in both
  // bytes of the one word; rows 1..3 of the padded word column are zero.
  QuantOutput packed =
      quantize(zero, QuantScheme::perGroup(32, ScaleEncoding::UE8M0Packed,
                                           ScaleLayout::MNMajor, 4));
  VT_EXPECT_EQ(scaleWord(packed, 0), 0x5e5eu);
  VT_EXPECT_EQ(scaleWord(packed, 1), 0u);
  // An f32 subnormal (1e-40) stays below the floor: q = 0.
  Matrix sub = makeMatrix(DType::F32, 1, 32, std::vector<float>(32, 1e-40f));
  QuantOutput s =
      quantize(sub, QuantScheme::perGroup(32, ScaleEncoding::F32,
                                          ScaleLayout::RowMajor, 1));
  VT_EXPECT_EQ(floatBits(scaleF32(s, 0)), 0x2a7b5123u);
  VT_EXPECT_EQ(s.q[0], 0x00);
  // All-NaN group: amax NaN, maxNum with the floor gives 1e-10 again.
  Matrix nan = makeMatrix(DType::F32, 1, 32, std::vector<float>(32, kNaN));
  QuantOutput n =
      quantize(nan, QuantScheme::perGroup(32, ScaleEncoding::F32,
                                          ScaleLayout::RowMajor, 1));
  VT_EXPECT_EQ(floatBits(scaleF32(n, 0)), 0x2a7b5123u);
  VT_EXPECT(isE4M3NaN(n.q[0]));
}

//===----------------------------------------------------------------------===//
// rms_norm_quant and dequantize
//===----------------------------------------------------------------------===//

VT_TEST(rmsNormQuantPerToken) {
  // x = 2 everywhere -> r = 0.5 -> y = w = [1, 2, 4, 0.5]; amax 4, s =
  // RN32(4/448); y/s = 111.99999, 223.99998, 447.99997, 55.999996 -> 112
  // (0 1101 110), 224 (0 1110 110), 448, 56 (0 1100 110).
  Matrix x = makeMatrix(DType::BF16, 1, 4, {2, 2, 2, 2});
  Matrix w = makeMatrix(DType::BF16, 1, 4, {1, 2, 4, 0.5f});
  Matrix y;
  QuantOutput out =
      rmsNormQuant(x, w, nullptr, 0.0f, 1e-9f, QuantScheme::perToken(), &y);
  VT_EXPECT_EQ(y.get(0, 2), 4.0f);
  VT_EXPECT_EQ(scaleF32(out, 0), 4.0f / 448.0f);
  VT_EXPECT_EQ(out.q[0], 0x6e);
  VT_EXPECT_EQ(out.q[1], 0x76);
  VT_EXPECT_EQ(out.q[2], 0x7e);
  VT_EXPECT_EQ(out.q[3], 0x66);
  // With a residual: 1 + 1 = 2, the same y, and residual_out = 2 (0x4000).
  Matrix ones = makeMatrix(DType::BF16, 1, 4, {1, 1, 1, 1});
  Matrix resOut;
  QuantOutput withRes = rmsNormQuant(ones, w, &ones, 0.0f, 1e-9f,
                                     QuantScheme::perToken(), nullptr, &resOut);
  VT_EXPECT_EQ(resOut.bits(0, 3), 0x4000u);
  VT_EXPECT(withRes.q == out.q);
  VT_EXPECT(withRes.scales == out.scales);
}

VT_TEST(rmsNormQuantPackedAndDequantize) {
  // H = 128, x = 2 -> y = w = 1 except w[5] = 4. U(4/448 = 0.0089) = 2^-6
  // (e = 121 = 0x79): q(1) = E(64) = 0 1101 000 = 0x68, q(4) = E(256) =
  // 0x78. Dequantized: 64 * 2^-6 = 1 and 256 * 2^-6 = 4.
  std::vector<float> wv(128, 1.0f);
  wv[5] = 4.0f;
  Matrix x = makeMatrix(DType::BF16, 1, 128, std::vector<float>(128, 2.0f));
  Matrix w = makeMatrix(DType::BF16, 1, 128, wv);
  QuantScheme scheme = QuantScheme::perGroup(128, ScaleEncoding::UE8M0Packed,
                                             ScaleLayout::MNMajor, 4);
  QuantOutput out = rmsNormQuant(x, w, nullptr, 0.0f, 1e-9f, scheme);
  VT_EXPECT_EQ(scaleWord(out, 0), 0x79u);
  VT_EXPECT_EQ(scaleWord(out, 3), 0u);
  VT_EXPECT_EQ(out.q[0], 0x68);
  VT_EXPECT_EQ(out.q[5], 0x78);
  std::vector<float> d = dequantize(out, scheme, 1, 128);
  VT_EXPECT_EQ(d[0], 1.0f);
  VT_EXPECT_EQ(d[5], 4.0f);
  VT_EXPECT_EQ(scaleFor(out, scheme, 1, 128, 0, 77), std::ldexp(1.0f, -6));
}

VT_TEST(weightBlockQuant) {
  // N = 130 (two row blocks, the second with 2 rows), K = 256 (two column
  // blocks). Block (0,0) has amax 896 -> s = 2; (1,1) amax 112 -> s =
  // 0.25; the others are all ones -> s = RN32(1/448).
  const int64_t N = 130, K = 256;
  std::vector<float> w(static_cast<size_t>(N * K), 1.0f);
  w[0] = 896.0f;
  w[129 * K + 255] = -112.0f;
  BlockQuantWeights q = quantizeWeightsBlock128(w, N, K, false);
  VT_EXPECT_EQ(q.scaleRows(), 2);
  VT_EXPECT_EQ(q.scale(0, 0), 2.0f);
  VT_EXPECT_EQ(q.scale(5, 1), 1.0f / 448.0f);
  VT_EXPECT_EQ(q.scale(128, 0), 1.0f / 448.0f);
  VT_EXPECT_EQ(q.scale(129, 1), 0.25f);
  VT_EXPECT_EQ(q.q[0], 0x7e);             // 896 / 2
  VT_EXPECT_EQ(q.q[1], 0x30);             // 1 / 2
  VT_EXPECT_EQ(q.q[129 * K + 255], 0xfe); // -112 / 0.25
  VT_EXPECT_EQ(q.q[129 * K + 254], 0x48); // 1 / 0.25 = 4: 0 1001 000
  VT_EXPECT_EQ(q.q[200], 0x7e);           // 1 / RN32(1/448) = 447.99997
  // UE8M0: U(1/448 = 0.00223) = 2^-8, 1 / 2^-8 = 256 (0x78).
  BlockQuantWeights u = quantizeWeightsBlock128(w, N, K, true);
  VT_EXPECT_EQ(u.scale(0, 1), std::ldexp(1.0f, -8));
  VT_EXPECT_EQ(u.q[200], 0x78);
  VT_EXPECT_EQ(u.scale(0, 0), 2.0f);
}

VT_TEST(parallelForCoversEveryIndexOnce) {
  std::vector<int> hits(1000, 0);
  setNumThreads(7);
  parallelFor(1000, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i)
      ++hits[static_cast<size_t>(i)];
  });
  setNumThreads(0);
  for (int h : hits)
    VT_EXPECT_EQ(h, 1);
}

//===----------------------------------------------------------------------===//
// silu_and_mul and its fused quantization (SPEC 3.7, 3.8)
//===----------------------------------------------------------------------===//

VT_TEST(siluValueAgainstDouble) {
  // silu(g) * 1 within 2 ulp of g / (1 + exp(-g)) in double over a grid
  // where the result is a normal f32 (X's error, attenuated by 1 + X).
  for (int step = -4000; step <= 4000; ++step) {
    float g = static_cast<float>(step) / 64.0f;
    if (g == 0.0f)
      continue;
    double exact = g / (1.0 + std::exp(-static_cast<double>(g)));
    if (std::fabs(exact) < 1e-37)
      continue;
    double ulp = std::ldexp(1.0, std::ilogb(exact) - 23);
    double error =
        std::fabs(static_cast<double>(siluAndMulValue(g, 1.0f)) - exact) / ulp;
    if (error > 2.0)
      vt::fail(__FILE__, __LINE__, "silu error above 2 ulp");
  }
}

VT_TEST(siluValueEdges) {
  auto bits = [](float v) { return floatBits(v); };
  VT_EXPECT_EQ(bits(siluAndMulValue(0.0f, 5.0f)), bits(0.0f));
  // Large positive g: X(-g) is 0 from -104 on, so silu(g) = g.
  VT_EXPECT_EQ(bits(siluAndMulValue(104.0f, 1.0f)), bits(104.0f));
  VT_EXPECT_EQ(bits(siluAndMulValue(3.0e38f, 2.0f)), bits(kInf));
  // Large negative finite g: X(-g) = +Inf, silu = g / Inf = -0.
  VT_EXPECT_EQ(bits(siluAndMulValue(-89.0f, 1.0f)), bits(-0.0f));
  VT_EXPECT_EQ(bits(siluAndMulValue(-1.0e30f, 3.0f)), bits(-0.0f));
  // IEEE: silu(+Inf) = +Inf, silu(-Inf) = -Inf / +Inf = NaN, NaN stays.
  VT_EXPECT_EQ(bits(siluAndMulValue(kInf, 1.0f)), bits(kInf));
  VT_EXPECT(std::isnan(siluAndMulValue(-kInf, 0.0f)));
  VT_EXPECT(std::isnan(siluAndMulValue(kNaN, 1.0f)));
  VT_EXPECT(std::isnan(siluAndMulValue(1.0f, kNaN)));
  // +Inf * 0 = NaN in the product.
  VT_EXPECT(std::isnan(siluAndMulValue(kInf, 0.0f)));
}

VT_TEST(siluAndMulLayout) {
  // Rows of [gate | up]: y(m, i) = RN_T(silu(x(m, i)) * x(m, I + i)).
  Matrix x = makeMatrix(DType::BF16, 2, 4,
                        {200.0f, 0.0f, 2.0f, 7.0f,       // g = 200, 0; u = 2, 7
                         -200.0f, 104.0f, 3.0f, -1.0f}); // g = -200, 104
  Matrix y = siluAndMul(x);
  VT_EXPECT_EQ(y.rows, 2);
  VT_EXPECT_EQ(y.cols, 2);
  VT_EXPECT(y.type == DType::BF16);
  VT_EXPECT_EQ(y.get(0, 0), 400.0f);
  VT_EXPECT_EQ(y.get(0, 1), 0.0f);
  VT_EXPECT_EQ(y.bits(1, 0), 0x8000u); // -0 * 3
  VT_EXPECT_EQ(y.get(1, 1), -104.0f);
}

VT_TEST(siluAndMulRoundsOnceToBf16) {
  // g = 1, u = 1: silu(1) = 0.73105857... in f32, one rounding to bf16.
  Matrix x = makeMatrix(DType::BF16, 1, 2, {1.0f, 1.0f});
  Matrix y = siluAndMul(x);
  float f32 = siluAndMulValue(1.0f, 1.0f);
  VT_EXPECT_EQ(y.bits(0, 0), static_cast<uint32_t>(floatToBf16(f32)));
  VT_EXPECT(std::fabs(y.get(0, 0) - 0.7310586f) < 0.004f);
}

VT_TEST(siluAndMulQuantPacked) {
  // One row of I = 128: g = 200, u = 2 everywhere, so y = 400, amax 400,
  // s = U(400 / 448) = 1 (byte 127), q = E(400) = 384 (0x7c, ties to even).
  std::vector<float> values(256);
  for (int i = 0; i < 128; ++i) {
    values[static_cast<size_t>(i)] = 200.0f;
    values[static_cast<size_t>(128 + i)] = 2.0f;
  }
  Matrix x = makeMatrix(DType::BF16, 1, 256, values);
  QuantScheme scheme = QuantScheme::perGroup(128, ScaleEncoding::UE8M0Packed,
                                             ScaleLayout::MNMajor, 4);
  Matrix product;
  QuantOutput out = siluAndMulQuant(x, 0.0f, scheme, &product);
  VT_EXPECT_EQ(product.cols, 128);
  VT_EXPECT_EQ(out.q.size(), 128u);
  for (uint8_t q : out.q)
    VT_EXPECT_EQ(q, 0x7c);
  VT_EXPECT_EQ(out.scales.size(), 16u); // Kp = 1, Mpad = 4 words.
  VT_EXPECT_EQ(scaleWord(out, 0), 127u);
  VT_EXPECT_EQ(scaleWord(out, 1), 0u);
  VT_EXPECT_EQ(scaleWord(out, 3), 0u);
}

VT_MAIN()
