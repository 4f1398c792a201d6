# Sanitizer and fuzzing builds of the project's code (clang only).
#
#   VLLM_MLIR_ENABLE_SANITIZERS  AddressSanitizer + UndefinedBehaviorSanitizer
#                                on every target of this project; the lit
#                                suite gets the feature `asan`.
#   VLLM_MLIR_ENABLE_FUZZER      the above plus libFuzzer coverage
#                                instrumentation, and the fuzz target
#                                tools/vllm-fuzz (docs/fuzzing.md).
#
# Debian's libMLIR.so / libLLVM.so stay uninstrumented: errors inside them
# are only seen where our instrumented code touches their memory, and the
# sanitizer runtime must tolerate the mix (see test/lit.cfg.py for the
# ASAN_OPTIONS that requires).

option(VLLM_MLIR_ENABLE_SANITIZERS
  "Build with -fsanitize=address,undefined (clang)" OFF)
option(VLLM_MLIR_ENABLE_FUZZER
  "Build the libFuzzer target vllm-fuzz (clang; implies VLLM_MLIR_ENABLE_SANITIZERS)"
  OFF)

if(VLLM_MLIR_ENABLE_FUZZER AND NOT VLLM_MLIR_ENABLE_SANITIZERS)
  message(STATUS "VLLM_MLIR_ENABLE_FUZZER turns on VLLM_MLIR_ENABLE_SANITIZERS")
  set(VLLM_MLIR_ENABLE_SANITIZERS ON CACHE BOOL
    "Build with -fsanitize=address,undefined (clang)" FORCE)
endif()

if(NOT VLLM_MLIR_ENABLE_SANITIZERS)
  return()
endif()

if(NOT CMAKE_CXX_COMPILER_ID MATCHES "Clang" OR
   NOT CMAKE_C_COMPILER_ID MATCHES "Clang")
  message(FATAL_ERROR "VLLM_MLIR_ENABLE_SANITIZERS/FUZZER need clang "
    "(e.g. -DCMAKE_C_COMPILER=clang-22 -DCMAKE_CXX_COMPILER=clang++-22)")
endif()

# Every UBSan check aborts at its first report, so that a test or the fuzzer
# fails instead of printing a warning nobody reads. Line tables are all a
# sanitizer report needs for file:line in its stack traces.
set(VLLM_MLIR_SANITIZER_FLAGS -fsanitize=address,undefined
  -fno-sanitize-recover=undefined -fno-omit-frame-pointer)
add_compile_options(${VLLM_MLIR_SANITIZER_FLAGS} -gline-tables-only)
# The shared runtime (libclang_rt.asan-<arch>.so) rather than the static one
# that clang links into executables by default: LLVM's CMake links every
# shared library with -z defs, so VllmPlugin.so and the C API tests' libraries
# must resolve __asan_* / __ubsan_* against a library, and a single runtime
# serves all of them in one process.
add_link_options(${VLLM_MLIR_SANITIZER_FLAGS} -shared-libsan)

# Binaries find the shared runtime through their run path, like libMLIR.so.
execute_process(
  COMMAND ${CMAKE_CXX_COMPILER} -print-file-name=libclang_rt.asan-${CMAKE_SYSTEM_PROCESSOR}.so
  OUTPUT_VARIABLE VLLM_MLIR_ASAN_RUNTIME OUTPUT_STRIP_TRAILING_WHITESPACE)
if(NOT IS_ABSOLUTE "${VLLM_MLIR_ASAN_RUNTIME}" OR
   NOT EXISTS "${VLLM_MLIR_ASAN_RUNTIME}")
  message(FATAL_ERROR "The ASan runtime of ${CMAKE_CXX_COMPILER} was not "
    "found (Debian: apt-get install libclang-rt-22-dev)")
endif()
get_filename_component(VLLM_MLIR_SANITIZER_RUNTIME_DIR
  ${VLLM_MLIR_ASAN_RUNTIME} DIRECTORY)
list(APPEND CMAKE_INSTALL_RPATH ${VLLM_MLIR_SANITIZER_RUNTIME_DIR})
message(STATUS "Sanitizers: address, undefined (runtime ${VLLM_MLIR_ASAN_RUNTIME})")

if(VLLM_MLIR_ENABLE_FUZZER)
  # Coverage instrumentation (edges, comparisons) of the project's code, the
  # feedback libFuzzer mutates by; libFuzzer itself is linked into vllm-fuzz
  # alone. The same objects serve the lit suite: the sanitizer runtime
  # provides no-op coverage callbacks to binaries without libFuzzer.
  add_compile_options(-fsanitize=fuzzer-no-link)
  message(STATUS "libFuzzer: coverage instrumentation on, target vllm-fuzz")
endif()
