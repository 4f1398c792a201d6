#!/usr/bin/env python3
"""Times one DeepSeek-V3-shaped layer's norm -> quantize -> GEMM chain.

Runs on the GPU machine (docs/gpu-testing.md). It loads the functions of
bench/gpu/kernels/gen_bench_chain.py (the five sites of one layer of
examples/gen_model.py, and the whole layer) from the two libraries built
here, calls them on PyTorch tensors on PyTorch's current stream, and times
in the same run:

  fused     libvllm_bench_chain.so          the fusion pipeline, the
                                            tensor-core GEMM
  unfused   libvllm_bench_chain_unfused.so  the same ops compiled as
                                            written (--fusion off)
  eager     torch eager: vLLM's torch-native RMSNorm (residual add in f32),
            per-token-group FP8 quantization with MN-major TMA-aligned f32
            scales, SiLU-and-mul, and cuBLASLt's block-scaled FP8 GEMM
            through torch._scaled_mm
  compile   torch.compile (Inductor, static shapes: one compilation per M)
            of those same functions

cuBLASLt's block-scaled GEMM refuses M % 4 != 0, so the torch peers run on
M rounded up to a multiple of 4 (zero rows at M = 1); ours on M.

Timing: CUDA-graph replays over rotating input sets, each with its own
weights (all sets together > 3x the L2 where memory allows), warm-up first,
median of repeated replays, per call; the implementations of a function
and M are timed together, one replay of each per repeat in rotating order
(bench.measure_interleaved). Our functions allocate their intermediates on
the stream (stream-ordered, captured as graph memory nodes) and make the
TMA descriptors of buffers they have not seen at capture time.

Checked before timing, on the first input set: the fused and the unfused
build agree bit for bit on every output (SPEC.md C9), and every
implementation's outputs agree with eager torch's by DeepGEMM's metric
1 - 2 sum(x y) / sum(x^2 + y^2) < 1e-2 (the peers round the norm and the
SiLU differently from SPEC.md, so their FP8 codes differ in places; the
metric of each is in the JSON).
An implementation that fails a check is not timed; the table says why.

The table goes to stdout and OUT/bench_chain.md (OUT: --out, else $OUT,
else .); raw numbers to OUT/bench_chain.json.
"""

import argparse
import ctypes
import datetime
import json
import math
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "kernels"))
from bench import (roundup, add_timing_arguments,  # noqa: E402
                   time_ready, Ours, deepgemm_diff_tensors,
                   handle_check_options)
import gen_bench_chain  # noqa: E402
from gen_bench_chain import SITES  # noqa: E402

FUNCTIONS = ["site_" + s for s in SITES] + ["layer"]
# Decode and prefill token counts.
DEFAULT_M = [1, 16, 64, 512, 2048, 4096]
IMPLS = ["fused", "unfused", "eager", "compile"]
OUR_IMPLS = ("fused", "unfused")
LIBS = {"fused": "libvllm_bench_chain.so",
        "unfused": "libvllm_bench_chain_unfused.so"}
# A sanity check, not an accuracy test (the numerics suite is that): the
# peers round the norm and the SiLU their own way, so some FP8 codes differ
# from ours by one step; on the H100 that alone gave 1e-4 per site and
# 9e-4 for the layer's five requantizations in a row. Wrong results give
# values near 1.
MAX_DIFF = 1e-2
FP8_MAX = 448.0
GROUP = 128
GROUP_EPS = 1e-10
# The norms' epsilon (examples/gen_model.py writes it as text).
EPS = 1e-6
# The description of each function in the table.
TITLES = {
    "site_q_a": "add + norm [7168] -> quant -> GEMM 7168 -> 1536",
    "site_q_b": "norm [1536] -> quant -> GEMM 1536 -> 24576",
    "site_o": "quant -> GEMM 24576 -> 7168",
    "site_gate_up": "add + norm [7168] -> quant -> GEMM 7168 -> 4096",
    "site_down": "silu_and_mul -> quant -> GEMM 2048 -> 7168",
    "layer": "the layer: the five sites in a row",
}


def sites_of(function):
    """The sites a function runs, in order."""
    return list(SITES) if function == "layer" else [function[len("site_"):]]


def weight_bytes(function):
    """The FP8 weights and their f32 block scales a call reads."""
    total = 0
    for site in sites_of(function):
        _, _, k, n = SITES[site]
        total += n * k + 4 * ((n + 127) // 128) * (k // 128)
    return total


def fmt_us(v):
    return "-" if v is None else ("%.1f" % v if v < 1000 else "%.0f" % v)


def markdown_table(results):
    """One row per (function, M): microseconds of each implementation that
    ran, and each peer's time over the fused build's."""
    impls = [i for i in IMPLS
             if any(i in r["us"] or i in r["notes"] for r in results)]
    header = ["function", "M"] + ["%s us" % i for i in impls] + \
        ["%s / fused" % i for i in impls if i != "fused"]
    lines = ["| " + " | ".join(header) + " |",
             "|" + "|".join("---" for _ in header) + "|"]
    for r in results:
        cells = [r["function"], str(r["m"])]
        for impl in impls:
            us = r["us"].get(impl)
            cells.append(fmt_us(us) if us is not None
                         else r["notes"].get(impl, "-"))
        fused = r["us"].get("fused")
        for impl in impls:
            if impl == "fused":
                continue
            us = r["us"].get(impl)
            cells.append("%.2fx" % (us / fused) if us and fused else "-")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def self_test():
    """Checks the torch-free parts (run by ctest)."""
    assert FUNCTIONS == ["site_q_a", "site_q_b", "site_o", "site_gate_up",
                         "site_down", "layer"]
    assert set(TITLES) == set(FUNCTIONS)
    assert float(gen_bench_chain.EPS) == EPS
    assert sites_of("layer") == ["q_a", "q_b", "o", "gate_up", "down"]
    assert sites_of("site_o") == ["o"]
    # q_a: 1536 x 7168 FP8 and 12 x 56 f32 scales.
    assert weight_bytes("site_q_a") == 1536 * 7168 + 4 * 12 * 56
    assert weight_bytes("layer") == sum(weight_bytes("site_" + s)
                                        for s in SITES)
    fake = [{"function": "site_q_a", "m": 16,
             "us": {"fused": 10.0, "unfused": 15.0, "eager": 40.0},
             "notes": {"compile": "failed (x)"}}]
    table = markdown_table(fake)
    assert "| site_q_a | 16 | 10.0 | 15.0 | 40.0 | failed (x) | 1.50x | " \
        "4.00x | - |" in table, table
    print("bench_chain.py self-test: ok")


def check_libs(lib_dir):
    """Both libraries export every function (no GPU needed)."""
    missing = []
    for name in LIBS.values():
        path = os.path.join(lib_dir, name)
        if not os.path.exists(path):
            missing.append(path)
            continue
        lib = ctypes.CDLL(path)
        for function in FUNCTIONS:
            if not hasattr(lib, "_mlir_ciface_" + function):
                missing.append("%s: %s" % (name, function))
    if missing:
        print("missing: " + ", ".join(missing))
        return 1
    print("bench_chain.py: both libraries export the %d functions"
          % len(FUNCTIONS))
    return 0


# ---------------------------------------------------------------------------
# The torch peers
# ---------------------------------------------------------------------------

# Which view of the [ceil(N/128), K/128] weight scales torch._scaled_mm
# accepts depends on the torch version (bench_gemm.py); picked once, eagerly.
WEIGHT_SCALE_VIEWS = (lambda s: s.t(), lambda s: s)
WEIGHT_SCALE_VIEW = [None]


def make_peers(torch):
    """The peer functions: {function name: python function}, each taking
    the arguments of our function (M rounded up to a multiple of 4) and
    returning its results."""
    f8 = torch.float8_e4m3fn

    def rms_norm(x, g, residual=None):
        # vLLM's RMSNorm.forward_native.
        xf = x.float()
        if residual is not None:
            xf = xf + residual.float()
            residual = xf.to(x.dtype)
        variance = xf.pow(2).mean(-1, keepdim=True)
        y = (xf * torch.rsqrt(variance + EPS)).to(x.dtype) * g
        return y, residual

    def group_quant(y):
        # vLLM's per_token_group_quant_fp8 in torch, the scales stored
        # MN-major: a [K/128, M] buffer seen as [M, K/128] (M % 4 == 0).
        rows, k = y.shape
        groups = y.float().view(rows, k // GROUP, GROUP)
        amax = groups.abs().amax(-1, keepdim=True).clamp(min=GROUP_EPS)
        scales = amax / FP8_MAX
        q = (groups / scales).clamp(-FP8_MAX, FP8_MAX).to(f8).view(rows, k)
        return q, scales.view(rows, k // GROUP).t().contiguous().t()

    def gemm(q, sa, w, sb):
        return torch._scaled_mm(q, w.t(), scale_a=sa,
                                scale_b=WEIGHT_SCALE_VIEWS[
                                    WEIGHT_SCALE_VIEW[0]](sb),
                                out_dtype=torch.bfloat16)

    def site(kind, x, res, g, w, s):
        r = None
        if kind == "add":
            y, r = rms_norm(x, g, res)
        elif kind == "norm":
            y, _ = rms_norm(x, g)
        elif kind == "silu":
            half = x.shape[1] // 2
            y = torch.nn.functional.silu(x[:, :half]) * x[:, half:]
        else:
            y = x
        q, sa = group_quant(y)
        return gemm(q, sa, w, s), r

    def site_q_a(x, res, g, w, s):
        return site("add", x, res, g, w, s)

    def site_q_b(x, g, w, s):
        return site("norm", x, None, g, w, s)[0]

    def site_o(x, w, s):
        return site(None, x, None, None, w, s)[0]

    def site_gate_up(x, res, g, w, s):
        return site("add", x, res, g, w, s)

    def site_down(x, w, s):
        return site("silu", x, None, None, w, s)[0]

    def layer(h, res, ln1, lnq, ln2, w_q_a, s_q_a, w_q_b, s_q_b, w_o, s_o,
              w_gate_up, s_gate_up, w_down, s_down):
        qa, r1 = site_q_a(h, res, ln1, w_q_a, s_q_a)
        o = site_o(site_q_b(qa, lnq, w_q_b, s_q_b), w_o, s_o)
        gate_up, r2 = site_gate_up(o, r1, ln2, w_gate_up, s_gate_up)
        return site_down(gate_up, w_down, s_down), r2

    return {"site_q_a": site_q_a, "site_q_b": site_q_b, "site_o": site_o,
            "site_gate_up": site_gate_up, "site_down": site_down,
            "layer": layer}


def pick_weight_scale_view(torch, gen):
    """The index in WEIGHT_SCALE_VIEWS of the weight-scale view that
    torch._scaled_mm accepts and computes right with (bench_gemm.py's probe
    against its f64 reference); None if neither."""
    import bench_gemm
    probe = bench_gemm.Operands(torch, 128, 2112, 7168, gen)
    name, errors = bench_gemm.pick_weight_scale_view(
        torch, probe, bench_gemm.reference(torch, probe))
    for e in errors:
        print("cuBLASLt weight-scale view rejected: " + e, flush=True)
    if name is None:
        return None
    # bench_gemm's views, in the order of WEIGHT_SCALE_VIEWS.
    index = list(bench_gemm.WEIGHT_SCALE_VIEWS).index(name)
    WEIGHT_SCALE_VIEW[0] = index
    return index


# ---------------------------------------------------------------------------
# Inputs and our calls
# ---------------------------------------------------------------------------

class InputSet:
    """One input set of `function` at M = `m`: bf16 activations of
    roundUp(M, 4) rows (ours reads the first M), norm weights, and each
    site's FP8 weights with 128x128 f32 block scales."""

    def __init__(self, torch, function, m, gen):
        self.m = m
        self.rows = roundup(m, 4)
        dev = "cuda"
        bf16 = torch.bfloat16

        def act(width):
            return torch.randn(self.rows, width, device=dev, generator=gen,
                               dtype=torch.float32).to(bf16)

        def gamma(width):
            return (torch.rand(width, device=dev, generator=gen) + 0.5).to(
                bf16)

        def weights(site):
            _, _, k, n = SITES[site]
            w = (torch.randn(n, k, device=dev, generator=gen) * 64).clamp(
                -FP8_MAX, FP8_MAX).to(torch.float8_e4m3fn)
            s = torch.rand((n + 127) // 128, k // 128, device=dev,
                           generator=gen) * 1e-4 + 1e-5
            return [w, s]

        if function == "layer":
            _, width, _, _ = SITES["q_a"]
            self.args = [act(width), act(width), gamma(width),
                         gamma(SITES["q_b"][1]), gamma(width)]
            for site in SITES:
                self.args += weights(site)
            self.activations = 2
        else:
            site = function[len("site_"):]
            kind, width, _, _ = SITES[site]
            self.args = [act(width)]
            if kind == "add":
                self.args += [act(width), gamma(width)]
            elif kind == "norm":
                self.args.append(gamma(width))
            self.activations = 2 if kind == "add" else 1
            self.args += weights(site)
        # Our results: the GEMM's, and the residual where there is one.
        n_out = SITES["down" if function == "layer" else
                      function[len("site_"):]][3]
        self.results = [torch.empty(m, n_out, device=dev, dtype=bf16)]
        if function == "layer" or SITES[function[len("site_"):]][0] == "add":
            self.results.append(torch.empty(m, SITES["q_a"][1], device=dev,
                                            dtype=bf16))

    def ours_args(self):
        """Our arguments: the activations cut to M rows (a contiguous
        view), the rest as they are."""
        return [a[:self.m] if i < self.activations else a
                for i, a in enumerate(self.args)] + self.results

    def nbytes(self):
        return sum(t.numel() * t.element_size()
                   for t in self.args + self.results)


def as_list(result):
    return list(result) if isinstance(result, (tuple, list)) else [result]


def run(args):
    import torch
    props = torch.cuda.get_device_properties(0)
    rt = ctypes.CDLL(os.path.join(args.lib_dir, "libvllm_runtime.so"),
                     mode=ctypes.RTLD_GLOBAL)
    rt.vllmrtGetLastError.restype = ctypes.c_char_p
    libs = {impl: ctypes.CDLL(os.path.join(args.lib_dir, name))
            for impl, name in LIBS.items() if impl in args.impls}
    l2 = getattr(props, "L2_cache_size", 60 * 1024 * 1024)
    peers = make_peers(torch)
    gen = torch.Generator(device="cuda")
    gen.manual_seed(args.seed)
    view_note = ""
    if any(i in args.impls for i in ("eager", "compile")):
        view = pick_weight_scale_view(torch, gen)
        if view is None:
            print("torch._scaled_mm takes neither weight-scale view; the "
                  "torch peers are not timed", flush=True)
            args.impls = [i for i in args.impls if i in OUR_IMPLS]
        else:
            view_note = "; cuBLASLt weight scales: %s" % (
                "transposed view" if view == 0 else "as stored")
    # Static shapes, one compilation per M (as vLLM compiles its CUDA-graph
    # batch sizes): with dynamic=True, torch 2.11's Inductor refuses the
    # block-scaled _scaled_mm ("Inductor Triton does not support scale_a.shape
    # = [s77, (s27//256)], ...", seen on the H100).
    compiled = {name: torch.compile(fn, dynamic=False)
                for name, fn in peers.items()}
    torch._dynamo.config.cache_size_limit = max(
        torch._dynamo.config.cache_size_limit, 2 * len(args.m))
    results = []
    for function in args.functions:
        for m in args.m:
            probe = InputSet(torch, function, m, gen)
            sets = max(2, min(args.max_sets,
                              math.ceil(3 * l2 / probe.nbytes())))
            inputs = [probe] + [InputSet(torch, function, m, gen)
                                for _ in range(sets - 1)]
            r = {"function": function, "m": m, "sets": sets, "us": {},
                 "notes": {}, "diff": {}}
            calls = {}
            for impl in OUR_IMPLS:
                if impl in libs:
                    fn = Ours(libs[impl], function, torch)
                    calls[impl] = [(lambda s=s, fn=fn: fn(*s.ours_args()))
                                   for s in inputs]
            for impl, table in (("eager", peers), ("compile", compiled)):
                if impl in args.impls:
                    calls[impl] = [(lambda s=s, f=table[function]:
                                    f(*s.args)) for s in inputs]
            # The checks, on the first set: eager torch is the reference.
            with torch.no_grad():
                want = [t[:m].clone() for t in
                        as_list(peers[function](*inputs[0].args))
                        if t is not None]
            got = {}
            ready = {}
            for impl, fns in calls.items():
                rt.vllmrtClearError()
                try:
                    if impl in OUR_IMPLS:
                        for t in inputs[0].results:
                            t.fill_(float("nan"))
                        fns[0]()
                        outs = [t.clone() for t in inputs[0].results]
                    else:
                        outs = [t[:m].clone() for t in as_list(fns[0]())
                                if t is not None]
                    torch.cuda.synchronize()
                    err = rt.vllmrtGetLastError()
                    if err:
                        raise RuntimeError(err.decode())
                    got[impl] = outs
                    worst = max(deepgemm_diff_tensors(torch, o, w)
                                for o, w in zip(outs, want))
                    r["diff"][impl] = worst
                    if not worst < MAX_DIFF:
                        r["notes"][impl] = "diff %.1e" % worst
                        continue
                except Exception as e:  # noqa: BLE001  (report and go on)
                    r["notes"][impl] = "failed (%s)" % str(e).splitlines()[
                        0][:60]
                    continue
                # No eager call per set first: the descriptors of buffers
                # ours has not seen are made during the capture.
                ready[impl] = fns
            if "fused" in got and "unfused" in got:
                same = all(torch.equal(a.view(torch.int16),
                                       b.view(torch.int16))
                           for a, b in zip(got["fused"], got["unfused"]))
                r["fused_equals_unfused"] = same
                if not same:
                    r["notes"]["unfused"] = "differs from fused"
                    ready.pop("unfused", None)
            # The implementations that passed are timed together, their
            # replays interleaved.
            time_ready(torch, rt, ready, r, OUR_IMPLS, args.repeats,
                       args.warmup)
            results.append(r)
            print("%s m=%d (%d sets): %s; diff %s" % (
                function, m, sets, ", ".join(
                    "%s %.1f us" % (i, u) for i, u in r["us"].items() if u),
                ", ".join("%s %.1e" % (i, d) for i, d in r["diff"].items())),
                flush=True)
            del inputs, probe, got, want, calls, ready
            torch.cuda.empty_cache()

    table = markdown_table(results)
    stamp = datetime.datetime.now(datetime.timezone.utc).strftime(
        "%Y-%m-%d %H:%M UTC")
    header = ("bench_chain.py, %s, %s (%d SMs), torch %s, seed %d%s\n\n"
              % (stamp, props.name, props.multi_processor_count,
                 torch.__version__, args.seed, view_note))
    legend = "\n\n" + "\n".join("- %s: %s" % (f, TITLES[f])
                                for f in args.functions)
    print(header + table + legend)
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "bench_chain.md"), "w") as f:
        f.write(header + table + legend + "\n")
    with open(os.path.join(args.out, "bench_chain.json"), "w") as f:
        json.dump({"device": props.name, "results": results}, f, indent=1)
    return 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    build_lib = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                             "..", "..", "build", "lib")
    add_timing_arguments(parser, build_lib, DEFAULT_M, IMPLS)
    parser.add_argument("--functions", type=lambda t: t.split(","),
                        default=FUNCTIONS)
    args = parser.parse_args()
    status = handle_check_options(parser, args, IMPLS, self_test, check_libs)
    if status is not None:
        return status
    unknown = set(args.functions) - set(FUNCTIONS)
    if unknown:
        parser.error("unknown --functions: " + ", ".join(sorted(unknown)))
    if any(m < 1 for m in args.m):
        parser.error("--m: every M must be at least 1")
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
