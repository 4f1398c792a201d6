#!/usr/bin/env python3
"""Tests the tensor-parallel functions through vllm_mlir.load on one GPU.

Loads gpu-tests/allreduce/all_reduce_tests.mlir compiled fused
(all_reduce_tests.so) and unfused (all_reduce_tests_unfused.so) as PyTorch
custom ops, in a torch.distributed NCCL group of one rank, and checks:

  unbound    a call before bind_group raises RuntimeError naming group 0
             (the runtime refuses to stage for an unbound group);
  groups     the manifest lists group 0 for every function;
  bind       LoadedLibrary.bind_group(0) takes torch's NCCL communicator
             (vllmrtCommFromNccl);
  ar         all_reduce over one rank returns x bit for bit;
  site       for each site function and M: residual_out is RN_T(x + res)
             computed by torch, and the fused library's outputs equal the
             unfused library's bit for bit;
  graph      a torch.cuda.graph capture of the fused site replays with new
             inputs to the eager bytes (the descriptor's call counters live
             on the device).

One rank is what one GPU allows: NCCL refuses two ranks on one device
(docs/tensor-parallel.md). Prints one line per check and `N passed, M
failed`; without torch or a GPU it prints why and exits 0.

  python3 gpu-tests/python/test_all_reduce.py --lib-dir DIR

DIR holds libvllm_runtime.so, all_reduce_tests.so and
all_reduce_tests_unfused.so with their manifests (vllm-compile --emit so).
"""

import argparse
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                os.pardir, os.pardir, "python"))

import vllm_mlir  # noqa: E402  (after the path to the package)
from checks import Checks, import_torch_on_gpu  # noqa: E402

SITES = ["site_g128pk_bf16_h7168", "site_g128f32_bf16_h7168",
         "site_tok_bf16_h7168", "site_dpt_bf16_h7168",
         "site_static_bf16_h7168", "site_g128pk_f16_h256",
         "site_tok_f32_h1001"]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lib-dir", required=True)
    parser.add_argument("--seed", type=int, default=1234)
    parser.add_argument("--m", default="1,5,257")
    args = parser.parse_args()
    torch = import_torch_on_gpu(args.seed)
    if torch is None:
        return 0
    import torch.distributed as dist  # noqa: PLC0415
    device = torch.device("cuda", 0)
    torch.cuda.set_device(device)
    dist.init_process_group("nccl", init_method="tcp://127.0.0.1:29533",
                            rank=0, world_size=1, device_id=device)
    gen = torch.Generator(device=device).manual_seed(args.seed)
    checks = Checks()
    fused = vllm_mlir.load(os.path.join(args.lib_dir, "all_reduce_tests.so"))
    unfused = vllm_mlir.load(
        os.path.join(args.lib_dir, "all_reduce_tests_unfused.so"))
    dtypes = {"bf16": torch.bfloat16, "f16": torch.float16,
              "f32": torch.float32}

    def inputs(name, m):
        parts = name.split("_")
        dtype = dtypes[parts[-2]]
        h = int(parts[-1][1:])
        x = torch.randn(m, h, device=device, generator=gen).to(dtype)
        res = torch.randn(m, h, device=device, generator=gen).to(dtype)
        w = (torch.rand(h, device=device, generator=gen) + 0.5).to(dtype)
        call = [x, res, w]
        if "_static_" in name:
            call.append(torch.tensor([0.0625], device=device))
        return call

    def unbound():
        x = torch.randn(4, 7168, device=device).to(torch.bfloat16)
        try:
            fused.ar_bf16_h7168(x)
        except RuntimeError as e:
            assert "group 0" in str(e), "the error does not name the group: %s" % e
            return "RuntimeError: %s" % str(e)[:120]
        raise AssertionError("a call with no communicator bound did not raise")

    def groups():
        for function in fused.manifest.functions:
            assert function.groups == (0,), "%s: groups %s" % (
                function.name, function.groups)

    def bind():
        fused.bind_group(0)

    def all_reduce_identity(m):
        x = torch.randn(m, 7168, device=device, generator=gen).to(
            torch.bfloat16)
        y = fused.ar_bf16_h7168(x)
        torch.cuda.synchronize()
        assert torch.equal(y.view(torch.int16), x.view(torch.int16)), \
            "all_reduce over one rank changed x"

    def site(name, m):
        call = inputs(name, m)
        got = getattr(fused, name)(*call)
        want = getattr(unfused, name)(*call)
        torch.cuda.synchronize()
        x, res = call[0], call[1]
        residual = (x.float() + res.float()).to(x.dtype)
        assert torch.equal(got[2], residual), "residual_out != RN(x + res)"
        for i, (a, b) in enumerate(zip(got, want)):
            assert torch.equal(a.view(torch.uint8), b.view(torch.uint8)), \
                "result %d: fused differs from unfused" % i

    def graph():
        name = "site_g128pk_bf16_h7168"
        call = inputs(name, 64)
        op = getattr(fused, name)
        op(*call)  # warm up outside the capture
        torch.cuda.synchronize()
        g = torch.cuda.CUDAGraph()
        with torch.cuda.graph(g):
            captured = op(*call)
        fresh = inputs(name, 64)
        for dst, src in zip(call, fresh):
            dst.copy_(src)
        g.replay()
        torch.cuda.synchronize()
        eager = op(*call)
        torch.cuda.synchronize()
        for i, (a, b) in enumerate(zip(captured, eager)):
            assert torch.equal(a.view(torch.uint8), b.view(torch.uint8)), \
                "result %d: the replay differs from the eager call" % i

    checks.run("unbound", unbound)
    checks.run("groups", groups)
    checks.run("bind", bind)
    ms = [int(v) for v in args.m.split(",")]
    for m in ms:
        checks.run("ar M=%d" % m, all_reduce_identity, m)
        for name in SITES:
            checks.run("%s M=%d" % (name, m), site, name, m)
    checks.run("graph", graph)
    dist.destroy_process_group()
    return checks.finish()


if __name__ == "__main__":
    sys.exit(main())
