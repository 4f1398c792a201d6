#!/usr/bin/env python3
"""Compile-time benchmark of vllm-fusion-pipeline on DeepSeek-V3-shaped graphs.

Generates a graph of N transformer layers with DeepSeek-V3's shapes (hidden
7168, MLA with q_lora 1536 and kv_lora 512, o_proj from 128 x 128 heads, an
MLP of 2 x 2048 -> 2048 -> 7168), runs

    vllm-opt --vllm-fusion-pipeline=chip=<chip> --mlir-timing

on it several times, and prints the median wall time of every pass, of the
passes together, and of parsing/printing, in milliseconds. The default sizes
are the real model (61 layers) and a 10x larger graph (610 layers); the last
column shows how time grows with the graph (10.0 = linear).

Each layer has four norm -> quantize -> scaled_matmul sites (attention
input, q_a_layernorm, kv_a_layernorm, post-attention with the residual add)
and two quantizes of other activations (o_proj, down_proj). Attention and
SiLU-and-mul are not modelled: slices and an add stand in for them so that
every value is used. Before timing, one run checks that every site fused and
every matmul got the chip.

This is a command, not a test: the numbers depend on the machine.

Usage: run.py [--vllm-opt PATH] [--layers 61 610] [--repeat 5] [--chip sm_100a]
              [--keep DIR]
"""
import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile

HIDDEN, Q_LORA, KV_LORA, QKV_A = 7168, 1536, 512, 2112
Q_B, KV_B, O_IN, INTER = 24576, 32768, 16384, 2048
PROJ = {  # name: (N, K) of the [N, K] weight
    "qkv_a": (QKV_A, HIDDEN), "q_b": (Q_B, Q_LORA), "kv_b": (KV_B, KV_LORA),
    "o": (HIDDEN, O_IN), "gate_up": (2 * INTER, HIDDEN), "down": (HIDDEN, INTER),
}
NORMS = {"ln_in": HIDDEN, "ln_q": Q_LORA, "ln_kv": KV_LORA, "ln_post": HIDDEN}
SCHEME = "per_group 128, f32, row_major"  # what a frontend writes


def act(k):
    return f"tensor<?x{k}xbf16>"


def fp8(k):
    return f"tensor<?x{k}xf8E4M3FN>"


def act_scales(k):
    return f"tensor<?x{k // 128}xf32, #vllm.scales<group 128, f32, row_major>>"


def weight(name):
    n, k = PROJ[name]
    return (f"tensor<{n}x{k}xf8E4M3FN>",
            f"tensor<{-(-n // 128)}x{k // 128}xf32, #vllm.scales<block 128x128, f32>>")


def generate(layers):
    """The graph as MLIR text."""
    args = [f"%h0: {act(HIDDEN)}", f"%ln_final: tensor<{HIDDEN}xbf16>"]
    for l in range(layers):
        args += [f"%{n}_{l}: tensor<{h}xbf16>" for n, h in NORMS.items()]
        for name in PROJ:
            w, s = weight(name)
            args += [f"%w_{name}_{l}: {w}", f"%s_{name}_{l}: {s}"]
    out = [f"func.func @deepseek_v3(" + ",\n    ".join(args) +
           f") -> {act(HIDDEN)} {{",
           "  %c0 = arith.constant 0 : index",
           f"  %m = tensor.dim %h0, %c0 : {act(HIDDEN)}"]

    def quant_matmul(dst, src, name):
        n, k = PROJ[name]
        w, s = weight(name)
        out.append(f"  %{dst}_q, %{dst}_s = vllm.quantize %{src} as <{SCHEME}> "
                   f": {act(k)} -> {fp8(k)}, {act_scales(k)}")
        out.append(f"  %{dst} = vllm.scaled_matmul %{dst}_q, %w_{name}_{l} "
                   f"scales(%{dst}_s, %s_{name}_{l}) : ({fp8(k)}, {w}, "
                   f"{act_scales(k)}, {s}) -> {act(n)}")

    def norm(dst, src, weight_name, width):
        out.append(f"  %{dst} = vllm.rms_norm %{src}, %{weight_name} "
                   f"{{epsilon = 1.0e-06 : f32}} : ({act(width)}, "
                   f"tensor<{width}xbf16>) -> {act(width)}")

    def add_norm(dst, res_out, src, res, weight_name):
        t = act(HIDDEN)
        out.append(f"  %{dst}, %{res_out} = vllm.fused_add_rms_norm %{src}, "
                   f"%{res}, %{weight_name} {{epsilon = 1.0e-06 : f32}} : "
                   f"({t}, {t}, tensor<{HIDDEN}xbf16>) -> ({t}, {t})")

    def slice_(dst, src, src_width, offset, width):
        out.append(f"  %{dst} = tensor.extract_slice %{src}[0, {offset}] "
                   f"[%m, {width}] [1, 1] : {act(src_width)} to {act(width)}")

    h, res = "h0", None
    for l in range(layers):
        if res is None:  # the first layer has no residual yet
            norm(f"x_{l}", h, f"ln_in_{l}", HIDDEN)
            res = h
        else:
            add_norm(f"x_{l}", f"r_{l}", h, res, f"ln_in_{l}")
            res = f"r_{l}"
        quant_matmul(f"qkv_{l}", f"x_{l}", "qkv_a")
        slice_(f"qa_{l}", f"qkv_{l}", QKV_A, 0, Q_LORA)
        slice_(f"kva_{l}", f"qkv_{l}", QKV_A, Q_LORA, KV_LORA)
        norm(f"qn_{l}", f"qa_{l}", f"ln_q_{l}", Q_LORA)
        quant_matmul(f"qb_{l}", f"qn_{l}", "q_b")
        norm(f"kvn_{l}", f"kva_{l}", f"ln_kv_{l}", KV_LORA)
        quant_matmul(f"kvb_{l}", f"kvn_{l}", "kv_b")
        # Attention stand-in: combine slices of the q and kv projections.
        slice_(f"qs_{l}", f"qb_{l}", Q_B, 0, O_IN)
        slice_(f"kvs_{l}", f"kvb_{l}", KV_B, 0, O_IN)
        out.append(f"  %attn_{l} = arith.addf %qs_{l}, %kvs_{l} : {act(O_IN)}")
        quant_matmul(f"o_{l}", f"attn_{l}", "o")
        add_norm(f"y_{l}", f"r2_{l}", f"o_{l}", res, f"ln_post_{l}")
        res = f"r2_{l}"
        quant_matmul(f"gu_{l}", f"y_{l}", "gate_up")
        slice_(f"mlp_{l}", f"gu_{l}", 2 * INTER, 0, INTER)  # SiLU-and-mul stand-in
        quant_matmul(f"down_{l}", f"mlp_{l}", "down")
        h = f"down_{l}"
    add_norm("final", "final_res", h, res, "ln_final")
    out.append(f"  return %final : {act(HIDDEN)}")
    out.append("}")
    return "\n".join(out) + "\n"


def check(vllm_opt, path, layers, chip):
    """One run whose output must show every site fused and every matmul
    given the chip; the benchmark is meaningless otherwise."""
    text = subprocess.run([vllm_opt, path, f"--vllm-fusion-pipeline=chip={chip}"],
                          check=True, capture_output=True, text=True).stdout
    counts = {
        "rms_norm_quant": len(re.findall(r"= vllm\.rms_norm_quant ", text)),
        "rms_norm": len(re.findall(r"= vllm\.rms_norm ", text)),
        "quantize": len(re.findall(r"= vllm\.quantize ", text)),
        "matmul with chip": len(re.findall(rf"vllm\.scaled_matmul .* chip <{chip}>", text)),
    }
    expected = {"rms_norm_quant": 4 * layers, "rms_norm": 0,
                "quantize": 2 * layers, "matmul with chip": 6 * layers}
    if counts != expected:
        sys.exit(f"error: {layers} layers: expected {expected}, got {counts}")


def timing(vllm_opt, path, chip):
    """Seconds per timer name from one --mlir-timing run."""
    proc = subprocess.run(
        [vllm_opt, path, f"--vllm-fusion-pipeline=chip={chip}", "--mlir-timing",
         "--mlir-timing-display=list", "--mlir-output-format=json", "-o", os.devnull],
        check=True, capture_output=True, text=True)
    report = json.loads(proc.stderr[proc.stderr.index("["):])
    return {entry["name"]: entry["wall"]["duration"] for entry in report
            if "name" in entry}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    here = os.path.dirname(os.path.abspath(__file__))
    default_opt = os.environ.get(
        "VLLM_OPT", os.path.join(here, "..", "..", "build", "bin", "vllm-opt"))
    parser.add_argument("--vllm-opt", default=default_opt)
    parser.add_argument("--layers", type=int, nargs="+", default=[61, 610])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--chip", default="sm_100a")
    parser.add_argument("--keep", help="write the generated graphs into DIR")
    args = parser.parse_args()
    if not os.access(args.vllm_opt, os.X_OK):
        sys.exit(f"error: no vllm-opt at {args.vllm_opt} (build it, or pass "
                 "--vllm-opt / set VLLM_OPT)")

    workdir = args.keep or tempfile.mkdtemp(prefix="vllm-compile-time-")
    os.makedirs(workdir, exist_ok=True)
    results, op_counts = {}, {}
    for layers in args.layers:
        text = generate(layers)
        path = os.path.join(workdir, f"deepseek-v3-{layers}.mlir")
        with open(path, "w") as f:
            f.write(text)
        op_counts[layers] = sum(1 for line in text.splitlines()
                                if re.match(r"\s+%\S+( ?, ?%\S+)* = ", line))
        check(args.vllm_opt, path, layers, args.chip)
        runs = [timing(args.vllm_opt, path, args.chip) for _ in range(args.repeat)]
        results[layers] = {name: statistics.median(r.get(name, 0.0) for r in runs)
                           for name in runs[0]}

    passes = ["VllmSelectScaleLayoutPass", "VllmFuseNormQuantPass",
              "Canonicalizer", "CSE", "(A) DominanceInfo"]
    first = results[args.layers[0]]
    passes = [p for p in passes if p in first]
    rows = [(p, [results[l].get(p, 0.0) for l in args.layers]) for p in passes]
    # "(A) DominanceInfo" is an analysis that CSE runs: listed for
    # information, already included in CSE's time, so not summed again.
    rows.append(("all passes", [sum(results[l].get(p, 0.0) for p in passes
                                    if not p.startswith("(A)"))
                                for l in args.layers]))
    rows += [(n, [results[l].get(n, 0.0) for l in args.layers])
             for n in ("Parser", "Output", "Total")]

    print(f"vllm-opt --vllm-fusion-pipeline=chip={args.chip} --mlir-timing "
          f"(median of {args.repeat} runs, wall ms)")
    header = ["timer"] + [f"{l} layers ({op_counts[l]} ops)" for l in args.layers]
    if len(args.layers) == 2:
        header.append(f"ratio x{args.layers[1] / args.layers[0]:g}")
    widths = [max(26, len(header[0]))] + [max(12, len(h)) for h in header[1:]]
    print("| " + " | ".join(h.ljust(w) for h, w in zip(header, widths)) + " |")
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for name, values in rows:
        cells = [name] + [f"{v * 1e3:.1f}" for v in values]
        if len(values) == 2:
            cells.append(f"{values[1] / values[0]:.1f}" if values[0] > 0 else "-")
        print("| " + " | ".join(c.ljust(w) for c, w in zip(cells, widths)) + " |")


if __name__ == "__main__":
    main()
