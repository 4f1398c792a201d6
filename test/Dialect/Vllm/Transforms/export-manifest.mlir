// vllm-export-manifest writes the signatures of the public tensor functions
// as JSON and leaves the IR unchanged. Every #vllm.scales format, dynamic
// dimensions, each element type, a function with no results and one with
// several; private and tensor-free public functions are left out. Each
// dynamic dimension of a result says how it follows from the arguments
// (size = ceil(roundUp(argument's size, align) / divide)), or only its
// index where it cannot. The expected lines are written by hand from the
// types and SPEC.md 3.3 below.
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
// RAW: "format_version": 2,
// RAW: "functions": [
// RAW: }

// CHECK: keys abi,format_version,functions
// CHECK-NEXT: version 2
// CHECK-NEXT: abi {"index_type":"int64","layout":"contiguous_row_major","memref":"StridedMemRef","memref_fields":["allocated","aligned","offset","sizes","strides"],"parameters":["stream","arguments","results"],"results":"caller_allocated","return_type":"void","stream":"CUstream"}

// CHECK-NEXT: func quant_group_packed _mlir_ciface_quant_group_packed
// CHECK-NEXT: keys arguments,name,results,symbol
// CHECK-NEXT: arg {"element_type":"bf16","rank":2,"shape":[null,7168]}
// CHECK-NEXT: res {"dynamic_dims":[{"align":1,"argument":0,"argument_dim":0,"dim":0,"divide":1}],"element_type":"f8E4M3FN","rank":2,"shape":[null,7168]}
// CHECK-NEXT: res {"dynamic_dims":[{"align":4,"argument":0,"argument_dim":0,"dim":1,"divide":1}],"element_type":"i32","rank":2,"scales":{"align":4,"encoding":"ue8m0_packed","group_size":128,"kind":"group","layout":"mn_major"},"shape":[14,null]}
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
// CHECK-NEXT: res {"dynamic_dims":[{"align":1,"argument":4,"argument_dim":1,"dim":1,"divide":1}],"element_type":"bf16","rank":3,"shape":[2,null,8]}
// CHECK-NEXT: res {"dynamic_dims":[{"align":1,"argument":0,"argument_dim":0,"dim":0,"divide":1},{"align":1,"argument":0,"argument_dim":1,"dim":1,"divide":1},{"align":1,"argument":0,"argument_dim":2,"dim":2,"divide":1}],"element_type":"f16","rank":3,"shape":[null,null,null]}
func.func @element_types(%a: tensor<?x?x?xf16>, %b: tensor<f32>, %c: tensor<4xi32>, %d: tensor<2112x7168xf8E4M3FN>, %e: tensor<2x?x8xbf16>) -> (tensor<2x?x8xbf16>, tensor<?x?x?xf16>) {
  return %e, %a : tensor<2x?x8xbf16>, tensor<?x?x?xf16>
}

// The rows M of a chain of ops come from the first one's first operand: the
// norm's x (argument 1 here), through the quantization of its result.
// Per-token scales are [M]; row-major group scales [M, H / 128]; the GEMM's
// result [M, N] takes A's M, which the MN-major f32 scales pad to a
// multiple of 4.
// CHECK-NEXT: func chain _mlir_ciface_chain
// CHECK-NEXT: keys arguments,name,results,symbol
// CHECK-NEXT: arg {"element_type":"bf16","rank":1,"shape":[256]}
// CHECK-NEXT: arg {"element_type":"bf16","rank":2,"shape":[null,256]}
// CHECK-NEXT: arg {"element_type":"f8E4M3FN","rank":2,"shape":[null,7168]}
// CHECK-NEXT: arg {"element_type":"f8E4M3FN","rank":2,"shape":[2112,7168]}
// CHECK-NEXT: arg {"element_type":"f32","rank":2,"scales":{"align":4,"encoding":"f32","group_size":128,"kind":"group","layout":"mn_major"},"shape":[56,null]}
// CHECK-NEXT: arg {"element_type":"f32","rank":2,"scales":{"align":1,"block":[128,128],"encoding":"f32","kind":"block","layout":"row_major"},"shape":[17,56]}
// CHECK-NEXT: res {"dynamic_dims":[{"align":1,"argument":1,"argument_dim":0,"dim":0,"divide":1}],"element_type":"f8E4M3FN","rank":2,"shape":[null,256]}
// CHECK-NEXT: res {"dynamic_dims":[{"align":1,"argument":1,"argument_dim":0,"dim":0,"divide":1}],"element_type":"f32","rank":1,"scales":{"align":1,"encoding":"f32","kind":"row","layout":"row_major"},"shape":[null]}
// CHECK-NEXT: res {"dynamic_dims":[{"align":1,"argument":1,"argument_dim":0,"dim":0,"divide":1}],"element_type":"f32","rank":2,"scales":{"align":1,"encoding":"f32","group_size":128,"kind":"group","layout":"row_major"},"shape":[null,2]}
// CHECK-NEXT: res {"dynamic_dims":[{"align":1,"argument":2,"argument_dim":0,"dim":0,"divide":1}],"element_type":"bf16","rank":2,"shape":[null,2112]}
func.func @chain(%w: tensor<256xbf16>, %x: tensor<?x256xbf16>,
                 %a: tensor<?x7168xf8E4M3FN>, %b: tensor<2112x7168xf8E4M3FN>,
                 %sa: tensor<56x?xf32, #vllm.scales<group 128, f32, mn_major, align 4>>,
                 %sb: tensor<17x56xf32, #vllm.scales<block 128x128, f32>>)
    -> (tensor<?x256xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>,
        tensor<?x2xf32, #vllm.scales<group 128, f32, row_major>>,
        tensor<?x2112xbf16>) {
  %y = vllm.rms_norm %x, %w {epsilon = 1.0e-06 : f32} : (tensor<?x256xbf16>, tensor<256xbf16>) -> tensor<?x256xbf16>
  %q, %s = vllm.quantize %y as <per_token> : tensor<?x256xbf16> -> tensor<?x256xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>
  %q2, %s2 = vllm.quantize %y as <per_group 128, f32, row_major> : tensor<?x256xbf16> -> tensor<?x256xf8E4M3FN>, tensor<?x2xf32, #vllm.scales<group 128, f32, row_major>>
  %d = vllm.scaled_matmul %a, %b scales(%sa, %sb) : (tensor<?x7168xf8E4M3FN>, tensor<2112x7168xf8E4M3FN>, tensor<56x?xf32, #vllm.scales<group 128, f32, mn_major, align 4>>, tensor<17x56xf32, #vllm.scales<block 128x128, f32>>) -> tensor<?x2112xbf16>
  return %q, %s, %s2, %d : tensor<?x256xf8E4M3FN>, tensor<?xf32, #vllm.scales<row>>, tensor<?x2xf32, #vllm.scales<group 128, f32, row_major>>, tensor<?x2112xbf16>
}

// A dimension the manifest cannot relate to the arguments (here the product
// of two by a reshape) has only its index: a loader cannot size that result.
// CHECK-NEXT: func reshaped _mlir_ciface_reshaped
// CHECK-NEXT: keys arguments,name,results,symbol
// CHECK-NEXT: arg {"element_type":"bf16","rank":3,"shape":[null,null,256]}
// CHECK-NEXT: res {"dynamic_dims":[{"dim":0}],"element_type":"bf16","rank":2,"shape":[null,256]}
func.func @reshaped(%x: tensor<?x?x256xbf16>) -> tensor<?x256xbf16> {
  %flat = tensor.collapse_shape %x [[0, 1], [2]] : tensor<?x?x256xbf16> into tensor<?x256xbf16>
  return %flat : tensor<?x256xbf16>
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
