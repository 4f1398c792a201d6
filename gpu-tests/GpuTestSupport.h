//===- GpuTestSupport.h - Pieces of the GPU numerics suite ------*- C++ -*-===//
//
// Part of the vllm-mlir project.
//
//===----------------------------------------------------------------------===//
//
// The table of compiled test functions (generated with the .mlir modules by
// kernels/gen_test_kernels.py), the memref argument layout of each kind of
// function, a device abstraction (CUDA through libvllm_runtime, or host
// memory for the driver's CPU self-test) and loading of kernel libraries.
//
//===----------------------------------------------------------------------===//

#ifndef VLLM_GPU_TESTS_GPUTESTSUPPORT_H
#define VLLM_GPU_TESTS_GPUTESTSUPPORT_H

#include "vllm-reference/Reference.h"

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace vgt {

namespace ref = vllm::ref;

//===----------------------------------------------------------------------===//
// Test functions
//===----------------------------------------------------------------------===//

enum class Kind {
  Norm,     // rms_norm_<t>_h<H>(x, w) -> y
  AddNorm,  // add_rms_norm_<t>_h<H>(x, w, r) -> (y, residual_out)
  Quant,    // quant_<Q>_h<H>(y [, s]) -> (q, scales)
  Fused,    // fused_<Q>_h<H>(x, w [, s]) -> (q, scales, y)
  FusedRes, // fusedres_<Q>_h<H>(x, w, r [, s]) -> (q, scales, r_out, y)
  Seq,      // seq_<Q>_h<H>(x, w [, s]) -> (q, scales)
  SeqRes,   // seqres_<Q>_h<H>(x, w, r [, s]) -> (q, scales, r_out)
  Matmul,   // smm_<e>_n<N>_k<K>(a, b, sa, sb) -> d
  Chain,    // chain_<e>_n<N>_k<K>(x, w, b, sb) -> d
  // The MLP's down-projection site; H is I, the product's width.
  Silu,      // silu_and_mul_<t>_h<I>(x [M, 2I]) -> y
  SiluFused, // silufused_<Q>_h<I>(x [, s]) -> (q, scales, y)
  SiluSeq,   // siluseq_<Q>_h<I>(x [, s]) -> (q, scales)
};
const char *kindName(Kind kind);

struct KernelSpec {
  std::string name;
  Kind kind;
  int64_t H; // hidden size; K for Matmul / Chain
  int64_t N; // Matmul / Chain only
  ref::DType dtype;
  float epsilon;
  /// The norm's round_before_weight (SPEC 3.1; norm kinds only).
  bool roundBeforeWeight = false;
  ref::QuantScheme scheme; // the activation scheme (not for Norm/AddNorm)
  int numArgs;             // memref arguments after the stream

  bool isStatic() const {
    return scheme.kind == ref::QuantKind::StaticPerTensor &&
           kind != Kind::Norm && kind != Kind::AddNorm && kind != Kind::Silu;
  }
  bool isGemm() const { return kind == Kind::Matmul || kind == Kind::Chain; }
};

/// Every function of the generated modules, in manifest order.
const std::vector<KernelSpec> &allKernels();

/// What a memref argument holds.
enum class Role {
  X,      // activation input [M, H] of dtype
  W,      // norm weight [H] of dtype
  Res,    // residual input [M, H] of dtype
  Y,      // quantize input [M, H] bf16
  Static, // static scale [1] f32
  Q,      // quantized output [M, H] e4m3 (u8)
  Scales, // scale output, shape from the scheme
  ResOut, // residual output [M, H] of dtype
  YOut,   // normalized output [M, H] of dtype
  A,      // GEMM activation [M, K] e4m3
  B,      // GEMM weight [N, K] e4m3
  SA,     // GEMM activation scales (group 128, mn-major, align 4)
  SB,     // GEMM weight scales [ceil(N/128), K/128] f32
  D,      // GEMM output [M, N] bf16
  GU,     // silu_and_mul input [M, 2H] of dtype (gate | up)
};
const char *roleName(Role role);

struct ArgSpec {
  Role role;
  int rank;
  int64_t dims[2];
  size_t elementBytes;
  bool output;
  int64_t elements() const { return rank == 1 ? dims[0] : dims[0] * dims[1]; }
  size_t bytes() const {
    return static_cast<size_t>(elements()) * elementBytes;
  }
};

/// The memref arguments of `spec` for M rows: inputs first, then outputs.
std::vector<ArgSpec> argumentLayout(const KernelSpec &spec, int64_t M);

//===----------------------------------------------------------------------===//
// Devices
//===----------------------------------------------------------------------===//

/// Memory and synchronization on the device the kernels run on.
class Device {
public:
  virtual ~Device() = default;
  virtual void *allocate(size_t bytes) = 0;
  virtual void release(void *ptr) = 0;
  virtual bool upload(void *dst, const void *src, size_t bytes) = 0;
  virtual bool download(void *dst, const void *src, size_t bytes) = 0;
  virtual bool fill(void *dst, uint8_t value, size_t bytes) = 0;
  /// Waits for the stream; false when the device reported an error.
  virtual bool synchronize() = 0;
  virtual void *stream() = 0;
  /// The first error since the last call ("" if none); clears it.
  virtual std::string takeError() = 0;
  virtual std::string describe() = 0;
};

/// CUDA through libvllm_runtime (null, with `why`, when there is no GPU).
std::unique_ptr<Device> makeCudaDevice(std::string *why);
/// Host memory standing in for device memory (CPU self-test).
std::unique_ptr<Device> makeHostDevice();

/// Device allocations reused by exact size (the suite allocates the same
/// shapes many times); everything is released by clear().
class BufferPool {
public:
  explicit BufferPool(Device &device) : device(device) {}
  ~BufferPool() { clear(); }
  void *get(size_t bytes);
  void put(void *ptr, size_t bytes);
  void clear();

private:
  Device &device;
  std::multimap<size_t, void *> free;
  std::map<void *, size_t> live;
};

//===----------------------------------------------------------------------===//
// Kernel libraries
//===----------------------------------------------------------------------===//

class KernelLibrary {
public:
  /// dlopen()s `path` (RTLD_LOCAL, so two builds of the same functions can
  /// be loaded side by side).
  static std::unique_ptr<KernelLibrary> open(const std::string &path,
                                             std::string *error);
  ~KernelLibrary();
  /// The `_mlir_ciface_<name>` entry point, or null.
  void *lookup(const std::string &name) const;
  const std::string &path() const { return libPath; }
  /// Calls fn(stream, args...) with args.size() pointer arguments.
  static bool call(void *fn, void *stream, const std::vector<void *> &args);

private:
  KernelLibrary(void *handle, std::string path)
      : handle(handle), libPath(std::move(path)) {}
  void *handle;
  std::string libPath;
};

} // namespace vgt

#endif // VLLM_GPU_TESTS_GPUTESTSUPPORT_H
