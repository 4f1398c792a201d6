# Helpers shared by the project's CMake files.
#
# Every library links the one shared libMLIR.so that Debian ships (CMake
# target `MLIR`) rather than the ~400 static MLIR archives: links take seconds
# instead of minutes on a 2-core machine, and a plugin loaded into Debian's
# mlir-opt must share that library's registries anyway.

# vllm_mlir_add_library(name SRCS... [DEPENDS tgtargets...] [LINK libs...])
function(vllm_mlir_add_library name)
  cmake_parse_arguments(ARG "" "" "SRCS;DEPENDS;LINK" ${ARGN})
  add_library(${name} STATIC ${ARG_SRCS})
  set_target_properties(${name} PROPERTIES POSITION_INDEPENDENT_CODE ON)
  if(ARG_DEPENDS)
    add_dependencies(${name} ${ARG_DEPENDS})
  endif()
  target_link_libraries(${name} PUBLIC ${ARG_LINK} MLIR LLVM)
  target_include_directories(${name} PUBLIC
    $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/include>
    $<BUILD_INTERFACE:${PROJECT_BINARY_DIR}/include>
    $<INSTALL_INTERFACE:include>
    ${MLIR_INCLUDE_DIRS} ${LLVM_INCLUDE_DIRS})
  set_property(GLOBAL APPEND PROPERTY VLLM_MLIR_LIBS ${name})
endfunction()
