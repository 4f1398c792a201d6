//===- CudaDriver.cpp - Loading libcuda and recording errors --------------===//
//
// Part of the vllm-mlir project.
//
//===----------------------------------------------------------------------===//
//
// libcuda.so.1 is opened on first use (the environment variable
// VLLMRT_LIBCUDA names another file, for tests). A missing library, a stub
// library, a driver without devices: each leaves driver() null with a reason,
// and each later call records an error rather than aborting.
//
// Errors are process-wide: the generated host code calls the mgpu* wrappers
// from whatever thread runs a compiled function, and the host that checks
// for errors afterwards may be another thread. The first error since the
// last clear is kept and printed once to stderr (VLLMRT_VERBOSE=1 prints
// every one).
//
//===----------------------------------------------------------------------===//

#include "CudaDriver.h"

#include <cstdio>
#include <cstdlib>
#include <dlfcn.h>
#include <mutex>

namespace vllmrt {
namespace cu {

namespace {

struct LoaderState {
  Driver driver{};
  bool available = false;
  std::string reason;
};

struct ErrorState {
  std::mutex mutex;
  std::string first;
  int count = 0;
};

constexpr int kMaxDevices = 64;

struct ContextState {
  std::mutex mutex;
  CUcontext primary[kMaxDevices] = {};
};

// Allocated once and never destroyed: kernel libraries unload their modules
// from global destructors, which may run after this library's statics are
// gone.
LoaderState &loader() {
  static LoaderState *s = new LoaderState;
  return *s;
}
ErrorState &errors() {
  static ErrorState *s = new ErrorState;
  return *s;
}
ContextState &contexts() {
  static ContextState *s = new ContextState;
  return *s;
}

bool verbose() {
  static const bool v = [] {
    const char *e = std::getenv("VLLMRT_VERBOSE");
    return e && *e && *e != '0';
  }();
  return v;
}

template <typename Fn>
void resolve(void *handle, Fn &fn, const char *name, std::string *missing) {
  fn = reinterpret_cast<Fn>(dlsym(handle, name));
  if (!fn && missing)
    *missing += std::string(missing->empty() ? "" : ", ") + name;
}

/// Names of the errors a driver without devices returns, for when even
/// cuGetErrorName is unusable (a stub libcuda).
const char *fallbackName(CUresult result) {
  switch (result) {
  case 3:
    return "CUDA_ERROR_NOT_INITIALIZED";
  case 34:
    return "CUDA_ERROR_STUB_LIBRARY";
  case 35:
    return "CUDA_ERROR_INSUFFICIENT_DRIVER";
  case 100:
    return "CUDA_ERROR_NO_DEVICE";
  case 999:
    return "CUDA_ERROR_UNKNOWN";
  default:
    return nullptr;
  }
}

std::string describe(const Driver &d, CUresult result) {
  const char *name = nullptr, *text = nullptr;
  if (d.cuGetErrorName && d.cuGetErrorName(result, &name) != CUDA_SUCCESS)
    name = nullptr;
  if (d.cuGetErrorString && d.cuGetErrorString(result, &text) != CUDA_SUCCESS)
    text = nullptr;
  if (!name)
    name = fallbackName(result);
  std::string s = name ? name : "CUDA error " + std::to_string(result);
  if (text)
    s += std::string(" (") + text + ")";
  return s;
}

void initialize(LoaderState &s) {
  const char *path = std::getenv("VLLMRT_LIBCUDA");
  if (!path || !*path)
    path = "libcuda.so.1";
  void *handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
  if (!handle) {
    const char *why = dlerror();
    s.reason = std::string("cannot load ") + path + ": " + (why ? why : "?");
    return;
  }
  Driver &d = s.driver;
  std::string missing;
  resolve(handle, d.cuInit, "cuInit", &missing);
  resolve(handle, d.cuDriverGetVersion, "cuDriverGetVersion", &missing);
  resolve(handle, d.cuGetErrorName, "cuGetErrorName", &missing);
  resolve(handle, d.cuGetErrorString, "cuGetErrorString", &missing);
  resolve(handle, d.cuDeviceGet, "cuDeviceGet", &missing);
  resolve(handle, d.cuDeviceGetCount, "cuDeviceGetCount", &missing);
  resolve(handle, d.cuDeviceGetName, "cuDeviceGetName", &missing);
  resolve(handle, d.cuDeviceGetAttribute, "cuDeviceGetAttribute", &missing);
  resolve(handle, d.cuDeviceTotalMem, "cuDeviceTotalMem_v2", &missing);
  resolve(handle, d.cuDevicePrimaryCtxRetain, "cuDevicePrimaryCtxRetain",
          &missing);
  resolve(handle, d.cuCtxSetCurrent, "cuCtxSetCurrent", &missing);
  resolve(handle, d.cuCtxGetCurrent, "cuCtxGetCurrent", &missing);
  resolve(handle, d.cuCtxSynchronize, "cuCtxSynchronize", &missing);
  resolve(handle, d.cuCtxGetDevice, "cuCtxGetDevice", &missing);
  resolve(handle, d.cuCtxPushCurrent, "cuCtxPushCurrent_v2", &missing);
  resolve(handle, d.cuCtxPopCurrent, "cuCtxPopCurrent_v2", &missing);
  resolve(handle, d.cuDevicePrimaryCtxRelease, "cuDevicePrimaryCtxRelease_v2",
          &missing);
  resolve(handle, d.cuCtxEnablePeerAccess, "cuCtxEnablePeerAccess", &missing);
  resolve(handle, d.cuPointerGetAttribute, "cuPointerGetAttribute", &missing);
  resolve(handle, d.cuIpcGetMemHandle, "cuIpcGetMemHandle", &missing);
  resolve(handle, d.cuIpcOpenMemHandle, "cuIpcOpenMemHandle_v2", &missing);
  resolve(handle, d.cuIpcCloseMemHandle, "cuIpcCloseMemHandle", &missing);
  resolve(handle, d.cuModuleLoadDataEx, "cuModuleLoadDataEx", &missing);
  resolve(handle, d.cuModuleUnload, "cuModuleUnload", &missing);
  resolve(handle, d.cuModuleGetFunction, "cuModuleGetFunction", &missing);
  resolve(handle, d.cuFuncSetAttribute, "cuFuncSetAttribute", &missing);
  resolve(handle, d.cuLaunchKernel, "cuLaunchKernel", &missing);
  resolve(handle, d.cuLaunchKernelEx, "cuLaunchKernelEx", nullptr);
  resolve(handle, d.cuStreamCreate, "cuStreamCreate", &missing);
  resolve(handle, d.cuStreamDestroy, "cuStreamDestroy_v2", &missing);
  resolve(handle, d.cuStreamSynchronize, "cuStreamSynchronize", &missing);
  resolve(handle, d.cuStreamWaitEvent, "cuStreamWaitEvent", &missing);
  resolve(handle, d.cuStreamGetCaptureInfoV2, "cuStreamGetCaptureInfo_v2",
          nullptr);
  resolve(handle, d.cuStreamGetCaptureInfoV3, "cuStreamGetCaptureInfo_v3",
          nullptr);
  resolve(handle, d.cuThreadExchangeStreamCaptureMode,
          "cuThreadExchangeStreamCaptureMode", &missing);
  resolve(handle, d.cuStreamBeginCapture, "cuStreamBeginCapture_v2", &missing);
  resolve(handle, d.cuStreamEndCapture, "cuStreamEndCapture", &missing);
  resolve(handle, d.cuGraphInstantiateWithFlags, "cuGraphInstantiateWithFlags",
          &missing);
  resolve(handle, d.cuGraphLaunch, "cuGraphLaunch", &missing);
  resolve(handle, d.cuGraphExecDestroy, "cuGraphExecDestroy", &missing);
  resolve(handle, d.cuGraphDestroy, "cuGraphDestroy", &missing);
  resolve(handle, d.cuEventCreate, "cuEventCreate", &missing);
  resolve(handle, d.cuEventDestroy, "cuEventDestroy_v2", &missing);
  resolve(handle, d.cuEventRecord, "cuEventRecord", &missing);
  resolve(handle, d.cuEventSynchronize, "cuEventSynchronize", &missing);
  // CUDA 12.8 added a _v2 (the one cuda.h 13 maps to); older drivers only
  // have the original.
  resolve(handle, d.cuEventElapsedTime, "cuEventElapsedTime_v2", nullptr);
  if (!d.cuEventElapsedTime)
    resolve(handle, d.cuEventElapsedTime, "cuEventElapsedTime", &missing);
  resolve(handle, d.cuMemAlloc, "cuMemAlloc_v2", &missing);
  resolve(handle, d.cuMemAllocManaged, "cuMemAllocManaged", &missing);
  resolve(handle, d.cuMemAllocAsync, "cuMemAllocAsync", nullptr);
  resolve(handle, d.cuMemFree, "cuMemFree_v2", &missing);
  resolve(handle, d.cuMemFreeAsync, "cuMemFreeAsync", nullptr);
  resolve(handle, d.cuMemGetInfo, "cuMemGetInfo_v2", &missing);
  resolve(handle, d.cuMemcpyHtoD, "cuMemcpyHtoD_v2", &missing);
  resolve(handle, d.cuMemcpyHtoDAsync, "cuMemcpyHtoDAsync_v2", &missing);
  resolve(handle, d.cuMemcpyDtoH, "cuMemcpyDtoH_v2", &missing);
  resolve(handle, d.cuMemcpyDtoD, "cuMemcpyDtoD_v2", &missing);
  resolve(handle, d.cuMemcpyAsync, "cuMemcpyAsync", &missing);
  resolve(handle, d.cuMemsetD8, "cuMemsetD8_v2", &missing);
  resolve(handle, d.cuMemsetD8Async, "cuMemsetD8Async", &missing);
  resolve(handle, d.cuMemsetD16Async, "cuMemsetD16Async", &missing);
  resolve(handle, d.cuMemsetD32Async, "cuMemsetD32Async", &missing);
  resolve(handle, d.cuTensorMapEncodeTiled, "cuTensorMapEncodeTiled", nullptr);
  if (!missing.empty()) {
    s.reason = std::string(path) + " lacks " + missing;
    return;
  }
  CUresult result = d.cuInit(0);
  if (result != CUDA_SUCCESS) {
    // A stub libcuda (CUDA_ERROR_STUB_LIBRARY) or no device lands here.
    s.reason = "cuInit failed: " + describe(d, result);
    return;
  }
  int count = 0;
  result = d.cuDeviceGetCount(&count);
  if (result != CUDA_SUCCESS) {
    s.reason = "cuDeviceGetCount failed: " + describe(d, result);
    return;
  }
  if (count == 0) {
    s.reason = "no CUDA device";
    return;
  }
  s.available = true;
}

LoaderState &loaded() {
  static std::once_flag once;
  std::call_once(once, [] { initialize(loader()); });
  return loader();
}

} // namespace

const Driver *driver() {
  LoaderState &s = loaded();
  return s.available ? &s.driver : nullptr;
}

const std::string &unavailableReason() { return loaded().reason; }

void recordError(const std::string &message) {
  ErrorState &e = errors();
  std::lock_guard<std::mutex> lock(e.mutex);
  ++e.count;
  if (e.first.empty()) {
    e.first = message;
    std::fprintf(stderr, "vllm-runtime: error: %s\n", message.c_str());
  } else if (verbose()) {
    std::fprintf(stderr, "vllm-runtime: error: %s\n", message.c_str());
  }
}

bool check(CUresult result, const char *what) {
  if (result == CUDA_SUCCESS)
    return true;
  recordError(std::string(what) +
              " failed: " + describe(loader().driver, result));
  return false;
}

std::string firstError() {
  ErrorState &e = errors();
  std::lock_guard<std::mutex> lock(e.mutex);
  return e.first;
}

int clearErrors() {
  ErrorState &e = errors();
  std::lock_guard<std::mutex> lock(e.mutex);
  int n = e.count;
  e.count = 0;
  e.first.clear();
  return n;
}

int &defaultDevice() {
  thread_local int device = 0;
  return device;
}

const Driver *withContext(const char *what) {
  const Driver *d = driver();
  if (!d) {
    recordError(std::string(what) +
                ": CUDA driver unavailable: " + unavailableReason());
    return nullptr;
  }
  CUcontext current = nullptr;
  if (!check(d->cuCtxGetCurrent(&current), what))
    return nullptr;
  // A context made current by the host (PyTorch's, for instance, which is
  // the same primary context) is respected.
  if (current)
    return d;
  int ordinal = defaultDevice();
  if (ordinal < 0 || ordinal >= kMaxDevices) {
    recordError(std::string(what) + ": invalid device ordinal " +
                std::to_string(ordinal));
    return nullptr;
  }
  ContextState &c = contexts();
  CUcontext context = nullptr;
  {
    std::lock_guard<std::mutex> lock(c.mutex);
    if (!c.primary[ordinal]) {
      CUdevice device = 0;
      if (!check(d->cuDeviceGet(&device, ordinal), "cuDeviceGet"))
        return nullptr;
      CUcontext retained = nullptr;
      if (!check(d->cuDevicePrimaryCtxRetain(&retained, device),
                 "cuDevicePrimaryCtxRetain"))
        return nullptr;
      c.primary[ordinal] = retained;
    }
    context = c.primary[ordinal];
  }
  if (!check(d->cuCtxSetCurrent(context), "cuCtxSetCurrent"))
    return nullptr;
  return d;
}

} // namespace cu
} // namespace vllmrt
