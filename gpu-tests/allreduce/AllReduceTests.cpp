//===- AllReduceTests.cpp - GPU tests of the tensor-parallel site ---------===//
//
// Part of the vllm-mlir project.
//
//===----------------------------------------------------------------------===//
//
// vllm-all-reduce-tests runs the functions of all_reduce_tests.mlir on R
// ranks and checks SPEC.md 3.10 and 3.11:
//
//  - every rank gets the same bits (all outputs);
//  - all_reduce equals the CPU's rank-ordered f32 sum rounded once, bit for
//    bit; residual_out equals RN_T(sum + residual) bit for bit; y is within
//    1 ulp of the CPU norm of that residual_out (the summation order of the
//    norm is the lowering's, SPEC.md 5; for f32 output with the window of r
//    of docs/gpu-testing.md); q and the scales equal the CPU
//    quantization of the GPU's y byte for byte;
//  - the fused build (one kernel) equals the unfused build (all_reduce
//    kernel, then the norm and quantize kernels) bit for bit, and a second
//    call gives the same bits again (determinism, outputs poisoned with
//    other bytes).
//
// Ranks: simulated on one GPU (vllmrtCommCreateLocal: one thread and stream
// per rank, the ranks' buffers in the one device's memory), and, where
// libnccl loads, one real NCCL rank (vllmrtCommInitRank), for which the
// all-reduce=nccl build (ncclAllReduce) runs too. Inputs are fresh random
// values (seeded, printed) plus edge rows: zeros, a row that cancels to
// +0 (x_1 = -x_0), -0 on every rank, and large values.
//
//===----------------------------------------------------------------------===//

#include "vllm-reference/Reference.h"
#include "vllm-runtime/Comm.h"
#include "vllm-runtime/MemRef.h"
#include "vllm-runtime/Runtime.h"

#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <dlfcn.h>
#include <functional>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace ref = vllm::ref;
using vllmrt::StridedMemRef;

namespace {

//===----------------------------------------------------------------------===//
// The functions of all_reduce_tests.mlir
//===----------------------------------------------------------------------===//

struct Function {
  std::string name;
  bool site; // site_...: (x, res, w [, s]) -> (q, scales, r_out, y)
  ref::DType dtype;
  int64_t H;
  ref::QuantScheme scheme;
};

std::vector<Function> functions() {
  using ref::QuantScheme;
  using ref::ScaleEncoding;
  using ref::ScaleLayout;
  QuantScheme packed = QuantScheme::perGroup(128, ScaleEncoding::UE8M0Packed,
                                             ScaleLayout::MNMajor, 4);
  QuantScheme groupF32 =
      QuantScheme::perGroup(128, ScaleEncoding::F32, ScaleLayout::MNMajor, 4);
  std::vector<Function> list = {
      {"ar_bf16_h7168", false, ref::DType::BF16, 7168, {}},
      {"ar_f16_h256", false, ref::DType::F16, 256, {}},
      {"ar_f32_h1001", false, ref::DType::F32, 1001, {}},
      {"site_g128pk_bf16_h7168", true, ref::DType::BF16, 7168, packed},
      {"site_g128f32_bf16_h7168", true, ref::DType::BF16, 7168, groupF32},
      {"site_tok_bf16_h7168", true, ref::DType::BF16, 7168,
       QuantScheme::perToken()},
      {"site_dpt_bf16_h7168", true, ref::DType::BF16, 7168,
       QuantScheme::dynamicPerTensor()},
      {"site_static_bf16_h7168", true, ref::DType::BF16, 7168,
       QuantScheme::staticPerTensor()},
      {"site_g128pk_f16_h256", true, ref::DType::F16, 256, packed},
      {"site_tok_f16_h256", true, ref::DType::F16, 256,
       QuantScheme::perToken()},
      {"site_tok_f32_h1001", true, ref::DType::F32, 1001,
       QuantScheme::perToken()},
      {"site_dpt_f32_h1001", true, ref::DType::F32, 1001,
       QuantScheme::dynamicPerTensor()},
  };
  return list;
}

/// The static per-tensor scale the tests pass.
constexpr float kStaticScale = 0.0625f;
constexpr float kEpsilon = 1e-6f;

//===----------------------------------------------------------------------===//
// Libraries
//===----------------------------------------------------------------------===//

struct Library {
  std::string path;
  void *handle = nullptr;
  bool open(const std::string &file) {
    path = file;
    handle = dlopen(file.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!handle)
      std::fprintf(stderr, "cannot load %s: %s\n", file.c_str(), dlerror());
    return handle != nullptr;
  }
  void *entry(const std::string &name) const {
    std::string symbol = "_mlir_ciface_" + name;
    return handle ? dlsym(handle, symbol.c_str()) : nullptr;
  }
};

/// Calls `entry(stream, args...)` with 1 to 9 memref descriptor pointers.
void callEntry(void *entry, void *stream, std::vector<void *> &args) {
  using P = void *;
  switch (args.size()) {
  case 2:
    reinterpret_cast<void (*)(P, P, P)>(entry)(stream, args[0], args[1]);
    return;
  case 7:
    reinterpret_cast<void (*)(P, P, P, P, P, P, P, P)>(entry)(
        stream, args[0], args[1], args[2], args[3], args[4], args[5], args[6]);
    return;
  case 8:
    reinterpret_cast<void (*)(P, P, P, P, P, P, P, P, P)>(entry)(
        stream, args[0], args[1], args[2], args[3], args[4], args[5], args[6],
        args[7]);
    return;
  default:
    std::fprintf(stderr, "internal error: %zu arguments\n", args.size());
    std::abort();
  }
}

//===----------------------------------------------------------------------===//
// One rank's call
//===----------------------------------------------------------------------===//

/// Host inputs of one rank (x differs per rank; res, w are shared).
struct Inputs {
  std::vector<ref::Matrix> x; // per rank
  ref::Matrix residual, weight;
};

/// Host copies of one rank's outputs.
struct Outputs {
  std::vector<uint8_t> y;      // ar: the sum; site: the normalized tensor
  std::vector<uint8_t> q;      // site
  std::vector<uint8_t> scales; // site
  std::vector<uint8_t> residualOut;
  std::string error;
  bool operator==(const Outputs &other) const {
    return y == other.y && q == other.q && scales == other.scales &&
           residualOut == other.residualOut;
  }
};

/// One rank's call, in three phases so that nothing synchronizes the device
/// while a rank's kernel waits for its peers: `prepare` (allocations and
/// synchronous copies, every rank before any launch), `call` (the compiled
/// function and a wait on the rank's own stream: asynchronous work only,
/// all ranks at once), `finish` (copies out and frees, after every rank's
/// call returned). cuMemAlloc, cuMemFree and the synchronous copies may
/// wait for the whole device, which a rank spinning on its peers' flags
/// never leaves.
class RankCall {
public:
  RankCall(const Library &library, const Function &fn, const Inputs &inputs,
           int rank, int64_t M, uint8_t poison)
      : fn(fn), M(M), elem(ref::dtypeSize(fn.dtype)),
        matrixBytes(static_cast<size_t>(M * fn.H) * elem),
        shape(fn.site ? ref::scaleShape(fn.scheme, M, fn.H)
                      : ref::ScaleShape()) {
    entry = library.entry(fn.name);
    if (!entry)
      out.error = "missing function " + fn.name + " in " + library.path;
    stream = vllmrtStreamCreate();
    x = alloc(matrixBytes, inputs.x[rank].data.data(), 0);
    y = alloc(matrixBytes, nullptr, poison);
    if (fn.site) {
      res = alloc(matrixBytes, inputs.residual.data.data(), 0);
      w = alloc(static_cast<size_t>(fn.H) * elem, inputs.weight.data.data(), 0);
      s0 = alloc(sizeof(float), &kStaticScale, 0);
      q = alloc(static_cast<size_t>(M * fn.H), nullptr, poison);
      rOut = alloc(matrixBytes, nullptr, poison);
      scales = alloc(shape.bytes(), nullptr, poison);
    }
  }

  /// Calls the function on this thread's communicator and waits for it.
  void call() {
    if (!entry)
      return;
    auto xDesc = vllmrt::contiguousMemRef<2>(x, {M, fn.H});
    auto yDesc = vllmrt::contiguousMemRef<2>(y, {M, fn.H});
    std::vector<void *> args;
    if (!fn.site) {
      args = {&xDesc, &yDesc};
      callEntry(entry, stream, args);
    } else {
      auto resDesc = vllmrt::contiguousMemRef<2>(res, {M, fn.H});
      auto wDesc = vllmrt::contiguousMemRef<1>(w, {fn.H});
      auto s0Desc = vllmrt::contiguousMemRef<1>(s0, {1});
      auto qDesc = vllmrt::contiguousMemRef<2>(q, {M, fn.H});
      auto rOutDesc = vllmrt::contiguousMemRef<2>(rOut, {M, fn.H});
      auto scales1 = vllmrt::contiguousMemRef<1>(scales, {shape.dims[0]});
      auto scales2 =
          vllmrt::contiguousMemRef<2>(scales, {shape.dims[0], shape.dims[1]});
      void *scalesDesc = shape.rank == 1 ? static_cast<void *>(&scales1)
                                         : static_cast<void *>(&scales2);
      args = {&xDesc, &resDesc, &wDesc};
      if (fn.scheme.kind == ref::QuantKind::StaticPerTensor)
        args.push_back(&s0Desc);
      args.push_back(&qDesc);
      args.push_back(scalesDesc);
      args.push_back(&rOutDesc);
      args.push_back(&yDesc);
      callEntry(entry, stream, args);
    }
    vllmrtStreamSynchronize(stream);
    const char *error = vllmrtGetLastError();
    if (error && *error)
      out.error = error;
    vllmrtClearError();
  }

  /// Copies the outputs back and frees everything.
  Outputs finish() {
    if (out.error.empty()) {
      out.y = copyOut(y, matrixBytes);
      if (fn.site) {
        out.q = copyOut(q, static_cast<size_t>(M * fn.H));
        out.scales = copyOut(scales, shape.bytes());
        out.residualOut = copyOut(rOut, matrixBytes);
      }
    }
    for (void *buffer : buffers)
      vllmrtFree(buffer);
    buffers.clear();
    vllmrtStreamDestroy(stream);
    const char *error = vllmrtGetLastError();
    if (out.error.empty() && error && *error)
      out.error = error;
    vllmrtClearError();
    return out;
  }

private:
  void *alloc(size_t bytes, const void *data, uint8_t fill) {
    void *ptr = vllmrtMalloc(bytes ? bytes : 16);
    buffers.push_back(ptr);
    if (data)
      vllmrtMemcpyHtoD(ptr, data, bytes);
    else
      vllmrtMemsetD8(ptr, fill, bytes);
    return ptr;
  }
  static std::vector<uint8_t> copyOut(void *ptr, size_t bytes) {
    std::vector<uint8_t> host(bytes);
    vllmrtMemcpyDtoH(host.data(), ptr, bytes);
    return host;
  }

  const Function &fn;
  int64_t M;
  size_t elem, matrixBytes;
  ref::ScaleShape shape;
  void *entry = nullptr;
  void *stream = nullptr;
  void *x = nullptr, *y = nullptr, *res = nullptr, *w = nullptr, *s0 = nullptr,
       *q = nullptr, *rOut = nullptr, *scales = nullptr;
  std::vector<void *> buffers;
  Outputs out;
};

/// Seconds a case may take before the driver reports a hang and exits (a
/// rank waiting forever for a peer cannot be cancelled).
constexpr int kHangSeconds = 60;

/// Runs `fn` on every rank of `comms` at once, one thread each (the ranks'
/// kernels wait for each other). `comms` are bound to group 0 per thread.
std::vector<Outputs> runAllRanks(const Library &library, const Function &fn,
                                 const Inputs &inputs,
                                 const std::vector<vllmrtComm *> &comms,
                                 int64_t M, uint8_t poison,
                                 const std::string &what) {
  std::vector<std::unique_ptr<RankCall>> calls;
  for (size_t r = 0; r < comms.size(); ++r)
    calls.push_back(std::make_unique<RankCall>(library, fn, inputs,
                                               static_cast<int>(r), M, poison));
  std::atomic<int> done{0};
  std::vector<std::thread> threads;
  for (size_t r = 0; r < comms.size(); ++r)
    threads.emplace_back([&, r] {
      vllmrtCommBindThread(0, comms[r]);
      calls[r]->call();
      vllmrtCommBindThread(0, nullptr);
      ++done;
    });
  auto start = std::chrono::steady_clock::now();
  while (done.load() < static_cast<int>(comms.size())) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
    if (std::chrono::steady_clock::now() - start >
        std::chrono::seconds(kHangSeconds)) {
      std::printf("HANG %s: %d of %zu ranks returned after %d s\n",
                  what.c_str(), done.load(), comms.size(), kHangSeconds);
      std::fflush(stdout);
      std::_Exit(3);
    }
  }
  for (std::thread &t : threads)
    t.join();
  std::vector<Outputs> outputs;
  for (auto &call : calls)
    outputs.push_back(call->finish());
  return outputs;
}

//===----------------------------------------------------------------------===//
// Inputs and the CPU reference
//===----------------------------------------------------------------------===//

Inputs makeInputs(const Function &fn, int ranks, int64_t M, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  Inputs in;
  for (int r = 0; r < ranks; ++r) {
    ref::Matrix x(fn.dtype, M, fn.H);
    for (int64_t m = 0; m < M; ++m)
      for (int64_t k = 0; k < fn.H; ++k)
        x.set(m, k, normal(rng) * (1.0f + static_cast<float>(r)));
    in.x.push_back(std::move(x));
  }
  // Edge rows (SPEC.md 5): zeros; a sum that cancels to +0 (x_1 = -x_0,
  // the others 0); -0 on every rank (the sum of R = 1 stays -0, more ranks
  // give -0 + -0 = -0); large values (a bf16 / f16 sum that rounds).
  auto fill = [&](int64_t row, const std::function<float(int, int64_t)> &f) {
    if (row >= M)
      return;
    for (int r = 0; r < ranks; ++r)
      for (int64_t k = 0; k < fn.H; ++k)
        in.x[r].set(row, k, f(r, k));
  };
  fill(1, [](int, int64_t) { return 0.0f; });
  fill(2, [&](int r, int64_t k) {
    float v = in.x[0].get(2, k);
    return r == 0 ? v : (r == 1 ? -v : 0.0f);
  });
  fill(3, [](int, int64_t) { return -0.0f; });
  fill(4, [&](int r, int64_t k) {
    return (k % 2 ? 1.0f : -1.0f) * (300.0f + 7.0f * static_cast<float>(r)) +
           static_cast<float>(k % 5);
  });
  in.residual = ref::Matrix(fn.dtype, M, fn.H);
  for (int64_t m = 0; m < M; ++m)
    for (int64_t k = 0; k < fn.H; ++k)
      in.residual.set(m, k, normal(rng));
  in.weight = ref::Matrix(fn.dtype, 1, fn.H);
  std::uniform_real_distribution<float> around(0.5f, 1.5f);
  for (int64_t k = 0; k < fn.H; ++k)
    in.weight.set(0, k, around(rng));
  return in;
}

/// RN_T(((x_0 + x_1) + ...) + x_{R-1}) in f32 (SPEC.md 3.10).
ref::Matrix rankOrderedSum(const Inputs &in) {
  const ref::Matrix &x0 = in.x[0];
  ref::Matrix sum(x0.type, x0.rows, x0.cols);
  for (int64_t m = 0; m < x0.rows; ++m)
    for (int64_t k = 0; k < x0.cols; ++k) {
      float acc = x0.get(m, k);
      for (size_t r = 1; r < in.x.size(); ++r)
        acc = acc + in.x[r].get(m, k);
      sum.set(m, k, acc);
    }
  return sum;
}

ref::Matrix toMatrix(ref::DType type, int64_t M, int64_t H,
                     const std::vector<uint8_t> &bytes) {
  ref::Matrix m(type, M, H);
  std::memcpy(m.data.data(), bytes.data(), m.bytes());
  return m;
}

/// Checks one rank's outputs against the CPU reference; "" when they match.
std::string checkReference(const Function &fn, const Inputs &in, int64_t M,
                           const Outputs &out) {
  ref::Matrix sum = rankOrderedSum(in);
  std::ostringstream why;
  if (!fn.site) {
    if (std::memcmp(out.y.data(), sum.data.data(), sum.bytes()) == 0)
      return "";
    for (int64_t i = 0; i < sum.size(); ++i)
      if (ref::bitsAt(fn.dtype, out.y.data(), i) !=
          sum.bits(i / fn.H, i % fn.H)) {
        why << "sum differs at (" << i / fn.H << ", " << i % fn.H
            << "): got bits 0x" << std::hex
            << ref::bitsAt(fn.dtype, out.y.data(), i) << ", want 0x"
            << sum.bits(i / fn.H, i % fn.H);
        return why.str();
      }
  }
  // residual_out = RN_T(sum + residual): exact.
  ref::Matrix yRef, residualOutRef;
  ref::fusedAddRmsNorm(sum, in.residual, in.weight, kEpsilon, yRef,
                       residualOutRef);
  if (std::memcmp(out.residualOut.data(), residualOutRef.data.data(),
                  residualOutRef.bytes()) != 0) {
    for (int64_t i = 0; i < residualOutRef.size(); ++i) {
      uint32_t got = ref::bitsAt(fn.dtype, out.residualOut.data(), i);
      uint32_t want = residualOutRef.bits(i / fn.H, i % fn.H);
      if (got != want) {
        why << "residual_out differs at (" << i / fn.H << ", " << i % fn.H
            << "): got bits 0x" << std::hex << got << ", want 0x" << want;
        return why.str();
      }
    }
  }
  // y within 1 ulp of the norm of the GPU's residual_out. The f32 sum's
  // order changes r by a few f32 ulps, which f32 output does not absorb:
  // as in vllm-gpu-tests (docs/gpu-testing.md), for T = f32 the reference
  // may use any r within 8 ulps of its own.
  ref::Matrix residualOut = toMatrix(fn.dtype, M, fn.H, out.residualOut);
  std::vector<float> factors;
  ref::Matrix normRef =
      ref::rmsNorm(residualOut, in.weight, kEpsilon, &factors);
  const int window = fn.dtype == ref::DType::F32 ? 8 : 0;
  auto withinWindow = [&](int64_t m, int64_t k, uint32_t got) {
    float lo = factors[static_cast<size_t>(m)], hi = lo;
    ref::Matrix one(fn.dtype, 1, 1);
    for (int step = 0; step < window; ++step) {
      lo = std::nextafter(lo, -INFINITY);
      hi = std::nextafter(hi, INFINITY);
      for (float r : {lo, hi}) {
        one.set(0, 0, residualOut.get(m, k) * r * in.weight.get(0, k));
        if (ref::ulpDistance(fn.dtype, got, one.bits(0, 0)) <= 1)
          return true;
      }
    }
    return false;
  };
  for (int64_t i = 0; i < normRef.size(); ++i) {
    uint32_t got = ref::bitsAt(fn.dtype, out.y.data(), i);
    uint32_t want = normRef.bits(i / fn.H, i % fn.H);
    if (ref::ulpDistance(fn.dtype, got, want) > 1 &&
        !withinWindow(i / fn.H, i % fn.H, got)) {
      why << "y is more than 1 ulp off at (" << i / fn.H << ", " << i % fn.H
          << "): got bits 0x" << std::hex << got << ", want 0x" << want;
      return why.str();
    }
  }
  // q and the scales: exact given the GPU's y.
  ref::Matrix y = toMatrix(fn.dtype, M, fn.H, out.y);
  ref::QuantOutput quant = ref::quantize(y, fn.scheme, kStaticScale);
  if (quant.q != out.q)
    return "q differs from the CPU quantization of the GPU's y";
  if (quant.scales != out.scales)
    return "the scales differ from the CPU quantization of the GPU's y";
  return "";
}

//===----------------------------------------------------------------------===//
// Driver
//===----------------------------------------------------------------------===//

struct Options {
  std::string fusedLib, unfusedLib, ncclLib;
  std::vector<int> ranks = {1, 2, 4};
  std::vector<int64_t> ms = {1, 5, 64, 257, 1000};
  uint64_t seed = 0;
  std::vector<std::string> filters;
};

std::vector<int64_t> parseList(const char *text) {
  std::vector<int64_t> values;
  std::stringstream stream(text);
  std::string item;
  while (std::getline(stream, item, ','))
    values.push_back(std::stoll(item));
  return values;
}

int usage() {
  std::fprintf(stderr,
               "usage: vllm-all-reduce-tests --fused-lib L --unfused-lib L "
               "[--nccl-lib L] [--ranks 1,2,4] [--m 1,5,64,257,1000] "
               "[--seed N] [--filter S]... [--verbose]\n");
  return 2;
}

/// Prints each case before running it (--verbose).
bool verbose = false;

struct Tally {
  int passed = 0, failed = 0, skipped = 0;
  void report(bool ok, const std::string &what, const std::string &why) {
    if (ok) {
      ++passed;
      return;
    }
    ++failed;
    std::printf("FAIL %s: %s\n", what.c_str(), why.c_str());
  }
};

/// Runs `fn` on `comms` with the fused build twice (two poisons) and the
/// unfused build(s), and checks everything SPEC.md asks.
void testFunction(const Function &fn, const std::vector<vllmrtComm *> &comms,
                  const std::vector<const Library *> &unfused,
                  const Library &fused, int64_t M, uint64_t seed,
                  const std::string &label, Tally &tally) {
  int ranks = static_cast<int>(comms.size());
  Inputs inputs = makeInputs(fn, ranks, M, seed);
  std::string what = label + " " + fn.name + " R=" + std::to_string(ranks) +
                     " M=" + std::to_string(M);
  if (verbose)
    std::printf("case %s\n", what.c_str());
  std::vector<Outputs> first =
      runAllRanks(fused, fn, inputs, comms, M, 0xA5, what);
  for (int r = 0; r < ranks; ++r)
    if (!first[r].error.empty()) {
      tally.report(false, what,
                   "rank " + std::to_string(r) + " failed: " + first[r].error);
      return;
    }
  // Every rank the same bits.
  bool same = true;
  for (int r = 1; r < ranks; ++r)
    same &= first[r] == first[0];
  tally.report(same, what + " ranks agree", "rank outputs differ");
  // The CPU reference (rank 0; the others are equal).
  std::string why = checkReference(fn, inputs, M, first[0]);
  tally.report(why.empty(), what + " reference", why);
  // Deterministic.
  std::vector<Outputs> second =
      runAllRanks(fused, fn, inputs, comms, M, 0x3C, what);
  tally.report(second[0] == first[0] && second[0].error.empty(),
               what + " deterministic",
               "a second call differs" +
                   (second[0].error.empty() ? "" : ": " + second[0].error));
  // Fused == unfused (C9).
  for (const Library *library : unfused) {
    std::vector<Outputs> other =
        runAllRanks(*library, fn, inputs, comms, M, 0x5A, what);
    bool equal = other[0].error.empty();
    for (int r = 0; r < ranks && equal; ++r)
      equal = other[r] == first[0];
    tally.report(equal, what + " equals " + library->path,
                 other[0].error.empty() ? "outputs differ" : other[0].error);
  }
}

} // namespace

int main(int argc, char **argv) {
  Options options;
  options.seed = std::random_device{}();
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto next = [&]() -> const char * {
      return i + 1 < argc ? argv[++i] : nullptr;
    };
    const char *value = nullptr;
    if ((arg == "--fused-lib" || arg == "--unfused-lib" ||
         arg == "--nccl-lib" || arg == "--ranks" || arg == "--m" ||
         arg == "--seed" || arg == "--filter") &&
        !(value = next()))
      return usage();
    if (arg == "--fused-lib")
      options.fusedLib = value;
    else if (arg == "--unfused-lib")
      options.unfusedLib = value;
    else if (arg == "--nccl-lib")
      options.ncclLib = value;
    else if (arg == "--ranks") {
      options.ranks.clear();
      for (int64_t r : parseList(value))
        options.ranks.push_back(static_cast<int>(r));
    } else if (arg == "--m")
      options.ms = parseList(value);
    else if (arg == "--seed")
      options.seed = std::stoull(value);
    else if (arg == "--filter")
      options.filters.push_back(value);
    else if (arg == "--verbose")
      verbose = true;
    else
      return usage();
  }
  if (options.fusedLib.empty() || options.unfusedLib.empty())
    return usage();
  // Simulated ranks run kernels that wait for each other; a kernel loaded
  // lazily at its first launch may wait for the device to drain first
  // (CUDA's lazy loading), which those kernels never let it do.
  setenv("CUDA_MODULE_LOADING", "EAGER", /*overwrite=*/1);
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  std::printf("seed %llu\n", static_cast<unsigned long long>(options.seed));
  if (!vllmrtIsGpuAvailable()) {
    std::printf("no GPU: skipped (%s)\n0 passed, 0 failed, 1 skipped\n",
                vllmrtUnavailableReason());
    return 0;
  }
  Library fused, unfused, nccl;
  if (!fused.open(options.fusedLib) || !unfused.open(options.unfusedLib))
    return 1;
  bool haveNcclLib = !options.ncclLib.empty() && nccl.open(options.ncclLib);
  if (!options.ncclLib.empty() && !haveNcclLib)
    return 1;

  std::vector<Function> selected;
  for (const Function &fn : functions()) {
    bool keep = options.filters.empty();
    for (const std::string &filter : options.filters)
      keep |= fn.name.find(filter) != std::string::npos;
    if (keep)
      selected.push_back(fn);
  }
  // The largest staged input: M x H of the widest element type.
  int64_t maxM = 0;
  for (int64_t m : options.ms)
    maxM = std::max(maxM, m);
  size_t capacity = static_cast<size_t>(maxM) * 7168 * 4;

  Tally tally;
  uint64_t caseSeed = options.seed;
  for (int ranks : options.ranks) {
    std::vector<vllmrtComm *> comms(ranks, nullptr);
    if (vllmrtCommCreateLocal(ranks, capacity, comms.data()) != 0) {
      tally.report(false, "local comm R=" + std::to_string(ranks),
                   vllmrtGetLastError());
      vllmrtClearError();
      continue;
    }
    for (const Function &fn : selected)
      for (int64_t M : options.ms)
        testFunction(fn, comms, {&unfused}, fused, M, ++caseSeed, "local",
                     tally);
    for (vllmrtComm *comm : comms)
      vllmrtCommDestroy(comm);
  }

  // One real NCCL rank: the peer path through NCCL's buffers, and
  // ncclAllReduce (all-reduce=nccl).
  if (!vllmrtNcclAvailable()) {
    std::printf("libnccl.so.2 not found: the NCCL rank is skipped\n");
    ++tally.skipped;
  } else {
    char id[128];
    vllmrtComm *comm = nullptr;
    if (vllmrtCommGetUniqueId(id) == 0)
      comm = vllmrtCommInitRank(id, 1, 0, capacity);
    if (!comm) {
      tally.report(false, "NCCL rank", vllmrtGetLastError());
      vllmrtClearError();
    } else {
      std::printf("NCCL rank: mechanism %s\n", vllmrtCommMechanism(comm));
      std::vector<const Library *> others = {&unfused};
      if (haveNcclLib)
        others.push_back(&nccl);
      for (const Function &fn : selected)
        for (int64_t M : options.ms)
          testFunction(fn, {comm}, others, fused, M, ++caseSeed, "nccl", tally);
      vllmrtCommDestroy(comm);
    }
  }
  std::printf("%d passed, %d failed, %d skipped\n", tally.passed, tally.failed,
              tally.skipped);
  return tally.failed == 0 ? 0 : 1;
}
