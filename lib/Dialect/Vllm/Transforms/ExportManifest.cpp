//===- ExportManifest.cpp - JSON manifest of a library's entry points -----===//
//
// Part of the vllm-mlir project.
//
//===----------------------------------------------------------------------===//
//
// vllm-export-manifest: writes the signatures of the public tensor functions
// of a tensor-level module as JSON (llvm::json), with the C entry symbol and
// the ABI that convert-vllm-to-gpu gives them (HostLaunch.cpp: the stream,
// then one StridedMemRef pointer per argument and per result), so that a
// loader needs neither the IR nor the symbol names to call the library.
//
//===----------------------------------------------------------------------===//

#include "vllm-mlir/Dialect/Vllm/IR/VllmOps.h"
#include "vllm-mlir/Dialect/Vllm/Transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/Support/FileUtilities.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/ToolOutputFile.h"

#include <set>

namespace mlir::vllm {
#define GEN_PASS_DEF_VLLMEXPORTMANIFESTPASS
#include "vllm-mlir/Dialect/Vllm/Transforms/Passes.h.inc"
} // namespace mlir::vllm

using namespace mlir;
using namespace mlir::vllm;

/// Version of the manifest's format; bumped on any change a loader must
/// know about (a field renamed or removed, a change of the ABI).
static constexpr int64_t kManifestVersion = 2;

/// The C ABI of every entry point (HostLaunch.cpp, FunctionLowering::run;
/// docs/gpu-testing.md).
static llvm::json::Object describeAbi() {
  llvm::json::Array parameters{"stream", "arguments", "results"};
  llvm::json::Array fields{"allocated", "aligned", "offset", "sizes",
                           "strides"};
  return llvm::json::Object{{"return_type", "void"},
                            {"parameters", std::move(parameters)},
                            {"stream", "CUstream"},
                            {"memref", "StridedMemRef"},
                            {"memref_fields", std::move(fields)},
                            {"index_type", "int64"},
                            {"layout", "contiguous_row_major"},
                            {"results", "caller_allocated"}};
}

/// The fields of a `#vllm.scales` encoding.
static llvm::json::Object describeScales(ScaleFormatAttr format) {
  llvm::json::Object scales{
      {"kind", stringifyScaleGranularity(format.getGranularity())}};
  if (format.getGranularity() == ScaleGranularity::Group)
    scales["group_size"] = format.getGroupSize();
  if (format.getGranularity() == ScaleGranularity::Block) {
    llvm::json::Array block{format.getBlockRows(), format.getBlockCols()};
    scales["block"] = std::move(block);
  }
  scales["encoding"] = stringifyScaleEncoding(format.getEncoding());
  scales["layout"] = stringifyScaleLayout(format.getLayout());
  scales["align"] = format.getAlign();
  return scales;
}

/// One argument or result, or a diagnostic on `func` saying why it cannot be
/// described.
static FailureOr<llvm::json::Object>
describeTensor(func::FuncOp func, StringRef role, unsigned index, Type type) {
  auto fail = [&](StringRef why) {
    InFlightDiagnostic diag = func.emitOpError("cannot be described in the "
                                               "manifest: ");
    diag << role << " #" << index << " is " << type << " (" << why << ")";
    return failure();
  };
  auto tensor = dyn_cast<RankedTensorType>(type);
  if (!tensor)
    return fail("entry points take and return ranked tensors only");
  Type element = tensor.getElementType();
  if (!isa<IntegerType, FloatType>(element))
    return fail("the element type must be an integer or float type");
  Attribute encoding = tensor.getEncoding();
  auto scales = dyn_cast_if_present<ScaleFormatAttr>(encoding);
  if (encoding && !scales)
    return fail("the only tensor encoding described is #vllm.scales");

  llvm::json::Array shape;
  for (int64_t size : tensor.getShape()) {
    if (ShapedType::isDynamic(size))
      shape.push_back(nullptr);
    else
      shape.push_back(size);
  }
  std::string elementName;
  llvm::raw_string_ostream elementStream(elementName);
  element.print(elementStream);
  llvm::json::Object result{{"rank", tensor.getRank()},
                            {"shape", std::move(shape)},
                            {"element_type", std::move(elementName)}};
  if (scales)
    result["scales"] = describeScales(scales);
  return result;
}

namespace {
/// A dynamic dimension of a returned value in terms of the arguments:
/// ceil(roundUp(size of argument `argument` in `argumentDim`, align) /
/// divide).
struct DimSource {
  unsigned argument = 0;
  int64_t argumentDim = 0;
  int64_t align = 1;
  int64_t divide = 1;
};
} // namespace

/// The dimension of a tensor of `format` that holds (a function of) the rows
/// M of the op that produced it, with the alignment or block division that
/// takes M to that size (SPEC.md 3.3), or none when the shape does not
/// depend on M.
static std::optional<DimSource> getScaleRowsDim(ScaleFormatAttr format) {
  switch (format.getGranularity()) {
  case ScaleGranularity::Tensor:
    return std::nullopt;
  case ScaleGranularity::Row:
    return DimSource{0, 0, 1, 1};
  case ScaleGranularity::Block:
    return DimSource{0, 0, 1, format.getBlockRows()};
  case ScaleGranularity::Group:
    if (format.getLayout() == ScaleLayout::RowMajor)
      return DimSource{0, 0, 1, 1};
    return DimSource{0, 1, format.getAlign(), 1};
  }
  llvm_unreachable("unknown scale granularity");
}

/// How dynamic dimension `dim` of `value` follows from the arguments of the
/// function it is returned from, or none where the manifest cannot say: the
/// value is a function argument, or a result of a vllm op, whose rows M are
/// dimension 0 of its first operand (SPEC.md 3) and whose scale results
/// derive their M dimension by their format.
static std::optional<DimSource> traceDynamicDim(Value value, int64_t dim) {
  if (auto argument = dyn_cast<BlockArgument>(value)) {
    if (!isa<func::FuncOp>(argument.getOwner()->getParentOp()))
      return std::nullopt;
    return DimSource{argument.getArgNumber(), dim, 1, 1};
  }
  Operation *op = value.getDefiningOp();
  if (!isa<VllmDialect>(op->getDialect()) || op->getNumOperands() == 0)
    return std::nullopt;
  auto type = cast<RankedTensorType>(value.getType());
  auto format = dyn_cast_if_present<ScaleFormatAttr>(type.getEncoding());
  DimSource rowsDim{0, 0, 1, 1};
  if (format) {
    std::optional<DimSource> scaleRows = getScaleRowsDim(format);
    if (!scaleRows)
      return std::nullopt;
    rowsDim = *scaleRows;
  }
  if (dim != rowsDim.argumentDim)
    return std::nullopt;
  std::optional<DimSource> rows = traceDynamicDim(op->getOperand(0), 0);
  // An alignment of an aligned size does not compose into one rule.
  if (!rows || rows->align != 1 || rows->divide != 1)
    return std::nullopt;
  rows->align = rowsDim.align;
  rows->divide = rowsDim.divide;
  return rows;
}

/// The `dynamic_dims` entries of a result of `type`: one per dynamic
/// dimension, with its source when `returned` (the value the function
/// returns there, or null) lets traceDynamicDim find one (a loader cannot
/// size a result without it).
static llvm::json::Array describeDynamicDims(RankedTensorType type,
                                             Value returned) {
  llvm::json::Array entries;
  for (auto [dim, size] : llvm::enumerate(type.getShape())) {
    if (!ShapedType::isDynamic(size))
      continue;
    llvm::json::Object entry{{"dim", static_cast<int64_t>(dim)}};
    std::optional<DimSource> source;
    if (returned)
      source = traceDynamicDim(returned, dim);
    if (source) {
      entry["argument"] = static_cast<int64_t>(source->argument);
      entry["argument_dim"] = source->argumentDim;
      entry["align"] = source->align;
      entry["divide"] = source->divide;
    }
    entries.push_back(std::move(entry));
  }
  return entries;
}

/// The entry of `func`, or failure after a diagnostic.
static FailureOr<llvm::json::Object> describeFunction(func::FuncOp func) {
  // Every argument and result is described (and diagnosed) before failing.
  bool ok = true;
  auto describeAll = [&](StringRef role, TypeRange types) {
    llvm::json::Array entries;
    for (auto [index, type] : llvm::enumerate(types)) {
      FailureOr<llvm::json::Object> entry =
          describeTensor(func, role, index, type);
      if (failed(entry))
        ok = false;
      else
        entries.push_back(std::move(*entry));
    }
    return entries;
  };
  llvm::json::Array arguments =
      describeAll("argument", func.getArgumentTypes());
  llvm::json::Array results = describeAll("result", func.getResultTypes());
  if (!ok)
    return failure();
  // The sizes of the results' dynamic dimensions, from the returned values
  // of the function's one return (a declaration, or several returns, give
  // them no source).
  SmallVector<func::ReturnOp> returns;
  for (Block &block : func.getBody())
    if (auto returnOp = dyn_cast<func::ReturnOp>(block.getTerminator()))
      returns.push_back(returnOp);
  for (auto [index, entry] : llvm::enumerate(results)) {
    Value returned;
    if (returns.size() == 1)
      returned = returns.front().getOperand(index);
    llvm::json::Array dynamicDims = describeDynamicDims(
        cast<RankedTensorType>(func.getResultTypes()[index]), returned);
    if (!dynamicDims.empty())
      (*entry.getAsObject())["dynamic_dims"] = std::move(dynamicDims);
  }
  std::string symbol = ("_mlir_ciface_" + func.getName()).str();
  llvm::json::Object entry{{"name", func.getName()},
                           {"symbol", std::move(symbol)},
                           {"arguments", std::move(arguments)},
                           {"results", std::move(results)}};
  // The communicator groups the function's collectives name (SPEC.md
  // 3.10): a host binds a communicator to each before calling it.
  std::set<uint32_t> groups;
  func.walk([&](Operation *op) {
    if (auto allReduce = dyn_cast<AllReduceOp>(op))
      groups.insert(allReduce.getGroup());
    else if (auto fused = dyn_cast<RMSNormQuantOp>(op))
      if (std::optional<uint32_t> group = fused.getAllReduceGroup())
        groups.insert(*group);
  });
  if (!groups.empty()) {
    llvm::json::Array list;
    for (uint32_t group : groups)
      list.push_back(static_cast<int64_t>(group));
    entry["groups"] = std::move(list);
  }
  return entry;
}

namespace {
struct VllmExportManifestPass
    : vllm::impl::VllmExportManifestPassBase<VllmExportManifestPass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    markAllAnalysesPreserved();
    llvm::json::Array functions;
    bool ok = true;
    auto isTensor = [](Type type) { return isa<TensorType>(type); };
    for (auto func : module.getOps<func::FuncOp>()) {
      // Only public functions with tensors in their signature become entry
      // points (convert-vllm-to-gpu gives them the C interface).
      if (!func.isPublic())
        continue;
      if (llvm::none_of(func.getArgumentTypes(), isTensor) &&
          llvm::none_of(func.getResultTypes(), isTensor)) {
        // A function on buffers with vllm ops is an entry point too, whose
        // buffers carry no scale formats: not described rather than left
        // out of the manifest.
        bool hasVllmOps = func.walk([](Operation *op) {
                                return isa<VllmDialect>(op->getDialect())
                                           ? WalkResult::interrupt()
                                           : WalkResult::advance();
                              })
                              .wasInterrupted();
        if (hasVllmOps) {
          func.emitOpError("is a function on buffers (SPEC.md 3.9), which "
                           "manifest format_version ")
              << kManifestVersion
              << " does not describe; write the manifest before "
                 "bufferization";
          ok = false;
        }
        continue;
      }
      FailureOr<llvm::json::Object> entry = describeFunction(func);
      if (failed(entry))
        ok = false;
      else
        functions.push_back(std::move(*entry));
    }
    if (!ok)
      return signalPassFailure();

    llvm::json::Object manifest{{"format_version", kManifestVersion},
                                {"abi", describeAbi()},
                                {"functions", std::move(functions)}};
    std::string error;
    std::unique_ptr<llvm::ToolOutputFile> file = openOutputFile(output, &error);
    if (!file) {
      emitError(module.getLoc(), "vllm-export-manifest: cannot open '")
          << output << "': " << error;
      return signalPassFailure();
    }
    llvm::json::Value value(std::move(manifest));
    file->os() << llvm::formatv("{0:2}", value) << "\n";
    file->keep();
  }
};
} // namespace
