#!/usr/bin/env bash
# Installs the toolchain (Debian 12: LLVM/MLIR 22 from Debian's registry),
# configures and builds vllm-mlir into build/.
#   VLLM_BUILD_DIR   build directory (default: build)
#   VLLM_SKIP_APT=1  skip apt-get (toolchain already installed)
#   VLLM_COMPILER    clang (default: clang-22) or gcc (Debian's g++ 12)
#   VLLM_TARGETS     ninja targets to build (default: all)
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${VLLM_BUILD_DIR:-build}
LLVM_PREFIX=/usr/lib/llvm-22

step() { printf '\n==> %s\n' "$*"; }

if [[ "${VLLM_SKIP_APT:-0}" != 1 ]]; then
  packages=(llvm-22-dev llvm-22-tools libmlir-22-dev mlir-22-tools clang-22 ninja-build cmake python3)
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
  else
    step "Toolchain already installed"
  fi
  # Debian's PyTorch (1.13, CPU) for the CPU tests of vllm_mlir.fx
  # (test/Python/fx.test): without its recommends, about 640 MB.
  if ! dpkg -s python3-torch >/dev/null 2>&1; then
    step "Installing python3-torch (for the tests of vllm_mlir.fx)"
    SUDO=""
    [[ $(id -u) -ne 0 ]] && SUDO=sudo
    [[ ${#missing[@]} -gt 0 ]] || $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq \
      --no-install-recommends python3-torch >/dev/null
  fi
fi

case "${VLLM_COMPILER:-clang}" in
  clang) cc=clang-22 cxx=clang++-22 ;;
  gcc) cc=gcc cxx=g++ ;;
  *) echo "error: VLLM_COMPILER must be clang or gcc" >&2; exit 2 ;;
esac

step "Configuring ($BUILD_DIR, $cxx)"
mkdir -p "$BUILD_DIR"
start=$(date +%s)
cmake -G Ninja -S . -B "$BUILD_DIR" \
  -DMLIR_DIR=$LLVM_PREFIX/lib/cmake/mlir \
  -DLLVM_EXTERNAL_LIT=$LLVM_PREFIX/bin/lit \
  -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_C_COMPILER=$cc -DCMAKE_CXX_COMPILER=$cxx \
  -DVLLM_MLIR_WERROR=${VLLM_MLIR_WERROR:-ON} >"$BUILD_DIR/configure.log" 2>&1 ||
  { cat "$BUILD_DIR/configure.log"; exit 1; }

step "Building (ninja, $(nproc) jobs)"
# shellcheck disable=SC2086 # VLLM_TARGETS is a list of targets.
ninja -C "$BUILD_DIR" ${VLLM_TARGETS:-}
echo "build finished in $(($(date +%s) - start)) s"
