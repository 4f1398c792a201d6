/*===- Comm.h - vllm-mlir runtime: tensor-parallel communicators --*- C -*-===*\
|*                                                                            *|
|* Part of the vllm-mlir project.                                             *|
|*                                                                            *|
|*===----------------------------------------------------------------------===*|
|*                                                                            *|
|* Communicators for the collective op vllm.all_reduce, whose kernels read    *|
|* the other ranks' buffers directly (NVLink peer access). A host makes one   *|
|* communicator per tensor-parallel group and binds it to the group number    *|
|* the compiled code names; the compiled host code then calls                 *|
|* vllmrtCommStage / vllmrtCommCtaLimit / vllmrtCommAllReduceNccl with that   *|
|* number.                                                                    *|
|*                                                                            *|
|* Every rank owns one device region: a staging buffer (the capacity, rounded *|
|* up to 256 bytes) followed by a flag area; every rank's region is           *|
|* addressable from every other rank, and the device-resident descriptor      *|
|* below lists all of them. Three ways of making them:                        *|
|*   - vllmrtCommInitRank / vllmrtCommFromNccl: one GPU per rank, an NCCL     *|
|*     communicator, regions from NCCL's symmetric memory ("nccl-window")     *|
|*     or, where that is unusable, cuMemAlloc + CUDA IPC ("cuda-ipc");        *|
|*   - vllmrtCommCreateLocal: simulated ranks on one GPU ("local"), for       *|
|*     functional tests.                                                      *|
|* libnccl.so.2 is loaded at run time (dlopen; VLLMRT_LIBNCCL names another   *|
|* file); nothing here needs NCCL at build time.                              *|
|*                                                                            *|
|* As in Runtime.h, functions returning int return 0 on success, pointers     *|
|* are non-null on success; failures record an error (vllmrtGetLastError).    *|
|*                                                                            *|
\*===----------------------------------------------------------------------===*/

#ifndef VLLM_RUNTIME_COMM_H
#define VLLM_RUNTIME_COMM_H

#include "vllm-runtime/Runtime.h"

#include <stddef.h>
#include <stdint.h>

#define VLLMRT_COMM_MAX_RANKS 8
#define VLLMRT_COMM_MAX_CTAS 1024
/* Group numbers are 0 .. VLLMRT_COMM_MAX_GROUPS - 1. */
#define VLLMRT_COMM_MAX_GROUPS 64
/* Bytes of the ncclUniqueId vllmrtCommGetUniqueId writes. */
#define VLLMRT_COMM_UNIQUE_ID_BYTES 128

#ifdef __cplusplus
extern "C" {
#endif

typedef struct vllmrtComm vllmrtComm; /* opaque */

/* What a kernel of the group reads: in device memory, made by the runtime,
 * one per communicator (so one per rank). All words are u64. */
typedef struct vllmrtCommDescriptor {
  uint64_t rank; /* word 0 */
  uint64_t size; /* word 1: number of ranks R */
  /* word 2: device address of THIS rank's
   * uint32_t[VLLMRT_COMM_MAX_CTAS] call counters, zero-initialised. */
  uint64_t counters;
  uint64_t reserved; /* word 3: 0 */
  /* words 4..11: device address (valid in this rank's context) of rank r's
   * staging buffer; 0 for r >= R. */
  uint64_t data[VLLMRT_COMM_MAX_RANKS];
  /* words 12..19: device address of rank r's flag area:
   * uint32_t start[MAX_CTAS][MAX_RANKS] followed by
   * uint32_t end[MAX_CTAS][MAX_RANKS], zero-initialised; 0 for r >= R. */
  uint64_t flags[VLLMRT_COMM_MAX_RANKS];
} vllmrtCommDescriptor;

#ifdef __cplusplus
static_assert(sizeof(vllmrtCommDescriptor) == 160, "descriptor size");
static_assert(offsetof(vllmrtCommDescriptor, counters) == 16, "word 2");
static_assert(offsetof(vllmrtCommDescriptor, data) == 32, "word 4");
static_assert(offsetof(vllmrtCommDescriptor, flags) == 96, "word 12");
#else
_Static_assert(sizeof(vllmrtCommDescriptor) == 160, "descriptor size");
_Static_assert(offsetof(vllmrtCommDescriptor, counters) == 16, "word 2");
_Static_assert(offsetof(vllmrtCommDescriptor, data) == 32, "word 4");
_Static_assert(offsetof(vllmrtCommDescriptor, flags) == 96, "word 12");
#endif

/*===--------------------------------------------------------------------===*
 * NCCL
 *===--------------------------------------------------------------------===*/

/* 1 when libnccl.so.2 (or $VLLMRT_LIBNCCL) loads and has the entry points
 * the runtime needs, else 0; never records an error. */
VLLMRT_EXPORT int vllmrtNcclAvailable(void);
/* NCCL_VERSION_CODE of the loaded library (22809 for 2.28.9). */
VLLMRT_EXPORT int vllmrtNcclGetVersion(int *version);
/* ncclGetUniqueId into `uniqueId` (VLLMRT_COMM_UNIQUE_ID_BYTES bytes), to be
 * sent to every rank before vllmrtCommInitRank. */
VLLMRT_EXPORT int vllmrtCommGetUniqueId(void *uniqueId);

/*===--------------------------------------------------------------------===*
 * Making and destroying communicators
 *===--------------------------------------------------------------------===*/

/* Rank `rank` of `nranks` (1 .. VLLMRT_COMM_MAX_RANKS): creates an NCCL
 * communicator (ncclCommInitRank) on the device of the calling thread's
 * current context (the primary context of the default device unless the host
 * made another current), and the symmetric buffers, with a staging capacity
 * of `capacityBytes`. Collective: every rank calls it, each from its own
 * thread or process, with the same id, nranks and capacity. The runtime
 * owns the NCCL communicator and destroys it in vllmrtCommDestroy. */
VLLMRT_EXPORT vllmrtComm *vllmrtCommInitRank(const void *uniqueId, int nranks,
                                             int rank, size_t capacityBytes);
/* The same around an NCCL communicator the caller made (an ncclComm_t, e.g.
 * the one of torch.distributed's process group; it must come from the same
 * libnccl the runtime loads, which dlopen of "libnccl.so.2" gives when the
 * host has loaded it already). Rank and size come from ncclCommUserRank /
 * ncclCommCount; its device must be that of the current context. Collective
 * like vllmrtCommInitRank. The caller keeps ownership of `ncclComm`, which
 * must outlive the vllmrtComm. */
VLLMRT_EXPORT vllmrtComm *vllmrtCommFromNccl(void *ncclComm,
                                             size_t capacityBytes);
/* SIMULATED ranks, for functional tests on one GPU: `nranks` communicators
 * (written to comms[0 .. nranks-1]) whose regions are plain cuMemAlloc
 * allocations on the current device, each descriptor listing all of them as
 * peers; no NCCL. The kernels of the ranks wait for one another, so they
 * must run concurrently: one host thread (vllmrtCommBindThread) or at least
 * one stream per rank, never one after another on a single stream. Their CTA
 * limit (vllmrtCommCtaLimit: the SM count / nranks) keeps all ranks' CTAs
 * resident on the shared GPU at once. */
VLLMRT_EXPORT int vllmrtCommCreateLocal(int nranks, size_t capacityBytes,
                                        vllmrtComm **comms);
/* Frees everything the runtime made for `comm` and unbinds it from every
 * group of the process and of the calling thread; other threads' bindings
 * to it become errors on use (rebind or unbind them). It waits for the
 * device first; the kernels of every rank that read this rank's buffers
 * must be finished.
 * - NCCL communicators: collective (every rank calls it), since the peers'
 *   mappings are torn down together; the NCCL communicator is destroyed too
 *   when vllmrtCommInitRank made it.
 * - Local communicators: each frees its own buffers, which the others'
 *   descriptors list; destroy all communicators of a set together. */
VLLMRT_EXPORT int vllmrtCommDestroy(vllmrtComm *comm);

/* Rank and number of ranks; -1 (with an error) for a null communicator. */
VLLMRT_EXPORT int vllmrtCommRank(const vllmrtComm *comm);
VLLMRT_EXPORT int vllmrtCommSize(const vllmrtComm *comm);
/* How the regions were made: "nccl-window" (ncclMemAlloc +
 * ncclCommWindowRegister), "cuda-ipc" (cuMemAlloc + CUDA IPC handles
 * exchanged with ncclAllGather) or "local" (vllmrtCommCreateLocal); "" for
 * a null communicator. VLLMRT_COMM_MECHANISM=cuda-ipc makes NCCL
 * communicators skip the window path (set it alike on every rank). */
VLLMRT_EXPORT const char *vllmrtCommMechanism(const vllmrtComm *comm);
/* Why an NCCL communicator uses "cuda-ipc" rather than "nccl-window" (e.g.
 * "NCCL 22903 is not 2.28.x, whose window layout the runtime knows"); ""
 * otherwise. VLLMRT_VERBOSE=1 also prints it when the communicator is made. */
VLLMRT_EXPORT const char *vllmrtCommFallbackReason(const vllmrtComm *comm);
/* The ncclComm_t (NULL for local communicators). */
VLLMRT_EXPORT void *vllmrtCommNcclHandle(vllmrtComm *comm);

/*===--------------------------------------------------------------------===*
 * Binding communicators to group numbers
 *===--------------------------------------------------------------------===*/

/* Binds `comm` to group `group` (0 <= group < VLLMRT_COMM_MAX_GROUPS) for the
 * whole process; NULL unbinds. */
VLLMRT_EXPORT int vllmrtCommBind(int group, vllmrtComm *comm);
/* The same for the calling thread only, taking precedence over the
 * process-wide binding (how one process drives several simulated ranks, one
 * thread each); NULL removes the thread's binding. */
VLLMRT_EXPORT int vllmrtCommBindThread(int group, vllmrtComm *comm);

/*===--------------------------------------------------------------------===*
 * What compiled host code calls (LLVM types: i32, ptr, i64)
 *===--------------------------------------------------------------------===*/

/* Copies `bytes` from `src` into this rank's staging buffer of the
 * communicator bound to `group` (cuMemcpyAsync on `stream`; nothing
 * synchronous and no allocation, so it can be captured in a CUDA graph) and
 * returns the device address of the communicator's vllmrtCommDescriptor.
 * bytes == 0 copies nothing. NULL, with an error naming the group and the
 * sizes, when no communicator is bound, the group is out of range, or bytes
 * is negative or beyond the capacity. */
VLLMRT_EXPORT void *vllmrtCommStage(int32_t group, void *src, int64_t bytes,
                                    void *stream);
/* How many CTAs a kernel of this group may launch: min(VLLMRT_COMM_MAX_CTAS,
 * SM count) for NCCL communicators (one GPU each); SM count / nranks (at
 * least 1) for local ones, so that every rank's kernel is resident at once
 * on the shared GPU. 0, with an error, when no communicator is bound. */
VLLMRT_EXPORT int64_t vllmrtCommCtaLimit(int32_t group);
/* ncclAllReduce (sum) of `count` elements of `elementType` (0 = f32, 1 = f16,
 * 2 = bf16) from `input` to `output` on `stream`. Refused (non-zero, with an
 * error, nothing done) for local communicators and for more than 2 ranks:
 * vllm.all_reduce sums the ranks' values in rank order in f32 and rounds
 * once, which ncclAllReduce matches only for 1 or 2 ranks (one commutative
 * addition); larger groups use the compiler's all-reduce=peer lowering. */
VLLMRT_EXPORT int32_t vllmrtCommAllReduceNccl(int32_t group, void *input,
                                              void *output, int64_t count,
                                              int32_t elementType,
                                              void *stream);

#ifdef __cplusplus
}
#endif

#endif /* VLLM_RUNTIME_COMM_H */
