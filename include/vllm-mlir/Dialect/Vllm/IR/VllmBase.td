//===- VllmBase.td - vllm dialect definition ---------------*- tablegen -*-===//
//
// Part of the vllm-mlir project.
//
//===----------------------------------------------------------------------===//

#ifndef VLLM_MLIR_DIALECT_VLLM_IR_VLLMBASE_TD
#define VLLM_MLIR_DIALECT_VLLM_IR_VLLMBASE_TD

include "mlir/IR/OpBase.td"
include "mlir/IR/AttrTypeBase.td"

def Vllm_Dialect : Dialect {
  let name = "vllm";
  let cppNamespace = "::mlir::vllm";
  let summary = "RMSNorm, FP8 quantization and block-scaled FP8 GEMM for LLM inference";
  let description = [{
    The `vllm` dialect models the norm -> quantize -> GEMM chains that LLM
    serving engines run before every linear layer. Its defining property is
    that the *encoding and memory layout of quantization scales* are part of
    the IR: every scale tensor carries a `#vllm.scales<...>` encoding, every
    `vllm.quantize` carries a structured `#vllm.quant<...>` scheme, and the
    verifiers reject a producer/consumer mismatch (SPEC C8, C10) instead of
    letting a kernel read bytes in the wrong format.

    The semantics of each op are specified bit-exactly in docs/SPEC.md;
    constraint numbers (C1, C2, ...) from that document are cited by the
    verifiers and by the names of the negative tests.
  }];
  let useDefaultAttributePrinterParser = 1;
  let dependentDialects = ["::mlir::tensor::TensorDialect"];
}

class Vllm_Op<string mnemonic, list<Trait> traits = []>
    : Op<Vllm_Dialect, mnemonic, traits>;

class Vllm_Attr<string name, string attrMnemonic, list<Trait> traits = []>
    : AttrDef<Vllm_Dialect, name, traits> {
  let mnemonic = attrMnemonic;
}

#endif // VLLM_MLIR_DIALECT_VLLM_IR_VLLMBASE_TD
