//===- SiluTableTest.cpp - The compiler's silu table against the reference ===//
//
// Part of the vllm-mlir project.
//
//===----------------------------------------------------------------------===//
//
// The row kernels of silu_and_mul on bf16 take silu(g) from a table the
// compiler computes (lib/Conversion/VllmToGPU/SiluTable.cpp), with one
// multiply of g outside the table's range. Every one of the 2^16 bf16 gates
// is checked here: the kernel's rule (lookUpBF16Silu) and the compiler's
// formula against this reference's silu, written independently from
// SPEC.md. The spot checks below are worked out by hand from SPEC.md 2 and
// 3.7.
//
//===----------------------------------------------------------------------===//

#include "SiluTable.h"
#include "TestHarness.h"
#include "vllm-reference/Reference.h"

#include <cmath>
#include <cstdio>
#include <limits>

using namespace mlir::vllm::codegen;
using vllm::ref::bf16ToFloat;
using vllm::ref::floatBits;

/// Same bits, or both NaN (the kernels produce NaN by arithmetic, whose
/// payload the GPU canonicalizes).
static bool sameResult(float a, float b) {
  if (std::isnan(a) || std::isnan(b))
    return std::isnan(a) && std::isnan(b);
  return floatBits(a) == floatBits(b);
}

/// silu(g) by the reference: silu(g) * 1 is silu(g).
static float referenceSilu(float g) {
  return vllm::ref::siluAndMulValue(g, 1.0f);
}

VT_TEST(everyBF16GateByTheKernelRule) {
  std::vector<float> table = buildBF16SiluTable();
  VT_EXPECT_EQ(table.size(), static_cast<size_t>(kSiluTableEntries));
  int64_t mismatches = 0;
  for (uint32_t bits = 0; bits < 0x10000; ++bits) {
    float g = bf16ToFloat(static_cast<uint16_t>(bits));
    float expected = referenceSilu(g);
    float actual = lookUpBF16Silu(static_cast<uint16_t>(bits), table);
    if (!sameResult(actual, expected) && mismatches++ < 8) {
      char message[96];
      std::snprintf(message, sizeof message,
                    "bf16 gate 0x%04x: table rule 0x%08x, reference 0x%08x",
                    bits, floatBits(actual), floatBits(expected));
      vt::fail(__FILE__, __LINE__, message);
    }
  }
  VT_EXPECT_EQ(mismatches, 0);
}

VT_TEST(everyBF16GateByTheCompilersFormula) {
  int64_t mismatches = 0;
  for (uint32_t bits = 0; bits < 0x10000; ++bits) {
    float g = bf16ToFloat(static_cast<uint16_t>(bits));
    if (!sameResult(evaluateSpecSilu(g), referenceSilu(g)) &&
        mismatches++ < 8) {
      char message[64];
      std::snprintf(message, sizeof message, "bf16 gate 0x%04x", bits);
      vt::fail(__FILE__, __LINE__, message);
    }
  }
  VT_EXPECT_EQ(mismatches, 0);
}

VT_TEST(handWorkedCases) {
  std::vector<float> table = buildBF16SiluTable();
  const float inf = std::numeric_limits<float>::infinity();
  // +Inf: X(-Inf) = +0, 1 + 0 = 1, Inf / 1 = Inf (bf16 0x7f80).
  VT_EXPECT_EQ(floatBits(lookUpBF16Silu(0x7f80, table)), floatBits(inf));
  // -Inf: X(+Inf) = +Inf, -Inf / Inf = NaN (0xff80).
  VT_EXPECT(std::isnan(lookUpBF16Silu(0xff80, table)));
  // NaN stays NaN (0x7fc0).
  VT_EXPECT(std::isnan(lookUpBF16Silu(0x7fc0, table)));
  // -0: X(+0) = 1 (n = 0, r = 0, p = 1), 1 + 1 = 2, -0 / 2 = -0 (0x8000).
  VT_EXPECT_EQ(floatBits(lookUpBF16Silu(0x8000, table)), 0x80000000u);
  // 256 (0x4380): X(-256) = +0 (clamped to -104, below the subnormals),
  // 256 / 1 = 256.
  VT_EXPECT_EQ(lookUpBF16Silu(0x4380, table), 256.0f);
  // -256 (0xc380): X(256) = +Inf (clamped to 89, n = 128), -256 / Inf = -0.
  VT_EXPECT_EQ(floatBits(lookUpBF16Silu(0xc380, table)), 0x80000000u);
  // 2^-30 (bf16 0x3080): X(-2^-30) rounds to 1, so 2^-30 / 2 = 2^-31.
  VT_EXPECT_EQ(lookUpBF16Silu(0x3080, table), std::ldexp(1.0f, -31));
  // 64 (0x4280, inside the table): X(-64) is about 1.6e-28, far below half
  // an ulp of 1, so 1 + X = 1 and silu(64) = 64.
  VT_EXPECT_EQ(lookUpBF16Silu(0x4280, table), 64.0f);
  // -1 (0xbf80), in the table, within rounding of -1 / (1 + e) =
  // -0.2689414...
  VT_EXPECT_NEAR(lookUpBF16Silu(0xbf80, table), -0.26894142, 1e-6);
}

VT_MAIN()
