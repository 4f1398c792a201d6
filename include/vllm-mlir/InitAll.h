//===- InitAll.h - register everything vllm-mlir provides -------*- C++ -*-===//
//
// Part of the vllm-mlir project.
//
//===----------------------------------------------------------------------===//
//
// One call for tools and embedders: the vllm dialect together with the
// upstream dialects its pipelines produce, and every vllm pass and pipeline.
//
//===----------------------------------------------------------------------===//

#ifndef VLLM_MLIR_INITALL_H
#define VLLM_MLIR_INITALL_H

namespace mlir {
class DialectRegistry;

namespace vllm {

/// Registers the vllm dialect and the upstream dialects (and their
/// interface extensions) that vllm's passes and pipelines create.
void registerAllDialects(DialectRegistry &registry);

/// Registers every vllm pass and pipeline with the global pass registry.
void registerAllPasses();

/// The project version, e.g. "0.1.0".
const char *getVersionString();

} // namespace vllm
} // namespace mlir

#endif // VLLM_MLIR_INITALL_H
