//===- Codegen.h - kernel code generators of the GPU lowering ---*- C++ -*-===//
//
// Part of the vllm-mlir project.
//
//===----------------------------------------------------------------------===//
//
// Internal interface between the pieces of the vllm -> GPU lowering:
//
//   Codegen.cpp       shared emitters (constants, guarded vector memory
//                     access, warp/block reductions, FP8 encoding), the chip
//                     table lookup and the row launch configuration
//   Norm.cpp          the row kernel (norm or element-wise prologue +
//                     optional quantization, or quantization alone) and its
//                     norm phase
//   Prologue.cpp      the table of element-wise prologues (silu_and_mul)
//   Quantize.cpp      the quantization phase of a row kernel
//   AllReduce.cpp     collectives: a group's descriptor, the per-CTA barrier
//                     with the other ranks, the rank-ordered peer sum, and
//                     the unfused all_reduce kernel
//   ScaledMatmul.cpp  the block-scaled GEMM kernel
//   ChipSM*.cpp       per-chip code (UE8M0 conversion; the chip table also
//                     says whether f32 arithmetic runs on pairs)
//   Elementwise.cpp   element-wise linalg ops of functions on buffers
//   HostLaunch.cpp    host functions, buffers and launches; the pass
//
// The fused and the unfused kernels are produced by the same generators: the
// norm phase computes the rounded y exactly as `rms_norm` does, and the
// quantization phase sees the same y values either way, which is what makes
// fused and unfused outputs bit-identical (SPEC C9).
//
//===----------------------------------------------------------------------===//

#ifndef VLLM_MLIR_LIB_CONVERSION_VLLMTOGPU_CODEGEN_H
#define VLLM_MLIR_LIB_CONVERSION_VLLMTOGPU_CODEGEN_H

#include "vllm-mlir/Conversion/VllmToGPU/TargetChip.h"
#include "vllm-mlir/Dialect/Vllm/IR/VllmOps.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/ImplicitLocOpBuilder.h"

#include <optional>
#include <string>

namespace mlir {
namespace vllm {
namespace codegen {

constexpr int64_t kWarpSize = 32;
/// Warp schedulers (sub-partitions) of an SM, each with a quarter of the
/// register file; a CTA's warps are spread over them.
constexpr int64_t kSchedulersPerSM = 4;
/// Hardware limit of threads per CTA.
constexpr int64_t kMaxThreads = 1024;
/// Row kernels use at most this many threads and give each thread more
/// vectors beyond it: with 512 threads a thread may use 128 registers.
constexpr int64_t kRowThreads = 512;
/// Input vectors (x, and the residual where one is added) each thread of a
/// row kept in registers holds at least, where the row is long enough: the
/// work done once per row and thread (the reductions, the barrier, the
/// row loop) is then shared by more elements. Rows with a residual reach it
/// with half the elements per thread. On the H200, H = 4096 without a
/// residual ran 1.2-1.35x faster at M >= 2048 with 256 threads of 16
/// elements than with 512 of 8; with a residual, 16 elements per thread
/// were 4-8% slower than 8 (docs/benchmarks.md).
constexpr int64_t kMinRowInputVectorsPerThread = 2;
/// Most reduction threads one row-kernel thread may stand in for
/// (RowConfig::foldedThreads, the row-thread-folding option).
constexpr int64_t kMaxFoldedThreads = 4;
/// Bytes of a row (in its element type) one thread keeps in registers: x
/// and w within the 128 registers a thread of a 512-thread CTA may use.
/// Longer rows are streamed.
constexpr int64_t kMaxRowBytesPerThread = 96;
/// At most this many rows are prefetched while a CTA processes one
/// (RowConfig::prefetch), and no more than keep this many bytes per SM
/// loading: about bandwidth x latency (32 B/ns per SM x ~1 us).
constexpr int64_t kMaxRowPrefetch = 3;
constexpr int64_t kTargetBytesInFlight = 32 * 1024;
/// Register file, thread and CTA limits of an SM, and the registers one
/// thread may have (sm_90 and sm_100 alike).
constexpr int64_t kRegistersPerSM = 65536;
constexpr int64_t kMaxRegistersPerThread = 255;
constexpr int64_t kMaxThreadsPerSM = 2048;
constexpr int64_t kMaxCTAsPerSM = 32;
/// Registers a row-kernel thread needs besides the row data it holds
/// (chooseRowConfig(const RowKernelSpec &)).
constexpr int64_t kRowBaseRegisters = 20;
/// ... and those the quantization phase of per-group scales takes on top
/// (chooseRowConfig(const RowKernelSpec &)). Calibrated on ptxas -v for both
/// chips:
/// - assembling packed UE8M0 words; in rows without a residual with two or
///   more rows in flight, more (the H = 7168 kernel spilled at 72 registers
///   with 2 rows; with 1 row it needs 69);
/// - in rows without a residual with two or more rows in flight, the
///   Markstein-corrected quotients of f32 scales, which keep each group's
///   scale, its reciprocal and the first quotients live together (at
///   H = 7168 it keeps 1 row in flight instead of 2, 0-6% faster).
/// The residual kernels take no extra terms (72 registers at H = 7168):
/// adding them there would halve their resident CTAs. Left as is, 4-byte spills
/// (one register, L1-resident) where more resident warps measured faster than
/// the registers that avoid them:
/// - with one row in flight the packed kernel without a residual at 64
///   registers, in the variant that reads w from global memory, on both
///   chips (H = 1536: 10 CTAs of 96 threads; also H = 3072 and 5120); a term
///   for it would also take the H = 4096 kernel from 4 CTAs to 3, which
///   measured 10% slower;
/// - per-group f32 without a residual at H = 2048 on sm_90a at 64
///   registers (4 CTAs of 256 threads, 1 row in flight; sm_100a's paired
///   arithmetic fits): at H = 4096 the same layout was 5-8% faster at
///   M = 512-4096 than 3 CTAs with 2 rows in flight, which the term gave
///   (H = 4096 now folds two reduction threads into one, which fits:
///   getAutomaticRowFolding);
/// - packed UE8M0 with a residual at H = 7168 at 72 registers (2 CTAs of 448
///   threads), in the variant that reads w from global memory, on both
///   chips; a term would leave one CTA per SM
///   (test/Conversion/vllm-to-gpu-ptxas-known-spills.mlir pins them all).
constexpr int64_t kPackedScaleRegisters = 4;
constexpr int64_t kPackedPrefetchRegisters = 4;
constexpr int64_t kNoResidualGroupF32ScaleRegisters = 8;
/// Registers the f32 arithmetic of an element-wise prologue takes on top of
/// a row kernel's estimate: silu_and_mul keeps the exp's reduction, its
/// polynomial and the division of a pair of elements live at once
/// (calibrated on ptxas -v for both chips: at I = 2048 and 2304 without
/// it, kernels granted 40 registers spilled 4-32 bytes;
/// test/Conversion/vllm-to-gpu-ptxas-silu.mlir).
constexpr int64_t kPrologueRegisters = 16;
/// Registers the all-reduce form of a row kernel adds to it, besides an f32
/// accumulator per element of a vector: the group's descriptor, rank, size
/// and call number, live through the row loop, and the peer loop's pointers
/// (calibrated on ptxas -v for both chips on
/// gpu-tests/allreduce/all_reduce_tests.mlir: without it, 6 to 8 of the 21
/// kernels spilled 4-68 bytes; with it only the f32 kernels of H = 1001,
/// one element per vector, spill 16-20 bytes, as the test records:
/// test/Conversion/vllm-to-gpu-ptxas-all-reduce.mlir).
constexpr int64_t kAllReduceRegisters = 16;
/// Shared memory that w staged as f32 (RowConfig::stagedWeights) may take:
/// per CTA (static shared memory ends at 48 KiB, the reduction buffers
/// included) and per SM (the rest of the 228 KiB stays L1).
constexpr int64_t kMaxStagedWeightBytes = 32 * 1024;
constexpr int64_t kMaxStagedWeightBytesPerSM = 96 * 1024;
/// Rows per CTA from which the host launches the staged-weights variant of
/// a norm kernel (the weight-staging-rows option's automatic value): the
/// staging is paid once per CTA and saves a w load and widening per later
/// row. On the H200 the variant was 5-11% slower without a residual at
/// M = 1 and 0-5% faster from two rows per CTA (docs/benchmarks.md).
constexpr int64_t kStagedWeightMinRowsPerCTA = 2;
/// Rows per CTA from which the host launches the variant of a bf16
/// silu_and_mul kernel that reads silu(g) from a table in shared memory
/// (RowConfig::siluTable; the silu-table-rows option's automatic value):
/// each CTA copies the 32 KiB table from L2 once and then saves the exp and
/// the division of every element. On the H100 (2026-12-06) it was as fast
/// as the arithmetic kernel below 2 rows per CTA and 3-28% faster from 2 on
/// (at M = 16384, 89-97% of the copy ceiling instead of 73-81%;
/// docs/benchmarks.md).
constexpr int64_t kSiluTableMinRowsPerCTA = 2;
/// Shared memory the silu tables of an SM's resident CTAs may take (the
/// rest of the 228 KiB stays L1).
constexpr int64_t kMaxSiluTableBytesPerSM = 160 * 1024;
/// Bytes per thread and pass of a streamed row: less than kept rows, since
/// a pass holds x, the residual and w of its chunk at once.
constexpr int64_t kStreamedRowBytesPerThread = 48;
/// Resident CTAs per SM a streamed row kernel is compiled for
/// (`nvvm.minctasm`): a streamed row keeps its own loads in flight, pass by
/// pass, so one suffices. Without the hint ptxas may spill registers to fit
/// more (seen for sm_100a).
constexpr int64_t kStreamedRowCTAsPerSM = 1;

//===----------------------------------------------------------------------===//
// Shared emitters (Codegen.cpp)
//===----------------------------------------------------------------------===//

Value constIndex(ImplicitLocOpBuilder &b, int64_t value);
Value constI32(ImplicitLocOpBuilder &b, int32_t value);
Value constF32(ImplicitLocOpBuilder &b, float value);

/// Runs `body` with the insertion point inside `scf.if cond` (or in place
/// when `cond` is null, meaning "always").
void emitIf(ImplicitLocOpBuilder &b, Value cond, function_ref<void()> body);

/// A vector of zeros.
Value constZeroVector(ImplicitLocOpBuilder &b, VectorType type);

/// The f32 bits (as an i32) of 2^(e - 127) for a biased exponent e in
/// [0, 254] given as an i32: e << 23, and the subnormal 2^-127 for e = 0.
/// (UE8M0 decoding and the reciprocals of UE8M0 scales.)
Value emitPowerOfTwoBits(ImplicitLocOpBuilder &b, Value biasedExponent);

/// `cond ? compute() : 0` as an scf.if yielding a vector of `type`, the
/// code of `compute` emitted in the then-branch (`cond` may be null:
/// computed unconditionally).
Value emitGuardedValue(ImplicitLocOpBuilder &b, Value cond, VectorType type,
                       function_ref<Value()> compute);

/// `cond ? vector.load(memref[indices]) : 0` with the given byte alignment
/// (a 16-byte alignment makes it one ld.global.v4). `cond` may be null.
Value emitGuardedLoad(ImplicitLocOpBuilder &b, Value cond, VectorType type,
                      Value memref, ValueRange indices, int64_t alignBytes);

/// `if (cond) vector.store(value, memref[indices])`; `cond` may be null.
void emitGuardedStore(ImplicitLocOpBuilder &b, Value cond, Value value,
                      Value memref, ValueRange indices, int64_t alignBytes);

/// The f32 elements of a vector value (after arith.extf when narrower).
SmallVector<Value> extractAsF32(ImplicitLocOpBuilder &b, Value vector);

/// Rounds f32 values to `elemType` (RN) and packs them into a vector.
Value truncToVector(ImplicitLocOpBuilder &b, ArrayRef<Value> values,
                    Type elemType);

/// a * b + c rounded once (llvm.fma: fma.rn.f32). Kernels use no libdevice
/// function, so they compile the same whether or not libdevice is found.
Value emitFma(ImplicitLocOpBuilder &b, Value lhs, Value rhs, Value acc);

/// `fn` applied element by element to f32 operand lists of one length (a list
/// of one value stands for that value at every element). With `pairs`,
/// consecutive elements are packed into vector<2xf32> first, so that `fn`'s
/// arith / llvm.intr.fma ops become one f32x2 instruction per two elements
/// (TargetChipInfo::hasPackedF32Arithmetic); an odd last element stays
/// scalar. `fn` must work on f32 and on vector<2xf32> values alike.
SmallVector<Value> emitElementwiseF32(ImplicitLocOpBuilder &b, bool pairs,
                                      ArrayRef<ArrayRef<Value>> operands,
                                      function_ref<Value(ValueRange)> fn);

/// |v| by clearing the sign bit (exact for every input, NaN included).
Value emitAbs(ImplicitLocOpBuilder &b, Value value);

/// Adds a workgroup (shared memory) buffer to `func` and returns it.
Value addWorkgroupBuffer(gpu::GPUFuncOp func, ArrayRef<int64_t> shape,
                         Type elemType);

enum class ReduceKind { Sum, Max };

/// Combines two partials: `addf` for Sum, `maxnumf` (IEEE maxNum, NaN
/// ignored) for Max.
Value emitCombine(ImplicitLocOpBuilder &b, ReduceKind kind, Value lhs,
                  Value rhs);

/// Butterfly over aligned groups of `width` lanes (a power of two <= 32):
/// at each step lane i replaces its value v by combine(v, v of lane
/// i ^ offset), offset from width / 2 down to 1. A value of 32 bits that is
/// not an i32 or f32 (a pair of bf16) crosses each shuffle as one i32 word.
/// All 32 lanes of the warp must execute it.
Value emitButterfly(ImplicitLocOpBuilder &b, Value value, int64_t width,
                    function_ref<Value(Value, Value)> combine);

/// Butterfly reduction over aligned groups of `width` lanes (a power of two
/// <= 32): every lane of a group gets the same bits. All 32 lanes of the
/// warp must execute it.
Value emitWarpReduce(ImplicitLocOpBuilder &b, Value value, ReduceKind kind,
                     int64_t width);

/// Reduction over a CTA of `threads` threads (a multiple of 32), each
/// holding `partials`: partials[k] of thread t is the partial of thread
/// t + k x threads of a reduction over partials.size() x `threads` threads
/// (RowConfig::foldedThreads; one value when the CTA's threads are the
/// reduction's). Shuffles within warps, then the per-warp results combined
/// in the reduction's warp order through `smem` (a workgroup f32 memref used
/// by this reduction only), at entries `base` .. `base` + numWarps - 1
/// (`base` null means 0), where warp w's partial k is the reduction's warp
/// w + k x threads / 32. Every thread gets the same bits; the result depends
/// only on the reduction's threads and their partials, not on how they are
/// folded. There is one barrier, between the writes and the reads: a caller
/// that reduces again before another barrier must alternate `base` between
/// two halves of the buffer.
Value emitBlockReduce(ImplicitLocOpBuilder &b, ValueRange partials,
                      ReduceKind kind, int64_t threads, Value tid, Value smem,
                      Value base = Value());

/// Entries of one half of a block reduction buffer of `threads` threads:
/// one per warp, rounded up to a multiple of four so that both halves start
/// 16-byte aligned and the partials are read four at a time.
int64_t getBlockReduceHalfSize(int64_t threads);

/// SPEC E(v) for two values: `cvt.rn.satfinite.e4m3x2.f32`, returned as an
/// i16 with E(lo) in the low byte (the lower address when stored).
Value emitFP8x2(ImplicitLocOpBuilder &b, Value lo, Value hi);

/// E(v) of every value, as a vector<N x f8E4M3FN> ready to store.
Value emitFP8Vector(ImplicitLocOpBuilder &b, ArrayRef<Value> values);

//===----------------------------------------------------------------------===//
// Row kernels (Norm.cpp, Quantize.cpp)
//===----------------------------------------------------------------------===//

/// Launch shape of a row kernel: `threads` threads per CTA, each holding
/// `slots` vectors of `vecWidth` elements per chunk of a row. When rows are
/// prefetched the grid is persistent: a CTA loops over rows blockIdx,
/// blockIdx + gridDim, ...
/// Vector v of a chunk is in slot v / threads of thread v % threads (so a
/// warp reads consecutive 16-byte pieces, and a quantization group occupies
/// aligned consecutive lanes). When the row fits in registers it is one
/// chunk, read from memory once; longer rows are streamed in `chunks`
/// passes that read x again (from L2) instead of spilling.
struct RowConfig {
  int64_t hidden = 0;
  /// Elements per vector: 16 bytes' worth when H allows, else the largest
  /// power of two dividing H (rows of odd H are not 16-byte aligned).
  int64_t vecWidth = 1;
  int64_t numVecs = 0;
  int64_t threads = 0;
  int64_t slots = 0;
  int64_t chunks = 1;
  /// Rows ahead of the current one whose inputs are being loaded while it
  /// is reduced, quantized and stored (register double buffering; rows
  /// kept in registers only, else 0).
  int64_t prefetch = 0;
  /// Resident CTAs per SM a persistent kernel is compiled for
  /// (`nvvm.minctasm`, which caps the registers per thread) and launched
  /// with: the grid is at most ctasPerSM x the chip's SMs CTAs, one wave.
  int64_t ctasPerSM = 1;
  /// Whether the kernel widens w to f32 once per CTA into shared memory
  /// (each thread its own elements, so no barrier) and reads it there for
  /// every row, instead of loading and widening it again per row.
  bool stagedWeights = false;
  /// Whether the kernel (silu_and_mul on bf16) copies the table of silu over
  /// the bf16 gates (SiluTable.h) into shared memory once per CTA and reads
  /// silu(g) there instead of evaluating the exp and the division: the
  /// same bits (canUseSiluTable).
  bool siluTable = false;
  /// Threads of the row's reduction layout each thread stands in for.
  /// chooseRowConfig(Type, int64_t, bool) gives the reduction layout, with
  /// R threads and S slots; folding F of its threads gives R / F threads
  /// with F x S slots, and by the slot rule above slot s of thread t then
  /// holds what slot s / F of reduction thread t + (s % F) x R / F held. A
  /// thread keeps one partial sum of squares per folded thread (its slots
  /// k, k + F, ... in that order) and the block reduction combines the
  /// partials as those of the unfolded threads, so the sum has the same bits
  /// whatever the folding (SPEC C9). Fewer threads share the per-row work
  /// (the second reduction of a row amax, the barriers, the row loop).
  int64_t foldedThreads = 1;
  int64_t vecsPerChunk() const { return threads * slots; }
  /// Threads of the reduction layout (see foldedThreads).
  int64_t reductionThreads() const { return threads * foldedThreads; }
  /// f32 elements of the staged w (stagedWeights).
  int64_t stagedWeightElements() const { return vecsPerChunk() * vecWidth; }
  /// Whether CTAs loop over rows (with rows prefetched); otherwise the grid
  /// has a CTA per row.
  bool isPersistent() const { return prefetch > 0; }
};

/// The layout of rows of `hidden` elements of `elemType` over the threads,
/// chosen from T, H and whether a residual is added, so that a fused kernel
/// and the unfused norm kernel it replaces (both with or both without a
/// residual) sum in the same order. (Quantize kernels do not sum; their
/// amax does not depend on the order.) `prefetch` and `ctasPerSM` are left
/// at their defaults.
RowConfig chooseRowConfig(Type elemType, int64_t hidden, bool residual);

//===----------------------------------------------------------------------===//
// Element-wise prologues (Prologue.cpp)
//===----------------------------------------------------------------------===//

/// Input elements each element of y reads under `prologue`: operand j of
/// element c of a row is at column j * H + c of the input row (gate | up for
/// silu_and_mul).
int64_t getPrologueOperandCount(Prologue prologue);

/// One element of y as f32, before its rounding to T, from its operands
/// (f32 values, or vector<2xf32> pairs where the chip pairs its f32
/// arithmetic: every op works element by element).
Value emitPrologueElement(ImplicitLocOpBuilder &b, Prologue prologue,
                          ValueRange operands);

/// X(v), the specified f32 exp of SPEC.md section 2, on f32 or
/// vector<2xf32> values.
Value emitSpecExp(ImplicitLocOpBuilder &b, Value v);

/// The table of silu over the bf16 gates (SiluTable.h) as a constant global
/// of the gpu.module `moduleBuilder` inserts into, created on first use.
memref::GlobalOp getOrCreateSiluTableGlobal(OpBuilder &moduleBuilder,
                                            Location loc);
/// Copies the table `global` into the workgroup buffer `table`, 16 bytes per
/// thread and step over the kernel's `threads` threads, then waits for the
/// CTA (a barrier every thread reaches).
void emitSiluTableCopy(ImplicitLocOpBuilder &b, memref::GlobalOp global,
                       Value table, Value tid, int64_t threads);
/// silu(g) * u in f32 for the elements of the bf16 vector `gateVector`,
/// with silu(g) read from the table in shared memory `table` by the rule of
/// lookUpBF16Silu; `gates` and `ups` are the elements as f32.
SmallVector<Value> emitSiluAndMulByTable(ImplicitLocOpBuilder &b,
                                         Value gateVector,
                                         ArrayRef<Value> gates,
                                         ArrayRef<Value> ups, Value table);

/// What a row kernel computes. The y it quantizes is computed by the norm
/// phase or by an element-wise prologue, or read from `Input`.
struct RowKernelSpec {
  enum class Stage {
    /// No quantization.
    None,
    /// Full quantization of each row under `scheme` (every scheme but
    /// dynamic per-tensor).
    Quantize,
    /// Dynamic per-tensor, kernel 1: atomic max of amax(y) into `Amax`.
    AmaxOnly,
    /// Dynamic per-tensor, kernel 2: s from `Amax`, q = E(y / s).
    ApplyTensorScale,
  };
  Type elemType;
  int64_t hidden = 0;
  /// y = rms_norm(x [+ residual], w); otherwise y is the input, or computed
  /// by `prologue`.
  bool norm = false;
  /// y = prologue(x), element-wise (SPEC.md 3.8): the Input row holds
  /// getPrologueOperandCount x `hidden` elements. Not with `norm`.
  std::optional<Prologue> prologue;
  bool residual = false;
  float epsilon = 0.0f;
  /// y = RN_T(RN_T(v * r) * w) instead of RN_T((v * r) * w) (SPEC.md 3.1,
  /// `round_before_weight`).
  bool roundBeforeWeight = false;
  bool storeResidualOut = false;
  bool storeNormalized = false;
  /// x is this rank's partial sum: the kernel reads every rank's staged x
  /// and sums them in rank order (SPEC.md 3.11). Norm with a residual only.
  bool allReduce = false;
  /// The group of the all-reduce form (for the host only: the kernel is the
  /// same for every group).
  uint32_t group = 0;
  Stage stage = Stage::None;
  QuantSchemeAttr scheme;
  /// Whether the kernel computes y (and may store it as Normalized).
  bool computesY() const { return norm || prologue.has_value(); }
  /// Input vectors per slot: x and the residual, or the prologue's
  /// operands, else y.
  int64_t inputsPerSlot() const {
    if (prologue)
      return getPrologueOperandCount(*prologue);
    return norm && residual ? 2 : 1;
  }
};

/// The operands of a row kernel, in argument order: memrefs, and for the
/// all-reduce form the address of the group's descriptor (i64).
enum class RowOperand {
  Comm,
  Input,
  Residual,
  Weight,
  StaticScale,
  Amax,
  ResidualOut,
  Normalized,
  Output,
  Scales,
};

SmallVector<RowOperand> getRowKernelOperands(const RowKernelSpec &spec);
Type getRowOperandType(MLIRContext *ctx, const RowKernelSpec &spec,
                       RowOperand operand);
/// chooseRowConfig(T, H, residual) plus the residency of the kernel of `spec`:
/// how many rows it prefetches and how many CTAs share an SM. These depend on
/// the registers the kernel needs, not on the numerics.
RowConfig chooseRowConfig(const RowKernelSpec &spec);
/// Elements per vector of rows of `hidden` elements of `elemType`: 16 bytes'
/// worth when H allows, else the largest power of two dividing H
/// (RowConfig::vecWidth; the all_reduce kernel's vectors too).
int64_t getRowVectorWidth(Type elemType, int64_t hidden);
/// The same with the number of prefetched rows fixed (the row-prefetch
/// option): 0 gives a CTA per row; 1 .. kMaxRowPrefetch a persistent grid
/// with as many CTAs as the registers allow. Fails when the kernel streams
/// its rows or no CTA would fit; -1 is the automatic choice. `folding` (the
/// row-thread-folding option) is the RowConfig::foldedThreads asked for: -1
/// automatic (getAutomaticRowFolding), else a power of two, reduced to the
/// largest power of two at most as large that the layout allows: rows kept
/// in registers in 16-byte vectors, whose reduction layout has a multiple
/// of F warps, and whose folded threads fit kMaxRegistersPerThread by the
/// register estimate.
FailureOr<RowConfig> chooseRowConfig(const RowKernelSpec &spec,
                                     int64_t prefetch, int64_t folding = -1);
/// A readable name that identifies the kernel (kernels are deduplicated by
/// name).
std::string getRowKernelName(const RowKernelSpec &spec);
/// The name of the kernel of `spec` built with `cfg`: getRowKernelName, and
/// `_wsmem` for staged weights, `_silutab` for the silu table.
std::string getRowKernelName(const RowKernelSpec &spec, const RowConfig &cfg);
/// Whether the kernel of `spec` with `cfg` can stage w in shared memory: a
/// persistent norm kernel whose row fits in registers, with vectors of a
/// multiple of four elements narrower than f32, within
/// kMaxStagedWeightBytes per CTA and kMaxStagedWeightBytesPerSM per SM.
bool canStageWeights(const RowKernelSpec &spec, const RowConfig &cfg);
/// Whether the kernel of `spec` with `cfg` can read silu from the table in
/// shared memory: a persistent silu_and_mul kernel on bf16 whose row fits in
/// registers, with the tables of its resident CTAs within
/// kMaxSiluTableBytesPerSM.
bool canUseSiluTable(const RowKernelSpec &spec, const RowConfig &cfg);
/// Whether the grid covers Mpad rows (MN-major scales with padding rows the
/// kernel zeroes) instead of M.
bool rowKernelCoversPaddingRows(const RowKernelSpec &spec);

/// Builds the row kernel at the insertion point of `moduleBuilder` (inside a
/// gpu.module).
gpu::GPUFuncOp buildRowKernel(OpBuilder &moduleBuilder, Location loc,
                              const RowKernelSpec &spec, const RowConfig &cfg,
                              const TargetChipInfo &chip);

/// One thread's view of one chunk of a row while a row kernel is generated.
struct RowState {
  /// Per slot: the vector index in the row, whether it exists (null when it
  /// always does) and the column of its first element.
  SmallVector<Value> vecIndex;
  SmallVector<Value> valid;
  SmallVector<Value> column;
  /// Per slot, per element: y as f32 (already rounded to the element type).
  SmallVector<SmallVector<Value>> y;
  /// Per slot: y as the bf16 vector it was rounded to, when T is bf16 (the
  /// amax runs on pairs of them); empty otherwise.
  SmallVector<Value> packedY;
};

/// Operands and shared buffers of the quantization phase.
struct QuantOperands {
  Value output;
  Value scales;
  Value staticScale;
  Value amax;
  /// memref<2 x getBlockReduceHalfSize(threads) x f32> (flat) for the per-token
  /// / per-tensor amax reduction, one half per row parity.
  Value reduceBuffer;
  /// memref<2 x roundup(G, 4) x i8> (flat) for assembling packed UE8M0
  /// words, one half per row parity.
  Value byteBuffer;
};

/// Adds the workgroup buffers the quantization phase of `spec` needs.
void addQuantBuffers(gpu::GPUFuncOp func, const RowKernelSpec &spec,
                     const RowConfig &cfg, QuantOperands &operands);

/// RN(1/s) of a scale s, and the s that Markstein's correction of the
/// quotients multiplies by (Quantize.cpp, emitQuotient): s itself, or 0
/// where s = +Inf.
struct ScaleReciprocal {
  Value value;
  Value correctionScale;
};

/// The quantization phase of a row kernel (Quantize.cpp), in the steps the
/// kernel interleaves with its passes over the row. Every step must be
/// reached by all threads of the CTA (they contain shuffles and barriers).
class RowQuantizer {
public:
  RowQuantizer(ImplicitLocOpBuilder &b, const RowKernelSpec &spec,
               const RowConfig &cfg, const QuantOperands &operands,
               const TargetChipInfo &chip, Value tid, Value lane)
      : b(b), spec(spec), cfg(cfg), operands(operands), chip(chip), tid(tid),
        lane(lane) {}

  /// Scales known before any row is read: 1/s of the static scheme, s of
  /// the dynamic per-tensor one (emitted once, before the row loop).
  void emitPrologue();
  /// Starts the code of one row; `parity` (0 or 1, alternating from row to
  /// row of a CTA) selects the half of each shared buffer the row uses.
  void beginRow(Value row, Value parity);
  /// Whether the scale depends on the amax of the whole row (per-token, and
  /// the amax kernel of dynamic per-tensor).
  bool needsRowAmax() const;
  /// Whether the chunks are quantized (all stages but the amax kernel).
  bool quantizesChunks() const;
  /// The initial value of an amax accumulation.
  Value emitAmaxIdentity();
  /// maxNum(acc, |y|) over the row elements of the chunk in `state`.
  Value emitAccumulateAmax(const RowState &state, Value acc);
  /// After the amax of the whole row: the block reduction, then the
  /// per-token scale (stored by thread 0) or the amax kernel's atomic max.
  void emitRowAmax(Value threadAmax);
  /// Quantizes and stores the chunk in `state`.
  void emitChunk(const RowState &state);
  /// After the last chunk: assembles the packed UE8M0 words.
  void emitEpilogue();

private:
  void emitGroupChunk(const RowState &state);
  void emitStoreChunk(const RowState &state,
                      function_ref<SmallVector<Value>(ArrayRef<Value>)> encode);

  ImplicitLocOpBuilder &b;
  const RowKernelSpec &spec;
  const RowConfig &cfg;
  const QuantOperands &operands;
  const TargetChipInfo &chip;
  Value tid, lane, row;
  /// First entries of this row's halves of the shared buffers.
  Value reduceBase, byteBase;
  /// The scale (dynamic) or its reciprocal (static) once known.
  Value scale;
  /// RN(1/s) of a dynamic scale (Quantize.cpp, emitQuotient).
  ScaleReciprocal reciprocal;
};

/// Emits what a row kernel does outside the row guard: for the dynamic
/// per-tensor scale, CTA 0 writes s (also when M = 0, where no row exists).
void emitRowQuantizationPrologue(ImplicitLocOpBuilder &b,
                                 const RowKernelSpec &spec,
                                 const QuantOperands &operands, Value tid,
                                 Value row);

/// Writes the zero scale entries of a padding row (M <= row < Mpad) of an
/// MN-major layout.
void emitPaddingRowScales(ImplicitLocOpBuilder &b, const RowKernelSpec &spec,
                          const RowConfig &cfg, Value tid, Value row,
                          Value scales);

//===----------------------------------------------------------------------===//
// scaled_matmul (ScaledMatmul.cpp)
//===----------------------------------------------------------------------===//

struct MatmulSpec {
  int64_t n = 0;
  int64_t k = 0;
  Type resultType;
  ScaleFormatAttr aFormat;
  ScaleFormatAttr bFormat;
  MemRefType aScaleType;
  MemRefType bScaleType;
};

/// Tile shape of the SIMT GEMM.
constexpr int64_t kMatmulTileM = 64;
constexpr int64_t kMatmulTileN = 64;
constexpr int64_t kMatmulThreads = 256;

/// Fails with a reason when the kernel cannot handle the shape.
LogicalResult checkMatmulSupported(const MatmulSpec &spec, std::string &reason);

/// sa(m, kb) in any activation scale format (f32), for `m` a valid row.
Value emitMatmulActivationScale(ImplicitLocOpBuilder &b, ScaleFormatAttr format,
                                Value scales, Value m, Value kb);
/// sb(n, kb) in any weight scale format (f32), for `n` a valid column of D.
Value emitMatmulWeightScale(ImplicitLocOpBuilder &b, ScaleFormatAttr format,
                            Value scales, Value n, Value kb);
/// The indices of the element of the activation scale tensor that holds
/// sa(m, kb): an f32, or for packed UE8M0 the i32 word of four exponents.
SmallVector<Value> getMatmulActivationScaleIndices(ImplicitLocOpBuilder &b,
                                                   ScaleFormatAttr format,
                                                   Value m, Value kb);
/// sa(m, kb) (f32) from that element.
Value decodeMatmulActivationScale(ImplicitLocOpBuilder &b,
                                  ScaleFormatAttr format, Value element,
                                  Value kb);
/// The indices of sb(n, kb) (an f32) in the weight scale tensor.
SmallVector<Value> getMatmulWeightScaleIndices(ImplicitLocOpBuilder &b,
                                               ScaleFormatAttr format, Value n,
                                               Value kb);
std::string getMatmulKernelName(const MatmulSpec &spec);
/// Operands: A [M, K], B [N, K], sa, sb, D [M, N]; grid (ceil(N/64),
/// ceil(M/64)), kMatmulThreads threads.
gpu::GPUFuncOp buildScaledMatmulKernel(OpBuilder &moduleBuilder, Location loc,
                                       const MatmulSpec &spec,
                                       const TargetChipInfo &chip);

//===----------------------------------------------------------------------===//
// scaled_matmul on tensor cores (MatmulStrategy.cpp, MatmulTma.cpp,
// MatmulSM90a.cpp, MatmulSM100a.cpp)
//===----------------------------------------------------------------------===//

/// Tile shape of the warp-specialized tensor-core GEMM. A CTA computes
/// `blockM` x `blockN` tiles of D, persistent over the tiles: one producer
/// thread issues TMA loads of 128-wide K blocks of A and B into a ring of
/// `stages` shared-memory stages; on sm_90a (wgmma) `consumers` warpgroups
/// (64 rows of the tile each) run the MMAs and promote each K block's
/// partial sums into f32 accumulators with its scales (SPEC 3.5); on
/// sm_100a (`tcgen05`) one thread issues the MMAs into tensor memory and
/// one epilogue warpgroup (`consumers` = 1) promotes (MatmulSM100a.cpp).
struct GemmTileConfig {
  int64_t blockM = 128;
  int64_t blockN = 128;
  int64_t stages = 4;
  int64_t consumers = 2;
  /// The sm_100a kernel: tcgen05 MMAs into tensor memory.
  bool tcgen05 = false;
  /// sm_100a with UE8M0 (power-of-two) 128x128 weight scales: they are B's
  /// scale factors in the MMA, which accumulates over all of K (design (b)
  /// in docs/gemm.md; otherwise each K block is promoted in f32).
  bool ue8m0Weights = false;
  /// Packed UE8M0 activation scale words staged in shared memory for
  /// `tcgen05.cp` (sm_100a): slots of 128 words, each word covering four K
  /// blocks (with ue8m0Weights as many slots again for B's scale words).
  static constexpr int64_t kScaleSlots = 2;
  static constexpr int64_t kScaleSlotBytes = 128 * 4;
  /// sm_90a: a warp of the producer warpgroup copies each K block's scales
  /// into the stage with cp.async (MatmulSM90a.cpp): the activation scale
  /// words of the tile's blockM rows, then the weight scale word, padded to
  /// 16 bytes.
  int64_t stageScaleBytes() const { return blockM * 4 + 16; }
  /// sm_90a at small M: the K blocks of a tile are split into this
  /// many consecutive ranges, one CTA each, so that wide N tiles still
  /// cover the SMs. Each CTA writes its range's f32 sum to a workspace; the
  /// last CTA of a tile to finish adds the sums in range order and rounds
  /// once (SPEC 3.5; MatmulSM90a.cpp). 1: no split.
  int64_t splits = 1;
  /// sm_90a at large M: where the tiles fill at least one wave over the SMs
  /// and leave a last, partial wave, the K blocks of each of that wave's
  /// tiles are split into at most this many ranges, one work unit each, the
  /// sums added as with `splits` (the split-K machinery: each range's sum to
  /// the workspace, the tile's last unit adds them in range order). The
  /// split count is computed in the kernel from M (emitTailSplit). 1: no
  /// split.
  int64_t tailSplits = 1;
  /// Whether some work units of the kernel cover a range of K blocks.
  bool splitsK() const { return splits > 1 || tailSplits > 1; }
  /// sm_90a: the MMAs of a K block run in halves of at most 128 columns
  /// (tiles of 256 columns: two).
  int64_t halves() const { return tcgen05 || blockN <= 128 ? 1 : 2; }
  int64_t threads() const { return 128 * (consumers + 1); }
  int64_t consumerThreads() const { return 128 * consumers; }
  /// Bytes of one stage: a blockM x 128 fp8 tile of A and a blockN x 128
  /// tile of B.
  int64_t stageBytes() const { return (blockM + blockN) * 128; }
  /// Shared buffers after the stages (the scale slots of sm_100a, the
  /// stages' scale words of sm_90a).
  int64_t extraBufferBytes() const {
    return tcgen05 ? kScaleSlots * kScaleSlotBytes * (ue8m0Weights ? 2 : 1)
                   : stages * stageScaleBytes();
  }
  /// Shared memory after full[] and empty[] (sm_100a: the partial sums'
  /// full / empty mbarriers, two each, the scale slots' full / empty
  /// mbarriers, and the tensor memory address; sm_90a with K split: the
  /// flag that tells the consumers their unit completed its tile).
  int64_t extraBarrierBytes() const {
    if (tcgen05)
      return 8 * (4 + 2 * kScaleSlots) + 8;
    return splitsK() ? 8 : 0;
  }
  /// Dynamic shared memory of a CTA: the stages, the extra buffers, two
  /// mbarriers per stage, the extra barriers, and 1024 bytes to align the
  /// tiles to the 128-byte swizzle's atom.
  int64_t sharedMemoryBytes() const {
    return stages * stageBytes() + extraBufferBytes() + 16 * stages +
           extraBarrierBytes() + 1024;
  }
  bool operator==(const GemmTileConfig &other) const {
    return blockM == other.blockM && blockN == other.blockN &&
           stages == other.stages && consumers == other.consumers &&
           tcgen05 == other.tcgen05 && ue8m0Weights == other.ue8m0Weights &&
           splits == other.splits && tailSplits == other.tailSplits;
  }
};

/// The kernel launched for row counts from `minRows` on (the host picks the
/// last variant whose minRows <= M).
struct GemmVariant {
  int64_t minRows = 1;
  GemmTileConfig config;
};

/// Whether the tensor-core kernel handles `spec` on `chip` in a module
/// whose PTX ISA version may be raised up to `ptxLimit` (times 10);
/// otherwise `reason` says why (the SIMT kernel then computes the op).
bool canUseTensorCoreMatmul(const MatmulSpec &spec, const TargetChipInfo &chip,
                            unsigned ptxLimit, std::string &reason);
/// The variants of the strategy table for `spec` on `chip`, by increasing
/// minRows (the first has minRows = 1). `knownRows` restricts them to the
/// one a static M uses. `maxSplits` bounds the K splits of the decode
/// variant (the matmul-split-k option: -1 automatic, 1 no split).
SmallVector<GemmVariant> chooseGemmVariants(const MatmulSpec &spec,
                                            const TargetChipInfo &chip,
                                            std::optional<int64_t> knownRows,
                                            int64_t maxSplits = -1);

/// The workspace of a split-K GEMM kernel (GemmTileConfig::splits > 1)
/// comes from the runtime (`vllmrtWorkspace`: one per stream, and one per
/// CUDA graph captured on it, so launches that may overlap never share
/// one). It starts with kSplitKMaxTiles i32 arrival counters, one per tile
/// of D, zero before the kernel and reset to zero by the last CTA of each
/// tile: at a fixed place, so that kernels of other shapes sharing the
/// stream's workspace find theirs zero too. Then, from byte
/// kSplitKCounterRegionBytes, the f32 partial sums: tiles x splits blocks of
/// blockM x blockN (tile-major; element e of consumer thread t at
/// e x consumerThreads + t within its block).
constexpr int64_t kSplitKMaxTiles = 1024;
constexpr int64_t kSplitKCounterRegionBytes = 4 * kSplitKMaxTiles;

/// The work units of a kernel with GemmTileConfig::tailSplits > 1, from its
/// run-time tile count (index values): the first `wholeTiles` units are
/// whole tiles (all of K), each of the remaining tiles is `splits` units of
/// `perSplit` consecutive K blocks (the last range may be shorter, none is
/// empty): `splitUnits` units whose sums go through the workspace, `units`
/// in all. With fewer tiles than SMs, or a last wave too full to split in
/// two, splits is 1 and every unit is a whole tile.
struct TailSplit {
  Value wholeTiles, splits, perSplit, splitUnits, units;
};
/// `k` is the GEMM's K (its 128-wide K blocks are split).
TailSplit emitTailSplit(ImplicitLocOpBuilder &b, Value tiles, int64_t numSMs,
                        int64_t k, int64_t maxSplits);
std::string getTensorCoreMatmulKernelName(const MatmulSpec &spec,
                                          const GemmTileConfig &cfg);
/// Operands: the tensor maps of A ([M, K] fp8, box 128 x blockM, 128-byte
/// swizzle) and B ([N, K], box 128 x blockN) as device pointers, M (index),
/// sa, sb, D [M, N]. Launched with cfg.threads() threads, at most one CTA
/// per SM over the tiles, and cfg.sharedMemoryBytes() of dynamic shared
/// memory.
gpu::GPUFuncOp buildWgmmaMatmulKernel(OpBuilder &moduleBuilder, Location loc,
                                      const MatmulSpec &spec,
                                      const GemmTileConfig &cfg,
                                      const TargetChipInfo &chip);
/// The sm_100a kernel (MatmulSM100a.cpp), with the operands and launch of
/// buildWgmmaMatmulKernel; `cfg.tcgen05` is set. Its module needs PTX ISA
/// TargetChipInfo::tcgen05PtxVersion.
gpu::GPUFuncOp buildTcgen05MatmulKernel(OpBuilder &moduleBuilder, Location loc,
                                        const MatmulSpec &spec,
                                        const GemmTileConfig &cfg,
                                        const TargetChipInfo &chip);

//===----------------------------------------------------------------------===//
// Element-wise linalg ops (Elementwise.cpp)
//===----------------------------------------------------------------------===//

/// Threads of an element-wise kernel's CTA.
constexpr int64_t kElementwiseThreads = 256;
/// CTAs an element-wise launch uses at most (grid-stride beyond).
constexpr int64_t kElementwiseMaxCTAs = 65536;

/// Whether the linalg op `op` (of a function on buffers) can become an
/// element-wise kernel: buffer operands with identity layouts, every loop
/// parallel, indexing maps of loop indices and constants, outputs written
/// through permutations, a body of arith and math ops (capturing only
/// constants), integer and f16/bf16/f32/f64 elements. Emits the diagnostic
/// on `op` when not.
LogicalResult checkElementwiseKernel(Operation *op);

/// The kernel of a linalg op that checkElementwiseKernel accepts: arguments
/// the op's operands in order (of the op's types) and then one index per
/// loop, the loop sizes (constants in the kernel where static);
/// kElementwiseThreads threads per CTA, each CTA a grid-stride run over the
/// iteration points.
gpu::GPUFuncOp buildElementwiseKernel(OpBuilder &moduleBuilder, Operation *op,
                                      StringRef name);

/// Replaces nothing: emits, before `op`, the launch of its `kernel` on the
/// stream of `token`, with the loop sizes computed from the operands.
void launchElementwiseKernel(OpBuilder &builder, Operation *op,
                             gpu::GPUFuncOp kernel, Value token);

//===----------------------------------------------------------------------===//
// Collectives (AllReduce.cpp)
//===----------------------------------------------------------------------===//

/// Ranks and CTAs a group's descriptor and flags have room for
/// (VLLMRT_COMM_MAX_RANKS, VLLMRT_COMM_MAX_CTAS of the runtime).
constexpr int64_t kCommMaxRanks = 8;
constexpr int64_t kCommMaxCTAs = 1024;
/// Threads of the unfused all_reduce kernel.
constexpr int64_t kAllReduceThreads = 512;

/// The fields of a group's descriptor a kernel uses (loaded once).
struct CommView {
  /// The descriptor (a global pointer).
  Value descriptor;
  /// This rank and the number of ranks R (index).
  Value rank, size;
  /// This rank's per-CTA call counters (a global pointer).
  Value counters;
};

enum class CommBarrier { Start, End };

/// Loads the descriptor at `descriptor` (an i64 device address).
CommView emitLoadComm(ImplicitLocOpBuilder &b, Value descriptor);
/// This CTA's call number e (i32) for the barriers, counted per CTA.
Value emitCommEpoch(ImplicitLocOpBuilder &b, const CommView &comm, Value tid);
/// Waits until the same CTA of every rank has reached `phase` of call
/// `epoch`; includes the CTA barriers the protocol needs (AllReduce.cpp).
void emitCommBarrier(ImplicitLocOpBuilder &b, const CommView &comm, Value tid,
                     Value epoch, CommBarrier phase);
/// RN_T(((x_0 + x_1) + ...) + x_{R-1}) of the vector of `type` at element
/// `elementOffset` of the ranks' staged [M, H] inputs (SPEC.md 3.10); zeros
/// where `valid` (may be null) is false.
Value emitPeerSum(ImplicitLocOpBuilder &b, const CommView &comm, Value valid,
                  Value elementOffset, VectorType type, int64_t alignBytes,
                  bool pairs);

/// The unfused all_reduce kernel (all-reduce=peer): (descriptor, result
/// [M, H]); the input is read from the staging buffers.
std::string getAllReduceKernelName(Type elemType, int64_t hidden);
gpu::GPUFuncOp buildAllReduceKernel(OpBuilder &moduleBuilder, Location loc,
                                    Type elemType, int64_t hidden,
                                    const TargetChipInfo &chip);

} // namespace codegen
} // namespace vllm
} // namespace mlir

#endif // VLLM_MLIR_LIB_CONVERSION_VLLMTOGPU_CODEGEN_H
