//===- MemRef.h - Descriptors for calling compiled functions ----*- C++ -*-===//
//
// Part of the vllm-mlir project.
//
//===----------------------------------------------------------------------===//
//
// A compiled public function `func.func @f(tensor inputs...) -> (tensor
// results...)` is exported as
//
//   extern "C" void _mlir_ciface_f(void *stream, StridedMemRef *in0, ...,
//                                  StridedMemRef *out0, ...);
//
// with every tensor passed as MLIR's ranked memref descriptor pointing at a
// contiguous row-major device buffer; outputs are allocated by the caller and
// `stream` is the caller's CUstream. This header gives the descriptor type
// and a helper to build contiguous ones; hosts in other languages replicate
// the same layout (bench/gpu/bench.py does it with ctypes).
//
//===----------------------------------------------------------------------===//

#ifndef VLLM_RUNTIME_MEMREF_H
#define VLLM_RUNTIME_MEMREF_H

#include <cstdint>
#include <initializer_list>

namespace vllmrt {

/// MLIR's StridedMemRefType<T, Rank>, with an untyped pointer.
template <int Rank> struct StridedMemRef {
  void *allocated;
  void *aligned;
  int64_t offset;
  int64_t sizes[Rank];
  int64_t strides[Rank];
};

/// A descriptor for a contiguous row-major buffer of the given shape.
template <int Rank>
StridedMemRef<Rank> contiguousMemRef(void *data,
                                     std::initializer_list<int64_t> shape) {
  StridedMemRef<Rank> d{};
  d.allocated = data;
  d.aligned = data;
  d.offset = 0;
  int i = 0;
  for (int64_t s : shape)
    if (i < Rank)
      d.sizes[i++] = s;
  int64_t stride = 1;
  for (int r = Rank - 1; r >= 0; --r) {
    d.strides[r] = stride;
    stride *= d.sizes[r];
  }
  return d;
}

} // namespace vllmrt

#endif // VLLM_RUNTIME_MEMREF_H
