//===- Passes.h - vllm dialect transformation passes ------------*- C++ -*-===//
//
// Part of the vllm-mlir project.
//
//===----------------------------------------------------------------------===//
//
// The vllm transformation passes and the pattern sets behind them, so that
// embedders can run the rewrites inside their own pattern drivers.
//
//===----------------------------------------------------------------------===//

#ifndef VLLM_MLIR_DIALECT_VLLM_TRANSFORMS_PASSES_H
#define VLLM_MLIR_DIALECT_VLLM_TRANSFORMS_PASSES_H

#include "vllm-mlir/Dialect/Vllm/IR/VllmDialect.h"

#include "mlir/Pass/Pass.h"

#include <memory>

namespace mlir {
class RewritePatternSet;

namespace vllm {

#define GEN_PASS_DECL
#include "vllm-mlir/Dialect/Vllm/Transforms/Passes.h.inc"

/// Adds the patterns of `vllm-fuse-norm-quant`: (fused_add_)rms_norm +
/// quantize -> rms_norm_quant, exact for every scheme (SPEC C9).
void populateVllmFuseNormQuantPatterns(RewritePatternSet &patterns);

/// Adds the patterns of `vllm-select-scale-layout` for `chip`: producers of
/// activation scales that feed only scaled_matmuls get the format the chip's
/// GEMM consumes, and the matmuls record the chip. Unlike the pass, the
/// patterns emit no warnings for what they leave alone.
void populateVllmSelectScaleLayoutPatterns(RewritePatternSet &patterns,
                                           Chip chip);

/// The per-group scheme that `chip`'s GEMM consumes for activation scales
/// currently produced by `scheme` (SPEC.md section 4); `scheme` itself when
/// it is not per-group or already consumable.
QuantSchemeAttr getSchemeConsumedBy(Chip chip, QuantSchemeAttr scheme);

#define GEN_PASS_REGISTRATION
#include "vllm-mlir/Dialect/Vllm/Transforms/Passes.h.inc"

} // namespace vllm
} // namespace mlir

#endif // VLLM_MLIR_DIALECT_VLLM_TRANSFORMS_PASSES_H
