//===- DynamicLibrary.h - Libraries the runtime loads at run time -*- C++
//-*-===//
//
// Part of the vllm-mlir project.
//
//===----------------------------------------------------------------------===//
//
// What loading libcuda (CudaDriver.cpp) and libnccl (Comm.cpp) share: the
// dlopen of a file an environment variable may name, the lookup of entry
// points with a list of the missing ones, and a process-wide state made
// once, on first use, and never destroyed (communicators and modules may be
// released from global destructors, after a static state would be gone).
//
//===----------------------------------------------------------------------===//

#ifndef VLLM_RUNTIME_DYNAMICLIBRARY_H
#define VLLM_RUNTIME_DYNAMICLIBRARY_H

#include <cstdlib>
#include <dlfcn.h>
#include <mutex>
#include <string>

namespace vllmrt {

/// dlopen of the file `envVar` names, else `defaultPath` (RTLD_LOCAL). On
/// failure returns null and sets `reason`; `path` receives the file tried.
inline void *openLibrary(const char *envVar, const char *defaultPath,
                         const char *&path, std::string &reason) {
  path = std::getenv(envVar);
  if (!path || !*path)
    path = defaultPath;
  void *handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
  if (!handle) {
    const char *why = dlerror();
    reason = std::string("cannot load ") + path + ": " + (why ? why : "?");
  }
  return handle;
}

/// Resolves `name` into `fn`; a missing symbol is appended to `missing`
/// when given (an optional entry point passes null).
template <typename Fn>
void resolveSymbol(void *handle, Fn &fn, const char *name,
                   std::string *missing) {
  fn = reinterpret_cast<Fn>(dlsym(handle, name));
  if (!fn && missing)
    *missing += std::string(missing->empty() ? "" : ", ") + name;
}

/// The process's `State`, initialized by `Init` exactly once (thread-safe),
/// never destroyed.
template <typename State, void (*Init)(State &)> State &loadOnce() {
  static State *state = new State;
  static std::once_flag once;
  std::call_once(once, [] { Init(*state); });
  return *state;
}

} // namespace vllmrt

#endif // VLLM_RUNTIME_DYNAMICLIBRARY_H
