//===- RuntimeTest.cpp - Tests of libvllm_runtime -------------------------===//
//
// Part of the vllm-mlir project.
//
//===----------------------------------------------------------------------===//
//
// Without a GPU (CI): the library loads, reports "no GPU" with a reason, and
// every wrapper fails cleanly with a recorded error instead of aborting.
// With `--missing-libcuda` the same path is forced on any machine.
//
// With a GPU: a hand-written PTX kernel is JIT-loaded and launched through
// the same mgpu* entry points generated code uses, on a stream, from a CUDA
// graph (with stream-ordered allocation inside the capture), and as a
// cluster launch; every result is read back and checked.
//
// Communicators (Comm.h): without a GPU, the lookups by group number fail
// cleanly; with one, simulated ranks and (where libnccl loads) a one-rank
// NCCL communicator stage data and fill their descriptors as documented.
//
//===----------------------------------------------------------------------===//

#include "vllm-runtime/Runtime.h"
#include "TestHarness.h"
#include "vllm-runtime/Comm.h"
#include "vllm-runtime/MemRef.h"
#include "vllm-runtime/MgpuWrappers.h"

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <dlfcn.h>
#include <string>
#include <thread>
#include <vector>

static bool contains(const char *haystack, const char *needle) {
  return haystack && std::strstr(haystack, needle) != nullptr;
}

//===----------------------------------------------------------------------===//
// Always
//===----------------------------------------------------------------------===//

VT_TEST(errorApi) {
  vllmrtClearError();
  VT_EXPECT_EQ(std::string(vllmrtGetLastError()), std::string(""));
  // Argument errors are caught before the driver is needed.
  mgpuLaunchKernel(nullptr, -1, 1, 1, 1, 1, 1, 0, nullptr, nullptr, nullptr, 0);
  VT_EXPECT(contains(vllmrtGetLastError(), "gridX"));
  mgpuLaunchKernel(nullptr, 1, 1, 1, 2048, 1, 1, 0, nullptr, nullptr, nullptr,
                   0);
  // The first error is kept; both are counted.
  VT_EXPECT(contains(vllmrtGetLastError(), "gridX"));
  VT_EXPECT_EQ(vllmrtClearError(), 2);
  VT_EXPECT_EQ(std::string(vllmrtGetLastError()), std::string(""));
  VT_EXPECT_EQ(vllmrtClearError(), 0);
}

VT_TEST(noOpsNeedNoDriver) {
  vllmrtClearError();
  // An empty grid (dynamic M = 0) and empty allocations / copies do nothing.
  mgpuLaunchKernel(nullptr, 0, 1, 1, 128, 1, 1, 0, nullptr, nullptr, nullptr,
                   0);
  VT_EXPECT(mgpuMemAlloc(0, nullptr, false) == nullptr);
  mgpuMemFree(nullptr, nullptr);
  mgpuModuleUnload(nullptr);
  mgpuMemcpy(nullptr, nullptr, 0, nullptr);
  VT_EXPECT_EQ(vllmrtClearError(), 0);
  // A null function with a real grid is an error, not a crash.
  mgpuLaunchKernel(nullptr, 1, 1, 1, 1, 1, 1, 0, nullptr, nullptr, nullptr, 0);
  VT_EXPECT(contains(vllmrtGetLastError(), "null function"));
  mgpuModuleGetFunction(nullptr, "kernel");
  VT_EXPECT_EQ(vllmrtClearError(), 2);
}

VT_TEST(tensorMapArgumentsChecked) {
  vllmrtClearError();
  // Argument errors of the tensor-core GEMM's descriptors are caught before
  // the driver is needed: a null base, a box beyond 256, a bad swizzle.
  int dummy = 0;
  VT_EXPECT(vllmrtTensorMapEncode2d(nullptr, 128, 64, 128, 128, 64, 0, 3) ==
            nullptr);
  VT_EXPECT(contains(vllmrtGetLastError(), "vllmrtTensorMapEncode2d"));
  VT_EXPECT(vllmrtTensorMapEncode2d(&dummy, 128, 64, 128, 128, 512, 0, 3) ==
            nullptr);
  VT_EXPECT(vllmrtTensorMapEncode2d(&dummy, 128, 64, 128, 128, 64, 0, 7) ==
            nullptr);
  VT_EXPECT_EQ(vllmrtClearError(), 3);
}

VT_TEST(memRefDescriptor) {
  int dummy = 0;
  auto d = vllmrt::contiguousMemRef<2>(&dummy, {5, 7});
  VT_EXPECT_EQ(d.sizes[0], 5);
  VT_EXPECT_EQ(d.sizes[1], 7);
  VT_EXPECT_EQ(d.strides[0], 7);
  VT_EXPECT_EQ(d.strides[1], 1);
  VT_EXPECT_EQ(d.offset, 0);
  // The layout MLIR's C interface expects: two pointers, then offset, sizes
  // and strides as int64.
  VT_EXPECT_EQ(sizeof(d), 2 * sizeof(void *) + 5 * sizeof(int64_t));
}

// What compiled code and the kernels rely on (Comm.h static_asserts the
// same; these hold in this file's compilation too).
static_assert(sizeof(vllmrtCommDescriptor) == 20 * 8, "descriptor size");
static_assert(offsetof(vllmrtCommDescriptor, rank) == 0 * 8, "word 0");
static_assert(offsetof(vllmrtCommDescriptor, size) == 1 * 8, "word 1");
static_assert(offsetof(vllmrtCommDescriptor, counters) == 2 * 8, "word 2");
static_assert(offsetof(vllmrtCommDescriptor, reserved) == 3 * 8, "word 3");
static_assert(offsetof(vllmrtCommDescriptor, data) == 4 * 8, "word 4");
static_assert(offsetof(vllmrtCommDescriptor, flags) == 12 * 8, "word 12");

VT_TEST(commUnboundGroups) {
  vllmrtClearError();
  // Nothing bound to group 5: each entry point of compiled code fails with
  // an error naming the group.
  int word = 0;
  VT_EXPECT(vllmrtCommStage(5, &word, 4, nullptr) == nullptr);
  VT_EXPECT(contains(vllmrtGetLastError(), "group 5"));
  VT_EXPECT(contains(vllmrtGetLastError(), "vllmrtCommStage"));
  vllmrtClearError();
  VT_EXPECT_EQ(vllmrtCommCtaLimit(5), int64_t(0));
  VT_EXPECT(contains(vllmrtGetLastError(), "group 5"));
  vllmrtClearError();
  VT_EXPECT(vllmrtCommAllReduceNccl(5, &word, &word, 1, 0, nullptr) != 0);
  VT_EXPECT(contains(vllmrtGetLastError(), "group 5"));
  VT_EXPECT_EQ(vllmrtClearError(), 1);
  // Group numbers out of range.
  VT_EXPECT(vllmrtCommStage(64, &word, 0, nullptr) == nullptr);
  VT_EXPECT(contains(vllmrtGetLastError(), "group 64 out of range"));
  VT_EXPECT_EQ(vllmrtCommCtaLimit(-1), int64_t(0));
  VT_EXPECT_EQ(vllmrtClearError(), 2);
}

VT_TEST(commBindArguments) {
  vllmrtClearError();
  VT_EXPECT(vllmrtCommBind(64, nullptr) != 0);
  VT_EXPECT(contains(vllmrtGetLastError(), "group 64"));
  VT_EXPECT(vllmrtCommBind(-1, nullptr) != 0);
  VT_EXPECT(vllmrtCommBindThread(64, nullptr) != 0);
  VT_EXPECT_EQ(vllmrtClearError(), 3);
  // Unbinding what is not bound is fine.
  VT_EXPECT_EQ(vllmrtCommBind(0, nullptr), 0);
  VT_EXPECT_EQ(vllmrtCommBindThread(63, nullptr), 0);
  VT_EXPECT_EQ(vllmrtClearError(), 0);
  // A pointer that is no communicator is refused (and not dereferenced).
  alignas(16) char fake[64] = {0};
  vllmrtComm *bogus = reinterpret_cast<vllmrtComm *>(fake);
  VT_EXPECT(vllmrtCommBind(1, bogus) != 0);
  VT_EXPECT(contains(vllmrtGetLastError(), "not a live communicator"));
  VT_EXPECT(vllmrtCommBindThread(1, bogus) != 0);
  VT_EXPECT(vllmrtCommDestroy(bogus) != 0);
  VT_EXPECT_EQ(vllmrtClearError(), 3);
  // Null communicators.
  VT_EXPECT_EQ(vllmrtCommDestroy(nullptr), 0);
  VT_EXPECT_EQ(std::string(vllmrtCommMechanism(nullptr)), std::string(""));
  VT_EXPECT(vllmrtCommNcclHandle(nullptr) == nullptr);
  VT_EXPECT_EQ(vllmrtClearError(), 0);
  VT_EXPECT_EQ(vllmrtCommRank(nullptr), -1);
  VT_EXPECT_EQ(vllmrtCommSize(nullptr), -1);
  VT_EXPECT_EQ(vllmrtClearError(), 2);
}

VT_TEST(commCreateArgumentsChecked) {
  vllmrtClearError();
  // Refused before the driver or NCCL is needed.
  vllmrtComm *comms[VLLMRT_COMM_MAX_RANKS + 1] = {};
  VT_EXPECT(vllmrtCommCreateLocal(0, 1024, comms) != 0);
  VT_EXPECT(vllmrtCommCreateLocal(VLLMRT_COMM_MAX_RANKS + 1, 1024, comms) != 0);
  VT_EXPECT(vllmrtCommCreateLocal(2, 1024, nullptr) != 0);
  VT_EXPECT(contains(vllmrtGetLastError(), "vllmrtCommCreateLocal"));
  char id[VLLMRT_COMM_UNIQUE_ID_BYTES] = {0};
  VT_EXPECT(vllmrtCommInitRank(id, 2, 2, 1024) == nullptr);
  VT_EXPECT(vllmrtCommInitRank(id, 9, 0, 1024) == nullptr);
  VT_EXPECT(vllmrtCommInitRank(nullptr, 1, 0, 1024) == nullptr);
  VT_EXPECT(vllmrtCommFromNccl(nullptr, 1024) == nullptr);
  VT_EXPECT(vllmrtCommGetUniqueId(nullptr) != 0);
  VT_EXPECT_EQ(vllmrtClearError(), 8);
  for (vllmrtComm *c : comms)
    VT_EXPECT(c == nullptr);
}

VT_TEST(ncclAvailability) {
  vllmrtClearError();
  // Asking is never an error.
  int available = vllmrtNcclAvailable();
  VT_EXPECT_EQ(vllmrtClearError(), 0);
  if (!available) {
    int version = -1;
    VT_EXPECT(vllmrtNcclGetVersion(&version) != 0);
    VT_EXPECT(contains(vllmrtGetLastError(), "NCCL unavailable"));
    VT_EXPECT_EQ(vllmrtClearError(), 1);
    VT_SKIP("libnccl.so.2 does not load");
  }
  // The version needs no GPU.
  int version = 0;
  VT_EXPECT_EQ(vllmrtNcclGetVersion(&version), 0);
  std::printf("    NCCL %d.%d.%d\n", version / 10000, version / 100 % 100,
              version % 100);
  VT_EXPECT(version >= 20000);
  VT_EXPECT_EQ(vllmrtClearError(), 0);
}

VT_TEST(commWithoutGpu) {
  if (vllmrtIsGpuAvailable())
    VT_SKIP("a GPU is present");
  vllmrtClearError();
  vllmrtComm *comms[2] = {nullptr, nullptr};
  VT_EXPECT(vllmrtCommCreateLocal(2, 1 << 20, comms) != 0);
  VT_EXPECT(contains(vllmrtGetLastError(), "CUDA driver unavailable"));
  VT_EXPECT(comms[0] == nullptr && comms[1] == nullptr);
  VT_EXPECT(vllmrtClearError() >= 1);
}

VT_TEST(withoutGpu) {
  if (vllmrtIsGpuAvailable())
    VT_SKIP("a GPU is present");
  vllmrtClearError();
  VT_EXPECT(std::strlen(vllmrtUnavailableReason()) > 0);
  std::printf("    no GPU: %s\n", vllmrtUnavailableReason());
  // Asking is not an error.
  VT_EXPECT_EQ(vllmrtClearError(), 0);
  VT_EXPECT(vllmrtInit() != 0);
  VT_EXPECT(contains(vllmrtGetLastError(), "unavailable"));
  vllmrtClearError();
  // Every entry point fails cleanly.
  VT_EXPECT(mgpuStreamCreate() == nullptr);
  VT_EXPECT(mgpuEventCreate() == nullptr);
  VT_EXPECT(mgpuMemAlloc(256, nullptr, false) == nullptr);
  char image[16] = {0};
  VT_EXPECT(mgpuModuleLoad(image, sizeof(image)) == nullptr);
  VT_EXPECT(mgpuModuleLoadJIT(image, 2) == nullptr);
  VT_EXPECT(vllmrtMalloc(64) == nullptr);
  VT_EXPECT(vllmrtStreamCreate() == nullptr);
  vllmrtDeviceInfo info;
  VT_EXPECT(vllmrtGetDeviceInfo(&info) != 0);
  VT_EXPECT(contains(vllmrtGetLastError(), "CUDA driver unavailable"));
  VT_EXPECT(vllmrtClearError() >= 8);
}

//===----------------------------------------------------------------------===//
// GPU
//===----------------------------------------------------------------------===//

// out[i] = value + i for i < count.
static const char kFillPtx[] = R"PTX(
.version 7.0
.target sm_70
.address_size 64

.visible .entry vllmrt_test_fill(
    .param .u64 param_dst,
    .param .u32 param_value,
    .param .u32 param_count)
{
    .reg .pred %p<2>;
    .reg .b32 %r<8>;
    .reg .b64 %rd<5>;

    ld.param.u64 %rd1, [param_dst];
    ld.param.u32 %r1, [param_value];
    ld.param.u32 %r2, [param_count];
    mov.u32 %r3, %ctaid.x;
    mov.u32 %r4, %ntid.x;
    mov.u32 %r5, %tid.x;
    mad.lo.s32 %r6, %r3, %r4, %r5;
    setp.ge.u32 %p1, %r6, %r2;
    @%p1 bra DONE;
    cvta.to.global.u64 %rd2, %rd1;
    mul.wide.u32 %rd3, %r6, 4;
    add.s64 %rd4, %rd2, %rd3;
    add.u32 %r7, %r1, %r6;
    st.global.u32 [%rd4], %r7;
DONE:
    ret;
}
)PTX";

namespace {
struct Gpu {
  void *module = nullptr;
  void *fill = nullptr;
  void *stream = nullptr;
};

Gpu &gpu() {
  static Gpu g;
  return g;
}

void launchFill(void *dst, uint32_t value, uint32_t count, void *stream) {
  void *ptr = dst;
  void *params[3] = {&ptr, &value, &count};
  intptr_t blocks = (count + 127) / 128;
  mgpuLaunchKernel(gpu().fill, blocks, 1, 1, 128, 1, 1, 0, stream, params,
                   nullptr, 3);
}

std::vector<uint32_t> readBack(void *dst, size_t n) {
  std::vector<uint32_t> host(n, 0);
  vllmrtMemcpyDtoH(host.data(), dst, n * 4);
  return host;
}

/// Whether the first `n` words of `words` (all of them by default) are 0.
bool allZero(const std::vector<uint32_t> &words, size_t n = SIZE_MAX) {
  auto end = words.begin() + std::min(n, words.size());
  return std::all_of(words.begin(), end, [](uint32_t w) { return w == 0; });
}

/// The driver's cuTensorMapEncodeTiled, from the libcuda the runtime loads,
/// to encode a descriptor on the host; null when missing.
using EncodeTiled = int (*)(void *map, int dataType, unsigned rank,
                            void *address, const uint64_t *globalDim,
                            const uint64_t *globalStrides,
                            const unsigned *boxDim,
                            const unsigned *elementStrides, int interleave,
                            int swizzle, int l2Promotion, int oobFill);
EncodeTiled driverEncodeTiled() {
  const char *path = std::getenv("VLLMRT_LIBCUDA");
  void *handle =
      dlopen(path && *path ? path : "libcuda.so.1", RTLD_NOW | RTLD_LOCAL);
  return handle ? reinterpret_cast<EncodeTiled>(
                      dlsym(handle, "cuTensorMapEncodeTiled"))
                : nullptr;
}
} // namespace

VT_TEST(gpuDeviceAndModule) {
  if (!vllmrtIsGpuAvailable())
    VT_SKIP(std::string("no GPU: ") + vllmrtUnavailableReason());
  vllmrtClearError();
  VT_EXPECT_EQ(vllmrtInit(), 0);
  vllmrtDeviceInfo info;
  VT_EXPECT_EQ(vllmrtGetDeviceInfo(&info), 0);
  std::printf("    device: %s, %d SMs, sm_%d%d, L2 %d MiB, driver %d\n",
              info.name, info.multiprocessorCount, info.computeCapabilityMajor,
              info.computeCapabilityMinor, info.l2CacheBytes >> 20,
              info.driverVersion);
  VT_EXPECT(info.multiprocessorCount > 0);
  VT_EXPECT(info.computeCapabilityMajor >= 7);
  gpu().module = mgpuModuleLoadJIT(const_cast<char *>(kFillPtx), 2);
  VT_EXPECT(gpu().module != nullptr);
  gpu().fill = mgpuModuleGetFunction(gpu().module, "vllmrt_test_fill");
  VT_EXPECT(gpu().fill != nullptr);
  gpu().stream = mgpuStreamCreate();
  VT_EXPECT(gpu().stream != nullptr);
  VT_EXPECT_EQ(std::string(vllmrtGetLastError()), std::string(""));
  // A missing kernel and a corrupt image are recorded errors.
  VT_EXPECT(mgpuModuleGetFunction(gpu().module, "no_such_kernel") == nullptr);
  VT_EXPECT(contains(vllmrtGetLastError(), "CUDA_ERROR_NOT_FOUND"));
  vllmrtClearError();
  char garbage[64];
  std::memset(garbage, 0x5a, sizeof(garbage));
  VT_EXPECT(mgpuModuleLoad(garbage, sizeof(garbage)) == nullptr);
  VT_EXPECT(contains(vllmrtGetLastError(), "CUDA_ERROR_"));
  vllmrtClearError();
}

VT_TEST(gpuLaunchOnStream) {
  if (!gpu().fill)
    VT_SKIP("no kernel (no GPU or module load failed)");
  vllmrtClearError();
  const uint32_t n = 1000;
  void *stream = gpu().stream;
  void *buf = mgpuMemAlloc(n * 4, stream, false); // Stream-ordered.
  VT_EXPECT(buf != nullptr);
  mgpuMemset32(buf, 0xdeadbeefu, n, stream);
  void *start = vllmrtEventCreate(), *stop = vllmrtEventCreate();
  vllmrtEventRecord(start, stream);
  launchFill(buf, 1000, n - 3, stream); // The last 3 stay poisoned.
  vllmrtEventRecord(stop, stream);
  mgpuStreamSynchronize(stream);
  float ms = -1.0f;
  VT_EXPECT_EQ(vllmrtEventElapsedMs(start, stop, &ms), 0);
  VT_EXPECT(ms >= 0.0f);
  std::vector<uint32_t> host = readBack(buf, n);
  for (uint32_t i = 0; i < n; ++i)
    if (host[i] != (i < n - 3 ? 1000 + i : 0xdeadbeefu)) {
      VT_EXPECT_EQ(host[i], i < n - 3 ? 1000 + i : 0xdeadbeefu);
      break;
    }
  mgpuMemset16(buf, 0x1234, 4, stream); // 8 bytes: words 0 and 1.
  mgpuStreamSynchronize(stream);
  host = readBack(buf, 3);
  VT_EXPECT_EQ(host[0], 0x12341234u);
  VT_EXPECT_EQ(host[1], 0x12341234u);
  VT_EXPECT_EQ(host[2], 1002u);
  mgpuMemFree(buf, stream);
  vllmrtEventDestroy(start);
  vllmrtEventDestroy(stop);
  mgpuStreamSynchronize(stream);
  VT_EXPECT_EQ(std::string(vllmrtGetLastError()), std::string(""));
}

VT_TEST(gpuGraphCapture) {
  if (!gpu().fill)
    VT_SKIP("no kernel (no GPU or module load failed)");
  vllmrtClearError();
  const uint32_t n = 4096;
  void *stream = gpu().stream;
  void *out = vllmrtMalloc(n * 4);
  vllmrtMemsetD8(out, 0, n * 4);
  // Captured: a stream-ordered temporary, a launch into it, a copy out and
  // the free - what generated host code does for an intermediate buffer.
  VT_EXPECT_EQ(vllmrtStreamBeginCapture(stream), 0);
  void *tmp = mgpuMemAlloc(n * 4, stream, false);
  launchFill(tmp, 5000, n, stream);
  mgpuMemcpy(out, tmp, n * 4, stream);
  mgpuMemFree(tmp, stream);
  void *graph = vllmrtStreamEndCapture(stream);
  VT_EXPECT(graph != nullptr);
  for (int replay = 0; replay < 3; ++replay)
    VT_EXPECT_EQ(vllmrtGraphLaunch(graph, stream), 0);
  vllmrtStreamSynchronize(stream);
  std::vector<uint32_t> host = readBack(out, n);
  VT_EXPECT_EQ(host[0], 5000u);
  VT_EXPECT_EQ(host[n - 1], 5000u + n - 1);
  vllmrtGraphDestroy(graph);
  vllmrtFree(out);
  VT_EXPECT_EQ(std::string(vllmrtGetLastError()), std::string(""));
}

VT_TEST(workspaceArgumentsChecked) {
  vllmrtClearError();
  // Zero bytes are refused before the driver is needed.
  VT_EXPECT(vllmrtWorkspace(0, nullptr) == nullptr);
  VT_EXPECT(contains(vllmrtGetLastError(), "vllmrtWorkspace"));
  VT_EXPECT_EQ(vllmrtClearError(), 1);
}

VT_TEST(gpuWorkspacePerStream) {
  if (!gpu().fill)
    VT_SKIP("no kernel (no GPU or module load failed)");
  vllmrtClearError();
  void *stream = gpu().stream;
  void *other = mgpuStreamCreate();
  // Zeroed when made; the same buffer for the same stream while large
  // enough; another stream gets its own.
  void *first = vllmrtWorkspace(4096, stream);
  VT_EXPECT(first != nullptr);
  VT_EXPECT(vllmrtWorkspace(1000, stream) == first);
  void *otherFirst = vllmrtWorkspace(4096, other);
  VT_EXPECT(otherFirst != nullptr && otherFirst != first);
  mgpuStreamSynchronize(stream);
  mgpuStreamSynchronize(other);
  std::vector<uint32_t> words = readBack(first, 1024);
  VT_EXPECT(allZero(words));
  // A kernel's writes stay (the kernels reset what they use); a larger
  // request gets a new buffer, zeroed, and the old one stays valid.
  launchFill(first, 5, 1024, stream);
  void *grown = vllmrtWorkspace(1 << 20, stream);
  VT_EXPECT(grown != nullptr && grown != first);
  VT_EXPECT(vllmrtWorkspace(4096, stream) == grown);
  mgpuStreamSynchronize(stream);
  VT_EXPECT_EQ(readBack(first, 1)[0], 5u);
  std::vector<uint32_t> grownWords = readBack(grown, (1 << 20) / 4);
  VT_EXPECT(allZero(grownWords));
  mgpuStreamDestroy(other);
  VT_EXPECT_EQ(std::string(vllmrtGetLastError()), std::string(""));
}

VT_TEST(gpuWorkspaceInGraph) {
  if (!gpu().fill)
    VT_SKIP("no kernel (no GPU or module load failed)");
  vllmrtClearError();
  // Captured on a stream that never ran eagerly (as torch.cuda.graph
  // does): a zeroed workspace of the graph's own, made at capture and not
  // part of the graph, is what every replay of the kernel writes; another
  // capture on the same stream gets another.
  void *stream = mgpuStreamCreate();
  const uint32_t words = 2048;
  void *out = vllmrtMalloc(words * 4);
  void *graphs[2] = {nullptr, nullptr};
  void *workspaces[2] = {nullptr, nullptr};
  for (int g = 0; g < 2; ++g) {
    VT_EXPECT_EQ(vllmrtStreamBeginCapture(stream), 0);
    workspaces[g] = vllmrtWorkspace(words * 4, stream);
    VT_EXPECT(workspaces[g] != nullptr);
    VT_EXPECT(vllmrtWorkspace(16, stream) == workspaces[g]);
    // Words 512 .. 1535 written by the "kernel", words 0 .. 511 left zero.
    launchFill(static_cast<char *>(workspaces[g]) + 2048, 9000 + g, 1024,
               stream);
    mgpuMemcpy(out, workspaces[g], words * 4, stream);
    graphs[g] = vllmrtStreamEndCapture(stream);
    VT_EXPECT(graphs[g] != nullptr);
  }
  VT_EXPECT(workspaces[0] != workspaces[1]);
  VT_EXPECT(vllmrtWorkspace(16, stream) != workspaces[0]);
  for (int replay = 0; replay < 4; ++replay) {
    int g = replay % 2;
    vllmrtMemsetD8(out, 0xff, words * 4);
    VT_EXPECT_EQ(vllmrtGraphLaunch(graphs[g], stream), 0);
    vllmrtStreamSynchronize(stream);
    std::vector<uint32_t> host = readBack(out, 1536);
    VT_EXPECT(allZero(host, 512));
    VT_EXPECT_EQ(host[512], 9000u + g);
    VT_EXPECT_EQ(host[1535], 9000u + g + 1023);
  }
  for (void *graph : graphs)
    vllmrtGraphDestroy(graph);
  vllmrtFree(out);
  mgpuStreamDestroy(stream);
  VT_EXPECT_EQ(std::string(vllmrtGetLastError()), std::string(""));
}

VT_TEST(gpuTensorMapInGraph) {
  if (!gpu().fill)
    VT_SKIP("no kernel (no GPU or module load failed)");
  vllmrtDeviceInfo info;
  vllmrtGetDeviceInfo(&info);
  if (info.computeCapabilityMajor < 9)
    VT_SKIP("tensor maps need sm_90");
  vllmrtClearError();
  // Captured on a stream that never ran eagerly (as torch.cuda.graph does),
  // like a compiled function with a TMA GEMM: the descriptor of a buffer
  // allocated stream-ordered inside the capture is new, so its device copy
  // is made during the capture; that must neither fail nor invalidate the
  // capture, and the copy is not part of the graph. (vllmrtStreamBeginCapture
  // captures in thread-local mode, which forbids this thread the same calls
  // as global mode.)
  void *stream = mgpuStreamCreate();
  const uint32_t n = 2048; // 64 rows of 128 bytes.
  void *out = vllmrtMalloc(n * 4);
  VT_EXPECT_EQ(vllmrtStreamBeginCapture(stream), 0);
  void *tmp = mgpuMemAlloc(n * 4, stream, false);
  VT_EXPECT(tmp != nullptr);
  // UINT8 (0), 128-byte swizzle (3), box 128 x 8.
  void *map = vllmrtTensorMapEncode2d(tmp, 128, 64, 128, 128, 8, 0, 3);
  VT_EXPECT(map != nullptr);
  VT_EXPECT_EQ(std::string(vllmrtGetLastError()), std::string(""));
  launchFill(tmp, 3000, n, stream);
  mgpuMemcpy(out, tmp, n * 4, stream);
  mgpuMemFree(tmp, stream);
  void *graph = vllmrtStreamEndCapture(stream);
  VT_EXPECT(graph != nullptr);
  VT_EXPECT_EQ(vllmrtGraphLaunch(graph, stream), 0);
  vllmrtStreamSynchronize(stream);
  std::vector<uint32_t> host = readBack(out, n);
  VT_EXPECT_EQ(host[0], 3000u);
  VT_EXPECT_EQ(host[n - 1], 3000u + n - 1);
  // Outside the capture: the same descriptor is the same device copy, and
  // that copy holds what the driver encodes on the host.
  VT_EXPECT(vllmrtTensorMapEncode2d(tmp, 128, 64, 128, 128, 8, 0, 3) == map);
  std::vector<uint32_t> device = readBack(map, 32);
  VT_EXPECT(!allZero(device));
  if (EncodeTiled encode = driverEncodeTiled()) {
    alignas(128) uint32_t expected[32] = {0};
    uint64_t globalDim[2] = {128, 64}, globalStrides[1] = {128};
    unsigned boxDim[2] = {128, 8}, elementStrides[2] = {1, 1};
    VT_EXPECT_EQ(encode(expected, 0, 2, tmp, globalDim, globalStrides, boxDim,
                        elementStrides, 0, 3, 3, 0),
                 0);
    VT_EXPECT(std::equal(device.begin(), device.end(), expected));
  }
  vllmrtGraphDestroy(graph);
  vllmrtFree(out);
  mgpuStreamDestroy(stream);
  VT_EXPECT_EQ(std::string(vllmrtGetLastError()), std::string(""));
}

VT_TEST(gpuClusterLaunchAndTensorMap) {
  if (!gpu().fill)
    VT_SKIP("no kernel (no GPU or module load failed)");
  vllmrtDeviceInfo info;
  vllmrtGetDeviceInfo(&info);
  if (info.computeCapabilityMajor < 9)
    VT_SKIP("clusters and tensor maps need sm_90");
  vllmrtClearError();
  const uint32_t n = 512;
  void *stream = gpu().stream;
  void *buf = mgpuMemAlloc(n * 4, stream, false);
  void *ptr = buf;
  uint32_t value = 7000, count = n;
  void *params[3] = {&ptr, &value, &count};
  mgpuLaunchClusterKernel(gpu().fill, 2, 1, 1, 4, 1, 1, 128, 1, 1, 0, stream,
                          params, nullptr);
  mgpuStreamSynchronize(stream);
  std::vector<uint32_t> host = readBack(buf, n);
  VT_EXPECT_EQ(host[0], 7000u);
  VT_EXPECT_EQ(host[n - 1], 7000u + n - 1);
  // A 2-D tensor map of a 16 x 32 u32 buffer (data type 2 = UINT32), box
  // 8 x 8; the same descriptor twice gives the same device copy.
  auto memref = vllmrt::contiguousMemRef<2>(buf, {16, 32});
  int64_t box[2] = {8, 8};
  void *map1 = mgpuTensorMapEncodeTiledMemref(2, &memref, 2, 0, 0, 0, 0, box);
  void *map2 = mgpuTensorMapEncodeTiledMemref(2, &memref, 2, 0, 0, 0, 0, box);
  VT_EXPECT(map1 != nullptr);
  VT_EXPECT(map1 == map2);
  // The GEMM's 2-D form: the same buffer as 64 rows of 128 bytes (UINT8,
  // 128-byte swizzle), box 128 x 8; equal descriptors share a device copy,
  // another box gets another.
  void *tile1 = vllmrtTensorMapEncode2d(buf, 128, 16, 128, 128, 8, 0, 3);
  void *tile2 = vllmrtTensorMapEncode2d(buf, 128, 16, 128, 128, 8, 0, 3);
  void *tile3 = vllmrtTensorMapEncode2d(buf, 128, 16, 128, 128, 16, 0, 3);
  VT_EXPECT(tile1 != nullptr);
  VT_EXPECT(tile1 == tile2);
  VT_EXPECT(tile3 != nullptr && tile3 != tile1);
  mgpuMemFree(buf, stream);
  // Managed memory is freed synchronously even when given a stream.
  void *managed = mgpuMemAlloc(64, stream, true);
  VT_EXPECT(managed != nullptr);
  mgpuMemFree(managed, stream);
  mgpuStreamSynchronize(stream);
  VT_EXPECT_EQ(std::string(vllmrtGetLastError()), std::string(""));
}

//===----------------------------------------------------------------------===//
// GPU: communicators
//===----------------------------------------------------------------------===//

namespace {
vllmrtCommDescriptor readDescriptor(const void *device) {
  vllmrtCommDescriptor d;
  std::memset(&d, 0xff, sizeof(d));
  vllmrtMemcpyDtoH(&d, device, sizeof(d));
  return d;
}

const void *asPtr(uint64_t address) {
  return reinterpret_cast<const void *>(static_cast<uintptr_t>(address));
}

/// `bytes` of a pattern made from `seed`, in a new device allocation.
void *patternBuffer(std::vector<uint32_t> &host, size_t bytes, uint32_t seed) {
  host.resize(bytes / 4);
  for (size_t i = 0; i < host.size(); ++i)
    host[i] = seed * 0x9e3779b9u + static_cast<uint32_t>(i);
  void *device = vllmrtMalloc(bytes);
  vllmrtMemcpyHtoD(device, host.data(), bytes);
  return device;
}

/// The checks every descriptor passes: rank and size, counters and flags
/// zero, data[r] / flags[r] for r < size and 0 beyond, flags right after
/// the staging buffer (the capacity rounded up to 256).
void checkDescriptor(const vllmrtCommDescriptor &d, int rank, int size,
                     size_t capacity) {
  VT_EXPECT_EQ(d.rank, uint64_t(rank));
  VT_EXPECT_EQ(d.size, uint64_t(size));
  VT_EXPECT_EQ(d.reserved, uint64_t(0));
  VT_EXPECT(d.counters != 0);
  VT_EXPECT(allZero(
      readBack(const_cast<void *>(asPtr(d.counters)), VLLMRT_COMM_MAX_CTAS)));
  uint64_t staging = (capacity + 255) / 256 * 256;
  for (int r = 0; r < VLLMRT_COMM_MAX_RANKS; ++r) {
    if (r >= size) {
      VT_EXPECT_EQ(d.data[r], uint64_t(0));
      VT_EXPECT_EQ(d.flags[r], uint64_t(0));
      continue;
    }
    VT_EXPECT(d.data[r] != 0);
    VT_EXPECT_EQ(d.flags[r], d.data[r] + staging);
    // start[MAX_CTAS][MAX_RANKS] and end[MAX_CTAS][MAX_RANKS], all zero.
    VT_EXPECT(
        allZero(readBack(const_cast<void *>(asPtr(d.flags[r])),
                         2 * VLLMRT_COMM_MAX_CTAS * VLLMRT_COMM_MAX_RANKS)));
  }
}
} // namespace

VT_TEST(gpuCommLocal) {
  if (!vllmrtIsGpuAvailable())
    VT_SKIP(std::string("no GPU: ") + vllmrtUnavailableReason());
  vllmrtClearError();
  const size_t capacity = 1 << 20;
  vllmrtComm *comms[2] = {nullptr, nullptr};
  VT_EXPECT_EQ(vllmrtCommCreateLocal(2, capacity, comms), 0);
  if (!comms[0] || !comms[1])
    VT_SKIP(std::string("vllmrtCommCreateLocal failed: ") +
            vllmrtGetLastError());
  vllmrtComm *a = comms[0], *b = comms[1];
  VT_EXPECT_EQ(vllmrtCommRank(a), 0);
  VT_EXPECT_EQ(vllmrtCommRank(b), 1);
  VT_EXPECT_EQ(vllmrtCommSize(a), 2);
  VT_EXPECT_EQ(vllmrtCommSize(b), 2);
  VT_EXPECT_EQ(std::string(vllmrtCommMechanism(a)), std::string("local"));
  VT_EXPECT(vllmrtCommNcclHandle(a) == nullptr);
  vllmrtDeviceInfo info;
  vllmrtGetDeviceInfo(&info);
  int64_t ctas = std::max<int64_t>(
      1, std::min<int64_t>(VLLMRT_COMM_MAX_CTAS, info.multiprocessorCount / 2));

  // A process-wide, B on this thread: this thread resolves to B, another
  // thread to A; without the thread binding, this one resolves to A too.
  const int group = 7;
  VT_EXPECT_EQ(vllmrtCommBind(group, a), 0);
  VT_EXPECT_EQ(vllmrtCommBindThread(group, b), 0);
  VT_EXPECT_EQ(vllmrtCommCtaLimit(group), ctas);
  void *stream = vllmrtStreamCreate();
  void *descB = vllmrtCommStage(group, nullptr, 0, stream);
  VT_EXPECT(descB != nullptr);
  void *descOther = nullptr;
  int64_t ctasOther = -1;
  std::thread other([&] {
    descOther = vllmrtCommStage(group, nullptr, 0, nullptr);
    ctasOther = vllmrtCommCtaLimit(group);
  });
  other.join();
  VT_EXPECT(descOther != nullptr && descOther != descB);
  VT_EXPECT_EQ(ctasOther, ctas);
  vllmrtCommDescriptor db = readDescriptor(descB);
  vllmrtCommDescriptor da = readDescriptor(descOther);
  checkDescriptor(db, 1, 2, capacity);
  checkDescriptor(da, 0, 2, capacity);
  // Both list the same regions; the counters are each rank's own.
  for (int r = 0; r < VLLMRT_COMM_MAX_RANKS; ++r) {
    VT_EXPECT_EQ(da.data[r], db.data[r]);
    VT_EXPECT_EQ(da.flags[r], db.flags[r]);
  }
  VT_EXPECT(da.counters != db.counters);
  VT_EXPECT(da.data[0] != da.data[1]);

  // Staging copies into this rank's (B's) buffer on the stream.
  std::vector<uint32_t> pattern;
  void *src = patternBuffer(pattern, 4096, 11);
  VT_EXPECT(vllmrtCommStage(group, src, 4096, stream) == descB);
  vllmrtStreamSynchronize(stream);
  VT_EXPECT(readBack(const_cast<void *>(asPtr(db.data[1])), 1024) == pattern);
  VT_EXPECT_EQ(std::string(vllmrtGetLastError()), std::string(""));
  // The whole capacity is allowed; one byte more is not.
  void *big = vllmrtMalloc(capacity + 1);
  VT_EXPECT(vllmrtCommStage(group, big, int64_t(capacity), stream) == descB);
  VT_EXPECT_EQ(std::string(vllmrtGetLastError()), std::string(""));
  VT_EXPECT(vllmrtCommStage(group, big, int64_t(capacity) + 1, stream) ==
            nullptr);
  VT_EXPECT(contains(vllmrtGetLastError(), "group 7"));
  VT_EXPECT(contains(vllmrtGetLastError(), "1048577"));
  VT_EXPECT(contains(vllmrtGetLastError(), "1048576"));
  VT_EXPECT(vllmrtCommStage(group, big, -4, stream) == nullptr);
  VT_EXPECT_EQ(vllmrtClearError(), 2);
  vllmrtStreamSynchronize(stream);

  // No NCCL for simulated ranks.
  VT_EXPECT(vllmrtCommAllReduceNccl(group, src, src, 4, 0, stream) != 0);
  VT_EXPECT(contains(vllmrtGetLastError(), "local"));
  VT_EXPECT(contains(vllmrtGetLastError(), "all-reduce=peer"));
  VT_EXPECT_EQ(vllmrtClearError(), 1);

  // Unbinding the thread falls back to the process-wide binding.
  VT_EXPECT_EQ(vllmrtCommBindThread(group, nullptr), 0);
  VT_EXPECT(vllmrtCommStage(group, nullptr, 0, stream) == descOther);

  // This thread's binding to B, B destroyed by another thread: an error on
  // use, not a use after free. A's destruction unbinds it process-wide.
  VT_EXPECT_EQ(vllmrtCommBindThread(group, b), 0);
  int destroyed = -1;
  std::thread destroyer([&] { destroyed = vllmrtCommDestroy(b); });
  destroyer.join();
  VT_EXPECT_EQ(destroyed, 0);
  VT_EXPECT(vllmrtCommStage(group, nullptr, 0, stream) == nullptr);
  VT_EXPECT(contains(vllmrtGetLastError(), "destroyed"));
  VT_EXPECT_EQ(vllmrtClearError(), 1);
  VT_EXPECT_EQ(vllmrtCommBindThread(group, nullptr), 0);
  VT_EXPECT_EQ(vllmrtCommDestroy(a), 0);
  VT_EXPECT(vllmrtCommStage(group, nullptr, 0, stream) == nullptr);
  VT_EXPECT(contains(vllmrtGetLastError(), "no communicator bound"));
  VT_EXPECT_EQ(vllmrtClearError(), 1);
  vllmrtFree(src);
  vllmrtFree(big);
  vllmrtStreamDestroy(stream);
  VT_EXPECT_EQ(std::string(vllmrtGetLastError()), std::string(""));
}

VT_TEST(gpuCommLocalEightRanks) {
  if (!vllmrtIsGpuAvailable())
    VT_SKIP(std::string("no GPU: ") + vllmrtUnavailableReason());
  vllmrtClearError();
  // The largest set, each rank staging from its own thread; every
  // descriptor sees every rank's data.
  const int n = VLLMRT_COMM_MAX_RANKS;
  const size_t capacity = 1000; // Rounded up to 1024 for the flags.
  vllmrtComm *comms[n] = {};
  VT_EXPECT_EQ(vllmrtCommCreateLocal(n, capacity, comms), 0);
  if (!comms[n - 1])
    VT_SKIP(std::string("vllmrtCommCreateLocal failed: ") +
            vllmrtGetLastError());
  std::vector<uint32_t> patterns[n];
  void *sources[n] = {};
  for (int r = 0; r < n; ++r)
    sources[r] = patternBuffer(patterns[r], 1000, 100 + r);
  void *descriptors[n] = {};
  std::vector<std::thread> ranks;
  for (int r = 0; r < n; ++r)
    ranks.emplace_back([&, r] {
      vllmrtCommBindThread(3, comms[r]);
      void *stream = vllmrtStreamCreate();
      descriptors[r] = vllmrtCommStage(3, sources[r], 1000, stream);
      vllmrtStreamSynchronize(stream);
      vllmrtStreamDestroy(stream);
    });
  for (std::thread &t : ranks)
    t.join();
  VT_EXPECT_EQ(std::string(vllmrtGetLastError()), std::string(""));
  for (int r = 0; r < n; ++r) {
    VT_EXPECT(descriptors[r] != nullptr);
    if (!descriptors[r])
      continue;
    vllmrtCommDescriptor d = readDescriptor(descriptors[r]);
    checkDescriptor(d, r, n, capacity);
    for (int peer = 0; peer < n; ++peer)
      VT_EXPECT(readBack(const_cast<void *>(asPtr(d.data[peer])), 250) ==
                patterns[peer]);
  }
  for (int r = 0; r < n; ++r) {
    VT_EXPECT_EQ(vllmrtCommDestroy(comms[r]), 0);
    vllmrtFree(sources[r]);
  }
  VT_EXPECT_EQ(std::string(vllmrtGetLastError()), std::string(""));
}

VT_TEST(gpuCommStageInGraph) {
  if (!vllmrtIsGpuAvailable())
    VT_SKIP(std::string("no GPU: ") + vllmrtUnavailableReason());
  vllmrtClearError();
  // Captured on a stream that never ran eagerly, as torch.cuda.graph does:
  // each replay copies what the source holds then.
  vllmrtComm *comm = nullptr;
  VT_EXPECT_EQ(vllmrtCommCreateLocal(1, 4096, &comm), 0);
  if (!comm)
    VT_SKIP(std::string("vllmrtCommCreateLocal failed: ") +
            vllmrtGetLastError());
  VT_EXPECT_EQ(vllmrtCommBindThread(2, comm), 0);
  std::vector<uint32_t> first, second;
  void *src = patternBuffer(first, 4096, 1);
  void *stream = vllmrtStreamCreate();
  VT_EXPECT_EQ(vllmrtStreamBeginCapture(stream), 0);
  void *desc = vllmrtCommStage(2, src, 4096, stream);
  void *graph = vllmrtStreamEndCapture(stream);
  VT_EXPECT(desc != nullptr && graph != nullptr);
  if (desc && graph) {
    vllmrtCommDescriptor d = readDescriptor(desc);
    void *staging = const_cast<void *>(asPtr(d.data[0]));
    VT_EXPECT_EQ(vllmrtGraphLaunch(graph, stream), 0);
    vllmrtStreamSynchronize(stream);
    VT_EXPECT(readBack(staging, 1024) == first);
    void *next = patternBuffer(second, 4096, 2);
    vllmrtMemcpyDtoD(src, next, 4096);
    VT_EXPECT_EQ(vllmrtGraphLaunch(graph, stream), 0);
    vllmrtStreamSynchronize(stream);
    VT_EXPECT(readBack(staging, 1024) == second);
    vllmrtFree(next);
  }
  vllmrtGraphDestroy(graph);
  vllmrtStreamDestroy(stream);
  vllmrtFree(src);
  VT_EXPECT_EQ(vllmrtCommDestroy(comm), 0);
  VT_EXPECT_EQ(std::string(vllmrtGetLastError()), std::string(""));
}

VT_TEST(gpuCommNcclOneRank) {
  if (!vllmrtIsGpuAvailable())
    VT_SKIP(std::string("no GPU: ") + vllmrtUnavailableReason());
  if (!vllmrtNcclAvailable())
    VT_SKIP("libnccl.so.2 does not load");
  vllmrtClearError();
  vllmrtDeviceInfo info;
  vllmrtGetDeviceInfo(&info);
  const size_t capacity = 1 << 20;
  void *stream = vllmrtStreamCreate();
  // Once as the runtime chooses, once with CUDA IPC forced (the fallback,
  // which one rank exercises only in part: there is no peer to open).
  for (const char *forced : {"", "cuda-ipc"}) {
    setenv("VLLMRT_COMM_MECHANISM", forced, 1);
    char id[VLLMRT_COMM_UNIQUE_ID_BYTES];
    VT_EXPECT_EQ(vllmrtCommGetUniqueId(id), 0);
    vllmrtComm *comm = vllmrtCommInitRank(id, 1, 0, capacity);
    VT_EXPECT(comm != nullptr);
    if (!comm)
      break;
    const char *mechanism = vllmrtCommMechanism(comm);
    std::printf("    NCCL, 1 rank%s: mechanism %s%s%s\n",
                *forced ? " (VLLMRT_COMM_MECHANISM=cuda-ipc)" : "", mechanism,
                *vllmrtCommFallbackReason(comm) ? ": " : "",
                vllmrtCommFallbackReason(comm));
    VT_EXPECT(std::string(mechanism) == "nccl-window" ||
              std::string(mechanism) == "cuda-ipc");
    if (*forced)
      VT_EXPECT_EQ(std::string(mechanism), std::string("cuda-ipc"));
    VT_EXPECT_EQ(vllmrtCommRank(comm), 0);
    VT_EXPECT_EQ(vllmrtCommSize(comm), 1);
    VT_EXPECT(vllmrtCommNcclHandle(comm) != nullptr);
    const int group = 9;
    VT_EXPECT_EQ(vllmrtCommBind(group, comm), 0);
    VT_EXPECT_EQ(
        vllmrtCommCtaLimit(group),
        std::min<int64_t>(VLLMRT_COMM_MAX_CTAS, info.multiprocessorCount));

    // Staged data lands in data[0], this rank's own buffer.
    std::vector<uint32_t> pattern;
    void *src = patternBuffer(pattern, 8192, 7);
    void *desc = vllmrtCommStage(group, src, 8192, stream);
    VT_EXPECT(desc != nullptr);
    vllmrtStreamSynchronize(stream);
    if (desc) {
      vllmrtCommDescriptor d = readDescriptor(desc);
      checkDescriptor(d, 0, 1, capacity);
      VT_EXPECT(readBack(const_cast<void *>(asPtr(d.data[0])), 2048) ==
                pattern);
    }
    VT_EXPECT(vllmrtCommStage(group, src, int64_t(capacity) + 1, stream) ==
              nullptr);
    VT_EXPECT(contains(vllmrtGetLastError(), "group 9"));
    VT_EXPECT_EQ(vllmrtClearError(), 1);

    // On one rank the sum is the input: f32, f16 and bf16 bits unchanged.
    void *out = vllmrtMalloc(8192);
    for (int32_t type : {0, 1, 2}) {
      vllmrtMemsetD8(out, 0, 8192);
      int64_t count = type == 0 ? 2048 : 4096;
      VT_EXPECT_EQ(
          vllmrtCommAllReduceNccl(group, src, out, count, type, stream), 0);
      vllmrtStreamSynchronize(stream);
      std::vector<uint32_t> got = readBack(out, 2048);
      // f16 / bf16 patterns may hold NaNs, which a sum could canonicalise:
      // compare the words that are not.
      bool same = true;
      for (size_t i = 0; i < got.size(); ++i) {
        uint32_t want = pattern[i];
        bool nan = false;
        for (int half = 0; half < 2 && type != 0; ++half) {
          uint32_t h = (want >> (16 * half)) & 0xffff;
          nan |= type == 1 ? (h & 0x7c00) == 0x7c00 && (h & 0x3ff)
                           : (h & 0x7f80) == 0x7f80 && (h & 0x7f);
        }
        if (type == 0)
          nan = (want & 0x7f800000) == 0x7f800000 && (want & 0x7fffff);
        same &= nan || got[i] == want;
      }
      VT_EXPECT(same);
    }
    VT_EXPECT_EQ(vllmrtCommAllReduceNccl(group, src, out, 0, 0, stream), 0);
    VT_EXPECT(vllmrtCommAllReduceNccl(group, src, out, 4, 5, stream) != 0);
    VT_EXPECT(contains(vllmrtGetLastError(), "element type 5"));
    VT_EXPECT(vllmrtCommAllReduceNccl(group, src, out, -1, 0, stream) != 0);
    VT_EXPECT_EQ(vllmrtClearError(), 2);

    VT_EXPECT_EQ(vllmrtCommDestroy(comm), 0);
    VT_EXPECT(vllmrtCommCtaLimit(group) == 0);
    VT_EXPECT_EQ(vllmrtClearError(), 1);
    vllmrtFree(src);
    vllmrtFree(out);
  }
  unsetenv("VLLMRT_COMM_MECHANISM");
  vllmrtStreamDestroy(stream);
  VT_EXPECT_EQ(std::string(vllmrtGetLastError()), std::string(""));
}

VT_TEST(gpuTeardown) {
  if (!gpu().module)
    VT_SKIP("nothing to tear down");
  vllmrtClearError();
  mgpuStreamDestroy(gpu().stream);
  mgpuModuleUnload(gpu().module);
  gpu() = Gpu();
  VT_EXPECT_EQ(std::string(vllmrtGetLastError()), std::string(""));
}

int main(int argc, char **argv) {
  for (int i = 1; i < argc; ++i)
    if (std::strcmp(argv[i], "--missing-libcuda") == 0)
      setenv("VLLMRT_LIBCUDA", "/nonexistent/libcuda.so.1", 1);
  return vt::runAll(argc, argv);
}
