//===- FuseNormQuant.cpp - fuse RMSNorm and FP8 quantization --------------===//
//
// Part of the vllm-mlir project.
//
//===----------------------------------------------------------------------===//
//
// vllm-fuse-norm-quant: (fused_add_)rms_norm + quantize -> rms_norm_quant,
// an element-wise prologue (silu_and_mul) + quantize -> elementwise_quant,
// and all_reduce + rms_norm_quant with a residual -> its all-reduce form. The
// fused op is by definition the function of the sequence it replaces
// (SPEC.md 3.4, 3.8, C9); what this file has to get right is the plumbing
// around it, the same for every producer: which quantize to take, where to put
// the fused op so that every value still dominates its users, and how to give
// every other user of the producer's results an equal value (rank-2 or expanded
// back to the batch shape). A producer is one entry of the table of getView
// overloads.
//
//===----------------------------------------------------------------------===//

#include "vllm-mlir/Dialect/Vllm/IR/VllmOps.h"
#include "vllm-mlir/Dialect/Vllm/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Rewrite/FrozenRewritePatternSet.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

#include <functional>

namespace mlir::vllm {
#define GEN_PASS_DEF_VLLMFUSENORMQUANTPASS
#include "vllm-mlir/Dialect/Vllm/Transforms/Passes.h.inc"
} // namespace mlir::vllm

using namespace mlir;
using namespace mlir::vllm;

namespace {

/// The fused op of a producer + quantize pair, as the rewrite uses it.
struct FusedResults {
  Value output;
  Value scales;
  Value sideResult; // residual_out, or null
  Value product;    // the producer's result (y), or null
};

/// What the rewrite needs from a producer of the tensor a quantize reads,
/// i.e. one entry of the fusion table: the norms (rms_norm_quant) and the
/// element-wise prologues (elementwise_quant).
struct ProducerView {
  Operation *op;
  /// The tensor the quantize reads (y).
  Value result;
  /// Row-wise operands: collapsed like the result when the leading
  /// dimensions are flattened in front of the quantize (x, the residual).
  SmallVector<Value, 2> rowOperands;
  /// A second row-wise result, rewired to the fused op's (residual_out);
  /// null when there is none.
  Value sideResult;
  /// Builds the fused op from the row operands (collapsed where needed).
  std::function<FusedResults(PatternRewriter &, Location, ArrayRef<Value>,
                             Value scale, QuantSchemeAttr, bool returnProduct)>
      build;
};

FusedResults buildNormQuant(PatternRewriter &rewriter, Location loc,
                            ArrayRef<Value> rowOperands, Value weight,
                            FloatAttr epsilon, bool roundBeforeWeight,
                            Value scale, QuantSchemeAttr scheme,
                            bool returnProduct) {
  Value residual = rowOperands.size() > 1 ? rowOperands[1] : Value();
  // The fused op keeps the norm's rounding (SPEC.md 3.1): otherwise its y,
  // and so q, would differ from the sequence's.
  auto fused = RMSNormQuantOp::create(rewriter, loc, rowOperands[0], weight,
                                      residual, scale, epsilon, scheme,
                                      returnProduct, roundBeforeWeight);
  return {fused.getOutput(), fused.getScales(), fused.getResidualOut(),
          fused.getNormalized()};
}

ProducerView getView(RMSNormOp op) {
  Value weight = op.getWeight();
  FloatAttr epsilon = op.getEpsilonAttr();
  bool roundBeforeWeight = op.getRoundBeforeWeight();
  return {
      op,
      op.getResult(),
      {op.getInput()},
      Value(),
      [weight, epsilon, roundBeforeWeight](
          PatternRewriter &rewriter, Location loc, ArrayRef<Value> rowOperands,
          Value scale, QuantSchemeAttr scheme, bool returnProduct) {
        return buildNormQuant(rewriter, loc, rowOperands, weight, epsilon,
                              roundBeforeWeight, scale, scheme, returnProduct);
      }};
}

ProducerView getView(FusedAddRMSNormOp op) {
  Value weight = op.getWeight();
  FloatAttr epsilon = op.getEpsilonAttr();
  bool roundBeforeWeight = op.getRoundBeforeWeight();
  return {
      op,
      op.getResult(),
      {op.getInput(), op.getResidual()},
      op.getResidualOut(),
      [weight, epsilon, roundBeforeWeight](
          PatternRewriter &rewriter, Location loc, ArrayRef<Value> rowOperands,
          Value scale, QuantSchemeAttr scheme, bool returnProduct) {
        return buildNormQuant(rewriter, loc, rowOperands, weight, epsilon,
                              roundBeforeWeight, scale, scheme, returnProduct);
      }};
}

/// An element-wise prologue `prologue` computing `result` from the row-wise
/// `input` (SPEC.md 3.8): every such op fuses through this one entry.
ProducerView getPrologueView(Operation *op, Prologue prologue, Value input,
                             Value result) {
  return {op,
          result,
          {input},
          Value(),
          [prologue](PatternRewriter &rewriter, Location loc,
                     ArrayRef<Value> rowOperands, Value scale,
                     QuantSchemeAttr scheme, bool returnProduct) {
            auto fused = ElementwiseQuantOp::create(rewriter, loc, prologue,
                                                    rowOperands[0], scale,
                                                    scheme, returnProduct);
            return FusedResults{fused.getOutput(), fused.getScales(), Value(),
                                fused.getProduct()};
          }};
}

/// The element-wise prologues: the unfused op and its Prologue case.
ProducerView getView(SiluAndMulOp op) {
  return getPrologueView(op, Prologue::SiluAndMul, op.getInput(),
                         op.getResult());
}

/// A quantize of the normalized tensor, possibly through the one
/// collapse_shape that flattens the leading (batch) dimensions.
struct Candidate {
  QuantizeOp quantize;
  tensor::CollapseShapeOp collapse; // null when the norm is already [M, H]
};

/// True for `[[0, ..., r-2], [r-1]]` on a rank r >= 3 source: all leading
/// dimensions become the rows and the hidden dimension is kept. The norm is
/// row-wise, so it commutes with exactly this reshape.
bool isRowFlattening(tensor::CollapseShapeOp collapse) {
  if (collapse.getSrcType().getRank() < 3 ||
      collapse.getResultType().getRank() != 2)
    return false;
  SmallVector<ReassociationIndices> groups = collapse.getReassociationIndices();
  return groups.size() == 2 && groups[1].size() == 1;
}

/// True when `value`, used by an op of `block`, is available before `op`,
/// which is in `block` too.
bool isAvailableBefore(Value value, Operation *op) {
  Operation *def = value.getDefiningOp();
  // A block argument used in this block is either one of its own arguments
  // or comes from a dominating block or an enclosing region.
  if (!def)
    return true;
  // Defined in another block yet used here: it dominates this whole block.
  if (def->getBlock() != op->getBlock())
    return true;
  return def->isBeforeInBlock(op);
}

/// True when the user `owner` of a value that will be replaced is at or
/// after `point` (both in one block), i.e. a value defined at `point`
/// dominates it.
bool isAtOrAfter(Operation *owner, Operation *point) {
  Operation *ancestor = point->getBlock()->findAncestorOpInBlock(*owner);
  // A user in another block of the region is dominated by the norm's block,
  // hence by anything in it.
  if (!ancestor)
    return true;
  return ancestor == point || point->isBeforeInBlock(ancestor);
}

/// Fuses a quantize into the producer of the tensor it reads; ProducerOp is
/// an op with a getView overload above.
template <typename ProducerOp>
struct FuseQuantIntoProducer : OpRewritePattern<ProducerOp> {
  using OpRewritePattern<ProducerOp>::OpRewritePattern;

  LogicalResult matchAndRewrite(ProducerOp normOp,
                                PatternRewriter &rewriter) const override {
    ProducerView norm = getView(normOp);
    Block *block = normOp->getBlock();
    auto normType = cast<RankedTensorType>(norm.result.getType());

    // Quantizes of the normalized tensor in the same block.
    SmallVector<Candidate, 2> candidates;
    for (Operation *user : norm.result.getUsers()) {
      if (user->getBlock() != block)
        continue;
      if (auto quantize = dyn_cast<QuantizeOp>(user)) {
        if (quantize.getInput() == norm.result)
          candidates.push_back({quantize, nullptr});
        continue;
      }
      auto collapse = dyn_cast<tensor::CollapseShapeOp>(user);
      if (!collapse || !isRowFlattening(collapse))
        continue;
      for (Operation *collapseUser : collapse.getResult().getUsers()) {
        auto quantize = dyn_cast<QuantizeOp>(collapseUser);
        if (quantize && quantize->getBlock() == block &&
            quantize.getInput() == collapse.getResult())
          candidates.push_back({quantize, collapse});
      }
    }
    if (candidates.empty())
      return rewriter.notifyMatchFailure(normOp, "no quantize of the result "
                                                 "in the same block");

    // With several quantizes (e.g. two schemes), take the first in block
    // order that can be fused; the others then read the normalized result of
    // the fused op.
    if (candidates.size() > 1)
      llvm::sort(candidates, [](const Candidate &a, const Candidate &b) {
        return a.quantize->isBeforeInBlock(b.quantize);
      });
    for (const Candidate &candidate : candidates) {
      if (succeeded(fuse(norm, normType, candidate, rewriter)))
        return success();
    }
    return rewriter.notifyMatchFailure(normOp,
                                       "no quantize can be fused in place");
  }

private:
  /// Fuses `norm` with `candidate` or returns failure without touching the
  /// IR.
  LogicalResult fuse(const ProducerView &norm, RankedTensorType normType,
                     const Candidate &candidate,
                     PatternRewriter &rewriter) const {
    QuantizeOp quantize = candidate.quantize;
    tensor::CollapseShapeOp collapse = candidate.collapse;
    Value quantInput = quantize.getInput();
    auto quantInputType = cast<RankedTensorType>(quantInput.getType());
    QuantSchemeAttr scheme = quantize.getScheme();
    Value scale = quantize.getScale();

    // The fused op must produce exactly the quantize's result types.
    auto outputType =
        RankedTensorType::get(quantInputType.getShape(),
                              Float8E4M3FNType::get(rewriter.getContext()));
    Type scalesType =
        scheme.isStatic() && scale
            ? scale.getType()
            : Type(scheme.getScaleFormat().getScaleType(
                  quantInputType.getDimSize(0), quantInputType.getDimSize(1)));
    if (quantize.getOutput().getType() != outputType ||
        quantize.getScales().getType() != scalesType)
      return failure();

    // Uses that will read a value of the fused op instead of the norm's.
    // `isChain` excludes the collapse/quantize being fused.
    auto isChain = [&](OpOperand &use) {
      Operation *owner = use.getOwner();
      return owner == quantize.getOperation() ||
             (collapse && owner == collapse.getOperation());
    };
    bool normalizedUsed = false;
    for (OpOperand &use : norm.result.getUses())
      normalizedUsed |= !isChain(use);
    bool collapsedUsed = false;
    if (collapse)
      for (OpOperand &use : collapse.getResult().getUses())
        collapsedUsed |= !isChain(use);

    // Put the fused op where the norm is, so that it dominates every user of
    // the norm's results. A static scale defined after the norm forces it to
    // the quantize, which then has to precede every such user.
    Operation *insertionPoint = norm.op;
    if (scale && !isAvailableBefore(scale, norm.op)) {
      insertionPoint = quantize;
      auto dominated = [&](Value value) {
        if (!value)
          return true;
        for (OpOperand &use : value.getUses())
          if (!isChain(use) && !isAtOrAfter(use.getOwner(), insertionPoint))
            return false;
        return true;
      };
      if (!dominated(norm.result) || !dominated(norm.sideResult) ||
          (collapse && !dominated(collapse.getResult())))
        return failure();
    }

    Location loc = rewriter.getFusedLoc({norm.op->getLoc(), quantize.getLoc()});
    rewriter.setInsertionPoint(insertionPoint);
    SmallVector<Value, 2> rowOperands(norm.rowOperands);
    SmallVector<ReassociationIndices> groups;
    if (collapse) {
      groups = collapse.getReassociationIndices();
      // The row operands keep their own last dimension (2I for a gated
      // prologue), so each collapse infers its type.
      for (Value &operand : rowOperands)
        operand =
            tensor::CollapseShapeOp::create(rewriter, loc, operand, groups);
    }
    FusedResults fused =
        norm.build(rewriter, loc, rowOperands, scale, scheme,
                   /*returnProduct=*/normalizedUsed || collapsedUsed);

    // Values of the original (batch) shape for the users of the producer;
    // the dynamic sizes are read off its first row operand, whose leading
    // dimensions are the result's.
    SmallVector<OpFoldResult> sizes;
    auto expand = [&](Value value) -> Value {
      if (!collapse)
        return value;
      if (sizes.empty()) {
        sizes = tensor::getMixedSizes(rewriter, loc, norm.rowOperands.front());
        sizes.back() = rewriter.getIndexAttr(normType.getShape().back());
      }
      return tensor::ExpandShapeOp::create(rewriter, loc, normType, value,
                                           groups, sizes);
    };
    if (collapsedUsed)
      rewriter.replaceUsesWithIf(collapse.getResult(), fused.product,
                                 [&](OpOperand &use) { return !isChain(use); });
    if (normalizedUsed)
      rewriter.replaceUsesWithIf(norm.result, expand(fused.product),
                                 [&](OpOperand &use) { return !isChain(use); });
    if (norm.sideResult && !norm.sideResult.use_empty())
      rewriter.replaceAllUsesWith(norm.sideResult, expand(fused.sideResult));

    rewriter.replaceOp(quantize, {fused.output, fused.scales});
    if (collapse)
      rewriter.eraseOp(collapse);
    rewriter.eraseOp(norm.op);
    return success();
  }
};

/// all_reduce -> rms_norm_quant with a residual (the fused norm + quantize
/// of the tensor-parallel site) -> the all-reduce form of rms_norm_quant
/// (SPEC.md 3.11). The fused op reads this rank's partial sum and sums the
/// ranks itself, in the rank order all_reduce specifies, so no output bit
/// changes (C9). Runs after the norm + quantize fusion, on the op it made.
struct FuseAllReduceIntoNormQuant : OpRewritePattern<RMSNormQuantOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(RMSNormQuantOp op,
                                PatternRewriter &rewriter) const override {
    if (op.getAllReduceGroup())
      return rewriter.notifyMatchFailure(op, "already all-reduces");
    // C19: the site adds the reduced value to the residual stream.
    if (!op.getResidual())
      return rewriter.notifyMatchFailure(op, "no residual");
    auto allReduce = op.getInput().getDefiningOp<AllReduceOp>();
    if (!allReduce)
      return rewriter.notifyMatchFailure(op, "x is not an all_reduce");
    // The reduced tensor must have no other reader: the fused op does not
    // return it (residual_out is the sum with the residual, not it).
    if (!allReduce->hasOneUse())
      return rewriter.notifyMatchFailure(op, "the sum has other users");
    // The collective keeps running where it ran: not into or out of a
    // conditional region or another block.
    if (allReduce->getBlock() != op->getBlock())
      return rewriter.notifyMatchFailure(op, "in different blocks");
    Value partialSum = allReduce.getInput();
    IntegerAttr group = allReduce.getGroupAttr();
    rewriter.modifyOpInPlace(op, [&] {
      op.getInputMutable().assign(partialSum);
      op.setAllReduceGroupAttr(group);
    });
    rewriter.eraseOp(allReduce);
    return success();
  }
};

struct VllmFuseNormQuantPass
    : vllm::impl::VllmFuseNormQuantPassBase<VllmFuseNormQuantPass> {
  LogicalResult initialize(MLIRContext *context) override {
    RewritePatternSet set(context);
    populateVllmFuseNormQuantPatterns(set);
    patterns = std::move(set);
    return success();
  }

  void runOnOperation() override {
    // Only the fusion patterns: no folding and no region simplification, so
    // the pass changes nothing but the sequences it fuses.
    GreedyRewriteConfig config;
    config.enableFolding(false).setRegionSimplificationLevel(
        GreedySimplifyRegionLevel::Disabled);
    // Every rewrite removes a norm, so the driver converges; as for the
    // canonicalizer, hitting the iteration limit would not make the IR
    // wrong, so it is not an error.
    (void)applyPatternsGreedily(getOperation(), patterns, config);
  }

  FrozenRewritePatternSet patterns;
};

} // namespace

void mlir::vllm::populateVllmFuseNormQuantPatterns(
    RewritePatternSet &patterns) {
  patterns.add<FuseQuantIntoProducer<RMSNormOp>,
               FuseQuantIntoProducer<FusedAddRMSNormOp>,
               FuseQuantIntoProducer<SiluAndMulOp>, FuseAllReduceIntoNormQuant>(
      patterns.getContext());
}
