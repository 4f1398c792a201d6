//===- Matmul.cpp - f64 reference of the block-scaled GEMM ----------------===//
//
// Part of the vllm-mlir project.
//
//===----------------------------------------------------------------------===//
//
// SPEC 3.5 evaluated in f64. With e4m3 operands every product is exact in
// f64 and so is every 128-term block sum, so the only roundings are the
// scale multiplications and the sum over blocks: R is far more accurate than
// the f32-accumulating kernel it is compared with.
//
//===----------------------------------------------------------------------===//

#include "vllm-reference/Reference.h"

namespace vllm {
namespace ref {

std::vector<double> blockScaledMatmulF64(const std::vector<double> &a,
                                         int64_t rows, int64_t K,
                                         const std::vector<float> &b, int64_t N,
                                         const std::vector<double> *sa,
                                         const std::vector<double> &sb) {
  const int64_t KB = K / 128;
  std::vector<double> d(static_cast<size_t>(rows * N), 0.0);
  parallelFor(rows, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      const double *arow = a.data() + i * K;
      for (int64_t n = 0; n < N; ++n) {
        const float *brow = b.data() + n * K;
        double total = 0.0;
        for (int64_t kb = 0; kb < KB; ++kb) {
          double block = 0.0;
          for (int64_t k = kb * 128; k < kb * 128 + 128; ++k)
            block += arow[k] * static_cast<double>(brow[k]);
          double scale = sb[static_cast<size_t>(n * KB + kb)];
          if (sa)
            scale *= (*sa)[static_cast<size_t>(i * KB + kb)];
          total += scale * block;
        }
        d[static_cast<size_t>(i * N + n)] = total;
      }
    }
  });
  return d;
}

double deepGemmDiff(const std::vector<double> &d,
                    const std::vector<double> &r) {
  double cross = 0.0, squares = 0.0;
  for (size_t i = 0; i < d.size() && i < r.size(); ++i) {
    cross += d[i] * r[i];
    squares += d[i] * d[i] + r[i] * r[i];
  }
  if (squares == 0.0) // Both all zero: identical.
    return 0.0;
  return 1.0 - 2.0 * cross / squares;
}

} // namespace ref
} // namespace vllm
