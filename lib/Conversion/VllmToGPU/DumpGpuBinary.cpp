//===- DumpGpuBinary.cpp - vllm-dump-gpu-binary ---------------------------===//
//
// Part of the vllm-mlir project.
//
//===----------------------------------------------------------------------===//
//
// Writes the embedded kernel objects out so that tools (ptxas -v, cuobjdump,
// FileCheck) can look at them.
//
//===----------------------------------------------------------------------===//

#include "vllm-mlir/Conversion/Passes.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Support/FileUtilities.h"
#include "llvm/Support/ToolOutputFile.h"

namespace mlir {
namespace vllm {
#define GEN_PASS_DEF_VLLMDUMPGPUBINARYPASS
#include "vllm-mlir/Conversion/Passes.h.inc"
} // namespace vllm
} // namespace mlir

using namespace mlir;

namespace {
struct VllmDumpGpuBinaryPass
    : public vllm::impl::VllmDumpGpuBinaryPassBase<VllmDumpGpuBinaryPass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<gpu::ObjectAttr> objects;
    module.walk([&](gpu::BinaryOp binary) {
      for (auto object : binary.getObjects().getAsRange<gpu::ObjectAttr>())
        objects.push_back(object);
    });
    if (objects.empty()) {
      emitError(module.getLoc(),
                "no gpu.binary to dump: run gpu-module-to-binary "
                "(or the vllm-gpu-pipeline) first");
      return signalPassFailure();
    }
    std::string error;
    std::unique_ptr<llvm::ToolOutputFile> file = openOutputFile(output, &error);
    if (!file) {
      emitError(module.getLoc(), "cannot open '") << output << "': " << error;
      return signalPassFailure();
    }
    for (gpu::ObjectAttr object : objects)
      file->os() << object.getObject().getValue();
    file->keep();
  }
};
} // namespace
