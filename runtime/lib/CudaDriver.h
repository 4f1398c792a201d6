//===- CudaDriver.h - The CUDA driver API, loaded at run time ---*- C++ -*-===//
//
// Part of the vllm-mlir project.
//
//===----------------------------------------------------------------------===//
//
// The few CUDA driver types, constants and entry points the runtime uses,
// declared here instead of including cuda.h, and resolved with dlopen /
// dlsym from libcuda.so.1 on first use. The library therefore builds without
// CUDA and, on a machine without a driver or a GPU, every entry point fails
// cleanly with a recorded error instead of failing to load.
//
// The values below are the stable ABI of the driver (cuda.h of CUDA 12/13);
// test/DriverAbiCheck.cpp static_asserts them against cuda.h where it is
// installed. Versioned symbols are looked up by their exported names
// (cuMemAlloc_v2, ...), which is what cuda.h's macros expand to.
//
//===----------------------------------------------------------------------===//

#ifndef VLLM_RUNTIME_CUDADRIVER_H
#define VLLM_RUNTIME_CUDADRIVER_H

#include <cstddef>
#include <cstdint>
#include <string>

namespace vllmrt {
namespace cu {

using CUresult = int;
using CUdevice = int;
using CUdeviceptr = unsigned long long;
using CUcontext = struct CUctx_st *;
using CUmodule = struct CUmod_st *;
using CUfunction = struct CUfunc_st *;
using CUstream = struct CUstream_st *;
using CUevent = struct CUevent_st *;
using CUgraph = struct CUgraph_st *;
using CUgraphExec = struct CUgraphExec_st *;

enum : CUresult {
  CUDA_SUCCESS = 0,
  CUDA_ERROR_INVALID_VALUE = 1,
  CUDA_ERROR_DEINITIALIZED = 4,
  CUDA_ERROR_NO_DEVICE = 100,
  CUDA_ERROR_PEER_ACCESS_ALREADY_ENABLED = 704,
};

// CUdevice_attribute
enum : int {
  CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT = 16,
  CU_DEVICE_ATTRIBUTE_L2_CACHE_SIZE = 38,
  CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR = 75,
  CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR = 76,
  CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN = 97,
};

// CUfunction_attribute
enum : int {
  CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES = 8,
  CU_FUNC_ATTRIBUTE_NON_PORTABLE_CLUSTER_SIZE_ALLOWED = 14,
};

// CUjit_option
enum : int {
  CU_JIT_ERROR_LOG_BUFFER = 5,
  CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES = 6,
  CU_JIT_OPTIMIZATION_LEVEL = 7,
};

enum : unsigned {
  CU_STREAM_NON_BLOCKING = 0x1,
  CU_EVENT_DEFAULT = 0x0,
  CU_EVENT_DISABLE_TIMING = 0x2,
  CU_MEM_ATTACH_GLOBAL = 0x1,
};

// CUstreamCaptureStatus
enum : int {
  CU_STREAM_CAPTURE_STATUS_NONE = 0,
  CU_STREAM_CAPTURE_STATUS_ACTIVE = 1,
};

// CUstreamCaptureMode
enum : int {
  CU_STREAM_CAPTURE_MODE_GLOBAL = 0,
  CU_STREAM_CAPTURE_MODE_THREAD_LOCAL = 1,
  CU_STREAM_CAPTURE_MODE_RELAXED = 2,
};

// CUpointer_attribute
enum : int { CU_POINTER_ATTRIBUTE_MEMORY_TYPE = 2 };

// CUmemorytype
enum : unsigned {
  CU_MEMORYTYPE_HOST = 0x1,
  CU_MEMORYTYPE_DEVICE = 0x2,
  CU_MEMORYTYPE_UNIFIED = 0x4,
};

// CUipcMem_flags
enum : unsigned { CU_IPC_MEM_LAZY_ENABLE_PEER_ACCESS = 0x1 };

/// CUipcMemHandle: 64 opaque bytes, passed by value.
struct CUipcMemHandle {
  char reserved[64];
};

// CUlaunchAttributeID
enum : int { CU_LAUNCH_ATTRIBUTE_CLUSTER_DIMENSION = 4 };

/// CUlaunchAttributeValue: a 64-byte union (8-byte aligned: some members
/// hold pointers); only the cluster shape is used.
union alignas(8) CUlaunchAttributeValue {
  char pad[64];
  struct {
    unsigned x, y, z;
  } clusterDim;
};

struct CUlaunchAttribute {
  int id;
  char pad[8 - sizeof(int)];
  CUlaunchAttributeValue value;
};

struct CUlaunchConfig {
  unsigned gridDimX, gridDimY, gridDimZ;
  unsigned blockDimX, blockDimY, blockDimZ;
  unsigned sharedMemBytes;
  CUstream hStream;
  CUlaunchAttribute *attrs;
  unsigned numAttrs;
};

/// CUtensorMap: 128 opaque bytes, 128-byte aligned.
struct alignas(128) CUtensorMap {
  uint64_t opaque[16];
};

/// The entry points, resolved from libcuda.so.1. Optional ones (newer than
/// CUDA 11.2) may be null.
struct Driver {
  CUresult (*cuInit)(unsigned);
  CUresult (*cuDriverGetVersion)(int *);
  CUresult (*cuGetErrorName)(CUresult, const char **);
  CUresult (*cuGetErrorString)(CUresult, const char **);
  CUresult (*cuDeviceGet)(CUdevice *, int);
  CUresult (*cuDeviceGetCount)(int *);
  CUresult (*cuDeviceGetName)(char *, int, CUdevice);
  CUresult (*cuDeviceGetAttribute)(int *, int, CUdevice);
  CUresult (*cuDeviceTotalMem)(size_t *, CUdevice);
  CUresult (*cuDevicePrimaryCtxRetain)(CUcontext *, CUdevice);
  CUresult (*cuCtxSetCurrent)(CUcontext);
  CUresult (*cuCtxGetCurrent)(CUcontext *);
  CUresult (*cuCtxSynchronize)();
  CUresult (*cuCtxGetDevice)(CUdevice *);
  CUresult (*cuCtxPushCurrent)(CUcontext);
  CUresult (*cuCtxPopCurrent)(CUcontext *);
  CUresult (*cuDevicePrimaryCtxRelease)(CUdevice);
  CUresult (*cuCtxEnablePeerAccess)(CUcontext, unsigned);
  CUresult (*cuPointerGetAttribute)(void *, int, CUdeviceptr);
  CUresult (*cuIpcGetMemHandle)(CUipcMemHandle *, CUdeviceptr);
  CUresult (*cuIpcOpenMemHandle)(CUdeviceptr *, CUipcMemHandle, unsigned);
  CUresult (*cuIpcCloseMemHandle)(CUdeviceptr);
  CUresult (*cuModuleLoadDataEx)(CUmodule *, const void *, unsigned, int *,
                                 void **);
  CUresult (*cuModuleUnload)(CUmodule);
  CUresult (*cuModuleGetFunction)(CUfunction *, CUmodule, const char *);
  CUresult (*cuFuncSetAttribute)(CUfunction, int, int);
  CUresult (*cuLaunchKernel)(CUfunction, unsigned, unsigned, unsigned, unsigned,
                             unsigned, unsigned, unsigned, CUstream, void **,
                             void **);
  CUresult (*cuLaunchKernelEx)(const CUlaunchConfig *, CUfunction, void **,
                               void **); // optional (12.0)
  CUresult (*cuStreamCreate)(CUstream *, unsigned);
  CUresult (*cuStreamDestroy)(CUstream);
  CUresult (*cuStreamSynchronize)(CUstream);
  CUresult (*cuStreamWaitEvent)(CUstream, CUevent, unsigned);
  /// Status (CUstreamCaptureStatus), capture id, graph, dependencies,
  /// (v3 only: their edge data) and their count; every output may be null.
  /// Either may be missing (v3 since 12.3; v2 since 11.3).
  CUresult (*cuStreamGetCaptureInfoV2)(CUstream, int *, unsigned long long *,
                                       CUgraph *, const void **, size_t *);
  CUresult (*cuStreamGetCaptureInfoV3)(CUstream, int *, unsigned long long *,
                                       CUgraph *, const void **, const void **,
                                       size_t *);
  CUresult (*cuThreadExchangeStreamCaptureMode)(int *);
  CUresult (*cuStreamBeginCapture)(CUstream, int);
  CUresult (*cuStreamEndCapture)(CUstream, CUgraph *);
  CUresult (*cuGraphInstantiateWithFlags)(CUgraphExec *, CUgraph,
                                          unsigned long long);
  CUresult (*cuGraphLaunch)(CUgraphExec, CUstream);
  CUresult (*cuGraphExecDestroy)(CUgraphExec);
  CUresult (*cuGraphDestroy)(CUgraph);
  CUresult (*cuEventCreate)(CUevent *, unsigned);
  CUresult (*cuEventDestroy)(CUevent);
  CUresult (*cuEventRecord)(CUevent, CUstream);
  CUresult (*cuEventSynchronize)(CUevent);
  CUresult (*cuEventElapsedTime)(float *, CUevent, CUevent);
  CUresult (*cuMemAlloc)(CUdeviceptr *, size_t);
  CUresult (*cuMemAllocManaged)(CUdeviceptr *, size_t, unsigned);
  CUresult (*cuMemAllocAsync)(CUdeviceptr *, size_t,
                              CUstream); // optional (11.2)
  CUresult (*cuMemFree)(CUdeviceptr);
  CUresult (*cuMemFreeAsync)(CUdeviceptr, CUstream); // optional (11.2)
  CUresult (*cuMemGetInfo)(size_t *, size_t *);
  CUresult (*cuMemcpyHtoD)(CUdeviceptr, const void *, size_t);
  CUresult (*cuMemcpyHtoDAsync)(CUdeviceptr, const void *, size_t, CUstream);
  CUresult (*cuMemcpyDtoH)(void *, CUdeviceptr, size_t);
  CUresult (*cuMemcpyDtoD)(CUdeviceptr, CUdeviceptr, size_t);
  CUresult (*cuMemcpyAsync)(CUdeviceptr, CUdeviceptr, size_t, CUstream);
  CUresult (*cuMemsetD8)(CUdeviceptr, unsigned char, size_t);
  CUresult (*cuMemsetD8Async)(CUdeviceptr, unsigned char, size_t, CUstream);
  CUresult (*cuMemsetD16Async)(CUdeviceptr, unsigned short, size_t, CUstream);
  CUresult (*cuMemsetD32Async)(CUdeviceptr, unsigned, size_t, CUstream);
  CUresult (*cuTensorMapEncodeTiled)(CUtensorMap *, int, unsigned, void *,
                                     const uint64_t *, const uint64_t *,
                                     const unsigned *, const unsigned *, int,
                                     int, int, int); // optional (12.0)
};

/// The driver, loaded and initialized (cuInit) on first call; null when
/// libcuda or a device is missing (see unavailableReason()).
const Driver *driver();
/// Why driver() is null, or "" when it is not.
const std::string &unavailableReason();

/// Records an error (the first one since the last clear is kept and printed
/// once to stderr). Never aborts.
void recordError(const std::string &message);
/// Records "<what>: <CUDA error name> (<description>)" unless `result` is
/// CUDA_SUCCESS; returns true on success.
bool check(CUresult result, const char *what);
/// The first recorded error since the last clear ("" if none).
std::string firstError();
/// Number of errors recorded since the last clear; clears.
int clearErrors();

/// Returns the driver after making sure the calling thread has a current
/// context (the primary context of the default device, unless the caller
/// already made a context current); records an error naming `what` and
/// returns null when that is impossible.
const Driver *withContext(const char *what);

/// The device of mgpuSetDefaultDevice (per thread, as upstream).
int &defaultDevice();

} // namespace cu
} // namespace vllmrt

#endif // VLLM_RUNTIME_CUDADRIVER_H
