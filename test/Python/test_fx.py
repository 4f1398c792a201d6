"""Unit tests of vllm_mlir.fx on the CPU (test/Python/fx.test): tracing,
matching, the module text, the rewrite and the cache, with the torch that
is installed (Debian's 1.13 is enough: nothing here needs FP8 tensors or a
GPU). The kernels' numerics are the GPU test's job
(gpu-tests/python/test_fx.py).

With --emit DIR, writes the module text of each model to DIR/<name>.mlir
(for vllm-opt and FileCheck) and the rewritten code to DIR/<name>.py.
"""

import argparse
import os
import stat
import sys
import tempfile
import types
import unittest

import torch

import vllm_mlir.fx as vfx
from vllm_mlir import Manifest

H = 256
EMIT_DIR = None
vllm_quant = None     # vLLM's function, imported by name (VllmFunctions)


class HFRMSNorm(torch.nn.Module):
    """LlamaRMSNorm / DeepseekV3RMSNorm of Hugging Face transformers."""

    def __init__(self, hidden, eps=1e-6):
        super().__init__()
        self.weight = torch.nn.Parameter(torch.ones(hidden,
                                                    dtype=torch.bfloat16))
        self.variance_epsilon = eps

    def forward(self, hidden_states):
        input_dtype = hidden_states.dtype
        hidden_states = hidden_states.to(torch.float32)
        variance = hidden_states.pow(2).mean(-1, keepdim=True)
        hidden_states = hidden_states * torch.rsqrt(variance +
                                                    self.variance_epsilon)
        return self.weight * hidden_states.to(input_dtype)


class OneRounding(HFRMSNorm):
    """The weight multiplies in f32, one rounding at the end."""

    def forward(self, x):
        h = x.float()
        r = torch.rsqrt(torch.mean(h * h, dim=-1, keepdim=True) + 1e-5)
        return (h * r * self.weight).to(x.dtype)


class Decoder(torch.nn.Module):
    """Residual add + norm -> quantize (MN-major TMA-aligned scales) ->
    a stand-in GEMM, and a second norm of the first one's output."""

    def __init__(self):
        super().__init__()
        self.input_norm = HFRMSNorm(H)
        self.post_norm = HFRMSNorm(H)

    def forward(self, x, residual):
        h = x + residual
        y = self.input_norm(h)
        q, s = vfx.per_token_group_quant_fp8(y.view(-1, y.shape[-1]), 128,
                                             column_major_scales=True,
                                             tma_aligned_scales=True)
        z = self.post_norm(y)
        return q, s, h, z


class Packed(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.norm = HFRMSNorm(H)

    def forward(self, x):
        y = self.norm(x)
        q, s = vfx.per_token_group_quant_fp8_packed_for_deepgemm(
            y.reshape(-1, H), 128, use_ue8m0=True)
        return q, s


class QuantOnly(torch.nn.Module):
    def forward(self, x):
        q, s = vfx.per_token_group_quant_fp8(x, 128, use_ue8m0=True)
        return q, s


def bf16(*shape):
    return torch.randn(*shape).to(torch.bfloat16)


def emit(name, result, gm=None):
    if EMIT_DIR is None:
        return
    with open(os.path.join(EMIT_DIR, name + ".mlir"), "w",
              encoding="utf-8") as f:
        f.write(result.text)
    with open(os.path.join(EMIT_DIR, name + ".report"), "w",
              encoding="utf-8") as f:
        f.write(result.report() + "\n")
    if gm is not None:
        with open(os.path.join(EMIT_DIR, name + ".py"), "w",
                  encoding="utf-8") as f:
            f.write(gm.code)


def hf_norm_2d(x, w, eps):
    """What HFRMSNorm computes, in torch (the stub's implementation)."""
    h = x.to(torch.float32)
    r = torch.rsqrt(h.pow(2).mean(-1, keepdim=True) + eps)
    return w * (h * r).to(x.dtype)


class Matching(unittest.TestCase):
    def import_(self, module, *inputs):
        gm = vfx.trace(module)
        return gm, vfx.import_graph(gm, inputs)

    def test_hf_norm_is_round_before_weight(self):
        gm, result = self.import_(HFRMSNorm(H), bf16(2, 3, H))
        emit("hf_norm", result)
        self.assertEqual(len(result.partitions), 1)
        norm = result.partitions[0].norm
        self.assertTrue(norm.round_before_weight)
        self.assertIsNone(norm.residual)
        self.assertEqual(norm.epsilon, 1e-6)
        self.assertEqual(norm.info.shape, (2, 3, H))
        del gm

    def test_one_rounding_form(self):
        _, result = self.import_(OneRounding(H), bf16(4, H))
        emit("one_rounding", result)
        self.assertEqual(len(result.partitions), 1)
        self.assertFalse(result.partitions[0].norm.round_before_weight)
        self.assertEqual(result.partitions[0].norm.epsilon, 1e-5)

    def test_decoder(self):
        _, result = self.import_(Decoder(), bf16(2, 5, H), bf16(2, 5, H))
        emit("decoder", result)
        first, second = result.partitions
        self.assertEqual(first.norm.residual is not None, True)
        self.assertEqual([(q.encoding, q.layout) for q in first.quants],
                         [("f32", "mn4")])
        self.assertEqual([kind for kind, _ in first.results],
                         ["y", "residual_out", "q", "scales"])
        self.assertEqual(second.quants, [])
        self.assertEqual(result.kept, [])

    def test_packed(self):
        _, result = self.import_(Packed(), bf16(3, H))
        emit("packed", result)
        (partition,) = result.partitions
        self.assertEqual([(q.encoding, q.layout) for q in partition.quants],
                         [("ue8m0_packed", "mn4")])
        # The norm's output feeds only the quantization: not a result.
        self.assertEqual([kind for kind, _ in partition.results],
                         ["q", "scales"])

    def test_quantization_alone(self):
        _, result = self.import_(QuantOnly(), bf16(3, H))
        emit("quant_only", result)
        (partition,) = result.partitions
        self.assertIsNone(partition.norm)
        self.assertEqual([(q.encoding, q.layout) for q in partition.quants],
                         [("ue8m0_f32", "rm")])


class NotTaken(unittest.TestCase):
    """Code that looks like a chain but is not one stays in torch."""

    def partitions(self, fn, *inputs):
        gm = vfx.trace(fn)
        result = vfx.import_graph(gm, inputs)
        return result

    def test_weight_of_another_type(self):
        class F32Weight(HFRMSNorm):
            def __init__(self):
                super().__init__(H)
                self.weight = torch.nn.Parameter(torch.ones(H))

        self.assertEqual(self.partitions(F32Weight(), bf16(2, H)).partitions,
                         [])

    def test_mean_without_keepdim(self):
        def norm(x, w):
            h = x.float()
            r = torch.rsqrt(h.pow(2).mean(-1).unsqueeze(-1) + 1e-6)
            return w * (h * r).to(x.dtype)

        self.assertEqual(self.partitions(norm, bf16(2, H),
                                         bf16(H)).partitions, [])

    def test_not_a_square(self):
        def norm(x, w):
            h = x.float()
            r = torch.rsqrt(h.pow(3).mean(-1, keepdim=True) + 1e-6)
            return w * (h * r).to(x.dtype)

        self.assertEqual(self.partitions(norm, bf16(2, H),
                                         bf16(H)).partitions, [])

    def test_epsilon_not_a_number(self):
        def norm(x, w, eps):
            h = x.float()
            r = torch.rsqrt(h.pow(2).mean(-1, keepdim=True) + eps)
            return w * (h * r).to(x.dtype)

        self.assertEqual(self.partitions(norm, bf16(2, H), bf16(H),
                                         torch.tensor(1e-6)).partitions, [])

    def test_mean_over_another_dimension(self):
        def norm(x, w):
            h = x.float()
            r = torch.rsqrt(h.pow(2).mean(0, keepdim=True) + 1e-6)
            return w * (h * r).to(x.dtype)

        self.assertEqual(self.partitions(norm, bf16(2, H),
                                         bf16(H)).partitions, [])

    def test_f32_input(self):
        def norm(x, w):
            h = x.float()
            r = torch.rsqrt(h.pow(2).mean(-1, keepdim=True) + 1e-6)
            return w * (h * r).to(x.dtype)

        self.assertEqual(self.partitions(norm, torch.randn(2, H),
                                         torch.randn(H)).partitions, [])

    def test_quantization_arguments(self):
        cases = {
            "group 64": (lambda x: vfx.per_token_group_quant_fp8(x, 64),
                         "group_size 64 on H = 256 (group 128 only)"),
            "eps": (lambda x: vfx.per_token_group_quant_fp8(x, 128, 1e-6),
                    "eps 1e-06 (1e-10 only)"),
            "rank 3": (lambda x: vfx.per_token_group_quant_fp8(
                x.view(1, -1, H), 128),
                       "x must be a rank-2 tensor of known shape"),
            "packed, not UE8M0": (
                lambda x: vfx.per_token_group_quant_fp8_packed_for_deepgemm(
                    x, 128, use_ue8m0=False), "use_ue8m0=False"),
        }
        def make(fn):
            def model(x):
                q, s = fn(x)
                return q, s
            return model

        for what, (fn, reason) in cases.items():
            with self.subTest(what):
                result = self.partitions(make(fn), bf16(4, H))
                self.assertEqual(result.partitions, [])
                (kept,) = result.kept
                self.assertTrue(kept[1].endswith(reason), kept)

    def test_out_q(self):
        def model(x, out):
            q, s = vfx.per_token_group_quant_fp8(x, 128, out_q=out)
            return q, s

        result = self.partitions(model, bf16(4, H), bf16(4, H))
        self.assertEqual(result.partitions, [])
        self.assertIn("arguments other than x must be constants",
                      result.kept[0][1])

    def test_result_used_whole(self):
        def model(x):
            pair = vfx.per_token_group_quant_fp8(x, 128)
            return pair

        result = self.partitions(model, bf16(4, H))
        self.assertEqual(result.partitions, [])
        self.assertIn("a result used other than by indexing",
                      result.kept[0][1])


class VllmFunctions(unittest.TestCase):
    """vLLM's functions of the same names are leaves too (a stand-in module
    with vLLM's module path), and vLLM's use_ue8m0=None is refused."""

    def setUp(self):
        names = ["vllm", "vllm.model_executor", "vllm.model_executor.layers",
                 "vllm.model_executor.layers.quantization",
                 "vllm.model_executor.layers.quantization.utils"]
        self.saved = {n: sys.modules.get(n) for n in names + [
            names[-1] + ".fp8_utils"]}
        for name in names:
            sys.modules[name] = types.ModuleType(name)
        fp8_utils = types.ModuleType(names[-1] + ".fp8_utils")

        def per_token_group_quant_fp8(x, group_size, eps=1e-10, dtype=None,
                                      column_major_scales=False,
                                      tma_aligned_scales=False, out_q=None,
                                      use_ue8m0=None):
            raise AssertionError("traced through vLLM's function")

        per_token_group_quant_fp8.__module__ = fp8_utils.__name__
        fp8_utils.per_token_group_quant_fp8 = per_token_group_quant_fp8
        sys.modules[fp8_utils.__name__] = fp8_utils
        sys.modules[names[-1]].fp8_utils = fp8_utils
        self.fp8_utils = fp8_utils

    def tearDown(self):
        for name, module in self.saved.items():
            if module is None:
                sys.modules.pop(name, None)
            else:
                sys.modules[name] = module

    def test_vllm_function(self):
        # A model module that imported vLLM's function by name.
        global vllm_quant
        vllm_quant = self.fp8_utils.per_token_group_quant_fp8

        def explicit(x):
            q, s = vllm_quant(x, 128, column_major_scales=True,
                              use_ue8m0=True)
            return q, s

        def environment(x):
            q, s = vllm_quant(x, 128)
            return q, s

        gm = vfx.trace(explicit)
        result = vfx.import_graph(gm, (bf16(4, H),))
        self.assertEqual([(q.encoding, q.layout)
                          for q in result.partitions[0].quants],
                         [("ue8m0_f32", "mn1")])
        gm = vfx.trace(environment)
        result = vfx.import_graph(gm, (bf16(4, H),))
        self.assertEqual(result.partitions, [])
        self.assertIn("use_ue8m0=None depends on vLLM's environment",
                      result.kept[0][1])


class Rewrite(unittest.TestCase):
    """The rewritten graph, with stand-ins for the library's ops that
    compute what the replaced torch code computes, gives the original
    outputs bit for bit: the plumbing (flattening, views, the residual
    chain, which uses go where) is right."""

    def test_residual_chain(self):
        class Chain(torch.nn.Module):
            def __init__(self):
                super().__init__()
                self.n1 = HFRMSNorm(H)
                self.n2 = HFRMSNorm(H, eps=1e-5)
                with torch.no_grad():
                    self.n1.weight.copy_(bf16(H))
                    self.n2.weight.copy_(bf16(H))

            def forward(self, x, residual, mlp_out):
                h = x + residual
                a = self.n1(h)
                h2 = a * 0.5 + h          # stand-in for attention
                b = self.n2(h2 + mlp_out)
                return a, b, h2

        model = Chain()
        inputs = (bf16(2, 3, H), bf16(2, 3, H), bf16(2, 3, H))
        expected = model(*inputs)
        gm = vfx.trace(model)
        result = vfx.import_graph(gm, inputs)
        self.assertEqual(len(result.partitions), 2)
        epsilons = {}

        def make_stub(partition):
            eps = partition.norm.epsilon
            epsilons[partition.name] = eps
            if partition.norm.residual:
                def stub(x, res, w):
                    self.assertEqual(x.dim(), 2)
                    s = x + res
                    y = hf_norm_2d(s, w, eps)
                    wanted = [kind for kind, _ in partition.results]
                    values = {"y": y, "residual_out": s}
                    out = tuple(values[k] for k in wanted)
                    return out if len(out) > 1 else out[0]
            else:
                def stub(x, w):
                    return hf_norm_2d(x, w, eps)
            return stub

        ops = {p.name: make_stub(p) for p in result.partitions}
        vfx.rewrite(result, ops)
        emit("chain", result, gm)
        code = gm.code
        self.assertNotIn("rsqrt", code)
        self.assertNotIn("pow", code)
        got = gm(*inputs)
        for g, e in zip(got, expected):
            self.assertEqual(g.shape, e.shape)
            self.assertTrue(torch.equal(g, e))


class Cache(unittest.TestCase):
    """library_for builds once per module text and chip, then reads the
    cache; without the library and without vllm-compile it says what to
    do."""

    def setUp(self):
        self.dir = tempfile.mkdtemp()
        self.log = os.path.join(self.dir, "calls")
        self.compiler = os.path.join(self.dir, "fake-vllm-compile")
        with open(self.compiler, "w", encoding="utf-8") as f:
            f.write("#!/bin/sh\n"
                    "# Stands in for vllm-compile: records the call, writes "
                    "the outputs.\n"
                    "echo \"$@\" >> %s\n"
                    "while [ $# -gt 0 ]; do\n"
                    "  if [ \"$1\" = -o ]; then out=$2; fi; shift\n"
                    "done\n"
                    "touch \"$out\" \"${out%%.so}.manifest.json\"\n"
                    % self.log)
        os.chmod(self.compiler, stat.S_IRWXU)

    def calls(self):
        if not os.path.exists(self.log):
            return []
        with open(self.log, encoding="utf-8") as f:
            return f.read().splitlines()

    def test_built_once(self):
        cache = os.path.join(self.dir, "cache")
        first = vfx.library_for("module A", "sm_90a", cache, self.compiler)
        again = vfx.library_for("module A", "sm_90a", cache, self.compiler)
        other_chip = vfx.library_for("module A", "sm_100a", cache,
                                     self.compiler)
        self.assertEqual(first, again)
        self.assertNotEqual(first, other_chip)
        calls = self.calls()
        self.assertEqual(len(calls), 2)
        self.assertIn("--fusion-chip none", calls[0])
        with open(os.path.join(os.path.dirname(first), "fx.mlir"),
                  encoding="utf-8") as f:
            self.assertEqual(f.read(), "module A")

    def test_no_compiler(self):
        cache = os.path.join(self.dir, "cache")
        with self.assertRaises(RuntimeError) as raised:
            vfx.library_for("module B", "sm_90a", cache,
                            os.path.join(self.dir, "missing"))
        self.assertIn("is not in the cache", str(raised.exception))
        self.assertIn(vfx.CACHE_ENV, str(raised.exception))

    def test_compiler_fails(self):
        failing = os.path.join(self.dir, "failing")
        with open(failing, "w", encoding="utf-8") as f:
            f.write("#!/bin/sh\necho 'vllm-compile: error: no'\nexit 1\n")
        os.chmod(failing, stat.S_IRWXU)
        cache = os.path.join(self.dir, "cache")
        with self.assertRaises(RuntimeError) as raised:
            vfx.library_for("module C", "sm_90a", cache, failing)
        self.assertIn("vllm-compile: error: no", str(raised.exception))
        self.assertEqual(os.listdir(cache), [])


@unittest.skipUnless(os.environ.get(vfx.COMPILER_ENV),
                     "set %s to a vllm-compile (fx.test does)"
                     % vfx.COMPILER_ENV)
class RealCompiler(unittest.TestCase):
    """The module of the decoder through vllm-compile (fx.test passes
    --format ptx and a stand-in for clang) for both chips: the text
    import_graph writes is what the compiler takes."""

    def test_decoder_compiles(self):
        gm = vfx.trace(Decoder())
        result = vfx.import_graph(gm, (bf16(2, 5, H), bf16(2, 5, H)))
        cache = tempfile.mkdtemp()
        for chip in ("sm_90a", "sm_100a"):
            library = vfx.library_for(result.text, chip, cache,
                                      compile_args=["--format", "ptx"])
            manifest = os.path.join(os.path.dirname(library),
                                    "fx.manifest.json")
            names = [f.name for f in Manifest.load(manifest).functions]
            self.assertEqual(names, ["vllm_fx_0", "vllm_fx_1"])


def main():
    global EMIT_DIR
    parser = argparse.ArgumentParser()
    parser.add_argument("--emit", default=None)
    args, rest = parser.parse_known_args()
    EMIT_DIR = args.emit
    torch.manual_seed(0)
    unittest.main(argv=[sys.argv[0]] + rest)


if __name__ == "__main__":
    main()
