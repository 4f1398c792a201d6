//===- MatmulSM100a.cpp - scaled_matmul on sm_100a tensor cores -----------===//
//
// Part of the vllm-mlir project.
//
//===----------------------------------------------------------------------===//
//
// A warp-specialized, TMA-fed tcgen05 kernel for vllm.scaled_matmul (SPEC.md
// 3.5) on sm_100a, with packed UE8M0 activation scales (SPEC 3.3, C10) and
// 128x128 block (or per-tensor) weight scales. A CTA per SM loops over
// the 128 x blockN tiles of D; its 256 threads are eight warps:
//
//   warp 0, one thread: the TMA producer of MatmulTma.cpp (stage ring with
//   `full` / `empty` mbarriers, A and B tiles with the 128-byte swizzle);
//
//   warp 1: allocates the tensor memory (and frees it at the end); one
//   thread issues the MMAs: for each 128-wide K block kb, four
//   `tcgen05.mma.cta_group::1.kind::mxf8f6f4.block_scale.block32` (M = 128,
//   N = blockN, K = 32, e4m3 x e4m3 -> f32) from shared-memory descriptors
//   into a fresh partial sum in tensor memory (double-buffered: buffer i % 2
//   for the CTA's i-th K block overall), the first with the
//   input accumulator disabled. The MMA scales A's products by the UE8M0
//   activation scale of each row, byte `a_sf_id` = kb % 4 of the row's
//   packed word kb / 4, and B's by 1.0 (UE8M0 127). `tcgen05.commit`s
//   release the stage (its `empty` mbarrier), publish the partial sum
//   (`partial full`) and, after the last K block of a word, release the
//   word's scale slot;
//
//   warp 2: the activation scale loader: for each packed word p of a tile,
//   the 128 words (m0 .. m0 + 127, p) from global memory into a shared
//   scale slot, arranged for `tcgen05.cp.32x128b.warpx4` (row l of the
//   32 x 16-byte source holds the words of rows l, 32 + l, 64 + l, 96 + l);
//   the MMA thread copies the slot into the slot's four tensor-memory
//   columns (replicated into the four lane quarters) before the word's
//   first MMA;
//
//   warps 4-7, the epilogue: warp w reads lanes 32 (w % 4) .. + 31 of tensor
//   memory, i.e. row 32 (w % 4) + lane of the tile. For each K block it
//   waits for the partial sum, loads it (`tcgen05.ld.32x32b`, 32 columns at
//   a time, each load's results tied to the `tcgen05.wait::ld`), releases
//   it (`partial empty`) and promotes: acc = fma(partial, sb, acc) in f32
//   (SPEC 3.5: the activation scale is already in the partial sum, exact
//   since it is a power of two). After the last K block D = RN(acc), 16
//   bytes per store behind the M and N guards.
//
// Power-of-two (ue8m0_f32) 128x128 weight scales take design (b) instead
// (docs/gemm.md): the scale warp also stages the tile's weight scale word
// (the four K blocks' exponent bytes) per packed word, the MMA thread copies
// it as B's scale factors (b_sf_id = kb % 4) and accumulates the whole tile
// into one of two accumulators (alternating by tile), committed after the
// last K block; the epilogue reads each accumulator once, 32 columns at a
// time, and stores them without promotion.
//
// All roles walk the same (tile, K block) sequence: use i of the stage ring
// is stage i % stages with phase (i / stages) % 2, of the partial sums
// buffer i % 2 with phase (i / 2) % 2; use u of the scale slots (a packed
// word of a tile, Kp per tile) slot u % 2 with phase (u / 2) % 2.
//
// Tensor memory (columns; 128 lanes each): partial sums (design (b): tile
// accumulators) 0 .. 2 blockN - 1; design (a): B's scale factors (all
// 0x7F7F7F7F, written once by the epilogue warps) 2 blockN .. + 3, the
// scale slots' columns 2 blockN + 4 + 4 s .. + 3; design (b): the
// activation scale slots from 2 blockN, then the weight scale slots.
//
// Descriptors (PTX ISA "tcgen05 instruction descriptor" and "shared memory
// descriptor"; the same fields in CUTLASS's cute/arch/mma_sm100_desc.hpp):
// docs/gemm.md lists the bits.
//
//===----------------------------------------------------------------------===//

#include "MatmulTma.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "llvm/Support/MathExtras.h"

using namespace mlir;
using namespace mlir::vllm;
using namespace mlir::vllm::codegen;

namespace {

/// Rows of a tile: the M of one cta_group::1 MMA.
constexpr int64_t kTileM = 128;
/// Warps by role.
constexpr int64_t kProducerWarp = 0;
constexpr int64_t kMmaWarp = 1;
constexpr int64_t kScaleWarp = 2;
constexpr int64_t kFirstEpilogueWarp = 4;
constexpr int64_t kEpilogueThreads = 128;
/// K blocks per packed UE8M0 word (one byte each).
constexpr int64_t kBlocksPerWord = 4;
/// Tensor-memory columns of one scale slot (32 lanes x 128 bits, copied to
/// each lane quarter) and of B's scale factors.
constexpr int64_t kScaleColumns = 4;
/// Columns of a partial sum loaded at once by an epilogue thread.
constexpr int64_t kLoadColumns = 32;
/// UE8M0 1.0 in all four bytes: B's scale factors.
constexpr int32_t kUnitScales = 0x7F7F7F7F;

/// Shared-memory descriptor of a K-major fp8 tile with the 128-byte swizzle
/// (bits besides the start address): leading byte offset 0 (bits 16-29,
/// unused by swizzled K-major layouts), stride byte offset 1024 >> 4 (bits
/// 32-45: 8-row groups of 128 bytes), version 1 (bits 46-47, sm_100),
/// base offset 0 (bits 49-51: tiles start 1024-aligned), layout type 2 =
/// SWIZZLE_128B (bits 61-63).
constexpr uint64_t kOperandDescriptorBits =
    (uint64_t{kSwizzleAtomBytes >> 4} << 32) | (uint64_t{1} << 46) |
    (uint64_t{2} << 61);
/// Shared-memory descriptor of a scale slot for tcgen05.cp (32 rows of 16
/// bytes, no swizzle): stride byte offset 128 >> 4 (8-row groups), version
/// 1, layout type 0.
constexpr uint64_t kScaleDescriptorBits =
    (uint64_t{128 >> 4} << 32) | (uint64_t{1} << 46);

/// The block-scaled instruction descriptor of kind::mxf8f6f4 for a 128 x
/// `blockN` x 32 MMA with a_sf_id = 0: B scale factor id 0 (bits 4-5), A
/// and B e4m3 (bits 7-9, 10-12: 0), no negation (13, 14), both K-major
/// (15, 16: 0), N >> 3 (bits 17-22), scale type UE8M0 (bit 23 = 1),
/// M >> 4 (bits 24-28), dense K = 32 (bit 31 = 0).
constexpr uint32_t getInstructionDescriptor(int64_t blockN) {
  return (static_cast<uint32_t>(blockN >> 3) << 17) | (uint32_t{1} << 23) |
         (static_cast<uint32_t>(kTileM >> 4) << 24);
}
/// Bit positions of a_sf_id (bits 29-30) and b_sf_id (bits 4-5).
constexpr int64_t kScaleFactorIdShift = 29;
constexpr int64_t kBScaleFactorIdShift = 4;
/// UE8M0 1.0: the weight scale byte of K blocks past K (never used).
constexpr int32_t kUnitScale = 127;

class Tcgen05KernelEmitter : public TmaGemmEmitter {
public:
  using TmaGemmEmitter::TmaGemmEmitter;

  void emit();

private:
  int64_t kBlocks() const { return llvm::divideCeil(spec.k, kGemmBlockK); }
  int64_t packedWords() const {
    return llvm::divideCeil(kBlocks(), kBlocksPerWord);
  }
  /// Whether the (UE8M0) weight scales are B's scale factors in the MMA,
  /// which then accumulates over all of K (design (b)); otherwise B's scale
  /// factors are 1.0 and each K block's partial sum is promoted with the
  /// weight scale in f32 (design (a)).
  bool scalesB() const { return cfg.ue8m0Weights; }
  // Tensor memory columns: two partial sums (two tile accumulators), then
  // with design (a) B's constant scale factors and the activation scale
  // slots, with design (b) the activation and the weight scale slots.
  int64_t sfbColumn() const { return 2 * cfg.blockN; }
  int64_t scaleSlotColumn(int64_t slot) const {
    int64_t first = scalesB() ? 2 * cfg.blockN : sfbColumn() + kScaleColumns;
    return first + kScaleColumns * slot;
  }
  int64_t weightSlotColumnIndex(int64_t slot) const {
    return scaleSlotColumn(GemmTileConfig::kScaleSlots) + kScaleColumns * slot;
  }
  /// The first tensor-memory column of weight scale slot `slot32` (i32).
  Value weightSlotColumn(Value slot32);
  int64_t tensorMemoryColumns() const {
    int64_t used = scalesB()
                       ? weightSlotColumnIndex(GemmTileConfig::kScaleSlots)
                       : scaleSlotColumn(GemmTileConfig::kScaleSlots);
    return std::max<int64_t>(32, llvm::PowerOf2Ceil(used));
  }
  /// The accumulator buffer of the tile with count `tileCount` (i32).
  Value accumulatorBuffer(Value tileCount);
  // Shared memory after full[] and empty[].
  Value partialFullBarrier(Value buffer32) {
    return barrierAt(extraBarriersOffset(), buffer32);
  }
  Value partialEmptyBarrier(Value buffer32) {
    return barrierAt(extraBarriersOffset() + 16, buffer32);
  }
  Value scaleFullBarrier(Value slot32) {
    return barrierAt(extraBarriersOffset() + 32, slot32);
  }
  Value scaleEmptyBarrier(Value slot32) {
    return barrierAt(
        extraBarriersOffset() + 32 + 8 * GemmTileConfig::kScaleSlots, slot32);
  }
  int64_t tensorMemorySlotOffset() const {
    return extraBarriersOffset() + 32 + 16 * GemmTileConfig::kScaleSlots;
  }
  /// Byte offsets of activation (weight) scale slot `slot32` (i32).
  Value scaleSlotOffset(Value slot32);
  Value weightSlotOffset(Value slot32);

  /// The tensor-memory address `base` + `lane` << 16 + `column` (i32
  /// operands) as a pointer.
  Value tmemAddress(Value address32);
  Value tmemColumn(Value column32);
  /// (index % count, (index / count) % 2) as i32.
  std::pair<Value, Value> slotAndParity(Value index, int64_t count);
  void emitCommit(Value barrier);
  void emitTcgen05Fence(NVVM::Tcgen05FenceKind kind);

  void emitPrologue();
  void emitMma(Value tiles, Value nTiles);
  void emitScaleLoader(Value tiles, Value nTiles);
  /// The packed UE8M0 weight scale word of K blocks 4 `word` .. + 3 of the
  /// 128x128 block row `weightRow` (design (b)), as an i32.
  Value emitWeightScaleWord(Value weightRow, Value word);
  /// The epilogue of design (b): one accumulator per tile, rounded and
  /// stored 32 columns at a time.
  void emitTileEpilogue(Value tiles, Value nTiles, Value warp, Value lane);
  void emitEpilogue(Value tiles, Value nTiles, Value warp, Value lane);
  /// Loads `columns` f32 columns of the partial sum at `address32`, tied
  /// to the wait for them.
  SmallVector<Value> emitLoadPartial(Value address32, int64_t columns);
  /// Stores `values` rounded to the result type (16 bytes) at D[row, col0
  /// + offset], where the row is valid (`rowValid`) and the column < N
  /// (`nValue`).
  void emitResultStore(Value row, Value rowValid, Value col0, Value nValue,
                       int64_t offset, ArrayRef<Value> values);
  /// The address of this thread's row in tensor-memory buffer `buffer32`
  /// (`lanesBase`: the warp's lanes, column 0).
  Value tmemBufferRow(Value lanesBase, Value buffer32);
  /// Reads the row at `bufferRow` kLoadColumns columns at a time, hands
  /// each chunk to `consume(first column, values)`, and releases buffer
  /// `buffer32` to the MMA warp as soon as the last chunk is in registers
  /// (before it is consumed). Shared by design (a)'s promotion and design
  /// (b)'s epilogue.
  void
  emitDrainTmemBuffer(Value bufferRow, Value buffer32,
                      function_ref<void(int64_t, ArrayRef<Value>)> consume);

  /// The tensor memory's base address (i32), read after the allocation.
  Value tmemBase;
};

} // namespace

Value Tcgen05KernelEmitter::scaleSlotOffset(Value slot32) {
  Value slotBytes = i32(GemmTileConfig::kScaleSlotBytes);
  Value offset = arith::MulIOp::create(b, slot32, slotBytes);
  Value base = i32(buffersOffset());
  return arith::AddIOp::create(b, offset, base);
}

Value Tcgen05KernelEmitter::weightSlotOffset(Value slot32) {
  Value slotBytes = i32(GemmTileConfig::kScaleSlotBytes);
  Value offset = arith::MulIOp::create(b, slot32, slotBytes);
  Value base = i32(buffersOffset() + GemmTileConfig::kScaleSlots *
                                         GemmTileConfig::kScaleSlotBytes);
  return arith::AddIOp::create(b, offset, base);
}

Value Tcgen05KernelEmitter::weightSlotColumn(Value slot32) {
  Value scaleColumns = i32(kScaleColumns);
  Value offset = arith::MulIOp::create(b, slot32, scaleColumns);
  Value first = i32(weightSlotColumnIndex(0));
  return arith::AddIOp::create(b, offset, first);
}

Value Tcgen05KernelEmitter::accumulatorBuffer(Value tileCount) {
  Value two = idx(2);
  Value buffer = arith::RemUIOp::create(b, tileCount, two);
  return toI32(buffer);
}

Value Tcgen05KernelEmitter::tmemAddress(Value address32) {
  Type ptr6 = LLVM::LLVMPointerType::get(ctx, 6);
  return LLVM::IntToPtrOp::create(b, ptr6, address32);
}

Value Tcgen05KernelEmitter::tmemColumn(Value column32) {
  Value address = arith::AddIOp::create(b, tmemBase, column32);
  return tmemAddress(address);
}

std::pair<Value, Value> Tcgen05KernelEmitter::slotAndParity(Value index,
                                                            int64_t count) {
  Value countValue = idx(count);
  Value slot = arith::RemUIOp::create(b, index, countValue);
  Value round = arith::DivUIOp::create(b, index, countValue);
  Value two = idx(2);
  Value parity = arith::RemUIOp::create(b, round, two);
  Value slot32 = toI32(slot);
  Value parity32 = toI32(parity);
  return {slot32, parity32};
}

void Tcgen05KernelEmitter::emitCommit(Value barrier) {
  auto group = NVVM::CTAGroupKindAttr::get(ctx, NVVM::CTAGroupKind::CTA_1);
  NVVM::Tcgen05CommitOp::create(b, barrier, /*multicastMask=*/Value(), group);
}

void Tcgen05KernelEmitter::emitTcgen05Fence(NVVM::Tcgen05FenceKind kind) {
  auto kindAttr = NVVM::Tcgen05FenceKindAttr::get(ctx, kind);
  NVVM::Tcgen05FenceOp::create(b, kindAttr);
}

void Tcgen05KernelEmitter::emitPrologue() {
  emitSharedMemoryBase();
  Value warpSize = idx(kWarpSize);
  Value warp = arith::DivUIOp::create(b, tid, warpSize);

  // Thread 0 initializes the mbarriers. The stages, the partial sums and
  // the scale slots are released or published by tcgen05.commit (one
  // arrive each); the epilogue threads release a partial sum, each lane
  // of the scale warp publishes a slot.
  Value zero = idx(0);
  Value isFirst = arith::CmpIOp::create(b, arith::CmpIPredicate::eq, tid, zero);
  emitIf(b, isFirst, [&] {
    for (int64_t s = 0; s < cfg.stages; ++s) {
      Value stage32 = i32(s);
      Value full = fullBarrier(stage32);
      emitBarrierInit(full, 1);
      Value empty = emptyBarrier(stage32);
      emitBarrierInit(empty, 1);
    }
    for (int64_t buffer = 0; buffer < 2; ++buffer) {
      Value buffer32 = i32(buffer);
      Value full = partialFullBarrier(buffer32);
      emitBarrierInit(full, 1);
      Value empty = partialEmptyBarrier(buffer32);
      emitBarrierInit(empty, kEpilogueThreads);
    }
    for (int64_t slot = 0; slot < GemmTileConfig::kScaleSlots; ++slot) {
      Value slot32 = i32(slot);
      Value full = scaleFullBarrier(slot32);
      emitBarrierInit(full, kWarpSize);
      Value empty = scaleEmptyBarrier(slot32);
      emitBarrierInit(empty, 1);
    }
    emitBarrierInitFence();
  });

  // Warp 1 allocates the tensor memory; the address arrives in shared
  // memory. One CTA per SM, so the allocation never waits for another.
  Value tmemSlotOffset = i32(tensorMemorySlotOffset());
  Value tmemSlot = smemPtr(tmemSlotOffset);
  Value mmaWarp = idx(kMmaWarp);
  Value isMmaWarp =
      arith::CmpIOp::create(b, arith::CmpIPredicate::eq, warp, mmaWarp);
  auto group = NVVM::CTAGroupKindAttr::get(ctx, NVVM::CTAGroupKind::CTA_1);
  Value columns = i32(tensorMemoryColumns());
  emitIf(b, isMmaWarp, [&] {
    NVVM::Tcgen05AllocOp::create(b, tmemSlot, columns, group);
    NVVM::Tcgen05RelinquishAllocPermitOp::create(b, group);
    emitTcgen05Fence(NVVM::Tcgen05FenceKind::BEFORE_THREAD_SYNC);
  });
  gpu::BarrierOp::create(b);
  emitTcgen05Fence(NVVM::Tcgen05FenceKind::AFTER_THREAD_SYNC);
  tmemBase = LLVM::LoadOp::create(b, b.getI32Type(), tmemSlot);

  // With design (a) the epilogue warps set B's scale factors to 1.0 in
  // their lane quarters (all four columns: whatever lanes and bytes the MMA
  // reads for N <= 128 hold UE8M0 127); the second barrier publishes them
  // to the MMA thread.
  if (scalesB())
    return;
  Value firstEpilogueWarp = idx(kFirstEpilogueWarp);
  Value isEpilogue = arith::CmpIOp::create(b, arith::CmpIPredicate::uge, warp,
                                           firstEpilogueWarp);
  emitIf(b, isEpilogue, [&] {
    Value quarter = arith::SubIOp::create(b, warp, firstEpilogueWarp);
    Value quarter32 = toI32(quarter);
    Value laneShift = i32(16 + 5);
    Value laneBits = arith::ShLIOp::create(b, quarter32, laneShift);
    Value sfbColumn32 = i32(sfbColumn());
    Value column = arith::AddIOp::create(b, laneBits, sfbColumn32);
    Value address = tmemColumn(column);
    auto vectorType = VectorType::get({kScaleColumns}, b.getI32Type());
    auto ones =
        DenseElementsAttr::get(vectorType, b.getI32IntegerAttr(kUnitScales));
    Value unit = arith::ConstantOp::create(b, vectorType, ones);
    auto shape = NVVM::Tcgen05LdStShapeAttr::get(
        ctx, NVVM::Tcgen05LdStShape::SHAPE_32X32B);
    NVVM::Tcgen05StOp::create(b, /*unpack=*/nullptr, shape, address, unit,
                              /*offset=*/Value());
    auto store =
        NVVM::Tcgen05WaitKindAttr::get(ctx, NVVM::Tcgen05WaitKind::STORE);
    NVVM::Tcgen05WaitOp::create(b, store);
    emitTcgen05Fence(NVVM::Tcgen05FenceKind::BEFORE_THREAD_SYNC);
  });
  gpu::BarrierOp::create(b);
}

void Tcgen05KernelEmitter::emitMma(Value tiles, Value nTiles) {
  OpBuilder::InsertionGuard tileGuard(b);
  auto [tileLoop, m0, n0] = beginTileLoop(tiles, nTiles);
  (void)m0;
  (void)n0;
  Value kBlocksValue = idx(kBlocks());
  Value tileIteration = tileLoop.getRegionIterArgs()[0];
  // The tile's first scale slot use: Kp per tile before it.
  Value tileCount = arith::DivUIOp::create(b, tileIteration, kBlocksValue);
  Value wordsValue = idx(packedWords());
  Value firstWordUse = arith::MulIOp::create(b, tileCount, wordsValue);
  Value blockN32 = i32(cfg.blockN);
  // With the weight scales in the MMA, the tile accumulates in one buffer
  // (tile count % 2), which the epilogue must have read.
  Value tileAccumulator;
  if (scalesB()) {
    std::pair<Value, Value> tileBuffer = slotAndParity(tileCount, 2);
    Value one32 = i32(1);
    Value emptyParity = arith::XOrIOp::create(b, tileBuffer.second, one32);
    Value accumulatorEmpty = partialEmptyBarrier(tileBuffer.first);
    emitWait(accumulatorEmpty, emptyParity);
    Value column = arith::MulIOp::create(b, tileBuffer.first, blockN32);
    tileAccumulator = tmemColumn(column);
  }
  Value kStart = idx(0);
  Value kStep = idx(1);
  auto kLoop = scf::ForOp::create(b, kStart, kBlocksValue, kStep,
                                  ValueRange{tileIteration});
  {
    OpBuilder::InsertionGuard kGuard(b);
    b.setInsertionPointToStart(kLoop.getBody());
    Value kb = kLoop.getInductionVar();
    Value iteration = kLoop.getRegionIterArgs()[0];
    std::pair<Value, Value> position = ringPosition(iteration);
    Value stage32 = position.first;
    Value parity32 = position.second;
    std::pair<Value, Value> partial = slotAndParity(iteration, 2);
    Value buffer32 = partial.first;
    Value bufferParity32 = partial.second;
    Value perWord = idx(kBlocksPerWord);
    Value word = arith::DivUIOp::create(b, kb, perWord);
    Value byte = arith::RemUIOp::create(b, kb, perWord);
    Value wordUse = arith::AddIOp::create(b, firstWordUse, word);
    std::pair<Value, Value> scale =
        slotAndParity(wordUse, GemmTileConfig::kScaleSlots);
    Value slot32 = scale.first;
    Value slotParity32 = scale.second;
    Value zero = idx(0);
    Value firstOfWord =
        arith::CmpIOp::create(b, arith::CmpIPredicate::eq, byte, zero);

    // The partial sum buffer must have been read (the first use of each
    // passes at once), the stage must have arrived, and at the first K block
    // of a word its scales must be in their slot.
    if (!scalesB()) {
      Value one32 = i32(1);
      Value emptyParity = arith::XOrIOp::create(b, bufferParity32, one32);
      Value partialEmpty = partialEmptyBarrier(buffer32);
      emitWait(partialEmpty, emptyParity);
    }
    Value full = fullBarrier(stage32);
    emitWait(full, parity32);
    emitIf(b, firstOfWord, [&] {
      Value scaleFull = scaleFullBarrier(slot32);
      emitWait(scaleFull, slotParity32);
    });
    emitTcgen05Fence(NVVM::Tcgen05FenceKind::AFTER_THREAD_SYNC);

    // The slot's words into its tensor-memory columns (tcgen05.cp and the
    // MMAs after it run in issue order).
    Value scaleColumns = i32(kScaleColumns);
    Value slotColumnOffset = arith::MulIOp::create(b, slot32, scaleColumns);
    Value firstSlotColumn = i32(scaleSlotColumn(0));
    Value slotColumn =
        arith::AddIOp::create(b, slotColumnOffset, firstSlotColumn);
    Value sfa = tmemColumn(slotColumn);
    emitIf(b, firstOfWord, [&] {
      Value source = scaleSlotOffset(slot32);
      Value descriptor = matrixDescriptor(source, kScaleDescriptorBits);
      auto shape = NVVM::Tcgen05CpShapeAttr::get(
          ctx, NVVM::Tcgen05CpShape::SHAPE_32x128b);
      auto group = NVVM::CTAGroupKindAttr::get(ctx, NVVM::CTAGroupKind::CTA_1);
      auto warpx4 = NVVM::Tcgen05CpMulticastAttr::get(
          ctx, NVVM::Tcgen05CpMulticast::WARPX4);
      NVVM::Tcgen05CpOp::create(b, shape, group, warpx4,
                                /*srcFormat=*/nullptr, sfa, descriptor);
      if (scalesB()) {
        Value weightSource = weightSlotOffset(slot32);
        Value weightDescriptor =
            matrixDescriptor(weightSource, kScaleDescriptorBits);
        Value weightColumn = weightSlotColumn(slot32);
        Value sfbSlot = tmemColumn(weightColumn);
        NVVM::Tcgen05CpOp::create(b, shape, group, warpx4,
                                  /*srcFormat=*/nullptr, sfbSlot,
                                  weightDescriptor);
      }
    });

    // Four k32 MMAs into partial sum `buffer` (or the tile's accumulator),
    // A's scale byte kb % 4 (and B's, when the weight scales are in the
    // MMA).
    Value byte32 = toI32(byte);
    Value idShift = i32(kScaleFactorIdShift);
    Value sfId = arith::ShLIOp::create(b, byte32, idShift);
    Value idescBase =
        i32(static_cast<int32_t>(getInstructionDescriptor(cfg.blockN)));
    Value idesc = arith::OrIOp::create(b, idescBase, sfId);
    Value accumulator = tileAccumulator;
    Value sfb;
    if (scalesB()) {
      Value bIdShift = i32(kBScaleFactorIdShift);
      Value bSfId = arith::ShLIOp::create(b, byte32, bIdShift);
      idesc = arith::OrIOp::create(b, idesc, bSfId);
      Value weightColumn = weightSlotColumn(slot32);
      sfb = tmemColumn(weightColumn);
    } else {
      Value partialColumn = arith::MulIOp::create(b, buffer32, blockN32);
      accumulator = tmemColumn(partialColumn);
      Value sfbColumn32 = i32(sfbColumn());
      sfb = tmemColumn(sfbColumn32);
    }
    // The first MMA of a partial sum (of a tile, with the weight scales in
    // the MMA) starts it.
    Value startsSum;
    if (scalesB())
      startsSum = arith::CmpIOp::create(b, arith::CmpIPredicate::ne, kb, zero);
    Value aBase = aTileOffset(stage32);
    Value bBase = bTileOffset(stage32);
    auto kind = NVVM::MMABlockScaleKindAttr::get(
        ctx, NVVM::MMABlockScaleKind::MXF8F6F4);
    auto group = NVVM::CTAGroupKindAttr::get(ctx, NVVM::CTAGroupKind::CTA_1);
    auto block32 = NVVM::Tcgen05MMABlockScaleAttr::get(
        ctx, NVVM::Tcgen05MMABlockScale::BLOCK32);
    auto discard = NVVM::Tcgen05MMACollectorOpAttr::get(
        ctx, NVVM::Tcgen05MMACollectorOp::DISCARD);
    // The descriptors' start fields once per stage, as on sm_90a (where
    // building each descriptor from its address cost 14% of the kernel's
    // instructions at M = 1): one thread issues every MMA here.
    Value aStart = matrixDescriptorStart(aBase);
    Value bStart = matrixDescriptorStart(bBase);
    for (int64_t k = 0; k < kGemmBlockK / kGemmMmaK; ++k) {
      auto [aDescriptor, bDescriptor] =
          sliceDescriptors(aStart, bStart, k, kOperandDescriptorBits);
      Value accumulate = startsSum;
      if (!startsSum || k > 0)
        accumulate = arith::ConstantIntOp::create(b, k > 0 ? 1 : 0, 1);
      NVVM::Tcgen05MMABlockScaleOp::create(
          b, kind, group, block32, discard, accumulator, aDescriptor,
          bDescriptor, idesc, accumulate, sfa, sfb);
    }

    // When the MMAs are done: the stage is free, the partial sum (the
    // tile's accumulator after its last K block) is ready, and after a
    // word's last K block its scale slot is free.
    Value empty = emptyBarrier(stage32);
    emitCommit(empty);
    if (!scalesB()) {
      Value partialFull = partialFullBarrier(buffer32);
      emitCommit(partialFull);
    }
    Value lastByte = idx(kBlocksPerWord - 1);
    Value endsWord =
        arith::CmpIOp::create(b, arith::CmpIPredicate::eq, byte, lastByte);
    Value lastBlock = idx(kBlocks() - 1);
    Value isLast =
        arith::CmpIOp::create(b, arith::CmpIPredicate::eq, kb, lastBlock);
    if (scalesB()) {
      emitIf(b, isLast, [&] {
        Value tileBuffer = accumulatorBuffer(tileCount);
        Value accumulatorFull = partialFullBarrier(tileBuffer);
        emitCommit(accumulatorFull);
      });
    }
    Value releasesSlot = arith::OrIOp::create(b, endsWord, isLast);
    emitIf(b, releasesSlot, [&] {
      Value scaleEmpty = scaleEmptyBarrier(slot32);
      emitCommit(scaleEmpty);
    });
    Value one = idx(1);
    Value next = arith::AddIOp::create(b, iteration, one);
    scf::YieldOp::create(b, ValueRange{next});
  }
  scf::YieldOp::create(b, kLoop.getResults());
}

Value Tcgen05KernelEmitter::emitWeightScaleWord(Value weightRow, Value word) {
  Value perWord = idx(kBlocksPerWord);
  Value firstBlock = arith::MulIOp::create(b, word, perWord);
  Value lastBlock = idx(kBlocks() - 1);
  Value exponentShift = i32(23);
  Value byteMask = i32(0xFF);
  Value unit = i32(kUnitScale);
  Value result = i32(0);
  for (int64_t byte = 0; byte < kBlocksPerWord; ++byte) {
    Value byteIndex = idx(byte);
    Value kb = arith::AddIOp::create(b, firstBlock, byteIndex);
    Value inRange =
        arith::CmpIOp::create(b, arith::CmpIPredicate::ule, kb, lastBlock);
    Value clamped = arith::MinUIOp::create(b, kb, lastBlock);
    Value scale = memref::LoadOp::create(b, sb, ValueRange{weightRow, clamped});
    Value bits = arith::BitcastOp::create(b, b.getI32Type(), scale);
    Value shifted = arith::ShRUIOp::create(b, bits, exponentShift);
    Value exponent = arith::AndIOp::create(b, shifted, byteMask);
    Value selected = arith::SelectOp::create(b, inRange, exponent, unit);
    Value position = i32(8 * byte);
    Value placed = arith::ShLIOp::create(b, selected, position);
    result = arith::OrIOp::create(b, result, placed);
  }
  return result;
}

void Tcgen05KernelEmitter::emitScaleLoader(Value tiles, Value nTiles) {
  Value warpSize = idx(kWarpSize);
  Value lane = arith::RemUIOp::create(b, tid, warpSize);
  Value lane32 = toI32(lane);
  Value zero = idx(0);
  Value one = idx(1);
  // Rows M .. Mpad - 1 hold zero words; rows from Mpad on are read as 0.
  Value paddedRows = memref::DimOp::create(b, sa, one);
  Value lastRow = arith::SubIOp::create(b, paddedRows, one);
  Value zero32 = i32(0);

  OpBuilder::InsertionGuard tileGuard(b);
  // The tile loop counts scale slot uses: Kp per tile.
  auto [tileLoop, m0, n0] = beginTileLoop(tiles, nTiles);
  Value words = idx(packedWords());
  // The tile's row of 128x128 weight scale blocks (design (b)).
  Value weightRow;
  if (scalesB()) {
    Value scaleBlock = idx(128);
    weightRow = arith::DivUIOp::create(b, n0, scaleBlock);
  }
  Value wordUseIn = tileLoop.getRegionIterArgs()[0];
  auto wordLoop =
      scf::ForOp::create(b, zero, words, one, ValueRange{wordUseIn});
  {
    OpBuilder::InsertionGuard wordGuard(b);
    b.setInsertionPointToStart(wordLoop.getBody());
    Value word = wordLoop.getInductionVar();
    Value wordUse = wordLoop.getRegionIterArgs()[0];
    std::pair<Value, Value> scale =
        slotAndParity(wordUse, GemmTileConfig::kScaleSlots);
    Value slot32 = scale.first;
    Value parity32 = scale.second;

    // Load first (the slot is likely still in use), then wait for it.
    SmallVector<Value> values;
    for (int64_t part = 0; part < kTileM / kWarpSize; ++part) {
      Value partRows = idx(part * kWarpSize);
      Value local = arith::AddIOp::create(b, partRows, lane);
      Value row = arith::AddIOp::create(b, m0, local);
      Value inRange =
          arith::CmpIOp::create(b, arith::CmpIPredicate::ult, row, paddedRows);
      Value clamped = arith::MinUIOp::create(b, row, lastRow);
      Value loaded = memref::LoadOp::create(b, sa, ValueRange{word, clamped});
      values.push_back(arith::SelectOp::create(b, inRange, loaded, zero32));
    }
    // Design (b): the UE8M0 bytes of the weight scales of K blocks 4 p ..
    // 4 p + 3 (the exponent field of the f32 power of two; 1.0 past K),
    // one word for every row of N.
    Value weightWord;
    if (scalesB())
      weightWord = emitWeightScaleWord(weightRow, word);
    Value one32 = i32(1);
    Value emptyParity = arith::XOrIOp::create(b, parity32, one32);
    Value scaleEmpty = scaleEmptyBarrier(slot32);
    emitWait(scaleEmpty, emptyParity);

    // Row `lane` of the 32 x 16-byte source: the words of rows lane,
    // 32 + lane, 64 + lane, 96 + lane.
    auto vectorType = VectorType::get({kScaleColumns}, b.getI32Type());
    Value packed = vector::FromElementsOp::create(b, vectorType, values);
    Value slotOffset = scaleSlotOffset(slot32);
    Value sixteen = i32(16);
    Value laneOffset = arith::MulIOp::create(b, lane32, sixteen);
    Value offset = arith::AddIOp::create(b, slotOffset, laneOffset);
    Value destination = smemPtr(offset);
    LLVM::StoreOp::create(b, packed, destination, /*alignment=*/16);
    if (scalesB()) {
      SmallVector<Value> weightWords(kScaleColumns, weightWord);
      Value weightPacked =
          vector::FromElementsOp::create(b, vectorType, weightWords);
      Value weightSlot = weightSlotOffset(slot32);
      Value weightOffset = arith::AddIOp::create(b, weightSlot, laneOffset);
      Value weightDestination = smemPtr(weightOffset);
      LLVM::StoreOp::create(b, weightPacked, weightDestination,
                            /*alignment=*/16);
    }
    // Make the stores visible to tcgen05.cp (the async proxy).
    auto asyncShared =
        NVVM::ProxyKindAttr::get(ctx, NVVM::ProxyKind::async_shared);
    auto cta = NVVM::SharedSpaceAttr::get(ctx, NVVM::SharedSpace::shared_cta);
    NVVM::FenceProxyOp::create(b, asyncShared, cta);
    Value scaleFull = scaleFullBarrier(slot32);
    emitArrive(scaleFull);
    Value next = arith::AddIOp::create(b, wordUse, one);
    scf::YieldOp::create(b, ValueRange{next});
  }
  scf::YieldOp::create(b, wordLoop.getResults());
}

SmallVector<Value> Tcgen05KernelEmitter::emitLoadPartial(Value address32,
                                                         int64_t columns) {
  Value address = tmemAddress(address32);
  auto vectorType = VectorType::get({columns}, b.getI32Type());
  auto shape = NVVM::Tcgen05LdStShapeAttr::get(
      ctx, NVVM::Tcgen05LdStShape::SHAPE_32X32B);
  Value loaded = NVVM::Tcgen05LdOp::create(b, vectorType, /*pack=*/nullptr,
                                           shape, address, /*offset=*/Value());
  SmallVector<Value> values;
  for (int64_t i = 0; i < columns; ++i)
    values.push_back(vector::ExtractOp::create(b, loaded, i));
  // The wait for the load has the loaded registers as operands and
  // results, so no use of them is scheduled before it.
  Value waited =
      emitRegisterTiedWait(values, "tcgen05.wait::ld.sync.aligned;", "r");
  SmallVector<Value> results;
  Type f32 = b.getF32Type();
  for (int64_t i = 0; i < columns; ++i) {
    Value bits = LLVM::ExtractValueOp::create(b, waited, i);
    results.push_back(arith::BitcastOp::create(b, f32, bits));
  }
  return results;
}

void Tcgen05KernelEmitter::emitResultStore(Value row, Value rowValid,
                                           Value col0, Value nValue,
                                           int64_t offset,
                                           ArrayRef<Value> values) {
  Value offsetValue = idx(offset);
  Value col = arith::AddIOp::create(b, col0, offsetValue);
  Value colValid =
      arith::CmpIOp::create(b, arith::CmpIPredicate::ult, col, nValue);
  Value valid = arith::AndIOp::create(b, rowValid, colValid);
  Value vector = truncToVector(b, values, spec.resultType);
  emitGuardedStore(b, valid, vector, d, ValueRange{row, col},
                   /*alignBytes=*/16);
}

Value Tcgen05KernelEmitter::tmemBufferRow(Value lanesBase, Value buffer32) {
  Value blockN32 = i32(cfg.blockN);
  Value bufferColumn = arith::MulIOp::create(b, buffer32, blockN32);
  return arith::AddIOp::create(b, lanesBase, bufferColumn);
}

void Tcgen05KernelEmitter::emitDrainTmemBuffer(
    Value bufferRow, Value buffer32,
    function_ref<void(int64_t, ArrayRef<Value>)> consume) {
  int64_t chunk = std::min(kLoadColumns, cfg.blockN);
  for (int64_t first = 0; first < cfg.blockN; first += chunk) {
    Value firstColumn = i32(first);
    Value address = arith::AddIOp::create(b, bufferRow, firstColumn);
    SmallVector<Value> values = emitLoadPartial(address, chunk);
    if (first + chunk == cfg.blockN) {
      // The whole buffer is in registers: release it.
      emitTcgen05Fence(NVVM::Tcgen05FenceKind::BEFORE_THREAD_SYNC);
      Value bufferEmpty = partialEmptyBarrier(buffer32);
      emitArrive(bufferEmpty);
    }
    consume(first, values);
  }
}

void Tcgen05KernelEmitter::emitEpilogue(Value tiles, Value nTiles, Value warp,
                                        Value lane) {
  // Warp w reads lanes 32 (w % 4) .. + 31: row 32 (w % 4) + lane.
  Value firstEpilogueWarp = idx(kFirstEpilogueWarp);
  Value quarter = arith::SubIOp::create(b, warp, firstEpilogueWarp);
  Value warpSize = idx(kWarpSize);
  Value quarterRows = arith::MulIOp::create(b, quarter, warpSize);
  Value localRow = arith::AddIOp::create(b, quarterRows, lane);
  Value quarter32 = toI32(quarter);
  Value laneShift = i32(16 + 5);
  Value laneBits = arith::ShLIOp::create(b, quarter32, laneShift);
  Value lanesBase = arith::AddIOp::create(b, tmemBase, laneBits);
  Value lastCol = idx(spec.n - 1);

  OpBuilder::InsertionGuard tileGuard(b);
  auto [tileLoop, m0, n0] = beginTileLoop(tiles, nTiles);
  Value tileCol = arith::MinUIOp::create(b, n0, lastCol);
  Value zeroF = constF32(b, 0.0f);
  SmallVector<Value> init{tileLoop.getRegionIterArgs()[0]};
  init.append(cfg.blockN, zeroF);
  Value kStart = idx(0);
  Value kStep = idx(1);
  Value kBlocksValue = idx(kBlocks());
  auto kLoop = scf::ForOp::create(b, kStart, kBlocksValue, kStep, init);
  {
    OpBuilder::InsertionGuard kGuard(b);
    b.setInsertionPointToStart(kLoop.getBody());
    Value kb = kLoop.getInductionVar();
    Value iteration = kLoop.getRegionIterArgs()[0];
    auto acc = kLoop.getRegionIterArgs().drop_front();
    std::pair<Value, Value> partial = slotAndParity(iteration, 2);
    Value buffer32 = partial.first;
    Value bufferParity32 = partial.second;
    // The weight scale of this K block (one per tile: a tile never
    // straddles a 128-column block), loaded while the MMAs run.
    Value scale = emitMatmulWeightScale(b, spec.bFormat, sb, tileCol, kb);

    Value partialFull = partialFullBarrier(buffer32);
    emitWait(partialFull, bufferParity32);
    emitTcgen05Fence(NVVM::Tcgen05FenceKind::AFTER_THREAD_SYNC);
    Value bufferRow = tmemBufferRow(lanesBase, buffer32);
    SmallVector<Value> next;
    Value one = idx(1);
    next.push_back(arith::AddIOp::create(b, iteration, one));
    emitDrainTmemBuffer(
        bufferRow, buffer32, [&](int64_t first, ArrayRef<Value> sums) {
          // Promotion: acc += partial x sb (the partial sum holds sa
          // already).
          for (auto [i, sum] : llvm::enumerate(sums))
            next.push_back(emitFma(b, sum, scale, acc[first + i]));
        });
    scf::YieldOp::create(b, next);
  }

  // D = RN(acc): this thread's row, 16 bytes per store.
  Type resultType = spec.resultType;
  int64_t width = 16 / (resultType.getIntOrFloatBitWidth() / 8);
  Value row = arith::AddIOp::create(b, m0, localRow);
  Value rowValid =
      arith::CmpIOp::create(b, arith::CmpIPredicate::ult, row, rows);
  Value nValue = idx(spec.n);
  auto results = kLoop.getResults().drop_front();
  for (int64_t first = 0; first < cfg.blockN; first += width) {
    SmallVector<Value> values(results.begin() + first,
                              results.begin() + first + width);
    emitResultStore(row, rowValid, n0, nValue, first, values);
  }
  scf::YieldOp::create(b, ValueRange{kLoop.getResults().front()});
}

void Tcgen05KernelEmitter::emitTileEpilogue(Value tiles, Value nTiles,
                                            Value warp, Value lane) {
  // Warp w reads lanes 32 (w % 4) .. + 31: row 32 (w % 4) + lane.
  Value firstEpilogueWarp = idx(kFirstEpilogueWarp);
  Value quarter = arith::SubIOp::create(b, warp, firstEpilogueWarp);
  Value warpSize = idx(kWarpSize);
  Value quarterRows = arith::MulIOp::create(b, quarter, warpSize);
  Value localRow = arith::AddIOp::create(b, quarterRows, lane);
  Value quarter32 = toI32(quarter);
  Value laneShift = i32(16 + 5);
  Value laneBits = arith::ShLIOp::create(b, quarter32, laneShift);
  Value lanesBase = arith::AddIOp::create(b, tmemBase, laneBits);
  Value kBlocksValue = idx(kBlocks());
  Value nValue = idx(spec.n);

  OpBuilder::InsertionGuard tileGuard(b);
  auto [tileLoop, m0, n0] = beginTileLoop(tiles, nTiles);
  Value iteration = tileLoop.getRegionIterArgs()[0];
  Value tileCount = arith::DivUIOp::create(b, iteration, kBlocksValue);
  std::pair<Value, Value> tileBuffer = slotAndParity(tileCount, 2);
  Value buffer32 = tileBuffer.first;
  Value row = arith::AddIOp::create(b, m0, localRow);
  Value rowValid =
      arith::CmpIOp::create(b, arith::CmpIPredicate::ult, row, rows);
  Value accumulatorFull = partialFullBarrier(buffer32);
  emitWait(accumulatorFull, tileBuffer.second);
  emitTcgen05Fence(NVVM::Tcgen05FenceKind::AFTER_THREAD_SYNC);
  Value bufferRow = tmemBufferRow(lanesBase, buffer32);
  // D = RN(accumulator), this thread's row, 32 columns at a time, 16 bytes
  // per store; the accumulator goes back to the next tile but one.
  Type resultType = spec.resultType;
  int64_t width = 16 / (resultType.getIntOrFloatBitWidth() / 8);
  Value tileFirstCol = n0; // a lambda cannot capture a structured binding
  emitDrainTmemBuffer(
      bufferRow, buffer32, [&](int64_t first, ArrayRef<Value> sums) {
        for (int64_t group = 0; group < static_cast<int64_t>(sums.size());
             group += width)
          emitResultStore(row, rowValid, tileFirstCol, nValue, first + group,
                          sums.slice(group, width));
      });
  Value next = arith::AddIOp::create(b, iteration, kBlocksValue);
  scf::YieldOp::create(b, ValueRange{next});
}

void Tcgen05KernelEmitter::emit() {
  tid = gpu::ThreadIdOp::create(b, gpu::Dimension::x);
  emitPrologue();
  Value blockM = idx(kTileM);
  Value blockMMinusOne = idx(kTileM - 1);
  Value bumped = arith::AddIOp::create(b, rows, blockMMinusOne);
  Value mTiles = arith::DivUIOp::create(b, bumped, blockM);
  Value nTiles = idx(llvm::divideCeil(spec.n, cfg.blockN));
  Value tiles = arith::MulIOp::create(b, mTiles, nTiles);
  Value warpSize = idx(kWarpSize);
  Value warp = arith::DivUIOp::create(b, tid, warpSize);
  Value lane = arith::RemUIOp::create(b, tid, warpSize);
  Value zero = idx(0);
  Value isLeader =
      arith::CmpIOp::create(b, arith::CmpIPredicate::eq, lane, zero);

  Value producerWarp = idx(kProducerWarp);
  Value isProducerWarp =
      arith::CmpIOp::create(b, arith::CmpIPredicate::eq, warp, producerWarp);
  Value isProducer = arith::AndIOp::create(b, isProducerWarp, isLeader);
  Value kBlocksValue = idx(kBlocks());
  emitIf(b, isProducer, [&] { emitProducerLoop(tiles, nTiles, kBlocksValue); });

  Value mmaWarp = idx(kMmaWarp);
  Value isMmaWarp =
      arith::CmpIOp::create(b, arith::CmpIPredicate::eq, warp, mmaWarp);
  Value isMmaIssuer = arith::AndIOp::create(b, isMmaWarp, isLeader);
  emitIf(b, isMmaIssuer, [&] { emitMma(tiles, nTiles); });

  Value scaleWarp = idx(kScaleWarp);
  Value isScaleWarp =
      arith::CmpIOp::create(b, arith::CmpIPredicate::eq, warp, scaleWarp);
  emitIf(b, isScaleWarp, [&] { emitScaleLoader(tiles, nTiles); });

  Value firstEpilogueWarp = idx(kFirstEpilogueWarp);
  Value isEpilogue = arith::CmpIOp::create(b, arith::CmpIPredicate::uge, warp,
                                           firstEpilogueWarp);
  emitIf(b, isEpilogue, [&] {
    if (scalesB())
      emitTileEpilogue(tiles, nTiles, warp, lane);
    else
      emitEpilogue(tiles, nTiles, warp, lane);
  });

  // Every read of the tensor memory is done before warp 1 frees it.
  emitTcgen05Fence(NVVM::Tcgen05FenceKind::BEFORE_THREAD_SYNC);
  gpu::BarrierOp::create(b);
  emitIf(b, isMmaWarp, [&] {
    emitTcgen05Fence(NVVM::Tcgen05FenceKind::AFTER_THREAD_SYNC);
    Value base = tmemAddress(tmemBase);
    Value columns = i32(tensorMemoryColumns());
    auto group = NVVM::CTAGroupKindAttr::get(ctx, NVVM::CTAGroupKind::CTA_1);
    NVVM::Tcgen05DeallocOp::create(b, base, columns, group);
  });
}

gpu::GPUFuncOp codegen::buildTcgen05MatmulKernel(OpBuilder &moduleBuilder,
                                                 Location loc,
                                                 const MatmulSpec &spec,
                                                 const GemmTileConfig &cfg,
                                                 const TargetChipInfo &chip) {
  (void)chip; // sm_100a only (canUseTensorCoreMatmul).
  assert(cfg.tcgen05 && cfg.blockM == kTileM && cfg.consumers == 1 &&
         "not a tcgen05 tile configuration");
  gpu::GPUFuncOp func = createTmaGemmFunction(
      moduleBuilder, loc, spec, getTensorCoreMatmulKernelName(spec, cfg),
      cfg.threads());
  ImplicitLocOpBuilder b(loc, moduleBuilder.getContext());
  b.setInsertionPointToStart(&func.getBody().front());
  Tcgen05KernelEmitter(b, spec, cfg, func).emit();
  gpu::ReturnOp::create(b);
  return func;
}
