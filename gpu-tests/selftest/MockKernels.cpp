//===- MockKernels.cpp - Host stand-ins for the compiled test functions ---===//
//
// Part of the vllm-mlir project.
//
//===----------------------------------------------------------------------===//
//
// The CPU self-test of vllm-gpu-tests (run in CI, where there is no GPU):
// every function of the manifest is implemented on the host, through the
// same `_mlir_ciface_<name>(stream, memref *...)` ABI as the compiled
// kernels, with "device" pointers that are host pointers (--host-mock).
//
// The outputs come from the CPU reference, so a clean run must pass; what
// this exercises is the driver: argument order and descriptors (each one is
// checked against the layout here, and a mismatch poisons every output),
// output sizes, poisoning, guard zones, comparisons and reporting. The
// environment variable VLLM_MOCK_FAULT injects one kind of bug at a time,
// and the self-test expects the driver to fail for each.
//
//===----------------------------------------------------------------------===//

#include "../GpuTestSupport.h"

#include "vllm-runtime/MemRef.h"

#include <cstdlib>
#include <cstring>
#include <string>

#ifndef MOCK_FUSED_BUILD
#define MOCK_FUSED_BUILD 0
#endif

#define MOCK_EXPORT __attribute__((visibility("default")))

using namespace vgt;
using ref::DType;

namespace {

std::string fault() {
  const char *f = std::getenv("VLLM_MOCK_FAULT");
  return f ? f : "";
}

struct Arg {
  ArgSpec spec;
  uint8_t *data;
};

/// A rank-2 argument as [rows, cols], a rank-1 one as [1, n].
ref::Matrix readMatrix(const Arg &a, DType t) {
  ref::Matrix m = a.spec.rank == 2
                      ? ref::Matrix(t, a.spec.dims[0], a.spec.dims[1])
                      : ref::Matrix(t, 1, a.spec.dims[0]);
  std::memcpy(m.data.data(), a.data, m.bytes());
  return m;
}

void write(const Arg &a, const void *src, size_t bytes) {
  std::memcpy(a.data, src, std::min(bytes, a.spec.bytes()));
}

/// Sets padding entries of a per-group scale buffer to non-zero values.
void corruptPadding(const Arg &a, const ref::QuantScheme &s, int64_t M,
                    int64_t H) {
  if (s.kind != ref::QuantKind::PerGroup)
    return;
  const int64_t G = H / s.groupSize;
  if (s.encoding == ref::ScaleEncoding::UE8M0Packed) {
    const int64_t mpad = ref::padRows(M, 4), kp = (G + 3) / 4;
    for (int64_t p = 0; p < kp; ++p)
      for (int64_t m = 0; m < mpad; ++m)
        for (int64_t b = 0; b < 4; ++b)
          if (m >= M || p * 4 + b >= G)
            a.data[(p * mpad + m) * 4 + b] = 1;
  } else if (s.layout == ref::ScaleLayout::MNMajor) {
    const int64_t mpad = ref::padRows(M, s.align);
    const float one = 1.0f;
    for (int64_t j = 0; j < G; ++j)
      for (int64_t m = M; m < mpad; ++m)
        std::memcpy(a.data + (j * mpad + m) * 4, &one, 4);
  }
}

void gemm(const KernelSpec &spec, const ref::QuantOutput &act, const uint8_t *b,
          const float *sb, int64_t M, const Arg &d) {
  const int64_t N = spec.N, K = spec.H, KB = K / 128;
  std::vector<double> a64(static_cast<size_t>(M * K)),
      sa(static_cast<size_t>(M * KB)), sbv(static_cast<size_t>(N * KB));
  std::vector<float> bdec(static_cast<size_t>(N * K));
  for (int64_t m = 0; m < M; ++m) {
    for (int64_t k = 0; k < K; ++k)
      a64[static_cast<size_t>(m * K + k)] =
          ref::decodeE4M3(act.q[static_cast<size_t>(m * K + k)]);
    for (int64_t kb = 0; kb < KB; ++kb)
      sa[static_cast<size_t>(m * KB + kb)] =
          ref::scaleFor(act, spec.scheme, M, K, m, kb * 128);
  }
  for (int64_t i = 0; i < N * K; ++i)
    bdec[static_cast<size_t>(i)] = ref::decodeE4M3(b[i]);
  for (int64_t n = 0; n < N; ++n)
    for (int64_t kb = 0; kb < KB; ++kb)
      sbv[static_cast<size_t>(n * KB + kb)] = sb[(n / 128) * KB + kb];
  std::vector<double> out =
      ref::blockScaledMatmulF64(a64, M, K, bdec, N, &sa, sbv);
  ref::Matrix dm(DType::BF16, M, N);
  const double noise = fault() == "gemm-noise" ? 1.1 : 1.0;
  for (int64_t m = 0; m < M; ++m)
    for (int64_t n = 0; n < N; ++n)
      dm.set(m, n,
             static_cast<float>(out[static_cast<size_t>(m * N + n)] * noise));
  write(d, dm.data.data(), dm.bytes());
}

} // namespace

void mockDispatch(int index, void * /*stream*/, void **args, int n) {
  const KernelSpec &spec = allKernels()[static_cast<size_t>(index)];
  const int64_t M = static_cast<vllmrt::StridedMemRef<2> *>(args[0])->sizes[0];
  std::vector<ArgSpec> layout = argumentLayout(spec, M);
  std::vector<Arg> all;
  bool plumbingOk = static_cast<int>(layout.size()) == n;
  for (int i = 0; plumbingOk && i < n; ++i) {
    const ArgSpec &a = layout[static_cast<size_t>(i)];
    // Check the descriptor exactly as the driver must build it.
    void *data;
    if (a.rank == 1) {
      auto *d = static_cast<vllmrt::StridedMemRef<1> *>(args[i]);
      plumbingOk &= d->sizes[0] == a.dims[0] && d->strides[0] == 1 &&
                    d->offset == 0 && d->allocated == d->aligned;
      data = d->aligned;
    } else {
      auto *d = static_cast<vllmrt::StridedMemRef<2> *>(args[i]);
      plumbingOk &= d->sizes[0] == a.dims[0] && d->sizes[1] == a.dims[1] &&
                    d->strides[0] == a.dims[1] && d->strides[1] == 1 &&
                    d->offset == 0 && d->allocated == d->aligned;
      data = d->aligned;
    }
    all.push_back({a, static_cast<uint8_t *>(data)});
  }
  if (!plumbingOk) {
    for (const Arg &a : all)
      if (a.spec.output)
        std::memset(a.data, 0x77, a.spec.bytes());
    return;
  }
  auto role = [&](Role r) -> const Arg * {
    for (const Arg &a : all)
      if (a.spec.role == r)
        return &a;
    return nullptr;
  };
  const DType t = spec.dtype;
  const std::string f = fault();
  static int calls = 0;
  ++calls;
  // "unwritten": the last byte of the first output keeps the driver's
  // poison.
  const Arg *firstOut = nullptr;
  for (const Arg &a : all)
    if (a.spec.output && !firstOut)
      firstOut = &a;
  const size_t lastByte = firstOut ? firstOut->spec.bytes() - 1 : 0;
  const uint8_t poison = firstOut ? firstOut->data[lastByte] : 0;

  switch (spec.kind) {
  case Kind::Norm: {
    ref::Matrix y = ref::rmsNorm(readMatrix(*role(Role::X), t),
                                 readMatrix(*role(Role::W), t), spec.epsilon,
                                 nullptr, spec.roundBeforeWeight);
    if (f == "ulp2" || f == "norm-ulp1") {
      // One or two ulps up in magnitude (sign-magnitude encoding).
      uint32_t bits = y.bits(0, 0) + (f == "ulp2" ? 2u : 1u);
      std::memcpy(y.data.data(), &bits, ref::dtypeSize(t)); // Little-endian.
    }
    write(*role(Role::YOut), y.data.data(), y.bytes());
    break;
  }
  case Kind::AddNorm: {
    ref::Matrix y, resOut;
    ref::fusedAddRmsNorm(readMatrix(*role(Role::X), t),
                         readMatrix(*role(Role::Res), t),
                         readMatrix(*role(Role::W), t), spec.epsilon, y, resOut,
                         nullptr, spec.roundBeforeWeight);
    write(*role(Role::YOut), y.data.data(), y.bytes());
    write(*role(Role::ResOut), resOut.data.data(), resOut.bytes());
    break;
  }
  case Kind::Quant: {
    float s = 0.0f;
    if (const Arg *st = role(Role::Static))
      std::memcpy(&s, st->data, 4);
    ref::QuantOutput out =
        ref::quantize(readMatrix(*role(Role::Y), t), spec.scheme, s);
    if (f == "q-flip")
      out.q[0] ^= 1;
    write(*role(Role::Q), out.q.data(), out.q.size());
    write(*role(Role::Scales), out.scales.data(), out.scales.size());
    break;
  }
  case Kind::Fused:
  case Kind::FusedRes:
  case Kind::Seq:
  case Kind::SeqRes: {
    float s = 0.0f;
    if (const Arg *st = role(Role::Static))
      std::memcpy(&s, st->data, 4);
    ref::Matrix res, y, resOut;
    const Arg *resArg = role(Role::Res);
    if (resArg)
      res = readMatrix(*resArg, t);
    ref::QuantOutput out = ref::rmsNormQuant(
        readMatrix(*role(Role::X), t), readMatrix(*role(Role::W), t),
        resArg ? &res : nullptr, s, spec.epsilon, spec.scheme, &y, &resOut,
        spec.roundBeforeWeight);
    const bool seq = spec.kind == Kind::Seq || spec.kind == Kind::SeqRes;
    if (f == "fused-differs" && seq && MOCK_FUSED_BUILD)
      out.q[0] ^= 1;
    if (f == "nondeterministic" && (calls & 1))
      out.q[0] ^= 1;
    write(*role(Role::Q), out.q.data(), out.q.size());
    write(*role(Role::Scales), out.scales.data(), out.scales.size());
    if (const Arg *a = role(Role::ResOut))
      write(*a, resOut.data.data(), resOut.bytes());
    if (const Arg *a = role(Role::YOut))
      write(*a, y.data.data(), y.bytes());
    break;
  }
  case Kind::Silu: {
    ref::Matrix y = ref::siluAndMul(readMatrix(*role(Role::GU), t));
    if (f == "silu-ulp1") {
      uint32_t bits = y.bits(0, 0) + 1u;
      std::memcpy(y.data.data(), &bits, ref::dtypeSize(t)); // Little-endian.
    }
    write(*role(Role::YOut), y.data.data(), y.bytes());
    break;
  }
  case Kind::SiluFused:
  case Kind::SiluSeq: {
    float s = 0.0f;
    if (const Arg *st = role(Role::Static))
      std::memcpy(&s, st->data, 4);
    ref::Matrix y;
    ref::QuantOutput out = ref::siluAndMulQuant(readMatrix(*role(Role::GU), t),
                                                s, spec.scheme, &y);
    if (f == "silu-fused-differs" && spec.kind == Kind::SiluSeq &&
        MOCK_FUSED_BUILD)
      out.q[0] ^= 1;
    write(*role(Role::Q), out.q.data(), out.q.size());
    write(*role(Role::Scales), out.scales.data(), out.scales.size());
    if (const Arg *a = role(Role::YOut))
      write(*a, y.data.data(), y.bytes());
    break;
  }
  case Kind::Matmul: {
    const Arg &a = *role(Role::A), &sa = *role(Role::SA);
    ref::QuantOutput act;
    act.q.assign(a.data, a.data + a.spec.bytes());
    act.scales.assign(sa.data, sa.data + sa.spec.bytes());
    gemm(spec, act, role(Role::B)->data,
         reinterpret_cast<const float *>(role(Role::SB)->data), M,
         *role(Role::D));
    break;
  }
  case Kind::Chain: {
    ref::Matrix y =
        ref::rmsNorm(readMatrix(*role(Role::X), DType::BF16),
                     readMatrix(*role(Role::W), DType::BF16), spec.epsilon);
    ref::QuantOutput act = ref::quantize(y, spec.scheme);
    gemm(spec, act, role(Role::B)->data,
         reinterpret_cast<const float *>(role(Role::SB)->data), M,
         *role(Role::D));
    break;
  }
  }

  // Faults that apply to any function.
  if (f == "unwritten" && firstOut)
    firstOut->data[lastByte] = poison;
  if (f == "overrun" && firstOut)
    firstOut->data[firstOut->spec.bytes()] = 0;
  if (f == "padding")
    if (const Arg *a = role(Role::Scales))
      corruptPadding(*a, spec.scheme, M, spec.H);
}

// The extern "C" entry points, one per manifest row.
#include "test_kernels_mock.inc"
