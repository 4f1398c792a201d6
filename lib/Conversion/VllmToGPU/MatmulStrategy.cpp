//===- MatmulStrategy.cpp - tile strategy of the tensor-core GEMM ---------===//
//
// Part of the vllm-mlir project.
//
//===----------------------------------------------------------------------===//
//
// The tile strategy of scaled_matmul on tensor cores is data: a table keyed
// by the chip and the range of M, read by one function, separate from the
// kernel emitters (MatmulSM90a.cpp). The host launches the variant whose
// range holds the run-time M (HostLaunch.cpp).
//
// The table follows how the fastest public FP8 GEMM is organized
// (../shared/docs/GEMM.md): 128-wide K blocks (one scale block per stage),
// 64 rows per consumer warpgroup, as many stages as shared memory allows.
// At small M the grid has few tiles. On sm_90a below M = 257
// the tiles keep 128 columns and their K blocks are split into consecutive
// ranges, one CTA each, until tiles x ranges cover the SMs; elsewhere (and
// with matmul-split-k=1) the N tile shrinks until the tiles cover the SMs.
// Either way the kernel reads the weights with every SM.
//
//===----------------------------------------------------------------------===//

#include "MatmulTma.h"

using namespace mlir;
using namespace mlir::vllm;
using namespace mlir::vllm::codegen;

/// Dynamic shared memory a CTA may use on sm_90 and sm_100 (227 KiB).
constexpr int64_t kMaxDynamicSharedMemory = 227 * 1024;
/// At most this many stages, even where shared memory holds more: up to 21
/// (the m64n16 tiles) were up to 19% slower than 8 below M = 2048 on the
/// H100 and no faster elsewhere (docs/gemm.md, "Measured").
constexpr int64_t kMaxStages = 8;

namespace {
/// One row of the strategy table: from `minRows` rows on, tiles of
/// `consumers` x 64 rows, and an N tile no larger than `maxBlockN`; with
/// `splitK` (sm_90a), where the range's smallest M gives too few tiles of
/// `maxBlockN` columns for the SMs, K split across CTAs instead of
/// narrower tiles; with `byWaves` (sm_90a), the N tile chosen for each
/// count of row tiles in the range by the waves it takes
/// (chooseBlockNByWaves).
struct StrategyRow {
  int64_t minRows;
  int64_t consumers;
  int64_t maxBlockN;
  bool splitK;
  bool byWaves = false;
  /// sm_90a: the tiles of a last, partial wave split along K
  /// (GemmTileConfig::tailSplits), which the waves model accounts for.
  bool tailSplit = false;
};
} // namespace

/// sm_90a. Decode sizes (M <= 64) take one consumer warpgroup, larger M two.
/// The N tile is at most 128 (the accumulators and the partial sums of a
/// K block, 2 x 64 f32 per thread, stay in registers) and shrinks where the
/// range's smallest M gives too few tiles for the SMs.
static constexpr StrategyRow kSM90aTable[] = {
    {1, 1, 128, true},
    {65, 2, 128, true},
    {257, 2, 256, false, /*byWaves=*/true, /*tailSplit=*/true},
    {4097, 2, 256, false, /*byWaves=*/true, /*tailSplit=*/true},
};

/// sm_100a. One MMA covers the 128 rows of a tile (cta_group::1, M = 128)
/// and one epilogue warpgroup promotes them, so only the N tile varies: it
/// shrinks where the range's smallest M gives too few tiles for the 148
/// SMs. At most 128 columns: the epilogue keeps a row of the tile in f32
/// registers, and tensor memory holds two partial sums of the tile.
static constexpr StrategyRow kSM100aTable[] = {
    {1, 1, 128, false},
    {257, 1, 128, false},
    {1025, 1, 128, false},
};

/// Why the tcgen05 kernel does not take `spec` (empty when it does).
static std::string getTcgen05Limitation(const MatmulSpec &spec,
                                        const TargetChipInfo &chip,
                                        unsigned ptxLimit) {
  // The MMA reads the activation scales from tensor memory as UE8M0 bytes,
  // four K blocks per word: exactly the packed layout (SPEC 3.3, C10).
  if (!spec.aFormat.isPacked() || spec.aFormat.getGroupSize() != 128)
    return "the tcgen05 kernel consumes only packed UE8M0 1x128 activation "
           "scales (SPEC C10)";
  // Each K block's partial sum is promoted with one weight scale per tile.
  ScaleGranularity weights = spec.bFormat.getGranularity();
  if (weights != ScaleGranularity::Block && weights != ScaleGranularity::Tensor)
    return "the tcgen05 kernel takes 128x128 block or per-tensor weight "
           "scales only";
  if (ptxLimit < chip.tcgen05PtxVersion)
    return "the tcgen05 kernel needs PTX ISA 8.8 (+ptx88)";
  return "";
}

bool codegen::canUseTensorCoreMatmul(const MatmulSpec &spec,
                                     const TargetChipInfo &chip,
                                     unsigned ptxLimit, std::string &reason) {
  if (chip.hasTcgen05) {
    reason = getTcgen05Limitation(spec, chip, ptxLimit);
    if (!reason.empty())
      return false;
  } else if (!chip.hasWgmma) {
    reason = ("no tensor-core kernel for " + chip.name).str();
    return false;
  }
  // TMA needs 16-byte strides for the K-major rows of A and B; the epilogue
  // stores pairs of columns, and the N tiles are multiples of 8.
  if (spec.k % 16 != 0) {
    reason = "K is not a multiple of 16 (TMA row stride)";
    return false;
  }
  if (spec.n % 8 != 0) {
    reason = "N is not a multiple of 8";
    return false;
  }
  return true;
}

/// The widest N tile (a power of two from 16 to `maxBlockN`, so that a tile
/// never straddles a 128-column weight-scale block) whose tiles cover the
/// SMs with `rowTiles` tiles along M; the narrowest when none does.
static int64_t chooseBlockN(int64_t n, int64_t rowTiles, int64_t maxBlockN,
                            const TargetChipInfo &chip) {
  int64_t blockN = maxBlockN;
  while (blockN > 16 && rowTiles * llvm::divideCeil(n, blockN) < chip.numSMs)
    blockN /= 2;
  return blockN;
}

/// The modeled time of a tile of `blockN` columns per K block, in columns:
/// the MMAs plus the consumers' fixed work per K block, 32 columns' worth
/// with one half, 24 with two (tiles of 256 columns: 1.72-1.75x the time of
/// 128 on the H100 at M = 4096, three shapes, docs/gemm.md).
static int64_t getTileTime(int64_t blockN) {
  return blockN + (blockN > 128 ? 24 : 32);
}

/// The most ranges a tile of a last, partial wave is split into
/// (GemmTileConfig::tailSplits): the tile's last range to finish reads the
/// others' sums, blockM x blockN f32 each.
constexpr int64_t kMaxTailSplits = 8;

/// The time of M = `rowTiles` x blockM rows in waves of `blockN`-column
/// tiles over the SMs, in K blocks of a tile's time: the whole waves, then
/// the last wave's tiles, whole, or with `tailSplit` split into ranges as
/// emitTailSplit splits them. A range costs its K blocks and, for the
/// reduction's reads of the ranges' sums, blockN / 128 K blocks per range
/// (an estimate; docs/gemm.md, "Split tails").
static int64_t getWavesTime(const MatmulSpec &spec, int64_t rowTiles,
                            int64_t blockN, const TargetChipInfo &chip,
                            bool tailSplit) {
  int64_t kBlocks = llvm::divideCeil(spec.k, kGemmBlockK);
  int64_t tiles = rowTiles * llvm::divideCeil(spec.n, blockN);
  int64_t wholeWaves = tiles / chip.numSMs;
  int64_t lastWave = tiles % chip.numSMs;
  int64_t blocks = wholeWaves * kBlocks;
  if (lastWave > 0) {
    int64_t lastBlocks = kBlocks;
    if (tailSplit && wholeWaves > 0) {
      int64_t wanted =
          std::min({chip.numSMs / lastWave, kBlocks, kMaxTailSplits});
      int64_t perSplit = llvm::divideCeil(kBlocks, wanted);
      int64_t splits = llvm::divideCeil(kBlocks, perSplit);
      if (splits >= 2)
        lastBlocks = perSplit + splits * blockN / 128;
    }
    blocks += lastBlocks;
  }
  return blocks * getTileTime(blockN);
}

/// An N tile and its modeled time (or averaged score).
struct BlockNChoice {
  int64_t blockN;
  double time;
};

/// A variant splits its last wave's tiles only where the model gives it at
/// least 10% less time than the best tile without: with the split, the
/// whole tiles' K loop has run-time bounds and the epilogue a branch, and
/// kernels that never split ran up to 11% slower on the H100 than those
/// built without it (docs/gemm.md, "Split tails").
constexpr double kTailSplitGain = 0.9;

/// The N tile for M of `rowTiles` row tiles (sm_90a, no split): the power
/// of two from 16 to `maxBlockN` whose tiles take the least time in waves
/// over the SMs (the wider on a tie). The first rule, the widest tile whose
/// tiles cover the SMs at the range's first M, gave N = 2112 at M = 1024
/// tiles of 32 columns (4 waves of 528 tiles) where 64 takes 2 (264
/// tiles), and N = 4096 at M = 512 tiles of 64 (2 waves) where 128 takes 1.
static BlockNChoice chooseBlockNByWaves(const MatmulSpec &spec,
                                        int64_t rowTiles, int64_t maxBlockN,
                                        const TargetChipInfo &chip,
                                        bool tailSplit) {
  int64_t best = maxBlockN;
  int64_t bestTime = 0;
  for (int64_t blockN = maxBlockN; blockN >= 16; blockN /= 2) {
    int64_t time = getWavesTime(spec, rowTiles, blockN, chip, tailSplit);
    if (blockN == maxBlockN || time < bestTime) {
      best = blockN;
      bestTime = time;
    }
  }
  return {best, static_cast<double>(bestTime)};
}

/// The N tile of the open-ended last range, from `firstRowTiles` row tiles
/// on: the one whose waves time relative to an even spread of 128-column
/// tiles over the SMs, averaged over the row-tile counts up to
/// kAveragedRowTiles, is least (the wider on a tie).
static BlockNChoice chooseBlockNByAverageWaves(const MatmulSpec &spec,
                                               int64_t firstRowTiles,
                                               int64_t maxBlockN,
                                               const TargetChipInfo &chip,
                                               bool tailSplit) {
  int64_t n = spec.n;
  int64_t kBlocks = llvm::divideCeil(spec.k, kGemmBlockK);
  constexpr int64_t kAveragedRowTiles = 128;
  int64_t best = maxBlockN;
  double bestScore = 0;
  for (int64_t blockN = maxBlockN; blockN >= 16; blockN /= 2) {
    double score = 0;
    for (int64_t rowTiles = firstRowTiles;
         rowTiles <= std::max(firstRowTiles, kAveragedRowTiles); ++rowTiles) {
      double even = static_cast<double>(rowTiles * llvm::divideCeil(n, 128) *
                                        kBlocks * getTileTime(128)) /
                    static_cast<double>(chip.numSMs);
      int64_t time = getWavesTime(spec, rowTiles, blockN, chip, tailSplit);
      score += static_cast<double>(time) / even;
    }
    if (blockN == maxBlockN || score < bestScore) {
      best = blockN;
      bestScore = score;
    }
  }
  return {best, bestScore};
}

/// The K splits of an sm_90a variant whose range starts with `rowTiles` row
/// tiles: where its `blockN` tiles alone do not cover the SMs, as many
/// consecutive K ranges per tile as keep tiles x splits within one wave at
/// the range's smallest M (larger M loops over more units), each range as
/// long as the longest one (so no range is empty). An n128 tile's K block
/// carries 8x the weight bytes of an n16 tile's for about the same
/// consumer instructions, which bound the narrow tiles (docs/gemm.md,
/// "Where a K block's time goes at M = 1"). 1 where no split pays.
static int64_t chooseSplits(const MatmulSpec &spec, const TargetChipInfo &chip,
                            int64_t rowTiles, int64_t blockN,
                            int64_t maxSplits) {
  int64_t tiles = rowTiles * llvm::divideCeil(spec.n, blockN);
  int64_t kBlocks = llvm::divideCeil(spec.k, kGemmBlockK);
  // The ranges of the split rows (M <= 256, at most 2 row tiles) have fewer
  // tiles than the workspace has counters.
  static_assert(kSplitKMaxTiles >= 512, "fewer counters than tiles");
  if (tiles >= chip.numSMs)
    return 1;
  int64_t splits = std::min(kBlocks, chip.numSMs / tiles);
  if (maxSplits > 0)
    splits = std::min(splits, maxSplits);
  if (splits < 2)
    return 1;
  int64_t blocksPerSplit = llvm::divideCeil(kBlocks, splits);
  return llvm::divideCeil(kBlocks, blocksPerSplit);
}

SmallVector<GemmVariant>
codegen::chooseGemmVariants(const MatmulSpec &spec, const TargetChipInfo &chip,
                            std::optional<int64_t> knownRows,
                            int64_t maxSplits) {
  SmallVector<GemmVariant> variants;
  ArrayRef<StrategyRow> table = kSM90aTable;
  if (chip.hasTcgen05)
    table = kSM100aTable;
  // The rows chosen by waves, one per count of row tiles (M in (64 (c -
  // 1), 64 c] x consumers): each has its own N tile, so the table's entry
  // becomes a row per count. Counts with the same tiles share a variant
  // below.
  struct ExpandedRow {
    StrategyRow row;
    int64_t blockN = 0; // 0: by the row's rules
  };
  SmallVector<ExpandedRow> rows;
  for (auto [index, row] : llvm::enumerate(table)) {
    if (!row.byWaves) {
      rows.push_back({row});
      continue;
    }
    // (Lambdas below cannot capture the structured binding in C++17.)
    int64_t maxBlockN = row.maxBlockN;
    int64_t blockM = 64 * row.consumers;
    // The tile without tail split, and with it where that gains enough
    // (kTailSplitGain); matmul-split-k=1 splits nothing.
    bool mayTailSplit = row.tailSplit && maxSplits != 1;
    auto choose = [&](StrategyRow sub, auto chooser) {
      BlockNChoice plain = chooser(false);
      sub.tailSplit = false;
      if (mayTailSplit) {
        BlockNChoice split = chooser(true);
        if (split.time <= kTailSplitGain * plain.time) {
          sub.tailSplit = true;
          rows.push_back({sub, split.blockN});
          return;
        }
      }
      rows.push_back({sub, plain.blockN});
    };
    if (index + 1 == table.size()) {
      // The last range is open: one tile for all of it.
      int64_t firstRowTiles = llvm::divideCeil(row.minRows, blockM);
      choose(row, [&](bool tailSplit) {
        return chooseBlockNByAverageWaves(spec, firstRowTiles, maxBlockN, chip,
                                          tailSplit);
      });
      continue;
    }
    int64_t end = table[index + 1].minRows;
    for (int64_t first = row.minRows; first < end;) {
      int64_t rowTiles = llvm::divideCeil(first, blockM);
      StrategyRow sub = row;
      sub.minRows = first;
      choose(sub, [&](bool tailSplit) {
        return chooseBlockNByWaves(spec, rowTiles, maxBlockN, chip, tailSplit);
      });
      first = rowTiles * blockM + 1;
    }
  }
  for (const ExpandedRow &expanded : rows) {
    const StrategyRow &row = expanded.row;
    GemmTileConfig cfg;
    cfg.consumers = row.consumers;
    cfg.tcgen05 = chip.hasTcgen05;
    // Power-of-two 128x128 weight scales go into the MMA (design (b)).
    cfg.ue8m0Weights =
        chip.hasTcgen05 &&
        spec.bFormat.getGranularity() == ScaleGranularity::Block &&
        spec.bFormat.isUE8M0();
    cfg.blockM = chip.hasTcgen05 ? 128 : 64 * row.consumers;
    // The fewest row tiles of the range: its first M.
    int64_t rowTiles = llvm::divideCeil(row.minRows, cfg.blockM);
    cfg.blockN = expanded.blockN
                     ? expanded.blockN
                     : chooseBlockN(spec.n, rowTiles, row.maxBlockN, chip);
    // Small M on sm_90a: wide tiles with K split across CTAs.
    if (row.splitK && cfg.blockN < row.maxBlockN) {
      int64_t splits =
          chooseSplits(spec, chip, rowTiles, row.maxBlockN, maxSplits);
      if (splits > 1) {
        cfg.blockN = row.maxBlockN;
        cfg.splits = splits;
      }
    }
    if (row.tailSplit)
      cfg.tailSplits =
          maxSplits > 1 ? std::min(kMaxTailSplits, maxSplits) : kMaxTailSplits;
    // The stages take what the fixed buffers leave (sm_90a: each stage
    // also carries its K block's scale words).
    int64_t fixedBytes = 1024 + (cfg.tcgen05 ? cfg.extraBufferBytes() : 0) +
                         cfg.extraBarrierBytes();
    int64_t perStageBytes =
        cfg.stageBytes() + 16 + (cfg.tcgen05 ? 0 : cfg.stageScaleBytes());
    cfg.stages = std::min<int64_t>(
        kMaxStages, (kMaxDynamicSharedMemory - fixedBytes) / perStageBytes);
    assert(cfg.sharedMemoryBytes() <= kMaxDynamicSharedMemory &&
           "the stages overflow shared memory");
    // Ranges with the same tiles share one kernel.
    if (variants.empty() || !(variants.back().config == cfg))
      variants.push_back({row.minRows, cfg});
  }
  if (knownRows) {
    // A static M launches one variant: the last whose range starts at or
    // below it (M = 0 launches nothing; any variant will do).
    GemmVariant chosen = variants.front();
    for (const GemmVariant &variant : variants)
      if (variant.minRows <= std::max<int64_t>(*knownRows, 1))
        chosen = variant;
    chosen.minRows = 1;
    variants.assign(1, chosen);
  }
  return variants;
}
