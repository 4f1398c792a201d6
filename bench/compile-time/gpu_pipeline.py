#!/usr/bin/env python3
"""Compile time and memory of the whole GPU pipeline, by model size.

Runs

    vllm-opt --vllm-gpu-pipeline="chip=<chip> fuse=true fusion-chip=<chip>"

(everything from the tensor graph to host code with the cubin embedded) on
DeepSeek-V3-shaped graphs of several sizes and prints, per size, the median
wall time and the peak resident memory of the process, both also per layer
and as the increment per added layer between consecutive sizes. Growth is
linear when the increments stay constant. Two graph families:

  layers     one function of N layers (examples/gen_model.py, the demo's
             model): host code with ~30 launches per layer in one function;
  functions  N small functions of rms_norm -> quantize each (the shape of a
             library of many compiled entry points).

The kernels are deduplicated, so their compilation (ptxas included) is a
constant part; with --mlir-timing the slowest passes of the largest size are
listed as well. This is a command, not a test: the numbers depend on the
machine.

Usage: gpu_pipeline.py [--vllm-opt PATH] [--layers 61 122 244 488]
                       [--functions 1200 2400 4800] [--repeat 3]
                       [--chip sm_90a] [--keep DIR]
"""
import argparse
import importlib.util
import io
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..", "..")


def load_gen_model():
    spec = importlib.util.spec_from_file_location(
        "gen_model", os.path.join(ROOT, "examples", "gen_model.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def model_graph(layers):
    out = io.StringIO()
    load_gen_model().emit(layers, out)
    return out.getvalue()


def functions_graph(count):
    scales = "tensor<?x56xf32, #vllm.scales<group 128, f32, row_major>>"
    body = []
    for i in range(count):
        body.append(
            f"func.func @f{i}(%x: tensor<?x7168xbf16>, %w: tensor<7168xbf16>) "
            f"-> (tensor<?x7168xf8E4M3FN>, {scales}) {{\n"
            f"  %y = vllm.rms_norm %x, %w {{epsilon = 1.0e-06 : f32}} : "
            f"(tensor<?x7168xbf16>, tensor<7168xbf16>) -> tensor<?x7168xbf16>\n"
            f"  %q, %s = vllm.quantize %y as <per_group 128, f32, row_major> : "
            f"tensor<?x7168xbf16> -> tensor<?x7168xf8E4M3FN>, {scales}\n"
            f"  return %q, %s : tensor<?x7168xf8E4M3FN>, {scales}\n}}\n")
    return "".join(body)


def run_once(command):
    """Wall seconds and peak RSS (MB) of one run of `command`."""
    start = time.perf_counter()
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    stderr = proc.stderr.read()
    proc.stderr.close()
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit("error: %s failed:\n%s" % (" ".join(command), stderr))
    return wall, usage.ru_maxrss / 1024.0, stderr


def slowest_passes(vllm_opt, path, pipeline, count=6):
    proc = subprocess.run(
        [vllm_opt, path, pipeline, "--mlir-timing", "--mlir-timing-display=list",
         "--mlir-output-format=json", "-o", os.devnull],
        check=True, capture_output=True, text=True)
    report = json.loads(proc.stderr[proc.stderr.index("["):])
    totals = {}
    for entry in report:
        name = entry.get("name")
        if name and name not in ("Total", "root"):
            totals[name] = totals.get(name, 0.0) + entry["wall"]["duration"]
    return sorted(totals.items(), key=lambda item: -item[1])[:count]


def measure(args, family, sizes, make_graph, unit, workdir):
    pipeline = (f"--vllm-gpu-pipeline=chip={args.chip} fuse=true "
                f"fusion-chip={args.chip}")
    rows = []
    for size in sizes:
        path = os.path.join(workdir, f"{family}-{size}.mlir")
        with open(path, "w") as f:
            f.write(make_graph(size))
        runs = [run_once([args.vllm_opt, path, pipeline, "-o", os.devnull])
                for _ in range(args.repeat)]
        wall = statistics.median(r[0] for r in runs)
        rss = statistics.median(r[1] for r in runs)
        rows.append((size, wall, rss))
        print(f"  {family} {size}: {wall:.2f} s, {rss:.0f} MB", file=sys.stderr)

    print(f"\n{family} ({unit}s; median of {args.repeat} runs)")
    print(f"| {unit}s | wall s | ms per {unit} | ms per added {unit} "
          f"| peak MB | MB per added {unit} |")
    print("|---|---|---|---|---|---|")
    previous = None
    for size, wall, rss in rows:
        if previous:
            added = size - previous[0]
            marginal_ms = (wall - previous[1]) / added * 1e3
            marginal_mb = (rss - previous[2]) / added
            marginal = f"{marginal_ms:.1f} | {rss:.0f} | {marginal_mb:.2f}"
        else:
            marginal = f"- | {rss:.0f} | -"
        print(f"| {size} | {wall:.2f} | {wall / size * 1e3:.1f} | {marginal} |")
        previous = (size, wall, rss)
    largest = os.path.join(workdir, f"{family}-{sizes[-1]}.mlir")
    passes = slowest_passes(args.vllm_opt, largest, pipeline)
    print(f"slowest timers at {sizes[-1]} {unit}s (--mlir-timing, one run): " +
          ", ".join(f"{name} {seconds:.2f} s" for name, seconds in passes))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--vllm-opt", default=os.environ.get(
        "VLLM_OPT", os.path.join(ROOT, "build", "bin", "vllm-opt")))
    parser.add_argument("--layers", type=int, nargs="*",
                        default=[61, 122, 244, 488])
    parser.add_argument("--functions", type=int, nargs="*",
                        default=[1200, 2400, 4800])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--chip", default="sm_90a")
    parser.add_argument("--keep", help="write the generated graphs into DIR")
    args = parser.parse_args()
    if not os.access(args.vllm_opt, os.X_OK):
        sys.exit(f"error: no vllm-opt at {args.vllm_opt} (build it, or pass "
                 "--vllm-opt / set VLLM_OPT)")
    workdir = args.keep or tempfile.mkdtemp(prefix="vllm-gpu-compile-time-")
    os.makedirs(workdir, exist_ok=True)
    print(f"vllm-opt --vllm-gpu-pipeline=\"chip={args.chip} fuse=true "
          f"fusion-chip={args.chip}\"")
    if args.layers:
        measure(args, "layers", args.layers, model_graph, "layer", workdir)
    if args.functions:
        measure(args, "functions", args.functions, functions_graph, "function",
                workdir)


if __name__ == "__main__":
    main()
