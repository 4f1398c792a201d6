//===- FloatTest.cpp - Hand-worked cases of the scalar primitives ---------===//
//
// Part of the vllm-mlir project.
//
//===----------------------------------------------------------------------===//
//
// Every expected value below is worked out by hand from the format
// definitions (the working is in the comments), never produced by the code
// under test.
//
// e4m3fn: sign, 4 exponent bits (bias 7), 3 mantissa bits; normal values
// (1 + m/8) * 2^(e-7) for e = 1..15 except the NaN pattern e = 15, m = 7;
// subnormals m * 2^-9. Largest finite: 1.75 * 2^8 = 448 = 0x7e.
//
//===----------------------------------------------------------------------===//

#include "vllm-reference/Float.h"
#include "TestHarness.h"

#include <cfloat>
#include <cmath>
#include <cstdio>
#include <limits>

using namespace vllm::ref;

static float p2(int e) { return std::ldexp(1.0f, e); }
static float up(float v) { return std::nextafter(v, INFINITY); }
static float down(float v) { return std::nextafter(v, -INFINITY); }
static const float kInf = std::numeric_limits<float>::infinity();
static const float kNaN = std::numeric_limits<float>::quiet_NaN();

VT_TEST(e4m3Zero) {
  VT_EXPECT_EQ(encodeE4M3(0.0f), 0x00);
  VT_EXPECT_EQ(encodeE4M3(-0.0f), 0x80); // Sign of zero kept.
  VT_EXPECT_EQ(encodeE4M3(1e-30f), 0x00);
  VT_EXPECT_EQ(encodeE4M3(-1e-30f), 0x80);
  VT_EXPECT_EQ(encodeE4M3(1e-45f), 0x00); // An f32 subnormal.
}

VT_TEST(e4m3Normals) {
  VT_EXPECT_EQ(encodeE4M3(1.0f), 0x38);     // 0 0111 000
  VT_EXPECT_EQ(encodeE4M3(-1.0f), 0xb8);    // 1 0111 000
  VT_EXPECT_EQ(encodeE4M3(0.5f), 0x30);     // 2^-1: 0 0110 000
  VT_EXPECT_EQ(encodeE4M3(0.375f), 0x2c);   // 1.5 * 2^-2: 0 0101 100
  VT_EXPECT_EQ(encodeE4M3(0.40625f), 0x2d); // 1.625 * 2^-2: 0 0101 101
  VT_EXPECT_EQ(encodeE4M3(16.0f), 0x58);    // 2^4: 0 1011 000
  VT_EXPECT_EQ(encodeE4M3(18.0f), 0x59);    // 1.125 * 2^4
  VT_EXPECT_EQ(encodeE4M3(240.0f), 0x77);   // 1.875 * 2^7: 0 1110 111
  VT_EXPECT_EQ(encodeE4M3(256.0f), 0x78);   // 2^8: 0 1111 000
  VT_EXPECT_EQ(encodeE4M3(416.0f), 0x7d);   // 1.625 * 2^8: 0 1111 101
  VT_EXPECT_EQ(encodeE4M3(p2(-6)), 0x08);   // Smallest normal: 0 0001 000
  VT_EXPECT_EQ(encodeE4M3(1.125f * p2(-6)), 0x09);
}

VT_TEST(e4m3TiesToEven) {
  // 1.0625 is halfway between 1.0 (m = 000) and 1.125 (m = 001): even wins.
  VT_EXPECT_EQ(encodeE4M3(1.0625f), 0x38);
  VT_EXPECT_EQ(encodeE4M3(up(1.0625f)), 0x39);
  VT_EXPECT_EQ(encodeE4M3(down(1.0625f)), 0x38);
  // 1.1875 is halfway between 1.125 (001) and 1.25 (010): 1.25.
  VT_EXPECT_EQ(encodeE4M3(1.1875f), 0x3a);
  // 17 between 16 (000) and 18 (001) -> 16; 19 between 18 (001) and 20
  // (010) -> 20.
  VT_EXPECT_EQ(encodeE4M3(17.0f), 0x58);
  VT_EXPECT_EQ(encodeE4M3(19.0f), 0x5a);
  VT_EXPECT_EQ(encodeE4M3(-19.0f), 0xda);
  // 0.390625 = 12.5 * 2^-5 is halfway between 0.375 (100) and 0.40625
  // (101): 0.375.
  VT_EXPECT_EQ(encodeE4M3(0.390625f), 0x2c);
}

VT_TEST(e4m3AroundMax) {
  // 432 is halfway between 416 (101, odd) and 448 (110, even): 448.
  VT_EXPECT_EQ(encodeE4M3(432.0f), 0x7e);
  VT_EXPECT_EQ(encodeE4M3(down(432.0f)), 0x7d);
  VT_EXPECT_EQ(encodeE4M3(440.0f), 0x7e);
  VT_EXPECT_EQ(encodeE4M3(448.0f), 0x7e);
  VT_EXPECT_EQ(encodeE4M3(-448.0f), 0xfe);
  // Above 448 saturates (464, the tie with the NaN slot 480, included).
  VT_EXPECT_EQ(encodeE4M3(up(448.0f)), 0x7e);
  VT_EXPECT_EQ(encodeE4M3(449.0f), 0x7e);
  VT_EXPECT_EQ(encodeE4M3(down(464.0f)), 0x7e);
  VT_EXPECT_EQ(encodeE4M3(464.0f), 0x7e);
  VT_EXPECT_EQ(encodeE4M3(465.0f), 0x7e);
  VT_EXPECT_EQ(encodeE4M3(480.0f), 0x7e);
  VT_EXPECT_EQ(encodeE4M3(1e6f), 0x7e);
  VT_EXPECT_EQ(encodeE4M3(FLT_MAX), 0x7e);
  VT_EXPECT_EQ(encodeE4M3(-1e6f), 0xfe);
}

VT_TEST(e4m3InfinityAndNaN) {
  VT_EXPECT_EQ(encodeE4M3(kInf), 0x7e);
  VT_EXPECT_EQ(encodeE4M3(-kInf), 0xfe);
  VT_EXPECT(isE4M3NaN(encodeE4M3(kNaN)));
  VT_EXPECT(isE4M3NaN(encodeE4M3(-kNaN)));
  VT_EXPECT(isE4M3NaN(0x7f));
  VT_EXPECT(isE4M3NaN(0xff));
  VT_EXPECT(!isE4M3NaN(0x7e));
  VT_EXPECT(std::isnan(decodeE4M3(0x7f)));
  VT_EXPECT(std::isnan(decodeE4M3(0xff)));
}

VT_TEST(e4m3Subnormals) {
  VT_EXPECT_EQ(encodeE4M3(p2(-9)), 0x01); // Smallest: 1 * 2^-9.
  VT_EXPECT_EQ(encodeE4M3(-p2(-9)), 0x81);
  // 2^-10 is halfway between 0 and 2^-9: even (0).
  VT_EXPECT_EQ(encodeE4M3(p2(-10)), 0x00);
  VT_EXPECT_EQ(encodeE4M3(-p2(-10)), 0x80);
  VT_EXPECT_EQ(encodeE4M3(up(p2(-10))), 0x01);
  // 1.5 * 2^-9 between 1 and 2 (* 2^-9): 2. 2.5 * 2^-9: 2.
  VT_EXPECT_EQ(encodeE4M3(3.0f * p2(-10)), 0x02);
  VT_EXPECT_EQ(encodeE4M3(5.0f * p2(-10)), 0x02);
  VT_EXPECT_EQ(encodeE4M3(7.0f * p2(-9)), 0x07); // Largest subnormal.
  // 7.5 * 2^-9 between 7 * 2^-9 (odd) and 8 * 2^-9 = 2^-6 (0x08, even).
  VT_EXPECT_EQ(encodeE4M3(7.5f * p2(-9)), 0x08);
}

VT_TEST(e4m3Decode) {
  VT_EXPECT_EQ(decodeE4M3(0x00), 0.0f);
  VT_EXPECT(std::signbit(decodeE4M3(0x80)));
  VT_EXPECT_EQ(decodeE4M3(0x01), p2(-9));
  VT_EXPECT_EQ(decodeE4M3(0x07), 7.0f * p2(-9));
  VT_EXPECT_EQ(decodeE4M3(0x08), p2(-6));
  VT_EXPECT_EQ(decodeE4M3(0x38), 1.0f);
  VT_EXPECT_EQ(decodeE4M3(0x3a), 1.25f);
  VT_EXPECT_EQ(decodeE4M3(0x7e), 448.0f);
  VT_EXPECT_EQ(decodeE4M3(0xfe), -448.0f);
  VT_EXPECT_EQ(decodeE4M3(0x77), 240.0f);
}

// Properties over all 256 codes: decoding is strictly increasing over the
// non-negative codes and E is its inverse on representable values.
VT_TEST(e4m3AllCodes) {
  float previous = -1.0f;
  for (int c = 0; c <= 0x7e; ++c) {
    float v = decodeE4M3(static_cast<uint8_t>(c));
    VT_EXPECT(v > previous);
    previous = v;
  }
  for (int c = 0; c < 256; ++c) {
    uint8_t code = static_cast<uint8_t>(c);
    if (isE4M3NaN(code))
      continue;
    VT_EXPECT_EQ(encodeE4M3(decodeE4M3(code)), code);
    VT_EXPECT_EQ(decodeE4M3(code), -decodeE4M3(code ^ 0x80));
  }
}

VT_TEST(bf16Rounding) {
  VT_EXPECT_EQ(floatToBf16(1.0f), 0x3f80);
  VT_EXPECT_EQ(floatToBf16(-2.5f), 0xc020);
  // 1 + 2^-8 is halfway between 0x3f80 and 0x3f81: even (0x3f80);
  // 1 + 3 * 2^-8 between 0x3f81 and 0x3f82: 0x3f82.
  VT_EXPECT_EQ(floatToBf16(1.0f + p2(-8)), 0x3f80);
  VT_EXPECT_EQ(floatToBf16(up(1.0f + p2(-8))), 0x3f81);
  VT_EXPECT_EQ(floatToBf16(1.0f + 3.0f * p2(-8)), 0x3f82);
  // Largest bf16 is 0x7f7f; its half-ulp tie 0x7f7f8000 rounds to even,
  // which is the Inf pattern; just below stays finite.
  VT_EXPECT_EQ(floatToBf16(floatFromBits(0x7f7f8000u)), 0x7f80);
  VT_EXPECT_EQ(floatToBf16(floatFromBits(0x7f7f7fffu)), 0x7f7f);
  VT_EXPECT_EQ(floatToBf16(FLT_MAX), 0x7f80);
  VT_EXPECT_EQ(floatToBf16(-kInf), 0xff80);
  // Subnormals round on the same grid: 0x8000 is the tie between 0 and 1.
  VT_EXPECT_EQ(floatToBf16(floatFromBits(0x00008000u)), 0x0000);
  VT_EXPECT_EQ(floatToBf16(floatFromBits(0x00018000u)), 0x0002);
  VT_EXPECT_EQ(floatToBf16(floatFromBits(0x00010001u)), 0x0001);
  uint16_t nan = floatToBf16(kNaN);
  VT_EXPECT((nan & 0x7f80) == 0x7f80 && (nan & 0x7f) != 0);
  VT_EXPECT_EQ(bf16ToFloat(0x3f80), 1.0f);
  VT_EXPECT_EQ(bf16ToFloat(0x3f14), 0.578125f);
}

VT_TEST(f16Rounding) {
  VT_EXPECT_EQ(floatToF16(1.0f), 0x3c00);
  VT_EXPECT_EQ(floatToF16(-0.0f), 0x8000);
  VT_EXPECT_EQ(floatToF16(65504.0f), 0x7bff); // Largest finite.
  // 65520 is halfway between 65504 (odd mantissa) and 65536 (overflow).
  VT_EXPECT_EQ(floatToF16(down(65520.0f)), 0x7bff);
  VT_EXPECT_EQ(floatToF16(65520.0f), 0x7c00);
  VT_EXPECT_EQ(floatToF16(kInf), 0x7c00);
  VT_EXPECT_EQ(floatToF16(-kInf), 0xfc00);
  VT_EXPECT_EQ(floatToF16(p2(-14)), 0x0400); // Smallest normal.
  VT_EXPECT_EQ(floatToF16(p2(-24)), 0x0001); // Smallest subnormal.
  VT_EXPECT_EQ(floatToF16(p2(-25)), 0x0000); // Tie with 0.
  VT_EXPECT_EQ(floatToF16(up(p2(-25))), 0x0001);
  VT_EXPECT_EQ(floatToF16(3.0f * p2(-25)), 0x0002); // Tie 1 / 2.
  // 1 + 2^-11 ties between 0x3c00 and 0x3c01; 1 + 3 * 2^-11 -> 0x3c02.
  VT_EXPECT_EQ(floatToF16(1.0f + p2(-11)), 0x3c00);
  VT_EXPECT_EQ(floatToF16(1.0f + 3.0f * p2(-11)), 0x3c02);
  VT_EXPECT_EQ(floatToF16(kNaN) & 0x7e00, 0x7e00);
  // 0x3555: exponent 13, mantissa 341: 2^-2 * (1 + 341/1024).
  VT_EXPECT_EQ(f16ToFloat(0x3555), 0.333251953125f);
  VT_EXPECT_EQ(f16ToFloat(0x0001), p2(-24));
  VT_EXPECT_EQ(f16ToFloat(0xfbff), -65504.0f);
  VT_EXPECT(std::isinf(f16ToFloat(0x7c00)));
}

VT_TEST(ue8m0PowersOfTwo) {
  VT_EXPECT_EQ(ue8m0Exponent(1.0f), 127);       // Exactly 2^0.
  VT_EXPECT_EQ(ue8m0Exponent(up(1.0f)), 128);   // 1 + 2^-23 -> 2^1.
  VT_EXPECT_EQ(ue8m0Exponent(down(1.0f)), 127); // Just below -> 2^0.
  VT_EXPECT_EQ(ue8m0Exponent(0.75f), 127);
  VT_EXPECT_EQ(ue8m0Exponent(3.0f), 129);    // -> 4.
  VT_EXPECT_EQ(ue8m0Exponent(p2(-20)), 107); // 127 - 20.
  VT_EXPECT_EQ(ue8m0Exponent(up(p2(-20))), 108);
  VT_EXPECT_EQ(ue8m0Exponent(p2(100)), 227);
  VT_EXPECT_EQ(ue8m0Exponent(up(p2(100))), 228);
  VT_EXPECT_EQ(ue8m0Exponent(p2(127)), 254);
  VT_EXPECT_EQ(ue8m0Exponent(up(p2(127))), 255); // Rounds up to Inf.
  VT_EXPECT_EQ(ue8m0Exponent(FLT_MAX), 255);
  VT_EXPECT_EQ(ue8m0Exponent(kInf), 255);
  VT_EXPECT_EQ(ue8m0Value(127), 1.0f);
  VT_EXPECT_EQ(ue8m0Value(129), 4.0f);
  VT_EXPECT_EQ(ue8m0Value(94), p2(-33));
  VT_EXPECT(std::isinf(ue8m0Value(255)));
}

VT_TEST(ue8m0Floor) {
  // 1e-10 is 0x2edbe6ff: exponent field 93 with a non-zero mantissa, so
  // e = 94 (2^-34 < 1e-10 < 2^-33).
  VT_EXPECT_EQ(floatBits(1e-10f), 0x2edbe6ffu);
  VT_EXPECT_EQ(ue8m0Exponent(1e-10f), 94);
  VT_EXPECT_EQ(ue8m0Exponent(1e-20f), 94);  // Below the floor.
  VT_EXPECT_EQ(ue8m0Exponent(p2(-34)), 94); // 5.8e-11 < 1e-10.
  VT_EXPECT_EQ(ue8m0Exponent(0.0f), 94);
  VT_EXPECT_EQ(ue8m0Exponent(p2(-33)), 94); // Exactly 2^-33 > 1e-10.
  VT_EXPECT_EQ(ue8m0Exponent(up(p2(-33))), 95);
  VT_EXPECT_EQ(ue8m0Exponent(kNaN), 94); // maxNum picks the floor.
}

VT_TEST(maxNumMinNum) {
  VT_EXPECT_EQ(maxNum(kNaN, 1.0f), 1.0f);
  VT_EXPECT_EQ(maxNum(1.0f, kNaN), 1.0f);
  VT_EXPECT(std::isnan(maxNum(kNaN, kNaN)));
  VT_EXPECT_EQ(maxNum(2.0f, 3.0f), 3.0f);
  VT_EXPECT_EQ(maxNum(kInf, 3.0f), kInf);
  VT_EXPECT_EQ(minNum(kNaN, 2.0f), 2.0f);
  VT_EXPECT_EQ(minNum(5.0f, 2.0f), 2.0f);
}

VT_TEST(minScaleValue) {
  // 1 / 229376 rounded to f32: 0x36924925 (about 4.3597e-6).
  VT_EXPECT_EQ(floatBits(minScale()), 0x36924925u);
}

VT_TEST(ulpDistances) {
  VT_EXPECT_EQ(ulpDistance(DType::BF16, 0x3f80, 0x3f81), 1u);
  VT_EXPECT_EQ(ulpDistance(DType::BF16, 0x3f81, 0x3f80), 1u);
  VT_EXPECT_EQ(ulpDistance(DType::BF16, 0x0000, 0x8000), 0u);
  VT_EXPECT_EQ(ulpDistance(DType::BF16, 0x0001, 0x8001), 2u);
  VT_EXPECT_EQ(ulpDistance(DType::BF16, 0x7fc0, 0xffc1), 0u); // NaN, NaN.
  VT_EXPECT(ulpDistance(DType::BF16, 0x7fc0, 0x3f80) > 1000000u);
  VT_EXPECT_EQ(ulpDistance(DType::F16, 0x3c00, 0x3c02), 2u);
  VT_EXPECT_EQ(ulpDistance(DType::F32, floatBits(1.0f), floatBits(up(1.0f))),
               1u);
}

//===----------------------------------------------------------------------===//
// X, the specified exp (SPEC 2)
//===----------------------------------------------------------------------===//

/// |X(v) - exp(v)| in units of the f32 ulp at exp(v), with exp in double.
static double expUlpError(float v) {
  double exact = std::exp(static_cast<double>(v));
  double ulp = std::ldexp(1.0, std::ilogb(exact) - 23);
  return std::fabs(static_cast<double>(specExp(v)) - exact) / ulp;
}

VT_TEST(specExpAccuracy) {
  // Every 61st f32 whose exp is a normal f32 (about 36 million inputs): X is
  // within 1 ulp of exp (SPEC 2; 0.92 measured). The bound is the SPEC's
  // statement about the algorithm, measured here against libm's double exp.
  double worst = 0.0;
  float worstInput = 0.0f;
  auto sweep = [&](uint32_t first, uint32_t last) {
    for (uint64_t bits = first; bits <= last; bits += 61) {
      float v;
      uint32_t word = static_cast<uint32_t>(bits);
      std::memcpy(&v, &word, sizeof(v));
      double error = expUlpError(v);
      if (error > worst) {
        worst = error;
        worstInput = v;
      }
    }
  };
  sweep(0x00000000u, floatBits(88.72f));  // [0, 88.72]
  sweep(0x80000000u, floatBits(-87.33f)); // [-87.33, -0]
  std::printf("specExp: worst error %.3f ulp at %a\n", worst, worstInput);
  VT_EXPECT(worst <= 1.0);
}

VT_TEST(specExpExactPoints) {
  VT_EXPECT_EQ(floatBits(specExp(0.0f)), floatBits(1.0f));
  VT_EXPECT_EQ(floatBits(specExp(-0.0f)), floatBits(1.0f));
  // ln 2 rounded to f32 gives n = 1, r = tiny: 2 within an ulp.
  VT_EXPECT(expUlpError(0.693147182f) <= 2.0);
}

VT_TEST(specExpRangeEnds) {
  // Overflow from the clamp at 89 on (exp(88.72) is the last finite one).
  VT_EXPECT(std::isfinite(specExp(88.72f)));
  VT_EXPECT_EQ(floatBits(specExp(88.73f)), floatBits(kInf));
  VT_EXPECT_EQ(floatBits(specExp(89.0f)), floatBits(kInf));
  VT_EXPECT_EQ(floatBits(specExp(1.0e30f)), floatBits(kInf));
  VT_EXPECT_EQ(floatBits(specExp(kInf)), floatBits(kInf));
  // Underflow to +0 at the clamp at -104 (exp(-104) < 2^-150).
  VT_EXPECT_EQ(floatBits(specExp(-104.0f)), 0u);
  VT_EXPECT_EQ(floatBits(specExp(-1.0e30f)), 0u);
  VT_EXPECT_EQ(floatBits(specExp(-kInf)), 0u);
  // Subnormal results are rounded once: exp(-100) = 26.48... x 2^-149.
  float sub = specExp(-100.0f);
  VT_EXPECT(sub == 26.0f * p2(-149) || sub == 27.0f * p2(-149));
  VT_EXPECT(std::isnan(specExp(kNaN)));
}

/// RN of a double to a binary format with `sigBits` significand bits and
/// smallest normal exponent `minExp` (ties to even, subnormals kept),
/// written from the format definition, independently of roundTo. Finite
/// inputs within range only (the test's are).
static double roundToFormat(double x, int sigBits, int minExp) {
  if (x == 0)
    return x;
  int e;
  std::frexp(std::fabs(x), &e);
  int exponent = std::max(e - 1, minExp);
  double quantum = std::ldexp(1.0, exponent - (sigBits - 1));
  double units = std::nearbyint(std::fabs(x) / quantum); // exact scaling
  return std::copysign(units * quantum, x);
}

VT_TEST(twoTermSumRoundsOnce) {
  // SPEC.md 3.10: for R = 2 the definition RN_T(RN_f32(x_0 + x_1)) is the
  // correctly rounded sum of two values of T (what ncclAllReduce's add of
  // two bf16 / f16 values gives), i.e. no double rounding. Checked on pairs
  // of random values of T (subnormals included), half of them with the
  // second a few binades below the first, where a double rounding would
  // show; the exact sum of two values of T is exact in double.
  struct Format {
    DType type;
    int sigBits, minExp, maxExp;
  };
  // Exponents up to maxExp keep every sum finite (roundToFormat does not
  // overflow).
  for (Format f :
       {Format{DType::BF16, 8, -126, 120}, Format{DType::F16, 11, -14, 13}}) {
    uint64_t state = 0x9e3779b97f4a7c15ull;
    auto next = [&]() {
      state ^= state << 13;
      state ^= state >> 7;
      state ^= state << 17;
      return state;
    };
    auto randomValue = [&]() {
      if (next() % 8 == 0) {
        // A subnormal of T.
        double units = static_cast<double>(next() % (1u << (f.sigBits - 1)));
        double v = std::ldexp(units, f.minExp - (f.sigBits - 1));
        return (next() & 1) ? -v : v;
      }
      int exponent =
          static_cast<int>(next() % (f.maxExp - f.minExp + 1)) + f.minExp;
      double mantissa =
          1.0 + static_cast<double>(next() % (1u << (f.sigBits - 1))) /
                    (1u << (f.sigBits - 1));
      double v = std::ldexp(mantissa, exponent);
      return (next() & 1) ? -v : v;
    };
    int mismatches = 0;
    for (int i = 0; i < 2000000; ++i) {
      double a = randomValue();
      double b = randomValue();
      if (i % 2 == 0) {
        int binades = static_cast<int>(next() % 30);
        b = roundToFormat(a * std::ldexp(1.0, -binades) *
                              (1.0 + static_cast<double>(next() % 1024) / 1024),
                          f.sigBits, f.minExp);
        if (next() & 1)
          b = -b;
      }
      double exact = roundToFormat(a + b, f.sigBits, f.minExp);
      float sum = static_cast<float>(a) + static_cast<float>(b);
      float viaF32 = roundTo(f.type, sum);
      if (static_cast<double>(viaF32) != exact ||
          std::signbit(viaF32) != std::signbit(exact)) {
        if (mismatches < 3)
          std::printf("%d: a=%a b=%a exact=%a viaF32=%a\n", f.sigBits, a, b,
                      exact, static_cast<double>(viaF32));
        ++mismatches;
      }
    }
    VT_EXPECT_EQ(mismatches, 0);
  }
}

VT_MAIN()
