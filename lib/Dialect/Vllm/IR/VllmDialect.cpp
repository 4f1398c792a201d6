//===- VllmDialect.cpp - vllm dialect and attributes ----------------------===//
//
// Part of the vllm-mlir project.
//
//===----------------------------------------------------------------------===//
//
// Registration of the dialect, and the custom syntax and verifiers of the
// `#vllm.scales` and `#vllm.quant` attributes. Diagnostics cite the numbered
// constraints of docs/SPEC.md.
//
//===----------------------------------------------------------------------===//

#include "vllm-mlir/Dialect/Vllm/IR/VllmDialect.h"
#include "vllm-mlir/Dialect/Vllm/IR/VllmOps.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectImplementation.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace mlir::vllm;

#include "vllm-mlir/Dialect/Vllm/IR/VllmDialect.cpp.inc"
#include "vllm-mlir/Dialect/Vllm/IR/VllmEnums.cpp.inc"

#define GET_ATTRDEF_CLASSES
#include "vllm-mlir/Dialect/Vllm/IR/VllmAttrs.cpp.inc"

void VllmDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "vllm-mlir/Dialect/Vllm/IR/VllmOps.cpp.inc"
      >();
  addAttributes<
#define GET_ATTRDEF_LIST
#include "vllm-mlir/Dialect/Vllm/IR/VllmAttrs.cpp.inc"
      >();
}

//===----------------------------------------------------------------------===//
// Helpers
//===----------------------------------------------------------------------===//

ScaleFormatAttr mlir::vllm::getScaleFormat(Type type) {
  auto tensorType = dyn_cast<RankedTensorType>(type);
  if (!tensorType)
    return {};
  return dyn_cast_or_null<ScaleFormatAttr>(tensorType.getEncoding());
}

int64_t mlir::vllm::padRows(int64_t rows, int64_t align) {
  if (ShapedType::isDynamic(rows))
    return ShapedType::kDynamic;
  return llvm::divideCeil(rows, align) * align;
}

static bool isSupportedGroupSize(int64_t groupSize) {
  return groupSize == 32 || groupSize == 64 || groupSize == 128;
}

/// Parses `, <encoding>, <layout>` after a group size.
static ParseResult parseGroupTail(AsmParser &parser, ScaleEncoding &encoding,
                                  ScaleLayout &layout) {
  StringRef encodingName, layoutName;
  SMLoc encodingLoc = parser.getCurrentLocation();
  if (parser.parseComma() || parser.parseKeyword(&encodingName))
    return failure();
  std::optional<ScaleEncoding> maybeEncoding =
      symbolizeScaleEncoding(encodingName);
  if (!maybeEncoding)
    return parser.emitError(encodingLoc, "unknown scale encoding '")
           << encodingName << "' (expected f32, ue8m0_f32 or ue8m0_packed)";
  encoding = *maybeEncoding;
  SMLoc layoutLoc = parser.getCurrentLocation();
  if (parser.parseComma() || parser.parseKeyword(&layoutName))
    return failure();
  std::optional<ScaleLayout> maybeLayout = symbolizeScaleLayout(layoutName);
  if (!maybeLayout)
    return parser.emitError(layoutLoc, "unknown scale layout '")
           << layoutName << "' (expected row_major or mn_major)";
  layout = *maybeLayout;
  return success();
}

/// Parses the trailing `, align N` and (when `upperBound` is non-null)
/// `, upper_bound = F` options in any order.
static ParseResult parseTrailingOptions(AsmParser &parser, int64_t &align,
                                        FloatAttr *upperBound) {
  while (succeeded(parser.parseOptionalComma())) {
    StringRef key;
    SMLoc keyLoc = parser.getCurrentLocation();
    if (parser.parseKeyword(&key))
      return failure();
    if (key == "align") {
      if (parser.parseInteger(align))
        return failure();
      continue;
    }
    if (key == "upper_bound" && upperBound) {
      double value;
      if (parser.parseEqual() || parser.parseFloat(value))
        return failure();
      *upperBound =
          FloatAttr::get(Float32Type::get(parser.getContext()), value);
      continue;
    }
    return parser.emitError(keyLoc, "unexpected option '")
           << key << "' (expected align"
           << (upperBound ? " or upper_bound" : "") << ")";
  }
  return success();
}

static void printGroupTail(AsmPrinter &printer, ScaleEncoding encoding,
                           ScaleLayout layout, int64_t align) {
  printer << ", " << stringifyScaleEncoding(encoding) << ", "
          << stringifyScaleLayout(layout);
  if (align != 1)
    printer << ", align " << align;
}

/// Checks shared by the per-group forms of both attributes.
static LogicalResult
verifyGroupStorage(function_ref<InFlightDiagnostic()> emitError,
                   ScaleEncoding encoding, ScaleLayout layout, int64_t align) {
  if (align != 1 && align != 4)
    return emitError() << "scale row alignment must be 1 or 4, got " << align;
  if (layout == ScaleLayout::RowMajor && align != 1)
    return emitError() << "alignment applies to the mn_major layout only";
  if (encoding == ScaleEncoding::UE8M0Packed &&
      (layout != ScaleLayout::MNMajor || align != 4))
    return emitError() << "ue8m0_packed scales are MN-major with align 4";
  return success();
}

//===----------------------------------------------------------------------===//
// ScaleFormatAttr
//===----------------------------------------------------------------------===//

ScaleFormatAttr ScaleFormatAttr::getGroup(MLIRContext *ctx, int64_t groupSize,
                                          ScaleEncoding encoding,
                                          ScaleLayout layout, int64_t align) {
  return get(ctx, ScaleGranularity::Group, 1, groupSize, encoding, layout,
             align);
}

Type ScaleFormatAttr::getElementType() const {
  Builder builder(getContext());
  if (isPacked())
    return builder.getI32Type();
  return builder.getF32Type();
}

SmallVector<int64_t> ScaleFormatAttr::getScaleShape(int64_t rows,
                                                    int64_t cols) const {
  switch (getGranularity()) {
  case ScaleGranularity::Tensor:
    return {1};
  case ScaleGranularity::Row:
    return {rows};
  case ScaleGranularity::Block: {
    int64_t blockRows =
        ShapedType::isDynamic(rows)
            ? ShapedType::kDynamic
            : static_cast<int64_t>(llvm::divideCeil(rows, getBlockRows()));
    return {blockRows,
            static_cast<int64_t>(llvm::divideCeil(cols, getBlockCols()))};
  }
  case ScaleGranularity::Group: {
    int64_t groups = cols / getGroupSize();
    if (getLayout() == ScaleLayout::RowMajor)
      return {rows, groups};
    int64_t paddedRows = padRows(rows, getAlign());
    if (isPacked())
      return {static_cast<int64_t>(llvm::divideCeil(groups, 4)), paddedRows};
    return {groups, paddedRows};
  }
  }
  llvm_unreachable("unknown scale granularity");
}

RankedTensorType ScaleFormatAttr::getScaleType(int64_t rows,
                                               int64_t cols) const {
  return RankedTensorType::get(getScaleShape(rows, cols), getElementType(),
                               *this);
}

Attribute ScaleFormatAttr::parse(AsmParser &parser, Type) {
  MLIRContext *ctx = parser.getContext();
  StringRef granularityName;
  SMLoc loc = parser.getCurrentLocation();
  if (parser.parseLess() || parser.parseKeyword(&granularityName))
    return {};
  std::optional<ScaleGranularity> granularity =
      symbolizeScaleGranularity(granularityName);
  if (!granularity) {
    parser.emitError(loc, "unknown scale granularity '")
        << granularityName << "' (expected tensor, row, group or block)";
    return {};
  }
  int64_t blockRows = 0, blockCols = 0, align = 1;
  ScaleEncoding encoding = ScaleEncoding::F32;
  ScaleLayout layout = ScaleLayout::RowMajor;
  switch (*granularity) {
  case ScaleGranularity::Tensor:
  case ScaleGranularity::Row:
    break;
  case ScaleGranularity::Group:
    blockRows = 1;
    if (parser.parseInteger(blockCols) ||
        parseGroupTail(parser, encoding, layout) ||
        parseTrailingOptions(parser, align, /*upperBound=*/nullptr))
      return {};
    break;
  case ScaleGranularity::Block: {
    SmallVector<int64_t, 2> dims;
    StringRef encodingName;
    SMLoc dimsLoc = parser.getCurrentLocation();
    if (parser.parseDimensionList(dims, /*allowDynamic=*/false,
                                  /*withTrailingX=*/false))
      return {};
    if (dims.size() != 2) {
      parser.emitError(dimsLoc, "expected a block shape RxC");
      return {};
    }
    blockRows = dims[0];
    blockCols = dims[1];
    SMLoc encodingLoc = parser.getCurrentLocation();
    if (parser.parseComma() || parser.parseKeyword(&encodingName))
      return {};
    std::optional<ScaleEncoding> maybeEncoding =
        symbolizeScaleEncoding(encodingName);
    if (!maybeEncoding) {
      parser.emitError(encodingLoc, "unknown scale encoding '")
          << encodingName << "'";
      return {};
    }
    encoding = *maybeEncoding;
    break;
  }
  }
  if (parser.parseGreater())
    return {};
  return getChecked([&] { return parser.emitError(loc); }, ctx, *granularity,
                    blockRows, blockCols, encoding, layout, align);
}

void ScaleFormatAttr::print(AsmPrinter &printer) const {
  printer << "<" << stringifyScaleGranularity(getGranularity());
  switch (getGranularity()) {
  case ScaleGranularity::Tensor:
  case ScaleGranularity::Row:
    break;
  case ScaleGranularity::Group:
    printer << " " << getGroupSize();
    printGroupTail(printer, getEncoding(), getLayout(), getAlign());
    break;
  case ScaleGranularity::Block:
    printer << " " << getBlockRows() << "x" << getBlockCols() << ", "
            << stringifyScaleEncoding(getEncoding());
    break;
  }
  printer << ">";
}

LogicalResult
ScaleFormatAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                        ScaleGranularity granularity, int64_t blockRows,
                        int64_t blockCols, ScaleEncoding encoding,
                        ScaleLayout layout, int64_t align) {
  switch (granularity) {
  case ScaleGranularity::Tensor:
  case ScaleGranularity::Row:
    if (blockRows != 0 || blockCols != 0 || encoding != ScaleEncoding::F32 ||
        layout != ScaleLayout::RowMajor || align != 1)
      return emitError() << "tensor and row scales are plain f32";
    return success();
  case ScaleGranularity::Group:
    if (blockRows != 1)
      return emitError() << "group scales cover one row";
    if (!isSupportedGroupSize(blockCols))
      return emitError() << "(C5) group size must be 32, 64 or 128, got "
                         << blockCols;
    return verifyGroupStorage(emitError, encoding, layout, align);
  case ScaleGranularity::Block:
    if (blockRows <= 0 || blockCols <= 0)
      return emitError() << "block shape must be positive";
    if (encoding == ScaleEncoding::UE8M0Packed)
      return emitError() << "block scales are f32 or ue8m0_f32, not packed";
    if (layout != ScaleLayout::RowMajor || align != 1)
      return emitError() << "block scales are row-major";
    return success();
  }
  return success();
}

//===----------------------------------------------------------------------===//
// QuantSchemeAttr
//===----------------------------------------------------------------------===//

QuantSchemeAttr QuantSchemeAttr::getPerGroup(MLIRContext *ctx,
                                             int64_t groupSize,
                                             ScaleEncoding encoding,
                                             ScaleLayout layout,
                                             int64_t align) {
  return get(ctx, QuantKind::PerGroup, groupSize, encoding, layout, align,
             FloatAttr());
}

ScaleFormatAttr QuantSchemeAttr::getScaleFormat() const {
  MLIRContext *ctx = getContext();
  switch (getKind()) {
  case QuantKind::StaticPerTensor:
  case QuantKind::DynamicPerTensor:
    return ScaleFormatAttr::get(ctx, ScaleGranularity::Tensor);
  case QuantKind::PerToken:
    return ScaleFormatAttr::get(ctx, ScaleGranularity::Row);
  case QuantKind::PerGroup:
    return ScaleFormatAttr::getGroup(ctx, getGroupSize(), getEncoding(),
                                     getLayout(), getAlign());
  }
  llvm_unreachable("unknown quantization kind");
}

Attribute QuantSchemeAttr::parse(AsmParser &parser, Type) {
  MLIRContext *ctx = parser.getContext();
  StringRef kindName;
  SMLoc loc = parser.getCurrentLocation();
  if (parser.parseLess() || parser.parseKeyword(&kindName))
    return {};
  std::optional<QuantKind> kind = symbolizeQuantKind(kindName);
  if (!kind) {
    parser.emitError(loc, "unknown quantization scheme '")
        << kindName
        << "' (expected static_per_tensor, dynamic_per_tensor, per_token or "
           "per_group)";
    return {};
  }
  int64_t groupSize = 0, align = 1;
  ScaleEncoding encoding = ScaleEncoding::F32;
  ScaleLayout layout = ScaleLayout::RowMajor;
  if (*kind == QuantKind::PerGroup) {
    if (parser.parseInteger(groupSize) ||
        parseGroupTail(parser, encoding, layout))
      return {};
  }
  FloatAttr upperBound;
  if (parseTrailingOptions(parser, align, &upperBound) || parser.parseGreater())
    return {};
  return getChecked([&] { return parser.emitError(loc); }, ctx, *kind,
                    groupSize, encoding, layout, align, upperBound);
}

void QuantSchemeAttr::print(AsmPrinter &printer) const {
  printer << "<" << stringifyQuantKind(getKind());
  if (isPerGroup()) {
    printer << " " << getGroupSize();
    printGroupTail(printer, getEncoding(), getLayout(), getAlign());
  }
  if (getUpperBound()) {
    printer << ", upper_bound = ";
    printer.printFloat(getUpperBound().getValue());
  }
  printer << ">";
}

LogicalResult
QuantSchemeAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                        QuantKind kind, int64_t groupSize,
                        ScaleEncoding encoding, ScaleLayout layout,
                        int64_t align, FloatAttr upperBound) {
  if (upperBound) {
    if (kind != QuantKind::PerToken)
      return emitError()
             << "(C6) an upper bound is allowed only for per_token scales";
    double value = upperBound.getValueAsDouble();
    if (!(value > 0.0) || std::isinf(value))
      return emitError() << "(C6) the upper bound must be positive and finite";
  }
  if (kind != QuantKind::PerGroup) {
    if (groupSize != 0 || encoding != ScaleEncoding::F32 ||
        layout != ScaleLayout::RowMajor || align != 1)
      return emitError() << "only per_group scales have a group size, "
                            "encoding or layout";
    return success();
  }
  if (!isSupportedGroupSize(groupSize))
    return emitError() << "(C5) group size must be 32, 64 or 128, got "
                       << groupSize;
  return verifyGroupStorage(emitError, encoding, layout, align);
}
