# -*- Python -*-
# lit configuration of the vllm-mlir regression suite.

import os
import sys

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

# The sanitizer build (VLLM_MLIR_ENABLE_SANITIZERS, scripts/sanitizer-test.sh)
# instruments our code but not Debian's libMLIR.so. LLVM's allocators inlined
# into our code poison the slabs they start (llvm/Support/Allocator.h under
# ASan) and unpoison what they hand out, while libMLIR's copies of the same
# code hand out memory from those slabs without unpoisoning it: manual
# poisoning is turned off so that this mix does not report use-after-poison.
# Options from the environment come after these and win.
if "asan" in config.available_features:
    def sanitizer_options(name, options):
        user = os.environ.get(name)
        config.environment[name] = ":".join(options + ([user] if user else []))

    sanitizer_options("ASAN_OPTIONS", ["allow_user_poisoning=0"])
    sanitizer_options("UBSAN_OPTIONS", ["halt_on_error=1", "print_stacktrace=1"])
    symbolizer = os.path.join(config.llvm_tools_dir, "llvm-symbolizer")
    if "ASAN_SYMBOLIZER_PATH" not in os.environ and os.path.exists(symbolizer):
        config.environment["ASAN_SYMBOLIZER_PATH"] = symbolizer

# vllm_mlir.fx's CPU tests need torch (Debian's python3-torch, which
# scripts/setup.sh installs, is enough): `REQUIRES: torch`.
import subprocess
if subprocess.run([sys.executable, "-c", "import torch.fx"],
                  stdout=subprocess.DEVNULL,
                  stderr=subprocess.DEVNULL).returncode == 0:
    config.available_features.add("torch")

tool_dirs = [config.vllm_mlir_tools_dir, config.llvm_tools_dir]
tools = ["vllm-opt", "vllm-capi-test", "mlir-opt", "mlir-translate", "not",
         "split-file"]
llvm_config.add_tool_substitutions(tools, tool_dirs)
