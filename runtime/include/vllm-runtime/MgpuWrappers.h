/*===- MgpuWrappers.h - The mgpu* ABI of MLIR's GPU lowering ------*- C -*-===*\
|*                                                                            *|
|* Part of the vllm-mlir project.                                             *|
|*                                                                            *|
|*===----------------------------------------------------------------------===*|
|*                                                                            *|
|* The functions the host code produced by MLIR 22's GPU-to-LLVM lowering     *|
|* (gpu-lower-to-nvvm-pipeline, SelectObjectAttr, nvgpu-to-nvvm) calls, with  *|
|* the exact signatures it declares (checked against the LLVM IR that         *|
|* mlir-translate-22 emits; see docs/gpu-testing.md). libvllm_runtime.so      *|
|* implements them like mlir/lib/ExecutionEngine/CudaRuntimeWrappers.cpp      *|
|* except that:                                                               *|
|*  - libcuda is loaded at run time, and nothing aborts: failures are         *|
|*    recorded (vllmrtGetLastError) and the call returns null / does nothing; *|
|*  - mgpuMemAlloc / mgpuMemFree with a stream are stream-ordered             *|
|*    (cuMemAllocAsync / cuMemFreeAsync), so they can be captured in graphs;  *|
|*  - the caller's current context is respected; the primary context of the   *|
|*    default device is made current only when none is;                       *|
|*  - a launch with an empty grid (dynamic M = 0) does nothing;               *|
|*  - tensor-map descriptors are copied to the device once per distinct       *|
|*    descriptor and reused, so repeated calls allocate nothing.              *|
|*                                                                            *|
\*===----------------------------------------------------------------------===*/

#ifndef VLLM_RUNTIME_MGPUWRAPPERS_H
#define VLLM_RUNTIME_MGPUWRAPPERS_H

#include "vllm-runtime/Runtime.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Modules: a cubin / fatbin image, or PTX compiled by the driver. */
VLLMRT_EXPORT void *mgpuModuleLoad(void *data, size_t gpuBlobSize);
VLLMRT_EXPORT void *mgpuModuleLoadJIT(void *data, int optLevel);
VLLMRT_EXPORT void mgpuModuleUnload(void *module);
VLLMRT_EXPORT void *mgpuModuleGetFunction(void *module, const char *name);

/* Launches. `params` holds `paramsCount` pointers to the arguments. */
VLLMRT_EXPORT void mgpuLaunchKernel(void *function, intptr_t gridX,
                                    intptr_t gridY, intptr_t gridZ,
                                    intptr_t blockX, intptr_t blockY,
                                    intptr_t blockZ, int32_t smem, void *stream,
                                    void **params, void **extra,
                                    size_t paramsCount);
VLLMRT_EXPORT void mgpuLaunchClusterKernel(void *function, intptr_t clusterX,
                                           intptr_t clusterY, intptr_t clusterZ,
                                           intptr_t gridX, intptr_t gridY,
                                           intptr_t gridZ, intptr_t blockX,
                                           intptr_t blockY, intptr_t blockZ,
                                           int32_t smem, void *stream,
                                           void **params, void **extra);

/* Streams and events (events without timing, as upstream). */
VLLMRT_EXPORT void *mgpuStreamCreate(void);
VLLMRT_EXPORT void mgpuStreamDestroy(void *stream);
VLLMRT_EXPORT void mgpuStreamSynchronize(void *stream);
VLLMRT_EXPORT void mgpuStreamWaitEvent(void *stream, void *event);
VLLMRT_EXPORT void *mgpuEventCreate(void);
VLLMRT_EXPORT void mgpuEventDestroy(void *event);
VLLMRT_EXPORT void mgpuEventSynchronize(void *event);
VLLMRT_EXPORT void mgpuEventRecord(void *event, void *stream);

/* Memory. `isHostShared` asks for managed memory (cuMemAllocManaged). */
VLLMRT_EXPORT void *mgpuMemAlloc(uint64_t sizeBytes, void *stream,
                                 bool isHostShared);
VLLMRT_EXPORT void mgpuMemFree(void *ptr, void *stream);
VLLMRT_EXPORT void mgpuMemcpy(void *dst, void *src, size_t sizeBytes,
                              void *stream);
VLLMRT_EXPORT void mgpuMemset32(void *dst, unsigned int value, size_t count,
                                void *stream);
VLLMRT_EXPORT void mgpuMemset16(void *dst, unsigned short value, size_t count,
                                void *stream);
VLLMRT_EXPORT void mgpuSetDefaultDevice(int32_t device);

/* TMA descriptor for a ranked memref (`descriptor` points at its
 * {allocated, aligned, offset, sizes[rank], strides[rank]}); returns a device
 * pointer to the CUtensorMap. The enum arguments are passed as i64 by the
 * generated code. */
VLLMRT_EXPORT void *
mgpuTensorMapEncodeTiledMemref(int64_t tensorRank, void *descriptor,
                               int64_t tensorDataType, int64_t interleave,
                               int64_t swizzle, int64_t l2Promotion,
                               int64_t oobFill, int64_t *inputBoxDims);

/* TMA descriptor of a row-major 2-D tensor for the tensor-core GEMM: `base`
 * (16-byte aligned), `innerDim` elements per row, `outerDim` rows,
 * `outerStrideBytes` between rows (a multiple of 16), a box of `boxInner` x
 * `boxOuter` elements; `tensorDataType` and `swizzle` are CUtensorMapDataType
 * and CUtensorMapSwizzle values, out-of-bounds elements read as zeros.
 * Returns a device pointer to the CUtensorMap (one device copy per distinct
 * descriptor, kept for the process), or null with the error recorded. */
VLLMRT_EXPORT void *vllmrtTensorMapEncode2d(void *base, int64_t innerDim,
                                            int64_t outerDim,
                                            int64_t outerStrideBytes,
                                            int64_t boxInner, int64_t boxOuter,
                                            int64_t tensorDataType,
                                            int64_t swizzle);

/* The workspace of the split-K GEMM kernels: at least `sizeBytes` bytes of
 * device memory, zero when first returned; a kernel that uses it leaves
 * its counters zero again. One per (current context, stream, CUDA-graph
 * capture): launches that may overlap never share one, and a graph keeps
 * its own, which its replays reuse. Made on first use and kept for the
 * process: outside capture zeroed on the stream; during capture (which
 * forbids allocations) allocated in relaxed capture mode and zeroed on a
 * private stream, neither captured. A larger request replaces the
 * workspace by a new one; the old one is kept too, since queued kernels or
 * graphs may still use it. Returns null with the error recorded (zero
 * bytes, no driver, an allocation failing). */
VLLMRT_EXPORT void *vllmrtWorkspace(uint64_t sizeBytes, void *stream);

#ifdef __cplusplus
}
#endif

#endif /* VLLM_RUNTIME_MGPUWRAPPERS_H */
