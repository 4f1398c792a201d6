//===- BufferizableOpInterfaceImpl.cpp - bufferization of vllm ops --------===//
//
// Part of the vllm-mlir project.
//
//===----------------------------------------------------------------------===//
//
// External BufferizableOpInterface models (as upstream keeps them, apart from
// the dialect) that rewrite each vllm tensor op into its destination-passing
// buffer form (SPEC.md 3.9):
//
// - every tensor operand is read and none is written, except the residual of
//   fused_add_rms_norm / rms_norm_quant, whose buffer becomes residual_out
//   (an equivalent alias, C15): the analysis writes it in place when no later
//   op reads the residual tensor, else it copies the residual first;
// - every other result gets a new buffer with the identity layout, allocated
//   through the bufferization options (so a user's allocation function is
//   honoured);
// - the kernels address contiguous row-major buffers (C14), so an operand
//   whose buffer has another layout (a function argument bufferized with a
//   dynamic layout, a subview) is copied into a new identity buffer first,
//   and a residual updated in place through such a layout is computed in a
//   copy and copied back.
//
//===----------------------------------------------------------------------===//

#include "vllm-mlir/Dialect/Vllm/Transforms/BufferizableOpInterfaceImpl.h"
#include "vllm-mlir/Dialect/Vllm/IR/VllmOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/BufferizableOpInterface.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/DialectRegistry.h"

using namespace mlir;
using namespace mlir::vllm;
using namespace mlir::bufferization;

namespace {

/// A buffer the kernels can address: identity layout, default memory space.
static bool isKernelAddressable(Type type) {
  auto memref = dyn_cast<MemRefType>(type);
  return memref && memref.getLayout().isIdentity() && !memref.getMemorySpace();
}

/// The identity-layout buffer type of a tensor type (its encoding, a scale
/// format, is dropped: the buffer op states the format, C14).
static MemRefType kernelBufferType(Type tensorType) {
  auto tensor = cast<RankedTensorType>(tensorType);
  return MemRefType::get(tensor.getShape(), tensor.getElementType());
}

/// The per-op part of the models: which operand (if any) is updated in place
/// as which result, and how the buffer op is built.
template <typename OpTy> struct VllmOpTraits;

template <> struct VllmOpTraits<RMSNormOp> {
  static OpOperand *inPlaceOperand(RMSNormOp) { return nullptr; }
  static OpResult inPlaceResult(RMSNormOp) { return {}; }
  static void create(RewriterBase &rewriter, RMSNormOp op,
                     function_ref<Value(Value)> in, ArrayRef<Value> out) {
    BufferRMSNormOp::create(rewriter, op.getLoc(), in(op.getInput()),
                            in(op.getWeight()), out[0], op.getEpsilonAttr(),
                            op.getRoundBeforeWeightAttr());
  }
};

template <> struct VllmOpTraits<FusedAddRMSNormOp> {
  static OpOperand *inPlaceOperand(FusedAddRMSNormOp op) {
    return &op.getResidualMutable();
  }
  static OpResult inPlaceResult(FusedAddRMSNormOp op) {
    return cast<OpResult>(op.getResidualOut());
  }
  static void create(RewriterBase &rewriter, FusedAddRMSNormOp op,
                     function_ref<Value(Value)> in, ArrayRef<Value> out) {
    BufferFusedAddRMSNormOp::create(rewriter, op.getLoc(), in(op.getInput()),
                                    in(op.getResidual()), in(op.getWeight()),
                                    out[0], out[1], op.getEpsilonAttr(),
                                    op.getRoundBeforeWeightAttr());
  }
};

template <> struct VllmOpTraits<QuantizeOp> {
  static OpOperand *inPlaceOperand(QuantizeOp) { return nullptr; }
  static OpResult inPlaceResult(QuantizeOp) { return {}; }
  static void create(RewriterBase &rewriter, QuantizeOp op,
                     function_ref<Value(Value)> in, ArrayRef<Value> out) {
    BufferQuantizeOp::create(rewriter, op.getLoc(), in(op.getInput()),
                             in(op.getScale()), out[0], out[1],
                             op.getSchemeAttr());
  }
};

template <> struct VllmOpTraits<RMSNormQuantOp> {
  static OpOperand *inPlaceOperand(RMSNormQuantOp op) {
    if (!op.getResidual())
      return nullptr;
    return &op.getResidualMutable()[0];
  }
  static OpResult inPlaceResult(RMSNormQuantOp op) {
    return cast<OpResult>(op.getResidualOut());
  }
  static void create(RewriterBase &rewriter, RMSNormQuantOp op,
                     function_ref<Value(Value)> in, ArrayRef<Value> out) {
    // Results: q, scales, [residual_out], [normalized].
    Value residualOut = op.getResidualOut() ? out[2] : Value();
    Value normalized = op.getNormalized() ? out.back() : Value();
    BufferRMSNormQuantOp::create(
        rewriter, op.getLoc(), in(op.getInput()), in(op.getWeight()),
        in(op.getResidual()), in(op.getScale()), out[0], out[1], residualOut,
        normalized, op.getEpsilonAttr(), op.getSchemeAttr(),
        op.getRoundBeforeWeightAttr(), op.getAllReduceGroupAttr());
  }
};

template <> struct VllmOpTraits<AllReduceOp> {
  static OpOperand *inPlaceOperand(AllReduceOp) { return nullptr; }
  static OpResult inPlaceResult(AllReduceOp) { return {}; }
  static void create(RewriterBase &rewriter, AllReduceOp op,
                     function_ref<Value(Value)> in, ArrayRef<Value> out) {
    BufferAllReduceOp::create(rewriter, op.getLoc(), in(op.getInput()), out[0],
                              op.getGroupAttr());
  }
};

template <> struct VllmOpTraits<SiluAndMulOp> {
  static OpOperand *inPlaceOperand(SiluAndMulOp) { return nullptr; }
  static OpResult inPlaceResult(SiluAndMulOp) { return {}; }
  static void create(RewriterBase &rewriter, SiluAndMulOp op,
                     function_ref<Value(Value)> in, ArrayRef<Value> out) {
    BufferSiluAndMulOp::create(rewriter, op.getLoc(), in(op.getInput()),
                               out[0]);
  }
};

template <> struct VllmOpTraits<ElementwiseQuantOp> {
  static OpOperand *inPlaceOperand(ElementwiseQuantOp) { return nullptr; }
  static OpResult inPlaceResult(ElementwiseQuantOp) { return {}; }
  static void create(RewriterBase &rewriter, ElementwiseQuantOp op,
                     function_ref<Value(Value)> in, ArrayRef<Value> out) {
    Value product = op.getProduct() ? out[2] : Value();
    BufferElementwiseQuantOp::create(rewriter, op.getLoc(), in(op.getInput()),
                                     in(op.getScale()), out[0], out[1], product,
                                     op.getPrologueAttr(), op.getSchemeAttr());
  }
};

template <> struct VllmOpTraits<ScaledMatmulOp> {
  static OpOperand *inPlaceOperand(ScaledMatmulOp) { return nullptr; }
  static OpResult inPlaceResult(ScaledMatmulOp) { return {}; }
  static void create(RewriterBase &rewriter, ScaledMatmulOp op,
                     function_ref<Value(Value)> in, ArrayRef<Value> out) {
    ScaleFormatAttr aFormat = getScaleFormat(op.getAScales().getType());
    ScaleFormatAttr bFormat = getScaleFormat(op.getBScales().getType());
    BufferScaledMatmulOp::create(rewriter, op.getLoc(), in(op.getA()),
                                 in(op.getB()), in(op.getAScales()),
                                 in(op.getBScales()), out[0], aFormat, bFormat,
                                 op.getChipAttr());
  }
};

/// The operand whose leading dimensions every result shares (the rows).
static Value primaryOperand(Operation *op) { return op->getOperand(0); }

/// The dynamic dimensions of `type`, read from `source` at the same
/// positions.
static SmallVector<Value> dynamicDimsFrom(RewriterBase &rewriter, Location loc,
                                          ShapedType type, Value source) {
  SmallVector<Value> sizes;
  for (int64_t i = 0; i < type.getRank(); ++i)
    if (type.isDynamicDim(i)) {
      Value size = memref::DimOp::create(rewriter, loc, source, i);
      sizes.push_back(size);
    }
  return sizes;
}

/// The dynamic sizes of a new buffer for `result`, from the buffer of the
/// primary operand: a dimension of a scale tensor that is dynamic is the
/// row count M (padded for MN-major group scales, SPEC.md 3.3); any other
/// dynamic dimension is the primary operand's at the same position.
static SmallVector<Value> dynamicSizesOf(RewriterBase &rewriter, Location loc,
                                         OpResult result, Value primary) {
  auto type = cast<RankedTensorType>(result.getType());
  ScaleFormatAttr format = getScaleFormat(type);
  if (!format)
    return dynamicDimsFrom(rewriter, loc, type, primary);
  SmallVector<Value> sizes;
  for (int64_t i = 0; i < type.getRank(); ++i) {
    if (!type.isDynamicDim(i))
      continue;
    Value rows = memref::DimOp::create(rewriter, loc, primary, 0);
    if (!format.isGroup() || format.getLayout() != ScaleLayout::MNMajor ||
        format.getAlign() == 1) {
      sizes.push_back(rows);
      continue;
    }
    Value bump =
        arith::ConstantIndexOp::create(rewriter, loc, format.getAlign() - 1);
    Value align =
        arith::ConstantIndexOp::create(rewriter, loc, format.getAlign());
    Value bumped = arith::AddIOp::create(rewriter, loc, rows, bump);
    Value blocks = arith::DivUIOp::create(rewriter, loc, bumped, align);
    Value padded = arith::MulIOp::create(rewriter, loc, blocks, align);
    sizes.push_back(padded);
  }
  return sizes;
}

/// The model shared by all vllm tensor ops; VllmOpTraits says what differs.
template <typename OpTy>
struct VllmOpInterface
    : public BufferizableOpInterface::ExternalModel<VllmOpInterface<OpTy>,
                                                    OpTy> {
  using Traits = VllmOpTraits<OpTy>;

  bool bufferizesToMemoryRead(Operation *, OpOperand &,
                              const AnalysisState &) const {
    return true;
  }

  bool bufferizesToMemoryWrite(Operation *op, OpOperand &operand,
                               const AnalysisState &) const {
    return Traits::inPlaceOperand(cast<OpTy>(op)) == &operand;
  }

  AliasingValueList getAliasingValues(Operation *op, OpOperand &operand,
                                      const AnalysisState &) const {
    auto typed = cast<OpTy>(op);
    if (Traits::inPlaceOperand(typed) != &operand)
      return {};
    return {{Traits::inPlaceResult(typed), BufferRelation::Equivalent,
             /*isDefinite=*/true}};
  }

  FailureOr<BufferLikeType>
  getBufferType(Operation *op, Value value, const BufferizationOptions &options,
                const BufferizationState &state,
                SmallVector<Value> &invocationStack) const {
    auto typed = cast<OpTy>(op);
    if (OpOperand *inPlace = Traits::inPlaceOperand(typed))
      if (value == Traits::inPlaceResult(typed))
        return bufferization::getBufferType(inPlace->get(), options, state,
                                            invocationStack);
    return cast<BufferLikeType>(kernelBufferType(value.getType()));
  }

  LogicalResult bufferize(Operation *op, RewriterBase &rewriter,
                          const BufferizationOptions &options,
                          BufferizationState &state) const {
    auto typed = cast<OpTy>(op);
    Location loc = op->getLoc();
    OpOperand *inPlace = Traits::inPlaceOperand(typed);

    // Operand buffers, copied into identity buffers where needed.
    DenseMap<Value, Value> inputs;
    Value residualBuffer, residualKernelBuffer;
    for (OpOperand &operand : op->getOpOperands()) {
      FailureOr<Value> buffer =
          getBuffer(rewriter, operand.get(), options, state);
      if (failed(buffer))
        return failure();
      Value kernelBuffer = *buffer;
      if (!isKernelAddressable(buffer->getType())) {
        MemRefType type = kernelBufferType(operand.get().getType());
        SmallVector<Value> sizes =
            dynamicDimsFrom(rewriter, loc, type, *buffer);
        FailureOr<Value> copy = options.createAlloc(rewriter, loc, type, sizes);
        if (failed(copy) ||
            failed(options.createMemCpy(rewriter, loc, *buffer, *copy)))
          return failure();
        kernelBuffer = *copy;
      }
      if (&operand == inPlace) {
        residualBuffer = *buffer;
        residualKernelBuffer = kernelBuffer;
      }
      inputs[operand.get()] = kernelBuffer;
    }

    // Result buffers: the residual's for residual_out, else new ones.
    Value primary = inputs.lookup(primaryOperand(op));
    SmallVector<Value> outputs;
    for (OpResult result : op->getResults()) {
      if (inPlace && result == Traits::inPlaceResult(typed)) {
        outputs.push_back(residualKernelBuffer);
        continue;
      }
      SmallVector<Value> sizes = dynamicSizesOf(rewriter, loc, result, primary);
      FailureOr<Value> buffer = options.createAlloc(
          rewriter, loc, kernelBufferType(result.getType()), sizes);
      if (failed(buffer))
        return failure();
      outputs.push_back(*buffer);
    }

    auto in = [&](Value tensor) {
      return tensor ? inputs.lookup(tensor) : Value();
    };
    Traits::create(rewriter, typed, in, outputs);

    // A residual updated in place through a layout the kernels cannot
    // address was computed in a copy: store it back.
    SmallVector<Value> replacements(outputs);
    if (inPlace && residualKernelBuffer != residualBuffer) {
      if (failed(options.createMemCpy(rewriter, loc, residualKernelBuffer,
                                      residualBuffer)))
        return failure();
      unsigned position = Traits::inPlaceResult(typed).getResultNumber();
      replacements[position] = residualBuffer;
    }
    replaceOpWithBufferizedValues(rewriter, op, replacements);
    return success();
  }
};

} // namespace

void vllm::registerBufferizableOpInterfaceExternalModels(
    DialectRegistry &registry) {
  registry.addExtension(+[](MLIRContext *ctx, VllmDialect *) {
    RMSNormOp::attachInterface<VllmOpInterface<RMSNormOp>>(*ctx);
    FusedAddRMSNormOp::attachInterface<VllmOpInterface<FusedAddRMSNormOp>>(
        *ctx);
    QuantizeOp::attachInterface<VllmOpInterface<QuantizeOp>>(*ctx);
    RMSNormQuantOp::attachInterface<VllmOpInterface<RMSNormQuantOp>>(*ctx);
    AllReduceOp::attachInterface<VllmOpInterface<AllReduceOp>>(*ctx);
    SiluAndMulOp::attachInterface<VllmOpInterface<SiluAndMulOp>>(*ctx);
    ElementwiseQuantOp::attachInterface<VllmOpInterface<ElementwiseQuantOp>>(
        *ctx);
    ScaledMatmulOp::attachInterface<VllmOpInterface<ScaledMatmulOp>>(*ctx);
  });
}
