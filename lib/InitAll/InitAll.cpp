//===- InitAll.cpp - register everything vllm-mlir provides ---------------===//
//
// Part of the vllm-mlir project.
//
//===----------------------------------------------------------------------===//

#include "vllm-mlir/InitAll.h"
#include "vllm-mlir/Conversion/Passes.h"
#include "vllm-mlir/Dialect/Vllm/IR/VllmDialect.h"
#include "vllm-mlir/Dialect/Vllm/Transforms/BufferizableOpInterfaceImpl.h"
#include "vllm-mlir/Dialect/Vllm/Transforms/Passes.h"
#include "vllm-mlir/Pipelines/CompilePipeline.h"
#include "vllm-mlir/Pipelines/FusionPipeline.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Arith/Transforms/BufferizableOpInterfaceImpl.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Bufferization/Transforms/FuncBufferizableOpInterfaceImpl.h"
#include "mlir/Dialect/ControlFlow/IR/ControlFlow.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/BufferizableOpInterfaceImpl.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/SCF/Transforms/BufferizableOpInterfaceImpl.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Tensor/Transforms/BufferizableOpInterfaceImpl.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/DialectRegistry.h"

#include "vllm-mlir/Config.h"

using namespace mlir;

void vllm::registerAllDialects(DialectRegistry &registry) {
  registry.insert<vllm::VllmDialect, arith::ArithDialect,
                  bufferization::BufferizationDialect, cf::ControlFlowDialect,
                  func::FuncDialect, gpu::GPUDialect, linalg::LinalgDialect,
                  LLVM::LLVMDialect, NVVM::NVVMDialect, math::MathDialect,
                  memref::MemRefDialect, scf::SCFDialect, tensor::TensorDialect,
                  vector::VectorDialect>();
  vllm::registerVllmGpuPipelineDependencies(registry);
  // One-shot bufferization of modules that mix vllm ops with the upstream
  // ops around them (SPEC.md 3.9).
  vllm::registerBufferizableOpInterfaceExternalModels(registry);
  arith::registerBufferizableOpInterfaceExternalModels(registry);
  bufferization::func_ext::registerBufferizableOpInterfaceExternalModels(
      registry);
  linalg::registerBufferizableOpInterfaceExternalModels(registry);
  scf::registerBufferizableOpInterfaceExternalModels(registry);
  tensor::registerBufferizableOpInterfaceExternalModels(registry);
}

void vllm::registerAllPasses() {
  vllm::registerVllmPasses();
  vllm::registerVllmFusionPipeline();
  vllm::registerVllmConversionPasses();
  vllm::registerVllmGpuPipeline();
}

const char *vllm::getVersionString() { return VLLM_MLIR_VERSION_STRING; }
