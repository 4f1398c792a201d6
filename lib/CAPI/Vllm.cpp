//===- Vllm.cpp - C API of vllm-mlir --------------------------------------===//
//
// Part of the vllm-mlir project.
//
//===----------------------------------------------------------------------===//

#include "vllm-mlir-c/Vllm.h"
#include "vllm-mlir/Dialect/Vllm/IR/VllmOps.h"
#include "vllm-mlir/InitAll.h"

#include "mlir/CAPI/IR.h"
#include "mlir/CAPI/Registration.h"

using namespace mlir;
using namespace mlir::vllm;

MLIR_DEFINE_CAPI_DIALECT_REGISTRATION(Vllm, vllm, mlir::vllm::VllmDialect)

/// Verifies the parameters (diagnostics go to the context's handlers) and
/// returns the attribute, or null when they are invalid.
static MlirAttribute getCheckedScheme(MLIRContext *context, QuantKind kind,
                                      int64_t groupSize, ScaleEncoding encoding,
                                      ScaleLayout layout, int64_t align,
                                      FloatAttr upperBound) {
  auto emitDiag = [&] { return emitError(UnknownLoc::get(context)); };
  if (failed(QuantSchemeAttr::verify(emitDiag, kind, groupSize, encoding,
                                     layout, align, upperBound)))
    return MlirAttribute{nullptr};
  return wrap(QuantSchemeAttr::get(context, kind, groupSize, encoding, layout,
                                   align, upperBound));
}

void vllmRegisterAllDialects(MlirDialectRegistry registry) {
  vllm::registerAllDialects(*unwrap(registry));
}

void vllmRegisterAllPasses(void) { vllm::registerAllPasses(); }

MlirAttribute vllmQuantSchemeAttrGetPerGroup(MlirContext ctx, int64_t groupSize,
                                             VllmScaleEncoding encoding,
                                             VllmScaleLayout layout,
                                             int64_t align) {
  return getCheckedScheme(unwrap(ctx), QuantKind::PerGroup, groupSize,
                          static_cast<ScaleEncoding>(encoding),
                          static_cast<ScaleLayout>(layout), align, FloatAttr());
}

MlirAttribute vllmQuantSchemeAttrGetPerToken(MlirContext ctx,
                                             float upperBound) {
  MLIRContext *context = unwrap(ctx);
  FloatAttr bound;
  if (upperBound > 0.0f)
    bound = FloatAttr::get(Float32Type::get(context), upperBound);
  return getCheckedScheme(context, QuantKind::PerToken, 0, ScaleEncoding::F32,
                          ScaleLayout::RowMajor, 1, bound);
}

bool vllmAttributeIsAQuantScheme(MlirAttribute attr) {
  return isa<QuantSchemeAttr>(unwrap(attr));
}

bool vllmAttributeIsAScaleFormat(MlirAttribute attr) {
  return isa<ScaleFormatAttr>(unwrap(attr));
}

MlirAttribute vllmQuantSchemeAttrGetScaleFormat(MlirAttribute scheme) {
  return wrap(cast<QuantSchemeAttr>(unwrap(scheme)).getScaleFormat());
}

MlirType vllmQuantSchemeAttrGetScaleType(MlirAttribute scheme, int64_t rows,
                                         int64_t cols) {
  return wrap(cast<QuantSchemeAttr>(unwrap(scheme))
                  .getScaleFormat()
                  .getScaleType(rows, cols));
}
