"""Drop-ins for vLLM's norm and FP8 quantization ops, with vLLM's
signatures, served by a kernel set built by vllm_mlir.dropins
(docs/pytorch.md, "Drop-ins for vLLM's ops").

    import vllm_mlir
    from vllm_mlir.vllm_ops import DropIns
    ops = DropIns(vllm_mlir.load("out/vllm_dropins.so"))
    ops.fused_add_rms_norm(x, residual, weight, 1e-6)        # in place
    ops.C.per_token_group_fp8_quant(x, q, s, 128, 1e-10, -448.0, 448.0,
                                    False, True, True)       # torch.ops._C

`DropIns` has the functions of vllm/_custom_ops.py (rms_norm,
fused_add_rms_norm, rms_norm_dynamic_per_token_quant,
rms_norm_per_block_quant) and, for the ops that module does not wrap,
vLLM's C++ ops (rms_norm_static_fp8_quant,
fused_add_rms_norm_static_fp8_quant, per_token_group_fp8_quant,
per_token_group_fp8_quant_packed); `DropIns.C` has all eight with the
schemas of torch.ops._C; `per_token_group_quant_fp8` and
`per_token_group_quant_fp8_packed_for_deepgemm` follow
vllm/model_executor/layers/quantization/utils/fp8_utils.py. The schemas, as
read from vLLM's sources (the stored versions of
github.com/vllm-project/vllm):

  csrc/torch_bindings.cpp @ 00256d59e65973d42db9150c28218fce69615b13
  (the same text in csrc/libtorch_stable/torch_bindings.cpp of later
  versions):
    rms_norm(Tensor! result, Tensor input, Tensor weight, float epsilon) -> ()
    fused_add_rms_norm(Tensor! input, Tensor! residual, Tensor weight,
                       float epsilon) -> ()
    rms_norm_static_fp8_quant(Tensor! result, Tensor input, Tensor weight,
                              Tensor scale, float epsilon) -> ()
    fused_add_rms_norm_static_fp8_quant(Tensor! result, Tensor input,
        Tensor! residual, Tensor weight, Tensor scale, float epsilon) -> ()
    rms_norm_dynamic_per_token_quant(Tensor! result, Tensor input,
        Tensor weight, Tensor! scale, float epsilon, Tensor? scale_ub,
        Tensor!? residual) -> ()
    rms_norm_per_block_quant(Tensor! result, Tensor input, Tensor weight,
        Tensor! scale, float epsilon, Tensor? scale_ub, Tensor!? residual,
        int group_size, bool is_scale_transposed) -> ()
  csrc/libtorch_stable/torch_bindings.cpp @
  dcd12e621e1f19db5a166847562f460501b30831:
    per_token_group_fp8_quant(Tensor input, Tensor! output_q,
        Tensor! output_s, int group_size, float eps, float fp8_min,
        float fp8_max, bool scale_ue8m0, bool dummy_is_scale_transposed,
        bool dummy_is_tma_aligned) -> ()
    per_token_group_fp8_quant_packed(Tensor input, Tensor! output_q,
        Tensor! output_s_packed, int group_size, float eps, float fp8_min,
        float fp8_max) -> ()
  vllm/_custom_ops.py @ 0002bde560dd9adcabb28b0da32f47d4c020e799:
    rms_norm(out, input, weight, epsilon) -> None
    fused_add_rms_norm(input, residual, weight, epsilon) -> None
    rms_norm_dynamic_per_token_quant(input, weight, epsilon, quant_dtype,
        scale_ub=None, residual=None) -> (output, scales [M, 1])
    rms_norm_per_block_quant(input, weight, epsilon, quant_dtype,
        group_size: list[int], scale_ub=None, residual=None,
        is_scale_transposed=False, tma_alignment=0) -> (output, scales)
  vllm/model_executor/layers/quantization/utils/fp8_utils.py (stored
  version with tma_aligned_scales; the one @
  007d50058a06dec0f82472d63c819244d460c40d lacks it):
    per_token_group_quant_fp8(x, group_size, eps=1e-10, dtype=None,
        column_major_scales=False, tma_aligned_scales=False, out_q=None,
        use_ue8m0=None) -> (x_q, x_s)
    per_token_group_quant_fp8_packed_for_deepgemm(x, group_size,
        eps=1e-10, use_ue8m0=None, out_q=None) -> (x_q, x_s_packed
        [mn, ceil(G / 4)] int32, strides (1, roundUp(mn, 4)))

Outputs vLLM passes in (`out`/`result`, `scale`/`output_s`, the residual
updated in place) are written by the kernels directly
(LoadedLibrary.call_into), with two exceptions, both documented in
docs/pytorch.md: `fused_add_rms_norm` writes the normalized rows into a
temporary and copies them into `input` (SPEC.md C15 lets an output alias an
input only for residual_out into its residual), and MN-major scales whose
storage ends before the padding rows the kernels write (vLLM's
empty_strided allocations when M % 4 != 0) are written into a temporary and
copied. Unsupported argument combinations raise
vllm_mlir.dropins.Unsupported (a NotImplementedError) before anything is
allocated or launched. The methods are eager functions, not registered
custom ops: they run inside torch.cuda.graph captures, but torch.compile
does not trace through them.
"""

import json
import os

import torch

from . import dropins
from .dropins import Unsupported

__all__ = ["DropIns", "Unsupported"]

_DTYPE_NAMES = {torch.bfloat16: "bf16", torch.float16: "f16",
                torch.float32: "f32"}
_FP8 = torch.float8_e4m3fn


class DropIns:
    """vLLM's ops served by `library`, a vllm_mlir.LoadedLibrary of a
    kernel set built by vllm_mlir.dropins.

    `epsilon` is the epsilon the norm kernels are compiled for; by default
    it is read from `<library stem>.dropins.json` next to the library
    (written by `python3 -m vllm_mlir.dropins`). The library's functions
    whose names the kernel set uses are checked against the signatures the
    generator writes for those names (ValueError for a library that does
    not match). Attributes: `library`, `epsilon`, `config` (the JSON, or
    None), `functions` (the kernel-set functions of the library) and `C`
    (vLLM's C++ op schemas)."""

    def __init__(self, library, epsilon=None):
        self.library = library
        self.config = None
        settings = dropins.config_path(library.path)
        if os.path.isfile(settings):
            with open(settings, encoding="utf-8") as f:
                self.config = json.load(f)
            if self.config.get("format") != dropins.CONFIG_FORMAT:
                raise ValueError("%s: format %r, this package reads format %d"
                                 % (settings, self.config.get("format"),
                                    dropins.CONFIG_FORMAT))
            compiled = self.config["epsilon"]
            if epsilon is not None and dropins.f32(epsilon) != \
                    dropins.f32(compiled):
                raise ValueError("epsilon=%r, but %s says the kernels are "
                                 "compiled for %r" % (epsilon, settings,
                                                      compiled))
            epsilon = compiled
        if epsilon is None:
            raise ValueError("no epsilon: %s does not exist; pass the "
                             "epsilon the library's norms are compiled for "
                             "(epsilon=...)" % settings)
        self.epsilon = float(epsilon)
        self.functions = set()
        for function in library.manifest:
            if dropins.parse_function_name(function.name) is None:
                continue
            problem = dropins.check_manifest_function(function)
            if problem:
                raise ValueError("%s: %s (rebuild it with python3 -m "
                                 "vllm_mlir.dropins)" % (library.path,
                                                         problem))
            if function.name in library.ops:
                self.functions.add(function.name)
        self.C = VllmCOps(self)

    def __repr__(self):
        return "<vllm_mlir.vllm_ops.DropIns of %s: %d functions, epsilon %r>" \
            % (self.library.path, len(self.functions), self.epsilon)

    def hidden_sizes(self, kind="rms_norm", dtype="bf16"):
        """The hidden sizes the library serves for a kind of the set."""
        return sorted(parsed[1] for parsed in map(
            dropins.parse_function_name, self.functions)
            if parsed[0] == kind and parsed[2] == dtype)

    # -- vllm/_custom_ops.py -------------------------------------------------

    def rms_norm(self, out, input, weight, epsilon):
        """_custom_ops.rms_norm: out = RMSNorm(input) * weight."""
        self.C.rms_norm(out, input, weight, epsilon)

    def fused_add_rms_norm(self, input, residual, weight, epsilon):
        """_custom_ops.fused_add_rms_norm, in place: residual = input +
        residual, input = RMSNorm(residual) * weight."""
        self.C.fused_add_rms_norm(input, residual, weight, epsilon)

    def rms_norm_static_fp8_quant(self, result, input, weight, scale,
                                  epsilon):
        """torch.ops._C.rms_norm_static_fp8_quant (no Python wrapper in
        _custom_ops.py)."""
        self.C.rms_norm_static_fp8_quant(result, input, weight, scale,
                                         epsilon)

    def fused_add_rms_norm_static_fp8_quant(self, result, input, residual,
                                            weight, scale, epsilon):
        """torch.ops._C.fused_add_rms_norm_static_fp8_quant."""
        self.C.fused_add_rms_norm_static_fp8_quant(result, input, residual,
                                                   weight, scale, epsilon)

    def rms_norm_dynamic_per_token_quant(self, input, weight, epsilon,
                                         quant_dtype, scale_ub=None,
                                         residual=None):
        """_custom_ops.rms_norm_dynamic_per_token_quant: returns (output,
        scales [M, 1] f32); residual, when given, is updated in place."""
        op = "rms_norm_dynamic_per_token_quant"
        hidden, dtype = self.C._norm_setup(op, input, weight, epsilon)
        dropins.check_fp8_dtype(op, str(quant_dtype))
        dropins.check_scale_ub(op, scale_ub)
        self.C._function(op, "rms_norm_dpt_fp8" if residual is None else
                         "fused_add_rms_norm_dpt_fp8", hidden, dtype)
        output = torch.empty(input.shape, dtype=quant_dtype,
                             device=input.device)
        scales = torch.empty((input.numel() // input.shape[-1], 1),
                             device=input.device, dtype=torch.float32)
        self.C.rms_norm_dynamic_per_token_quant(output, input, weight, scales,
                                                epsilon, scale_ub, residual)
        return output, scales

    def rms_norm_per_block_quant(self, input, weight, epsilon, quant_dtype,
                                 group_size, scale_ub=None, residual=None,
                                 is_scale_transposed=False, tma_alignment=0):
        """_custom_ops.rms_norm_per_block_quant: returns (output, scales) with
        the scales laid out as vLLM allocates them: [M, G] row-major, or
        with is_scale_transposed a [M, G] view of MN-major storage (strides
        (1, M), or (1, roundUp(M, 4)) for tma_alignment=4). The storage
        holds the padding rows too, so the kernel writes it directly."""
        op = "rms_norm_per_block_quant"
        if len(group_size) != 2:
            raise ValueError("%s: group_size must be [1, g], got %r"
                             % (op, group_size))
        hidden, dtype = self.C._norm_setup(op, input, weight, epsilon)
        dropins.check_fp8_dtype(op, str(quant_dtype))
        dropins.check_scale_ub(op, scale_ub)
        dropins.check_group_size(op, group_size[1])
        if tma_alignment not in (0, 4):
            raise ValueError("%s: tma_alignment must be 0 or 4 (as vLLM "
                             "asserts), got %r" % (op, tma_alignment))
        if is_scale_transposed and input.dim() != 2:
            raise Unsupported("%s: is_scale_transposed with a %d-D input: "
                              "batched MN-major scales are not in the kernel "
                              "set" % (op, input.dim()))
        layout = "rm" if not is_scale_transposed else \
            "mn4" if tma_alignment else "mn1"
        self.C._function(op, ("rms_norm_g128_fp8_" if residual is None else
                              "fused_add_rms_norm_g128_fp8_") + layout,
                         hidden, dtype)
        rows = input.numel() // hidden
        groups = hidden // group_size[1]
        output = torch.empty(input.shape, dtype=quant_dtype,
                             device=input.device)
        if is_scale_transposed:
            scales = _mn_major(rows, groups, tma_alignment or 1,
                               torch.float32, input.device)
        else:
            scales = torch.empty((rows, groups), dtype=torch.float32,
                                 device=input.device)
        self.C.rms_norm_per_block_quant(output, input, weight, scales,
                                        epsilon, scale_ub, residual,
                                        group_size[1], is_scale_transposed)
        return output, scales

    def per_token_group_fp8_quant(self, input, output_q, output_s, group_size,
                                  eps, fp8_min, fp8_max, scale_ue8m0,
                                  dummy_is_scale_transposed=False,
                                  dummy_is_tma_aligned=False):
        """torch.ops._C.per_token_group_fp8_quant (the two dummies default
        to False, as in vLLM versions whose schema lacks them)."""
        self.C.per_token_group_fp8_quant(
            input, output_q, output_s, group_size, eps, fp8_min, fp8_max,
            scale_ue8m0, dummy_is_scale_transposed, dummy_is_tma_aligned)

    def per_token_group_fp8_quant_packed(self, input, output_q,
                                         output_s_packed, group_size, eps,
                                         fp8_min, fp8_max):
        """torch.ops._C.per_token_group_fp8_quant_packed."""
        self.C.per_token_group_fp8_quant_packed(
            input, output_q, output_s_packed, group_size, eps, fp8_min,
            fp8_max)

    # -- fp8_utils.py --------------------------------------------------------

    def per_token_group_quant_fp8(self, x, group_size, eps=1e-10, dtype=None,
                                  column_major_scales=False,
                                  tma_aligned_scales=False, out_q=None,
                                  use_ue8m0=None):
        """fp8_utils.per_token_group_quant_fp8: returns (x_q, x_s).
        `use_ue8m0` must be given: vLLM's default asks DeepGEMM
        (is_deep_gemm_e8m0_used), which this package does not."""
        op = "per_token_group_quant_fp8"
        if use_ue8m0 is None:
            raise Unsupported("%s: use_ue8m0=None (vLLM asks DeepGEMM); pass "
                              "use_ue8m0=True or False" % op)
        dtype = _FP8 if dtype is None else dtype
        dropins.check_fp8_dtype(op, str(dtype))
        dropins.check_group_quant(op, group_size, eps, -dropins.FP8_MAX,
                                  dropins.FP8_MAX)
        if x.shape[-1] % group_size:
            raise ValueError("%s: the last dimension of x (%d) is not "
                             "divisible by group_size %d"
                             % (op, x.shape[-1], group_size))
        if column_major_scales and x.dim() != 2:
            raise Unsupported("%s: column_major_scales with a %d-D input: "
                              "batched MN-major scales are not in the "
                              "kernel set" % (op, x.dim()))
        hidden, x_dtype = _input_setup(op, x)
        layout = "rm" if not column_major_scales else \
            "mn4" if tma_aligned_scales else "mn1"
        self.C._function(op, "group_fp8_%s_%s" % (
            "ue8" if use_ue8m0 else "f32", layout), hidden, x_dtype)
        x_q = out_q if out_q is not None else \
            torch.empty(x.shape, device=x.device, dtype=dtype)
        groups = x.shape[-1] // group_size
        if column_major_scales:
            x_s = _mn_major(x.shape[0], groups, 4 if tma_aligned_scales
                            else 1, torch.float32, x.device)
        else:
            x_s = torch.empty(x.shape[:-1] + (groups,), device=x.device,
                              dtype=torch.float32)
        self.C.per_token_group_fp8_quant(
            x, x_q, x_s, group_size, eps, -dropins.FP8_MAX, dropins.FP8_MAX,
            use_ue8m0, column_major_scales,
            bool(column_major_scales and tma_aligned_scales))
        return x_q, x_s

    def per_token_group_quant_fp8_packed_for_deepgemm(self, x, group_size,
                                                      eps=1e-10,
                                                      use_ue8m0=None,
                                                      out_q=None):
        """fp8_utils.per_token_group_quant_fp8_packed_for_deepgemm: returns
        (x_q, x_s_packed), x_s_packed a [mn, ceil(G / 4)] int32 view of
        MN-major TMA-aligned storage, as vLLM allocates it (with the
        padding rows, so the kernel writes it directly)."""
        op = "per_token_group_quant_fp8_packed_for_deepgemm"
        if use_ue8m0 is False:
            raise Unsupported("%s: use_ue8m0=False: the packed layout holds "
                              "UE8M0 scales only (vLLM asserts the same)"
                              % op)
        dropins.check_group_quant(op, group_size, eps, -dropins.FP8_MAX,
                                  dropins.FP8_MAX)
        hidden, x_dtype = _input_setup(op, x)
        if hidden % group_size:
            raise ValueError("%s: the last dimension of x (%d) is not "
                             "divisible by group_size %d"
                             % (op, hidden, group_size))
        self.C._function(op, "group_fp8_ue8pk", hidden, x_dtype)
        x = x.contiguous()
        rows = x.numel() // hidden
        x_q = out_q if out_q is not None else \
            torch.empty_like(x, dtype=_FP8)
        words = (hidden // group_size + 3) // 4
        x_s = _mn_major(rows, words, 4, torch.int32, x.device)
        self.C.per_token_group_fp8_quant_packed(
            x, x_q, x_s, group_size, eps, -dropins.FP8_MAX, dropins.FP8_MAX)
        return x_q.view_as(x), x_s


class VllmCOps:
    """vLLM's C++ ops (torch.ops._C.<name>) with their schemas; see the
    module's docstring. Every method checks vLLM's arguments against the
    kernel set (dropins.Unsupported) and the tensors (ValueError) before
    anything is allocated or launched, then writes the outputs."""

    def __init__(self, dropin_set):
        self._set = dropin_set
        self._lib = dropin_set.library

    # -- helpers --------------------------------------------------------------

    def _function(self, op, kind, hidden, dtype):
        return dropins.require_function(self._set.functions, op, kind, hidden,
                                        dtype)

    def _norm_setup(self, op, input, weight, epsilon):
        """(hidden, dtype name) after the checks every norm makes."""
        dropins.check_epsilon(op, epsilon, self._set.epsilon)
        if weight is None:
            raise Unsupported("%s: weight=None: the kernels multiply by a "
                              "weight (vLLM's C++ op takes a Tensor too)"
                              % op)
        return _input_setup(op, input)

    def _call(self, name, arguments, results, inplace=None):
        self._lib.call_into(name, arguments, results, inplace)

    # -- the ops ----------------------------------------------------------------

    def rms_norm(self, result, input, weight, epsilon):
        op = "rms_norm"
        hidden, dtype = self._norm_setup(op, input, weight, epsilon)
        name = self._function(op, "rms_norm", hidden, dtype)
        _same_shape(op, "result", result, input)
        x = _rows(op, "input", input, hidden)
        y = _rows(op, "result", result, hidden, output=True)
        self._call(name, [x, weight], [y])

    def fused_add_rms_norm(self, input, residual, weight, epsilon):
        op = "fused_add_rms_norm"
        hidden, dtype = self._norm_setup(op, input, weight, epsilon)
        name = self._function(op, "fused_add_rms_norm", hidden, dtype)
        _same_shape(op, "residual", residual, input)
        x = _rows(op, "input", input, hidden)
        r = _rows(op, "residual", residual, hidden, output=True)
        # residual_out goes into the residual itself (SPEC.md C15); y may
        # not alias x, so it is written into a temporary and copied.
        y = torch.empty_like(x)
        self._call(name, [x, r, weight], [y, r], inplace={1: 1})
        x.copy_(y)

    def rms_norm_static_fp8_quant(self, result, input, weight, scale,
                                  epsilon):
        op = "rms_norm_static_fp8_quant"
        hidden, dtype = self._norm_setup(op, input, weight, epsilon)
        dropins.check_fp8_dtype(op, str(result.dtype))
        name = self._function(op, "rms_norm_static_fp8", hidden, dtype)
        _same_shape(op, "result", result, input)
        s = _one_scale(op, scale)
        x = _rows(op, "input", input, hidden)
        q = _rows(op, "result", result, hidden, output=True)
        self._call(name, [x, weight, s], [q])

    def fused_add_rms_norm_static_fp8_quant(self, result, input, residual,
                                            weight, scale, epsilon):
        op = "fused_add_rms_norm_static_fp8_quant"
        hidden, dtype = self._norm_setup(op, input, weight, epsilon)
        dropins.check_fp8_dtype(op, str(result.dtype))
        name = self._function(op, "fused_add_rms_norm_static_fp8", hidden,
                              dtype)
        _same_shape(op, "result", result, input)
        _same_shape(op, "residual", residual, input)
        s = _one_scale(op, scale)
        x = _rows(op, "input", input, hidden)
        r = _rows(op, "residual", residual, hidden, output=True)
        q = _rows(op, "result", result, hidden, output=True)
        self._call(name, [x, r, weight, s], [q, r], inplace={1: 1})

    def rms_norm_dynamic_per_token_quant(self, result, input, weight, scale,
                                         epsilon, scale_ub, residual):
        op = "rms_norm_dynamic_per_token_quant"
        hidden, dtype = self._norm_setup(op, input, weight, epsilon)
        dropins.check_fp8_dtype(op, str(result.dtype))
        dropins.check_scale_ub(op, scale_ub)
        kind = "rms_norm_dpt_fp8" if residual is None else \
            "fused_add_rms_norm_dpt_fp8"
        name = self._function(op, kind, hidden, dtype)
        _same_shape(op, "result", result, input)
        rows = input.numel() // hidden
        if scale.numel() != rows:
            raise ValueError("%s: scale has shape %s, expected %d elements "
                             "(one per token, [M, 1])"
                             % (op, tuple(scale.shape), rows))
        s = _flat(op, "scale", scale)
        x = _rows(op, "input", input, hidden)
        q = _rows(op, "result", result, hidden, output=True)
        if residual is None:
            self._call(name, [x, weight], [q, s])
            return
        _same_shape(op, "residual", residual, input)
        r = _rows(op, "residual", residual, hidden, output=True)
        self._call(name, [x, r, weight], [q, s, r], inplace={2: 1})

    def rms_norm_per_block_quant(self, result, input, weight, scale, epsilon,
                                 scale_ub, residual, group_size,
                                 is_scale_transposed):
        op = "rms_norm_per_block_quant"
        hidden, dtype = self._norm_setup(op, input, weight, epsilon)
        dropins.check_fp8_dtype(op, str(result.dtype))
        dropins.check_scale_ub(op, scale_ub)
        dropins.check_group_size(op, group_size)
        rows = input.numel() // hidden
        groups = hidden // group_size
        if scale.dim() != 2:
            raise Unsupported("%s: a %d-D scale tensor: the kernel set writes "
                              "[M, G] scales (2-D input)" % (op, scale.dim()))
        layout = dropins.group_scale_layout(
            op, rows, groups, scale.shape, scale.stride(),
            bool(is_scale_transposed))
        prefix = "rms_norm_g128_fp8_" if residual is None else \
            "fused_add_rms_norm_g128_fp8_"
        name = self._function(op, prefix + layout, hidden, dtype)
        _same_shape(op, "result", result, input)
        if residual is not None:
            _same_shape(op, "residual", residual, input)
        x = _rows(op, "input", input, hidden)
        q = _rows(op, "result", result, hidden, output=True)
        s, finish = _scale_buffer(op, scale, layout, rows, groups)
        if residual is None:
            self._call(name, [x, weight], [q, s])
        else:
            r = _rows(op, "residual", residual, hidden, output=True)
            self._call(name, [x, r, weight], [q, s, r], inplace={2: 1})
        finish()

    def per_token_group_fp8_quant(self, input, output_q, output_s, group_size,
                                  eps, fp8_min, fp8_max, scale_ue8m0,
                                  dummy_is_scale_transposed,
                                  dummy_is_tma_aligned):
        op = "per_token_group_fp8_quant"
        dropins.check_group_quant(op, group_size, eps, fp8_min, fp8_max)
        dropins.check_fp8_dtype(op, str(output_q.dtype))
        hidden, dtype = _input_setup(op, input)
        rows = input.numel() // hidden
        groups = hidden // group_size
        scales = output_s
        if output_s.dim() > 2 and output_s.is_contiguous() and \
                tuple(output_s.shape) == tuple(input.shape[:-1]) + (groups,):
            scales = output_s.view(rows, groups)     # row-major, batched
        elif output_s.dim() != 2:
            raise Unsupported("%s: output_s of shape %s: batched MN-major "
                              "scales are not in the kernel set"
                              % (op, tuple(output_s.shape)))
        layout = dropins.group_scale_layout(
            op, rows, groups, scales.shape, scales.stride(),
            bool(dummy_is_scale_transposed), bool(dummy_is_tma_aligned))
        kind = "group_fp8_%s_%s" % ("ue8" if scale_ue8m0 else "f32", layout)
        name = self._function(op, kind, hidden, dtype)
        _same_shape(op, "output_q", output_q, input)
        x = _rows(op, "input", input, hidden)
        q = _rows(op, "output_q", output_q, hidden, output=True)
        s, finish = _scale_buffer(op, scales, layout, rows, groups)
        self._call(name, [x], [q, s])
        finish()

    def per_token_group_fp8_quant_packed(self, input, output_q,
                                         output_s_packed, group_size, eps,
                                         fp8_min, fp8_max):
        op = "per_token_group_fp8_quant_packed"
        dropins.check_group_quant(op, group_size, eps, fp8_min, fp8_max)
        dropins.check_fp8_dtype(op, str(output_q.dtype))
        hidden, dtype = _input_setup(op, input)
        rows = input.numel() // hidden
        groups = hidden // group_size
        words = (groups + 3) // 4
        if output_s_packed.dtype != torch.int32:
            raise ValueError("%s: output_s_packed is %s, expected torch.int32"
                             % (op, output_s_packed.dtype))
        dropins.packed_scale_layout(op, rows, groups, output_s_packed.shape,
                                    output_s_packed.stride())
        name = self._function(op, "group_fp8_ue8pk", hidden, dtype)
        _same_shape(op, "output_q", output_q, input)
        x = _rows(op, "input", input, hidden)
        q = _rows(op, "output_q", output_q, hidden, output=True)
        s, finish = _scale_buffer(op, output_s_packed, "mn4", rows, words)
        self._call(name, [x], [q, s])
        finish()


# ---------------------------------------------------------------------------
# Tensor helpers
# ---------------------------------------------------------------------------

def _input_setup(op, input):
    """(hidden size, dtype name) of vLLM's `input` [..., H]."""
    if input.dim() < 1:
        raise ValueError("%s: input is a scalar" % op)
    dtype = _DTYPE_NAMES.get(input.dtype)
    if dtype is None:
        raise Unsupported("%s: input dtype %s: the kernel set takes %s"
                          % (op, input.dtype, ", ".join(
                              str(d) for d in _DTYPE_NAMES)))
    return input.shape[-1], dtype


def _same_shape(op, name, tensor, input):
    if tuple(tensor.shape) != tuple(input.shape):
        raise ValueError("%s: %s has shape %s, input %s: they must be equal"
                         % (op, name, tuple(tensor.shape),
                            tuple(input.shape)))


def _rows(op, name, tensor, hidden, output=False):
    """`tensor` [..., H] as the [M, H] view the kernels take. A
    non-contiguous input (vLLM's norm kernels take a row stride) is
    Unsupported; a non-contiguous output ValueError (vLLM's kernels require
    contiguous outputs too)."""
    _contiguous(op, name, tensor, output)
    return tensor.view(-1, hidden)


def _flat(op, name, tensor):
    _contiguous(op, name, tensor, True)
    return tensor.view(-1)


def _contiguous(op, name, tensor, output):
    if tensor.is_contiguous():
        return
    message = "%s: %s is not contiguous (shape %s, strides %s): the kernels " \
        "%s contiguous rows" % (op, name, tuple(tensor.shape),
                                tensor.stride(),
                                "write" if output else "read")
    raise (ValueError if output else Unsupported)(message)


def _one_scale(op, scale):
    """The static scale as the [1] f32 tensor the kernels take."""
    if scale.numel() != 1:
        raise Unsupported("%s: scale has %d elements: the kernel set "
                          "quantizes with one per-tensor scale"
                          % (op, scale.numel()))
    return scale.reshape(1) if scale.is_contiguous() else scale


def _mn_major(rows, cols, align, dtype, device):
    """A [rows, cols] view (strides (1, roundUp(rows, align))) of MN-major
    storage [cols, roundUp(rows, align)] that holds the padding rows, as
    vLLM lays out column-major scales."""
    padded = dropins.roundup(rows, align)
    storage = torch.empty((cols, padded), dtype=dtype, device=device)
    return storage.as_strided((rows, cols), (1, padded))


def _scale_buffer(op, scale, layout, rows, cols):
    """(the contiguous tensor the kernel writes the scales into, a function
    to call after the launch). Row-major: the caller's tensor itself.
    MN-major: a contiguous [cols, roundUp(rows, align)] view of the
    caller's storage when that storage holds the padding rows the kernel
    writes (SPEC.md 3.3); else a temporary, copied into the caller's
    tensor afterwards."""
    if layout == "rm":
        return (scale.view(rows, cols) if scale.is_contiguous() else scale), \
            _nothing
    padded = dropins.roundup(rows, dropins.LAYOUTS[layout][1])
    needed = cols * padded
    available = scale.untyped_storage().nbytes() // scale.element_size() - \
        scale.storage_offset()
    if available >= needed:
        view = torch.as_strided(scale, (cols, padded), (padded, 1),
                                scale.storage_offset())
        return view, _nothing
    temporary = torch.empty((cols, padded), dtype=scale.dtype,
                            device=scale.device)

    def finish():
        scale.copy_(temporary[:, :rows].t())

    return temporary, finish


def _nothing():
    pass
