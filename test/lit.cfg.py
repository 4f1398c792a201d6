# -*- Python -*-
# lit configuration of the vllm-mlir regression suite.

import os

import lit.formats
from lit.llvm import llvm_config
from lit.llvm.subst import ToolSubst

config.name = "VLLM_MLIR"
config.test_format = lit.formats.ShTest(not llvm_config.use_lit_shell)
config.suffixes = [".mlir", ".test"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.vllm_mlir_obj_root, "test")
config.excludes = ["CMakeLists.txt", "lit.cfg.py", "lit.site.cfg.py", "Inputs", "vllm-capi-test.c"]

config.substitutions.append(("%PATH%", config.environment["PATH"]))
config.substitutions.append(("%vllm_src", config.vllm_mlir_src_root))
config.substitutions.append(("%vllm_lib", config.vllm_mlir_lib_dir))
config.substitutions.append(("%vllm_obj", config.vllm_mlir_obj_root))
config.substitutions.append(("%mlir_cmake_dir", config.mlir_cmake_dir))
config.substitutions.append(("%host_cxx", config.host_cxx))

# Captures must not leak between CHECK-LABEL blocks.
config.environment["FILECHECK_OPTS"] = "-enable-var-scope"

llvm_config.with_system_environment(["HOME", "INCLUDE", "LIB", "TMP", "TEMP"])
llvm_config.use_default_substitutions()

# ptxas is detected once at configure time; tests that assemble PTX say
# `REQUIRES: ptxas`.
if config.ptxas_executable and os.path.exists(config.ptxas_executable):
    config.available_features.add("ptxas")
    config.substitutions.append(("%ptxas", config.ptxas_executable))

tool_dirs = [config.vllm_mlir_tools_dir, config.llvm_tools_dir]
tools = ["vllm-opt", "vllm-capi-test", "mlir-opt", "mlir-translate", "not",
         "split-file"]
llvm_config.add_tool_substitutions(tools, tool_dirs)
