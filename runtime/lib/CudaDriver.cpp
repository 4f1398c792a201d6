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
#include "DynamicLibrary.h"

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
  const char *path = nullptr;
  void *handle = openLibrary("VLLMRT_LIBCUDA", "libcuda.so.1", path, s.reason);
  if (!handle)
    return;
  Driver &d = s.driver;
  std::string missing;
  resolveSymbol(handle, d.cuInit, "cuInit", &missing);
  resolveSymbol(handle, d.cuDriverGetVersion, "cuDriverGetVersion", &missing);
  resolveSymbol(handle, d.cuGetErrorName, "cuGetErrorName", &missing);
  resolveSymbol(handle, d.cuGetErrorString, "cuGetErrorString", &missing);
  resolveSymbol(handle, d.cuDeviceGet, "cuDeviceGet", &missing);
  resolveSymbol(handle, d.cuDeviceGetCount, "cuDeviceGetCount", &missing);
  resolveSymbol(handle, d.cuDeviceGetName, "cuDeviceGetName", &missing);
  resolveSymbol(handle, d.cuDeviceGetAttribute, "cuDeviceGetAttribute",
                &missing);
  resolveSymbol(handle, d.cuDeviceTotalMem, "cuDeviceTotalMem_v2", &missing);
  resolveSymbol(handle, d.cuDevicePrimaryCtxRetain, "cuDevicePrimaryCtxRetain",
                &missing);
  resolveSymbol(handle, d.cuCtxSetCurrent, "cuCtxSetCurrent", &missing);
  resolveSymbol(handle, d.cuCtxGetCurrent, "cuCtxGetCurrent", &missing);
  resolveSymbol(handle, d.cuCtxSynchronize, "cuCtxSynchronize", &missing);
  resolveSymbol(handle, d.cuCtxGetDevice, "cuCtxGetDevice", &missing);
  resolveSymbol(handle, d.cuCtxPushCurrent, "cuCtxPushCurrent_v2", &missing);
  resolveSymbol(handle, d.cuCtxPopCurrent, "cuCtxPopCurrent_v2", &missing);
  resolveSymbol(handle, d.cuDevicePrimaryCtxRelease,
                "cuDevicePrimaryCtxRelease_v2", &missing);
  resolveSymbol(handle, d.cuCtxEnablePeerAccess, "cuCtxEnablePeerAccess",
                &missing);
  resolveSymbol(handle, d.cuPointerGetAttribute, "cuPointerGetAttribute",
                &missing);
  resolveSymbol(handle, d.cuIpcGetMemHandle, "cuIpcGetMemHandle", &missing);
  resolveSymbol(handle, d.cuIpcOpenMemHandle, "cuIpcOpenMemHandle_v2",
                &missing);
  resolveSymbol(handle, d.cuIpcCloseMemHandle, "cuIpcCloseMemHandle", &missing);
  resolveSymbol(handle, d.cuModuleLoadDataEx, "cuModuleLoadDataEx", &missing);
  resolveSymbol(handle, d.cuModuleUnload, "cuModuleUnload", &missing);
  resolveSymbol(handle, d.cuModuleGetFunction, "cuModuleGetFunction", &missing);
  resolveSymbol(handle, d.cuFuncSetAttribute, "cuFuncSetAttribute", &missing);
  resolveSymbol(handle, d.cuLaunchKernel, "cuLaunchKernel", &missing);
  resolveSymbol(handle, d.cuLaunchKernelEx, "cuLaunchKernelEx", nullptr);
  resolveSymbol(handle, d.cuStreamCreate, "cuStreamCreate", &missing);
  resolveSymbol(handle, d.cuStreamDestroy, "cuStreamDestroy_v2", &missing);
  resolveSymbol(handle, d.cuStreamSynchronize, "cuStreamSynchronize", &missing);
  resolveSymbol(handle, d.cuStreamWaitEvent, "cuStreamWaitEvent", &missing);
  resolveSymbol(handle, d.cuStreamGetCaptureInfoV2, "cuStreamGetCaptureInfo_v2",
                nullptr);
  resolveSymbol(handle, d.cuStreamGetCaptureInfoV3, "cuStreamGetCaptureInfo_v3",
                nullptr);
  resolveSymbol(handle, d.cuThreadExchangeStreamCaptureMode,
                "cuThreadExchangeStreamCaptureMode", &missing);
  resolveSymbol(handle, d.cuStreamBeginCapture, "cuStreamBeginCapture_v2",
                &missing);
  resolveSymbol(handle, d.cuStreamEndCapture, "cuStreamEndCapture", &missing);
  resolveSymbol(handle, d.cuGraphInstantiateWithFlags,
                "cuGraphInstantiateWithFlags", &missing);
  resolveSymbol(handle, d.cuGraphLaunch, "cuGraphLaunch", &missing);
  resolveSymbol(handle, d.cuGraphExecDestroy, "cuGraphExecDestroy", &missing);
  resolveSymbol(handle, d.cuGraphDestroy, "cuGraphDestroy", &missing);
  resolveSymbol(handle, d.cuEventCreate, "cuEventCreate", &missing);
  resolveSymbol(handle, d.cuEventDestroy, "cuEventDestroy_v2", &missing);
  resolveSymbol(handle, d.cuEventRecord, "cuEventRecord", &missing);
  resolveSymbol(handle, d.cuEventSynchronize, "cuEventSynchronize", &missing);
  // CUDA 12.8 added a _v2 (the one cuda.h 13 maps to); older drivers only
  // have the original.
  resolveSymbol(handle, d.cuEventElapsedTime, "cuEventElapsedTime_v2", nullptr);
  if (!d.cuEventElapsedTime)
    resolveSymbol(handle, d.cuEventElapsedTime, "cuEventElapsedTime", &missing);
  resolveSymbol(handle, d.cuMemAlloc, "cuMemAlloc_v2", &missing);
  resolveSymbol(handle, d.cuMemAllocManaged, "cuMemAllocManaged", &missing);
  resolveSymbol(handle, d.cuMemAllocAsync, "cuMemAllocAsync", nullptr);
  resolveSymbol(handle, d.cuMemFree, "cuMemFree_v2", &missing);
  resolveSymbol(handle, d.cuMemFreeAsync, "cuMemFreeAsync", nullptr);
  resolveSymbol(handle, d.cuMemGetInfo, "cuMemGetInfo_v2", &missing);
  resolveSymbol(handle, d.cuMemcpyHtoD, "cuMemcpyHtoD_v2", &missing);
  resolveSymbol(handle, d.cuMemcpyHtoDAsync, "cuMemcpyHtoDAsync_v2", &missing);
  resolveSymbol(handle, d.cuMemcpyDtoH, "cuMemcpyDtoH_v2", &missing);
  resolveSymbol(handle, d.cuMemcpyDtoD, "cuMemcpyDtoD_v2", &missing);
  resolveSymbol(handle, d.cuMemcpyAsync, "cuMemcpyAsync", &missing);
  resolveSymbol(handle, d.cuMemsetD8, "cuMemsetD8_v2", &missing);
  resolveSymbol(handle, d.cuMemsetD8Async, "cuMemsetD8Async", &missing);
  resolveSymbol(handle, d.cuMemsetD16Async, "cuMemsetD16Async", &missing);
  resolveSymbol(handle, d.cuMemsetD32Async, "cuMemsetD32Async", &missing);
  resolveSymbol(handle, d.cuTensorMapEncodeTiled, "cuTensorMapEncodeTiled",
                nullptr);
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

LoaderState &loaded() { return loadOnce<LoaderState, initialize>(); }

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
              " failed: " + describe(loaded().driver, result));
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
