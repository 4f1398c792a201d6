//===- SelectScaleLayout.cpp - pick the scale format a chip consumes ------===//
//
// Part of the vllm-mlir project.
//
//===----------------------------------------------------------------------===//
//
// vllm-select-scale-layout: the compile-time version of vLLM's run-time
// choice of activation-scale format (SPEC.md section 4). A producer of
// per-group scales (quantize, rms_norm_quant or elementwise_quant) whose
// results feed only scaled_matmuls is rebuilt with the scheme the target
// chip's GEMM consumes; the matmuls record the chip so that their verifier
// checks C10 from then on.
//
//===----------------------------------------------------------------------===//

#include "vllm-mlir/Dialect/Vllm/IR/VllmOps.h"
#include "vllm-mlir/Dialect/Vllm/Transforms/Passes.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Rewrite/FrozenRewritePatternSet.h"
#include "mlir/Transforms/WalkPatternRewriteDriver.h"
#include "llvm/ADT/SetVector.h"

namespace mlir::vllm {
#define GEN_PASS_DEF_VLLMSELECTSCALELAYOUTPASS
#include "vllm-mlir/Dialect/Vllm/Transforms/Passes.h.inc"
} // namespace mlir::vllm

using namespace mlir;
using namespace mlir::vllm;

/// The per-group scale encoding the GEMM of `chip` consumes for scales the
/// producer encodes as `requested`.
static ScaleEncoding getEncodingConsumedBy(Chip chip, ScaleEncoding requested) {
  switch (chip) {
  case Chip::SM100a:
    return ScaleEncoding::UE8M0Packed;
  case Chip::SM90a:
    // Keep the user's choice between plain f32 and power-of-two scales;
    // packed exponents become the same powers of two stored as f32.
    return requested == ScaleEncoding::F32 ? ScaleEncoding::F32
                                           : ScaleEncoding::UE8M0F32;
  }
  llvm_unreachable("unknown chip");
}

QuantSchemeAttr mlir::vllm::getSchemeConsumedBy(Chip chip,
                                                QuantSchemeAttr scheme) {
  if (!scheme.isPerGroup())
    return scheme;
  // The group size is kept: the scaled_matmul verifier already requires
  // 1x128 activation groups, so producers feeding one have it.
  ScaleEncoding encoding = getEncodingConsumedBy(chip, scheme.getEncoding());
  return QuantSchemeAttr::getPerGroup(scheme.getContext(),
                                      scheme.getGroupSize(), encoding,
                                      ScaleLayout::MNMajor, /*align=*/4);
}

namespace {

/// C10: whether the GEMM of `chip` consumes activation scales in `format`
/// (per-token and per-tensor scales are consumed as they are).
bool isConsumedBy(Chip chip, ScaleFormatAttr format) {
  if (!format || !format.isGroup())
    return true;
  switch (chip) {
  case Chip::SM100a:
    return format.isPacked() && format.getLayout() == ScaleLayout::MNMajor &&
           format.getAlign() == 4;
  case Chip::SM90a:
    return !format.isPacked() && format.getLayout() == ScaleLayout::MNMajor &&
           format.getAlign() == 4;
  }
  return false;
}

/// Operand numbers of scaled_matmul's activation (A) and its scales.
constexpr unsigned kOperandA = 0;
constexpr unsigned kOperandAScales = 2;

/// The consumers of a producer of activation scales, and whether they let
/// it be re-laid out.
struct ProducerAnalysis {
  /// Every scaled_matmul reading the quantized output or the scales.
  llvm::SmallSetVector<ScaledMatmulOp, 4> matmuls;
  /// A user that is not a scaled_matmul reading the value as A or as A's
  /// scales; null when there is none.
  Operation *otherUser = nullptr;
  /// The chip every matmul targets; none when they conflict.
  std::optional<Chip> chip;
  /// Set when the matmuls target different chips.
  bool conflicting = false;
};

ProducerAnalysis analyzeProducer(Value output, Value scales, Chip target) {
  ProducerAnalysis result;
  auto collect = [&](Value value, unsigned operandNumber) {
    for (OpOperand &use : value.getUses()) {
      auto matmul = dyn_cast<ScaledMatmulOp>(use.getOwner());
      if (!matmul || use.getOperandNumber() != operandNumber) {
        result.otherUser = use.getOwner();
        continue;
      }
      result.matmuls.insert(matmul);
    }
  };
  collect(output, kOperandA);
  collect(scales, kOperandAScales);
  for (ScaledMatmulOp matmul : result.matmuls) {
    // A chip already recorded on a matmul is kept; the option fills in the
    // others.
    Chip chip = matmul.getChip().value_or(target);
    if (!result.chip) {
      result.chip = chip;
    } else if (*result.chip != chip) {
      result.conflicting = true;
      break;
    }
  }
  if (result.conflicting)
    result.chip.reset();
  return result;
}

/// Records `chip` on every matmul of `matmuls` that has none.
void setChip(PatternRewriter &rewriter, ArrayRef<ScaledMatmulOp> matmuls,
             Chip chip) {
  auto chipAttr = ChipAttr::get(rewriter.getContext(), chip);
  for (ScaledMatmulOp matmul : matmuls)
    if (!matmul.getChip())
      rewriter.modifyOpInPlace(matmul, [&] { matmul.setChipAttr(chipAttr); });
}

/// Rebuilds `op` with `scheme`; the builders infer the new scale type.
Operation *rebuild(PatternRewriter &rewriter, QuantizeOp op,
                   QuantSchemeAttr scheme) {
  return QuantizeOp::create(rewriter, op.getLoc(), op.getInput(), op.getScale(),
                            scheme);
}

Operation *rebuild(PatternRewriter &rewriter, RMSNormQuantOp op,
                   QuantSchemeAttr scheme) {
  return RMSNormQuantOp::create(
      rewriter, op.getLoc(), op.getInput(), op.getWeight(), op.getResidual(),
      op.getScale(), op.getEpsilonAttr(), scheme,
      /*returnNormalized=*/static_cast<bool>(op.getNormalized()),
      op.getRoundBeforeWeight(), op.getAllReduceGroupAttr());
}

Operation *rebuild(PatternRewriter &rewriter, ElementwiseQuantOp op,
                   QuantSchemeAttr scheme) {
  return ElementwiseQuantOp::create(
      rewriter, op.getLoc(), op.getPrologue(), op.getInput(), op.getScale(),
      scheme, /*returnProduct=*/static_cast<bool>(op.getProduct()));
}

/// quantize / rms_norm_quant / elementwise_quant feeding scaled_matmuls only:
/// switch to the scheme the matmuls' chip consumes and record the chip on them.
template <typename ProducerOp>
struct SelectProducerLayout : OpRewritePattern<ProducerOp> {
  SelectProducerLayout(MLIRContext *context, Chip target)
      : OpRewritePattern<ProducerOp>(context), target(target) {}

  LogicalResult matchAndRewrite(ProducerOp op,
                                PatternRewriter &rewriter) const override {
    QuantSchemeAttr scheme = op.getScheme();
    if (!scheme.isPerGroup())
      return rewriter.notifyMatchFailure(op, "not per-group");
    ProducerAnalysis analysis =
        analyzeProducer(op.getOutput(), op.getScales(), target);
    if (analysis.matmuls.empty() || analysis.otherUser || !analysis.chip)
      return rewriter.notifyMatchFailure(
          op, "does not feed scaled_matmuls of one chip only");

    SmallVector<ScaledMatmulOp> matmuls(analysis.matmuls.begin(),
                                        analysis.matmuls.end());
    QuantSchemeAttr wanted = getSchemeConsumedBy(*analysis.chip, scheme);
    if (wanted == scheme) {
      if (llvm::all_of(matmuls, [](ScaledMatmulOp m) { return m.getChip(); }))
        return rewriter.notifyMatchFailure(op, "already in the chip's format");
      setChip(rewriter, matmuls, *analysis.chip);
      return success();
    }

    rewriter.setInsertionPoint(op);
    Operation *newOp = rebuild(rewriter, op, wanted);
    newOp->setDiscardableAttrs(op->getDiscardableAttrDictionary());
    rewriter.replaceOp(op, newOp->getResults());
    setChip(rewriter, matmuls, *analysis.chip);
    return success();
  }

  Chip target;
};

/// A matmul whose activation scales the chip already consumes (per-token,
/// per-tensor, or per-group in the right format) only records the chip.
struct SelectMatmulChip : OpRewritePattern<ScaledMatmulOp> {
  SelectMatmulChip(MLIRContext *context, Chip target)
      : OpRewritePattern<ScaledMatmulOp>(context), target(target) {}

  LogicalResult matchAndRewrite(ScaledMatmulOp op,
                                PatternRewriter &rewriter) const override {
    if (op.getChip())
      return rewriter.notifyMatchFailure(op, "chip already recorded");
    if (!isConsumedBy(target, getScaleFormat(op.getAScales().getType())))
      return rewriter.notifyMatchFailure(op, "scales not in the chip's format");
    setChip(rewriter, {op}, target);
    return success();
  }

  Chip target;
};

/// The format description used in warnings.
StringRef describeConsumedFormat(Chip chip) {
  return chip == Chip::SM100a ? "ue8m0_packed, mn_major, align 4"
                              : "f32 or ue8m0_f32, mn_major, align 4";
}

/// Explains, on a matmul the patterns left without a chip, why its scales
/// could not be given the chip's format.
void warnUnselected(ScaledMatmulOp matmul, Chip target) {
  Value scales = matmul.getAScales();
  Operation *producer = scales.getDefiningOp();
  InFlightDiagnostic diag =
      matmul.emitWarning() << "activation scales "
                           << getScaleFormat(scales.getType())
                           << " are not in the format " << stringifyChip(target)
                           << " consumes (" << describeConsumedFormat(target)
                           << "); the chip is not recorded: ";
  Value output;
  if (auto quantize = dyn_cast_or_null<QuantizeOp>(producer))
    output = quantize.getOutput();
  else if (auto fused = dyn_cast_or_null<RMSNormQuantOp>(producer))
    output = fused.getOutput();
  else if (auto prologue = dyn_cast_or_null<ElementwiseQuantOp>(producer))
    output = prologue.getOutput();
  if (!output) {
    diag << "they are not produced by vllm.quantize, vllm.rms_norm_quant or "
            "vllm.elementwise_quant";
    return;
  }
  ProducerAnalysis analysis = analyzeProducer(output, scales, target);
  if (analysis.otherUser) {
    diag << "their producer also feeds '"
         << analysis.otherUser->getName().getStringRef()
         << "', which would read a different format";
    diag.attachNote(analysis.otherUser->getLoc()) << "other user here";
  } else if (analysis.conflicting) {
    diag << "their producer also feeds a scaled_matmul for another chip";
    // Point at a matmul whose chip differs from this one's.
    Chip own = matmul.getChip().value_or(target);
    for (ScaledMatmulOp other : analysis.matmuls) {
      if (other.getChip().value_or(target) != own) {
        diag.attachNote(other.getLoc()) << "conflicting matmul here";
        break;
      }
    }
  } else {
    diag << "their producer could not be rewritten";
  }
}

struct VllmSelectScaleLayoutPass
    : vllm::impl::VllmSelectScaleLayoutPassBase<VllmSelectScaleLayoutPass> {
  using VllmSelectScaleLayoutPassBase::VllmSelectScaleLayoutPassBase;

  LogicalResult initialize(MLIRContext *context) override {
    // A missing or unknown chip is reported in runOnOperation, where there is
    // a location to attach the error to.
    target = symbolizeChip(chip);
    if (!target)
      return success();
    RewritePatternSet set(context);
    populateVllmSelectScaleLayoutPatterns(set, *target);
    patterns = std::move(set);
    return success();
  }

  void runOnOperation() override {
    Operation *root = getOperation();
    if (!target) {
      // Reported at the location only: the op itself (usually the whole
      // module) says nothing about a bad option.
      if (chip.empty())
        emitError(root->getLoc(), "vllm-select-scale-layout requires the "
                                  "'chip' option (sm_90a or sm_100a)");
      else
        emitError(root->getLoc(), "vllm-select-scale-layout: unknown chip '")
            << chip << "' (expected sm_90a or sm_100a)";
      return signalPassFailure();
    }
    // A single walk suffices: a producer rewrite settles all of its matmuls,
    // and nothing else changes; it also keeps the pass linear in the IR.
    walkAndApplyPatterns(root, patterns);
    root->walk([&](ScaledMatmulOp matmul) {
      if (!matmul.getChip())
        warnUnselected(matmul, *target);
    });
  }

  std::optional<Chip> target;
  FrozenRewritePatternSet patterns;
};

} // namespace

void mlir::vllm::populateVllmSelectScaleLayoutPatterns(
    RewritePatternSet &patterns, Chip chip) {
  MLIRContext *context = patterns.getContext();
  patterns.add<SelectProducerLayout<QuantizeOp>,
               SelectProducerLayout<RMSNormQuantOp>,
               SelectProducerLayout<ElementwiseQuantOp>, SelectMatmulChip>(
      context, chip);
}
