#!/usr/bin/env python3
"""Unit tests of the torch-free parts of the drop-ins for vLLM's ops:
python/vllm_mlir/dropins.py (names, signatures and module text of the
kernel set, the rules that decide which of vLLM's argument combinations it
serves) and python/vllm_mlir/calls.py (the checks LoadedLibrary.call_into
makes of the caller's result tensors: shapes, aliasing).

Run by test/Python/dropins.test with PYTHONPATH=<source>/python; exits
nonzero when a test fails. The torch side (vllm_mlir.vllm_ops, call_into
itself) is tested on the GPU by gpu-tests/python/test_vllm_dropins.py.
"""

import unittest

from vllm_mlir import dropins
from vllm_mlir.calls import (Buffer, check_aliasing, check_inplace,
                             check_results)
from vllm_mlir.dropins import Unsupported
from vllm_mlir.manifest import DimSource, Function, TensorSpec


class Names(unittest.TestCase):
    def test_round_trip(self):
        for kind in dropins.KINDS:
            for dtype in dropins.DTYPES:
                name = dropins.function_name(kind, 7168, dtype)
                self.assertEqual(dropins.parse_function_name(name),
                                 (kind, 7168, dtype), name)

    def test_spelling(self):
        self.assertEqual(dropins.function_name("rms_norm", 7168),
                         "rms_norm_h7168")
        self.assertEqual(dropins.function_name("group_fp8_ue8pk", 2048,
                                               "f16"),
                         "group_fp8_ue8pk_h2048_f16")
        self.assertEqual(
            dropins.function_name("fused_add_rms_norm_g128_fp8_mn4", 1536),
            "fused_add_rms_norm_g128_fp8_mn4_h1536")

    def test_other_names(self):
        for name in ("rms_norm", "rms_norm_h", "rms_norm_h0", "quant",
                     "rms_norm_h7168_f64", "silu_h7168", "rms_norm_h7168x"):
            self.assertIsNone(dropins.parse_function_name(name), name)

    def test_unknown(self):
        with self.assertRaisesRegex(ValueError, "unknown kind 'norm'"):
            dropins.function_name("norm", 7168)
        with self.assertRaisesRegex(ValueError, "unknown element type"):
            dropins.function_name("rms_norm", 7168, "f64")


class KernelSet(unittest.TestCase):
    def test_group_kinds_need_multiples_of_128(self):
        names = [n for n, _, _, _ in dropins.functions([1000, 256])]
        self.assertIn("rms_norm_h1000", names)
        self.assertIn("fused_add_rms_norm_dpt_fp8_h1000", names)
        self.assertFalse([n for n in names if "h1000" in n and
                          ("g128" in n or n.startswith("group_"))])
        self.assertIn("group_fp8_ue8pk_h256", names)
        self.assertEqual(len(names), 6 + len(dropins.KINDS))

    def test_inplace_pairs(self):
        self.assertEqual(dropins.KINDS["rms_norm"].inplace, {})
        self.assertEqual(dropins.KINDS["fused_add_rms_norm"].inplace, {1: 1})
        self.assertEqual(
            dropins.KINDS["fused_add_rms_norm_static_fp8"].inplace, {1: 1})
        self.assertEqual(dropins.KINDS["fused_add_rms_norm_dpt_fp8"].inplace,
                         {2: 1})
        self.assertEqual(
            dropins.KINDS["fused_add_rms_norm_g128_fp8_mn4"].inplace, {2: 1})
        for name, kind in dropins.KINDS.items():
            arguments, results = dropins.signature(name, 7168)
            for result, argument in kind.inplace.items():
                self.assertEqual(results[result], arguments[argument], name)

    def test_signatures(self):
        args, res = dropins.signature("group_fp8_ue8pk", 7168)
        self.assertEqual([t.mlir() for t in args], ["tensor<?x7168xbf16>"])
        self.assertEqual([t.mlir() for t in res], [
            "tensor<?x7168xf8E4M3FN>",
            "tensor<14x?xi32, #vllm.scales<group 128, ue8m0_packed, "
            "mn_major, align 4>>"])
        args, res = dropins.signature("fused_add_rms_norm_static_fp8", 2048,
                                      "f16")
        self.assertEqual([t.mlir() for t in args], [
            "tensor<?x2048xf16>", "tensor<?x2048xf16>", "tensor<2048xf16>",
            "tensor<1xf32, #vllm.scales<tensor>>"])
        self.assertEqual([t.mlir() for t in res], [
            "tensor<?x2048xf8E4M3FN>", "tensor<?x2048xf16>"])
        _, res = dropins.signature("rms_norm_g128_fp8_mn1", 256)
        self.assertEqual(res[1].mlir(), "tensor<2x?xf32, #vllm.scales<group "
                         "128, f32, mn_major>>")
        _, res = dropins.signature("group_fp8_ue8_rm", 256)
        self.assertEqual(res[1].mlir(), "tensor<?x2xf32, #vllm.scales<group "
                         "128, ue8m0_f32, row_major>>")
        with self.assertRaisesRegex(ValueError, "divisible by 128, not 1000"):
            dropins.signature("group_fp8_f32_rm", 1000)

    def test_module_text(self):
        text = dropins.generate_module([256], 1e-5, ["bf16", "f32"])
        self.assertIn("epsilon 1.0e-05 (f32 9.99999975e-06)", text)
        # vLLM's two roundings (SPEC.md 3.1) on every norm.
        self.assertIn("{epsilon = 1.0e-05 : f32, round_before_weight}", text)
        self.assertNotIn("{epsilon = 1.0e-05 : f32}", text)
        self.assertEqual(text.count("func.func @"), 2 * len(dropins.KINDS))
        self.assertIn("func.func @rms_norm_h256_f32(", text)
        self.assertIn("%q, %unused_scale = vllm.rms_norm_quant %x, %w "
                      "scale(%s) as <static_per_tensor>", text)
        self.assertIn("vllm.rms_norm_quant %x, %w residual(%res) as "
                      "<per_group 128, f32, mn_major, align 4>", text)
        # Epsilons MLIR would not read without a decimal point.
        self.assertIn("{epsilon = 3.0e-10 : f32, round_before_weight}",
                      dropins.generate_module([128], 3e-10))
        self.assertIn("{epsilon = 0.03 : f32, round_before_weight}",
                      dropins.generate_module([128], 0.03))
        self.assertIn("{epsilon = 2.0 : f32, round_before_weight}",
                      dropins.generate_module([128], 2))

    def test_bad_sets(self):
        for hidden, epsilon, dtypes, message in (
                ([], 1e-6, ["bf16"], "no hidden size"),
                ([0], 1e-6, ["bf16"], "not a positive integer"),
                ([7168, 7168], 1e-6, ["bf16"], "listed twice"),
                ([128], 0.0, ["bf16"], "not a positive f32"),
                ([128], 1e-50, ["bf16"], "not a positive f32"),
                ([128], float("inf"), ["bf16"], "not a positive f32"),
                ([128], 1e-6, ["f64"], "unknown element type")):
            with self.assertRaisesRegex(ValueError, message):
                dropins.generate_module(hidden, epsilon, dtypes)

    def test_config(self):
        self.assertEqual(dropins.config_path("/a/vllm_dropins.so"),
                         "/a/vllm_dropins.dropins.json")
        settings = dropins.config([7168], 1e-6, ["bf16"], "sm_90a")
        self.assertEqual(settings["epsilon"], 1e-6)
        self.assertEqual(settings["epsilon_f32"], dropins.f32(1e-6))


class Rules(unittest.TestCase):
    def test_epsilon(self):
        dropins.check_epsilon("rms_norm", 1e-6, 1e-6)
        # The same f32: the kernels compute the same function.
        dropins.check_epsilon("rms_norm", 9.99999997e-07, 1e-6)
        with self.assertRaises(NotImplementedError) as caught:
            dropins.check_epsilon("rms_norm", 1e-5, 1e-6)
        self.assertIsInstance(caught.exception, Unsupported)
        self.assertRegex(str(caught.exception),
                         "^rms_norm: epsilon=1e-05: the kernels are compiled "
                         "for epsilon 1e-06 ")

    def test_group_quant(self):
        dropins.check_group_quant("q", 128, 1e-10, -448.0, 448.0)
        dropins.check_group_quant("q", 128, 1.00000001e-10, -448, 448)
        for args, message in (
                ((64, 1e-10, -448.0, 448.0), "group_size=64"),
                ((128, 1e-6, -448.0, 448.0), "eps=1e-06"),
                ((128, 1e-10, -224.0, 224.0), "fp8_min=-224.0, "
                 "fp8_max=224.0"),
                ((128, 1e-10, -448.0, 240.0), "fp8_max=240.0")):
            with self.assertRaisesRegex(Unsupported, message):
                dropins.check_group_quant("q", *args)

    def test_scale_ub_and_dtype(self):
        dropins.check_scale_ub("op", None)
        with self.assertRaisesRegex(Unsupported, "^op: scale_ub is a tensor"):
            dropins.check_scale_ub("op", object())
        dropins.check_fp8_dtype("op", "torch.float8_e4m3fn")
        for other in ("torch.int8", "torch.float8_e4m3fnuz"):
            with self.assertRaisesRegex(Unsupported, "output dtype " + other):
                dropins.check_fp8_dtype("op", other)

    def test_require_function(self):
        available = {"rms_norm_h7168", "rms_norm_h2048", "rms_norm_h2048_f16",
                     "group_fp8_f32_rm_h7168"}
        self.assertEqual(dropins.require_function(available, "rms_norm",
                                                  "rms_norm", 2048, "bf16"),
                         "rms_norm_h2048")
        with self.assertRaisesRegex(
                Unsupported, r"^rms_norm: hidden size 4096 with bf16 input: "
                r"not in the compiled kernel set \(no function "
                r"rms_norm_h4096; the library has rms_norm for H in \{2048, "
                r"7168\}\); rebuild it with `python3 -m vllm_mlir.dropins "
                r"--hidden \.\.\.`$"):
            dropins.require_function(available, "rms_norm", "rms_norm", 4096,
                                     "bf16")
        with self.assertRaisesRegex(Unsupported, r"H in \{\}\).*"
                                    "--dtype f32`$"):
            dropins.require_function(available, "rms_norm", "rms_norm", 2048,
                                     "f32")
        with self.assertRaisesRegex(Unsupported, "needs H % 128 == 0"):
            dropins.require_function(available, "q", "group_fp8_f32_rm", 1000,
                                     "bf16")


class ScaleLayouts(unittest.TestCase):
    def layout(self, rows, groups, strides, transposed=None, tma=None):
        return dropins.group_scale_layout("op", rows, groups,
                                          (rows, groups), strides,
                                          transposed, tma)

    def test_unambiguous(self):
        # vLLM's allocations: torch.empty((M, G)); torch.empty((G, M)).t();
        # torch.empty_strided((M, G), (1, roundUp(M, 4))).
        self.assertEqual(self.layout(5, 56, (56, 1)), "rm")
        self.assertEqual(self.layout(5, 56, (1, 5)), "mn1")
        self.assertEqual(self.layout(5, 56, (1, 8)), "mn4")
        self.assertEqual(self.layout(5, 56, (1, 5), True, False), "mn1")
        self.assertEqual(self.layout(5, 56, (1, 8), True, True), "mn4")
        self.assertEqual(self.layout(257, 16, (1, 260), True, True), "mn4")

    def test_flags_choose_where_strides_do_not(self):
        # M % 4 == 0: MN-major with and without TMA alignment coincide.
        self.assertEqual(self.layout(8, 56, (1, 8), True, False), "mn1")
        self.assertEqual(self.layout(8, 56, (1, 8), True, True), "mn4")
        self.assertEqual(self.layout(8, 56, (1, 8), True), "mn1")
        # One row: row-major and MN-major coincide.
        self.assertEqual(self.layout(1, 56, (56, 1), False), "rm")
        self.assertEqual(self.layout(1, 56, (56, 1), True, False), "mn1")
        self.assertEqual(self.layout(1, 56, (1, 4), True, True), "mn4")
        # No rows: anything goes, the flags say what.
        self.assertEqual(self.layout(0, 56, (1, 1), True, True), "mn4")
        self.assertEqual(self.layout(0, 56, (56, 1), False), "rm")

    def test_flags_against_strides(self):
        with self.assertRaisesRegex(
                Unsupported, r"^op: the flags say column-major \(not "
                r"TMA-aligned\) scales, but the scale tensor's strides "
                r"\(56, 1\) \(shape \(5, 56\)\) are those of row-major$"):
            self.layout(5, 56, (56, 1), True, False)
        with self.assertRaisesRegex(Unsupported, "say TMA-aligned "
                                    "column-major scales.*MN-major "
                                    r"\(column-major\)$"):
            self.layout(5, 56, (1, 5), True, True)
        with self.assertRaisesRegex(Unsupported, "say row-major scales"):
            self.layout(5, 56, (1, 8), False)

    def test_other_strides(self):
        with self.assertRaisesRegex(Unsupported, r"strides \(1, 16\): "
                                    "neither row-major"):
            self.layout(5, 56, (1, 16))
        with self.assertRaisesRegex(ValueError, r"shape \(5, 55\), expected "
                                    r"\(5, 56\)"):
            dropins.group_scale_layout("op", 5, 56, (5, 55), (55, 1), False)

    def test_packed(self):
        self.assertEqual(dropins.packed_scale_layout("op", 5, 56, (5, 14),
                                                     (1, 8)), "mn4")
        self.assertEqual(dropins.packed_scale_layout("op", 1, 2, (1, 1),
                                                     (1, 1)), "mn4")
        with self.assertRaisesRegex(Unsupported, r"strides \(14, 1\).*"
                                    r"strides \(1, 8\)"):
            dropins.packed_scale_layout("op", 5, 56, (5, 14), (14, 1))
        with self.assertRaisesRegex(ValueError, r"shape \(5, 56\), expected "
                                    r"\(5, 14\)"):
            dropins.packed_scale_layout("op", 5, 56, (5, 56), (1, 8))

    def test_words_written(self):
        self.assertEqual(dropins.scale_storage_words("rm", 5, 56), 280)
        self.assertEqual(dropins.scale_storage_words("mn1", 5, 56), 280)
        self.assertEqual(dropins.scale_storage_words("mn4", 5, 56), 448)


def norm_quant_function():
    """(x [?, 256], residual [?, 256], w [256]) -> (q, scales [2, M4],
    residual_out), as the manifest reader builds it."""
    x = TensorSpec("argument", 0, "bf16", (None, 256))
    r = TensorSpec("argument", 1, "bf16", (None, 256))
    w = TensorSpec("argument", 2, "bf16", (256,))
    q = TensorSpec("result", 0, "f8E4M3FN", (None, 256), None,
                   {0: DimSource(0, 0)})
    s = TensorSpec("result", 1, "f32", (2, None), {"kind": "group"},
                   {1: DimSource(0, 0, 4)})
    ro = TensorSpec("result", 2, "bf16", (None, 256), None,
                    {0: DimSource(0, 0)})
    return Function("nq", "_mlir_ciface_nq", (x, r, w), (q, s, ro))


class Calls(unittest.TestCase):
    def setUp(self):
        self.f = norm_quant_function()
        self.args = [Buffer((5, 256), "bf16", 0x1000, 2560),
                     Buffer((5, 256), "bf16", 0x2000, 2560),
                     Buffer((256,), "bf16", 0x3000, 512)]
        self.results = [Buffer((5, 256), "f8E4M3FN", 0x4000, 1280),
                        Buffer((2, 8), "f32", 0x5000, 64),
                        Buffer((5, 256), "bf16", 0x6000, 2560)]

    def test_results_valid(self):
        check_results(self.f, [(5, 256), (5, 256), (256,)], self.results)

    def test_result_count(self):
        with self.assertRaisesRegex(ValueError, "^ns::nq returns 3 results, "
                                    "got 2 result tensors$"):
            check_results(self.f, [(5, 256), (5, 256), (256,)],
                          self.results[:2], "ns::nq")

    def test_result_type_and_shape(self):
        results = list(self.results)
        results[1] = Buffer((2, 5), "f32", 0x5000, 40)
        with self.assertRaisesRegex(
                ValueError, r"^result #1 of ns::nq: shape is \(2, 5\), "
                r"expected \(2, 8\) for these arguments \(shape \[2, \?\]\)$"):
            check_results(self.f, [(5, 256), (5, 256), (256,)], results,
                          "ns::nq")
        results[1] = Buffer((2, 8), "torch.float64", 0x5000, 128)
        with self.assertRaisesRegex(ValueError, "^result #1 of nq: element "
                                    "type is torch.float64, expected f32$"):
            check_results(self.f, [(5, 256), (5, 256), (256,)], results)

    def test_no_aliasing(self):
        check_aliasing(self.f, self.args, self.results)
        check_aliasing(self.f, self.args, self.results, {2: 1})

    def test_declared_inplace(self):
        # residual_out written into the residual itself.
        results = self.results[:2] + [self.args[1]]
        check_aliasing(self.f, self.args, results, {2: 1}, "ns::nq")

    def test_undeclared_inplace(self):
        results = self.results[:2] + [self.args[1]]
        with self.assertRaisesRegex(
                ValueError, r"^result #2 of ns::nq shares memory with "
                r"argument #1: .*SPEC.md C15.*\)$"):
            check_aliasing(self.f, self.args, results, None, "ns::nq")

    def test_output_into_input(self):
        # y into x, as vLLM's fused_add_rms_norm writes: refused.
        results = [Buffer((5, 256), "f8E4M3FN", 0x1000, 1280)] + \
            self.results[1:]
        with self.assertRaisesRegex(
                ValueError, "^result #0 of nq shares memory with argument "
                "#0: .*; in place, this function may write result #2 into "
                "argument #1$"):
            check_aliasing(self.f, self.args, results, {2: 1})

    def test_partial_overlap_of_declared_pair(self):
        results = self.results[:2] + [Buffer((5, 256), "bf16", 0x2002,
                                             2560)]
        with self.assertRaisesRegex(ValueError, "^result #2 of nq overlaps "
                                    "argument #1 without being the same "
                                    "buffer"):
            check_aliasing(self.f, self.args, results, {2: 1})

    def test_results_sharing_memory(self):
        results = list(self.results)
        results[1] = Buffer((2, 8), "f32", 0x4100, 64)
        with self.assertRaisesRegex(ValueError, "^result #1 of nq shares "
                                    "memory with result #0"):
            check_aliasing(self.f, self.args, results)

    def test_adjacent_and_empty(self):
        # Touching intervals do not overlap; empty tensors overlap nothing.
        results = [Buffer((5, 256), "f8E4M3FN", 0x1000 + 2560, 1280),
                   Buffer((2, 0), "f32", 0x1000, 0),
                   Buffer((5, 256), "bf16", 0x3000 + 512, 2560)]
        check_aliasing(self.f, self.args, results)

    def test_arguments_may_share(self):
        args = [self.args[0], self.args[0], self.args[2]]
        check_aliasing(self.f, args, self.results)

    def test_inplace_declarations(self):
        self.assertEqual(check_inplace(self.f, None), {})
        self.assertEqual(check_inplace(self.f, {2: 1}), {2: 1})
        self.assertEqual(check_inplace(self.f, {2: 0}), {2: 0})
        for inplace, message in (
                ({3: 1}, "inplace names result 3; the function has 3 "
                 "results"),
                ({2: 3}, "inplace names argument 3; the function has 3 "
                 "arguments"),
                ({0: 0}, r"result #0 \(f8E4M3FN \[\?, 256\]\) cannot be "
                 r"written into argument #0 \(bf16 \[\?, 256\]\)"),
                ({2: 2}, r"result #2 \(bf16 \[\?, 256\]\) cannot be "
                 r"written into argument #2 \(bf16 \[256\]\): not the same "
                 "type$"),
                ({1: 1}, "result #1 .* cannot be written")):
            with self.assertRaisesRegex(ValueError, "^nq: " + message):
                check_inplace(self.f, inplace)


if __name__ == "__main__":
    unittest.main(verbosity=1)
