#!/usr/bin/env bash
# Builds the benchmark kernel libraries (fused and unfused, sm_90a) with
# extra vllm-compile options, next to a copy of the runtime, so that
# bench/gpu/bench.py can time the variant against the default build in the
# same device call (docs/gpu-testing.md, "Comparing code-generation
# variants").
#
# usage: scripts/make-bench-variant.sh BUILD_DIR DEST [VLLM-COMPILE OPTIONS...]
#   e.g. scripts/make-bench-variant.sh build .carry/per-row --row-prefetch 0
# DEST gets libvllm_bench_kernels.so, libvllm_bench_kernels_unfused.so and
# libvllm_runtime.so; run bench.py with --lib-dir DEST.
#
# HIDDEN=2048,5120,... builds the modules of those H instead of the
# benchmark's (gen_bench_kernels.py --hidden), for studies by H; run bench.py
# with the same --h. The silu module is always the build's (bench_silu.py's
# I); e.g. `scripts/make-bench-variant.sh build .carry/arith
# --silu-table-rows 0` times the arithmetic silu kernels against the
# default (the table from two rows per CTA).
set -euo pipefail

build=${1:?usage: scripts/make-bench-variant.sh BUILD_DIR DEST [OPTIONS...]}
dest=${2:?usage: scripts/make-bench-variant.sh BUILD_DIR DEST [OPTIONS...]}
shift 2

compile=$build/bin/vllm-compile
runtime=$build/lib/libvllm_runtime.so
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
if [[ -n ${HIDDEN:-} ]]; then
  here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
  python3 "$here/../bench/gpu/kernels/gen_bench_kernels.py" \
    --out-dir "$tmp/modules" --hidden "$HIDDEN"
  modules=("$tmp"/modules/bench_kernels_h*.mlir)
else
  modules=("$build"/bench/gpu/kernels/bench_kernels_h*.mlir)
fi
# The MLP's down-projection site too (bench/gpu/bench_silu.py --lib-dir DEST),
# when the build has it.
if [[ -e $build/bench/gpu/kernels/bench_kernels_silu.mlir ]]; then
  modules+=("$build/bench/gpu/kernels/bench_kernels_silu.mlir")
fi
for needed in "$compile" "$runtime" "${modules[0]}"; do
  if [[ ! -e $needed ]]; then
    echo "error: $needed is missing: build the vllm_bench_kernels target first" >&2
    exit 1
  fi
done
cc=${CC:-$(command -v clang-22 || command -v clang || command -v cc)}

mkdir -p "$dest"
for fusion in on off; do
  suffix=$([[ $fusion == on ]] && echo "" || echo "_unfused")
  objects=()
  for module in "${modules[@]}"; do
    object=$tmp/$(basename "$module" .mlir)$suffix.o
    echo "vllm-compile $(basename "$module") --fusion $fusion $*"
    "$compile" "$module" --emit obj --chip sm_90a --fusion "$fusion" "$@" \
      -o "$object"
    objects+=("$object")
  done
  "$cc" -shared -o "$dest/libvllm_bench_kernels$suffix.so" "${objects[@]}" \
    -L"$(dirname "$runtime")" -lvllm_runtime -Wl,-rpath,'$ORIGIN'
done
cp "$runtime" "$dest/"
echo "wrote $dest: $(cd "$dest" && echo *.so)"
