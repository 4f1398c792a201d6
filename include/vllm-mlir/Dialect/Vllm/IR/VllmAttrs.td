//===- VllmAttrs.td - vllm dialect attributes --------------*- tablegen -*-===//
//
// Part of the vllm-mlir project.
//
//===----------------------------------------------------------------------===//

#ifndef VLLM_MLIR_DIALECT_VLLM_IR_VLLMATTRS_TD
#define VLLM_MLIR_DIALECT_VLLM_IR_VLLMATTRS_TD

include "vllm-mlir/Dialect/Vllm/IR/VllmBase.td"
include "mlir/IR/EnumAttr.td"
include "mlir/IR/BuiltinAttributeInterfaces.td"

//===----------------------------------------------------------------------===//
// Enums
//===----------------------------------------------------------------------===//

def Vllm_ScaleGranularity : I32EnumAttr<"ScaleGranularity",
    "which elements share one scale", [
      I32EnumAttrCase<"Tensor", 0, "tensor">,
      I32EnumAttrCase<"Row", 1, "row">,
      I32EnumAttrCase<"Group", 2, "group">,
      I32EnumAttrCase<"Block", 3, "block">]> {
  let cppNamespace = "::mlir::vllm";
  let genSpecializedAttr = 0;
}

def Vllm_ScaleEncoding : I32EnumAttr<"ScaleEncoding",
    "how a scale value is stored", [
      I32EnumAttrCase<"F32", 0, "f32">,
      I32EnumAttrCase<"UE8M0F32", 1, "ue8m0_f32">,
      I32EnumAttrCase<"UE8M0Packed", 2, "ue8m0_packed">]> {
  let cppNamespace = "::mlir::vllm";
  let genSpecializedAttr = 0;
}

def Vllm_ScaleLayout : I32EnumAttr<"ScaleLayout",
    "order of per-group scales in memory", [
      I32EnumAttrCase<"RowMajor", 0, "row_major">,
      I32EnumAttrCase<"MNMajor", 1, "mn_major">]> {
  let cppNamespace = "::mlir::vllm";
  let genSpecializedAttr = 0;
}

def Vllm_QuantKind : I32EnumAttr<"QuantKind",
    "how quantization scales are obtained", [
      I32EnumAttrCase<"StaticPerTensor", 0, "static_per_tensor">,
      I32EnumAttrCase<"DynamicPerTensor", 1, "dynamic_per_tensor">,
      I32EnumAttrCase<"PerToken", 2, "per_token">,
      I32EnumAttrCase<"PerGroup", 3, "per_group">]> {
  let cppNamespace = "::mlir::vllm";
  let genSpecializedAttr = 0;
}

def Vllm_Chip : I32EnumAttr<"Chip", "target GPU architecture", [
      I32EnumAttrCase<"SM90a", 0, "sm_90a">,
      I32EnumAttrCase<"SM100a", 1, "sm_100a">]> {
  let cppNamespace = "::mlir::vllm";
  let genSpecializedAttr = 0;
}

// The element-wise prologues a quantization can be fused with
// (vllm.elementwise_quant, SPEC.md 3.8). Adding one is adding a case here,
// its unfused op, and its entry in the tables of the fusion
// (FuseNormQuant.cpp), the GPU lowering (Prologue.cpp) and the CPU reference.
def Vllm_Prologue : I32EnumAttr<"Prologue",
    "element-wise computation fused in front of a quantization", [
      I32EnumAttrCase<"SiluAndMul", 0, "silu_and_mul">]> {
  let cppNamespace = "::mlir::vllm";
}

def Vllm_ChipAttr : EnumAttr<Vllm_Dialect, Vllm_Chip, "chip"> {
  let assemblyFormat = "`<` $value `>`";
}

//===----------------------------------------------------------------------===//
// #vllm.scales: the format of a scale tensor
//===----------------------------------------------------------------------===//

def Vllm_ScaleFormatAttr : Vllm_Attr<"ScaleFormat", "scales"> {
  let summary = "granularity, encoding and memory layout of a scale tensor";
  let description = [{
    Attached as the encoding of every scale tensor in the dialect, so that the
    format of the scales is part of the value's type. Syntax and shapes (M
    rows of the scaled matrix, K its reduction dimension, `G = K / g`,
    `Mpad = roundup(M, align)`, `Kp = ceil(G / 4)`):

    | attribute | element | shape |
    |---|---|---|
    | `#vllm.scales<tensor>` | f32 | `[1]` |
    | `#vllm.scales<row>` (per-token / per-channel) | f32 | `[M]` |
    | `#vllm.scales<group g, f32, row_major>` | f32 | `[M, G]` |
    | `#vllm.scales<group g, f32, mn_major, align a>` | f32 | `[G, Mpad]` |
    | `#vllm.scales<group g, ue8m0_f32, ...>` | f32 (powers of two) | as f32 |
    | `#vllm.scales<group g, ue8m0_packed, mn_major, align 4>` | i32 | `[Kp, Mpad]` |
    | `#vllm.scales<block 128x128, f32>` (weights) | f32 | `[ceil(N/128), K/128]` |
    | `#vllm.scales<block 128x128, ue8m0_f32>` (weights) | f32 | as f32 |

    In the MN-major layout, scale (m, j) is at offset `j * Mpad + m` and the
    padding rows hold 0. In the packed layout, byte `b` of word (m, p) is the
    UE8M0 exponent of group `4p + b`; bytes of groups >= G and words of rows
    >= M are 0 (SPEC.md 3.3).
  }];
  let parameters = (ins
    EnumParameter<Vllm_ScaleGranularity>:$granularity,
    DefaultValuedParameter<"int64_t", "0">:$blockRows,
    DefaultValuedParameter<"int64_t", "0">:$blockCols,
    DefaultValuedParameter<"::mlir::vllm::ScaleEncoding",
                           "::mlir::vllm::ScaleEncoding::F32">:$encoding,
    DefaultValuedParameter<"::mlir::vllm::ScaleLayout",
                           "::mlir::vllm::ScaleLayout::RowMajor">:$layout,
    DefaultValuedParameter<"int64_t", "1">:$align);
  let hasCustomAssemblyFormat = 1;
  let genVerifyDecl = 1;
  let builders = [
    AttrBuilder<(ins "::mlir::vllm::ScaleGranularity":$granularity), [{
      return $_get($_ctxt, granularity, 0, 0, ScaleEncoding::F32,
                   ScaleLayout::RowMajor, 1);
    }]>
  ];
  let extraClassDeclaration = [{
    /// Per-group format (1 x groupSize along the hidden dimension).
    static ScaleFormatAttr getGroup(::mlir::MLIRContext *ctx, int64_t groupSize,
                                    ScaleEncoding encoding, ScaleLayout layout,
                                    int64_t align);
    bool isGroup() const { return getGranularity() == ScaleGranularity::Group; }
    bool isPacked() const { return getEncoding() == ScaleEncoding::UE8M0Packed; }
    /// True when the stored values are UE8M0 (power-of-two) scales.
    bool isUE8M0() const { return getEncoding() != ScaleEncoding::F32; }
    int64_t getGroupSize() const { return getBlockCols(); }
    /// Element type of the scale tensor: i32 for packed UE8M0, else f32.
    ::mlir::Type getElementType() const;
    /// The shape of the scale tensor for a matrix of `rows` x `cols`
    /// (ShapedType::kDynamic allowed for rows).
    ::llvm::SmallVector<int64_t> getScaleShape(int64_t rows, int64_t cols) const;
    /// The full ranked tensor type (with this attribute as encoding).
    ::mlir::RankedTensorType getScaleType(int64_t rows, int64_t cols) const;
  }];
}

//===----------------------------------------------------------------------===//
// #vllm.quant: a quantization scheme
//===----------------------------------------------------------------------===//

def Vllm_QuantSchemeAttr : Vllm_Attr<"QuantScheme", "quant"> {
  let summary = "an FP8 (e4m3fn) quantization scheme";
  let description = [{
    Says how the scale of each element is obtained and how the scales are
    stored (SPEC.md 3.3):

    ```mlir
    #vllm.quant<static_per_tensor>
    #vllm.quant<dynamic_per_tensor>
    #vllm.quant<per_token>
    #vllm.quant<per_token, upper_bound = 1.200000e+03>
    #vllm.quant<per_group 128, f32, row_major>
    #vllm.quant<per_group 128, f32, mn_major, align 4>
    #vllm.quant<per_group 128, ue8m0_f32, mn_major, align 4>
    #vllm.quant<per_group 128, ue8m0_packed, mn_major, align 4>
    ```

    `getScaleFormat()` gives the `#vllm.scales` encoding the scale tensor of
    this scheme must carry. Constraints: the group size is 32, 64 or 128
    (C5); only `per_token` takes an upper bound (C6); `ue8m0_packed` is
    MN-major with align 4; align is 1 or 4.
  }];
  let parameters = (ins
    EnumParameter<Vllm_QuantKind>:$kind,
    DefaultValuedParameter<"int64_t", "0">:$groupSize,
    DefaultValuedParameter<"::mlir::vllm::ScaleEncoding",
                           "::mlir::vllm::ScaleEncoding::F32">:$encoding,
    DefaultValuedParameter<"::mlir::vllm::ScaleLayout",
                           "::mlir::vllm::ScaleLayout::RowMajor">:$layout,
    DefaultValuedParameter<"int64_t", "1">:$align,
    OptionalParameter<"::mlir::FloatAttr">:$upperBound);
  let hasCustomAssemblyFormat = 1;
  let genVerifyDecl = 1;
  let builders = [
    AttrBuilder<(ins "::mlir::vllm::QuantKind":$kind), [{
      return $_get($_ctxt, kind, 0, ScaleEncoding::F32, ScaleLayout::RowMajor,
                   1, ::mlir::FloatAttr());
    }]>
  ];
  let extraClassDeclaration = [{
    static QuantSchemeAttr getPerGroup(::mlir::MLIRContext *ctx,
                                       int64_t groupSize,
                                       ScaleEncoding encoding,
                                       ScaleLayout layout, int64_t align);
    /// The encoding the scale tensor of this scheme carries.
    ScaleFormatAttr getScaleFormat() const;
    bool isStatic() const { return getKind() == QuantKind::StaticPerTensor; }
    bool isPerGroup() const { return getKind() == QuantKind::PerGroup; }
  }];
}

#endif // VLLM_MLIR_DIALECT_VLLM_IR_VLLMATTRS_TD
