//===- MatmulTma.cpp - TMA-fed GEMM building blocks -----------------------===//
//
// Part of the vllm-mlir project.
//
//===----------------------------------------------------------------------===//
//
// The parts of the tensor-core GEMM kernels both chips share (MatmulTma.h).
//
//===----------------------------------------------------------------------===//

#include "MatmulTma.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"

using namespace mlir;
using namespace mlir::vllm;
using namespace mlir::vllm::codegen;

/// The shared-memory global every kernel of the module takes its dynamic
/// shared memory from.
constexpr StringLiteral kDynamicSharedMemory = "vllm_gemm_dynamic_smem";

FlatSymbolRefAttr codegen::getGemmSharedMemorySymbol(MLIRContext *ctx) {
  return FlatSymbolRefAttr::get(ctx, kDynamicSharedMemory);
}

TmaGemmEmitter::TmaGemmEmitter(ImplicitLocOpBuilder &b, const MatmulSpec &spec,
                               const GemmTileConfig &cfg, gpu::GPUFuncOp func)
    : b(b), spec(spec), cfg(cfg), ctx(b.getContext()),
      ptr3(LLVM::LLVMPointerType::get(ctx, 3)), aMap(func.getArgument(0)),
      bMap(func.getArgument(1)), rows(func.getArgument(2)),
      sa(func.getArgument(3)), sb(func.getArgument(4)), d(func.getArgument(5)) {
  if (func.getNumArguments() > 6)
    workspace = func.getArgument(6);
}

Value TmaGemmEmitter::toI32(Value index) {
  return arith::IndexCastUIOp::create(b, b.getI32Type(), index);
}

Value TmaGemmEmitter::smemPtr(Value offset32) {
  return LLVM::GEPOp::create(b, ptr3, b.getI8Type(), smemBase,
                             ValueRange{offset32});
}

Value TmaGemmEmitter::barrierAt(int64_t offset, Value index32) {
  Value eight = i32(8);
  Value indexBytes = arith::MulIOp::create(b, index32, eight);
  Value base = i32(offset);
  Value byteOffset = arith::AddIOp::create(b, indexBytes, base);
  return smemPtr(byteOffset);
}

Value TmaGemmEmitter::fullBarrier(Value stage32) {
  return barrierAt(barriersOffset(), stage32);
}

Value TmaGemmEmitter::emptyBarrier(Value stage32) {
  return barrierAt(barriersOffset() + 8 * cfg.stages, stage32);
}

Value TmaGemmEmitter::aTileOffset(Value stage32) {
  Value aTileBytes32 = i32(aTileBytes());
  return arith::MulIOp::create(b, stage32, aTileBytes32);
}

Value TmaGemmEmitter::bTileOffset(Value stage32) {
  Value bTileBytes32 = i32(bTileBytes());
  Value bStageOffset = arith::MulIOp::create(b, stage32, bTileBytes32);
  Value aStagesBytes = i32(cfg.stages * aTileBytes());
  return arith::AddIOp::create(b, bStageOffset, aStagesBytes);
}

Value TmaGemmEmitter::matrixDescriptor(Value byteOffset32, uint64_t fixedBits) {
  Value start32 = matrixDescriptorStart(byteOffset32);
  return matrixDescriptorFromStart(start32, fixedBits);
}

Value TmaGemmEmitter::matrixDescriptorStart(Value byteOffset32) {
  Value address = smemPtr(byteOffset32);
  Value address32 = LLVM::PtrToIntOp::create(b, b.getI32Type(), address);
  Value mask = i32(0x3FFFF);
  Value masked = arith::AndIOp::create(b, address32, mask);
  Value four = i32(4);
  return arith::ShRUIOp::create(b, masked, four);
}

std::pair<Value, Value> TmaGemmEmitter::sliceDescriptors(Value aStart32,
                                                         Value bStart32,
                                                         int64_t k,
                                                         uint64_t fixedBits) {
  Value kField = i32(k * kGemmMmaK / 16);
  Value aField = arith::AddIOp::create(b, aStart32, kField);
  Value aDescriptor = matrixDescriptorFromStart(aField, fixedBits);
  Value bField = arith::AddIOp::create(b, bStart32, kField);
  Value bDescriptor = matrixDescriptorFromStart(bField, fixedBits);
  return {aDescriptor, bDescriptor};
}

Value TmaGemmEmitter::matrixDescriptorFromStart(Value start32,
                                                uint64_t fixedBits) {
  Value start = arith::ExtUIOp::create(b, b.getI64Type(), start32);
  Value fixed =
      arith::ConstantIntOp::create(b, static_cast<int64_t>(fixedBits), 64);
  return arith::OrIOp::create(b, start, fixed);
}

void TmaGemmEmitter::emitSharedMemoryBase() {
  Value raw =
      LLVM::AddressOfOp::create(b, ptr3, getGemmSharedMemorySymbol(ctx));
  Value raw32 = LLVM::PtrToIntOp::create(b, b.getI32Type(), raw);
  Value bumped = arith::AddIOp::create(b, raw32, i32(kSwizzleAtomBytes - 1));
  Value alignMask = i32(~(kSwizzleAtomBytes - 1));
  Value aligned = arith::AndIOp::create(b, bumped, alignMask);
  Value shift = arith::SubIOp::create(b, aligned, raw32);
  smemBase =
      LLVM::GEPOp::create(b, ptr3, b.getI8Type(), raw, ValueRange{shift});
}

void TmaGemmEmitter::emitBarrierInit(Value barrier, int64_t count) {
  Value count32 = i32(count);
  NVVM::MBarrierInitOp::create(b, barrier, count32, /*predicate=*/Value());
}

void TmaGemmEmitter::emitBarrierInitFence() {
  NVVM::FenceMbarrierInitOp::create(b);
  auto asyncShared =
      NVVM::ProxyKindAttr::get(ctx, NVVM::ProxyKind::async_shared);
  auto cta = NVVM::SharedSpaceAttr::get(ctx, NVVM::SharedSpace::shared_cta);
  NVVM::FenceProxyOp::create(b, asyncShared, cta);
}

void TmaGemmEmitter::emitWait(Value barrier, Value parity32) {
  Value hint = i32(kWaitHintNs);
  NVVM::MBarrierTryWaitParityOp::create(b, barrier, parity32, hint);
}

void TmaGemmEmitter::emitArrive(Value barrier) {
  auto cta = NVVM::MemScopeKindAttr::get(ctx, NVVM::MemScopeKind::CTA);
  NVVM::MBarrierArriveOp::create(b, Type(), barrier, /*count=*/Value(), cta);
}

TmaGemmEmitter::WorkUnit
TmaGemmEmitter::beginWorkLoop(Value tiles, Value nTiles, ValueRange extraInit) {
  Value first = gpu::BlockIdOp::create(b, gpu::Dimension::x);
  Value step = gpu::GridDimOp::create(b, gpu::Dimension::x);
  Value start = idx(0);
  SmallVector<Value> init{start};
  init.append(extraInit.begin(), extraInit.end());
  Value units = tiles;
  int64_t kBlockCount = llvm::divideCeil(spec.k, kGemmBlockK);
  TailSplit tail;
  if (cfg.splits > 1) {
    Value splits = idx(cfg.splits);
    units = arith::MulIOp::create(b, tiles, splits);
  } else if (cfg.tailSplits > 1) {
    assert(numSMs > 0 && "a tail-split kernel needs the chip's SM count");
    tail = emitTailSplit(b, tiles, numSMs, spec.k, cfg.tailSplits);
    units = tail.units;
  }
  auto tileLoop = scf::ForOp::create(b, first, units, step, init);
  b.setInsertionPointToStart(tileLoop.getBody());
  WorkUnit unit;
  unit.loop = tileLoop;
  Value tile = tileLoop.getInductionVar();
  Value mTile, nTile;
  Value kBlocks = idx(kBlockCount);
  // Range r of a split tile: K blocks [r x perSplit, min((r + 1) x perSplit,
  // kBlocks)).
  auto kRange = [&](Value split, Value perSplit) {
    Value begin = arith::MulIOp::create(b, split, perSplit);
    Value end = arith::AddIOp::create(b, begin, perSplit);
    Value clampedEnd = arith::MinUIOp::create(b, end, kBlocks);
    return std::pair<Value, Value>(begin, clampedEnd);
  };
  if (cfg.tailSplits > 1) {
    // Units [0, wholeTiles) are the tiles of the same index; unit
    // wholeTiles + t x splits + r is range r of tile wholeTiles + t.
    Value unitIndex = tile;
    Value isSplit = arith::CmpIOp::create(b, arith::CmpIPredicate::uge,
                                          unitIndex, tail.wholeTiles);
    Value past = arith::SubIOp::create(b, unitIndex, tail.wholeTiles);
    Value zero = idx(0);
    // Whole-tile units take range 0 of tail tile 0, unused.
    Value splitUnit = arith::SelectOp::create(b, isSplit, past, zero);
    unit.tile = arith::DivUIOp::create(b, splitUnit, tail.splits);
    unit.split = arith::RemUIOp::create(b, splitUnit, tail.splits);
    unit.splits = tail.splits;
    unit.isSplit = isSplit;
    Value splitTile = arith::AddIOp::create(b, tail.wholeTiles, unit.tile);
    tile = arith::SelectOp::create(b, isSplit, splitTile, unitIndex);
    auto [rangeBegin, rangeEnd] = kRange(unit.split, tail.perSplit);
    unit.kBegin = arith::SelectOp::create(b, isSplit, rangeBegin, zero);
    unit.kEnd = arith::SelectOp::create(b, isSplit, rangeEnd, kBlocks);
  }
  if (cfg.splits > 1) {
    // Every tile in cfg.splits ranges; the strategy chose splits so that
    // none is empty.
    Value unitIndex = tile;
    Value splits = idx(cfg.splits);
    tile = arith::DivUIOp::create(b, unitIndex, splits);
    unit.tile = tile;
    unit.split = arith::RemUIOp::create(b, unitIndex, splits);
    unit.splits = splits;
    Value perSplit = idx(llvm::divideCeil(kBlockCount, cfg.splits));
    std::tie(unit.kBegin, unit.kEnd) = kRange(unit.split, perSplit);
    // Split-K kernels (at most two rows of tiles) keep the plain N-fastest
    // order below: the grouping's arithmetic made their consumers spill at
    // 224 registers.
    mTile = arith::DivUIOp::create(b, tile, nTiles);
    nTile = arith::RemUIOp::create(b, tile, nTiles);
  } else {
    // Tiles in groups of kTileGroupRows rows of tiles, M fastest within a
    // group, the groups in order: the 132 tiles of a wave then span 8 rows
    // of tiles and about 16 columns, whose A and B blocks are read from L2
    // by several CTAs each. With N fastest over the whole of D (the first
    // version), a wave at M = 4096, N = 7168 read every column of B and hit
    // L2 for only 62% of its reads (ncu, docs/gemm.md). At small M (one row
    // of tiles) N varies fastest as before: the CTAs of a wave share the
    // rows of A and read different weights. In i32: a few divisions per
    // tile.
    Value tile32 = toI32(tile);
    Value tiles32 = toI32(tiles);
    Value nTiles32 = toI32(nTiles);
    Value mTiles32 = arith::DivUIOp::create(b, tiles32, nTiles32);
    Value groupRows32 = i32(kTileGroupRows);
    Value groupTiles32 = arith::MulIOp::create(b, groupRows32, nTiles32);
    Value group32 = arith::DivUIOp::create(b, tile32, groupTiles32);
    Value firstRow32 = arith::MulIOp::create(b, group32, groupRows32);
    Value rowsLeft32 = arith::SubIOp::create(b, mTiles32, firstRow32);
    Value rowsInGroup32 = arith::MinUIOp::create(b, rowsLeft32, groupRows32);
    Value groupStart32 = arith::MulIOp::create(b, group32, groupTiles32);
    Value inGroup32 = arith::SubIOp::create(b, tile32, groupStart32);
    Value rowInGroup32 = arith::RemUIOp::create(b, inGroup32, rowsInGroup32);
    Value mTile32 = arith::AddIOp::create(b, firstRow32, rowInGroup32);
    Value nTile32 = arith::DivUIOp::create(b, inGroup32, rowsInGroup32);
    mTile = arith::IndexCastUIOp::create(b, b.getIndexType(), mTile32);
    nTile = arith::IndexCastUIOp::create(b, b.getIndexType(), nTile32);
  }
  Value blockM = idx(cfg.blockM);
  unit.m0 = arith::MulIOp::create(b, mTile, blockM);
  Value blockN = idx(cfg.blockN);
  unit.n0 = arith::MulIOp::create(b, nTile, blockN);
  return unit;
}

std::tuple<scf::ForOp, Value, Value>
TmaGemmEmitter::beginTileLoop(Value tiles, Value nTiles, ValueRange extraInit) {
  assert(!cfg.splitsK() && "a split-K kernel loops over work units");
  WorkUnit unit = beginWorkLoop(tiles, nTiles, extraInit);
  return {unit.loop, unit.m0, unit.n0};
}

Value TmaGemmEmitter::emitRegisterTiedWait(ValueRange values,
                                           StringRef instruction,
                                           StringRef registerClass) {
  std::string constraints;
  llvm::raw_string_ostream os(constraints);
  for (size_t i = 0; i < values.size(); ++i)
    os << (i ? "," : "") << "=" << registerClass;
  for (size_t i = 0; i < values.size(); ++i)
    os << "," << i;
  auto structType =
      LLVM::LLVMStructType::getLiteral(ctx, llvm::to_vector(values.getTypes()));
  return LLVM::InlineAsmOp::create(
             b, structType, values, instruction, constraints,
             /*has_side_effects=*/true, /*is_align_stack=*/false,
             LLVM::TailCallKind::None, LLVM::AsmDialectAttr{},
             /*operand_attrs=*/ArrayAttr{})
      .getResult(0);
}

std::pair<Value, Value> TmaGemmEmitter::ringPosition(Value iteration) {
  // In i32 (a CTA's uses of the ring stay below 2^31): the division by a
  // stage count that is not a power of two is a 32-bit multiply-high
  // instead of a 64-bit one, on every K block of every role.
  Value iteration32 = toI32(iteration);
  Value stages32 = i32(cfg.stages);
  Value stage32 = arith::RemUIOp::create(b, iteration32, stages32);
  Value round32 = arith::DivUIOp::create(b, iteration32, stages32);
  Value one32 = i32(1);
  Value parity32 = arith::AndIOp::create(b, round32, one32);
  return {stage32, parity32};
}

void TmaGemmEmitter::emitStageFillLoop(
    Value tiles, Value nTiles, Value kBlocks,
    function_ref<void(const WorkUnit &)> beginUnit,
    function_ref<void(const WorkUnit &, Value, Value)> fillStage) {
  OpBuilder::InsertionGuard tileGuard(b);
  WorkUnit unit = beginWorkLoop(tiles, nTiles);
  scf::ForOp tileLoop = unit.loop;
  beginUnit(unit);
  Value kStart = unit.kBegin ? unit.kBegin : idx(0);
  Value kEnd = unit.kEnd ? unit.kEnd : kBlocks;
  Value kStep = idx(1);
  Value iterationIn = tileLoop.getRegionIterArgs()[0];
  auto kLoop =
      scf::ForOp::create(b, kStart, kEnd, kStep, ValueRange{iterationIn});
  {
    OpBuilder::InsertionGuard kGuard(b);
    b.setInsertionPointToStart(kLoop.getBody());
    Value kb = kLoop.getInductionVar();
    Value iteration = kLoop.getRegionIterArgs()[0];
    std::pair<Value, Value> position = ringPosition(iteration);
    Value stage32 = position.first;
    Value parity32 = position.second;
    // Wait until the consumers released the stage's previous contents
    // (the first round passes at once: the phase before phase 0 counts
    // as complete).
    Value one32 = i32(1);
    Value emptyParity = arith::XOrIOp::create(b, parity32, one32);
    Value empty = emptyBarrier(stage32);
    emitWait(empty, emptyParity);
    fillStage(unit, kb, stage32);
    Value one = idx(1);
    Value next = arith::AddIOp::create(b, iteration, one);
    scf::YieldOp::create(b, ValueRange{next});
  }
  scf::YieldOp::create(b, kLoop.getResults());
}

void TmaGemmEmitter::emitProducerLoop(Value tiles, Value nTiles,
                                      Value kBlocks) {
  Value m0_32, n0_32;
  auto beginUnit = [&](const WorkUnit &unit) {
    m0_32 = toI32(unit.m0);
    n0_32 = toI32(unit.n0);
  };
  auto fillStage = [&](const WorkUnit &, Value kb, Value stage32) {
    Value full = fullBarrier(stage32);
    Value bytes = i32(cfg.stageBytes());
    auto cta = NVVM::MemScopeKindAttr::get(ctx, NVVM::MemScopeKind::CTA);
    NVVM::MBarrierArriveExpectTxOp::create(b, Type(), full, bytes, cta,
                                           b.getBoolAttr(false),
                                           /*predicate=*/Value());
    Value blockK = idx(kGemmBlockK);
    Value k0 = arith::MulIOp::create(b, kb, blockK);
    Value k0_32 = toI32(k0);
    Value aOffset = aTileOffset(stage32);
    Value aDst = smemPtr(aOffset);
    auto tileMode = NVVM::TMALoadModeAttr::get(ctx, NVVM::TMALoadMode::TILE);
    NVVM::CpAsyncBulkTensorGlobalToSharedClusterOp::create(
        b, aDst, aMap, ValueRange{k0_32, m0_32}, full, ValueRange{},
        /*multicastMask=*/Value(), /*l2CacheHint=*/Value(), tileMode,
        /*isCTAOnly=*/b.getBoolAttr(true), /*group=*/nullptr,
        /*predicate=*/Value());
    Value bOffset = bTileOffset(stage32);
    Value bDst = smemPtr(bOffset);
    NVVM::CpAsyncBulkTensorGlobalToSharedClusterOp::create(
        b, bDst, bMap, ValueRange{k0_32, n0_32}, full, ValueRange{},
        /*multicastMask=*/Value(), /*l2CacheHint=*/Value(), tileMode,
        /*isCTAOnly=*/b.getBoolAttr(true), /*group=*/nullptr,
        /*predicate=*/Value());
  };
  emitStageFillLoop(tiles, nTiles, kBlocks, beginUnit, fillStage);
}

TailSplit codegen::emitTailSplit(ImplicitLocOpBuilder &b, Value tiles,
                                 int64_t numSMs, int64_t k, int64_t maxSplits) {
  int64_t kBlocks = llvm::divideCeil(k, kGemmBlockK);
  // The tiles of the last wave, R = tiles % SMs, each split into s ranges,
  // s = min(SMs / R, K blocks, maxSplits): the R x s units fit in one wave
  // after the whole tiles' waves. s then shrinks to the ranges that
  // ceil(K blocks / s) blocks each make, so that none is empty. No split
  // without a whole wave before the last (the strategy chose the tiles for
  // that M as they are) or with s < 2. Folded where M is known.
  Value sms = constIndex(b, numSMs);
  Value one = constIndex(b, 1);
  Value zero = constIndex(b, 0);
  Value kBlockCount = constIndex(b, kBlocks);
  Value lastWave = b.createOrFold<arith::RemUIOp>(tiles, sms);
  Value lastWaveOrOne = b.createOrFold<arith::MaxUIOp>(lastWave, one);
  Value fitting = b.createOrFold<arith::DivUIOp>(sms, lastWaveOrOne);
  Value most = constIndex(b, std::min(kBlocks, maxSplits));
  Value wanted = b.createOrFold<arith::MinUIOp>(fitting, most);
  Value wantedMinusOne = b.createOrFold<arith::SubIOp>(wanted, one);
  Value bumpedBlocks =
      b.createOrFold<arith::AddIOp>(kBlockCount, wantedMinusOne);
  Value perSplit = b.createOrFold<arith::DivUIOp>(bumpedBlocks, wanted);
  Value perSplitMinusOne = b.createOrFold<arith::SubIOp>(perSplit, one);
  Value bumpedAgain =
      b.createOrFold<arith::AddIOp>(kBlockCount, perSplitMinusOne);
  Value ranges = b.createOrFold<arith::DivUIOp>(bumpedAgain, perSplit);
  Value wholeWave =
      b.createOrFold<arith::CmpIOp>(arith::CmpIPredicate::uge, tiles, sms);
  Value partialWave =
      b.createOrFold<arith::CmpIOp>(arith::CmpIPredicate::ne, lastWave, zero);
  Value two = constIndex(b, 2);
  Value severalRanges =
      b.createOrFold<arith::CmpIOp>(arith::CmpIPredicate::uge, ranges, two);
  Value waves = b.createOrFold<arith::AndIOp>(wholeWave, partialWave);
  Value split = b.createOrFold<arith::AndIOp>(waves, severalRanges);
  TailSplit tail;
  tail.splits = b.createOrFold<arith::SelectOp>(split, ranges, one);
  tail.perSplit = b.createOrFold<arith::SelectOp>(split, perSplit, kBlockCount);
  Value splitTiles = b.createOrFold<arith::SelectOp>(split, lastWave, zero);
  tail.wholeTiles = b.createOrFold<arith::SubIOp>(tiles, splitTiles);
  tail.splitUnits = b.createOrFold<arith::MulIOp>(splitTiles, tail.splits);
  tail.units = b.createOrFold<arith::AddIOp>(tail.wholeTiles, tail.splitUnits);
  return tail;
}

gpu::GPUFuncOp codegen::createTmaGemmFunction(OpBuilder &moduleBuilder,
                                              Location loc,
                                              const MatmulSpec &spec,
                                              StringRef name, int64_t threads,
                                              bool splitWorkspace) {
  MLIRContext *ctx = moduleBuilder.getContext();
  // The module's dynamic shared memory, declared once, aligned to the
  // swizzle atom (`.extern .shared .align 1024 .b8 ...[]`).
  auto gpuModule =
      cast<gpu::GPUModuleOp>(moduleBuilder.getInsertionBlock()->getParentOp());
  if (!gpuModule.lookupSymbol(kDynamicSharedMemory)) {
    OpBuilder::InsertionGuard guard(moduleBuilder);
    moduleBuilder.setInsertionPointToStart(gpuModule.getBody());
    auto arrayType =
        LLVM::LLVMArrayType::get(IntegerType::get(ctx, 8), /*numElements=*/0);
    LLVM::GlobalOp::create(moduleBuilder, loc, arrayType, /*isConstant=*/false,
                           LLVM::Linkage::External, kDynamicSharedMemory,
                           /*value=*/Attribute(),
                           /*alignment=*/kSwizzleAtomBytes, /*addrSpace=*/3);
  }

  int64_t dyn = ShapedType::kDynamic;
  Type ptr = LLVM::LLVMPointerType::get(ctx);
  SmallVector<Type> argTypes = {
      ptr,
      ptr,
      moduleBuilder.getIndexType(),
      spec.aScaleType,
      spec.bScaleType,
      MemRefType::get({dyn, spec.n}, spec.resultType)};
  if (splitWorkspace)
    argTypes.push_back(ptr);
  auto func = gpu::GPUFuncOp::create(
      moduleBuilder, loc, name, moduleBuilder.getFunctionType(argTypes, {}));
  func->setAttr(gpu::GPUDialect::getKernelFuncAttrName(),
                moduleBuilder.getUnitAttr());
  func.setKnownBlockSizeAttr(moduleBuilder.getDenseI32ArrayAttr(
      {static_cast<int32_t>(threads), 1, 1}));
  // One CTA per SM: the grid is persistent over the tiles.
  func->setAttr("nvvm.minctasm", moduleBuilder.getI32IntegerAttr(1));
  return func;
}
