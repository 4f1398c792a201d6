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

for chip in sm_100a sm_90a; do
  banner "2. Fuse and pick the scale layout for $chip"
  /usr/bin/time -f "  %e s, %M KB max RSS" "$OPT" "$MODEL" \
    --vllm-fusion-pipeline="chip=$chip" --mlir-timing \
    -o "$OUT/model.fused.$chip.mlir" 2>"$OUT/fusion.$chip.timing" ||
    { cat "$OUT/fusion.$chip.timing"; exit 1; }
  grep -E 'VllmSelectScaleLayoutPass|VllmFuseNormQuantPass|Total' \
    "$OUT/fusion.$chip.timing" | sed 's/^ */  /'
  echo "  ops after:"
  ops "$OUT/model.fused.$chip.mlir"
  echo "  the attention-input site of layer 0 is now one fused op whose scales"
  echo "  are in the layout the $chip GEMM consumes:"
  grep -m 1 -E 'vllm\.rms_norm_quant' "$OUT/model.fused.$chip.mlir" |
    grep -oE 'as <[^>]*>|-> \(tensor<[^)]*\)' | sed 's/^/    /'
  echo "  so is the down projection's input, silu(gate) * up (SPEC 3.8):"
  grep -m 1 -E 'vllm\.elementwise_quant' "$OUT/model.fused.$chip.mlir" |
    grep -oE 'elementwise_quant silu_and_mul|as <[^>]*>' | sed 's/^/    /'
  grep -m 1 -oE 'scaled_matmul .* chip <[a-z0-9_]+>' "$OUT/model.fused.$chip.mlir" |
    grep -oE 'chip <[a-z0-9_]+>' | sed 's/^/    matmuls: /'
  echo "  wrote $OUT/model.fused.$chip.mlir"
done

banner "3. Compile to cubin for sm_100a and sm_90a, fused and unfused"
echo "  vllm-compile $MODEL --chip sm_100a,sm_90a --fusion both --report"
"$BUILD_DIR/bin/vllm-compile" "$MODEL" --chip sm_100a,sm_90a --fusion both \
  --output-dir "$OUT/gpu" --report >"$OUT/compile.log" 2>&1 ||
  { cat "$OUT/compile.log"; exit 1; }
# The ptxas report: one line per kernel (registers, spill stores/loads,
# shared memory); show the fused sm_100a kernels and a summary of all four.
# (The second sed reads all its input: `head` would exit early, and the first
# sed's SIGPIPE would fail the demo under pipefail, now and then.)
sed -n '1,/^$/p' "$OUT/compile.log" | sed -n '1,30s/^/  /p'
echo "  ..."
for lib in "$OUT"/gpu/*.so; do
  name=$(basename "$lib")
  kernels=$(grep -c '' <(nm -D --defined-only "$lib" | grep ' _mlir_ciface_') || true)
  printf '  %-40s %8d bytes, %s C entry points\n' "$name" "$(stat -c %s "$lib")" "$kernels"
done
spills=$(grep -E '^ +[0-9]+ +[0-9]+/[0-9]+' "$OUT/compile.log" | awk '{split($2,a,"/"); s+=a[1]+a[2]} END {print s+0}')
echo "  spill bytes over every kernel of the four builds: $spills"

banner "4. Tensor parallelism 2: one rank's graph, all-reduce fused into the norms"
TP_MODEL="$OUT/model.tp2.mlir"
python3 examples/gen_model.py --layers 2 --tensor-parallel 2 -o "$TP_MODEL"
echo "  examples/gen_model.py --layers 2 --tensor-parallel 2: ops:"
ops "$TP_MODEL"
"$OPT" "$TP_MODEL" --vllm-fusion-pipeline="chip=sm_100a" -o "$OUT/model.tp2.fused.sm_100a.mlir"
echo "  after the fusion pipeline (sm_100a): ops:"
ops "$OUT/model.tp2.fused.sm_100a.mlir"
echo "  the MLP-input site: o_proj's partial sum, all-reduced over group 0,"
echo "  added to the residual, normalized and quantized in one op (SPEC 3.11):"
grep -m 1 -E 'all_reduce\(group' "$OUT/model.tp2.fused.sm_100a.mlir" |
  grep -oE 'vllm\.rms_norm_quant [^ ]+ [^ ]+ all_reduce\(group [0-9]+\) residual\([^)]*\) as <[^>]*>' |
  sed 's/^/    /'
"$BUILD_DIR/bin/vllm-compile" "$TP_MODEL" --chip sm_100a,sm_90a \
  --output-dir "$OUT/gpu-tp2" --report >"$OUT/compile-tp2.log" 2>&1 ||
  { cat "$OUT/compile-tp2.log"; exit 1; }
for lib in "$OUT"/gpu-tp2/*.so; do
  printf '  %-40s %8d bytes\n' "$(basename "$lib")" "$(stat -c %s "$lib")"
done
grep -oE 'all_reduce[a-z_0-9A-Z]*' "$OUT/compile-tp2.log" | sort -u | sed 's/^/    kernel /'
echo "  (the kernels read every rank's staged input over NVLink and meet the"
echo "  other ranks at a flag barrier: docs/tensor-parallel.md)"

echo
echo "Done. Everything the demo wrote is under $OUT."
