//===- ChipSM90a.cpp - sm_90a (Hopper) entry of the chip table ------------===//
//
// Part of the vllm-mlir project.
//
//===----------------------------------------------------------------------===//
//
// Hopper has the e4m3x2 conversions but no UE8M0 conversion instruction
// (`cvt.*.ue8m0x2` needs sm_100a; the NVPTX backend aborts on it for
// sm_90a), so U(s) is computed with the bit rule of SPEC.md section 2.
//
//===----------------------------------------------------------------------===//

#include "vllm-mlir/Conversion/VllmToGPU/TargetChip.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/ImplicitLocOpBuilder.h"

using namespace mlir;
using namespace mlir::vllm;

/// SPEC.md U(s) on the f32 bits of s' (> 0, not NaN): e = exponent field +
/// (mantissa field != 0), i.e. the exponent of the smallest power of two
/// >= s'. +Inf (exponent 255, mantissa 0) gives 255.
static Value emitUE8M0ExponentFromBits(OpBuilder &builder, Location loc,
                                       Value clamped) {
  ImplicitLocOpBuilder b(loc, builder);
  Type i32 = b.getI32Type();
  Value bits = arith::BitcastOp::create(b, i32, clamped);
  Value exponent =
      arith::ShRUIOp::create(b, bits, arith::ConstantIntOp::create(b, 23, 32));
  Value mantissa = arith::AndIOp::create(
      b, bits, arith::ConstantIntOp::create(b, 0x7FFFFF, 32));
  Value inexact = arith::CmpIOp::create(b, arith::CmpIPredicate::ne, mantissa,
                                        arith::ConstantIntOp::create(b, 0, 32));
  // The sign bit is 0 (s' > 0), so the shift leaves the exponent field alone.
  return arith::AddIOp::create(b, exponent,
                               arith::ExtUIOp::create(b, i32, inexact));
}

const TargetChipInfo &mlir::vllm::getSM90aChipInfo() {
  static const TargetChipInfo info{
      /*name=*/"sm_90a",
      /*smVersion=*/90,
      /*minPtxVersion=*/80,
      // PTX 8.6 is what the sm_100a default uses too; ptxas of CUDA 12.8+
      // (13.0 here) accepts it for sm_90a.
      /*defaultFeatures=*/"+ptx86",
      /*hasUE8M0Convert=*/false,
      /*hasPackedF32Arithmetic=*/false,
      /*hasWgmma=*/true,
      /*hasTcgen05=*/false,
      /*tcgen05PtxVersion=*/0,
      /*numSMs=*/132,
      /*emitUE8M0Exponent=*/emitUE8M0ExponentFromBits,
  };
  return info;
}
