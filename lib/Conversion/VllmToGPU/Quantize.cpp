//===- Quantize.cpp - quantization phase of the row kernels ---------------===//
//
// Part of the vllm-mlir project.
//
//===----------------------------------------------------------------------===//
//
// FP8 quantization of one row held in registers (SPEC.md 3.3), shared by the
// unfused quantize kernels and the fused rms_norm_quant kernels:
//
//   amax       maxNum over |y| (NaN ignored; NaN when all are NaN), for bf16
//              taken on packed pairs (max.xorsign.abs.bf16x2)
//   static     q = E(y * (1/s)), 1/s computed once per thread
//   tensor     s = max(amax(y)/448, min_scale), q = E(y / s)
//   token      a = amax(row) [a = min(a, ub)], s = max(a/448, min_scale)
//   group      a = max(amax(group), 1e-10), s = a/448 [s = U(s)], q = E(y/s)
//
// Every maximum and minimum is IEEE maxNum/minNum (arith.maxnumf/minnumf,
// PTX max.f32/min.f32); E is the satfinite e4m3x2 conversion. Scales are
// correctly rounded quotients a / 448 (div.rn.f32 once per row or tensor,
// emitDivideByFP8Max for groups). The quotients y / s of the elements are
// not divisions: one div.rn.f32 per element (a MUFU reciprocal, a Newton
// step and a range check each) bounded the kernels by instruction latency
// instead of HBM. The reciprocal 1/s is computed once per scale and each
// E(y / s) gets the same bits from multiplications (emitQuotient). A group is
// held by aligned consecutive lanes of one warp, so its amax is a butterfly
// over those lanes. Packed UE8M0 words combine the bytes of four groups,
// which live in different warps: they are assembled in shared memory.
//
//===----------------------------------------------------------------------===//

#include "Codegen.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "llvm/Support/MathExtras.h"

#include <limits>

using namespace mlir;
using namespace mlir::vllm;
using namespace mlir::vllm::codegen;

using Stage = RowKernelSpec::Stage;

static bool needsRowReduction(const RowKernelSpec &spec) {
  return spec.stage == Stage::AmaxOnly ||
         (spec.stage == Stage::Quantize &&
          spec.scheme.getKind() == QuantKind::PerToken);
}

static bool isPackedGroup(const RowKernelSpec &spec) {
  return spec.stage == Stage::Quantize && spec.scheme.isPerGroup() &&
         spec.scheme.getEncoding() == ScaleEncoding::UE8M0Packed;
}

static int64_t numGroups(const RowKernelSpec &spec) {
  return spec.hidden / spec.scheme.getGroupSize();
}

void codegen::addQuantBuffers(gpu::GPUFuncOp func, const RowKernelSpec &spec,
                              const RowConfig &cfg, QuantOperands &operands) {
  Builder builder(func.getContext());
  // Two halves each: consecutive rows of a CTA alternate between them, so a
  // row's writes never race with the previous row's reads.
  if (needsRowReduction(spec) && cfg.threads > kWarpSize)
    operands.reduceBuffer = addWorkgroupBuffer(
        func, {2 * getBlockReduceHalfSize(cfg.threads)}, builder.getF32Type());
  if (isPackedGroup(spec))
    operands.byteBuffer = addWorkgroupBuffer(
        func, {2 * static_cast<int64_t>(llvm::alignTo(numGroups(spec), 4))},
        builder.getI8Type());
}

/// Runs `body(index)` for index = tid, tid + threads, ... < count.
static void emitStridedLoop(ImplicitLocOpBuilder &b, Value tid, int64_t count,
                            int64_t threads, function_ref<void(Value)> body) {
  Value countValue = constIndex(b, count);
  Value step = constIndex(b, threads);
  auto loop = scf::ForOp::create(b, tid, countValue, step);
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPoint(loop.getBody()->getTerminator());
  body(loop.getInductionVar());
}

/// maxNum over |v| of `values` (NaN when all are NaN).
static Value emitLocalAmax(ImplicitLocOpBuilder &b, ArrayRef<Value> values) {
  Value amax = emitAbs(b, values.front());
  for (Value v : values.drop_front())
    amax = arith::MaxNumFOp::create(b, amax, emitAbs(b, v));
  return amax;
}

static constexpr llvm::StringLiteral kPackedAbsMax =
    "llvm.nvvm.fmax.xorsign.abs.bf16x2";

/// max.xorsign.abs.bf16x2 of two bf16 pairs: maxNum(|a|, |b|) of each half,
/// with a sign bit (the xor of the inputs') that the caller clears.
static Value emitPackedAbsMax(ImplicitLocOpBuilder &b, Value lhs, Value rhs) {
  return LLVM::CallIntrinsicOp::create(b, lhs.getType(),
                                       b.getStringAttr(kPackedAbsMax),
                                       ValueRange{lhs, rhs})
      .getResult(0);
}

/// The bf16 vector `packed` (an even number of at least four elements)
/// reduced to one pair by max.xorsign.abs.bf16x2: the halves' maxNum(|.|)
/// over the elements at even and at odd positions, sign bits not cleared.
/// One instruction per pair of elements, where the f32 form takes a mask and
/// a max per element. A maximum of bf16 values is one of them, so widening
/// gives the bits of the f32 form. (f16 rows, which the GPU numerics suite
/// quantizes in no test, keep the f32 form.)
static Value emitPackedPairAmax(ImplicitLocOpBuilder &b, Value packed) {
  auto type = cast<VectorType>(packed.getType());
  auto pairType = VectorType::get({2}, type.getElementType());
  // Each 32-bit word of the vector is one pair.
  auto wordType = VectorType::get({1}, b.getI32Type());
  int64_t numPairs = type.getNumElements() / 2;
  Value words = vector::BitCastOp::create(
      b, VectorType::get({numPairs}, b.getI32Type()), packed);
  SmallVector<Value> pairs;
  for (int64_t i = 0; i < numPairs; ++i) {
    Value word = vector::ExtractOp::create(b, words, i);
    Value wordVector = vector::BroadcastOp::create(b, wordType, word);
    pairs.push_back(vector::BitCastOp::create(b, pairType, wordVector));
  }
  assert(!pairs.empty() && "a packed vector holds at least one pair");
  // A balanced tree: independent instructions for the scheduler.
  while (pairs.size() > 1) {
    SmallVector<Value> next;
    for (size_t i = 0; i + 1 < pairs.size(); i += 2)
      next.push_back(emitPackedAbsMax(b, pairs[i], pairs[i + 1]));
    if (pairs.size() % 2 == 1)
      next.push_back(pairs.back());
    pairs = std::move(next);
  }
  return pairs.empty() ? Value() : pairs.front();
}

/// The same as emitLocalAmax for a bf16 vector (emitPackedPairAmax).
static Value emitPackedLocalAmax(ImplicitLocOpBuilder &b, Value packed) {
  SmallVector<Value> last = extractAsF32(b, emitPackedPairAmax(b, packed));
  Value lowAbs = emitAbs(b, last[0]);
  Value highAbs = emitAbs(b, last[1]);
  return arith::MaxNumFOp::create(b, lowAbs, highAbs);
}

/// Whether slot `slot` of `state` has its amax taken on bf16 pairs.
static bool hasPackedAmax(const RowState &state, int64_t slot) {
  if (state.packedY.empty())
    return false;
  auto type = cast<VectorType>(state.packedY[slot].getType());
  return type.getNumElements() >= 4 && type.getNumElements() % 2 == 0;
}

/// maxNum over |y| of slot `slot` of `state` (NaN when all are NaN).
static Value emitSlotAmax(ImplicitLocOpBuilder &b, const RowState &state,
                          int64_t slot) {
  if (hasPackedAmax(state, slot))
    return emitPackedLocalAmax(b, state.packedY[slot]);
  return emitLocalAmax(b, state.y[slot]);
}

/// The amax of the group of every slot of `state`: maxNum over |y| of the
/// `lanes` aligned lanes holding it (NaN when the whole group is NaN). Two
/// slots of bf16 rows share one butterfly: their pairs are folded into one
/// bf16 pair (slot s in the low half, s + 1 in the high one), which is
/// shuffled and reduced with max.xorsign.abs.bf16x2, then the sign bits are
/// cleared. Each half sees the same set of values as the f32 form, and its
/// maximum is one of them: the same bits widened, where it is not NaN (a
/// NaN amax only meets the 1e-10 floor, which gives the same scale).
static SmallVector<Value>
emitGroupAmaxes(ImplicitLocOpBuilder &b, const RowState &state, int64_t lanes) {
  SmallVector<Value> amaxes;
  int64_t slots = state.y.size();
  for (int64_t s = 0; s < slots; ++s) {
    if (s + 1 == slots || !hasPackedAmax(state, s) ||
        !hasPackedAmax(state, s + 1)) {
      amaxes.push_back(
          emitWarpReduce(b, emitSlotAmax(b, state, s), ReduceKind::Max, lanes));
      continue;
    }
    Value first = emitPackedPairAmax(b, state.packedY[s]);
    Value second = emitPackedPairAmax(b, state.packedY[s + 1]);
    Value lows = vector::ShuffleOp::create(b, first, second, {0, 2});
    Value highs = vector::ShuffleOp::create(b, first, second, {1, 3});
    Value pair = emitPackedAbsMax(b, lows, highs);
    // The pair crosses each shuffle of the butterfly as one i32 word.
    pair = emitButterfly(b, pair, lanes, [&](Value lhs, Value rhs) {
      return emitPackedAbsMax(b, lhs, rhs);
    });
    for (Value half : extractAsF32(b, pair))
      amaxes.push_back(emitAbs(b, half));
    ++s;
  }
  return amaxes;
}

/// 1 / 2^(e - 127) = 2^(127 - e) for a UE8M0 exponent byte e in [0, 255]:
/// the biased exponent 254 - e when that is a normal one, the subnormal
/// 2^-127 for e = 254, and 0 = 1 / +Inf for e = 255. (e = 0 would be
/// 1 / 2^-127 = 2^127; U(s) never gives it, s' >= 1e-10.)
static Value emitPowerOfTwoReciprocal(ImplicitLocOpBuilder &b, Value exponent) {
  Value maxNormal = constI32(b, 254);
  Value reciprocalExponent = arith::SubIOp::create(b, maxNormal, exponent);
  Value bits = emitPowerOfTwoBits(b, reciprocalExponent);
  Value nanExponent = constI32(b, 255);
  Value isInf =
      arith::CmpIOp::create(b, arith::CmpIPredicate::eq, exponent, nanExponent);
  Value zero = constI32(b, 0);
  bits = arith::SelectOp::create(b, isInf, zero, bits);
  return arith::BitcastOp::create(b, b.getF32Type(), bits);
}

/// How a quotient y / s is formed (emitQuotient).
enum class QuotientKind {
  /// s is a power of two: 1/s is exact.
  ExactReciprocal,
  /// |y| <= amax and s >= RN(amax / 448) for the amax of the elements
  /// divided by s: |y / s| <= 448 (1 + 2^-24) unless s = +Inf.
  Bounded,
  /// Any y (per-token with an upper bound: s may be below amax / 448).
  Unbounded,
};

/// 1/s rounded to nearest (div.rn.f32), once per scale.
static Value emitReciprocal(ImplicitLocOpBuilder &b, Value scale) {
  return arith::DivFOp::create(b, constF32(b, 1.0f), scale);
}

/// RN(1/s), and s as Markstein's correction uses it: 0 where s = +Inf, once
/// per scale (emitQuotient).
static ScaleReciprocal emitQuotientReciprocal(ImplicitLocOpBuilder &b,
                                              Value scale) {
  Value inf = constF32(b, std::numeric_limits<float>::infinity());
  Value isInf = arith::CmpFOp::create(b, arith::CmpFPredicate::OEQ, scale, inf);
  return {emitReciprocal(b, scale),
          arith::SelectOp::create(b, isInf, constF32(b, 0.0f), scale)};
}

/// A value v with E(v) == E(RN(y / s)) for every f32 y and s > 0 (+Inf
/// included), from r = RN(1/s) (no division per element).
///
/// ExactReciprocal: y * r is y / s as a real number, so RN gives the same
/// bits. Otherwise Markstein's correction
///   q0 = RN(y * r), e = RN(s * q0 - y) (exact), q1 = RN(q0 - e * r)
/// gives RN(y / s) when r is within half an ulp of 1/s, q0 within one ulp
/// of y / s, and nothing overflows; writing e as s * q0 - y (instead of
/// y - s * q0) keeps the sign of a zero y. Underflow (|q0| < 2^-126) only
/// happens where E gives a zero of y's sign anyway.
///
/// s = +Inf (r = 0) is handled without a select per element: the
/// correction multiplies by s' = 0 there (ScaleReciprocal), so e = -y + 0
/// and q1 = q0 + y * 0 = q0. For a finite y both zeros added carry the
/// sign of y, the same as q0 = y * 0 (for y = +-0, e = +0 and q1 =
/// -0 + q0 = q0); an infinite or NaN y gives q0 = NaN and q1 = NaN: y / s
/// is NaN (Inf / Inf) or y. Bits: E(q1) == E(q0) == E(RN(y / s)).
///
/// The correction also fails where q0 itself is infinite (e = NaN), which
/// only an unbounded quotient produces (per-token with an upper bound: s
/// may be below amax / 448): there q0 is selected per element (E saturates
/// an infinite q0 to 448 either way).
///
/// `reciprocal` and `correctionScale` are those of ScaleReciprocal; y and
/// them may also be vector<2xf32> pairs (emitQuotients) except for
/// Unbounded.
static Value emitQuotient(ImplicitLocOpBuilder &b, Value y, Value reciprocal,
                          Value correctionScale, QuotientKind kind) {
  Value q0 = arith::MulFOp::create(b, y, reciprocal);
  if (kind == QuotientKind::ExactReciprocal)
    return q0;
  Value error = emitFma(b, correctionScale, q0, arith::NegFOp::create(b, y));
  Value q1 = emitFma(b, arith::NegFOp::create(b, error), reciprocal, q0);
  if (kind == QuotientKind::Bounded)
    return q1;
  // Exponent field 255: q0 infinite or NaN.
  Value q0Bits = arith::BitcastOp::create(b, b.getI32Type(), q0);
  Value exponentMask = constI32(b, 0x7F800000);
  Value exponent = arith::AndIOp::create(b, q0Bits, exponentMask);
  Value notFinite = arith::CmpIOp::create(b, arith::CmpIPredicate::eq, exponent,
                                          constI32(b, 0x7F800000));
  return arith::SelectOp::create(b, notFinite, q0, q1);
}

/// emitQuotient for every value of `ys`, on f32 pairs where the chip has
/// f32x2 arithmetic (the unbounded kind, with its per-element select, stays
/// scalar).
static SmallVector<Value> emitQuotients(ImplicitLocOpBuilder &b,
                                        const TargetChipInfo &chip,
                                        ArrayRef<Value> ys,
                                        const ScaleReciprocal &reciprocal,
                                        QuotientKind kind) {
  bool pairs = chip.hasPackedF32Arithmetic && kind != QuotientKind::Unbounded;
  return emitElementwiseF32(
      b, pairs, {ys, reciprocal.value, reciprocal.correctionScale},
      [&](ValueRange v) { return emitQuotient(b, v[0], v[1], v[2], kind); });
}

/// RN(a / 448) for the floored amax a of a group (a >= 1e-10, or +Inf)
/// without a division (whose range check and slow path cost a dozen
/// instructions per group and thread): emitQuotient with s = 448 and
/// r = RN(1/448), constants. a / 448 >= 2.2e-13 is a normal number and
/// 448 q0 - a cannot overflow, so Markstein's correction gives RN(a / 448);
/// q0 is kept where it is infinite (a = +Inf).
static Value emitDivideByFP8Max(ImplicitLocOpBuilder &b, Value amax) {
  Value reciprocal = constF32(b, 1.0f / kFP8Max);
  Value scale = constF32(b, kFP8Max);
  return emitQuotient(b, amax, reciprocal, scale, QuotientKind::Unbounded);
}

/// s = max(amax / 448, min_scale) for the dynamic per-tensor and per-token
/// schemes: one division per row or tensor, so div.rn.f32 (without the
/// registers emitDivideByFP8Max holds live, which the kernels with the
/// fewest registers per thread do not have).
static Value emitDynamicScale(ImplicitLocOpBuilder &b, Value amax) {
  Value fp8Max = constF32(b, kFP8Max);
  Value quotient = arith::DivFOp::create(b, amax, fp8Max);
  Value minScale = constF32(b, kMinScale);
  return arith::MaxNumFOp::create(b, quotient, minScale);
}

/// The dynamic per-tensor scale from the accumulated amax bits.
static Value emitTensorScale(ImplicitLocOpBuilder &b, Value amaxBuffer) {
  Value bits =
      memref::LoadOp::create(b, amaxBuffer, ValueRange{constIndex(b, 0)});
  return emitDynamicScale(b, arith::BitcastOp::create(b, b.getF32Type(), bits));
}

static Value isZero(ImplicitLocOpBuilder &b, Value index) {
  return arith::CmpIOp::create(b, arith::CmpIPredicate::eq, index,
                               constIndex(b, 0));
}

void codegen::emitRowQuantizationPrologue(ImplicitLocOpBuilder &b,
                                          const RowKernelSpec &spec,
                                          const QuantOperands &operands,
                                          Value tid, Value row) {
  bool copiesStaticScale =
      spec.stage == Stage::Quantize && spec.scheme.isStatic();
  if (!copiesStaticScale && spec.stage != Stage::ApplyTensorScale)
    return;
  // Thread 0 of CTA 0 writes the scales result.
  Value firstThread = isZero(b, tid);
  Value firstCTA = isZero(b, row);
  Value first = arith::AndIOp::create(b, firstThread, firstCTA);
  if (copiesStaticScale) {
    // The scales result of a static quantization is the scale operand.
    auto address = [&](Value memref) -> Value {
      return memref::ExtractAlignedPointerAsIndexOp::create(b, memref);
    };
    Value outAddress = address(operands.scales);
    Value inAddress = address(operands.staticScale);
    Value elsewhere = arith::CmpIOp::create(b, arith::CmpIPredicate::ne,
                                            outAddress, inAddress);
    emitIf(b, arith::AndIOp::create(b, first, elsewhere), [&] {
      Value zero = constIndex(b, 0);
      memref::StoreOp::create(
          b, memref::LoadOp::create(b, operands.staticScale, zero),
          operands.scales, zero);
    });
    return;
  }
  emitIf(b, first, [&] {
    Value scaleValue = emitTensorScale(b, operands.amax);
    Value zero = constIndex(b, 0);
    memref::StoreOp::create(b, scaleValue, operands.scales, ValueRange{zero});
  });
}

void RowQuantizer::emitPrologue() {
  if (spec.stage == Stage::ApplyTensorScale) {
    scale = emitTensorScale(b, operands.amax);
    reciprocal = emitQuotientReciprocal(b, scale);
  } else if (spec.stage == Stage::Quantize && spec.scheme.isStatic()) {
    // 1/s once; q = E(y * (1/s)) (SPEC.md 3.3).
    Value s = memref::LoadOp::create(b, operands.staticScale,
                                     ValueRange{constIndex(b, 0)});
    scale = arith::DivFOp::create(b, constF32(b, 1.0f), s);
  }
}

void RowQuantizer::beginRow(Value row, Value parity) {
  this->row = row;
  reduceBase = arith::MulIOp::create(
      b, parity, constIndex(b, getBlockReduceHalfSize(cfg.threads)));
  if (isPackedGroup(spec))
    byteBase = arith::MulIOp::create(
        b, parity,
        constIndex(b, static_cast<int64_t>(llvm::alignTo(numGroups(spec), 4))));
}

bool RowQuantizer::needsRowAmax() const { return needsRowReduction(spec); }

bool RowQuantizer::quantizesChunks() const {
  return spec.stage == Stage::Quantize || spec.stage == Stage::ApplyTensorScale;
}

Value RowQuantizer::emitAmaxIdentity() {
  // SPEC: the amax of a set whose values are all NaN is NaN, which matters
  // for per-token with an upper bound (minNum(NaN, ub) = ub). The amax
  // kernel of dynamic per-tensor keeps 0: its atomic max compares the bits
  // of non-negative floats as integers, and maxNum(NaN/448, min_scale)
  // gives the same scale as 0 would.
  return constF32(b, spec.stage == Stage::AmaxOnly
                         ? 0.0f
                         : std::numeric_limits<float>::quiet_NaN());
}

Value RowQuantizer::emitAccumulateAmax(const RowState &state, Value acc) {
  for (int64_t slot = 0, e = state.y.size(); slot < e; ++slot) {
    Value slotAmax = emitSlotAmax(b, state, slot);
    // Slots past the end of the row hold zeros that are not row elements.
    if (Value valid = state.valid[slot])
      slotAmax = arith::SelectOp::create(
          b, valid, slotAmax,
          constF32(b, std::numeric_limits<float>::quiet_NaN()));
    acc = arith::MaxNumFOp::create(b, acc, slotAmax);
  }
  return acc;
}

void RowQuantizer::emitRowAmax(Value threadAmax) {
  Value amax = emitBlockReduce(b, threadAmax, ReduceKind::Max, cfg.threads, tid,
                               operands.reduceBuffer, reduceBase);
  if (spec.stage == Stage::AmaxOnly) {
    // amax >= 0 and never NaN (maxNum from 0), so comparing the f32 bits as
    // signed integers orders them like the floats: one atomic max per CTA.
    emitIf(b, isZero(b, tid), [&] {
      Value bits = arith::BitcastOp::create(b, b.getI32Type(), amax);
      memref::AtomicRMWOp::create(b, arith::AtomicRMWKind::maxs, bits,
                                  operands.amax, ValueRange{constIndex(b, 0)});
    });
    return;
  }
  // Per-token: a = min(amax, ub), s = max(a / 448, min_scale).
  if (FloatAttr upperBound = spec.scheme.getUpperBound())
    amax = arith::MinNumFOp::create(
        b, amax,
        constF32(b, static_cast<float>(upperBound.getValueAsDouble())));
  scale = emitDynamicScale(b, amax);
  reciprocal = emitQuotientReciprocal(b, scale);
  emitIf(b, isZero(b, tid), [&] {
    memref::StoreOp::create(b, scale, operands.scales, ValueRange{row});
  });
}

void RowQuantizer::emitStoreChunk(
    const RowState &state,
    function_ref<SmallVector<Value>(ArrayRef<Value>)> encode) {
  for (int64_t s = 0; s < cfg.slots; ++s) {
    SmallVector<Value> scaled = encode(state.y[s]);
    emitGuardedStore(b, state.valid[s], emitFP8Vector(b, scaled),
                     operands.output, {row, state.column[s]},
                     /*alignBytes=*/cfg.vecWidth);
  }
}

void RowQuantizer::emitChunk(const RowState &state) {
  if (spec.scheme.isPerGroup())
    return emitGroupChunk(state);
  if (spec.scheme.isStatic())
    return emitStoreChunk(state, [&](ArrayRef<Value> ys) {
      return emitElementwiseF32(b, chip.hasPackedF32Arithmetic, {ys, scale},
                                [&](ValueRange v) -> Value {
                                  return arith::MulFOp::create(b, v[0], v[1]);
                                });
    });
  // Dynamic per-tensor and per-token: q = E(y / s). s >= amax / 448 bounds
  // y / s unless an upper bound clamped the amax.
  QuotientKind kind = spec.scheme.getKind() == QuantKind::PerToken &&
                              spec.scheme.getUpperBound()
                          ? QuotientKind::Unbounded
                          : QuotientKind::Bounded;
  emitStoreChunk(state, [&](ArrayRef<Value> ys) {
    return emitQuotients(b, chip, ys, reciprocal, kind);
  });
}

/// Per-group quantization of one chunk (SPEC.md 3.3 and the layouts below
/// its table).
void RowQuantizer::emitGroupChunk(const RowState &state) {
  QuantSchemeAttr scheme = spec.scheme;
  bool ue8m0 = scheme.getEncoding() != ScaleEncoding::F32;
  bool packed = scheme.getEncoding() == ScaleEncoding::UE8M0Packed;
  bool rowMajor = scheme.getLayout() == ScaleLayout::RowMajor;
  // A group is `lanes` consecutive vectors, held by `lanes` consecutive,
  // aligned lanes of one warp (threads is a multiple of 32 and H of g).
  int64_t lanes = scheme.getGroupSize() / cfg.vecWidth;
  Value lanesValue = constIndex(b, lanes);
  Value isLeader = isZero(b, arith::RemUIOp::create(b, lane, lanesValue));

  SmallVector<Value> amaxes = emitGroupAmaxes(b, state, lanes);
  for (int64_t s = 0; s < cfg.slots; ++s) {
    // NaN when the whole group is NaN: the floor below makes it 1e-10.
    Value amax = amaxes[s];
    Value groupScale = emitDivideByFP8Max(
        b, arith::MaxNumFOp::create(b, amax, constF32(b, kGroupAmaxFloor)));
    Value exponent;
    if (ue8m0) {
      // U(s): s' = max(s, 1e-10), rounded up to a power of two; the chip
      // table holds the instruction choice.
      Value clamped =
          arith::MaxNumFOp::create(b, groupScale, constF32(b, kGroupAmaxFloor));
      exponent = chip.emitUE8M0Exponent(b, b.getLoc(), clamped);
      groupScale = arith::BitcastOp::create(
          b, b.getF32Type(),
          arith::ShLIOp::create(b, exponent, constI32(b, 23)));
    }
    // A UE8M0 scale 2^(e - 127) is a power of two: its reciprocal
    // 2^(127 - e) is exact, built from its bits. An f32 scale is
    // RN(max(amax, 1e-10) / 448) >= RN(amax / 448): bounded quotients.
    ScaleReciprocal groupReciprocal =
        ue8m0
            ? ScaleReciprocal{emitPowerOfTwoReciprocal(b, exponent), groupScale}
            : emitQuotientReciprocal(b, groupScale);
    QuotientKind kind =
        ue8m0 ? QuotientKind::ExactReciprocal : QuotientKind::Bounded;
    SmallVector<Value> scaled =
        emitQuotients(b, chip, state.y[s], groupReciprocal, kind);
    emitGuardedStore(b, state.valid[s], emitFP8Vector(b, scaled),
                     operands.output, {row, state.column[s]},
                     /*alignBytes=*/cfg.vecWidth);

    Value group = arith::DivUIOp::create(b, state.vecIndex[s], lanesValue);
    Value store = isLeader;
    if (state.valid[s])
      store = arith::AndIOp::create(b, store, state.valid[s]);
    emitIf(b, store, [&] {
      if (packed) {
        Value byte = arith::TruncIOp::create(b, b.getI8Type(), exponent);
        memref::StoreOp::create(
            b, byte, operands.byteBuffer,
            ValueRange{arith::AddIOp::create(b, byteBase, group)});
      } else if (rowMajor) {
        memref::StoreOp::create(b, groupScale, operands.scales,
                                ValueRange{row, group});
      } else {
        memref::StoreOp::create(b, groupScale, operands.scales,
                                ValueRange{group, row});
      }
    });
  }
}

void RowQuantizer::emitEpilogue() {
  if (!isPackedGroup(spec))
    return;
  // Word (row, p) holds the bytes of groups 4p .. 4p+3; bytes of groups
  // >= G are 0.
  int64_t groups = numGroups(spec);
  int64_t paddedGroups = llvm::alignTo(groups, 4);
  if (paddedGroups > groups) {
    Value isPadWriter =
        arith::CmpIOp::create(b, arith::CmpIPredicate::ult, tid,
                              constIndex(b, paddedGroups - groups));
    emitIf(b, isPadWriter, [&] {
      Value index = arith::AddIOp::create(
          b, byteBase, arith::AddIOp::create(b, tid, constIndex(b, groups)));
      memref::StoreOp::create(b, arith::ConstantIntOp::create(b, 0, 8),
                              operands.byteBuffer, ValueRange{index});
    });
  }
  gpu::BarrierOp::create(b);
  emitStridedLoop(b, tid, paddedGroups / 4, cfg.threads, [&](Value p) {
    // The four bytes of word p as one 4-byte shared load: little-endian, so
    // group 4p + i lands in bits 8i .. 8i + 7.
    Value first = arith::AddIOp::create(
        b, byteBase, arith::MulIOp::create(b, p, constIndex(b, 4)));
    Value bytes = vector::LoadOp::create(
        b, VectorType::get({4}, b.getI8Type()), operands.byteBuffer,
        ValueRange{first}, /*nontemporal=*/false, llvm::MaybeAlign(4));
    Value word = vector::ExtractOp::create(
        b,
        vector::BitCastOp::create(b, VectorType::get({1}, b.getI32Type()),
                                  bytes),
        0);
    memref::StoreOp::create(b, word, operands.scales, ValueRange{p, row});
  });
}

void codegen::emitPaddingRowScales(ImplicitLocOpBuilder &b,
                                   const RowKernelSpec &spec,
                                   const RowConfig &cfg, Value tid, Value row,
                                   Value scales) {
  bool packed = spec.scheme.getEncoding() == ScaleEncoding::UE8M0Packed;
  int64_t groups = numGroups(spec);
  int64_t count = packed ? llvm::divideCeil(groups, 4) : groups;
  Value zero = packed ? constI32(b, 0) : constF32(b, 0.0f);
  emitStridedLoop(b, tid, count, cfg.threads, [&](Value column) {
    memref::StoreOp::create(b, zero, scales, ValueRange{column, row});
  });
}
