#!/usr/bin/env python3
"""Tests the drop-ins for vLLM's ops (python/vllm_mlir/vllm_ops.py) on the
GPU machine, with a kernel set built by `python3 -m vllm_mlir.dropins`
(docs/pytorch.md, "Drop-ins for vLLM's ops").

For every hidden size and element type of the set and M in ROWS (1, 4, 5,
257: M % 4 != 0 pads MN-major scales; M = 4 is where MN-major with and
without TMA alignment coincide), every drop-in is called with vLLM's
signature, with the outputs vLLM passes in filled with a 0xA5 pattern, and
checked:

  exact     its outputs (the in-place input / residual included) have the
            bytes of the functional op of the same library
            (`lib.<function>(...)`) on the same inputs; scale tensors are
            compared as the logical [M, G] tensors vLLM reads (their
            strides as vLLM allocates them), and where the drop-in
            allocates MN-major storage, the padding rows too; inputs that
            are not outputs are left as they were;
  launches  where the profiler sees the library's kernels, the drop-in
            launches exactly what the functional op launches, plus the one
            copy documented for it (fused_add_rms_norm's input; MN-major
            scales in storage that ends before the padding rows): outputs
            are written in place, not copied;
  refused   each argument combination the kernel set does not serve raises
            NotImplementedError (vllm_mlir.dropins.Unsupported) before
            anything runs: no kernel (profiler), the outputs and the
            residual keep their bytes; aliasing the kernels do not allow
            (an output into an input) and bad result tensors raise
            ValueError from LoadedLibrary.call_into, also before any launch;
  graph     a torch.cuda.graph capture of fused_add_rms_norm (temporary +
            copy) and of per_token_group_fp8_quant (MN-major scales through
            a temporary) replays with new inputs to the eager bytes.

For information only (not pass/fail), it prints the share of the outputs
(FP8 codes for the quantizing ops, elements for the norms) equal to a torch
implementation of vLLM's semantics: y = RN(RN(x * r) * w) (two roundings,
r = rsqrt), with a residual the unrounded f32 sum normalized by vLLM's
dynamic per-token and per-block kernels and the rounded one by
fused_add_rms_norm and the static FP8 kernel (csrc/libtorch_stable/
quantization/fused_kernels/layernorm_utils.cuh, layernorm_quant_kernels.cu),
per-block scales floored at 1 / (448 * 512), per-token-group scales
max(amax, eps) / 448 rounded up to a power of two for UE8M0.

Prints one line per check and `N passed, M failed`; exits 1 when a check
failed. Without torch or a GPU it prints why and exits 0.

  python3 gpu-tests/python/test_vllm_dropins.py --lib-dir DIR

DIR holds libvllm_runtime.so and vllm_dropins.so with its manifest and
vllm_dropins.dropins.json, e.g. for H in {2048, 7168}:

  PYTHONPATH=python python3 -m vllm_mlir.dropins --hidden 2048,7168 \\
      --chip sm_90a -o DIR
"""

import argparse
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                os.pardir, os.pardir, "python"))

import vllm_mlir  # noqa: E402  (after the path to the package)
from checks import Checks, import_torch_on_gpu  # noqa: E402  (this folder is on the path)
from vllm_mlir import dropins  # noqa: E402

ROWS = (1, 4, 5, 257)
INFO_ROWS = 257
PATTERN = 0xA5
MIN_SCALE = 1.0 / (448.0 * 512.0)


def roundup(value, align):
    return (value + align - 1) // align * align


class Suite:
    def __init__(self, torch, lib, ops, seed):
        self.torch = torch
        self.lib = lib
        self.ops = ops
        self.eps = ops.epsilon
        self.generator = torch.Generator(device="cuda")
        self.generator.manual_seed(seed)
        self.count = None          # set by calibrate()
        self.count_note = ""
        self.dtypes = {"bf16": torch.bfloat16, "f16": torch.float16,
                       "f32": torch.float32}
        self.info = []

    # -- data -------------------------------------------------------------

    def randn(self, shape, dtype, scale=1.0):
        torch = self.torch
        return (torch.randn(shape, device="cuda", generator=self.generator)
                * scale).to(dtype)

    def norm_inputs(self, hidden, rows, dtype):
        """x, residual, w (values of a few units; w around 1)."""
        dtype = self.dtypes[dtype]
        x = self.randn((rows, hidden), dtype, 2.0)
        residual = self.randn((rows, hidden), dtype, 2.0)
        w = (1.0 + self.randn((hidden,), self.torch.float32, 0.2)).to(dtype)
        return x, residual, w

    def filled(self, shape, dtype, strides=None):
        torch = self.torch
        if strides is None:
            t = torch.empty(shape, dtype=dtype, device="cuda")
        else:
            t = torch.empty_strided(shape, strides, dtype=dtype,
                                    device="cuda")
        count = t.untyped_storage().nbytes() // t.element_size()
        flat = torch.as_strided(t, (count,), (1,), 0)
        flat.view(torch.uint8).fill_(PATTERN)
        return t

    def static_scale(self):
        return self.torch.tensor([0.02], dtype=self.torch.float32,
                                 device="cuda")

    # -- comparisons --------------------------------------------------------

    def raw(self, t):
        torch = self.torch
        return t.contiguous().reshape(-1).view(torch.uint8)

    def same(self, what, got, expected):
        torch = self.torch
        assert tuple(got.shape) == tuple(expected.shape), (
            "%s: shape %s, expected %s" % (what, tuple(got.shape),
                                           tuple(expected.shape)))
        assert got.dtype == expected.dtype, "%s: dtype %s, expected %s" % (
            what, got.dtype, expected.dtype)
        a, b = self.raw(got), self.raw(expected)
        if not torch.equal(a, b):
            differ = (a != b).nonzero()
            raise AssertionError("%s differs in %d of %d bytes, first at "
                                 "byte %d" % (what, differ.numel(), a.numel(),
                                              differ[0].item()))

    def results(self, name, *args):
        out = self.lib.ops[name](*args)
        return [out] if isinstance(out, self.torch.Tensor) else list(out)

    def logical_scales(self, scales, layout, rows):
        """The [M, G] tensor vLLM reads from a function result of
        `layout`."""
        if layout == "rm":
            return scales
        return scales[:, :rows].t()

    # -- kernel counting ----------------------------------------------------

    def calibrate(self, hidden, dtype):
        """Decides whether the profiler sees the library's kernels."""
        torch = self.torch
        from torch.profiler import ProfilerActivity, profile  # noqa: PLC0415

        def count(call):
            with profile(activities=[ProfilerActivity.CUDA]) as prof:
                call()
                torch.cuda.synchronize()
            return sum(1 for e in prof.events()
                       if e.device_type == torch.autograd.DeviceType.CUDA)

        x, _, w = self.norm_inputs(hidden, 5, dtype)
        name = dropins.function_name("rms_norm", hidden, dtype)
        try:
            seen = count(lambda: self.results(name, x, w))
        except Exception as e:  # noqa: BLE001
            self.count_note = "profiler failed: %s" % e
            return
        if seen:
            self.count = count
            self.count_note = "launches counted by the profiler"
        else:
            self.count_note = "the profiler saw no kernel of a valid call"

    def launches(self, what, dropin_call, reference_call, extra):
        """The drop-in launches what the functional op launches, plus
        `extra`. Returns a note."""
        if self.count is None:
            return "launches not counted"
        self.torch.cuda.synchronize()
        got = self.count(dropin_call)
        expected = self.count(reference_call) + extra
        assert got == expected, "%s: %d launches, expected %d (the " \
            "functional op's + %d)" % (what, got, expected, extra)
        return "%d launches" % got

    # -- the drop-ins -------------------------------------------------------

    def rms_norm(self, hidden, rows, dtype):
        x, _, w = self.norm_inputs(hidden, rows, dtype)
        x0 = x.clone()
        out = self.filled(x.shape, x.dtype)
        self.ops.rms_norm(out, x, w, self.eps)
        name = dropins.function_name("rms_norm", hidden, dtype)
        (y,) = self.results(name, x, w)
        self.same("out", out, y)
        self.same("input (unchanged)", x, x0)
        return self.launches("rms_norm",
                             lambda: self.ops.rms_norm(out, x, w, self.eps),
                             lambda: self.results(name, x, w), 0)

    def fused_add_rms_norm(self, hidden, rows, dtype):
        x, r, w = self.norm_inputs(hidden, rows, dtype)
        name = dropins.function_name("fused_add_rms_norm", hidden, dtype)
        y, ro = self.results(name, x.clone(), r.clone(), w)
        self.ops.fused_add_rms_norm(x, r, w, self.eps)
        self.same("input (normalized, in place)", x, y)
        self.same("residual (sum, in place)", r, ro)
        # Documented: y goes through a temporary, one copy into input.
        return self.launches(
            "fused_add_rms_norm",
            lambda: self.ops.fused_add_rms_norm(x, r, w, self.eps),
            lambda: self.results(name, x, r, w), 1)

    def static_fp8(self, hidden, rows, dtype):
        torch = self.torch
        x, _, w = self.norm_inputs(hidden, rows, dtype)
        name = dropins.function_name("rms_norm_static_fp8", hidden, dtype)
        notes = []
        for scale in (self.static_scale(),
                      torch.tensor(0.02, device="cuda")):   # [1] and 0-d
            result = self.filled(x.shape, torch.float8_e4m3fn)
            self.ops.rms_norm_static_fp8_quant(result, x, w, scale, self.eps)
            (q,) = self.results(name, x, w, scale.reshape(1))
            self.same("result (scale of shape %s)" % (tuple(scale.shape),),
                      result, q)
        notes.append(self.launches(
            "rms_norm_static_fp8_quant",
            lambda: self.ops.rms_norm_static_fp8_quant(result, x, w, scale,
                                                       self.eps),
            lambda: self.results(name, x, w, scale.reshape(1)), 0))
        return "; ".join(notes)

    def fused_add_static_fp8(self, hidden, rows, dtype):
        torch = self.torch
        x, r, w = self.norm_inputs(hidden, rows, dtype)
        x0 = x.clone()
        s = self.static_scale()
        name = dropins.function_name("fused_add_rms_norm_static_fp8", hidden,
                                     dtype)
        q, ro = self.results(name, x, r.clone(), w, s)
        result = self.filled(x.shape, torch.float8_e4m3fn)
        self.ops.fused_add_rms_norm_static_fp8_quant(result, x, r, w, s,
                                                     self.eps)
        self.same("result", result, q)
        self.same("residual (in place)", r, ro)
        self.same("input (unchanged)", x, x0)
        return self.launches(
            "fused_add_rms_norm_static_fp8_quant",
            lambda: self.ops.fused_add_rms_norm_static_fp8_quant(
                result, x, r, w, s, self.eps),
            lambda: self.results(name, x, r, w, s), 0)

    def dynamic_per_token(self, hidden, rows, dtype, residual):
        torch = self.torch
        x, r, w = self.norm_inputs(hidden, rows, dtype)
        x0 = x.clone()
        kind = "fused_add_rms_norm_dpt_fp8" if residual else \
            "rms_norm_dpt_fp8"
        name = dropins.function_name(kind, hidden, dtype)
        args = [x, r.clone(), w] if residual else [x, w]
        expected = self.results(name, *args)
        out, scales = self.ops.rms_norm_dynamic_per_token_quant(
            x, w, self.eps, torch.float8_e4m3fn, None,
            r if residual else None)
        assert tuple(scales.shape) == (rows, 1), tuple(scales.shape)
        self.same("output", out, expected[0])
        self.same("scales", scales.reshape(-1), expected[1])
        if residual:
            self.same("residual (in place)", r, expected[2])
        self.same("input (unchanged)", x, x0)
        # The C++ op with caller-allocated outputs.
        result = self.filled(x.shape, torch.float8_e4m3fn)
        scale = self.filled((rows, 1), torch.float32)
        r2 = expected[2].clone() if residual else None
        args = [x, expected[2].clone(), w] if residual else [x, w]
        again = self.results(name, *args)
        self.ops.C.rms_norm_dynamic_per_token_quant(result, x, w, scale,
                                                    self.eps, None, r2)
        self.same("C op result", result, again[0])
        self.same("C op scale", scale.reshape(-1), again[1])
        if residual:
            self.same("C op residual", r2, again[2])
        return self.launches(
            "rms_norm_dynamic_per_token_quant",
            lambda: self.ops.C.rms_norm_dynamic_per_token_quant(
                result, x, w, scale, self.eps, None, r2),
            lambda: self.results(name, *args), 0)

    def per_block(self, hidden, rows, dtype, residual, transposed, tma):
        torch = self.torch
        x, r, w = self.norm_inputs(hidden, rows, dtype)
        x0 = x.clone()
        groups = hidden // 128
        layout = "rm" if not transposed else ("mn4" if tma else "mn1")
        kind = ("fused_add_rms_norm_g128_fp8_" if residual else
                "rms_norm_g128_fp8_") + layout
        name = dropins.function_name(kind, hidden, dtype)
        args = [x, r.clone(), w] if residual else [x, w]
        expected = self.results(name, *args)
        out, scales = self.ops.rms_norm_per_block_quant(
            x, w, self.eps, torch.float8_e4m3fn, [1, 128], None,
            r if residual else None, transposed, tma)
        padded = roundup(rows, tma or 1)
        want_strides = (groups, 1) if layout == "rm" else (1, padded)
        assert tuple(scales.shape) == (rows, groups) and \
            (rows <= 1 or tuple(scales.stride()) == want_strides), (
                "scales: shape %s strides %s, vLLM's are %s %s" % (
                    tuple(scales.shape), scales.stride(), (rows, groups),
                    want_strides))
        self.same("output", out, expected[0])
        self.same("scales", scales,
                  self.logical_scales(expected[1], layout, rows))
        if layout != "rm":
            storage = torch.as_strided(scales, (groups, padded), (padded, 1),
                                       scales.storage_offset())
            self.same("scale storage (padding rows included)", storage,
                      expected[1])
        if residual:
            self.same("residual (in place)", r, expected[2])
        self.same("input (unchanged)", x, x0)
        # The C++ op with scales allocated the way vLLM does (for MN-major
        # TMA-aligned, empty_strided: no padding rows in the storage when
        # M % 4 != 0, so the drop-in goes through a temporary).
        result = self.filled(x.shape, torch.float8_e4m3fn)
        if layout == "rm":
            scale = self.filled((rows, groups), torch.float32)
        elif layout == "mn1":
            scale = self.filled((groups, rows), torch.float32).t()
        else:
            scale = self.filled((rows, groups), torch.float32,
                                (1, padded))
        short = layout == "mn4" and rows % 4 != 0
        r2 = expected[2].clone() if residual else None
        args = [x, expected[2].clone(), w] if residual else [x, w]
        again = self.results(name, *args)
        self.ops.C.rms_norm_per_block_quant(result, x, w, scale, self.eps,
                                            None, r2, 128, transposed)
        self.same("C op result", result, again[0])
        self.same("C op scale", scale,
                  self.logical_scales(again[1], layout, rows))
        if residual:
            self.same("C op residual", r2, again[2])
        return self.launches(
            "rms_norm_per_block_quant",
            lambda: self.ops.C.rms_norm_per_block_quant(
                result, x, w, scale, self.eps, None, r2, 128, transposed),
            lambda: self.results(name, *args), 1 if short else 0)

    def group_quant(self, hidden, rows, dtype, ue8m0, layout):
        torch = self.torch
        x = self.randn((rows, hidden), self.dtypes[dtype], 2.0)
        x0 = x.clone()
        groups = hidden // 128
        padded = roundup(rows, 4)
        kind = "group_fp8_%s_%s" % ("ue8" if ue8m0 else "f32", layout)
        name = dropins.function_name(kind, hidden, dtype)
        q, s = self.results(name, x)
        # vLLM's allocations: fp8_utils.per_token_group_quant_fp8.
        output_q = self.filled(x.shape, torch.float8_e4m3fn)
        if layout == "rm":
            output_s = self.filled((rows, groups), torch.float32)
        elif layout == "mn1":
            output_s = self.filled((groups, rows), torch.float32).t()
        else:
            output_s = self.filled((rows, groups), torch.float32,
                                   (1, padded))
        transposed, tma = layout != "rm", layout == "mn4"

        def call():
            self.ops.per_token_group_fp8_quant(
                x, output_q, output_s, 128, 1e-10, -448.0, 448.0, ue8m0,
                transposed, tma)

        call()
        self.same("output_q", output_q, q)
        self.same("output_s", output_s, self.logical_scales(s, layout, rows))
        self.same("input (unchanged)", x, x0)
        # fp8_utils.per_token_group_quant_fp8, storage with padding rows.
        x_q, x_s = self.ops.per_token_group_quant_fp8(
            x, 128, column_major_scales=transposed, tma_aligned_scales=tma,
            use_ue8m0=ue8m0)
        self.same("per_token_group_quant_fp8 x_q", x_q, q)
        self.same("per_token_group_quant_fp8 x_s", x_s,
                  self.logical_scales(s, layout, rows))
        short = layout == "mn4" and rows % 4 != 0
        return self.launches("per_token_group_fp8_quant", call,
                             lambda: self.results(name, x),
                             1 if short else 0)

    def packed(self, hidden, rows, dtype):
        torch = self.torch
        x = self.randn((rows, hidden), self.dtypes[dtype], 2.0)
        groups = hidden // 128
        words = (groups + 3) // 4
        padded = roundup(rows, 4)
        name = dropins.function_name("group_fp8_ue8pk", hidden, dtype)
        q, s = self.results(name, x)
        output_q = self.filled(x.shape, torch.float8_e4m3fn)
        # What per_token_group_quant_fp8_packed_for_deepgemm allocates.
        output_s = self.filled((rows, words), torch.int32, (1, padded))

        def call():
            self.ops.per_token_group_fp8_quant_packed(
                x, output_q, output_s, 128, 1e-10, -448.0, 448.0)

        call()
        self.same("output_q", output_q, q)
        self.same("output_s_packed", output_s, s[:, :rows].t())
        x_q, x_s = self.ops.per_token_group_quant_fp8_packed_for_deepgemm(
            x, 128, use_ue8m0=True)
        self.same("packed_for_deepgemm x_q", x_q, q)
        assert tuple(x_s.shape) == (rows, words) and \
            (rows <= 1 or tuple(x_s.stride()) == (1, padded)), (
                tuple(x_s.shape), x_s.stride())
        storage = torch.as_strided(x_s, (words, padded), (padded, 1),
                                   x_s.storage_offset())
        self.same("packed_for_deepgemm storage (padding included)", storage,
                  s)
        short = rows % 4 != 0
        return self.launches("per_token_group_fp8_quant_packed", call,
                             lambda: self.results(name, x),
                             1 if short else 0)

    # -- refusals -------------------------------------------------------------

    def refusals(self, hidden, dtype):
        """(description, call, tensors that must keep their bytes) for
        each combination the kernel set does not serve."""
        torch = self.torch
        rows = 5
        x, r, w = self.norm_inputs(hidden, rows, dtype)
        T = self.dtypes[dtype]
        fp8 = torch.float8_e4m3fn
        groups = hidden // 128
        out = self.filled(x.shape, T)
        q = self.filled(x.shape, fp8)
        s_rm = self.filled((rows, groups), torch.float32)
        s_mn1 = self.filled((groups, rows), torch.float32).t()
        s_tok = self.filled((rows, 1), torch.float32)
        s_pk = self.filled((rows, (groups + 3) // 4), torch.int32,
                           (1, roundup(rows, 4)))
        scale = self.static_scale()
        ops, C, eps = self.ops, self.ops.C, self.eps
        # Every tensor is made here: a call that is refused runs nothing,
        # and the profiler counts the kernels of the call alone.
        wide = self.randn((rows, 2 * hidden), T)
        strided = wide[:, :hidden]             # vLLM's kernels take this
        missing = max(self.ops.hidden_sizes("rms_norm", dtype)) + 128
        xm, _, wm = self.norm_inputs(missing, rows, dtype)
        out_m = self.filled(xm.shape, T)
        other = "f16" if dtype != "f16" else "bf16"
        xo, wo = x.to(self.dtypes[other]), w.to(self.dtypes[other])
        out_o = self.filled(xo.shape, xo.dtype)
        have_other = bool(self.ops.hidden_sizes("rms_norm", other))
        q_int8 = self.filled(x.shape, torch.int8)
        two = torch.ones(2, device="cuda")
        ub = torch.ones(1, device="cuda")
        pk_rm = self.filled((rows, (groups + 3) // 4), torch.int32)
        x3 = x.view(1, rows, hidden)
        keep = [x, r, out, q, s_rm, s_mn1, s_tok, s_pk, out_m, out_o, q_int8,
                pk_rm]
        cases = [
            ("rms_norm epsilon 1e-5",
             lambda: ops.rms_norm(out, x, w, 1e-5)),
            ("rms_norm H=%d not compiled" % missing,
             lambda: ops.rms_norm(out_m, xm, wm, eps)),
            ("rms_norm weight=None", lambda: ops.rms_norm(out, x, None, eps)),
            ("rms_norm strided input",
             lambda: ops.rms_norm(out, strided, w, eps)),
            ("fused_add_rms_norm epsilon 1e-5",
             lambda: ops.fused_add_rms_norm(x, r, w, 1e-5)),
            ("fused_add_rms_norm strided input",
             lambda: ops.fused_add_rms_norm(strided, r, w, eps)),
            ("rms_norm_static_fp8_quant int8 result",
             lambda: ops.rms_norm_static_fp8_quant(q_int8, x, w, scale,
                                                   eps)),
            ("rms_norm_static_fp8_quant 2 scales",
             lambda: ops.rms_norm_static_fp8_quant(q, x, w, two, eps)),
            ("fused_add_rms_norm_static_fp8_quant epsilon 1e-5",
             lambda: ops.fused_add_rms_norm_static_fp8_quant(
                 q, x, r, w, scale, 1e-5)),
            ("rms_norm_dynamic_per_token_quant scale_ub",
             lambda: ops.rms_norm_dynamic_per_token_quant(
                 x, w, eps, fp8, ub, r)),
            ("rms_norm_dynamic_per_token_quant int8",
             lambda: ops.rms_norm_dynamic_per_token_quant(
                 x, w, eps, torch.int8)),
            ("C rms_norm_dynamic_per_token_quant scale_ub",
             lambda: C.rms_norm_dynamic_per_token_quant(
                 q, x, w, s_tok, eps, ub, r)),
            ("rms_norm_per_block_quant group 64",
             lambda: ops.rms_norm_per_block_quant(
                 x, w, eps, fp8, [1, 64], None, r)),
            ("rms_norm_per_block_quant scale_ub",
             lambda: ops.rms_norm_per_block_quant(
                 x, w, eps, fp8, [1, 128], ub)),
            ("rms_norm_per_block_quant transposed 3-D",
             lambda: ops.rms_norm_per_block_quant(
                 x3, w, eps, fp8, [1, 128], None, None, True)),
            ("C rms_norm_per_block_quant transposed flag, row-major scale",
             lambda: C.rms_norm_per_block_quant(
                 q, x, w, s_rm, eps, None, r, 128, True)),
            ("per_token_group_fp8_quant group 64",
             lambda: ops.per_token_group_fp8_quant(
                 x, q, s_rm, 64, 1e-10, -448.0, 448.0, False, False, False)),
            ("per_token_group_fp8_quant eps 1e-6",
             lambda: ops.per_token_group_fp8_quant(
                 x, q, s_rm, 128, 1e-6, -448.0, 448.0, False, False, False)),
            ("per_token_group_fp8_quant range +-224",
             lambda: ops.per_token_group_fp8_quant(
                 x, q, s_rm, 128, 1e-10, -224.0, 224.0, False, False, False)),
            ("per_token_group_fp8_quant column-major flag, row-major s",
             lambda: ops.per_token_group_fp8_quant(
                 x, q, s_rm, 128, 1e-10, -448.0, 448.0, True, True, False)),
            ("per_token_group_fp8_quant TMA flag, unaligned s",
             lambda: ops.per_token_group_fp8_quant(
                 x, q, s_mn1, 128, 1e-10, -448.0, 448.0, False, True, True)),
            ("per_token_group_quant_fp8 use_ue8m0=None",
             lambda: ops.per_token_group_quant_fp8(x, 128)),
            ("per_token_group_fp8_quant_packed fp8_max 240",
             lambda: ops.per_token_group_fp8_quant_packed(
                 x, q, s_pk, 128, 1e-10, -240.0, 240.0)),
            ("per_token_group_fp8_quant_packed row-major words",
             lambda: ops.per_token_group_fp8_quant_packed(
                 x, q, pk_rm, 128, 1e-10, -448.0, 448.0)),
            ("per_token_group_quant_fp8_packed_for_deepgemm ue8m0 False",
             lambda: ops.per_token_group_quant_fp8_packed_for_deepgemm(
                 x, 128, use_ue8m0=False)),
        ]
        if not have_other:
            cases.append(("rms_norm %s input not compiled" % other,
                          lambda: ops.rms_norm(out_o, xo, wo, eps)))
        return cases, keep

    def refused(self, description, call, keep):
        torch = self.torch
        torch.cuda.synchronize()
        before = [self.raw(t).clone() for t in keep]

        def attempt():
            try:
                call()
            except NotImplementedError as e:
                return e
            return None

        kernels = 0
        if self.count is not None:
            holder = []
            kernels = self.count(lambda: holder.append(attempt()))
            error = holder[0]
        else:
            error = attempt()
            torch.cuda.synchronize()
        assert error is not None, "no NotImplementedError"
        assert isinstance(error, dropins.Unsupported), type(error)
        assert not kernels, "%d kernels launched before refusing" % kernels
        for i, (t, b) in enumerate(zip(keep, before)):
            assert torch.equal(self.raw(t), b), "tensor #%d changed" % i
        return str(error)

    def value_errors(self, hidden, dtype):
        """Aliasing the kernels do not allow and bad result tensors: a
        ValueError from call_into, nothing launched or written."""
        torch = self.torch
        rows = 5
        x, r, w = self.norm_inputs(hidden, rows, dtype)
        x0, r0 = x.clone(), r.clone()
        lib = self.lib
        name = dropins.function_name("fused_add_rms_norm", hidden, dtype)
        y = self.filled(x.shape, x.dtype)
        # A residual and a residual_out that overlap without being the
        # same buffer (one row apart).
        both = torch.empty(((rows + 1) * hidden,), dtype=x.dtype,
                           device="cuda")
        shifted_in = both[:rows * hidden].view(rows, hidden)
        shifted_out = both[hidden:].view(rows, hidden)
        cases = [
            ("rms_norm out is input",
             lambda: self.ops.rms_norm(x, x, w, self.eps), "shares memory"),
            ("fused_add_rms_norm residual of another shape",
             lambda: self.ops.fused_add_rms_norm(x, r[:4], w, self.eps),
             "must be equal"),
            ("call_into y into x (C15)",
             lambda: lib.call_into(name, [x, r, w], [x, r], {1: 1}),
             "result #0 of %s::%s shares memory with argument #0"
             % (lib.namespace, name)),
            ("call_into residual_out into residual undeclared",
             lambda: lib.call_into(name, [x, r, w], [y, r]),
             "result #1 of %s::%s shares memory with argument #1"
             % (lib.namespace, name)),
            ("call_into residual_out overlapping residual",
             lambda: lib.call_into(name, [x, shifted_in, w],
                                   [y, shifted_out], {1: 1}),
             "result #1 of %s::%s overlaps argument #1 without being the "
             "same buffer" % (lib.namespace, name)),
            ("call_into result of another shape",
             lambda: lib.call_into(name, [x, r, w],
                                   [y[:4], self.filled(x.shape, x.dtype)]),
             "result #0 of %s::%s: shape is (4, %d), expected (5, %d)"
             % (lib.namespace, name, hidden, hidden)),
            ("call_into results sharing memory",
             lambda: lib.call_into(name, [x, r, w], [y, y]),
             "result #1 of %s::%s shares memory with result #0"
             % (lib.namespace, name)),
            ("call_into non-contiguous result",
             lambda: lib.call_into(name, [x, r, w], [
                 self.filled((rows, 2 * hidden), x.dtype)[:, ::2],
                 self.filled(x.shape, x.dtype)]),
             "result #0 of %s::%s is not contiguous"
             % (lib.namespace, name)),
            ("call_into CPU result",
             lambda: lib.call_into(name, [x, r, w], [y.cpu(), r]),
             "is on cpu"),
        ]
        problems = []
        for description, call, expected in cases:
            torch.cuda.synchronize()
            y_before = self.raw(y).clone()
            try:
                call()
                problems.append("%s: no error" % description)
                continue
            except ValueError as e:
                if expected and expected not in str(e):
                    problems.append("%s: message %r lacks %r"
                                    % (description, str(e), expected))
            torch.cuda.synchronize()
            if not (torch.equal(x, x0) and torch.equal(r, r0) and
                    torch.equal(self.raw(y), y_before)):
                problems.append("%s: a tensor changed" % description)
        # The same buffers, declared: residual updated in place.
        expected_y, expected_ro = self.results(name, x, r.clone(), w)
        lib.call_into(name, [x, r, w], [y, r], inplace={1: 1})
        self.same("call_into in place: y", y, expected_y)
        self.same("call_into in place: residual", r, expected_ro)
        assert not problems, "; ".join(problems)
        return "%d refusals" % len(cases)

    # -- CUDA graphs -----------------------------------------------------------

    def graph(self, hidden, dtype):
        torch = self.torch
        rows = 5
        x, r, w = self.norm_inputs(hidden, rows, dtype)
        groups = hidden // 128
        xq = self.randn((rows, hidden), self.dtypes[dtype], 2.0)
        q = self.filled((rows, hidden), torch.float8_e4m3fn)
        s = self.filled((rows, groups), torch.float32, (1, roundup(rows, 4)))

        def step():
            self.ops.fused_add_rms_norm(x, r, w, self.eps)
            self.ops.per_token_group_fp8_quant(
                xq, q, s, 128, 1e-10, -448.0, 448.0, True, True, True)

        side = torch.cuda.Stream()
        side.wait_stream(torch.cuda.current_stream())
        with torch.cuda.stream(side):
            step()                                  # warm-up
        torch.cuda.current_stream().wait_stream(side)
        graph = torch.cuda.CUDAGraph()
        with torch.cuda.graph(graph):
            step()
        for _ in range(2):
            fx, fr, _ = self.norm_inputs(hidden, rows, dtype)
            fq = self.randn((rows, hidden), self.dtypes[dtype], 2.0)
            ey, ero = self.results(dropins.function_name(
                "fused_add_rms_norm", hidden, dtype), fx, fr, w)
            eq, es = self.results(dropins.function_name(
                "group_fp8_ue8_mn4", hidden, dtype), fq)
            x.copy_(fx)
            r.copy_(fr)
            xq.copy_(fq)
            graph.replay()
            torch.cuda.synchronize()
            self.same("replay: input", x, ey)
            self.same("replay: residual", r, ero)
            self.same("replay: output_q", q, eq)
            self.same("replay: output_s", s, es[:, :rows].t())

    # -- vLLM's semantics, for information --------------------------------------

    def vllm_norm(self, x, w, residual=None, unrounded=False):
        """vLLM's y (two roundings) and residual_out."""
        torch = self.torch
        xf = x.float()
        residual_out = None
        if residual is not None:
            z = xf + residual.float()
            residual_out = z.to(x.dtype)
            xf = z if unrounded else residual_out.float()
        r = torch.rsqrt(xf.pow(2).mean(-1, keepdim=True) + self.eps)
        y = (xf * r).to(x.dtype) * w
        return y, residual_out

    def quantize_ref(self, y, scheme, ue8m0=False, static=None):
        torch = self.torch
        yf = y.float()

        def over_448(value):
            # vLLM's kernels divide (div.rn); torch would multiply by the
            # reciprocal of a Python number on CUDA, so divide by a tensor.
            return value / torch.full_like(value, 448.0)

        if scheme == "static":
            q = yf * (1.0 / static)
        elif scheme == "token":
            s = torch.clamp(over_448(yf.abs().amax(-1, keepdim=True)),
                            min=MIN_SCALE)
            q = yf / s
        else:
            g = yf.view(yf.shape[0], -1, 128)
            amax = g.abs().amax(-1, keepdim=True)
            if scheme == "block":
                s = torch.clamp(over_448(amax), min=MIN_SCALE)
            else:
                s = over_448(torch.clamp(amax, min=1e-10))
                if ue8m0:
                    s = torch.exp2(torch.ceil(torch.log2(s)))
            q = (g / s).view_as(yf)
        return q.clamp(-448.0, 448.0).to(torch.float8_e4m3fn)

    def share(self, got, expected):
        torch = self.torch
        a, b = self.raw(got), self.raw(expected)
        if got.element_size() > 1:
            a = got.contiguous().reshape(-1)
            b = expected.contiguous().reshape(-1)
            a = a.view(torch.int16 if got.element_size() == 2 else
                       torch.int32)
            b = b.view(a.dtype)
        return 100.0 * (a == b).float().mean().item()

    def vllm_semantics(self, hidden, dtype):
        torch = self.torch
        rows = INFO_ROWS
        x, r, w = self.norm_inputs(hidden, rows, dtype)
        fp8 = torch.float8_e4m3fn
        lines = []

        def note(what, got, expected):
            lines.append("%s %.3f%%" % (what, self.share(got, expected)))

        out = torch.empty_like(x)
        self.ops.rms_norm(out, x, w, self.eps)
        note("rms_norm y", out, self.vllm_norm(x, w)[0])
        xi, ri = x.clone(), r.clone()
        self.ops.fused_add_rms_norm(xi, ri, w, self.eps)
        y_ref, _ = self.vllm_norm(x, w, r)
        note("fused_add_rms_norm y", xi, y_ref)
        s = self.static_scale()
        q = torch.empty(x.shape, dtype=fp8, device="cuda")
        self.ops.rms_norm_static_fp8_quant(q, x, w, s, self.eps)
        note("rms_norm_static_fp8_quant", q, self.quantize_ref(
            self.vllm_norm(x, w)[0], "static", static=s))
        ri = r.clone()
        self.ops.fused_add_rms_norm_static_fp8_quant(q, x, ri, w, s, self.eps)
        note("fused_add_rms_norm_static_fp8_quant", q, self.quantize_ref(
            self.vllm_norm(x, w, r)[0], "static", static=s))
        out, _ = self.ops.rms_norm_dynamic_per_token_quant(x, w, self.eps,
                                                           fp8)
        note("rms_norm_dynamic_per_token_quant", out, self.quantize_ref(
            self.vllm_norm(x, w)[0], "token"))
        ri = r.clone()
        out, _ = self.ops.rms_norm_dynamic_per_token_quant(x, w, self.eps,
                                                           fp8, None, ri)
        note("  with residual", out, self.quantize_ref(
            self.vllm_norm(x, w, r, unrounded=True)[0], "token"))
        out, _ = self.ops.rms_norm_per_block_quant(x, w, self.eps, fp8,
                                                   [1, 128])
        note("rms_norm_per_block_quant", out, self.quantize_ref(
            self.vllm_norm(x, w)[0], "block"))
        ri = r.clone()
        out, _ = self.ops.rms_norm_per_block_quant(x, w, self.eps, fp8,
                                                   [1, 128], None, ri)
        note("  with residual", out, self.quantize_ref(
            self.vllm_norm(x, w, r, unrounded=True)[0], "block"))
        for ue8m0 in (False, True):
            xq, _ = self.ops.per_token_group_quant_fp8(x, 128,
                                                       use_ue8m0=ue8m0)
            note("per_token_group_fp8_quant%s" % (" ue8m0" if ue8m0 else ""),
                 xq, self.quantize_ref(x, "group", ue8m0=ue8m0))
        xq, _ = self.ops.per_token_group_quant_fp8_packed_for_deepgemm(
            x, 128, use_ue8m0=True)
        note("per_token_group_fp8_quant_packed", xq,
             self.quantize_ref(x, "group", ue8m0=True))
        return lines


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lib-dir", required=True,
                        help="folder with libvllm_runtime.so and the library")
    parser.add_argument("--library", default=dropins.LIBRARY_STEM + ".so",
                        help="the library's file name in --lib-dir")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    torch = import_torch_on_gpu(args.seed)
    if torch is None:
        return 0
    from vllm_mlir.vllm_ops import DropIns  # noqa: PLC0415  (torch)

    checks = Checks()
    path = os.path.abspath(os.path.join(args.lib_dir, args.library))
    loaded = []

    def load():
        lib = vllm_mlir.load(path)
        loaded.append((lib, DropIns(lib)))
        return repr(loaded[0][1])

    checks.run("load", load)
    if not loaded:
        return checks.finish()
    lib, ops = loaded[0]
    suite = Suite(torch, lib, ops, args.seed)
    dtypes = (ops.config or {}).get("dtypes", ["bf16"])
    sets = [(h, d) for d in dtypes for h in ops.hidden_sizes("rms_norm", d)]
    print("kernel set: epsilon %r, %s" % (ops.epsilon, ", ".join(
        "H=%d %s" % s for s in sets)))
    suite.calibrate(*sets[0])
    print("launches: " + suite.count_note)
    for hidden, dtype in sets:
        at = "H=%d %s" % (hidden, dtype)
        grouped = hidden % 128 == 0
        for m in ROWS:
            where = "%s M=%d" % (at, m)
            checks.run("rms_norm " + where, suite.rms_norm, hidden, m, dtype)
            checks.run("fused_add_rms_norm " + where,
                       suite.fused_add_rms_norm, hidden, m, dtype)
            checks.run("rms_norm_static_fp8_quant " + where,
                       suite.static_fp8, hidden, m, dtype)
            checks.run("fused_add_rms_norm_static_fp8_quant " + where,
                       suite.fused_add_static_fp8, hidden, m, dtype)
            for residual in (False, True):
                tag = " residual" if residual else ""
                checks.run("rms_norm_dynamic_per_token_quant%s %s"
                           % (tag, where), suite.dynamic_per_token, hidden,
                           m, dtype, residual)
                if not grouped:
                    continue
                for transposed, tma in ((False, 0), (True, 0), (True, 4)):
                    checks.run(
                        "rms_norm_per_block_quant%s transposed=%s tma=%d %s"
                        % (tag, transposed, tma, where), suite.per_block,
                        hidden, m, dtype, residual, transposed, tma)
            if not grouped:
                continue
            for ue8m0 in (False, True):
                for layout in ("rm", "mn1", "mn4"):
                    checks.run("per_token_group_fp8_quant ue8m0=%s %s %s"
                               % (ue8m0, layout, where), suite.group_quant,
                               hidden, m, dtype, ue8m0, layout)
            checks.run("per_token_group_fp8_quant_packed " + where,
                       suite.packed, hidden, m, dtype)
        if grouped:
            cases, keep = suite.refusals(hidden, dtype)
            for description, call in cases:
                checks.run("refused: %s (%s)" % (description, at),
                           suite.refused, description, call, keep)
            checks.run("call_into refusals and in place (%s)" % at,
                       suite.value_errors, hidden, dtype)
            checks.run("graph capture (%s)" % at, suite.graph, hidden, dtype)
            try:
                for line in suite.vllm_semantics(hidden, dtype):
                    print("info: %s M=%d equal to vLLM's semantics: %s"
                          % (at, INFO_ROWS, line))
            except Exception as e:  # noqa: BLE001  (information only)
                print("info: %s: comparison with vLLM's semantics failed: "
                      "%s: %s" % (at, type(e).__name__, e))
    return checks.finish()


if __name__ == "__main__":
    sys.exit(main())
