#!/usr/bin/env python3
"""Unit tests of python/vllm_mlir/manifest.py, the torch-free manifest reader
of the PyTorch loader, on the hand-written manifests of Inputs/: the
shapes it computes for results (SPEC.md 3.3: MN-major scales pad M to a
multiple of 4, packed UE8M0 holds ceil(G / 4) words per row), the checks
of call arguments, and the message of every manifest it refuses.

Run by test/Python/manifest.test with PYTHONPATH=<source>/python; exits
nonzero when a test fails.
"""

import importlib.util
import json
import os
import sys
import unittest

import vllm_mlir
from vllm_mlir.manifest import (ABI, DimSource, Manifest, ManifestError,
                                check_arguments, manifest_path,
                                result_shapes)

INPUTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "Inputs")


def input_path(name):
    return os.path.join(INPUTS, name)


def valid_data():
    with open(input_path("valid.manifest.json"), encoding="utf-8") as f:
        return json.load(f)


def roundup(value, align):
    return (value + align - 1) // align * align


class Symbol:
    """A stand-in for torch.SymInt: records the arithmetic applied to it."""

    def __init__(self, text):
        self.text = text

    def __add__(self, other):
        return Symbol("(%s + %s)" % (self.text, other))

    def __floordiv__(self, other):
        return Symbol("(%s // %s)" % (self.text, other))

    def __mul__(self, other):
        return Symbol("(%s * %s)" % (self.text, other))


class ValidManifest(unittest.TestCase):
    def setUp(self):
        self.manifest = Manifest.load(input_path("valid.manifest.json"))

    def test_functions(self):
        self.assertEqual([f.name for f in self.manifest],
                         ["quant", "norm_quant_res", "block_rows",
                          "scalar_and_3d", "no_results", "reshaped"])
        self.assertEqual(self.manifest.path,
                         input_path("valid.manifest.json"))
        quant = self.manifest.function("quant")
        self.assertEqual(quant.symbol, "_mlir_ciface_quant")
        self.assertEqual(len(quant.arguments), 1)
        x = quant.arguments[0]
        self.assertEqual((x.role, x.index, x.element_type, x.rank, x.shape),
                         ("argument", 0, "bf16", 2, (None, 7168)))
        self.assertIsNone(x.scales)
        self.assertEqual(x.dynamic_dims, {})
        q, s = quant.results
        self.assertEqual((q.element_type, q.shape), ("f8E4M3FN", (None, 7168)))
        self.assertEqual((s.role, s.index, s.element_type, s.shape),
                         ("result", 1, "i32", (14, None)))
        self.assertEqual(s.scales, {"align": 4, "encoding": "ue8m0_packed",
                                    "group_size": 128, "kind": "group",
                                    "layout": "mn_major"})
        self.assertEqual(s.dynamic_dims, {1: DimSource(0, 0, 4, 1)})
        self.assertEqual(s.describe_shape(), "[14, ?]")
        self.assertIsNone(quant.unsized)

    def test_unknown_function(self):
        with self.assertRaisesRegex(KeyError, "no function 'dequant' in "
                                    ".*valid.manifest.json \\(functions: "
                                    "quant, norm_quant_res, "):
            self.manifest.function("dequant")

    def test_packed_scales_pad_rows_to_four(self):
        # 7168 / 128 = 56 groups, packed four to a word: 14 words per row,
        # MN-major, the rows padded to a multiple of 4 (SPEC.md 3.3).
        quant = self.manifest.function("quant")
        for m in (0, 1, 3, 4, 5, 257, 4096):
            self.assertEqual(result_shapes(quant, [(m, 7168)]),
                             [(m, 7168), (14, roundup(m, 4))], m)
        self.assertEqual(result_shapes(quant, [(257, 7168)])[1], (14, 260))

    def test_divide_defaults_to_one(self):
        # Entries without "divide" (the residual's source is argument 2).
        f = self.manifest.function("norm_quant_res")
        self.assertEqual(f.results[1].dynamic_dims[1], DimSource(0, 0, 4, 1))
        self.assertEqual(result_shapes(f, [(6, 256), (256,), (6, 256)]),
                         [(6, 256), (2, 8), (6, 256)])
        self.assertEqual(result_shapes(f, [(5, 256), (256,), (7, 256)])[2],
                         (7, 256))

    def test_divide(self):
        f = self.manifest.function("block_rows")
        for m, rows in ((0, 0), (1, 1), (128, 1), (129, 2), (1000, 8)):
            self.assertEqual(result_shapes(f, [(m, 7168)]), [(rows, 56)])

    def test_ranks_zero_to_three(self):
        f = self.manifest.function("scalar_and_3d")
        self.assertEqual(f.arguments[0].shape, ())
        self.assertEqual(f.arguments[2].scales["kind"], "tensor")
        self.assertEqual(result_shapes(f, [(), (2, 9, 8), (1,)]),
                         [(2, 9, 8), (4,), (9,)])

    def test_no_results(self):
        f = self.manifest.function("no_results")
        self.assertEqual(result_shapes(f, [(4, 128)]), [])

    def test_symbolic_sizes(self):
        # Only +, // and * touch a size, so a torch.SymInt stays symbolic;
        # align 1 and divide 1 leave it as it is.
        quant = self.manifest.function("quant")
        m = Symbol("s0")
        q, s = result_shapes(quant, [(m, 7168)])
        self.assertIs(q[0], m)
        self.assertEqual(q[1], 7168)
        self.assertEqual(s[0], 14)
        self.assertEqual(s[1].text, "(((s0 + 3) // 4) * 4)")
        rows = result_shapes(self.manifest.function("block_rows"),
                             [(m, 7168)])[0][0]
        self.assertEqual(rows.text, "((s0 + 127) // 128)")

    def test_unsized_result(self):
        f = self.manifest.function("reshaped")
        self.assertIsNone(f.results[0].dynamic_dims[0])
        reason = ("the manifest does not say how dimension 0 of result #0 of "
                  "reshaped (shape [?, 256]) follows from the arguments")
        self.assertEqual(f.unsized, reason)
        with self.assertRaises(ValueError) as caught:
            result_shapes(f, [(2, 3, 256)])
        self.assertEqual(str(caught.exception),
                         "cannot size the results of reshaped: " + reason)

    def test_result_shapes_checks_ranks(self):
        quant = self.manifest.function("quant")
        with self.assertRaisesRegex(ValueError,
                                    "^quant takes 1 argument, got 2 shapes$"):
            result_shapes(quant, [(4, 7168), (4, 7168)])
        with self.assertRaisesRegex(
                ValueError, "^argument #0 of quant: rank is 1, expected 2 "
                "\\(shape \\[\\?, 7168\\]\\)$"):
            result_shapes(quant, [(7168,)])


class CheckArguments(unittest.TestCase):
    def setUp(self):
        self.manifest = Manifest.load(input_path("valid.manifest.json"))
        self.f = self.manifest.function("norm_quant_res")
        self.shapes = [(5, 256), (256,), (5, 256)]
        self.dtypes = ["bf16"] * 3

    def check(self, shapes=None, dtypes=None):
        check_arguments(self.f, shapes or self.shapes, dtypes or self.dtypes)

    def test_valid(self):
        self.check()
        # Dynamic dimensions take any size, 0 included.
        self.check(shapes=[(0, 256), (256,), (0, 256)])
        self.f.check_arguments(self.shapes, self.dtypes)

    def test_count(self):
        with self.assertRaisesRegex(
                ValueError, "^norm_quant_res takes 3 arguments, got 2$"):
            self.check(shapes=self.shapes[:2], dtypes=self.dtypes[:2])

    def test_element_type(self):
        with self.assertRaisesRegex(
                ValueError, "^argument #1 of norm_quant_res: element type is "
                "f16, expected bf16$"):
            self.check(dtypes=["bf16", "f16", "bf16"])
        # A name that is no element type is reported as given.
        with self.assertRaisesRegex(
                ValueError, "^argument #2 of norm_quant_res: element type is "
                "torch.float64, expected bf16$"):
            self.check(dtypes=["bf16", "bf16", "torch.float64"])

    def test_name_in_messages(self):
        # A loader names the function as its users call it.
        with self.assertRaisesRegex(
                ValueError, "^argument #1 of ns::norm_quant_res: element type "
                "is f32, expected bf16$"):
            check_arguments(self.f, self.shapes, ["bf16", "f32", "bf16"],
                            name="ns::norm_quant_res")
        with self.assertRaisesRegex(
                ValueError, "^ns::norm_quant_res takes 3 arguments, got 1$"):
            self.f.check_arguments([(5, 256)], ["bf16"],
                                   name="ns::norm_quant_res")

    def test_rank(self):
        with self.assertRaisesRegex(
                ValueError, "^argument #0 of norm_quant_res: rank is 3, "
                "expected 2 \\(shape \\[\\?, 256\\]\\)$"):
            self.check(shapes=[(1, 5, 256), (256,), (5, 256)])

    def test_static_dimension(self):
        with self.assertRaisesRegex(
                ValueError, "^argument #1 of norm_quant_res: dimension 0 is "
                "255, expected 256 \\(shape \\[256\\]\\)$"):
            self.check(shapes=[(5, 256), (255,), (5, 256)])
        with self.assertRaisesRegex(
                ValueError, "^argument #2 of norm_quant_res: dimension 1 is "
                "128, expected 256 \\(shape \\[\\?, 256\\]\\)$"):
            self.check(shapes=[(5, 256), (256,), (5, 128)])


class RefusedManifests(unittest.TestCase):
    """Every refusal is a ManifestError naming the file and the entry."""

    def assertRefused(self, name, message):
        path = input_path(name)
        with self.assertRaises(ManifestError) as caught:
            Manifest.load(path)
        self.assertEqual(str(caught.exception), path + ": " + message)

    def assertParseRefused(self, data, message):
        with self.assertRaises(ManifestError) as caught:
            Manifest.parse(json.dumps(data), source="m.json")
        self.assertEqual(str(caught.exception), "m.json: " + message)

    def test_format_version_1(self):
        self.assertRefused(
            "format-version-1.manifest.json",
            "manifest format_version 1 is not supported: this loader reads "
            "format_version 2 (format 1 does not give the sizes of dynamic "
            "result dimensions); rebuild the library with the vllm-compile "
            "of this checkout, or load it with the vllm_mlir package of the "
            "checkout that built it")

    def test_other_format_versions(self):
        data = valid_data()
        for version, shown in ((3, "3"), ("2", '"2"'), (None, "null")):
            data["format_version"] = version
            with self.assertRaisesRegex(
                    ManifestError, "^m.json: manifest format_version %s is "
                    "not supported: this loader reads format_version 2; "
                    % shown):
                Manifest.parse(json.dumps(data), source="m.json")
        del data["format_version"]
        self.assertParseRefused(data, "missing key 'format_version'")

    def test_unknown_element_type(self):
        self.assertRefused(
            "unknown-element-type.manifest.json",
            "functions[0] (quant): arguments[0]: element_type: unknown value "
            '"f64" (known: bf16, f16, f32, f8E4M3FN, i32)')

    def test_bad_abi(self):
        self.assertRefused(
            "bad-abi.manifest.json",
            "abi: 'stream' is \"cudaStream_t\", but this loader calls entry "
            "points with \"CUstream\"")

    def test_abi_keys(self):
        data = valid_data()
        del data["abi"]["memref_fields"]
        self.assertParseRefused(
            data, "abi: missing key 'memref_fields' (expected [\"allocated\", "
            "\"aligned\", \"offset\", \"sizes\", \"strides\"])")
        data = valid_data()
        data["abi"]["calling_convention"] = "fastcall"
        self.assertParseRefused(
            data, "abi: unknown key 'calling_convention': this loader calls "
            "the ABI " + json.dumps(ABI, sort_keys=True))
        data = valid_data()
        data["abi"]["parameters"] = ["arguments", "results", "stream"]
        self.assertParseRefused(
            data, "abi: 'parameters' is [\"arguments\", \"results\", "
            "\"stream\"], but this loader calls entry points with "
            "[\"stream\", \"arguments\", \"results\"]")

    def test_not_json(self):
        with self.assertRaisesRegex(ManifestError,
                                    "^m.json: not JSON: "):
            Manifest.parse("{", source="m.json")
        self.assertParseRefused([], "expected a JSON object, got an array")

    def test_tensor_entries(self):
        cases = [
            (("arguments", 0, "rank"), True,
             "arguments[0]: rank: expected an integer, got a boolean"),
            (("arguments", 0, "rank"), 3,
             "arguments[0]: shape [null, 7168] has 2 dimensions, rank is 3"),
            (("arguments", 0, "shape"), [-1, 7168],
             "arguments[0]: shape[0]: expected an integer >= 0, got -1"),
            (("arguments", 0, "shape"), [None, "7168"],
             'arguments[0]: shape[1]: expected an integer, got the string '
             '"7168"'),
            (("results", 1, "scales", "encoding"), "ue8m0",
             'results[1]: scales: encoding: unknown value "ue8m0" (known: '
             'f32, ue8m0_f32, ue8m0_packed)'),
            (("results", 1, "scales", "group_size"), 0,
             "results[1]: scales: group_size: expected an integer >= 1, "
             "got 0"),
        ]
        for path, value, message in cases:
            data = valid_data()
            entry = data["functions"][0]
            for key in path[:-1]:
                entry = entry[key]
            entry[path[-1]] = value
            self.assertParseRefused(data, "functions[0] (quant): " + message)

    def test_missing_keys(self):
        for key in ("name", "symbol", "arguments", "results"):
            data = valid_data()
            del data["functions"][1][key]
            where = "functions[1]" if key == "name" else \
                "functions[1] (norm_quant_res)"
            self.assertParseRefused(data, "%s: missing key '%s'"
                                    % (where, key))
        data = valid_data()
        del data["functions"][2]["results"][0]["scales"]["block"]
        self.assertParseRefused(
            data, "functions[2] (block_rows): results[0]: scales: missing "
            "key 'block'")

    def test_duplicate_function(self):
        data = valid_data()
        data["functions"].append(data["functions"][0])
        self.assertParseRefused(data, "functions[6]: function 'quant' is "
                                "listed twice")

    def test_dynamic_dims(self):
        def refused(change, message):
            data = valid_data()
            change(data["functions"][0]["results"][1])
            self.assertParseRefused(data, "functions[0] (quant): results[1]"
                                    + message)

        def entry(result):
            return result["dynamic_dims"][0]

        refused(lambda r: r.pop("dynamic_dims"),
                ": missing key 'dynamic_dims'")
        refused(lambda r: r.update(dynamic_dims=[]),
                ": dynamic_dims: no entry for dynamic dimension 1")
        refused(lambda r: entry(r).update(dim=0),
                ": dynamic_dims[0]: dimension 0 of shape [14, null] is not "
                "dynamic")
        refused(lambda r: r["dynamic_dims"].append(dict(entry(r))),
                ": dynamic_dims[1]: dimension 1 is described twice")
        refused(lambda r: entry(r).update(argument=1),
                ": dynamic_dims[0]: argument: argument 1 does not exist (the "
                "function has 1)")
        refused(lambda r: entry(r).update(argument_dim=2),
                ": dynamic_dims[0]: argument_dim: argument 0 has rank 2, no "
                "dimension 2")
        refused(lambda r: entry(r).update(align=0),
                ": dynamic_dims[0]: align: expected an integer >= 1, got 0")
        refused(lambda r: entry(r).pop("align"),
                ": dynamic_dims[0]: missing key 'align'")
        refused(lambda r: entry(r).update(divide=0),
                ": dynamic_dims[0]: divide: expected an integer >= 1, got 0")
        refused(lambda r: entry(r).pop("argument"),
                ": dynamic_dims[0]: 'argument_dim' without 'argument'")

    def test_unknown_keys_are_ignored(self):
        # New optional keys do not change format_version (README.md: it
        # changes whenever a loader would have to).
        data = valid_data()
        data["producer"] = "vllm-compile"
        data["functions"][0]["results"][0]["note"] = "q"
        manifest = Manifest.parse(json.dumps(data))
        self.assertEqual(len(manifest), 6)

    def test_groups(self):
        # The communicator groups of a function's collectives (SPEC.md
        # 3.10); none when the key is absent.
        data = valid_data()
        data["functions"][0]["groups"] = [0, 5]
        manifest = Manifest.parse(json.dumps(data))
        self.assertEqual(manifest.functions[0].groups, (0, 5))
        self.assertEqual(manifest.functions[1].groups, ())
        name = data["functions"][0]["name"]
        data["functions"][0]["groups"] = [-1]
        self.assertParseRefused(
            data, "functions[0] (%s): groups[0]: expected an integer >= 0, "
            "got -1" % name)
        data["functions"][0]["groups"] = 0
        self.assertParseRefused(
            data, "functions[0] (%s): groups: expected a JSON array, got the "
            "number 0"
            % name)


class Package(unittest.TestCase):
    def test_manifest_path(self):
        self.assertEqual(manifest_path("out/x.so"), "out/x.manifest.json")
        self.assertEqual(manifest_path("/o/m.sm_90a.fused.so"),
                         "/o/m.sm_90a.fused.manifest.json")
        self.assertIs(vllm_mlir.manifest_path, manifest_path)

    def test_import_without_torch(self):
        self.assertEqual(vllm_mlir.__version__, "0.1.0")
        self.assertIs(vllm_mlir.Manifest, Manifest)
        self.assertIs(vllm_mlir.ManifestError, ManifestError)
        self.assertTrue(issubclass(ManifestError, ValueError))
        with self.assertRaisesRegex(AttributeError, "no attribute 'lod'"):
            vllm_mlir.lod
        if importlib.util.find_spec("torch") is None:
            # The loader is imported on first use, and only then needs torch.
            with self.assertRaisesRegex(ImportError, "torch"):
                vllm_mlir.load
        self.assertEqual(sorted(vllm_mlir.__all__),
                         ["LoadedLibrary", "Manifest", "ManifestError",
                          "load", "manifest_path"])


if __name__ == "__main__":
    sys.exit(not unittest.main(exit=False, verbosity=1).result.wasSuccessful())
