//===- Comm.cpp - Tensor-parallel communicators ---------------------------===//
//
// Part of the vllm-mlir project.
//
//===----------------------------------------------------------------------===//
//
// See include/vllm-runtime/Comm.h for the API. libnccl.so.2 is opened on
// first use (VLLMRT_LIBNCCL names another file), like libcuda in
// CudaDriver.cpp, so the runtime builds and loads without NCCL.
//
// The regions of an NCCL communicator come from NCCL's symmetric memory
// where the runtime can read the peers' addresses off the window (NCCL
// 2.28's private layout, validated at run time), otherwise from cuMemAlloc
// shared with CUDA IPC. Each rank decides what it can do, and the ranks
// agree (a one-element ncclAllReduce of the minimum) before each step that
// needs all of them: a rank that took another path than its peers would wait
// for them forever inside NCCL.
//
//===----------------------------------------------------------------------===//

#include "vllm-runtime/Comm.h"

#include "CudaDriver.h"
#include "DynamicLibrary.h"
#include "Nccl.h"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <dlfcn.h>
#include <mutex>
#include <random>
#include <sched.h>
#include <string>
#include <sys/uio.h>
#include <unistd.h>
#include <unordered_map>

using namespace vllmrt::cu;
namespace nc = vllmrt::nccl;

//===----------------------------------------------------------------------===//
// Loading libnccl
//===----------------------------------------------------------------------===//

namespace vllmrt {
namespace nccl {
namespace {

struct LoaderState {
  Library library{};
  bool available = false;
  std::string reason;
};

void initialize(LoaderState &s) {
  // By soname, so a libnccl the host loaded already (PyTorch's) is the one
  // used: communicators from vllmrtCommFromNccl must meet their own library.
  const char *path = nullptr;
  void *handle = openLibrary("VLLMRT_LIBNCCL", "libnccl.so.2", path, s.reason);
  if (!handle)
    return;
  Library &l = s.library;
  std::string missing;
  resolveSymbol(handle, l.ncclGetVersion, "ncclGetVersion", &missing);
  resolveSymbol(handle, l.ncclGetErrorString, "ncclGetErrorString", &missing);
  resolveSymbol(handle, l.ncclGetLastError, "ncclGetLastError", nullptr);
  resolveSymbol(handle, l.ncclGetUniqueId, "ncclGetUniqueId", &missing);
  resolveSymbol(handle, l.ncclCommInitRank, "ncclCommInitRank", &missing);
  resolveSymbol(handle, l.ncclCommDestroy, "ncclCommDestroy", &missing);
  resolveSymbol(handle, l.ncclCommGetAsyncError, "ncclCommGetAsyncError",
                &missing);
  resolveSymbol(handle, l.ncclCommCount, "ncclCommCount", &missing);
  resolveSymbol(handle, l.ncclCommUserRank, "ncclCommUserRank", &missing);
  resolveSymbol(handle, l.ncclCommCuDevice, "ncclCommCuDevice", &missing);
  resolveSymbol(handle, l.ncclAllReduce, "ncclAllReduce", &missing);
  resolveSymbol(handle, l.ncclAllGather, "ncclAllGather", &missing);
  resolveSymbol(handle, l.ncclMemAlloc, "ncclMemAlloc", nullptr);
  resolveSymbol(handle, l.ncclMemFree, "ncclMemFree", nullptr);
  resolveSymbol(handle, l.ncclCommWindowRegister, "ncclCommWindowRegister",
                nullptr);
  resolveSymbol(handle, l.ncclCommWindowDeregister, "ncclCommWindowDeregister",
                nullptr);
  if (!missing.empty()) {
    s.reason = std::string(path) + " lacks " + missing;
    return;
  }
  s.available = true;
}

LoaderState &loaded() { return loadOnce<LoaderState, initialize>(); }

} // namespace

const Library *library() {
  LoaderState &s = loaded();
  return s.available ? &s.library : nullptr;
}

const std::string &unavailableReason() { return loaded().reason; }

} // namespace nccl
} // namespace vllmrt

//===----------------------------------------------------------------------===//
// Communicators
//===----------------------------------------------------------------------===//

namespace {

constexpr size_t kStagingAlignment = 256;
constexpr size_t kFlagBytes =
    2 * size_t(VLLMRT_COMM_MAX_CTAS) * VLLMRT_COMM_MAX_RANKS * sizeof(uint32_t);
constexpr size_t kCounterBytes = VLLMRT_COMM_MAX_CTAS * sizeof(uint32_t);
/// Far beyond any GPU's memory; keeps the size arithmetic from overflowing.
constexpr size_t kMaxCapacity = size_t(1) << 40;

/// The private scratch buffer of an NCCL communicator: the agreement word at
/// offset 0, the IPC records to send at kSendOffset, the gathered ones after.
constexpr size_t kSendOffset = 256;
constexpr size_t kRecordBytes = 128;
constexpr size_t kScratchBytes =
    kSendOffset + kRecordBytes * (1 + VLLMRT_COMM_MAX_RANKS);

enum class Mechanism { Local, NcclWindow, CudaIpc };

const char *mechanismName(Mechanism m) {
  switch (m) {
  case Mechanism::Local:
    return "local";
  case Mechanism::NcclWindow:
    return "nccl-window";
  case Mechanism::CudaIpc:
    return "cuda-ipc";
  }
  return "";
}

size_t roundUp(size_t value, size_t alignment) {
  return (value + alignment - 1) / alignment * alignment;
}

} // namespace

struct vllmrtComm {
  Mechanism mechanism = Mechanism::Local;
  int rank = 0;
  int size = 0;
  /// The largest vllmrtCommStage copy, as asked for.
  size_t capacity = 0;
  /// The staging part of the region: the capacity rounded up to 256.
  size_t stagingBytes = 0;
  int64_t ctaLimit = 0;
  /// The context everything was made in (made current again to destroy).
  CUcontext context = nullptr;
  /// This rank's region (staging, then flags), counters and descriptor.
  CUdeviceptr region = 0;
  CUdeviceptr counters = 0;
  CUdeviceptr descriptor = 0;
  vllmrtCommDescriptor host{};
  /// Why an NCCL communicator does not use NCCL windows ("" if it does).
  std::string fallbackReason;

  // NCCL communicators only.
  nc::ncclComm_t nccl = nullptr;
  bool ownsNccl = false;
  /// nccl-window: the window of `region`, which came from ncclMemAlloc.
  nc::ncclWindow_t window = nullptr;
  /// cuda-ipc: peer regions opened with cuIpcOpenMemHandle (0 for this rank
  /// and for peers of this process, whose pointers are used as they are).
  CUdeviceptr opened[VLLMRT_COMM_MAX_RANKS] = {};
  /// A private stream and buffer for the runtime's own collectives, which
  /// must neither wait for nor be captured with the host's work.
  CUstream stream = nullptr;
  CUdeviceptr scratch = 0;
};

namespace {

//===----------------------------------------------------------------------===//
// Bindings
//===----------------------------------------------------------------------===//

/// A binding remembers the communicator's serial number, so that a thread's
/// binding to a communicator destroyed since (possibly with a new one at the
/// same address) is an error instead of a use after free.
struct Binding {
  vllmrtComm *comm = nullptr;
  uint64_t serial = 0;
};

struct Registry {
  std::mutex mutex;
  std::unordered_map<const vllmrtComm *, uint64_t> live;
  Binding process[VLLMRT_COMM_MAX_GROUPS];
  uint64_t nextSerial = 1;
};

Registry &registry() {
  static Registry *r = new Registry;
  return *r;
}

Binding *threadBindings() {
  thread_local Binding bindings[VLLMRT_COMM_MAX_GROUPS];
  return bindings;
}

void enroll(vllmrtComm *comm) {
  Registry &r = registry();
  std::lock_guard<std::mutex> lock(r.mutex);
  r.live[comm] = r.nextSerial++;
}

/// Forgets `comm`: it is no longer bound to any group of the process or of
/// the calling thread. Other threads' bindings go stale (see lookup).
void withdraw(vllmrtComm *comm) {
  Registry &r = registry();
  std::lock_guard<std::mutex> lock(r.mutex);
  r.live.erase(comm);
  Binding *mine = threadBindings();
  for (int g = 0; g < VLLMRT_COMM_MAX_GROUPS; ++g) {
    if (r.process[g].comm == comm)
      r.process[g] = Binding();
    if (mine[g].comm == comm)
      mine[g] = Binding();
  }
}

bool checkGroup(int group, const char *what) {
  if (group >= 0 && group < VLLMRT_COMM_MAX_GROUPS)
    return true;
  recordError(std::string(what) + ": group " + std::to_string(group) +
              " out of range [0, " + std::to_string(VLLMRT_COMM_MAX_GROUPS) +
              ")");
  return false;
}

int bind(int group, vllmrtComm *comm, bool thread, const char *what) {
  if (!checkGroup(group, what))
    return 1;
  Registry &r = registry();
  Binding binding;
  {
    std::lock_guard<std::mutex> lock(r.mutex);
    if (comm) {
      auto it = r.live.find(comm);
      if (it != r.live.end())
        binding = Binding{comm, it->second};
    }
    if (!comm || binding.comm) {
      (thread ? threadBindings()[group] : r.process[group]) = binding;
      return 0;
    }
  }
  recordError(std::string(what) + ": group " + std::to_string(group) +
              ": not a live communicator (destroyed, or never made)");
  return 1;
}

/// The communicator bound to `group`: the calling thread's binding, else the
/// process-wide one; null with an error naming `what` and the group.
vllmrtComm *lookup(int32_t group, const char *what) {
  if (!checkGroup(group, what))
    return nullptr;
  Registry &r = registry();
  bool stale = false;
  {
    std::lock_guard<std::mutex> lock(r.mutex);
    const Binding &mine = threadBindings()[group];
    if (mine.comm) {
      auto it = r.live.find(mine.comm);
      if (it != r.live.end() && it->second == mine.serial)
        return mine.comm;
      stale = true;
    } else if (r.process[group].comm) {
      return r.process[group].comm;
    }
  }
  if (stale)
    recordError(std::string(what) + ": group " + std::to_string(group) +
                ": the communicator this thread bound to it was destroyed");
  else
    recordError(std::string(what) + ": no communicator bound to group " +
                std::to_string(group) +
                " (vllmrtCommBind or vllmrtCommBindThread)");
  return nullptr;
}

//===----------------------------------------------------------------------===//
// Helpers
//===----------------------------------------------------------------------===//

bool checkCapacity(size_t capacity, const char *what) {
  if (capacity <= kMaxCapacity)
    return true;
  recordError(std::string(what) + ": capacity of " + std::to_string(capacity) +
              " bytes is too large");
  return false;
}

/// "<what> (<callee>)": the name of a failed call in an error message.
std::string call(const char *what, const char *callee) {
  return std::string(what) + " (" + callee + ")";
}

/// The device of the current context and its SM count.
bool smCount(const Driver *d, int &count, CUdevice &device, const char *what) {
  return check(d->cuCtxGetDevice(&device),
               call(what, "cuCtxGetDevice").c_str()) &&
         check(d->cuDeviceGetAttribute(
                   &count, CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT, device),
               call(what, "cuDeviceGetAttribute").c_str());
}

/// Fills the host copy of the descriptor from the ranks' regions (as seen
/// from this rank) and uploads it to a new device allocation.
bool makeDescriptor(const Driver *d, vllmrtComm *c,
                    const CUdeviceptr (&regions)[VLLMRT_COMM_MAX_RANKS],
                    const char *what) {
  vllmrtCommDescriptor &h = c->host;
  std::memset(&h, 0, sizeof(h));
  h.rank = static_cast<uint64_t>(c->rank);
  h.size = static_cast<uint64_t>(c->size);
  h.counters = c->counters;
  for (int r = 0; r < c->size; ++r) {
    h.data[r] = regions[r];
    h.flags[r] = regions[r] + c->stagingBytes;
  }
  // cuMemcpyHtoD from pageable memory may return before the copy is done.
  return check(d->cuMemAlloc(&c->descriptor, sizeof(h)),
               call(what, "cuMemAlloc").c_str()) &&
         check(d->cuMemcpyHtoD(c->descriptor, &h, sizeof(h)),
               call(what, "cuMemcpyHtoD").c_str()) &&
         check(d->cuCtxSynchronize(), call(what, "cuCtxSynchronize").c_str());
}

/// A zeroed allocation (the counters).
bool allocateZeroed(const Driver *d, CUdeviceptr &ptr, size_t bytes,
                    const char *what) {
  return check(d->cuMemAlloc(&ptr, bytes), call(what, "cuMemAlloc").c_str()) &&
         check(d->cuMemsetD8(ptr, 0, bytes), call(what, "cuMemsetD8").c_str());
}

void freeIf(const Driver *d, CUdeviceptr &ptr, const char *what) {
  if (ptr)
    check(d->cuMemFree(ptr), call(what, "cuMemFree").c_str());
  ptr = 0;
}

//===----------------------------------------------------------------------===//
// NCCL helpers
//===----------------------------------------------------------------------===//

/// "" when `result` (after waiting out ncclInProgress, which non-blocking
/// communicators answer until the call is done) is success, else NCCL's
/// description of the failure.
std::string ncclFailure(const nc::Library *l, nc::ncclComm_t comm,
                        nc::ncclResult_t result) {
  while (result == nc::ncclInProgress && comm) {
    nc::ncclResult_t async = nc::ncclSuccess;
    nc::ncclResult_t r = l->ncclCommGetAsyncError(comm, &async);
    result = r != nc::ncclSuccess ? r : async;
    if (result == nc::ncclInProgress)
      sched_yield();
  }
  if (result == nc::ncclSuccess)
    return "";
  const char *name = l->ncclGetErrorString(result);
  std::string s = name && *name ? name : "NCCL error";
  s += " (" + std::to_string(result) + ")";
  if (l->ncclGetLastError) {
    const char *last = l->ncclGetLastError(comm);
    if (last && *last)
      s += std::string(": ") + last;
  }
  return s;
}

/// Records "<what> (<callee>) failed: <NCCL's description>" unless `result`
/// is success; returns true on success.
bool ncclCheck(const nc::Library *l, nc::ncclComm_t comm,
               nc::ncclResult_t result, const char *what, const char *callee) {
  std::string failure = ncclFailure(l, comm, result);
  if (failure.empty())
    return true;
  recordError(call(what, callee) + " failed: " + failure);
  return false;
}

const nc::Library *ncclOrError(const char *what) {
  if (const nc::Library *l = nc::library())
    return l;
  recordError(std::string(what) +
              ": NCCL unavailable: " + nc::unavailableReason());
  return nullptr;
}

/// The minimum of `value` over the ranks (a one-element ncclAllReduce on the
/// private stream, waited for): how the ranks agree on what each decided
/// alone, and a barrier. -1, with an error, when a call fails.
int agreeMin(const Driver *d, const nc::Library *l, vllmrtComm *c, int value,
             const char *what) {
  int32_t word = value;
  bool ok =
      check(d->cuMemcpyHtoDAsync(c->scratch, &word, sizeof(word), c->stream),
            call(what, "cuMemcpyHtoDAsync").c_str()) &&
      ncclCheck(l, c->nccl,
                l->ncclAllReduce(reinterpret_cast<void *>(c->scratch),
                                 reinterpret_cast<void *>(c->scratch), 1,
                                 nc::ncclInt32, nc::ncclMin, c->nccl,
                                 c->stream),
                what, "ncclAllReduce") &&
      check(d->cuStreamSynchronize(c->stream),
            call(what, "cuStreamSynchronize").c_str()) &&
      check(d->cuMemcpyDtoH(&word, c->scratch, sizeof(word)),
            call(what, "cuMemcpyDtoH").c_str());
  return ok ? word : -1;
}

/// What each rank writes at the start of its region, and every rank reads
/// back through the addresses it derived from the window: proof that the
/// layout was read right. (Comparing this rank's derived address with its
/// own pointer proves nothing: NCCL maps every rank's memory, this rank's
/// too, into a range of its own, so that address is another mapping of the
/// same memory, never the ncclMemAlloc pointer.)
struct Token {
  uint64_t magic, rank, size, bytes;
};
constexpr uint64_t kTokenMagic = 0x766c6c6d72742d63ull; // "vllmrt-c"

/// NCCL's add4G: `delta4G` added to the upper 32 bits, modulo 2^32.
uint64_t add4G(uint64_t base, uint32_t delta4G) {
  uint32_t high = static_cast<uint32_t>(base >> 32) + delta4G;
  return (uint64_t(high) << 32) | (base & 0xffffffffull);
}

/// A CUDA result's name, for the fallback reasons (which are no errors).
std::string cudaName(const Driver *d, CUresult result) {
  const char *name = nullptr;
  if (d->cuGetErrorName(result, &name) != CUDA_SUCCESS || !name)
    return "CUDA error " + std::to_string(result);
  return name;
}

std::string hex(uint64_t value) {
  char text[24];
  std::snprintf(text, sizeof(text), "0x%llx",
                static_cast<unsigned long long>(value));
  return text;
}

/// Reads the leading fields of the window struct, which NCCL 2.28 keeps in
/// device memory. Where CUDA says the address is host memory, or does not
/// know it (ordinary host memory), it is read on the host, through
/// process_vm_readv, so that an unreadable address is a reason to fall back
/// rather than a crash. "" on success, else why not.
std::string readWindow(const Driver *d, nc::ncclWindow_t window,
                       nc::WindowPrefix &prefix) {
  CUdeviceptr address = reinterpret_cast<CUdeviceptr>(window);
  unsigned type = 0;
  CUresult query = d->cuPointerGetAttribute(
      &type, CU_POINTER_ATTRIBUTE_MEMORY_TYPE, address);
  if (query == CUDA_SUCCESS && type != CU_MEMORYTYPE_HOST) {
    CUresult copy = d->cuMemcpyDtoH(&prefix, address, sizeof(prefix));
    if (copy == CUDA_SUCCESS)
      return "";
    return "cannot copy the window struct at " + hex(address) +
           " (memory type " + std::to_string(type) +
           ") from the device: " + cudaName(d, copy);
  }
  struct iovec local = {&prefix, sizeof(prefix)};
  struct iovec remote = {static_cast<void *>(window), sizeof(prefix)};
  if (process_vm_readv(getpid(), &local, 1, &remote, 1, 0) ==
      static_cast<ssize_t>(sizeof(prefix)))
    return "";
  return "cannot read the window struct at " + hex(address) +
         " on the host (cuPointerGetAttribute: " +
         (query == CUDA_SUCCESS ? "host memory" : cudaName(d, query)) +
         "; process_vm_readv: " + std::strerror(errno) + ")";
}

enum class Outcome { Used, FellBack, Failed };

/// The regions from NCCL's symmetric memory: ncclMemAlloc, then
/// ncclCommWindowRegister, whose window says where every peer's copy is.
/// Used: c->region, c->window and `regions` are set. FellBack: every rank
/// declined (c->fallbackReason says why); nothing is left allocated.
/// Failed: an error was recorded.
Outcome tryWindow(const Driver *d, const nc::Library *l, vllmrtComm *c,
                  size_t regionBytes,
                  CUdeviceptr (&regions)[VLLMRT_COMM_MAX_RANKS],
                  const char *what) {
  std::string why;
  const char *forced = std::getenv("VLLMRT_COMM_MECHANISM");
  int version = 0;
  if (forced && std::strcmp(forced, "cuda-ipc") == 0) {
    why = "VLLMRT_COMM_MECHANISM=cuda-ipc";
  } else if (!l->ncclMemAlloc || !l->ncclMemFree ||
             !l->ncclCommWindowRegister || !l->ncclCommWindowDeregister) {
    why = "libnccl has no ncclMemAlloc / ncclCommWindowRegister";
  } else if (l->ncclGetVersion(&version) != nc::ncclSuccess ||
             version < 22800 || version >= 22900) {
    // The window layout read below is NCCL 2.28's private one.
    why = "NCCL " + std::to_string(version) +
          " is not 2.28.x, whose window layout the runtime knows";
  }
  void *memory = nullptr;
  if (why.empty()) {
    std::string failure =
        ncclFailure(l, c->nccl, l->ncclMemAlloc(&memory, regionBytes));
    if (!failure.empty()) {
      why = "ncclMemAlloc failed: " + failure;
      memory = nullptr;
    }
  }
  auto freeMemory = [&] {
    if (memory)
      l->ncclMemFree(memory);
    memory = nullptr;
  };
  // Registration is collective: all ranks or none.
  int agreed = agreeMin(d, l, c, why.empty() ? 1 : 0, what);
  if (agreed < 0) {
    freeMemory();
    return Outcome::Failed;
  }
  if (agreed == 0) {
    freeMemory();
    c->fallbackReason =
        why.empty() ? "another rank cannot use NCCL windows" : why;
    return Outcome::FellBack;
  }

  nc::ncclWindow_t window = nullptr;
  std::string failure =
      ncclFailure(l, c->nccl,
                  l->ncclCommWindowRegister(c->nccl, memory, regionBytes,
                                            &window, nc::kWinCollSymmetric));
  if (!failure.empty()) {
    why = "ncclCommWindowRegister failed: " + failure;
    window = nullptr;
  }
  CUdeviceptr derived[VLLMRT_COMM_MAX_RANKS] = {};
  CUdeviceptr own = reinterpret_cast<CUdeviceptr>(memory);
  Token token{kTokenMagic, static_cast<uint64_t>(c->rank),
              static_cast<uint64_t>(c->size), regionBytes};
  if (why.empty() && !window)
    why = "ncclCommWindowRegister gave no window";
  if (window) {
    nc::WindowPrefix prefix{};
    std::string unread = readWindow(d, window, prefix);
    if (!unread.empty()) {
      why = unread;
    } else if (prefix.lsaRank != c->rank || prefix.worldRank != c->rank ||
               !prefix.lsaFlatBase || prefix.stride4G == 0) {
      // Agreed over all ranks, lsaRank == rank means that every rank is in
      // this rank's LSA team (one node), so every peer has an address.
      why = "unexpected window (lsaRank " + std::to_string(prefix.lsaRank) +
            ", worldRank " + std::to_string(prefix.worldRank) + ", stride4G " +
            std::to_string(prefix.stride4G) + ")";
    } else {
      uint64_t base = reinterpret_cast<uint64_t>(prefix.lsaFlatBase);
      for (int r = 0; r < c->size; ++r)
        derived[r] = add4G(base, static_cast<uint32_t>(r) * prefix.stride4G);
      if (d->cuMemcpyHtoD(own, &token, sizeof(token)) != CUDA_SUCCESS ||
          d->cuCtxSynchronize() != CUDA_SUCCESS)
        why = "cannot write the window's check token";
    }
  }
  auto giveUp = [&](Outcome outcome) {
    // Deregistration is collective too; every rank that registered gives up
    // here together (the agreement before said so).
    if (window)
      ncclCheck(l, c->nccl, l->ncclCommWindowDeregister(c->nccl, window), what,
                "ncclCommWindowDeregister");
    freeMemory();
    return outcome;
  };
  agreed = agreeMin(d, l, c, why.empty() ? 1 : 0, what);
  if (agreed < 0)
    return giveUp(Outcome::Failed);
  if (agreed == 0) {
    c->fallbackReason =
        why.empty() ? "another rank cannot use its NCCL window" : why;
    return giveUp(Outcome::FellBack);
  }

  // Every rank has written its token: read them all through the derived
  // addresses (this rank's too, which is another mapping of `memory`).
  for (int r = 0; r < c->size && why.empty(); ++r) {
    Token seen{};
    if (d->cuMemcpyDtoH(&seen, derived[r], sizeof(seen)) != CUDA_SUCCESS)
      why = "cannot read rank " + std::to_string(r) + "'s window";
    else if (seen.magic != kTokenMagic || seen.rank != uint64_t(r) ||
             seen.size != token.size || seen.bytes != token.bytes)
      why = "rank " + std::to_string(r) +
            "'s window is not where its layout says";
  }
  agreed = agreeMin(d, l, c, why.empty() ? 1 : 0, what);
  if (agreed < 0)
    return giveUp(Outcome::Failed);
  if (agreed == 0) {
    c->fallbackReason =
        why.empty() ? "another rank could not read the windows" : why;
    return giveUp(Outcome::FellBack);
  }
  for (int r = 0; r < c->size; ++r)
    regions[r] = r == c->rank ? own : derived[r];
  c->region = own;
  c->window = window;
  return Outcome::Used;
}

/// A random number per process: two ranks with the same one are threads of
/// one process, whose pointers are valid for each other (CUDA IPC refuses to
/// open a handle of its own process).
uint64_t processToken() {
  static const uint64_t token = [] {
    std::random_device device;
    uint64_t t = (uint64_t(device()) << 32) ^ device();
    return t ^ static_cast<uint64_t>(
                   std::chrono::steady_clock::now().time_since_epoch().count());
  }();
  return token;
}

/// What every rank tells the others in the CUDA IPC path.
struct IpcRecord {
  CUipcMemHandle handle;
  uint64_t address; // 0: this rank failed
  uint64_t process;
  int32_t device;
  char pad[kRecordBytes - sizeof(CUipcMemHandle) - 2 * sizeof(uint64_t) -
           sizeof(int32_t)];
};
static_assert(sizeof(IpcRecord) == kRecordBytes, "IPC record size");

/// Lets this context access memory of `device`'s primary context.
bool enablePeerAccess(const Driver *d, CUdevice device, const char *what) {
  CUcontext peer = nullptr;
  if (!check(d->cuDevicePrimaryCtxRetain(&peer, device),
             call(what, "cuDevicePrimaryCtxRetain").c_str()))
    return false;
  CUresult result = d->cuCtxEnablePeerAccess(peer, 0);
  bool ok = result == CUDA_ERROR_PEER_ACCESS_ALREADY_ENABLED ||
            check(result, call(what, "cuCtxEnablePeerAccess").c_str());
  check(d->cuDevicePrimaryCtxRelease(device),
        call(what, "cuDevicePrimaryCtxRelease").c_str());
  return ok;
}

/// The regions from cuMemAlloc, shared with CUDA IPC (handles exchanged
/// with ncclAllGather). False, with an error, on failure (on any rank).
bool setUpIpc(const Driver *d, const nc::Library *l, vllmrtComm *c,
              size_t regionBytes, CUdevice device,
              CUdeviceptr (&regions)[VLLMRT_COMM_MAX_RANKS], const char *what) {
  IpcRecord mine{};
  mine.process = processToken();
  mine.device = device;
  // A rank that fails still takes part in the exchange (with address 0), so
  // that the others learn it instead of waiting.
  if (check(d->cuMemAlloc(&c->region, regionBytes),
            call(what, "cuMemAlloc").c_str()) &&
      check(d->cuIpcGetMemHandle(&mine.handle, c->region),
            call(what, "cuIpcGetMemHandle").c_str()))
    mine.address = c->region;
  IpcRecord all[VLLMRT_COMM_MAX_RANKS]{};
  CUdeviceptr send = c->scratch + kSendOffset;
  CUdeviceptr gathered = send + kRecordBytes;
  bool ok = check(d->cuMemcpyHtoDAsync(send, &mine, sizeof(mine), c->stream),
                  call(what, "cuMemcpyHtoDAsync").c_str()) &&
            ncclCheck(l, c->nccl,
                      l->ncclAllGather(reinterpret_cast<void *>(send),
                                       reinterpret_cast<void *>(gathered),
                                       kRecordBytes, nc::ncclInt8, c->nccl,
                                       c->stream),
                      what, "ncclAllGather") &&
            check(d->cuStreamSynchronize(c->stream),
                  call(what, "cuStreamSynchronize").c_str()) &&
            check(d->cuMemcpyDtoH(all, gathered, kRecordBytes * c->size),
                  call(what, "cuMemcpyDtoH").c_str());
  for (int r = 0; r < c->size && ok; ++r) {
    const IpcRecord &peer = all[r];
    if (!peer.address) {
      if (r != c->rank)
        recordError(std::string(what) + ": rank " + std::to_string(r) +
                    " could not share its buffer");
      ok = false;
    } else if (r == c->rank) {
      regions[r] = c->region;
    } else if (peer.process == mine.process) {
      // Another thread of this process (one GPU each): the pointer is valid
      // here once peer access is on.
      regions[r] = peer.address;
      ok = peer.device == device || enablePeerAccess(d, peer.device, what);
    } else {
      ok = check(d->cuIpcOpenMemHandle(&c->opened[r], peer.handle,
                                       CU_IPC_MEM_LAZY_ENABLE_PEER_ACCESS),
                 call(what, "cuIpcOpenMemHandle").c_str());
      regions[r] = c->opened[r];
    }
  }
  return ok;
}

/// Frees what `c` holds. For NCCL communicators whose peers may still use
/// this rank's region, the caller makes sure they are done (vllmrtCommDestroy
/// does).
bool release(const Driver *d, const nc::Library *l, vllmrtComm *c,
             const char *what) {
  bool ok = true;
  for (CUdeviceptr &p : c->opened)
    if (p) {
      ok &= check(d->cuIpcCloseMemHandle(p),
                  call(what, "cuIpcCloseMemHandle").c_str());
      p = 0;
    }
  if (c->window) {
    ok &= ncclCheck(l, c->nccl, l->ncclCommWindowDeregister(c->nccl, c->window),
                    what, "ncclCommWindowDeregister");
    ok &= ncclCheck(l, c->nccl,
                    l->ncclMemFree(reinterpret_cast<void *>(c->region)), what,
                    "ncclMemFree");
    c->window = nullptr;
    c->region = 0;
  }
  freeIf(d, c->region, what);
  freeIf(d, c->counters, what);
  freeIf(d, c->descriptor, what);
  freeIf(d, c->scratch, what);
  if (c->stream)
    ok &= check(d->cuStreamDestroy(c->stream),
                call(what, "cuStreamDestroy").c_str());
  c->stream = nullptr;
  if (c->nccl && c->ownsNccl)
    ok &= ncclCheck(l, nullptr, l->ncclCommDestroy(c->nccl), what,
                    "ncclCommDestroy");
  c->nccl = nullptr;
  return ok;
}

/// Everything after the NCCL communicator exists: rank, size, regions,
/// counters, descriptor. Collective. On failure `c` holds what release()
/// frees.
bool setUpNccl(const Driver *d, const nc::Library *l, vllmrtComm *c,
               size_t capacity, const char *what) {
  int size = 0, rank = 0, ncclDevice = -1, sms = 0;
  CUdevice device = 0;
  if (!ncclCheck(l, c->nccl, l->ncclCommCount(c->nccl, &size), what,
                 "ncclCommCount") ||
      !ncclCheck(l, c->nccl, l->ncclCommUserRank(c->nccl, &rank), what,
                 "ncclCommUserRank") ||
      !ncclCheck(l, c->nccl, l->ncclCommCuDevice(c->nccl, &ncclDevice), what,
                 "ncclCommCuDevice") ||
      !smCount(d, sms, device, what))
    return false;
  if (size < 1 || size > VLLMRT_COMM_MAX_RANKS || rank < 0 || rank >= size) {
    recordError(std::string(what) + ": the NCCL communicator has " +
                std::to_string(size) + " ranks (rank " + std::to_string(rank) +
                "); at most " + std::to_string(VLLMRT_COMM_MAX_RANKS) +
                " are supported");
    return false;
  }
  if (ncclDevice != device) {
    recordError(std::string(what) + ": the NCCL communicator is on device " +
                std::to_string(ncclDevice) +
                " but the current context's device is " +
                std::to_string(device));
    return false;
  }
  c->rank = rank;
  c->size = size;
  c->capacity = capacity;
  c->stagingBytes = roundUp(capacity, kStagingAlignment);
  c->ctaLimit = std::min<int64_t>(VLLMRT_COMM_MAX_CTAS, sms);
  size_t regionBytes = c->stagingBytes + kFlagBytes;
  // Local steps first: a rank failing before the first collective leaves
  // the others waiting in NCCL, as any NCCL collective would.
  if (!check(d->cuStreamCreate(&c->stream, CU_STREAM_NON_BLOCKING),
             call(what, "cuStreamCreate").c_str()) ||
      !check(d->cuMemAlloc(&c->scratch, kScratchBytes),
             call(what, "cuMemAlloc").c_str()) ||
      !allocateZeroed(d, c->counters, kCounterBytes, what))
    return false;

  CUdeviceptr regions[VLLMRT_COMM_MAX_RANKS] = {};
  bool ok = true;
  switch (tryWindow(d, l, c, regionBytes, regions, what)) {
  case Outcome::Used:
    c->mechanism = Mechanism::NcclWindow;
    break;
  case Outcome::Failed:
    return false;
  case Outcome::FellBack:
    c->mechanism = Mechanism::CudaIpc;
    if (std::getenv("VLLMRT_VERBOSE"))
      std::fprintf(stderr,
                   "vllm-runtime: %s: rank %d uses CUDA IPC, not NCCL "
                   "windows: %s\n",
                   what, rank, c->fallbackReason.c_str());
    ok = setUpIpc(d, l, c, regionBytes, device, regions, what);
    break;
  }
  // Zeroed flags on every rank before any rank's kernel can run: the last
  // agreement is also the barrier.
  ok = ok &&
       check(d->cuMemsetD8(c->region + c->stagingBytes, 0, kFlagBytes),
             call(what, "cuMemsetD8").c_str()) &&
       check(d->cuCtxSynchronize(), call(what, "cuCtxSynchronize").c_str()) &&
       makeDescriptor(d, c, regions, what);
  int agreed = agreeMin(d, l, c, ok ? 1 : 0, what);
  if (ok && agreed == 0)
    recordError(std::string(what) + ": another rank failed to set up");
  return ok && agreed == 1;
}

/// What vllmrtCommInitRank and vllmrtCommFromNccl check before they touch
/// NCCL: the capacity, the library, and a current context (NCCL takes the
/// device of the current context). False, with the error recorded, when
/// one is missing.
bool prepareNcclComm(size_t capacity, const char *what, const nc::Library *&l,
                     const Driver *&d) {
  if (!checkCapacity(capacity, what))
    return false;
  l = ncclOrError(what);
  d = l ? withContext(what) : nullptr;
  return d != nullptr;
}

vllmrtComm *makeNcclComm(nc::ncclComm_t ncclComm, bool owns, size_t capacity,
                         const Driver *d, const nc::Library *l,
                         const char *what) {
  vllmrtComm *c = new vllmrtComm();
  c->nccl = ncclComm;
  c->ownsNccl = owns;
  if (!check(d->cuCtxGetCurrent(&c->context),
             call(what, "cuCtxGetCurrent").c_str()) ||
      !setUpNccl(d, l, c, capacity, what)) {
    release(d, l, c, what);
    delete c;
    return nullptr;
  }
  enroll(c);
  return c;
}

} // namespace

//===----------------------------------------------------------------------===//
// The C API
//===----------------------------------------------------------------------===//

extern "C" int vllmrtNcclAvailable(void) { return nc::library() ? 1 : 0; }

extern "C" int vllmrtNcclGetVersion(int *version) {
  const char *what = "vllmrtNcclGetVersion";
  const nc::Library *l = ncclOrError(what);
  int v = 0;
  bool ok =
      l && ncclCheck(l, nullptr, l->ncclGetVersion(&v), what, "ncclGetVersion");
  if (version)
    *version = v;
  return ok ? 0 : 1;
}

extern "C" int vllmrtCommGetUniqueId(void *uniqueId) {
  const char *what = "vllmrtCommGetUniqueId";
  if (!uniqueId) {
    recordError(std::string(what) + ": null id");
    return 1;
  }
  const nc::Library *l = ncclOrError(what);
  nc::ncclUniqueId id{};
  if (!l ||
      !ncclCheck(l, nullptr, l->ncclGetUniqueId(&id), what, "ncclGetUniqueId"))
    return 1;
  std::memcpy(uniqueId, id.internal, sizeof(id.internal));
  return 0;
}

extern "C" vllmrtComm *vllmrtCommInitRank(const void *uniqueId, int nranks,
                                          int rank, size_t capacityBytes) {
  const char *what = "vllmrtCommInitRank";
  if (!uniqueId || nranks < 1 || nranks > VLLMRT_COMM_MAX_RANKS || rank < 0 ||
      rank >= nranks) {
    recordError(std::string(what) + ": invalid arguments (rank " +
                std::to_string(rank) + " of " + std::to_string(nranks) +
                (uniqueId ? "" : ", null id") + "; at most " +
                std::to_string(VLLMRT_COMM_MAX_RANKS) + " ranks)");
    return nullptr;
  }
  const nc::Library *l = nullptr;
  const Driver *d = nullptr;
  if (!prepareNcclComm(capacityBytes, what, l, d))
    return nullptr;
  nc::ncclUniqueId id;
  std::memcpy(id.internal, uniqueId, sizeof(id.internal));
  nc::ncclComm_t comm = nullptr;
  if (!ncclCheck(l, nullptr, l->ncclCommInitRank(&comm, nranks, id, rank), what,
                 "ncclCommInitRank"))
    return nullptr;
  return makeNcclComm(comm, /*owns=*/true, capacityBytes, d, l, what);
}

extern "C" vllmrtComm *vllmrtCommFromNccl(void *ncclComm,
                                          size_t capacityBytes) {
  const char *what = "vllmrtCommFromNccl";
  if (!ncclComm) {
    recordError(std::string(what) + ": null NCCL communicator");
    return nullptr;
  }
  const nc::Library *l = nullptr;
  const Driver *d = nullptr;
  if (!prepareNcclComm(capacityBytes, what, l, d))
    return nullptr;
  return makeNcclComm(static_cast<nc::ncclComm_t>(ncclComm), /*owns=*/false,
                      capacityBytes, d, l, what);
}

extern "C" int vllmrtCommCreateLocal(int nranks, size_t capacityBytes,
                                     vllmrtComm **comms) {
  const char *what = "vllmrtCommCreateLocal";
  if (!comms || nranks < 1 || nranks > VLLMRT_COMM_MAX_RANKS) {
    recordError(std::string(what) + ": invalid arguments (" +
                std::to_string(nranks) + " ranks, at most " +
                std::to_string(VLLMRT_COMM_MAX_RANKS) +
                (comms ? "" : "; null output array") + ")");
    return 1;
  }
  if (!checkCapacity(capacityBytes, what))
    return 1;
  const Driver *d = withContext(what);
  int sms = 0;
  CUdevice device = 0;
  CUcontext context = nullptr;
  if (!d || !smCount(d, sms, device, what) ||
      !check(d->cuCtxGetCurrent(&context),
             call(what, "cuCtxGetCurrent").c_str()))
    return 1;
  size_t stagingBytes = roundUp(capacityBytes, kStagingAlignment);
  size_t regionBytes = stagingBytes + kFlagBytes;
  vllmrtComm *made[VLLMRT_COMM_MAX_RANKS] = {};
  CUdeviceptr regions[VLLMRT_COMM_MAX_RANKS] = {};
  bool ok = true;
  for (int r = 0; r < nranks && ok; ++r) {
    vllmrtComm *c = made[r] = new vllmrtComm();
    c->mechanism = Mechanism::Local;
    c->rank = r;
    c->size = nranks;
    c->capacity = capacityBytes;
    c->stagingBytes = stagingBytes;
    c->context = context;
    // All ranks' CTAs must be resident at once on the one GPU, or a rank's
    // kernel could wait for a peer that cannot start.
    c->ctaLimit = std::max<int64_t>(
        1, std::min<int64_t>(VLLMRT_COMM_MAX_CTAS, sms / nranks));
    ok = check(d->cuMemAlloc(&c->region, regionBytes),
               call(what, "cuMemAlloc").c_str()) &&
         check(d->cuMemsetD8(c->region + stagingBytes, 0, kFlagBytes),
               call(what, "cuMemsetD8").c_str()) &&
         allocateZeroed(d, c->counters, kCounterBytes, what);
    regions[r] = c->region;
  }
  for (int r = 0; r < nranks && ok; ++r)
    ok = makeDescriptor(d, made[r], regions, what);
  if (!ok) {
    for (vllmrtComm *c : made)
      if (c) {
        release(d, nullptr, c, what);
        delete c;
      }
    return 1;
  }
  for (int r = 0; r < nranks; ++r) {
    enroll(made[r]);
    comms[r] = made[r];
  }
  return 0;
}

extern "C" int vllmrtCommDestroy(vllmrtComm *comm) {
  const char *what = "vllmrtCommDestroy";
  if (!comm)
    return 0;
  {
    Registry &r = registry();
    std::lock_guard<std::mutex> lock(r.mutex);
    if (!r.live.count(comm)) {
      recordError(std::string(what) + ": not a live communicator");
      return 1;
    }
  }
  withdraw(comm);
  // In the communicator's context, whatever the calling thread's is (a host
  // may destroy the communicators of all its GPUs from one thread).
  const Driver *d = driver();
  if (!d || !check(d->cuCtxPushCurrent(comm->context),
                   call(what, "cuCtxPushCurrent").c_str())) {
    if (!d)
      recordError(std::string(what) +
                  ": CUDA driver unavailable: " + unavailableReason());
    delete comm;
    return 1;
  }
  // This rank's kernels, which read the peers' regions, are done...
  bool ok =
      check(d->cuCtxSynchronize(), call(what, "cuCtxSynchronize").c_str());
  const nc::Library *l = nullptr;
  if (comm->nccl) {
    l = nc::library();
    // ... and so are every other rank's, which read this one's; the peers'
    // mappings are closed before any rank frees what they map.
    ok &= agreeMin(d, l, comm, 1, what) == 1;
    for (CUdeviceptr &p : comm->opened)
      if (p) {
        ok &= check(d->cuIpcCloseMemHandle(p),
                    call(what, "cuIpcCloseMemHandle").c_str());
        p = 0;
      }
    ok &= agreeMin(d, l, comm, 1, what) == 1;
  }
  ok &= release(d, l, comm, what);
  delete comm;
  CUcontext popped = nullptr;
  ok &=
      check(d->cuCtxPopCurrent(&popped), call(what, "cuCtxPopCurrent").c_str());
  return ok ? 0 : 1;
}

extern "C" int vllmrtCommRank(const vllmrtComm *comm) {
  if (comm)
    return comm->rank;
  recordError("vllmrtCommRank: null communicator");
  return -1;
}

extern "C" int vllmrtCommSize(const vllmrtComm *comm) {
  if (comm)
    return comm->size;
  recordError("vllmrtCommSize: null communicator");
  return -1;
}

extern "C" const char *vllmrtCommMechanism(const vllmrtComm *comm) {
  return comm ? mechanismName(comm->mechanism) : "";
}

extern "C" const char *vllmrtCommFallbackReason(const vllmrtComm *comm) {
  return comm ? comm->fallbackReason.c_str() : "";
}

extern "C" void *vllmrtCommNcclHandle(vllmrtComm *comm) {
  return comm ? comm->nccl : nullptr;
}

extern "C" int vllmrtCommBind(int group, vllmrtComm *comm) {
  return bind(group, comm, /*thread=*/false, "vllmrtCommBind");
}

extern "C" int vllmrtCommBindThread(int group, vllmrtComm *comm) {
  return bind(group, comm, /*thread=*/true, "vllmrtCommBindThread");
}

extern "C" void *vllmrtCommStage(int32_t group, void *src, int64_t bytes,
                                 void *stream) {
  const char *what = "vllmrtCommStage";
  vllmrtComm *c = lookup(group, what);
  if (!c)
    return nullptr;
  if (bytes < 0 || static_cast<uint64_t>(bytes) > c->capacity) {
    recordError(std::string(what) + ": group " + std::to_string(group) + ": " +
                std::to_string(bytes) + " bytes to stage; the communicator's " +
                "staging capacity is " + std::to_string(c->capacity) +
                " bytes");
    return nullptr;
  }
  if (bytes > 0) {
    const Driver *d = withContext(what);
    if (!d ||
        !check(d->cuMemcpyAsync(c->region, reinterpret_cast<CUdeviceptr>(src),
                                static_cast<size_t>(bytes),
                                static_cast<CUstream>(stream)),
               call(what, "cuMemcpyAsync").c_str()))
      return nullptr;
  }
  return reinterpret_cast<void *>(c->descriptor);
}

extern "C" int64_t vllmrtCommCtaLimit(int32_t group) {
  vllmrtComm *c = lookup(group, "vllmrtCommCtaLimit");
  return c ? c->ctaLimit : 0;
}

extern "C" int32_t vllmrtCommAllReduceNccl(int32_t group, void *input,
                                           void *output, int64_t count,
                                           int32_t elementType, void *stream) {
  const char *what = "vllmrtCommAllReduceNccl";
  vllmrtComm *c = lookup(group, what);
  if (!c)
    return 1;
  std::string prefix = std::string(what) + ": group " + std::to_string(group);
  if (!c->nccl) {
    recordError(prefix + ": a local (simulated) communicator has no NCCL; "
                         "use the compiler's all-reduce=peer lowering");
    return 1;
  }
  if (c->size > 2) {
    recordError(prefix + " has " + std::to_string(c->size) +
                " ranks: vllm.all_reduce sums in rank order in f32 with one "
                "rounding, which ncclAllReduce matches only for 1 or 2 ranks "
                "(one addition); use the compiler's all-reduce=peer lowering");
    return 1;
  }
  nc::ncclDataType_t type;
  switch (elementType) {
  case 0:
    type = nc::ncclFloat32;
    break;
  case 1:
    type = nc::ncclFloat16;
    break;
  case 2:
    type = nc::ncclBfloat16;
    break;
  default:
    recordError(prefix + ": element type " + std::to_string(elementType) +
                " is none of 0 (f32), 1 (f16), 2 (bf16)");
    return 1;
  }
  if (count < 0) {
    recordError(prefix + ": negative count " + std::to_string(count));
    return 1;
  }
  if (count == 0)
    return 0;
  const nc::Library *l = nc::library();
  return ncclCheck(l, c->nccl,
                   l->ncclAllReduce(input, output, static_cast<size_t>(count),
                                    type, nc::ncclSum, c->nccl,
                                    static_cast<CUstream>(stream)),
                   what, "ncclAllReduce")
             ? 0
             : 1;
}
