// vllm-export-manifest lists the communicator groups a function's
// collectives name (SPEC.md 3.10), sorted, under "groups" (all_reduce and
// the all-reduce form of rms_norm_quant alike), so that a host knows what to
// bind before calling it; a function without collectives has no such key.
// RUN: vllm-opt %s --vllm-export-manifest=output=%t.json -o /dev/null
// RUN: %python %S/../../../Inputs/manifest-lines.py %t.json | FileCheck %s

// CHECK: func two_groups _mlir_ciface_two_groups
// CHECK-NEXT: keys arguments,groups,name,results,symbol
// CHECK: func no_group _mlir_ciface_no_group
// CHECK-NEXT: keys arguments,name,results,symbol
// RUN: FileCheck %s --check-prefix=RAW < %t.json
// RAW: "groups": [
// RAW-NEXT: 0,
// RAW-NEXT: 5
// RAW-NEXT: ],
// RAW-NEXT: "name": "two_groups",
// RAW-NOT: "groups"
func.func @two_groups(%x: tensor<?x128xbf16>, %res: tensor<?x128xbf16>, %w: tensor<128xbf16>)
    -> (tensor<?x128xbf16>, tensor<?x128xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>, tensor<?x128xbf16>) {
  %s = vllm.all_reduce %x group 5 : tensor<?x128xbf16> -> tensor<?x128xbf16>
  %q, %sc, %r = vllm.rms_norm_quant %x, %w all_reduce(group 0) residual(%res) as <per_token> {epsilon = 1.0e-06 : f32}
      : (tensor<?x128xbf16>, tensor<128xbf16>, tensor<?x128xbf16>) -> (tensor<?x128xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>, tensor<?x128xbf16>)
  return %s, %q, %sc, %r : tensor<?x128xbf16>, tensor<?x128xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>, tensor<?x128xbf16>
}
func.func @no_group(%x: tensor<?x128xbf16>) -> tensor<?x128xbf16> {
  return %x : tensor<?x128xbf16>
}
