//===- DriverAbiCheck.cpp - CudaDriver.h against cuda.h -------------------===//
//
// Part of the vllm-mlir project.
//
//===----------------------------------------------------------------------===//
//
// Compiled (never linked or run) where cuda.h is installed: every constant
// and struct layout the runtime declares by hand must match the real header,
// so a typo breaks the build instead of a launch on the GPU machine. Where
// nccl.h is installed beside it, the same for lib/Nccl.h.
//
//===----------------------------------------------------------------------===//

#include "CudaDriver.h"

#include <cstddef>
#include <cuda.h>

namespace v = vllmrt::cu;

#define SAME_VALUE(name)                                                       \
  static_assert(static_cast<long long>(v::name) ==                             \
                    static_cast<long long>(::name),                            \
                #name " differs from cuda.h")

SAME_VALUE(CUDA_SUCCESS);
SAME_VALUE(CUDA_ERROR_INVALID_VALUE);
SAME_VALUE(CUDA_ERROR_DEINITIALIZED);
SAME_VALUE(CUDA_ERROR_NO_DEVICE);
SAME_VALUE(CUDA_ERROR_PEER_ACCESS_ALREADY_ENABLED);
SAME_VALUE(CU_POINTER_ATTRIBUTE_MEMORY_TYPE);
SAME_VALUE(CU_MEMORYTYPE_HOST);
SAME_VALUE(CU_MEMORYTYPE_DEVICE);
SAME_VALUE(CU_MEMORYTYPE_UNIFIED);
SAME_VALUE(CU_IPC_MEM_LAZY_ENABLE_PEER_ACCESS);
SAME_VALUE(CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT);
SAME_VALUE(CU_DEVICE_ATTRIBUTE_L2_CACHE_SIZE);
SAME_VALUE(CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR);
SAME_VALUE(CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR);
SAME_VALUE(CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN);
SAME_VALUE(CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES);
SAME_VALUE(CU_FUNC_ATTRIBUTE_NON_PORTABLE_CLUSTER_SIZE_ALLOWED);
SAME_VALUE(CU_JIT_ERROR_LOG_BUFFER);
SAME_VALUE(CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES);
SAME_VALUE(CU_JIT_OPTIMIZATION_LEVEL);
SAME_VALUE(CU_STREAM_NON_BLOCKING);
SAME_VALUE(CU_EVENT_DEFAULT);
SAME_VALUE(CU_EVENT_DISABLE_TIMING);
SAME_VALUE(CU_MEM_ATTACH_GLOBAL);
SAME_VALUE(CU_STREAM_CAPTURE_STATUS_NONE);
SAME_VALUE(CU_STREAM_CAPTURE_STATUS_ACTIVE);
SAME_VALUE(CU_STREAM_CAPTURE_MODE_GLOBAL);
SAME_VALUE(CU_STREAM_CAPTURE_MODE_THREAD_LOCAL);
SAME_VALUE(CU_STREAM_CAPTURE_MODE_RELAXED);
SAME_VALUE(CU_LAUNCH_ATTRIBUTE_CLUSTER_DIMENSION);

#define SAME_LAYOUT(ours, theirs)                                              \
  static_assert(sizeof(v::ours) == sizeof(::theirs), #ours " size");           \
  static_assert(alignof(v::ours) == alignof(::theirs), #ours " alignment")
#define SAME_OFFSET(ours, theirs, field)                                       \
  static_assert(offsetof(v::ours, field) == offsetof(::theirs, field),         \
                #ours "::" #field " offset")

SAME_LAYOUT(CUlaunchAttributeValue, CUlaunchAttributeValue);
SAME_LAYOUT(CUlaunchAttribute, CUlaunchAttribute);
SAME_OFFSET(CUlaunchAttribute, CUlaunchAttribute, id);
SAME_OFFSET(CUlaunchAttribute, CUlaunchAttribute, value);
SAME_LAYOUT(CUlaunchConfig, CUlaunchConfig);
SAME_OFFSET(CUlaunchConfig, CUlaunchConfig, sharedMemBytes);
SAME_OFFSET(CUlaunchConfig, CUlaunchConfig, hStream);
SAME_OFFSET(CUlaunchConfig, CUlaunchConfig, attrs);
SAME_OFFSET(CUlaunchConfig, CUlaunchConfig, numAttrs);
SAME_LAYOUT(CUtensorMap, CUtensorMap);
SAME_LAYOUT(CUipcMemHandle, CUipcMemHandle);
static_assert(sizeof(v::CUdeviceptr) == sizeof(::CUdeviceptr), "CUdeviceptr");
static_assert(sizeof(v::CUresult) == sizeof(::CUresult), "CUresult");

// The exported names resolved by CudaDriver.cpp are what cuda.h maps the
// plain names to (a rename in a future cuda.h would show up here).
#define STR2(x) #x
#define STR(x) STR2(x)
constexpr bool sameName(const char *a, const char *b) {
  return *a == *b && (*a == 0 || sameName(a + 1, b + 1));
}
static_assert(sameName(STR(cuMemAlloc), "cuMemAlloc_v2"), "");
static_assert(sameName(STR(cuMemFree), "cuMemFree_v2"), "");
static_assert(sameName(STR(cuMemGetInfo), "cuMemGetInfo_v2"), "");
static_assert(sameName(STR(cuDeviceTotalMem), "cuDeviceTotalMem_v2"), "");
static_assert(sameName(STR(cuStreamDestroy), "cuStreamDestroy_v2"), "");
static_assert(sameName(STR(cuEventDestroy), "cuEventDestroy_v2"), "");
static_assert(sameName(STR(cuEventElapsedTime), "cuEventElapsedTime_v2"), "");
static_assert(sameName(STR(cuMemcpyHtoD), "cuMemcpyHtoD_v2"), "");
static_assert(sameName(STR(cuMemcpyHtoDAsync), "cuMemcpyHtoDAsync_v2"), "");
static_assert(sameName(STR(cuMemcpyDtoH), "cuMemcpyDtoH_v2"), "");
static_assert(sameName(STR(cuMemcpyDtoD), "cuMemcpyDtoD_v2"), "");
static_assert(sameName(STR(cuMemsetD8), "cuMemsetD8_v2"), "");
static_assert(sameName(STR(cuStreamBeginCapture), "cuStreamBeginCapture_v2"),
              "");
static_assert(sameName(STR(cuGraphInstantiate), "cuGraphInstantiateWithFlags"),
              "");
static_assert(sameName(STR(cuIpcOpenMemHandle), "cuIpcOpenMemHandle_v2"), "");
static_assert(sameName(STR(cuDevicePrimaryCtxRelease),
                       "cuDevicePrimaryCtxRelease_v2"),
              "");
static_assert(sameName(STR(cuCtxGetDevice), "cuCtxGetDevice"), "");
static_assert(sameName(STR(cuCtxPushCurrent), "cuCtxPushCurrent_v2"), "");
static_assert(sameName(STR(cuCtxPopCurrent), "cuCtxPopCurrent_v2"), "");
static_assert(sameName(STR(cuCtxEnablePeerAccess), "cuCtxEnablePeerAccess"),
              "");
static_assert(sameName(STR(cuPointerGetAttribute), "cuPointerGetAttribute"),
              "");
static_assert(sameName(STR(cuIpcGetMemHandle), "cuIpcGetMemHandle"), "");
static_assert(sameName(STR(cuIpcCloseMemHandle), "cuIpcCloseMemHandle"), "");

//===----------------------------------------------------------------------===//
// NCCL
//===----------------------------------------------------------------------===//

#if __has_include(<nccl.h>)
#include "Nccl.h"

#include <nccl.h>

namespace n = vllmrt::nccl;

#define SAME_NCCL_VALUE(name)                                                  \
  static_assert(static_cast<long long>(n::name) ==                             \
                    static_cast<long long>(::name),                            \
                #name " differs from nccl.h")

SAME_NCCL_VALUE(ncclSuccess);
SAME_NCCL_VALUE(ncclInProgress);
SAME_NCCL_VALUE(ncclInt8);
SAME_NCCL_VALUE(ncclInt32);
SAME_NCCL_VALUE(ncclFloat16);
SAME_NCCL_VALUE(ncclFloat32);
SAME_NCCL_VALUE(ncclBfloat16);
SAME_NCCL_VALUE(ncclSum);
SAME_NCCL_VALUE(ncclMin);
static_assert(n::kWinCollSymmetric == NCCL_WIN_COLL_SYMMETRIC, "");
static_assert(n::kUniqueIdBytes == NCCL_UNIQUE_ID_BYTES, "");
static_assert(sizeof(n::ncclUniqueId) == sizeof(::ncclUniqueId), "");
static_assert(sizeof(n::ncclResult_t) == sizeof(::ncclResult_t), "");
static_assert(sizeof(n::ncclDataType_t) == sizeof(::ncclDataType_t), "");
static_assert(sizeof(n::ncclRedOp_t) == sizeof(::ncclRedOp_t), "");

// The window layout Comm.cpp reads, against the header of the NCCL it was
// written for (the runtime accepts it only from a 2.28.x library).
#if NCCL_MAJOR == 2 && NCCL_MINOR == 28 &&                                     \
    __has_include(<nccl_device/impl/core__types.h>)
#include <nccl_device/impl/core__types.h>

#define SAME_WINDOW_FIELD(field)                                               \
  static_assert(offsetof(n::WindowPrefix, field) ==                            \
                        offsetof(::ncclWindow_vidmem, field) &&                \
                    sizeof(n::WindowPrefix::field) ==                          \
                        sizeof(::ncclWindow_vidmem::field),                    \
                "ncclWindow_vidmem::" #field)
SAME_WINDOW_FIELD(winHost);
SAME_WINDOW_FIELD(lsaFlatBase);
SAME_WINDOW_FIELD(lsaRank);
SAME_WINDOW_FIELD(worldRank);
SAME_WINDOW_FIELD(stride4G);
SAME_WINDOW_FIELD(mcOffset4K);
static_assert(sizeof(n::WindowPrefix) <= sizeof(::ncclWindow_vidmem), "");
#endif
#endif
