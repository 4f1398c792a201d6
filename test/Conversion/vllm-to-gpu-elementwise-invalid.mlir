// RUN: vllm-opt %s -split-input-file -verify-diagnostics --convert-vllm-to-gpu=chip=sm_90a

// What convert-vllm-to-gpu cannot turn into an element-wise kernel in a
// function on buffers is diagnosed on the linalg op; nothing is lowered.

func.func @reduction(%x: memref<?x256xbf16>, %w: memref<256xbf16>, %y: memref<?x256xbf16>, %sum: memref<?xf32>) {
  vllm.buffer.rms_norm %x, %w into %y {epsilon = 1.0e-06 : f32} : memref<?x256xbf16>, memref<256xbf16> into memref<?x256xbf16>
  // expected-error @+1 {{'linalg.generic' op has a loop that is not parallel (a reduction); convert-vllm-to-gpu compiles the element-wise linalg ops of a function on buffers (every loop parallel, outputs written through permutations)}}
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0)>], iterator_types = ["parallel", "reduction"]} ins(%y : memref<?x256xbf16>) outs(%sum : memref<?xf32>) {
  ^bb0(%v: bf16, %acc: f32):
    %e = arith.extf %v : bf16 to f32
    %s = arith.addf %acc, %e : f32
    linalg.yield %s : f32
  }
  return
}

// -----

func.func @not_a_permutation(%x: memref<?x256xbf16>, %w: memref<256xbf16>, %y: memref<?x256xbf16>, %last: memref<?xbf16>) {
  vllm.buffer.rms_norm %x, %w into %y {epsilon = 1.0e-06 : f32} : memref<?x256xbf16>, memref<256xbf16> into memref<?x256xbf16>
  // expected-error @+1 {{'linalg.generic' op writes an output through a map that is not a permutation of the loops}}
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0)>], iterator_types = ["parallel", "parallel"]} ins(%y : memref<?x256xbf16>) outs(%last : memref<?xbf16>) {
  ^bb0(%v: bf16, %unused: bf16):
    linalg.yield %v : bf16
  }
  return
}

// -----

func.func @shifted_map(%x: memref<?x256xbf16>, %w: memref<256xbf16>, %y: memref<?x256xbf16>, %out: memref<?x128xbf16>) {
  vllm.buffer.rms_norm %x, %w into %y {epsilon = 1.0e-06 : f32} : memref<?x256xbf16>, memref<256xbf16> into memref<?x256xbf16>
  // expected-error @+1 {{'linalg.generic' op indexes an operand with a map that is not made of loop indices and constants}}
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1 + 128)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%y : memref<?x256xbf16>) outs(%out : memref<?x128xbf16>) {
  ^bb0(%v: bf16, %unused: bf16):
    linalg.yield %v : bf16
  }
  return
}

// -----

func.func @foreign_body_op(%x: memref<?x256xbf16>, %w: memref<256xbf16>, %y: memref<?x256xbf16>, %table: memref<256xf32>, %out: memref<?x256xf32>) {
  vllm.buffer.rms_norm %x, %w into %y {epsilon = 1.0e-06 : f32} : memref<?x256xbf16>, memref<256xbf16> into memref<?x256xbf16>
  // expected-error @+1 {{'linalg.generic' op has 'memref.load' in its body (arith and math ops only)}}
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} outs(%out : memref<?x256xf32>) {
  ^bb0(%unused: f32):
    %i = linalg.index 1 : index
    %v = memref.load %table[%i] : memref<256xf32>
    linalg.yield %v : f32
  }
  return
}

// -----

func.func @captured_value(%x: memref<?x256xbf16>, %w: memref<256xbf16>, %y: memref<?x256xbf16>, %out: memref<?x256xf32>) {
  vllm.buffer.rms_norm %x, %w into %y {epsilon = 1.0e-06 : f32} : memref<?x256xbf16>, memref<256xbf16> into memref<?x256xbf16>
  %c0 = arith.constant 0 : index
  %m = memref.dim %x, %c0 : memref<?x256xbf16>
  %mi = arith.index_cast %m : index to i32
  // expected-error @+1 {{'linalg.generic' op uses a value from outside its body that is not a constant}}
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} outs(%out : memref<?x256xf32>) {
  ^bb0(%unused: f32):
    %f = arith.sitofp %mi : i32 to f32
    linalg.yield %f : f32
  }
  return
}

// -----

func.func @strided(%x: memref<?x256xbf16>, %w: memref<256xbf16>, %y: memref<?x256xbf16>, %view: memref<?x256xbf16, strided<[512, 1]>>) {
  vllm.buffer.rms_norm %x, %w into %y {epsilon = 1.0e-06 : f32} : memref<?x256xbf16>, memref<256xbf16> into memref<?x256xbf16>
  // expected-error @+1 {{'linalg.copy' op has a buffer with a layout or memory space (bufferize with function-boundary-type-conversion=identity-layout-map)}}
  linalg.copy ins(%y : memref<?x256xbf16>) outs(%view : memref<?x256xbf16, strided<[512, 1]>>)
  return
}

// -----

func.func @fp8_elements(%x: memref<?x256xbf16>, %w: memref<256xbf16>, %y: memref<?x256xbf16>, %a: memref<?x256xf8E4M3FN>, %b: memref<?x256xf8E4M3FN>) {
  vllm.buffer.rms_norm %x, %w into %y {epsilon = 1.0e-06 : f32} : memref<?x256xbf16>, memref<256xbf16> into memref<?x256xbf16>
  // expected-error @+1 {{'linalg.copy' op has an operand of element type 'f8E4M3FN' (integers, f16, bf16, f32 and f64 only)}}
  linalg.copy ins(%a : memref<?x256xf8E4M3FN>) outs(%b : memref<?x256xf8E4M3FN>)
  return
}

// -----

func.func @nested(%x: memref<?x256xbf16>, %w: memref<256xbf16>, %y: memref<?x256xbf16>, %z: memref<?x256xbf16>) {
  vllm.buffer.rms_norm %x, %w into %y {epsilon = 1.0e-06 : f32} : memref<?x256xbf16>, memref<256xbf16> into memref<?x256xbf16>
  %c0 = arith.constant 0 : index
  %c2 = arith.constant 2 : index
  %c1 = arith.constant 1 : index
  scf.for %i = %c0 to %c2 step %c1 {
    // expected-error @+1 {{'linalg.add' op is nested in another op; convert-vllm-to-gpu lowers the element-wise linalg ops of a function on buffers at its top level}}
    linalg.add ins(%y, %y : memref<?x256xbf16>, memref<?x256xbf16>) outs(%z : memref<?x256xbf16>)
  }
  return
}
