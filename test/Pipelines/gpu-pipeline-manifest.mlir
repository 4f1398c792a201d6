// vllm-gpu-pipeline's manifest option writes the manifest of the module the
// conversion sees (after the fusion, when fuse=true). It is written after
// the pipeline's first check (format, toolkit, fusion options), so a bad
// format leaves no file; options of the conversion itself (the chip, ...)
// are checked by the conversion, after the manifest was written.
// RUN: rm -f %t.fused.json %t.bad.json
// RUN: vllm-opt %s --vllm-gpu-pipeline="chip=sm_100a format=ptx fuse=true manifest=%t.fused.json" -o /dev/null
// RUN: %python %vllm_src/test/Inputs/manifest-lines.py %t.fused.json | FileCheck %s --match-full-lines
// RUN: not vllm-opt %s --vllm-gpu-pipeline="chip=sm_90a format=sass manifest=%t.bad.json" -o /dev/null 2>&1 | FileCheck %s --check-prefix=BAD
// RUN: not test -e %t.bad.json

// CHECK: func norm_quant _mlir_ciface_norm_quant
// CHECK-NEXT: keys arguments,name,results,symbol
// CHECK-NEXT: arg {"element_type":"bf16","rank":2,"shape":[null,256]}
// CHECK-NEXT: arg {"element_type":"bf16","rank":1,"shape":[256]}
// CHECK-NEXT: res {"dynamic_dims":[{"align":1,"argument":0,"argument_dim":0,"dim":0,"divide":1}],"element_type":"f8E4M3FN","rank":2,"shape":[null,256]}
// CHECK-NEXT: res {"dynamic_dims":[{"align":1,"argument":0,"argument_dim":0,"dim":0,"divide":1}],"element_type":"f32","rank":2,"scales":{"align":1,"encoding":"f32","group_size":128,"kind":"group","layout":"row_major"},"shape":[null,2]}
// CHECK-NEXT: end
// BAD: error: unknown kernel binary format 'sass': expected cubin, ptx or fatbin

func.func @norm_quant(%x: tensor<?x256xbf16>, %w: tensor<256xbf16>) -> (tensor<?x256xf8E4M3FN>, tensor<?x2xf32, #vllm.scales<group 128, f32, row_major>>) {
  %y = vllm.rms_norm %x, %w {epsilon = 1.0e-06 : f32} : (tensor<?x256xbf16>, tensor<256xbf16>) -> tensor<?x256xbf16>
  %q, %s = vllm.quantize %y as <per_group 128, f32, row_major> : tensor<?x256xbf16> -> tensor<?x256xf8E4M3FN>, tensor<?x2xf32, #vllm.scales<group 128, f32, row_major>>
  return %q, %s : tensor<?x256xf8E4M3FN>, tensor<?x2xf32, #vllm.scales<group 128, f32, row_major>>
}
