//===- Nccl.h - The NCCL API, loaded at run time ----------------*- C++ -*-===//
//
// Part of the vllm-mlir project.
//
//===----------------------------------------------------------------------===//
//
// The few NCCL types, constants and entry points the communicators use
// (Comm.cpp), declared here instead of including nccl.h (which needs CUDA's
// headers) and resolved from libnccl.so.2 on first use, as CudaDriver.h does
// for libcuda. The values are nccl.h's (2.28); test/DriverAbiCheck.cpp
// static_asserts them against nccl.h where it is installed.
//
//===----------------------------------------------------------------------===//

#ifndef VLLM_RUNTIME_NCCL_H
#define VLLM_RUNTIME_NCCL_H

#include "CudaDriver.h"

#include <cstddef>
#include <cstdint>
#include <string>

namespace vllmrt {
namespace nccl {

using ncclResult_t = int;
using ncclComm_t = struct ncclComm *;
using ncclWindow_t = struct ncclWindow_vidmem *;
using ncclDataType_t = int;
using ncclRedOp_t = int;
/// cudaStream_t and CUstream are the same handle.
using cudaStream_t = cu::CUstream;

enum : ncclResult_t {
  ncclSuccess = 0,
  ncclInProgress = 7,
};

enum : ncclDataType_t {
  ncclInt8 = 0,
  ncclInt32 = 2,
  ncclFloat16 = 6,
  ncclFloat32 = 7,
  ncclBfloat16 = 9,
};

enum : ncclRedOp_t {
  ncclSum = 0,
  ncclMin = 3,
};

// nccl.h's macros NCCL_WIN_COLL_SYMMETRIC and NCCL_UNIQUE_ID_BYTES (other
// names here, so that a file may include both headers).
enum : int { kWinCollSymmetric = 0x01 };
enum : size_t { kUniqueIdBytes = 128 };

/// ncclUniqueId: passed by value to ncclCommInitRank.
struct ncclUniqueId {
  char internal[kUniqueIdBytes];
};

/// The leading fields of struct ncclWindow_vidmem, NCCL's private layout
/// (nccl_device/impl/core__types.h of 2.28), which ncclCommWindowRegister
/// returns a device pointer to. Rank i of the window's LSA team (the ranks
/// that share memory) sees byte `offset` of rank j's buffer at
/// add4G(lsaFlatBase, j * stride4G) + offset (nccl_device/impl/core__funcs.h,
/// ncclGetLsaPointer). Only trusted for 2.28.x, and checked at run time.
struct WindowPrefix {
  void *winHost;
  char *lsaFlatBase;
  int lsaRank;
  int worldRank;
  uint32_t stride4G;
  uint32_t mcOffset4K;
};

/// The entry points, resolved from libnccl.so.2. Optional ones (newer than
/// NCCL 2.19 or 2.27) may be null.
struct Library {
  ncclResult_t (*ncclGetVersion)(int *);
  const char *(*ncclGetErrorString)(ncclResult_t);
  const char *(*ncclGetLastError)(ncclComm_t); // optional (2.13)
  ncclResult_t (*ncclGetUniqueId)(ncclUniqueId *);
  ncclResult_t (*ncclCommInitRank)(ncclComm_t *, int, ncclUniqueId, int);
  ncclResult_t (*ncclCommDestroy)(ncclComm_t);
  ncclResult_t (*ncclCommGetAsyncError)(ncclComm_t, ncclResult_t *);
  ncclResult_t (*ncclCommCount)(ncclComm_t, int *);
  ncclResult_t (*ncclCommUserRank)(ncclComm_t, int *);
  ncclResult_t (*ncclCommCuDevice)(ncclComm_t, int *);
  ncclResult_t (*ncclAllReduce)(const void *, void *, size_t, ncclDataType_t,
                                ncclRedOp_t, ncclComm_t, cudaStream_t);
  ncclResult_t (*ncclAllGather)(const void *, void *, size_t, ncclDataType_t,
                                ncclComm_t, cudaStream_t);
  ncclResult_t (*ncclMemAlloc)(void **, size_t); // optional (2.19)
  ncclResult_t (*ncclMemFree)(void *);           // optional (2.19)
  ncclResult_t (*ncclCommWindowRegister)(ncclComm_t, void *, size_t,
                                         ncclWindow_t *,
                                         int); // optional (2.27)
  ncclResult_t (*ncclCommWindowDeregister)(ncclComm_t,
                                           ncclWindow_t); // optional (2.27)
};

/// The library, loaded on first call; null when libnccl is missing or lacks
/// a required entry point (see unavailableReason()). Records no error.
const Library *library();
/// Why library() is null, or "" when it is not.
const std::string &unavailableReason();

} // namespace nccl
} // namespace vllmrt

#endif // VLLM_RUNTIME_NCCL_H
