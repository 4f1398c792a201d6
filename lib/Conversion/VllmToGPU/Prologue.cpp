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
// For bf16 gates the persistent kernels take silu(g) from a table instead
// (SiluTable.h: 2 x 4096 entries the compiler computes with the same
// operations, copied into shared memory once per CTA), with one exact
// multiply of g outside its range: about 15 instructions per element
// instead of about 35 for the clamp, the exp, the division and its slow-path
// branch. ncu on the H100 showed the arithmetic kernel issue-bound (the
// issue slots 79% busy at 55% of DRAM bandwidth, M = 16384, I = 2048).
//
//===----------------------------------------------------------------------===//

#include "Codegen.h"
#include "SiluTable.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/SymbolTable.h"
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

//===----------------------------------------------------------------------===//
// silu by table (bf16 gates)
//===----------------------------------------------------------------------===//

/// The symbol of the table's global in a gpu.module.
static constexpr llvm::StringLiteral kSiluTableSymbol = "vllm_silu_bf16_table";

memref::GlobalOp codegen::getOrCreateSiluTableGlobal(OpBuilder &moduleBuilder,
                                                     Location loc) {
  Operation *module = moduleBuilder.getInsertionBlock()->getParentOp();
  if (Operation *existing =
          SymbolTable::lookupSymbolIn(module, kSiluTableSymbol))
    return cast<memref::GlobalOp>(existing);
  MLIRContext *ctx = moduleBuilder.getContext();
  Type f32 = moduleBuilder.getF32Type();
  auto globalSpace = gpu::AddressSpaceAttr::get(ctx, gpu::AddressSpace::Global);
  int64_t entries = kSiluTableEntries;
  auto type =
      MemRefType::get({entries}, f32, MemRefLayoutAttrInterface{}, globalSpace);
  std::vector<float> values = buildBF16SiluTable();
  auto valuesType = RankedTensorType::get({entries}, f32);
  auto initialValue =
      DenseElementsAttr::get(valuesType, llvm::ArrayRef<float>(values));
  StringAttr visibility = moduleBuilder.getStringAttr("private");
  // 16-byte aligned for the copy's vector loads.
  IntegerAttr alignment = moduleBuilder.getI64IntegerAttr(16);
  OpBuilder::InsertionGuard guard(moduleBuilder);
  moduleBuilder.setInsertionPointToStart(moduleBuilder.getInsertionBlock());
  return memref::GlobalOp::create(moduleBuilder, loc, kSiluTableSymbol,
                                  visibility, type, initialValue,
                                  /*constant=*/true, alignment);
}

void codegen::emitSiluTableCopy(ImplicitLocOpBuilder &b,
                                memref::GlobalOp global, Value table, Value tid,
                                int64_t threads) {
  Value source =
      memref::GetGlobalOp::create(b, global.getType(), global.getSymName());
  auto quadType = VectorType::get({4}, b.getF32Type());
  Value four = constIndex(b, 4);
  Value start = arith::MulIOp::create(b, tid, four);
  Value end = constIndex(b, kSiluTableEntries);
  Value step = constIndex(b, 4 * threads);
  auto loop = scf::ForOp::create(b, start, end, step);
  {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPoint(loop.getBody()->getTerminator());
    Value offset = loop.getInductionVar();
    Value quad =
        vector::LoadOp::create(b, quadType, source, ValueRange{offset},
                               /*nontemporal=*/false, llvm::MaybeAlign(16));
    vector::StoreOp::create(b, quad, table, ValueRange{offset},
                            /*nontemporal=*/false, llvm::MaybeAlign(16));
  }
  gpu::BarrierOp::create(b);
}

SmallVector<Value> codegen::emitSiluAndMulByTable(ImplicitLocOpBuilder &b,
                                                  Value gateVector,
                                                  ArrayRef<Value> gates,
                                                  ArrayRef<Value> ups,
                                                  Value table) {
  auto gateType = cast<VectorType>(gateVector.getType());
  auto bitsType = VectorType::get(gateType.getShape(), b.getI16Type());
  Value gateBits = vector::BitCastOp::create(b, bitsType, gateVector);
  Type i32 = b.getI32Type();
  Value magnitudeMask = constI32(b, 0x7fff);
  Value low = constI32(b, static_cast<int32_t>(kSiluTableLow));
  Value half = constI32(b, static_cast<int32_t>(kSiluTableHalf));
  Value signShift = constI32(b, 15);
  Value zero = constI32(b, 0);
  Value halfMultiplier = constF32(b, 0.5f);
  Value oneMultiplier = constF32(b, 1.0f);
  Value zeroMultiplier = constF32(b, 0.0f);
  SmallVector<Value> products;
  for (auto [i, gate] : llvm::enumerate(gates)) {
    Value narrowBits =
        vector::ExtractOp::create(b, gateBits, static_cast<int64_t>(i));
    Value bits = arith::ExtUIOp::create(b, i32, narrowBits);
    // Entry sign * half + (magnitude - low) when magnitude is in
    // [low, low + half); the unsigned compare also rejects magnitudes below
    // low, whose difference wraps.
    Value magnitude = arith::AndIOp::create(b, bits, magnitudeMask);
    Value offset = arith::SubIOp::create(b, magnitude, low);
    Value inTable =
        arith::CmpIOp::create(b, arith::CmpIPredicate::ult, offset, half);
    Value sign = arith::ShRUIOp::create(b, bits, signShift);
    Value signBase = arith::MulIOp::create(b, sign, half);
    Value entry = arith::AddIOp::create(b, offset, signBase);
    // Out of range the load reads entry 0 and the select below drops it.
    Value safeEntry = arith::SelectOp::create(b, inTable, entry, zero);
    Value index = arith::IndexCastUIOp::create(b, b.getIndexType(), safeEntry);
    Value tabled = memref::LoadOp::create(b, table, ValueRange{index});
    // Outside the table: g * 0.5 below it, g * 1 (positive) or g * 0
    // (negative) above it (lookUpBF16Silu).
    Value tiny =
        arith::CmpIOp::create(b, arith::CmpIPredicate::ult, magnitude, low);
    Value negative =
        arith::CmpIOp::create(b, arith::CmpIPredicate::ne, sign, zero);
    Value largeMultiplier =
        arith::SelectOp::create(b, negative, zeroMultiplier, oneMultiplier);
    Value multiplier =
        arith::SelectOp::create(b, tiny, halfMultiplier, largeMultiplier);
    Value scaled = arith::MulFOp::create(b, gate, multiplier);
    Value silu = arith::SelectOp::create(b, inTable, tabled, scaled);
    products.push_back(arith::MulFOp::create(b, silu, ups[i]));
  }
  return products;
}
