//===- VllmOps.td - vllm dialect operations ----------------*- tablegen -*-===//
//
// Part of the vllm-mlir project.
//
//===----------------------------------------------------------------------===//

#ifndef VLLM_MLIR_DIALECT_VLLM_IR_VLLMOPS_TD
#define VLLM_MLIR_DIALECT_VLLM_IR_VLLMOPS_TD

include "vllm-mlir/Dialect/Vllm/IR/VllmBase.td"
include "vllm-mlir/Dialect/Vllm/IR/VllmAttrs.td"
include "mlir/Interfaces/SideEffectInterfaces.td"
include "mlir/IR/BuiltinTypes.td"

def Vllm_FloatTensor : RankedTensorOf<[BF16, F16, F32]>;

// The communicator group of a collective (SPEC.md 3.10, C17): checked by
// the verifiers, which cite C17.
def Vllm_GroupAttr : TypedSignlessIntegerAttrBase<I32, "uint32_t",
    "communicator group number">;
def Vllm_FP8Tensor : RankedTensorOf<[F8E4M3FN]>;
def Vllm_ScaleTensor : RankedTensorOf<[F32, I32]>;

//===----------------------------------------------------------------------===//
// rms_norm
//===----------------------------------------------------------------------===//

def Vllm_RMSNormOp : Vllm_Op<"rms_norm", [Pure]> {
  let summary = "RMS normalization of each row";
  let description = [{
    `r[m] = 1 / sqrt(sum_k x[m,k]^2 / H + epsilon)`, summed in f32;
    `y[m,k] = RN_T((x[m,k] * r[m]) * w[k])` (SPEC.md 3.1), or with
    `round_before_weight` `RN_T(RN_T(x[m,k] * r[m]) * w[k])`, the two
    roundings of Hugging Face's reference RMSNorm and vLLM's kernels. The
    hidden size H (last dimension) is static; the leading dimensions, which
    may be dynamic, are the rows.

    ```mlir
    %y = vllm.rms_norm %x, %w {epsilon = 1.0e-06 : f32}
        : (tensor<?x7168xbf16>, tensor<7168xbf16>) -> tensor<?x7168xbf16>
    ```
  }];
  let arguments = (ins Vllm_FloatTensor:$input, Vllm_FloatTensor:$weight,
                       F32Attr:$epsilon, UnitAttr:$round_before_weight);
  let results = (outs Vllm_FloatTensor:$result);
  let assemblyFormat = [{
    $input `,` $weight attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// fused_add_rms_norm
//===----------------------------------------------------------------------===//

def Vllm_FusedAddRMSNormOp : Vllm_Op<"fused_add_rms_norm", [Pure]> {
  let summary = "residual add followed by RMS normalization";
  let description = [{
    `residual_out = RN_T(x + residual)`; `result = rms_norm(residual_out, w)`
    (SPEC.md 3.2), with `round_before_weight` as rms_norm's. The norm reads
    the *rounded* sum.

    ```mlir
    %y, %r = vllm.fused_add_rms_norm %x, %res, %w {epsilon = 1.0e-06 : f32}
        : (tensor<?x7168xbf16>, tensor<?x7168xbf16>, tensor<7168xbf16>)
        -> (tensor<?x7168xbf16>, tensor<?x7168xbf16>)
    ```
  }];
  let arguments = (ins Vllm_FloatTensor:$input, Vllm_FloatTensor:$residual,
                       Vllm_FloatTensor:$weight, F32Attr:$epsilon,
                       UnitAttr:$round_before_weight);
  let results = (outs Vllm_FloatTensor:$result,
                      Vllm_FloatTensor:$residual_out);
  let assemblyFormat = [{
    $input `,` $residual `,` $weight attr-dict `:`
    functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// quantize
//===----------------------------------------------------------------------===//

def Vllm_QuantizeOp : Vllm_Op<"quantize", [Pure]> {
  let summary = "FP8 (e4m3fn) quantization with scales in an explicit format";
  let description = [{
    Quantizes a `[M, H]` tensor to `f8E4M3FN` under `scheme` and returns the
    scales in the format `scheme.getScaleFormat()` (SPEC.md 3.3); the scale
    tensor's type carries that format as its encoding, so every consumer sees
    the layout in the IR. `static_per_tensor` takes its scale as an operand
    and returns it unchanged.

    ```mlir
    %q, %s = vllm.quantize %y as <per_group 128, ue8m0_packed, mn_major, align 4>
        : tensor<?x7168xbf16> -> tensor<?x7168xf8E4M3FN>,
          tensor<14x?xi32, #vllm.scales<group 128, ue8m0_packed, mn_major, align 4>>
    %q2, %s2 = vllm.quantize %y scale(%s0 : tensor<1xf32, #vllm.scales<tensor>>)
        as <static_per_tensor>
        : tensor<?x7168xbf16> -> tensor<?x7168xf8E4M3FN>,
          tensor<1xf32, #vllm.scales<tensor>>
    ```
  }];
  let arguments = (ins Vllm_FloatTensor:$input,
                       Optional<Vllm_ScaleTensor>:$scale,
                       Vllm_QuantSchemeAttr:$scheme);
  let results = (outs Vllm_FP8Tensor:$output, Vllm_ScaleTensor:$scales);
  let assemblyFormat = [{
    $input (`scale` `(` $scale^ `:` type($scale) `)`)? `as` $scheme attr-dict
    `:` type($input) `->` type($output) `,` type($scales)
  }];
  let builders = [
    // Infers the result types from the input type and the scheme.
    OpBuilder<(ins "::mlir::Value":$input, "::mlir::Value":$scale,
                   "QuantSchemeAttr":$scheme)>
  ];
  let hasVerifier = 1;
  let hasCanonicalizer = 1;
}

//===----------------------------------------------------------------------===//
// rms_norm_quant
//===----------------------------------------------------------------------===//

def Vllm_RMSNormQuantOp : Vllm_Op<"rms_norm_quant",
    [Pure, AttrSizedOperandSegments, AttrSizedResultSegments]> {
  let summary = "fused (residual add +) RMSNorm + FP8 quantization";
  let description = [{
    Computes exactly `quantize(rms_norm(x, w))`, or with a residual
    `quantize(fused_add_rms_norm(x, residual, w)#0)`, bit for bit (SPEC.md
    3.4, C9), the norm with the same `round_before_weight`. With a residual it also returns `residual_out`; when a fourth
    (or third, without residual) result is present it is the normalized
    tensor, so the op can replace a sequence whose normalized value has other
    users.

    ```mlir
    %q, %s, %r = vllm.rms_norm_quant %x, %w residual(%res)
        as <per_group 128, f32, mn_major, align 4> {epsilon = 1.0e-06 : f32}
        : (tensor<?x7168xbf16>, tensor<7168xbf16>, tensor<?x7168xbf16>)
        -> (tensor<?x7168xf8E4M3FN>,
            tensor<56x?xf32, #vllm.scales<group 128, f32, mn_major, align 4>>,
            tensor<?x7168xbf16>)
    ```
    Operands are listed in the type list in the order `x, w, [residual],
    [scale]`; results in the order `q, scales, [residual_out], [normalized]`.

    With `all_reduce(group g)`, `x` is this rank's partial sum and the op
    computes `quantize(fused_add_rms_norm(all_reduce(x) {group g},
    residual, w))` (SPEC.md 3.11); it then takes a residual (C19):

    ```mlir
    %q, %s, %r = vllm.rms_norm_quant %x, %w all_reduce(group 0)
        residual(%res) as <per_group 128, ue8m0_packed, mn_major, align 4>
        {epsilon = 1.0e-06 : f32}
        : (tensor<?x7168xbf16>, tensor<7168xbf16>, tensor<?x7168xbf16>)
        -> (tensor<?x7168xf8E4M3FN>,
            tensor<14x?xi32, #vllm.scales<group 128, ue8m0_packed, mn_major, align 4>>,
            tensor<?x7168xbf16>)
    ```
  }];
  let arguments = (ins Vllm_FloatTensor:$input, Vllm_FloatTensor:$weight,
                       Optional<Vllm_FloatTensor>:$residual,
                       Optional<Vllm_ScaleTensor>:$scale,
                       F32Attr:$epsilon, Vllm_QuantSchemeAttr:$scheme,
                       UnitAttr:$round_before_weight,
                       OptionalAttr<Vllm_GroupAttr>:$all_reduce_group);
  let results = (outs Vllm_FP8Tensor:$output, Vllm_ScaleTensor:$scales,
                      Optional<Vllm_FloatTensor>:$residual_out,
                      Optional<Vllm_FloatTensor>:$normalized);
  let hasCustomAssemblyFormat = 1;
  let hasVerifier = 1;
  let hasCanonicalizer = 1;
  let builders = [
    // Infers the result types; `returnNormalized` adds the normalized result;
    // `allReduceGroup` (may be null) makes the all-reduce form.
    OpBuilder<(ins "::mlir::Value":$input, "::mlir::Value":$weight,
                   "::mlir::Value":$residual, "::mlir::Value":$scale,
                   "::mlir::FloatAttr":$epsilon, "QuantSchemeAttr":$scheme,
                   "bool":$returnNormalized, "bool":$roundBeforeWeight,
                   CArg<"::mlir::IntegerAttr", "{}">:$allReduceGroup)>
  ];
}

//===----------------------------------------------------------------------===//
// all_reduce
//===----------------------------------------------------------------------===//

def Vllm_AllReduceOp : Vllm_Op<"all_reduce", [Pure]> {
  let summary = "sum over the ranks of a communicator group, in rank order";
  let description = [{
    Each rank of communicator group `group` passes its partial sum `x_r`
    (`[M, H]`); every rank gets
    `y = RN_T(((x_0 + x_1) + x_2) + ... + x_{R-1})`, the values widened to
    f32 and added in rank order, rounded once (SPEC.md 3.10). The host binds
    a communicator to the group number at run time; the IR does not fix the
    number of ranks. Every rank runs the same program, so the op is pure in
    the SPMD sense: it is erased or CSE'd identically on every rank.

    ```mlir
    %y = vllm.all_reduce %x group 0 : tensor<?x7168xbf16> -> tensor<?x7168xbf16>
    ```
  }];
  let arguments = (ins Vllm_FloatTensor:$input, Vllm_GroupAttr:$group);
  let results = (outs Vllm_FloatTensor:$result);
  let assemblyFormat = [{
    $input `group` $group attr-dict `:` type($input) `->` type($result)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// silu_and_mul
//===----------------------------------------------------------------------===//

def Vllm_SiluAndMulOp : Vllm_Op<"silu_and_mul", [Pure]> {
  let summary = "gated SiLU activation: silu(gate) * up";
  let description = [{
    The input `[..., 2I]` holds the gate in its first half and the up
    projection in its second (vLLM's layout); the result `[..., I]` is
    `RN_T(silu(g) * u)` with `silu(g) = g / (1 + exp(-g))` evaluated in f32
    with the project's specified exp (SPEC.md section 2 and 3.7). The last
    dimension is static and even; the leading dimensions, which may be
    dynamic, are the rows.

    ```mlir
    %y = vllm.silu_and_mul %x : tensor<?x4096xbf16> -> tensor<?x2048xbf16>
    ```
  }];
  let arguments = (ins Vllm_FloatTensor:$input);
  let results = (outs Vllm_FloatTensor:$result);
  let assemblyFormat = [{
    $input attr-dict `:` type($input) `->` type($result)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// elementwise_quant
//===----------------------------------------------------------------------===//

def Vllm_ElementwiseQuantOp : Vllm_Op<"elementwise_quant", [Pure]> {
  let summary = "fused element-wise prologue + FP8 quantization";
  let description = [{
    Computes exactly `quantize(prologue(x))` bit for bit (SPEC.md 3.8, C9)
    for every quantization scheme. The only prologue so far is
    `silu_and_mul` (`x` is `[M, 2I]`, the quantized tensor `[M, I]`). When a
    third result is present it is the prologue's result `y`, so the op can
    replace a sequence whose `y` has other users.

    ```mlir
    %q, %s = vllm.elementwise_quant silu_and_mul(%x)
        as <per_group 128, ue8m0_packed, mn_major, align 4>
        : tensor<?x4096xbf16> -> tensor<?x2048xf8E4M3FN>,
          tensor<4x?xi32, #vllm.scales<group 128, ue8m0_packed, mn_major, align 4>>
    %q2, %s2, %y = vllm.elementwise_quant silu_and_mul(%x)
        scale(%s0 : tensor<1xf32, #vllm.scales<tensor>>) as <static_per_tensor>
        : tensor<?x4096xbf16> -> tensor<?x2048xf8E4M3FN>,
          tensor<1xf32, #vllm.scales<tensor>>, tensor<?x2048xbf16>
    ```
  }];
  let arguments = (ins Vllm_FloatTensor:$input,
                       Optional<Vllm_ScaleTensor>:$scale,
                       Vllm_Prologue:$prologue,
                       Vllm_QuantSchemeAttr:$scheme);
  let results = (outs Vllm_FP8Tensor:$output, Vllm_ScaleTensor:$scales,
                      Optional<Vllm_FloatTensor>:$product);
  let assemblyFormat = [{
    $prologue `(` $input `)` (`scale` `(` $scale^ `:` type($scale) `)`)?
    `as` $scheme attr-dict `:` type($input) `->` type($output) `,`
    type($scales) (`,` type($product)^)?
  }];
  let builders = [
    // Infers the result types; `returnProduct` adds the prologue's result.
    OpBuilder<(ins "Prologue":$prologue, "::mlir::Value":$input,
                   "::mlir::Value":$scale, "QuantSchemeAttr":$scheme,
                   "bool":$returnProduct)>
  ];
  let extraClassDeclaration = [{
    /// The type of the prologue's result for an input of type `input`:
    /// `[M, I]` for silu_and_mul's `[M, 2I]`.
    static ::mlir::RankedTensorType getProductType(Prologue prologue,
        ::mlir::RankedTensorType input);
  }];
  let hasVerifier = 1;
  let hasCanonicalizer = 1;
}

//===----------------------------------------------------------------------===//
// scaled_matmul
//===----------------------------------------------------------------------===//

def Vllm_ScaledMatmulOp : Vllm_Op<"scaled_matmul", [Pure]> {
  let summary = "block-scaled FP8 GEMM: D = (sa * A) (sb * B)^T";
  let description = [{
    `D[m,n] = RN_out(sum_kb sa(m,kb) * sb(n,kb) * sum_{k in kb} A[m,k] B[n,k])`
    with f32 accumulation (SPEC.md 3.5). A is `[M, K]`, B is `[N, K]` (K-major
    weights), both `f8E4M3FN`; D is bf16 or f32. The scale formats are read
    from the scale tensors' `#vllm.scales` encodings:

    - activation scales: `group 128` (any encoding/layout), `row`, `tensor`;
    - weight scales: `block 128x128` (f32 or ue8m0_f32), `row`, `tensor`.

    When `chip` is set, the activation scales must be in the format that
    chip's GEMM consumes (C10): `ue8m0_packed, mn_major, align 4` on sm_100a;
    `f32` or `ue8m0_f32`, `mn_major, align 4` on sm_90a.

    ```mlir
    %d = vllm.scaled_matmul %a, %b scales(%sa, %sb) chip <sm_100a>
        : (tensor<?x7168xf8E4M3FN>, tensor<2112x7168xf8E4M3FN>,
           tensor<14x?xi32, #vllm.scales<group 128, ue8m0_packed, mn_major, align 4>>,
           tensor<17x56xf32, #vllm.scales<block 128x128, f32>>)
        -> tensor<?x2112xbf16>
    ```
  }];
  let arguments = (ins Vllm_FP8Tensor:$a, Vllm_FP8Tensor:$b,
                       Vllm_ScaleTensor:$a_scales, Vllm_ScaleTensor:$b_scales,
                       OptionalAttr<Vllm_ChipAttr>:$chip);
  let results = (outs RankedTensorOf<[BF16, F32]>:$result);
  let assemblyFormat = [{
    $a `,` $b `scales` `(` $a_scales `,` $b_scales `)` (`chip` $chip^)?
    attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

include "vllm-mlir/Dialect/Vllm/IR/VllmBufferOps.td"

#endif // VLLM_MLIR_DIALECT_VLLM_IR_VLLMOPS_TD
