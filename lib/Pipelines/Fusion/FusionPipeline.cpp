//===- FusionPipeline.cpp - the vllm fusion pipeline ----------------------===//
//
// Part of the vllm-mlir project.
//
//===----------------------------------------------------------------------===//

#include "vllm-mlir/Pipelines/FusionPipeline.h"
#include "vllm-mlir/Dialect/Vllm/Transforms/Passes.h"

#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;
using namespace mlir::vllm;

void mlir::vllm::buildVllmFusionPipeline(OpPassManager &pm,
                                         const FusionPipelineOptions &options) {
  // Layout selection first: the fused ops are then created with the final
  // scheme (the two passes commute, this order just rewrites fewer ops).
  if (!options.chip.empty()) {
    VllmSelectScaleLayoutPassOptions layoutOptions;
    layoutOptions.chip = options.chip;
    pm.addPass(createVllmSelectScaleLayoutPass(layoutOptions));
  }
  pm.addPass(createVllmFuseNormQuantPass());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
}

void mlir::vllm::registerVllmFusionPipeline() {
  registerPassPipeline(
      "vllm-fusion-pipeline",
      "Select the scale layout for a chip (option chip=sm_90a|sm_100a), fuse "
      "RMSNorm + quantize, canonicalize and CSE",
      [](OpPassManager &pm, StringRef optionsString,
         function_ref<LogicalResult(const Twine &)> errorHandler) {
        FusionPipelineOptions options;
        if (failed(options.parseFromString(optionsString)))
          return failure();
        if (!options.chip.empty() && !symbolizeChip(options.chip))
          return errorHandler("vllm-fusion-pipeline: unknown chip '" +
                              options.chip + "' (expected sm_90a or sm_100a)");
        buildVllmFusionPipeline(pm, options);
        return success();
      },
      [](function_ref<void(const mlir::detail::PassOptions &)> optionHandler) {
        optionHandler(FusionPipelineOptions());
      });
}
