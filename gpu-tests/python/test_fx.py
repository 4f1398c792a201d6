#!/usr/bin/env python3
"""Tests vllm_mlir.fx (python/vllm_mlir/fx.py) on the GPU machine.

Two models at H = 2048, traced, imported, built (from a cache made where
vllm-compile runs: --build-only) and run:

  quantization  every quantization vllm_mlir.fx takes (f32 and UE8M0-in-f32
            scales in row-major, MN-major and MN-major TMA-aligned layouts,
            and the packed UE8M0 words), as quantizations alone, against the
            package's torch transcription of SPEC.md 3.3 (the functions'
            eager implementation, independent of the kernels): q and the
            scales bit for bit (NaN codes match any NaN), with the shapes
            and strides the functions return, on fresh random rows and
            SPEC.md section 5's edge rows (zeros, tiny groups, values far
            above 448 s, NaN, +-Inf, subnormals), M = 1, 5, 257, 1000;
  decoder   residual add + Hugging Face RMSNorm -> quantization (MN-major
            TMA-aligned), a second norm of the first one's output: the sum
            equals torch's bit for bit; y equals eager torch's HF norm
            within 1 ulp of bf16 (SPEC.md 5: the norm's sum order), with the
            rate of differing elements printed; q and the scales equal the
            transcription applied to the kernels' own y, bit for bit;
            torch.compile(fullgraph=True) of the compiled module and a CUDA
            graph capture of it replayed on new inputs give the eager
            call's bytes.

Prints one line per check and `N passed, M failed`; exits 1 when a check
failed. Without torch or a GPU it prints why and exits 0.

  python3 gpu-tests/python/test_fx.py --build-only --cache CACHE   # here
  python3 gpu-tests/python/test_fx.py --cache CACHE                # GPU
"""

import argparse
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, os.pardir, os.pardir, "python"))

from checks import Checks, import_torch_on_gpu  # noqa: E402

H = 2048
ROWS = (1, 5, 257, 1000)
# (name, use_ue8m0, column_major_scales, tma_aligned_scales); None: packed.
QUANTIZATIONS = (("f32_rm", False, False, False),
                 ("f32_mn1", False, True, False),
                 ("f32_mn4", False, True, True),
                 ("ue8_rm", True, False, False),
                 ("ue8_mn1", True, True, False),
                 ("ue8_mn4", True, True, True),
                 ("ue8pk", None, None, None))


def models(torch, vfx):
    class Quantizations(torch.nn.Module):
        def forward(self, x):
            outputs = []
            for _, ue8m0, column_major, tma in QUANTIZATIONS:
                if ue8m0 is None:
                    q, s = vfx.per_token_group_quant_fp8_packed_for_deepgemm(
                        x, 128, use_ue8m0=True)
                else:
                    q, s = vfx.per_token_group_quant_fp8(
                        x, 128, column_major_scales=column_major,
                        tma_aligned_scales=tma, use_ue8m0=ue8m0)
                outputs += [q, s]
            return tuple(outputs)

    class RMSNorm(torch.nn.Module):
        def __init__(self, device):
            super().__init__()
            self.weight = torch.nn.Parameter(torch.ones(
                H, dtype=torch.bfloat16, device=device))
            self.variance_epsilon = 1e-6

        def forward(self, hidden_states):
            input_dtype = hidden_states.dtype
            hidden_states = hidden_states.to(torch.float32)
            variance = hidden_states.pow(2).mean(-1, keepdim=True)
            hidden_states = hidden_states * torch.rsqrt(
                variance + self.variance_epsilon)
            return self.weight * hidden_states.to(input_dtype)

    class Decoder(torch.nn.Module):
        def __init__(self, device):
            super().__init__()
            self.norm = RMSNorm(device)
            self.norm2 = RMSNorm(device)

        def forward(self, x, residual):
            h = x + residual
            y = self.norm(h)
            q, s = vfx.per_token_group_quant_fp8(
                y.view(-1, H), 128, column_major_scales=True,
                tma_aligned_scales=True, use_ue8m0=False)
            return h, y, q, s, self.norm2(y)

    return Quantizations, Decoder


def build(cache):
    import torch  # noqa: PLC0415
    import vllm_mlir.fx as vfx  # noqa: PLC0415
    quantizations, decoder = models(torch, vfx)
    example = torch.empty(4, H, dtype=torch.bfloat16, device="meta")
    for name, model, inputs in (("quantization", quantizations(),
                                 (example,)),
                                ("decoder", decoder("meta"),
                                 (example, example))):
        result = vfx.import_graph(vfx.trace(model), inputs)
        print(result.report())
        print("%s: %s" % (name, vfx.library_for(result.text, "sm_90a",
                                                cache)))
    return 0


def edge_rows(torch, rows):
    """[rows, H] bf16 with SPEC.md section 5's cases in the first rows and
    random rows after them."""
    x = torch.randn(rows, H) * 3
    cases = []
    zero = torch.zeros(H)
    cases.append(zero)
    tiny = torch.randn(H) * 1e-4                  # amax < 2e-3
    cases.append(tiny)
    mixed = torch.randn(H)
    mixed[::97] = 3e4                             # far above 448 s
    cases.append(mixed)
    nan = torch.randn(H)
    nan[5] = float("nan")
    nan[256:384] = float("nan")                   # a whole group of NaN
    cases.append(nan)
    inf = torch.randn(H)
    inf[7] = float("inf")
    inf[300] = float("-inf")
    cases.append(inf)
    subnormal = torch.randn(H) * 1e-39
    cases.append(subnormal)
    group_zero = torch.randn(H)
    group_zero[128:256] = 0
    cases.append(group_zero)
    for i, case in enumerate(cases[:rows]):
        x[i] = case
    return x.to(torch.bfloat16).cuda()


def fp8_equal(torch, a, b):
    """Bytes equal, or both NaN (0x7f / 0xff)."""
    a8 = a.view(torch.uint8)
    b8 = b.view(torch.uint8)
    nan = ((a8 & 0x7F) == 0x7F) & ((b8 & 0x7F) == 0x7F)
    return bool(((a8 == b8) | nan).all())


def scales_equal(torch, a, b):
    if a.dtype == torch.int32:
        return bool(torch.equal(a, b))
    bits_a = a.contiguous().view(torch.int32)
    bits_b = b.contiguous().view(torch.int32)
    nan = torch.isnan(a) & torch.isnan(b)
    return bool(((bits_a == bits_b) | nan).all())


def same_bytes(torch, a, b):
    """Equal element for element, FP8 compared as bytes (NaN codes too)."""
    if a.dtype.itemsize == 1:
        a, b = a.view(torch.uint8), b.view(torch.uint8)
    return bool(torch.equal(a, b))


def same_layout(a, b):
    return tuple(a.shape) == tuple(b.shape) and a.stride() == b.stride()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache", default=None)
    parser.add_argument("--build-only", action="store_true")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    if args.build_only:
        return build(args.cache)
    torch = import_torch_on_gpu(args.seed)
    if torch is None:
        return 0
    import vllm_mlir.fx as vfx  # noqa: PLC0415
    torch.manual_seed(args.seed)
    quantizations, decoder = models(torch, vfx)
    checks = Checks()
    example = torch.empty(4, H, dtype=torch.bfloat16, device="meta")
    compiled = {}

    def compile_quantizations():
        gm = vfx.compile(quantizations(), (example,), cache_dir=args.cache)
        compiled["q"] = gm
        assert gm.vllm_report.count("quantize(") == len(QUANTIZATIONS), \
            gm.vllm_report
        return "%d partitions" % len(QUANTIZATIONS)

    checks.run("compile the quantizations", compile_quantizations)
    if "q" in compiled:
        model = quantizations()
        for rows in ROWS:
            x = edge_rows(torch, rows)
            got = compiled["q"](x)
            want = model(x)
            torch.cuda.synchronize()
            for i, (name, *_) in enumerate(QUANTIZATIONS):
                def check(i=i):
                    q, s = got[2 * i], got[2 * i + 1]
                    q_ref, s_ref = want[2 * i], want[2 * i + 1]
                    assert same_layout(q, q_ref) and same_layout(s, s_ref), (
                        "layout: q %s %s, s %s %s; the function returns "
                        "q %s %s, s %s %s" % (
                            tuple(q.shape), q.stride(), tuple(s.shape),
                            s.stride(), tuple(q_ref.shape), q_ref.stride(),
                            tuple(s_ref.shape), s_ref.stride()))
                    assert fp8_equal(torch, q, q_ref), "q differs"
                    assert scales_equal(torch, s, s_ref), "scales differ"
                checks.run("quantization %s M=%d" % (name, rows), check)

    def compile_decoder():
        model = decoder("cuda")
        with torch.no_grad():
            for norm in (model.norm, model.norm2):
                norm.weight.copy_(torch.rand(H, device="cuda") + 0.5)
        compiled["d"] = (model, vfx.compile(model, (example, example),
                                            cache_dir=args.cache))
        return compiled["d"][1].vllm_report.splitlines()[0]

    checks.run("compile the decoder", compile_decoder)
    if "d" in compiled:
        model, gm = compiled["d"]
        differing = []
        for rows in ROWS:
            x = torch.randn(rows, H, device="cuda").to(torch.bfloat16)
            residual = torch.randn(rows, H, device="cuda").to(torch.bfloat16)
            # The library's ops have no autograd formula (inference only),
            # and the model's weights are Parameters.
            torch.set_grad_enabled(False)
            got = gm(x, residual)
            want = model(x, residual)
            h, y, q, s, z = got

            def check_sum():
                assert torch.equal(h, want[0]), "x + residual differs"

            def check_norm():
                ulp = torch.finfo(torch.bfloat16).eps
                for mine, theirs in ((y, want[1]), (z, want[4])):
                    a = mine.float()
                    b = theirs.float()
                    differ = a != b
                    rate = differ.float().mean().item()
                    differing.append(rate)
                    # round_before_weight rounds twice: a 1-ulp change of
                    # RN(x r) moves y by up to about 2 ulps of bf16.
                    bound = b.abs() * ulp * 2.01 + 1e-30
                    worst = ((a - b).abs() - bound)[differ]
                    assert worst.numel() == 0 or worst.max().item() <= 0, (
                        "y differs by more than 2 ulps")
                return "%.3f%% of y differ from torch's (<= 2 ulps)" % (
                    100 * max(differing[-2:]))

            def check_quant():
                q_ref, s_ref = vfx.per_token_group_quant_fp8(
                    y, 128, column_major_scales=True,
                    tma_aligned_scales=True, use_ue8m0=False)
                assert same_layout(s, s_ref), "scale layout"
                assert fp8_equal(torch, q, q_ref), "q differs"
                assert scales_equal(torch, s, s_ref), "scales differ"

            def check_compiled():
                inside = torch.compile(gm, fullgraph=True)
                for a, b in zip(inside(x, residual), got):
                    assert same_layout(a, b) and same_bytes(torch, a, b)

            def check_graph():
                static = [x.clone(), residual.clone()]
                stream = torch.cuda.Stream()
                stream.wait_stream(torch.cuda.current_stream())
                with torch.cuda.stream(stream):
                    gm(*static)
                torch.cuda.current_stream().wait_stream(stream)
                graph = torch.cuda.CUDAGraph()
                with torch.cuda.graph(graph):
                    outputs = gm(*static)
                fresh = [torch.randn_like(x, dtype=torch.float32).to(
                    torch.bfloat16) for _ in range(2)]
                for dst, src in zip(static, fresh):
                    dst.copy_(src)
                graph.replay()
                expected = gm(*fresh)
                torch.cuda.synchronize()
                for a, b in zip(outputs, expected):
                    assert same_bytes(torch, a, b)

            checks.run("decoder M=%d: sum" % rows, check_sum)
            checks.run("decoder M=%d: norm vs torch" % rows, check_norm)
            checks.run("decoder M=%d: quantization of y" % rows, check_quant)
            checks.run("decoder M=%d: torch.compile" % rows, check_compiled)
            checks.run("decoder M=%d: CUDA graph" % rows, check_graph)
    return checks.finish()


if __name__ == "__main__":
    sys.exit(main())
