#!/usr/bin/env bash
# Runs the lit suite on the sanitizer build (ASan + UBSan, see
# scripts/sanitizer-build.sh): any sanitizer report fails its test. The
# plugin tests and the package test are unsupported there (lit feature
# `asan`); test/lit.cfg.py sets the ASAN_OPTIONS / UBSAN_OPTIONS the suite
# needs. Ends with lit's summary; exits non-zero when a test fails.
#   VLLM_SAN_BUILD_DIR  build directory (default: build-san)
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${VLLM_SAN_BUILD_DIR:-build-san}
LIT=/usr/lib/llvm-22/bin/lit

./scripts/sanitizer-build.sh

printf '\n==> lit suite on the sanitizer build (%s)\n' "$BUILD_DIR"
start=$(date +%s)
status=0
"$LIT" -sv "$BUILD_DIR/test" || status=$?
echo "sanitizer lit run finished in $(($(date +%s) - start)) s"
exit $status
