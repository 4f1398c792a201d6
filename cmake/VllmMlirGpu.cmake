# vllm_mlir_add_gpu_library: compile vllm-dialect .mlir files into a host
# shared library lib<target>.so with the kernels embedded.
#
#   vllm_mlir_add_gpu_library(<target>
#     SOURCES <a.mlir>...
#     CHIP <sm_90a|sm_100a>
#     [FUSION_CHIP <chip>]          # scale layout picked by the fusion
#                                   # pipeline (default: CHIP)
#     [NO_FUSION]                   # compile the ops as written
#     [FORMAT <cubin|ptx|fatbin>]   # embedded kernel binary (default: cubin)
#     [MATMUL_KERNEL <simt|auto>]   # kernel of scaled_matmul (default: simt)
#     [COMPILE_OPTIONS <opt>...])   # more vllm-compile options, e.g.
#                                   # --silu-table-rows 2
#
# Each source goes through vllm-compile (vllm-opt --vllm-gpu-pipeline,
# mlir-translate, clang -c); the objects are linked into one library. Every
# public function @f of the sources is exported as _mlir_ciface_f(void
# *stream, StridedMemRef *in..., StridedMemRef *out...). Function names must
# be unique across the sources; the kernel modules of different sources are
# internal to their objects.
#
# The library does not link libcuda: its mgpu* references are resolved by the
# runtime library `vllm_runtime` when that target exists (linked here), and
# are otherwise left undefined, to be resolved at load time.

# The compiler driver (configured by tools/vllm-compile).
set(VLLM_MLIR_COMPILE ${PROJECT_BINARY_DIR}/bin/vllm-compile CACHE FILEPATH
  "vllm-compile used by vllm_mlir_add_gpu_library")

function(vllm_mlir_add_gpu_library target)
  cmake_parse_arguments(ARG "NO_FUSION" "CHIP;FUSION_CHIP;FORMAT;MATMUL_KERNEL"
                        "SOURCES;COMPILE_OPTIONS" ${ARGN})
  if(ARG_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "vllm_mlir_add_gpu_library(${target}): unknown "
                        "arguments ${ARG_UNPARSED_ARGUMENTS}")
  endif()
  if(NOT ARG_SOURCES)
    message(FATAL_ERROR "vllm_mlir_add_gpu_library(${target}): no SOURCES")
  endif()
  if(NOT ARG_CHIP MATCHES "^sm_(90a|100a)$")
    message(FATAL_ERROR "vllm_mlir_add_gpu_library(${target}): CHIP must be "
                        "sm_90a or sm_100a, got '${ARG_CHIP}'")
  endif()
  if(NOT ARG_FORMAT)
    set(ARG_FORMAT cubin)
  endif()
  set(fusion_args --fusion on)
  if(ARG_NO_FUSION)
    set(fusion_args --fusion off)
  elseif(ARG_FUSION_CHIP)
    list(APPEND fusion_args --fusion-chip ${ARG_FUSION_CHIP})
  endif()

  set(matmul_args)
  if(ARG_MATMUL_KERNEL)
    set(matmul_args --matmul-kernel ${ARG_MATMUL_KERNEL})
  endif()

  find_package(Python3 REQUIRED COMPONENTS Interpreter)
  set(tool_deps ${VLLM_MLIR_COMPILE})
  foreach(tool vllm-opt vllm-compile)
    if(TARGET ${tool})
      list(APPEND tool_deps ${tool})
    endif()
  endforeach()
  set(objdir ${CMAKE_CURRENT_BINARY_DIR}/${target}.vllm)
  set(objects)
  foreach(source ${ARG_SOURCES})
    get_filename_component(source ${source} ABSOLUTE)
    get_filename_component(name ${source} NAME_WE)
    set(object ${objdir}/${name}.o)
    add_custom_command(OUTPUT ${object}
      COMMAND ${CMAKE_COMMAND} -E make_directory ${objdir}
      COMMAND ${Python3_EXECUTABLE} ${VLLM_MLIR_COMPILE} ${source} --emit obj
              --chip ${ARG_CHIP} ${fusion_args} ${matmul_args}
              ${ARG_COMPILE_OPTIONS} --format ${ARG_FORMAT}
              -o ${object}
      DEPENDS ${source} ${tool_deps}
      COMMENT "Compiling ${name}.mlir for ${ARG_CHIP} (vllm-mlir)"
      VERBATIM)
    list(APPEND objects ${object})
  endforeach()
  set_source_files_properties(${objects} PROPERTIES
    EXTERNAL_OBJECT TRUE GENERATED TRUE)
  add_library(${target} SHARED ${objects})
  # The runtime is found next to the library or in ../lib when the library
  # is loaded by path (dlopen) from a process that has not loaded it yet.
  set_target_properties(${target} PROPERTIES LINKER_LANGUAGE C
    INSTALL_RPATH "\$ORIGIN;\$ORIGIN/../lib")
  if(TARGET vllm_runtime)
    target_link_libraries(${target} PRIVATE vllm_runtime)
  else()
    # LLVM's CMake adds -z defs to every shared library; these are meant to
    # find mgpu* in whatever runtime the process loads.
    target_link_options(${target} PRIVATE "LINKER:-z,undefs")
  endif()
endfunction()

# vllm_mlir_add_gpu_library_pair(<target> SOURCES <a.mlir>... CHIP <chip>
#                                [MATMUL_KERNEL <kind>]
#                                [COMPILE_OPTIONS <opt>...])
# The same sources twice: <target> through the fusion pipeline and
# <target>_unfused with NO_FUSION, both in ${CMAKE_BINARY_DIR}/lib next to
# libvllm_runtime.so (where the GPU test and benchmark drivers look), so
# that fused and unfused kernels can be compared bit for bit and timed.
function(vllm_mlir_add_gpu_library_pair target)
  cmake_parse_arguments(ARG "" "CHIP;MATMUL_KERNEL" "SOURCES;COMPILE_OPTIONS"
                        ${ARGN})
  set(extra_args)
  if(ARG_MATMUL_KERNEL)
    list(APPEND extra_args MATMUL_KERNEL ${ARG_MATMUL_KERNEL})
  endif()
  if(ARG_COMPILE_OPTIONS)
    list(APPEND extra_args COMPILE_OPTIONS ${ARG_COMPILE_OPTIONS})
  endif()
  vllm_mlir_add_gpu_library(${target} SOURCES ${ARG_SOURCES} CHIP ${ARG_CHIP}
    ${extra_args})
  vllm_mlir_add_gpu_library(${target}_unfused
    SOURCES ${ARG_SOURCES} CHIP ${ARG_CHIP} NO_FUSION ${extra_args})
  set_target_properties(${target} ${target}_unfused
    PROPERTIES LIBRARY_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/lib
    BUILD_RPATH "\$ORIGIN" INSTALL_RPATH "\$ORIGIN")
endfunction()
