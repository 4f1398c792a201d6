//===- AllReduce.cpp - collectives: peer sums and the group barrier -------===//
//
// Part of the vllm-mlir project.
//
//===----------------------------------------------------------------------===//
//
// What the kernels of a communicator group (SPEC.md 3.10, 3.11) share: the
// group's descriptor, a per-CTA barrier with the same CTA of every other
// rank, and the rank-ordered sum of one vector over the ranks' staged
// inputs. Also the kernel of the unfused `all_reduce` (all-reduce=peer).
//
// Protocol (docs/tensor-parallel.md). Before a kernel of the group runs, the
// host copies this rank's input into its staging buffer on the same stream
// (vllmrtCommStage), so by the time any CTA of the kernel runs, the whole
// input is staged. Every rank launches the same grid. CTA b of each rank:
//   1. e = counters[b] + 1 (thread 0 stores it back): the number of group
//      kernels CTA b has run on this rank, the same on every rank;
//   2. start barrier: thread p < R stores e to flag start[b][rank] of rank
//      p (release, system scope), then waits until its own start[b][p]
//      reaches e (acquire): rank p's kernel has started, so its input is
//      staged and visible;
//   3. reads every rank's staged rows and sums them in rank order;
//   4. end barrier: the same on the end flags after a CTA barrier: every
//      rank's CTA b has finished reading. When a kernel completes, every
//      peer has finished reading this rank's staging buffer, so the next
//      staging copy on the stream cannot overwrite data still being read.
// Flags only grow, so nothing is reset between calls; they are compared by
// their signed difference, which stays right across the 2^32 wrap.
//
//===----------------------------------------------------------------------===//

#include "Codegen.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

using namespace mlir;
using namespace mlir::vllm;
using namespace mlir::vllm::codegen;

// The layout of vllmrtCommDescriptor (runtime/include/vllm-runtime/Comm.h),
// in 64-bit words.
static constexpr int64_t kCommRankWord = 0;
static constexpr int64_t kCommSizeWord = 1;
static constexpr int64_t kCommCountersWord = 2;
static constexpr int64_t kCommDataWord = 4;
static constexpr int64_t kCommFlagsWord = 12;
/// The flags of one barrier phase of one rank: u32 [kCommMaxCTAs][ranks].
static constexpr int64_t kCommPhaseFlagBytes = kCommMaxCTAs * kCommMaxRanks * 4;

/// Global memory (the staging buffers, flags and counters).
static constexpr unsigned kGlobalAddressSpace = 1;

static Type globalPointerType(MLIRContext *ctx) {
  return LLVM::LLVMPointerType::get(ctx, kGlobalAddressSpace);
}

static Value toI64(ImplicitLocOpBuilder &b, Value index) {
  return arith::IndexCastUIOp::create(b, b.getI64Type(), index);
}

/// `base + bytes` (an i8 GEP).
static Value offsetPointer(ImplicitLocOpBuilder &b, Value base, Value bytes) {
  Type ptr = base.getType();
  return LLVM::GEPOp::create(b, ptr, b.getI8Type(), base,
                             ArrayRef<LLVM::GEPArg>{bytes});
}

/// Word `word` (an index value) of the descriptor, as i64. The descriptor
/// does not change while a kernel runs (an invariant load: ld.global.nc).
static Value loadWord(ImplicitLocOpBuilder &b, Value descriptor, Value word) {
  Value eight = constIndex(b, 8);
  Value bytes = arith::MulIOp::create(b, word, eight);
  Value bytes64 = toI64(b, bytes);
  Value address = offsetPointer(b, descriptor, bytes64);
  return LLVM::LoadOp::create(b, b.getI64Type(), address, /*alignment=*/8,
                              /*isVolatile=*/false, /*isNonTemporal=*/false,
                              /*isInvariant=*/true);
}

static Value toGlobalPointer(ImplicitLocOpBuilder &b, Value address64) {
  return LLVM::IntToPtrOp::create(b, globalPointerType(b.getContext()),
                                  address64);
}

CommView codegen::emitLoadComm(ImplicitLocOpBuilder &b, Value descriptor) {
  CommView comm;
  comm.descriptor = toGlobalPointer(b, descriptor);
  Value rankWord = constIndex(b, kCommRankWord);
  Value rank64 = loadWord(b, comm.descriptor, rankWord);
  comm.rank = arith::IndexCastUIOp::create(b, b.getIndexType(), rank64);
  Value sizeWord = constIndex(b, kCommSizeWord);
  Value size64 = loadWord(b, comm.descriptor, sizeWord);
  comm.size = arith::IndexCastUIOp::create(b, b.getIndexType(), size64);
  Value countersWord = constIndex(b, kCommCountersWord);
  Value counters64 = loadWord(b, comm.descriptor, countersWord);
  comm.counters = toGlobalPointer(b, counters64);
  return comm;
}

/// The base of array `firstWord` of the descriptor's entry for `rank`.
static Value rankPointer(ImplicitLocOpBuilder &b, const CommView &comm,
                         int64_t firstWord, Value rank) {
  Value first = constIndex(b, firstWord);
  Value word = arith::AddIOp::create(b, first, rank);
  Value address = loadWord(b, comm.descriptor, word);
  return toGlobalPointer(b, address);
}

Value codegen::emitCommEpoch(ImplicitLocOpBuilder &b, const CommView &comm,
                             Value tid) {
  Value cta = gpu::BlockIdOp::create(b, gpu::Dimension::x);
  Value four = constIndex(b, 4);
  Value ctaBytes = arith::MulIOp::create(b, cta, four);
  Value ctaBytes64 = toI64(b, ctaBytes);
  Value counter = offsetPointer(b, comm.counters, ctaBytes64);
  Value previous = LLVM::LoadOp::create(b, b.getI32Type(), counter,
                                        /*alignment=*/4);
  Value one = constI32(b, 1);
  Value epoch = arith::AddIOp::create(b, previous, one);
  // Every thread has read the old count before thread 0 replaces it.
  gpu::BarrierOp::create(b);
  Value zero = constIndex(b, 0);
  Value isFirst = arith::CmpIOp::create(b, arith::CmpIPredicate::eq, tid, zero);
  emitIf(b, isFirst,
         [&] { LLVM::StoreOp::create(b, epoch, counter, /*alignment=*/4); });
  return epoch;
}

void codegen::emitCommBarrier(ImplicitLocOpBuilder &b, const CommView &comm,
                              Value tid, Value epoch, CommBarrier phase) {
  if (phase == CommBarrier::End) {
    // Every thread of the CTA has finished its reads of the peers.
    gpu::BarrierOp::create(b);
  }
  Value cta = gpu::BlockIdOp::create(b, gpu::Dimension::x);
  Value ranks = constIndex(b, kCommMaxRanks);
  Value ctaBase = arith::MulIOp::create(b, cta, ranks);
  Value phaseBytes =
      constIndex(b, phase == CommBarrier::Start ? 0 : kCommPhaseFlagBytes);
  Value four = constIndex(b, 4);
  // Byte offset of flag [cta][rank] of the phase.
  auto flagOffset = [&](Value rank) -> Value {
    Value slot = arith::AddIOp::create(b, ctaBase, rank);
    Value slotBytes = arith::MulIOp::create(b, slot, four);
    Value bytes = arith::AddIOp::create(b, phaseBytes, slotBytes);
    return toI64(b, bytes);
  };
  Value isPeerThread =
      arith::CmpIOp::create(b, arith::CmpIPredicate::ult, tid, comm.size);
  emitIf(b, isPeerThread, [&] {
    // Tell rank `tid` that this rank's CTA has arrived.
    Value peerFlags = rankPointer(b, comm, kCommFlagsWord, tid);
    Value ownSlot = flagOffset(comm.rank);
    Value remoteFlag = offsetPointer(b, peerFlags, ownSlot);
    LLVM::StoreOp::create(b, epoch, remoteFlag, /*alignment=*/4,
                          /*isVolatile=*/false, /*isNonTemporal=*/false,
                          /*isInvariantGroup=*/false,
                          LLVM::AtomicOrdering::release);
    // Wait for rank `tid`'s CTA to arrive here.
    Value ownFlags = rankPointer(b, comm, kCommFlagsWord, comm.rank);
    Value peerSlot = flagOffset(tid);
    Value localFlag = offsetPointer(b, ownFlags, peerSlot);
    auto loop = scf::WhileOp::create(b, TypeRange{}, ValueRange{});
    {
      OpBuilder::InsertionGuard guard(b);
      Block *before = b.createBlock(&loop.getBefore());
      b.setInsertionPointToStart(before);
      Value seen = LLVM::LoadOp::create(
          b, b.getI32Type(), localFlag, /*alignment=*/4, /*isVolatile=*/false,
          /*isNonTemporal=*/false, /*isInvariant=*/false,
          /*isInvariantGroup=*/false, LLVM::AtomicOrdering::acquire);
      Value behind = arith::SubIOp::create(b, seen, epoch);
      Value zero32 = constI32(b, 0);
      Value notYet =
          arith::CmpIOp::create(b, arith::CmpIPredicate::slt, behind, zero32);
      scf::ConditionOp::create(b, notYet, ValueRange{});
      Block *after = b.createBlock(&loop.getAfter());
      b.setInsertionPointToStart(after);
      scf::YieldOp::create(b, ValueRange{});
    }
  });
  if (phase == CommBarrier::Start) {
    // Every thread may read the peers once all of them have arrived.
    gpu::BarrierOp::create(b);
  }
}

Value codegen::emitPeerSum(ImplicitLocOpBuilder &b, const CommView &comm,
                           Value valid, Value elementOffset, VectorType type,
                           int64_t alignBytes, bool pairs) {
  Type elemType = type.getElementType();
  int64_t elemBytes = elemType.getIntOrFloatBitWidth() / 8;
  auto sum = [&]() -> Value {
    Value elemBytesValue = constIndex(b, elemBytes);
    Value bytes = arith::MulIOp::create(b, elementOffset, elemBytesValue);
    Value bytes64 = toI64(b, bytes);
    auto loadFrom = [&](Value rank) -> Value {
      Value base = rankPointer(b, comm, kCommDataWord, rank);
      Value address = offsetPointer(b, base, bytes64);
      return LLVM::LoadOp::create(b, type, address, alignBytes);
    };
    // x_0, then + x_1, + x_2, ... in f32 (SPEC.md 3.10): not 0 + x_0,
    // which would turn -0 into +0.
    Value zero = constIndex(b, 0);
    Value first = loadFrom(zero);
    SmallVector<Value> acc = extractAsF32(b, first);
    Value one = constIndex(b, 1);
    auto loop = scf::ForOp::create(b, one, comm.size, one, acc);
    {
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointToStart(loop.getBody());
      Value next = loadFrom(loop.getInductionVar());
      SmallVector<Value> addend = extractAsF32(b, next);
      SmallVector<Value> partial(loop.getRegionIterArgs());
      SmallVector<Value> added = emitElementwiseF32(
          b, pairs, {partial, addend}, [&](ValueRange v) -> Value {
            return arith::AddFOp::create(b, v[0], v[1]);
          });
      scf::YieldOp::create(b, added);
    }
    SmallVector<Value> total(loop.getResults());
    return truncToVector(b, total, elemType);
  };
  return emitGuardedValue(b, valid, type, sum);
}

//===----------------------------------------------------------------------===//
// The unfused all_reduce kernel
//===----------------------------------------------------------------------===//

std::string codegen::getAllReduceKernelName(Type elemType, int64_t hidden) {
  std::string name;
  llvm::raw_string_ostream os(name);
  os << "all_reduce_";
  elemType.print(os);
  os << "_h" << hidden;
  return name;
}

gpu::GPUFuncOp codegen::buildAllReduceKernel(OpBuilder &moduleBuilder,
                                             Location loc, Type elemType,
                                             int64_t hidden,
                                             const TargetChipInfo &chip) {
  MLIRContext *ctx = moduleBuilder.getContext();
  Type descriptorType = moduleBuilder.getI64Type();
  auto resultType = MemRefType::get({ShapedType::kDynamic, hidden}, elemType);
  FunctionType type =
      moduleBuilder.getFunctionType({descriptorType, resultType}, {});
  auto func = gpu::GPUFuncOp::create(
      moduleBuilder, loc, getAllReduceKernelName(elemType, hidden), type);
  func->setAttr(gpu::GPUDialect::getKernelFuncAttrName(),
                moduleBuilder.getUnitAttr());
  func.setKnownBlockSizeAttr(moduleBuilder.getDenseI32ArrayAttr(
      {static_cast<int32_t>(kAllReduceThreads), 1, 1}));

  ImplicitLocOpBuilder b(loc, ctx);
  b.setInsertionPointToStart(&func.getBody().front());
  Value descriptor = func.getArgument(0);
  Value result = func.getArgument(1);
  int64_t width = getRowVectorWidth(elemType, hidden);
  auto vecType = VectorType::get({width}, elemType);
  int64_t alignBytes = width * (elemType.getIntOrFloatBitWidth() / 8);

  Value tid = gpu::ThreadIdOp::create(b, gpu::Dimension::x);
  CommView comm = emitLoadComm(b, descriptor);
  Value epoch = emitCommEpoch(b, comm, tid);
  emitCommBarrier(b, comm, tid, epoch, CommBarrier::Start);

  // Grid-stride loop over the vectors of the [M, H] tensor.
  Value rows = memref::DimOp::create(b, result, 0);
  Value vecsPerRowValue = constIndex(b, hidden / width);
  Value vectors = arith::MulIOp::create(b, rows, vecsPerRowValue);
  Value cta = gpu::BlockIdOp::create(b, gpu::Dimension::x);
  Value grid = gpu::GridDimOp::create(b, gpu::Dimension::x);
  Value threads = constIndex(b, kAllReduceThreads);
  Value ctaFirst = arith::MulIOp::create(b, cta, threads);
  Value first = arith::AddIOp::create(b, ctaFirst, tid);
  Value step = arith::MulIOp::create(b, grid, threads);
  auto loop = scf::ForOp::create(b, first, vectors, step);
  {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(loop.getBody());
    Value index = loop.getInductionVar();
    Value row = arith::DivUIOp::create(b, index, vecsPerRowValue);
    Value vecInRow = arith::RemUIOp::create(b, index, vecsPerRowValue);
    Value widthValue = constIndex(b, width);
    Value column = arith::MulIOp::create(b, vecInRow, widthValue);
    Value elementOffset = arith::MulIOp::create(b, index, widthValue);
    Value sum = emitPeerSum(b, comm, Value(), elementOffset, vecType,
                            alignBytes, chip.hasPackedF32Arithmetic);
    emitGuardedStore(b, Value(), sum, result, {row, column}, alignBytes);
  }
  emitCommBarrier(b, comm, tid, epoch, CommBarrier::End);
  gpu::ReturnOp::create(b);
  return func;
}
