//===- CheckHostCode.cpp - vllm-check-host-code ---------------------------===//
//
// Part of the vllm-mlir project.
//
//===----------------------------------------------------------------------===//
//
// After the partial conversion of functions on buffers, what the rest of
// vllm-gpu-pipeline cannot lower, or would run on the host against device
// memory, is diagnosed here instead of being left in the output.
//
//===----------------------------------------------------------------------===//

#include "vllm-mlir/Conversion/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/ControlFlow/IR/ControlFlowOps.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/Index/IR/IndexDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"

namespace mlir {
namespace vllm {
#define GEN_PASS_DEF_VLLMCHECKHOSTCODEPASS
#include "vllm-mlir/Conversion/Passes.h.inc"
} // namespace vllm
} // namespace mlir

using namespace mlir;
using namespace mlir::vllm;

/// Host ops the pipeline lowers and that touch no buffer contents.
static bool isCompilableHostOp(Operation *op) {
  if (isa<arith::ArithDialect, cf::ControlFlowDialect, func::FuncDialect,
          gpu::GPUDialect, index::IndexDialect, LLVM::LLVMDialect,
          math::MathDialect, scf::SCFDialect>(op->getDialect()))
    return true;
  return isa<UnrealizedConversionCastOp, memref::DimOp, memref::CastOp,
             memref::CollapseShapeOp, memref::ExpandShapeOp, memref::SubViewOp,
             memref::ReinterpretCastOp, memref::ExtractStridedMetadataOp,
             memref::ExtractAlignedPointerAsIndexOp>(op);
}

namespace {
struct VllmCheckHostCodePass
    : public vllm::impl::VllmCheckHostCodePassBase<VllmCheckHostCodePass> {
  void runOnOperation() override {
    bool ok = true;
    for (auto func : getOperation().getOps<func::FuncOp>()) {
      func.walk<WalkOrder::PreOrder>([&](Operation *op) {
        if (isCompilableHostOp(op))
          return WalkResult::advance();
        op->emitOpError("cannot be compiled by vllm-gpu-pipeline: after "
                        "convert-vllm-to-gpu a host function may hold only "
                        "launches, stream-ordered allocations and copies, "
                        "calls, scalar code and buffer views; lower it to "
                        "GPU kernels first (docs/design.md, Layering)");
        ok = false;
        return WalkResult::skip();
      });
    }
    if (!ok)
      signalPassFailure();
  }
};
} // namespace
