//===- ScaledMatmul.cpp - block-scaled FP8 GEMM kernel --------------------===//
//
// Part of the vllm-mlir project.
//
//===----------------------------------------------------------------------===//
//
// A straightforward SIMT kernel for vllm.scaled_matmul (SPEC.md 3.5), correct
// first; tensor cores are a later step. A CTA computes a 64x64 tile of D with
// 256 threads (4x4 outputs each). Per 128-wide K block it accumulates
// A[m,k] * B[n,k] in f32 from shared-memory tiles (fp8 decoded with
// cvt.rn.f16x2.e4m3x2, exact), then adds (sa(m,kb) * sb(n,kb)) * partial to
// the f32 result, which is rounded to the output type once at the end.
//
// Every scale format the op accepts is decoded here: activation scales per
// group (f32 or UE8M0-in-f32, row-major or MN-major; packed UE8M0 words),
// per row or per tensor; weight scales per 128x128 block, per row (channel)
// or per tensor.
//
//===----------------------------------------------------------------------===//

#include "Codegen.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

using namespace mlir;
using namespace mlir::vllm;
using namespace mlir::vllm::codegen;

/// K extent of a shared-memory tile (four per 128-wide scale block).
constexpr int64_t kTileK = 32;
constexpr int64_t kScaleBlock = 128;
/// Outputs per thread along M and N.
constexpr int64_t kPerThread = 4;
constexpr int64_t kThreadsN = kMatmulTileN / kPerThread;

static std::string formatName(ScaleFormatAttr format) {
  std::string name;
  llvm::raw_string_ostream os(name);
  switch (format.getGranularity()) {
  case ScaleGranularity::Tensor:
    os << "tensor";
    break;
  case ScaleGranularity::Row:
    os << "row";
    break;
  case ScaleGranularity::Group:
    os << "group" << format.getGroupSize() << "_"
       << stringifyScaleEncoding(format.getEncoding()) << "_"
       << stringifyScaleLayout(format.getLayout());
    if (format.getLayout() == ScaleLayout::MNMajor)
      os << format.getAlign();
    break;
  case ScaleGranularity::Block:
    os << "block" << format.getBlockRows() << "x" << format.getBlockCols()
       << "_" << stringifyScaleEncoding(format.getEncoding());
    break;
  }
  return name;
}

LogicalResult codegen::checkMatmulSupported(const MatmulSpec &spec,
                                            std::string &reason) {
  if (!spec.aFormat || !spec.bFormat) {
    reason = "scale operands without a #vllm.scales encoding";
    return failure();
  }
  if (spec.aFormat.getGranularity() == ScaleGranularity::Block ||
      (spec.aFormat.isGroup() && spec.aFormat.getGroupSize() != kScaleBlock)) {
    reason = "activation scales must be 1x128 groups, per row or per tensor";
    return failure();
  }
  if (spec.bFormat.isGroup() ||
      (spec.bFormat.getGranularity() == ScaleGranularity::Block &&
       (spec.bFormat.getBlockRows() != kScaleBlock ||
        spec.bFormat.getBlockCols() != kScaleBlock))) {
    reason = "weight scales must be 128x128 blocks, per row or per tensor";
    return failure();
  }
  if ((spec.aFormat.isGroup() ||
       spec.bFormat.getGranularity() == ScaleGranularity::Block) &&
      spec.k % kScaleBlock != 0) {
    reason = "block scaling needs K % 128 == 0";
    return failure();
  }
  if (!spec.resultType.isBF16() && !spec.resultType.isF32()) {
    reason = "the result must be bf16 or f32";
    return failure();
  }
  return success();
}

std::string codegen::getMatmulKernelName(const MatmulSpec &spec) {
  return ("scaled_matmul_n" + Twine(spec.n) + "_k" + Twine(spec.k) + "_" +
          (spec.resultType.isBF16() ? "bf16" : "f32") + "_a_" +
          formatName(spec.aFormat) + "_b_" + formatName(spec.bFormat))
      .str();
}

/// The f32 value of a UE8M0 byte: 2^(e - 127); 0 is 2^-127 (an f32
/// subnormal), 255 is NaN.
static Value emitDecodeUE8M0(ImplicitLocOpBuilder &b, Value byte) {
  Value bits = emitPowerOfTwoBits(b, byte);
  Value nanByte = constI32(b, 255);
  Value isNaN =
      arith::CmpIOp::create(b, arith::CmpIPredicate::eq, byte, nanByte);
  Value nanBits = constI32(b, 0x7FC00000);
  bits = arith::SelectOp::create(b, isNaN, nanBits, bits);
  return arith::BitcastOp::create(b, b.getF32Type(), bits);
}

SmallVector<Value> codegen::getMatmulActivationScaleIndices(
    ImplicitLocOpBuilder &b, ScaleFormatAttr format, Value m, Value kb) {
  switch (format.getGranularity()) {
  case ScaleGranularity::Tensor:
    return {constIndex(b, 0)};
  case ScaleGranularity::Row:
    return {m};
  case ScaleGranularity::Group:
    break;
  case ScaleGranularity::Block:
    llvm_unreachable("rejected by checkMatmulSupported");
  }
  if (format.isPacked()) {
    // Word kb / 4 of row m holds the exponents of K blocks 4 (kb / 4) ..
    // + 3, K block kb in byte kb % 4.
    Value bytesPerWord = constIndex(b, 4);
    Value wordIndex = arith::DivUIOp::create(b, kb, bytesPerWord);
    return {wordIndex, m};
  }
  if (format.getLayout() == ScaleLayout::RowMajor)
    return {m, kb};
  return {kb, m};
}

Value codegen::decodeMatmulActivationScale(ImplicitLocOpBuilder &b,
                                           ScaleFormatAttr format,
                                           Value element, Value kb) {
  if (!format.isPacked())
    return element;
  Value bytesPerWord = constIndex(b, 4);
  Value byteIndex = arith::RemUIOp::create(b, kb, bytesPerWord);
  Value bitsPerByte = constIndex(b, 8);
  Value shiftIndex = arith::MulIOp::create(b, byteIndex, bitsPerByte);
  Value shift = arith::IndexCastOp::create(b, b.getI32Type(), shiftIndex);
  Value shifted = arith::ShRUIOp::create(b, element, shift);
  Value byteMask = constI32(b, 0xFF);
  Value byte = arith::AndIOp::create(b, shifted, byteMask);
  return emitDecodeUE8M0(b, byte);
}

Value codegen::emitMatmulActivationScale(ImplicitLocOpBuilder &b,
                                         ScaleFormatAttr format, Value scales,
                                         Value m, Value kb) {
  SmallVector<Value> indices =
      getMatmulActivationScaleIndices(b, format, m, kb);
  Value element = memref::LoadOp::create(b, scales, indices);
  return decodeMatmulActivationScale(b, format, element, kb);
}

SmallVector<Value> codegen::getMatmulWeightScaleIndices(ImplicitLocOpBuilder &b,
                                                        ScaleFormatAttr format,
                                                        Value n, Value kb) {
  switch (format.getGranularity()) {
  case ScaleGranularity::Tensor:
    return {constIndex(b, 0)};
  case ScaleGranularity::Row:
    return {n};
  case ScaleGranularity::Block: {
    Value blockSize = constIndex(b, kScaleBlock);
    Value nBlock = arith::DivUIOp::create(b, n, blockSize);
    return {nBlock, kb};
  }
  case ScaleGranularity::Group:
    break;
  }
  llvm_unreachable("rejected by checkMatmulSupported");
}

Value codegen::emitMatmulWeightScale(ImplicitLocOpBuilder &b,
                                     ScaleFormatAttr format, Value scales,
                                     Value n, Value kb) {
  SmallVector<Value> indices = getMatmulWeightScaleIndices(b, format, n, kb);
  return memref::LoadOp::create(b, scales, indices);
}

/// Decodes the fp8 vector `bytes` (vector<N x f8E4M3FN>) to N f32 values;
/// the conversion is exact.
static SmallVector<Value> emitDecodeFP8(ImplicitLocOpBuilder &b, Value bytes) {
  auto type = cast<VectorType>(bytes.getType());
  int64_t n = type.getNumElements();
  Type i8 = b.getI8Type();
  Value raw = vector::BitCastOp::create(b, VectorType::get({n}, i8), bytes);
  auto f16x2 = VectorType::get({2}, b.getF16Type());
  auto f32x2 = VectorType::get({2}, b.getF32Type());
  Type fp8 = Float8E4M3FNType::get(b.getContext());
  SmallVector<Value> values;
  for (int64_t i = 0; i < n; i += 2) {
    Value lo = vector::ExtractOp::create(b, raw, i);
    Value hi = i + 1 < n ? vector::ExtractOp::create(b, raw, i + 1).getResult()
                         : arith::ConstantIntOp::create(b, 0, 8).getResult();
    Value pair =
        vector::FromElementsOp::create(b, VectorType::get({2}, i8), {lo, hi});
    Value halves = NVVM::ConvertF8x2ToF16x2Op::create(b, f16x2, pair,
                                                      /*relu=*/false, fp8);
    Value floats = arith::ExtFOp::create(b, f32x2, halves);
    values.push_back(vector::ExtractOp::create(b, floats, 0));
    if (i + 1 < n)
      values.push_back(vector::ExtractOp::create(b, floats, 1));
  }
  return values;
}

/// Loads a 64 x kTileK fp8 tile of `matrix` (rows from `rowBase`, K from
/// `k0`) into `tile` (kTileK x 64 f32, K-major so the inner product reads
/// four consecutive rows or columns at once). Out-of-range elements are 0.
static void emitLoadTile(ImplicitLocOpBuilder &b, Value matrix, Value rowBase,
                         Value rowLimit, Value k0, int64_t k, Value tile,
                         Value tid) {
  // The widest vector that keeps every row's chunks aligned.
  int64_t width = 16;
  while (k % width != 0)
    width /= 2;
  int64_t chunksPerRow = kTileK / width;
  int64_t chunks = kMatmulTileM * chunksPerRow;
  auto vecType =
      VectorType::get({width}, Float8E4M3FNType::get(b.getContext()));
  for (int64_t first = 0; first < chunks; first += kMatmulThreads) {
    Value chunk = arith::AddIOp::create(b, tid, constIndex(b, first));
    Value inTile = first + kMatmulThreads <= chunks
                       ? Value()
                       : arith::CmpIOp::create(b, arith::CmpIPredicate::ult,
                                               chunk, constIndex(b, chunks))
                             .getResult();
    emitIf(b, inTile, [&] {
      Value r = arith::DivUIOp::create(b, chunk, constIndex(b, chunksPerRow));
      Value chunksPerRowValue = constIndex(b, chunksPerRow);
      Value chunkInRow = arith::RemUIOp::create(b, chunk, chunksPerRowValue);
      Value widthValue = constIndex(b, width);
      Value kc = arith::MulIOp::create(b, chunkInRow, widthValue);
      Value row = arith::AddIOp::create(b, rowBase, r);
      Value col = arith::AddIOp::create(b, k0, kc);
      Value rowValid =
          arith::CmpIOp::create(b, arith::CmpIPredicate::ult, row, rowLimit);
      Value depth = constIndex(b, k);
      Value colValid =
          arith::CmpIOp::create(b, arith::CmpIPredicate::ult, col, depth);
      Value valid = arith::AndIOp::create(b, rowValid, colValid);
      Value bytes =
          emitGuardedLoad(b, valid, vecType, matrix, {row, col}, width);
      for (auto [e, value] : llvm::enumerate(emitDecodeFP8(b, bytes))) {
        Value kk = arith::AddIOp::create(b, kc, constIndex(b, e));
        memref::StoreOp::create(b, value, tile, ValueRange{kk, r});
      }
    });
  }
}

gpu::GPUFuncOp codegen::buildScaledMatmulKernel(OpBuilder &moduleBuilder,
                                                Location loc,
                                                const MatmulSpec &spec,
                                                const TargetChipInfo &chip) {
  (void)chip; // The SIMT kernel uses only conversions every chip has.
  MLIRContext *ctx = moduleBuilder.getContext();
  int64_t dyn = ShapedType::kDynamic;
  Type fp8 = Float8E4M3FNType::get(ctx);
  Type f32 = moduleBuilder.getF32Type();
  SmallVector<Type> argTypes = {
      MemRefType::get({dyn, spec.k}, fp8),
      MemRefType::get({spec.n, spec.k}, fp8), spec.aScaleType, spec.bScaleType,
      MemRefType::get({dyn, spec.n}, spec.resultType)};
  auto func =
      gpu::GPUFuncOp::create(moduleBuilder, loc, getMatmulKernelName(spec),
                             moduleBuilder.getFunctionType(argTypes, {}));
  func->setAttr(gpu::GPUDialect::getKernelFuncAttrName(),
                moduleBuilder.getUnitAttr());
  func.setKnownBlockSizeAttr(moduleBuilder.getDenseI32ArrayAttr(
      {static_cast<int32_t>(kMatmulThreads), 1, 1}));
  Value aTile = addWorkgroupBuffer(func, {kTileK, kMatmulTileM}, f32);
  Value bTile = addWorkgroupBuffer(func, {kTileK, kMatmulTileN}, f32);
  Value a = func.getArgument(0), bMat = func.getArgument(1),
        sa = func.getArgument(2), sb = func.getArgument(3),
        d = func.getArgument(4);

  ImplicitLocOpBuilder b(loc, ctx);
  b.setInsertionPointToStart(&func.getBody().front());
  Value tid = gpu::ThreadIdOp::create(b, gpu::Dimension::x);
  Value tx = arith::RemUIOp::create(b, tid, constIndex(b, kThreadsN));
  Value ty = arith::DivUIOp::create(b, tid, constIndex(b, kThreadsN));
  Value blockX = gpu::BlockIdOp::create(b, gpu::Dimension::x);
  Value tileCols = constIndex(b, kMatmulTileN);
  Value n0 = arith::MulIOp::create(b, blockX, tileCols);
  Value blockY = gpu::BlockIdOp::create(b, gpu::Dimension::y);
  Value tileRows = constIndex(b, kMatmulTileM);
  Value m0 = arith::MulIOp::create(b, blockY, tileRows);
  Value rows = memref::DimOp::create(b, a, 0);
  Value cols = constIndex(b, spec.n);
  Value myRow0 = arith::AddIOp::create(
      b, m0, arith::MulIOp::create(b, ty, constIndex(b, kPerThread)));
  Value myCol0 = arith::AddIOp::create(
      b, n0, arith::MulIOp::create(b, tx, constIndex(b, kPerThread)));
  // Clamped indices keep the scale loads of rows/columns past the edge in
  // bounds; their results are never stored.
  SmallVector<Value> myRows, myCols, rowValid, colValid, clampedRows,
      clampedCols;
  Value lastRow = arith::SubIOp::create(b, rows, constIndex(b, 1));
  for (int64_t i = 0; i < kPerThread; ++i) {
    Value m = arith::AddIOp::create(b, myRow0, constIndex(b, i));
    Value n = arith::AddIOp::create(b, myCol0, constIndex(b, i));
    myRows.push_back(m);
    myCols.push_back(n);
    rowValid.push_back(
        arith::CmpIOp::create(b, arith::CmpIPredicate::ult, m, rows));
    colValid.push_back(
        arith::CmpIOp::create(b, arith::CmpIPredicate::ult, n, cols));
    clampedRows.push_back(arith::MinUIOp::create(b, m, lastRow));
    clampedCols.push_back(
        arith::MinUIOp::create(b, n, constIndex(b, spec.n - 1)));
  }

  constexpr int64_t kOutputs = kPerThread * kPerThread;
  SmallVector<Value> zeros(kOutputs, constF32(b, 0.0f));
  int64_t kBlocks = llvm::divideCeil(spec.k, kScaleBlock);
  Value zeroIndex = constIndex(b, 0);
  Value numBlocks = constIndex(b, kBlocks);
  Value oneIndex = constIndex(b, 1);
  auto blockLoop = scf::ForOp::create(b, zeroIndex, numBlocks, oneIndex, zeros);
  {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(blockLoop.getBody());
    Value kb = blockLoop.getInductionVar();
    // Partial sums of this 128-wide K block.
    Value tileStart = constIndex(b, 0);
    Value tilesPerBlock = constIndex(b, kScaleBlock / kTileK);
    Value tileStep = constIndex(b, 1);
    auto tileLoop =
        scf::ForOp::create(b, tileStart, tilesPerBlock, tileStep, zeros);
    {
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointToStart(tileLoop.getBody());
      Value scaleBlock = constIndex(b, kScaleBlock);
      Value blockStart = arith::MulIOp::create(b, kb, scaleBlock);
      Value tileK = constIndex(b, kTileK);
      Value tileOffset =
          arith::MulIOp::create(b, tileLoop.getInductionVar(), tileK);
      Value k0 = arith::AddIOp::create(b, blockStart, tileOffset);
      emitLoadTile(b, a, m0, rows, k0, spec.k, aTile, tid);
      emitLoadTile(b, bMat, n0, cols, k0, spec.k, bTile, tid);
      gpu::BarrierOp::create(b);
      Value innerStart = constIndex(b, 0);
      Value innerEnd = constIndex(b, kTileK);
      Value innerStep = constIndex(b, 1);
      auto innerLoop = scf::ForOp::create(b, innerStart, innerEnd, innerStep,
                                          tileLoop.getRegionIterArgs());
      {
        OpBuilder::InsertionGuard guard(b);
        b.setInsertionPointToStart(innerLoop.getBody());
        Value kk = innerLoop.getInductionVar();
        auto quad = VectorType::get({kPerThread}, f32);
        Value aQuad = vector::LoadOp::create(
            b, quad, aTile,
            ValueRange{kk,
                       arith::MulIOp::create(b, ty, constIndex(b, kPerThread))},
            false, llvm::MaybeAlign(16));
        Value bQuad = vector::LoadOp::create(
            b, quad, bTile,
            ValueRange{kk,
                       arith::MulIOp::create(b, tx, constIndex(b, kPerThread))},
            false, llvm::MaybeAlign(16));
        SmallVector<Value> next;
        for (int64_t i = 0; i < kPerThread; ++i) {
          Value av = vector::ExtractOp::create(b, aQuad, i);
          for (int64_t j = 0; j < kPerThread; ++j) {
            Value bv = vector::ExtractOp::create(b, bQuad, j);
            next.push_back(emitFma(
                b, av, bv, innerLoop.getRegionIterArgs()[i * kPerThread + j]));
          }
        }
        scf::YieldOp::create(b, next);
      }
      gpu::BarrierOp::create(b);
      scf::YieldOp::create(b, innerLoop.getResults());
    }
    SmallVector<Value> aScales, bScales;
    for (int64_t i = 0; i < kPerThread; ++i) {
      aScales.push_back(
          emitMatmulActivationScale(b, spec.aFormat, sa, clampedRows[i], kb));
      bScales.push_back(
          emitMatmulWeightScale(b, spec.bFormat, sb, clampedCols[i], kb));
    }
    SmallVector<Value> next;
    for (int64_t i = 0; i < kPerThread; ++i)
      for (int64_t j = 0; j < kPerThread; ++j) {
        int64_t idx = i * kPerThread + j;
        Value scale = arith::MulFOp::create(b, aScales[i], bScales[j]);
        Value term = arith::MulFOp::create(b, scale, tileLoop.getResult(idx));
        next.push_back(
            arith::AddFOp::create(b, blockLoop.getRegionIterArgs()[idx], term));
      }
    scf::YieldOp::create(b, next);
  }

  // D = RN_out(accumulator).
  int64_t outBytes = spec.resultType.getIntOrFloatBitWidth() / 8;
  for (int64_t i = 0; i < kPerThread; ++i) {
    SmallVector<Value> values;
    for (int64_t j = 0; j < kPerThread; ++j)
      values.push_back(blockLoop.getResult(i * kPerThread + j));
    if (spec.n % kPerThread == 0) {
      // The four columns are all in range or all out, and 4-aligned.
      Value valid = arith::AndIOp::create(b, rowValid[i], colValid[0]);
      emitGuardedStore(b, valid, truncToVector(b, values, spec.resultType), d,
                       {myRows[i], myCols[0]}, kPerThread * outBytes);
      continue;
    }
    for (int64_t j = 0; j < kPerThread; ++j) {
      Value valid = arith::AndIOp::create(b, rowValid[i], colValid[j]);
      emitIf(b, valid, [&] {
        Value value = values[j];
        if (!spec.resultType.isF32())
          value = arith::TruncFOp::create(b, spec.resultType, value);
        memref::StoreOp::create(b, value, d, ValueRange{myRows[i], myCols[j]});
      });
    }
  }
  gpu::ReturnOp::create(b);
  return func;
}
