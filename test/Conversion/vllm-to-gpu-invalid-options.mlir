// Options convert-vllm-to-gpu cannot honour are diagnosed on the module,
// before anything is rewritten.
// RUN: not vllm-opt %s --convert-vllm-to-gpu=chip=sm_80 2>&1 | FileCheck %s --check-prefix=CHIP
// RUN: not vllm-opt %s --convert-vllm-to-gpu=chip=sm_90 2>&1 | FileCheck %s --check-prefix=CHIP90
// RUN: not vllm-opt %s --convert-vllm-to-gpu="chip=sm_100a features=+ptx80" 2>&1 | FileCheck %s --check-prefix=OLD-PTX
// RUN: not vllm-opt %s --convert-vllm-to-gpu="chip=sm_90a features=+ptx95" 2>&1 | FileCheck %s --check-prefix=NEW-PTX
// RUN: not vllm-opt %s --convert-vllm-to-gpu="chip=sm_90a features=+avx" 2>&1 | FileCheck %s --check-prefix=FEATURE
// RUN: not vllm-opt %s --convert-vllm-to-gpu="chip=sm_90a features=+ptx86,+ptx87" 2>&1 | FileCheck %s --check-prefix=TWO
// RUN: not vllm-opt %s --convert-vllm-to-gpu="opt-level=4" 2>&1 | FileCheck %s --check-prefix=OPT
// RUN: not vllm-opt %s --convert-vllm-to-gpu="row-prefetch=4" 2>&1 | FileCheck %s --check-prefix=PREFETCH
// RUN: not vllm-opt %s --convert-vllm-to-gpu="row-prefetch=-2" 2>&1 | FileCheck %s --check-prefix=PREFETCH-NEG
// RUN: not vllm-opt %s --convert-vllm-to-gpu="weight-staging-rows=-2" 2>&1 | FileCheck %s --check-prefix=STAGING
// RUN: not vllm-opt %s --convert-vllm-to-gpu="row-thread-folding=0" 2>&1 | FileCheck %s --check-prefix=FOLD0
// RUN: not vllm-opt %s --convert-vllm-to-gpu="row-thread-folding=3" 2>&1 | FileCheck %s --check-prefix=FOLD3
// RUN: not vllm-opt %s --convert-vllm-to-gpu="row-thread-folding=8" 2>&1 | FileCheck %s --check-prefix=FOLD8
// RUN: not vllm-opt %s --convert-vllm-to-gpu="row-thread-folding=-2" 2>&1 | FileCheck %s --check-prefix=FOLD-NEG
// The same through the pipeline, which must not reach the NVPTX backend:
// RUN: not vllm-opt %s --vllm-gpu-pipeline=chip=sm_80 2>&1 | FileCheck %s --check-prefix=CHIP
// RUN: not vllm-opt %s --vllm-gpu-pipeline="chip=sm_100a features=+ptx80" 2>&1 | FileCheck %s --check-prefix=OLD-PTX
// RUN: not vllm-opt %s --vllm-gpu-pipeline="chip=sm_90a format=sass" 2>&1 | FileCheck %s --check-prefix=FORMAT
// RUN: not vllm-opt %s --vllm-gpu-pipeline="chip=sm_90a row-prefetch=7" 2>&1 | FileCheck %s --check-prefix=PREFETCH7
// RUN: not vllm-opt %s --vllm-gpu-pipeline="chip=sm_90a weight-staging-rows=-5" 2>&1 | FileCheck %s --check-prefix=STAGING5
// RUN: not vllm-opt %s --convert-vllm-to-gpu="silu-table-rows=-2" 2>&1 | FileCheck %s --check-prefix=SILUTABLE
// RUN: not vllm-opt %s --vllm-gpu-pipeline="chip=sm_90a silu-table-rows=-3" 2>&1 | FileCheck %s --check-prefix=SILUTABLE3
// RUN: not vllm-opt %s --vllm-gpu-pipeline="chip=sm_90a row-thread-folding=6" 2>&1 | FileCheck %s --check-prefix=FOLD6
// RUN: not vllm-opt %s --convert-vllm-to-gpu="matmul-split-k=0" 2>&1 | FileCheck %s --check-prefix=SPLITK0
// RUN: not vllm-opt %s --convert-vllm-to-gpu="all-reduce=ring" 2>&1 | FileCheck %s --check-prefix=ALLREDUCE
// RUN: not vllm-opt %s --vllm-gpu-pipeline="chip=sm_90a all-reduce=tree" 2>&1 | FileCheck %s --check-prefix=ALLREDUCE-TREE
// RUN: not vllm-opt %s --vllm-gpu-pipeline="chip=sm_90a matmul-split-k=-2" 2>&1 | FileCheck %s --check-prefix=SPLITK-NEG
// A fusion-chip the fusion pipeline rejects is reported in its words.
// RUN: not vllm-opt %s --vllm-gpu-pipeline="chip=sm_90a fuse=true fusion-chip=sm_80" 2>&1 | FileCheck %s --check-prefix=FUSION-CHIP
// A toolkit path that does not exist, or has no ptxas where the format needs
// one: gpu-module-to-binary reported the first as an error, then found ptxas
// on PATH and exited successfully with a cubin embedded.
// RUN: not vllm-opt %s --vllm-gpu-pipeline="chip=sm_90a toolkit=/nonexistent" 2>&1 | FileCheck %s --check-prefix=TOOLKIT
// RUN: rm -rf %t.toolkit && mkdir -p %t.toolkit/bin
// RUN: not vllm-opt %s --vllm-gpu-pipeline="chip=sm_90a format=cubin toolkit=%t.toolkit" 2>&1 | FileCheck %s --check-prefix=NO-PTXAS -DDIR=%t.toolkit
// PTX needs no ptxas:
// RUN: vllm-opt %s --vllm-gpu-pipeline="chip=sm_90a format=ptx toolkit=%t.toolkit" -o /dev/null

// CHIP: error: unsupported target chip 'sm_80': supported chips are sm_90a, sm_100a
// The error stands alone: the module is not printed after it.
// CHIP-NOT: see current operation
// CHIP90: error: unsupported target chip 'sm_90': supported chips are sm_90a, sm_100a
// OLD-PTX: error: sm_100a requires PTX ISA >= 8.6 (+ptx86), got +ptx80
// NEW-PTX: error: PTX ISA version 9.5 (+ptx95) is not supported: use +ptx78 .. +ptx88 or +ptx90
// FEATURE: error: unsupported NVPTX feature '+avx': expected one PTX version such as +ptx86
// TWO: error: more than one PTX version in features '+ptx86,+ptx87'
// OPT: error: optimization level must be 0 to 3, got 4
// PREFETCH: error: row-prefetch must be -1 (automatic), 0 (a CTA per row) or 1 to 3, got 4
// PREFETCH-NEG: error: row-prefetch must be -1 (automatic), 0 (a CTA per row) or 1 to 3, got -2
// PREFETCH7: error: row-prefetch must be -1 (automatic), 0 (a CTA per row) or 1 to 3, got 7
// STAGING: error: weight-staging-rows must be -1 (automatic), 0 (never) or a number of rows per CTA, got -2
// STAGING-NOT: see current operation
// STAGING5: error: weight-staging-rows must be -1 (automatic), 0 (never) or a number of rows per CTA, got -5
// SILUTABLE: error: silu-table-rows must be -1 (automatic), 0 (never) or a number of rows per CTA, got -2
// SILUTABLE-NOT: see current operation
// SILUTABLE3: error: silu-table-rows must be -1 (automatic), 0 (never) or a number of rows per CTA, got -3
// FOLD0: error: row-thread-folding must be -1 (automatic) or a power of two from 1 (no folding) to 4, got 0
// FOLD0-NOT: see current operation
// FOLD3: error: row-thread-folding must be -1 (automatic) or a power of two from 1 (no folding) to 4, got 3
// FOLD8: error: row-thread-folding must be -1 (automatic) or a power of two from 1 (no folding) to 4, got 8
// FOLD-NEG: error: row-thread-folding must be -1 (automatic) or a power of two from 1 (no folding) to 4, got -2
// FOLD6: error: row-thread-folding must be -1 (automatic) or a power of two from 1 (no folding) to 4, got 6
// SPLITK0: error: matmul-split-k must be -1 (automatic) or the most splits of K at small M, at least 1 (1: no split), got 0
// SPLITK0-NOT: see current operation
// SPLITK-NEG: error: matmul-split-k must be -1 (automatic) or the most splits of K at small M, at least 1 (1: no split), got -2
// FORMAT: error: unknown kernel binary format 'sass': expected cubin, ptx or fatbin
// FORMAT-NOT: see current operation
// FUSION-CHIP: error: vllm-fusion-pipeline: unknown chip 'sm_80' (expected sm_90a or sm_100a)
// FUSION-CHIP-NOT: see current operation
// TOOLKIT: error: CUDA toolkit path '/nonexistent' is not a directory
// TOOLKIT-NOT: see current operation
// NO-PTXAS: error: CUDA toolkit path '[[DIR]]' has no executable bin/ptxas, which format 'cubin' needs

func.func @norm(%x: tensor<?x64xbf16>, %w: tensor<64xbf16>) -> tensor<?x64xbf16> {
  %y = vllm.rms_norm %x, %w {epsilon = 1.0e-06 : f32} : (tensor<?x64xbf16>, tensor<64xbf16>) -> tensor<?x64xbf16>
  return %y : tensor<?x64xbf16>
}
// ALLREDUCE: error: all-reduce must be peer (the rank-ordered kernel) or nccl (ncclAllReduce), got 'ring'
// ALLREDUCE-TREE: error: all-reduce must be peer (the rank-ordered kernel) or nccl (ncclAllReduce), got 'tree'
