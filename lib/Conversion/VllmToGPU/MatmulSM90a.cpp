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
//   the producer warpgroup (the last one; registers lowered to 40, or 56
//   with two consumer warpgroups): one thread, for each tile and each
//   128-wide K block kb, waits until the ring's next stage is empty,
//   expects (blockM + blockN) x 128 bytes on the stage's `full` mbarrier,
//   and has the tensor memory accelerator copy A[m0 .. m0 + blockM, kb x
//   128 .. + 128] and B[n0 .. n0 + blockN, same K] into the stage (128-byte
//   swizzle; rows past M or N read as zeros); its second warp, the scale
//   warp, copies the K block's scales into the stage's scale area with
//   cp.async (sa of the tile's rows, sb) and arrives on the same `full`
//   when they have landed;
//
//   the consumer warpgroups (registers raised to 232, or 224), 64 rows of
//   the tile each: for each kb, wait for the stage, read sa of the thread's
//   two rows and sb from its scale area, run four wgmma m64n{blockN}k32
//   (e4m3 x e4m3 -> f32) from shared-memory descriptors into a partial sum
//   that starts at 0, wait for them, release the stage (one arrive per warp
//   on its `empty` mbarrier), and promote: acc += partial x (sa x sb), in
//   f32. After the last K block, D = RN(acc), stored with guards at the M
//   and N edges (16-bit results in 16-byte stores after a transpose across
//   each quad of threads).
//
// The producer, the scale warp and the consumers walk the same sequence of
// (tile, kb), so use i of the ring is stage i % stages with mbarrier phase
// (i / stages) % 2.
//
// With K split (cfg.splits > 1, small M): the persistent loop walks work
// units, (tile, range of K blocks), instead of tiles. After its range, each
// consumer thread stores its sums of the rows in D to the workspace, and
// the consumers count the unit in on the tile's counter (fence, named
// barrier, one atomic add, a flag in shared memory); the unit that
// completes the tile adds the ranges' sums in range order, stores D and
// resets the counter (SPEC 3.5: which unit is last depends on timing, the
// order of the additions does not). With split tails (cfg.tailSplits > 1,
// M >= 257): only the tiles of a last, partial wave over the SMs are split
// that way (emitTailSplit); the other units are whole tiles, stored as
// without split.
//
// Accumulator layout of wgmma m64nN (f32), per thread t of a warpgroup:
// warp w = t / 32, lane l = t % 32; element 4j + e holds row 16w + l / 4
// (+ 8 for e >= 2) and column 8j + 2 (l % 4) + (e % 2).
//
//===----------------------------------------------------------------------===//

#include "MatmulTma.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

using namespace mlir;
using namespace mlir::vllm;
using namespace mlir::vllm::codegen;

namespace {

constexpr int64_t kWarpgroupThreads = 128;
/// Rows of A one consumer warpgroup multiplies (the wgmma's M).
constexpr int64_t kMmaM = 64;
/// The named barrier of the consumer warpgroups (0 is the CTA's).
constexpr int64_t kConsumerBarrierId = 1;
/// Registers per thread after setmaxnreg with one consumer warpgroup (the
/// decode kernels): 40 x 128 + 232 x 128 <= 65536.
constexpr int64_t kProducerRegisters = 40;
constexpr int64_t kConsumerRegisters = 232;
/// With two: 56 x 128 + 224 x 256 <= 65536. At 40, the producer
/// warpgroup's work-unit arithmetic and the scale warp's addresses spilled
/// (ptxas: no spills in either role at 56 / 224).
constexpr int64_t kWideProducerRegisters = 56;
constexpr int64_t kWideConsumerRegisters = 224;
/// With two and tiles of 256 columns (two halves per K block): 80 x 128 +
/// 208 x 256 <= 65536. The consumers' 128 accumulators and 64 partial sums
/// fit in 208; the producer warpgroup spilled 120 bytes at 56, 12 at 88
/// with 200 for the consumers, none at 80 / 208 (ptxas 13.0).
constexpr int64_t kHalvesProducerRegisters = 80;
constexpr int64_t kHalvesConsumerRegisters = 208;

/// The producer's and the consumers' registers after setmaxnreg.
std::pair<int64_t, int64_t> getRegisterBudgets(const GemmTileConfig &cfg) {
  if (cfg.consumers > 1 && cfg.halves() > 1)
    return {kHalvesProducerRegisters, kHalvesConsumerRegisters};
  if (cfg.consumers > 1)
    return {kWideProducerRegisters, kWideConsumerRegisters};
  return {kProducerRegisters, kConsumerRegisters};
}
/// The wgmma matrix descriptor's fixed fields for a K-major tile with the
/// 128-byte swizzle: leading byte offset 1 (bits 16-29; unused by this
/// layout, 1 by convention), stride byte offset 1024 >> 4 (bits 32-45: 8-row
/// groups), swizzle mode 1 = 128 bytes (bits 62-63).
constexpr uint64_t kWgmmaDescriptorBits =
    (uint64_t{1} << 16) | (uint64_t{kSwizzleAtomBytes >> 4} << 32) |
    (uint64_t{1} << 62);

/// Emits the kernel body.
class WgmmaKernelEmitter : public TmaGemmEmitter {
public:
  using TmaGemmEmitter::TmaGemmEmitter;

  void emit();

private:
  void emitPrologue();
  void emitProducer(Value tiles, Value nTiles, Value kBlocks);
  /// The scale warp's loop: for each (work unit, K block), wait for the
  /// stage to be empty, copy the K block's scale words into the stage's
  /// scale area with cp.async (sa of the tile's rows, zero past M; sb) and
  /// arrive on the stage's `full` mbarrier when the copies have landed.
  void emitScaleCopier(Value tiles, Value nTiles, Value kBlocks);
  /// The byte offset of stage `stage32`'s scale area (i32).
  Value stageScaleOffset(Value stage32);
  /// The offset in a stage's scale area of the weight scale word of tile
  /// half `half`, after the blockM activation scale words.
  int64_t weightScaleWordBytes(int64_t half) const {
    return (cfg.blockM + half) * 4;
  }
  void emitConsumer(Value tiles, Value nTiles, Value kBlocks, Value warpgroup);
  /// The tied wait of the four wgmmas of a K block: the partial sums are
  /// operands and results of the wait, so no read of them can be scheduled
  /// before it (GEMM.md pitfall 3).
  SmallVector<Value> emitWaitForPartials(Value partial);
  /// The global-memory address (!llvm.ptr<1>) of `memref[indices]`, an
  /// identity-layout memref.
  Value globalElementPointer(Value memref, ValueRange indices);
  /// The end of a split-K work unit (cfg.splits > 1) whose K range summed
  /// to `partials` (this thread's accumulators): writes those of its rows in
  /// D (`rowInD`: the thread's two rows) to the workspace; the tile's last
  /// unit to finish adds the tile's partial sums in range order and calls
  /// `storeTile` with the totals.
  void emitSplitKEpilogue(const WorkUnit &unit, ArrayRef<Value> partials,
                          ArrayRef<Value> rowInD,
                          function_ref<void(ArrayRef<Value>)> storeTile);
};

} // namespace

SmallVector<Value> WgmmaKernelEmitter::emitWaitForPartials(Value partial) {
  int64_t count = cfg.blockN / cfg.halves() / 2;
  SmallVector<Value> values;
  for (int64_t i = 0; i < count; ++i)
    values.push_back(LLVM::ExtractValueOp::create(b, partial, i));
  Value waited =
      emitRegisterTiedWait(values, "wgmma.wait_group.sync.aligned 0;", "f");
  SmallVector<Value> results;
  for (int64_t i = 0; i < count; ++i)
    results.push_back(LLVM::ExtractValueOp::create(b, waited, i));
  return results;
}

Value WgmmaKernelEmitter::globalElementPointer(Value memref,
                                               ValueRange indices) {
  auto type = cast<MemRefType>(memref.getType());
  // Row-major linearization (Horner): ((i0 x d1 + i1) x d2 + i2) ...
  Value linear = idx(0);
  for (int64_t dim = 0; dim < type.getRank(); ++dim) {
    Value size = type.isDynamicDim(dim)
                     ? memref::DimOp::create(b, memref, dim).getResult()
                     : idx(type.getDimSize(dim));
    Value scaled = arith::MulIOp::create(b, linear, size);
    linear = arith::AddIOp::create(b, scaled, indices[dim]);
  }
  Value elementBytes = idx(type.getElementTypeBitWidth() / 8);
  Value byteOffset = arith::MulIOp::create(b, linear, elementBytes);
  Value base = memref::ExtractAlignedPointerAsIndexOp::create(b, memref);
  Value address = arith::AddIOp::create(b, base, byteOffset);
  Value address64 = arith::IndexCastUIOp::create(b, b.getI64Type(), address);
  auto globalPtr = LLVM::LLVMPointerType::get(ctx, /*addressSpace=*/1);
  return LLVM::IntToPtrOp::create(b, globalPtr, address64);
}

void WgmmaKernelEmitter::emitSplitKEpilogue(
    const WorkUnit &unit, ArrayRef<Value> partials, ArrayRef<Value> rowInD,
    function_ref<void(ArrayRef<Value>)> storeTile) {
  Type f32 = b.getF32Type();
  Type i32Type = b.getI32Type();
  Type i64 = b.getI64Type();
  auto globalPtr = LLVM::LLVMPointerType::get(ctx, /*addressSpace=*/1);
  Value base = LLVM::AddrSpaceCastOp::create(b, globalPtr, workspace);
  int64_t threads = cfg.consumerThreads();
  // Element e of this thread's block of unit (tile, split), after the
  // counters: ((tile x splits + split) x blockM x blockN) + e x threads +
  // tid.
  Value splits = unit.splits;
  Value blockElements = idx(cfg.blockM * cfg.blockN);
  Value counterElements = idx(kSplitKCounterRegionBytes / 4);
  // This thread's first element in range `split`'s block.
  auto threadBaseOf = [&](Value split) {
    Value tileUnits = arith::MulIOp::create(b, unit.tile, splits);
    Value unitIndex = arith::AddIOp::create(b, tileUnits, split);
    Value unitBase = arith::MulIOp::create(b, unitIndex, blockElements);
    Value unitStart = arith::AddIOp::create(b, unitBase, counterElements);
    return arith::AddIOp::create(b, unitStart, tid).getResult();
  };
  auto partialAddress = [&](Value threadBase, int64_t e) {
    Value elementOffset = idx(e * threads);
    Value element = arith::AddIOp::create(b, threadBase, elementOffset);
    Value element64 = arith::IndexCastUIOp::create(b, i64, element);
    return LLVM::GEPOp::create(b, globalPtr, f32, base, ValueRange{element64})
        .getResult();
  };
  // Element e belongs to the thread's second row when e % 4 >= 2. Only rows
  // in D travel: at M = 1 that is 1/64 of the tile.
  int64_t count = static_cast<int64_t>(partials.size());
  auto elementsOfRow = [&](int64_t half) {
    SmallVector<int64_t> elements;
    for (int64_t e = 0; e < count; ++e)
      if ((e % 4 >= 2) == (half == 1))
        elements.push_back(e);
    return elements;
  };
  for (int64_t half = 0; half < 2; ++half) {
    emitIf(b, rowInD[half], [&] {
      Value threadBase = threadBaseOf(unit.split);
      for (int64_t e : elementsOfRow(half)) {
        Value address = partialAddress(threadBase, e);
        LLVM::StoreOp::create(b, partials[e], address);
      }
    });
  }
  // The tile's counter.
  Value counterIndex64 = arith::IndexCastUIOp::create(b, i64, unit.tile);
  Value counter = LLVM::GEPOp::create(b, globalPtr, i32Type, base,
                                      ValueRange{counterIndex64});

  // The classic last-block pattern: every thread makes its partial sums
  // visible to the GPU before the consumers' barrier; then one thread
  // counts the unit in, and the consumers learn from a flag in shared
  // memory, after a second barrier, whether it was the tile's last. Which unit
  // is last depends on timing; the sum below does not: it adds the ranges in
  // order.
  auto gpuScope = NVVM::MemScopeKindAttr::get(ctx, NVVM::MemScopeKind::GPU);
  NVVM::MembarOp::create(b, gpuScope);
  Value barrierId = i32(kConsumerBarrierId);
  Value consumerThreads = i32(threads);
  NVVM::BarrierOp::create(b, TypeRange{}, barrierId, consumerThreads,
                          NVVM::BarrierReductionAttr(), Value());
  Value zero = idx(0);
  Value isLeader =
      arith::CmpIOp::create(b, arith::CmpIPredicate::eq, tid, zero);
  // The flag in shared memory: 1 when this unit completed its tile. The
  // next unit's leader writes it only after the next unit's first barrier,
  // which every consumer thread reaches after reading it.
  Value flagOffset = i32(extraBarriersOffset());
  Value flag = smemPtr(flagOffset);
  emitIf(b, isLeader, [&] {
    Value one32 = i32(1);
    Value before =
        LLVM::AtomicRMWOp::create(b, LLVM::AtomicBinOp::add, counter, one32,
                                  LLVM::AtomicOrdering::monotonic);
    Value splits32 = toI32(splits);
    Value lastCount = arith::SubIOp::create(b, splits32, one32);
    Value sawLast =
        arith::CmpIOp::create(b, arith::CmpIPredicate::eq, before, lastCount);
    Value sawLast32 = arith::ExtUIOp::create(b, i32Type, sawLast);
    LLVM::StoreOp::create(b, sawLast32, flag);
  });
  NVVM::BarrierOp::create(b, TypeRange{}, barrierId, consumerThreads,
                          NVVM::BarrierReductionAttr(), Value());
  Value flagValue = LLVM::LoadOp::create(b, i32Type, flag);
  Value none32 = i32(0);
  Value isLast =
      arith::CmpIOp::create(b, arith::CmpIPredicate::ne, flagValue, none32);
  emitIf(b, isLast, [&] {
    // Acquire: the other units' partial sums, published before their count.
    NVVM::MembarOp::create(b, gpuScope);
    // Range 0's sums, then the others added in range order, one range per
    // iteration of a loop (unrolled, the loads of every range were all in
    // flight at once, and their registers spilled).
    auto loadPartial = [&](Value threadBase, int64_t e) {
      Value address = partialAddress(threadBase, e);
      // Volatile: written by other SMs, never cached in this SM's L1.
      return LLVM::LoadOp::create(b, f32, address, /*alignment=*/4,
                                  /*isVolatile=*/true)
          .getResult();
    };
    // Per row of the thread, 16 elements at a time, each group stored
    // before the next is loaded (all 64 at once spilled in the kernels
    // with two consumer warpgroups); a row past M loads nothing.
    constexpr int64_t kGroup = 16;
    Value zeroF = constF32(b, 0.0f);
    for (int64_t half = 0; half < 2; ++half) {
      SmallVector<int64_t> rowElements = elementsOfRow(half);
      for (size_t first = 0; first < rowElements.size(); first += kGroup) {
        // Tiles narrower than 64 columns (split tails) have fewer than 16
        // elements per row.
        ArrayRef<int64_t> elements =
            ArrayRef<int64_t>(rowElements).drop_front(first).take_front(kGroup);
        SmallVector<Type> types(elements.size(), f32);
        auto groupSums = scf::IfOp::create(b, types, rowInD[half],
                                           /*withElseRegion=*/true);
        {
          OpBuilder::InsertionGuard guard(b);
          b.setInsertionPointToStart(groupSums.thenBlock());
          SmallVector<Value> firstRange;
          Value rangeZero = idx(0);
          Value firstBase = threadBaseOf(rangeZero);
          for (int64_t e : elements)
            firstRange.push_back(loadPartial(firstBase, e));
          Value rangeOne = idx(1);
          Value rangeStep = idx(1);
          auto rangeLoop =
              scf::ForOp::create(b, rangeOne, splits, rangeStep, firstRange);
          {
            OpBuilder::InsertionGuard loopGuard(b);
            b.setInsertionPointToStart(rangeLoop.getBody());
            Value split = rangeLoop.getInductionVar();
            Value splitBase = threadBaseOf(split);
            SmallVector<Value> sums;
            for (auto [i, e] : llvm::enumerate(elements)) {
              Value part = loadPartial(splitBase, e);
              Value sum = rangeLoop.getRegionIterArgs()[i];
              sums.push_back(arith::AddFOp::create(b, sum, part));
            }
            scf::YieldOp::create(b, sums);
          }
          scf::YieldOp::create(b, rangeLoop.getResults());
          b.setInsertionPointToStart(groupSums.elseBlock());
          SmallVector<Value> zeros(elements.size(), zeroF);
          scf::YieldOp::create(b, zeros);
        }
        SmallVector<Value> totals(count);
        for (auto [i, e] : llvm::enumerate(elements))
          totals[e] = groupSums.getResult(i);
        storeTile(totals);
      }
    }
    // Ready for the next launch (the workspace stays with the stream).
    emitIf(b, isLeader, [&] {
      Value reset = i32(0);
      LLVM::StoreOp::create(b, reset, counter);
    });
  });
}

void WgmmaKernelEmitter::emitPrologue() {
  // The dynamic shared memory, aligned to the swizzle atom.
  emitSharedMemoryBase();

  // Thread 0 initializes the mbarriers: `full` completes with the
  // producer's arrive, the stage's bytes and the scale warp's arrives,
  // `empty` with one arrive per consumer thread.
  Value zero = idx(0);
  Value isFirst = arith::CmpIOp::create(b, arith::CmpIPredicate::eq, tid, zero);
  emitIf(b, isFirst, [&] {
    for (int64_t s = 0; s < cfg.stages; ++s) {
      Value stage32 = i32(s);
      // The producer thread's arrive (with the stage's bytes) and one
      // arrive per lane of the scale warp.
      Value full = fullBarrier(stage32);
      emitBarrierInit(full, 1 + kWarpSize);
      Value empty = emptyBarrier(stage32);
      emitBarrierInit(empty, cfg.consumerThreads());
    }
    // Make the initialized barriers visible to the tensor memory
    // accelerator (the async proxy) and to the other threads.
    emitBarrierInitFence();
  });
  gpu::BarrierOp::create(b);
}

void WgmmaKernelEmitter::emitProducer(Value tiles, Value nTiles,
                                      Value kBlocks) {
  auto decrease = NVVM::SetMaxRegisterActionAttr::get(
      ctx, NVVM::SetMaxRegisterAction::decrease);
  int64_t registers = getRegisterBudgets(cfg).first;
  NVVM::SetMaxRegisterOp::create(b, b.getI32IntegerAttr(registers), decrease);
  Value producerThread = idx(cfg.consumers * kWarpgroupThreads);
  Value isIssuer =
      arith::CmpIOp::create(b, arith::CmpIPredicate::eq, tid, producerThread);
  emitIf(b, isIssuer, [&] { emitProducerLoop(tiles, nTiles, kBlocks); });
  // The warpgroup's second warp copies the scales.
  Value warpSize = idx(kWarpSize);
  Value warp = arith::DivUIOp::create(b, tid, warpSize);
  Value scaleWarp = idx(cfg.consumers * kWarpgroupThreads / kWarpSize + 1);
  Value isScaleWarp =
      arith::CmpIOp::create(b, arith::CmpIPredicate::eq, warp, scaleWarp);
  emitIf(b, isScaleWarp, [&] { emitScaleCopier(tiles, nTiles, kBlocks); });
}

Value WgmmaKernelEmitter::stageScaleOffset(Value stage32) {
  Value areaBytes32 = i32(cfg.stageScaleBytes());
  Value stageOffset32 = arith::MulIOp::create(b, stage32, areaBytes32);
  Value first32 = i32(buffersOffset());
  return arith::AddIOp::create(b, stageOffset32, first32);
}

void WgmmaKernelEmitter::emitScaleCopier(Value tiles, Value nTiles,
                                         Value kBlocks) {
  // The consumers once copied their own scales, K blocks ahead, into a ring
  // of their own: about 45 of the 190 instructions a consumer warp issued
  // per K block at M = 4096 (ncu, docs/gemm.md). Here one warp, off the
  // consumers' path, copies each K block's scales into the stage that
  // carries its tiles; the stage's `full` mbarrier completes when they
  // have landed (cp.async.mbarrier.arrive.noinc: each lane's arrive counts
  // once its copies are done).
  Value warpSize = idx(kWarpSize);
  Value lane = arith::RemUIOp::create(b, tid, warpSize);
  Value lane32 = toI32(lane);
  Value four32 = i32(4);
  Value laneBytes32 = arith::MulIOp::create(b, lane32, four32);
  Value zero = idx(0);
  Value laneIsFirst =
      arith::CmpIOp::create(b, arith::CmpIPredicate::eq, lane, zero);
  bool perColumn = spec.bFormat.getGranularity() == ScaleGranularity::Row;
  auto cached = NVVM::LoadCacheModifierKindAttr::get(
      ctx, NVVM::LoadCacheModifierKind::CA);
  auto cacheAll = b.getI32IntegerAttr(4);

  // The first column of each half of the tile (a 128-column weight scale
  // block each), clamped into D: a half past N copies a word of the last
  // block, whose products are never stored.
  SmallVector<Value> halfCols;
  auto beginUnit = [&](const WorkUnit &unit) {
    Value lastCol = idx(spec.n - 1);
    halfCols.clear();
    for (int64_t half = 0; half < cfg.halves(); ++half) {
      Value halfOffset = idx(half * cfg.blockN / cfg.halves());
      Value halfCol = arith::AddIOp::create(b, unit.n0, halfOffset);
      halfCols.push_back(arith::MinUIOp::create(b, halfCol, lastCol));
    }
  };
  auto fillStage = [&](const WorkUnit &unit, Value kb, Value stage32) {
    Value area32 = stageScaleOffset(stage32);
    // sa of rows lane, lane + 32, ...: a row past M copies no byte, which
    // leaves a zero word (cp.async's source size 0 fills the 4 bytes).
    Value zero32 = i32(0);
    for (int64_t first = 0; first < cfg.blockM; first += kWarpSize) {
      Value firstRow = idx(first);
      Value localRow = arith::AddIOp::create(b, lane, firstRow);
      Value row = arith::AddIOp::create(b, unit.m0, localRow);
      Value inD =
          arith::CmpIOp::create(b, arith::CmpIPredicate::ult, row, rows);
      Value safeRow = arith::SelectOp::create(b, inD, row, zero);
      SmallVector<Value> indices =
          getMatmulActivationScaleIndices(b, spec.aFormat, safeRow, kb);
      Value source = globalElementPointer(sa, indices);
      Value firstBytes32 = i32(4 * first);
      Value rowBytes32 = arith::AddIOp::create(b, laneBytes32, firstBytes32);
      Value offset32 = arith::AddIOp::create(b, area32, rowBytes32);
      Value target = smemPtr(offset32);
      Value sourceBytes32 = arith::SelectOp::create(b, inD, four32, zero32);
      NVVM::CpAsyncOp::create(b, target, source, cacheAll, cached,
                              sourceBytes32);
    }
    if (!perColumn) {
      emitIf(b, laneIsFirst, [&] {
        for (auto [half, halfCol] : llvm::enumerate(halfCols)) {
          SmallVector<Value> indices =
              getMatmulWeightScaleIndices(b, spec.bFormat, halfCol, kb);
          Value source = globalElementPointer(sb, indices);
          Value weightBytes32 = i32(weightScaleWordBytes(half));
          Value offset32 = arith::AddIOp::create(b, area32, weightBytes32);
          Value target = smemPtr(offset32);
          NVVM::CpAsyncOp::create(b, target, source, cacheAll, cached,
                                  /*cpSize=*/Value());
        }
      });
    }
    Value full = fullBarrier(stage32);
    NVVM::CpAsyncMBarrierArriveOp::create(b, full, /*noinc=*/true);
  };
  emitStageFillLoop(tiles, nTiles, kBlocks, beginUnit, fillStage);
}

void WgmmaKernelEmitter::emitConsumer(Value tiles, Value nTiles, Value kBlocks,
                                      Value warpgroup) {
  auto increase = NVVM::SetMaxRegisterActionAttr::get(
      ctx, NVVM::SetMaxRegisterAction::increase);
  int64_t registers = getRegisterBudgets(cfg).second;
  NVVM::SetMaxRegisterOp::create(b, b.getI32IntegerAttr(registers), increase);
  Type f32 = b.getF32Type();
  int64_t accumulators = cfg.blockN / 2;
  // Tiles of 256 columns run as two halves of 128 per K block, one after
  // the other into the same partial sums: 64 + 128 registers of sums
  // instead of 2 x 128.
  int64_t halves = cfg.halves();
  int64_t halfN = cfg.blockN / halves;
  int64_t halfAccumulators = halfN / 2;
  auto partialType = LLVM::LLVMStructType::getLiteral(
      ctx, SmallVector<Type>(halfAccumulators, f32));

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
  // The warpgroup's rows of the A tile, in shared-memory bytes.
  Value warpgroup32 = toI32(warpgroup);
  Value rowBytes = i32(kMmaM * kGemmBlockK);
  Value aRowOffset = arith::MulIOp::create(b, warpgroup32, rowBytes);

  OpBuilder::InsertionGuard tileGuard(b);
  WorkUnit unit = beginWorkLoop(tiles, nTiles);
  scf::ForOp tileLoop = unit.loop;
  Value m0 = unit.m0;
  Value n0 = unit.n0;
  bool splitK = cfg.splitsK();
  Value tileRow0 = arith::AddIOp::create(b, m0, row0);
  Value tileRow1 = arith::AddIOp::create(b, m0, row1);
  Value lastCol = idx(spec.n - 1);

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

  // The K blocks of a work unit: all of K, or its range of them.
  Value kBegin = splitK ? unit.kBegin : idx(0);
  Value kEnd = splitK ? unit.kEnd : kBlocks;
  Value row0Valid =
      arith::CmpIOp::create(b, arith::CmpIPredicate::ult, tileRow0, rows);
  Value row1Valid =
      arith::CmpIOp::create(b, arith::CmpIPredicate::ult, tileRow1, rows);
  // The thread's scale words in a stage's scale area: sa of its two rows,
  // then (block or per-tensor weight scales) the tile's sb.
  Value four32 = i32(4);
  Value row0_32 = toI32(row0);
  Value row0Bytes32 = arith::MulIOp::create(b, row0_32, four32);
  Value row1_32 = toI32(row1);
  Value row1Bytes32 = arith::MulIOp::create(b, row1_32, four32);
  SmallVector<Value> scaleWordBytes{row0Bytes32, row1Bytes32};
  if (!perColumn) {
    for (int64_t half = 0; half < halves; ++half) {
      Value weightWordBytes32 = i32(weightScaleWordBytes(half));
      scaleWordBytes.push_back(weightWordBytes32);
    }
  }

  Value zeroF = constF32(b, 0.0f);
  SmallVector<Value> init{tileLoop.getRegionIterArgs()[0]};
  init.append(accumulators, zeroF);
  Value kStep = idx(1);
  auto kLoop = scf::ForOp::create(b, kBegin, kEnd, kStep, init);
  {
    OpBuilder::InsertionGuard kGuard(b);
    b.setInsertionPointToStart(kLoop.getBody());
    Value kb = kLoop.getInductionVar();
    Value iteration = kLoop.getRegionIterArgs()[0];
    auto acc = kLoop.getRegionIterArgs().drop_front();
    std::pair<Value, Value> position = ringPosition(iteration);
    Value stage32 = position.first;
    Value parity32 = position.second;

    Value full = fullBarrier(stage32);
    emitWait(full, parity32);

    // The K block's scales, copied into the stage by the scale warp
    // (emitScaleCopier); they are read before the stage is released below.
    // A row past M has a zero word; its results are never stored.
    Value scaleArea32 = stageScaleOffset(stage32);
    SmallVector<Value> scales;
    for (auto [word, wordBytes32] : llvm::enumerate(scaleWordBytes)) {
      Value offset32 = arith::AddIOp::create(b, scaleArea32, wordBytes32);
      Value address = smemPtr(offset32);
      bool activation = word < 2;
      bool packedWord = activation && spec.aFormat.isPacked();
      Type wordType = packedWord ? Type(b.getI32Type()) : b.getF32Type();
      Value element = LLVM::LoadOp::create(b, wordType, address);
      if (activation)
        element = decodeMatmulActivationScale(b, spec.aFormat, element, kb);
      scales.push_back(element);
    }
    Value sa0 = scales[0];
    Value sa1 = scales[1];

    // Per half: four k32 MMAs over the stage, the first one from zero.
    Value aTileBytes32 = i32(aTileBytes());
    Value aStage = arith::MulIOp::create(b, stage32, aTileBytes32);
    Value aBase = arith::AddIOp::create(b, aStage, aRowOffset);
    Value bTileBytes32 = i32(bTileBytes());
    Value bStage = arith::MulIOp::create(b, stage32, bTileBytes32);
    Value aStagesBytes = i32(cfg.stages * aTileBytes());
    Value bBase = arith::AddIOp::create(b, bStage, aStagesBytes);
    auto shape = NVVM::MMAShapeAttr::get(ctx, kMmaM, halfN, kGemmMmaK);
    auto e4m3 = NVVM::WGMMATypesAttr::get(ctx, NVVM::WGMMATypes::e4m3);
    auto f32Type = NVVM::WGMMATypesAttr::get(ctx, NVVM::WGMMATypes::f32);
    auto scaleOne = NVVM::WGMMAScaleInAttr::get(ctx, NVVM::WGMMAScaleIn::one);
    auto rowLayout = NVVM::MMALayoutAttr::get(ctx, NVVM::MMALayout::row);
    auto colLayout = NVVM::MMALayoutAttr::get(ctx, NVVM::MMALayout::col);
    // The descriptors' start fields are computed once per stage: at decode
    // sizes the consumers' instructions per K block bound the kernel, and
    // building each descriptor from its address cost 14% of the kernel's
    // instructions at M = 1 (ncu, docs/gemm.md).
    Value aStart = matrixDescriptorStart(aBase);
    Value bStart = matrixDescriptorStart(bBase);
    SmallVector<Value> next{};
    Value oneIteration = idx(1);
    next.push_back(arith::AddIOp::create(b, iteration, oneIteration));
    for (int64_t half = 0; half < halves; ++half) {
      // Half h's rows of B start h x halfN x 128 bytes into the tile.
      Value halfStart = bStart;
      if (half > 0) {
        Value halfField = i32(half * halfN * kGemmBlockK / 16);
        halfStart = arith::AddIOp::create(b, bStart, halfField);
      }
      NVVM::WgmmaFenceAlignedOp::create(b);
      Value partial = LLVM::PoisonOp::create(b, partialType);
      for (int64_t k = 0; k < kGemmBlockK / kGemmMmaK; ++k) {
        auto [aDescriptor, bDescriptor] =
            sliceDescriptors(aStart, halfStart, k, kWgmmaDescriptorBits);
        auto scaleD = NVVM::WGMMAScaleOutAttr::get(
            ctx, k == 0 ? NVVM::WGMMAScaleOut::zero : NVVM::WGMMAScaleOut::one);
        partial = NVVM::WgmmaMmaAsyncOp::create(
            b, partialType, partial, aDescriptor, bDescriptor, shape, e4m3,
            e4m3, f32Type, scaleD, scaleOne, scaleOne, rowLayout, colLayout,
            /*satfinite=*/nullptr);
      }
      NVVM::WgmmaGroupSyncAlignedOp::create(b);
      SmallVector<Value> sums = emitWaitForPartials(partial);

      if (half + 1 == halves) {
        // The stage is read: every consumer thread's arrive releases it
        // to the producer and the scale warp. An arrive releases only the
        // arriving thread's reads: with one arrive per warp (lane 0, after
        // a warp barrier), compute-sanitizer racecheck reported the scale
        // warp's next copies into the area as racing with the other lanes'
        // reads of the scale words. Having one thread per quad read the
        // words, shuffle them to the quad and arrive was 2-23% slower
        // (docs/gemm.md).
        Value empty = emptyBarrier(stage32);
        emitArrive(empty);
      }

      // Promotion: acc += partial x (sa x sb), rows 0 and 1 of each group
      // of four elements with sa0, rows 2 and 3 with sa1.
      Value scale0, scale1;
      if (!perColumn) {
        Value sbHalf = scales[2 + half];
        scale0 = arith::MulFOp::create(b, sa0, sbHalf);
        scale1 = arith::MulFOp::create(b, sa1, sbHalf);
      }
      for (int64_t local = 0; local < halfAccumulators; ++local) {
        int64_t e = half * halfAccumulators + local;
        bool secondRow = e % 4 >= 2;
        Value scale = secondRow ? scale1 : scale0;
        if (perColumn) {
          Value rowScale = secondRow ? sa1 : sa0;
          scale = arith::MulFOp::create(b, rowScale,
                                        columnScales[2 * (e / 4) + e % 2]);
        }
        next.push_back(emitFma(b, sums[local], scale, acc[e]));
      }
    }
    scf::YieldOp::create(b, next);
  }

  // Epilogue: D = RN(acc). A thread holds pairs of columns of its two
  // rows, 8 columns apart, and the four threads of a quad hold adjacent
  // pairs.
  Type resultType = spec.resultType;
  int64_t resultBytes = resultType.getIntOrFloatBitWidth() / 8;
  // Stores the pairs of `results` that are not null, one per store: f32
  // pairs (8 bytes; a quad's four fill a 32-byte sector), and 16-bit pairs
  // of tiles narrower than 32 columns.
  auto storePairs = [&](ArrayRef<Value> results) {
    Value nValue = idx(spec.n);
    for (int64_t j = 0; j < accumulators / 4; ++j) {
      if (!results[4 * j] && !results[4 * j + 2])
        continue;
      Value pairCol = idx(8 * j);
      Value local = arith::AddIOp::create(b, laneCol, pairCol);
      Value col = arith::AddIOp::create(b, n0, local);
      Value colValid =
          arith::CmpIOp::create(b, arith::CmpIPredicate::ult, col, nValue);
      for (int64_t half = 0; half < 2; ++half) {
        if (!results[4 * j + 2 * half])
          continue;
        Value row = half ? tileRow1 : tileRow0;
        Value rowValid =
            arith::CmpIOp::create(b, arith::CmpIPredicate::ult, row, rows);
        Value valid = arith::AndIOp::create(b, rowValid, colValid);
        Value lo = results[4 * j + 2 * half];
        Value hi = results[4 * j + 2 * half + 1];
        Value pair = truncToVector(b, {lo, hi}, resultType);
        int64_t alignBytes = 2 * resultBytes;
        emitGuardedStore(b, valid, pair, d, ValueRange{row, col}, alignBytes);
      }
    }
  };
  // 16-bit results in 16-byte stores: 4-byte pairs filled only half of each
  // 32-byte sector a warp's store wrote, which doubled the epilogue's L2
  // traffic (ncu at N = 32768, K = 512, M = 4096, where the epilogue writes
  // 16x what the main loop reads). The quad transposes each group of four
  // pair columns j = 4g .. 4g + 3 with two rounds of shuffles (lanes 2
  // apart, then 1 apart), after which its thread q holds the 8 columns of
  // pair column 4g + q: 16 contiguous bytes of its row, 16-byte aligned (N
  // is a multiple of 8 and D starts 16-byte aligned, as every kernel's
  // buffers do: docs/pytorch.md).
  bool wideStores = resultBytes == 2 && accumulators % 16 == 0;
  Value quadOdd, quadHigh;
  if (wideStores) {
    Value one = idx(1);
    Value two = idx(2);
    Value zero = idx(0);
    Value quadBit0 = arith::AndIOp::create(b, laneQuad, one);
    quadOdd =
        arith::CmpIOp::create(b, arith::CmpIPredicate::ne, quadBit0, zero);
    Value quadBit1 = arith::AndIOp::create(b, laneQuad, two);
    quadHigh =
        arith::CmpIOp::create(b, arith::CmpIPredicate::ne, quadBit1, zero);
  }
  auto shuffleXor = [&](Value word, int32_t offset) {
    return gpu::ShuffleOp::create(b, word, offset,
                                  static_cast<int32_t>(kWarpSize),
                                  gpu::ShuffleMode::XOR)
        .getShuffleResult();
  };
  auto select = [&](Value cond, Value ifTrue, Value ifFalse) {
    return arith::SelectOp::create(b, cond, ifTrue, ifFalse).getResult();
  };
  auto storeWide = [&](ArrayRef<Value> results) {
    Value nValue = idx(spec.n);
    auto wordType = VectorType::get({1}, b.getI32Type());
    for (int64_t half = 0; half < 2; ++half) {
      Value row = half ? tileRow1 : tileRow0;
      for (int64_t g = 0; g < accumulators / 16; ++g) {
        if (!results[16 * g + 2 * half])
          continue;
        // x[i]: this thread's pair of pair column 4g + i, as a word.
        SmallVector<Value> x;
        for (int64_t i = 0; i < 4; ++i) {
          int64_t e = 4 * (4 * g + i) + 2 * half;
          Value pair =
              truncToVector(b, {results[e], results[e + 1]}, resultType);
          Value asWord = vector::BitCastOp::create(b, wordType, pair);
          x.push_back(vector::ExtractOp::create(b, asWord, 0));
        }
        // Round 1, lanes q and q ^ 2: q keeps x[i] for i & 2 = q & 2 and
        // gets the partner's; own[c] and partner[c] are then the words of
        // pair column (q & 2) | c of threads q and q ^ 2.
        SmallVector<Value> own, partner;
        for (int64_t c = 0; c < 2; ++c) {
          Value kept = select(quadHigh, x[2 + c], x[c]);
          Value sent = select(quadHigh, x[c], x[2 + c]);
          own.push_back(kept);
          partner.push_back(shuffleXor(sent, 2));
        }
        // Round 2, lanes q and q ^ 1: q keeps column q (c = q & 1) and
        // gets column q from threads q ^ 1 and q ^ 3.
        Value ownKept = select(quadOdd, own[1], own[0]);
        Value ownSent = select(quadOdd, own[0], own[1]);
        Value partnerKept = select(quadOdd, partner[1], partner[0]);
        Value partnerSent = select(quadOdd, partner[0], partner[1]);
        Value fromNext = shuffleXor(ownSent, 1);         // thread q ^ 1
        Value fromOpposite = shuffleXor(partnerSent, 1); // thread q ^ 3
        // y[p], the pair of thread p: thread q ^ d holds it for d = p ^ q;
        // d = 0: ownKept, 1: fromNext, 2: partnerKept, 3: fromOpposite.
        Value evenOwn = select(quadOdd, fromNext, ownKept);
        Value oddOwn = select(quadOdd, ownKept, fromNext);
        Value evenPartner = select(quadOdd, fromOpposite, partnerKept);
        Value oddPartner = select(quadOdd, partnerKept, fromOpposite);
        Value y0 = select(quadHigh, evenPartner, evenOwn);
        Value y1 = select(quadHigh, oddPartner, oddOwn);
        Value y2 = select(quadHigh, evenOwn, evenPartner);
        Value y3 = select(quadHigh, oddOwn, oddPartner);
        SmallVector<Value> y{y0, y1, y2, y3};
        auto wordsType = VectorType::get({4}, b.getI32Type());
        Value words = vector::FromElementsOp::create(b, wordsType, y);
        auto valuesType = VectorType::get({8}, resultType);
        Value values = vector::BitCastOp::create(b, valuesType, words);
        // Columns 8 (4g + q) .. + 7, all in D or none (N % 8 = 0).
        Value groupCol = idx(32 * g);
        Value eight = idx(8);
        Value quadCol = arith::MulIOp::create(b, laneQuad, eight);
        Value local = arith::AddIOp::create(b, quadCol, groupCol);
        Value col = arith::AddIOp::create(b, n0, local);
        Value colValid =
            arith::CmpIOp::create(b, arith::CmpIPredicate::ult, col, nValue);
        Value rowValid =
            arith::CmpIOp::create(b, arith::CmpIPredicate::ult, row, rows);
        Value valid = arith::AndIOp::create(b, rowValid, colValid);
        emitGuardedStore(b, valid, values, d, ValueRange{row, col},
                         /*alignBytes=*/16);
      }
    }
  };
  auto storeTile = [&](ArrayRef<Value> results) {
    if (wideStores)
      storeWide(results);
    else
      storePairs(results);
  };
  SmallVector<Value> results(kLoop.getResults().drop_front());
  if (cfg.tailSplits > 1) {
    // A range of a tile of the last wave adds its sums through the
    // workspace; a whole tile stores them.
    auto ifSplit = scf::IfOp::create(b, TypeRange{}, unit.isSplit,
                                     /*withElseRegion=*/true);
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPoint(ifSplit.thenBlock()->getTerminator());
    emitSplitKEpilogue(unit, results, {row0Valid, row1Valid}, storeTile);
    b.setInsertionPoint(ifSplit.elseBlock()->getTerminator());
    storeTile(results);
  } else if (splitK) {
    emitSplitKEpilogue(unit, results, {row0Valid, row1Valid}, storeTile);
  } else {
    storeTile(results);
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
  Value kBlocks = idx(llvm::divideCeil(spec.k, kGemmBlockK));
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
  StringRef kind = cfg.tcgen05 ? "_tcgen05_m" : "_wgmma_m";
  std::string name = (getMatmulKernelName(spec) + kind + Twine(cfg.blockM) +
                      "n" + Twine(cfg.blockN) + "s" + Twine(cfg.stages))
                         .str();
  if (cfg.splits > 1)
    name += "_splitk" + std::to_string(cfg.splits);
  if (cfg.tailSplits > 1)
    name += "_tail" + std::to_string(cfg.tailSplits);
  return name;
}

gpu::GPUFuncOp codegen::buildWgmmaMatmulKernel(OpBuilder &moduleBuilder,
                                               Location loc,
                                               const MatmulSpec &spec,
                                               const GemmTileConfig &cfg,
                                               const TargetChipInfo &chip) {
  MLIRContext *ctx = moduleBuilder.getContext();
  gpu::GPUFuncOp func = createTmaGemmFunction(
      moduleBuilder, loc, spec, getTensorCoreMatmulKernelName(spec, cfg),
      cfg.threads(), /*splitWorkspace=*/cfg.splitsK());
  ImplicitLocOpBuilder b(loc, ctx);
  b.setInsertionPointToStart(&func.getBody().front());
  WgmmaKernelEmitter emitter(b, spec, cfg, func);
  emitter.setNumSMs(chip.numSMs);
  emitter.emit();
  gpu::ReturnOp::create(b);
  return func;
}
