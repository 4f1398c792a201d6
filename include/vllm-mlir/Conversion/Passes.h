//===- Passes.h - vllm conversion passes ------------------------*- C++ -*-===//
//
// Part of the vllm-mlir project.
//
//===----------------------------------------------------------------------===//
//
// The passes that lower the vllm dialect to GPU code, and the checks around
// serialization.
//
//===----------------------------------------------------------------------===//

#ifndef VLLM_MLIR_CONVERSION_PASSES_H
#define VLLM_MLIR_CONVERSION_PASSES_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/ControlFlow/IR/ControlFlow.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/Pass.h"

#include <memory>

namespace mlir {
namespace vllm {

#define GEN_PASS_DECL
#include "vllm-mlir/Conversion/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "vllm-mlir/Conversion/Passes.h.inc"

} // namespace vllm
} // namespace mlir

#endif // VLLM_MLIR_CONVERSION_PASSES_H
