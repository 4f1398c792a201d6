//===- MatmulSM90a.cpp - scaled_matmul on sm_90a tensor cores -------------===//
//
// Part of the vllm-mlir project.
//
//===----------------------------------------------------------------------===//
//
// A warp-specialized, TMA-fed wgmma kernel for vllm.scaled_matmul (SPEC.md
// 3.5) on sm_90a, organized like the fastest public FP8 GEMM
// (../shared/docs/GEMM.md). A CTA per SM loops over the tiles of D:
//
//   the producer warpgroup (the last one; registers lowered to 40): one
//   thread, for each tile and each 128-wide K block kb, waits until the
//   ring's next stage is empty, expects (blockM + blockN) x 128 bytes on the
//   stage's `full` mbarrier, and has the tensor memory accelerator copy
//   A[m0 .. m0 + blockM, kb x 128 .. + 128] and B[n0 .. n0 + blockN, same K]
//   into the stage (128-byte swizzle; rows past M or N read as zeros);
//
//   the consumer warpgroups (registers raised to 232), 64 rows of the tile
//   each: for each kb, wait for the stage's data, load sa of the thread's
//   two rows and sb, run four wgmma m64n{blockN}k32 (e4m3 x e4m3 -> f32)
//   from shared-memory descriptors into a partial sum that starts at 0,
//   wait for them, release the stage (one arrive per warp on its `empty`
//   mbarrier), and promote: acc += partial x (sa x sb), in f32. After the
//   last K block, D = RN(acc), stored with guards at the M and N edges.
//
// The producer and the consumers walk the same sequence of (tile, kb), so
// use i of the ring is stage i % stages with mbarrier phase (i / stages) % 2.
//
// Accumulator layout of wgmma m64nN (f32), per thread t of a warpgroup:
// warp w = t / 32, lane l = t % 32; element 4j + e holds row 16w + l / 4
// (+ 8 for e >= 2) and column 8j + 2 (l % 4) + (e % 2).
//
//===----------------------------------------------------------------------===//

#include "Codegen.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

#include <tuple>

using namespace mlir;
using namespace mlir::vllm;
using namespace mlir::vllm::codegen;

namespace {

constexpr int64_t kWarpgroupThreads = 128;
/// K of a pipeline stage: one block of the 1x128 / 128x128 scales.
constexpr int64_t kBlockK = 128;
/// K of one fp8 wgmma.
constexpr int64_t kMmaK = 32;
/// Rows of A one consumer warpgroup multiplies (the wgmma's M).
constexpr int64_t kMmaM = 64;
/// Byte stride between groups of 8 rows of a K-major tile with the 128-byte
/// swizzle (8 rows x 128 bytes), the descriptors' stride byte offset, and
/// the alignment the swizzle pattern assumes for a tile's start.
constexpr int64_t kSwizzleAtomBytes = 1024;
/// Registers per thread after setmaxnreg: 40 x 128 + 232 x 256 <= 65536.
constexpr int64_t kProducerRegisters = 40;
constexpr int64_t kConsumerRegisters = 232;
/// Suspend-time hint of mbarrier.try_wait (ns), as CUTLASS uses.
constexpr int64_t kWaitHintNs = 0x989680;
/// CUtensorMap swizzle modes of the 128-byte swizzle in the wgmma matrix
/// descriptor (bits 62-63).
constexpr uint64_t kDescriptorSwizzle128B = 1;
/// The shared-memory global every kernel of the module takes its dynamic
/// shared memory from.
constexpr StringLiteral kDynamicSharedMemory = "vllm_gemm_dynamic_smem";

/// Emits the kernel body. Values named *32 are i32, the others index unless
/// they are pointers.
class WgmmaKernelEmitter {
public:
  WgmmaKernelEmitter(ImplicitLocOpBuilder &b, const MatmulSpec &spec,
                     const GemmTileConfig &cfg, gpu::GPUFuncOp func)
      : b(b), spec(spec), cfg(cfg), ctx(b.getContext()),
        ptr3(LLVM::LLVMPointerType::get(ctx, 3)), aMap(func.getArgument(0)),
        bMap(func.getArgument(1)), rows(func.getArgument(2)),
        sa(func.getArgument(3)), sb(func.getArgument(4)),
        d(func.getArgument(5)) {}

  void emit();

private:
  // Constants and conversions.
  Value i32(int64_t value) { return constI32(b, static_cast<int32_t>(value)); }
  Value idx(int64_t value) { return constIndex(b, value); }
  Value toI32(Value index) {
    return arith::IndexCastUIOp::create(b, b.getI32Type(), index);
  }

  // Shared memory: the stages' tiles, then full[s], then empty[s].
  int64_t aTileBytes() const { return cfg.blockM * kBlockK; }
  int64_t bTileBytes() const { return cfg.blockN * kBlockK; }
  int64_t barriersOffset() const { return cfg.stages * cfg.stageBytes(); }
  /// `base` + `offset32` bytes.
  Value smemPtr(Value offset32) {
    return LLVM::GEPOp::create(b, ptr3, b.getI8Type(), smemBase,
                               ValueRange{offset32});
  }
  Value fullBarrier(Value stage32);
  Value emptyBarrier(Value stage32);
  /// The wgmma matrix descriptor of a K-major, 128-byte swizzled tile row
  /// group starting `byteOffset` bytes into shared memory (i32).
  Value matrixDescriptor(Value byteOffset32);

  void emitPrologue();
  void emitProducer(Value tiles, Value nTiles, Value kBlocks);
  void emitConsumer(Value tiles, Value nTiles, Value kBlocks, Value warpgroup);
  /// The tied wait of the four wgmmas of a K block: the partial sums are
  /// operands and results of the wait, so no read of them can be scheduled
  /// before it (GEMM.md pitfall 3).
  SmallVector<Value> emitWaitForPartials(Value partial);
  /// Starts the persistent loop over the tiles (blockIdx.x, then every
  /// gridDim.x-th) that carries the ring's use count, with the insertion
  /// point in its body; returns it and the tile's first row and column.
  std::tuple<scf::ForOp, Value, Value> beginTileLoop(Value tiles, Value nTiles);
  /// The ring position of use `iteration`: (stage, phase parity), i32.
  std::pair<Value, Value> ringPosition(Value iteration);

  ImplicitLocOpBuilder &b;
  const MatmulSpec &spec;
  const GemmTileConfig &cfg;
  MLIRContext *ctx;
  Type ptr3;
  Value aMap, bMap, rows, sa, sb, d;
  Value smemBase;
  Value tid;
};

} // namespace

Value WgmmaKernelEmitter::fullBarrier(Value stage32) {
  Value stageBytes = arith::MulIOp::create(b, stage32, i32(8));
  Value offset = arith::AddIOp::create(b, stageBytes, i32(barriersOffset()));
  return smemPtr(offset);
}

Value WgmmaKernelEmitter::emptyBarrier(Value stage32) {
  Value stageBytes = arith::MulIOp::create(b, stage32, i32(8));
  Value emptyOffset = i32(barriersOffset() + 8 * cfg.stages);
  Value offset = arith::AddIOp::create(b, stageBytes, emptyOffset);
  return smemPtr(offset);
}

Value WgmmaKernelEmitter::matrixDescriptor(Value byteOffset32) {
  // bits 0-13: start address >> 4; 16-29: leading byte offset >> 4 (unused
  // by K-major swizzled layouts, 1 by convention); 32-45: stride byte
  // offset >> 4 (8-row groups, 1024 bytes apart); 62-63: swizzle mode.
  Value address = smemPtr(byteOffset32);
  Value address32 = LLVM::PtrToIntOp::create(b, b.getI32Type(), address);
  Value address64 = arith::ExtUIOp::create(b, b.getI64Type(), address32);
  Value mask = arith::ConstantIntOp::create(b, 0x3FFFF, 64);
  Value masked = arith::AndIOp::create(b, address64, mask);
  Value four = arith::ConstantIntOp::create(b, 4, 64);
  Value start = arith::ShRUIOp::create(b, masked, four);
  uint64_t fixed = (uint64_t{1} << 16) |
                   (uint64_t{kSwizzleAtomBytes >> 4} << 32) |
                   (kDescriptorSwizzle128B << 62);
  Value fixedBits =
      arith::ConstantIntOp::create(b, static_cast<int64_t>(fixed), 64);
  return arith::OrIOp::create(b, start, fixedBits);
}

std::tuple<scf::ForOp, Value, Value>
WgmmaKernelEmitter::beginTileLoop(Value tiles, Value nTiles) {
  Value first = gpu::BlockIdOp::create(b, gpu::Dimension::x);
  Value step = gpu::GridDimOp::create(b, gpu::Dimension::x);
  Value start = idx(0);
  auto tileLoop = scf::ForOp::create(b, first, tiles, step, ValueRange{start});
  b.setInsertionPointToStart(tileLoop.getBody());
  // Tiles along N vary fastest: at small M, the CTAs of a wave share the
  // rows of A and read different weights.
  Value tile = tileLoop.getInductionVar();
  Value mTile = arith::DivUIOp::create(b, tile, nTiles);
  Value nTile = arith::RemUIOp::create(b, tile, nTiles);
  Value blockM = idx(cfg.blockM);
  Value m0 = arith::MulIOp::create(b, mTile, blockM);
  Value blockN = idx(cfg.blockN);
  Value n0 = arith::MulIOp::create(b, nTile, blockN);
  return {tileLoop, m0, n0};
}

std::pair<Value, Value> WgmmaKernelEmitter::ringPosition(Value iteration) {
  Value stages = idx(cfg.stages);
  Value stage = arith::RemUIOp::create(b, iteration, stages);
  Value round = arith::DivUIOp::create(b, iteration, stages);
  Value two = idx(2);
  Value parity = arith::RemUIOp::create(b, round, two);
  Value stage32 = toI32(stage);
  Value parity32 = toI32(parity);
  return {stage32, parity32};
}

SmallVector<Value> WgmmaKernelEmitter::emitWaitForPartials(Value partial) {
  int64_t count = cfg.blockN / 2;
  SmallVector<Value> values;
  for (int64_t i = 0; i < count; ++i)
    values.push_back(LLVM::ExtractValueOp::create(b, partial, i));
  std::string constraints;
  llvm::raw_string_ostream os(constraints);
  for (int64_t i = 0; i < count; ++i)
    os << (i ? "," : "") << "=f";
  for (int64_t i = 0; i < count; ++i)
    os << "," << i;
  Value waited = LLVM::InlineAsmOp::create(
                     b, partial.getType(), values,
                     "wgmma.wait_group.sync.aligned 0;", constraints,
                     /*has_side_effects=*/true, /*is_align_stack=*/false,
                     LLVM::TailCallKind::None, LLVM::AsmDialectAttr{},
                     /*operand_attrs=*/ArrayAttr{})
                     .getResult(0);
  SmallVector<Value> results;
  for (int64_t i = 0; i < count; ++i)
    results.push_back(LLVM::ExtractValueOp::create(b, waited, i));
  return results;
}

void WgmmaKernelEmitter::emitPrologue() {
  // The dynamic shared memory, aligned to the swizzle atom.
  Value raw = LLVM::AddressOfOp::create(
      b, ptr3, FlatSymbolRefAttr::get(ctx, kDynamicSharedMemory));
  Value raw32 = LLVM::PtrToIntOp::create(b, b.getI32Type(), raw);
  Value bumped = arith::AddIOp::create(b, raw32, i32(kSwizzleAtomBytes - 1));
  Value alignMask = i32(~(kSwizzleAtomBytes - 1));
  Value aligned = arith::AndIOp::create(b, bumped, alignMask);
  Value shift = arith::SubIOp::create(b, aligned, raw32);
  smemBase =
      LLVM::GEPOp::create(b, ptr3, b.getI8Type(), raw, ValueRange{shift});

  // Thread 0 initializes the mbarriers: `full` completes with the
  // producer's arrive and the stage's bytes, `empty` with one arrive per
  // consumer warp.
  Value zero = idx(0);
  Value isFirst = arith::CmpIOp::create(b, arith::CmpIPredicate::eq, tid, zero);
  emitIf(b, isFirst, [&] {
    Value one32 = i32(1);
    Value consumerWarps32 = i32(cfg.consumers * kWarpgroupThreads / kWarpSize);
    for (int64_t s = 0; s < cfg.stages; ++s) {
      Value stage32 = i32(s);
      Value full = fullBarrier(stage32);
      NVVM::MBarrierInitOp::create(b, full, one32, /*predicate=*/Value());
      Value empty = emptyBarrier(stage32);
      NVVM::MBarrierInitOp::create(b, empty, consumerWarps32,
                                   /*predicate=*/Value());
    }
    // Make the initialized barriers visible to the tensor memory
    // accelerator (the async proxy) and to the other threads.
    NVVM::FenceMbarrierInitOp::create(b);
    auto asyncShared =
        NVVM::ProxyKindAttr::get(ctx, NVVM::ProxyKind::async_shared);
    auto cta = NVVM::SharedSpaceAttr::get(ctx, NVVM::SharedSpace::shared_cta);
    NVVM::FenceProxyOp::create(b, asyncShared, cta);
  });
  gpu::BarrierOp::create(b);
}

void WgmmaKernelEmitter::emitProducer(Value tiles, Value nTiles,
                                      Value kBlocks) {
  auto decrease = NVVM::SetMaxRegisterActionAttr::get(
      ctx, NVVM::SetMaxRegisterAction::decrease);
  NVVM::SetMaxRegisterOp::create(b, b.getI32IntegerAttr(kProducerRegisters),
                                 decrease);
  Value producerThread = idx(cfg.consumers * kWarpgroupThreads);
  Value isIssuer =
      arith::CmpIOp::create(b, arith::CmpIPredicate::eq, tid, producerThread);
  emitIf(b, isIssuer, [&] {
    OpBuilder::InsertionGuard tileGuard(b);
    auto [tileLoop, m0, n0] = beginTileLoop(tiles, nTiles);
    Value m0_32 = toI32(m0);
    Value n0_32 = toI32(n0);
    Value kStart = idx(0);
    Value kStep = idx(1);
    Value iterationIn = tileLoop.getRegionIterArgs()[0];
    auto kLoop =
        scf::ForOp::create(b, kStart, kBlocks, kStep, ValueRange{iterationIn});
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
      Value hint = i32(kWaitHintNs);
      NVVM::MBarrierTryWaitParityOp::create(b, empty, emptyParity, hint);
      Value full = fullBarrier(stage32);
      Value bytes = i32(cfg.stageBytes());
      auto cta = NVVM::MemScopeKindAttr::get(ctx, NVVM::MemScopeKind::CTA);
      NVVM::MBarrierArriveExpectTxOp::create(b, Type(), full, bytes, cta,
                                             b.getBoolAttr(false),
                                             /*predicate=*/Value());
      Value blockK = idx(kBlockK);
      Value k0 = arith::MulIOp::create(b, kb, blockK);
      Value k0_32 = toI32(k0);
      Value aTileBytes32 = i32(aTileBytes());
      Value aOffset = arith::MulIOp::create(b, stage32, aTileBytes32);
      Value aDst = smemPtr(aOffset);
      auto tileMode = NVVM::TMALoadModeAttr::get(ctx, NVVM::TMALoadMode::TILE);
      NVVM::CpAsyncBulkTensorGlobalToSharedClusterOp::create(
          b, aDst, aMap, ValueRange{k0_32, m0_32}, full, ValueRange{},
          /*multicastMask=*/Value(), /*l2CacheHint=*/Value(), tileMode,
          /*isCTAOnly=*/b.getBoolAttr(true), /*group=*/nullptr,
          /*predicate=*/Value());
      Value bTileBytes32 = i32(bTileBytes());
      Value bStageOffset = arith::MulIOp::create(b, stage32, bTileBytes32);
      Value aStagesBytes = i32(cfg.stages * aTileBytes());
      Value bOffset = arith::AddIOp::create(b, bStageOffset, aStagesBytes);
      Value bDst = smemPtr(bOffset);
      NVVM::CpAsyncBulkTensorGlobalToSharedClusterOp::create(
          b, bDst, bMap, ValueRange{k0_32, n0_32}, full, ValueRange{},
          /*multicastMask=*/Value(), /*l2CacheHint=*/Value(), tileMode,
          /*isCTAOnly=*/b.getBoolAttr(true), /*group=*/nullptr,
          /*predicate=*/Value());
      Value one = idx(1);
      Value next = arith::AddIOp::create(b, iteration, one);
      scf::YieldOp::create(b, ValueRange{next});
    }
    scf::YieldOp::create(b, kLoop.getResults());
  });
}

void WgmmaKernelEmitter::emitConsumer(Value tiles, Value nTiles, Value kBlocks,
                                      Value warpgroup) {
  auto increase = NVVM::SetMaxRegisterActionAttr::get(
      ctx, NVVM::SetMaxRegisterAction::increase);
  NVVM::SetMaxRegisterOp::create(b, b.getI32IntegerAttr(kConsumerRegisters),
                                 increase);
  Type f32 = b.getF32Type();
  int64_t accumulators = cfg.blockN / 2;
  auto partialType = LLVM::LLVMStructType::getLiteral(
      ctx, SmallVector<Type>(accumulators, f32));

  // This thread's rows (tile-local) and the first column of its pairs.
  Value warpgroupThreads = idx(kWarpgroupThreads);
  Value inWarpgroup = arith::RemUIOp::create(b, tid, warpgroupThreads);
  Value warpSize = idx(kWarpSize);
  Value warp = arith::DivUIOp::create(b, inWarpgroup, warpSize);
  Value lane = arith::RemUIOp::create(b, inWarpgroup, warpSize);
  Value mmaRows = idx(kMmaM);
  Value warpgroupRow = arith::MulIOp::create(b, warpgroup, mmaRows);
  Value sixteen = idx(16);
  Value warpRow = arith::MulIOp::create(b, warp, sixteen);
  Value four = idx(4);
  Value laneRow = arith::DivUIOp::create(b, lane, four);
  Value rowBase = arith::AddIOp::create(b, warpgroupRow, warpRow);
  Value row0 = arith::AddIOp::create(b, rowBase, laneRow);
  Value eight = idx(8);
  Value row1 = arith::AddIOp::create(b, row0, eight);
  Value laneQuad = arith::RemUIOp::create(b, lane, four);
  Value two = idx(2);
  Value laneCol = arith::MulIOp::create(b, laneQuad, two);
  Value laneIsFirst =
      arith::CmpIOp::create(b, arith::CmpIPredicate::eq, lane, idx(0));
  // The warpgroup's rows of the A tile, in shared-memory bytes.
  Value warpgroup32 = toI32(warpgroup);
  Value rowBytes = i32(kMmaM * kBlockK);
  Value aRowOffset = arith::MulIOp::create(b, warpgroup32, rowBytes);

  OpBuilder::InsertionGuard tileGuard(b);
  auto [tileLoop, m0, n0] = beginTileLoop(tiles, nTiles);
  Value one = idx(1);
  Value lastRow = arith::SubIOp::create(b, rows, one);
  Value tileRow0 = arith::AddIOp::create(b, m0, row0);
  Value tileRow1 = arith::AddIOp::create(b, m0, row1);
  // Clamped rows keep the scale loads of rows past M in bounds; their
  // results are never stored.
  Value scaleRow0 = arith::MinUIOp::create(b, tileRow0, lastRow);
  Value scaleRow1 = arith::MinUIOp::create(b, tileRow1, lastRow);
  Value lastCol = idx(spec.n - 1);
  Value tileCol0 = arith::MinUIOp::create(b, n0, lastCol);

  // Per-column weight scales do not depend on the K block: one load per
  // column and tile.
  bool perColumn = spec.bFormat.getGranularity() == ScaleGranularity::Row;
  SmallVector<Value> columnScales;
  if (perColumn) {
    // Element 4j + e of the accumulators is column 8j + laneCol + e % 2:
    // columnScales[2j + e % 2].
    Value zero = idx(0);
    for (int64_t j = 0; j < accumulators / 4; ++j) {
      for (int64_t half = 0; half < 2; ++half) {
        Value pairCol = idx(8 * j + half);
        Value local = arith::AddIOp::create(b, laneCol, pairCol);
        Value col = arith::AddIOp::create(b, n0, local);
        Value clamped = arith::MinUIOp::create(b, col, lastCol);
        columnScales.push_back(
            emitMatmulWeightScale(b, spec.bFormat, sb, clamped, zero));
      }
    }
  }

  Value zeroF = constF32(b, 0.0f);
  SmallVector<Value> init{tileLoop.getRegionIterArgs()[0]};
  init.append(accumulators, zeroF);
  Value kStart = idx(0);
  Value kStep = idx(1);
  auto kLoop = scf::ForOp::create(b, kStart, kBlocks, kStep, init);
  {
    OpBuilder::InsertionGuard kGuard(b);
    b.setInsertionPointToStart(kLoop.getBody());
    Value kb = kLoop.getInductionVar();
    Value iteration = kLoop.getRegionIterArgs()[0];
    auto acc = kLoop.getRegionIterArgs().drop_front();
    std::pair<Value, Value> position = ringPosition(iteration);
    Value stage32 = position.first;
    Value parity32 = position.second;

    // The scales of this K block, loaded while the stage arrives.
    Value sa0 = emitMatmulActivationScale(b, spec.aFormat, sa, scaleRow0, kb);
    Value sa1 = emitMatmulActivationScale(b, spec.aFormat, sa, scaleRow1, kb);
    Value sbTile;
    if (!perColumn)
      sbTile = emitMatmulWeightScale(b, spec.bFormat, sb, tileCol0, kb);

    Value full = fullBarrier(stage32);
    Value hint = i32(kWaitHintNs);
    NVVM::MBarrierTryWaitParityOp::create(b, full, parity32, hint);

    // Four k32 MMAs over the stage; the first one starts from zero.
    Value aTileBytes32 = i32(aTileBytes());
    Value aStage = arith::MulIOp::create(b, stage32, aTileBytes32);
    Value aBase = arith::AddIOp::create(b, aStage, aRowOffset);
    Value bTileBytes32 = i32(bTileBytes());
    Value bStage = arith::MulIOp::create(b, stage32, bTileBytes32);
    Value aStagesBytes = i32(cfg.stages * aTileBytes());
    Value bBase = arith::AddIOp::create(b, bStage, aStagesBytes);
    NVVM::WgmmaFenceAlignedOp::create(b);
    Value partial = LLVM::PoisonOp::create(b, partialType);
    auto shape = NVVM::MMAShapeAttr::get(ctx, kMmaM, cfg.blockN, kMmaK);
    auto e4m3 = NVVM::WGMMATypesAttr::get(ctx, NVVM::WGMMATypes::e4m3);
    auto f32Type = NVVM::WGMMATypesAttr::get(ctx, NVVM::WGMMATypes::f32);
    auto scaleOne = NVVM::WGMMAScaleInAttr::get(ctx, NVVM::WGMMAScaleIn::one);
    auto rowLayout = NVVM::MMALayoutAttr::get(ctx, NVVM::MMALayout::row);
    auto colLayout = NVVM::MMALayoutAttr::get(ctx, NVVM::MMALayout::col);
    for (int64_t k = 0; k < kBlockK / kMmaK; ++k) {
      // Within the 128-byte swizzled rows, the k-th 32-byte slice starts
      // 32 k bytes further (GEMM.md pitfall 1: not 4096).
      Value kOffset = i32(k * kMmaK);
      Value aAddress = arith::AddIOp::create(b, aBase, kOffset);
      Value aDescriptor = matrixDescriptor(aAddress);
      Value bAddress = arith::AddIOp::create(b, bBase, kOffset);
      Value bDescriptor = matrixDescriptor(bAddress);
      auto scaleD = NVVM::WGMMAScaleOutAttr::get(
          ctx, k == 0 ? NVVM::WGMMAScaleOut::zero : NVVM::WGMMAScaleOut::one);
      partial = NVVM::WgmmaMmaAsyncOp::create(
          b, partialType, partial, aDescriptor, bDescriptor, shape, e4m3, e4m3,
          f32Type, scaleD, scaleOne, scaleOne, rowLayout, colLayout,
          /*satfinite=*/nullptr);
    }
    NVVM::WgmmaGroupSyncAlignedOp::create(b);
    SmallVector<Value> sums = emitWaitForPartials(partial);

    // The stage is read: one arrive per warp releases it to the producer.
    emitIf(b, laneIsFirst, [&] {
      Value empty = emptyBarrier(stage32);
      auto cta = NVVM::MemScopeKindAttr::get(ctx, NVVM::MemScopeKind::CTA);
      NVVM::MBarrierArriveOp::create(b, Type(), empty, /*count=*/Value(), cta);
    });

    // Promotion: acc += partial x (sa x sb), rows 0 and 1 of each group of
    // four elements with sa0, rows 2 and 3 with sa1.
    Value scale0, scale1;
    if (!perColumn) {
      scale0 = arith::MulFOp::create(b, sa0, sbTile);
      scale1 = arith::MulFOp::create(b, sa1, sbTile);
    }
    SmallVector<Value> next{};
    Value oneIteration = idx(1);
    next.push_back(arith::AddIOp::create(b, iteration, oneIteration));
    for (int64_t e = 0; e < accumulators; ++e) {
      bool secondRow = e % 4 >= 2;
      Value scale = secondRow ? scale1 : scale0;
      if (perColumn) {
        Value rowScale = secondRow ? sa1 : sa0;
        scale = arith::MulFOp::create(b, rowScale,
                                      columnScales[2 * (e / 4) + e % 2]);
      }
      next.push_back(emitFma(b, sums[e], scale, acc[e]));
    }
    scf::YieldOp::create(b, next);
  }

  // Epilogue: D = RN(acc), one pair of columns per store.
  Type resultType = spec.resultType;
  Value nValue = idx(spec.n);
  auto results = kLoop.getResults().drop_front();
  for (int64_t j = 0; j < accumulators / 4; ++j) {
    Value pairCol = idx(8 * j);
    Value local = arith::AddIOp::create(b, laneCol, pairCol);
    Value col = arith::AddIOp::create(b, n0, local);
    Value colValid =
        arith::CmpIOp::create(b, arith::CmpIPredicate::ult, col, nValue);
    for (int64_t half = 0; half < 2; ++half) {
      Value row = half ? tileRow1 : tileRow0;
      Value rowValid =
          arith::CmpIOp::create(b, arith::CmpIPredicate::ult, row, rows);
      Value valid = arith::AndIOp::create(b, rowValid, colValid);
      Value lo = results[4 * j + 2 * half];
      Value hi = results[4 * j + 2 * half + 1];
      Value pair = truncToVector(b, {lo, hi}, resultType);
      int64_t alignBytes = 2 * resultType.getIntOrFloatBitWidth() / 8;
      emitGuardedStore(b, valid, pair, d, ValueRange{row, col}, alignBytes);
    }
  }
  scf::YieldOp::create(b, ValueRange{kLoop.getResults().front()});
}

void WgmmaKernelEmitter::emit() {
  tid = gpu::ThreadIdOp::create(b, gpu::Dimension::x);
  emitPrologue();
  Value blockM = idx(cfg.blockM);
  Value blockMMinusOne = idx(cfg.blockM - 1);
  Value bumped = arith::AddIOp::create(b, rows, blockMMinusOne);
  Value mTiles = arith::DivUIOp::create(b, bumped, blockM);
  Value nTiles = idx(llvm::divideCeil(spec.n, cfg.blockN));
  Value tiles = arith::MulIOp::create(b, mTiles, nTiles);
  Value kBlocks = idx(llvm::divideCeil(spec.k, kBlockK));
  Value warpgroupThreads = idx(kWarpgroupThreads);
  Value warpgroup = arith::DivUIOp::create(b, tid, warpgroupThreads);
  Value producer = idx(cfg.consumers);
  Value isProducer =
      arith::CmpIOp::create(b, arith::CmpIPredicate::eq, warpgroup, producer);
  auto roles = scf::IfOp::create(b, isProducer, /*withElseRegion=*/true);
  {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPoint(roles.thenBlock()->getTerminator());
    emitProducer(tiles, nTiles, kBlocks);
    b.setInsertionPoint(roles.elseBlock()->getTerminator());
    emitConsumer(tiles, nTiles, kBlocks, warpgroup);
  }
}

std::string codegen::getTensorCoreMatmulKernelName(const MatmulSpec &spec,
                                                   const GemmTileConfig &cfg) {
  return (getMatmulKernelName(spec) + "_wgmma_m" + Twine(cfg.blockM) + "n" +
          Twine(cfg.blockN) + "s" + Twine(cfg.stages))
      .str();
}

gpu::GPUFuncOp codegen::buildWgmmaMatmulKernel(OpBuilder &moduleBuilder,
                                               Location loc,
                                               const MatmulSpec &spec,
                                               const GemmTileConfig &cfg,
                                               const TargetChipInfo &chip) {
  (void)chip; // sm_90a only (canUseTensorCoreMatmul).
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
  auto func = gpu::GPUFuncOp::create(
      moduleBuilder, loc, getTensorCoreMatmulKernelName(spec, cfg),
      moduleBuilder.getFunctionType(argTypes, {}));
  func->setAttr(gpu::GPUDialect::getKernelFuncAttrName(),
                moduleBuilder.getUnitAttr());
  func.setKnownBlockSizeAttr(moduleBuilder.getDenseI32ArrayAttr(
      {static_cast<int32_t>(cfg.threads()), 1, 1}));
  // One CTA per SM: the grid is persistent over the tiles.
  func->setAttr("nvvm.minctasm", moduleBuilder.getI32IntegerAttr(1));

  ImplicitLocOpBuilder b(loc, ctx);
  b.setInsertionPointToStart(&func.getBody().front());
  WgmmaKernelEmitter(b, spec, cfg, func).emit();
  gpu::ReturnOp::create(b);
  return func;
}
