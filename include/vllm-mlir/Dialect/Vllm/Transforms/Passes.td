//===- Passes.td - vllm dialect transformation passes ------*- tablegen -*-===//
//
// Part of the vllm-mlir project.
//
//===----------------------------------------------------------------------===//

#ifndef VLLM_MLIR_DIALECT_VLLM_TRANSFORMS_PASSES_TD
#define VLLM_MLIR_DIALECT_VLLM_TRANSFORMS_PASSES_TD

include "mlir/Pass/PassBase.td"

//===----------------------------------------------------------------------===//
// vllm-fuse-norm-quant
//===----------------------------------------------------------------------===//

def VllmFuseNormQuantPass : Pass<"vllm-fuse-norm-quant"> {
  let summary = "Fuse (all-reduce +) RMSNorm (+ residual add) or an "
                "element-wise prologue (silu_and_mul) and FP8 quantization "
                "into vllm.rms_norm_quant or vllm.elementwise_quant";
  let description = [{
    Rewrites `vllm.rms_norm` or `vllm.fused_add_rms_norm` whose normalized
    result is quantized by a `vllm.quantize` into one `vllm.rms_norm_quant`
    that computes exactly the same function (SPEC.md 3.4, C9). Every scheme
    fuses: static per-tensor (the scale operand moves to the fused op),
    dynamic per-tensor, per-token with or without an upper bound, and
    per-group with `f32`, `ue8m0_f32` or `ue8m0_packed` scales in every
    layout. The epsilon and the scheme are copied verbatim, so any epsilon
    and any token count (static or dynamic M) fuse.

    ```mlir
    %y, %r = vllm.fused_add_rms_norm %x, %res, %w {epsilon = 1.0e-06 : f32} : ...
    %q, %s = vllm.quantize %y as <per_group 128, ue8m0_packed, mn_major, align 4> : ...
    // becomes
    %q, %s, %r = vllm.rms_norm_quant %x, %w residual(%res)
        as <per_group 128, ue8m0_packed, mn_major, align 4> {epsilon = 1.0e-06 : f32} : ...
    ```

    The same rewrite fuses the MLP's other quantization site: a
    `vllm.silu_and_mul` whose product is quantized becomes one
    `vllm.elementwise_quant silu_and_mul(x)` with the quantize's scheme
    (SPEC.md 3.8, C9), for every scheme, packed UE8M0 included, with the
    same multi-use, batch-dimension, placement and negative cases as below
    (the product plays the normalized tensor's part; there is no residual).
    The tensor-parallel site fuses too: a `vllm.all_reduce` whose only user
    is the `x` operand of a norm + quantize with a residual (after the
    rewrite above) is folded into it, giving `vllm.rms_norm_quant ...
    all_reduce(group g) residual(...)`, which sums the ranks in the order
    all_reduce specifies (SPEC.md 3.11, C9). An all_reduce whose sum has
    other users, one in another block, or one feeding a norm without a
    residual or without a quantize stays as it is.

    Producers are entries of one table (`getView` in FuseNormQuant.cpp): an
    element-wise prologue added to `#vllm.prologue` fuses by adding its op's
    entry, not a pass.

    What the rewrite handles:

    - `residual_out` of `fused_add_rms_norm`: every user is rewired to the
      fused op's `residual_out`.
    - Users of the normalized tensor other than the quantize: the fused op
      also returns the normalized tensor (one kernel writing both moves
      fewer bytes than two kernels) and those users read it.
    - Leading batch dimensions: a norm on `[B, S, H]` whose result is
      flattened by one `tensor.collapse_shape` (reassociation
      `[[0, ..., r-2], [r-1]]`, H kept) before the quantize. The norm is
      row-wise, so `norm(collapse(x)) == collapse(norm(x))`: the pass
      collapses `x` (and the residual) in front of the fused op and
      `tensor.expand_shape`s `residual_out` and the normalized tensor back
      for their other users.
    - Several quantizes of one norm (e.g. two schemes): the first one in
      block order that can be fused is; the fused op then also returns the
      normalized tensor, which the other quantizes read. The norm is
      computed once, as before, and no value changes.

    Placement: the fused op goes where the norm was, so every user of the
    norm's results stays dominated by it. A static scale that is defined
    after the norm cannot be used there; the fused op then goes where the
    quantize was, which requires every other user of the norm's results to
    come after the quantize (otherwise the pair is left alone).

    What is never fused (the IR is left unchanged):

    - The norm, the collapse and the quantize are not all in one block (for
      example the quantize sits in another CFG block or inside an `scf.if`):
      moving a computation into or out of a conditional region changes when
      it runs, and a fused kernel in one block cannot serve a quantize in
      another.
    - The quantize's input is not the normalized tensor (a function
      argument, a conversion such as `arith.extf`, any other op), or is
      reshaped by anything but the one collapse above.
    - Anything whose result types would not match exactly.

    Why side effects between the ops do not block fusion: all vllm ops are
    `Pure` and have value semantics on tensors. An op with memory effects
    between the norm and the quantize cannot change the tensor the norm
    produced, so moving the quantization next to the norm preserves every
    value; the tests show such a case fusing.

    The patterns are available to embedders through
    `populateVllmFuseNormQuantPatterns`.
  }];
  let dependentDialects = [
    "::mlir::vllm::VllmDialect",
    "::mlir::tensor::TensorDialect",
    "::mlir::arith::ArithDialect"
  ];
}

//===----------------------------------------------------------------------===//
// vllm-select-scale-layout
//===----------------------------------------------------------------------===//

def VllmSelectScaleLayoutPass : Pass<"vllm-select-scale-layout"> {
  let summary = "Make activation scales feeding scaled_matmul use the format "
                "the target chip's GEMM consumes";
  let description = [{
    The compile-time version of vLLM's run-time choice of scale format
    (SPEC.md section 4). Every `vllm.quantize`, `vllm.rms_norm_quant` or
    `vllm.elementwise_quant` whose
    per-group scales (and quantized output) feed only `vllm.scaled_matmul`s
    gets the scheme that chip's GEMM consumes, its result types are rewritten
    to match (the scale tensor's type carries the format), and the matmuls
    record the chip (`chip <sm_100a>`), so their verifier checks C10:

    | chip | activation scales |
    |---|---|
    | `sm_100a` | `per_group 128, ue8m0_packed, mn_major, align 4` |
    | `sm_90a` | `per_group 128, f32, mn_major, align 4`; `ue8m0_f32` stays UE8M0, and `ue8m0_packed` becomes `ue8m0_f32` (the same powers of two, unpacked) |

    Note that on sm_100a an `f32` group scheme becomes a UE8M0 one: the
    scales are rounded up to powers of two, which is what DeepGEMM on
    Blackwell requires and what vLLM selects there. Every other change keeps
    each scale value and each quantized value.

    Per-token and per-tensor activation scales are consumed as they are: the
    matmul only records the chip. A matmul that already records a chip keeps
    it (the option fills in matmuls that have none).

    A producer is left unchanged, with a warning on each matmul it leaves
    without a chip, when its scales or quantized output also feed an op that
    is not a `scaled_matmul` (changing the format would change what that op
    reads), or feed matmuls that record different chips (no one format
    serves both). A matmul whose scales come from anything else (a function
    argument, another op) and are not already consumable also gets a
    warning. The IR stays valid in all these cases.

    The pass composes with `vllm-fuse-norm-quant` in either order. The
    patterns are available to embedders through
    `populateVllmSelectScaleLayoutPatterns`.
  }];
  let options = [
    Option<"chip", "chip", "std::string", /*default=*/"\"\"",
           "target chip: sm_90a or sm_100a (required)">
  ];
  let dependentDialects = ["::mlir::vllm::VllmDialect"];
}

//===----------------------------------------------------------------------===//
// vllm-export-manifest
//===----------------------------------------------------------------------===//

def VllmExportManifestPass
    : Pass<"vllm-export-manifest", "::mlir::ModuleOp"> {
  let summary = "Write a JSON manifest of the public tensor functions' "
                "signatures and C entry points";
  let description = [{
    Describes, for a loader of the compiled library (for example PyTorch
    calling it through ctypes), every public `func.func` that
    `convert-vllm-to-gpu` turns into an entry point, without changing the
    IR. Run it on the tensor-level module, before the conversion (the
    `manifest` option of `vllm-gpu-pipeline` runs it after the fusion
    pipeline); `vllm-compile` writes its output next to each library as
    `<stem>.manifest.json`. A public function on buffers with vllm buffer
    ops (after bufferization, SPEC.md 3.9) is an entry point that format 2
    cannot describe: it is an error, not left out.

    The JSON object (`format_version` 2) holds the C ABI and one entry per
    function, in module order:

    ```json
    {
      "format_version": 2,
      "abi": {
        "return_type": "void",
        "parameters": ["stream", "arguments", "results"],
        "stream": "CUstream",
        "memref": "StridedMemRef",
        "memref_fields": ["allocated", "aligned", "offset", "sizes", "strides"],
        "index_type": "int64",
        "layout": "contiguous_row_major",
        "results": "caller_allocated"
      },
      "functions": [
        {
          "name": "f",
          "symbol": "_mlir_ciface_f",
          "arguments": [
            {"rank": 2, "shape": [null, 7168], "element_type": "bf16"}
          ],
          "results": [
            {"rank": 2, "shape": [null, 7168], "element_type": "f8E4M3FN",
             "dynamic_dims": [{"dim": 0, "argument": 0, "argument_dim": 0,
                               "align": 1, "divide": 1} ]},
            {"rank": 2, "shape": [14, null], "element_type": "i32",
             "scales": {"kind": "group", "group_size": 128,
                        "encoding": "ue8m0_packed", "layout": "mn_major",
                        "align": 4},
             "dynamic_dims": [{"dim": 1, "argument": 0, "argument_dim": 0,
                               "align": 4, "divide": 1} ]}
          ]
        }
      ]
    }
    ```

    The entry point is `void symbol(void *stream, StridedMemRef *arg0, ...,
    StridedMemRef *res0, ...)`: the caller's stream, then one pointer to
    MLIR's descriptor `{T *allocated; T *aligned; int64_t offset; int64_t
    sizes[rank]; int64_t strides[rank];}` per argument and then per result,
    each a contiguous row-major device buffer; results are allocated by the
    caller. A dynamic dimension is `null`. A scale tensor carries `scales`,
    its `#vllm.scales` encoding: `kind` (`tensor`, `row`, `group`,
    `block`), `group_size` (group), `block` (`[rows, cols]`, block),
    `encoding` (`f32`, `ue8m0_f32`, `ue8m0_packed`), `layout` (`row_major`,
    `mn_major`) and `align`.

    Since results are allocated by the caller, a result with dynamic
    dimensions says how large they are in `dynamic_dims`, one entry per
    dynamic dimension `dim`: its size is ceil(roundUp(n, `align`) /
    `divide`) where n is the size of argument `argument` in dimension
    `argument_dim`. The source is found from the returned value: a function
    argument, or a result of a `vllm` op, whose rows M are dimension 0 of
    its first operand and whose scale results take M by their format
    (SPEC.md 3.3: MN-major group scales pad M to `align`). Where the value
    comes from anything else (a reshape that multiplies dimensions, another
    dialect's op), the entry has only `dim`: a loader cannot size that
    result and must say so. (Format 1 had no `dynamic_dims`.)

    A public function whose signature has no tensor is not an entry point
    and is left out; private functions are left out. A public function
    whose signature cannot be described (a non-tensor type next to tensors,
    an unranked tensor, an element type other than an integer or float, an
    encoding other than `#vllm.scales`) is an error, and nothing is written.
  }];
  let options = [
    Option<"output", "output", "std::string", /*default=*/"\"-\"",
           "file to write the manifest to (- for stdout)">
  ];
}

#endif // VLLM_MLIR_DIALECT_VLLM_TRANSFORMS_PASSES_TD
