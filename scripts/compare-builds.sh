#!/usr/bin/env bash
# Lowers a fixed set of inputs with two builds of vllm-opt and checks that
# they emit the same bytes: the kernels' PTX and the host LLVM dialect, for
# both chips, fused and unfused. CI runs it on a Clang and a GCC build: the
# generators must not depend on the order in which a C++ compiler evaluates
# function arguments (every builder call bound to a named local first).
#   scripts/compare-builds.sh BUILD_A BUILD_B
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ $# -ne 2 ]]; then
  echo "usage: $0 BUILD_A BUILD_B" >&2
  exit 2
fi
opt_a="$1/bin/vllm-opt"
opt_b="$2/bin/vllm-opt"
for tool in "$opt_a" "$opt_b"; do
  [[ -x "$tool" ]] || { echo "error: $tool is not built" >&2; exit 2; }
done
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The generators' inputs: every row kernel variant and GEMM scale format
# (all-kernels.mlir), the benchmark's kernels at H = 7168, the GPU suite's
# GEMM kernels, the example model, which also goes through the fusion
# pipeline for each chip, functions on buffers with element-wise linalg
# ops (the element-wise kernels and their launches), and the tensor-parallel
# functions fused and unfused (the all-reduce kernels and their staging).
python3 bench/gpu/kernels/gen_bench_kernels.py --out-dir "$work/bench" \
  --hidden 7168
python3 gpu-tests/kernels/gen_test_kernels.py --out-dir "$work/tests"
inputs=(test/Conversion/Inputs/all-kernels.mlir "$work"/bench/*.mlir
  "$work/tests/test_kernels_matmul.mlir" examples/model.mlir
  test/Conversion/vllm-to-gpu-elementwise.mlir
  gpu-tests/python/mixed_test.mlir
  gpu-tests/allreduce/all_reduce_tests.mlir)

# The tensor-core GEMMs (sm_90a, matmul-kernel=auto) of DeepSeek-V3's six
# projections: every variant of the strategy table.
tensor_core_input=test/Conversion/vllm-to-gpu-ptxas-matmul-sm90a.mlir
inputs+=("$tensor_core_input")

compared=0 differ=0
for input in "${inputs[@]}"; do
  chips="sm_100a sm_90a"
  extra=""
  if [[ "$input" == "$tensor_core_input" ]]; then
    chips=sm_90a
    extra=" matmul-kernel=auto"
  fi
  for chip in $chips; do
    fusions=false
    [[ "$input" == examples/model.mlir ||
       "$input" == gpu-tests/allreduce/all_reduce_tests.mlir ]] &&
      fusions="false true"
    for fuse in $fusions; do
      pipeline="--vllm-gpu-pipeline=chip=$chip format=ptx fuse=$fuse$extra"
      for side in a b; do
        opt=opt_$side
        "${!opt}" "$input" "$pipeline" -o "$work/$side.mlir"
        "${!opt}" "$work/$side.mlir" \
          --vllm-dump-gpu-binary=output="$work/$side.ptx" -o /dev/null
        # The embedded binary is compared as PTX; its properties record
        # how long the NVPTX backend took, which differs from run to run.
        grep -v 'gpu.binary' "$work/$side.mlir" >"$work/$side.host.mlir"
      done
      for ext in host.mlir ptx; do
        compared=$((compared + 1))
        if ! cmp -s "$work/a.$ext" "$work/b.$ext"; then
          differ=$((differ + 1))
          echo "DIFFER: $input, $chip, fuse=$fuse ($ext)"
          diff "$work/a.$ext" "$work/b.$ext" | cut -c1-200 | head -20 || true
        fi
      done
    done
  done
done
echo "$compared outputs compared, $differ differ"
[[ $differ -eq 0 ]]
