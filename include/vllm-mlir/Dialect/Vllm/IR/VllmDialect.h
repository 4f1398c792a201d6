//===- VllmDialect.h - vllm dialect, enums and attributes -------*- C++ -*-===//
//
// Part of the vllm-mlir project.
//
//===----------------------------------------------------------------------===//

#ifndef VLLM_MLIR_DIALECT_VLLM_IR_VLLMDIALECT_H
#define VLLM_MLIR_DIALECT_VLLM_IR_VLLMDIALECT_H

#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Attributes.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Dialect.h"

#include "vllm-mlir/Dialect/Vllm/IR/VllmDialect.h.inc"
#include "vllm-mlir/Dialect/Vllm/IR/VllmEnums.h.inc"

#define GET_ATTRDEF_CLASSES
#include "vllm-mlir/Dialect/Vllm/IR/VllmAttrs.h.inc"

namespace mlir::vllm {

/// The FP8 e4m3fn maximum finite magnitude (SPEC.md section 2).
constexpr float kFP8Max = 448.0f;
/// Minimum scale of the per-token and per-tensor dynamic schemes.
constexpr float kMinScale = 1.0f / (448.0f * 512.0f);
/// Lower clamp of a group's amax in the per-group scheme.
constexpr float kGroupAmaxFloor = 1e-10f;

/// The `#vllm.scales` encoding of `type`, or null when it has none.
ScaleFormatAttr getScaleFormat(Type type);

/// Rows of the scale tensor padded for `align` (kDynamic stays dynamic).
int64_t padRows(int64_t rows, int64_t align);

} // namespace mlir::vllm

#endif // VLLM_MLIR_DIALECT_VLLM_IR_VLLMDIALECT_H
