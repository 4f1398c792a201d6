#!/usr/bin/env bash
# Runs the prebuilt GPU artifacts on the GPU machine and leaves the logs and
# the benchmark table under $OUT; the summary is printed last.
# How to call it through the device tool: docs/gpu-testing.md.
#
# usage: scripts/gpu-run.sh [ARTIFACTS] [PHASES]
#   ARTIFACTS  folder made by scripts/make-carry.sh (default .carry)
#   PHASES     comma-separated, in order
#              (default runtime,numerics,memcheck,racecheck,bench):
#              runtime   the runtime's own GPU tests (vllm-runtime-tests)
#              numerics  the full numerics suite (vllm-gpu-tests)
#              memcheck  the suite under compute-sanitizer memcheck, reduced
#                        shapes (--quick)
#              racecheck the row kernels with several warps under
#                        compute-sanitizer racecheck (shared-memory hazards
#                        between the rows a persistent CTA loops over)
#              bench     bench/gpu/bench.py: ours vs torch eager / compile
#              tc        the GEMM cases of the suite with the tensor-core
#                        kernel (the _tc libraries, matmul-kernel=auto)
#              tc-memcheck, tc-racecheck
#                        the same under compute-sanitizer (--quick, with
#                        GEMM rows TC_SANITIZER_MM_M, default 1,128,301,2200:
#                        the decode, split-K, mid and split-tail variants)
#              silu      the silu_and_mul / elementwise_quant cases
#              gemm-bench bench/gpu/bench_gemm.py: ours vs cuBLASLt
#                        (GEMM_BENCH_ARGS for extra arguments)
#              silu-bench bench/gpu/bench_silu.py (SILU_BENCH_ARGS)
#              allreduce vllm-all-reduce-tests: the tensor-parallel site on
#                        simulated ranks 1, 2, 4, 8 and one NCCL rank
#                        (ALLREDUCE_ARGS; torch's libnccl when it has one)
# Environment: SEED (suite seed; default: time), NUMERICS_ARGS, MEMCHECK_ARGS,
# RACECHECK_ARGS,
# BENCH_ARGS (extra arguments), *_TIMEOUT (seconds per phase).
#
# Files under $OUT (at most 8 come back): summary.txt, runtime.log,
# numerics.log, memcheck.log, racecheck.log, bench.log, bench.md, bench.json.
set -u

art=${1:-.carry}
phases=${2:-${PHASES:-runtime,numerics,memcheck,racecheck,bench}}
out=${OUT:-$PWD/gpu-out}
mkdir -p "$out"
art=$(cd "$art" && pwd) || { echo "no artifacts folder $1"; exit 2; }
here=$(cd "$(dirname "$0")/.." && pwd)

export PYTHONUNBUFFERED=1
export LD_LIBRARY_PATH="$art/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
seed=${SEED:-$(date +%s)}
summary="$out/summary.txt"

{
  echo "gpu-run.sh $(date -u '+%Y-%m-%d %H:%M UTC') phases=$phases seed=$seed"
  nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.sm,clocks.mem \
    --format=csv,noheader 2>/dev/null || echo "nvidia-smi unavailable"
} > "$summary"

# run_phase NAME LOG TIMEOUT COMMAND... : runs, tees, records the last line.
run_phase() {
  local name=$1 log=$2 limit=$3
  shift 3
  local start=$SECONDS rc
  echo "=== $name: $*" | tee "$log"
  timeout --signal=TERM --kill-after=20 "$limit" "$@" 2>&1 | tee -a "$log"
  rc=${PIPESTATUS[0]}
  local last
  last=$(grep -E "^[0-9]+ passed, [0-9]+ failed|ERROR SUMMARY|RACECHECK SUMMARY|^no GPU|^no torch|^bench:|^error" \
           "$log" | tail -n 2 | tr '\n' ' ')
  [[ $rc == 124 ]] && last="$last (timed out after ${limit}s)"
  printf '%-9s rc=%-3s %4ds  %s\n' "$name" "$rc" $((SECONDS - start)) \
    "$last" >> "$summary"
  return 0
}

IFS=',' read -r -a list <<< "$phases"
suite=("$art/bin/vllm-gpu-tests" --seed "$seed"
       --fused-lib "$art/lib/libvllm_gpu_test_kernels.so"
       --unfused-lib "$art/lib/libvllm_gpu_test_kernels_unfused.so")
tc_suite=("$art/bin/vllm-gpu-tests" --seed "$seed" --only-matmul
          --fused-lib "$art/lib/libvllm_gpu_test_kernels_tc.so"
          --unfused-lib "$art/lib/libvllm_gpu_test_kernels_tc_unfused.so")
tc_sanitizer_m=1,128,301,2200
sanitizer=$(command -v compute-sanitizer ||
            echo /usr/local/cuda/bin/compute-sanitizer)
for phase in "${list[@]}"; do
  case "$phase" in
    runtime)
      run_phase runtime "$out/runtime.log" "${RUNTIME_TIMEOUT:-120}" \
        "$art/bin/vllm-runtime-tests" ;;
    numerics)
      # shellcheck disable=SC2086
      run_phase numerics "$out/numerics.log" "${NUMERICS_TIMEOUT:-540}" \
        "${suite[@]}" ${NUMERICS_ARGS:-} ;;
    memcheck)
      # shellcheck disable=SC2086
      run_phase memcheck "$out/memcheck.log" "${MEMCHECK_TIMEOUT:-540}" \
        "$sanitizer" --tool memcheck --leak-check no --print-limit 50 \
        --error-exitcode 3 "${suite[@]}" --quick --mm-m 1 \
        ${MEMCHECK_ARGS:-} ;;
    racecheck)
      # shellcheck disable=SC2086
      run_phase racecheck "$out/racecheck.log" "${RACECHECK_TIMEOUT:-300}" \
        "$sanitizer" --tool racecheck --print-limit 50 --error-exitcode 3 \
        "${suite[@]}" --quick --no-matmul --h 2048,4096,7168 \
        ${RACECHECK_ARGS:-} ;;
    bench)
      # shellcheck disable=SC2086
      run_phase bench "$out/bench.log" "${BENCH_TIMEOUT:-560}" \
        python3 "$here/bench/gpu/bench.py" --lib-dir "$art/lib" --out "$out" \
        ${BENCH_ARGS:-} ;;
    tc)
      run_phase tc "$out/tc.log" "${TC_TIMEOUT:-300}" "${tc_suite[@]}" ;;
    tc-memcheck)
      run_phase tc-memcheck "$out/tc-memcheck.log" \
        "${TC_MEMCHECK_TIMEOUT:-200}" "$sanitizer" --tool memcheck \
        --leak-check no --print-limit 50 --error-exitcode 3 \
        "${tc_suite[@]}" --quick --mm-m "${TC_SANITIZER_MM_M:-$tc_sanitizer_m}" ;;
    tc-racecheck)
      run_phase tc-racecheck "$out/tc-racecheck.log" \
        "${TC_RACECHECK_TIMEOUT:-200}" "$sanitizer" --tool racecheck \
        --print-limit 50 --error-exitcode 3 "${tc_suite[@]}" --quick \
        --mm-m "${TC_SANITIZER_MM_M:-$tc_sanitizer_m}" ;;
    silu)
      run_phase silu "$out/silu.log" "${SILU_TIMEOUT:-300}" \
        "${suite[@]}" --filter silu ;;
    gemm-bench)
      # shellcheck disable=SC2086
      run_phase gemm-bench "$out/gemm-bench.log" "${GEMM_BENCH_TIMEOUT:-400}" \
        python3 "$here/bench/gpu/bench_gemm.py" --lib-dir "$art/lib" \
        --out "$out" ${GEMM_BENCH_ARGS:-} ;;
    silu-bench)
      # shellcheck disable=SC2086
      run_phase silu-bench "$out/silu-bench.log" "${SILU_BENCH_TIMEOUT:-400}" \
        python3 "$here/bench/gpu/bench_silu.py" --lib-dir "$art/lib" \
        --out "$out" ${SILU_BENCH_ARGS:-} ;;
    allreduce)
      # torch's NCCL (2.28.9 here) has the symmetric windows; the system's
      # may not (docs/tensor-parallel.md).
      torch_nccl=$(python3 -c "import glob, os, torch; c = glob.glob(os.path.join(os.path.dirname(torch.__file__), '..', 'nvidia', 'nccl', 'lib', 'libnccl.so.2')); print(os.path.realpath(c[0]) if c else '')" 2>/dev/null)
      # shellcheck disable=SC2086
      VLLMRT_LIBNCCL=${VLLMRT_LIBNCCL:-$torch_nccl} \
      run_phase allreduce "$out/allreduce.log" "${ALLREDUCE_TIMEOUT:-300}" \
        "$art/bin/vllm-all-reduce-tests" \
        --fused-lib "$art/lib/libvllm_all_reduce_test_kernels.so" \
        --unfused-lib "$art/lib/libvllm_all_reduce_test_kernels_unfused.so" \
        --nccl-lib "$art/lib/libvllm_all_reduce_test_kernels_nccl.so" \
        --seed "$seed" --ranks 1,2,4,8 ${ALLREDUCE_ARGS:-} ;;
    *)
      echo "unknown phase $phase" | tee -a "$summary" ;;
  esac
done

if [[ -f $out/bench.md ]]; then
  echo
  sed -n '/^| variant/,$p' "$out/bench.md" | head -n 60
fi
echo
echo "===== summary ($out) ====="
cat "$summary"
