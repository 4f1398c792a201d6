//===- Prologue.cpp - element-wise prologues of the row kernels -----------===//
//
// Part of the vllm-mlir project.
//
//===----------------------------------------------------------------------===//
//
// The table of element-wise prologues (SPEC.md 3.7, 3.8): what a row kernel
// computes y from when y is neither read from memory nor normalized. An
// entry says how many operand vectors each element of y reads from the
// input row (at which column offsets) and emits the f32 arithmetic of one
// element. The row kernel (Norm.cpp) does the rest: the loads, the rounding
// of y to T, the store of y, and the quantization phase, which sees the
// rounded y exactly as a quantize kernel reading it back would (SPEC C9).
//
// silu_and_mul: y = RN_T(silu(g) * u), silu(g) = g / (1 + X(-g)), where X is
// the specified f32 exp of SPEC.md section 2: every step is an fma, add,
// multiply, compare or integer operation with PTX's IEEE rounding, which
// the CPU reference reproduces bit for bit.
//
//===----------------------------------------------------------------------===//

#include "Codegen.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "llvm/ADT/bit.h"

using namespace mlir;
using namespace mlir::vllm;
using namespace mlir::vllm::codegen;

int64_t codegen::getPrologueOperandCount(Prologue prologue) {
  switch (prologue) {
  case Prologue::SiluAndMul:
    return 2;
  }
  llvm_unreachable("unknown prologue");
}

/// A constant `value` (an f32 or i32 attribute), a vector of it when `like`
/// is a vector (of the same shape).
static Value constLike(ImplicitLocOpBuilder &b, Value like, TypedAttr value) {
  auto likeVector = dyn_cast<VectorType>(like.getType());
  if (!likeVector)
    return arith::ConstantOp::create(b, value);
  auto vector = VectorType::get(likeVector.getShape(), value.getType());
  return arith::ConstantOp::create(b, vector,
                                   DenseElementsAttr::get(vector, value));
}

static Value constF32Like(ImplicitLocOpBuilder &b, Value like, float value) {
  return constLike(b, like, b.getF32FloatAttr(value));
}

static Value constI32Like(ImplicitLocOpBuilder &b, Value like, int32_t value) {
  return constLike(b, like, b.getI32IntegerAttr(value));
}

/// The i32 type (or vector of i32) with the shape of `like`.
static Type getI32Like(ImplicitLocOpBuilder &b, Value like) {
  if (auto vector = dyn_cast<VectorType>(like.getType()))
    return VectorType::get(vector.getShape(), b.getI32Type());
  return b.getI32Type();
}

/// The f32 whose bits are (e + 127) << 23 for the integer e: 2^e for e in
/// [-126, 127].
static Value emitPowerOfTwo(ImplicitLocOpBuilder &b, Value exponent,
                            Type floatType) {
  Value bias = constI32Like(b, exponent, 127);
  Value biased = arith::AddIOp::create(b, exponent, bias);
  Value shift = constI32Like(b, exponent, 23);
  Value bits = arith::ShLIOp::create(b, biased, shift);
  return arith::BitcastOp::create(b, floatType, bits);
}

Value codegen::emitSpecExp(ImplicitLocOpBuilder &b, Value v) {
  // The constants of SPEC.md section 2, by their bits.
  auto bitsF32 = [](uint32_t bits) { return llvm::bit_cast<float>(bits); };
  Type floatType = v.getType();
  // c = v > 89 ? 89 : (v < -104 ? -104 : v); NaN fails both compares.
  Value upper = constF32Like(b, v, 89.0f);
  Value lower = constF32Like(b, v, -104.0f);
  Value above = arith::CmpFOp::create(b, arith::CmpFPredicate::OGT, v, upper);
  Value below = arith::CmpFOp::create(b, arith::CmpFPredicate::OLT, v, lower);
  Value raised = arith::SelectOp::create(b, below, lower, v);
  Value c = arith::SelectOp::create(b, above, upper, raised);
  // n = rint(c * log2 e) by the 1.5 * 2^23 shift.
  Value log2e = constF32Like(b, v, bitsF32(0x3fb8aa3b));
  Value magic = constF32Like(b, v, bitsF32(0x4b400000));
  Value k = emitFma(b, c, log2e, magic);
  Value n = arith::SubFOp::create(b, k, magic);
  // r = c - n ln 2 in two steps (Cody-Waite).
  Value minusLn2Hi = constF32Like(b, v, -bitsF32(0x3f317218));
  Value minusLn2Lo = constF32Like(b, v, -bitsF32(0xb102e308));
  Value rHi = emitFma(b, n, minusLn2Hi, c);
  Value r = emitFma(b, n, minusLn2Lo, rHi);
  // p = exp(r) by the degree-7 Taylor polynomial, Horner form.
  static constexpr uint32_t kCoefficients[] = {
      0x3ab60b61, 0x3c088889, 0x3d2aaaab, 0x3e2aaaab,
      0x3f000000, 0x3f800000, 0x3f800000};
  Value p = constF32Like(b, v, bitsF32(0x39500d01));
  for (uint32_t coefficient : kCoefficients) {
    Value term = constF32Like(b, v, bitsF32(coefficient));
    p = emitFma(b, p, r, term);
  }
  // X = (p * 2^i1) * 2^i2 with i = n as an integer, i1 = i >> 1,
  // i2 = i - i1.
  Type intType = getI32Like(b, v);
  Value kBits = arith::BitcastOp::create(b, intType, k);
  Value magicBits = constI32Like(b, v, 0x4b400000);
  Value i = arith::SubIOp::create(b, kBits, magicBits);
  Value one = constI32Like(b, v, 1);
  Value i1 = arith::ShRSIOp::create(b, i, one);
  Value i2 = arith::SubIOp::create(b, i, i1);
  Value scale1 = emitPowerOfTwo(b, i1, floatType);
  Value scale2 = emitPowerOfTwo(b, i2, floatType);
  Value scaled = arith::MulFOp::create(b, p, scale1);
  return arith::MulFOp::create(b, scaled, scale2);
}

/// silu(g) * u in f32 (SPEC.md 3.7), before the rounding to T.
static Value emitSiluAndMul(ImplicitLocOpBuilder &b, Value gate, Value up) {
  Value negated = arith::NegFOp::create(b, gate);
  Value exp = emitSpecExp(b, negated);
  Value one = constF32Like(b, gate, 1.0f);
  Value denominator = arith::AddFOp::create(b, one, exp);
  // arith.divf is div.rn.f32: correctly rounded.
  Value silu = arith::DivFOp::create(b, gate, denominator);
  return arith::MulFOp::create(b, silu, up);
}

Value codegen::emitPrologueElement(ImplicitLocOpBuilder &b, Prologue prologue,
                                   ValueRange operands) {
  switch (prologue) {
  case Prologue::SiluAndMul:
    return emitSiluAndMul(b, operands[0], operands[1]);
  }
  llvm_unreachable("unknown prologue");
}
