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

namespace mlir {
namespace vllm {
#define GEN_PASS_DEF_VLLMCHECKNVVMTARGETPASS
#include "vllm-mlir/Conversion/Passes.h.inc"
} // namespace vllm
} // namespace mlir

using namespace mlir;
using namespace mlir::vllm;

namespace {
struct VllmCheckNVVMTargetPass
    : public vllm::impl::VllmCheckNVVMTargetPassBase<VllmCheckNVVMTargetPass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    bool ok = true;
    if (!missingPass.empty()) {
      emitError(module.getLoc(), "the pipeline needs the pass '")
          << missingPass << "', which is not registered";
      ok = false;
    }
    if (!format.empty() && format != "ptx" && format != "isa" &&
        format != "cubin" && format != "bin" && format != "fatbin") {
      emitError(module.getLoc(), "unknown kernel binary format '")
          << format << "': expected cubin, ptx or fatbin";
      ok = false;
    }
    module.walk([&](gpu::GPUModuleOp gpuModule) {
      ArrayAttr targets = gpuModule.getTargetsAttr();
      if (!targets)
        return;
      for (auto target : targets.getAsRange<NVVM::NVVMTargetAttr>()) {
        const TargetChipInfo *chip = lookupTargetChip(target.getChip());
        if (!chip) {
          gpuModule.emitError("target chip '")
              << target.getChip() << "' is not supported: supported chips are "
              << getSupportedChipNames();
          ok = false;
          continue;
        }
        if (failed(resolveTargetFeatures(*chip, target.getFeatures(), [&] {
              return gpuModule.emitError();
            }))) {
          ok = false;
          continue;
        }
        gpuModule.walk([&](Operation *op) {
          if (failed(verifyAvailableOn(op, *chip)))
            ok = false;
        });
      }
    });
    if (!ok)
      signalPassFailure();
  }
};
} // namespace
