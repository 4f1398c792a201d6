#!/usr/bin/env bash
# Runs every test that needs no GPU: the lit suite (IR, passes, lowering,
# ptxas when present), the CPU unit tests (ctest) and the generated-docs
# check. Builds first if needed. Ends with `N passed, N failed`.
#   VLLM_BUILD_DIR  build directory (default: build)
set -uo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${VLLM_BUILD_DIR:-build}
LIT=/usr/lib/llvm-22/bin/lit

if [[ ! -f "$BUILD_DIR/build.ninja" ]]; then
  VLLM_SKIP_APT=${VLLM_SKIP_APT:-0} ./scripts/setup.sh || exit 1
fi
ninja -C "$BUILD_DIR" || exit 1

passed=0 failed=0 skipped=0

echo "==> lit suite"
lit_log=$(mktemp)
"$LIT" -sv "$BUILD_DIR/test" 2>&1 | tee "$lit_log"
count() { grep -E "^ *$1: *[0-9]+" "$lit_log" | grep -oE '[0-9]+' | head -1; }
lp=$(count Passed); lf=$(count Failed); lu=$(count Unsupported)
lx=$(count "Unexpectedly Passed"); le=$(count "Expectedly Failed")
passed=$((passed + ${lp:-0} + ${le:-0}))
failed=$((failed + ${lf:-0} + ${lx:-0}))
skipped=$((skipped + ${lu:-0}))
if [[ -z "$lp" && -z "$lf" ]]; then
  echo "lit ran no test"; failed=$((failed + 1))
fi
rm -f "$lit_log"

if [[ -f "$BUILD_DIR/CTestTestfile.cmake" ]] && grep -q add_test -r "$BUILD_DIR" --include=CTestTestfile.cmake; then
  echo "==> ctest"
  ctest_log=$(mktemp)
  (cd "$BUILD_DIR" && ctest --output-on-failure) 2>&1 | tee "$ctest_log"
  total=$(grep -oE 'tests passed, [0-9]+ tests failed out of [0-9]+' "$ctest_log" | grep -oE '[0-9]+' | tail -1)
  cfail=$(grep -oE '[0-9]+ tests failed out of' "$ctest_log" | grep -oE '^[0-9]+')
  if [[ -n "$total" ]]; then
    passed=$((passed + total - ${cfail:-0})); failed=$((failed + ${cfail:-0}))
  else
    echo "ctest produced no summary"; failed=$((failed + 1))
  fi
  rm -f "$ctest_log"
fi

echo "==> C/C++ sources are clang-formatted (LLVM style, .clang-format)"
if command -v clang-format >/dev/null 2>&1; then
  unformatted=$(git ls-files '*.cpp' '*.h' '*.c' 2>/dev/null |
    while read -r f; do
      clang-format --dry-run "$f" 2>&1 | grep -q warning && echo "$f"
    done)
  if [[ -z "$unformatted" ]]; then
    passed=$((passed + 1)); echo "PASS: every source is formatted"
  else
    failed=$((failed + 1))
    echo "FAIL: run clang-format -i on:"; echo "$unformatted" | sed 's/^/  /'
  fi
else
  skipped=$((skipped + 1)); echo "SKIP: clang-format not installed"
fi

echo "==> builder calls bind their IR-creating arguments (scripts/check-builder-calls.py)"
if python3 scripts/check-builder-calls.py $(git ls-files 'lib/*.cpp' 'tools/*.cpp'); then
  passed=$((passed + 1)); echo "PASS: no call creates IR in two of its arguments"
else
  failed=$((failed + 1)); echo "FAIL: the calls above depend on the compiler's argument order"
fi

echo "==> generated docs are current"
if ninja -C "$BUILD_DIR" check-docs >/dev/null 2>&1; then
  passed=$((passed + 1)); echo "PASS: docs/ matches mlir-tblgen output"
else
  failed=$((failed + 1)); echo "FAIL: docs/ is stale: run 'ninja -C $BUILD_DIR vllm-mlir-doc' and commit"
fi

echo
echo "$passed passed, $failed failed, $skipped skipped"
[[ $failed -eq 0 ]]
