//===- VllmPlugin.cpp - vllm dialect and pass plugin for mlir-opt ---------===//
//
// Part of the vllm-mlir project.
//
//===----------------------------------------------------------------------===//
//
// Lets an upstream `mlir-opt` load the vllm dialect and passes:
//   mlir-opt --load-dialect-plugin=VllmPlugin.so \
//            --load-pass-plugin=VllmPlugin.so ...
// The plugin links the same libMLIR.so as Debian's mlir-opt, so registries
// and command-line options are shared rather than duplicated.
//
//===----------------------------------------------------------------------===//

#include "vllm-mlir/Config.h"
#include "vllm-mlir/Dialect/Vllm/IR/VllmDialect.h"
#include "vllm-mlir/InitAll.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/Tools/Plugins/DialectPlugin.h"
#include "mlir/Tools/Plugins/PassPlugin.h"

extern "C" LLVM_ATTRIBUTE_WEAK mlir::DialectPluginLibraryInfo
mlirGetDialectPluginInfo() {
  return {MLIR_PLUGIN_API_VERSION, "VllmDialect", VLLM_MLIR_VERSION_STRING,
          [](mlir::DialectRegistry *registry) {
            mlir::vllm::registerAllDialects(*registry);
          }};
}

extern "C" LLVM_ATTRIBUTE_WEAK mlir::PassPluginLibraryInfo
mlirGetPassPluginInfo() {
  return {MLIR_PLUGIN_API_VERSION, "VllmPasses", VLLM_MLIR_VERSION_STRING,
          []() { mlir::vllm::registerAllPasses(); }};
}
