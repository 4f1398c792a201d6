// The function on buffers of gpu-tests/python/test_mixed.py (issue 19's
// GPU numerics): vllm buffer ops with element-wise linalg ops between and
// after them, as one-shot-bufferize leaves a layer (the element-wise ops
// become kernels on the same stream, docs/design.md "Layering"). Built with
// `vllm-compile --emit obj` and linked into a library; its companion
// mixed_reference.mlir has the same vllm ops on tensors.
#id = affine_map<(d0, d1) -> (d0, d1)>
#col = affine_map<(d0, d1) -> (d1)>
#transposed = affine_map<(d0, d1) -> (d1, d0)>
func.func @mixed_layer(%x: memref<?x2048xbf16>, %res: memref<?x2048xbf16>,
                       %w: memref<2048xbf16>, %bias: memref<2048xbf16>,
                       %h: memref<?x2048xbf16>, %q: memref<?x2048xf8E4M3FN>,
                       %s: memref<16x?xf32>, %biased: memref<?x2048xbf16>,
                       %src: memref<?x48xf32>, %dst: memref<48x?xf32>) {
  // The residual add apart from the norm.
  linalg.add ins(%x, %res : memref<?x2048xbf16>, memref<?x2048xbf16>) outs(%h : memref<?x2048xbf16>)
  vllm.buffer.rms_norm_quant %h, %w as <per_group 128, f32, mn_major, align 4> into %q, %s {epsilon = 1.0e-06 : f32} : memref<?x2048xbf16>, memref<2048xbf16> into memref<?x2048xf8E4M3FN>, memref<16x?xf32>
  // A bias add (broadcast of a row) scaled by a captured constant.
  %half = arith.constant 5.000000e-01 : bf16
  linalg.generic {indexing_maps = [#id, #col, #id], iterator_types = ["parallel", "parallel"]} ins(%h, %bias : memref<?x2048xbf16>, memref<2048xbf16>) outs(%biased : memref<?x2048xbf16>) {
  ^bb0(%a: bf16, %b: bf16, %unused: bf16):
    %sum = arith.addf %a, %b : bf16
    %scaled = arith.mulf %sum, %half : bf16
    linalg.yield %scaled : bf16
  }
  // A transpose with the row index added: dst[j, i] = 2 * src[i, j] + i.
  linalg.generic {indexing_maps = [#id, #transposed], iterator_types = ["parallel", "parallel"]} ins(%src : memref<?x48xf32>) outs(%dst : memref<48x?xf32>) {
  ^bb0(%v: f32, %unused: f32):
    %two = arith.constant 2.000000e+00 : f32
    %doubled = arith.mulf %v, %two : f32
    %i = linalg.index 0 : index
    %ii = arith.index_cast %i : index to i32
    %fi = arith.sitofp %ii : i32 to f32
    %r = arith.addf %doubled, %fi : f32
    linalg.yield %r : f32
  }
  return
}
