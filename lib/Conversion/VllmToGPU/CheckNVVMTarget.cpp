//===- CheckNVVMTarget.cpp - vllm-check-nvvm-target -----------------------===//
//
// Part of the vllm-mlir project.
//
//===----------------------------------------------------------------------===//
//
// Runs before serialization: whatever would make the NVPTX backend report a
// fatal error (and abort the process) is diagnosed here instead, against the
// chip table of TargetChip.h.
//
//===----------------------------------------------------------------------===//

#include "vllm-mlir/Conversion/Passes.h"
#include "vllm-mlir/Conversion/VllmToGPU/TargetChip.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"

namespace mlir {
namespace vllm {
#define GEN_PASS_DEF_VLLMCHECKNVVMTARGETPASS
#include "vllm-mlir/Conversion/Passes.h.inc"
} // namespace vllm
} // namespace mlir

using namespace mlir;
using namespace mlir::vllm;

/// Every target of `gpuModule` names a supported chip and PTX version, and
/// every NVVM operation inside is available on it.
static LogicalResult checkGpuModule(gpu::GPUModuleOp gpuModule) {
  ArrayAttr targets = gpuModule.getTargetsAttr();
  if (!targets)
    return success();
  bool ok = true;
  for (auto target : targets.getAsRange<NVVM::NVVMTargetAttr>()) {
    const TargetChipInfo *chip = lookupTargetChip(target.getChip());
    if (!chip) {
      gpuModule.emitError("target chip '")
          << target.getChip() << "' is not supported: supported chips are "
          << getSupportedChipNames();
      ok = false;
      continue;
    }
    FailureOr<std::string> features = resolveTargetFeatures(
        *chip, target.getFeatures(), [&] { return gpuModule.emitError(); });
    if (failed(features)) {
      ok = false;
      continue;
    }
    unsigned ptxVersion = getPtxVersion(*features);
    gpuModule.walk([&](Operation *op) {
      if (failed(verifyAvailableOn(op, *chip, ptxVersion)))
        ok = false;
    });
  }
  return success(ok);
}

namespace {
struct VllmCheckNVVMTargetPass
    : public vllm::impl::VllmCheckNVVMTargetPassBase<VllmCheckNVVMTargetPass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    bool ok = true;
    if (!pipelineError.empty()) {
      emitError(module.getLoc(), pipelineError);
      ok = false;
    }
    bool isBinary = format == "cubin" || format == "bin" || format == "fatbin";
    if (!format.empty() && format != "ptx" && format != "isa" && !isBinary) {
      emitError(module.getLoc(), "unknown kernel binary format '")
          << format << "': expected cubin, ptx or fatbin";
      ok = false;
    }
    // gpu-module-to-binary reports a missing toolkit directory as an error
    // but then looks for ptxas on PATH and succeeds, so the pipeline would
    // exit successfully after an error; check it here, before any work.
    if (!toolkit.empty()) {
      SmallString<256> ptxas(toolkit);
      llvm::sys::path::append(ptxas, "bin", "ptxas");
      if (!llvm::sys::fs::is_directory(toolkit)) {
        emitError(module.getLoc(), "CUDA toolkit path '")
            << toolkit << "' is not a directory";
        ok = false;
      } else if (isBinary && !llvm::sys::fs::can_execute(ptxas)) {
        emitError(module.getLoc(), "CUDA toolkit path '")
            << toolkit << "' has no executable bin/ptxas, which format '"
            << format << "' needs";
        ok = false;
      }
    }
    // Kernel modules are not nested in functions: skipping function bodies
    // keeps the walk proportional to the module's top level, not to the
    // size of its host code.
    module.walk<WalkOrder::PreOrder>([&](Operation *op) {
      if (isa<FunctionOpInterface>(op))
        return WalkResult::skip();
      auto gpuModule = dyn_cast<gpu::GPUModuleOp>(op);
      if (!gpuModule)
        return WalkResult::advance();
      if (failed(checkGpuModule(gpuModule)))
        ok = false;
      return WalkResult::skip();
    });
    if (!ok)
      signalPassFailure();
  }
};
} // namespace
