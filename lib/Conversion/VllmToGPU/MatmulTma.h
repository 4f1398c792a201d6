//===- MatmulTma.h - TMA-fed GEMM building blocks ----------------*- C++
//-*-===//
//
// Part of the vllm-mlir project.
//
//===----------------------------------------------------------------------===//
//
// What the tensor-core GEMM kernels of both chips share (MatmulSM90a.cpp,
// MatmulSM100a.cpp): the kernel function and its dynamic shared memory, the
// ring of TMA stages with its `full` / `empty` mbarriers, the persistent
// loop over the tiles of D, and the producer thread that fills the ring.
//
// Shared memory, from the 1024-aligned base: stages x A tiles (blockM x
// 128 bytes), stages x B tiles (blockN x 128 bytes), the kernel's own
// buffers (GemmTileConfig::extraBufferBytes), then the mbarriers: full[s],
// empty[s] for each stage, then the kernel's own mbarriers.
//
//===----------------------------------------------------------------------===//

#ifndef VLLM_MLIR_LIB_CONVERSION_VLLMTOGPU_MATMULTMA_H
#define VLLM_MLIR_LIB_CONVERSION_VLLMTOGPU_MATMULTMA_H

#include "Codegen.h"

#include "mlir/Dialect/SCF/IR/SCF.h"

#include <tuple>

namespace mlir {
namespace vllm {
namespace codegen {

/// K of a pipeline stage: one block of the 1x128 / 128x128 scales.
constexpr int64_t kGemmBlockK = 128;
/// K of one fp8 MMA (wgmma and tcgen05.mma alike).
constexpr int64_t kGemmMmaK = 32;
/// Byte stride between groups of 8 rows of a K-major tile with the 128-byte
/// swizzle (8 rows x 128 bytes), the descriptors' stride byte offset, and
/// the alignment the swizzle pattern assumes for a tile's start.
constexpr int64_t kSwizzleAtomBytes = 1024;
/// Rows of tiles per group of the persistent loop's tile order
/// (TmaGemmEmitter::beginWorkLoop), as CUTLASS's and Triton's grouped
/// orders use.
constexpr int64_t kTileGroupRows = 8;
/// Suspend-time hint of mbarrier.try_wait (ns), as CUTLASS uses.
constexpr int64_t kWaitHintNs = 0x989680;

/// Emits a TMA-fed GEMM kernel body. Values named *32 are i32, the others
/// index unless they are pointers. The kernel's operands are those of
/// buildWgmmaMatmulKernel.
class TmaGemmEmitter {
public:
  TmaGemmEmitter(ImplicitLocOpBuilder &b, const MatmulSpec &spec,
                 const GemmTileConfig &cfg, gpu::GPUFuncOp func);
  /// The SMs of the chip, which the tail split of the work units depends on
  /// (cfg.tailSplits > 1).
  void setNumSMs(int64_t count) { numSMs = count; }

protected:
  // Constants and conversions.
  Value i32(int64_t value) { return constI32(b, static_cast<int32_t>(value)); }
  Value idx(int64_t value) { return constIndex(b, value); }
  Value toI32(Value index);

  // Shared memory.
  int64_t aTileBytes() const { return cfg.blockM * kGemmBlockK; }
  int64_t bTileBytes() const { return cfg.blockN * kGemmBlockK; }
  /// The first byte after the stages' tiles.
  int64_t buffersOffset() const { return cfg.stages * cfg.stageBytes(); }
  int64_t barriersOffset() const {
    return buffersOffset() + cfg.extraBufferBytes();
  }
  /// The first byte after full[] and empty[].
  int64_t extraBarriersOffset() const {
    return barriersOffset() + 16 * cfg.stages;
  }
  /// `base` + `offset32` bytes.
  Value smemPtr(Value offset32);
  /// The mbarrier at `offset` + 8 x `index32` bytes.
  Value barrierAt(int64_t offset, Value index32);
  Value fullBarrier(Value stage32);
  Value emptyBarrier(Value stage32);
  /// Byte offsets of stage `stage32`'s A and B tiles (i32).
  Value aTileOffset(Value stage32);
  Value bTileOffset(Value stage32);
  /// The 64-bit shared-memory matrix descriptor of a K-major, 128-byte
  /// swizzled tile row group starting `byteOffset32` bytes into shared
  /// memory: start address >> 4 (bits 0-13), `fixedBits` for the rest.
  Value matrixDescriptor(Value byteOffset32, uint64_t fixedBits);
  /// The start-address field of that descriptor (i32): the shared-memory
  /// address of `byteOffset32`, bits 4-17. A CTA's shared memory lies below
  /// 2^18 bytes, so the field of an address 16 j bytes further is this plus
  /// j, with no carry out of the field's 14 bits.
  Value matrixDescriptorStart(Value byteOffset32);
  /// The descriptor of start field `start32` (i32) and `fixedBits`.
  Value matrixDescriptorFromStart(Value start32, uint64_t fixedBits);
  /// The A and B descriptors of the k-th k32 slice of a stage whose tiles
  /// have the start fields `aStart32` and `bStart32`: within the 128-byte
  /// swizzled rows the slice starts 32 k bytes further (GEMM.md pitfall 1:
  /// not 4096), 2 k in the start field.
  std::pair<Value, Value> sliceDescriptors(Value aStart32, Value bStart32,
                                           int64_t k, uint64_t fixedBits);

  /// The 1024-aligned base of the dynamic shared memory (sets smemBase).
  void emitSharedMemoryBase();
  /// Initializes mbarrier `barrier` for `count` arrivals.
  void emitBarrierInit(Value barrier, int64_t count);
  /// Makes initialized barriers visible to the async proxy (TMA, tensor
  /// cores) and to the other threads; to be followed by a CTA barrier.
  void emitBarrierInitFence();
  void emitWait(Value barrier, Value parity32);
  /// One arrive of the executing thread.
  void emitArrive(Value barrier);

  /// One unit of work of the persistent loop: a tile of D and, where K is
  /// split (cfg.splits > 1), one of its K ranges.
  struct WorkUnit {
    scf::ForOp loop;
    /// The tile's first row and column.
    Value m0, n0;
    /// With K split: the tile's index among the split tiles (its counter
    /// in the workspace), the range's index, the tile's number of ranges
    /// and the range's K blocks [kBegin, kEnd); null without split (the
    /// whole of K).
    Value tile, split, splits, kBegin, kEnd;
    /// With tail splits (cfg.tailSplits > 1): whether this unit is a range
    /// of a split tile (i1); the others are whole tiles (kBegin = 0, kEnd =
    /// the K blocks). Null otherwise.
    Value isSplit;
  };
  /// Starts the persistent loop over the work units (blockIdx.x, then every
  /// gridDim.x-th; with cfg.splits, unit u is range u % splits of tile u /
  /// splits; with cfg.tailSplits, as emitTailSplit says) that carries the
  /// ring's use count and `extraInit`, with the insertion point in its body.
  WorkUnit beginWorkLoop(Value tiles, Value nTiles, ValueRange extraInit = {});
  /// beginWorkLoop for kernels that do not split K: the loop and the tile's
  /// first row and column.
  std::tuple<scf::ForOp, Value, Value> beginTileLoop(Value tiles, Value nTiles,
                                                     ValueRange extraInit = {});
  /// Emits `instruction` (a wait for asynchronous results) as inline asm
  /// that takes `values` as tied operands (register class `registerClass`,
  /// "f" or "r") and returns them as a literal struct, so that no use of
  /// the values is scheduled before the wait (GEMM.md pitfall 3).
  Value emitRegisterTiedWait(ValueRange values, StringRef instruction,
                             StringRef registerClass);
  /// The ring position of use `iteration`: (stage, phase parity), i32.
  std::pair<Value, Value> ringPosition(Value iteration);
  /// A loop that fills the ring's stages: for each (work unit, K block) of
  /// this CTA, in the ring's order, waits until the stage is empty and
  /// calls `fillStage(unit, kb, stage32)`; `beginUnit(unit)` runs once per
  /// work unit, before its K blocks.
  void emitStageFillLoop(
      Value tiles, Value nTiles, Value kBlocks,
      function_ref<void(const WorkUnit &)> beginUnit,
      function_ref<void(const WorkUnit &, Value, Value)> fillStage);
  /// The producer's loop, run by one thread: for each (work unit, K
  /// block), wait for the stage to be empty, expect its bytes on `full` and
  /// copy A and B into it.
  void emitProducerLoop(Value tiles, Value nTiles, Value kBlocks);

  ImplicitLocOpBuilder &b;
  const MatmulSpec &spec;
  const GemmTileConfig &cfg;
  MLIRContext *ctx;
  Type ptr3;
  Value aMap, bMap, rows, sa, sb, d;
  /// The split-K workspace (kSplitKCounterRegionBytes), null without split.
  Value workspace;
  Value smemBase;
  Value tid;
  int64_t numSMs = 0;
};

/// The kernel function of a TMA-fed GEMM named `name` with `threads`
/// threads per CTA, in the gpu.module of `moduleBuilder`'s insertion point,
/// with the module's dynamic shared memory declared; its entry block is
/// empty. Its arguments: A's and B's tensor maps, M, sa, sb, D and, with
/// `splitWorkspace`, the split-K workspace.
gpu::GPUFuncOp createTmaGemmFunction(OpBuilder &moduleBuilder, Location loc,
                                     const MatmulSpec &spec, StringRef name,
                                     int64_t threads,
                                     bool splitWorkspace = false);

/// The global every GEMM kernel takes its dynamic shared memory from.
FlatSymbolRefAttr getGemmSharedMemorySymbol(MLIRContext *ctx);

} // namespace codegen
} // namespace vllm
} // namespace mlir

#endif // VLLM_MLIR_LIB_CONVERSION_VLLMTOGPU_MATMULTMA_H
