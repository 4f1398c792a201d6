//===- VllmOps.cpp - vllm dialect operations ------------------------------===//
//
// Part of the vllm-mlir project.
//
//===----------------------------------------------------------------------===//
//
// Verifiers (tagged with the constraint of docs/SPEC.md they check), builders,
// the custom syntax of rms_norm_quant and canonicalization patterns.
//
//===----------------------------------------------------------------------===//

#include "vllm-mlir/Dialect/Vllm/IR/VllmOps.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/IR/PatternMatch.h"
#include "llvm/Support/MathExtras.h"

using namespace mlir;
using namespace mlir::vllm;

#define GET_OP_CLASSES
#include "vllm-mlir/Dialect/Vllm/IR/VllmOps.cpp.inc"

//===----------------------------------------------------------------------===//
// Shared verification
//===----------------------------------------------------------------------===//

/// Prints a shape as `?x7168` for diagnostics.
static std::string shapeString(ArrayRef<int64_t> shape) {
  std::string result;
  llvm::raw_string_ostream os(result);
  llvm::interleave(
      shape, os,
      [&](int64_t dim) {
        if (ShapedType::isDynamic(dim))
          os << "?";
        else
          os << dim;
      },
      "x");
  return result;
}

/// C11: every tensor an op reads or writes has at most 2^63 - 1 bytes, as
/// far as its static dimensions tell (a dynamic dimension counts as 1): the
/// kernels address elements with 64-bit offsets, and the lowering computes
/// row counts and padded scale shapes from these dimensions. Checked first,
/// so that the other checks can multiply dimensions without overflow.
static LogicalResult verifyTensorSizes(Operation *op) {
  auto check = [&](Type type, StringRef role,
                   unsigned position) -> LogicalResult {
    auto tensor = dyn_cast<ShapedType>(type);
    if (!tensor || !tensor.hasRank() || !tensor.getElementType().isIntOrFloat())
      return success();
    int64_t bytes =
        llvm::divideCeil(tensor.getElementType().getIntOrFloatBitWidth(), 8);
    for (int64_t dim : tensor.getShape()) {
      if (ShapedType::isDynamic(dim))
        continue;
      if (llvm::MulOverflow(bytes, dim, bytes))
        return op->emitOpError("(C11) ")
               << role << " #" << position << " of type " << tensor
               << " has more than 2^63 - 1 bytes, the largest tensor the "
                  "kernels can address";
    }
    return success();
  };
  for (auto [i, type] : llvm::enumerate(op->getOperandTypes()))
    if (failed(check(type, "operand", i)))
      return failure();
  for (auto [i, type] : llvm::enumerate(op->getResultTypes()))
    if (failed(check(type, "result", i)))
      return failure();
  return success();
}

/// The tensor type a verifier checks for an operand: a tensor's own type;
/// for a buffer (SPEC.md 3.9), the tensor of its shape and element type with
/// `encoding` (the scale format the op states for it). Null for null.
static RankedTensorType verifiedType(Value value, Attribute encoding = {}) {
  if (!value)
    return {};
  if (auto tensor = dyn_cast<RankedTensorType>(value.getType()))
    return tensor;
  auto buffer = cast<MemRefType>(value.getType());
  return RankedTensorType::get(buffer.getShape(), buffer.getElementType(),
                               encoding);
}

/// `expected` as diagnostics name it for `value`: the tensor type for a
/// tensor, the memref type of the same shape and element type for a buffer.
static Type describedAs(Value value, RankedTensorType expected) {
  if (isa<MemRefType>(value.getType()))
    return MemRefType::get(expected.getShape(), expected.getElementType());
  return expected;
}

/// C14, C15 for the buffer forms: identity layouts in the default memory
/// space, and no output that is also another operand (`inPlace` names the
/// one pair allowed to share a buffer, the residual updated in place).
static LogicalResult verifyBuffers(Operation *op, ValueRange outputs,
                                   std::pair<Value, Value> inPlace = {
                                       Value(), Value()}) {
  for (auto [i, operand] : llvm::enumerate(op->getOperands())) {
    auto type = cast<MemRefType>(operand.getType());
    if (!type.getLayout().isIdentity() || type.getMemorySpace())
      return op->emitOpError("(C14) operand #")
             << i << " of type " << type
             << " must have the identity layout (contiguous, row-major) and "
                "the default memory space";
  }
  for (Value output : outputs) {
    if (!output)
      continue;
    auto uses = static_cast<unsigned>(llvm::count(op->getOperands(), output));
    bool allowedPair = inPlace.second == output && inPlace.first == output;
    if (uses > (allowedPair ? 2u : 1u))
      return op->emitOpError("(C15) the output buffer ")
             << output << " is also another operand of the op; only "
             << "residual_out may be the residual buffer itself";
  }
  return success();
}

/// The number of communicator groups a program may name (SPEC.md 3.10): the
/// runtime keeps a binding table of this size.
static constexpr uint32_t kNumGroups = 64;

/// C17: the group number of a collective.
static LogicalResult verifyGroup(Operation *op, uint32_t group) {
  if (group >= kNumGroups)
    return op->emitOpError("(C17) group ")
           << static_cast<int32_t>(group) << " is out of range: a group is "
           << "a number in [0, " << kNumGroups << ")";
  return success();
}

/// C1, C2: the input/weight/epsilon contract of every norm. `exactRank2`
/// is set for ops that also quantize (their scales are indexed by row).
static LogicalResult verifyNormOperands(Operation *op, RankedTensorType input,
                                        RankedTensorType weight,
                                        APFloat epsilon, bool exactRank2) {
  if (exactRank2 ? input.getRank() != 2 : input.getRank() < 2)
    return op->emitOpError("(C1) expects the input to have ")
           << (exactRank2 ? "rank 2 [M, H]" : "rank >= 2 [..., H]")
           << ", got rank " << input.getRank();
  int64_t hidden = input.getShape().back();
  if (ShapedType::isDynamic(hidden))
    return op->emitOpError("(C1) the hidden size (last dimension) must be "
                           "static");
  if (hidden == 0)
    return op->emitOpError("(C11) the hidden size (last dimension) must be "
                           "positive, got 0");
  if (weight.getRank() != 1)
    return op->emitOpError("(C1) expects a rank-1 weight, got rank ")
           << weight.getRank();
  if (weight.getDimSize(0) != hidden)
    return op->emitOpError("(C1) weight length ")
           << weight.getDimSize(0) << " does not match the hidden size "
           << hidden;
  if (weight.getElementType() != input.getElementType())
    return op->emitOpError("(C1) weight element type ")
           << weight.getElementType() << " differs from the input element type "
           << input.getElementType();
  if (epsilon.isNaN() || epsilon.isNegative() || epsilon.isZero() ||
      epsilon.isInfinity())
    return op->emitOpError("(C2) epsilon must be positive and finite");
  return success();
}

/// C5, C7, C8: the quantization contract shared by quantize, rms_norm_quant
/// and elementwise_quant, given the [M, H] tensor the quantizer sees
/// (`inputName` names it in diagnostics).
static LogicalResult verifyQuantization(Operation *op, RankedTensorType input,
                                        Value scale, QuantSchemeAttr scheme,
                                        RankedTensorType output,
                                        RankedTensorType scales,
                                        StringRef inputName = "input") {
  int64_t rows = input.getDimSize(0);
  int64_t hidden = input.getDimSize(1);
  if (output.getShape() != input.getShape())
    return op->emitOpError("quantized output shape ")
           << shapeString(output.getShape()) << " differs from the "
           << inputName << " shape " << shapeString(input.getShape());
  if (scheme.isPerGroup() && hidden % scheme.getGroupSize() != 0)
    return op->emitOpError("(C5) hidden size ")
           << hidden << " is not a multiple of the group size "
           << scheme.getGroupSize();

  ScaleFormatAttr expected = scheme.getScaleFormat();
  if (scheme.isStatic()) {
    if (!scale)
      return op->emitOpError("(C7) static_per_tensor quantization requires a "
                             "scale operand");
    RankedTensorType expectedType = expected.getScaleType(rows, hidden);
    if (verifiedType(scale, expected) != expectedType)
      return op->emitOpError("(C7) the static scale must have type ")
             << describedAs(scale, expectedType) << ", got " << scale.getType();
  } else if (scale) {
    return op->emitOpError("(C7) only static_per_tensor quantization takes a "
                           "scale operand");
  }

  ScaleFormatAttr actual = getScaleFormat(scales);
  if (!actual)
    return op->emitOpError("(C8) the scales result must carry the encoding ")
           << expected << " of the scheme";
  if (actual != expected)
    return op->emitOpError("(C8) the scales result is encoded as ")
           << actual << " but the scheme " << scheme << " produces "
           << expected;
  if (scales.getElementType() != expected.getElementType())
    return op->emitOpError("(C8) scales in format ")
           << expected << " have element type " << expected.getElementType()
           << ", got " << scales.getElementType();
  SmallVector<int64_t> expectedShape = expected.getScaleShape(rows, hidden);
  if (scales.getShape() != ArrayRef<int64_t>(expectedShape))
    return op->emitOpError("(C8) scales in format ")
           << expected << " for a " << shapeString(input.getShape()) << " "
           << inputName << " have shape " << shapeString(expectedShape)
           << ", got " << shapeString(scales.getShape());
  return success();
}

//===----------------------------------------------------------------------===//
// RMSNormOp
//===----------------------------------------------------------------------===//

/// C1-C3 of rms_norm and its buffer form.
template <typename OpTy> static LogicalResult verifyRMSNorm(OpTy op) {
  if (failed(verifyTensorSizes(op)))
    return failure();
  RankedTensorType input = verifiedType(op.getInput());
  if (failed(verifyNormOperands(op, input, verifiedType(op.getWeight()),
                                op.getEpsilon(), /*exactRank2=*/false)))
    return failure();
  if (verifiedType(op.getResult()) != input)
    return op.emitOpError("(C3) result type ")
           << op.getResult().getType() << " differs from the input type "
           << op.getInput().getType();
  return success();
}

LogicalResult RMSNormOp::verify() { return verifyRMSNorm(*this); }

LogicalResult BufferRMSNormOp::verify() {
  if (failed(verifyBuffers(*this, {getResult()})))
    return failure();
  return verifyRMSNorm(*this);
}

//===----------------------------------------------------------------------===//
// FusedAddRMSNormOp
//===----------------------------------------------------------------------===//

/// C1-C4 of fused_add_rms_norm and its buffer form.
template <typename OpTy> static LogicalResult verifyFusedAddRMSNorm(OpTy op) {
  if (failed(verifyTensorSizes(op)))
    return failure();
  RankedTensorType input = verifiedType(op.getInput());
  if (failed(verifyNormOperands(op, input, verifiedType(op.getWeight()),
                                op.getEpsilon(), /*exactRank2=*/false)))
    return failure();
  if (verifiedType(op.getResidual()) != input)
    return op.emitOpError("(C4) residual type ")
           << op.getResidual().getType() << " differs from the input type "
           << op.getInput().getType();
  if (verifiedType(op.getResult()) != input ||
      verifiedType(op.getResidualOut()) != input)
    return op.emitOpError("(C3) result types must equal the input type ")
           << op.getInput().getType();
  return success();
}

LogicalResult FusedAddRMSNormOp::verify() {
  return verifyFusedAddRMSNorm(*this);
}

LogicalResult BufferFusedAddRMSNormOp::verify() {
  if (failed(verifyBuffers(*this, {getResult(), getResidualOut()},
                           {getResidual(), getResidualOut()})))
    return failure();
  return verifyFusedAddRMSNorm(*this);
}

//===----------------------------------------------------------------------===//
// QuantizeOp
//===----------------------------------------------------------------------===//

/// The fp8 tensor type with the shape of `input`.
static RankedTensorType getFP8Type(Value input) {
  auto type = cast<RankedTensorType>(input.getType());
  return RankedTensorType::get(type.getShape(),
                               Float8E4M3FNType::get(type.getContext()));
}

/// The scale tensor type a scheme produces for a quantized tensor of type
/// `type` (the static scale's own type for static_per_tensor).
static Type getScalesType(RankedTensorType type, Value scale,
                          QuantSchemeAttr scheme) {
  if (scheme.isStatic() && scale)
    return scale.getType();
  return scheme.getScaleFormat().getScaleType(type.getDimSize(0),
                                              type.getDimSize(1));
}

static Type getScalesType(Value input, Value scale, QuantSchemeAttr scheme) {
  return getScalesType(cast<RankedTensorType>(input.getType()), scale, scheme);
}

void QuantizeOp::build(OpBuilder &builder, OperationState &state, Value input,
                       Value scale, QuantSchemeAttr scheme) {
  build(builder, state, getFP8Type(input), getScalesType(input, scale, scheme),
        input, scale, scheme);
}

/// The scale format a verifier assumes for a buffer that holds the scales of
/// `scheme` (C14: a buffer has no encoding of its own). Tensors carry theirs.
template <typename OpTy> static Attribute bufferScaleFormat(OpTy op) {
  if (isa<MemRefType>(op.getScales().getType()))
    return op.getScheme().getScaleFormat();
  return {};
}

/// C1, C5, C7, C8, C11 of quantize and its buffer form.
template <typename OpTy> static LogicalResult verifyQuantize(OpTy op) {
  if (failed(verifyTensorSizes(op)))
    return failure();
  RankedTensorType input = verifiedType(op.getInput());
  if (input.getRank() != 2)
    return op.emitOpError("(C1) expects a rank-2 input [M, H], got rank ")
           << input.getRank();
  if (ShapedType::isDynamic(input.getDimSize(1)))
    return op.emitOpError(
        "(C1) the hidden size (last dimension) must be static");
  if (input.getDimSize(1) == 0)
    return op.emitOpError("(C11) the hidden size (last dimension) must be "
                          "positive, got 0");
  return verifyQuantization(
      op, input, op.getScale(), op.getScheme(), verifiedType(op.getOutput()),
      verifiedType(op.getScales(), bufferScaleFormat(op)));
}

LogicalResult QuantizeOp::verify() { return verifyQuantize(*this); }

LogicalResult BufferQuantizeOp::verify() {
  if (failed(verifyBuffers(*this, {getOutput(), getScales()})))
    return failure();
  return verifyQuantize(*this);
}

namespace {
/// The scales result of a static quantization is its scale operand: forward
/// it so consumers read the operand and the result becomes dead.
template <typename OpTy> struct ForwardStaticScale : OpRewritePattern<OpTy> {
  using OpRewritePattern<OpTy>::OpRewritePattern;
  LogicalResult matchAndRewrite(OpTy op,
                                PatternRewriter &rewriter) const override {
    if (!op.getScheme().isStatic() || !op.getScale() ||
        op.getScales().use_empty() ||
        op.getScale().getType() != op.getScales().getType())
      return failure();
    rewriter.replaceAllUsesWith(op.getScales(), op.getScale());
    return success();
  }
};
} // namespace

void QuantizeOp::getCanonicalizationPatterns(RewritePatternSet &results,
                                             MLIRContext *context) {
  results.add<ForwardStaticScale<QuantizeOp>>(context);
}

//===----------------------------------------------------------------------===//
// RMSNormQuantOp
//===----------------------------------------------------------------------===//

void RMSNormQuantOp::build(OpBuilder &builder, OperationState &state,
                           Value input, Value weight, Value residual,
                           Value scale, FloatAttr epsilon,
                           QuantSchemeAttr scheme, bool returnNormalized,
                           bool roundBeforeWeight, IntegerAttr allReduceGroup) {
  state.addOperands(input);
  state.addOperands(weight);
  if (residual)
    state.addOperands(residual);
  if (scale)
    state.addOperands(scale);
  state.addTypes({getFP8Type(input), getScalesType(input, scale, scheme)});
  if (residual)
    state.addTypes(input.getType());
  if (returnNormalized)
    state.addTypes(input.getType());
  Properties &props = state.getOrAddProperties<Properties>();
  props.epsilon = epsilon;
  props.scheme = scheme;
  if (roundBeforeWeight)
    props.round_before_weight = builder.getUnitAttr();
  props.all_reduce_group = allReduceGroup;
  props.operandSegmentSizes = {1, 1, residual ? 1 : 0, scale ? 1 : 0};
  props.resultSegmentSizes = {1, 1, residual ? 1 : 0, returnNormalized ? 1 : 0};
}

// Syntax:
//   vllm.rms_norm_quant %x, %w [all_reduce(group g)] [residual(%r)]
//       [scale(%s)] as <scheme>
//       attr-dict : (operand types) -> (result types)
ParseResult RMSNormQuantOp::parse(OpAsmParser &parser, OperationState &result) {
  OpAsmParser::UnresolvedOperand input, weight, residual, scale;
  bool hasResidual = false, hasScale = false;
  if (parser.parseOperand(input) || parser.parseComma() ||
      parser.parseOperand(weight))
    return failure();
  IntegerAttr allReduceGroup;
  if (succeeded(parser.parseOptionalKeyword("all_reduce"))) {
    uint32_t group = 0;
    if (parser.parseLParen() || parser.parseKeyword("group") ||
        parser.parseInteger(group) || parser.parseRParen())
      return failure();
    allReduceGroup = parser.getBuilder().getI32IntegerAttr(group);
  }
  if (succeeded(parser.parseOptionalKeyword("residual"))) {
    hasResidual = true;
    if (parser.parseLParen() || parser.parseOperand(residual) ||
        parser.parseRParen())
      return failure();
  }
  if (succeeded(parser.parseOptionalKeyword("scale"))) {
    hasScale = true;
    if (parser.parseLParen() || parser.parseOperand(scale) ||
        parser.parseRParen())
      return failure();
  }
  QuantSchemeAttr scheme;
  if (parser.parseKeyword("as") ||
      parser.parseCustomAttributeWithFallback(scheme, Type{}))
    return failure();
  SMLoc attrLoc = parser.getCurrentLocation();
  if (parser.parseOptionalAttrDict(result.attributes))
    return failure();
  if (result.attributes.get("operandSegmentSizes") ||
      result.attributes.get("resultSegmentSizes"))
    return parser.emitError(attrLoc, "segment sizes are implied by the syntax");
  SMLoc typeLoc = parser.getCurrentLocation();
  FunctionType type;
  if (parser.parseColonType(type))
    return failure();

  SmallVector<OpAsmParser::UnresolvedOperand> operands = {input, weight};
  if (hasResidual)
    operands.push_back(residual);
  if (hasScale)
    operands.push_back(scale);
  if (parser.resolveOperands(operands, type.getInputs(), typeLoc,
                             result.operands))
    return failure();

  // Results: q, scales, residual_out (iff residual), normalized (optional).
  unsigned fixedResults = 2 + (hasResidual ? 1 : 0);
  unsigned numResults = type.getNumResults();
  if (numResults != fixedResults && numResults != fixedResults + 1)
    return parser.emitError(typeLoc, "expected ")
           << fixedResults << " results (q, scales"
           << (hasResidual ? ", residual_out" : "") << ") or "
           << fixedResults + 1 << " with the normalized tensor, got "
           << numResults;
  result.addTypes(type.getResults());
  Properties &props = result.getOrAddProperties<Properties>();
  props.scheme = scheme;
  props.all_reduce_group = allReduceGroup;
  props.operandSegmentSizes = {1, 1, hasResidual ? 1 : 0, hasScale ? 1 : 0};
  props.resultSegmentSizes = {1, 1, hasResidual ? 1 : 0,
                              numResults == fixedResults ? 0 : 1};
  return success();
}

void RMSNormQuantOp::print(OpAsmPrinter &printer) {
  printer << " " << getInput() << ", " << getWeight();
  if (std::optional<uint32_t> group = getAllReduceGroup())
    printer << " all_reduce(group " << *group << ")";
  if (getResidual())
    printer << " residual(" << getResidual() << ")";
  if (getScale())
    printer << " scale(" << getScale() << ")";
  printer << " as ";
  printer.printStrippedAttrOrType(getScheme());
  printer.printOptionalAttrDict(
      (*this)->getAttrs(), {getSchemeAttrName(), getAllReduceGroupAttrName(),
                            "operandSegmentSizes", "resultSegmentSizes"});
  printer << " : ";
  printer.printFunctionalType(*this);
}

/// C1-C5, C7-C8 of rms_norm_quant and its buffer form.
template <typename OpTy> static LogicalResult verifyRMSNormQuant(OpTy op) {
  if (failed(verifyTensorSizes(op)))
    return failure();
  RankedTensorType input = verifiedType(op.getInput());
  if (failed(verifyNormOperands(op, input, verifiedType(op.getWeight()),
                                op.getEpsilon(), /*exactRank2=*/true)))
    return failure();
  if (op.getResidual() && verifiedType(op.getResidual()) != input)
    return op.emitOpError("(C4) residual type ")
           << op.getResidual().getType() << " differs from the input type "
           << op.getInput().getType();
  if (static_cast<bool>(op.getResidual()) !=
      static_cast<bool>(op.getResidualOut()))
    return op.emitOpError("returns residual_out if and only if it takes a "
                          "residual");
  if (std::optional<uint32_t> group = op.getAllReduceGroup()) {
    if (failed(verifyGroup(op, *group)))
      return failure();
    if (!op.getResidual())
      return op.emitOpError("(C19) the all-reduce form takes a residual");
  }
  if (op.getResidualOut() && verifiedType(op.getResidualOut()) != input)
    return op.emitOpError("(C3) residual_out type must equal the input type ")
           << op.getInput().getType();
  if (op.getNormalized() && verifiedType(op.getNormalized()) != input)
    return op.emitOpError("(C3) the normalized result type must equal the "
                          "input type ")
           << op.getInput().getType();
  return verifyQuantization(
      op, input, op.getScale(), op.getScheme(), verifiedType(op.getOutput()),
      verifiedType(op.getScales(), bufferScaleFormat(op)));
}

LogicalResult RMSNormQuantOp::verify() { return verifyRMSNormQuant(*this); }

LogicalResult BufferRMSNormQuantOp::verify() {
  if (failed(verifyBuffers(
          *this, {getOutput(), getScales(), getResidualOut(), getNormalized()},
          {getResidual(), getResidualOut()})))
    return failure();
  return verifyRMSNormQuant(*this);
}

namespace {
/// Drops the normalized result when nothing reads it: the kernel then
/// writes one tensor fewer.
struct DropUnusedNormalized : OpRewritePattern<RMSNormQuantOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(RMSNormQuantOp op,
                                PatternRewriter &rewriter) const override {
    if (!op.getNormalized() || !op.getNormalized().use_empty())
      return failure();
    auto newOp = RMSNormQuantOp::create(
        rewriter, op.getLoc(), op.getInput(), op.getWeight(), op.getResidual(),
        op.getScale(), op.getEpsilonAttr(), op.getScheme(),
        /*returnNormalized=*/false, op.getRoundBeforeWeight());
    SmallVector<Value> replacements(newOp->getResults());
    replacements.push_back(Value());
    rewriter.replaceOp(op, replacements);
    return success();
  }
};
} // namespace

void RMSNormQuantOp::getCanonicalizationPatterns(RewritePatternSet &results,
                                                 MLIRContext *context) {
  results.add<ForwardStaticScale<RMSNormQuantOp>, DropUnusedNormalized>(
      context);
}

//===----------------------------------------------------------------------===//
// SiluAndMulOp
//===----------------------------------------------------------------------===//

/// C11, C12 (`constraint`: C13 for elementwise_quant): the last dimension of
/// a gated input is static, positive and even (gate | up halves).
static LogicalResult verifyGatedInput(Operation *op, RankedTensorType input,
                                      StringRef constraint) {
  int64_t width = input.getShape().back();
  if (ShapedType::isDynamic(width))
    return op->emitOpError("(")
           << constraint << ") the last dimension (gate and up, 2I) must be "
           << "static";
  if (width == 0)
    return op->emitOpError("(C11) the last dimension (gate and up, 2I) must "
                           "be positive, got 0");
  if (width % 2 != 0)
    return op->emitOpError("(")
           << constraint << ") the last dimension holds the gate and up "
           << "halves and must be even, got " << width;
  return success();
}

/// C11, C12 of silu_and_mul and its buffer form.
template <typename OpTy> static LogicalResult verifySiluAndMul(OpTy op) {
  if (failed(verifyTensorSizes(op)))
    return failure();
  RankedTensorType input = verifiedType(op.getInput());
  RankedTensorType result = verifiedType(op.getResult());
  if (input.getRank() < 2)
    return op.emitOpError("(C12) expects the input to have rank >= 2 "
                          "[..., 2I], got rank ")
           << input.getRank();
  if (failed(verifyGatedInput(op, input, "C12")))
    return failure();
  if (result.getElementType() != input.getElementType())
    return op.emitOpError("(C12) result element type ")
           << result.getElementType() << " differs from the input element type "
           << input.getElementType();
  SmallVector<int64_t> expected(input.getShape());
  expected.back() /= 2;
  if (result.getShape() != ArrayRef<int64_t>(expected))
    return op.emitOpError("(C12) result shape ")
           << shapeString(result.getShape()) << " must be "
           << shapeString(expected) << " (the input's rows, half its last "
           << "dimension)";
  return success();
}

LogicalResult SiluAndMulOp::verify() { return verifySiluAndMul(*this); }

LogicalResult BufferSiluAndMulOp::verify() {
  if (failed(verifyBuffers(*this, {getResult()})))
    return failure();
  return verifySiluAndMul(*this);
}

//===----------------------------------------------------------------------===//
// AllReduceOp
//===----------------------------------------------------------------------===//

/// C11, C17 of all_reduce and its buffer form.
template <typename OpTy> static LogicalResult verifyAllReduce(OpTy op) {
  if (failed(verifyTensorSizes(op)))
    return failure();
  if (failed(verifyGroup(op, op.getGroup())))
    return failure();
  RankedTensorType input = verifiedType(op.getInput());
  if (input.getRank() != 2)
    return op.emitOpError("(C17) expects the input to have rank 2 [M, H], "
                          "got rank ")
           << input.getRank();
  int64_t hidden = input.getShape().back();
  if (ShapedType::isDynamic(hidden))
    return op.emitOpError("(C17) the hidden size (last dimension) must be "
                          "static");
  if (hidden == 0)
    return op.emitOpError("(C11) the hidden size (last dimension) must be "
                          "positive, got 0");
  if (verifiedType(op.getResult()) != input)
    return op.emitOpError("(C17) result type ")
           << op.getResult().getType() << " differs from the input type "
           << op.getInput().getType();
  return success();
}

LogicalResult AllReduceOp::verify() { return verifyAllReduce(*this); }

LogicalResult BufferAllReduceOp::verify() {
  if (failed(verifyBuffers(*this, {getResult()})))
    return failure();
  return verifyAllReduce(*this);
}

//===----------------------------------------------------------------------===//
// ElementwiseQuantOp
//===----------------------------------------------------------------------===//

RankedTensorType ElementwiseQuantOp::getProductType(Prologue prologue,
                                                    RankedTensorType input) {
  switch (prologue) {
  case Prologue::SiluAndMul: {
    SmallVector<int64_t> shape(input.getShape());
    if (!ShapedType::isDynamic(shape.back()))
      shape.back() /= 2;
    return RankedTensorType::get(shape, input.getElementType());
  }
  }
  llvm_unreachable("unknown prologue");
}

void ElementwiseQuantOp::build(OpBuilder &builder, OperationState &state,
                               Prologue prologue, Value input, Value scale,
                               QuantSchemeAttr scheme, bool returnProduct) {
  RankedTensorType product =
      getProductType(prologue, cast<RankedTensorType>(input.getType()));
  auto output = RankedTensorType::get(
      product.getShape(), Float8E4M3FNType::get(builder.getContext()));
  Type scales = getScalesType(product, scale, scheme);
  Type productResult = returnProduct ? Type(product) : Type();
  build(builder, state, output, scales, productResult, input, scale, prologue,
        scheme);
}

/// C11, C13 (and C5, C7, C8) of elementwise_quant and its buffer form.
template <typename OpTy> static LogicalResult verifyElementwiseQuant(OpTy op) {
  if (failed(verifyTensorSizes(op)))
    return failure();
  RankedTensorType input = verifiedType(op.getInput());
  if (input.getRank() != 2)
    return op.emitOpError("(C13) expects a rank-2 input [M, 2I], got rank ")
           << input.getRank();
  if (failed(verifyGatedInput(op, input, "C13")))
    return failure();
  RankedTensorType product =
      ElementwiseQuantOp::getProductType(op.getPrologue(), input);
  if (op.getProduct() && verifiedType(op.getProduct()) != product)
    return op.emitOpError("(C13) the ")
           << stringifyPrologue(op.getPrologue()) << " result must have type "
           << describedAs(op.getProduct(), product) << ", got "
           << op.getProduct().getType();
  return verifyQuantization(
      op, product, op.getScale(), op.getScheme(), verifiedType(op.getOutput()),
      verifiedType(op.getScales(), bufferScaleFormat(op)), "product");
}

LogicalResult ElementwiseQuantOp::verify() {
  return verifyElementwiseQuant(*this);
}

LogicalResult BufferElementwiseQuantOp::verify() {
  if (failed(verifyBuffers(*this, {getOutput(), getScales(), getProduct()})))
    return failure();
  return verifyElementwiseQuant(*this);
}

namespace {
/// Drops the product result when nothing reads it: the kernel then writes
/// one tensor fewer.
struct DropUnusedProduct : OpRewritePattern<ElementwiseQuantOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(ElementwiseQuantOp op,
                                PatternRewriter &rewriter) const override {
    if (!op.getProduct() || !op.getProduct().use_empty())
      return failure();
    auto newOp = ElementwiseQuantOp::create(
        rewriter, op.getLoc(), op.getPrologue(), op.getInput(), op.getScale(),
        op.getScheme(), /*returnProduct=*/false);
    SmallVector<Value> replacements(newOp->getResults());
    replacements.push_back(Value());
    rewriter.replaceOp(op, replacements);
    return success();
  }
};
} // namespace

void ElementwiseQuantOp::getCanonicalizationPatterns(RewritePatternSet &results,
                                                     MLIRContext *context) {
  results.add<ForwardStaticScale<ElementwiseQuantOp>, DropUnusedProduct>(
      context);
}

//===----------------------------------------------------------------------===//
// ScaledMatmulOp
//===----------------------------------------------------------------------===//

/// C10: the activation scale formats the GEMM of `chip` consumes.
static bool chipConsumes(Chip chip, ScaleFormatAttr format) {
  if (!format.isGroup())
    return true;
  switch (chip) {
  case Chip::SM100a:
    return format.isPacked();
  case Chip::SM90a:
    return !format.isPacked() && format.getLayout() == ScaleLayout::MNMajor &&
           format.getAlign() == 4;
  }
  return false;
}

/// The scale formats of a GEMM's operands: a tensor's encoding; for the
/// buffer form, the formats stated on the op (C14).
static std::pair<ScaleFormatAttr, ScaleFormatAttr>
scaleFormatsOf(ScaledMatmulOp op) {
  return {getScaleFormat(op.getAScales().getType()),
          getScaleFormat(op.getBScales().getType())};
}
static std::pair<ScaleFormatAttr, ScaleFormatAttr>
scaleFormatsOf(BufferScaledMatmulOp op) {
  return {op.getAScalesFormat(), op.getBScalesFormat()};
}

/// C8, C10, C11 of scaled_matmul and its buffer form.
template <typename OpTy> static LogicalResult verifyScaledMatmul(OpTy op) {
  if (failed(verifyTensorSizes(op)))
    return failure();
  RankedTensorType aType = verifiedType(op.getA());
  RankedTensorType bType = verifiedType(op.getB());
  RankedTensorType dType = verifiedType(op.getResult());
  if (aType.getRank() != 2 || bType.getRank() != 2 || dType.getRank() != 2)
    return op.emitOpError(
        "expects rank-2 A [M, K], B [N, K] and result [M, N]");
  int64_t rows = aType.getDimSize(0), depth = aType.getDimSize(1);
  int64_t cols = bType.getDimSize(0);
  if (ShapedType::isDynamic(depth) || ShapedType::isDynamic(cols) ||
      ShapedType::isDynamic(bType.getDimSize(1)))
    return op.emitOpError("K and N must be static");
  if (depth == 0 || cols == 0)
    return op.emitOpError("(C11) K and N must be positive, got K = ")
           << depth << ", N = " << cols;
  if (bType.getDimSize(1) != depth)
    return op.emitOpError("A has K = ")
           << depth << " but B [N, K] has K = " << bType.getDimSize(1);
  if (dType.getDimSize(0) != rows || dType.getDimSize(1) != cols)
    return op.emitOpError("result shape ")
           << shapeString(dType.getShape())
           << " does not match [M, N] = " << shapeString({rows, cols});

  auto [aFormat, bFormat] = scaleFormatsOf(op);
  if (!aFormat || !bFormat)
    return op.emitOpError("(C8) scale operands must carry a #vllm.scales "
                          "encoding that states their format");
  if (aFormat.getGranularity() == ScaleGranularity::Block)
    return op.emitOpError("activation scales must be per-group, per-row or "
                          "per-tensor, got ")
           << aFormat;
  if (aFormat.isGroup() && aFormat.getGroupSize() != 128)
    return op.emitOpError("activation scale groups must be 1x128, got 1x")
           << aFormat.getGroupSize();
  if (bFormat.isGroup())
    return op.emitOpError("weight scales must be 128x128 blocks, per-row or "
                          "per-tensor, got ")
           << bFormat;
  if (bFormat.getGranularity() == ScaleGranularity::Block &&
      (bFormat.getBlockRows() != 128 || bFormat.getBlockCols() != 128))
    return op.emitOpError("weight scale blocks must be 128x128, got ")
           << bFormat.getBlockRows() << "x" << bFormat.getBlockCols();
  if ((aFormat.isGroup() ||
       bFormat.getGranularity() == ScaleGranularity::Block) &&
      depth % 128 != 0)
    return op.emitOpError("(C10) block scaling requires K % 128 == 0, got K = ")
           << depth;

  auto checkScales = [&](StringRef name, Value scales, ScaleFormatAttr format,
                         int64_t scaledRows) -> LogicalResult {
    RankedTensorType type = verifiedType(scales);
    SmallVector<int64_t> shape = format.getScaleShape(scaledRows, depth);
    if (type.getElementType() != format.getElementType() ||
        type.getShape() != ArrayRef<int64_t>(shape))
      return op.emitOpError("(C8) ")
             << name << " in format " << format << " must be "
             << describedAs(scales, format.getScaleType(scaledRows, depth))
             << ", got " << scales.getType();
    return success();
  };
  if (failed(
          checkScales("activation scales", op.getAScales(), aFormat, rows)) ||
      failed(checkScales("weight scales", op.getBScales(), bFormat, cols)))
    return failure();

  if (std::optional<Chip> chip = op.getChip()) {
    if (!chipConsumes(*chip, aFormat))
      return op.emitOpError("(C10) the GEMM on ")
             << stringifyChip(*chip) << " consumes activation scales as "
             << (*chip == Chip::SM100a ? "ue8m0_packed, mn_major, align 4"
                                       : "f32 or ue8m0_f32, mn_major, align 4")
             << ", got " << aFormat;
  }
  return success();
}

LogicalResult ScaledMatmulOp::verify() { return verifyScaledMatmul(*this); }

LogicalResult BufferScaledMatmulOp::verify() {
  if (failed(verifyBuffers(*this, {getResult()})))
    return failure();
  return verifyScaledMatmul(*this);
}
