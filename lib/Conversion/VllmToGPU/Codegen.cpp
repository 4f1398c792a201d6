//===- Codegen.cpp - shared emitters of the GPU lowering ------------------===//
//
// Part of the vllm-mlir project.
//
//===----------------------------------------------------------------------===//
//
// The building blocks every kernel generator uses (reductions, FP8 encoding,
// guarded vector memory access), the chip table lookup and the launch
// configuration of row kernels.
//
//===----------------------------------------------------------------------===//

#include "Codegen.h"
#include "SiluTable.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/MathExtras.h"

using namespace mlir;
using namespace mlir::vllm;
using namespace mlir::vllm::codegen;

//===----------------------------------------------------------------------===//
// Chip table
//===----------------------------------------------------------------------===//

static ArrayRef<const TargetChipInfo *> getChipTable() {
  static const TargetChipInfo *table[] = {&getSM90aChipInfo(),
                                          &getSM100aChipInfo()};
  return table;
}

const TargetChipInfo *mlir::vllm::lookupTargetChip(StringRef name) {
  for (const TargetChipInfo *info : getChipTable())
    if (info->name == name)
      return info;
  return nullptr;
}

std::string mlir::vllm::getSupportedChipNames() {
  return llvm::join(
      llvm::map_range(getChipTable(),
                      [](const TargetChipInfo *info) { return info->name; }),
      ", ");
}

/// PTX ISA versions (times 10) LLVM 22's NVPTX backend knows that are new
/// enough for the e4m3x2 conversion (PTX 7.8) every kernel uses.
static bool isKnownPtxVersion(unsigned version) {
  return version == 78 || (version >= 80 && version <= 88) || version == 90;
}

FailureOr<std::string> mlir::vllm::resolveTargetFeatures(
    const TargetChipInfo &chip, StringRef features,
    function_ref<InFlightDiagnostic()> emitError) {
  if (features.trim().empty())
    return chip.defaultFeatures.str();
  SmallVector<StringRef> parts;
  features.split(parts, ',', /*MaxSplit=*/-1, /*KeepEmpty=*/false);
  unsigned ptx = 0;
  for (StringRef part : parts) {
    StringRef digits = part.trim();
    unsigned version = 0;
    if (!digits.consume_front("+ptx") || digits.getAsInteger(10, version)) {
      emitError() << "unsupported NVPTX feature '" << part.trim()
                  << "': expected one PTX version such as +ptx86";
      return failure();
    }
    if (ptx != 0) {
      emitError() << "more than one PTX version in features '" << features
                  << "'";
      return failure();
    }
    ptx = version;
  }
  if (!isKnownPtxVersion(ptx)) {
    emitError() << "PTX ISA version " << ptx / 10 << "." << ptx % 10 << " (+ptx"
                << ptx << ") is not supported: use +ptx78 .. +ptx88 or +ptx90";
    return failure();
  }
  if (ptx < chip.minPtxVersion) {
    emitError() << chip.name
                << " requires PTX ISA >= " << chip.minPtxVersion / 10 << "."
                << chip.minPtxVersion % 10 << " (+ptx" << chip.minPtxVersion
                << "), got +ptx" << ptx;
    return failure();
  }
  return ("+ptx" + Twine(ptx)).str();
}

unsigned mlir::vllm::getPtxVersion(StringRef features) {
  unsigned version = 0;
  StringRef digits = features.trim();
  if (!digits.consume_front("+ptx") || digits.getAsInteger(10, version))
    return 0;
  return version;
}

/// PTX ISA version of the block-scaled tcgen05 MMA: LLVM 22 selects its
/// `.block16` / `.block32` forms only for PTX 8.8 and later (an LLVM fatal
/// error otherwise), and ptxas 13.0 rejects the form without a block size
/// below 8.8 too ("Feature '.block32' requires PTX ISA .version 8.8").
constexpr unsigned kBlockScaledMmaPtxVersion = 88;

LogicalResult mlir::vllm::verifyAvailableOn(Operation *op,
                                            const TargetChipInfo &chip,
                                            unsigned ptxVersion) {
  if (isa<NVVM::Tcgen05MMABlockScaleOp, NVVM::Tcgen05MMASparseBlockScaleOp>(
          op)) {
    if (ptxVersion >= kBlockScaledMmaPtxVersion)
      return success();
    return op->emitOpError("needs PTX ISA 8.8 (+ptx88), the target of ")
           << chip.name << " has +ptx" << ptxVersion;
  }
  // The FP8 conversions exist from sm_89 on; the UE8M0 ones from sm_100a.
  auto requireUE8M0 = [&](Type type) -> LogicalResult {
    if (!isa<Float8E8M0FNUType>(type) || chip.hasUE8M0Convert)
      return success();
    return op->emitOpError("converts to UE8M0 (cvt.*.ue8m0x2), which ")
           << chip.name << " does not have (it needs sm_100a or later)";
  };
  auto requireSM89 = [&]() -> LogicalResult {
    if (chip.smVersion >= 89)
      return success();
    return op->emitOpError("needs sm_89 or later, the target is ") << chip.name;
  };
  if (auto cvt = dyn_cast<NVVM::ConvertF32x2ToF8x2Op>(op))
    return failure(failed(requireSM89()) ||
                   failed(requireUE8M0(cvt.getDstTy())));
  if (auto cvt = dyn_cast<NVVM::ConvertBF16x2ToF8x2Op>(op))
    return failure(failed(requireSM89()) ||
                   failed(requireUE8M0(cvt.getDstTy())));
  if (isa<NVVM::ConvertF16x2ToF8x2Op, NVVM::ConvertF8x2ToF16x2Op,
          NVVM::ConvertF8x2ToBF16x2Op>(op))
    return requireSM89();
  return success();
}

//===----------------------------------------------------------------------===//
// Small emitters
//===----------------------------------------------------------------------===//

Value codegen::constIndex(ImplicitLocOpBuilder &b, int64_t value) {
  return arith::ConstantIndexOp::create(b, value);
}

Value codegen::constI32(ImplicitLocOpBuilder &b, int32_t value) {
  return arith::ConstantIntOp::create(b, value, 32);
}

Value codegen::constF32(ImplicitLocOpBuilder &b, float value) {
  return arith::ConstantFloatOp::create(b, b.getF32Type(), APFloat(value));
}

void codegen::emitIf(ImplicitLocOpBuilder &b, Value cond,
                     function_ref<void()> body) {
  if (!cond) {
    body();
    return;
  }
  auto ifOp = scf::IfOp::create(b, cond, /*withElseRegion=*/false);
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPoint(ifOp.thenBlock()->getTerminator());
  body();
}

Value codegen::emitGuardedValue(ImplicitLocOpBuilder &b, Value cond,
                                VectorType type,
                                function_ref<Value()> compute) {
  if (!cond)
    return compute();
  auto ifOp = scf::IfOp::create(b, TypeRange{type}, cond,
                                /*withElseRegion=*/true);
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(ifOp.thenBlock());
  Value value = compute();
  scf::YieldOp::create(b, value);
  b.setInsertionPointToStart(ifOp.elseBlock());
  Value zeros = constZeroVector(b, type);
  scf::YieldOp::create(b, zeros);
  return ifOp.getResult(0);
}

Value codegen::emitGuardedLoad(ImplicitLocOpBuilder &b, Value cond,
                               VectorType type, Value memref,
                               ValueRange indices, int64_t alignBytes) {
  return emitGuardedValue(b, cond, type, [&]() -> Value {
    return vector::LoadOp::create(b, type, memref, indices,
                                  /*nontemporal=*/false,
                                  llvm::MaybeAlign(alignBytes));
  });
}

Value codegen::constZeroVector(ImplicitLocOpBuilder &b, VectorType type) {
  return arith::ConstantOp::create(
      b, type,
      DenseElementsAttr::get(type, b.getZeroAttr(type.getElementType())));
}

Value codegen::emitPowerOfTwoBits(ImplicitLocOpBuilder &b,
                                  Value biasedExponent) {
  Value mantissaBits = constI32(b, 23);
  Value normal = arith::ShLIOp::create(b, biasedExponent, mantissaBits);
  Value zero = constI32(b, 0);
  Value isZero =
      arith::CmpIOp::create(b, arith::CmpIPredicate::eq, biasedExponent, zero);
  Value subnormal = constI32(b, 0x00400000);
  return arith::SelectOp::create(b, isZero, subnormal, normal);
}

void codegen::emitGuardedStore(ImplicitLocOpBuilder &b, Value cond, Value value,
                               Value memref, ValueRange indices,
                               int64_t alignBytes) {
  emitIf(b, cond, [&] {
    vector::StoreOp::create(b, value, memref, indices, /*nontemporal=*/false,
                            llvm::MaybeAlign(alignBytes));
  });
}

SmallVector<Value> codegen::extractAsF32(ImplicitLocOpBuilder &b,
                                         Value vector) {
  auto type = cast<VectorType>(vector.getType());
  Type f32 = b.getF32Type();
  int64_t n = type.getNumElements();
  if (type.getElementType().isBF16() && n % 2 == 0) {
    // A bf16 is the upper half of the f32 with the same value, so each
    // 32-bit word of the vector gives two f32s with one integer operation
    // each (a shift for the element in the low half, a mask for the one in
    // the high half). arith.extf becomes a byte permute and a shift per
    // element in SASS.
    Type i32 = b.getI32Type();
    Value words =
        vector::BitCastOp::create(b, VectorType::get({n / 2}, i32), vector);
    SmallVector<Value> values;
    for (int64_t i = 0; i < n / 2; ++i) {
      Value word = vector::ExtractOp::create(b, words, i);
      Value low = arith::ShLIOp::create(b, word, constI32(b, 16));
      Value high = arith::AndIOp::create(
          b, word, constI32(b, static_cast<int32_t>(0xFFFF0000u)));
      values.push_back(arith::BitcastOp::create(b, f32, low));
      values.push_back(arith::BitcastOp::create(b, f32, high));
    }
    return values;
  }
  if (type.getElementType() != f32)
    vector =
        arith::ExtFOp::create(b, VectorType::get(type.getShape(), f32), vector);
  SmallVector<Value> values;
  for (int64_t i = 0; i < n; ++i)
    values.push_back(vector::ExtractOp::create(b, vector, i));
  return values;
}

Value codegen::truncToVector(ImplicitLocOpBuilder &b, ArrayRef<Value> values,
                             Type elemType) {
  auto f32Type =
      VectorType::get({static_cast<int64_t>(values.size())}, b.getF32Type());
  Value vector = vector::FromElementsOp::create(b, f32Type, values);
  if (elemType.isF32())
    return vector;
  // One vector conversion: NVPTX emits the packed cvt.rn.{bf16,f16}x2.f32,
  // which rounds to nearest even like the scalar one.
  return arith::TruncFOp::create(
      b, VectorType::get(f32Type.getShape(), elemType), vector);
}

Value codegen::emitFma(ImplicitLocOpBuilder &b, Value lhs, Value rhs,
                       Value acc) {
  return LLVM::FMAOp::create(b, lhs, rhs, acc);
}

SmallVector<Value>
codegen::emitElementwiseF32(ImplicitLocOpBuilder &b, bool pairs,
                            ArrayRef<ArrayRef<Value>> operands,
                            function_ref<Value(ValueRange)> fn) {
  int64_t count = 1;
  for (ArrayRef<Value> list : operands)
    count = std::max<int64_t>(count, list.size());
  auto pairType = VectorType::get({2}, b.getF32Type());
  // A one-value operand is broadcast to a pair once, at its first use.
  SmallVector<Value> broadcasts(operands.size());
  SmallVector<Value> results;
  for (int64_t i = 0; i < count;) {
    bool pair = pairs && i + 1 < count;
    SmallVector<Value> args;
    for (auto [list, broadcast] : llvm::zip_equal(operands, broadcasts)) {
      if (list.size() != 1) {
        args.push_back(pair ? vector::FromElementsOp::create(
                                  b, pairType, ValueRange{list[i], list[i + 1]})
                                  .getResult()
                            : list[i]);
      } else if (!pair) {
        args.push_back(list.front());
      } else {
        if (!broadcast)
          broadcast = vector::BroadcastOp::create(b, pairType, list.front());
        args.push_back(broadcast);
      }
    }
    Value result = fn(args);
    if (!pair) {
      results.push_back(result);
      ++i;
      continue;
    }
    results.push_back(vector::ExtractOp::create(b, result, 0));
    results.push_back(vector::ExtractOp::create(b, result, 1));
    i += 2;
  }
  return results;
}

Value codegen::emitAbs(ImplicitLocOpBuilder &b, Value value) {
  Type i32 = b.getI32Type();
  Value bits = arith::BitcastOp::create(b, i32, value);
  Value magnitude = arith::AndIOp::create(b, bits, constI32(b, 0x7FFFFFFF));
  return arith::BitcastOp::create(b, value.getType(), magnitude);
}

Value codegen::addWorkgroupBuffer(gpu::GPUFuncOp func, ArrayRef<int64_t> shape,
                                  Type elemType) {
  MLIRContext *ctx = func.getContext();
  auto type = MemRefType::get(
      shape, elemType, MemRefLayoutAttrInterface{},
      gpu::AddressSpaceAttr::get(ctx, gpu::AddressSpace::Workgroup));
  Value buffer = func.addWorkgroupAttribution(type, func.getLoc());
  // The NVPTX load/store vectorizer merges the unrolled reads of a
  // reduction buffer into 16-byte ld.shared.v4 while the global keeps its
  // natural 4-byte alignment; a second buffer placed at a 4-byte offset then
  // faults (CUDA_ERROR_MISALIGNED_ADDRESS). Align every buffer to 16 bytes.
  func.setWorkgroupAttributionAttr(
      func.getNumWorkgroupAttributions() - 1,
      LLVM::LLVMDialect::getAlignAttrName(),
      IntegerAttr::get(IntegerType::get(ctx, 64), 16));
  return buffer;
}

//===----------------------------------------------------------------------===//
// Reductions
//===----------------------------------------------------------------------===//

Value codegen::emitCombine(ImplicitLocOpBuilder &b, ReduceKind kind, Value lhs,
                           Value rhs) {
  if (kind == ReduceKind::Sum)
    return arith::AddFOp::create(b, lhs, rhs);
  return arith::MaxNumFOp::create(b, lhs, rhs);
}

Value codegen::emitButterfly(ImplicitLocOpBuilder &b, Value value,
                             int64_t width,
                             function_ref<Value(Value, Value)> combine) {
  Type type = value.getType();
  bool asWord = !type.isF32() && !type.isInteger(32);
  auto wordType = VectorType::get({1}, b.getI32Type());
  for (int64_t offset = width / 2; offset >= 1; offset /= 2) {
    Value sent = value;
    if (asWord)
      sent = vector::ExtractOp::create(
          b, vector::BitCastOp::create(b, wordType, value), 0);
    Value received = gpu::ShuffleOp::create(
                         b, sent, static_cast<int32_t>(offset),
                         static_cast<int32_t>(kWarpSize), gpu::ShuffleMode::XOR)
                         .getShuffleResult();
    if (asWord)
      received = vector::BitCastOp::create(
          b, type, vector::BroadcastOp::create(b, wordType, received));
    value = combine(value, received);
  }
  return value;
}

Value codegen::emitWarpReduce(ImplicitLocOpBuilder &b, Value value,
                              ReduceKind kind, int64_t width) {
  // Lane i combines its value with lane i ^ offset's. Both lanes compute
  // a + b and b + a, which IEEE addition makes equal, so every lane of the
  // group ends with the same bits.
  return emitButterfly(b, value, width, [&](Value lhs, Value rhs) {
    return emitCombine(b, kind, lhs, rhs);
  });
}

int64_t codegen::getBlockReduceHalfSize(int64_t threads) {
  return llvm::alignTo(threads / kWarpSize, 4);
}

Value codegen::emitBlockReduce(ImplicitLocOpBuilder &b, ValueRange partials,
                               ReduceKind kind, int64_t threads, Value tid,
                               Value smem, Value base) {
  SmallVector<Value> reduced;
  for (Value partial : partials)
    reduced.push_back(emitWarpReduce(b, partial, kind, kWarpSize));
  int64_t warpsPerPartial = threads / kWarpSize;
  int64_t numWarps = warpsPerPartial * static_cast<int64_t>(reduced.size());
  if (numWarps == 1)
    return reduced.front();
  Value warpSize = constIndex(b, kWarpSize);
  Value warp = arith::DivUIOp::create(b, tid, warpSize);
  Value lane = arith::RemUIOp::create(b, tid, warpSize);
  Value isFirstLane = arith::CmpIOp::create(b, arith::CmpIPredicate::eq, lane,
                                            constIndex(b, 0));
  auto entry = [&](Value index) -> Value {
    return base ? arith::AddIOp::create(b, base, index).getResult() : index;
  };
  emitIf(b, isFirstLane, [&] {
    for (auto [k, value] : llvm::enumerate(reduced)) {
      Value index = warp;
      if (k > 0)
        index = arith::AddIOp::create(
            b, warp, constIndex(b, static_cast<int64_t>(k) * warpsPerPartial));
      memref::StoreOp::create(b, value, smem, ValueRange{entry(index)});
    }
  });
  gpu::BarrierOp::create(b);
  // Every thread combines the per-warp partials in the same (warp) order.
  Value result =
      memref::LoadOp::create(b, smem, ValueRange{entry(constIndex(b, 0))});
  for (int64_t w = 1; w < numWarps; ++w) {
    Value partial =
        memref::LoadOp::create(b, smem, ValueRange{entry(constIndex(b, w))});
    result = emitCombine(b, kind, result, partial);
  }
  return result;
}

//===----------------------------------------------------------------------===//
// FP8 encoding
//===----------------------------------------------------------------------===//

Value codegen::emitFP8x2(ImplicitLocOpBuilder &b, Value lo, Value hi) {
  // cvt.rn.satfinite.e4m3x2.f32 d, a, b puts E(a) in the upper byte and E(b)
  // in the lower one.
  return NVVM::ConvertF32x2ToF8x2Op::create(
      b, b.getI16Type(), /*a=*/hi, /*b=*/lo, NVVM::FPRoundingMode::RN,
      NVVM::SaturationMode::SATFINITE, /*relu=*/false,
      Float8E4M3FNType::get(b.getContext()));
}

Value codegen::emitFP8Vector(ImplicitLocOpBuilder &b, ArrayRef<Value> values) {
  MLIRContext *ctx = b.getContext();
  auto fp8 = Float8E4M3FNType::get(ctx);
  int64_t n = values.size();
  if (n == 1) {
    // Odd H: the single value goes through the pair conversion with a zero
    // partner, and the low byte is kept.
    Value pair = emitFP8x2(b, values[0], constF32(b, 0.0f));
    Value bytes = vector::BitCastOp::create(
        b, VectorType::get({2}, b.getI8Type()),
        vector::BroadcastOp::create(b, VectorType::get({1}, b.getI16Type()),
                                    pair));
    Value low = vector::ExtractOp::create(b, bytes, 0);
    Value one = vector::BroadcastOp::create(
        b, VectorType::get({1}, b.getI8Type()), low);
    return vector::BitCastOp::create(b, VectorType::get({1}, fp8), one);
  }
  SmallVector<Value> pairs;
  for (int64_t i = 0; i < n; i += 2)
    pairs.push_back(emitFP8x2(b, values[i], values[i + 1]));
  Value packed = vector::FromElementsOp::create(
      b, VectorType::get({n / 2}, b.getI16Type()), pairs);
  return vector::BitCastOp::create(b, VectorType::get({n}, fp8), packed);
}

//===----------------------------------------------------------------------===//
// Row launch configuration
//===----------------------------------------------------------------------===//

int64_t codegen::getRowVectorWidth(Type elemType, int64_t hidden) {
  // 16-byte vectors when every row starts 16-byte aligned, i.e. when H is a
  // multiple of the vector width; otherwise the widest aligned vector.
  int64_t width = 16 / (elemType.getIntOrFloatBitWidth() / 8);
  while (hidden % width != 0)
    width /= 2;
  return width;
}

RowConfig codegen::chooseRowConfig(Type elemType, int64_t hidden,
                                   bool residual) {
  RowConfig cfg;
  cfg.hidden = hidden;
  int64_t bytes = elemType.getIntOrFloatBitWidth() / 8;
  cfg.vecWidth = getRowVectorWidth(elemType, hidden);
  cfg.numVecs = hidden / cfg.vecWidth;
  int64_t vecBytes = cfg.vecWidth * bytes;
  auto slotsFor = [&](int64_t budget) {
    return std::max<int64_t>(1, budget / vecBytes);
  };
  // As few threads as cover the row with kMinRowInputVectorsPerThread input
  // vectors each, up to kRowThreads; then more vectors per thread, up to
  // what fits in registers; beyond that, passes over the row.
  int64_t inputs = residual ? 2 : 1;
  cfg.slots = std::max(llvm::divideCeil(cfg.numVecs, kRowThreads),
                       llvm::divideCeil(kMinRowInputVectorsPerThread, inputs));
  if (cfg.slots <= slotsFor(kMaxRowBytesPerThread)) {
    cfg.threads =
        llvm::alignTo(llvm::divideCeil(cfg.numVecs, cfg.slots), kWarpSize);
    cfg.slots = llvm::divideCeil(cfg.numVecs, cfg.threads);
    cfg.chunks = 1;
    return cfg;
  }
  cfg.threads = kRowThreads;
  cfg.slots = slotsFor(kStreamedRowBytesPerThread);
  cfg.chunks = llvm::divideCeil(cfg.numVecs, cfg.vecsPerChunk());
  return cfg;
}

RowConfig codegen::chooseRowConfig(const RowKernelSpec &spec) {
  // The automatic choice always succeeds.
  return *chooseRowConfig(spec, /*prefetch=*/-1);
}

/// The reduction threads folded into one by default for the kernel of
/// `spec` whose row has the reduction layout `layout` (before the layout's
/// limits, chooseRowConfig).
static int64_t getAutomaticRowFolding(const RowKernelSpec &spec,
                                      const RowConfig &layout) {
  if (spec.stage != RowKernelSpec::Stage::Quantize || !spec.norm ||
      spec.residual)
    return 1;
  // Per-token without a residual reduces every row twice, the sum of squares
  // and then the amax, each with a barrier and a cross-warp step: folding
  // two threads into one halves the warps those steps wait for. On the H200
  // it was 6-10% faster at H = 7168 and 2-6% at H = 4096 for M >= 2048.
  // With a residual, the second input's registers cost resident CTAs (up to
  // 9% slower at M = 16384) (docs/benchmarks.md).
  if (spec.scheme.getKind() == QuantKind::PerToken)
    return 2;
  // Per-group f32 without a residual gains where the folded CTA keeps one
  // warp per scheduler or a multiple (H = 4096 and 8192 of bf16: 2-10%
  // faster at M >= 512; the folded thread also holds the quotients without
  // the spill of the unfolded one). Where the folded CTA has an odd number of
  // warps the schedulers get unequal shares (H = 3072, 5120, 7168: 3-13%
  // slower), and at H = 2048 and 6144 it was within 2%. The kernels that
  // reduce a row once with other scales gained nothing (docs/benchmarks.md).
  bool groupF32 = spec.scheme.isPerGroup() &&
                  spec.scheme.getEncoding() == ScaleEncoding::F32;
  if (groupF32 && layout.threads % (2 * kSchedulersPerSM * kWarpSize) == 0)
    return 2;
  return 1;
}

/// Registers a thread of the kernel of `spec` needs with `cfg`'s share of a
/// row and `rows` rows in flight besides the one it processes, estimated
/// from the thread's part of a row (rowBytes in T, rowBytes / 4
/// registers): the prefetched rows as loaded (x and the residual), the row
/// being processed as f32 (twice the registers for bf16 / f16), w while it
/// is used, and as much again for addresses and temporaries, plus
/// kRowBaseRegisters and the quantization terms (kPackedScaleRegisters,
/// ...). Calibrated on ptxas -v for rows of 16-byte vectors
/// (test/Conversion/vllm-to-gpu-ptxas-*.mlir: no kernel spills);
/// nvvm.minctasm holds ptxas to the estimate.
static int64_t estimateRowRegisters(const RowKernelSpec &spec,
                                    const RowConfig &cfg, int64_t rows) {
  int64_t bytes = spec.elemType.getIntOrFloatBitWidth() / 8;
  int64_t rowRegisters = cfg.slots * cfg.vecWidth * bytes / 4;
  int64_t inputs = spec.inputsPerSlot();
  bool groupScales =
      spec.stage == RowKernelSpec::Stage::Quantize && spec.scheme.isPerGroup();
  bool packedScales =
      groupScales && spec.scheme.getEncoding() == ScaleEncoding::UE8M0Packed;
  bool noResidualF32Scales = groupScales && inputs == 1 &&
                             spec.scheme.getEncoding() == ScaleEncoding::F32;
  int64_t quantRegisters = 0;
  if (packedScales)
    quantRegisters = kPackedScaleRegisters +
                     (inputs == 1 && rows > 1 ? kPackedPrefetchRegisters : 0);
  else if (noResidualF32Scales && rows > 1)
    quantRegisters = kNoResidualGroupF32ScaleRegisters;
  return kRowBaseRegisters + rowRegisters + rows * inputs * rowRegisters +
         rowRegisters * 4 / bytes + (spec.norm ? rowRegisters : 0) +
         (spec.prologue ? kPrologueRegisters : 0) + quantRegisters +
         (spec.allReduce ? kAllReduceRegisters + cfg.vecWidth : 0);
}

FailureOr<RowConfig> codegen::chooseRowConfig(const RowKernelSpec &spec,
                                              int64_t prefetch,
                                              int64_t folding) {
  // A prologue with two operands lays out its rows like a norm with a
  // residual (two input vectors per slot); it sums nothing, so any layout
  // gives the same bits.
  RowConfig cfg =
      chooseRowConfig(spec.elemType, spec.hidden, spec.inputsPerSlot() > 1);
  // Fold reduction threads where each thread keeps whole warps' worth of
  // the reduction layout (its butterflies stay within the warp), the row is
  // kept in registers in 16-byte vectors (a streamed row sums chunk by
  // chunk; the register estimate is calibrated on 16-byte vectors: per-token
  // at H = 1001, one bf16 per vector, spilled folded) and the folded thread
  // still fits the registers a thread may have.
  int64_t bytes = spec.elemType.getIntOrFloatBitWidth() / 8;
  auto foldedBy = [&](int64_t factor) {
    RowConfig folded = cfg;
    folded.threads /= factor;
    folded.slots *= factor;
    folded.foldedThreads = factor;
    return folded;
  };
  auto canFold = [&](int64_t factor) {
    return cfg.chunks == 1 && cfg.vecWidth * bytes == 16 &&
           cfg.threads % (factor * kWarpSize) == 0 &&
           estimateRowRegisters(spec, foldedBy(factor), /*rows=*/0) <=
               kMaxRegistersPerThread;
  };
  int64_t fold = folding < 0 ? getAutomaticRowFolding(spec, cfg) : folding;
  while (fold > 1 && !canFold(fold))
    fold /= 2;
  cfg = foldedBy(fold);
  if (prefetch == 0)
    return cfg;
  // A streamed row's passes keep their own loads in flight: a CTA per row.
  if (cfg.chunks > 1) {
    if (prefetch > 0)
      return failure();
    return cfg;
  }
  int64_t bytesPerRow = cfg.slots * cfg.vecWidth * bytes;
  int64_t inputs = spec.inputsPerSlot();
  // Resident CTAs per SM with `rows` rows in flight (0: does not fit).
  auto residentCTAs = [&](int64_t rows) {
    int64_t registers = estimateRowRegisters(spec, cfg, rows);
    // The registers ptxas grants each thread when `ctas` CTAs share an SM:
    // the warps are spread over the 4 sub-partitions, each with a quarter
    // of the register file, allocated in units of 8 per thread.
    int64_t warps = cfg.threads / kWarpSize;
    auto granted = [&](int64_t ctas) {
      int64_t warpsPerPartition =
          llvm::divideCeil(ctas * warps, kSchedulersPerSM);
      return kRegistersPerSM / kSchedulersPerSM / kWarpSize /
             warpsPerPartition / 8 * 8;
    };
    int64_t ctas = std::min(kMaxThreadsPerSM / cfg.threads, kMaxCTAsPerSM);
    while (ctas > 0 && granted(ctas) < registers)
      --ctas;
    return ctas;
  };
  if (prefetch > 0) {
    int64_t ctas = residentCTAs(prefetch);
    if (ctas == 0)
      return failure();
    cfg.prefetch = prefetch;
    cfg.ctasPerSM = ctas;
    return cfg;
  }
  // The most resident CTAs (independent rows hide each other's reduction
  // and barrier latency), then the fewest prefetched rows that keep
  // kTargetBytesInFlight per SM loading (or as close as the registers
  // allow). A CTA per row when not even one row can be prefetched.
  int64_t bestBytes = 0;
  for (int64_t rows = 1; rows <= kMaxRowPrefetch; ++rows) {
    int64_t ctas = residentCTAs(rows);
    int64_t inFlight = std::min(
        ctas * cfg.threads * rows * inputs * bytesPerRow, kTargetBytesInFlight);
    if (ctas == 0 || ctas < cfg.ctasPerSM ||
        (ctas == cfg.ctasPerSM && inFlight <= bestBytes))
      continue;
    bestBytes = inFlight;
    cfg.prefetch = rows;
    cfg.ctasPerSM = ctas;
  }
  return cfg;
}

bool codegen::canUseSiluTable(const RowKernelSpec &spec, const RowConfig &cfg) {
  // The table is copied once per CTA: a persistent CTA pays for it over its
  // rows. Only bf16 gates have a table (f16 would need 8 times the entries).
  int64_t bytes = kSiluTableEntries * 4;
  return spec.prologue == Prologue::SiluAndMul && spec.elemType.isBF16() &&
         cfg.isPersistent() && cfg.chunks == 1 &&
         cfg.ctasPerSM * bytes <= kMaxSiluTableBytesPerSM;
}

bool codegen::canStageWeights(const RowKernelSpec &spec, const RowConfig &cfg) {
  int64_t bytes = cfg.stagedWeightElements() * 4;
  // The staged vectors are written and read as groups of four f32 (16-byte
  // shared memory accesses); f32 rows would gain no widening.
  return spec.norm && cfg.isPersistent() && cfg.chunks == 1 &&
         !spec.elemType.isF32() && cfg.vecWidth % 4 == 0 &&
         bytes <= kMaxStagedWeightBytes &&
         cfg.ctasPerSM * bytes <= kMaxStagedWeightBytesPerSM;
}
