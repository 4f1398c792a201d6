//===- Passes.td - vllm conversion passes ------------------*- tablegen -*-===//
//
// Part of the vllm-mlir project.
//
//===----------------------------------------------------------------------===//

#ifndef VLLM_MLIR_CONVERSION_PASSES_TD
#define VLLM_MLIR_CONVERSION_PASSES_TD

include "mlir/Pass/PassBase.td"

//===----------------------------------------------------------------------===//
// convert-vllm-to-gpu
//===----------------------------------------------------------------------===//

def ConvertVllmToGPUPass : Pass<"convert-vllm-to-gpu", "::mlir::ModuleOp"> {
  let summary = "Lower vllm ops on tensors to GPU kernels and host launch "
                "code on a caller-provided stream";
  let description = [{
    Turns every `func.func` whose body is made of vllm ops (plus
    `tensor.collapse_shape` / `tensor.expand_shape` views) into a host
    function in destination-passing style and generates the kernels it
    launches into one `gpu.module @vllm_kernels` that records the target as
    `#nvvm.target<chip = ..., features = ..., O = ...>`.

    A function `@f(tensor inputs...) -> (tensor results...)` becomes

    ```mlir
    func.func @f(%stream: !llvm.ptr, %in0: memref<...>, ...,
                 %out0: memref<...>, ...) attributes {llvm.emit_c_interface}
    ```

    so that, after lowering to LLVM, the host library exports
    `_mlir_ciface_f(void *stream, StridedMemRef *in..., StridedMemRef *out...)`.
    The results are buffers the caller allocated (device memory,
    contiguous). Every launch, allocation (`gpu.alloc`), copy and free is
    asynchronous on `stream`; nothing creates, synchronizes or destroys a
    stream, so calls can be captured in CUDA graphs. Kernels write results
    straight into the result buffers; a returned input is copied on the
    stream, except a static scale that a static quantization of the function
    reads (canonicalization forwards the scales result to the scale
    operand): CTA 0 of that kernel copies it, which saves a copy node
    (about 1 us) per call in a graph.

    Functions on buffers, with the vllm buffer ops one-shot-bufferize makes
    (SPEC.md 3.9), are converted partially: the function gets the caller's
    stream as a new first argument; each `vllm.buffer.*` op becomes a call
    of a private host function, built by the lowering above from the op's
    tensor form (so it launches the same kernels) and taking the stream,
    the input buffers and the output buffers; `memref.alloc`,
    `memref.copy` and `memref.dealloc` become `gpu.alloc`, `gpu.memcpy`
    and `gpu.dealloc` on the stream (the buffers are device memory); each
    element-wise linalg op (every loop parallel, outputs written through
    permutations, a body of arith and math ops) becomes a kernel of its own
    launched on the stream in its place (a grid-stride loop over the
    iteration points, docs/design.md "Layering"); every other op is left to
    the user's pipeline (`vllm-gpu-pipeline` then checks with
    `vllm-check-host-code` that nothing it cannot compile is left). Such a
    function must not be called in the module (its signature changes), its
    buffer ops and linalg ops must be at the top level of its body, and its
    copies and linalg operands must have identity layouts; a linalg op the
    kernel cannot express is an error that says why.

    Kernels (SPEC.md sections 2 and 3):

    - one row kernel per (fused) norm / quantize: 16-byte vector loads and
      stores, the row kept in registers, warp-shuffle reductions with a
      shared-memory step only across warps; the block size is chosen from
      H and whether a residual is added (at least two input vectors per
      thread, at most 512 threads), never from M. The grid is persistent
      (one wave of as many CTAs per SM as the registers allow,
      `nvvm.minctasm`, times the chip's SMs): each CTA loops over rows with
      the next rows' loads in flight while it reduces, quantizes and stores
      the current one. Quotients y / s are formed from 1/s (exact for UE8M0
      scales, Markstein-corrected for f32 ones) with the same bits as a
      division; the amax of bf16 values is taken on packed pairs
      (`max.xorsign.abs.bf16x2`). A persistent norm kernel also comes in a
      variant (`_wsmem`) that widens w to f32 once per CTA into shared
      memory and reads it there for every row; the host launches it when M
      gives the busiest CTA `weight-staging-rows` rows or more (default 2;
      with one row per CTA it gains nothing). A kernel may fold threads of
      its row's layout into one (`row-thread-folding`; by default two for
      per-token without a residual, whose rows are reduced twice, and for
      per-group f32 without a residual where the folded CTA keeps a
      multiple of 4 warps): each
      thread keeps the folded threads' partial sums apart and the block
      reduction combines them in the layout's order. The norm and the
      quantization code come from the same generators in the fused and the
      unfused kernels, so both produce identical bits (SPEC C9).
    - dynamic per-tensor quantization: an amax kernel (atomic max on the f32
      bits) and a quantize kernel.
    - `scaled_matmul`: a tiled SIMT kernel with f32 accumulation per 128-wide
      K block, decoding every activation and weight scale format; with
      `matmul-kernel=auto` on sm_90a, a warp-specialized kernel (a TMA
      producer warpgroup feeding a ring of shared-memory stages through
      mbarriers, one or two consumer warpgroups running fp8 `wgmma` and
      promoting each K block's partial sums with its scales in f32,
      persistent over the tiles), in variants chosen by M at run time from
      the strategy table of MatmulStrategy.cpp. Its TMA descriptors come
      from the runtime (`vllmrtTensorMapEncode2d`). At small M
      (M <= 256), where 128-column tiles do not cover the SMs, the K blocks
      of each tile are split into consecutive ranges, one CTA each
      (`matmul-split-k`): the CTAs write f32 partial sums to a workspace
      from the runtime (`vllmrtWorkspace`, one per stream and one per CUDA
      graph captured on it), and the last CTA of a tile, found with an
      arrival counter, adds them in range order and rounds once (SPEC 3.5:
      the bits do not depend on which CTA is last). From M = 257 the same
      machinery splits the tiles of a last, partial wave over the SMs where
      the strategy's waves model expects it to pay (SPEC 3.5, "Split
      tail").

    The host functions branch (`cf.cond_br`) around launches without work
    (M = 0) and between kernel variants chosen by M; the kernel module comes
    first in the module, followed by declarations of the runtime functions
    the stream-ordered allocations, copies and fills call. (Both keep the
    rest of the pipeline linear in the size of the module: an `scf.if` per
    launch and lookups of the kernel module and runtime functions scanning
    past every function were quadratic.) Symbols named like the runtime
    interface of compiled code (`mgpu*`, `vllmrt*`, `_mlir_*`, `llvm.*`)
    are diagnosed, as are static shapes whose grid exceeds CUDA's limits.

    Chip-specific code (UE8M0 conversion: `cvt.rp.satfinite.ue8m0x2.f32` on
    sm_100a, integer bit arithmetic on sm_90a; element-wise f32 arithmetic
    of the row kernels on pairs, `f32x2`, on sm_100a) is selected from
    `chip`; an unsupported chip, PTX version or shape is diagnosed, never
    passed on to the NVPTX backend.
  }];
  let options = [
    Option<"chip", "chip", "std::string", /*default=*/"\"sm_100a\"",
           "target chip: sm_90a or sm_100a">,
    Option<"features", "features", "std::string", /*default=*/"\"\"",
           "NVPTX target features, e.g. +ptx86 (empty: the chip's default)">,
    Option<"optLevel", "opt-level", "unsigned", /*default=*/"3",
           "optimization level (0-3) recorded in #nvvm.target">,
    Option<"rowPrefetch", "row-prefetch", "int", /*default=*/"-1",
           "rows a row kernel loads ahead of the one it processes: -1 "
           "chooses by kernel from a register estimate, 0 gives a CTA per "
           "row, 1 to 3 a persistent grid with that many (a kernel whose "
           "registers cannot hold them gets the automatic choice and a "
           "warning)">,
    Option<"weightStagingRows", "weight-staging-rows", "int",
           /*default=*/"-1",
           "rows per CTA from which a persistent norm kernel whose row fits "
           "in registers is launched in its variant that stages w as f32 in "
           "shared memory (the host picks the variant by M at run time): "
           "-1 automatic (2), 0 never, 1 always, N >= 2 when the busiest "
           "CTA gets N rows or more">,
    Option<"siluTableRows", "silu-table-rows", "int", /*default=*/"-1",
           "rows per CTA from which a persistent silu_and_mul kernel on bf16 "
           "is launched in its variant that reads silu(g) from a table of "
           "every bf16 gate in shared memory, same bits (the host picks the "
           "variant by M at run time): -1 automatic (2), 0 never, 1 always, "
           "N >= 2 when the busiest CTA gets N rows or more">,
    Option<"rowThreadFolding", "row-thread-folding", "int",
           /*default=*/"-1",
           "threads of a row's reduction layout one thread of a row kernel "
           "stands in for, keeping their partial sums apart (same bits): "
           "-1 automatic, 1 none, 2 or 4 where the layout has a multiple of "
           "that many warps, the row is kept in registers in 16-byte vectors "
           "and the folded threads fit the registers (else the largest "
           "power of two below that fits)">,
    Option<"matmulSplitK", "matmul-split-k", "int", /*default=*/"-1",
           "the most consecutive K ranges the sm_90a tensor-core GEMM "
           "splits a tile's K blocks into, one CTA each: in the variants "
           "for M <= 256 where the tiles alone do not cover the SMs, and "
           "from M = 257 in the tiles of a last, partial wave where the "
           "strategy expects 10% less time (at most 8); the last CTA of a "
           "tile adds the ranges' f32 sums in range order "
           "(deterministic): -1 automatic (as many as one wave of CTAs "
           "holds), 1 no split (narrower tiles instead)">,
    Option<"allReduce", "all-reduce", "std::string", /*default=*/"\"peer\"",
           "lowering of the unfused vllm.all_reduce: peer (a kernel that "
           "reads every rank's staged input and sums in rank order, SPEC.md "
           "3.10, for any number of ranks) or nccl (ncclAllReduce on the "
           "caller's stream; the runtime refuses more than 2 ranks, where "
           "NCCL's order of additions differs). The fused form always uses "
           "the peer reads">,
    Option<"matmulKernel", "matmul-kernel", "std::string",
           /*default=*/"\"simt\"",
           "kernel of scaled_matmul: simt, or auto for the warp-specialized "
           "tensor-core kernel where the chip and shape allow it (sm_90a: "
           "wgmma, K % 16 == 0, N % 8 == 0; sm_100a: tcgen05, also packed "
           "UE8M0 1x128 activation scales and 128x128 or per-tensor weight "
           "scales, and a module PTX version of at least 8.8, to which an "
           "empty `features` is raised; compiled and ptxas-checked, not yet "
           "validated on a GPU, hence not the default)">
  ];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::cf::ControlFlowDialect",
    "::mlir::gpu::GPUDialect",
    "::mlir::LLVM::LLVMDialect",
    "::mlir::memref::MemRefDialect",
    "::mlir::NVVM::NVVMDialect",
    "::mlir::scf::SCFDialect",
    "::mlir::vector::VectorDialect"
  ];
}

//===----------------------------------------------------------------------===//
// vllm-check-nvvm-target
//===----------------------------------------------------------------------===//

def VllmCheckNVVMTargetPass
    : Pass<"vllm-check-nvvm-target", "::mlir::ModuleOp"> {
  let summary = "Diagnose GPU code the NVPTX backend would abort on";
  let description = [{
    The NVPTX backend reports an LLVM fatal error (and aborts the process)
    when a kernel uses an intrinsic the target chip lacks, for example the
    `ue8m0x2` conversion on sm_90a. This pass runs before serialization and
    turns such input into diagnostics: every `gpu.module` with an
    `#nvvm.target` must name a supported chip and a PTX version that chip
    accepts, and every NVVM operation it contains must be available on it.
    It also diagnoses invalid options of the pipeline (binary `format`, a
    `toolkit` without ptxas), so that the pipeline fails before any work
    instead of reporting an error late and exiting successfully.
  }];
  let options = [
    Option<"format", "format", "std::string", /*default=*/"\"\"",
           "binary format the pipeline requested (checked when not empty)">,
    Option<"pipelineError", "pipeline-error", "std::string",
           /*default=*/"\"\"",
           "an error found while the pipeline was built, such as a bad "
           "option of a nested pipeline (internal)">,
    Option<"toolkit", "toolkit", "std::string", /*default=*/"\"\"",
           "CUDA toolkit path the pipeline serializes with (checked when not "
           "empty: a directory, with bin/ptxas for cubin and fatbin)">
  ];
}

//===----------------------------------------------------------------------===//
// vllm-check-host-code
//===----------------------------------------------------------------------===//

def VllmCheckHostCodePass : Pass<"vllm-check-host-code", "::mlir::ModuleOp"> {
  let summary = "Diagnose host code that vllm-gpu-pipeline cannot compile";
  let description = [{
    Runs in `vllm-gpu-pipeline` after `convert-vllm-to-gpu`, whose
    conversion of functions on buffers is partial: it lowers the vllm buffer
    ops, the element-wise linalg ops and the allocations, copies and frees,
    and leaves every other op to the user's pipeline. The host functions (outside `gpu.module`s) may then
    hold only what the rest of the pipeline lowers and what is correct on
    device buffers: ops of the func, arith, index, math, cf, scf, gpu and
    llvm dialects, casts, and memref ops that only compute a view or a size
    (`memref.dim`, `cast`, `collapse_shape`, `expand_shape`, `subview`,
    `reinterpret_cast`, `extract_strided_metadata`,
    `extract_aligned_pointer_as_index`). Anything else (a
    `linalg` op in a function without vllm ops, `memref.load`,
    `bufferization.clone`, ...) is
    an error that names the op: the pipeline would otherwise leave it
    unlowered, or run it on the host against device memory.
  }];
}

//===----------------------------------------------------------------------===//
// vllm-dump-gpu-binary
//===----------------------------------------------------------------------===//

def VllmDumpGpuBinaryPass : Pass<"vllm-dump-gpu-binary", "::mlir::ModuleOp"> {
  let summary = "Write the objects embedded in gpu.binary ops to a file";
  let description = [{
    Writes the payload of every `#gpu.object` of every `gpu.binary` (PTX
    text for `format=ptx`, a cubin or fatbin otherwise) to `output` (`-` for
    stdout), one after the other, without changing the IR. Used to hand PTX
    to `ptxas -v` and to FileCheck it in tests.
  }];
  let options = [
    Option<"output", "output", "std::string", /*default=*/"\"-\"",
           "file to write the objects to (- for stdout)">
  ];
}

#endif // VLLM_MLIR_CONVERSION_PASSES_TD
