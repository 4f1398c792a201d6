//===- BufferizableOpInterfaceImpl.h - bufferization of vllm ops -*- C++
//-*-===//
//
// Part of the vllm-mlir project.
//
//===----------------------------------------------------------------------===//

#ifndef VLLM_MLIR_DIALECT_VLLM_TRANSFORMS_BUFFERIZABLEOPINTERFACEIMPL_H
#define VLLM_MLIR_DIALECT_VLLM_TRANSFORMS_BUFFERIZABLEOPINTERFACEIMPL_H

namespace mlir {
class DialectRegistry;

namespace vllm {
/// Attaches BufferizableOpInterface to every vllm tensor op, so that
/// one-shot-bufferize rewrites it into its buffer form (`vllm.buffer.*`,
/// SPEC.md 3.9): inputs are read, results get new identity-layout buffers,
/// except `residual_out`, which is the `residual` buffer updated in place
/// when the analysis allows it (C15).
void registerBufferizableOpInterfaceExternalModels(DialectRegistry &registry);
} // namespace vllm
} // namespace mlir

#endif // VLLM_MLIR_DIALECT_VLLM_TRANSFORMS_BUFFERIZABLEOPINTERFACEIMPL_H
