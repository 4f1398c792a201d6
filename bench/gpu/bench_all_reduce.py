#!/usr/bin/env python3
"""Benchmark of the tensor-parallel site (issue 21; docs/tensor-parallel.md).

    all_reduce(x) -> residual add -> RMSNorm -> FP8 quantize (per-group 128,
    f32 MN-major scales: what sm_90a's GEMM reads), bf16, H = 7168

on every GPU of the node, one process per GPU (spawned here), each timing:

  fused      our one kernel (vllm.rms_norm_quant ... all_reduce(group 0)):
             peer reads, rank-ordered sum, add + norm + quant
  peer       our unfused build: the peer all_reduce kernel, then our fused
             add + norm + quant kernel
  nccl       ncclAllReduce (all-reduce=nccl) + our fused add + norm + quant
             kernel: the library path (the runtime allows it for 1 or 2
             ranks, where its sum has the definition's bits)
  torch      torch.distributed.all_reduce + torch.compile of the add, norm
             and quantization written in torch (vLLM's native ops)

per M: decode (1 .. 256: latency per call) and prefill (1024 ..: also the
all-reduce's bus bandwidth, busbw = 2 (R - 1) / R x M H 2 bytes / time, and
its fraction of the NVLink bandwidth given by --nvlink-gbs). Every rank
times CUDA-graph replays of --calls calls after a barrier; a row reports the
slowest rank's median. Before timing, each M checks that fused == peer
(== nccl) bit for bit on every rank and that all ranks agree.

    python3 bench/gpu/bench_all_reduce.py --lib-dir DIR [--ranks N]

DIR holds libvllm_runtime.so and all_reduce_tests{,_unfused,_nccl}.so with
their manifests (docs/tensor-parallel.md). `--self-test` checks the
arithmetic of the report without torch or a GPU (CI).

Status (2026-12-06): written for the first multi-GPU machine and NOT yet
run on a GPU (the session's device time ran out before its one-GPU trial);
only --self-test has run. Expect to debug it on its first run.
"""

import argparse
import datetime
import json
import os
import statistics
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, os.pardir, os.pardir, "python"))

H = 7168
FUNCTION = "site_g128f32_bf16_h7168"
DECODE_M = [1, 8, 32, 64, 128, 256]
PREFILL_M = [1024, 4096, 16384]
IMPLS = ["fused", "peer", "nccl", "torch"]


def busbw_gbs(ranks, m, hidden, seconds):
    """NCCL's bus bandwidth of an all-reduce of M x H bf16 values: the
    algorithm bandwidth times 2 (R - 1) / R; 0 for one rank."""
    if ranks < 2 or seconds <= 0:
        return 0.0
    algbw = m * hidden * 2 / seconds / 1e9
    return algbw * 2.0 * (ranks - 1) / ranks


def markdown(rows, ranks, nvlink_gbs):
    lines = ["| M | " + " | ".join("%s (us)" % i for i in IMPLS) +
             " | fused / nccl | fused / torch | busbw fused (GB/s) | "
             "% of NVLink |",
             "|---" * (len(IMPLS) + 5) + "|"]
    for row in rows:
        t = row["us"]
        cells = ["%.1f" % t[i] if t.get(i) else "-" for i in IMPLS]

        def ratio(a, b):
            return "%.2f" % (t[b] / t[a]) if t.get(a) and t.get(b) else "-"
        bw = busbw_gbs(ranks, row["m"], H, t["fused"] * 1e-6) \
            if t.get("fused") else 0.0
        lines.append("| %d | %s | %s | %s | %s | %s |" % (
            row["m"], " | ".join(cells), ratio("fused", "nccl"),
            ratio("fused", "torch"), "%.0f" % bw if bw else "-",
            "%.0f%%" % (100 * bw / nvlink_gbs) if bw else "-"))
    return "\n".join(lines)


def self_test():
    assert busbw_gbs(1, 1024, H, 1e-5) == 0.0
    # 2 ranks: algbw = 1024 * 7168 * 2 B / 10 us = 1468 GB/s; busbw the same.
    assert abs(busbw_gbs(2, 1024, H, 1e-5) - 1468.0064) < 1e-3
    # 8 ranks: busbw = algbw * 14 / 8.
    assert abs(busbw_gbs(8, 1024, H, 1e-5) - 1468.0064 * 1.75) < 1e-3
    table = markdown([{"m": 1, "us": {"fused": 10.0, "peer": 12.0,
                                      "nccl": 20.0, "torch": 30.0}}], 2, 450)
    assert "| 1 | 10.0 | 12.0 | 20.0 | 30.0 | 2.00 | 3.00 |" in table, table
    print("self-test passed")
    return 0


def worker(rank, ranks, args, queue):
    import torch  # noqa: PLC0415  (only on the GPU machine)
    import torch.distributed as dist  # noqa: PLC0415
    import vllm_mlir  # noqa: PLC0415
    import bench  # noqa: PLC0415  (bench/gpu/bench.py: the torch peer)

    device = torch.device("cuda", rank)
    torch.cuda.set_device(device)
    dist.init_process_group("nccl", init_method="tcp://127.0.0.1:%d"
                            % args.port, rank=rank, world_size=ranks,
                            device_id=device)
    libs = {name: vllm_mlir.load(os.path.join(args.lib_dir, file + ".so"),
                                 device=device)
            for name, file in (("fused", "all_reduce_tests"),
                               ("peer", "all_reduce_tests_unfused"),
                               ("nccl", "all_reduce_tests_nccl"))}
    libs["fused"].bind_group(0, capacity_bytes=max(args.m) * H * 2)
    peer = bench.make_peer(torch, "g128f32", residual=True)
    compiled = torch.compile(peer, dynamic=False)
    gen = torch.Generator(device=device).manual_seed(1000 + rank)
    results = []
    for m in args.m:
        x = torch.randn(m, H, device=device, generator=gen).to(torch.bfloat16)
        res = torch.randn(m, H, device=device, generator=gen,
                          ).to(torch.bfloat16)
        w = (torch.rand(H, device=device, generator=gen) + 0.5).to(
            torch.bfloat16)
        ops = {name: getattr(lib, FUNCTION) for name, lib in libs.items()}
        if ranks > 2:
            del ops["nccl"]  # the runtime refuses it (not rank order)
        outs = {name: op(x, res, w) for name, op in ops.items()}
        torch.cuda.synchronize()
        same = all(torch.equal(a.view(torch.uint8), b.view(torch.uint8))
                   for name in ops for a, b in zip(outs[name], outs["fused"]))
        digest = torch.tensor([float(outs["fused"][0].view(torch.uint8)
                                     .to(torch.int64).sum())], device=device)
        gathered = [torch.zeros_like(digest) for _ in range(ranks)]
        dist.all_gather(gathered, digest)
        agree = all(torch.equal(g, gathered[0]) for g in gathered)

        def torch_site():
            summed = x.clone()
            dist.all_reduce(summed)
            return compiled(summed, w, res)

        calls = dict(ops)
        calls["torch"] = torch_site
        row = {"m": m, "us": {}, "fused_equals_unfused": same,
               "ranks_agree": agree}
        for name, op in calls.items():
            fn = (lambda op=op: op(x, res, w)) if name != "torch" else op
            try:
                replayer, note = bench._replayer_or_loop(
                    torch, [fn] * args.calls, args.warmup)
                times = []
                for _ in range(args.repeats):
                    dist.barrier()
                    times.append(replayer.time_once())
                median = torch.tensor([statistics.median(times)],
                                      device=device)
                dist.all_reduce(median, op=dist.ReduceOp.MAX)
                row["us"][name] = float(median)
                if note:
                    row.setdefault("notes", []).append(name + ": " + note)
            except Exception as e:  # noqa: BLE001  (report and carry on)
                row.setdefault("notes", []).append(
                    "%s failed: %s" % (name, str(e).splitlines()[0][:100]))
        results.append(row)
    if rank == 0:
        queue.put(results)
    dist.destroy_process_group()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lib-dir")
    parser.add_argument("--ranks", type=int, default=0,
                        help="processes, one GPU each (default: all GPUs)")
    parser.add_argument("--m", default=",".join(
        str(m) for m in DECODE_M + PREFILL_M))
    parser.add_argument("--calls", type=int, default=20)
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--port", type=int, default=29541)
    parser.add_argument("--nvlink-gbs", type=float, default=450.0,
                        help="NVLink bandwidth per GPU and direction "
                             "(H100 / H200 SXM: 450 GB/s)")
    parser.add_argument("--out", help="folder for all_reduce.md / .json")
    parser.add_argument("--self-test", action="store_true")
    args = parser.parse_args()
    if args.self_test:
        return self_test()
    if not args.lib_dir:
        parser.error("--lib-dir is required")
    args.m = [int(v) for v in args.m.split(",")]
    try:
        import torch  # noqa: PLC0415
        import torch.multiprocessing as mp  # noqa: PLC0415
    except ImportError:
        print("no torch: skipped")
        return 0
    if not torch.cuda.is_available():
        print("no GPU: skipped")
        return 0
    ranks = args.ranks or torch.cuda.device_count()
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    procs = [ctx.Process(target=worker, args=(r, ranks, args, queue))
             for r in range(ranks)]
    for p in procs:
        p.start()
    results = queue.get()
    for p in procs:
        p.join()
    header = "%s, %d x %s, torch %s" % (
        datetime.datetime.now(datetime.timezone.utc).strftime(
            "%Y-%m-%d %H:%M UTC"), ranks, torch.cuda.get_device_name(0),
        torch.__version__)
    table = markdown(results, ranks, args.nvlink_gbs)
    print(header)
    print(table)
    for row in results:
        for note in row.get("notes", []):
            print("M = %d: %s" % (row["m"], note))
        if not row["fused_equals_unfused"] or not row["ranks_agree"]:
            print("M = %d: PROBLEM: fused == unfused %s, ranks agree %s"
                  % (row["m"], row["fused_equals_unfused"],
                     row["ranks_agree"]))
    if args.out:
        os.makedirs(args.out, exist_ok=True)
        with open(os.path.join(args.out, "all_reduce.md"), "w") as f:
            f.write(header + "\n\n" + table + "\n")
        with open(os.path.join(args.out, "all_reduce.json"), "w") as f:
            json.dump({"header": header, "ranks": ranks, "rows": results}, f,
                      indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
