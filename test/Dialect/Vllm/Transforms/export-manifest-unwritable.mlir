// A manifest that cannot be written is an error at the module.
// RUN: vllm-opt %s -verify-diagnostics --vllm-export-manifest=output=%t.missing/x.json -o /dev/null
// RUN: not test -e %t.missing

// expected-error-re @+1 {{vllm-export-manifest: cannot open '{{.*}}.missing/x.json': {{.+}}}}
module {
  func.func @f(%x: tensor<4xf32>) -> tensor<4xf32> {
    return %x : tensor<4xf32>
  }
}
