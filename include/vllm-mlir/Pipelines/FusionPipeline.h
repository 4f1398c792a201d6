//===- FusionPipeline.h - the vllm fusion pipeline --------------*- C++ -*-===//
//
// Part of the vllm-mlir project.
//
//===----------------------------------------------------------------------===//
//
// The public entry point of the tensor-level optimizations: pick the scale
// layout for the target chip, fuse every RMSNorm + quantize, and clean up.
// Tools register it as `vllm-fusion-pipeline`; embedders call
// buildVllmFusionPipeline on their own pass manager.
//
//===----------------------------------------------------------------------===//

#ifndef VLLM_MLIR_PIPELINES_FUSIONPIPELINE_H
#define VLLM_MLIR_PIPELINES_FUSIONPIPELINE_H

#include "mlir/Pass/PassOptions.h"

#include <string>

namespace mlir {
class OpPassManager;

namespace vllm {

/// Options of `vllm-fusion-pipeline`, e.g.
/// `--vllm-fusion-pipeline="chip=sm_100a"`.
struct FusionPipelineOptions
    : public PassPipelineOptions<FusionPipelineOptions> {
  PassOptions::Option<std::string> chip{
      *this, "chip",
      llvm::cl::desc("target chip (sm_90a or sm_100a); when given, the "
                     "activation scales feeding scaled_matmuls are given the "
                     "format that chip's GEMM consumes"),
      llvm::cl::init("")};
};

/// Adds to `pm`: vllm-select-scale-layout (only when `options.chip` is set),
/// vllm-fuse-norm-quant, canonicalize, cse. An unknown chip makes the
/// layout pass fail with an error when the pipeline runs.
void buildVllmFusionPipeline(OpPassManager &pm,
                             const FusionPipelineOptions &options);

/// Registers `vllm-fusion-pipeline`; an unknown chip in the pipeline string
/// is reported when the pipeline is parsed.
void registerVllmFusionPipeline();

} // namespace vllm
} // namespace mlir

#endif // VLLM_MLIR_PIPELINES_FUSIONPIPELINE_H
