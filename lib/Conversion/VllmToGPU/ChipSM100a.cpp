//===- ChipSM100a.cpp - sm_100a (Blackwell) entry of the chip table -------===//
//
// Part of the vllm-mlir project.
//
//===----------------------------------------------------------------------===//
//
// Blackwell converts f32 to UE8M0 in one instruction:
// `cvt.rp.satfinite.ue8m0x2.f32` (NVVM `convert.f32x2.to.f8x2` to
// f8E8M0FNU, round toward +Inf). For s' >= 1e-10 (normal, positive) rounding
// up to a power of two is exactly SPEC.md's U(s). The only input where the
// two may differ is +Inf: `.satfinite` conversions turn an infinite input
// into the largest finite value of the destination (exponent 254), while
// SPEC.md wants 255, so that case is selected explicitly.
//
//===----------------------------------------------------------------------===//

#include "vllm-mlir/Conversion/VllmToGPU/TargetChip.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/IR/ImplicitLocOpBuilder.h"

#include <limits>

using namespace mlir;
using namespace mlir::vllm;

static Value emitUE8M0ExponentWithCvt(OpBuilder &builder, Location loc,
                                      Value clamped) {
  ImplicitLocOpBuilder b(loc, builder);
  Type i32 = b.getI32Type();
  // The pair conversion puts its second operand in the low byte.
  Value pair = NVVM::ConvertF32x2ToF8x2Op::create(
      b, b.getI16Type(), clamped, clamped, NVVM::FPRoundingMode::RP,
      NVVM::SaturationMode::SATFINITE, /*relu=*/false,
      Float8E8M0FNUType::get(b.getContext()));
  Value wide = arith::ExtUIOp::create(b, i32, pair);
  Value lowByteMask = arith::ConstantIntOp::create(b, 0xFF, 32);
  Value low = arith::AndIOp::create(b, wide, lowByteMask);
  Value infinity = arith::ConstantFloatOp::create(
      b, b.getF32Type(), APFloat(std::numeric_limits<float>::infinity()));
  Value isInf =
      arith::CmpFOp::create(b, arith::CmpFPredicate::OEQ, clamped, infinity);
  Value nanExponent = arith::ConstantIntOp::create(b, 255, 32);
  return arith::SelectOp::create(b, isInf, nanExponent, low);
}

const TargetChipInfo &mlir::vllm::getSM100aChipInfo() {
  static const TargetChipInfo info{
      /*name=*/"sm_100a",
      /*smVersion=*/100,
      /*minPtxVersion=*/86,
      /*defaultFeatures=*/"+ptx86",
      /*hasUE8M0Convert=*/true,
      /*hasPackedF32Arithmetic=*/true,
      /*hasWgmma=*/false,
      /*hasTcgen05=*/true,
      /*tcgen05PtxVersion=*/88,
      /*numSMs=*/148,
      /*emitUE8M0Exponent=*/emitUE8M0ExponentWithCvt,
  };
  return info;
}
