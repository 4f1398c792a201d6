//===- Device.cpp - Devices, buffers and kernel libraries -----------------===//
//
// Part of the vllm-mlir project.
//
//===----------------------------------------------------------------------===//

#include "GpuTestSupport.h"

#include "vllm-runtime/Runtime.h"

#include <cstdlib>
#include <cstring>
#include <dlfcn.h>
#include <utility>

namespace vgt {

namespace {

/// CUDA through the runtime's C API, on one non-blocking stream.
class CudaDevice final : public Device {
public:
  explicit CudaDevice(void *stream) : cudaStream(stream) {}
  ~CudaDevice() override { vllmrtStreamDestroy(cudaStream); }
  void *allocate(size_t bytes) override { return vllmrtMalloc(bytes); }
  void release(void *ptr) override { vllmrtFree(ptr); }
  bool upload(void *dst, const void *src, size_t bytes) override {
    return vllmrtMemcpyHtoD(dst, src, bytes) == 0;
  }
  bool download(void *dst, const void *src, size_t bytes) override {
    return vllmrtMemcpyDtoH(dst, src, bytes) == 0;
  }
  bool fill(void *dst, uint8_t value, size_t bytes) override {
    return vllmrtMemsetD8(dst, value, bytes) == 0;
  }
  bool synchronize() override {
    return vllmrtStreamSynchronize(cudaStream) == 0 &&
           vllmrtDeviceSynchronize() == 0;
  }
  void *stream() override { return cudaStream; }
  std::string takeError() override {
    std::string e = vllmrtGetLastError();
    vllmrtClearError();
    return e;
  }
  std::string describe() override {
    vllmrtDeviceInfo info;
    if (vllmrtGetDeviceInfo(&info) != 0)
      return "CUDA device (no info: " + takeError() + ")";
    return std::string(info.name) + ", " +
           std::to_string(info.multiprocessorCount) + " SMs, sm_" +
           std::to_string(info.computeCapabilityMajor) +
           std::to_string(info.computeCapabilityMinor) + ", driver " +
           std::to_string(info.driverVersion);
  }

private:
  void *cudaStream;
};

/// Host memory; "kernels" are host functions (the self-test's mocks).
class HostDevice final : public Device {
public:
  void *allocate(size_t bytes) override {
    return std::malloc(bytes ? bytes : 1);
  }
  void release(void *ptr) override { std::free(ptr); }
  bool upload(void *dst, const void *src, size_t bytes) override {
    std::memcpy(dst, src, bytes);
    return true;
  }
  bool download(void *dst, const void *src, size_t bytes) override {
    std::memcpy(dst, src, bytes);
    return true;
  }
  bool fill(void *dst, uint8_t value, size_t bytes) override {
    std::memset(dst, value, bytes);
    return true;
  }
  bool synchronize() override { return true; }
  void *stream() override { return nullptr; }
  std::string takeError() override { return ""; }
  std::string describe() override { return "host (self-test mock kernels)"; }
};

} // namespace

std::unique_ptr<Device> makeCudaDevice(std::string *why) {
  if (!vllmrtIsGpuAvailable()) {
    if (why)
      *why = vllmrtUnavailableReason();
    return nullptr;
  }
  void *stream = vllmrtStreamCreate();
  if (!stream) {
    if (why)
      *why = vllmrtGetLastError();
    return nullptr;
  }
  return std::make_unique<CudaDevice>(stream);
}

std::unique_ptr<Device> makeHostDevice() {
  return std::make_unique<HostDevice>();
}

//===----------------------------------------------------------------------===//
// BufferPool
//===----------------------------------------------------------------------===//

void *BufferPool::get(size_t bytes) {
  auto it = free.find(bytes);
  void *ptr = nullptr;
  if (it != free.end()) {
    ptr = it->second;
    free.erase(it);
  } else {
    ptr = device.allocate(bytes);
    if (!ptr)
      return nullptr;
  }
  live[ptr] = bytes;
  return ptr;
}

void BufferPool::put(void *ptr, size_t bytes) {
  if (!ptr)
    return;
  live.erase(ptr);
  free.emplace(bytes, ptr);
}

void BufferPool::clear() {
  for (auto &entry : free)
    device.release(entry.second);
  for (auto &entry : live)
    device.release(entry.first);
  free.clear();
  live.clear();
}

//===----------------------------------------------------------------------===//
// KernelLibrary
//===----------------------------------------------------------------------===//

std::unique_ptr<KernelLibrary> KernelLibrary::open(const std::string &path,
                                                   std::string *error) {
  void *handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!handle) {
    const char *why = dlerror();
    if (error)
      *error = why ? why : "dlopen failed";
    return nullptr;
  }
  return std::unique_ptr<KernelLibrary>(new KernelLibrary(handle, path));
}

KernelLibrary::~KernelLibrary() {
  // Kept loaded: unloading runs the modules' destructors while other
  // libraries may still be in use, and the process ends soon anyway.
}

void *KernelLibrary::lookup(const std::string &name) const {
  return dlsym(handle, ("_mlir_ciface_" + name).c_str());
}

namespace {
template <size_t... I>
void callWith(void *fn, void *stream, const std::vector<void *> &args,
              std::index_sequence<I...>) {
  using Fn =
      void (*)(void *, decltype((void)I, static_cast<void *>(nullptr))...);
  reinterpret_cast<Fn>(fn)(stream, args[I]...);
}
} // namespace

bool KernelLibrary::call(void *fn, void *stream,
                         const std::vector<void *> &args) {
  // Every argument is a pointer, so the function type is known from the
  // count alone.
  switch (args.size()) {
#define CASE(n)                                                                \
  case n:                                                                      \
    callWith(fn, stream, args, std::make_index_sequence<n>{});                 \
    return true;
    CASE(1)
    CASE(2)
    CASE(3)
    CASE(4)
    CASE(5)
    CASE(6)
    CASE(7)
    CASE(8)
    CASE(9)
    CASE(10)
#undef CASE
  default:
    return false;
  }
}

} // namespace vgt
