//===- CompilePipeline.cpp - vllm-gpu-pipeline ----------------------------===//
//
// Part of the vllm-mlir project.
//
//===----------------------------------------------------------------------===//
//
// The lowering sequence follows upstream's gpu-lower-to-nvvm-pipeline
// (mlir/lib/Dialect/GPU/Pipelines/GPUToNVVMPipeline.cpp) with three
// differences: the target is not attached by nvvm-attach-target (the
// conversion records it, so the chip is visible and testable in the IR and
// no second default target sneaks in); vllm-check-nvvm-target runs before
// serialization so a kernel the chip cannot run is a diagnostic, not an
// LLVM fatal error; and the graph-level fusion can run first.
//
//===----------------------------------------------------------------------===//

#include "vllm-mlir/Pipelines/CompilePipeline.h"
#include "vllm-mlir/Conversion/Passes.h"
#include "vllm-mlir/Dialect/Vllm/Transforms/Passes.h"

#include "mlir/Conversion/AffineToStandard/AffineToStandard.h"
#include "mlir/Conversion/ArithToLLVM/ArithToLLVM.h"
#include "mlir/Conversion/FuncToLLVM/ConvertFuncToLLVMPass.h"
#include "mlir/Conversion/GPUCommon/GPUCommonPass.h"
#include "mlir/Conversion/GPUToNVVM/GPUToNVVMPass.h"
#include "mlir/Conversion/IndexToLLVM/IndexToLLVM.h"
#include "mlir/Conversion/MathToLLVM/MathToLLVM.h"
#include "mlir/Conversion/NVVMToLLVM/NVVMToLLVM.h"
#include "mlir/Conversion/ReconcileUnrealizedCasts/ReconcileUnrealizedCasts.h"
#include "mlir/Conversion/SCFToControlFlow/SCFToControlFlow.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/GPU/Transforms/Passes.h"
#include "mlir/Dialect/LLVMIR/Transforms/OptimizeForNVVM.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Target/LLVM/NVVM/Target.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/GPU/GPUToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/NVVM/NVVMToLLVMIRTranslation.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;
using namespace mlir::vllm;

/// The fusion pipeline lives in another library; it is looked up by name so
/// that this one does not depend on it.
static constexpr StringLiteral kFusionPipeline = "vllm-fusion-pipeline";

/// gpu-module-to-binary's name for a format, or "" when unknown.
static StringRef getCompilationTarget(StringRef format) {
  if (format == "cubin" || format == "bin")
    return "bin";
  if (format == "ptx" || format == "isa")
    return "isa";
  if (format == "fatbin")
    return "fatbin";
  return "";
}

void vllm::buildVllmGpuPipeline(OpPassManager &pm,
                                const GpuPipelineOptions &options) {
  // Options that cannot be honoured are reported by the first pass, before
  // anything changes.
  VllmCheckNVVMTargetPassOptions checkOptions;
  checkOptions.format = options.format;
  checkOptions.toolkit = options.toolkit;
  if (options.fuse) {
    const PassPipelineInfo *fusion = PassPipelineInfo::lookup(kFusionPipeline);
    std::string fusionOptions =
        options.fusionChip.empty() ? "" : "chip=" + options.fusionChip;
    std::string fusionName =
        (kFusionPipeline +
         (fusionOptions.empty() ? std::string() : "{" + fusionOptions + "}"))
            .str();
    std::string fusionError;
    if (!fusion)
      checkOptions.pipelineError = "the pipeline needs the pass '" +
                                   fusionName + "', which is not registered";
    else if (failed(fusion->addToPipeline(pm, fusionOptions,
                                          [&](const Twine &message) {
                                            fusionError = message.str();
                                            return failure();
                                          })))
      // The fusion pipeline's own message says which option is wrong (an
      // unknown fusion-chip).
      checkOptions.pipelineError =
          fusionError.empty() ? "invalid options of '" + fusionName + "'"
                              : fusionError;
  }
  pm.addPass(createVllmCheckNVVMTargetPass(checkOptions));

  // The manifest describes the functions as the conversion sees them, after
  // the fusion. It is written after the first check (not for a bad format,
  // toolkit or fusion option); the conversion checks its own options later.
  if (!options.manifest.empty()) {
    VllmExportManifestPassOptions manifestOptions;
    manifestOptions.output = options.manifest;
    pm.addPass(createVllmExportManifestPass(manifestOptions));
  }

  ConvertVllmToGPUPassOptions convertOptions;
  convertOptions.chip = options.chip;
  convertOptions.features = options.features;
  convertOptions.optLevel = options.optLevel;
  convertOptions.rowPrefetch = options.rowPrefetch;
  convertOptions.weightStagingRows = options.weightStagingRows;
  convertOptions.siluTableRows = options.siluTableRows;
  convertOptions.rowThreadFolding = options.rowThreadFolding;
  convertOptions.matmulKernel = options.matmulKernel;
  convertOptions.allReduce = options.allReduce;
  convertOptions.matmulSplitK = options.matmulSplitK;
  pm.addPass(createConvertVllmToGPUPass(convertOptions));
  // The conversion of functions on buffers is partial; what it leaves and
  // the rest of the pipeline cannot lower is diagnosed here.
  pm.addPass(createVllmCheckHostCodePass());

  // Host and kernels: structured control flow, functions, memref metadata.
  pm.addPass(createSCFToControlFlowPass());
  pm.addPass(createConvertNVVMToLLVMPass());
  pm.addPass(createConvertFuncToLLVMPass());
  pm.addPass(memref::createExpandStridedMetadataPass());
  pm.addPass(createLowerAffinePass());
  pm.addPass(createArithToLLVMConversionPass());
  pm.addPass(createConvertIndexToLLVMPass());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());

  // Kernels.
  OpPassManager &kernels = pm.nest<gpu::GPUModuleOp>();
  kernels.addPass(createStripDebugInfoPass());
  kernels.addPass(createConvertGpuOpsToNVVMOps());
  kernels.addPass(LLVM::createNVVMOptimizeForTargetPass());
  kernels.addPass(createCanonicalizerPass());
  kernels.addPass(createCSEPass());
  kernels.addPass(createReconcileUnrealizedCastsPass());

  // Host launch code, then the kernels become a binary.
  pm.addPass(createGpuToLLVMConversionPass());
  VllmCheckNVVMTargetPassOptions finalCheck;
  pm.addPass(createVllmCheckNVVMTargetPass(finalCheck));
  GpuModuleToBinaryPassOptions binaryOptions;
  StringRef target = getCompilationTarget(options.format);
  // An unknown format was reported by the first check; any value will do.
  binaryOptions.compilationTarget = target.empty() ? "bin" : target.str();
  binaryOptions.toolkitPath = options.toolkit;
  pm.addPass(createGpuModuleToBinaryPass(binaryOptions));
  pm.addPass(createConvertMathToLLVMPass());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
  pm.addPass(createReconcileUnrealizedCastsPass());
}

void vllm::registerVllmGpuPipeline() {
  PassPipelineRegistration<GpuPipelineOptions>(
      "vllm-gpu-pipeline",
      "Compile vllm ops on tensors (or their buffer forms) to host functions "
      "that launch embedded "
      "kernels (gpu.binary) on a caller-provided stream",
      buildVllmGpuPipeline);
}

void vllm::registerVllmGpuPipelineDependencies(DialectRegistry &registry) {
  registerAllExtensions(registry);
  NVVM::registerNVVMTargetInterfaceExternalModels(registry);
  registerBuiltinDialectTranslation(registry);
  registerLLVMDialectTranslation(registry);
  registerNVVMDialectTranslation(registry);
  registerGPUDialectTranslation(registry);
}
