//===- HostLaunch.cpp - convert-vllm-to-gpu: host code and launches -------===//
//
// Part of the vllm-mlir project.
//
//===----------------------------------------------------------------------===//
//
// The pass: rewrites each tensor function into a destination-passing host
// function that takes the caller's stream first, maps every tensor value to
// a buffer (a function argument, a caller-provided result buffer, a view, or
// a stream-ordered temporary), and launches the kernels the generators in
// this directory build into one gpu.module.
//
// All asynchronous ops depend on the one token made from the stream
// argument: after gpu-to-llvm every one of them runs on that stream, in
// program order, and the host never synchronizes (CUDA-graph capturable).
// Temporaries are freed on the stream right after their last reader.
//
//===----------------------------------------------------------------------===//

#include "Codegen.h"

#include "vllm-mlir/Conversion/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/ControlFlow/IR/ControlFlowOps.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/SymbolTable.h"
#include "llvm/ADT/MapVector.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/TypeSwitch.h"

#include <functional>

namespace mlir {
namespace vllm {
#define GEN_PASS_DEF_CONVERTVLLMTOGPUPASS
#include "vllm-mlir/Conversion/Passes.h.inc"
} // namespace vllm
} // namespace mlir

using namespace mlir;
using namespace mlir::vllm;
using namespace mlir::vllm::codegen;

using Stage = RowKernelSpec::Stage;

static MemRefType toMemRef(Type type) {
  auto tensor = cast<RankedTensorType>(type);
  return MemRefType::get(tensor.getShape(), tensor.getElementType());
}

static bool isVllmOp(Operation *op) {
  return isa<VllmDialect>(op->getDialect());
}

static bool isViewOp(Operation *op) {
  return isa<tensor::CollapseShapeOp, tensor::ExpandShapeOp>(op);
}

/// Scalar arithmetic (index computations feeding tensor.expand_shape, for
/// example) is copied to the host function as it is.
static bool isScalarArithOp(Operation *op) {
  auto isScalar = [](Type t) { return t.isIntOrIndexOrFloat(); };
  return isa<arith::ArithDialect>(op->getDialect()) &&
         llvm::all_of(op->getOperandTypes(), isScalar) &&
         llvm::all_of(op->getResultTypes(), isScalar);
}

/// Functions the pass rewrites: those with tensors in their signature or vllm
/// ops in their body. Others (host code already on memrefs) are left alone.
static bool needsConversion(func::FuncOp func) {
  auto isTensor = [](Type t) { return isa<TensorType>(t); };
  if (llvm::any_of(func.getArgumentTypes(), isTensor) ||
      llvm::any_of(func.getResultTypes(), isTensor))
    return true;
  return func
      .walk([](Operation *op) {
        return isVllmOp(op) ? WalkResult::interrupt() : WalkResult::advance();
      })
      .wasInterrupted();
}

/// tensor.expand_shape's verifier accepts a static `output_shape` entry that
/// disagrees with its result type; memref.expand_shape's does not. The view
/// is lowered from both, so such an op is rejected here rather than turned
/// into IR that does not verify.
static LogicalResult checkExpandOutputShape(tensor::ExpandShapeOp expand) {
  ArrayRef<int64_t> resultShape = expand.getResultType().getShape();
  ArrayRef<int64_t> outputShape = expand.getStaticOutputShape();
  for (auto [index, sizes] :
       llvm::enumerate(llvm::zip_equal(resultShape, outputShape))) {
    auto [typeSize, givenSize] = sizes;
    if (ShapedType::isDynamic(typeSize) || ShapedType::isDynamic(givenSize) ||
        typeSize == givenSize)
      continue;
    return expand.emitOpError("has output_shape entry ")
           << index << " = " << givenSize << " but its result type has size "
           << typeSize << " there; the two must agree";
  }
  return success();
}

/// The tensor reshape verifiers check reassociations through affine maps,
/// which truncate each index to 32 bits: [[4294967296, 1], [2]] passes as
/// [[0, 1], [2]]. memref's verifiers check the indices themselves, so a view
/// whose indices are not exactly 0, 1, ..., rank - 1 of the expanded type in
/// order is rejected here rather than turned into IR that does not verify.
static LogicalResult checkReassociation(Operation *view,
                                        ArrayRef<ReassociationIndices> groups,
                                        int64_t expandedRank) {
  int64_t expected = 0;
  for (const ReassociationIndices &group : groups)
    for (int64_t index : group) {
      if (index != expected)
        return view->emitOpError("has reassociation index ")
               << index << " where " << expected
               << " is expected; the indices must list the expanded "
                  "dimensions 0.."
               << expandedRank - 1 << " in order";
      ++expected;
    }
  return success();
}

static LogicalResult checkView(Operation *view) {
  if (auto collapse = dyn_cast<tensor::CollapseShapeOp>(view)) {
    SmallVector<ReassociationIndices> groups =
        collapse.getReassociationIndices();
    return checkReassociation(view, groups, collapse.getSrcType().getRank());
  }
  auto expand = cast<tensor::ExpandShapeOp>(view);
  SmallVector<ReassociationIndices> groups = expand.getReassociationIndices();
  if (failed(
          checkReassociation(view, groups, expand.getResultType().getRank())))
    return failure();
  return checkExpandOutputShape(expand);
}

/// The buffer forms of the vllm ops (SPEC.md 3.9), made by one-shot
/// bufferization.
static bool isBufferForm(Operation *op) {
  return isa<BufferRMSNormOp, BufferFusedAddRMSNormOp, BufferQuantizeOp,
             BufferRMSNormQuantOp, BufferAllReduceOp, BufferSiluAndMulOp,
             BufferElementwiseQuantOp, BufferScaledMatmulOp>(op);
}

/// Everything the lowering cannot handle is diagnosed before any rewrite.
static LogicalResult checkConvertible(func::FuncOp func) {
  WalkResult bufferForm = func.walk([](Operation *op) {
    if (!isBufferForm(op))
      return WalkResult::advance();
    op->emitOpError("is the buffer form of a vllm op (SPEC.md 3.9) in a "
                    "function with tensors: convert-vllm-to-gpu compiles a "
                    "function either on tensors or on buffers");
    return WalkResult::interrupt();
  });
  if (bufferForm.wasInterrupted())
    return failure();
  if (func.isExternal())
    return func.emitOpError("declares a tensor function without a body; "
                            "convert-vllm-to-gpu needs the body to compile it");
  if (!func.getBody().hasOneBlock())
    return func.emitOpError("has control flow (several blocks); "
                            "convert-vllm-to-gpu compiles straight-line "
                            "functions of vllm ops");
  for (Type type :
       llvm::concat<const Type>(func.getArgumentTypes(), func.getResultTypes()))
    if (!isa<RankedTensorType>(type))
      return func.emitOpError("has a ")
             << type
             << " in its signature; compiled functions take and return "
                "ranked tensors only";
  for (Operation &op : func.getBody().front()) {
    if (isVllmOp(&op) || isViewOp(&op) || isScalarArithOp(&op) ||
        isa<tensor::DimOp, func::ReturnOp>(op)) {
      if (op.getNumRegions() != 0)
        return op.emitOpError("with regions is not supported");
      if (isViewOp(&op) && failed(checkView(&op)))
        return failure();
      continue;
    }
    return op.emitOpError("is not supported by convert-vllm-to-gpu: a "
                          "compiled function on tensors may contain vllm "
                          "ops, tensor.collapse_shape, tensor.expand_shape, "
                          "tensor.dim, scalar arith ops and func.return; "
                          "bufferize a function with other ops first "
                          "(element-wise ones then become kernels: "
                          "vllm-compile --bufferize, docs/design.md "
                          "Layering)");
  }
  return success();
}

/// Prefixes of the symbols that compiled code shares with the runtime and
/// the LLVM toolchain: the `mgpu*` runtime functions the launches call and
/// the `vllmrt*` ones of our runtime (looked up by name in the module, so a
/// user function of that name would be called instead), the
/// `_mlir_ciface_*` entry points generated for public functions, and LLVM's
/// intrinsic namespace.
static constexpr StringLiteral kReservedSymbolPrefixes[] = {"mgpu", "vllmrt",
                                                            "_mlir_", "llvm."};

/// Diagnoses every symbol of `module` whose name the lowered module needs
/// for itself.
static LogicalResult checkReservedSymbols(ModuleOp module) {
  bool ok = true;
  for (Operation &op : module.getBody()->getOperations()) {
    auto symbol = dyn_cast<SymbolOpInterface>(&op);
    if (!symbol)
      continue;
    StringRef name = symbol.getName();
    for (StringRef prefix : kReservedSymbolPrefixes) {
      if (!name.starts_with(prefix))
        continue;
      emitError(op.getLoc(), "symbol name '@")
          << name << "' is reserved: names starting with '" << prefix
          << "' belong to the runtime interface of compiled code; rename it";
      ok = false;
      break;
    }
  }
  return success(ok);
}

/// The runtime function that makes the tensor-core GEMM's TMA descriptors
/// (runtime/include/vllm-runtime/MgpuWrappers.h).
static constexpr StringLiteral kTensorMapFunction = "vllmrtTensorMapEncode2d";
/// The runtime function that gives the split-K GEMM its workspace
/// (kSplitKCounterRegionBytes): (bytes, stream) -> the buffer of the stream
/// (or of the CUDA graph being captured on it).
static constexpr StringLiteral kWorkspaceFunction = "vllmrtWorkspace";
/// The runtime functions of communicator groups (runtime/include/
/// vllm-runtime/Comm.h): stage this rank's input and get the group's
/// descriptor, (group, source, bytes, stream) -> descriptor or null; the
/// CTAs a group's kernel may launch, (group) -> count (0 on error);
/// ncclAllReduce, (group, input, output, count, element type, stream) ->
/// status.
static constexpr StringLiteral kCommStageFunction = "vllmrtCommStage";
static constexpr StringLiteral kCommCtaLimitFunction = "vllmrtCommCtaLimit";
static constexpr StringLiteral kCommAllReduceNcclFunction =
    "vllmrtCommAllReduceNccl";

/// Declares, right after the kernel module at the start of `module`, the
/// runtime functions that gpu-to-llvm will call for the stream-ordered
/// allocations, copies and fills of the host functions, with the types
/// gpu-to-llvm gives them. gpu-to-llvm looks each one up by name for every
/// op it lowers, scanning the module from its start, and declares it at the
/// end when absent: with the declarations at the end, each lookup passed
/// every function, quadratic in the number of functions
/// (docs/compile-time.md).
static void declareRuntimeFunctions(ModuleOp module, Operation *after) {
  MLIRContext *ctx = module.getContext();
  Type ptr = LLVM::LLVMPointerType::get(ctx);
  Type i64 = IntegerType::get(ctx, 64);
  Type voidType = LLVM::LLVMVoidType::get(ctx);
  llvm::MapVector<StringRef, LLVM::LLVMFunctionType> needed;
  module.walk([&](Operation *op) {
    if (isa<gpu::AllocOp>(op)) {
      Type i8 = IntegerType::get(ctx, 8);
      needed.insert(
          {"mgpuMemAlloc", LLVM::LLVMFunctionType::get(ptr, {i64, ptr, i8})});
    } else if (isa<gpu::DeallocOp>(op)) {
      needed.insert(
          {"mgpuMemFree", LLVM::LLVMFunctionType::get(voidType, {ptr, ptr})});
    } else if (isa<gpu::MemcpyOp>(op)) {
      needed.insert({"mgpuMemcpy", LLVM::LLVMFunctionType::get(
                                       voidType, {ptr, ptr, i64, ptr})});
    } else if (auto memset = dyn_cast<gpu::MemsetOp>(op)) {
      unsigned width = memset.getValue().getType().getIntOrFloatBitWidth();
      if (width == 16 || width == 32) {
        Type valueType = IntegerType::get(ctx, width);
        StringRef name = width == 16 ? "mgpuMemset16" : "mgpuMemset32";
        needed.insert({name, LLVM::LLVMFunctionType::get(
                                 voidType, {ptr, valueType, i64, ptr})});
      }
    }
  });
  OpBuilder builder(ctx);
  builder.setInsertionPointAfter(after);
  for (auto [name, type] : needed)
    if (!module.lookupSymbol(name))
      LLVM::LLVMFuncOp::create(builder, module.getLoc(), name, type);
  // The tensor maps and the split-K workspaces are got by calls in the
  // host functions themselves.
  bool callsTensorMaps = false, callsWorkspace = false, callsComm = false,
       callsNccl = false;
  module.walk([&](func::CallOp call) {
    callsTensorMaps |= call.getCallee() == kTensorMapFunction;
    callsWorkspace |= call.getCallee() == kWorkspaceFunction;
    callsComm |= call.getCallee() == kCommStageFunction;
    callsNccl |= call.getCallee() == kCommAllReduceNcclFunction;
  });
  auto declare = [&](StringRef name, FunctionType type) {
    if (module.lookupSymbol(name))
      return;
    auto decl = func::FuncOp::create(builder, module.getLoc(), name, type);
    decl.setPrivate();
  };
  if (callsTensorMaps) {
    SmallVector<Type> inputs(8, i64);
    inputs.front() = ptr;
    declare(kTensorMapFunction, FunctionType::get(ctx, inputs, {ptr}));
  }
  if (callsWorkspace)
    declare(kWorkspaceFunction, FunctionType::get(ctx, {i64, ptr}, {ptr}));
  Type i32 = IntegerType::get(ctx, 32);
  if (callsComm) {
    declare(kCommStageFunction,
            FunctionType::get(ctx, {i32, ptr, i64, ptr}, {ptr}));
    declare(kCommCtaLimitFunction, FunctionType::get(ctx, {i32}, {i64}));
  }
  if (callsNccl)
    declare(kCommAllReduceNcclFunction,
            FunctionType::get(ctx, {i32, ptr, ptr, i64, i32, ptr}, {i32}));
}

namespace {

/// The gpu.module the kernels go to, with kernels deduplicated by name.
class KernelModule {
public:
  KernelModule(gpu::GPUModuleOp module) : module(module) {}

  gpu::GPUFuncOp getOrCreate(StringRef name,
                             function_ref<gpu::GPUFuncOp(OpBuilder &)> build) {
    auto it = kernels.find(name);
    if (it != kernels.end())
      return it->second;
    OpBuilder builder(module.getBodyRegion());
    builder.setInsertionPointToEnd(&module.getBodyRegion().front());
    gpu::GPUFuncOp func = build(builder);
    kernels[name] = func;
    return func;
  }

  gpu::GPUModuleOp getOp() { return module; }

private:
  gpu::GPUModuleOp module;
  llvm::StringMap<gpu::GPUFuncOp> kernels;
};

/// Rewrites one function.
class FunctionLowering {
public:
  FunctionLowering(func::FuncOp func, KernelModule &kernels,
                   const TargetChipInfo &chip, int64_t rowPrefetch,
                   int64_t weightStagingRows, int64_t siluTableRows,
                   int64_t rowThreadFolding, bool simtMatmul,
                   int64_t matmulSplitK, unsigned ptxLimit, bool ncclAllReduce)
      : oldFunc(func), kernels(kernels), chip(chip), rowPrefetch(rowPrefetch),
        weightStagingRows(weightStagingRows), siluTableRows(siluTableRows),
        rowThreadFolding(rowThreadFolding), simtMatmul(simtMatmul),
        matmulSplitK(matmulSplitK), ptxLimit(ptxLimit),
        ncclAllReduce(ncclAllReduce), b(func.getLoc(), func.getContext()) {}

  LogicalResult run();

private:
  // Buffers.
  Value lookup(Value value) { return mapping.lookup(value); }
  Value allocate(MemRefType type, ValueRange dynamicSizes);
  /// Allocates a temporary of `type` whose dimensions are `shape` (all of
  /// them; the dynamic ones are passed to gpu.alloc).
  Value allocateShaped(MemRefType type, ArrayRef<Value> shape);
  /// The buffer a result is written to: its destination (a result argument)
  /// when the function returns it, else a temporary of `shape`. Null when
  /// nothing reads the result and `required` is false (the kernel then
  /// skips it).
  Value resultBuffer(Value result, ArrayRef<Value> shape, bool required);
  /// Every dimension of `memref` (constants for the static ones).
  SmallVector<Value> shapeOf(Value memref);
  SmallVector<Value> scaleShape(RankedTensorType type, Value rows);
  void freeDeadTemporaries(int64_t position);

  // Launches.
  /// The row count (folded to a constant for static shapes, which lets
  /// launchRowKernel pick a kernel variant at compile time).
  Value rowsOf(Value memref2d) {
    return b.createOrFold<memref::DimOp>(memref2d, 0);
  }
  Value collapseTo2d(Value memref);
  Value paddedRows(Value rows, int64_t align);
  /// Emits `if (cond) thenBody() else elseBody()` (no else when elseBody is
  /// null) as branches to new blocks and continues in a join block.
  void emitBranch(Value cond, function_ref<void()> thenBody,
                  function_ref<void()> elseBody = nullptr);
  /// Fails with a diagnostic on `op` when a grid dimension known at compile
  /// time exceeds CUDA's limits. (With a dynamic M, a launch beyond them
  /// fails at run time: docs/gpu-testing.md.)
  LogicalResult checkGridLimits(Operation *op, Value gridX, Value gridY);
  void launch(gpu::GPUFuncOp kernel, Value gridX, Value gridY, int64_t threads,
              ValueRange operands, int64_t sharedMemoryBytes = 0);
  /// A device pointer to the TMA descriptor of `matrix` (an fp8 [rows, K]
  /// memref with the identity layout), box 128 x `boxRows`, 128-byte
  /// swizzle; null (with the runtime's error recorded) when it cannot be
  /// made.
  Value createTensorMap(Value matrix, int64_t boxRows);
  LogicalResult launchRowKernel(Operation *op, const RowKernelSpec &spec,
                                Value gridRows,
                                ArrayRef<std::pair<RowOperand, Value>> args);
  /// A raw pointer (!llvm.ptr) to the first element of `memref`.
  Value rawPointer(Value memref);
  /// What a kernel of a communicator group is launched with.
  struct GroupStaging {
    /// The group's descriptor (i64 device address), 0 when the runtime
    /// failed (its error recorded).
    Value descriptor;
    /// The grid capped to the CTAs the group allows.
    Value grid;
    /// Whether the descriptor is valid: the kernel may be launched.
    Value staged;
  };
  /// Stages `input` (a contiguous [M, H] buffer) for a kernel of `group`
  /// and caps `grid` (AllReduce.cpp).
  GroupStaging stageForGroup(uint32_t group, Value input, Value grid);

  // Ops.
  LogicalResult lowerRMSNorm(RMSNormOp op);
  LogicalResult lowerFusedAddRMSNorm(FusedAddRMSNormOp op);
  LogicalResult lowerQuantize(QuantizeOp op);
  LogicalResult lowerRMSNormQuant(RMSNormQuantOp op);
  LogicalResult lowerAllReduce(AllReduceOp op);
  LogicalResult lowerSiluAndMul(SiluAndMulOp op);
  LogicalResult lowerElementwiseQuant(ElementwiseQuantOp op);
  LogicalResult lowerScaledMatmul(ScaledMatmulOp op);
  void lowerTensorCoreMatmul(ScaledMatmulOp op, const MatmulSpec &spec);
  LogicalResult lowerView(Operation *op);
  LogicalResult lowerScalar(Operation *op);
  /// The quantization shared by quantize and rms_norm_quant (the norm part
  /// of `spec` is filled in by the caller).
  LogicalResult lowerQuantization(Operation *op, RowKernelSpec spec,
                                  ArrayRef<std::pair<RowOperand, Value>> inputs,
                                  Value scaleOperand, Value qResult,
                                  Value scalesResult, Value rows);

  func::FuncOp oldFunc;
  func::FuncOp newFunc;
  KernelModule &kernels;
  const TargetChipInfo &chip;
  /// The row-prefetch option (-1: automatic).
  int64_t rowPrefetch;
  /// The weight-staging-rows option (-1: automatic, 0: never).
  int64_t weightStagingRows;
  int64_t siluTableRows;
  /// The row-thread-folding option (-1: automatic).
  int64_t rowThreadFolding;
  /// The matmul-kernel=simt option: the SIMT GEMM even where the chip has
  /// a tensor-core kernel.
  bool simtMatmul;
  /// The matmul-split-k option: the most K splits of the GEMM at small M
  /// (-1 automatic, 1 none).
  int64_t matmulSplitK;
  /// The highest PTX ISA version (times 10) the kernel module may get.
  unsigned ptxLimit;
  /// The all-reduce=nccl option: the unfused all_reduce calls ncclAllReduce
  /// instead of launching the rank-ordered peer kernel.
  bool ncclAllReduce;
  ImplicitLocOpBuilder b;
  Value token;

  /// Tensor values -> buffers, scalars -> their copies.
  IRMapping mapping;
  /// Result tensors written straight into a result argument.
  DenseMap<Value, Value> destinations;
  /// Returned tensors that no op writes (arguments, typically a static scale
  /// that canonicalization forwarded from a quantization's scales result) ->
  /// the first return position that returns them. A static quantization
  /// kernel that reads one copies it into that result (no copy on the
  /// stream, which costs a graph node per call) and claims the position.
  DenseMap<Value, unsigned> returnedUnwritten;
  /// Return positions a kernel already wrote.
  llvm::SmallDenseSet<unsigned> writtenResults;
  /// The result argument of return position `i`.
  Value resultArg(unsigned i) {
    return newFunc.getArgument(1 + oldFunc.getNumArguments() + i);
  }
  /// The tensor a view ultimately reads.
  DenseMap<Value, Value> aliasRoot;
  /// Position (op index) of the last read of each root tensor.
  DenseMap<Value, int64_t> lastUse;
  /// Live temporaries: root tensor value -> allocation.
  llvm::MapVector<Value, Value> temporaries;
};

} // namespace

//===----------------------------------------------------------------------===//
// Buffers
//===----------------------------------------------------------------------===//

Value FunctionLowering::allocate(MemRefType type, ValueRange dynamicSizes) {
  auto alloc = gpu::AllocOp::create(
      b, type, gpu::AsyncTokenType::get(b.getContext()), ValueRange{token},
      dynamicSizes, ValueRange{}, /*hostShared=*/false);
  return alloc.getMemref();
}

Value FunctionLowering::allocateShaped(MemRefType type, ArrayRef<Value> shape) {
  SmallVector<Value> dynamicSizes;
  for (int64_t i = 0; i < type.getRank(); ++i)
    if (type.isDynamicDim(i))
      dynamicSizes.push_back(shape[i]);
  return allocate(type, dynamicSizes);
}

Value FunctionLowering::resultBuffer(Value result, ArrayRef<Value> shape,
                                     bool required) {
  Value buffer = destinations.lookup(result);
  if (!buffer) {
    if (result.use_empty() && !required)
      return Value();
    buffer = allocateShaped(toMemRef(result.getType()), shape);
    temporaries.insert({result, buffer});
  }
  mapping.map(result, buffer);
  return buffer;
}

SmallVector<Value> FunctionLowering::shapeOf(Value memref) {
  SmallVector<Value> shape;
  auto type = cast<MemRefType>(memref.getType());
  for (int64_t i = 0; i < type.getRank(); ++i)
    shape.push_back(type.isDynamicDim(i)
                        ? memref::DimOp::create(b, memref, i).getResult()
                        : constIndex(b, type.getDimSize(i)));
  return shape;
}

Value FunctionLowering::paddedRows(Value rows, int64_t align) {
  if (align == 1)
    return rows;
  Value alignValue = constIndex(b, align);
  Value bumped = b.createOrFold<arith::AddIOp>(rows, constIndex(b, align - 1));
  return b.createOrFold<arith::MulIOp>(
      b.createOrFold<arith::DivUIOp>(bumped, alignValue), alignValue);
}

/// The shape of a scale tensor of `type` for `rows` rows: only the row
/// dimension can be dynamic; MN-major layouts pad it.
SmallVector<Value> FunctionLowering::scaleShape(RankedTensorType type,
                                                Value rows) {
  ScaleFormatAttr format = getScaleFormat(type);
  Value size = rows;
  if (format && format.isGroup() && format.getLayout() == ScaleLayout::MNMajor)
    size = paddedRows(rows, format.getAlign());
  SmallVector<Value> shape;
  for (int64_t i = 0; i < type.getRank(); ++i)
    shape.push_back(type.isDynamicDim(i) ? size
                                         : constIndex(b, type.getDimSize(i)));
  return shape;
}

void FunctionLowering::freeDeadTemporaries(int64_t position) {
  SmallVector<Value> dead;
  for (auto [root, buffer] : temporaries) {
    auto it = lastUse.find(root);
    if (it == lastUse.end() || it->second <= position)
      dead.push_back(root);
  }
  for (Value root : dead) {
    gpu::DeallocOp::create(b, gpu::AsyncTokenType::get(b.getContext()),
                           ValueRange{token}, temporaries.lookup(root));
    temporaries.erase(root);
  }
}

Value FunctionLowering::collapseTo2d(Value memref) {
  auto type = cast<MemRefType>(memref.getType());
  if (type.getRank() == 2)
    return memref;
  SmallVector<ReassociationIndices> reassociation(2);
  for (int64_t i = 0; i + 1 < type.getRank(); ++i)
    reassociation[0].push_back(i);
  reassociation[1].push_back(type.getRank() - 1);
  // The rows are dynamic when any leading dimension is, even when another
  // is 0 (the inferred type would then be a static 0, which the collapse's
  // verifier rejects); otherwise their product, which C11 keeps in int64.
  int64_t rows = 1;
  for (int64_t i = 0; i + 1 < type.getRank(); ++i) {
    if (type.isDynamicDim(i)) {
      rows = ShapedType::kDynamic;
      break;
    }
    rows *= type.getDimSize(i);
  }
  auto collapsed =
      MemRefType::get({rows, type.getShape().back()}, type.getElementType());
  return memref::CollapseShapeOp::create(b, collapsed, memref, reassociation);
}

//===----------------------------------------------------------------------===//
// Launches
//===----------------------------------------------------------------------===//

// The host function is built front to back and its insertion point is always
// the end of its last block, so a branch only appends blocks: nothing is
// split or moved. (An scf.if per launch, lowered by scf-to-cf, splits the
// block after every one and moves the rest of the function each time, which
// made the compile time quadratic in the number of launches:
// docs/compile-time.md.)
void FunctionLowering::emitBranch(Value cond, function_ref<void()> thenBody,
                                  function_ref<void()> elseBody) {
  Region *region = b.getInsertionBlock()->getParent();
  auto *thenBlock = new Block();
  auto *elseBlock = elseBody ? new Block() : nullptr;
  auto *joinBlock = new Block();
  Block *falseDest = elseBlock ? elseBlock : joinBlock;
  cf::CondBranchOp::create(b, cond, thenBlock, ValueRange{}, falseDest,
                           ValueRange{});
  region->push_back(thenBlock);
  b.setInsertionPointToEnd(thenBlock);
  thenBody();
  cf::BranchOp::create(b, joinBlock);
  if (elseBlock) {
    region->push_back(elseBlock);
    b.setInsertionPointToEnd(elseBlock);
    elseBody();
    cf::BranchOp::create(b, joinBlock);
  }
  region->push_back(joinBlock);
  b.setInsertionPointToEnd(joinBlock);
}

/// CUDA's limits on the grid: gridDim.x < 2^31, gridDim.y < 2^16.
constexpr int64_t kMaxGridX = (int64_t{1} << 31) - 1;
constexpr int64_t kMaxGridY = (int64_t{1} << 16) - 1;

LogicalResult FunctionLowering::checkGridLimits(Operation *op, Value gridX,
                                                Value gridY) {
  auto check = [&](Value grid, int64_t limit, StringRef axis) -> LogicalResult {
    std::optional<int64_t> ctas =
        grid ? getConstantIntValue(grid) : std::nullopt;
    if (!ctas || *ctas <= limit)
      return success();
    return op->emitOpError("cannot be lowered: its kernel needs a grid of ")
           << *ctas << " CTAs along " << axis << ", more than CUDA's limit of "
           << limit;
  };
  if (failed(check(gridX, kMaxGridX, "x")) ||
      failed(check(gridY, kMaxGridY, "y")))
    return failure();
  return success();
}

void FunctionLowering::launch(gpu::GPUFuncOp kernel, Value gridX, Value gridY,
                              int64_t threads, ValueRange operands,
                              int64_t sharedMemoryBytes) {
  // CUDA rejects empty grids: skip the launch when there is no work (M = 0).
  Value count = gridY ? arith::MulIOp::create(b, gridX, gridY) : gridX;
  Value nonEmpty = arith::CmpIOp::create(b, arith::CmpIPredicate::ugt, count,
                                         constIndex(b, 0));
  // Kernels take dynamic row counts; static shapes are cast to them.
  SmallVector<Value> args;
  for (auto [operand, type] :
       llvm::zip_equal(operands, kernel.getArgumentTypes())) {
    if (operand.getType() == type)
      args.push_back(operand);
    else
      args.push_back(memref::CastOp::create(b, type, operand));
  }
  auto emitLaunch = [&] {
    Value one = constIndex(b, 1);
    Value blockSize = constIndex(b, threads);
    Value sharedMemory =
        sharedMemoryBytes ? constI32(b, static_cast<int32_t>(sharedMemoryBytes))
                          : Value();
    gpu::LaunchFuncOp::create(
        b, kernel, gpu::KernelDim3{gridX, gridY ? gridY : one, one},
        gpu::KernelDim3{blockSize, one, one}, sharedMemory, args,
        gpu::AsyncTokenType::get(b.getContext()), ValueRange{token});
  };
  emitBranch(nonEmpty, emitLaunch);
}

LogicalResult
FunctionLowering::launchRowKernel(Operation *op, const RowKernelSpec &spec,
                                  Value gridRows,
                                  ArrayRef<std::pair<RowOperand, Value>> args) {
  FailureOr<RowConfig> requested =
      chooseRowConfig(spec, rowPrefetch, rowThreadFolding);
  if (failed(requested))
    op->emitWarning("row-prefetch=")
        << rowPrefetch << " does not fit the registers of the "
        << getRowKernelName(spec) << " kernel; it gets the automatic choice";
  RowConfig cfg = succeeded(requested) ? *requested
                                       : *chooseRowConfig(spec, /*prefetch=*/-1,
                                                          rowThreadFolding);
  auto getKernel = [&](const RowConfig &config) {
    return kernels.getOrCreate(
        getRowKernelName(spec, config), [&](OpBuilder &builder) {
          return buildRowKernel(builder, op->getLoc(), spec, config, chip);
        });
  };
  SmallVector<Value> operands;
  for (RowOperand role : getRowKernelOperands(spec)) {
    if (role == RowOperand::Comm)
      continue; // Made below.
    auto it = llvm::find_if(args, [&](auto &arg) { return arg.first == role; });
    assert(it != args.end() && it->second && "missing row kernel operand");
    operands.push_back(it->second);
  }
  // Persistent kernels: one wave of CTAs, each looping over rows (Norm.cpp).
  Value grid = gridRows;
  int64_t maxGrid = cfg.ctasPerSM * chip.numSMs;
  if (cfg.isPersistent())
    grid = arith::MinUIOp::create(b, gridRows, constIndex(b, maxGrid));
  else if (!spec.allReduce && failed(checkGridLimits(op, grid, Value())))
    return failure();
  // The all-reduce form: x staged for the peers, the group's descriptor
  // first, and no more CTAs than the group allows (its kernels loop over
  // rows whatever the configuration).
  Value staged;
  if (spec.allReduce) {
    GroupStaging staging = stageForGroup(spec.group, operands[0], grid);
    operands.insert(operands.begin(), staging.descriptor);
    grid = staging.grid;
    staged = staging.staged;
  }

  auto launchVariant = [&](const RowConfig &config) {
    auto emitLaunch = [&] {
      launch(getKernel(config), grid, Value(), config.threads, operands);
    };
    if (staged)
      emitBranch(staged, emitLaunch);
    else
      emitLaunch();
  };

  // Variants that pay a per-CTA setup in shared memory and gain on every
  // later row: norm kernels with w staged as f32, bf16 silu_and_mul kernels
  // with the silu table. Each is launched where each CTA gets enough rows to
  // pay for it: the busiest CTA has ceil(rows / maxGrid), so N rows or more
  // means rows > (N - 1) x maxGrid. A static M decides here, and only the
  // kernel launched is generated.
  RowConfig setUp = cfg;
  setUp.stagedWeights = true;
  int64_t setUpRows = 0;
  if (canStageWeights(spec, setUp)) {
    setUpRows =
        weightStagingRows < 0 ? kStagedWeightMinRowsPerCTA : weightStagingRows;
  } else {
    setUp = cfg;
    setUp.siluTable = true;
    if (canUseSiluTable(spec, setUp))
      setUpRows = siluTableRows < 0 ? kSiluTableMinRowsPerCTA : siluTableRows;
  }
  bool hasSetUp = setUpRows > 0;
  int64_t threshold = (setUpRows - 1) * maxGrid;
  std::optional<int64_t> knownRows = getConstantIntValue(gridRows);
  if (!hasSetUp || setUpRows == 1 || knownRows) {
    bool useSetUp = hasSetUp && (setUpRows == 1 || *knownRows > threshold);
    launchVariant(useSetUp ? setUp : cfg);
    return success();
  }
  Value thresholdValue = constIndex(b, threshold);
  Value manyRows = arith::CmpIOp::create(b, arith::CmpIPredicate::ugt, gridRows,
                                         thresholdValue);
  emitBranch(
      manyRows, [&] { launchVariant(setUp); }, [&] { launchVariant(cfg); });
  return success();
}

Value FunctionLowering::rawPointer(Value memref) {
  Value address = memref::ExtractAlignedPointerAsIndexOp::create(b, memref);
  Value address64 = arith::IndexCastUIOp::create(b, b.getI64Type(), address);
  Type ptr = LLVM::LLVMPointerType::get(b.getContext());
  return LLVM::IntToPtrOp::create(b, ptr, address64);
}

FunctionLowering::GroupStaging
FunctionLowering::stageForGroup(uint32_t group, Value input, Value grid) {
  Type ptr = LLVM::LLVMPointerType::get(b.getContext());
  Value groupValue = constI32(b, static_cast<int32_t>(group));
  Value source = rawPointer(input);
  auto type = cast<MemRefType>(input.getType());
  Value rows = rowsOf(input);
  int64_t rowBytes = type.getDimSize(1) * (type.getElementTypeBitWidth() / 8);
  Value rowBytesValue = constIndex(b, rowBytes);
  Value bytes = b.createOrFold<arith::MulIOp>(rows, rowBytesValue);
  Value bytes64 = arith::IndexCastUIOp::create(b, b.getI64Type(), bytes);
  Value stream = newFunc.getArgument(0);
  Value descriptor =
      func::CallOp::create(b, kCommStageFunction, TypeRange{ptr},
                           ValueRange{groupValue, source, bytes64, stream})
          .getResult(0);
  Value descriptor64 = LLVM::PtrToIntOp::create(b, b.getI64Type(), descriptor);
  Value limit64 =
      func::CallOp::create(b, kCommCtaLimitFunction, TypeRange{b.getI64Type()},
                           ValueRange{groupValue})
          .getResult(0);
  Value limit = arith::IndexCastUIOp::create(b, b.getIndexType(), limit64);
  Value capped = arith::MinUIOp::create(b, grid, limit);
  Value zero64 = arith::ConstantIntOp::create(b, 0, 64);
  Value staged =
      arith::CmpIOp::create(b, arith::CmpIPredicate::ne, descriptor64, zero64);
  return {descriptor64, capped, staged};
}

//===----------------------------------------------------------------------===//
// Ops
//===----------------------------------------------------------------------===//

static RowKernelSpec normSpec(Value input, FloatAttr epsilon,
                              bool roundBeforeWeight, bool residual) {
  auto type = cast<RankedTensorType>(input.getType());
  RowKernelSpec spec;
  spec.elemType = type.getElementType();
  spec.hidden = type.getShape().back();
  spec.norm = true;
  spec.residual = residual;
  spec.epsilon = static_cast<float>(epsilon.getValueAsDouble());
  spec.roundBeforeWeight = roundBeforeWeight;
  return spec;
}

LogicalResult FunctionLowering::lowerRMSNorm(RMSNormOp op) {
  Value x = lookup(op.getInput());
  Value y = resultBuffer(op.getResult(), shapeOf(x), true);
  RowKernelSpec spec = normSpec(op.getInput(), op.getEpsilonAttr(),
                                op.getRoundBeforeWeight(), false);
  spec.storeNormalized = true;
  Value x2d = collapseTo2d(x);
  Value rows = rowsOf(x2d);
  Value y2d = collapseTo2d(y);
  return launchRowKernel(op, spec, rows,
                         {{RowOperand::Input, x2d},
                          {RowOperand::Weight, lookup(op.getWeight())},
                          {RowOperand::Normalized, y2d}});
}

LogicalResult FunctionLowering::lowerFusedAddRMSNorm(FusedAddRMSNormOp op) {
  Value x = lookup(op.getInput());
  SmallVector<Value> sizes = shapeOf(x);
  Value y = resultBuffer(op.getResult(), sizes, false);
  Value residualOut = resultBuffer(op.getResidualOut(), sizes, false);
  RowKernelSpec spec = normSpec(op.getInput(), op.getEpsilonAttr(),
                                op.getRoundBeforeWeight(), true);
  spec.storeNormalized = static_cast<bool>(y);
  spec.storeResidualOut = static_cast<bool>(residualOut);
  Value x2d = collapseTo2d(x);
  Value rows = rowsOf(x2d);
  Value residual2d = collapseTo2d(lookup(op.getResidual()));
  Value residualOut2d = residualOut ? collapseTo2d(residualOut) : Value();
  Value y2d = y ? collapseTo2d(y) : Value();
  return launchRowKernel(op, spec, rows,
                         {{RowOperand::Input, x2d},
                          {RowOperand::Residual, residual2d},
                          {RowOperand::Weight, lookup(op.getWeight())},
                          {RowOperand::ResidualOut, residualOut2d},
                          {RowOperand::Normalized, y2d}});
}

LogicalResult FunctionLowering::lowerQuantization(
    Operation *op, RowKernelSpec spec,
    ArrayRef<std::pair<RowOperand, Value>> inputs, Value scaleOperand,
    Value qResult, Value scalesResult, Value rows) {
  QuantSchemeAttr scheme = spec.scheme;
  Value input = inputs.front().second;
  // q has y's shape: [M, H] (the input of a prologue is wider).
  SmallVector<Value> qShape = shapeOf(input);
  if (spec.prologue)
    qShape.back() = constIndex(b, spec.hidden);
  Value q = resultBuffer(qResult, qShape, true);
  SmallVector<std::pair<RowOperand, Value>> args(inputs);
  args.push_back({RowOperand::Output, q});

  if (scheme.isStatic()) {
    // The scales result is the scale operand itself (SPEC 3.3). A returned
    // one (the result, or the operand where canonicalization forwarded it)
    // is copied by CTA 0 of the kernel into its result buffer, so the grid
    // has a CTA even when M = 0; otherwise the kernel gets the operand as
    // its scales and copies nothing.
    Value staticScale = lookup(scaleOperand);
    Value scalesOut = destinations.lookup(scalesResult);
    if (!scalesOut) {
      auto returned = returnedUnwritten.find(scaleOperand);
      if (returned != returnedUnwritten.end()) {
        scalesOut = resultArg(returned->second);
        writtenResults.insert(returned->second);
        returnedUnwritten.erase(returned);
      }
    }
    Value gridRows = rows;
    if (scalesOut)
      gridRows = b.createOrFold<arith::MaxUIOp>(rows, constIndex(b, 1));
    else
      scalesOut = staticScale;
    mapping.map(scalesResult, scalesOut);
    spec.stage = Stage::Quantize;
    args.push_back({RowOperand::StaticScale, staticScale});
    args.push_back({RowOperand::Scales, scalesOut});
    return launchRowKernel(op, spec, gridRows, args);
  }

  Value scales = resultBuffer(
      scalesResult,
      scaleShape(cast<RankedTensorType>(scalesResult.getType()), rows), true);
  args.push_back({RowOperand::Scales, scales});
  if (scheme.getKind() != QuantKind::DynamicPerTensor) {
    spec.stage = Stage::Quantize;
    Value gridRows = rows;
    if (rowKernelCoversPaddingRows(spec))
      gridRows = paddedRows(rows, scheme.getAlign());
    return launchRowKernel(op, spec, gridRows, args);
  }

  // Dynamic per-tensor: the grid-wide amax first (atomic max of f32 bits
  // into a zeroed word), then the quantization with the final scale.
  Value amax = allocate(MemRefType::get({1}, b.getI32Type()), {});
  gpu::MemsetOp::create(b, gpu::AsyncTokenType::get(b.getContext()),
                        ValueRange{token}, amax, constI32(b, 0));
  args.push_back({RowOperand::Amax, amax});
  RowKernelSpec amaxSpec = spec;
  amaxSpec.stage = Stage::AmaxOnly;
  if (failed(launchRowKernel(op, amaxSpec, rows, args)))
    return failure();

  // The second kernel quantizes y as stored: the normalized tensor (or
  // product) of the first kernel for rms_norm_quant (elementwise_quant),
  // the input for quantize.
  RowKernelSpec applySpec;
  applySpec.elemType = spec.elemType;
  applySpec.hidden = spec.hidden;
  applySpec.stage = Stage::ApplyTensorScale;
  applySpec.scheme = scheme;
  Value y = spec.computesY()
                ? llvm::find_if(args,
                                [](auto &arg) {
                                  return arg.first == RowOperand::Normalized;
                                })
                      ->second
                : llvm::find_if(args, [](auto &arg) {
                    return arg.first == RowOperand::Input;
                  })->second;
  // CTA 0 writes the scale even when M = 0.
  Value gridRows = b.createOrFold<arith::MaxUIOp>(rows, constIndex(b, 1));
  LogicalResult result = launchRowKernel(op, applySpec, gridRows,
                                         {{RowOperand::Input, y},
                                          {RowOperand::Amax, amax},
                                          {RowOperand::Output, q},
                                          {RowOperand::Scales, scales}});
  gpu::DeallocOp::create(b, gpu::AsyncTokenType::get(b.getContext()),
                         ValueRange{token}, amax);
  return result;
}

LogicalResult FunctionLowering::lowerQuantize(QuantizeOp op) {
  auto type = cast<RankedTensorType>(op.getInput().getType());
  RowKernelSpec spec;
  spec.elemType = type.getElementType();
  spec.hidden = type.getDimSize(1);
  spec.scheme = op.getScheme();
  Value y = lookup(op.getInput());
  return lowerQuantization(op, spec, {{RowOperand::Input, y}}, op.getScale(),
                           op.getOutput(), op.getScales(), rowsOf(y));
}

LogicalResult FunctionLowering::lowerRMSNormQuant(RMSNormQuantOp op) {
  Value x = lookup(op.getInput());
  Value rows = rowsOf(x);
  SmallVector<Value> sizes = shapeOf(x);
  RowKernelSpec spec =
      normSpec(op.getInput(), op.getEpsilonAttr(), op.getRoundBeforeWeight(),
               static_cast<bool>(op.getResidual()));
  spec.scheme = op.getScheme();
  if (std::optional<uint32_t> group = op.getAllReduceGroup()) {
    spec.allReduce = true;
    spec.group = *group;
  }
  Value residualOut = op.getResidualOut()
                          ? resultBuffer(op.getResidualOut(), sizes, false)
                          : Value();
  // Dynamic per-tensor needs y in memory for its second kernel.
  bool needY = spec.scheme.getKind() == QuantKind::DynamicPerTensor;
  Value normalized;
  if (op.getNormalized())
    normalized = resultBuffer(op.getNormalized(), sizes, needY);
  if (!normalized && needY) {
    normalized = allocateShaped(toMemRef(op.getInput().getType()), sizes);
  }
  spec.storeResidualOut = static_cast<bool>(residualOut);
  spec.storeNormalized = static_cast<bool>(normalized);
  SmallVector<std::pair<RowOperand, Value>> inputs = {
      {RowOperand::Input, x},
      {RowOperand::Weight, lookup(op.getWeight())},
      {RowOperand::Residual,
       op.getResidual() ? lookup(op.getResidual()) : Value()},
      {RowOperand::ResidualOut, residualOut},
      {RowOperand::Normalized, normalized}};
  LogicalResult result = lowerQuantization(
      op, spec, inputs, op.getScale(), op.getOutput(), op.getScales(), rows);
  if (needY && !op.getNormalized())
    gpu::DeallocOp::create(b, gpu::AsyncTokenType::get(b.getContext()),
                           ValueRange{token}, normalized);
  return result;
}

LogicalResult FunctionLowering::lowerAllReduce(AllReduceOp op) {
  Value x = lookup(op.getInput());
  auto type = cast<RankedTensorType>(op.getInput().getType());
  Type elemType = type.getElementType();
  int64_t hidden = type.getDimSize(1);
  Value y = resultBuffer(op.getResult(), shapeOf(x), true);
  Value rows = rowsOf(x);
  Value groupValue = constI32(b, static_cast<int32_t>(op.getGroup()));
  if (ncclAllReduce) {
    // ncclAllReduce on the stream (the runtime refuses more than 2 ranks,
    // where its order of additions is not SPEC.md 3.10's).
    Value hiddenValue = constIndex(b, hidden);
    Value count = b.createOrFold<arith::MulIOp>(rows, hiddenValue);
    Value count64 = arith::IndexCastUIOp::create(b, b.getI64Type(), count);
    // The runtime's element type codes: 0 f32, 1 f16, 2 bf16.
    int32_t code = elemType.isF32() ? 0 : (elemType.isF16() ? 1 : 2);
    Value codeValue = constI32(b, code);
    Value input = rawPointer(x);
    Value output = rawPointer(y);
    Value stream = newFunc.getArgument(0);
    Value noRows = constIndex(b, 0);
    Value hasRows =
        arith::CmpIOp::create(b, arith::CmpIPredicate::ugt, rows, noRows);
    emitBranch(hasRows, [&] {
      func::CallOp::create(
          b, kCommAllReduceNcclFunction, TypeRange{b.getI32Type()},
          ValueRange{groupValue, input, output, count64, codeValue, stream});
    });
    return success();
  }
  gpu::GPUFuncOp kernel = kernels.getOrCreate(
      getAllReduceKernelName(elemType, hidden), [&](OpBuilder &builder) {
        return buildAllReduceKernel(builder, op.getLoc(), elemType, hidden,
                                    chip);
      });
  // One CTA per kAllReduceThreads vectors, capped by the group.
  int64_t width = getRowVectorWidth(elemType, hidden);
  Value vecsPerRow = constIndex(b, hidden / width);
  Value vectors = b.createOrFold<arith::MulIOp>(rows, vecsPerRow);
  Value threads = constIndex(b, kAllReduceThreads);
  Value threadsMinusOne = constIndex(b, kAllReduceThreads - 1);
  Value bumped = b.createOrFold<arith::AddIOp>(vectors, threadsMinusOne);
  Value ctas = b.createOrFold<arith::DivUIOp>(bumped, threads);
  Value noRows = constIndex(b, 0);
  Value hasRows =
      arith::CmpIOp::create(b, arith::CmpIPredicate::ugt, rows, noRows);
  // M = 0 (the same on every rank, C18): no staging and no kernel.
  emitBranch(hasRows, [&] {
    GroupStaging staging = stageForGroup(op.getGroup(), x, ctas);
    emitBranch(staging.staged, [&] {
      launch(kernel, staging.grid, Value(), kAllReduceThreads,
             ValueRange{staging.descriptor, y});
    });
  });
  return success();
}

/// The row kernel spec of an element-wise prologue on rows of `input`
/// (`[..., count x I]`).
static RowKernelSpec prologueSpec(Prologue prologue, Value input) {
  auto type = cast<RankedTensorType>(input.getType());
  RowKernelSpec spec;
  spec.elemType = type.getElementType();
  spec.hidden = type.getShape().back() / getPrologueOperandCount(prologue);
  spec.prologue = prologue;
  return spec;
}

LogicalResult FunctionLowering::lowerSiluAndMul(SiluAndMulOp op) {
  Value x = lookup(op.getInput());
  RowKernelSpec spec = prologueSpec(Prologue::SiluAndMul, op.getInput());
  spec.storeNormalized = true;
  SmallVector<Value> sizes = shapeOf(x);
  sizes.back() = constIndex(b, spec.hidden);
  Value y = resultBuffer(op.getResult(), sizes, true);
  Value x2d = collapseTo2d(x);
  Value rows = rowsOf(x2d);
  Value y2d = collapseTo2d(y);
  return launchRowKernel(
      op, spec, rows,
      {{RowOperand::Input, x2d}, {RowOperand::Normalized, y2d}});
}

LogicalResult FunctionLowering::lowerElementwiseQuant(ElementwiseQuantOp op) {
  Value x = lookup(op.getInput());
  Value rows = rowsOf(x);
  RowKernelSpec spec = prologueSpec(op.getPrologue(), op.getInput());
  spec.scheme = op.getScheme();
  Value hidden = constIndex(b, spec.hidden);
  SmallVector<Value> sizes = {rows, hidden};
  // Dynamic per-tensor needs y in memory for its second kernel.
  bool needY = spec.scheme.getKind() == QuantKind::DynamicPerTensor;
  Value product;
  if (op.getProduct())
    product = resultBuffer(op.getProduct(), sizes, needY);
  RankedTensorType productType = ElementwiseQuantOp::getProductType(
      op.getPrologue(), cast<RankedTensorType>(op.getInput().getType()));
  if (!product && needY)
    product = allocateShaped(toMemRef(productType), sizes);
  spec.storeNormalized = static_cast<bool>(product);
  SmallVector<std::pair<RowOperand, Value>> inputs = {
      {RowOperand::Input, x}, {RowOperand::Normalized, product}};
  LogicalResult result = lowerQuantization(
      op, spec, inputs, op.getScale(), op.getOutput(), op.getScales(), rows);
  if (needY && !op.getProduct())
    gpu::DeallocOp::create(b, gpu::AsyncTokenType::get(b.getContext()),
                           ValueRange{token}, product);
  return result;
}

LogicalResult FunctionLowering::lowerScaledMatmul(ScaledMatmulOp op) {
  auto aType = cast<RankedTensorType>(op.getA().getType());
  auto bType = cast<RankedTensorType>(op.getB().getType());
  MatmulSpec spec;
  spec.n = bType.getDimSize(0);
  spec.k = aType.getDimSize(1);
  spec.resultType =
      cast<RankedTensorType>(op.getResult().getType()).getElementType();
  spec.aFormat = getScaleFormat(op.getAScales().getType());
  spec.bFormat = getScaleFormat(op.getBScales().getType());
  // The kernels of every scaled_matmul of the module with the same N, K,
  // result type and formats are one (their names say no more), whatever
  // the op's M: the activation scales, whose sizes follow M, are a memref
  // of dynamic sizes in their signature. (With the static sizes of the
  // first op, a second op of another static M failed to lower:
  // "memref.cast ... cast incompatible".)
  MemRefType aScales = toMemRef(op.getAScales().getType());
  SmallVector<int64_t> anySizes(aScales.getRank(), ShapedType::kDynamic);
  spec.aScaleType = MemRefType::get(anySizes, aScales.getElementType());
  spec.bScaleType = toMemRef(op.getBScales().getType());
  std::string reason;
  if (failed(checkMatmulSupported(spec, reason)))
    return op.emitOpError("cannot be lowered to a GPU kernel: ") << reason;
  // A recorded `chip` (C10) names the GEMM the scales were laid out for;
  // both kernels decode every format on every chip, so it may differ from
  // the target (e.g. packed UE8M0 scales tested on sm_90a).
  std::string tensorCoreReason;
  if (!simtMatmul &&
      canUseTensorCoreMatmul(spec, chip, ptxLimit, tensorCoreReason)) {
    lowerTensorCoreMatmul(op, spec);
    return success();
  }

  Value a = lookup(op.getA());
  Value rows = rowsOf(a);
  Value cols = constIndex(b, spec.n);
  Value d = resultBuffer(op.getResult(), {rows, cols}, true);
  gpu::GPUFuncOp kernel =
      kernels.getOrCreate(getMatmulKernelName(spec), [&](OpBuilder &builder) {
        return buildScaledMatmulKernel(builder, op.getLoc(), spec, chip);
      });
  Value gridX = constIndex(b, llvm::divideCeil(spec.n, kMatmulTileN));
  Value tileRowsMinusOne = constIndex(b, kMatmulTileM - 1);
  Value bumpedRows = b.createOrFold<arith::AddIOp>(rows, tileRowsMinusOne);
  Value tileRows = constIndex(b, kMatmulTileM);
  Value gridY = b.createOrFold<arith::DivUIOp>(bumpedRows, tileRows);
  if (failed(checkGridLimits(op, gridX, gridY)))
    return failure();
  launch(kernel, gridX, gridY, kMatmulThreads,
         {a, lookup(op.getB()), lookup(op.getAScales()),
          lookup(op.getBScales()), d});
  return success();
}

Value FunctionLowering::createTensorMap(Value matrix, int64_t boxRows) {
  Type ptr = LLVM::LLVMPointerType::get(b.getContext());
  auto type = cast<MemRefType>(matrix.getType());
  Value base = rawPointer(matrix);
  Value rows = rowsOf(matrix);
  Value rows64 = arith::IndexCastUIOp::create(b, b.getI64Type(), rows);
  int64_t k = type.getDimSize(1);
  SmallVector<Value> operands{base};
  auto i64 = [&](int64_t value) -> Value {
    return arith::ConstantIntOp::create(b, value, 64);
  };
  // [rows, K] fp8 read as UINT8 (CUtensorMapDataType 0: fp8 would be
  // described as a 2-byte type; GEMM.md pitfall 2), 128-byte swizzle (3).
  Value inner = i64(k);
  operands.push_back(inner);
  operands.push_back(rows64);
  Value stride = i64(k);
  operands.push_back(stride);
  Value boxInner = i64(128);
  operands.push_back(boxInner);
  Value boxOuter = i64(boxRows);
  operands.push_back(boxOuter);
  Value dataType = i64(0);
  operands.push_back(dataType);
  Value swizzle = i64(3);
  operands.push_back(swizzle);
  return func::CallOp::create(b, kTensorMapFunction, TypeRange{ptr}, operands)
      .getResult(0);
}

void FunctionLowering::lowerTensorCoreMatmul(ScaledMatmulOp op,
                                             const MatmulSpec &spec) {
  Value a = lookup(op.getA());
  Value bMatrix = lookup(op.getB());
  Value rows = rowsOf(a);
  Value cols = constIndex(b, spec.n);
  Value d = resultBuffer(op.getResult(), {rows, cols}, true);
  Value aScales = lookup(op.getAScales());
  Value bScales = lookup(op.getBScales());
  std::optional<int64_t> knownRows = getConstantIntValue(rows);
  SmallVector<GemmVariant> variants =
      chooseGemmVariants(spec, chip, knownRows, matmulSplitK);

  auto launchVariant = [&](const GemmTileConfig &cfg) {
    gpu::GPUFuncOp kernel = kernels.getOrCreate(
        getTensorCoreMatmulKernelName(spec, cfg), [&](OpBuilder &builder) {
          if (cfg.tcgen05)
            return buildTcgen05MatmulKernel(builder, op.getLoc(), spec, cfg,
                                            chip);
          return buildWgmmaMatmulKernel(builder, op.getLoc(), spec, cfg, chip);
        });
    Value aMap = createTensorMap(a, cfg.blockM);
    Value bMap = createTensorMap(bMatrix, cfg.blockN);
    // A descriptor the runtime could not make (a misaligned view, no
    // driver) launches nothing; the runtime has recorded why.
    Type ptr = LLVM::LLVMPointerType::get(b.getContext());
    Value null = LLVM::ZeroOp::create(b, ptr);
    Value aValid = LLVM::ICmpOp::create(b, LLVM::ICmpPredicate::ne, aMap, null);
    Value bValid = LLVM::ICmpOp::create(b, LLVM::ICmpPredicate::ne, bMap, null);
    Value valid = arith::AndIOp::create(b, aValid, bValid);
    // Persistent: at most one CTA per SM, looping over the tiles.
    Value blockMMinusOne = constIndex(b, cfg.blockM - 1);
    Value bumped = b.createOrFold<arith::AddIOp>(rows, blockMMinusOne);
    Value blockM = constIndex(b, cfg.blockM);
    Value rowTiles = b.createOrFold<arith::DivUIOp>(bumped, blockM);
    Value colTiles = constIndex(b, llvm::divideCeil(spec.n, cfg.blockN));
    Value tiles = b.createOrFold<arith::MulIOp>(rowTiles, colTiles);
    SmallVector<Value> operands{aMap, bMap, rows, aScales, bScales, d};
    Value units = tiles;
    // The units whose sums go through the workspace.
    Value splitUnits;
    if (cfg.splits > 1) {
      // K split: a work unit per (tile, K range).
      Value splits = constIndex(b, cfg.splits);
      units = b.createOrFold<arith::MulIOp>(tiles, splits);
      splitUnits = units;
    } else if (cfg.tailSplits > 1) {
      // The last wave's tiles split (the kernel computes the same).
      TailSplit tail =
          emitTailSplit(b, tiles, chip.numSMs, spec.k, cfg.tailSplits);
      units = tail.units;
      splitUnits = tail.splitUnits;
    }
    if (splitUnits) {
      // The workspace of the tiles' counters and the split units' partial
      // sums, from the runtime.
      Value unitBytes = constIndex(b, cfg.blockM * cfg.blockN * 4);
      Value partialBytes = b.createOrFold<arith::MulIOp>(splitUnits, unitBytes);
      Value counterBytes = constIndex(b, kSplitKCounterRegionBytes);
      Value bytes = b.createOrFold<arith::AddIOp>(counterBytes, partialBytes);
      Value bytes64 =
          b.createOrFold<arith::IndexCastUIOp>(b.getI64Type(), bytes);
      Value stream = newFunc.getArgument(0);
      Value workspace =
          func::CallOp::create(b, kWorkspaceFunction, TypeRange{ptr},
                               ValueRange{bytes64, stream})
              .getResult(0);
      Value workspaceValid =
          LLVM::ICmpOp::create(b, LLVM::ICmpPredicate::ne, workspace, null);
      valid = arith::AndIOp::create(b, valid, workspaceValid);
      operands.push_back(workspace);
    }
    Value sms = constIndex(b, chip.numSMs);
    Value grid = b.createOrFold<arith::MinUIOp>(units, sms);
    emitBranch(valid, [&] {
      launch(kernel, grid, Value(), cfg.threads(), operands,
             cfg.sharedMemoryBytes());
    });
  };

  // The variant for the run-time M: the last whose range starts at or
  // below it (MatmulStrategy.cpp).
  std::function<void(size_t)> emitFrom = [&](size_t i) {
    if (i + 1 == variants.size()) {
      launchVariant(variants[i].config);
      return;
    }
    Value nextMin = constIndex(b, variants[i + 1].minRows);
    Value atLeast =
        arith::CmpIOp::create(b, arith::CmpIPredicate::uge, rows, nextMin);
    emitBranch(
        atLeast, [&] { emitFrom(i + 1); },
        [&] { launchVariant(variants[i].config); });
  };
  // M = 0: nothing to compute, and no descriptor or workspace to ask the
  // runtime for (it refuses empty ones, recording an error).
  Value noRows = constIndex(b, 0);
  Value hasRows =
      arith::CmpIOp::create(b, arith::CmpIPredicate::ugt, rows, noRows);
  emitBranch(hasRows, [&] { emitFrom(0); });
}

LogicalResult FunctionLowering::lowerView(Operation *op) {
  Value result = op->getResult(0);
  auto type = toMemRef(result.getType());
  Value view;
  if (auto collapse = dyn_cast<tensor::CollapseShapeOp>(op)) {
    view = memref::CollapseShapeOp::create(b, type, lookup(collapse.getSrc()),
                                           collapse.getReassociationIndices());
  } else {
    auto expand = cast<tensor::ExpandShapeOp>(op);
    SmallVector<OpFoldResult> shape;
    for (OpFoldResult size : expand.getMixedOutputShape()) {
      if (auto value = dyn_cast<Value>(size))
        shape.push_back(lookup(value));
      else
        shape.push_back(size);
    }
    view =
        memref::ExpandShapeOp::create(b, type, lookup(expand.getSrc()),
                                      expand.getReassociationIndices(), shape);
  }
  mapping.map(result, view);
  return success();
}

LogicalResult FunctionLowering::lowerScalar(Operation *op) {
  if (auto dim = dyn_cast<tensor::DimOp>(op)) {
    mapping.map(dim.getResult(),
                memref::DimOp::create(b, lookup(dim.getSource()),
                                      lookup(dim.getIndex()))
                    .getResult());
    return success();
  }
  b.clone(*op, mapping);
  return success();
}

//===----------------------------------------------------------------------===//
// Function
//===----------------------------------------------------------------------===//

LogicalResult FunctionLowering::run() {
  MLIRContext *ctx = oldFunc.getContext();
  Block &body = oldFunc.getBody().front();
  auto returnOp = cast<func::ReturnOp>(body.getTerminator());

  // Signature: (stream, inputs..., results...) -> ().
  SmallVector<Type> argTypes{LLVM::LLVMPointerType::get(ctx)};
  for (Type type : oldFunc.getArgumentTypes())
    argTypes.push_back(toMemRef(type));
  for (Type type : oldFunc.getResultTypes())
    argTypes.push_back(toMemRef(type));
  OpBuilder moduleBuilder(oldFunc);
  newFunc =
      func::FuncOp::create(moduleBuilder, oldFunc.getLoc(), oldFunc.getName(),
                           moduleBuilder.getFunctionType(argTypes, {}));
  newFunc.setVisibility(oldFunc.getVisibility());
  if (oldFunc.isPublic())
    newFunc->setAttr(LLVM::LLVMDialect::getEmitCWrapperAttrName(),
                     UnitAttr::get(ctx));
  Block *entry = newFunc.addEntryBlock();
  b.setInsertionPointToStart(entry);
  token = UnrealizedConversionCastOp::create(
              b, TypeRange{gpu::AsyncTokenType::get(ctx)},
              ValueRange{newFunc.getArgument(0)})
              .getResult(0);

  for (auto [i, arg] : llvm::enumerate(body.getArguments()))
    mapping.map(arg, newFunc.getArgument(1 + i));

  // Liveness (by the tensor a view reads) and destinations.
  SmallVector<Operation *> ops;
  for (Operation &op : body.without_terminator())
    ops.push_back(&op);
  int64_t endPosition = ops.size();
  auto rootOf = [&](Value v) {
    Value root = aliasRoot.lookup(v);
    return root ? root : v;
  };
  for (auto [position, op] : llvm::enumerate(ops)) {
    for (Value operand : op->getOperands())
      lastUse[rootOf(operand)] = position;
    if (isViewOp(op))
      aliasRoot[op->getResult(0)] = rootOf(op->getOperand(0));
  }
  for (auto [i, value] : llvm::enumerate(returnOp.getOperands())) {
    lastUse[rootOf(value)] = endPosition;
    Operation *def = value.getDefiningOp();
    if (!def || !isVllmOp(def)) {
      returnedUnwritten.try_emplace(value, i);
      continue;
    }
    if (!destinations.count(value))
      destinations[value] = resultArg(i);
  }

  for (auto [position, op] : llvm::enumerate(ops)) {
    b.setLoc(op->getLoc());
    // Pure ops nobody reads are not computed.
    if (isVllmOp(op) && llvm::all_of(op->getResults(), [&](Value result) {
          return result.use_empty() && !destinations.count(result);
        }))
      continue;
    LogicalResult result =
        TypeSwitch<Operation *, LogicalResult>(op)
            .Case([&](RMSNormOp o) { return lowerRMSNorm(o); })
            .Case([&](FusedAddRMSNormOp o) { return lowerFusedAddRMSNorm(o); })
            .Case([&](QuantizeOp o) { return lowerQuantize(o); })
            .Case([&](RMSNormQuantOp o) { return lowerRMSNormQuant(o); })
            .Case([&](AllReduceOp o) { return lowerAllReduce(o); })
            .Case([&](SiluAndMulOp o) { return lowerSiluAndMul(o); })
            .Case(
                [&](ElementwiseQuantOp o) { return lowerElementwiseQuant(o); })
            .Case([&](ScaledMatmulOp o) { return lowerScaledMatmul(o); })
            .Case<tensor::CollapseShapeOp, tensor::ExpandShapeOp>(
                [&](auto o) { return lowerView(o.getOperation()); })
            .Default([&](Operation *o) { return lowerScalar(o); });
    if (failed(result))
      return failure();
    freeDeadTemporaries(position);
  }

  // Results not written in place (arguments, views, duplicates) are copied
  // into their destinations.
  b.setLoc(returnOp.getLoc());
  for (auto [i, value] : llvm::enumerate(returnOp.getOperands())) {
    Value source = lookup(value);
    if (source != resultArg(i) && !writtenResults.contains(i))
      gpu::MemcpyOp::create(b, gpu::AsyncTokenType::get(ctx), ValueRange{token},
                            resultArg(i), source);
  }
  freeDeadTemporaries(endPosition);
  func::ReturnOp::create(b);
  oldFunc.erase();
  return success();
}

//===----------------------------------------------------------------------===//
// Buffer functions (SPEC.md 3.9)
//===----------------------------------------------------------------------===//

/// A function on buffers with vllm buffer ops: what one-shot-bufferize makes
/// of a tensor function. Its other ops are left to the user's pipeline.
static bool isBufferFunction(func::FuncOp func) {
  auto isTensor = [](Type t) { return isa<TensorType>(t); };
  if (func.isExternal() || llvm::any_of(func.getArgumentTypes(), isTensor) ||
      llvm::any_of(func.getResultTypes(), isTensor))
    return false;
  return func
      .walk([](Operation *op) {
        return isBufferForm(op) ? WalkResult::interrupt()
                                : WalkResult::advance();
      })
      .wasInterrupted();
}

namespace {
/// The tensor op a buffer op computes: its input buffers (with the scale
/// format of each, the encoding the tensor type carries), its output
/// buffers in the order of the tensor op's results, and how to build the
/// tensor op on tensor values standing for the inputs.
struct TensorForm {
  SmallVector<std::pair<Value, Attribute>> inputs;
  SmallVector<Value> outputs;
  std::function<Operation *(OpBuilder &, Location, ArrayRef<Value>)> build;
};
} // namespace

static TensorForm getTensorForm(Operation *bufferOp) {
  TensorForm form;
  auto resultTypeOf = [](Value buffer) -> Type {
    auto type = cast<MemRefType>(buffer.getType());
    return RankedTensorType::get(type.getShape(), type.getElementType());
  };
  TypeSwitch<Operation *>(bufferOp)
      .Case([&](BufferRMSNormOp op) {
        form.inputs = {{op.getInput(), {}}, {op.getWeight(), {}}};
        form.outputs = {op.getResult()};
        form.build = [op](OpBuilder &b, Location loc,
                          ArrayRef<Value> args) mutable {
          return RMSNormOp::create(b, loc, args[0].getType(), args[0], args[1],
                                   op.getEpsilonAttr(),
                                   op.getRoundBeforeWeightAttr())
              .getOperation();
        };
      })
      .Case([&](BufferFusedAddRMSNormOp op) {
        form.inputs = {
            {op.getInput(), {}}, {op.getResidual(), {}}, {op.getWeight(), {}}};
        form.outputs = {op.getResult(), op.getResidualOut()};
        form.build = [op](OpBuilder &b, Location loc,
                          ArrayRef<Value> args) mutable {
          Type type = args[0].getType();
          return FusedAddRMSNormOp::create(b, loc, type, type, args[0], args[1],
                                           args[2], op.getEpsilonAttr(),
                                           op.getRoundBeforeWeightAttr())
              .getOperation();
        };
      })
      .Case([&](BufferQuantizeOp op) {
        ScaleFormatAttr format = op.getScheme().getScaleFormat();
        form.inputs = {{op.getInput(), {}}};
        if (op.getScale())
          form.inputs.push_back({op.getScale(), format});
        form.outputs = {op.getOutput(), op.getScales()};
        form.build = [op](OpBuilder &b, Location loc,
                          ArrayRef<Value> args) mutable {
          Value scale = op.getScale() ? args[1] : Value();
          return QuantizeOp::create(b, loc, args[0], scale, op.getScheme())
              .getOperation();
        };
      })
      .Case([&](BufferRMSNormQuantOp op) {
        ScaleFormatAttr format = op.getScheme().getScaleFormat();
        form.inputs = {{op.getInput(), {}}, {op.getWeight(), {}}};
        if (op.getResidual())
          form.inputs.push_back({op.getResidual(), {}});
        if (op.getScale())
          form.inputs.push_back({op.getScale(), format});
        form.outputs = {op.getOutput(), op.getScales()};
        if (op.getResidualOut())
          form.outputs.push_back(op.getResidualOut());
        if (op.getNormalized())
          form.outputs.push_back(op.getNormalized());
        form.build = [op](OpBuilder &b, Location loc,
                          ArrayRef<Value> args) mutable {
          unsigned next = 2;
          Value residual = op.getResidual() ? args[next++] : Value();
          Value scale = op.getScale() ? args[next++] : Value();
          return RMSNormQuantOp::create(
                     b, loc, args[0], args[1], residual, scale,
                     op.getEpsilonAttr(), op.getScheme(),
                     /*returnNormalized=*/static_cast<bool>(op.getNormalized()),
                     op.getRoundBeforeWeight(), op.getAllReduceGroupAttr())
              .getOperation();
        };
      })
      .Case([&](BufferAllReduceOp op) {
        form.inputs = {{op.getInput(), {}}};
        form.outputs = {op.getResult()};
        Type resultType = resultTypeOf(op.getResult());
        IntegerAttr group = op.getGroupAttr();
        form.build = [resultType, group](OpBuilder &b, Location loc,
                                         ArrayRef<Value> args) mutable {
          return AllReduceOp::create(b, loc, resultType, args[0], group)
              .getOperation();
        };
      })
      .Case([&](BufferSiluAndMulOp op) {
        form.inputs = {{op.getInput(), {}}};
        form.outputs = {op.getResult()};
        Type resultType = resultTypeOf(op.getResult());
        form.build = [resultType](OpBuilder &b, Location loc,
                                  ArrayRef<Value> args) mutable {
          return SiluAndMulOp::create(b, loc, resultType, args[0])
              .getOperation();
        };
      })
      .Case([&](BufferElementwiseQuantOp op) {
        ScaleFormatAttr format = op.getScheme().getScaleFormat();
        form.inputs = {{op.getInput(), {}}};
        if (op.getScale())
          form.inputs.push_back({op.getScale(), format});
        form.outputs = {op.getOutput(), op.getScales()};
        if (op.getProduct())
          form.outputs.push_back(op.getProduct());
        form.build = [op](OpBuilder &b, Location loc,
                          ArrayRef<Value> args) mutable {
          Value scale = op.getScale() ? args[1] : Value();
          return ElementwiseQuantOp::create(
                     b, loc, op.getPrologue(), args[0], scale, op.getScheme(),
                     /*returnProduct=*/static_cast<bool>(op.getProduct()))
              .getOperation();
        };
      })
      .Case([&](BufferScaledMatmulOp op) {
        form.inputs = {{op.getA(), {}},
                       {op.getB(), {}},
                       {op.getAScales(), op.getAScalesFormat()},
                       {op.getBScales(), op.getBScalesFormat()}};
        form.outputs = {op.getResult()};
        Type resultType = resultTypeOf(op.getResult());
        form.build = [op, resultType](OpBuilder &b, Location loc,
                                      ArrayRef<Value> args) mutable {
          return ScaledMatmulOp::create(b, loc, resultType, args[0], args[1],
                                        args[2], args[3], op.getChipAttr())
              .getOperation();
        };
      });
  return form;
}

/// A symbol name not taken in `symbols`: `base`, else `base_1`, ...
static std::string uniqueSymbolName(SymbolTable &symbols, StringRef base) {
  std::string name = base.str();
  for (unsigned suffix = 1; symbols.lookup(name); ++suffix)
    name = (base + "_" + Twine(suffix)).str();
  return name;
}

/// Lowers the buffer function `func` in place: it gets the caller's stream
/// as a new first argument (as compiled tensor functions have), and each
/// buffer op becomes a call, on that stream, of a private host function
/// that FunctionLowering builds from the op's tensor form, so that the
/// buffer form launches exactly the kernels of the tensor form. Every other
/// op is left as it is.
static LogicalResult
lowerBufferFunction(func::FuncOp func, SymbolTable &symbols,
                    KernelModule &kernels,
                    function_ref<LogicalResult(func::FuncOp)> lowerTensorFunc) {
  MLIRContext *ctx = func.getContext();
  ModuleOp module = func->getParentOfType<ModuleOp>();
  if (!SymbolTable::symbolKnownUseEmpty(func, module))
    return func.emitOpError("is called in the module, but convert-vllm-to-gpu "
                            "adds a stream argument to functions on buffers "
                            "with vllm ops; call it from outside the module");
  if (!func.getBody().hasOneBlock())
    return func.emitOpError("has control flow (several blocks); "
                            "convert-vllm-to-gpu compiles straight-line "
                            "functions of vllm ops");
  SmallVector<Operation *> bufferOps;
  // The element-wise linalg ops become kernels on the stream too.
  SmallVector<Operation *> elementwiseOps;
  auto isLinalgOp = [](Operation *op) {
    Dialect *dialect = op->getDialect();
    return dialect && dialect->getNamespace() == "linalg" &&
           op->getNumRegions() == 1;
  };
  WalkResult tensorForm = func.walk([&](Operation *op) {
    if (isBufferForm(op)) {
      bufferOps.push_back(op);
    } else if (isLinalgOp(op)) {
      if (op->getBlock() != &func.getBody().front()) {
        op->emitOpError("is nested in another op; convert-vllm-to-gpu "
                        "lowers the element-wise linalg ops of a function on "
                        "buffers at its top level");
        return WalkResult::interrupt();
      }
      if (failed(codegen::checkElementwiseKernel(op)))
        return WalkResult::interrupt();
      elementwiseOps.push_back(op);
      return WalkResult::skip();
    } else if (isVllmOp(op)) {
      op->emitOpError("is a tensor op in a function on buffers; "
                      "convert-vllm-to-gpu compiles a function either on "
                      "tensors or on buffers (bufferize all of it)");
      return WalkResult::interrupt();
    }
    return WalkResult::advance();
  });
  if (tensorForm.wasInterrupted())
    return failure();
  for (Operation *op : bufferOps)
    if (op->getBlock() != &func.getBody().front())
      return op->emitOpError("is nested in another op; convert-vllm-to-gpu "
                             "lowers buffer ops at the top level of a "
                             "function");

  // The function's buffers are device memory (its arguments are, by the
  // ABI): its allocations, copies and frees become stream-ordered GPU ops.
  SmallVector<Operation *> memoryOps;
  for (Operation &op : func.getBody().front()) {
    if (auto alloc = dyn_cast<memref::AllocOp>(op)) {
      MemRefType type = alloc.getType();
      if (!type.getLayout().isIdentity() || type.getMemorySpace() ||
          !alloc.getSymbolOperands().empty())
        return alloc.emitOpError("allocates a buffer with a layout or memory "
                                 "space; convert-vllm-to-gpu places the "
                                 "buffers of a function on buffers in device "
                                 "memory with the identity layout");
      memoryOps.push_back(alloc);
    } else if (auto copy = dyn_cast<memref::CopyOp>(op)) {
      auto isContiguous = [](Value buffer) {
        auto type = cast<MemRefType>(buffer.getType());
        return type.getLayout().isIdentity() && !type.getMemorySpace();
      };
      if (!isContiguous(copy.getSource()) || !isContiguous(copy.getTarget()))
        return copy.emitOpError(
            "copies a buffer with a non-identity layout, which "
            "convert-vllm-to-gpu cannot turn into a device copy; bufferize "
            "with function-boundary-type-conversion=identity-layout-map");
      memoryOps.push_back(copy);
    } else if (isa<memref::DeallocOp>(op)) {
      memoryOps.push_back(&op);
    }
  }

  Type streamType = LLVM::LLVMPointerType::get(ctx);
  if (failed(
          func.insertArgument(0, streamType, DictionaryAttr(), func.getLoc())))
    return failure();
  if (func.isPublic())
    func->setAttr(LLVM::LLVMDialect::getEmitCWrapperAttrName(),
                  UnitAttr::get(ctx));
  Value stream = func.getArgument(0);
  OpBuilder entryBuilder = OpBuilder::atBlockBegin(&func.getBody().front());
  Type tokenType = gpu::AsyncTokenType::get(ctx);
  Value token = UnrealizedConversionCastOp::create(entryBuilder, func.getLoc(),
                                                   TypeRange{tokenType},
                                                   ValueRange{stream})
                    .getResult(0);
  for (Operation *op : memoryOps) {
    OpBuilder builder(op);
    Location loc = op->getLoc();
    if (auto alloc = dyn_cast<memref::AllocOp>(op)) {
      auto deviceAlloc = gpu::AllocOp::create(
          builder, loc, alloc.getType(), tokenType, ValueRange{token},
          alloc.getDynamicSizes(), ValueRange{}, /*hostShared=*/false);
      alloc.replaceAllUsesWith(deviceAlloc.getMemref());
    } else if (auto copy = dyn_cast<memref::CopyOp>(op)) {
      gpu::MemcpyOp::create(builder, loc, tokenType, ValueRange{token},
                            copy.getTarget(), copy.getSource());
    } else {
      auto dealloc = cast<memref::DeallocOp>(op);
      gpu::DeallocOp::create(builder, loc, tokenType, ValueRange{token},
                             dealloc.getMemref());
    }
    op->erase();
  }

  for (auto [index, elementwiseOp] : llvm::enumerate(elementwiseOps)) {
    Operation *op = elementwiseOp;
    std::string name =
        ("elementwise_" + func.getName() + "_" + Twine(index)).str();
    gpu::GPUFuncOp kernel =
        kernels.getOrCreate(name, [&](OpBuilder &moduleBuilder) {
          return codegen::buildElementwiseKernel(moduleBuilder, op, name);
        });
    OpBuilder builder(op);
    codegen::launchElementwiseKernel(builder, op, kernel, token);
    op->erase();
  }

  for (auto [index, op] : llvm::enumerate(bufferOps)) {
    TensorForm form = getTensorForm(op);
    // The tensor function: one op, its inputs as arguments, every result
    // returned (so each is written straight into its buffer).
    SmallVector<Type> argTypes;
    for (auto [buffer, encoding] : form.inputs) {
      auto type = cast<MemRefType>(buffer.getType());
      argTypes.push_back(RankedTensorType::get(
          type.getShape(), type.getElementType(), encoding));
    }
    OpBuilder moduleBuilder(func);
    std::string name = uniqueSymbolName(
        symbols, (func.getName() + "__" +
                  op->getName().stripDialect().drop_front(strlen("buffer.")) +
                  "_" + Twine(index))
                     .str());
    auto tensorFunc =
        func::FuncOp::create(moduleBuilder, op->getLoc(), name,
                             moduleBuilder.getFunctionType(argTypes, {}));
    tensorFunc.setPrivate();
    Block *entry = tensorFunc.addEntryBlock();
    OpBuilder bodyBuilder = OpBuilder::atBlockEnd(entry);
    SmallVector<Value> args(entry->getArguments());
    Operation *tensorOp = form.build(bodyBuilder, op->getLoc(), args);
    func::ReturnOp::create(bodyBuilder, op->getLoc(), tensorOp->getResults());
    tensorFunc.setFunctionType(moduleBuilder.getFunctionType(
        argTypes, llvm::to_vector(tensorOp->getResultTypes())));
    // The lowering replaces the function by a new one of the same name.
    if (failed(lowerTensorFunc(tensorFunc)))
      return failure();
    auto hostFunc = cast<func::FuncOp>(
        SymbolTable::lookupSymbolIn(module, StringAttr::get(ctx, name)));
    symbols.insert(hostFunc);

    // The call: stream, input buffers, output buffers.
    SmallVector<Value> operands{stream};
    for (auto [buffer, encoding] : form.inputs)
      operands.push_back(buffer);
    llvm::append_range(operands, form.outputs);
    OpBuilder callBuilder(op);
    func::CallOp::create(callBuilder, op->getLoc(), hostFunc, operands);
    op->erase();
  }
  return success();
}

//===----------------------------------------------------------------------===//
// Pass
//===----------------------------------------------------------------------===//

namespace {
struct ConvertVllmToGPUPass
    : public vllm::impl::ConvertVllmToGPUPassBase<ConvertVllmToGPUPass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    MLIRContext *ctx = &getContext();
    const TargetChipInfo *chipInfo = lookupTargetChip(chip);
    if (!chipInfo) {
      emitError(module.getLoc(), "unsupported target chip '")
          << chip << "': supported chips are " << getSupportedChipNames();
      return signalPassFailure();
    }
    FailureOr<std::string> resolvedFeatures = resolveTargetFeatures(
        *chipInfo, features, [&] { return emitError(module.getLoc()); });
    if (failed(resolvedFeatures))
      return signalPassFailure();
    if (optLevel > 3) {
      emitError(module.getLoc(), "optimization level must be 0 to 3, got ")
          << static_cast<unsigned>(optLevel);
      return signalPassFailure();
    }
    if (rowPrefetch < -1 || rowPrefetch > kMaxRowPrefetch) {
      emitError(module.getLoc(),
                "row-prefetch must be -1 (automatic), 0 (a CTA per "
                "row) or 1 to ")
          << kMaxRowPrefetch << ", got " << static_cast<int>(rowPrefetch);
      return signalPassFailure();
    }
    // The options that choose a set-up variant by rows per CTA.
    for (auto [name, rows] :
         {std::pair<StringRef, int>{"weight-staging-rows", weightStagingRows},
          {"silu-table-rows", siluTableRows}}) {
      if (rows >= -1)
        continue;
      emitError(module.getLoc())
          << name
          << " must be -1 (automatic), 0 (never) or a number of rows per "
             "CTA, got "
          << rows;
      return signalPassFailure();
    }
    if (rowThreadFolding != -1 &&
        (rowThreadFolding < 1 || rowThreadFolding > kMaxFoldedThreads ||
         !llvm::isPowerOf2_64(rowThreadFolding))) {
      emitError(module.getLoc(),
                "row-thread-folding must be -1 (automatic) or a power of two "
                "from 1 (no folding) to ")
          << kMaxFoldedThreads << ", got "
          << static_cast<int>(rowThreadFolding);
      return signalPassFailure();
    }
    if (matmulSplitK == 0 || matmulSplitK < -1) {
      emitError(module.getLoc(),
                "matmul-split-k must be -1 (automatic) or the most splits of "
                "K at small M, at least 1 (1: no split), got ")
          << static_cast<int>(matmulSplitK);
      return signalPassFailure();
    }
    if (allReduce != "peer" && allReduce != "nccl") {
      emitError(module.getLoc(), "all-reduce must be peer (the rank-ordered "
                                 "kernel) or nccl (ncclAllReduce), got '")
          << allReduce << "'";
      return signalPassFailure();
    }
    if (matmulKernel != "auto" && matmulKernel != "simt") {
      emitError(module.getLoc(), "matmul-kernel must be simt or auto "
                                 "(tensor cores where the chip has them), "
                                 "got '")
          << matmulKernel << "'";
      return signalPassFailure();
    }

    SmallVector<func::FuncOp> funcs, bufferFuncs;
    for (auto func : module.getOps<func::FuncOp>()) {
      if (isBufferFunction(func))
        bufferFuncs.push_back(func);
      else if (needsConversion(func))
        funcs.push_back(func);
    }
    if (funcs.empty() && bufferFuncs.empty())
      return;
    bool valid = succeeded(checkReservedSymbols(module));
    for (func::FuncOp func : funcs)
      valid &= succeeded(checkConvertible(func));
    if (!valid)
      return signalPassFailure();

    // One gpu.module for all kernels of the module, so they are loaded once.
    SymbolTable symbols(module);
    OpBuilder builder(ctx);
    auto target = NVVM::NVVMTargetAttr::get(ctx, static_cast<int>(optLevel),
                                            "nvptx64-nvidia-cuda",
                                            chipInfo->name, *resolvedFeatures);
    auto gpuModule = gpu::GPUModuleOp::create(
        builder, module.getLoc(), "vllm_kernels", ArrayRef<Attribute>{target});
    // First in the module: the verifier of every gpu.launch_func looks its
    // kernel module up by name, scanning the module's operations from the
    // start, after every pass (quadratic in the number of functions when
    // the kernel module comes last).
    symbols.insert(gpuModule, module.getBody()->begin());
    module->setAttr(gpu::GPUDialect::getContainerModuleAttrName(),
                    UnitAttr::get(ctx));
    KernelModule kernels(gpuModule);
    // The chip's default PTX version may be raised for the tcgen05 kernel;
    // an explicit one is kept (the kernel then stays on SIMT).
    unsigned ptxVersion = getPtxVersion(*resolvedFeatures);
    unsigned ptxLimit = ptxVersion;
    if (StringRef(features).trim().empty())
      ptxLimit = std::max(ptxVersion, chipInfo->tcgen05PtxVersion);
    auto lowerTensorFunc = [&](func::FuncOp func) {
      return FunctionLowering(func, kernels, *chipInfo, rowPrefetch,
                              weightStagingRows, siluTableRows,
                              rowThreadFolding, matmulKernel == "simt",
                              matmulSplitK, ptxLimit, allReduce == "nccl")
          .run();
    };
    for (func::FuncOp func : funcs)
      if (failed(lowerTensorFunc(func)))
        return signalPassFailure();
    // A fresh table: the tensor lowering replaced functions by new ones.
    SymbolTable bufferSymbols(module);
    for (func::FuncOp func : bufferFuncs)
      if (failed(lowerBufferFunction(func, bufferSymbols, kernels,
                                     lowerTensorFunc)))
        return signalPassFailure();
    // A module with a tcgen05 kernel gets the PTX version it needs.
    bool hasTcgen05Kernel = false;
    gpuModule.walk([&](NVVM::Tcgen05MMABlockScaleOp) {
      hasTcgen05Kernel = true;
      return WalkResult::interrupt();
    });
    if (hasTcgen05Kernel && ptxVersion < chipInfo->tcgen05PtxVersion) {
      std::string raised = ("+ptx" + Twine(chipInfo->tcgen05PtxVersion)).str();
      auto raisedTarget = NVVM::NVVMTargetAttr::get(
          ctx, static_cast<int>(optLevel), "nvptx64-nvidia-cuda",
          chipInfo->name, raised);
      gpuModule.setTargetsAttr(ArrayAttr::get(ctx, {raisedTarget}));
    }
    declareRuntimeFunctions(module, gpuModule);
    if (gpuModule.getBody()->without_terminator().empty())
      gpuModule.erase();
  }
};
} // namespace
