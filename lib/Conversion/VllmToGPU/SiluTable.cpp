//===- SiluTable.cpp - silu(g) of every bf16 g, by table ------------------===//
//
// Part of the vllm-mlir project.
//
//===----------------------------------------------------------------------===//
//
// Built with -ffp-contract=off (CMakeLists.txt): every multiply and add below
// rounds on its own, as SPEC.md writes them; std::fma rounds once.
//
//===----------------------------------------------------------------------===//

#include "SiluTable.h"

#include <cmath>
#include <cstring>

using namespace mlir::vllm;

static float fromBits(uint32_t bits) {
  float value;
  std::memcpy(&value, &bits, sizeof value);
  return value;
}

static uint32_t toBits(float value) {
  uint32_t bits;
  std::memcpy(&bits, &value, sizeof bits);
  return bits;
}

/// X(v) of SPEC.md 2, one statement per operation.
static float evaluateSpecExp(float v) {
  float c = v > 89.0f ? 89.0f : (v < -104.0f ? -104.0f : v);
  const float shift = fromBits(0x4b400000);
  float k = std::fma(c, fromBits(0x3fb8aa3b), shift);
  float n = k - shift;
  float r = std::fma(n, -fromBits(0x3f317218), c);
  r = std::fma(n, -fromBits(0xb102e308), r);
  static constexpr uint32_t kHornerCoefficients[] = {
      0x3ab60b61, 0x3c088889, 0x3d2aaaab, 0x3e2aaaab,
      0x3f000000, 0x3f800000, 0x3f800000};
  float p = fromBits(0x39500d01);
  for (uint32_t coefficient : kHornerCoefficients)
    p = std::fma(p, r, fromBits(coefficient));
  // n as an integer from k's bits, in 32-bit two's complement.
  int32_t i = static_cast<int32_t>(toBits(k) - toBits(shift));
  int32_t half = i >> 1;
  int32_t rest = i - half;
  float firstScale = fromBits(static_cast<uint32_t>(half + 127) << 23);
  float secondScale = fromBits(static_cast<uint32_t>(rest + 127) << 23);
  float partial = p * firstScale;
  return partial * secondScale;
}

float codegen::evaluateSpecSilu(float g) {
  float denominator = 1.0f + evaluateSpecExp(-g);
  return g / denominator;
}

std::vector<float> codegen::buildBF16SiluTable() {
  std::vector<float> table(kSiluTableEntries);
  for (uint32_t sign = 0; sign < 2; ++sign)
    for (uint32_t magnitude = kSiluTableLow; magnitude < kSiluTableHigh;
         ++magnitude) {
      uint32_t bf16Bits = (sign << 15) | magnitude;
      float g = fromBits(bf16Bits << 16);
      table[sign * kSiluTableHalf + (magnitude - kSiluTableLow)] =
          evaluateSpecSilu(g);
    }
  return table;
}

float codegen::lookUpBF16Silu(uint16_t bits, const std::vector<float> &table) {
  float g = fromBits(static_cast<uint32_t>(bits) << 16);
  uint32_t magnitude = bits & 0x7fffu;
  uint32_t sign = bits >> 15;
  if (magnitude >= kSiluTableLow && magnitude < kSiluTableHigh)
    return table[sign * kSiluTableHalf + (magnitude - kSiluTableLow)];
  float multiplier = magnitude < kSiluTableLow ? 0.5f : (sign ? 0.0f : 1.0f);
  return g * multiplier;
}
