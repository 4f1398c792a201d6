#!/usr/bin/env python3
"""Benchmark of the MLP's down-projection site (issue 20): silu_and_mul + FP8 quantize.

For every variant V (bench.py's), product width I (the down projection's K)
and token count M, times on the GPU:

  ours     benchsilufused_<V>_i<I> of the fused library: one kernel
           (vllm.elementwise_quant silu_and_mul)
  pass     benchsilu_<V>_i<I> of the fused library: the op sequence, fused
           by the compiler's pipeline
  unfused  benchsilu_<V>_i<I> of the NO_FUSION library: the silu_and_mul
           kernel writes the bf16 product, the quantize kernel reads it back
  eager    torch: F.silu(gate) * up in f32, rounded to bf16, then the SPEC's
           quantization (bench.py's peer_quantize)
  compile  torch.compile of the same

Before timing, each row's first input checks that ours, pass and unfused
write the same bytes (SPEC C9); a mismatch is a problem in the note column.
The torch peer uses torch's exp, not SPEC 2's, so it is not compared
bit for bit; the share of equal q bytes is reported. Columns: microseconds
per call (CUDA-graph replay over rotating input sets, the median of
--repeats; the implementations of a row timed together, one replay of each
per repeat in rotating order), the fewest bytes moved (x read; q and scales written), ours'
TB/s and % of the copy kernel's ceiling, and the speedups of ours over
unfused and eager. Writes bench_silu.md / bench_silu.json to --out.

Usage (GPU machine; needs the carried libraries): python3
bench/gpu/bench_silu.py --lib-dir .carry/lib --out DIR [--i ...] [--m ...]
"""

import argparse
import json
import math
import os
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench as B  # noqa: E402  (libraries, timing, the torch quantization)

SILU_I = [2048, 2304, 4608, 9216]
DEFAULT_VARIANTS = ["tok", "g128f32", "g128ue8pk"]
IMPLS = ["ours", "pass", "unfused", "eager", "compile"]
OUR_IMPLS = {"ours": ("fused", "benchsilufused"), "pass": ("fused", "benchsilu"),
             "unfused": ("unfused", "benchsilu")}


def min_bytes(variant, M, I):
    """Read x [M, 2I] bf16; write q [M, I] and the scales."""
    shape, _ = B.scale_shape(variant, M, I)
    b = 2 * M * 2 * I + M * I + 4 * math.prod(shape)
    if B.VARIANTS[variant][0] == "static":
        b += 4
    return b


def make_peer(torch, variant):
    def fn(x, s=None):
        I = x.shape[1] // 2
        xf = x.float()
        y = (torch.nn.functional.silu(xf[:, :I]) * xf[:, I:]).to(x.dtype)
        return B.peer_quantize(torch, variant, y.float(), s)
    return fn


class Inputs:
    def __init__(self, torch, variant, M, I, gen):
        dev = "cuda"
        self.x = (torch.randn(M, 2 * I, device=dev, generator=gen) *
                  2.0).to(torch.bfloat16)
        self.s = (torch.full((1,), B.STATIC_SCALE, device=dev,
                             dtype=torch.float32)
                  if B.VARIANTS[variant][0] == "static" else None)
        shape, is_int = B.scale_shape(variant, M, I)
        self.q = torch.empty(M, I, device=dev, dtype=torch.uint8)
        self.scales = torch.empty(
            shape, device=dev, dtype=torch.int32 if is_int else torch.float32)

    def ours_args(self):
        return [self.x] + ([self.s] if self.s is not None else []) + [
            self.q, self.scales]

    def peer_args(self):
        return (self.x, self.s)

    def set_bytes(self):
        return sum(t.numel() * t.element_size()
                   for t in (self.x, self.s, self.q, self.scales)
                   if t is not None)


def check(torch, impls, peer, inp):
    """Our builds agree byte for byte; the share of q bytes equal to the
    torch peer's."""
    outs = {}
    for name, f in impls.items():
        inp.q.fill_(0x55)
        inp.scales.fill_(0x55555555 if inp.scales.dtype == torch.int32
                         else 1.2345)
        f(*inp.ours_args())
        torch.cuda.synchronize()
        outs[name] = (inp.q.clone(), inp.scales.clone())
    status = "ok"
    names = list(outs)
    for name in names[1:]:
        a, b = outs[names[0]], outs[name]
        if not (torch.equal(a[0], b[0]) and torch.equal(
                a[1].view(torch.int32), b[1].view(torch.int32))):
            status = "%s != %s" % (name, names[0])
    match = None
    if outs:
        q, _ = peer(*inp.peer_args())
        mine = outs[names[0]][0]
        match = (q.view(torch.uint8) == mine).float().mean().item()
    return status, match


def run(args):
    opened = B.open_torch()
    if opened is None:
        return 0
    torch, props, l2 = opened
    rt, libs = B.load_libraries(args.lib_dir, torch)
    ceiling, _ = B.copy_ceiling(torch, args.repeats)
    print("copy ceiling: %.2f TB/s" % ceiling)
    gen = torch.Generator(device="cuda")
    gen.manual_seed(args.seed)
    results = []
    for I in args.i:
        for variant in args.variants:
            peer = make_peer(torch, variant)
            compiled = torch.compile(peer) if "compile" in args.impls else None
            impls = {name: B.Ours(libs[lib], "%s_%s_i%d" % (prefix, variant, I),
                                  torch)
                     for name, (lib, prefix) in OUR_IMPLS.items()
                     if lib in libs and name in args.impls}
            for M in args.m:
                t0 = time.time()
                one = Inputs(torch, variant, M, I, gen)
                n_sets = max(2, min(args.max_sets,
                                    math.ceil(3 * l2 / one.set_bytes())))
                sets = [one] + [Inputs(torch, variant, M, I, gen)
                                for _ in range(n_sets - 1)]
                r = {"variant": variant, "I": I, "M": M,
                     "bytes": min_bytes(variant, M, I), "sets": n_sets}
                notes = []
                status, match = check(torch, impls, peer, one)
                r["check"] = status
                r["q_match_torch"] = match
                if status != "ok":
                    notes.append("CHECK: " + status)
                timed = list(impls.items()) + [
                    (n, f) for n, f in (("eager", peer), ("compile", compiled))
                    if n in args.impls and f is not None]
                # Timed together, their replays interleaved: timed one
                # after the other, "ours" and "pass" (the same kernel) read
                # up to 12% apart at the largest sizes (docs/benchmarks.md).
                calls_by_name = {
                    name: [(lambda s=s, f=f, o=name in impls:
                            f(*(s.ours_args() if o else s.peer_args())))
                           for s in sets]
                    for name, f in timed}
                measured = B.measure_interleaved(torch, calls_by_name,
                                                 args.repeats, args.warmup)
                for name, (us, note) in measured.items():
                    r[name] = us
                    if note:
                        notes.append("%s %s" % (name, note))
                B.note_runtime_error(rt, notes)
                r["note"] = "; ".join(notes)
                results.append(r)
                del sets, one
                torch.cuda.empty_cache()
                print("  " + " | ".join(row(r, ceiling)) +
                      "  (%.1f s)" % (time.time() - t0), flush=True)
    write_report(args, props, ceiling, results)
    problems = [r for r in results if r["note"]]
    print("bench_silu: %d rows, %d with problems (see the note column)"
          % (len(results), len(problems)))
    return 1 if problems else 0


COLUMNS = ["variant", "I", "M", "MB", "ours us", "pass us", "unfused us",
           "eager us", "compile us", "ours TB/s", "% ceiling",
           "unfused/ours", "eager/ours", "q == torch", "note"]


def row(r, ceiling):
    def us(k):
        return B.fmt_us(r.get(k))
    ours = r.get("ours")
    tbs = r["bytes"] / (ours * 1e-6) / 1e12 if ours else None
    return [r["variant"], str(r["I"]), str(r["M"]),
            "%.2f" % (r["bytes"] / 1e6), us("ours"), us("pass"),
            us("unfused"), us("eager"), us("compile"),
            "%.2f" % tbs if tbs else "-",
            "%.0f%%" % (100 * tbs / ceiling) if tbs else "-",
            B.fmt_ratio(r.get("unfused"), ours),
            B.fmt_ratio(r.get("eager"), ours),
            "%.4f" % r["q_match_torch"] if r.get("q_match_torch") is not None
            else "-", r["note"]]


def write_report(args, props, ceiling, results):
    lines = ["# silu_and_mul + FP8 quantize (bench/gpu/bench_silu.py)", "",
             "%s, %d SMs; copy ceiling %.2f TB/s; seed %d" %
             (props.name, props.multi_processor_count, ceiling, args.seed), "",
             "| " + " | ".join(COLUMNS) + " |",
             "|" + "---|" * len(COLUMNS)]
    lines += ["| " + " | ".join(row(r, ceiling)) + " |" for r in results]
    text = "\n".join(lines) + "\n"
    print(text)
    if args.out:
        os.makedirs(args.out, exist_ok=True)
        with open(os.path.join(args.out, "bench_silu.md"), "w") as f:
            f.write(text)
        with open(os.path.join(args.out, "bench_silu.json"), "w") as f:
            json.dump({"ceiling": ceiling, "results": results}, f, indent=1)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--lib-dir", default=".carry/lib")
    p.add_argument("--out", default=None)
    p.add_argument("--i", type=B.parse_list, default=SILU_I)
    p.add_argument("--m", type=B.parse_list, default=B.DEFAULT_M)
    p.add_argument("--variants", type=lambda t: B.parse_list(t, str),
                   default=DEFAULT_VARIANTS)
    p.add_argument("--impls", type=lambda t: B.parse_list(t, str),
                   default=list(IMPLS))
    p.add_argument("--repeats", type=int, default=15)
    p.add_argument("--warmup", type=int, default=3)
    p.add_argument("--max-sets", type=int, default=256)
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args()
    for v in args.variants:
        if v not in B.VARIANTS:
            p.error("unknown variant %s" % v)
    for i in args.i:
        if i not in SILU_I:
            p.error("I = %d is not compiled (bench kernels have %s)"
                    % (i, SILU_I))
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
