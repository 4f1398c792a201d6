//===- VllmOps.h - vllm dialect operations ----------------------*- C++ -*-===//
//
// Part of the vllm-mlir project.
//
//===----------------------------------------------------------------------===//

#ifndef VLLM_MLIR_DIALECT_VLLM_IR_VLLMOPS_H
#define VLLM_MLIR_DIALECT_VLLM_IR_VLLMOPS_H

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "vllm-mlir/Dialect/Vllm/IR/VllmDialect.h"

#define GET_OP_CLASSES
#include "vllm-mlir/Dialect/Vllm/IR/VllmOps.h.inc"

#endif // VLLM_MLIR_DIALECT_VLLM_IR_VLLMOPS_H
