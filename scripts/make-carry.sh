#!/usr/bin/env bash
# Collects what the GPU machine needs into one folder to carry there with the
# device tool (docs/gpu-testing.md): the test and benchmark programs, the
# runtime, the compiled kernel libraries, and any non-system shared library
# they load (the GPU machine has no LLVM/MLIR).
#
# usage: scripts/make-carry.sh BUILD_DIR [DEST (default .carry)]
# (builds the targets first, with JOBS parallel jobs, default 2)
set -euo pipefail

build=${1:?usage: scripts/make-carry.sh BUILD_DIR [DEST]}
dest=${2:-.carry}
limit_mb=56 # the device tool carries 64 MiB with the working tree

# Build what is to be carried (targets that do not exist yet are skipped).
if [[ -f $build/build.ninja ]]; then
  for target in vllm-gpu-tests vllm-runtime-tests vllm_runtime \
                vllm_gpu_test_kernels vllm_gpu_test_kernels_unfused \
                vllm_gpu_test_kernels_tc vllm_gpu_test_kernels_tc_unfused \
                vllm_bench_kernels vllm_bench_kernels_unfused \
                vllm_bench_gemm_tc vllm_bench_gemm_simt \
                vllm_bench_chain vllm_bench_chain_unfused; do
    if ninja -C "$build" -t query "$target" >/dev/null 2>&1; then
      ninja -C "$build" -j "${JOBS:-2}" "$target"
    fi
  done
fi

# A fresh folder, except DEST/baseline: a previous build's libraries kept
# for timing against (bench_gemm.py --baseline, docs/gpu-testing.md).
if [[ -d $dest/baseline ]]; then
  find "$dest" -mindepth 1 -maxdepth 1 ! -name baseline -exec rm -rf {} +
else
  rm -rf "$dest"
fi
mkdir -p "$dest/bin" "$dest/lib"

for prog in vllm-gpu-tests vllm-runtime-tests vllm-all-reduce-tests; do
  if [[ -x $build/bin/$prog ]]; then
    cp "$build/bin/$prog" "$dest/bin/"
  else
    echo "error: $build/bin/$prog is not built" >&2
    exit 1
  fi
done
cp "$build/lib/libvllm_runtime.so" "$dest/lib/"

missing=0
for lib in vllm_gpu_test_kernels vllm_gpu_test_kernels_unfused \
           vllm_gpu_test_kernels_tc vllm_gpu_test_kernels_tc_unfused \
           vllm_bench_kernels vllm_bench_kernels_unfused \
           vllm_bench_gemm_tc vllm_bench_gemm_simt \
           vllm_bench_chain vllm_bench_chain_unfused \
           vllm_all_reduce_test_kernels vllm_all_reduce_test_kernels_unfused \
           vllm_all_reduce_test_kernels_nccl; do
  found=$(find "$build" -name "lib$lib.so" -not -path "*/CMakeFiles/*" \
            -print -quit)
  if [[ -n $found ]]; then
    cp "$found" "$dest/lib/"
  else
    echo "warning: lib$lib.so is not built (needs vllm_mlir_add_gpu_library)" >&2
    missing=1
  fi
done

# Shared libraries outside the system folders (LLVM's, the build's) travel
# too; the programs find them through LD_LIBRARY_PATH=$dest/lib.
for f in "$dest"/bin/* "$dest"/lib/*.so; do
  ldd "$f" 2>/dev/null | awk '/=> \// {print $3}' | while read -r dep; do
    case "$dep" in
      /lib/*|/lib64/*|/usr/lib/x86_64-linux-gnu/*) ;;
      *) base=$(basename "$dep")
         [[ -e $dest/lib/$base ]] || cp -L "$dep" "$dest/lib/$base" ;;
    esac
  done
done

# Keep the dynamic symbol tables (dlsym needs them), drop the rest.
strip --strip-unneeded "$dest"/bin/* "$dest"/lib/*.so 2>/dev/null || true

size_mb=$(du -sm "$dest" | cut -f1)
echo "carry folder $dest: ${size_mb} MiB"
ls -l "$dest/bin" "$dest/lib"
if (( size_mb > limit_mb )); then
  echo "warning: more than ${limit_mb} MiB; the device tool carries 64 MiB" \
       "with the working tree (try -DVLLM_GPU_TESTS_KERNEL_SET=smoke)" >&2
fi
exit $missing
