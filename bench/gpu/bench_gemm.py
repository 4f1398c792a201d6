#!/usr/bin/env python3
"""Benchmarks vllm-mlir's block-scaled FP8 GEMM against cuBLASLt and others.

Runs on the GPU machine (docs/gpu-testing.md). It loads the GEMMs of
bench/gpu/kernels/gen_bench_gemm.py (DeepSeek-V3's six projections) from two
libraries built here, calls them on PyTorch tensors on PyTorch's current
stream, and times in the same run:

  ours       libvllm_bench_gemm_tc.so    the tensor-core kernel
                                         (matmul-kernel=auto)
  simt       libvllm_bench_gemm_simt.so  the SIMT kernel ("before")
  cublaslt   torch._scaled_mm with 1x128 activation / 128x128 weight scales
             in SPEC.md's sm_90a layouts (cuBLASLt's block-scaled FP8 GEMM;
             it refuses M not a multiple of 4, so M is padded for it)
  tensor     torch._scaled_mm with per-tensor scales (cuBLAS FP8)
  bf16       torch.matmul on bf16 copies of the operands
  baseline   with --baseline LIB: another build of libvllm_bench_gemm_tc.so
             (say, the kernel before a change), timed in the same run; the
             table then shows baseline / ours

Timing: CUDA-graph replays over rotating input sets (all sets together
> 3x the L2 where memory allows), warm-up first, median of repeated
replays, per call; the implementations of a shape and M are timed
together, one replay of each per repeat in rotating order, so that drift
over the run (clocks, temperature) reaches them alike. TFLOPS = 2 M N K /
time. For M <= 64 the weights dominate the bytes, so the table also shows
the weight-read bandwidth N K / time as a fraction of an elementwise copy
kernel's bandwidth measured in the same run (the physical limit at these
sizes). Before timing, ours,
simt and cublaslt are compared with an f64 computation of SPEC 3.5 on the
same operands with DeepGEMM's metric 1 - 2 sum(x y) / sum(x^2 + y^2).

The table goes to stdout and OUT/bench_gemm.md (OUT: --out, else $OUT,
else .); raw numbers to OUT/bench_gemm.json.
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
from bench import (rotation, copy_ceiling,  # noqa: E402
                   add_timing_arguments, time_ready, Ours,
                   deepgemm_diff_tensors, handle_check_options)
from gen_bench_gemm import SHAPES, function_name  # noqa: E402

DEFAULT_M = [1, 4, 16, 64, 128, 512, 1024, 4096, 16384]
IMPLS = ["ours", "simt", "cublaslt", "tensor", "bf16", "baseline"]
# The implementations that call one of our libraries.
OUR_IMPLS = ("ours", "simt", "baseline")
LIBS = {"ours": "libvllm_bench_gemm_tc.so",
        "simt": "libvllm_bench_gemm_simt.so"}
# The accuracy contract of SPEC 3.5 (DeepGEMM's).
MAX_DIFF = 1e-3


def roundup(v, a):
    return (v + a - 1) // a * a


def tflops(m, n, k, us):
    return 2.0 * m * n * k / (us * 1e-6) / 1e12 if us else 0.0


def deepgemm_diff(x, y):
    """1 - 2 sum(x y) / sum(x^2 + y^2) of two float sequences (torch-free
    form, for the self-test; the run uses the torch one)."""
    num = sum(a * b for a, b in zip(x, y))
    den = sum(a * a + b * b for a, b in zip(x, y))
    return 1.0 - 2.0 * num / den if den else 0.0


def rows_for_peer(m):
    """cuBLASLt's block-scaled GEMM needs M % 4 == 0."""
    return roundup(m, 4)


def markdown_table(results, ceiling_tbs):
    """One row per (shape, M): microseconds and TFLOPS of each impl that
    ran, ours as % of cuBLASLt (and baseline / ours with a baseline), and
    for M <= 64 the weight-read bandwidth."""
    impls = [i for i in IMPLS
             if any(i in r["us"] or i in r["notes"] for r in results)]
    with_baseline = "baseline" in impls
    header = ["N x K", "M"] + ["%s us (TFLOPS)" % i for i in impls] + \
        ["ours / cuBLASLt"] + (["baseline / ours"] if with_baseline else []) + \
        ["weights read (% of copy)"]
    lines = ["| " + " | ".join(header) + " |",
             "|" + "|".join("---" for _ in header) + "|"]
    for r in results:
        cells = ["%d x %d" % (r["n"], r["k"]), str(r["m"])]
        for impl in impls:
            us = r["us"].get(impl)
            if us is None:
                cells.append(r["notes"].get(impl, "-"))
            else:
                cells.append("%.1f (%.0f)" % (us, tflops(r["m"], r["n"],
                                                         r["k"], us)))
        ours, peer = r["us"].get("ours"), r["us"].get("cublaslt")
        cells.append("%.0f%%" % (100.0 * peer / ours) if ours and peer
                     else "-")
        if with_baseline:
            base = r["us"].get("baseline")
            cells.append("%.2fx" % (base / ours) if ours and base else "-")
        if r["m"] <= 64 and ours:
            tbs = r["n"] * r["k"] / (ours * 1e-6) / 1e12
            cells.append("%.2f TB/s (%.0f%%)" % (tbs, 100.0 * tbs / ceiling_tbs)
                         if ceiling_tbs else "%.2f TB/s" % tbs)
        else:
            cells.append("")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def self_test():
    """Checks the torch-free parts (run by ctest)."""
    assert rows_for_peer(1) == 4 and rows_for_peer(4) == 4
    assert rows_for_peer(1023) == 1024
    assert abs(tflops(4096, 2112, 7168, 112.0) - 1106.3) < 1.0
    assert deepgemm_diff([1.0, 2.0], [1.0, 2.0]) == 0.0
    assert abs(deepgemm_diff([1.0, 0.0], [0.0, 1.0]) - 1.0) < 1e-12
    fake = [{"n": 2112, "k": 7168, "m": 64,
             "us": {"ours": 10.0, "cublaslt": 25.0}, "notes": {"bf16": "x"}}]
    table = markdown_table(fake, 4.0)
    assert "| 2112 x 7168 | 64 |" in table and "250%" in table
    assert "1.51 TB/s (38%)" in table, table
    assert "simt us" not in table  # impls that did not run get no column
    fake[0]["us"]["baseline"] = 15.0
    table = markdown_table(fake, 4.0)
    assert "baseline / ours" in table and "| 1.50x |" in table, table
    assert rotation(["ours", "baseline", "cublaslt"], 1) == \
        ["baseline", "cublaslt", "ours"]
    assert [rotation(["a", "b"], r)[0] for r in range(4)] == \
        ["a", "b", "a", "b"]
    assert rotation([], 3) == []
    assert len(SHAPES) == 6 and function_name(2112, 7168) == \
        "gemm_n2112_k7168"
    print("bench_gemm.py self-test: ok")


def check_libs(lib_dir):
    """Both libraries export every function (no GPU needed)."""
    missing = []
    for impl, name in LIBS.items():
        path = os.path.join(lib_dir, name)
        if not os.path.exists(path):
            missing.append(path)
            continue
        lib = ctypes.CDLL(path)
        for n, k in SHAPES:
            if not hasattr(lib, "_mlir_ciface_" + function_name(n, k)):
                missing.append("%s: %s" % (name, function_name(n, k)))
    if missing:
        print("missing: " + ", ".join(missing))
        return 1
    print("bench_gemm.py: both libraries export the %d GEMMs" % len(SHAPES))
    return 0


class Operands:
    """One input set: fp8 A [M, K] and B [N, K], their scales in SPEC's
    sm_90a layouts, and the bf16 copies of the bf16 peer."""

    def __init__(self, torch, m, n, k, gen):
        f8 = torch.float8_e4m3fn
        kb = k // 128
        mp = roundup(m, 4)
        self.m = m
        # Values a quantizer would produce: |q| <= 448, scales around 1/448.
        self.a = (torch.randn(mp, k, device="cuda", generator=gen) * 64).clamp(
            -448, 448).to(f8)
        self.b = (torch.randn(n, k, device="cuda", generator=gen) * 64).clamp(
            -448, 448).to(f8)
        # sa (m, kb) at kb * Mpad + m; rows past M are 0 (SPEC 3.3).
        self.sa = torch.rand(kb, mp, device="cuda", generator=gen) * 1e-2 + 1e-3
        self.sa[:, m:] = 0
        self.sb = torch.rand((n + 127) // 128, kb, device="cuda",
                             generator=gen) * 1e-2 + 1e-3
        self.d = torch.empty(m, n, device="cuda", dtype=torch.bfloat16)
        self.d_peer = torch.empty(mp, n, device="cuda", dtype=torch.bfloat16)
        self.one = torch.ones((), device="cuda")
        self.a16 = None
        self.b16 = None

    def ours_args(self):
        return (self.a[:self.m], self.b, self.sa, self.sb, self.d)

    def cublaslt(self, torch):
        # scale_a: (Mpad, K/128) with M contiguous (the transposed view of
        # the MN-major buffer); scale_b: the same [ceil(N/128), K/128]
        # row-major buffer, shown to torch in the view WEIGHT_SCALE_VIEW
        # (picked by pick_weight_scale_view: torch versions differ).
        return torch._scaled_mm(self.a, self.b.t(), scale_a=self.sa.t(),
                                scale_b=WEIGHT_SCALE_VIEWS[
                                    WEIGHT_SCALE_VIEW[0]](self.sb),
                                out_dtype=torch.bfloat16)

    def tensor(self, torch):
        return torch._scaled_mm(self.a, self.b.t(), scale_a=self.one,
                                scale_b=self.one, out_dtype=torch.bfloat16)

    def bf16(self, torch):
        if self.a16 is None:
            self.a16 = self.a[:self.m].to(torch.bfloat16)
            self.b16 = self.b.to(torch.bfloat16)
        return torch.matmul(self.a16, self.b16.t())


# Views of the [ceil(N/128), K/128] row-major weight-scale buffer that
# torch._scaled_mm may want for mat_b = B^T (shape [K, N]): the buffer as it
# is, or its transpose (the scale of mat_b's (k-block, n-block)). The data
# are the same; only the view torch checks differs.
WEIGHT_SCALE_VIEWS = {
    "transposed view [K/128, ceil(N/128)]": lambda sb: sb.t(),
    "as stored [ceil(N/128), K/128]": lambda sb: sb,
}
WEIGHT_SCALE_VIEW = [next(iter(WEIGHT_SCALE_VIEWS))]


def pick_weight_scale_view(torch, ops, want):
    """The first weight-scale view torch accepts whose result matches the
    f64 reference; None (with the errors) if none does."""
    errors = []
    for name in WEIGHT_SCALE_VIEWS:
        WEIGHT_SCALE_VIEW[0] = name
        try:
            got = ops.cublaslt(torch)[:ops.m]
            torch.cuda.synchronize()
        except Exception as e:  # noqa: BLE001  (try the next view)
            errors.append("%s: %s" % (name, str(e).splitlines()[0][:80]))
            continue
        d = deepgemm_diff_tensors(torch, got, want)
        if d < MAX_DIFF:
            return name, errors
        errors.append("%s: diff %.1e" % (name, d))
    return None, errors


def reference(torch, ops):
    """SPEC 3.5 in f64: sum over K blocks of sa x sb x the block's product."""
    m = ops.m
    k = ops.a.shape[1]
    a = ops.a[:m].to(torch.float64)
    b = ops.b.to(torch.float64)
    out = torch.zeros(m, b.shape[0], device="cuda", dtype=torch.float64)
    for kb in range(k // 128):
        part = a[:, kb * 128:(kb + 1) * 128] @ b[:, kb * 128:(kb + 1) * 128].t()
        sa = ops.sa[kb, :m].to(torch.float64)[:, None]
        sb = ops.sb[:, kb].to(torch.float64).repeat_interleave(128)[
            :b.shape[0]][None, :]
        out += part * sa * sb
    return out


def run(args):
    import torch
    props = torch.cuda.get_device_properties(0)
    rt = ctypes.CDLL(os.path.join(args.lib_dir, "libvllm_runtime.so"),
                     mode=ctypes.RTLD_GLOBAL)
    rt.vllmrtGetLastError.restype = ctypes.c_char_p
    libs = {impl: ctypes.CDLL(os.path.join(args.lib_dir, name))
            for impl, name in LIBS.items()
            if os.path.exists(os.path.join(args.lib_dir, name))}
    if args.baseline:
        # RTLD_LOCAL (ctypes' default): the same symbol names as ours.
        libs["baseline"] = ctypes.CDLL(os.path.abspath(args.baseline))
    ceiling, _ = copy_ceiling(torch, args.repeats)
    l2 = getattr(props, "L2_cache_size", 60 * 1024 * 1024)
    gen = torch.Generator(device="cuda")
    gen.manual_seed(args.seed)
    results = []
    scale_view_note = ""
    if "cublaslt" in args.impls:
        n0, k0 = args.shapes[0]
        probe = Operands(torch, 128, n0, k0, gen)
        view, errors = pick_weight_scale_view(torch, probe,
                                              reference(torch, probe))
        for e in errors:
            print("cuBLASLt weight-scale view rejected: " + e, flush=True)
        if view is None:
            print("cuBLASLt: no weight-scale view works; not timed",
                  flush=True)
            args.impls = [i for i in args.impls if i != "cublaslt"]
        else:
            scale_view_note = "; cuBLASLt weight scales: " + view
        del probe
    for n, k in args.shapes:
        name = function_name(n, k)
        for m in args.m:
            set_bytes = roundup(m, 4) * k + n * k + 2 * m * n
            sets = max(2, min(args.max_sets, math.ceil(3 * l2 / set_bytes)))
            inputs = [Operands(torch, m, n, k, gen) for _ in range(sets)]
            r = {"n": n, "k": k, "m": m, "sets": sets, "us": {}, "notes": {},
                 "diff": {}}
            want = reference(torch, inputs[0])
            calls = {}
            for impl in OUR_IMPLS:
                if impl in args.impls and impl in libs:
                    fn = Ours(libs[impl], name, torch)
                    calls[impl] = [
                        (lambda op=op, fn=fn: fn(*op.ours_args()))
                        for op in inputs]
            for impl in ("cublaslt", "tensor", "bf16"):
                if impl in args.impls:
                    calls[impl] = [(lambda op=op, impl=impl:
                                    getattr(op, impl)(torch))
                                   for op in inputs]
            ready = {}
            for impl, fns in calls.items():
                rt.vllmrtClearError()
                try:
                    if impl in OUR_IMPLS:
                        inputs[0].d.fill_(float("nan"))
                        fns[0]()
                        got = inputs[0].d
                    else:
                        got = fns[0]()[:m]
                    torch.cuda.synchronize()
                    err = rt.vllmrtGetLastError()
                    if err:
                        raise RuntimeError(err.decode())
                    if impl in OUR_IMPLS + ("cublaslt",):
                        r["diff"][impl] = deepgemm_diff_tensors(torch, got,
                                                                 want)
                        if not r["diff"][impl] < MAX_DIFF:
                            r["notes"][impl] = "diff %.1e" % r["diff"][impl]
                            continue
                except Exception as e:  # noqa: BLE001  (report and go on)
                    r["notes"][impl] = "failed (%s)" % str(e).splitlines()[0][:60]
                    continue
                if impl in OUR_IMPLS:
                    # Every input set once outside graph capture, where the
                    # runtime makes each buffer's TMA descriptors (first
                    # use). Since 2026-12-06 it can make them during a
                    # capture too (docs/gemm.md, "TMA descriptors"); kept
                    # so that this benchmark's runs stay comparable.
                    for fn in fns:
                        fn()
                    torch.cuda.synchronize()
                ready[impl] = fns
            # The implementations that passed are timed together, their
            # replays interleaved.
            time_ready(torch, rt, ready, r, OUR_IMPLS, args.repeats,
                       args.warmup)
            results.append(r)
            print("n=%d k=%d m=%d: %s" % (n, k, m, ", ".join(
                "%s %.1f us" % (i, u) for i, u in r["us"].items() if u)),
                flush=True)
            del inputs
            torch.cuda.empty_cache()

    table = markdown_table(results, ceiling)
    stamp = datetime.datetime.now(datetime.timezone.utc).strftime(
        "%Y-%m-%d %H:%M UTC")
    header = ("bench_gemm.py, %s, %s (%d SMs), torch %s, seed %d; copy "
              "kernel %.2f TB/s%s\n\n" % (stamp, props.name,
                                         props.multi_processor_count,
                                         torch.__version__, args.seed,
                                         ceiling, scale_view_note))
    print(header + table)
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "bench_gemm.md"), "w") as f:
        f.write(header + table + "\n")
    with open(os.path.join(args.out, "bench_gemm.json"), "w") as f:
        json.dump({"device": props.name, "ceiling_tbs": ceiling,
                   "results": results}, f, indent=1)
    return 0


def parse_shapes(text):
    shapes = []
    for item in text.split(","):
        n, k = item.lower().split("x")
        shapes.append((int(n), int(k)))
    return shapes


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    build_lib = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                             "..", "..", "build", "lib")
    add_timing_arguments(parser, build_lib, DEFAULT_M, IMPLS)
    parser.add_argument("--shapes", type=parse_shapes, default=SHAPES,
                        help="N x K list, e.g. 2112x7168,7168x2048")
    parser.add_argument("--baseline", default=None,
                        help="another build of libvllm_bench_gemm_tc.so to "
                        "time in the same run (impl 'baseline')")
    args = parser.parse_args()
    status = handle_check_options(parser, args, IMPLS, self_test, check_libs)
    if status is not None:
        return status
    if args.baseline and not os.path.exists(args.baseline):
        parser.error("--baseline: no file " + args.baseline)
    if "baseline" in args.impls and not args.baseline:
        # Only with a library to time.
        args.impls = [i for i in args.impls if i != "baseline"]
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
