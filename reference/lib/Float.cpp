//===- Float.cpp - Scalar number formats of the CPU reference -------------===//
//
// Part of the vllm-mlir project.
//
//===----------------------------------------------------------------------===//
//
// Rounding is done on the value, in double precision, where every step is
// exact: an f32 converts to double exactly, dividing or multiplying by a power
// of two is exact (no overflow or underflow at these magnitudes), and the
// integer part of the scaled value has fewer than 53 bits. The only decision
// is the tie rule, written out explicitly.
//
//===----------------------------------------------------------------------===//

#include "vllm-reference/Float.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>

namespace vllm {
namespace ref {

uint32_t floatBits(float value) {
  uint32_t bits;
  std::memcpy(&bits, &value, sizeof(bits));
  return bits;
}

float floatFromBits(uint32_t bits) {
  float value;
  std::memcpy(&value, &bits, sizeof(value));
  return value;
}

size_t dtypeSize(DType type) { return type == DType::F32 ? 4 : 2; }

const char *dtypeName(DType type) {
  switch (type) {
  case DType::BF16:
    return "bf16";
  case DType::F16:
    return "f16";
  case DType::F32:
    return "f32";
  }
  return "?";
}

float minScale() {
  // Both operands are exact in f32 (448 * 512 = 229376); the quotient is
  // rounded once, as on the device.
  const float denominator = 448.0f * 512.0f;
  return 1.0f / denominator;
}

/// floor(log2(a)) of a positive finite double that is normal as a double
/// (every non-zero f32 value is), read from its exponent field.
static int exponentOf(double a) {
  uint64_t bits;
  std::memcpy(&bits, &a, sizeof(bits));
  return static_cast<int>((bits >> 52) & 0x7ff) - 1023;
}

/// 2^e as a double, for -1022 <= e <= 1023 (exact by construction).
static double pow2(int e) {
  uint64_t bits = static_cast<uint64_t>(e + 1023) << 52;
  double d;
  std::memcpy(&d, &bits, sizeof(d));
  return d;
}

/// Rounds a finite magnitude `a` >= 0 to the nearest value (ties to even) of a
/// binary format with `fracBits` fraction bits and smallest normal exponent
/// `minExp`. Values below 2^minExp are rounded on the subnormal grid
/// 2^(minExp - fracBits). Overflow is left to the caller.
static double roundMagnitude(double a, int fracBits, int minExp) {
  if (a == 0.0)
    return 0.0;
  int exponent = std::max(exponentOf(a), minExp);
  // Exact: multiplying by a power of two.
  double scaled = a * pow2(fracBits - exponent);
  double whole = std::floor(scaled);
  double fraction = scaled - whole; // Exact: scaled < 2^(fracBits + 1).
  bool odd = (static_cast<int64_t>(whole) & 1) != 0;
  if (fraction > 0.5 || (fraction == 0.5 && odd))
    whole += 1.0;
  return whole * pow2(exponent - fracBits);
}

//===----------------------------------------------------------------------===//
// bf16
//===----------------------------------------------------------------------===//

float bf16ToFloat(uint16_t bits) {
  return floatFromBits(static_cast<uint32_t>(bits) << 16);
}

uint16_t floatToBf16(float value) {
  uint32_t bits = floatBits(value);
  if ((bits & 0x7fffffffu) > 0x7f800000u) // NaN: keep the sign, make quiet.
    return static_cast<uint16_t>((bits >> 16) | 0x0040u);
  // bf16 keeps the upper 16 bits of an f32. Adding 0x7fff plus the lowest
  // kept bit rounds the dropped half to nearest, ties to even; a carry out
  // of the mantissa correctly bumps the exponent (up to +-Inf).
  uint32_t lsb = (bits >> 16) & 1u;
  bits += 0x7fffu + lsb;
  return static_cast<uint16_t>(bits >> 16);
}

//===----------------------------------------------------------------------===//
// f16 (1-5-10, bias 15)
//===----------------------------------------------------------------------===//

float f16ToFloat(uint16_t bits) {
  uint32_t sign = bits >> 15;
  uint32_t exponent = (bits >> 10) & 0x1fu;
  uint32_t mantissa = bits & 0x3ffu;
  double magnitude;
  if (exponent == 0x1f)
    return floatFromBits((sign << 31) | 0x7f800000u | (mantissa << 13));
  if (exponent == 0)
    magnitude = static_cast<double>(mantissa) * pow2(-24);
  else
    magnitude =
        (1.0 + mantissa / 1024.0) * pow2(static_cast<int>(exponent) - 15);
  float result = static_cast<float>(magnitude); // Exact.
  return sign ? -result : result;
}

uint16_t floatToF16(float value) {
  uint32_t bits = floatBits(value);
  uint16_t sign = static_cast<uint16_t>((bits >> 16) & 0x8000u);
  if (std::isnan(value))
    return static_cast<uint16_t>(sign | 0x7e00u);
  double a = std::fabs(static_cast<double>(value));
  if (std::isinf(a))
    return static_cast<uint16_t>(sign | 0x7c00u);
  double r = roundMagnitude(a, 10, -14);
  if (r >= 65536.0) // Rounded past the largest finite value 65504.
    return static_cast<uint16_t>(sign | 0x7c00u);
  if (r == 0.0)
    return sign;
  int e = exponentOf(r);
  if (e < -14) // Subnormal: r = m * 2^-24, 1 <= m <= 1023.
    return static_cast<uint16_t>(sign | static_cast<uint16_t>(r * pow2(24)));
  uint16_t expField = static_cast<uint16_t>(e + 15);
  uint16_t mantissa = static_cast<uint16_t>((r * pow2(-e) - 1.0) * 1024.0);
  return static_cast<uint16_t>(sign | (expField << 10) | mantissa);
}

//===----------------------------------------------------------------------===//
// Generic element access
//===----------------------------------------------------------------------===//

float roundTo(DType type, float value) {
  switch (type) {
  case DType::BF16:
    return bf16ToFloat(floatToBf16(value));
  case DType::F16:
    return f16ToFloat(floatToF16(value));
  case DType::F32:
    return value;
  }
  return value;
}

float loadAs(DType type, const void *base, int64_t index) {
  switch (type) {
  case DType::BF16:
    return bf16ToFloat(static_cast<const uint16_t *>(base)[index]);
  case DType::F16:
    return f16ToFloat(static_cast<const uint16_t *>(base)[index]);
  case DType::F32:
    return static_cast<const float *>(base)[index];
  }
  return 0.0f;
}

void storeAs(DType type, void *base, int64_t index, float value) {
  switch (type) {
  case DType::BF16:
    static_cast<uint16_t *>(base)[index] = floatToBf16(value);
    return;
  case DType::F16:
    static_cast<uint16_t *>(base)[index] = floatToF16(value);
    return;
  case DType::F32:
    static_cast<float *>(base)[index] = value;
    return;
  }
}

uint32_t bitsAt(DType type, const void *base, int64_t index) {
  if (type == DType::F32)
    return static_cast<const uint32_t *>(base)[index];
  return static_cast<const uint16_t *>(base)[index];
}

uint64_t ulpDistance(DType type, uint32_t aBits, uint32_t bBits) {
  uint32_t signBit = type == DType::F32 ? 0x80000000u : 0x8000u;
  uint32_t magMask = signBit - 1;
  uint32_t infBits = type == DType::F32   ? 0x7f800000u
                     : type == DType::F16 ? 0x7c00u
                                          : 0x7f80u;
  bool aNaN = (aBits & magMask) > infBits;
  bool bNaN = (bBits & magMask) > infBits;
  if (aNaN || bNaN)
    return aNaN && bNaN ? 0 : ~uint64_t(0);
  // Map the sign-magnitude encodings onto a line where neighbouring values
  // differ by one (+0 and -0 both map to 0).
  auto ordered = [&](uint32_t v) -> int64_t {
    int64_t magnitude = v & magMask;
    return (v & signBit) ? -magnitude : magnitude;
  };
  int64_t d = ordered(aBits) - ordered(bBits);
  return static_cast<uint64_t>(d < 0 ? -d : d);
}

//===----------------------------------------------------------------------===//
// FP8 e4m3fn (1-4-3, bias 7, no infinities, 0x7f / 0xff are NaN)
//===----------------------------------------------------------------------===//

uint8_t encodeE4M3(float value) {
  uint8_t sign = (floatBits(value) >> 31) ? 0x80 : 0x00;
  if (std::isnan(value))
    return static_cast<uint8_t>(sign | 0x7f);
  double a = std::fabs(static_cast<double>(value));
  // Saturating: anything above the largest finite value, +-Inf included,
  // becomes +-448. Values at or below 448 cannot round above it (the next
  // grid point, 480, is the NaN encoding and the tie 464 is above 448).
  if (a > 448.0)
    return static_cast<uint8_t>(sign | 0x7e);
  double r = roundMagnitude(a, 3, -6);
  if (r == 0.0)
    return sign;
  int e = exponentOf(r);
  if (e < -6) // Subnormal: r = m * 2^-9, 1 <= m <= 7.
    return static_cast<uint8_t>(sign | static_cast<uint8_t>(r * pow2(9)));
  uint8_t expField = static_cast<uint8_t>(e + 7);
  uint8_t mantissa = static_cast<uint8_t>((r * pow2(-e) - 1.0) * 8.0);
  return static_cast<uint8_t>(sign | (expField << 3) | mantissa);
}

bool isE4M3NaN(uint8_t bits) { return (bits & 0x7f) == 0x7f; }

float decodeE4M3(uint8_t bits) {
  if (isE4M3NaN(bits))
    return std::nanf("");
  int exponent = (bits >> 3) & 0xf;
  int mantissa = bits & 0x7;
  double magnitude = exponent == 0
                         ? static_cast<double>(mantissa) * pow2(-9)
                         : (1.0 + mantissa / 8.0) * pow2(exponent - 7);
  float result = static_cast<float>(magnitude); // Exact.
  return (bits & 0x80) ? -result : result;
}

//===----------------------------------------------------------------------===//
// UE8M0
//===----------------------------------------------------------------------===//

uint8_t ue8m0Exponent(float scale) {
  // The floor is applied with maxNum, so a NaN scale also lands on it.
  uint32_t bits = floatBits(maxNum(scale, kScaleFloor));
  uint32_t exponent = (bits >> 23) & 0xffu;
  uint32_t mantissa = bits & 0x7fffffu;
  if (exponent == 0xffu) // +Inf (NaN cannot reach here).
    return 0xff;
  return static_cast<uint8_t>(exponent + (mantissa != 0 ? 1u : 0u));
}

float ue8m0Value(uint8_t exponent) {
  return floatFromBits(static_cast<uint32_t>(exponent) << 23);
}

//===----------------------------------------------------------------------===//
// maxNum / minNum
//===----------------------------------------------------------------------===//

float maxNum(float a, float b) {
  if (std::isnan(a))
    return b;
  if (std::isnan(b))
    return a;
  return a < b ? b : a;
}

float minNum(float a, float b) {
  if (std::isnan(a))
    return b;
  if (std::isnan(b))
    return a;
  return b < a ? b : a;
}

} // namespace ref
} // namespace vllm

//===----------------------------------------------------------------------===//
// The specified exp (SPEC 2)
//===----------------------------------------------------------------------===//

float vllm::ref::specExp(float v) {
  // One statement per operation of SPEC 2 (the library is built with
  // -ffp-contract=off; std::fma rounds once).
  float c = v > 89.0f ? 89.0f : (v < -104.0f ? -104.0f : v);
  const float log2e = floatFromBits(0x3fb8aa3b);
  const float magic = floatFromBits(0x4b400000);
  float k = std::fma(c, log2e, magic);
  float n = k - magic;
  float r = std::fma(n, -floatFromBits(0x3f317218), c);
  r = std::fma(n, -floatFromBits(0xb102e308), r);
  const uint32_t coefficients[] = {0x3ab60b61, 0x3c088889, 0x3d2aaaab,
                                   0x3e2aaaab, 0x3f000000, 0x3f800000,
                                   0x3f800000};
  float p = floatFromBits(0x39500d01);
  for (uint32_t coefficient : coefficients)
    p = std::fma(p, r, floatFromBits(coefficient));
  // The integer n, from the bits of k (two's complement, wrapping).
  int32_t i = static_cast<int32_t>(floatBits(k) - floatBits(magic));
  int32_t i1 = i >> 1; // arithmetic shift (C++20; every target compiler)
  int32_t i2 = i - i1;
  float scale1 = floatFromBits(static_cast<uint32_t>(i1 + 127) << 23);
  float scale2 = floatFromBits(static_cast<uint32_t>(i2 + 127) << 23);
  float scaled = p * scale1;
  return scaled * scale2;
}
