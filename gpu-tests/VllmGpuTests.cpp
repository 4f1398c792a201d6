//===- VllmGpuTests.cpp - The GPU numerics suite --------------------------===//
//
// Part of the vllm-mlir project.
//
//===----------------------------------------------------------------------===//
//
// Runs every generated test function (kernels/gen_test_kernels.py) from two
// builds of the same modules - with the fusion pipeline ("fused library")
// and without it ("unfused library") - on fresh random inputs (seed printed)
// and on the edge cases of docs/SPEC.md section 5, and checks:
//
//  - quantized bytes and scale bytes bit-exact against the CPU reference
//    given the same normalized input: the quantize functions get y as an
//    input; for the fused functions the reference quantizes the normalized
//    output the kernel returns itself (so the norm's summation order cannot
//    leak into the comparison), and the unfused sequence is compared against
//    the reference applied to the y of the standalone rms_norm kernel;
//  - the normalized output within 1 ulp of T of the CPU reference (with a
//    window on the row factor for T = f32, see docs/gpu-testing.md), and
//    residual_out exact;
//  - fused vs unfused bit-identical (SPEC C9): the `seq*` functions of both
//    builds, the fused op's normalized output vs the rms_norm kernel's, and
//    the fused op with vs without the normalized result;
//  - every output element written (each function runs twice, on outputs
//    poisoned with 0xff and then 0xab: an unwritten byte differs), nothing
//    written past an output (a guard zone after each buffer), and padding
//    rows and bytes zero (part of the bit-exact scale comparison);
//  - scaled_matmul and the norm -> quantize -> scaled_matmul chain against
//    an f64 reference with DeepGEMM's metric < 1e-3.
//
// Without a GPU it prints "no GPU: skipped" and exits 0. The last line is
// always "N passed, N failed, N skipped" (one case = one function at one M
// on one input set).
//
//===----------------------------------------------------------------------===//

#include "GpuTestSupport.h"

#include "vllm-runtime/MemRef.h"
#include "vllm-runtime/Runtime.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <functional>
#include <limits>
#include <mutex>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <unistd.h>

using namespace vgt;
using ref::DType;

namespace {

//===----------------------------------------------------------------------===//
// Options
//===----------------------------------------------------------------------===//

struct Options {
  std::string fusedLib, unfusedLib;
  bool singleLib = false;
  uint64_t seed = 0;
  bool seedGiven = false;
  // Persistent row kernels loop over rows when M exceeds their grid
  // (ctasPerSM x 132 SMs on sm_90a: 264 for H = 7168, 396 for H = 4096 and
  // more for small H): the largest M make every CTA take many rows, of
  // both parities of its shared buffers.
  std::vector<int64_t> ms = {1, 3, 4, 5, 257, 4096, 16384};
  std::vector<int64_t> edgeMs = {1, 13, 257, 1000};
  // GEMM rows: every variant of the tensor-core strategy table (1-64,
  // 65-256, 257-1024, 1025-), M % 4 != 0 in the split and the mid-M ones.
  std::vector<int64_t> mmMs = {1, 5, 64, 128, 301, 4096};
  std::vector<int64_t> hs; // empty: every H of the manifest
  std::vector<std::string> filters;
  bool noMatmul = false, onlyMatmul = false, noNanRows = false;
  bool hostMock = false, list = false, verbose = false, checkSymbols = false;
  int maxReport = 4;
  int threads = 0;
  int64_t gemmSampleRows = 256;
};

const char *kUsage =
    "usage: vllm-gpu-tests [options]\n"
    "  --fused-lib PATH      kernels built with the fusion pipeline\n"
    "                        (default: ../lib/libvllm_gpu_test_kernels.so\n"
    "                        next to this program)\n"
    "  --unfused-lib PATH    the same modules built with NO_FUSION (default:\n"
    "                        ../lib/libvllm_gpu_test_kernels_unfused.so)\n"
    "  --single-lib          run with only --fused-lib (C9 checks skipped)\n"
    "  --seed N              input seed (default: random, printed)\n"
    "  --m LIST              M of the random inputs (1,3,4,5,257,4096,16384)\n"
    "  --edge-m LIST         M of the edge-case inputs (1,13,257,1000)\n"
    "  --mm-m LIST           M of the GEMM checks (1,5,64,128,4096)\n"
    "  --h LIST              only these H (default: all)\n"
    "  --filter TEXT         only functions whose name contains TEXT\n"
    "                        (repeatable)\n"
    "  --quick               --m 1,5,700 --edge-m 13,700 --mm-m 1,64,128\n"
    "                        (for compute-sanitizer)\n"
    "  --no-matmul / --only-matmul\n"
    "  --no-nan-rows         no NaN rows in the edge inputs\n"
    "  --threads N           CPU threads for the reference (default: all)\n"
    "  --max-report N        mismatches printed per check (4)\n"
    "  --list                print the functions and exit\n"
    "  --check-symbols       check that both libraries export every\n"
    "                        function (no GPU needed) and exit\n"
    "  --host-mock           run host mock kernels (driver self-test)\n"
    "  --verbose             print passing cases too\n";

std::vector<int64_t> parseList(const std::string &text) {
  std::vector<int64_t> values;
  std::stringstream ss(text);
  std::string item;
  while (std::getline(ss, item, ','))
    if (!item.empty())
      values.push_back(std::stoll(item));
  return values;
}

bool parseOptions(int argc, char **argv, Options &o) {
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc)
        throw std::runtime_error("missing value after " + a);
      return argv[++i];
    };
    if (a == "--fused-lib")
      o.fusedLib = value();
    else if (a == "--unfused-lib")
      o.unfusedLib = value();
    else if (a == "--single-lib")
      o.singleLib = true;
    else if (a == "--seed") {
      o.seed = std::stoull(value());
      o.seedGiven = true;
    } else if (a == "--m")
      o.ms = parseList(value());
    else if (a == "--edge-m")
      o.edgeMs = parseList(value());
    else if (a == "--mm-m")
      o.mmMs = parseList(value());
    else if (a == "--h")
      o.hs = parseList(value());
    else if (a == "--filter")
      o.filters.push_back(value());
    else if (a == "--quick") {
      o.ms = {1, 5, 700};
      o.edgeMs = {13, 700};
      o.mmMs = {1, 64, 128};
    } else if (a == "--no-matmul")
      o.noMatmul = true;
    else if (a == "--only-matmul")
      o.onlyMatmul = true;
    else if (a == "--no-nan-rows")
      o.noNanRows = true;
    else if (a == "--threads")
      o.threads = std::stoi(value());
    else if (a == "--max-report")
      o.maxReport = std::stoi(value());
    else if (a == "--list")
      o.list = true;
    else if (a == "--check-symbols")
      o.checkSymbols = true;
    else if (a == "--host-mock")
      o.hostMock = true;
    else if (a == "--verbose" || a == "-v")
      o.verbose = true;
    else if (a == "--help" || a == "-h") {
      std::printf("%s", kUsage);
      std::exit(0);
    } else {
      std::fprintf(stderr, "unknown option %s\n%s", a.c_str(), kUsage);
      return false;
    }
  }
  return true;
}

std::string executableDir() {
  char buf[4096];
  ssize_t n = readlink("/proc/self/exe", buf, sizeof(buf) - 1);
  if (n <= 0)
    return ".";
  buf[n] = 0;
  std::string path(buf);
  size_t slash = path.rfind('/');
  return slash == std::string::npos ? "." : path.substr(0, slash);
}

std::string findLibrary(const std::string &given, const std::string &name) {
  if (!given.empty())
    return given;
  std::string dir = executableDir();
  for (const std::string &candidate :
       {dir + "/../lib/" + name, dir + "/" + name,
        dir + "/../gpu-tests/" + name}) {
    if (access(candidate.c_str(), R_OK) == 0)
      return candidate;
  }
  return "";
}

//===----------------------------------------------------------------------===//
// Inputs
//===----------------------------------------------------------------------===//

/// splitmix64: cheap, and every row gets an independent stream from a hash
/// of (seed, what, H, M, row), so inputs do not depend on thread count.
struct Rng {
  uint64_t state;
  explicit Rng(uint64_t seed) : state(seed) {}
  uint64_t next() {
    uint64_t z = (state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
  double normal() {
    double u1 = uniform(), u2 = uniform();
    if (u1 < 1e-300)
      u1 = 1e-300;
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
  }
};

uint64_t mix(uint64_t a, uint64_t b) {
  Rng r(a ^ (b * 0xd6e8feb86659fd93ull));
  return r.next();
}

Rng rowRng(uint64_t seed, uint64_t what, int64_t H, int64_t M, int64_t row) {
  return Rng(mix(mix(mix(mix(seed, what), static_cast<uint64_t>(H)),
                     static_cast<uint64_t>(M)),
                 static_cast<uint64_t>(row)));
}

/// Rows of the edge-case inputs cycle through these (SPEC section 5).
enum Pattern {
  Zero,          // all-zero row
  Tiny,          // amax < 2e-3
  MixedGroups,   // groups of 32 scaled 1e-4 .. 10: tiny groups after the norm
  Huge,          // ~1e30: the f32 sum of squares overflows; far above 448 s
  OneNaN,        // one NaN
  PosInf,        // one +Inf
  NegInf,        // one -Inf
  Subnormal,     // bf16 subnormals only
  HalfSubnormal, // subnormals mixed with normal values
  Ordinary,      // a random row like the random inputs
  Big,           // ~1000: saturates the static scale
  AllNaN,        // every element NaN
  NumPatterns
};

const char *patternName(int p) {
  static const char *names[] = {
      "zero", "tiny",      "mixed-groups",   "huge",     "one-nan", "+inf",
      "-inf", "subnormal", "half-subnormal", "ordinary", "big",     "all-nan"};
  return p >= 0 && p < NumPatterns ? names[p] : "?";
}

void ordinaryRow(float *row, int64_t H, Rng &rng) {
  // Rows differ in magnitude by up to 2^6, with rare outliers (x32): like
  // LLM activations.
  double scale = std::ldexp(1.0, static_cast<int>(rng.uniform() * 7.0) - 3);
  for (int64_t k = 0; k < H; ++k) {
    double v = rng.normal() * scale;
    if ((rng.next() & 255) == 0)
      v *= 32.0;
    row[k] = static_cast<float>(v);
  }
}

void patternRow(float *row, int64_t H, int p, int64_t m, Rng &rng) {
  switch (p) {
  case Zero:
    std::fill(row, row + H, 0.0f);
    return;
  case Tiny:
    for (int64_t k = 0; k < H; ++k)
      row[k] = static_cast<float>(rng.normal() * 1e-4);
    return;
  case MixedGroups:
    for (int64_t k = 0; k < H; ++k)
      row[k] =
          static_cast<float>(rng.normal() * std::pow(10.0, ((k / 32) % 6) - 4));
    return;
  case Huge:
    for (int64_t k = 0; k < H; ++k)
      row[k] = static_cast<float>(rng.normal() * 1e30);
    return;
  case OneNaN:
  case PosInf:
  case NegInf:
    ordinaryRow(row, H, rng);
    row[(m * 7 + 3) % H] = p == OneNaN ? std::numeric_limits<float>::quiet_NaN()
                           : p == PosInf
                               ? std::numeric_limits<float>::infinity()
                               : -std::numeric_limits<float>::infinity();
    return;
  case Subnormal:
  case HalfSubnormal:
    for (int64_t k = 0; k < H; ++k) {
      if (p == HalfSubnormal && (k & 1)) {
        row[k] = static_cast<float>(rng.normal() * 1e-2);
        continue;
      }
      // A bf16 subnormal: exponent field 0, mantissa 1..127 (<= 1.2e-38).
      int mantissa = 1 + static_cast<int>(rng.next() % 127);
      float v = std::ldexp(static_cast<float>(mantissa), -133);
      row[k] = (rng.next() & 1) ? -v : v;
    }
    return;
  case Big:
    for (int64_t k = 0; k < H; ++k)
      row[k] = static_cast<float>(rng.normal() * 1000.0);
    return;
  case AllNaN:
    std::fill(row, row + H, std::numeric_limits<float>::quiet_NaN());
    return;
  default:
    ordinaryRow(row, H, rng);
    return;
  }
}

ref::Matrix toMatrix(DType type, int64_t rows, int64_t cols,
                     const std::vector<float> &values) {
  ref::Matrix m(type, rows, cols);
  ref::parallelFor(rows, [&](int64_t b, int64_t e) {
    for (int64_t r = b; r < e; ++r)
      for (int64_t c = 0; c < cols; ++c)
        m.set(r, c, values[static_cast<size_t>(r * cols + c)]);
  });
  return m;
}

//===----------------------------------------------------------------------===//
// Results
//===----------------------------------------------------------------------===//

struct Case {
  std::string title;
  std::vector<std::string> failures;
  std::vector<std::string> notes;
  int skippedChecks = 0;
  void fail(const std::string &check, const std::string &detail) {
    failures.push_back(check + ": " + detail);
  }
  bool ok() const { return failures.empty(); }
};

struct Totals {
  int passed = 0, failed = 0, skipped = 0, skippedChecks = 0;
};

std::string hex(uint64_t v, int digits) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "0x%0*llx", digits,
                static_cast<unsigned long long>(v));
  return buf;
}

std::string fmt(double v) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.9g", v);
  return buf;
}

//===----------------------------------------------------------------------===//
// The suite
//===----------------------------------------------------------------------===//

/// Inputs, references and GPU results shared by the functions of one H at
/// one M on one input set.
struct Context {
  int64_t H = 0, M = 0;
  bool edge = false;
  std::vector<float> xF, resF, yqF, wF;
  /// x, residual, w and the quantize kernels' y in each element type.
  std::map<DType, ref::Matrix> x, res, w, yq;
  float staticScale = 0.01f;

  struct NormRef {
    ref::Matrix y;
    std::vector<float> r;
  };
  /// The norms' results by element type and round_before_weight.
  using NormKey = std::pair<DType, bool>;
  std::map<NormKey, NormRef> normRef;
  struct AddRef {
    ref::Matrix y, resOut;
    std::vector<float> r;
  };
  std::map<NormKey, AddRef> addRef;

  // Results of the rms_norm / fused_add_rms_norm kernels (unfused build).
  std::map<NormKey, ref::Matrix> gpuNormY, gpuAddY, gpuAddRes;
  struct QuantBytes {
    std::vector<uint8_t> q, scales, resOut;
  };
  // Results of fused_* / fusedres_* by element type and scheme (quantKey).
  std::map<std::string, QuantBytes> fusedOut, fusedResOut;

  // silu_and_mul's input [M, 2H] (gate | up), made on first use, in each
  // element type; the product of the silu_and_mul kernel (unfused build);
  // the results of silufused_* by quantKey.
  std::vector<float> guF;
  std::map<DType, ref::Matrix> gu;
  std::map<DType, ref::Matrix> gpuSiluY;
  std::map<std::string, QuantBytes> siluFusedOut;

  // Device copies of the inputs.
  std::map<std::pair<int, int>, std::pair<void *, size_t>> device;
};

/// The key of a function's results in Context::fusedOut / fusedResOut: the
/// fused_* and seq_* functions of one element type and scheme share it.
static std::string quantKey(const KernelSpec &spec) {
  return std::to_string(static_cast<int>(spec.dtype)) + ":" +
         spec.scheme.str() + (spec.roundBeforeWeight ? ":rbw" : "");
}

/// The key of a norm function's results in the Context's norm maps.
static Context::NormKey normKey(const KernelSpec &spec) {
  return {spec.dtype, spec.roundBeforeWeight};
}

struct RunOutput {
  bool ok = false;
  std::string error;
  std::vector<ArgSpec> outSpecs;
  std::vector<std::vector<uint8_t>> outs;
};

constexpr size_t kGuardBytes = 256;
constexpr uint8_t kGuardByte = 0xc3;

class Suite {
public:
  Suite(const Options &o, Device &device, const KernelLibrary *fused,
        const KernelLibrary *unfused)
      : opts(o), device(device), pool(device), fusedLib(fused),
        unfusedLib(unfused) {}

  int run();

private:
  const Options &opts;
  Device &device;
  BufferPool pool;
  const KernelLibrary *fusedLib;
  const KernelLibrary *unfusedLib;
  Totals totals;
  bool deviceLost = false;
  std::string deviceLostReason;

  bool selected(const KernelSpec &spec) const;
  std::vector<const KernelSpec *> selectedSpecs(bool gemm) const;

  // Inputs.
  void buildContext(Context &ctx, int64_t H, int64_t M, bool edge);
  const ref::Matrix &xOf(Context &ctx, DType t);
  const ref::Matrix &yqOf(Context &ctx, DType t);
  const ref::Matrix &resOf(Context &ctx, DType t);
  const ref::Matrix &wOf(Context &ctx, DType t);
  const ref::Matrix &guOf(Context &ctx, DType t);
  const Context::NormRef &normRef(Context &ctx, const KernelSpec &spec);
  const Context::AddRef &addRef(Context &ctx, const KernelSpec &spec);
  void *deviceInput(Context &ctx, Role role, DType t);
  void releaseContext(Context &ctx);

  // Running.
  RunOutput runOnce(const KernelLibrary &lib, const KernelSpec &spec, int64_t M,
                    const std::vector<void *> &inputs, uint8_t poison);
  RunOutput runTwice(const KernelLibrary &lib, const KernelSpec &spec,
                     int64_t M, const std::vector<void *> &inputs);
  std::vector<void *> inputsFor(Context &ctx, const KernelSpec &spec);
  void noteDeviceError(const std::string &error, const KernelSpec &spec);

  // Checks.
  void checkQ(Case &c, const char *check, const std::vector<uint8_t> &got,
              const std::vector<uint8_t> &want, int64_t H);
  void checkScales(Case &c, const char *check, const std::vector<uint8_t> &got,
                   const std::vector<uint8_t> &want,
                   const ref::QuantScheme &scheme, int64_t M, int64_t H);
  void checkSame(Case &c, const std::string &check,
                 const std::vector<uint8_t> &a, const std::vector<uint8_t> &b,
                 size_t elementBytes);
  /// Runs `spec` from the fused build, whose outputs must equal `run`'s
  /// (from the unfused build) byte for byte: `other` gets them. Returns
  /// false, after recording a skip or a failure, when there is nothing more
  /// to compare.
  bool checkBuildsAgree(Case &c, const char *check, const KernelSpec &spec,
                        int64_t M, const std::vector<void *> &inputs,
                        const RunOutput &run, RunOutput &other);
  void checkExact(Case &c, const char *check, const ref::Matrix &got,
                  const ref::Matrix &want);
  void checkNorm(Case &c, const char *check, const ref::Matrix &x,
                 const ref::Matrix &w, const std::vector<float> &r,
                 const ref::Matrix &want, const ref::Matrix &got,
                 bool roundBeforeWeight);
  ref::Matrix asMatrix(DType t, int64_t M, int64_t H,
                       const std::vector<uint8_t> &bytes);

  // Tests.
  void testFunction(Context &ctx, const KernelSpec &spec);
  void testNormKinds(Context &ctx, const KernelSpec &spec, Case &c);
  void testQuant(Context &ctx, const KernelSpec &spec, Case &c);
  void testFused(Context &ctx, const KernelSpec &spec, Case &c);
  void testSeq(Context &ctx, const KernelSpec &spec, Case &c);
  void testSilu(Context &ctx, const KernelSpec &spec, Case &c);
  void testSiluFused(Context &ctx, const KernelSpec &spec, Case &c);
  void testSiluSeq(Context &ctx, const KernelSpec &spec, Case &c);
  void testGemm(const KernelSpec &spec, int64_t M);
  void finish(Case &c);
};

bool isSelected(const Options &opts, const KernelSpec &spec) {
  if (!opts.hs.empty() && !spec.isGemm() &&
      std::find(opts.hs.begin(), opts.hs.end(), spec.H) == opts.hs.end())
    return false;
  if (spec.isGemm() ? opts.noMatmul : opts.onlyMatmul)
    return false;
  if (opts.filters.empty())
    return true;
  for (const std::string &f : opts.filters)
    if (spec.name.find(f) != std::string::npos)
      return true;
  return false;
}

bool Suite::selected(const KernelSpec &spec) const {
  return isSelected(opts, spec);
}

std::vector<const KernelSpec *> Suite::selectedSpecs(bool gemm) const {
  std::vector<const KernelSpec *> specs;
  for (const KernelSpec &s : allKernels())
    if (s.isGemm() == gemm && selected(s))
      specs.push_back(&s);
  return specs;
}

//===----------------------------------------------------------------------===//
// Inputs
//===----------------------------------------------------------------------===//

void Suite::buildContext(Context &ctx, int64_t H, int64_t M, bool edge) {
  ctx.H = H;
  ctx.M = M;
  ctx.edge = edge;
  const uint64_t seed = opts.seed ^ (edge ? 0x5eedull : 0);
  ctx.xF.assign(static_cast<size_t>(M * H), 0.0f);
  ctx.resF.assign(static_cast<size_t>(M * H), 0.0f);
  ctx.yqF.assign(static_cast<size_t>(M * H), 0.0f);
  ctx.wF.assign(static_cast<size_t>(H), 0.0f);
  const bool noNan = opts.noNanRows;
  auto pattern = [&](int64_t m) {
    int p = static_cast<int>(m % NumPatterns);
    if (noNan && (p == OneNaN || p == AllNaN))
      p = Ordinary;
    return p;
  };
  ref::parallelFor(M, [&](int64_t b, int64_t e) {
    for (int64_t m = b; m < e; ++m) {
      Rng rx = rowRng(seed, 1, H, M, m), rr = rowRng(seed, 2, H, M, m),
          ry = rowRng(seed, 3, H, M, m);
      float *x = ctx.xF.data() + m * H;
      float *r = ctx.resF.data() + m * H;
      float *y = ctx.yqF.data() + m * H;
      if (edge) {
        int p = pattern(m);
        patternRow(x, H, p, m, rx);
        patternRow(y, H, p, m, ry);
        if (p == Zero)
          std::fill(r, r + H, 0.0f); // x + residual stays an all-zero row.
        else
          ordinaryRow(r, H, rr);
      } else {
        ordinaryRow(x, H, rx);
        ordinaryRow(r, H, rr);
        ordinaryRow(y, H, ry);
        for (int64_t k = 0; k < H; ++k) // Some exact zeros.
          if ((ry.next() & 63) == 0)
            y[k] = 0.0f;
      }
    }
  });
  Rng rw = rowRng(seed, 4, H, 0, 0);
  for (int64_t k = 0; k < H; ++k) {
    // Norm weights around 1, a few negative.
    double v = 0.25 + 1.5 * rw.uniform();
    ctx.wF[static_cast<size_t>(k)] =
        static_cast<float>((rw.next() % 10) == 0 ? -v : v);
  }
}

/// `values` (rows x cols) in type `t`, converted once per context and type.
static const ref::Matrix &convertOnce(std::map<DType, ref::Matrix> &cache,
                                      DType t, int64_t rows, int64_t cols,
                                      const std::vector<float> &values) {
  auto it = cache.find(t);
  if (it == cache.end())
    it = cache.emplace(t, toMatrix(t, rows, cols, values)).first;
  return it->second;
}

const ref::Matrix &Suite::yqOf(Context &ctx, DType t) {
  return convertOnce(ctx.yq, t, ctx.M, ctx.H, ctx.yqF);
}

const ref::Matrix &Suite::xOf(Context &ctx, DType t) {
  return convertOnce(ctx.x, t, ctx.M, ctx.H, ctx.xF);
}

const ref::Matrix &Suite::resOf(Context &ctx, DType t) {
  return convertOnce(ctx.res, t, ctx.M, ctx.H, ctx.resF);
}

const ref::Matrix &Suite::wOf(Context &ctx, DType t) {
  return convertOnce(ctx.w, t, 1, ctx.H, ctx.wF);
}

/// One row of silu_and_mul's input: gate (I values) then up (I values).
/// Random rows: ordinary gates (|g| up to ~1000 with the outliers) and ups.
/// Edge rows: the gate follows the row's pattern (zero, NaN, +-Inf, huge
/// |g| ~1e30); `big` rows sweep |g| over 80 .. 127 with both signs, across
/// the exp's clamps at 89 and 104; -Inf gates meet u = 0 (NaN * 0); zero
/// and all-NaN rows have the same up. `ordinary` edge rows sweep the gate
/// over every bf16 bit pattern in turn (the j-th such row takes patterns
/// j * I .. j * I + I - 1, mod 2^16): with M = 1000 and I = 2048 they cover
/// all 2^16, which the bf16 kernels read silu of from a table.
static void gateUpRow(float *row, int64_t I, bool edge, int p, int64_t m,
                      Rng &rg, Rng &ru) {
  float *gate = row, *up = row + I;
  if (!edge) {
    ordinaryRow(gate, I, rg);
    ordinaryRow(up, I, ru);
    return;
  }
  patternRow(gate, I, p, m, rg);
  if (p == Zero || p == AllNaN)
    patternRow(up, I, p, m, ru);
  else
    ordinaryRow(up, I, ru);
  if (p == Big)
    for (int64_t k = 0; k < I; ++k)
      gate[k] = static_cast<float>((k & 1) ? -(80 + k % 48) : 80 + k % 48);
  if (p == NegInf)
    up[(m * 7 + 3) % I] = 0.0f;
  if (p == Ordinary) {
    int64_t first = (m / NumPatterns) * I;
    for (int64_t k = 0; k < I; ++k) {
      uint32_t bits = static_cast<uint32_t>((first + k) & 0xffff) << 16;
      std::memcpy(&gate[k], &bits, sizeof bits);
    }
  }
}

const ref::Matrix &Suite::guOf(Context &ctx, DType t) {
  const int64_t M = ctx.M, I = ctx.H;
  if (ctx.guF.empty() && M > 0) {
    const uint64_t seed = opts.seed ^ (ctx.edge ? 0x5eedull : 0);
    ctx.guF.assign(static_cast<size_t>(M * 2 * I), 0.0f);
    ref::parallelFor(M, [&](int64_t b, int64_t e) {
      for (int64_t m = b; m < e; ++m) {
        Rng rg = rowRng(seed, 10, I, M, m), ru = rowRng(seed, 11, I, M, m);
        int p = static_cast<int>(m % NumPatterns);
        if (opts.noNanRows && (p == OneNaN || p == AllNaN))
          p = Ordinary;
        gateUpRow(ctx.guF.data() + m * 2 * I, I, ctx.edge, p, m, rg, ru);
      }
    });
  }
  return convertOnce(ctx.gu, t, M, 2 * I, ctx.guF);
}

const Context::NormRef &Suite::normRef(Context &ctx, const KernelSpec &spec) {
  const DType t = spec.dtype;
  auto it = ctx.normRef.find(normKey(spec));
  if (it == ctx.normRef.end()) {
    Context::NormRef r;
    r.y = ref::rmsNorm(xOf(ctx, t), wOf(ctx, t), spec.epsilon, &r.r,
                       spec.roundBeforeWeight);
    it = ctx.normRef.emplace(normKey(spec), std::move(r)).first;
  }
  return it->second;
}

const Context::AddRef &Suite::addRef(Context &ctx, const KernelSpec &spec) {
  const DType t = spec.dtype;
  auto it = ctx.addRef.find(normKey(spec));
  if (it == ctx.addRef.end()) {
    Context::AddRef r;
    ref::fusedAddRmsNorm(xOf(ctx, t), resOf(ctx, t), wOf(ctx, t), spec.epsilon,
                         r.y, r.resOut, &r.r, spec.roundBeforeWeight);
    it = ctx.addRef.emplace(normKey(spec), std::move(r)).first;
  }
  return it->second;
}

void *Suite::deviceInput(Context &ctx, Role role, DType t) {
  auto key = std::make_pair(static_cast<int>(role), static_cast<int>(t));
  auto it = ctx.device.find(key);
  if (it != ctx.device.end())
    return it->second.first;
  const void *host = &ctx.staticScale;
  size_t bytes = 4;
  const ref::Matrix *matrix = nullptr;
  switch (role) {
  case Role::X:
    matrix = &xOf(ctx, t);
    break;
  case Role::W:
    matrix = &wOf(ctx, t);
    break;
  case Role::Res:
    matrix = &resOf(ctx, t);
    break;
  case Role::Y:
    matrix = &yqOf(ctx, t);
    break;
  case Role::GU:
    matrix = &guOf(ctx, t);
    break;
  case Role::Static:
    break;
  default:
    return nullptr;
  }
  if (matrix) {
    host = matrix->data.data();
    bytes = matrix->bytes();
  }
  void *ptr = pool.get(bytes);
  if (!ptr || !device.upload(ptr, host, bytes))
    return nullptr;
  ctx.device[key] = {ptr, bytes};
  return ptr;
}

void Suite::releaseContext(Context &ctx) {
  for (auto &entry : ctx.device)
    pool.put(entry.second.first, entry.second.second);
  ctx.device.clear();
  pool.clear(); // Sizes change with M: give the memory back.
}

std::vector<void *> Suite::inputsFor(Context &ctx, const KernelSpec &spec) {
  std::vector<void *> inputs;
  for (const ArgSpec &a : argumentLayout(spec, ctx.M)) {
    if (a.output)
      continue;
    inputs.push_back(deviceInput(ctx, a.role, spec.dtype));
  }
  return inputs;
}

//===----------------------------------------------------------------------===//
// Running
//===----------------------------------------------------------------------===//

void Suite::noteDeviceError(const std::string &error, const KernelSpec &spec) {
  static const char *sticky[] = {
      "ILLEGAL_ADDRESS",     "LAUNCH_FAILED",  "MISALIGNED_ADDRESS",
      "ILLEGAL_INSTRUCTION", "HARDWARE_STACK", "ASSERT",
      "INVALID_PC",          "LAUNCH_TIMEOUT", "ECC_UNCORRECTABLE"};
  for (const char *s : sticky)
    if (error.find(s) != std::string::npos && !deviceLost) {
      deviceLost = true;
      deviceLostReason = spec.name + ": " + error;
    }
}

RunOutput Suite::runOnce(const KernelLibrary &lib, const KernelSpec &spec,
                         int64_t M, const std::vector<void *> &inputs,
                         uint8_t poison) {
  RunOutput out;
  void *fn = lib.lookup(spec.name);
  if (!fn) {
    out.error = "_mlir_ciface_" + spec.name + " missing from " + lib.path();
    return out;
  }
  std::vector<ArgSpec> layout = argumentLayout(spec, M);
  if (static_cast<int>(layout.size()) != spec.numArgs) {
    out.error = "manifest says " + std::to_string(spec.numArgs) +
                " arguments, the driver builds " +
                std::to_string(layout.size());
    return out;
  }
  std::vector<vllmrt::StridedMemRef<2>> d2(layout.size());
  std::vector<vllmrt::StridedMemRef<1>> d1(layout.size());
  std::vector<void *> args, outPtrs;
  size_t nextInput = 0;
  for (size_t i = 0; i < layout.size(); ++i) {
    const ArgSpec &a = layout[i];
    void *ptr;
    if (!a.output) {
      ptr = nextInput < inputs.size() ? inputs[nextInput++] : nullptr;
      if (!ptr) {
        out.error = std::string("could not stage input ") + roleName(a.role);
        break;
      }
    } else {
      ptr = pool.get(a.bytes() + kGuardBytes);
      if (!ptr || !device.fill(ptr, poison, a.bytes()) ||
          !device.fill(static_cast<uint8_t *>(ptr) + a.bytes(), kGuardByte,
                       kGuardBytes)) {
        out.error = "could not allocate an output: " + device.takeError();
        break;
      }
      outPtrs.push_back(ptr);
      out.outSpecs.push_back(a);
    }
    if (a.rank == 1) {
      d1[i] = vllmrt::contiguousMemRef<1>(ptr, {a.dims[0]});
      args.push_back(&d1[i]);
    } else {
      d2[i] = vllmrt::contiguousMemRef<2>(ptr, {a.dims[0], a.dims[1]});
      args.push_back(&d2[i]);
    }
  }
  if (out.error.empty()) {
    device.takeError(); // Start clean.
    if (!KernelLibrary::call(fn, device.stream(), args))
      out.error = "unsupported argument count";
    bool synced = device.synchronize();
    std::string error = device.takeError();
    if (!error.empty() || !synced) {
      out.error = "runtime error: " + (error.empty() ? "sync failed" : error);
      noteDeviceError(error, spec);
    }
  }
  if (out.error.empty()) {
    for (size_t i = 0; i < outPtrs.size(); ++i) {
      const ArgSpec &a = out.outSpecs[i];
      std::vector<uint8_t> host(a.bytes() + kGuardBytes);
      if (!device.download(host.data(), outPtrs[i], host.size())) {
        out.error = "download failed: " + device.takeError();
        break;
      }
      for (size_t g = a.bytes(); g < host.size(); ++g)
        if (host[g] != kGuardByte) {
          out.error = std::string("wrote past the end of output ") +
                      roleName(a.role) + " (byte " +
                      std::to_string(g - a.bytes()) + " after it)";
          break;
        }
      host.resize(a.bytes());
      out.outs.push_back(std::move(host));
    }
  }
  for (size_t i = 0; i < outPtrs.size(); ++i)
    pool.put(outPtrs[i], out.outSpecs[i].bytes() + kGuardBytes);
  out.ok = out.error.empty();
  return out;
}

RunOutput Suite::runTwice(const KernelLibrary &lib, const KernelSpec &spec,
                          int64_t M, const std::vector<void *> &inputs) {
  RunOutput first = runOnce(lib, spec, M, inputs, 0xff);
  if (!first.ok || deviceLost)
    return first;
  RunOutput second = runOnce(lib, spec, M, inputs, 0xab);
  if (!second.ok)
    return second;
  for (size_t i = 0; i < first.outs.size(); ++i) {
    const std::vector<uint8_t> &a = first.outs[i], &b = second.outs[i];
    if (a == b)
      continue;
    size_t at = 0;
    while (at < a.size() && a[at] == b[at])
      ++at;
    size_t count = 0;
    for (size_t j = 0; j < a.size(); ++j)
      count += a[j] != b[j];
    first.ok = false;
    first.error = std::string("output ") + roleName(first.outSpecs[i].role) +
                  ": " + std::to_string(count) +
                  " bytes differ between a run on 0xff-poisoned and one on "
                  "0xab-poisoned outputs, first at byte " +
                  std::to_string(at) + " (" + hex(a[at], 2) + " vs " +
                  hex(b[at], 2) +
                  "): elements not written by the kernel (or "
                  "nondeterministic results)";
    break;
  }
  return first;
}

ref::Matrix Suite::asMatrix(DType t, int64_t M, int64_t H,
                            const std::vector<uint8_t> &bytes) {
  ref::Matrix m(t, M, H);
  std::memcpy(m.data.data(), bytes.data(), std::min(bytes.size(), m.bytes()));
  return m;
}

//===----------------------------------------------------------------------===//
// Checks
//===----------------------------------------------------------------------===//

void Suite::checkQ(Case &c, const char *check, const std::vector<uint8_t> &got,
                   const std::vector<uint8_t> &want, int64_t H) {
  if (got == want)
    return;
  // E(NaN) may carry either sign (the SPEC only says NaN stays NaN).
  size_t count = 0;
  std::ostringstream detail;
  for (size_t i = 0; i < got.size() && i < want.size(); ++i) {
    if (got[i] == want[i] ||
        (ref::isE4M3NaN(got[i]) && ref::isE4M3NaN(want[i])))
      continue;
    if (count < static_cast<size_t>(opts.maxReport))
      detail << " (" << i / H << "," << i % H << "): got " << hex(got[i], 2)
             << " want " << hex(want[i], 2) << ";";
    ++count;
  }
  if (count)
    c.fail(check, std::to_string(count) + " q bytes differ:" + detail.str());
}

void Suite::checkScales(Case &c, const char *check,
                        const std::vector<uint8_t> &got,
                        const std::vector<uint8_t> &want,
                        const ref::QuantScheme &scheme, int64_t M, int64_t H) {
  if (got.size() != want.size()) {
    c.fail(check, "scale buffer of " + std::to_string(got.size()) +
                      " bytes, expected " + std::to_string(want.size()));
    return;
  }
  if (got == want)
    return;
  const bool packed = scheme.kind == ref::QuantKind::PerGroup &&
                      scheme.encoding == ref::ScaleEncoding::UE8M0Packed;
  const int64_t G =
      scheme.kind == ref::QuantKind::PerGroup ? H / scheme.groupSize : 1;
  // Where a scale element (or packed byte) lives, in words.
  auto where = [&](size_t index) {
    std::ostringstream os;
    if (scheme.kind != ref::QuantKind::PerGroup) {
      os << (scheme.kind == ref::QuantKind::PerToken ? "row " : "element ")
         << index;
      return os.str();
    }
    int64_t m, j;
    if (packed) {
      int64_t word = static_cast<int64_t>(index / 4), mpad = ref::padRows(M, 4);
      m = word % mpad;
      j = (word / mpad) * 4 + static_cast<int64_t>(index % 4);
    } else if (scheme.layout == ref::ScaleLayout::MNMajor) {
      int64_t mpad = ref::padRows(M, scheme.align);
      m = static_cast<int64_t>(index) % mpad;
      j = static_cast<int64_t>(index) / mpad;
    } else {
      m = static_cast<int64_t>(index) / G;
      j = static_cast<int64_t>(index) % G;
    }
    os << "(m " << m << ", group " << j << ")";
    if (m >= M || j >= G)
      os << " [padding]";
    return os.str();
  };
  size_t count = 0;
  std::ostringstream detail;
  if (packed) {
    for (size_t i = 0; i < got.size(); ++i) {
      if (got[i] == want[i])
        continue;
      if (count < static_cast<size_t>(opts.maxReport))
        detail << " " << where(i) << ": got e=" << int(got[i])
               << " want e=" << int(want[i]) << ";";
      ++count;
    }
  } else {
    for (size_t i = 0; i + 4 <= got.size(); i += 4) {
      if (std::memcmp(&got[i], &want[i], 4) == 0)
        continue;
      float g, w;
      std::memcpy(&g, &got[i], 4);
      std::memcpy(&w, &want[i], 4);
      if (count < static_cast<size_t>(opts.maxReport))
        detail << " " << where(i / 4) << ": got " << fmt(g) << " ("
               << hex(ref::floatBits(g), 8) << ") want " << fmt(w) << " ("
               << hex(ref::floatBits(w), 8) << ");";
      ++count;
    }
  }
  c.fail(check, std::to_string(count) + " scales differ:" + detail.str());
}

void Suite::checkSame(Case &c, const std::string &check,
                      const std::vector<uint8_t> &a,
                      const std::vector<uint8_t> &b, size_t elementBytes) {
  if (a == b)
    return;
  if (a.size() != b.size()) {
    c.fail(check, "sizes differ");
    return;
  }
  size_t count = 0, first = 0;
  for (size_t i = 0; i < a.size(); i += elementBytes)
    if (std::memcmp(&a[i], &b[i], elementBytes) != 0) {
      if (!count)
        first = i;
      ++count;
    }
  uint64_t va = 0, vb = 0;
  std::memcpy(&va, &a[first], elementBytes);
  std::memcpy(&vb, &b[first], elementBytes);
  c.fail(check, std::to_string(count) + " elements differ, first at element " +
                    std::to_string(first / elementBytes) + ": " +
                    hex(va, static_cast<int>(2 * elementBytes)) + " vs " +
                    hex(vb, static_cast<int>(2 * elementBytes)));
}

void Suite::checkExact(Case &c, const char *check, const ref::Matrix &got,
                       const ref::Matrix &want) {
  if (got.data == want.data)
    return;
  size_t count = 0;
  std::ostringstream detail;
  for (int64_t m = 0; m < got.rows; ++m)
    for (int64_t k = 0; k < got.cols; ++k) {
      uint32_t g = got.bits(m, k), w = want.bits(m, k);
      bool nan = std::isnan(got.get(m, k)) && std::isnan(want.get(m, k));
      if (g == w || nan)
        continue;
      if (count < static_cast<size_t>(opts.maxReport))
        detail << " (" << m << "," << k << "): got " << fmt(got.get(m, k))
               << " want " << fmt(want.get(m, k)) << ";";
      ++count;
    }
  if (count)
    c.fail(check, std::to_string(count) + " elements differ:" + detail.str());
}

void Suite::checkNorm(Case &c, const char *check, const ref::Matrix &x,
                      const ref::Matrix &w, const std::vector<float> &r,
                      const ref::Matrix &want, const ref::Matrix &got,
                      bool roundBeforeWeight) {
  const DType t = got.type;
  // The f32 sum's order changes r by a few f32 ulps; narrower T absorbs
  // that in its 1 ulp, f32 output does not, so for T = f32 the reference may
  // use any r within kWindow ulps of its own (docs/gpu-testing.md). With
  // round_before_weight the first rounding to T can turn such an r into one
  // ulp of T before the weight, so narrower T gets the window too.
  const int kWindow = t == DType::F32 || roundBeforeWeight ? 8 : 0;
  std::mutex mutex;
  std::atomic<int64_t> bad{0}, oneUlp{0};
  std::vector<std::string> reports;
  ref::parallelFor(got.rows, [&](int64_t b, int64_t e) {
    ref::Matrix row(t, 1, got.cols);
    for (int64_t m = b; m < e; ++m) {
      for (int64_t k = 0; k < got.cols; ++k) {
        uint64_t d = ref::ulpDistance(t, got.bits(m, k), want.bits(m, k));
        if (d == 0)
          continue;
        if (d == 1) {
          ++oneUlp;
          continue;
        }
        bool ok = false;
        float lo = r[static_cast<size_t>(m)], hi = lo;
        for (int s = 0; s < kWindow && !ok; ++s) {
          lo = std::nextafter(lo, -INFINITY);
          hi = std::nextafter(hi, INFINITY);
          for (float rr : {lo, hi}) {
            float normalized = x.get(m, k) * rr;
            if (roundBeforeWeight)
              normalized = ref::roundTo(t, normalized);
            float v = normalized * w.get(0, k);
            row.set(0, 0, v);
            if (ref::ulpDistance(t, got.bits(m, k), row.bits(0, 0)) <= 1)
              ok = true;
          }
        }
        if (ok)
          continue;
        if (bad++ < opts.maxReport) {
          std::lock_guard<std::mutex> lock(mutex);
          reports.push_back(" (" + std::to_string(m) + "," + std::to_string(k) +
                            "): got " + fmt(got.get(m, k)) + " want " +
                            fmt(want.get(m, k)) + " (x " + fmt(x.get(m, k)) +
                            ", r " + fmt(r[static_cast<size_t>(m)]) + ")");
        }
      }
    }
  });
  if (bad) {
    std::string detail;
    for (const std::string &s : reports)
      detail += s + ";";
    c.fail(check,
           std::to_string(bad.load()) + " elements beyond 1 ulp:" + detail);
  } else if (oneUlp) {
    c.notes.push_back(std::string(check) + ": " +
                      std::to_string(oneUlp.load()) + " elements at 1 ulp");
  }
}

//===----------------------------------------------------------------------===//
// Tests of the norm / quantize family
//===----------------------------------------------------------------------===//

void Suite::finish(Case &c) {
  if (c.ok()) {
    ++totals.passed;
    if (opts.verbose) {
      std::printf("PASS %s\n", c.title.c_str());
      for (const std::string &n : c.notes)
        std::printf("     note: %s\n", n.c_str());
    }
  } else {
    ++totals.failed;
    std::printf("FAIL %s\n", c.title.c_str());
    for (const std::string &f : c.failures)
      std::printf("     %s\n", f.c_str());
  }
  totals.skippedChecks += c.skippedChecks;
  std::fflush(stdout);
}

void Suite::testFunction(Context &ctx, const KernelSpec &spec) {
  Case c;
  c.title = spec.name + " M=" + std::to_string(ctx.M) +
            (ctx.edge ? " edge" : " random");
  if (deviceLost) {
    c.fail("not run", "the device failed earlier (" + deviceLostReason + ")");
    finish(c);
    return;
  }
  switch (spec.kind) {
  case Kind::Norm:
  case Kind::AddNorm:
    testNormKinds(ctx, spec, c);
    break;
  case Kind::Quant:
    testQuant(ctx, spec, c);
    break;
  case Kind::Fused:
  case Kind::FusedRes:
    testFused(ctx, spec, c);
    break;
  case Kind::Seq:
  case Kind::SeqRes:
    testSeq(ctx, spec, c);
    break;
  case Kind::Silu:
    testSilu(ctx, spec, c);
    break;
  case Kind::SiluFused:
    testSiluFused(ctx, spec, c);
    break;
  case Kind::SiluSeq:
    testSiluSeq(ctx, spec, c);
    break;
  default:
    break;
  }
  finish(c);
}

/// The library that holds the unfused sequences (the fused one in
/// --single-lib mode).
#define PRIMARY (unfusedLib ? *unfusedLib : *fusedLib)

bool Suite::checkBuildsAgree(Case &c, const char *check, const KernelSpec &spec,
                             int64_t M, const std::vector<void *> &inputs,
                             const RunOutput &run, RunOutput &other) {
  if (!unfusedLib) {
    ++c.skippedChecks;
    return false;
  }
  other = runTwice(*fusedLib, spec, M, inputs);
  if (!other.ok) {
    c.fail("run (fused build)", other.error);
    return false;
  }
  for (size_t i = 0; i < run.outs.size(); ++i) {
    Role role = run.outSpecs[i].role;
    size_t elementBytes = role == Role::Q        ? 1
                          : role == Role::Scales ? 4
                                                 : ref::dtypeSize(spec.dtype);
    checkSame(c, std::string(check) + " (" + roleName(role) + ")",
              other.outs[i], run.outs[i], elementBytes);
  }
  return true;
}

void Suite::testNormKinds(Context &ctx, const KernelSpec &spec, Case &c) {
  const DType t = spec.dtype;
  const bool add = spec.kind == Kind::AddNorm;
  std::vector<void *> inputs = inputsFor(ctx, spec);
  RunOutput run = runTwice(PRIMARY, spec, ctx.M, inputs);
  if (!run.ok) {
    c.fail("run", run.error);
    return;
  }
  ref::Matrix y = asMatrix(t, ctx.M, ctx.H, run.outs[0]);
  if (add) {
    const Context::AddRef &r = addRef(ctx, spec);
    ref::Matrix resOut = asMatrix(t, ctx.M, ctx.H, run.outs[1]);
    checkExact(c, "residual_out == RN_T(x + residual)", resOut, r.resOut);
    checkNorm(c, "y within 1 ulp", r.resOut, wOf(ctx, t), r.r, r.y, y,
              spec.roundBeforeWeight);
    ctx.gpuAddY[normKey(spec)] = y;
    ctx.gpuAddRes[normKey(spec)] = std::move(resOut);
  } else {
    const Context::NormRef &r = normRef(ctx, spec);
    checkNorm(c, "y within 1 ulp", xOf(ctx, t), wOf(ctx, t), r.r, r.y, y,
              spec.roundBeforeWeight);
    ctx.gpuNormY[normKey(spec)] = y;
  }
  RunOutput other;
  checkBuildsAgree(c, "fused build == unfused build", spec, ctx.M, inputs, run,
                   other);
}

void Suite::testQuant(Context &ctx, const KernelSpec &spec, Case &c) {
  std::vector<void *> inputs = inputsFor(ctx, spec);
  RunOutput run = runTwice(PRIMARY, spec, ctx.M, inputs);
  if (!run.ok) {
    c.fail("run", run.error);
    return;
  }
  ref::QuantOutput want =
      ref::quantize(yqOf(ctx, spec.dtype), spec.scheme, ctx.staticScale);
  checkQ(c, "q bit-exact", run.outs[0], want.q, ctx.H);
  checkScales(c, "scales bit-exact", run.outs[1], want.scales, spec.scheme,
              ctx.M, ctx.H);
  RunOutput other;
  checkBuildsAgree(c, "fused build == unfused build", spec, ctx.M, inputs, run,
                   other);
}

void Suite::testFused(Context &ctx, const KernelSpec &spec, Case &c) {
  const bool res = spec.kind == Kind::FusedRes;
  std::vector<void *> inputs = inputsFor(ctx, spec);
  RunOutput run = runTwice(*fusedLib, spec, ctx.M, inputs);
  if (!run.ok) {
    c.fail("run", run.error);
    return;
  }
  const DType t = spec.dtype;
  const std::vector<uint8_t> &q = run.outs[0], &scales = run.outs[1];
  ref::Matrix y = asMatrix(t, ctx.M, ctx.H, run.outs[res ? 3 : 2]);
  // The reference quantizes the kernel's own normalized output: exact,
  // whatever order the kernel summed in.
  ref::QuantOutput want = ref::quantize(y, spec.scheme, ctx.staticScale);
  checkQ(c, "q == quantize(normalized) bit-exact", q, want.q, ctx.H);
  checkScales(c, "scales == quantize(normalized) bit-exact", scales,
              want.scales, spec.scheme, ctx.M, ctx.H);
  Context::QuantBytes stored{q, scales, {}};
  if (res) {
    const Context::AddRef &r = addRef(ctx, spec);
    ref::Matrix resOut = asMatrix(t, ctx.M, ctx.H, run.outs[2]);
    checkExact(c, "residual_out == RN_T(x + residual)", resOut, r.resOut);
    checkNorm(c, "normalized within 1 ulp", r.resOut, wOf(ctx, t), r.r, r.y, y,
              spec.roundBeforeWeight);
    auto gy = ctx.gpuAddY.find(normKey(spec));
    if (gy == ctx.gpuAddY.end())
      c.fail("C9 normalized == fused_add_rms_norm kernel",
             "no fused_add_rms_norm result to compare with");
    else
      checkSame(c, "C9 normalized == fused_add_rms_norm kernel", y.data,
                gy->second.data, ref::dtypeSize(t));
    stored.resOut = run.outs[2];
    ctx.fusedResOut[quantKey(spec)] = std::move(stored);
  } else {
    const Context::NormRef &r = normRef(ctx, spec);
    checkNorm(c, "normalized within 1 ulp", xOf(ctx, t), wOf(ctx, t), r.r, r.y,
              y, spec.roundBeforeWeight);
    auto gy = ctx.gpuNormY.find(normKey(spec));
    if (gy == ctx.gpuNormY.end())
      c.fail("C9 normalized == rms_norm kernel",
             "no rms_norm result to compare with");
    else
      checkSame(c, "C9 normalized == rms_norm kernel", y.data, gy->second.data,
                ref::dtypeSize(t));
    ctx.fusedOut[quantKey(spec)] = std::move(stored);
  }
}

void Suite::testSeq(Context &ctx, const KernelSpec &spec, Case &c) {
  const bool res = spec.kind == Kind::SeqRes;
  const DType t = spec.dtype;
  std::vector<void *> inputs = inputsFor(ctx, spec);
  RunOutput run = runTwice(PRIMARY, spec, ctx.M, inputs);
  if (!run.ok) {
    c.fail(unfusedLib ? "run (unfused build)" : "run", run.error);
    return;
  }
  // The unfused sequence quantizes what its rms_norm kernel produced: the
  // same kernel as the standalone rms_norm function.
  std::map<Context::NormKey, ref::Matrix> &normY =
      res ? ctx.gpuAddY : ctx.gpuNormY;
  auto gy = normY.find(normKey(spec));
  if (gy == normY.end()) {
    c.fail("q/scales == quantize(norm kernel's y)",
           "no norm kernel result to compare with");
  } else {
    ref::QuantOutput want =
        ref::quantize(gy->second, spec.scheme, ctx.staticScale);
    checkQ(c, "q == quantize(norm kernel's y) bit-exact", run.outs[0], want.q,
           ctx.H);
    checkScales(c, "scales == quantize(norm kernel's y) bit-exact", run.outs[1],
                want.scales, spec.scheme, ctx.M, ctx.H);
  }
  if (res) {
    const Context::AddRef &r = addRef(ctx, spec);
    checkExact(c, "residual_out == RN_T(x + residual)",
               asMatrix(t, ctx.M, ctx.H, run.outs[2]), r.resOut);
  }
  // The fused op with and without its normalized result agree.
  std::map<std::string, Context::QuantBytes> &fused =
      res ? ctx.fusedResOut : ctx.fusedOut;
  auto fo = fused.find(quantKey(spec));
  RunOutput other;
  if (!checkBuildsAgree(c, "C9 fused build == unfused build", spec, ctx.M,
                        inputs, run, other))
    return;
  if (fo == fused.end()) {
    c.fail("fused build == rms_norm_quant with normalized result",
           "no fused_/fusedres_ result to compare with");
  } else {
    checkSame(c, "q == rms_norm_quant with normalized result", other.outs[0],
              fo->second.q, 1);
    checkSame(c, "scales == rms_norm_quant with normalized result",
              other.outs[1], fo->second.scales, 4);
    if (res)
      checkSame(c, "residual_out == rms_norm_quant with normalized result",
                other.outs[2], fo->second.resOut, ref::dtypeSize(t));
  }
}

//===----------------------------------------------------------------------===//
// silu_and_mul -> quantize (SPEC 3.7, 3.8)
//===----------------------------------------------------------------------===//

void Suite::testSilu(Context &ctx, const KernelSpec &spec, Case &c) {
  const DType t = spec.dtype;
  std::vector<void *> inputs = inputsFor(ctx, spec);
  RunOutput run = runTwice(PRIMARY, spec, ctx.M, inputs);
  if (!run.ok) {
    c.fail("run", run.error);
    return;
  }
  // The exp is the specified algorithm of SPEC 2, so the product is exact
  // (0 ulp; NaN matches any NaN).
  ref::Matrix y = asMatrix(t, ctx.M, ctx.H, run.outs[0]);
  checkExact(c, "y == silu_and_mul reference bit-exact", y,
             ref::siluAndMul(guOf(ctx, t)));
  ctx.gpuSiluY[t] = y;
  RunOutput other;
  checkBuildsAgree(c, "fused build == unfused build", spec, ctx.M, inputs, run,
                   other);
}

void Suite::testSiluFused(Context &ctx, const KernelSpec &spec, Case &c) {
  const DType t = spec.dtype;
  std::vector<void *> inputs = inputsFor(ctx, spec);
  RunOutput run = runTwice(*fusedLib, spec, ctx.M, inputs);
  if (!run.ok) {
    c.fail("run", run.error);
    return;
  }
  const std::vector<uint8_t> &q = run.outs[0], &scales = run.outs[1];
  ref::Matrix y = asMatrix(t, ctx.M, ctx.H, run.outs[2]);
  ref::Matrix refY;
  ref::QuantOutput want =
      ref::siluAndMulQuant(guOf(ctx, t), ctx.staticScale, spec.scheme, &refY);
  checkExact(c, "product == silu_and_mul reference bit-exact", y, refY);
  checkQ(c, "q == reference bit-exact", q, want.q, ctx.H);
  checkScales(c, "scales == reference bit-exact", scales, want.scales,
              spec.scheme, ctx.M, ctx.H);
  // Also exact given the kernel's own product (NaN payloads aside).
  ref::QuantOutput own = ref::quantize(y, spec.scheme, ctx.staticScale);
  checkQ(c, "q == quantize(product) bit-exact", q, own.q, ctx.H);
  checkScales(c, "scales == quantize(product) bit-exact", scales, own.scales,
              spec.scheme, ctx.M, ctx.H);
  auto gy = ctx.gpuSiluY.find(t);
  if (gy == ctx.gpuSiluY.end())
    c.fail("C9 product == silu_and_mul kernel",
           "no silu_and_mul result to compare with");
  else
    checkSame(c, "C9 product == silu_and_mul kernel", y.data, gy->second.data,
              ref::dtypeSize(t));
  ctx.siluFusedOut[quantKey(spec)] = Context::QuantBytes{q, scales, {}};
}

void Suite::testSiluSeq(Context &ctx, const KernelSpec &spec, Case &c) {
  const DType t = spec.dtype;
  std::vector<void *> inputs = inputsFor(ctx, spec);
  RunOutput run = runTwice(PRIMARY, spec, ctx.M, inputs);
  if (!run.ok) {
    c.fail(unfusedLib ? "run (unfused build)" : "run", run.error);
    return;
  }
  // The unfused sequence quantizes what its silu_and_mul kernel produced.
  auto gy = ctx.gpuSiluY.find(t);
  if (gy == ctx.gpuSiluY.end()) {
    c.fail("q/scales == quantize(silu_and_mul kernel's y)",
           "no silu_and_mul result to compare with");
  } else {
    ref::QuantOutput want =
        ref::quantize(gy->second, spec.scheme, ctx.staticScale);
    checkQ(c, "q == quantize(silu_and_mul kernel's y) bit-exact", run.outs[0],
           want.q, ctx.H);
    checkScales(c, "scales == quantize(silu_and_mul kernel's y) bit-exact",
                run.outs[1], want.scales, spec.scheme, ctx.M, ctx.H);
  }
  RunOutput other;
  if (!checkBuildsAgree(c, "C9 fused build == unfused build", spec, ctx.M,
                        inputs, run, other))
    return;
  auto fo = ctx.siluFusedOut.find(quantKey(spec));
  if (fo == ctx.siluFusedOut.end()) {
    c.fail("fused build == elementwise_quant with product",
           "no silufused_ result to compare with");
  } else {
    checkSame(c, "q == elementwise_quant with product", other.outs[0],
              fo->second.q, 1);
    checkSame(c, "scales == elementwise_quant with product", other.outs[1],
              fo->second.scales, 4);
  }
}

//===----------------------------------------------------------------------===//
// GEMM
//===----------------------------------------------------------------------===//

struct GemmWeights {
  ref::BlockQuantWeights q;
  std::vector<float> decoded;
  std::vector<double> sb;
};

void Suite::testGemm(const KernelSpec &spec, int64_t M) {
  Case c;
  c.title = spec.name + " M=" + std::to_string(M);
  if (deviceLost) {
    c.fail("not run", "the device failed earlier (" + deviceLostReason + ")");
    finish(c);
    return;
  }
  const int64_t N = spec.N, K = spec.H, KB = K / 128;
  // Weights: N(0, 1) per row scaled by 2^[-2, 2), quantized per 128x128
  // block like DeepSeek-V3's checkpoints.
  static std::map<std::pair<int64_t, int64_t>, GemmWeights> cache;
  GemmWeights &gw = cache[{N, K}];
  if (gw.q.N == 0) {
    std::vector<float> w(static_cast<size_t>(N * K));
    ref::parallelFor(N, [&](int64_t b, int64_t e) {
      for (int64_t n = b; n < e; ++n) {
        Rng rng = rowRng(opts.seed, 7, K, N, n);
        double s = std::ldexp(1.0, static_cast<int>(rng.uniform() * 4.0) - 2);
        for (int64_t k = 0; k < K; ++k)
          w[static_cast<size_t>(n * K + k)] =
              static_cast<float>(rng.normal() * s * 0.02);
      }
    });
    gw.q = ref::quantizeWeightsBlock128(w, N, K, false);
    gw.decoded.resize(gw.q.q.size());
    for (size_t i = 0; i < gw.q.q.size(); ++i)
      gw.decoded[i] = ref::decodeE4M3(gw.q.q[i]);
    gw.sb.resize(static_cast<size_t>(N * KB));
    for (int64_t n = 0; n < N; ++n)
      for (int64_t kb = 0; kb < KB; ++kb)
        gw.sb[static_cast<size_t>(n * KB + kb)] = gw.q.scale(n, kb);
  }
  // Activations: N(0, 1) rows scaled by 2^[-3, 3], without the outliers
  // of the other tests, like DeepGEMM's own accuracy tests.
  std::vector<float> xF(static_cast<size_t>(M * K));
  ref::parallelFor(M, [&](int64_t b, int64_t e) {
    for (int64_t m = b; m < e; ++m) {
      Rng rng = rowRng(opts.seed, 8, K, M, m);
      double scale = std::ldexp(1.0, static_cast<int>(rng.uniform() * 7.0) - 3);
      for (int64_t k = 0; k < K; ++k)
        xF[static_cast<size_t>(m * K + k)] =
            static_cast<float>(rng.normal() * scale);
    }
  });
  ref::Matrix x = toMatrix(DType::BF16, M, K, xF);
  std::vector<float> wF(static_cast<size_t>(K));
  Rng rw = rowRng(opts.seed, 9, K, 0, 0);
  for (float &v : wF)
    v = static_cast<float>(0.5 + rw.uniform());
  ref::Matrix w = toMatrix(DType::BF16, 1, K, wF);
  ref::QuantOutput a;
  if (spec.kind == Kind::Matmul)
    a = ref::quantize(x, spec.scheme);

  // Stage the inputs in argument order.
  std::vector<std::pair<void *, size_t>> staged;
  std::vector<void *> inputs;
  auto stage = [&](const void *host, size_t bytes) {
    void *p = pool.get(bytes);
    if (p && !device.upload(p, host, bytes))
      p = nullptr;
    staged.push_back({p, bytes});
    inputs.push_back(p);
  };
  if (spec.kind == Kind::Matmul) {
    stage(a.q.data(), a.q.size());
    stage(gw.q.q.data(), gw.q.q.size());
    stage(a.scales.data(), a.scales.size());
  } else {
    stage(x.data.data(), x.bytes());
    stage(w.data.data(), w.bytes());
    stage(gw.q.q.data(), gw.q.q.size());
  }
  stage(gw.q.scales.data(), gw.q.scales.size() * 4);

  RunOutput run = runTwice(*fusedLib, spec, M, inputs);
  if (!run.ok) {
    c.fail("run", run.error);
  } else {
    // Rows checked against the f64 reference: all up to gemmSampleRows,
    // else a seeded sample including the first and the last.
    std::vector<int64_t> rows;
    if (M <= opts.gemmSampleRows) {
      for (int64_t m = 0; m < M; ++m)
        rows.push_back(m);
    } else {
      std::set<int64_t> pick = {0, M - 1};
      Rng rng = rowRng(opts.seed, 10, K, M, 0);
      while (static_cast<int64_t>(pick.size()) < opts.gemmSampleRows)
        pick.insert(static_cast<int64_t>(rng.next() % M));
      rows.assign(pick.begin(), pick.end());
    }
    const int64_t R = static_cast<int64_t>(rows.size());
    std::vector<double> a64(static_cast<size_t>(R * K));
    std::vector<double> sa;
    if (spec.kind == Kind::Matmul) {
      sa.resize(static_cast<size_t>(R * KB));
      for (int64_t i = 0; i < R; ++i) {
        int64_t m = rows[static_cast<size_t>(i)];
        for (int64_t k = 0; k < K; ++k)
          a64[static_cast<size_t>(i * K + k)] =
              ref::decodeE4M3(a.q[static_cast<size_t>(m * K + k)]);
        for (int64_t kb = 0; kb < KB; ++kb)
          sa[static_cast<size_t>(i * KB + kb)] =
              ref::scaleFor(a, spec.scheme, M, K, m, kb * 128);
      }
    } else {
      // The chain's reference is the unquantized computation in f64:
      // y = x / sqrt(mean(x^2) + eps) * w, then y @ dequant(B)^T.
      for (int64_t i = 0; i < R; ++i) {
        int64_t m = rows[static_cast<size_t>(i)];
        double sum = 0;
        for (int64_t k = 0; k < K; ++k)
          sum += static_cast<double>(x.get(m, k)) * x.get(m, k);
        double r = 1.0 / std::sqrt(sum / static_cast<double>(K) + spec.epsilon);
        for (int64_t k = 0; k < K; ++k)
          a64[static_cast<size_t>(i * K + k)] =
              static_cast<double>(x.get(m, k)) * r * w.get(0, k);
      }
    }
    std::vector<double> want = ref::blockScaledMatmulF64(
        a64, R, K, gw.decoded, N, spec.kind == Kind::Matmul ? &sa : nullptr,
        gw.sb);
    ref::Matrix d = asMatrix(DType::BF16, M, N, run.outs[0]);
    std::vector<double> got(static_cast<size_t>(R * N));
    for (int64_t i = 0; i < R; ++i)
      for (int64_t n = 0; n < N; ++n)
        got[static_cast<size_t>(i * N + n)] =
            d.get(rows[static_cast<size_t>(i)], n);
    double diff = ref::deepGemmDiff(got, want);
    c.notes.push_back("DeepGEMM diff " + fmt(diff) + " over " +
                      std::to_string(R) + " rows");
    if (!(diff < 1e-3))
      c.fail("DeepGEMM diff < 1e-3",
             "diff = " + fmt(diff) + " over " + std::to_string(R) + " rows");
    if (!unfusedLib) {
      ++c.skippedChecks;
    } else {
      RunOutput other = runTwice(*unfusedLib, spec, M, inputs);
      if (!other.ok)
        c.fail("run (unfused build)", other.error);
      else
        checkSame(c, "C9 fused build == unfused build (d)", run.outs[0],
                  other.outs[0], 2);
    }
  }
  for (auto &s : staged)
    pool.put(s.first, s.second);
  // GEMM results are few and informative: always print the metric.
  if (c.ok()) {
    ++totals.passed;
    std::printf("PASS %s: %s\n", c.title.c_str(), c.notes.back().c_str());
    std::fflush(stdout);
  } else {
    finish(c);
  }
}

//===----------------------------------------------------------------------===//
// Driver
//===----------------------------------------------------------------------===//

int Suite::run() {
  std::vector<const KernelSpec *> specs = selectedSpecs(false);
  std::vector<int64_t> hs;
  for (const KernelSpec *s : specs)
    if (std::find(hs.begin(), hs.end(), s->H) == hs.end())
      hs.push_back(s->H);
  std::sort(hs.begin(), hs.end());
  auto order = [](Kind k) {
    switch (k) {
    case Kind::Norm:
      return 0;
    case Kind::AddNorm:
      return 1;
    case Kind::Quant:
      return 2;
    case Kind::Fused:
      return 3;
    case Kind::FusedRes:
      return 4;
    case Kind::Seq:
      return 5;
    case Kind::SeqRes:
      return 6;
    case Kind::Silu:
      return 7;
    case Kind::SiluFused:
      return 8;
    case Kind::SiluSeq:
      return 9;
    default:
      return 10;
    }
  };
  std::string legend;
  for (int p = 0; p < NumPatterns; ++p)
    legend += (p ? ", " : "") + std::to_string(p) + " " + patternName(p);
  std::printf("edge inputs: row m has pattern m %% %d (%s)%s\n", NumPatterns,
              legend.c_str(),
              opts.noNanRows ? "; NaN rows replaced by ordinary ones" : "");
  for (int64_t H : hs) {
    std::vector<const KernelSpec *> forH;
    for (const KernelSpec *s : specs)
      if (s->H == H)
        forH.push_back(s);
    // By kind (norms first: later checks compare with their results), then
    // in manifest order (the specs point into one vector).
    std::sort(forH.begin(), forH.end(),
              [&](const KernelSpec *a, const KernelSpec *b) {
                int oa = order(a->kind), ob = order(b->kind);
                return oa != ob ? oa < ob : a < b;
              });
    Totals before = totals;
    for (int pass = 0; pass < 2; ++pass) {
      bool edge = pass == 1;
      for (int64_t M : edge ? opts.edgeMs : opts.ms) {
        auto start = std::chrono::steady_clock::now();
        Context ctx;
        buildContext(ctx, H, M, edge);
        for (const KernelSpec *s : forH)
          testFunction(ctx, *s);
        releaseContext(ctx);
        double secs = std::chrono::duration<double>(
                          std::chrono::steady_clock::now() - start)
                          .count();
        std::printf("-- H=%lld M=%lld %s: %zu functions, %.1f s\n",
                    static_cast<long long>(H), static_cast<long long>(M),
                    edge ? "edge" : "random", forH.size(), secs);
        std::fflush(stdout);
      }
    }
    std::printf("== H=%lld: %d passed, %d failed\n", static_cast<long long>(H),
                totals.passed - before.passed, totals.failed - before.failed);
  }
  for (const KernelSpec *s : selectedSpecs(true)) {
    for (int64_t M : opts.mmMs)
      testGemm(*s, M);
    pool.clear();
  }
  if (totals.skippedChecks)
    std::printf("note: %d fused-vs-unfused checks skipped (--single-lib)\n",
                totals.skippedChecks);
  if (deviceLost)
    std::printf("note: the device failed during %s\n",
                deviceLostReason.c_str());
  std::printf("%d passed, %d failed, %d skipped\n", totals.passed,
              totals.failed, totals.skipped);
  return totals.failed == 0 ? 0 : 1;
}

} // namespace

int main(int argc, char **argv) {
  Options opts;
  try {
    if (!parseOptions(argc, argv, opts))
      return 2;
  } catch (const std::exception &e) {
    std::fprintf(stderr, "error: %s\n%s", e.what(), kUsage);
    return 2;
  }
  if (opts.threads > 0)
    ref::setNumThreads(opts.threads);
  if (opts.list) {
    for (const KernelSpec &s : allKernels())
      std::printf("%-40s %-32s H/K=%lld%s\n", s.name.c_str(), kindName(s.kind),
                  static_cast<long long>(s.H),
                  s.isGemm() ? (" N=" + std::to_string(s.N)).c_str() : "");
    std::printf("%zu functions\n", allKernels().size());
    return 0;
  }
  if (!opts.seedGiven)
    opts.seed =
        (static_cast<uint64_t>(std::random_device{}()) << 32) ^
        static_cast<uint64_t>(
            std::chrono::steady_clock::now().time_since_epoch().count());
  std::printf("vllm-gpu-tests: seed %llu (rerun with --seed %llu)\n",
              static_cast<unsigned long long>(opts.seed),
              static_cast<unsigned long long>(opts.seed));

  std::unique_ptr<Device> device;
  if (opts.hostMock || opts.checkSymbols) {
    device = makeHostDevice();
  } else {
    std::string why;
    device = makeCudaDevice(&why);
    if (!device) {
      std::printf("no GPU: skipped (%s)\n", why.c_str());
      // Count what would have run, so the skip is visible in totals.
      int64_t planned = 0;
      for (const KernelSpec &s : allKernels()) {
        if (!isSelected(opts, s))
          continue;
        planned += static_cast<int64_t>(s.isGemm() ? opts.mmMs.size()
                                                   : opts.ms.size() +
                                                         opts.edgeMs.size());
      }
      std::printf("0 passed, 0 failed, %lld skipped\n",
                  static_cast<long long>(planned));
      return 0;
    }
  }
  if (!opts.checkSymbols)
    std::printf("device: %s\n", device->describe().c_str());

  std::string fusedPath =
      findLibrary(opts.fusedLib, "libvllm_gpu_test_kernels.so");
  std::string unfusedPath =
      opts.singleLib
          ? ""
          : findLibrary(opts.unfusedLib, "libvllm_gpu_test_kernels_unfused.so");
  std::string error;
  std::unique_ptr<KernelLibrary> fused, unfused;
  if (!fusedPath.empty())
    fused = KernelLibrary::open(fusedPath, &error);
  if (!fused) {
    std::printf("error: cannot load the fused kernel library %s%s\n",
                fusedPath.empty() ? "(not found; pass --fused-lib)"
                                  : fusedPath.c_str(),
                error.empty() ? "" : (": " + error).c_str());
    std::printf("0 passed, 1 failed, 0 skipped\n");
    return 1;
  }
  if (!opts.singleLib) {
    error.clear();
    if (!unfusedPath.empty())
      unfused = KernelLibrary::open(unfusedPath, &error);
    if (!unfused) {
      std::printf("error: cannot load the unfused kernel library %s%s "
                  "(--single-lib runs without it)\n",
                  unfusedPath.empty() ? "(not found; pass --unfused-lib)"
                                      : unfusedPath.c_str(),
                  error.empty() ? "" : (": " + error).c_str());
      std::printf("0 passed, 1 failed, 0 skipped\n");
      return 1;
    }
  }
  if (opts.checkSymbols) {
    // Opening the libraries loads their modules: without a GPU that fails
    // (recorded, not fatal) and is not what this mode checks.
    vllmrtClearError();
    int missing = 0, found = 0;
    for (const KernelSpec &s : allKernels()) {
      for (const KernelLibrary *lib : {fused.get(), unfused.get()}) {
        if (!lib)
          continue;
        if (lib->lookup(s.name)) {
          ++found;
          continue;
        }
        ++missing;
        std::printf("missing: _mlir_ciface_%s in %s\n", s.name.c_str(),
                    lib->path().c_str());
      }
    }
    std::printf("%d entry points found, %d missing\n", found, missing);
    return missing == 0 ? 0 : 1;
  }
  std::printf("fused library:   %s\n", fused->path().c_str());
  std::printf("unfused library: %s\n",
              unfused ? unfused->path().c_str() : "(none: --single-lib)");
  // Module loading runs when the libraries are opened.
  std::string loadError = device->takeError();
  if (!loadError.empty())
    std::printf("error while loading the kernel modules: %s\n",
                loadError.c_str());
  Suite suite(opts, *device, fused.get(), unfused.get());
  int rc = suite.run();
  return loadError.empty() ? rc : 1;
}
