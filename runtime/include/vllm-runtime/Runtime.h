/*===- Runtime.h - vllm-mlir runtime: C API for hosts and tests ---*- C -*-===*\
|*                                                                            *|
|* Part of the vllm-mlir project.                                             *|
|*                                                                            *|
|*===----------------------------------------------------------------------===*|
|*                                                                            *|
|* libvllm_runtime.so runs code compiled by vllm-mlir: it implements the      *|
|* mgpu* functions the generated host code calls (see MgpuWrappers.h) on the  *|
|* CUDA driver API, which it loads at run time (dlopen "libcuda.so.1"). It    *|
|* never aborts: errors are recorded (the first since the last clear, with    *|
|* the CUDA error name and text) and printed once to stderr.                  *|
|*                                                                            *|
|* This header is the small C API hosts and tests use around compiled calls:  *|
|* device query, memory, streams, events and CUDA graphs. Pointers are        *|
|* device pointers (CUdeviceptr values); streams, events and graphs are the   *|
|* driver's handles passed as void *, so a CUstream from PyTorch works.       *|
|* Functions returning int return 0 on success and non-zero on failure        *|
|* (with the error recorded).                                                 *|
|*                                                                            *|
\*===----------------------------------------------------------------------===*/

#ifndef VLLM_RUNTIME_RUNTIME_H
#define VLLM_RUNTIME_RUNTIME_H

#include <stddef.h>
#include <stdint.h>

#define VLLMRT_EXPORT __attribute__((visibility("default")))

#ifdef __cplusplus
extern "C" {
#endif

typedef struct vllmrtDeviceInfo {
  char name[256];
  int ordinal;
  int multiprocessorCount;
  int computeCapabilityMajor;
  int computeCapabilityMinor;
  int l2CacheBytes;
  int driverVersion; /* e.g. 13000 for CUDA 13.0 */
  size_t totalMemoryBytes;
} vllmrtDeviceInfo;

/* Loads libcuda and initializes it; 0 when a device is usable. Idempotent. */
VLLMRT_EXPORT int vllmrtInit(void);
/* 1 when libcuda loads and reports a device, else 0; never records an
 * error, so hosts and tests can use it to skip cleanly. */
VLLMRT_EXPORT int vllmrtIsGpuAvailable(void);
/* Why no GPU is usable ("" when one is). */
VLLMRT_EXPORT const char *vllmrtUnavailableReason(void);
/* Fills `info` for the default device (ordinal 0 unless
 * mgpuSetDefaultDevice chose another). */
VLLMRT_EXPORT int vllmrtGetDeviceInfo(vllmrtDeviceInfo *info);

/* The first error recorded since the last clear, "" when none. The string
 * stays valid until the calling thread calls this function again. */
VLLMRT_EXPORT const char *vllmrtGetLastError(void);
/* Clears the recorded error; returns how many errors were recorded since the
 * previous clear (0: none). */
VLLMRT_EXPORT int vllmrtClearError(void);

/* Synchronous device memory (cuMemAlloc / cuMemFree / cuMemcpy* /
 * cuMemsetD8): the copy or fill is complete on the device when the call
 * returns, so work on any stream may use it. */
VLLMRT_EXPORT void *vllmrtMalloc(size_t bytes);
VLLMRT_EXPORT int vllmrtFree(void *devicePtr);
VLLMRT_EXPORT int vllmrtMemcpyHtoD(void *dst, const void *src, size_t bytes);
VLLMRT_EXPORT int vllmrtMemcpyDtoH(void *dst, const void *src, size_t bytes);
VLLMRT_EXPORT int vllmrtMemcpyDtoD(void *dst, const void *src, size_t bytes);
VLLMRT_EXPORT int vllmrtMemsetD8(void *dst, unsigned char value, size_t bytes);
VLLMRT_EXPORT int vllmrtMemGetInfo(size_t *freeBytes, size_t *totalBytes);
VLLMRT_EXPORT int vllmrtDeviceSynchronize(void);

/* Streams (non-blocking w.r.t. the legacy default stream). */
VLLMRT_EXPORT void *vllmrtStreamCreate(void);
VLLMRT_EXPORT int vllmrtStreamSynchronize(void *stream);
VLLMRT_EXPORT int vllmrtStreamDestroy(void *stream);

/* Timing events. */
VLLMRT_EXPORT void *vllmrtEventCreate(void);
VLLMRT_EXPORT int vllmrtEventRecord(void *event, void *stream);
VLLMRT_EXPORT int vllmrtEventSynchronize(void *event);
/* Milliseconds between two recorded, completed events. */
VLLMRT_EXPORT int vllmrtEventElapsedMs(void *start, void *end, float *ms);
VLLMRT_EXPORT int vllmrtEventDestroy(void *event);

/* CUDA graphs for benchmarking: capture everything issued to `stream`
 * (thread-local capture mode) between Begin and End; End instantiates and
 * returns the executable graph (NULL on failure). */
VLLMRT_EXPORT int vllmrtStreamBeginCapture(void *stream);
VLLMRT_EXPORT void *vllmrtStreamEndCapture(void *stream);
VLLMRT_EXPORT int vllmrtGraphLaunch(void *graphExec, void *stream);
VLLMRT_EXPORT int vllmrtGraphDestroy(void *graphExec);

#ifdef __cplusplus
}
#endif

#endif /* VLLM_RUNTIME_RUNTIME_H */
