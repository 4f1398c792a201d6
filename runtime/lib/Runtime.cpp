//===- Runtime.cpp - C API for hosts and tests ----------------------------===//
//
// Part of the vllm-mlir project.
//
//===----------------------------------------------------------------------===//

#include "vllm-runtime/Runtime.h"

#include "CudaDriver.h"

#include <cstring>
#include <string>

using namespace vllmrt::cu;

namespace {

CUdeviceptr asDevicePtr(const void *p) {
  return reinterpret_cast<CUdeviceptr>(p);
}

int status(bool ok) { return ok ? 0 : 1; }

/// cuMemcpyHtoD from pageable memory, cuMemcpyDtoD and cuMemsetD8 may return
/// before the device is done (they run on the legacy default stream, which a
/// non-blocking stream does not wait for); these helpers promise completion.
bool finish(const Driver *d, bool ok, const char *what) {
  return ok && check(d->cuCtxSynchronize(), what);
}

} // namespace

extern "C" int vllmrtInit(void) {
  if (driver())
    return 0;
  recordError("vllmrtInit: CUDA driver unavailable: " + unavailableReason());
  return 1;
}

extern "C" int vllmrtIsGpuAvailable(void) { return driver() ? 1 : 0; }

extern "C" const char *vllmrtUnavailableReason(void) {
  return unavailableReason().c_str();
}

extern "C" int vllmrtGetDeviceInfo(vllmrtDeviceInfo *info) {
  if (!info)
    return 1;
  std::memset(info, 0, sizeof(*info));
  const Driver *d = withContext("vllmrtGetDeviceInfo");
  if (!d)
    return 1;
  CUdevice device = 0;
  info->ordinal = defaultDevice();
  if (!check(d->cuDeviceGet(&device, info->ordinal), "cuDeviceGet"))
    return 1;
  bool ok =
      check(d->cuDeviceGetName(info->name, sizeof(info->name) - 1, device),
            "cuDeviceGetName") &&
      check(d->cuDeviceGetAttribute(&info->multiprocessorCount,
                                    CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT,
                                    device),
            "cuDeviceGetAttribute") &&
      check(d->cuDeviceGetAttribute(
                &info->computeCapabilityMajor,
                CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, device),
            "cuDeviceGetAttribute") &&
      check(d->cuDeviceGetAttribute(
                &info->computeCapabilityMinor,
                CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR, device),
            "cuDeviceGetAttribute") &&
      check(d->cuDeviceGetAttribute(&info->l2CacheBytes,
                                    CU_DEVICE_ATTRIBUTE_L2_CACHE_SIZE, device),
            "cuDeviceGetAttribute") &&
      check(d->cuDriverGetVersion(&info->driverVersion),
            "cuDriverGetVersion") &&
      check(d->cuDeviceTotalMem(&info->totalMemoryBytes, device),
            "cuDeviceTotalMem");
  return status(ok);
}

extern "C" const char *vllmrtGetLastError(void) {
  thread_local std::string snapshot;
  snapshot = firstError();
  return snapshot.c_str();
}

extern "C" int vllmrtClearError(void) { return clearErrors(); }

//===----------------------------------------------------------------------===//
// Memory
//===----------------------------------------------------------------------===//

extern "C" void *vllmrtMalloc(size_t bytes) {
  const Driver *d = withContext("vllmrtMalloc");
  if (!d || bytes == 0)
    return nullptr;
  CUdeviceptr ptr = 0;
  if (!check(d->cuMemAlloc(&ptr, bytes), "vllmrtMalloc (cuMemAlloc)"))
    return nullptr;
  return reinterpret_cast<void *>(ptr);
}

extern "C" int vllmrtFree(void *devicePtr) {
  if (!devicePtr)
    return 0;
  const Driver *d = withContext("vllmrtFree");
  return status(d && check(d->cuMemFree(asDevicePtr(devicePtr)),
                           "vllmrtFree (cuMemFree)"));
}

extern "C" int vllmrtMemcpyHtoD(void *dst, const void *src, size_t bytes) {
  if (bytes == 0)
    return 0;
  const Driver *d = withContext("vllmrtMemcpyHtoD");
  return status(d && finish(d,
                            check(d->cuMemcpyHtoD(asDevicePtr(dst), src, bytes),
                                  "vllmrtMemcpyHtoD"),
                            "vllmrtMemcpyHtoD (synchronize)"));
}

extern "C" int vllmrtMemcpyDtoH(void *dst, const void *src, size_t bytes) {
  if (bytes == 0)
    return 0;
  const Driver *d = withContext("vllmrtMemcpyDtoH");
  return status(d && check(d->cuMemcpyDtoH(dst, asDevicePtr(src), bytes),
                           "vllmrtMemcpyDtoH"));
}

extern "C" int vllmrtMemcpyDtoD(void *dst, const void *src, size_t bytes) {
  if (bytes == 0)
    return 0;
  const Driver *d = withContext("vllmrtMemcpyDtoD");
  return status(d && finish(d,
                            check(d->cuMemcpyDtoD(asDevicePtr(dst),
                                                  asDevicePtr(src), bytes),
                                  "vllmrtMemcpyDtoD"),
                            "vllmrtMemcpyDtoD (synchronize)"));
}

extern "C" int vllmrtMemsetD8(void *dst, unsigned char value, size_t bytes) {
  if (bytes == 0)
    return 0;
  const Driver *d = withContext("vllmrtMemsetD8");
  return status(d && finish(d,
                            check(d->cuMemsetD8(asDevicePtr(dst), value, bytes),
                                  "vllmrtMemsetD8"),
                            "vllmrtMemsetD8 (synchronize)"));
}

extern "C" int vllmrtMemGetInfo(size_t *freeBytes, size_t *totalBytes) {
  size_t f = 0, t = 0;
  const Driver *d = withContext("vllmrtMemGetInfo");
  bool ok = d && check(d->cuMemGetInfo(&f, &t), "vllmrtMemGetInfo");
  if (freeBytes)
    *freeBytes = f;
  if (totalBytes)
    *totalBytes = t;
  return status(ok);
}

extern "C" int vllmrtDeviceSynchronize(void) {
  const Driver *d = withContext("vllmrtDeviceSynchronize");
  return status(d && check(d->cuCtxSynchronize(), "vllmrtDeviceSynchronize"));
}

//===----------------------------------------------------------------------===//
// Streams, events, graphs
//===----------------------------------------------------------------------===//

extern "C" void *vllmrtStreamCreate(void) {
  const Driver *d = withContext("vllmrtStreamCreate");
  CUstream stream = nullptr;
  if (!d || !check(d->cuStreamCreate(&stream, CU_STREAM_NON_BLOCKING),
                   "vllmrtStreamCreate"))
    return nullptr;
  return stream;
}

extern "C" int vllmrtStreamSynchronize(void *stream) {
  const Driver *d = withContext("vllmrtStreamSynchronize");
  return status(d &&
                check(d->cuStreamSynchronize(static_cast<CUstream>(stream)),
                      "vllmrtStreamSynchronize"));
}

extern "C" int vllmrtStreamDestroy(void *stream) {
  if (!stream)
    return 0;
  const Driver *d = withContext("vllmrtStreamDestroy");
  return status(d && check(d->cuStreamDestroy(static_cast<CUstream>(stream)),
                           "vllmrtStreamDestroy"));
}

extern "C" void *vllmrtEventCreate(void) {
  const Driver *d = withContext("vllmrtEventCreate");
  CUevent event = nullptr;
  if (!d ||
      !check(d->cuEventCreate(&event, CU_EVENT_DEFAULT), "vllmrtEventCreate"))
    return nullptr;
  return event;
}

extern "C" int vllmrtEventRecord(void *event, void *stream) {
  const Driver *d = withContext("vllmrtEventRecord");
  return status(d && check(d->cuEventRecord(static_cast<CUevent>(event),
                                            static_cast<CUstream>(stream)),
                           "vllmrtEventRecord"));
}

extern "C" int vllmrtEventSynchronize(void *event) {
  const Driver *d = withContext("vllmrtEventSynchronize");
  return status(d && check(d->cuEventSynchronize(static_cast<CUevent>(event)),
                           "vllmrtEventSynchronize"));
}

extern "C" int vllmrtEventElapsedMs(void *start, void *end, float *ms) {
  float value = 0.0f;
  const Driver *d = withContext("vllmrtEventElapsedMs");
  bool ok =
      d && check(d->cuEventElapsedTime(&value, static_cast<CUevent>(start),
                                       static_cast<CUevent>(end)),
                 "vllmrtEventElapsedMs");
  if (ms)
    *ms = value;
  return status(ok);
}

extern "C" int vllmrtEventDestroy(void *event) {
  if (!event)
    return 0;
  const Driver *d = withContext("vllmrtEventDestroy");
  return status(d && check(d->cuEventDestroy(static_cast<CUevent>(event)),
                           "vllmrtEventDestroy"));
}

extern "C" int vllmrtStreamBeginCapture(void *stream) {
  const Driver *d = withContext("vllmrtStreamBeginCapture");
  return status(
      d && check(d->cuStreamBeginCapture(static_cast<CUstream>(stream),
                                         CU_STREAM_CAPTURE_MODE_THREAD_LOCAL),
                 "vllmrtStreamBeginCapture"));
}

extern "C" void *vllmrtStreamEndCapture(void *stream) {
  const Driver *d = withContext("vllmrtStreamEndCapture");
  if (!d)
    return nullptr;
  CUgraph graph = nullptr;
  if (!check(d->cuStreamEndCapture(static_cast<CUstream>(stream), &graph),
             "vllmrtStreamEndCapture (cuStreamEndCapture)"))
    return nullptr;
  CUgraphExec exec = nullptr;
  bool ok = check(d->cuGraphInstantiateWithFlags(&exec, graph, 0),
                  "vllmrtStreamEndCapture (cuGraphInstantiateWithFlags)");
  check(d->cuGraphDestroy(graph), "vllmrtStreamEndCapture (cuGraphDestroy)");
  return ok ? exec : nullptr;
}

extern "C" int vllmrtGraphLaunch(void *graphExec, void *stream) {
  const Driver *d = withContext("vllmrtGraphLaunch");
  return status(d && check(d->cuGraphLaunch(static_cast<CUgraphExec>(graphExec),
                                            static_cast<CUstream>(stream)),
                           "vllmrtGraphLaunch"));
}

extern "C" int vllmrtGraphDestroy(void *graphExec) {
  if (!graphExec)
    return 0;
  const Driver *d = withContext("vllmrtGraphDestroy");
  return status(
      d && check(d->cuGraphExecDestroy(static_cast<CUgraphExec>(graphExec)),
                 "vllmrtGraphDestroy"));
}
