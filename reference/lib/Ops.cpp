//===- Ops.cpp - CPU reference of norm, quantize and the fused op ---------===//
//
// Part of the vllm-mlir project.
//
//===----------------------------------------------------------------------===//
//
// Direct transcription of docs/SPEC.md 3.1-3.4. Each formula is evaluated in
// f32 in the order the SPEC writes it (one rounding per operation); nothing
// is reassociated, and the library is built with -ffp-contract=off so no
// multiply-add is fused behind our back.
//
//===----------------------------------------------------------------------===//

#include "vllm-reference/Reference.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <sstream>
#include <thread>

namespace vllm {
namespace ref {

//===----------------------------------------------------------------------===//
// Threads
//===----------------------------------------------------------------------===//

static std::atomic<int> threadOverride{0};

int numThreads() {
  if (int n = threadOverride.load())
    return n;
  if (const char *env = std::getenv("VLLM_REF_THREADS")) {
    int n = std::atoi(env);
    if (n > 0)
      return n;
  }
  unsigned hw = std::thread::hardware_concurrency();
  return hw == 0 ? 1 : static_cast<int>(hw);
}

void setNumThreads(int threads) { threadOverride.store(std::max(0, threads)); }

void parallelFor(int64_t n, const std::function<void(int64_t, int64_t)> &fn) {
  if (n <= 0)
    return;
  int64_t threads = std::min<int64_t>(numThreads(), n);
  if (threads <= 1) {
    fn(0, n);
    return;
  }
  // More chunks than threads so uneven rows (NaN paths, etc.) balance out.
  int64_t chunks = std::min<int64_t>(n, threads * 4);
  std::atomic<int64_t> next{0};
  auto worker = [&]() {
    for (;;) {
      int64_t c = next.fetch_add(1);
      if (c >= chunks)
        return;
      int64_t begin = n * c / chunks;
      int64_t end = n * (c + 1) / chunks;
      if (begin < end)
        fn(begin, end);
    }
  };
  std::vector<std::thread> pool;
  pool.reserve(static_cast<size_t>(threads - 1));
  for (int64_t t = 1; t < threads; ++t)
    pool.emplace_back(worker);
  worker();
  for (std::thread &t : pool)
    t.join();
}

//===----------------------------------------------------------------------===//
// Schemes and scale shapes
//===----------------------------------------------------------------------===//

QuantScheme QuantScheme::staticPerTensor() {
  QuantScheme s;
  s.kind = QuantKind::StaticPerTensor;
  return s;
}

QuantScheme QuantScheme::dynamicPerTensor() {
  QuantScheme s;
  s.kind = QuantKind::DynamicPerTensor;
  return s;
}

QuantScheme QuantScheme::perToken() {
  QuantScheme s;
  s.kind = QuantKind::PerToken;
  return s;
}

QuantScheme QuantScheme::perTokenUpperBound(float ub) {
  QuantScheme s = perToken();
  s.hasUpperBound = true;
  s.upperBound = ub;
  return s;
}

QuantScheme QuantScheme::perGroup(int64_t g, ScaleEncoding encoding,
                                  ScaleLayout layout, int64_t align) {
  QuantScheme s;
  s.kind = QuantKind::PerGroup;
  s.groupSize = g;
  s.encoding = encoding;
  s.layout = layout;
  s.align = align;
  return s;
}

std::string QuantScheme::check(int64_t H) const {
  if (hasUpperBound && kind != QuantKind::PerToken)
    return "C6: an upper bound is only allowed for per_token";
  if (hasUpperBound && !(upperBound > 0.0f))
    return "the upper bound must be positive";
  if (kind != QuantKind::PerGroup)
    return "";
  if (groupSize != 32 && groupSize != 64 && groupSize != 128)
    return "C5: the group size must be 32, 64 or 128";
  if (H % groupSize != 0)
    return "C5: H must be a multiple of the group size";
  if (align != 1 && align != 4)
    return "align must be 1 or 4";
  if (layout == ScaleLayout::RowMajor && align != 1)
    return "row-major scales take no alignment";
  if (encoding == ScaleEncoding::UE8M0Packed &&
      (layout != ScaleLayout::MNMajor || align != 4))
    return "ue8m0_packed scales are MN-major with align 4";
  return "";
}

std::string QuantScheme::str() const {
  std::ostringstream os;
  switch (kind) {
  case QuantKind::StaticPerTensor:
    return "static_per_tensor";
  case QuantKind::DynamicPerTensor:
    return "dynamic_per_tensor";
  case QuantKind::PerToken:
    os << "per_token";
    if (hasUpperBound)
      os << ", upper_bound = " << upperBound;
    return os.str();
  case QuantKind::PerGroup:
    break;
  }
  os << "per_group " << groupSize << ", "
     << (encoding == ScaleEncoding::F32        ? "f32"
         : encoding == ScaleEncoding::UE8M0F32 ? "ue8m0_f32"
                                               : "ue8m0_packed")
     << ", " << (layout == ScaleLayout::RowMajor ? "row_major" : "mn_major");
  if (layout == ScaleLayout::MNMajor && align != 1)
    os << ", align " << align;
  return os.str();
}

int64_t padRows(int64_t rows, int64_t align) {
  return (rows + align - 1) / align * align;
}

ScaleShape scaleShape(const QuantScheme &scheme, int64_t M, int64_t H) {
  ScaleShape shape;
  switch (scheme.kind) {
  case QuantKind::StaticPerTensor:
  case QuantKind::DynamicPerTensor:
    shape.rank = 1;
    shape.dims[0] = 1;
    return shape;
  case QuantKind::PerToken:
    shape.rank = 1;
    shape.dims[0] = M;
    return shape;
  case QuantKind::PerGroup:
    break;
  }
  int64_t G = H / scheme.groupSize;
  shape.rank = 2;
  if (scheme.encoding == ScaleEncoding::UE8M0Packed) {
    shape.isInt32 = true;
    shape.dims[0] = (G + 3) / 4;
    shape.dims[1] = padRows(M, 4);
  } else if (scheme.layout == ScaleLayout::MNMajor) {
    shape.dims[0] = G;
    shape.dims[1] = padRows(M, scheme.align);
  } else {
    shape.dims[0] = M;
    shape.dims[1] = G;
  }
  return shape;
}

int64_t scaleElementOffset(const QuantScheme &scheme, int64_t M, int64_t H,
                           int64_t m, int64_t j) {
  switch (scheme.kind) {
  case QuantKind::StaticPerTensor:
  case QuantKind::DynamicPerTensor:
    return 0;
  case QuantKind::PerToken:
    return m;
  case QuantKind::PerGroup:
    break;
  }
  int64_t G = H / scheme.groupSize;
  if (scheme.encoding == ScaleEncoding::UE8M0Packed)
    return (j / 4) * padRows(M, 4) + m; // Word (m, p = j / 4).
  if (scheme.layout == ScaleLayout::MNMajor)
    return j * padRows(M, scheme.align) + m;
  return m * G + j;
}

static float readF32(const std::vector<uint8_t> &bytes, int64_t element) {
  float v;
  std::memcpy(&v, bytes.data() + element * 4, 4);
  return v;
}

static void writeF32(std::vector<uint8_t> &bytes, int64_t element, float v) {
  std::memcpy(bytes.data() + element * 4, &v, 4);
}

float scaleFor(const QuantOutput &out, const QuantScheme &scheme, int64_t M,
               int64_t H, int64_t m, int64_t k) {
  int64_t j = scheme.kind == QuantKind::PerGroup ? k / scheme.groupSize : 0;
  int64_t offset = scaleElementOffset(scheme, M, H, m, j);
  if (scheme.encoding == ScaleEncoding::UE8M0Packed &&
      scheme.kind == QuantKind::PerGroup)
    return ue8m0Value(out.scales[static_cast<size_t>(offset * 4 + j % 4)]);
  return readF32(out.scales, offset);
}

//===----------------------------------------------------------------------===//
// rms_norm / fused_add_rms_norm
//===----------------------------------------------------------------------===//

float rmsFactor(const Matrix &x, int64_t row, float epsilon) {
  // The exact sum of the squares (each square and each partial sum is exact
  // or nearly so in double) rounded once to f32: the value every f32
  // summation order approximates.
  double sum = 0.0;
  for (int64_t k = 0; k < x.cols; ++k) {
    double v = x.get(row, k);
    sum += v * v;
  }
  float sumF32 = static_cast<float>(sum); // Overflow gives +Inf, as in f32.
  float mean = sumF32 / static_cast<float>(x.cols);
  float denominator = std::sqrt(mean + epsilon);
  return 1.0f / denominator;
}

void rmsNormRow(const Matrix &x, const Matrix &w, int64_t row, float r,
                Matrix &y, bool roundBeforeWeight) {
  for (int64_t k = 0; k < x.cols; ++k) {
    float scaled = x.get(row, k) * r;
    if (roundBeforeWeight)
      scaled = roundTo(x.type, scaled);
    float weighted = scaled * w.get(0, k);
    y.set(row, k, weighted);
  }
}

Matrix rmsNorm(const Matrix &x, const Matrix &w, float epsilon,
               std::vector<float> *factors, bool roundBeforeWeight) {
  Matrix y(x.type, x.rows, x.cols);
  if (factors)
    factors->assign(static_cast<size_t>(x.rows), 0.0f);
  parallelFor(x.rows, [&](int64_t begin, int64_t end) {
    for (int64_t m = begin; m < end; ++m) {
      float r = rmsFactor(x, m, epsilon);
      if (factors)
        (*factors)[static_cast<size_t>(m)] = r;
      rmsNormRow(x, w, m, r, y, roundBeforeWeight);
    }
  });
  return y;
}

void fusedAddRmsNorm(const Matrix &x, const Matrix &residual, const Matrix &w,
                     float epsilon, Matrix &y, Matrix &residualOut,
                     std::vector<float> *factors, bool roundBeforeWeight) {
  residualOut = Matrix(x.type, x.rows, x.cols);
  parallelFor(x.rows, [&](int64_t begin, int64_t end) {
    for (int64_t m = begin; m < end; ++m)
      for (int64_t k = 0; k < x.cols; ++k)
        residualOut.set(m, k, x.get(m, k) + residual.get(m, k));
  });
  y = rmsNorm(residualOut, w, epsilon, factors, roundBeforeWeight);
}

//===----------------------------------------------------------------------===//
// quantize
//===----------------------------------------------------------------------===//

/// amax with maxNum semantics over y[row, begin..end).
static float amaxOf(const Matrix &y, int64_t row, int64_t begin, int64_t end) {
  float a = std::numeric_limits<float>::quiet_NaN();
  for (int64_t k = begin; k < end; ++k)
    a = maxNum(a, std::fabs(y.get(row, k)));
  return a;
}

/// q = E(y / s) over y[row, begin..end).
static void encodeDivided(const Matrix &y, int64_t row, int64_t begin,
                          int64_t end, float s, std::vector<uint8_t> &q) {
  for (int64_t k = begin; k < end; ++k)
    q[static_cast<size_t>(row * y.cols + k)] = encodeE4M3(y.get(row, k) / s);
}

QuantOutput quantize(const Matrix &y, const QuantScheme &scheme,
                     float staticScale) {
  const int64_t M = y.rows, H = y.cols;
  QuantOutput out;
  out.q.assign(static_cast<size_t>(M * H), 0);
  out.shape = scaleShape(scheme, M, H);
  out.scales.assign(out.shape.bytes(), 0); // Padding stays zero.

  switch (scheme.kind) {
  case QuantKind::StaticPerTensor: {
    // E(y * (1/s)) with the reciprocal computed once in f32.
    const float inverse = 1.0f / staticScale;
    parallelFor(M, [&](int64_t begin, int64_t end) {
      for (int64_t m = begin; m < end; ++m)
        for (int64_t k = 0; k < H; ++k)
          out.q[static_cast<size_t>(m * H + k)] =
              encodeE4M3(y.get(m, k) * inverse);
    });
    writeF32(out.scales, 0, staticScale);
    return out;
  }
  case QuantKind::DynamicPerTensor: {
    std::vector<float> rowAmax(static_cast<size_t>(M));
    parallelFor(M, [&](int64_t begin, int64_t end) {
      for (int64_t m = begin; m < end; ++m)
        rowAmax[static_cast<size_t>(m)] = amaxOf(y, m, 0, H);
    });
    float a = std::numeric_limits<float>::quiet_NaN();
    for (float v : rowAmax) // maxNum is order-independent.
      a = maxNum(a, v);
    const float s = maxNum(a / kFp8Max, minScale());
    parallelFor(M, [&](int64_t begin, int64_t end) {
      for (int64_t m = begin; m < end; ++m)
        encodeDivided(y, m, 0, H, s, out.q);
    });
    writeF32(out.scales, 0, s);
    return out;
  }
  case QuantKind::PerToken: {
    parallelFor(M, [&](int64_t begin, int64_t end) {
      for (int64_t m = begin; m < end; ++m) {
        float a = amaxOf(y, m, 0, H);
        if (scheme.hasUpperBound)
          a = minNum(a, scheme.upperBound);
        float s = maxNum(a / kFp8Max, minScale());
        encodeDivided(y, m, 0, H, s, out.q);
        writeF32(out.scales, m, s);
      }
    });
    return out;
  }
  case QuantKind::PerGroup:
    break;
  }

  const int64_t g = scheme.groupSize, G = H / g;
  parallelFor(M, [&](int64_t begin, int64_t end) {
    for (int64_t m = begin; m < end; ++m) {
      for (int64_t j = 0; j < G; ++j) {
        float a = maxNum(amaxOf(y, m, j * g, (j + 1) * g), kScaleFloor);
        float s = a / kFp8Max;
        uint8_t e = 0;
        if (scheme.isUE8M0()) {
          e = ue8m0Exponent(s);
          s = ue8m0Value(e);
        }
        encodeDivided(y, m, j * g, (j + 1) * g, s, out.q);
        int64_t offset = scaleElementOffset(scheme, M, H, m, j);
        if (scheme.encoding == ScaleEncoding::UE8M0Packed)
          out.scales[static_cast<size_t>(offset * 4 + j % 4)] = e;
        else
          writeF32(out.scales, offset, s);
      }
    }
  });
  return out;
}

QuantOutput rmsNormQuant(const Matrix &x, const Matrix &w,
                         const Matrix *residual, float staticScale,
                         float epsilon, const QuantScheme &scheme,
                         Matrix *normalized, Matrix *residualOut,
                         bool roundBeforeWeight) {
  Matrix y;
  if (residual) {
    Matrix sum;
    fusedAddRmsNorm(x, *residual, w, epsilon, y, sum, nullptr,
                    roundBeforeWeight);
    if (residualOut)
      *residualOut = std::move(sum);
  } else {
    y = rmsNorm(x, w, epsilon, nullptr, roundBeforeWeight);
  }
  QuantOutput out = quantize(y, scheme, staticScale);
  if (normalized)
    *normalized = std::move(y);
  return out;
}

float siluAndMulValue(float gate, float up) {
  float negated = -gate;
  float exp = specExp(negated);
  float denominator = 1.0f + exp;
  float silu = gate / denominator;
  return silu * up;
}

Matrix siluAndMul(const Matrix &x) {
  int64_t width = x.cols / 2;
  Matrix y(x.type, x.rows, width);
  parallelFor(x.rows, [&](int64_t begin, int64_t end) {
    for (int64_t m = begin; m < end; ++m)
      for (int64_t i = 0; i < width; ++i)
        y.set(m, i, siluAndMulValue(x.get(m, i), x.get(m, width + i)));
  });
  return y;
}

QuantOutput siluAndMulQuant(const Matrix &x, float staticScale,
                            const QuantScheme &scheme, Matrix *product) {
  Matrix y = siluAndMul(x);
  QuantOutput out = quantize(y, scheme, staticScale);
  if (product)
    *product = std::move(y);
  return out;
}

std::vector<float> dequantize(const QuantOutput &out, const QuantScheme &scheme,
                              int64_t M, int64_t H) {
  std::vector<float> values(static_cast<size_t>(M * H));
  parallelFor(M, [&](int64_t begin, int64_t end) {
    for (int64_t m = begin; m < end; ++m)
      for (int64_t k = 0; k < H; ++k) {
        size_t i = static_cast<size_t>(m * H + k);
        values[i] = decodeE4M3(out.q[i]) * scaleFor(out, scheme, M, H, m, k);
      }
  });
  return values;
}

//===----------------------------------------------------------------------===//
// Weights
//===----------------------------------------------------------------------===//

BlockQuantWeights quantizeWeightsBlock128(const std::vector<float> &w,
                                          int64_t N, int64_t K, bool ue8m0) {
  BlockQuantWeights out;
  out.N = N;
  out.K = K;
  out.q.assign(static_cast<size_t>(N * K), 0);
  out.scales.assign(static_cast<size_t>(out.scaleRows() * out.scaleCols()),
                    0.0f);
  parallelFor(out.scaleRows(), [&](int64_t begin, int64_t end) {
    for (int64_t nb = begin; nb < end; ++nb) {
      int64_t n0 = nb * 128, n1 = std::min(N, n0 + 128);
      for (int64_t kb = 0; kb < out.scaleCols(); ++kb) {
        float a = std::numeric_limits<float>::quiet_NaN();
        for (int64_t n = n0; n < n1; ++n)
          for (int64_t k = kb * 128; k < kb * 128 + 128; ++k)
            a = maxNum(a, std::fabs(w[static_cast<size_t>(n * K + k)]));
        float s = maxNum(a, kScaleFloor) / kFp8Max;
        if (ue8m0)
          s = ue8m0Value(ue8m0Exponent(s));
        out.scales[static_cast<size_t>(nb * out.scaleCols() + kb)] = s;
        for (int64_t n = n0; n < n1; ++n)
          for (int64_t k = kb * 128; k < kb * 128 + 128; ++k) {
            size_t i = static_cast<size_t>(n * K + k);
            out.q[i] = encodeE4M3(w[i] / s);
          }
      }
    }
  });
  return out;
}

} // namespace ref
} // namespace vllm
