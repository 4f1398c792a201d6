#!/usr/bin/env bash
# Fuzzes the compiler with vllm-fuzz (tools/vllm-fuzz, docs/fuzzing.md):
# builds the sanitizer build if needed (scripts/sanitizer-build.sh), makes
# the seed corpus from the lit inputs, and runs libFuzzer for SECONDS
# (default 150) with the dialect's dictionary. Prints the executions and
# what was found; exits non-zero on a crash, leaving the reproducer in
# $BUILD_DIR/fuzz/artifacts/ (replay: $BUILD_DIR/bin/vllm-fuzz FILE).
#   scripts/fuzz.sh [SECONDS] [extra libFuzzer flags...]
#   VLLM_SAN_BUILD_DIR  build directory (default: build-san)
#   VLLM_FUZZ_CORPUS    working corpus, kept between runs
#                       (default: $BUILD_DIR/fuzz/corpus)
# A long run on several cores, going on past crashes (each one is saved):
#   scripts/fuzz.sh 3600 -fork=2 -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1
set -uo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${VLLM_SAN_BUILD_DIR:-build-san}
SECONDS_TO_RUN=${1:-150}
shift || true
CORPUS=${VLLM_FUZZ_CORPUS:-$BUILD_DIR/fuzz/corpus}
SEEDS=$BUILD_DIR/fuzz/seeds
ARTIFACTS=$BUILD_DIR/fuzz/artifacts

./scripts/sanitizer-build.sh || exit 1

printf '\n==> Seed corpus from the lit inputs\n'
rm -rf "$SEEDS"
python3 tools/vllm-fuzz/make_corpus.py "$SEEDS" || exit 1
mkdir -p "$CORPUS" "$ARTIFACTS"
# libFuzzer also saves every input slower than -report_slow_units (10 s by
# default) as slow-unit-*: the seeds that compile several tensor-core GEMM
# kernels to PTX take 5-13 s on the sanitizer build, so those are listed,
# not failures; a hang is a timeout (-timeout=60), which is one.
failures() { find "$ARTIFACTS" -type f ! -name 'slow-unit-*' "$@"; }
before=$(failures | wc -l)
touch "$BUILD_DIR/fuzz/started"

printf '\n==> vllm-fuzz for %s s\n' "$SECONDS_TO_RUN"
log=$BUILD_DIR/fuzz/fuzz.log
# libMLIR.so is not instrumented (see test/lit.cfg.py for
# allow_user_poisoning); the fuzz target sets the same ASAN default options.
export ASAN_SYMBOLIZER_PATH=${ASAN_SYMBOLIZER_PATH:-/usr/lib/llvm-22/bin/llvm-symbolizer}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
start=$(date +%s)
"$BUILD_DIR/bin/vllm-fuzz" -max_total_time="$SECONDS_TO_RUN" \
  -dict=tools/vllm-fuzz/vllm.dict -timeout=60 -rss_limit_mb=4096 \
  -print_final_stats=1 -artifact_prefix="$ARTIFACTS/" "$@" \
  "$CORPUS" "$SEEDS" >"$log" 2>&1
status=$?
elapsed=$(($(date +%s) - start))

# The tail of the log: libFuzzer's last status lines and, after a crash,
# the report.
tail -n 60 "$log"
execs=$(grep -oE 'stat::number_of_executed_units: *[0-9]+' "$log" |
        grep -oE '[0-9]+$' | awk '{s += $1} END {print s + 0}')
if [[ "$execs" == 0 ]]; then
  # -fork prints no final stats; its status lines carry the total.
  execs=$(grep -oE '#[0-9]+: cov' "$log" | tail -1 | grep -oE '[0-9]+')
fi
found=$(($(failures | wc -l) - before))
slow=$(find "$ARTIFACTS" -type f -name 'slow-unit-*' -newer "$BUILD_DIR/fuzz/started")
echo
seed=$(grep -oE 'INFO: Seed: [0-9]+' "$log" | head -1 | grep -oE '[0-9]+$')
echo "vllm-fuzz: ${execs:-?} executions in $elapsed s (-seed=${seed:-?}), corpus $(find "$CORPUS" -type f | wc -l) inputs, exit status $status"
if ((found > 0)) || ((status != 0)); then
  echo "vllm-fuzz: FAILED: $found new artifact(s) in $ARTIFACTS (full log: $log):"
  failures -newer "$BUILD_DIR/fuzz/started" | sed 's/^/  /'
  echo "Reproduce: $BUILD_DIR/bin/vllm-fuzz FILE (VLLM_FUZZ_VERBOSE=1 shows each stage);"
  echo "minimize: $BUILD_DIR/bin/vllm-fuzz -minimize_crash=1 -runs=10000 FILE"
  exit 1
fi
if [[ -n "$slow" ]]; then
  echo "vllm-fuzz: slow inputs (over libFuzzer's -report_slow_units; not failures):"
  echo "$slow" | sed 's/^/  /'
fi
echo "vllm-fuzz: no crash"
