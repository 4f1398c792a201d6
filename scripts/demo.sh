#!/usr/bin/env bash
# The main job: set everything up, then take the model-shaped example graph
# through vllm-mlir and show what each stage did.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${VLLM_BUILD_DIR:-build}
./scripts/setup.sh
OPT="$BUILD_DIR/bin/vllm-opt"
MODEL=examples/model.mlir
OUT=${VLLM_DEMO_OUT:-$BUILD_DIR/demo}
mkdir -p "$OUT"

ops() { # op histogram of an MLIR file
  grep -oE '(= |^ +)(vllm|gpu|nvvm)\.[a-z_0-9.]+' "$1" | sed -E 's/^(= | +)//' | sort | uniq -c | sed 's/^/    /'
}
banner() { printf '\n======== %s ========\n' "$*"; }

banner "1. Parse and verify $MODEL ($(grep -c '// layer' $MODEL) layers)"
"$OPT" "$MODEL" -o "$OUT/model.verified.mlir"
echo "  verified; ops:"
ops "$OUT/model.verified.mlir"
echo "  first layer:"
grep -m 6 -E 'vllm\.' "$OUT/model.verified.mlir" | cut -c1-180 | sed 's/^ */    /'
echo "  wrote $OUT/model.verified.mlir"
