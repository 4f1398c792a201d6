#!/usr/bin/env bash
# Configures and builds the sanitizer build: the project's code with
# AddressSanitizer + UndefinedBehaviorSanitizer and libFuzzer coverage
# (VLLM_MLIR_ENABLE_FUZZER=ON), and from it only what the lit suite runs plus
# the fuzz target vllm-fuzz. One build serves scripts/sanitizer-test.sh and
# scripts/fuzz.sh (docs/fuzzing.md).
#   VLLM_SAN_BUILD_DIR  build directory (default: build-san)
#   VLLM_SKIP_APT=1     skip apt-get (toolchain already installed)
#   VLLM_NINJA_JOBS=N   ninja -jN (default: ninja's own)
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${VLLM_SAN_BUILD_DIR:-build-san}
LLVM_PREFIX=/usr/lib/llvm-22

step() { printf '\n==> %s\n' "$*"; }

if [[ "${VLLM_SKIP_APT:-0}" != 1 ]]; then
  # setup.sh's toolchain plus the sanitizer and libFuzzer runtimes.
  packages=(llvm-22-dev llvm-22-tools libmlir-22-dev mlir-22-tools clang-22
            libclang-rt-22-dev ninja-build cmake python3)
  missing=()
  for p in "${packages[@]}"; do
    dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
  done
  if ((${#missing[@]})); then
    step "Installing ${missing[*]}"
    SUDO=""
    [[ $(id -u) -ne 0 ]] && SUDO=sudo
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
fi

start=$(date +%s)
if [[ ! -f "$BUILD_DIR/build.ninja" ]]; then
  step "Configuring the sanitizer build ($BUILD_DIR)"
  mkdir -p "$BUILD_DIR"
  cmake -G Ninja -S . -B "$BUILD_DIR" \
    -DMLIR_DIR=$LLVM_PREFIX/lib/cmake/mlir \
    -DLLVM_EXTERNAL_LIT=$LLVM_PREFIX/bin/lit \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_C_COMPILER=clang-22 -DCMAKE_CXX_COMPILER=clang++-22 \
    -DVLLM_MLIR_ENABLE_FUZZER=ON \
    -DVLLM_MLIR_WERROR=${VLLM_MLIR_WERROR:-ON} >"$BUILD_DIR/configure.log" 2>&1 ||
    { cat "$BUILD_DIR/configure.log"; exit 1; }
fi

step "Building the lit suite's binaries and vllm-fuzz ($BUILD_DIR)"
ninja -C "$BUILD_DIR" ${VLLM_NINJA_JOBS:+-j"$VLLM_NINJA_JOBS"} \
  vllm-mlir-test-depends vllm-fuzz
echo "sanitizer build finished in $(($(date +%s) - start)) s"
