//===- Norm.cpp - row kernels: (fused add +) RMSNorm (+ quantize) ---------===//
//
// Part of the vllm-mlir project.
//
//===----------------------------------------------------------------------===//
//
// One generator builds every row kernel: rms_norm, fused_add_rms_norm,
// rms_norm_quant and quantize. The grid is persistent (one wave of CTAs,
// RowConfig::ctasPerSM per SM) and a CTA loops over rows blockIdx,
// blockIdx + gridDim, ... When the row fits in registers (RowConfig), each
// thread loads its vectors once (16 bytes when H allows) and keeps them
// through the reduction, the normalization and the quantization phase
// (Quantize.cpp), which consumes the same register values whether they were
// computed here or read from memory. The loads of the next row are issued
// before the current row is reduced, so HBM always has requests in flight
// (the latency of a row's reductions and barriers is hidden behind them),
// and w is read once per CTA. Longer rows are streamed: the row is read
// again in each pass instead of spilling.
//
// The norm numerics (SPEC.md 3.1, 3.2), identical in every kernel:
//
// clang-format off
//   residual_out = RN_T(x + residual)              (f32 add, one round)
//   sum          = fma(v, v, sum) per element in chunk, slot, element
//                  order of each thread of the reduction layout, then the
//                  block reduction of Codegen.cpp
//   r            = 1 / sqrt.rn(sum / H + epsilon)  (div.rn, sqrt.rn, div.rn)
//   y            = RN_T((v * r) * w), or RN_T(RN_T(v * r) * w) with
//                  round_before_weight
// clang-format on
//
// The reduction layout of a row over the threads depends on T, H and
// whether a residual is added, so a fused kernel and the unfused norm
// kernel it replaces sum in the same order and produce the same y bits. A
// kernel may fold several threads of that layout into one
// (RowConfig::foldedThreads): each thread then keeps their partial sums
// apart, and the order of every addition stays that of the layout.
//
//===----------------------------------------------------------------------===//

#include "Codegen.h"
#include "SiluTable.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/bit.h"

using namespace mlir;
using namespace mlir::vllm;
using namespace mlir::vllm::codegen;

//===----------------------------------------------------------------------===//
// Kernel signature
//===----------------------------------------------------------------------===//

SmallVector<RowOperand>
codegen::getRowKernelOperands(const RowKernelSpec &spec) {
  using Stage = RowKernelSpec::Stage;
  SmallVector<RowOperand> operands;
  if (spec.allReduce)
    operands.push_back(RowOperand::Comm);
  operands.push_back(RowOperand::Input);
  if (spec.norm) {
    if (spec.residual)
      operands.push_back(RowOperand::Residual);
    operands.push_back(RowOperand::Weight);
  }
  if (spec.stage == Stage::Quantize && spec.scheme.isStatic())
    operands.push_back(RowOperand::StaticScale);
  if (spec.stage == Stage::AmaxOnly || spec.stage == Stage::ApplyTensorScale)
    operands.push_back(RowOperand::Amax);
  if (spec.norm && spec.residual && spec.storeResidualOut)
    operands.push_back(RowOperand::ResidualOut);
  if (spec.computesY() && spec.storeNormalized)
    operands.push_back(RowOperand::Normalized);
  if (spec.stage == Stage::Quantize || spec.stage == Stage::ApplyTensorScale) {
    operands.push_back(RowOperand::Output);
    // A static scale is returned as it came in: CTA 0 copies it into the
    // scales result (no separate copy on the stream), unless the host passes
    // the operand itself there.
    operands.push_back(RowOperand::Scales);
  }
  return operands;
}

Type codegen::getRowOperandType(MLIRContext *ctx, const RowKernelSpec &spec,
                                RowOperand operand) {
  Builder b(ctx);
  int64_t dyn = ShapedType::kDynamic;
  switch (operand) {
  case RowOperand::Comm:
    return b.getI64Type();
  case RowOperand::Input:
    if (spec.prologue)
      return MemRefType::get(
          {dyn, getPrologueOperandCount(*spec.prologue) * spec.hidden},
          spec.elemType);
    return MemRefType::get({dyn, spec.hidden}, spec.elemType);
  case RowOperand::Residual:
  case RowOperand::ResidualOut:
  case RowOperand::Normalized:
    return MemRefType::get({dyn, spec.hidden}, spec.elemType);
  case RowOperand::Weight:
    return MemRefType::get({spec.hidden}, spec.elemType);
  case RowOperand::StaticScale:
    return MemRefType::get({1}, b.getF32Type());
  case RowOperand::Amax:
    return MemRefType::get({1}, b.getI32Type());
  case RowOperand::Output:
    return MemRefType::get({dyn, spec.hidden}, Float8E4M3FNType::get(ctx));
  case RowOperand::Scales: {
    ScaleFormatAttr format = spec.scheme.getScaleFormat();
    return MemRefType::get(format.getScaleShape(dyn, spec.hidden),
                           format.getElementType());
  }
  }
  llvm_unreachable("unknown row operand");
}

static std::string typeName(Type type) {
  std::string name;
  llvm::raw_string_ostream os(name);
  type.print(os);
  return name;
}

std::string codegen::getRowKernelName(const RowKernelSpec &spec) {
  using Stage = RowKernelSpec::Stage;
  std::string name;
  llvm::raw_string_ostream os(name);
  if (spec.prologue)
    os << stringifyPrologue(*spec.prologue);
  else
    os << (spec.allReduce ? "all_reduce_" : "")
       << (spec.norm ? (spec.residual ? "add_rms_norm" : "rms_norm")
                     : "quantize");
  os << "_" << typeName(spec.elemType) << "_h" << spec.hidden;
  if (spec.norm) {
    os << "_eps" << llvm::utohexstr(llvm::bit_cast<uint32_t>(spec.epsilon));
    // The rounding of T = f32 is the identity: one kernel for both.
    if (spec.roundBeforeWeight && !spec.elemType.isF32())
      os << "_rbw";
    if (spec.storeResidualOut)
      os << "_r";
  }
  if (spec.computesY() && spec.storeNormalized)
    os << "_y";
  if (spec.stage == Stage::None)
    return name;
  QuantSchemeAttr scheme = spec.scheme;
  switch (scheme.getKind()) {
  case QuantKind::StaticPerTensor:
    os << "_q_static";
    break;
  case QuantKind::DynamicPerTensor:
    os << (spec.stage == Stage::AmaxOnly ? "_amax" : "_q_tensor");
    break;
  case QuantKind::PerToken:
    os << "_q_token";
    if (FloatAttr ub = scheme.getUpperBound())
      os << "_ub"
         << llvm::utohexstr(llvm::bit_cast<uint32_t>(
                static_cast<float>(ub.getValueAsDouble())));
    break;
  case QuantKind::PerGroup:
    os << "_q_group" << scheme.getGroupSize() << "_"
       << stringifyScaleEncoding(scheme.getEncoding()) << "_"
       << stringifyScaleLayout(scheme.getLayout());
    if (scheme.getLayout() == ScaleLayout::MNMajor)
      os << scheme.getAlign();
    break;
  }
  return name;
}

std::string codegen::getRowKernelName(const RowKernelSpec &spec,
                                      const RowConfig &cfg) {
  return getRowKernelName(spec) + (cfg.stagedWeights ? "_wsmem" : "") +
         (cfg.siluTable ? "_silutab" : "");
}

bool codegen::rowKernelCoversPaddingRows(const RowKernelSpec &spec) {
  return spec.stage == RowKernelSpec::Stage::Quantize &&
         spec.scheme.isPerGroup() &&
         spec.scheme.getLayout() == ScaleLayout::MNMajor &&
         spec.scheme.getAlign() > 1;
}

//===----------------------------------------------------------------------===//
// Norm phase
//===----------------------------------------------------------------------===//

/// sqrt rounded to nearest. `math.sqrt` would become libdevice's __nv_sqrtf,
/// whose precision depends on __nvvm_reflect settings, and llvm.sqrt is
/// rerouted to it by the GPU-to-NVVM conversion; the PTX instruction states
/// the rounding in the code.
static Value emitSqrtRN(ImplicitLocOpBuilder &b, Value value) {
  return LLVM::InlineAsmOp::create(
             b, b.getF32Type(), ValueRange{value}, "sqrt.rn.f32 $0, $1;",
             "=f,f", /*has_side_effects=*/false, /*is_align_stack=*/false,
             LLVM::TailCallKind::None, LLVM::AsmDialectAttr{},
             /*operand_attrs=*/ArrayAttr{})
      .getResult(0);
}

namespace {
struct NormOperands {
  Value input, residual, weight, residualOut, normalized;
  /// memref<2 x getBlockReduceHalfSize(threads) x f32> (flat) for the sum, one
  /// half per row parity (null with one warp).
  Value sumBuffer;
  /// w as f32 in shared memory (RowConfig::stagedWeights), else null.
  Value stagedWeight;
  /// silu over the bf16 gates in shared memory (RowConfig::siluTable), else
  /// null.
  Value siluTable;
  /// The group of the all-reduce form (RowKernelSpec::allReduce): x is then
  /// the rank-ordered sum of the ranks' staged inputs. Null otherwise.
  const CommView *comm = nullptr;
};

/// Emits the passes of a row kernel over one row (see the file header).
class RowEmitter {
public:
  /// `row` is the row the emitted code works on; `sumBase` the first entry
  /// of its half of the sum buffer.
  /// `pairs`: element-wise arithmetic on f32 pairs (emitElementwiseF32).
  RowEmitter(ImplicitLocOpBuilder &b, const RowKernelSpec &spec,
             const RowConfig &cfg, const NormOperands &operands, Value tid,
             Value row, Value sumBase, bool pairs)
      : b(b), spec(spec), cfg(cfg), operands(operands), tid(tid), row(row),
        sumBase(sumBase), pairs(pairs),
        vecType(VectorType::get({cfg.vecWidth}, spec.elemType)),
        alignBytes(cfg.vecWidth * (spec.elemType.getIntOrFloatBitWidth() / 8)) {
  }

  /// The slots of the chunk starting at vector `base` (`constantBase` when
  /// it is the only chunk, starting at 0).
  RowState chunkState(Value base, bool constantBase);
  /// How many vectors loadInputs returns: x (y for quantize kernels) and
  /// the residual, per slot.
  int64_t numInputVectors() const;
  /// The input vectors of the single-chunk row `inputRow` as loaded from
  /// memory (zeros where a slot does not exist), or zeros when `rowValid`
  /// (may be null) is false.
  SmallVector<Value> loadInputs(const RowState &state, Value inputRow,
                                Value rowValid);
  /// x per slot as f32; with a residual, RN_T(x + residual), stored as
  /// residual_out when `storeResidual`.
  SmallVector<SmallVector<Value>> loadSource(const RowState &state,
                                             bool storeResidual);
  /// The same from input vectors already loaded (loadInputs).
  SmallVector<SmallVector<Value>> combineSource(const RowState &state,
                                                ArrayRef<Value> inputs,
                                                bool storeResidual);
  /// x per slot again in a later pass: residual_out as stored by the first
  /// pass when there is one (one read instead of two, and correct when the
  /// caller updates the residual in place), else recomputed.
  SmallVector<SmallVector<Value>> reloadSource(const RowState &state);
  /// w per slot as f32: from the staging buffer when the kernel has one,
  /// else loaded and widened.
  SmallVector<SmallVector<Value>> loadWeights(const RowState &state);
  /// Loads and widens w and stores it to the staging buffer, before the
  /// row loop. Each thread stores the elements it reads later, so no
  /// barrier is needed; slots past the end of the row stage zeros, as their
  /// loads give.
  void stageWeights(const RowState &state);
  /// The thread's partial sums of squares, one per folded reduction thread
  /// (RowConfig::foldedThreads): `acc[k]` continued with slots k, k + F, ...
  SmallVector<Value> accumulateSumOfSquares(ArrayRef<SmallVector<Value>> values,
                                            ArrayRef<Value> acc);
  /// Initial partial sums of squares (accumulateSumOfSquares).
  SmallVector<Value> zeroPartialSums() {
    return SmallVector<Value>(cfg.foldedThreads, constF32(b, 0.0f));
  }
  /// r = 1 / sqrt(sum / H + epsilon) from the per-thread partial sums.
  Value inverseRms(ValueRange threadSums);
  /// y = RN_T((x * r) * w) into `state`, stored as the normalized tensor
  /// when `storeY`.
  void computeY(RowState &state, ArrayRef<SmallVector<Value>> values,
                ArrayRef<SmallVector<Value>> weights, Value r, bool storeY);
  /// Rounds slot `s`'s f32 y `values` to T into `state`, stored as the
  /// normalized tensor (or product) when `storeY`.
  void setSlotY(RowState &state, int64_t s, ArrayRef<Value> values,
                bool storeY);
  /// y read from the input (quantize kernels), or computed by the
  /// prologue from it and stored as the normalized tensor when `storeY`.
  void loadY(RowState &state, bool storeY);
  /// y from input vectors already loaded (loadInputs): the vectors
  /// themselves, or the prologue's result from them.
  void setY(RowState &state, ArrayRef<Value> inputs, bool storeY);

  /// scf.for over the chunks with one f32 accumulator.
  Value forChunks(Value init, function_ref<Value(Value base, Value acc)> body);
  void forChunks(function_ref<void(Value base)> body);

private:
  ImplicitLocOpBuilder &b;
  const RowKernelSpec &spec;
  const RowConfig &cfg;
  /// w of slot `s` as f32, loaded from global memory and widened.
  SmallVector<Value> loadGlobalWeight(const RowState &state, int64_t s);

  const NormOperands &operands;
  Value tid, row, sumBase;
  bool pairs;
  VectorType vecType;
  int64_t alignBytes;
};
} // namespace

RowState RowEmitter::chunkState(Value base, bool constantBase) {
  RowState state;
  // Every slot of every chunk exists when the chunks tile the row exactly.
  bool allFull = cfg.numVecs % cfg.vecsPerChunk() == 0;
  for (int64_t s = 0; s < cfg.slots; ++s) {
    Value index = arith::AddIOp::create(
        b, arith::AddIOp::create(b, base, constIndex(b, s * cfg.threads)), tid);
    state.vecIndex.push_back(index);
    bool alwaysValid =
        constantBase ? (s + 1) * cfg.threads <= cfg.numVecs : allFull;
    state.valid.push_back(
        alwaysValid ? Value()
                    : arith::CmpIOp::create(b, arith::CmpIPredicate::ult, index,
                                            constIndex(b, cfg.numVecs))
                          .getResult());
    state.column.push_back(
        arith::MulIOp::create(b, index, constIndex(b, cfg.vecWidth)));
  }
  return state;
}

int64_t RowEmitter::numInputVectors() const {
  return cfg.slots * spec.inputsPerSlot();
}

SmallVector<Value> RowEmitter::loadInputs(const RowState &state, Value inputRow,
                                          Value rowValid) {
  auto load = [&] {
    SmallVector<Value> vectors;
    // x = all_reduce(x) of SPEC.md 3.11, from the staged inputs, which have
    // x's [M, H] layout: the row's first element there.
    Value rowStart;
    if (operands.comm) {
      Value hidden = constIndex(b, cfg.hidden);
      rowStart = arith::MulIOp::create(b, inputRow, hidden);
    }
    for (int64_t s = 0; s < cfg.slots; ++s) {
      if (operands.comm) {
        Value offset = arith::AddIOp::create(b, rowStart, state.column[s]);
        vectors.push_back(emitPeerSum(b, *operands.comm, state.valid[s], offset,
                                      vecType, alignBytes, pairs));
      } else {
        vectors.push_back(
            emitGuardedLoad(b, state.valid[s], vecType, operands.input,
                            {inputRow, state.column[s]}, alignBytes));
      }
      if (spec.norm && spec.residual)
        vectors.push_back(
            emitGuardedLoad(b, state.valid[s], vecType, operands.residual,
                            {inputRow, state.column[s]}, alignBytes));
      // The further operands of a prologue, H columns apart (up after
      // gate).
      for (int64_t j = 1; j < spec.inputsPerSlot() && spec.prologue; ++j) {
        Value offset = constIndex(b, j * cfg.hidden);
        Value column = arith::AddIOp::create(b, state.column[s], offset);
        vectors.push_back(emitGuardedLoad(b, state.valid[s], vecType,
                                          operands.input, {inputRow, column},
                                          alignBytes));
      }
    }
    return vectors;
  };
  if (!rowValid)
    return load();
  SmallVector<Type> types(numInputVectors(), vecType);
  auto ifOp = scf::IfOp::create(b, types, rowValid, /*withElseRegion=*/true);
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(ifOp.thenBlock());
  scf::YieldOp::create(b, load());
  b.setInsertionPointToStart(ifOp.elseBlock());
  scf::YieldOp::create(
      b, SmallVector<Value>(types.size(), constZeroVector(b, vecType)));
  return SmallVector<Value>(ifOp.getResults());
}

SmallVector<SmallVector<Value>> RowEmitter::loadSource(const RowState &state,
                                                       bool storeResidual) {
  return combineSource(state, loadInputs(state, row, Value()), storeResidual);
}

SmallVector<SmallVector<Value>>
RowEmitter::combineSource(const RowState &state, ArrayRef<Value> inputs,
                          bool storeResidual) {
  SmallVector<SmallVector<Value>> values;
  int64_t perSlot = spec.residual ? 2 : 1;
  for (int64_t s = 0; s < cfg.slots; ++s) {
    Value valid = state.valid[s];
    Value column = state.column[s];
    Value x = inputs[s * perSlot];
    if (spec.residual) {
      Value residual = inputs[s * perSlot + 1];
      SmallVector<Value> xs = extractAsF32(b, x);
      SmallVector<Value> residuals = extractAsF32(b, residual);
      SmallVector<Value> added = emitElementwiseF32(
          b, pairs, {xs, residuals}, [&](ValueRange v) -> Value {
            return arith::AddFOp::create(b, v[0], v[1]);
          });
      // residual_out = RN_T(x + residual); the norm reads the rounded value.
      x = truncToVector(b, added, spec.elemType);
      if (storeResidual && operands.residualOut)
        emitGuardedStore(b, valid, x, operands.residualOut, {row, column},
                         alignBytes);
    }
    values.push_back(extractAsF32(b, x));
  }
  return values;
}

SmallVector<SmallVector<Value>>
RowEmitter::reloadSource(const RowState &state) {
  if (!spec.residual || !operands.residualOut)
    return loadSource(state, /*storeResidual=*/false);
  // The same thread wrote these elements in the first pass.
  SmallVector<SmallVector<Value>> values;
  for (int64_t s = 0; s < cfg.slots; ++s)
    values.push_back(extractAsF32(
        b, emitGuardedLoad(b, state.valid[s], vecType, operands.residualOut,
                           {row, state.column[s]}, alignBytes)));
  return values;
}

/// The staging buffer holds quads (four consecutive f32 of one vector) in
/// the order (slot, quad, thread): the 16-byte accesses of a warp to one
/// quad are consecutive, free of bank conflicts.
static Value stagedQuadOffset(ImplicitLocOpBuilder &b, const RowConfig &cfg,
                              Value tid, int64_t slot, int64_t quad) {
  int64_t first = (slot * (cfg.vecWidth / 4) + quad) * cfg.threads;
  Value firstQuad = constIndex(b, first);
  Value quadIndex = arith::AddIOp::create(b, firstQuad, tid);
  Value quadElements = constIndex(b, 4);
  return arith::MulIOp::create(b, quadIndex, quadElements);
}

SmallVector<Value> RowEmitter::loadGlobalWeight(const RowState &state,
                                                int64_t s) {
  return extractAsF32(b, emitGuardedLoad(b, state.valid[s], vecType,
                                         operands.weight, {state.column[s]},
                                         alignBytes));
}

SmallVector<SmallVector<Value>> RowEmitter::loadWeights(const RowState &state) {
  SmallVector<SmallVector<Value>> weights(cfg.slots);
  if (!operands.stagedWeight) {
    for (int64_t s = 0; s < cfg.slots; ++s)
      weights[s] = loadGlobalWeight(state, s);
    return weights;
  }
  auto quadType = VectorType::get({4}, b.getF32Type());
  for (int64_t s = 0; s < cfg.slots; ++s)
    for (int64_t q = 0; q < cfg.vecWidth / 4; ++q)
      llvm::append_range(
          weights[s],
          extractAsF32(b, vector::LoadOp::create(
                              b, quadType, operands.stagedWeight,
                              ValueRange{stagedQuadOffset(b, cfg, tid, s, q)},
                              /*nontemporal=*/false, llvm::MaybeAlign(16))));
  return weights;
}

void RowEmitter::stageWeights(const RowState &state) {
  auto quadType = VectorType::get({4}, b.getF32Type());
  for (int64_t s = 0; s < cfg.slots; ++s) {
    SmallVector<Value> weights = loadGlobalWeight(state, s);
    for (int64_t q = 0; q < cfg.vecWidth / 4; ++q) {
      Value quad = vector::FromElementsOp::create(
          b, quadType, ArrayRef<Value>(weights).slice(4 * q, 4));
      Value offset = stagedQuadOffset(b, cfg, tid, s, q);
      vector::StoreOp::create(b, quad, operands.stagedWeight,
                              ValueRange{offset},
                              /*nontemporal=*/false, llvm::MaybeAlign(16));
    }
  }
}

SmallVector<Value>
RowEmitter::accumulateSumOfSquares(ArrayRef<SmallVector<Value>> values,
                                   ArrayRef<Value> acc) {
  assert(static_cast<int64_t>(acc.size()) == cfg.foldedThreads &&
         "one partial sum per folded thread");
  // An explicit fma per element: the same rounding in every kernel, whatever
  // contraction the backend would do with a multiply and an add.
  SmallVector<Value> sums(acc);
  for (auto [s, slot] : llvm::enumerate(values))
    for (Value v : slot) {
      Value &sum = sums[s % cfg.foldedThreads];
      sum = emitFma(b, v, v, sum);
    }
  return sums;
}

Value RowEmitter::inverseRms(ValueRange threadSums) {
  Value sum = emitBlockReduce(b, threadSums, ReduceKind::Sum, cfg.threads, tid,
                              operands.sumBuffer, sumBase);
  Value mean = arith::DivFOp::create(
      b, sum, constF32(b, static_cast<float>(cfg.hidden)));
  Value shifted = arith::AddFOp::create(b, mean, constF32(b, spec.epsilon));
  Value one = constF32(b, 1.0f);
  Value root = emitSqrtRN(b, shifted);
  return arith::DivFOp::create(b, one, root);
}

void RowEmitter::computeY(RowState &state, ArrayRef<SmallVector<Value>> values,
                          ArrayRef<SmallVector<Value>> weights, Value r,
                          bool storeY) {
  state.y.clear();
  state.packedY.clear();
  auto multiply = [&](ValueRange v) -> Value {
    return arith::MulFOp::create(b, v[0], v[1]);
  };
  for (int64_t s = 0; s < cfg.slots; ++s) {
    if (spec.roundBeforeWeight && !spec.elemType.isF32()) {
      // round_before_weight: RN_T(x * r) first, as Hugging Face's RMSNorm
      // casts the normalized row to the input type before the weight (one
      // packed conversion per slot), then RN_T(that * w) in setSlotY.
      SmallVector<Value> normalized =
          emitElementwiseF32(b, pairs, {values[s], r}, multiply);
      Value roundedVector = truncToVector(b, normalized, spec.elemType);
      SmallVector<Value> rounded = extractAsF32(b, roundedVector);
      SmallVector<Value> scaled =
          emitElementwiseF32(b, pairs, {rounded, weights[s]}, multiply);
      setSlotY(state, s, scaled, storeY);
      continue;
    }
    SmallVector<Value> scaled = emitElementwiseF32(
        b, pairs, {values[s], r, weights[s]}, [&](ValueRange v) -> Value {
          return arith::MulFOp::create(b, arith::MulFOp::create(b, v[0], v[1]),
                                       v[2]);
        });
    setSlotY(state, s, scaled, storeY);
  }
}

void RowEmitter::setSlotY(RowState &state, int64_t s, ArrayRef<Value> values,
                          bool storeY) {
  Value y = truncToVector(b, values, spec.elemType);
  if (storeY && operands.normalized)
    emitGuardedStore(b, state.valid[s], y, operands.normalized,
                     {row, state.column[s]}, alignBytes);
  // The quantization sees y exactly as a separate quantize kernel would
  // read it back from memory: rounded to T.
  state.y.push_back(spec.elemType.isF32() ? SmallVector<Value>(values)
                                          : extractAsF32(b, y));
  if (spec.elemType.isBF16())
    state.packedY.push_back(y);
}

void RowEmitter::loadY(RowState &state, bool storeY) {
  setY(state, loadInputs(state, row, Value()), storeY);
}

void RowEmitter::setY(RowState &state, ArrayRef<Value> inputs, bool storeY) {
  state.y.clear();
  state.packedY.clear();
  if (operands.siluTable) {
    // gate | up per slot; silu(g) from the table (the same bits).
    for (int64_t s = 0; s < cfg.slots; ++s) {
      Value gateVector = inputs[2 * s];
      SmallVector<Value> gates = extractAsF32(b, gateVector);
      SmallVector<Value> ups = extractAsF32(b, inputs[2 * s + 1]);
      SmallVector<Value> values =
          emitSiluAndMulByTable(b, gateVector, gates, ups, operands.siluTable);
      setSlotY(state, s, values, storeY);
    }
    return;
  }
  if (spec.prologue) {
    int64_t count = spec.inputsPerSlot();
    for (int64_t s = 0; s < cfg.slots; ++s) {
      SmallVector<SmallVector<Value>> elements;
      for (int64_t j = 0; j < count; ++j)
        elements.push_back(extractAsF32(b, inputs[s * count + j]));
      SmallVector<ArrayRef<Value>> lists(elements.begin(), elements.end());
      SmallVector<Value> values =
          emitElementwiseF32(b, pairs, lists, [&](ValueRange v) -> Value {
            return emitPrologueElement(b, *spec.prologue, v);
          });
      setSlotY(state, s, values, storeY);
    }
    return;
  }
  for (Value vector : inputs) {
    state.y.push_back(extractAsF32(b, vector));
    if (spec.elemType.isBF16())
      state.packedY.push_back(vector);
  }
}

Value RowEmitter::forChunks(Value init,
                            function_ref<Value(Value base, Value acc)> body) {
  Value zero = constIndex(b, 0);
  Value chunks = constIndex(b, cfg.chunks);
  Value one = constIndex(b, 1);
  auto loop = scf::ForOp::create(b, zero, chunks, one, ValueRange{init});
  {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(loop.getBody());
    Value base = arith::MulIOp::create(b, loop.getInductionVar(),
                                       constIndex(b, cfg.vecsPerChunk()));
    scf::YieldOp::create(b, body(base, loop.getRegionIterArgs()[0]));
  }
  return loop.getResult(0);
}

void RowEmitter::forChunks(function_ref<void(Value base)> body) {
  Value zero = constIndex(b, 0);
  Value chunks = constIndex(b, cfg.chunks);
  Value one = constIndex(b, 1);
  auto loop = scf::ForOp::create(b, zero, chunks, one);
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPoint(loop.getBody()->getTerminator());
  body(arith::MulIOp::create(b, loop.getInductionVar(),
                             constIndex(b, cfg.vecsPerChunk())));
}

/// The row when it fits in registers, from its input vectors (loaded ahead
/// by the row loop). `prefetch` issues the loads of a later row, first:
/// before this row's reductions and barriers.
static void emitSingleChunkRow(ImplicitLocOpBuilder &b, RowEmitter &row,
                               const RowKernelSpec &spec, RowQuantizer *quant,
                               ArrayRef<Value> inputs,
                               function_ref<void()> prefetch) {
  RowState state = row.chunkState(constIndex(b, 0), /*constantBase=*/true);
  prefetch();
  if (spec.norm) {
    // w is read for every row, from L1 after the first (or from the
    // staging buffer): holding it in registers across the loop would cost
    // the registers that keep a second CTA resident.
    auto weights = row.loadWeights(state);
    auto values = row.combineSource(state, inputs, /*storeResidual=*/true);
    Value r = row.inverseRms(
        row.accumulateSumOfSquares(values, row.zeroPartialSums()));
    row.computeY(state, values, weights, r, /*storeY=*/true);
  } else {
    row.setY(state, inputs, /*storeY=*/true);
  }
  if (!quant)
    return;
  if (quant->needsRowAmax())
    quant->emitRowAmax(
        quant->emitAccumulateAmax(state, quant->emitAmaxIdentity()));
  if (quant->quantizesChunks())
    quant->emitChunk(state);
  quant->emitEpilogue();
}

/// A row longer than the registers hold: one pass for the sum of squares
/// (norms), one computing y (and its amax when the scale needs it), and for
/// per-token one more recomputing y to quantize it. Recomputation repeats
/// the same operations on the same inputs, so y has the same bits in every
/// pass.
static void emitStreamedRow(ImplicitLocOpBuilder &b, RowEmitter &row,
                            const RowKernelSpec &spec, RowQuantizer *quant) {
  Value r;
  if (spec.norm) {
    Value sum = row.forChunks(constF32(b, 0.0f), [&](Value base, Value acc) {
      RowState state = row.chunkState(base, /*constantBase=*/false);
      return row.accumulateSumOfSquares(
          row.loadSource(state, /*storeResidual=*/true), acc)[0];
    });
    r = row.inverseRms(sum);
  }
  auto produceY = [&](RowState &state, bool storeY) {
    if (!spec.norm)
      return row.loadY(state, storeY);
    auto values = row.reloadSource(state);
    row.computeY(state, values, row.loadWeights(state), r, storeY);
  };
  if (quant && quant->needsRowAmax()) {
    Value amax =
        row.forChunks(quant->emitAmaxIdentity(), [&](Value base, Value acc) {
          RowState state = row.chunkState(base, /*constantBase=*/false);
          produceY(state, /*storeY=*/true);
          return quant->emitAccumulateAmax(state, acc);
        });
    quant->emitRowAmax(amax);
    if (quant->quantizesChunks())
      row.forChunks([&](Value base) {
        RowState state = row.chunkState(base, /*constantBase=*/false);
        produceY(state, /*storeY=*/false);
        quant->emitChunk(state);
      });
  } else {
    row.forChunks([&](Value base) {
      RowState state = row.chunkState(base, /*constantBase=*/false);
      produceY(state, /*storeY=*/true);
      if (quant)
        quant->emitChunk(state);
    });
  }
  if (quant)
    quant->emitEpilogue();
}

//===----------------------------------------------------------------------===//
// Kernel
//===----------------------------------------------------------------------===//

gpu::GPUFuncOp codegen::buildRowKernel(OpBuilder &moduleBuilder, Location loc,
                                       const RowKernelSpec &spec,
                                       const RowConfig &cfg,
                                       const TargetChipInfo &chip) {
  using Stage = RowKernelSpec::Stage;
  MLIRContext *ctx = moduleBuilder.getContext();
  SmallVector<RowOperand> roles = getRowKernelOperands(spec);
  SmallVector<Type> argTypes;
  for (RowOperand role : roles)
    argTypes.push_back(getRowOperandType(ctx, spec, role));
  auto func =
      gpu::GPUFuncOp::create(moduleBuilder, loc, getRowKernelName(spec, cfg),
                             moduleBuilder.getFunctionType(argTypes, {}));
  func->setAttr(gpu::GPUDialect::getKernelFuncAttrName(),
                moduleBuilder.getUnitAttr());
  func.setKnownBlockSizeAttr(moduleBuilder.getDenseI32ArrayAttr(
      {static_cast<int32_t>(cfg.threads), 1, 1}));
  // A persistent grid is one wave of ctasPerSM CTAs per SM: ptxas must keep
  // the registers within what that many CTAs can hold.
  if (cfg.isPersistent())
    func->setAttr("nvvm.minctasm",
                  moduleBuilder.getI32IntegerAttr(cfg.ctasPerSM));
  else if (cfg.chunks > 1)
    func->setAttr("nvvm.minctasm",
                  moduleBuilder.getI32IntegerAttr(kStreamedRowCTAsPerSM));

  auto argFor = [&](RowOperand role) -> Value {
    for (auto [i, r] : llvm::enumerate(roles))
      if (r == role)
        return func.getArgument(i);
    return Value();
  };
  NormOperands norm{argFor(RowOperand::Input),
                    argFor(RowOperand::Residual),
                    argFor(RowOperand::Weight),
                    argFor(RowOperand::ResidualOut),
                    argFor(RowOperand::Normalized),
                    Value(),
                    Value(),
                    Value()};
  QuantOperands quantOperands;
  quantOperands.output = argFor(RowOperand::Output);
  quantOperands.scales = argFor(RowOperand::Scales);
  quantOperands.staticScale = argFor(RowOperand::StaticScale);
  quantOperands.amax = argFor(RowOperand::Amax);
  if (spec.norm && cfg.reductionThreads() > kWarpSize)
    norm.sumBuffer = addWorkgroupBuffer(
        func, {2 * getBlockReduceHalfSize(cfg.reductionThreads())},
        moduleBuilder.getF32Type());
  if (spec.stage != Stage::None)
    addQuantBuffers(func, spec, cfg, quantOperands);
  assert((!cfg.stagedWeights || canStageWeights(spec, cfg)) &&
         "staged weights need a persistent single-chunk norm kernel");
  if (cfg.stagedWeights)
    norm.stagedWeight = addWorkgroupBuffer(func, {cfg.stagedWeightElements()},
                                           moduleBuilder.getF32Type());
  assert((!cfg.siluTable || canUseSiluTable(spec, cfg)) &&
         "the silu table needs a persistent bf16 silu_and_mul kernel");
  memref::GlobalOp siluTableGlobal;
  if (cfg.siluTable) {
    siluTableGlobal = getOrCreateSiluTableGlobal(moduleBuilder, loc);
    norm.siluTable = addWorkgroupBuffer(func, {kSiluTableEntries},
                                        moduleBuilder.getF32Type());
  }

  ImplicitLocOpBuilder b(loc, ctx);
  b.setInsertionPointToStart(&func.getBody().front());
  Value tid = gpu::ThreadIdOp::create(b, gpu::Dimension::x);
  Value lane = arith::RemUIOp::create(b, tid, constIndex(b, kWarpSize));
  Value firstRow = gpu::BlockIdOp::create(b, gpu::Dimension::x);
  Value gridSize = gpu::GridDimOp::create(b, gpu::Dimension::x);
  Value rows = memref::DimOp::create(b, norm.input, 0);
  // The all-reduce form: meet the same CTA of every rank before the first
  // load of a peer's input (AllReduce.cpp).
  std::optional<CommView> comm;
  Value epoch;
  if (spec.allReduce) {
    assert(spec.norm && spec.residual && "all-reduce form without residual");
    comm = emitLoadComm(b, argFor(RowOperand::Comm));
    norm.comm = &*comm;
    epoch = emitCommEpoch(b, *comm, tid);
    emitCommBarrier(b, *comm, tid, epoch, CommBarrier::Start);
  }
  auto rowAt = [&](Value iteration) -> Value {
    return arith::AddIOp::create(b, firstRow,
                                 arith::MulIOp::create(b, iteration, gridSize));
  };
  auto isRow = [&](Value row) -> Value {
    return arith::CmpIOp::create(b, arith::CmpIPredicate::ult, row, rows);
  };

  // Loop-invariant parts of a row kept in registers: the slots and the
  // inputs of the first `prefetch` rows, issued before the quantization
  // prologue, whose scale load is used at once (1/s).
  bool singleChunk = cfg.chunks == 1;
  RowEmitter invariant(b, spec, cfg, norm, tid, firstRow, Value(),
                       chip.hasPackedF32Arithmetic);
  RowState slots;
  SmallVector<Value> inFlight;
  if (singleChunk) {
    slots = invariant.chunkState(constIndex(b, 0), /*constantBase=*/true);
    for (int64_t d = 0; d < cfg.prefetch; ++d) {
      Value row = rowAt(constIndex(b, d));
      llvm::append_range(inFlight,
                         invariant.loadInputs(slots, row, isRow(row)));
    }
    // w's loads go out after the first rows' inputs.
    if (cfg.stagedWeights)
      invariant.stageWeights(slots);
    // So does the silu table's copy, which the first row waits for.
    if (cfg.siluTable)
      emitSiluTableCopy(b, siluTableGlobal, norm.siluTable, tid, cfg.threads);
  }
  // The grid may have CTAs without rows (the padding rows of MN-major
  // scales, or CTA 0 writing the dynamic per-tensor scale when M = 0):
  // every loop bound is uniform per CTA, so the barriers inside stay
  // convergent.
  if (spec.stage != Stage::None)
    emitRowQuantizationPrologue(b, spec, quantOperands, tid, firstRow);
  std::optional<RowQuantizer> quant;
  if (spec.stage != Stage::None) {
    quant.emplace(b, spec, cfg, quantOperands, chip, tid, lane);
    quant->emitPrologue();
  }
  RowQuantizer *quantizer = quant ? &*quant : nullptr;

  int64_t perRow = invariant.numInputVectors();

  Value one = constIndex(b, 1);
  // The code of one row: iteration i of this CTA works on row firstRow +
  // i * gridSize; `carriedIn` are the inputs loaded ahead, the result the
  // ones to carry to the next iteration.
  auto emitRowIteration = [&](Value iteration,
                              ValueRange carriedIn) -> SmallVector<Value> {
    Value row = rowAt(iteration);
    Value parity = arith::AndIOp::create(b, iteration, one);
    Value sumBase = arith::MulIOp::create(
        b, parity,
        constIndex(b, getBlockReduceHalfSize(cfg.reductionThreads())));
    RowEmitter emitter(b, spec, cfg, norm, tid, row, sumBase,
                       chip.hasPackedF32Arithmetic);
    if (quant)
      quant->beginRow(row, parity);
    SmallVector<Value> carried;
    if (!singleChunk) {
      emitStreamedRow(b, emitter, spec, quantizer);
      return carried;
    }
    SmallVector<Value> inputs;
    if (cfg.prefetch == 0) {
      inputs = emitter.loadInputs(slots, row, Value());
    } else {
      inputs.assign(carriedIn.begin(), carriedIn.begin() + perRow);
      carried.assign(carriedIn.begin() + perRow, carriedIn.end());
    }
    emitSingleChunkRow(b, emitter, spec, quantizer, inputs, [&] {
      if (cfg.prefetch == 0)
        return;
      Value ahead = rowAt(
          arith::AddIOp::create(b, iteration, constIndex(b, cfg.prefetch)));
      llvm::append_range(carried,
                         emitter.loadInputs(slots, ahead, isRow(ahead)));
    });
    return carried;
  };

  // The all-reduce form loops over rows even with a CTA per row: its grid
  // is capped so that every rank's kernel can be resident at once.
  if (!cfg.isPersistent() && !spec.allReduce) {
    // One row per CTA (the grid covers the rows).
    emitIf(b, isRow(firstRow),
           [&] { emitRowIteration(constIndex(b, 0), ValueRange()); });
  } else {
    // Iterations i < ceil((rows - firstRow) / gridSize) (firstRow <
    // gridSize, so the numerator never wraps).
    Value iterations = arith::DivUIOp::create(
        b,
        arith::SubIOp::create(
            b,
            arith::AddIOp::create(b, rows,
                                  arith::SubIOp::create(b, gridSize, one)),
            firstRow),
        gridSize);
    auto loop = scf::ForOp::create(b, constIndex(b, 0), iterations, one,
                                   ValueRange(inFlight));
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(loop.getBody());
    scf::YieldOp::create(
        b, emitRowIteration(loop.getInductionVar(), loop.getRegionIterArgs()));
  }

  // Padding rows M <= row < Mpad of MN-major scales: zero scale entries.
  if (rowKernelCoversPaddingRows(spec)) {
    int64_t align = spec.scheme.getAlign();
    Value alignMinusOne = constIndex(b, align - 1);
    Value bumpedRows = arith::AddIOp::create(b, rows, alignMinusOne);
    Value alignValue = constIndex(b, align);
    Value paddedGroups = arith::DivUIOp::create(b, bumpedRows, alignValue);
    Value paddedRows = arith::MulIOp::create(b, paddedGroups, alignValue);
    Value firstPaddingRow = arith::AddIOp::create(b, rows, firstRow);
    auto padLoop = scf::ForOp::create(b, firstPaddingRow, paddedRows, gridSize);
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPoint(padLoop.getBody()->getTerminator());
    emitPaddingRowScales(b, spec, cfg, tid, padLoop.getInductionVar(),
                         quantOperands.scales);
  }
  // The peers may overwrite their staged inputs once every rank's CTA is
  // past its reads.
  if (comm)
    emitCommBarrier(b, *comm, tid, epoch, CommBarrier::End);
  gpu::ReturnOp::create(b);
  return func;
}
