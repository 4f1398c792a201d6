// vllm-export-manifest writes the signatures of the public tensor functions
// as JSON and leaves the IR unchanged. Every #vllm.scales format, dynamic
// dimensions, each element type, a function with no results and one with
// several; private and tensor-free public functions are left out. The
// expected lines are written by hand from the types below.
// RUN: vllm-opt %s --vllm-export-manifest=output=%t.json | FileCheck %s --check-prefix=IR
// RUN: FileCheck %s --check-prefix=RAW --match-full-lines < %t.json
// RUN: %python %S/../../../Inputs/manifest-lines.py %t.json | FileCheck %s --match-full-lines --implicit-check-not='{{.}}'

// The IR is printed as it was.
// IR: func.func @quant_group_packed(
// IR: func.func private @helper(

// The file is indented JSON; keys are sorted.
// RAW: {
// RAW-NEXT:   "abi": {
// RAW-NEXT:     "index_type": "int64",
// RAW: "format_version": 1,
// RAW: "functions": [
// RAW: }

// CHECK: keys abi,format_version,functions
// CHECK-NEXT: version 1
// CHECK-NEXT: abi {"index_type":"int64","layout":"contiguous_row_major","memref":"StridedMemRef","memref_fields":["allocated","aligned","offset","sizes","strides"],"parameters":["stream","arguments","results"],"results":"caller_allocated","return_type":"void","stream":"CUstream"}

// CHECK-NEXT: func quant_group_packed _mlir_ciface_quant_group_packed
// CHECK-NEXT: keys arguments,name,results,symbol
// CHECK-NEXT: arg {"element_type":"bf16","rank":2,"shape":[null,7168]}
// CHECK-NEXT: res {"element_type":"f8E4M3FN","rank":2,"shape":[null,7168]}
// CHECK-NEXT: res {"element_type":"i32","rank":2,"scales":{"align":4,"encoding":"ue8m0_packed","group_size":128,"kind":"group","layout":"mn_major"},"shape":[14,null]}
func.func @quant_group_packed(%y: tensor<?x7168xbf16>) -> (tensor<?x7168xf8E4M3FN>, tensor<14x?xi32, #vllm.scales<group 128, ue8m0_packed, mn_major, align 4>>) {
  %q, %s = vllm.quantize %y as <per_group 128, ue8m0_packed, mn_major, align 4> : tensor<?x7168xbf16> -> tensor<?x7168xf8E4M3FN>, tensor<14x?xi32, #vllm.scales<group 128, ue8m0_packed, mn_major, align 4>>
  return %q, %s : tensor<?x7168xf8E4M3FN>, tensor<14x?xi32, #vllm.scales<group 128, ue8m0_packed, mn_major, align 4>>
}

// CHECK-NEXT: func group_formats _mlir_ciface_group_formats
// CHECK-NEXT: keys arguments,name,results,symbol
// CHECK-NEXT: arg {"element_type":"f32","rank":2,"scales":{"align":1,"encoding":"f32","group_size":128,"kind":"group","layout":"row_major"},"shape":[null,56]}
// CHECK-NEXT: arg {"element_type":"f32","rank":2,"scales":{"align":4,"encoding":"f32","group_size":64,"kind":"group","layout":"mn_major"},"shape":[112,null]}
// CHECK-NEXT: arg {"element_type":"f32","rank":2,"scales":{"align":1,"encoding":"ue8m0_f32","group_size":32,"kind":"group","layout":"mn_major"},"shape":[224,9]}
// CHECK-NEXT: arg {"element_type":"f32","rank":2,"scales":{"align":1,"encoding":"ue8m0_f32","group_size":128,"kind":"group","layout":"row_major"},"shape":[null,56]}
func.func @group_formats(
    %a: tensor<?x56xf32, #vllm.scales<group 128, f32, row_major>>,
    %b: tensor<112x?xf32, #vllm.scales<group 64, f32, mn_major, align 4>>,
    %c: tensor<224x9xf32, #vllm.scales<group 32, ue8m0_f32, mn_major, align 1>>,
    %d: tensor<?x56xf32, #vllm.scales<group 128, ue8m0_f32, row_major>>) {
  return
}

// CHECK-NEXT: func tensor_row_block _mlir_ciface_tensor_row_block
// CHECK-NEXT: keys arguments,name,results,symbol
// CHECK-NEXT: arg {"element_type":"f32","rank":1,"scales":{"align":1,"encoding":"f32","kind":"tensor","layout":"row_major"},"shape":[1]}
// CHECK-NEXT: arg {"element_type":"f32","rank":1,"scales":{"align":1,"encoding":"f32","kind":"row","layout":"row_major"},"shape":[null]}
// CHECK-NEXT: arg {"element_type":"f32","rank":2,"scales":{"align":1,"block":[128,128],"encoding":"f32","kind":"block","layout":"row_major"},"shape":[17,56]}
// CHECK-NEXT: arg {"element_type":"f32","rank":2,"scales":{"align":1,"block":[128,128],"encoding":"ue8m0_f32","kind":"block","layout":"row_major"},"shape":[17,56]}
// CHECK-NEXT: res {"element_type":"f32","rank":1,"scales":{"align":1,"encoding":"f32","kind":"tensor","layout":"row_major"},"shape":[1]}
func.func @tensor_row_block(
    %t: tensor<1xf32, #vllm.scales<tensor>>,
    %r: tensor<?xf32, #vllm.scales<row>>,
    %w: tensor<17x56xf32, #vllm.scales<block 128x128, f32>>,
    %u: tensor<17x56xf32, #vllm.scales<block 128x128, ue8m0_f32>>)
    -> tensor<1xf32, #vllm.scales<tensor>> {
  return %t : tensor<1xf32, #vllm.scales<tensor>>
}

// Element types and ranks 0 to 3, all dimensions dynamic in one.
// CHECK-NEXT: func element_types _mlir_ciface_element_types
// CHECK-NEXT: keys arguments,name,results,symbol
// CHECK-NEXT: arg {"element_type":"f16","rank":3,"shape":[null,null,null]}
// CHECK-NEXT: arg {"element_type":"f32","rank":0,"shape":[]}
// CHECK-NEXT: arg {"element_type":"i32","rank":1,"shape":[4]}
// CHECK-NEXT: arg {"element_type":"f8E4M3FN","rank":2,"shape":[2112,7168]}
// CHECK-NEXT: arg {"element_type":"bf16","rank":3,"shape":[2,null,8]}
// CHECK-NEXT: res {"element_type":"bf16","rank":3,"shape":[2,null,8]}
// CHECK-NEXT: res {"element_type":"f16","rank":3,"shape":[null,null,null]}
func.func @element_types(%a: tensor<?x?x?xf16>, %b: tensor<f32>, %c: tensor<4xi32>, %d: tensor<2112x7168xf8E4M3FN>, %e: tensor<2x?x8xbf16>) -> (tensor<2x?x8xbf16>, tensor<?x?x?xf16>) {
  return %e, %a : tensor<2x?x8xbf16>, tensor<?x?x?xf16>
}

// CHECK-NEXT: end

// Not entry points: private functions, public ones without tensors.
func.func private @helper(%x: tensor<4xf32>) -> tensor<4xf32> {
  return %x : tensor<4xf32>
}
func.func @scalars(%a: i32) -> i32 {
  return %a : i32
}
func.func @nothing() {
  return
}
