/*===- Vllm.h - C API of vllm-mlir ---------------------------------*- C
-*-===*\
|*                                                                            *|
|* Part of the vllm-mlir project.                                             *|
|*                                                                            *|
|* The vllm dialect, its scale-format and quantization-scheme attributes,     *|
|* and registration of its passes, for C hosts and language bindings.         *|
|*                                                                            *|
\*===----------------------------------------------------------------------===*/

#ifndef VLLM_MLIR_C_VLLM_H
#define VLLM_MLIR_C_VLLM_H

#include "mlir-c/IR.h"
#include "mlir-c/Support.h"

#ifdef __cplusplus
extern "C" {
#endif

MLIR_DECLARE_CAPI_DIALECT_REGISTRATION(Vllm, vllm);

/// Mirrors mlir::vllm::ScaleEncoding.
typedef enum {
  VllmScaleEncodingF32 = 0,
  VllmScaleEncodingUE8M0F32 = 1,
  VllmScaleEncodingUE8M0Packed = 2,
} VllmScaleEncoding;

/// Mirrors mlir::vllm::ScaleLayout.
typedef enum {
  VllmScaleLayoutRowMajor = 0,
  VllmScaleLayoutMNMajor = 1,
} VllmScaleLayout;

/// Registers the vllm dialect and the upstream dialects its pipelines
/// produce.
MLIR_CAPI_EXPORTED void vllmRegisterAllDialects(MlirDialectRegistry registry);

/// Registers every vllm pass and pipeline with the global registry.
MLIR_CAPI_EXPORTED void vllmRegisterAllPasses(void);

/// `#vllm.quant<per_group g, encoding, layout, align a>`; returns a null
/// attribute (and emits a diagnostic) when the combination is invalid.
MLIR_CAPI_EXPORTED MlirAttribute vllmQuantSchemeAttrGetPerGroup(
    MlirContext ctx, int64_t groupSize, VllmScaleEncoding encoding,
    VllmScaleLayout layout, int64_t align);

/// `#vllm.quant<per_token[, upper_bound = ub]>`; ub <= 0 means none.
MLIR_CAPI_EXPORTED MlirAttribute
vllmQuantSchemeAttrGetPerToken(MlirContext ctx, float upperBound);

MLIR_CAPI_EXPORTED bool vllmAttributeIsAQuantScheme(MlirAttribute attr);
MLIR_CAPI_EXPORTED bool vllmAttributeIsAScaleFormat(MlirAttribute attr);

/// The `#vllm.scales` encoding the scale tensor of `scheme` carries.
MLIR_CAPI_EXPORTED MlirAttribute
vllmQuantSchemeAttrGetScaleFormat(MlirAttribute scheme);

/// The scale tensor type of `scheme` for a [rows, cols] input; rows may be
/// mlirShapedTypeGetDynamicSize().
MLIR_CAPI_EXPORTED MlirType vllmQuantSchemeAttrGetScaleType(
    MlirAttribute scheme, int64_t rows, int64_t cols);

#ifdef __cplusplus
}
#endif

#endif // VLLM_MLIR_C_VLLM_H
