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
//   each: for each kb, take sa of the thread's two rows and sb from the
//   scale ring (cp.async copies issued K blocks ahead into shared memory),
//   wait for the stage's data, run four wgmma m64n{blockN}k32 (e4m3 x e4m3 ->
//   f32) from shared-memory descriptors into a partial sum that starts at 0,
//   wait for them, release the stage (one arrive per warp on its `empty`
//   mbarrier), and promote: acc += partial x (sa x sb), in f32. After the
//   last K block, D = RN(acc), stored with guards at the M and N edges.
//
// The producer and the consumers walk the same sequence of (tile, kb), so
// use i of the ring is stage i % stages with mbarrier phase (i / stages) % 2.
//
// With K split (cfg.splits > 1, small M): the persistent loop walks work
// units, (tile, range of K blocks), instead of tiles. After its range, each
// consumer thread stores its sums of the rows in D to the workspace, and
// the consumers count the unit in on the tile's counter (fence, named
// barrier, one atomic add, a flag in shared memory); the unit that
// completes the tile adds the ranges' sums in range order, stores D and
// resets the counter (SPEC 3.5: which unit is last depends on timing, the
// order of the additions does not).
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
/// Registers per thread after setmaxnreg: 40 x 128 + 232 x 256 <= 65536.
constexpr int64_t kProducerRegisters = 40;
constexpr int64_t kConsumerRegisters = 232;
/// The same for split-K kernels with two consumer warpgroups, whose
/// producer's work-unit arithmetic spilled at 40: 56 x 128 + 224 x 256 <=
/// 65536 (ptxas: no spills in either role).
constexpr int64_t kSplitProducerRegisters = 56;
constexpr int64_t kSplitConsumerRegisters = 224;

/// The producer's and the consumers' registers after setmaxnreg.
std::pair<int64_t, int64_t> getRegisterBudgets(const GemmTileConfig &cfg) {
  if (cfg.splits > 1 && cfg.consumers > 1)
    return {kSplitProducerRegisters, kSplitConsumerRegisters};
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
  int64_t count = cfg.blockN / 2;
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
  Value splits = idx(cfg.splits);
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
    Value lastCount = i32(cfg.splits - 1);
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
        ArrayRef<int64_t> elements =
            ArrayRef<int64_t>(rowElements).slice(first, kGroup);
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
  // producer's arrive and the stage's bytes, `empty` with one arrive per
  // consumer warp.
  Value zero = idx(0);
  Value isFirst = arith::CmpIOp::create(b, arith::CmpIPredicate::eq, tid, zero);
  emitIf(b, isFirst, [&] {
    int64_t consumerWarps = cfg.consumers * kWarpgroupThreads / kWarpSize;
    for (int64_t s = 0; s < cfg.stages; ++s) {
      Value stage32 = i32(s);
      Value full = fullBarrier(stage32);
      emitBarrierInit(full, 1);
      Value empty = emptyBarrier(stage32);
      emitBarrierInit(empty, consumerWarps);
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
}

void WgmmaKernelEmitter::emitConsumer(Value tiles, Value nTiles, Value kBlocks,
                                      Value warpgroup) {
  auto increase = NVVM::SetMaxRegisterActionAttr::get(
      ctx, NVVM::SetMaxRegisterAction::increase);
  int64_t registers = getRegisterBudgets(cfg).second;
  NVVM::SetMaxRegisterOp::create(b, b.getI32IntegerAttr(registers), increase);
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
  Value rowBytes = i32(kMmaM * kGemmBlockK);
  Value aRowOffset = arith::MulIOp::create(b, warpgroup32, rowBytes);

  OpBuilder::InsertionGuard tileGuard(b);
  WorkUnit unit = beginWorkLoop(tiles, nTiles);
  scf::ForOp tileLoop = unit.loop;
  Value m0 = unit.m0;
  Value n0 = unit.n0;
  bool splitK = cfg.splits > 1;
  Value tileRow0 = arith::AddIOp::create(b, m0, row0);
  Value tileRow1 = arith::AddIOp::create(b, m0, row1);
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

  // The scales of a K block (sa of the thread's two rows and, for block or
  // per-tensor weight scales, the tile's sb) travel to shared memory with
  // cp.async, scaleRingSlots - 2 K blocks ahead, each thread into its own
  // slots of a ring; the promotion reads them from there. Loaded from
  // global memory in the K block that uses them, their latency stalled the
  // issue of the block's wgmmas: ptxas schedules the sa x sb product among
  // the wgmmas whatever the order in the PTX (docs/gemm.md, ncu).
  SmallVector<Value> scaleSources{sa, sa};
  if (!perColumn)
    scaleSources.push_back(sb);
  int64_t scaleWords = static_cast<int64_t>(scaleSources.size());
  // The K blocks of a work unit: all of K, or with K split at most
  // perSplit (the last range may be shorter).
  int64_t kBlockCount = llvm::divideCeil(spec.k, kGemmBlockK);
  if (splitK)
    kBlockCount = llvm::divideCeil(kBlockCount, cfg.splits);
  // K blocks in flight: the ring's slots but two. The slot written in K
  // block i (for block i + copiesAhead) was last read in block i - 2, so a
  // warp barrier (block i - 1's) separates lane 0's new copy of sb from the
  // other lanes' reads of the old one.
  int64_t copiesAhead = std::min<int64_t>(cfg.scaleRingSlots - 2, kBlockCount);
  int64_t ringSlots = copiesAhead + 2;
  // Who copies each word: sa of a row only where the row is in D (rows
  // past M would all copy the last row's word, and cp.async of one address
  // from many threads is slow); sb, the same word for the whole warp, only
  // lane 0, whose slot the warp reads after a warp barrier.
  Value thread32 = toI32(tid);
  Value lane32 = toI32(lane);
  Value warpLeader32 = arith::SubIOp::create(b, thread32, lane32);
  Value row0Valid =
      arith::CmpIOp::create(b, arith::CmpIPredicate::ult, tileRow0, rows);
  Value row1Valid =
      arith::CmpIOp::create(b, arith::CmpIPredicate::ult, tileRow1, rows);
  SmallVector<Value> copiesWord{row0Valid, row1Valid, laneIsFirst};
  SmallVector<Value> slotOwner{thread32, thread32, warpLeader32};
  // Word w of thread t's slot s: (s x threads + t) x words x 4 + 4 w bytes
  // into the ring.
  auto scaleSlotOffset = [&](Value slot32, int64_t word) {
    Value threads32 = i32(cfg.consumerThreads());
    Value slotThreads = arith::MulIOp::create(b, slot32, threads32);
    Value entry = arith::AddIOp::create(b, slotThreads, slotOwner[word]);
    Value entryBytes32 = i32(GemmTileConfig::kScaleWordsPerThread * 4);
    Value entryOffset = arith::MulIOp::create(b, entry, entryBytes32);
    Value wordOffset32 = i32(buffersOffset() + 4 * word);
    return arith::AddIOp::create(b, entryOffset, wordOffset32).getResult();
  };
  auto scaleIndices = [&](int64_t word, Value kb) {
    if (word == 2)
      return getMatmulWeightScaleIndices(b, spec.bFormat, tileCol0, kb);
    // Only rows in D copy (copiesWord), so the row needs no clamp.
    Value row = word == 0 ? tileRow0 : tileRow1;
    return getMatmulActivationScaleIndices(b, spec.aFormat, row, kb);
  };
  // Copies K block kb's scale words into ring slot `slot32` (no commit).
  auto copyScales = [&](Value kb, Value slot32) {
    for (int64_t word = 0; word < scaleWords; ++word) {
      emitIf(b, copiesWord[word], [&] {
        SmallVector<Value> indices = scaleIndices(word, kb);
        Value source = globalElementPointer(scaleSources[word], indices);
        Value offset32 = scaleSlotOffset(slot32, word);
        Value target = smemPtr(offset32);
        auto cached = NVVM::LoadCacheModifierKindAttr::get(
            ctx, NVVM::LoadCacheModifierKind::CA);
        NVVM::CpAsyncOp::create(b, target, source, b.getI32IntegerAttr(4),
                                cached, /*cpSize=*/Value());
      });
    }
  };
  // K block kb takes slot kb % ringSlots: consecutive blocks, consecutive
  // slots, also from the first block of a K range on (no range start kept
  // live through the K loop: the kernels with two consumer warpgroups have
  // no register to spare).
  Value kBegin = splitK ? unit.kBegin : Value();
  Value kEnd = splitK ? unit.kEnd : kBlocks;
  auto ringSlot = [&](Value kb) {
    Value slots = idx(ringSlots);
    Value slot = arith::RemUIOp::create(b, kb, slots);
    return toI32(slot);
  };
  // Copies K block kb's scales into its slot if kb is in the unit's range.
  auto copyScalesInRange = [&](Value kb) {
    Value inRange =
        arith::CmpIOp::create(b, arith::CmpIPredicate::ult, kb, kEnd);
    emitIf(b, inRange, [&] {
      Value slot32 = ringSlot(kb);
      copyScales(kb, slot32);
    });
  };
  // The unit's first K blocks, one commit group each (a short last K range
  // commits empty groups, which keep the count).
  for (int64_t ahead = 0; ahead < copiesAhead; ++ahead) {
    if (splitK) {
      Value offset = idx(ahead);
      Value kb = arith::AddIOp::create(b, kBegin, offset);
      copyScalesInRange(kb);
    } else {
      Value slot32 = i32(ahead);
      Value kb = idx(ahead);
      copyScales(kb, slot32);
    }
    NVVM::CpAsyncCommitGroupOp::create(b);
  }

  Value zeroF = constF32(b, 0.0f);
  SmallVector<Value> init{tileLoop.getRegionIterArgs()[0]};
  init.append(accumulators, zeroF);
  Value kStart = splitK ? kBegin : idx(0);
  Value kStep = idx(1);
  auto kLoop = scf::ForOp::create(b, kStart, kEnd, kStep, init);
  {
    OpBuilder::InsertionGuard kGuard(b);
    b.setInsertionPointToStart(kLoop.getBody());
    Value kb = kLoop.getInductionVar();
    Value iteration = kLoop.getRegionIterArgs()[0];
    auto acc = kLoop.getRegionIterArgs().drop_front();
    std::pair<Value, Value> position = ringPosition(iteration);
    Value stage32 = position.first;
    Value parity32 = position.second;

    // Copy the scales of K block kb + copiesAhead (past the last block, an
    // empty group keeps the count), then wait until kb's have landed: at
    // most copiesAhead newer groups pending. A thread reads its own sa
    // words and lane 0's sb word, after a warp barrier that orders lane
    // 0's completed copies before the other lanes' reads.
    Value ahead = idx(copiesAhead);
    Value aheadKb = arith::AddIOp::create(b, kb, ahead);
    copyScalesInRange(aheadKb);
    NVVM::CpAsyncCommitGroupOp::create(b);
    NVVM::CpAsyncWaitGroupOp::create(b, b.getI32IntegerAttr(copiesAhead));
    if (!perColumn) {
      Value fullWarp = i32(-1);
      NVVM::SyncWarpOp::create(b, fullWarp);
    }
    Value slot32 = ringSlot(kb);
    SmallVector<Value> scales;
    for (int64_t word = 0; word < scaleWords; ++word) {
      Value offset32 = scaleSlotOffset(slot32, word);
      Value address = smemPtr(offset32);
      bool packedWord = word < 2 && spec.aFormat.isPacked();
      Type wordType = packedWord ? Type(b.getI32Type()) : b.getF32Type();
      Value element = LLVM::LoadOp::create(b, wordType, address);
      if (word < 2) {
        // A row past M copied nothing; its results are never stored.
        Value decoded =
            decodeMatmulActivationScale(b, spec.aFormat, element, kb);
        Value zero = constF32(b, 0.0f);
        element = arith::SelectOp::create(b, copiesWord[word], decoded, zero);
      }
      scales.push_back(element);
    }
    Value sa0 = scales[0];
    Value sa1 = scales[1];
    Value sbTile = perColumn ? Value() : scales[2];

    Value full = fullBarrier(stage32);
    emitWait(full, parity32);

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
    auto shape = NVVM::MMAShapeAttr::get(ctx, kMmaM, cfg.blockN, kGemmMmaK);
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
    for (int64_t k = 0; k < kGemmBlockK / kGemmMmaK; ++k) {
      auto [aDescriptor, bDescriptor] =
          sliceDescriptors(aStart, bStart, k, kWgmmaDescriptorBits);
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
  // Stores the pairs of `results` that are not null.
  auto storeTile = [&](ArrayRef<Value> results) {
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
        int64_t alignBytes = 2 * resultType.getIntOrFloatBitWidth() / 8;
        emitGuardedStore(b, valid, pair, d, ValueRange{row, col}, alignBytes);
      }
    }
  };
  SmallVector<Value> results(kLoop.getResults().drop_front());
  if (splitK)
    emitSplitKEpilogue(unit, results, {row0Valid, row1Valid}, storeTile);
  else
    storeTile(results);
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
  return name;
}

gpu::GPUFuncOp codegen::buildWgmmaMatmulKernel(OpBuilder &moduleBuilder,
                                               Location loc,
                                               const MatmulSpec &spec,
                                               const GemmTileConfig &cfg,
                                               const TargetChipInfo &chip) {
  (void)chip; // sm_90a only (canUseTensorCoreMatmul).
  MLIRContext *ctx = moduleBuilder.getContext();
  gpu::GPUFuncOp func = createTmaGemmFunction(
      moduleBuilder, loc, spec, getTensorCoreMatmulKernelName(spec, cfg),
      cfg.threads(), /*splitWorkspace=*/cfg.splits > 1);
  ImplicitLocOpBuilder b(loc, ctx);
  b.setInsertionPointToStart(&func.getBody().front());
  WgmmaKernelEmitter(b, spec, cfg, func).emit();
  gpu::ReturnOp::create(b);
  return func;
}
