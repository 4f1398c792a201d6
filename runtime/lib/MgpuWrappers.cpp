//===- MgpuWrappers.cpp - The mgpu* functions generated code calls --------===//
//
// Part of the vllm-mlir project.
//
//===----------------------------------------------------------------------===//
//
// Signatures: see include/vllm-runtime/MgpuWrappers.h. Every wrapper checks
// its CUDA result, records failures and returns; none aborts the process.
//
//===----------------------------------------------------------------------===//

#include "vllm-runtime/MgpuWrappers.h"

#include "CudaDriver.h"

#include <array>
#include <climits>
#include <cstring>
#include <map>
#include <mutex>
#include <tuple>
#include <unordered_set>
#include <vector>

using namespace vllmrt::cu;

namespace {

CUstream asStream(void *s) { return static_cast<CUstream>(s); }
CUdeviceptr asDevicePtr(const void *p) {
  return reinterpret_cast<CUdeviceptr>(p);
}

/// Allocations made synchronously (no stream, or managed memory): freed with
/// cuMemFree even when mgpuMemFree is given a stream, since cuMemFreeAsync
/// is only defined for memory from the stream-ordered allocator.
struct SyncAllocations {
  std::mutex mutex;
  std::unordered_set<CUdeviceptr> pointers;
};
SyncAllocations &syncAllocations() {
  static SyncAllocations *s = new SyncAllocations;
  return *s;
}

/// Private non-blocking streams, one per context, for work that is done
/// once and waited for at once (see allocateUncaptured); guarded by the mutex
/// of the cache that holds them.
using SideStreams = std::map<CUcontext, CUstream>;

/// Device copies of tensor maps, keyed by content.
struct TensorMapCache {
  std::mutex mutex;
  std::map<std::array<uint64_t, 16>, CUdeviceptr> copies;
  /// The streams that upload the copies (never captured).
  SideStreams uploadStreams;
};
TensorMapCache &tensorMapCache() {
  static TensorMapCache *s = new TensorMapCache;
  return *s;
}

/// Workspaces of the split-K GEMM (vllmrtWorkspace), one per (context,
/// stream, capture id): id 0 outside CUDA-graph capture, the capture's id
/// inside. Each holds the largest asked for so far; the smaller ones it
/// replaced are kept, since kernels already queued, or graphs, may still
/// use them.
struct WorkspaceKey {
  CUcontext context;
  CUstream stream;
  unsigned long long captureId;
  bool operator<(const WorkspaceKey &other) const {
    return std::tie(context, stream, captureId) <
           std::tie(other.context, other.stream, other.captureId);
  }
};
struct Workspace {
  CUdeviceptr pointer = 0;
  size_t bytes = 0;
};
struct WorkspaceCache {
  std::mutex mutex;
  std::map<WorkspaceKey, Workspace> current;
  std::vector<CUdeviceptr> retired;
  /// The streams that zero workspaces made during capture (never captured).
  SideStreams zeroingStreams;
};
WorkspaceCache &workspaceCache() {
  static WorkspaceCache *s = new WorkspaceCache;
  return *s;
}

/// An allocation of `bytes` (cuMemAlloc) whose contents `fill(pointer,
/// stream)` queues on a private stream of the current context, taken from
/// (or made into) `sideStreams`; `fill` returns the result of the driver call
/// `fillName`. Both happen now and are waited for here. Returns 0, with an
/// error naming `caller`, on failure (nothing is left allocated).
///
/// Safe while a stream of this thread is being captured into a CUDA graph,
/// whatever the capture mode (torch.cuda.graph uses the global one), and
/// neither the allocation nor the fill becomes part of the graph. cuMemAlloc
/// and cuMemFree are among the "potentially unsafe" calls that a capture in
/// global or thread-local mode prohibits (they fail and invalidate the
/// capture), so this thread is switched to relaxed mode for the moment, as
/// PyTorch's caching allocator does, and switched back on every path. The
/// fill runs on a non-blocking stream that no capture involves: work queued
/// on it is not captured, it does not wait for the legacy default stream,
/// and waiting for it waits for nothing else. Outside capture the mode
/// switch changes nothing.
template <typename Fill>
CUdeviceptr allocateUncaptured(const Driver *d, SideStreams &sideStreams,
                               size_t bytes, const char *caller,
                               const char *fillName, Fill fill) {
  auto what = [caller](const char *call) {
    return std::string(caller) + " (" + call + ")";
  };
  int mode = CU_STREAM_CAPTURE_MODE_RELAXED;
  if (!check(d->cuThreadExchangeStreamCaptureMode(&mode),
             what("cuThreadExchangeStreamCaptureMode").c_str()))
    return 0;
  CUcontext context = nullptr;
  CUstream stream = nullptr;
  CUdeviceptr pointer = 0;
  bool ok =
      check(d->cuCtxGetCurrent(&context), what("cuCtxGetCurrent").c_str());
  if (ok) {
    // A stream belongs to the context it was made in.
    auto it = sideStreams.find(context);
    if (it != sideStreams.end()) {
      stream = it->second;
    } else {
      ok = check(d->cuStreamCreate(&stream, CU_STREAM_NON_BLOCKING),
                 what("cuStreamCreate").c_str());
      if (ok)
        sideStreams.emplace(context, stream);
    }
  }
  ok = ok && check(d->cuMemAlloc(&pointer, bytes), what("cuMemAlloc").c_str());
  ok = ok && check(fill(pointer, stream), what(fillName).c_str());
  ok = ok && check(d->cuStreamSynchronize(stream),
                   what("cuStreamSynchronize").c_str());
  if (!ok && pointer) {
    d->cuMemFree(pointer);
    pointer = 0;
  }
  check(d->cuThreadExchangeStreamCaptureMode(&mode),
        what("cuThreadExchangeStreamCaptureMode").c_str());
  return pointer;
}

/// Checks a launch dimension; false (with an error) when out of range.
bool launchDim(intptr_t value, intptr_t limit, const char *what,
               unsigned &out) {
  if (value < 0 || value > limit) {
    recordError(std::string("mgpuLaunchKernel: ") + what + " = " +
                std::to_string(static_cast<long long>(value)) +
                " out of range");
    return false;
  }
  out = static_cast<unsigned>(value);
  return true;
}

struct LaunchShape {
  unsigned grid[3], block[3];
  bool empty = false;
};

bool makeShape(intptr_t gx, intptr_t gy, intptr_t gz, intptr_t bx, intptr_t by,
               intptr_t bz, LaunchShape &s) {
  if (!launchDim(gx, INT_MAX, "gridX", s.grid[0]) ||
      !launchDim(gy, 65535, "gridY", s.grid[1]) ||
      !launchDim(gz, 65535, "gridZ", s.grid[2]) ||
      !launchDim(bx, 1024, "blockX", s.block[0]) ||
      !launchDim(by, 1024, "blockY", s.block[1]) ||
      !launchDim(bz, 64, "blockZ", s.block[2]))
    return false;
  // A dynamic size of 0 (no tokens) gives an empty grid: nothing to do.
  s.empty = s.grid[0] == 0 || s.grid[1] == 0 || s.grid[2] == 0;
  if (!s.empty && (s.block[0] == 0 || s.block[1] == 0 || s.block[2] == 0)) {
    recordError("mgpuLaunchKernel: empty thread block");
    return false;
  }
  return true;
}

/// Raises the dynamic shared-memory limit of `function` when a launch needs
/// more than the default 48 KiB.
bool prepareSharedMemory(const Driver *d, CUfunction function, int32_t smem) {
  if (smem < 0) {
    recordError("mgpuLaunchKernel: negative shared memory size");
    return false;
  }
  if (smem <= 48 * 1024)
    return true;
  return check(
      d->cuFuncSetAttribute(
          function, CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES, smem),
      "cuFuncSetAttribute(MAX_DYNAMIC_SHARED_SIZE_BYTES)");
}

CUmodule loadModule(const void *data, int optLevel, const char *what) {
  const Driver *d = withContext(what);
  if (!d)
    return nullptr;
  if (!data) {
    recordError(std::string(what) + ": null image");
    return nullptr;
  }
  char log[8192] = {0};
  int options[3] = {CU_JIT_ERROR_LOG_BUFFER, CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES,
                    CU_JIT_OPTIMIZATION_LEVEL};
  void *values[3] = {log, reinterpret_cast<void *>(sizeof(log)),
                     reinterpret_cast<void *>(static_cast<intptr_t>(optLevel))};
  unsigned numOptions = optLevel >= 0 ? 3 : 2;
  CUmodule module = nullptr;
  CUresult result =
      d->cuModuleLoadDataEx(&module, data, numOptions, options, values);
  if (result != CUDA_SUCCESS) {
    std::string message = std::string(what) + " (cuModuleLoadDataEx)";
    check(result, message.c_str());
    if (log[0])
      recordError(std::string(what) + ": JIT log: " + log);
    return nullptr;
  }
  return module;
}

} // namespace

//===----------------------------------------------------------------------===//
// Modules and launches
//===----------------------------------------------------------------------===//

extern "C" void *mgpuModuleLoad(void *data, size_t /*gpuBlobSize*/) {
  // The blob is a cubin or fatbin: the driver knows its size from its header.
  return loadModule(data, /*optLevel=*/-1, "mgpuModuleLoad");
}

extern "C" void *mgpuModuleLoadJIT(void *data, int optLevel) {
  return loadModule(data, optLevel, "mgpuModuleLoadJIT");
}

extern "C" void mgpuModuleUnload(void *module) {
  if (!module)
    return;
  const Driver *d = driver();
  if (!d)
    return;
  CUresult result = d->cuModuleUnload(static_cast<CUmodule>(module));
  // At process exit the driver may already be shut down; that is not an
  // error worth reporting.
  if (result != CUDA_ERROR_DEINITIALIZED)
    check(result, "mgpuModuleUnload");
}

extern "C" void *mgpuModuleGetFunction(void *module, const char *name) {
  if (!module) {
    recordError(std::string("mgpuModuleGetFunction(") + (name ? name : "") +
                "): null module (the module failed to load)");
    return nullptr;
  }
  const Driver *d = withContext("mgpuModuleGetFunction");
  if (!d)
    return nullptr;
  CUfunction function = nullptr;
  std::string what =
      std::string("mgpuModuleGetFunction(") + (name ? name : "") + ")";
  if (!check(d->cuModuleGetFunction(&function, static_cast<CUmodule>(module),
                                    name),
             what.c_str()))
    return nullptr;
  return function;
}

extern "C" void mgpuLaunchKernel(void *function, intptr_t gridX, intptr_t gridY,
                                 intptr_t gridZ, intptr_t blockX,
                                 intptr_t blockY, intptr_t blockZ, int32_t smem,
                                 void *stream, void **params, void **extra,
                                 size_t /*paramsCount*/) {
  LaunchShape shape;
  if (!makeShape(gridX, gridY, gridZ, blockX, blockY, blockZ, shape) ||
      shape.empty)
    return;
  if (!function) {
    recordError("mgpuLaunchKernel: null function (the module or the kernel "
                "lookup failed)");
    return;
  }
  const Driver *d = withContext("mgpuLaunchKernel");
  if (!d)
    return;
  CUfunction f = static_cast<CUfunction>(function);
  if (!prepareSharedMemory(d, f, smem))
    return;
  check(d->cuLaunchKernel(f, shape.grid[0], shape.grid[1], shape.grid[2],
                          shape.block[0], shape.block[1], shape.block[2],
                          static_cast<unsigned>(smem), asStream(stream), params,
                          extra),
        "mgpuLaunchKernel (cuLaunchKernel)");
}

extern "C" void mgpuLaunchClusterKernel(void *function, intptr_t clusterX,
                                        intptr_t clusterY, intptr_t clusterZ,
                                        intptr_t gridX, intptr_t gridY,
                                        intptr_t gridZ, intptr_t blockX,
                                        intptr_t blockY, intptr_t blockZ,
                                        int32_t smem, void *stream,
                                        void **params, void **extra) {
  LaunchShape shape;
  if (!makeShape(gridX, gridY, gridZ, blockX, blockY, blockZ, shape) ||
      shape.empty)
    return;
  unsigned cluster[3];
  if (!launchDim(clusterX, 65535, "clusterX", cluster[0]) ||
      !launchDim(clusterY, 65535, "clusterY", cluster[1]) ||
      !launchDim(clusterZ, 65535, "clusterZ", cluster[2]))
    return;
  if (!function) {
    recordError("mgpuLaunchClusterKernel: null function");
    return;
  }
  const Driver *d = withContext("mgpuLaunchClusterKernel");
  if (!d)
    return;
  if (!d->cuLaunchKernelEx) {
    recordError("mgpuLaunchClusterKernel: the driver lacks cuLaunchKernelEx");
    return;
  }
  CUfunction f = static_cast<CUfunction>(function);
  if (!prepareSharedMemory(d, f, smem))
    return;
  if (static_cast<unsigned long long>(cluster[0]) * cluster[1] * cluster[2] >
          8 &&
      !check(d->cuFuncSetAttribute(
                 f, CU_FUNC_ATTRIBUTE_NON_PORTABLE_CLUSTER_SIZE_ALLOWED, 1),
             "cuFuncSetAttribute(NON_PORTABLE_CLUSTER_SIZE_ALLOWED)"))
    return;
  CUlaunchAttribute attribute;
  std::memset(&attribute, 0, sizeof(attribute));
  attribute.id = CU_LAUNCH_ATTRIBUTE_CLUSTER_DIMENSION;
  attribute.value.clusterDim.x = cluster[0];
  attribute.value.clusterDim.y = cluster[1];
  attribute.value.clusterDim.z = cluster[2];
  CUlaunchConfig config;
  std::memset(&config, 0, sizeof(config));
  config.gridDimX = shape.grid[0];
  config.gridDimY = shape.grid[1];
  config.gridDimZ = shape.grid[2];
  config.blockDimX = shape.block[0];
  config.blockDimY = shape.block[1];
  config.blockDimZ = shape.block[2];
  config.sharedMemBytes = static_cast<unsigned>(smem);
  config.hStream = asStream(stream);
  config.attrs = &attribute;
  config.numAttrs = 1;
  check(d->cuLaunchKernelEx(&config, f, params, extra),
        "mgpuLaunchClusterKernel (cuLaunchKernelEx)");
}

//===----------------------------------------------------------------------===//
// Streams and events
//===----------------------------------------------------------------------===//

extern "C" void *mgpuStreamCreate(void) {
  const Driver *d = withContext("mgpuStreamCreate");
  if (!d)
    return nullptr;
  CUstream stream = nullptr;
  if (!check(d->cuStreamCreate(&stream, CU_STREAM_NON_BLOCKING),
             "mgpuStreamCreate"))
    return nullptr;
  return stream;
}

extern "C" void mgpuStreamDestroy(void *stream) {
  const Driver *d = withContext("mgpuStreamDestroy");
  if (d && stream)
    check(d->cuStreamDestroy(asStream(stream)), "mgpuStreamDestroy");
}

extern "C" void mgpuStreamSynchronize(void *stream) {
  if (const Driver *d = withContext("mgpuStreamSynchronize"))
    check(d->cuStreamSynchronize(asStream(stream)), "mgpuStreamSynchronize");
}

extern "C" void mgpuStreamWaitEvent(void *stream, void *event) {
  if (const Driver *d = withContext("mgpuStreamWaitEvent"))
    check(
        d->cuStreamWaitEvent(asStream(stream), static_cast<CUevent>(event), 0),
        "mgpuStreamWaitEvent");
}

extern "C" void *mgpuEventCreate(void) {
  const Driver *d = withContext("mgpuEventCreate");
  if (!d)
    return nullptr;
  CUevent event = nullptr;
  if (!check(d->cuEventCreate(&event, CU_EVENT_DISABLE_TIMING),
             "mgpuEventCreate"))
    return nullptr;
  return event;
}

extern "C" void mgpuEventDestroy(void *event) {
  const Driver *d = withContext("mgpuEventDestroy");
  if (d && event)
    check(d->cuEventDestroy(static_cast<CUevent>(event)), "mgpuEventDestroy");
}

extern "C" void mgpuEventSynchronize(void *event) {
  if (const Driver *d = withContext("mgpuEventSynchronize"))
    check(d->cuEventSynchronize(static_cast<CUevent>(event)),
          "mgpuEventSynchronize");
}

extern "C" void mgpuEventRecord(void *event, void *stream) {
  if (const Driver *d = withContext("mgpuEventRecord"))
    check(d->cuEventRecord(static_cast<CUevent>(event), asStream(stream)),
          "mgpuEventRecord");
}

//===----------------------------------------------------------------------===//
// Memory
//===----------------------------------------------------------------------===//

extern "C" void *mgpuMemAlloc(uint64_t sizeBytes, void *stream,
                              bool isHostShared) {
  if (sizeBytes == 0)
    return nullptr;
  const Driver *d = withContext("mgpuMemAlloc");
  if (!d)
    return nullptr;
  CUdeviceptr ptr = 0;
  size_t bytes = static_cast<size_t>(sizeBytes);
  if (!isHostShared && stream && d->cuMemAllocAsync) {
    if (!check(d->cuMemAllocAsync(&ptr, bytes, asStream(stream)),
               "mgpuMemAlloc (cuMemAllocAsync)"))
      return nullptr;
    return reinterpret_cast<void *>(ptr);
  }
  bool ok =
      isHostShared
          ? check(d->cuMemAllocManaged(&ptr, bytes, CU_MEM_ATTACH_GLOBAL),
                  "mgpuMemAlloc (cuMemAllocManaged)")
          : check(d->cuMemAlloc(&ptr, bytes), "mgpuMemAlloc (cuMemAlloc)");
  if (!ok)
    return nullptr;
  SyncAllocations &sync = syncAllocations();
  std::lock_guard<std::mutex> lock(sync.mutex);
  sync.pointers.insert(ptr);
  return reinterpret_cast<void *>(ptr);
}

extern "C" void mgpuMemFree(void *ptr, void *stream) {
  if (!ptr)
    return;
  const Driver *d = withContext("mgpuMemFree");
  if (!d)
    return;
  CUdeviceptr p = asDevicePtr(ptr);
  bool wasSync;
  {
    SyncAllocations &sync = syncAllocations();
    std::lock_guard<std::mutex> lock(sync.mutex);
    wasSync = sync.pointers.erase(p) != 0;
  }
  if (!wasSync && stream && d->cuMemFreeAsync) {
    check(d->cuMemFreeAsync(p, asStream(stream)),
          "mgpuMemFree (cuMemFreeAsync)");
    return;
  }
  if (stream && !wasSync)
    check(d->cuStreamSynchronize(asStream(stream)), "mgpuMemFree (sync)");
  check(d->cuMemFree(p), "mgpuMemFree (cuMemFree)");
}

extern "C" void mgpuMemcpy(void *dst, void *src, size_t sizeBytes,
                           void *stream) {
  if (sizeBytes == 0)
    return;
  if (const Driver *d = withContext("mgpuMemcpy"))
    check(d->cuMemcpyAsync(asDevicePtr(dst), asDevicePtr(src), sizeBytes,
                           asStream(stream)),
          "mgpuMemcpy (cuMemcpyAsync)");
}

extern "C" void mgpuMemset32(void *dst, unsigned int value, size_t count,
                             void *stream) {
  if (count == 0)
    return;
  if (const Driver *d = withContext("mgpuMemset32"))
    check(d->cuMemsetD32Async(asDevicePtr(dst), value, count, asStream(stream)),
          "mgpuMemset32");
}

extern "C" void mgpuMemset16(void *dst, unsigned short value, size_t count,
                             void *stream) {
  if (count == 0)
    return;
  if (const Driver *d = withContext("mgpuMemset16"))
    check(d->cuMemsetD16Async(asDevicePtr(dst), value, count, asStream(stream)),
          "mgpuMemset16");
}

extern "C" void mgpuSetDefaultDevice(int32_t device) {
  defaultDevice() = device;
}

//===----------------------------------------------------------------------===//
// Tensor maps (TMA)
//===----------------------------------------------------------------------===//

/// The device copy of `map`: one per distinct descriptor, kept for the
/// process (kernels read tensor maps from global memory).
///
/// A new descriptor may come while the caller's stream is being captured:
/// the buffers of a compiled function, allocated stream-ordered inside a
/// capture, get new addresses, hence new descriptors. The copy is therefore
/// always made with allocateUncaptured (it is a once-per-descriptor slow
/// path): a plain cuMemAlloc and synchronous cuMemcpyHtoD would fail and
/// invalidate the capture.
static void *deviceCopy(const Driver *d, const CUtensorMap &map,
                        const char *caller) {
  std::array<uint64_t, 16> key;
  std::memcpy(key.data(), map.opaque, sizeof(map.opaque));
  TensorMapCache &cache = tensorMapCache();
  std::lock_guard<std::mutex> lock(cache.mutex);
  auto it = cache.copies.find(key);
  if (it != cache.copies.end())
    return reinterpret_cast<void *>(it->second);
  // `map` outlives the copy from it: allocateUncaptured waits for it.
  CUdeviceptr copy = allocateUncaptured(
      d, cache.uploadStreams, sizeof(map), caller, "cuMemcpyHtoDAsync",
      [&](CUdeviceptr pointer, CUstream stream) {
        return d->cuMemcpyHtoDAsync(pointer, &map, sizeof(map), stream);
      });
  if (!copy)
    return nullptr;
  cache.copies.emplace(key, copy);
  return reinterpret_cast<void *>(copy);
}

extern "C" void *
mgpuTensorMapEncodeTiledMemref(int64_t tensorRank, void *descriptor,
                               int64_t tensorDataType, int64_t interleave,
                               int64_t swizzle, int64_t l2Promotion,
                               int64_t oobFill, int64_t *inputBoxDims) {
  // Element sizes of CUtensorMapDataType 0..12 (UINT8 ... TFLOAT32_FTZ).
  static const int elementBytes[] = {1, 2, 4, 4, 8, 8, 2, 4, 8, 2, 4, 4, 4};
  if (tensorRank < 1 || tensorRank > 5 || !descriptor || !inputBoxDims ||
      tensorDataType < 0 || tensorDataType > 12) {
    recordError("mgpuTensorMapEncodeTiledMemref: unsupported arguments (rank " +
                std::to_string(static_cast<long long>(tensorRank)) +
                ", data type " +
                std::to_string(static_cast<long long>(tensorDataType)) + ")");
    return nullptr;
  }
  const Driver *d = withContext("mgpuTensorMapEncodeTiledMemref");
  if (!d)
    return nullptr;
  if (!d->cuTensorMapEncodeTiled) {
    recordError("mgpuTensorMapEncodeTiledMemref: the driver lacks "
                "cuTensorMapEncodeTiled");
    return nullptr;
  }
  // The ranked memref descriptor: {allocated, aligned, offset, sizes[rank],
  // strides[rank]}. The tensor map lists dimensions innermost first.
  struct Header {
    char *allocated;
    char *aligned;
    int64_t offset;
  };
  const Header *header = static_cast<const Header *>(descriptor);
  const int64_t *sizes = reinterpret_cast<const int64_t *>(header + 1);
  const int64_t *strides = sizes + tensorRank;
  const int64_t elem = elementBytes[tensorDataType];
  const int rank = static_cast<int>(tensorRank);
  uint64_t globalDim[5] = {0}, globalStrides[5] = {0};
  unsigned boxDim[5] = {0}, elementStrides[5] = {0};
  for (int r = 0; r < rank; ++r) {
    globalDim[r] = static_cast<uint64_t>(sizes[rank - 1 - r]);
    boxDim[r] = static_cast<unsigned>(inputBoxDims[rank - 1 - r]);
    elementStrides[r] = 1;
  }
  for (int r = 0; r + 1 < rank; ++r)
    globalStrides[r] = static_cast<uint64_t>(strides[rank - 2 - r] * elem);
  void *address = header->aligned + header->offset * elem;
  CUtensorMap map;
  std::memset(&map, 0, sizeof(map));
  if (!check(d->cuTensorMapEncodeTiled(
                 &map, static_cast<int>(tensorDataType),
                 static_cast<unsigned>(rank), address, globalDim, globalStrides,
                 boxDim, elementStrides, static_cast<int>(interleave),
                 static_cast<int>(swizzle), static_cast<int>(l2Promotion),
                 static_cast<int>(oobFill)),
             "mgpuTensorMapEncodeTiledMemref (cuTensorMapEncodeTiled)"))
    return nullptr;
  return deviceCopy(d, map, "mgpuTensorMapEncodeTiledMemref");
}

extern "C" void *vllmrtWorkspace(uint64_t sizeBytes, void *stream) {
  if (sizeBytes == 0) {
    recordError("vllmrtWorkspace: zero bytes asked for");
    return nullptr;
  }
  const Driver *d = withContext("vllmrtWorkspace");
  if (!d)
    return nullptr;
  CUstream cuStream = asStream(stream);
  int status = CU_STREAM_CAPTURE_STATUS_NONE;
  unsigned long long captureId = 0;
  CUresult infoResult = 0;
  if (d->cuStreamGetCaptureInfoV3) {
    infoResult = d->cuStreamGetCaptureInfoV3(
        cuStream, &status, &captureId, nullptr, nullptr, nullptr, nullptr);
  } else if (d->cuStreamGetCaptureInfoV2) {
    infoResult = d->cuStreamGetCaptureInfoV2(cuStream, &status, &captureId,
                                             nullptr, nullptr, nullptr);
  } else {
    recordError("vllmrtWorkspace: the driver has no cuStreamGetCaptureInfo");
    return nullptr;
  }
  if (!check(infoResult, "vllmrtWorkspace (cuStreamGetCaptureInfo)"))
    return nullptr;
  bool capturing = status == CU_STREAM_CAPTURE_STATUS_ACTIVE;
  if (!capturing)
    captureId = 0;
  CUcontext context = nullptr;
  if (!check(d->cuCtxGetCurrent(&context), "vllmrtWorkspace (cuCtxGetCurrent)"))
    return nullptr;
  WorkspaceCache &cache = workspaceCache();
  std::lock_guard<std::mutex> lock(cache.mutex);
  Workspace &entry = cache.current[{context, cuStream, captureId}];
  size_t bytes = static_cast<size_t>(sizeBytes);
  if (entry.bytes >= bytes)
    return reinterpret_cast<void *>(entry.pointer);
  CUdeviceptr pointer = 0;
  if (capturing) {
    // Made and zeroed once, now, not as part of the graph (every replay
    // uses this buffer).
    pointer = allocateUncaptured(
        d, cache.zeroingStreams, bytes, "vllmrtWorkspace", "cuMemsetD8Async",
        [&](CUdeviceptr p, CUstream zeroing) {
          return d->cuMemsetD8Async(p, 0, bytes, zeroing);
        });
    if (!pointer)
      return nullptr;
  } else {
    // Zeroed on the stream, before any kernel the caller queues after this
    // call.
    if (!check(d->cuMemAlloc(&pointer, bytes), "vllmrtWorkspace (cuMemAlloc)"))
      return nullptr;
    if (!check(d->cuMemsetD8Async(pointer, 0, bytes, cuStream),
               "vllmrtWorkspace (cuMemsetD8Async)")) {
      d->cuMemFree(pointer);
      return nullptr;
    }
  }
  if (entry.pointer)
    cache.retired.push_back(entry.pointer);
  entry.pointer = pointer;
  entry.bytes = bytes;
  return reinterpret_cast<void *>(pointer);
}

extern "C" void *vllmrtTensorMapEncode2d(void *base, int64_t innerDim,
                                         int64_t outerDim,
                                         int64_t outerStrideBytes,
                                         int64_t boxInner, int64_t boxOuter,
                                         int64_t tensorDataType,
                                         int64_t swizzle) {
  if (!base || innerDim < 1 || outerDim < 1 || outerStrideBytes < 1 ||
      boxInner < 1 || boxInner > 256 || boxOuter < 1 || boxOuter > 256 ||
      tensorDataType < 0 || tensorDataType > 12 || swizzle < 0 || swizzle > 3) {
    recordError("vllmrtTensorMapEncode2d: unsupported arguments");
    return nullptr;
  }
  const Driver *d = withContext("vllmrtTensorMapEncode2d");
  if (!d)
    return nullptr;
  if (!d->cuTensorMapEncodeTiled) {
    recordError("vllmrtTensorMapEncode2d: the driver lacks "
                "cuTensorMapEncodeTiled");
    return nullptr;
  }
  uint64_t globalDim[2] = {static_cast<uint64_t>(innerDim),
                           static_cast<uint64_t>(outerDim)};
  uint64_t globalStrides[1] = {static_cast<uint64_t>(outerStrideBytes)};
  unsigned boxDim[2] = {static_cast<unsigned>(boxInner),
                        static_cast<unsigned>(boxOuter)};
  unsigned elementStrides[2] = {1, 1};
  CUtensorMap map;
  std::memset(&map, 0, sizeof(map));
  // Interleave none (0), L2 promotion 256 bytes (3), out-of-bounds
  // elements filled with zeros (0).
  if (!check(d->cuTensorMapEncodeTiled(&map, static_cast<int>(tensorDataType),
                                       2, base, globalDim, globalStrides,
                                       boxDim, elementStrides, 0,
                                       static_cast<int>(swizzle), 3, 0),
             "vllmrtTensorMapEncode2d (cuTensorMapEncodeTiled)"))
    return nullptr;
  return deviceCopy(d, map, "vllmrtTensorMapEncode2d");
}
