//===- Reference.h - CPU reference of the vllm dialect ops ------*- C++ -*-===//
//
// Part of the vllm-mlir project.
//
//===----------------------------------------------------------------------===//
//
// An independent CPU implementation of docs/SPEC.md sections 2 and 3:
// rms_norm, fused_add_rms_norm, silu_and_mul, quantize for every scheme and
// every scale encoding and layout, the fused rms_norm_quant and
// elementwise_quant (by construction the compositions), scaled_matmul in f64
// and DeepGEMM's accuracy metric. Written from the SPEC only; the GPU numerics
// suite compares the compiled kernels against it.
//
// Interpretations the SPEC leaves open, fixed here and documented in
// docs/gpu-testing.md:
//  - every max / min of SPEC 3.3 (the floors, the upper bound) uses IEEE
//    maxNum / minNum, like amax does, so an all-NaN set gets the floor;
//  - the f32 row sum of rms_norm is evaluated as the correctly rounded f32
//    value of the exact sum (computed in double), i.e. the ideal that every
//    summation order approximates; the tests allow the order's difference.
//
//===----------------------------------------------------------------------===//

#ifndef VLLM_REFERENCE_REFERENCE_H
#define VLLM_REFERENCE_REFERENCE_H

#include "vllm-reference/Float.h"

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace vllm {
namespace ref {

//===----------------------------------------------------------------------===//
// Threads
//===----------------------------------------------------------------------===//

/// Number of threads the reference uses (default: the hardware's, or the
/// environment variable VLLM_REF_THREADS).
int numThreads();
void setNumThreads(int threads);
/// Calls fn(begin, end) on disjoint chunks covering [0, n), in parallel.
void parallelFor(int64_t n, const std::function<void(int64_t, int64_t)> &fn);

//===----------------------------------------------------------------------===//
// Dense row-major matrices of bf16 / f16 / f32
//===----------------------------------------------------------------------===//

struct Matrix {
  DType type = DType::BF16;
  int64_t rows = 0;
  int64_t cols = 0;
  std::vector<uint8_t> data;

  Matrix() = default;
  Matrix(DType type, int64_t rows, int64_t cols)
      : type(type), rows(rows), cols(cols),
        data(static_cast<size_t>(rows * cols) * dtypeSize(type)) {}

  int64_t size() const { return rows * cols; }
  size_t bytes() const { return data.size(); }
  float get(int64_t r, int64_t c) const {
    return loadAs(type, data.data(), r * cols + c);
  }
  /// Stores RN_T(value).
  void set(int64_t r, int64_t c, float value) {
    storeAs(type, data.data(), r * cols + c, value);
  }
  uint32_t bits(int64_t r, int64_t c) const {
    return bitsAt(type, data.data(), r * cols + c);
  }
};

//===----------------------------------------------------------------------===//
// Quantization schemes and scale formats (SPEC 3.3)
//===----------------------------------------------------------------------===//

enum class QuantKind { StaticPerTensor, DynamicPerTensor, PerToken, PerGroup };
enum class ScaleEncoding { F32, UE8M0F32, UE8M0Packed };
enum class ScaleLayout { RowMajor, MNMajor };

struct QuantScheme {
  QuantKind kind = QuantKind::PerGroup;
  int64_t groupSize = 0;
  ScaleEncoding encoding = ScaleEncoding::F32;
  ScaleLayout layout = ScaleLayout::RowMajor;
  int64_t align = 1;
  bool hasUpperBound = false;
  float upperBound = 0.0f;

  static QuantScheme staticPerTensor();
  static QuantScheme dynamicPerTensor();
  static QuantScheme perToken();
  static QuantScheme perTokenUpperBound(float ub);
  static QuantScheme perGroup(int64_t g, ScaleEncoding encoding,
                              ScaleLayout layout, int64_t align);

  bool isUE8M0() const { return encoding != ScaleEncoding::F32; }
  /// Checks C5-C7 and the encoding/layout rules for a row length H; returns
  /// an empty string when valid, else the reason.
  std::string check(int64_t H) const;
  /// Readable form, e.g. "per_group 128, ue8m0_packed, mn_major, align 4".
  std::string str() const;
};

/// roundup(rows, align).
int64_t padRows(int64_t rows, int64_t align);

/// Shape and element type of the scale tensor a scheme produces for an
/// [M, H] input. Rank 1 or 2; `isInt32` for packed UE8M0, else f32.
struct ScaleShape {
  int rank = 1;
  int64_t dims[2] = {1, 1};
  bool isInt32 = false;
  int64_t numElements() const {
    return rank == 1 ? dims[0] : dims[0] * dims[1];
  }
  size_t bytes() const { return static_cast<size_t>(numElements()) * 4; }
};
ScaleShape scaleShape(const QuantScheme &scheme, int64_t M, int64_t H);

/// The result of quantize: q bytes [M, H] (e4m3fn) and the full scale buffer
/// (padding included, padding zero) as raw little-endian bytes.
struct QuantOutput {
  std::vector<uint8_t> q;
  std::vector<uint8_t> scales;
  ScaleShape shape;
};

/// Offset, in 4-byte elements of the scale buffer, of the scale (m, j): j is
/// the group index for per-group, ignored otherwise. For packed UE8M0 this
/// is the int32 word; the byte within it is j % 4.
int64_t scaleElementOffset(const QuantScheme &scheme, int64_t M, int64_t H,
                           int64_t m, int64_t j);

/// The scale value that applies to element (m, k) of the quantized matrix.
float scaleFor(const QuantOutput &out, const QuantScheme &scheme, int64_t M,
               int64_t H, int64_t m, int64_t k);

//===----------------------------------------------------------------------===//
// Operations
//===----------------------------------------------------------------------===//

/// r[m] = 1 / sqrt(sum_k x[m,k]^2 / H + eps) in f32 (see the file comment
/// for the sum).
float rmsFactor(const Matrix &x, int64_t row, float epsilon);

/// y[m,k] = RN_T((x[m,k] * r) * w[k]) for one row with a given factor r,
/// or RN_T(RN_T(x[m,k] * r) * w[k]) with `roundBeforeWeight` (SPEC 3.1,
/// round_before_weight).
void rmsNormRow(const Matrix &x, const Matrix &w, int64_t row, float r,
                Matrix &y, bool roundBeforeWeight = false);

/// rms_norm (SPEC 3.1). `factors`, if given, receives r per row.
Matrix rmsNorm(const Matrix &x, const Matrix &w, float epsilon,
               std::vector<float> *factors = nullptr,
               bool roundBeforeWeight = false);

/// fused_add_rms_norm (SPEC 3.2): residualOut = RN_T(x + residual), y =
/// rms_norm(residualOut).
void fusedAddRmsNorm(const Matrix &x, const Matrix &residual, const Matrix &w,
                     float epsilon, Matrix &y, Matrix &residualOut,
                     std::vector<float> *factors = nullptr,
                     bool roundBeforeWeight = false);

/// quantize (SPEC 3.3). `staticScale` is the operand of static_per_tensor.
QuantOutput quantize(const Matrix &y, const QuantScheme &scheme,
                     float staticScale = 0.0f);

/// rms_norm_quant (SPEC 3.4), by construction quantize(rms_norm(...)) or
/// quantize(first result of fused_add_rms_norm(...)). `residual` may be
/// null; `normalized` / `residualOut` receive the intermediate results when
/// non-null.
QuantOutput rmsNormQuant(const Matrix &x, const Matrix &w,
                         const Matrix *residual, float staticScale,
                         float epsilon, const QuantScheme &scheme,
                         Matrix *normalized = nullptr,
                         Matrix *residualOut = nullptr,
                         bool roundBeforeWeight = false);

/// silu(g) * u in f32 for one element (SPEC 3.7), before the rounding to T:
/// g / (1 + X(-g)) with a correctly rounded division, times u.
float siluAndMulValue(float gate, float up);

/// silu_and_mul (SPEC 3.7): x [M, 2I] (gate | up) -> y [M, I] of x's type.
Matrix siluAndMul(const Matrix &x);

/// elementwise_quant silu_and_mul (SPEC 3.8), by construction
/// quantize(silu_and_mul(x)); `product` receives y when non-null.
QuantOutput siluAndMulQuant(const Matrix &x, float staticScale,
                            const QuantScheme &scheme,
                            Matrix *product = nullptr);

/// q * scale, as f32, for every element [M * H].
std::vector<float> dequantize(const QuantOutput &out, const QuantScheme &scheme,
                              int64_t M, int64_t H);

//===----------------------------------------------------------------------===//
// Block-scaled GEMM (SPEC 3.5)
//===----------------------------------------------------------------------===//

/// Weights quantized per 128x128 block: q [N, K] e4m3fn, scales
/// [ceil(N/128), K/128] f32 row-major (`#vllm.scales<block 128x128, ...>`).
struct BlockQuantWeights {
  int64_t N = 0, K = 0;
  std::vector<uint8_t> q;
  std::vector<float> scales;
  int64_t scaleRows() const { return (N + 127) / 128; }
  int64_t scaleCols() const { return K / 128; }
  float scale(int64_t n, int64_t kb) const {
    return scales[static_cast<size_t>((n / 128) * scaleCols() + kb)];
  }
};

/// Quantizes w [N, K] (f32 values, K % 128 == 0) per 128x128 block with
/// s = max(amax, 1e-10) / 448 (U(s) if ue8m0) and q = E(w / s).
BlockQuantWeights quantizeWeightsBlock128(const std::vector<float> &w,
                                          int64_t N, int64_t K, bool ue8m0);

/// D[i, n] = sum_kb sa[i, kb] * sb[n, kb] * sum_{k in kb} a[i, k] * b[n, k]
/// in f64, with 128-wide K blocks. `a` is [rows, K] in f64, `b` the decoded
/// e4m3 values [N, K] (exact in f32), `sa` [rows, K/128] (null: all ones),
/// `sb` [N, K/128]. Returns [rows, N].
std::vector<double> blockScaledMatmulF64(const std::vector<double> &a,
                                         int64_t rows, int64_t K,
                                         const std::vector<float> &b, int64_t N,
                                         const std::vector<double> *sa,
                                         const std::vector<double> &sb);

/// DeepGEMM's accuracy metric: 1 - 2 * sum(D * R) / sum(D^2 + R^2), in f64.
double deepGemmDiff(const std::vector<double> &d, const std::vector<double> &r);

} // namespace ref
} // namespace vllm

#endif // VLLM_REFERENCE_REFERENCE_H
