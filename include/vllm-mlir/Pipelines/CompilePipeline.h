//===- CompilePipeline.h - vllm-gpu-pipeline --------------------*- C++ -*-===//
//
// Part of the vllm-mlir project.
//
//===----------------------------------------------------------------------===//
//
// The public entry point from tensor-level vllm IR to a module whose host
// functions launch kernels embedded as a binary (gpu.binary): translate it
// with `mlir-translate --mlir-to-llvmir` and compile with clang into a host
// object or shared library. Tools register it as `vllm-gpu-pipeline`;
// embedders call buildVllmGpuPipeline on their own pass manager (after
// registerVllmGpuPipelineDependencies on their context's registry).
//
//===----------------------------------------------------------------------===//

#ifndef VLLM_MLIR_PIPELINES_COMPILEPIPELINE_H
#define VLLM_MLIR_PIPELINES_COMPILEPIPELINE_H

#include "mlir/Pass/PassOptions.h"

#include <string>

namespace mlir {
class DialectRegistry;
class OpPassManager;

namespace vllm {

/// Options of `vllm-gpu-pipeline`, e.g.
/// `--vllm-gpu-pipeline="chip=sm_90a format=ptx fuse=true"`.
struct GpuPipelineOptions : public PassPipelineOptions<GpuPipelineOptions> {
  PassOptions::Option<std::string> chip{
      *this, "chip", llvm::cl::desc("target chip: sm_90a or sm_100a"),
      llvm::cl::init("sm_100a")};
  PassOptions::Option<std::string> features{
      *this, "features",
      llvm::cl::desc("NVPTX features: the PTX ISA version as +ptxNN "
                     "(empty: the chip's default, +ptx86)"),
      llvm::cl::init("")};
  PassOptions::Option<unsigned> optLevel{
      *this, "opt-level",
      llvm::cl::desc("optimization level 0-3 of LLVM and ptxas"),
      llvm::cl::init(3)};
  PassOptions::Option<int> rowPrefetch{
      *this, "row-prefetch",
      llvm::cl::desc("rows a row kernel loads ahead (convert-vllm-to-gpu): "
                     "-1 automatic, 0 a CTA per row, 1 to 3"),
      llvm::cl::init(-1)};
  PassOptions::Option<int> weightStagingRows{
      *this, "weight-staging-rows",
      llvm::cl::desc("rows per CTA from which norm kernels read w staged in "
                     "shared memory (convert-vllm-to-gpu): -1 automatic, 0 "
                     "never, 1 always, N >= 2 from N"),
      llvm::cl::init(-1)};
  PassOptions::Option<int> siluTableRows{
      *this, "silu-table-rows",
      llvm::cl::desc("rows per CTA from which bf16 silu_and_mul kernels "
                     "read silu from a table in shared memory "
                     "(convert-vllm-to-gpu): -1 automatic (2), 0 never, 1 "
                     "always, N >= 2 from N"),
      llvm::cl::init(-1)};
  PassOptions::Option<int> rowThreadFolding{
      *this, "row-thread-folding",
      llvm::cl::desc("reduction threads a row-kernel thread stands in for "
                     "(convert-vllm-to-gpu): -1 automatic, 1 none, 2 or 4"),
      llvm::cl::init(-1)};
  PassOptions::Option<int> matmulSplitK{
      *this, "matmul-split-k",
      llvm::cl::desc("the most K splits of the tensor-core GEMM on sm_90a, "
                     "at M <= 256 and in the tiles of a last, partial wave "
                     "(convert-vllm-to-gpu): -1 automatic, 1 none"),
      llvm::cl::init(-1)};
  PassOptions::Option<std::string> allReduce{
      *this, "all-reduce",
      llvm::cl::desc("lowering of the unfused vllm.all_reduce: peer (rank-"
                     "ordered kernel) or nccl (ncclAllReduce, at most 2 "
                     "ranks)"),
      llvm::cl::init("peer")};
  PassOptions::Option<std::string> matmulKernel{
      *this, "matmul-kernel",
      llvm::cl::desc("kernel of scaled_matmul (convert-vllm-to-gpu): simt or "
                     "auto"),
      llvm::cl::init("simt")};
  PassOptions::Option<std::string> format{
      *this, "format",
      llvm::cl::desc("embedded kernel binary: cubin, ptx (JIT-compiled by "
                     "the driver at load time) or fatbin"),
      llvm::cl::init("cubin")};
  PassOptions::Option<bool> fuse{
      *this, "fuse",
      llvm::cl::desc("run vllm-fusion-pipeline first (looked up by name)"),
      llvm::cl::init(false)};
  PassOptions::Option<std::string> fusionChip{
      *this, "fusion-chip",
      llvm::cl::desc("with fuse: the chip whose GEMM scale layout the fusion "
                     "pipeline selects (empty: keep the layouts)"),
      llvm::cl::init("")};
  PassOptions::Option<std::string> manifest{
      *this, "manifest",
      llvm::cl::desc("write the JSON manifest of the entry points "
                     "(vllm-export-manifest) to this file, after the fusion "
                     "and before the conversion (empty: none)"),
      llvm::cl::init("")};
  PassOptions::Option<std::string> toolkit{
      *this, "toolkit",
      llvm::cl::desc("CUDA toolkit path with bin/ptxas (empty: MLIR's "
                     "default search, e.g. /usr/local/cuda)"),
      llvm::cl::init("")};
};

/// Adds to `pm` (on builtin.module): [vllm-fusion-pipeline],
/// [vllm-export-manifest], then convert-vllm-to-gpu and the lowering of host
/// and kernels to LLVM/NVVM, vllm-check-nvvm-target and gpu-module-to-binary.
/// Invalid options are reported as errors when the pipeline runs.
void buildVllmGpuPipeline(OpPassManager &pm, const GpuPipelineOptions &options);

/// Registers `vllm-gpu-pipeline`.
void registerVllmGpuPipeline();

/// Registers what the pipeline needs besides dialects: the NVVM target
/// attribute implementation (serialization), the LLVM IR translations of the
/// dialects in kernels, and the to-LLVM conversion interfaces.
void registerVllmGpuPipelineDependencies(DialectRegistry &registry);

} // namespace vllm
} // namespace mlir

#endif // VLLM_MLIR_PIPELINES_COMPILEPIPELINE_H
