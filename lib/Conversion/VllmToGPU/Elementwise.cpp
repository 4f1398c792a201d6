//===- Elementwise.cpp - element-wise linalg ops as GPU kernels -----------===//
//
// Part of the vllm-mlir project.
//
//===----------------------------------------------------------------------===//
//
// The element-wise rest of a function on buffers (docs/design.md,
// "Layering"): a linalg op whose loops are all parallel (linalg.add,
// linalg.fill, linalg.generic with broadcasts or transposes, ...) between
// the vllm buffer ops becomes one kernel, launched by the host code on the
// function's stream like every other kernel, so the whole function runs in
// stream order on the device.
//
// The kernel gives each thread a grid-stride run of iteration points: the
// linear point is split into loop indices (the last loop fastest, so
// consecutive threads touch consecutive elements of row-major operands),
// each operand the payload reads is loaded at its indexing map's indices,
// the payload is cloned, and each yielded value is stored at its output's
// indices. The output maps must be permutations, so no two points write
// the same element.
//
//===----------------------------------------------------------------------===//

#include "Codegen.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/IRMapping.h"

using namespace mlir;
using namespace mlir::vllm;
using namespace mlir::vllm::codegen;

static bool isKernelElementType(Type type) {
  return isa<IntegerType, Float16Type, BFloat16Type, Float32Type, Float64Type>(
      type);
}

/// Whether every result of `map` is a loop index or a constant.
static bool hasDimOrConstantResults(AffineMap map) {
  return llvm::all_of(map.getResults(), [](AffineExpr expr) {
    return isa<AffineDimExpr, AffineConstantExpr>(expr);
  });
}

LogicalResult codegen::checkElementwiseKernel(Operation *op) {
  auto linalgOp = dyn_cast<linalg::LinalgOp>(op);
  if (!linalgOp)
    return op->emitOpError("is not a linalg op");
  static constexpr const char *kScope =
      "; convert-vllm-to-gpu compiles the element-wise linalg ops of a "
      "function on buffers (every loop parallel, outputs written through "
      "permutations)";
  auto fail = [&](const Twine &why) { return op->emitOpError(why) << kScope; };
  if (!linalgOp.hasPureBufferSemantics())
    return fail("has tensor operands");
  if (linalgOp.getNumParallelLoops() != linalgOp.getNumLoops())
    return fail("has a loop that is not parallel (a reduction)");
  for (OpOperand &operand : op->getOpOperands()) {
    Type type = operand.get().getType();
    auto memref = dyn_cast<MemRefType>(type);
    Type element = memref ? memref.getElementType() : type;
    if (!isKernelElementType(element))
      return op->emitOpError("has an operand of element type ")
             << element << " (integers, f16, bf16, f32 and f64 only)" << kScope;
    if (!memref)
      continue;
    if (!memref.getLayout().isIdentity() || memref.getMemorySpace())
      return fail(
          "has a buffer with a layout or memory space (bufferize "
          "with function-boundary-type-conversion=identity-layout-map)");
    AffineMap map = linalgOp.getMatchingIndexingMap(&operand);
    if (!hasDimOrConstantResults(map))
      return fail("indexes an operand with a map that is not made of loop "
                  "indices and constants");
    if (linalgOp.isDpsInit(&operand) && !map.isPermutation())
      return fail("writes an output through a map that is not a "
                  "permutation of the loops");
  }
  Region &payload = op->getRegion(0);
  WalkResult walk = payload.walk([&](Operation *inner) {
    Dialect *dialect = inner->getDialect();
    bool allowed =
        isa<linalg::IndexOp, linalg::YieldOp>(inner) ||
        isa_and_nonnull<arith::ArithDialect, math::MathDialect>(dialect);
    if (!allowed) {
      fail(Twine("has '") + inner->getName().getStringRef() +
           "' in its body (arith and math ops only)");
      return WalkResult::interrupt();
    }
    for (Value value : inner->getOperands()) {
      if (payload.isAncestor(value.getParentRegion()))
        continue;
      if (!value.getDefiningOp<arith::ConstantOp>()) {
        fail("uses a value from outside its body that is not a constant");
        return WalkResult::interrupt();
      }
    }
    return WalkResult::advance();
  });
  return failure(walk.wasInterrupted());
}

gpu::GPUFuncOp codegen::buildElementwiseKernel(OpBuilder &moduleBuilder,
                                               Operation *op, StringRef name) {
  auto linalgOp = cast<linalg::LinalgOp>(op);
  MLIRContext *ctx = moduleBuilder.getContext();
  Location loc = op->getLoc();
  unsigned numLoops = linalgOp.getNumLoops();
  unsigned numOperands = op->getNumOperands();
  // The operands keep their types (the kernel is the op's own): static
  // sizes stay static, so the index arithmetic divides by constants.
  SmallVector<Type> argTypes(op->getOperandTypes());
  Type indexType = moduleBuilder.getIndexType();
  argTypes.append(numLoops, indexType);
  auto func = gpu::GPUFuncOp::create(
      moduleBuilder, loc, name, moduleBuilder.getFunctionType(argTypes, {}));
  func->setAttr(gpu::GPUDialect::getKernelFuncAttrName(),
                moduleBuilder.getUnitAttr());
  func.setKnownBlockSizeAttr(moduleBuilder.getDenseI32ArrayAttr(
      {static_cast<int32_t>(kElementwiseThreads), 1, 1}));
  Block &entry = func.getBody().front();
  ImplicitLocOpBuilder b(loc, ctx);
  b.setInsertionPointToStart(&entry);

  // The loop sizes: constants where the op's shapes fix them, else the
  // arguments the host computes.
  SmallVector<int64_t> staticSizes = linalgOp.getStaticLoopRanges();
  SmallVector<Value> sizes(entry.args_begin() + numOperands, entry.args_end());
  for (auto [size, staticSize] : llvm::zip_equal(sizes, staticSizes))
    if (!ShapedType::isDynamic(staticSize))
      size = constIndex(b, staticSize);
  Value total = constIndex(b, 1);
  for (Value size : sizes)
    total = arith::MulIOp::create(b, total, size);
  Value threads = constIndex(b, kElementwiseThreads);
  Value block = gpu::BlockIdOp::create(b, gpu::Dimension::x);
  Value thread = gpu::ThreadIdOp::create(b, gpu::Dimension::x);
  Value blockStart = arith::MulIOp::create(b, block, threads);
  Value start = arith::AddIOp::create(b, blockStart, thread);
  Value grid = gpu::GridDimOp::create(b, gpu::Dimension::x);
  Value step = arith::MulIOp::create(b, grid, threads);
  auto loop = scf::ForOp::create(b, start, total, step);
  b.setInsertionPointToStart(loop.getBody());

  // The loop indices of the point, the last loop fastest.
  SmallVector<Value> ivs(numLoops);
  Value rest = loop.getInductionVar();
  for (unsigned d = numLoops; d-- > 0;) {
    if (d == 0) {
      ivs[d] = rest;
      break;
    }
    ivs[d] = arith::RemUIOp::create(b, rest, sizes[d]);
    rest = arith::DivUIOp::create(b, rest, sizes[d]);
  }
  auto indicesOf = [&](AffineMap map) {
    SmallVector<Value> indices;
    for (AffineExpr expr : map.getResults()) {
      if (auto dim = dyn_cast<AffineDimExpr>(expr)) {
        indices.push_back(ivs[dim.getPosition()]);
      } else {
        int64_t value = cast<AffineConstantExpr>(expr).getValue();
        indices.push_back(constIndex(b, value));
      }
    }
    return indices;
  };

  IRMapping mapping;
  for (OpOperand &operand : op->getOpOperands()) {
    Value arg = entry.getArgument(operand.getOperandNumber());
    BlockArgument payloadArg = linalgOp.getMatchingBlockArgument(&operand);
    if (!isa<MemRefType>(arg.getType())) {
      mapping.map(payloadArg, arg);
      continue;
    }
    if (payloadArg.use_empty())
      continue;
    SmallVector<Value> indices =
        indicesOf(linalgOp.getMatchingIndexingMap(&operand));
    Value element = memref::LoadOp::create(b, arg, indices);
    mapping.map(payloadArg, element);
  }
  Block *payload = linalgOp.getBlock();
  // A value of the body in the kernel: what it was mapped to, or, for a
  // constant from outside the body (checkElementwiseKernel allows no other
  // captures), a clone made at its first use.
  auto inKernel = [&](Value value) {
    if (Value mapped = mapping.lookupOrNull(value))
      return mapped;
    Value constant = b.clone(*value.getDefiningOp())->getResult(0);
    mapping.map(value, constant);
    return constant;
  };
  for (Operation &inner : payload->without_terminator()) {
    if (auto index = dyn_cast<linalg::IndexOp>(inner)) {
      mapping.map(index.getResult(), ivs[index.getDim()]);
      continue;
    }
    for (Value value : inner.getOperands())
      (void)inKernel(value);
    b.clone(inner, mapping);
  }
  auto yield = cast<linalg::YieldOp>(payload->getTerminator());
  for (auto [position, init] : llvm::enumerate(linalgOp.getDpsInitsMutable())) {
    Value value = inKernel(yield.getOperand(position));
    SmallVector<Value> indices =
        indicesOf(linalgOp.getMatchingIndexingMap(&init));
    memref::StoreOp::create(
        b, value, entry.getArgument(init.getOperandNumber()), indices);
  }
  b.setInsertionPointToEnd(&entry);
  gpu::ReturnOp::create(b);
  return func;
}

void codegen::launchElementwiseKernel(OpBuilder &builder, Operation *op,
                                      gpu::GPUFuncOp kernel, Value token) {
  auto linalgOp = cast<linalg::LinalgOp>(op);
  ImplicitLocOpBuilder b(op->getLoc(), builder);
  SmallVector<Range> ranges = linalgOp.createLoopRanges(b, b.getLoc());
  // The kernel takes the operands as they are (buildElementwiseKernel keeps
  // their types), then the loop sizes.
  SmallVector<Value> args(op->getOperands());
  Value total = constIndex(b, 1);
  for (const Range &range : ranges) {
    Value size = getValueOrCreateConstantIndexOp(b, b.getLoc(), range.size);
    args.push_back(size);
    total = arith::MulIOp::create(b, total, size);
  }
  // One CTA per kElementwiseThreads points, at least one (an empty launch
  // is an error; its threads find no point), at most kElementwiseMaxCTAs
  // (each thread then takes several points).
  Value threads = constIndex(b, kElementwiseThreads);
  Value ctas = arith::CeilDivUIOp::create(b, total, threads);
  Value one = constIndex(b, 1);
  Value atLeastOne = arith::MaxUIOp::create(b, ctas, one);
  Value cap = constIndex(b, kElementwiseMaxCTAs);
  Value grid = arith::MinUIOp::create(b, atLeastOne, cap);
  Type tokenType = gpu::AsyncTokenType::get(b.getContext());
  gpu::LaunchFuncOp::create(b, kernel, gpu::KernelDim3{grid, one, one},
                            gpu::KernelDim3{threads, one, one},
                            /*dynamicSharedMemorySize=*/Value(), args,
                            tokenType, ValueRange{token});
}
