//===- VllmBufferOps.td - buffer forms of the vllm ops -----*- tablegen -*-===//
//
// Part of the vllm-mlir project.
//
//===----------------------------------------------------------------------===//
//
// The destination-passing memref form of every tensor op (SPEC.md 3.9):
// `vllm.buffer.<op>` reads its input buffers and writes each result of the
// tensor op into a buffer given after `into`. One-shot bufferization makes
// them (BufferizableOpInterfaceImpl.cpp); convert-vllm-to-gpu lowers them.
// Operands keep the names of the tensor op's operands and results, so the
// verifiers are shared (VllmOps.cpp).
//
//===----------------------------------------------------------------------===//

#ifndef VLLM_MLIR_DIALECT_VLLM_IR_VLLMBUFFEROPS_TD
#define VLLM_MLIR_DIALECT_VLLM_IR_VLLMBUFFEROPS_TD

def Vllm_FloatMemRef : MemRefOf<[BF16, F16, F32]>;
def Vllm_FP8MemRef : MemRefOf<[F8E4M3FN]>;
def Vllm_ScaleMemRef : MemRefOf<[F32, I32]>;

class Vllm_BufferOp<string mnemonic, list<Trait> traits = []>
    : Vllm_Op<"buffer." # mnemonic, traits> {
  let hasVerifier = 1;
}

def Vllm_BufferRMSNormOp : Vllm_BufferOp<"rms_norm"> {
  let summary = "rms_norm on buffers (destination-passing)";
  let description = [{
    `vllm.rms_norm` (SPEC.md 3.1) reading `input` and `weight` and writing
    `result` (SPEC.md 3.9; C14: contiguous buffers, no overlap).
    ```mlir
    vllm.buffer.rms_norm %x, %w into %y {epsilon = 1.0e-06 : f32}
        : memref<?x7168xbf16>, memref<7168xbf16> into memref<?x7168xbf16>
    ```
  }];
  let arguments = (ins Arg<Vllm_FloatMemRef, "", [MemRead]>:$input,
                       Arg<Vllm_FloatMemRef, "", [MemRead]>:$weight,
                       Arg<Vllm_FloatMemRef, "", [MemWrite]>:$result,
                       F32Attr:$epsilon,
                       UnitAttr:$round_before_weight);
  let assemblyFormat = [{
    $input `,` $weight `into` $result attr-dict `:` type($input) `,`
    type($weight) `into` type($result)
  }];
}

def Vllm_BufferFusedAddRMSNormOp : Vllm_BufferOp<"fused_add_rms_norm"> {
  let summary = "fused_add_rms_norm on buffers (destination-passing)";
  let description = [{
    `vllm.fused_add_rms_norm` (SPEC.md 3.2) writing `result` and
    `residual_out`. `residual_out` may be the `residual` buffer itself (the
    residual updated in place, C15); no other buffers may overlap.
    ```mlir
    vllm.buffer.fused_add_rms_norm %x, %res, %w into %y, %res
        {epsilon = 1.0e-06 : f32}
        : memref<?x7168xbf16>, memref<?x7168xbf16>, memref<7168xbf16>
          into memref<?x7168xbf16>, memref<?x7168xbf16>
    ```
  }];
  let arguments = (ins Arg<Vllm_FloatMemRef, "", [MemRead]>:$input,
                       Arg<Vllm_FloatMemRef, "", [MemRead]>:$residual,
                       Arg<Vllm_FloatMemRef, "", [MemRead]>:$weight,
                       Arg<Vllm_FloatMemRef, "", [MemWrite]>:$result,
                       Arg<Vllm_FloatMemRef, "", [MemWrite]>:$residual_out,
                       F32Attr:$epsilon,
                       UnitAttr:$round_before_weight);
  let assemblyFormat = [{
    $input `,` $residual `,` $weight `into` $result `,` $residual_out
    attr-dict `:` type($input) `,` type($residual) `,` type($weight) `into`
    type($result) `,` type($residual_out)
  }];
}

def Vllm_BufferQuantizeOp : Vllm_BufferOp<"quantize"> {
  let summary = "quantize on buffers (destination-passing)";
  let description = [{
    `vllm.quantize` (SPEC.md 3.3) writing `output` and `scales`; the scale
    buffers are in the format of the scheme (C14).
    ```mlir
    vllm.buffer.quantize %y as <per_group 128, ue8m0_packed, mn_major, align 4>
        into %q, %s
        : memref<?x7168xbf16> into memref<?x7168xf8E4M3FN>, memref<14x?xi32>
    ```
  }];
  let arguments = (ins Arg<Vllm_FloatMemRef, "", [MemRead]>:$input,
                       Arg<Optional<Vllm_ScaleMemRef>, "", [MemRead]>:$scale,
                       Arg<Vllm_FP8MemRef, "", [MemWrite]>:$output,
                       Arg<Vllm_ScaleMemRef, "", [MemWrite]>:$scales,
                       Vllm_QuantSchemeAttr:$scheme);
  let assemblyFormat = [{
    $input (`scale` `(` $scale^ `:` type($scale) `)`)? `as` $scheme `into`
    $output `,` $scales attr-dict `:` type($input) `into` type($output) `,`
    type($scales)
  }];
}

def Vllm_BufferRMSNormQuantOp : Vllm_BufferOp<"rms_norm_quant",
    [AttrSizedOperandSegments]> {
  let summary = "rms_norm_quant on buffers (destination-passing)";
  let description = [{
    `vllm.rms_norm_quant` (SPEC.md 3.4) writing `output`, `scales` and,
    when given, `residual_out` (exactly when there is a `residual`; it may be
    the `residual` buffer itself, C15) and `normalized`.
    ```mlir
    vllm.buffer.rms_norm_quant %x, %w residual(%res : memref<?x7168xbf16>)
        as <per_group 128, f32, mn_major, align 4>
        into %q, %s residual_out(%res : memref<?x7168xbf16>)
        {epsilon = 1.0e-06 : f32}
        : memref<?x7168xbf16>, memref<7168xbf16>
          into memref<?x7168xf8E4M3FN>, memref<56x?xf32>
    ```
  }];
  let arguments = (ins Arg<Vllm_FloatMemRef, "", [MemRead]>:$input,
                       Arg<Vllm_FloatMemRef, "", [MemRead]>:$weight,
                       Arg<Optional<Vllm_FloatMemRef>, "", [MemRead]>:$residual,
                       Arg<Optional<Vllm_ScaleMemRef>, "", [MemRead]>:$scale,
                       Arg<Vllm_FP8MemRef, "", [MemWrite]>:$output,
                       Arg<Vllm_ScaleMemRef, "", [MemWrite]>:$scales,
                       Arg<Optional<Vllm_FloatMemRef>, "", [MemWrite]>:$residual_out,
                       Arg<Optional<Vllm_FloatMemRef>, "", [MemWrite]>:$normalized,
                       F32Attr:$epsilon, Vllm_QuantSchemeAttr:$scheme,
                       UnitAttr:$round_before_weight,
                       OptionalAttr<Vllm_GroupAttr>:$all_reduce_group);
  let assemblyFormat = [{
    $input `,` $weight (`all_reduce` `(` `group` $all_reduce_group^ `)`)?
    (`residual` `(` $residual^ `:` type($residual) `)`)?
    (`scale` `(` $scale^ `:` type($scale) `)`)? `as` $scheme `into` $output
    `,` $scales
    (`residual_out` `(` $residual_out^ `:` type($residual_out) `)`)?
    (`normalized` `(` $normalized^ `:` type($normalized) `)`)?
    attr-dict `:` type($input) `,` type($weight) `into` type($output) `,`
    type($scales)
  }];
}

def Vllm_BufferAllReduceOp : Vllm_BufferOp<"all_reduce"> {
  let summary = "all_reduce on buffers (destination-passing)";
  let description = [{
    `vllm.all_reduce` (SPEC.md 3.10) reading this rank's `input` and
    writing the rank-ordered sum over the group into `result` (C14, C15: no
    overlap).
    ```mlir
    vllm.buffer.all_reduce %x into %y group 0
        : memref<?x7168xbf16> into memref<?x7168xbf16>
    ```
  }];
  let arguments = (ins Arg<Vllm_FloatMemRef, "", [MemRead]>:$input,
                       Arg<Vllm_FloatMemRef, "", [MemWrite]>:$result,
                       Vllm_GroupAttr:$group);
  let assemblyFormat = [{
    $input `into` $result `group` $group attr-dict `:` type($input) `into`
    type($result)
  }];
}

def Vllm_BufferSiluAndMulOp : Vllm_BufferOp<"silu_and_mul"> {
  let summary = "silu_and_mul on buffers (destination-passing)";
  let description = [{
    `vllm.silu_and_mul` (SPEC.md 3.7) reading `input` `[..., 2I]` and
    writing `result` `[..., I]`.
    ```mlir
    vllm.buffer.silu_and_mul %x into %y
        : memref<?x4096xbf16> into memref<?x2048xbf16>
    ```
  }];
  let arguments = (ins Arg<Vllm_FloatMemRef, "", [MemRead]>:$input,
                       Arg<Vllm_FloatMemRef, "", [MemWrite]>:$result);
  let assemblyFormat = [{
    $input `into` $result attr-dict `:` type($input) `into` type($result)
  }];
}

def Vllm_BufferElementwiseQuantOp : Vllm_BufferOp<"elementwise_quant",
    [AttrSizedOperandSegments]> {
  let summary = "elementwise_quant on buffers (destination-passing)";
  let description = [{
    `vllm.elementwise_quant` (SPEC.md 3.8) writing `output`, `scales` and,
    when given, the prologue's result `product`.
    ```mlir
    vllm.buffer.elementwise_quant silu_and_mul(%x)
        as <per_group 128, f32, mn_major, align 4> into %q, %s
        : memref<?x4096xbf16> into memref<?x2048xf8E4M3FN>, memref<16x?xf32>
    ```
  }];
  let arguments = (ins Arg<Vllm_FloatMemRef, "", [MemRead]>:$input,
                       Arg<Optional<Vllm_ScaleMemRef>, "", [MemRead]>:$scale,
                       Arg<Vllm_FP8MemRef, "", [MemWrite]>:$output,
                       Arg<Vllm_ScaleMemRef, "", [MemWrite]>:$scales,
                       Arg<Optional<Vllm_FloatMemRef>, "", [MemWrite]>:$product,
                       Vllm_Prologue:$prologue,
                       Vllm_QuantSchemeAttr:$scheme);
  let assemblyFormat = [{
    $prologue `(` $input `)` (`scale` `(` $scale^ `:` type($scale) `)`)?
    `as` $scheme `into` $output `,` $scales
    (`product` `(` $product^ `:` type($product) `)`)? attr-dict `:`
    type($input) `into` type($output) `,` type($scales)
  }];
}

def Vllm_BufferScaledMatmulOp : Vllm_BufferOp<"scaled_matmul"> {
  let summary = "scaled_matmul on buffers (destination-passing)";
  let description = [{
    `vllm.scaled_matmul` (SPEC.md 3.5) writing `result`. The scale buffers
    have no encoding, so their formats are stated on the op (C14).
    ```mlir
    vllm.buffer.scaled_matmul %a, %b
        scales(%sa as <group 128, ue8m0_packed, mn_major, align 4>,
               %sb as <block 128x128, f32>) chip <sm_100a> into %d
        : memref<?x7168xf8E4M3FN>, memref<2112x7168xf8E4M3FN>,
          memref<14x?xi32>, memref<17x56xf32> into memref<?x2112xbf16>
    ```
  }];
  let arguments = (ins Arg<Vllm_FP8MemRef, "", [MemRead]>:$a,
                       Arg<Vllm_FP8MemRef, "", [MemRead]>:$b,
                       Arg<Vllm_ScaleMemRef, "", [MemRead]>:$a_scales,
                       Arg<Vllm_ScaleMemRef, "", [MemRead]>:$b_scales,
                       Arg<MemRefOf<[BF16, F32]>, "", [MemWrite]>:$result,
                       Vllm_ScaleFormatAttr:$a_scales_format,
                       Vllm_ScaleFormatAttr:$b_scales_format,
                       OptionalAttr<Vllm_ChipAttr>:$chip);
  let assemblyFormat = [{
    $a `,` $b `scales` `(` $a_scales `as` $a_scales_format `,` $b_scales `as`
    $b_scales_format `)` (`chip` $chip^)? `into` $result attr-dict `:`
    type($a) `,` type($b) `,` type($a_scales) `,` type($b_scales) `into`
    type($result)
  }];
}

#endif // VLLM_MLIR_DIALECT_VLLM_IR_VLLMBUFFEROPS_TD
