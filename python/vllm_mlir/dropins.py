"""The kernel set behind the drop-ins for vLLM's ops (docs/pytorch.md,
"Drop-ins for vLLM's ops"), and the rules that decide which of vLLM's
argument combinations it serves. Needs only the standard library.

    python3 -m vllm_mlir.dropins --hidden 7168,1536 --epsilon 1e-6 \\
        --chip sm_90a -o out/

writes out/vllm_dropins.mlir (one vllm-dialect function per operation,
hidden size H and element type, each with a dynamic row count M), runs
vllm-compile on it (out/vllm_dropins.so, out/vllm_dropins.manifest.json)
and writes out/vllm_dropins.dropins.json (the epsilon the norm kernels are
compiled for, the hidden sizes, the element types, the chip).
`vllm_mlir.vllm_ops.DropIns(vllm_mlir.load("out/vllm_dropins.so"))` then
serves vLLM's calls from it.

Why a module of its own: the generator and the rules are plain Python, so
they run (and are tested, test/Python/dropins.test) where torch is not
installed; vllm_mlir.vllm_ops, which needs torch, applies them.

Function names are stable, `<kind>_h<H>` for bf16 and `<kind>_h<H>_<type>`
for f16 and f32 (`function_name`, `parse_function_name`); the kinds
(`KINDS`, argument order x, [residual], w, [static scale]; results q or y,
[scales], [residual_out]):

  rms_norm                        vllm.rms_norm                  -> y
  fused_add_rms_norm              vllm.fused_add_rms_norm        -> y, residual_out
  rms_norm_static_fp8             rms_norm_quant static_per_tensor -> q
  fused_add_rms_norm_static_fp8   ... with a residual            -> q, residual_out
  rms_norm_dpt_fp8                rms_norm_quant per_token       -> q, scales [M]
  fused_add_rms_norm_dpt_fp8      ... with a residual            -> q, scales, residual_out
  rms_norm_g128_fp8_<L>           rms_norm_quant per_group 128 f32, layout L
  fused_add_rms_norm_g128_fp8_<L> ... with a residual
  group_fp8_f32_<L>               quantize per_group 128, f32 scales, layout L
  group_fp8_ue8_<L>               quantize per_group 128, UE8M0 values in f32
  group_fp8_ue8pk                 quantize per_group 128, UE8M0 packed four
                                  per int32, MN-major, align 4

with L one of `rm` (row-major [M, G]), `mn1` (MN-major [G, M]) and `mn4`
(MN-major [G, roundUp(M, 4)], TMA-aligned). The per-group kinds exist only
for H % 128 == 0.

Scope of the rules (SPEC.md 3.3, section 6): the norm kernels are compiled
for one epsilon, so a call must pass that epsilon (compared after rounding
to f32, as both vLLM's kernels and ours use it); per-group quantization is
group 128 with the floor 1e-10 on the group's amax and the FP8 range
[-448, 448], so vLLM's `group_size`, `eps`, `fp8_min`, `fp8_max` must be
those; an upper bound on per-token scales is a compile-time attribute of
the dialect, not a run-time tensor, so `scale_ub` must be None; the output
is float8_e4m3fn. Anything else raises `Unsupported` (a NotImplementedError)
naming the combination, before anything runs.
"""

import argparse
import json
import math
import os
import re
import shutil
import struct
import subprocess
import sys
from dataclasses import dataclass

__all__ = [
    "CONFIG_FORMAT", "DEFAULT_DTYPES", "DEFAULT_EPSILON", "DTYPES",
    "FP8_MAX", "GROUP_EPS", "GROUP_SIZE", "KINDS", "LIBRARY_STEM", "Kind",
    "Unsupported", "build", "check_epsilon", "check_fp8_dtype",
    "check_group_size", "check_manifest_function", "check_scale_ub",
    "check_group_quant", "config", "config_path", "f32",
    "function_name", "functions", "generate_module", "group_scale_layout",
    "main", "packed_scale_layout", "parse_function_name", "require_function",
    "roundup", "scale_storage_words", "signature",
]

# The element types of x (and w, residual): bf16, f16, f32.
DTYPES = ("bf16", "f16", "f32")
DEFAULT_DTYPES = ("bf16",)
DEFAULT_EPSILON = 1e-6
# SPEC.md 3.3: per-group quantization of this kernel set, its floor on the
# amax of a group and the FP8 e4m3fn range E saturates to.
GROUP_SIZE = 128
GROUP_EPS = 1e-10
FP8_MAX = 448.0
# The library the command line builds: <dir>/vllm_dropins.so, its manifest
# and <dir>/vllm_dropins.dropins.json.
LIBRARY_STEM = "vllm_dropins"
CONFIG_FORMAT = 1

# Scale layouts of per-group scales: name -> (MLIR layout, align).
LAYOUTS = {"rm": ("row_major", 1), "mn1": ("mn_major", 1),
           "mn4": ("mn_major", 4)}


class Unsupported(NotImplementedError):
    """A call of a drop-in with an argument combination the compiled kernel
    set does not serve. Raised before anything is allocated or launched."""


@dataclass(frozen=True)
class Kind:
    """One kind of function of the kernel set.

    `op`: "rms_norm", "fused_add_rms_norm", "rms_norm_quant" or "quantize";
    `residual`: the function takes a residual (argument 1) and returns the
    updated residual last; `quant`: None, "static", "per_token" or "group";
    `encoding`: "f32", "ue8m0_f32" or "ue8m0_packed" (per-group only);
    `layout`: a key of LAYOUTS (per-group only)."""

    name: str
    op: str
    residual: bool = False
    quant: str = None
    encoding: str = None
    layout: str = None

    @property
    def needs_groups(self):
        """Only for H % GROUP_SIZE == 0."""
        return self.quant == "group"

    @property
    def inplace(self):
        """{result index: argument index} of the one result the kernels may
        write into an argument (SPEC.md C15): residual_out into residual."""
        if not self.residual:
            return {}
        return {len(self._result_names()) - 1: 1}

    def _result_names(self):
        names = ["y" if self.quant is None else "q"]
        if self.quant in ("per_token", "group"):
            names.append("scales")
        if self.residual:
            names.append("residual_out")
        return names


def _kinds():
    kinds = [
        Kind("rms_norm", "rms_norm"),
        Kind("fused_add_rms_norm", "fused_add_rms_norm", residual=True),
        Kind("rms_norm_static_fp8", "rms_norm_quant", quant="static"),
        Kind("fused_add_rms_norm_static_fp8", "rms_norm_quant", residual=True,
             quant="static"),
        Kind("rms_norm_dpt_fp8", "rms_norm_quant", quant="per_token"),
        Kind("fused_add_rms_norm_dpt_fp8", "rms_norm_quant", residual=True,
             quant="per_token"),
    ]
    for layout in LAYOUTS:
        kinds.append(Kind("rms_norm_g128_fp8_" + layout, "rms_norm_quant",
                          quant="group", encoding="f32", layout=layout))
    for layout in LAYOUTS:
        kinds.append(Kind("fused_add_rms_norm_g128_fp8_" + layout,
                          "rms_norm_quant", residual=True, quant="group",
                          encoding="f32", layout=layout))
    for short, encoding in (("f32", "f32"), ("ue8", "ue8m0_f32")):
        for layout in LAYOUTS:
            kinds.append(Kind("group_fp8_%s_%s" % (short, layout), "quantize",
                              quant="group", encoding=encoding,
                              layout=layout))
    kinds.append(Kind("group_fp8_ue8pk", "quantize", quant="group",
                      encoding="ue8m0_packed", layout="mn4"))
    return {kind.name: kind for kind in kinds}


KINDS = _kinds()

_NAME = re.compile(r"^(?P<kind>[a-z0-9_]+?)_h(?P<hidden>[1-9][0-9]*)"
                   r"(?:_(?P<dtype>f16|f32))?$")


def function_name(kind, hidden, dtype="bf16"):
    """`rms_norm_h7168`, `group_fp8_ue8pk_h7168_f16`, ..."""
    if kind not in KINDS:
        raise ValueError("unknown kind %r (known: %s)"
                         % (kind, ", ".join(KINDS)))
    if dtype not in DTYPES:
        raise ValueError("unknown element type %r (known: %s)"
                         % (dtype, ", ".join(DTYPES)))
    return "%s_h%d%s" % (kind, hidden, "" if dtype == "bf16" else "_" + dtype)


def parse_function_name(name):
    """(kind, hidden, dtype) of a name `function_name` makes, else None."""
    match = _NAME.match(name)
    if not match or match.group("kind") not in KINDS:
        return None
    return (match.group("kind"), int(match.group("hidden")),
            match.group("dtype") or "bf16")


def roundup(value, align):
    return (value + align - 1) // align * align


def f32(value):
    """`value` rounded to the nearest f32 (what a kernel parameter of type
    float holds), as a Python float."""
    return struct.unpack("<f", struct.pack("<f", float(value)))[0]


# ---------------------------------------------------------------------------
# Signatures and the module
# ---------------------------------------------------------------------------

@dataclass(frozen=True)
class TensorType:
    """`element` an MLIR element type, `shape` with None for M, `scales` the
    manifest's `scales` entry (None for a plain tensor)."""

    element: str
    shape: tuple
    scales: dict = None

    def mlir(self):
        dims = "x".join("?" if size is None else str(size)
                        for size in self.shape)
        text = "tensor<%s%s%s" % (dims, "x" if dims else "", self.element)
        if self.scales is not None:
            text += ", #vllm.scales<%s>" % _scales_body(self.scales)
        return text + ">"


def _scales_body(scales):
    if scales["kind"] == "tensor":
        return "tensor"
    if scales["kind"] == "row":
        return "row"
    body = "group %d, %s, %s" % (scales["group_size"], scales["encoding"],
                                 scales["layout"])
    if scales["align"] != 1:
        body += ", align %d" % scales["align"]
    return body


def _group_scales(encoding, layout):
    mlir_layout, align = LAYOUTS[layout]
    return {"kind": "group", "group_size": GROUP_SIZE, "encoding": encoding,
            "layout": mlir_layout, "align": align}


def signature(kind, hidden, dtype="bf16"):
    """(arguments, results) of the function: lists of TensorType, M
    dynamic. Raises ValueError for a per-group kind with H % 128 != 0."""
    kind = KINDS[kind] if isinstance(kind, str) else kind
    if kind.needs_groups and hidden % GROUP_SIZE:
        raise ValueError("%s needs a hidden size divisible by %d, not %d"
                         % (kind.name, GROUP_SIZE, hidden))
    x = TensorType(dtype, (None, hidden))
    w = TensorType(dtype, (hidden,))
    static = TensorType("f32", (1,), {"kind": "tensor", "encoding": "f32",
                                      "layout": "row_major", "align": 1})
    arguments = [x] + ([x] if kind.residual else [])
    if kind.op != "quantize":
        arguments.append(w)
    if kind.quant == "static":
        arguments.append(static)
    results = [x if kind.quant is None else
               TensorType("f8E4M3FN", (None, hidden))]
    if kind.quant == "per_token":
        results.append(TensorType("f32", (None,), {
            "kind": "row", "encoding": "f32", "layout": "row_major",
            "align": 1}))
    elif kind.quant == "group":
        results.append(group_scales_type(kind.encoding, kind.layout, hidden))
    if kind.residual:
        results.append(x)
    return arguments, results


def group_scales_type(encoding, layout, hidden):
    """The scales of per-group (128) quantization of [M, hidden] with
    `encoding` (f32, ue8m0_f32, ue8m0_packed) in `layout` (rm, mn1, mn4),
    SPEC.md 3.3: a TensorType, M dynamic."""
    scales = _group_scales(encoding, layout)
    groups = hidden // GROUP_SIZE
    if encoding == "ue8m0_packed":
        return TensorType("i32", ((groups + 3) // 4, None), scales)
    if layout == "rm":
        return TensorType("f32", (None, groups), scales)
    return TensorType("f32", (groups, None), scales)


def group_scheme(encoding, layout):
    """The scheme of per-group (128) quantization, as vllm.quantize and
    vllm.rms_norm_quant print it: `per_group 128, <encoding>, <layout>`."""
    return "per_" + _scales_body(_group_scales(encoding, layout))


def _scheme(kind):
    if kind.quant == "static":
        return "static_per_tensor"
    if kind.quant == "per_token":
        return "per_token"
    return group_scheme(kind.encoding, kind.layout)


def _epsilon_literal(epsilon):
    """`epsilon` as an MLIR float literal (Python's shortest repr, with the
    decimal point MLIR's grammar wants: 1e-06 -> 1.0e-06). The parser and
    `f32` both round its double value to f32."""
    text = repr(float(epsilon))
    mantissa, e, exponent = text.partition("e")
    if "." not in mantissa:
        mantissa += ".0"
    return mantissa + e + exponent


def _function_text(kind, hidden, dtype, epsilon):
    kind = KINDS[kind]
    arguments, results = signature(kind, hidden, dtype)
    names = ["%x"] + (["%res"] if kind.residual else [])
    if kind.op != "quantize":
        names.append("%w")
    if kind.quant == "static":
        names.append("%s")
    params = ", ".join("%s: %s" % (n, t.mlir())
                       for n, t in zip(names, arguments))
    result_types = [t.mlir() for t in results]
    returns = result_types[0] if len(result_types) == 1 else \
        "(" + ", ".join(result_types) + ")"
    # vLLM's norm kernels round x * r to the input type before the weight
    # (SPEC.md 3.1, round_before_weight); the quantization alone has no norm.
    attr = "{epsilon = %s : f32, round_before_weight}" % _epsilon_literal(
        epsilon)
    in_types = ", ".join(t.mlir() for t in arguments)
    x_t = arguments[0].mlir()
    if kind.op == "rms_norm":
        body = ["%%y = vllm.rms_norm %%x, %%w %s : (%s) -> %s"
                % (attr, in_types, result_types[0])]
        values = ["%y"]
    elif kind.op == "fused_add_rms_norm":
        body = ["%%y, %%ro = vllm.fused_add_rms_norm %%x, %%res, %%w %s : "
                "(%s) -> (%s, %s)" % (attr, in_types, x_t, x_t)]
        values = ["%y", "%ro"]
    elif kind.op == "quantize":
        body = ["%%q, %%sc = vllm.quantize %%x as <%s> : %s -> %s, %s"
                % (_scheme(kind), x_t, result_types[0], result_types[1])]
        values = ["%q", "%sc"]
    else:
        # rms_norm_quant: operands x, w, residual(...), scale(...); results
        # q, scales, [residual_out]. A static scale's scales result is its
        # operand (SPEC.md section 6), which the function does not return.
        operands = "%x, %w"
        op_types = [arguments[0].mlir(), arguments[-1 if kind.quant !=
                                                   "static" else -2].mlir()]
        if kind.residual:
            operands += " residual(%res)"
            op_types.append(x_t)
        op_results = [result_types[0]]
        values = ["%q"]
        if kind.quant == "static":
            operands += " scale(%s)"
            op_types.append(arguments[-1].mlir())
            op_results.append(arguments[-1].mlir())
            lhs = "%q, %unused_scale"
        else:
            op_results.append(result_types[1])
            values.append("%sc")
            lhs = "%q, %sc"
        if kind.residual:
            op_results.append(x_t)
            values.append("%ro")
            lhs += ", %ro"
        body = ["%s = vllm.rms_norm_quant %s as <%s> %s : (%s) -> (%s)"
                % (lhs, operands, _scheme(kind), attr, ", ".join(op_types),
                   ", ".join(op_results))]
    lines = ["func.func @%s(%s) -> %s {" % (function_name(kind.name, hidden,
                                                          dtype),
                                            params, returns)]
    lines += ["  " + line for line in body]
    lines.append("  return %s : %s" % (", ".join(values),
                                       ", ".join(result_types)))
    lines.append("}")
    return "\n".join(lines)


def functions(hidden_sizes, dtypes=DEFAULT_DTYPES, kinds=None):
    """[(name, kind, hidden, dtype)] of the kernel set, in module order:
    per hidden size, per element type, the kinds in KINDS order (per-group
    kinds left out where H % 128 != 0)."""
    out = []
    for hidden in hidden_sizes:
        for dtype in dtypes:
            for kind in (kinds or KINDS):
                if KINDS[kind].needs_groups and hidden % GROUP_SIZE:
                    continue
                out.append((function_name(kind, hidden, dtype), kind, hidden,
                            dtype))
    return out


def _check_set(hidden_sizes, dtypes, epsilon):
    hidden_sizes = list(hidden_sizes)
    if not hidden_sizes:
        raise ValueError("no hidden size given")
    for hidden in hidden_sizes:
        if not isinstance(hidden, int) or isinstance(hidden, bool) or \
                hidden < 1:
            raise ValueError("hidden size %r is not a positive integer"
                             % (hidden,))
    if len(set(hidden_sizes)) != len(hidden_sizes):
        raise ValueError("hidden size listed twice: %s" % hidden_sizes)
    for dtype in dtypes:
        if dtype not in DTYPES:
            raise ValueError("unknown element type %r (known: %s)"
                             % (dtype, ", ".join(DTYPES)))
    value = f32(epsilon)
    if not (math.isfinite(value) and value > 0):
        raise ValueError("epsilon %r is not a positive f32 (SPEC.md C2)"
                         % (epsilon,))


def generate_module(hidden_sizes, epsilon=DEFAULT_EPSILON,
                    dtypes=DEFAULT_DTYPES, kinds=None):
    """The vllm-dialect module of the kernel set, as text."""
    _check_set(hidden_sizes, dtypes, epsilon)
    header = [
        "// Kernels of the drop-ins for vLLM's ops (python/vllm_mlir/"
        "dropins.py,",
        "// docs/pytorch.md), generated by vllm_mlir.dropins: hidden sizes "
        "%s," % ", ".join(str(h) for h in hidden_sizes),
        "// element types %s, epsilon %s (f32 %s)."
        % (", ".join(dtypes), _epsilon_literal(epsilon),
           "%.8e" % f32(epsilon)),
        "",
    ]
    body = [_function_text(kind, hidden, dtype, epsilon)
            for _, kind, hidden, dtype in functions(hidden_sizes, dtypes,
                                                    kinds)]
    return "\n".join(header) + "\n\n".join(body) + "\n"


def config_path(library_path):
    """`<stem>.dropins.json` next to the library."""
    return os.path.splitext(library_path)[0] + ".dropins.json"


def config(hidden_sizes, epsilon, dtypes, chip):
    return {"format": CONFIG_FORMAT, "epsilon": float(epsilon),
            "epsilon_f32": f32(epsilon), "hidden_sizes": list(hidden_sizes),
            "dtypes": list(dtypes), "chip": chip}


# ---------------------------------------------------------------------------
# The rules (what a call may ask of the kernel set)
# ---------------------------------------------------------------------------

def require_function(available, op, kind, hidden, dtype):
    """The name of the function of `kind` for (hidden, dtype) if
    `available` (a set of names) has it, else Unsupported saying what the
    set has."""
    name = function_name(kind, hidden, dtype)
    if name in available:
        return name
    sizes = sorted({parsed[1] for parsed in map(parse_function_name,
                                                available)
                    if parsed and parsed[0] == kind and parsed[2] == dtype})
    if KINDS[kind].needs_groups and hidden % GROUP_SIZE:
        why = "per-group quantization needs H %% %d == 0" % GROUP_SIZE
    else:
        why = "the library has %s for H in {%s}" % (
            kind, ", ".join(map(str, sizes)))
    raise Unsupported("%s: hidden size %d with %s input: not in the compiled "
                      "kernel set (no function %s; %s); rebuild it with "
                      "`python3 -m vllm_mlir.dropins --hidden ...%s`"
                      % (op, hidden, dtype, name, why,
                         "" if dtype == "bf16" else " --dtype " + dtype))


def check_epsilon(op, epsilon, compiled):
    """The norm kernels are compiled for one epsilon: `epsilon` must be the
    same f32 value."""
    if f32(epsilon) != f32(compiled):
        raise Unsupported(
            "%s: epsilon=%r: the kernels are compiled for epsilon %r (f32 "
            "%.8e); build a kernel set for this epsilon (python3 -m "
            "vllm_mlir.dropins --epsilon %r ...)"
            % (op, epsilon, compiled, f32(compiled), epsilon))


def check_fp8_dtype(op, dtype_name):
    """`dtype_name`: str(torch dtype) of the quantized output."""
    if dtype_name != "torch.float8_e4m3fn":
        raise Unsupported("%s: output dtype %s: the kernels write "
                          "torch.float8_e4m3fn only" % (op, dtype_name))


def check_scale_ub(op, scale_ub):
    """scale_ub must be None: the dialect's upper bound is a compile-time
    attribute, not a run-time tensor (SPEC.md C6)."""
    if scale_ub is not None:
        raise Unsupported("%s: scale_ub is a tensor: per-token scales with a "
                          "run-time upper bound are not in the kernel set "
                          "(pass scale_ub=None)" % op)


def check_group_size(op, group_size):
    if group_size != GROUP_SIZE:
        raise Unsupported("%s: group_size=%r: the kernel set quantizes "
                          "groups of %d only" % (op, group_size, GROUP_SIZE))


def check_group_quant(op, group_size, eps, fp8_min, fp8_max):
    """per_token_group_fp8_quant's parameters against SPEC.md 3.3: group
    128, amax floor 1e-10, range [-448, 448]."""
    check_group_size(op, group_size)
    if f32(eps) != f32(GROUP_EPS):
        raise Unsupported("%s: eps=%r: the kernels floor a group's amax at "
                          "%r (SPEC.md 3.3)" % (op, eps, GROUP_EPS))
    if float(fp8_min) != -FP8_MAX or float(fp8_max) != FP8_MAX:
        raise Unsupported("%s: fp8_min=%r, fp8_max=%r: the kernels quantize "
                          "to float8_e4m3fn's range [-448, 448] (SPEC.md "
                          "section 2)" % (op, fp8_min, fp8_max))


def group_scale_layout(op, rows, groups, shape, strides, transposed,
                       tma_aligned=None):
    """Which per-group layout ("rm", "mn1", "mn4") a caller's f32 scale
    tensor of logical shape (rows, groups) has, from its strides, as vLLM's
    kernels read it: row-major (strides (G, 1)), MN-major ((1, M)) or
    MN-major TMA-aligned ((1, roundUp(M, 4))). Where the strides allow
    several (M <= 1, G == 1, M % 4 == 0), `transposed` and `tma_aligned`
    (None: no preference) choose; where they name a layout the strides do
    not have, or the strides are none of these, Unsupported."""
    shape, strides = tuple(shape), tuple(strides)
    if shape != (rows, groups):
        raise ValueError("%s: the scale tensor has shape %s, expected %s "
                         "(tokens, hidden / group_size)"
                         % (op, shape, (rows, groups)))
    s0, s1 = strides
    candidates = []
    if rows == 0:
        # Nothing is written: any strides, the flags choose.
        candidates = ["rm", "mn1", "mn4"]
    elif (rows <= 1 or s0 == groups) and (groups <= 1 or s1 == 1):
        candidates.append("rm")
    if rows and (rows <= 1 or s0 == 1):
        if groups <= 1 or s1 == rows:
            candidates.append("mn1")
        if groups <= 1 or s1 == roundup(rows, 4):
            candidates.append("mn4")
    if not candidates:
        raise Unsupported("%s: scale tensor of shape %s with strides %s: "
                          "neither row-major (%s) nor MN-major ((1, %d) or, "
                          "TMA-aligned, (1, %d))"
                          % (op, shape, strides, (groups, 1), rows,
                             roundup(rows, 4)))
    wanted = candidates
    if transposed is not None:
        wanted = [c for c in wanted if (c != "rm") == bool(transposed)]
    if tma_aligned is not None and transposed:
        wanted = [c for c in wanted if (c == "mn4") == bool(tma_aligned)]
    if not wanted:
        raise Unsupported(
            "%s: the flags say %s scales, but the scale tensor's strides %s "
            "(shape %s) are those of %s"
            % (op, _describe_flags(transposed, tma_aligned), strides, shape,
               " or ".join(_LAYOUT_WORDS[c] for c in candidates)))
    return wanted[-1] if tma_aligned else wanted[0]


_LAYOUT_WORDS = {"rm": "row-major", "mn1": "MN-major (column-major)",
                 "mn4": "MN-major TMA-aligned"}


def _describe_flags(transposed, tma_aligned):
    if not transposed:
        return "row-major"
    return "TMA-aligned column-major" if tma_aligned else \
        "column-major (not TMA-aligned)"


def packed_scale_layout(op, rows, groups, shape, strides):
    """Checks the int32 scale tensor of per_token_group_fp8_quant_packed:
    logical shape (M, ceil(G / 4)), strides (1, roundUp(M, 4)) (what
    vLLM's per_token_group_quant_fp8_packed_for_deepgemm allocates)."""
    words = (groups + 3) // 4
    shape, strides = tuple(shape), tuple(strides)
    if shape != (rows, words):
        raise ValueError("%s: output_s_packed has shape %s, expected %s "
                         "(tokens, ceil(hidden / group_size / 4))"
                         % (op, shape, (rows, words)))
    s0, s1 = strides
    if not ((rows <= 1 or s0 == 1) and
            (words <= 1 or s1 == roundup(rows, 4))):
        raise Unsupported("%s: output_s_packed with strides %s: the kernels "
                          "write the MN-major TMA-aligned layout, strides "
                          "(1, %d)" % (op, strides, roundup(rows, 4)))
    return "mn4"


def check_manifest_function(function):
    """None when `function` (a vllm_mlir.manifest.Function whose name
    parse_function_name understands) has the signature this module
    generates for its name, else why not (a library built by another
    version of the generator, or by hand)."""
    parsed = parse_function_name(function.name)
    if parsed is None:
        return "%s is not a name of the kernel set" % function.name
    kind, hidden, dtype = parsed
    try:
        arguments, results = signature(kind, hidden, dtype)
    except ValueError as e:
        return str(e)
    for role, expected, got in (("arguments", arguments, function.arguments),
                                ("results", results, function.results)):
        if len(expected) != len(got):
            return "%s has %d %s, expected %d" % (function.name, len(got),
                                                  role, len(expected))
        for i, (want, have) in enumerate(zip(expected, got)):
            if (want.element, tuple(want.shape), want.scales) != \
                    (have.element_type, tuple(have.shape), have.scales):
                return "%s: %s[%d] is %s %s %s, expected %s" % (
                    function.name, role, i, have.element_type,
                    have.describe_shape(), have.scales or "", want.mlir())
    return None


def scale_storage_words(layout, rows, groups):
    """Elements the kernel writes for per-group scales of `layout` (M
    padded for MN-major: SPEC.md 3.3 writes the padding rows too)."""
    if layout == "rm":
        return rows * groups
    _, align = LAYOUTS[layout]
    return groups * roundup(rows, align)


# ---------------------------------------------------------------------------
# Command line
# ---------------------------------------------------------------------------

def _default_compiler():
    found = shutil.which("vllm-compile")
    if found:
        return found
    here = os.path.dirname(os.path.abspath(__file__))
    return os.path.normpath(os.path.join(here, os.pardir, os.pardir, "build",
                                         "bin", "vllm-compile"))


def run_vllm_compile(compiler, mlir, chip, library, extra_args=(),
                     verbose=False, prefix="", hint=""):
    """Compiles the module `mlir` into `library` (and its manifest) for
    `chip` with --fusion-chip none: the fusion keeps every scale layout as
    the module writes it, whatever the chip. Raises RuntimeError, its
    message starting with `prefix`, when vllm-compile cannot be run (with
    `hint`) or fails (with its output)."""
    command = [compiler, mlir, "--chip", chip, "--fusion-chip", "none",
               "-o", library, *extra_args]
    if verbose:
        print(" ".join(command), file=sys.stderr)
    try:
        done = subprocess.run(command, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True,
                              check=False)
    except OSError as e:
        raise RuntimeError("%scannot run %s: %s%s"
                           % (prefix, compiler, e, hint)) from None
    if done.returncode != 0:
        raise RuntimeError("%s%s failed (exit status %d):\n%s"
                           % (prefix, " ".join(command), done.returncode,
                              done.stdout.rstrip()))
    if verbose and done.stdout:
        print(done.stdout.rstrip(), file=sys.stderr)


def build(out_dir, hidden_sizes, epsilon=DEFAULT_EPSILON,
          dtypes=DEFAULT_DTYPES, chip="sm_90a", compiler=None,
          extra_args=(), emit_only=False, verbose=False):
    """Writes <out_dir>/vllm_dropins.mlir and, unless `emit_only`, compiles
    it into <out_dir>/vllm_dropins.so (+ manifest) and writes
    <out_dir>/vllm_dropins.dropins.json. Returns the paths written.
    Raises ValueError for a bad set, RuntimeError when vllm-compile fails
    (its output is in the message)."""
    text = generate_module(hidden_sizes, epsilon, dtypes)
    os.makedirs(out_dir, exist_ok=True)
    mlir = os.path.join(out_dir, LIBRARY_STEM + ".mlir")
    with open(mlir, "w", encoding="utf-8") as f:
        f.write(text)
    written = [mlir]
    if emit_only:
        return written
    compiler = compiler or _default_compiler()
    library = os.path.join(out_dir, LIBRARY_STEM + ".so")
    # The drop-ins need exactly the scale layouts the module writes.
    run_vllm_compile(compiler, mlir, chip, library, extra_args, verbose,
                     hint=" (pass --vllm-compile PATH)")
    settings = config_path(library)
    with open(settings, "w", encoding="utf-8") as f:
        json.dump(config(hidden_sizes, epsilon, dtypes, chip), f, indent=2,
                  sort_keys=True)
        f.write("\n")
    written += [library, os.path.splitext(library)[0] + ".manifest.json",
                settings]
    return written


def _int_list(text):
    try:
        return [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(
            "expected comma-separated integers, got %r" % text) from None


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python3 -m vllm_mlir.dropins",
        description="Writes and compiles the kernel set of the drop-ins for "
                    "vLLM's ops (docs/pytorch.md).")
    parser.add_argument("--hidden", type=_int_list, required=True,
                        help="hidden sizes, comma-separated (7168,1536)")
    parser.add_argument("--epsilon", type=float, default=DEFAULT_EPSILON,
                        help="epsilon of the norms (default 1e-6)")
    parser.add_argument("--dtype", default=",".join(DEFAULT_DTYPES),
                        help="element types of x, comma-separated, of %s "
                             "(default bf16)" % ", ".join(DTYPES))
    parser.add_argument("--chip", default="sm_90a",
                        help="target chip (default sm_90a)")
    parser.add_argument("-o", "--output-dir", required=True,
                        help="folder for vllm_dropins.{mlir,so,"
                             "manifest.json,dropins.json}")
    parser.add_argument("--vllm-compile", default=None,
                        help="the compiler (default: vllm-compile on PATH, "
                             "else ../../build/bin/vllm-compile from the "
                             "package)")
    parser.add_argument("--emit-mlir-only", action="store_true",
                        help="write the .mlir only")
    parser.add_argument("-v", "--verbose", action="store_true")
    parser.add_argument("compile_args", nargs="*",
                        help="more vllm-compile options, after --")
    args = parser.parse_args(argv)
    dtypes = [d.strip() for d in args.dtype.split(",") if d.strip()]
    try:
        written = build(args.output_dir, args.hidden, args.epsilon, dtypes,
                        args.chip, args.vllm_compile, args.compile_args,
                        args.emit_mlir_only, args.verbose)
    except (ValueError, RuntimeError) as e:
        print("vllm_mlir.dropins: error: %s" % e, file=sys.stderr)
        return 1
    count = len(functions(args.hidden, dtypes))
    print("%d functions; wrote %s" % (count, ", ".join(written)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
