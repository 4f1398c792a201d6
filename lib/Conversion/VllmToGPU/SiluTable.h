//===- SiluTable.h - silu(g) of every bf16 g, by table ----------*- C++ -*-===//
//
// Part of the vllm-mlir project.
//
//===----------------------------------------------------------------------===//
//
// silu(g) = g / (1 + X(-g)) (SPEC.md 3.7) depends on g alone, and a bf16 g
// has 2^16 values. Outside |g| in [2^-25, 128) it is one exact multiply of
// g (SPEC.md 3.7, "bf16 gates"); inside, a table of the 2 x 4096 values the
// formula gives holds it. The row kernels of silu_and_mul on bf16 read the
// table from shared memory instead of evaluating the exp and the division
// per element: the same bits for a third of the instructions (Prologue.cpp).
//
// The compiler computes the table with the f32 operations of SPEC.md 2 and
// 3.7 on the host. Nothing here depends on MLIR, so the CPU test of every
// bf16 value (reference/test/SiluTableTest.cpp) compiles it as it is and
// compares it with the CPU reference, an independent implementation.
//
//===----------------------------------------------------------------------===//

#ifndef VLLM_MLIR_CONVERSION_VLLMTOGPU_SILUTABLE_H
#define VLLM_MLIR_CONVERSION_VLLMTOGPU_SILUTABLE_H

#include <cstdint>
#include <vector>

namespace mlir::vllm::codegen {

/// The magnitudes (bf16 bits without the sign) the table covers:
/// [kSiluTableLow, kSiluTableHigh), that is 2^-25 <= |g| < 128.
constexpr uint32_t kSiluTableLow = 0x3300;
constexpr uint32_t kSiluTableHigh = 0x4300;
/// Entries per sign; the table holds the positive g first, then the
/// negative ones.
constexpr uint32_t kSiluTableHalf = kSiluTableHigh - kSiluTableLow;
constexpr uint32_t kSiluTableEntries = 2 * kSiluTableHalf;

/// silu(g) in f32 by the operations of SPEC.md 2 (X) and 3.7, each rounded
/// once to nearest-even.
float evaluateSpecSilu(float g);

/// silu(g) for every g of the table, in its order: entry
/// sign * kSiluTableHalf + (magnitude - kSiluTableLow).
std::vector<float> buildBF16SiluTable();

/// The kernel's rule for the bf16 g of bits `bits` (Prologue.cpp emits the
/// same steps): the table entry inside its range; g * 0.5 below it (1 + X
/// is 2 there, and g * 0.5 is g / 2 rounded); g * 1 above it for positive
/// g (1 + X is 1) and g * 0 for negative g (1 + X is +Inf: -0, or NaN for
/// -Inf). NaN stays NaN.
float lookUpBF16Silu(uint16_t bits, const std::vector<float> &table);

} // namespace mlir::vllm::codegen

#endif // VLLM_MLIR_CONVERSION_VLLMTOGPU_SILUTABLE_H
