"""FX graphs in: the norm -> quantize chains of a PyTorch model, compiled
(docs/pytorch.md, "FX graphs in").

    import vllm_mlir.fx as vfx
    gm = vfx.compile(block, example_inputs, chip="sm_90a")
    print(gm.vllm_report)            # what was taken, what stayed in torch
    out = gm(*inputs)                # or torch.compile(gm), torch.cuda.graph

`compile` traces a module with `trace` (torch.fx symbolic tracing that keeps
this module's quantization functions as leaves), finds the chains it can
take (`import_graph`), writes them as one `vllm` dialect function per
partition, builds the module with vllm-compile (cached by the module's
text), loads the library as torch ops (`vllm_mlir.load`) and rewrites the
graph to call them (`rewrite`). Every node it does not take stays in torch;
the report lists the partitions and, for the nodes that looked like a chain
but were not taken, why.

What it takes (anything else stays in torch):

- RMSNorm written in torch primitives the way Hugging Face models write it,
      h = x.to(torch.float32)                   # or x.float()
      v = h.pow(2).mean(-1, keepdim=True)       # or h * h, torch.pow, square
      h = h * torch.rsqrt(v + eps)              # eps a number
      y = w * h.to(x.dtype)                     # or h.to(dtype) * w
  for x of bf16 or f16 with the hidden size H last (leading dimensions
  flatten to M) and w a [H] tensor of x's type: `vllm.rms_norm` with
  `round_before_weight` (SPEC.md 3.1: the two roundings of that last line).
  The one-rounding form `(h * w).to(x.dtype)`, w of x's type, is
  `vllm.rms_norm` without the attribute. When x is `a + b` of two tensors of
  x's type and shape, the add is taken too, as `vllm.fused_add_rms_norm`
  (SPEC.md 3.2: the norm reads the rounded sum, as torch computes it), and
  the sum's other users read its `residual_out`.
- `per_token_group_quant_fp8` and `per_token_group_quant_fp8_packed_for_
  deepgemm`, this module's functions or vLLM's of the same names
  (vllm/model_executor/layers/quantization/utils/fp8_utils.py), with the
  arguments the drop-ins serve (vllm_mlir.dropins: group 128, eps 1e-10,
  FP8 e4m3fn, no `out_q`; vLLM's `use_ue8m0=None`, which vLLM resolves from
  its environment, is refused), on a rank-2 [M, H] input: `vllm.quantize`
  per group with the scale layout the call asks for. The scales come back as
  the functions return them ([M, G] views, MN-major ones with strides
  (1, Mpad)).
- A quantization whose input is a taken norm's output, directly or through a
  reshape/view/flatten to [M, H], joins the norm's partition; vllm-compile
  fuses the pair into `vllm.rms_norm_quant` (SPEC.md 3.4: bit for bit the
  same results).

The numbers: a partition computes SPEC.md's semantics. For the norm these
are torch's up to the order of the sum of squares and the rounding of the
reciprocal square root, so a small fraction of elements may differ from what
the replaced torch code computed (docs/pytorch.md gives the measured rate);
the quantization functions of this module compute SPEC.md 3.3 exactly, also
when they run in torch (their eager implementation, used by an uncompiled
model, is a torch transcription of SPEC.md 3.3, not a kernel).

Needs torch (symbolic tracing works with torch 1.13; running the
quantization functions eagerly needs torch.float8_e4m3fn, torch >= 2.1;
loading the library needs what vllm_mlir.load needs).
"""

import hashlib
import inspect
import math
import operator
import os
import shutil
import sys
from dataclasses import dataclass, field

import torch
import torch.fx

from . import dropins

__all__ = ["ImportResult", "Partition", "compile", "default_cache_dir",
           "import_graph", "per_token_group_quant_fp8",
           "per_token_group_quant_fp8_packed_for_deepgemm", "rewrite",
           "trace"]

# Bumped when the text this module writes for the same graph changes, so a
# cache entry is never reused across versions.
MODULE_FORMAT = 1
CACHE_ENV = "VLLM_MLIR_FX_CACHE"
COMPILER_ENV = "VLLM_COMPILE"

FP8_MAX = 448.0

_FP8 = getattr(torch, "float8_e4m3fn", None)
_ELEMENT_TYPES = {torch.bfloat16: "bf16", torch.float16: "f16",
                  torch.float32: "f32", torch.int32: "i32"}
if _FP8 is not None:
    _ELEMENT_TYPES[_FP8] = "f8E4M3FN"
    _FP8_META = _FP8
else:
    # A torch without FP8 (Debian's 1.13) still propagates shapes through
    # the quantization functions' results, as uint8 meta tensors: the
    # importer takes no FP8 or uint8 input, so nothing is matched on them.
    _ELEMENT_TYPES[torch.uint8] = "f8E4M3FN"
    _FP8_META = torch.uint8


# ---------------------------------------------------------------------------
# The quantization functions (leaves of the trace)
# ---------------------------------------------------------------------------

def per_token_group_quant_fp8(x, group_size, eps=1e-10, dtype=None,
                              column_major_scales=False,
                              tma_aligned_scales=False, out_q=None,
                              use_ue8m0=None):
    """vLLM's per_token_group_quant_fp8 (fp8_utils.py) with SPEC.md 3.3's
    semantics: x [M, H] -> (x_q [M, H] float8_e4m3fn, x_s [M, G] f32), the
    scales row-major, or MN-major (strides (1, M), or (1, roundUp(M, 4))
    with `tma_aligned_scales`) with `column_major_scales`. `use_ue8m0=None`
    means False here. `compile` replaces calls with the kernels; run in
    torch it is this transcription of SPEC.md (slow, exact)."""
    _check_group_args("per_token_group_quant_fp8", x, group_size, eps,
                      dtype, out_q)
    q, exponents, scales = _group_quant_reference(x, group_size,
                                                  bool(use_ue8m0))
    del exponents
    if not column_major_scales:
        return q, scales
    rows = x.shape[0]
    padded = dropins.roundup(rows, 4) if tma_aligned_scales else rows
    storage = torch.zeros((scales.shape[1], padded), dtype=torch.float32,
                          device=x.device)
    storage[:, :rows] = scales.t()
    return q, storage[:, :rows].t()


def per_token_group_quant_fp8_packed_for_deepgemm(x, group_size, eps=1e-10,
                                                   use_ue8m0=None,
                                                   out_q=None):
    """vLLM's per_token_group_quant_fp8_packed_for_deepgemm with SPEC.md
    3.3's semantics: (x_q, x_s_packed [M, ceil(G / 4)] int32 with strides
    (1, roundUp(M, 4))), UE8M0 exponents packed four per word (SPEC.md 3.3,
    `ue8m0-packed`). `use_ue8m0` must be None or True."""
    if use_ue8m0 is False:
        raise ValueError("per_token_group_quant_fp8_packed_for_deepgemm: "
                         "packed scales are UE8M0 (use_ue8m0=False given)")
    _check_group_args("per_token_group_quant_fp8_packed_for_deepgemm", x,
                      group_size, eps, None, out_q)
    q, exponents, _ = _group_quant_reference(x, group_size, True)
    rows, groups = exponents.shape
    words = (groups + 3) // 4
    padded = dropins.roundup(rows, 4)
    packed = torch.zeros((rows, words * 4), dtype=torch.int64,
                         device=x.device)
    packed[:, :groups] = exponents
    packed = packed.view(rows, words, 4)
    value = (packed[..., 0] | (packed[..., 1] << 8) | (packed[..., 2] << 16)
             | (packed[..., 3] << 24))
    # Two's complement: a word with its top byte >= 128 is negative.
    value = torch.where(value >= 2 ** 31, value - 2 ** 32, value)
    storage = torch.zeros((words, padded), dtype=torch.int32,
                          device=x.device)
    storage[:, :rows] = value.to(torch.int32).t()
    return q, storage[:, :rows].t()


# Leaves however they are called: torch.fx.wrap patches this module's own
# names (`vllm_mlir.fx.per_token_group_quant_fp8(...)`), `trace`'s
# autowrap_functions the names a model module imported.
torch.fx.wrap("per_token_group_quant_fp8")
torch.fx.wrap("per_token_group_quant_fp8_packed_for_deepgemm")

LEAVES = (per_token_group_quant_fp8,
          per_token_group_quant_fp8_packed_for_deepgemm)
_LEAF_NAMES = {leaf.__name__: leaf for leaf in LEAVES}


def _check_group_args(name, x, group_size, eps, dtype, out_q):
    if x.dim() != 2 or x.shape[-1] % group_size:
        raise ValueError("%s: x must be [M, H] with H %% group_size == 0, "
                         "got %s" % (name, tuple(x.shape)))
    if group_size != dropins.GROUP_SIZE or eps != dropins.GROUP_EPS:
        raise ValueError("%s: SPEC.md's per-group scheme here is group %d "
                         "with eps %g" % (name, dropins.GROUP_SIZE,
                                           dropins.GROUP_EPS))
    if dtype not in (None, _FP8) or out_q is not None:
        raise ValueError("%s: only float8_e4m3fn results it allocates"
                         % name)


def _group_quant_reference(x, group_size, ue8m0):
    """SPEC.md 3.3 per group: (q, UE8M0 exponents as int64 [M, G] or None,
    scales f32 [M, G])."""
    if _FP8 is None:
        raise RuntimeError("this torch has no float8_e4m3fn (torch >= 2.1 "
                           "runs the quantization functions eagerly)")
    rows, hidden = x.shape
    groups = hidden // group_size
    y = x.to(torch.float32).reshape(rows, groups, group_size)
    magnitude = y.abs()
    # SPEC.md 2: amax ignores NaN (a group of NaN only has the -1 here);
    # the floor is a maxNum too (reference/lib/Ops.cpp), so such a group
    # lands on it.
    amax = torch.where(torch.isnan(magnitude),
                       torch.full_like(magnitude, -1.0), magnitude).amax(
                           dim=-1)
    floor = torch.full_like(amax, dropins.GROUP_EPS)
    # A tensor divisor: torch turns a division by a Python number into a
    # multiplication by its reciprocal on CUDA, which is not SPEC.md's a / 448.
    scales = torch.fmax(amax, floor) / torch.full_like(amax, FP8_MAX)
    exponents = None
    if ue8m0:
        # U(s): s' = max(s, 1e-10) as f32 bits; the exponent field, plus one
        # when the mantissa is not zero.
        bits = torch.fmax(scales, floor).view(torch.int32).to(torch.int64)
        mantissa = bits & 0x7FFFFF
        exponents = ((bits >> 23) & 0xFF) + (mantissa != 0).to(torch.int64)
        exponents = torch.clamp(exponents, max=255)
        scales = (exponents << 23).to(torch.int32).view(torch.float32)
    quotient = y / scales.unsqueeze(-1)
    # E(v) saturates (SPEC.md 2); torch's cast does not, clamp keeps NaN.
    q = torch.clamp(quotient, -FP8_MAX, FP8_MAX).to(_FP8)
    return q.reshape(rows, hidden), exponents, scales


# ---------------------------------------------------------------------------
# Tracing
# ---------------------------------------------------------------------------

def _vllm_leaves():
    """vLLM's functions of the same names, when vLLM is importable."""
    try:
        from vllm.model_executor.layers.quantization.utils import fp8_utils
    except Exception:  # pylint: disable=broad-except
        return ()
    return tuple(getattr(fp8_utils, leaf.__name__) for leaf in LEAVES
                 if hasattr(fp8_utils, leaf.__name__))


class _PairProxy(torch.fx.Proxy):
    """The result of a quantization function: a pair. Unpacking a Proxy
    otherwise reads the caller's bytecode, which some torch/Python
    pairings (Debian's torch 1.13 on Python 3.11) get wrong."""

    def __iter__(self):
        return iter((self[0], self[1]))


class _Tracer(torch.fx.Tracer):
    def proxy(self, node):
        if node.op == "call_function" and _leaf_name(node.target):
            return _PairProxy(node, self)
        return super().proxy(node)


def trace(module, concrete_args=None):
    """torch.fx.symbolic_trace of `module` that keeps the quantization
    functions (this module's and, when vLLM is installed, vLLM's) as
    call_function leaves instead of tracing through them."""
    tracer = _Tracer(autowrap_functions=LEAVES + _vllm_leaves())
    graph = tracer.trace(module, concrete_args)
    name = module.__class__.__name__ if isinstance(module, torch.nn.Module) \
        else getattr(module, "__name__", "fn")
    root = module if isinstance(module, torch.nn.Module) else \
        torch.nn.Module()
    return torch.fx.GraphModule(root, graph, name)


# ---------------------------------------------------------------------------
# What is known of each node: shapes and element types
# ---------------------------------------------------------------------------

@dataclass(frozen=True)
class TensorInfo:
    shape: tuple
    dtype: str          # an MLIR element type name, or str(torch dtype)


def _info(value):
    if isinstance(value, torch.Tensor):
        return TensorInfo(tuple(int(d) for d in value.shape),
                          _ELEMENT_TYPES.get(value.dtype, str(value.dtype)))
    return None


_UNKNOWN = object()


def _example_value(node):
    for key in ("val", "example_value"):
        value = node.meta.get(key)
        if isinstance(value, torch.Tensor):
            return value
    return None


def _to_meta(value):
    if isinstance(value, torch.Tensor):
        return torch.empty(value.shape, dtype=value.dtype, device="meta")
    return value


def _propagate(gm, example_inputs, shape_functions=None):
    """node -> a meta tensor or Python value (what the node computes, on the
    meta device), or _UNKNOWN where it could not be computed.
    `shape_functions` maps call_function targets to functions computing
    their results on meta tensors (for functions that cannot run there)."""
    shape_functions = shape_functions or {}
    values = {}
    inputs = list(example_inputs) if example_inputs is not None else None
    index = 0

    def lookup(arg):
        return values.get(arg, _UNKNOWN) if isinstance(arg, torch.fx.Node) \
            else arg

    for node in gm.graph.nodes:
        value = _UNKNOWN
        try:
            if node.op == "placeholder":
                if inputs is not None and index < len(inputs):
                    value = _to_meta(inputs[index])
                index += 1
            elif node.op == "get_attr":
                target = gm
                for part in node.target.split("."):
                    target = getattr(target, part)
                value = _to_meta(target)
            elif node.op in ("call_function", "call_method", "call_module"):
                args = torch.fx.node.map_aggregate(node.args, lookup)
                kwargs = torch.fx.node.map_aggregate(node.kwargs, lookup)
                flat = []
                torch.fx.node.map_aggregate((args, kwargs), flat.append)
                if not any(item is _UNKNOWN for item in flat):
                    value = _evaluate(gm, node, args, kwargs, shape_functions)
        except Exception:  # pylint: disable=broad-except
            value = _UNKNOWN
        if value is _UNKNOWN:
            example = _example_value(node)
            if example is not None:
                value = _to_meta(example)
        values[node] = value
    return values


def _evaluate(gm, node, args, kwargs, shape_functions):
    """What a call node computes for meta arguments."""
    if node.op == "call_module":
        return _run_module_on_meta(gm.get_submodule(node.target), args,
                                   kwargs)
    if node.op == "call_method":
        return getattr(args[0], node.target)(*args[1:], **kwargs)
    if _leaf_name(node.target):
        return _leaf_meta(node.target, args, kwargs)
    if node.target in shape_functions:
        return shape_functions[node.target](*args, **kwargs)
    return node.target(*args, **kwargs)


def _run_module_on_meta(module, args, kwargs):
    """The module's results for meta inputs, with meta copies of its
    parameters and buffers (the module itself is not changed)."""
    try:
        from torch.func import functional_call
    except ImportError:  # torch < 2.0 (Debian's 1.13)
        from torch.nn.utils.stateless import functional_call
    tensors = {name: _to_meta(t) for name, t in
               list(module.named_parameters()) + list(module.named_buffers())}
    return functional_call(module, tensors, tuple(args), kwargs)


def _leaf_meta(target, args, kwargs):
    """The results of a quantization function, on the meta device (also
    where torch has no FP8 type: q is then a uint8 stand-in, _FP8_META)."""
    bound = _bind(target, args, kwargs)
    if bound is None:
        return _UNKNOWN
    x = bound["x"]
    if not isinstance(x, torch.Tensor) or x.dim() != 2:
        return _UNKNOWN
    rows, hidden = x.shape
    groups = hidden // bound["group_size"]
    q = torch.empty((rows, hidden), dtype=_FP8_META, device="meta")
    if _leaf_name(target) == "per_token_group_quant_fp8_packed_for_deepgemm":
        storage = torch.empty(((groups + 3) // 4, dropins.roundup(rows, 4)),
                              dtype=torch.int32, device="meta")
        return q, storage[:, :rows].t()
    if not bound.get("column_major_scales"):
        return q, torch.empty((rows, groups), dtype=torch.float32,
                              device="meta")
    padded = dropins.roundup(rows, 4) if bound.get("tma_aligned_scales") \
        else rows
    storage = torch.empty((groups, padded), dtype=torch.float32,
                          device="meta")
    return q, storage[:, :rows].t()


def _leaf_name(target):
    """The leaf's name when `target` is one of this module's quantization
    functions or vLLM's function of the same name, else None."""
    if target in LEAVES:
        return target.__name__
    name = getattr(target, "__name__", None)
    module = getattr(target, "__module__", "") or ""
    if name in _LEAF_NAMES and module.startswith("vllm.") and \
            module.endswith("fp8_utils"):
        return name
    return None


def _bind(target, args, kwargs):
    """The call's arguments by the parameter names of this module's function
    of the same name (vLLM's have the same names), defaults applied."""
    reference = _LEAF_NAMES[_leaf_name(target)]
    try:
        bound = inspect.signature(reference).bind(*args, **kwargs)
    except TypeError:
        return None
    bound.apply_defaults()
    return dict(bound.arguments)


# ---------------------------------------------------------------------------
# Matching
# ---------------------------------------------------------------------------

def _call(node, functions=(), methods=()):
    if not isinstance(node, torch.fx.Node):
        return False
    if node.op == "call_function":
        return node.target in functions
    return node.op == "call_method" and node.target in methods


def _arg(node, position, name, default=None):
    if len(node.args) > position:
        return node.args[position]
    return node.kwargs.get(name, default)


class _Matcher:
    def __init__(self, values):
        self.values = values

    def info(self, node):
        if not isinstance(node, torch.fx.Node):
            return None
        return _info(self.values.get(node, _UNKNOWN))

    def value(self, arg):
        if isinstance(arg, torch.fx.Node):
            value = self.values.get(arg, _UNKNOWN)
            return None if value is _UNKNOWN else value
        return arg

    # Element-type conversions: (source, torch dtype) or None.
    def cast(self, node):
        if _call(node, methods=("float",)) and len(node.args) == 1:
            return node.args[0], torch.float32
        if _call(node, methods=("bfloat16",)) and len(node.args) == 1:
            return node.args[0], torch.bfloat16
        if _call(node, methods=("half",)) and len(node.args) == 1:
            return node.args[0], torch.float16
        if _call(node, methods=("to", "type")):
            if len(node.args) == 2 and not node.kwargs:
                dtype = self.value(node.args[1])
            elif len(node.args) == 1 and set(node.kwargs) == {"dtype"}:
                dtype = self.value(node.kwargs["dtype"])
            else:
                return None
            if isinstance(dtype, torch.dtype):
                return node.args[0], dtype
        return None

    def tensor_operands(self, node, functions, methods):
        """(a, b) of a binary op on two nodes without extra arguments."""
        if not _call(node, functions, methods):
            return None
        if len(node.args) != 2 or node.kwargs:
            return None
        a, b = node.args
        if isinstance(a, torch.fx.Node) and isinstance(b, torch.fx.Node):
            return a, b
        return None

    def mul(self, node):
        return self.tensor_operands(node, (operator.mul, torch.mul),
                                    ("mul",))

    def add(self, node):
        return self.tensor_operands(node, (operator.add, torch.add),
                                    ("add",))

    def square_of(self, node):
        """x when node is x ** 2, x * x or square(x)."""
        if _call(node, (operator.pow, torch.pow), ("pow",)) and \
                len(node.args) == 2 and not node.kwargs and \
                node.args[1] == 2 and isinstance(node.args[0],
                                                 torch.fx.Node):
            return node.args[0]
        if _call(node, (torch.square,), ("square",)) and \
                len(node.args) == 1 and not node.kwargs:
            return node.args[0]
        operands = self.mul(node)
        if operands and operands[0] is operands[1]:
            return operands[0]
        return None

    def mean_last(self, node):
        """x when node is x.mean(-1, keepdim=True) (or dim=rank-1)."""
        if not _call(node, (torch.mean,), ("mean",)):
            return None
        if len(node.args) > 3 or set(node.kwargs) - {"dim", "keepdim"}:
            return None
        source = node.args[0]
        dim = _arg(node, 1, "dim")
        keepdim = _arg(node, 2, "keepdim", False)
        info = self.info(source)
        if info is None or keepdim is not True:
            return None
        if isinstance(dim, (list, tuple)) and len(dim) == 1:
            dim = dim[0]
        if dim not in (-1, len(info.shape) - 1):
            return None
        return source

    def plus_constant(self, node):
        """(x, c) when node is x + c or c + x for a Python number c."""
        if not _call(node, (operator.add, torch.add), ("add",)) or \
                len(node.args) != 2 or node.kwargs:
            return None
        a, b = node.args
        if isinstance(a, torch.fx.Node) and isinstance(b, (int, float)) \
                and not isinstance(b, bool):
            return a, float(b)
        if isinstance(b, torch.fx.Node) and isinstance(a, (int, float)) \
                and not isinstance(a, bool) and node.op == "call_function":
            return b, float(a)
        return None

    def rsqrt_of(self, node):
        if _call(node, (torch.rsqrt,), ("rsqrt",)) and \
                len(node.args) == 1 and not node.kwargs:
            return node.args[0]
        return None

    def normalized(self, node):
        """(x, epsilon, inner nodes) when node is h * rsqrt(mean(h^2) + eps)
        with h = x cast to f32, x of bf16 or f16."""
        operands = self.mul(node)
        if not operands:
            return None
        for h, r in (operands, operands[::-1]):
            cast = self.cast(h)
            if cast is None or cast[1] != torch.float32:
                continue
            x = cast[0]
            x_info = self.info(x)
            if x_info is None or x_info.dtype not in ("bf16", "f16") or \
                    len(x_info.shape) < 2:
                continue
            variance_eps = self.rsqrt_of(r)
            if variance_eps is None:
                continue
            sum_eps = self.plus_constant(variance_eps)
            if sum_eps is None:
                continue
            mean = self.mean_last(sum_eps[0])
            if mean is None:
                continue
            squared = self.square_of(mean)
            if squared is None:
                continue
            # The squares must be of the same f32 values (h itself, or
            # another f32 cast of x).
            if squared is not h:
                other = self.cast(squared)
                if other is None or other != (x, torch.float32):
                    continue
            return x, sum_eps[1], [node, h, r, variance_eps, sum_eps[0],
                                   mean, squared]
        return None


@dataclass
class _Norm:
    y: torch.fx.Node
    x: torch.fx.Node              # the norm's input (the sum, with residual)
    weight: torch.fx.Node
    epsilon: float
    round_before_weight: bool
    info: TensorInfo              # x's
    residual: tuple = None        # (a, b) of x = a + b
    nodes: list = field(default_factory=list)

    @property
    def hidden(self):
        return self.info.shape[-1]


@dataclass
class _Quant:
    node: torch.fx.Node
    name: str
    x: torch.fx.Node              # the input as the call names it
    source: torch.fx.Node         # x, or the norm output x flattens
    info: TensorInfo
    encoding: str                 # f32, ue8m0, ue8m0_packed
    layout: str                   # rm, mn1, mn4
    getitems: dict = field(default_factory=dict)    # index -> node
    nodes: list = field(default_factory=list)

    @property
    def groups(self):
        return self.info.shape[-1] // dropins.GROUP_SIZE


def _match_norm(matcher, node):
    """A _Norm for `node`, or None."""
    y_info = matcher.info(node)
    if y_info is None:
        return None
    candidates = []
    operands = matcher.mul(node)
    if operands:
        # w * normalized.to(T): two roundings.
        for weight, cast in (operands, operands[::-1]):
            converted = matcher.cast(cast)
            if converted is None:
                continue
            found = matcher.normalized(converted[0])
            if found is not None:
                candidates.append((found, weight, converted[1], True,
                                   [cast]))
    converted = matcher.cast(node)
    if converted is not None:
        # (normalized * w).to(T): one rounding.
        inner = matcher.mul(converted[0])
        if inner:
            for normalized, weight in (inner, inner[::-1]):
                found = matcher.normalized(normalized)
                if found is not None:
                    candidates.append((found, weight, converted[1], False,
                                       [converted[0]]))
    for (x, epsilon, inner_nodes), weight, dtype, rbw, extra in candidates:
        # A dtype read for the cast (`x.dtype`) belongs to the chain too.
        extra = extra + [arg for cast_node in extra + [node]
                         for arg in list(cast_node.args[1:]) +
                         list(cast_node.kwargs.values())
                         if isinstance(arg, torch.fx.Node) and
                         _call(arg, (getattr,))]
        x_info = matcher.info(x)
        w_info = matcher.info(weight)
        if _ELEMENT_TYPES.get(dtype) != x_info.dtype:
            continue
        if w_info is None or w_info.shape != (x_info.shape[-1],) or \
                w_info.dtype != x_info.dtype or y_info != x_info:
            continue
        if not epsilon > 0:
            continue
        norm = _Norm(y=node, x=x, weight=weight, epsilon=epsilon,
                     round_before_weight=rbw, info=x_info,
                     nodes=inner_nodes + extra + [node])
        summands = matcher.add(x)
        if summands and all(matcher.info(s) == x_info for s in summands):
            norm.residual = summands
        return norm
    return None


def _match_quant(matcher, node, norms_by_output):
    """(_Quant or None, reason or None) for a call of a quantization
    function."""
    name = _leaf_name(node.target) if node.op == "call_function" else None
    if name is None:
        return None, None
    bound = _bind(node.target, node.args, node.kwargs)
    if bound is None:
        return None, "%s: arguments do not bind" % name
    x = bound["x"]
    info = matcher.info(x)
    constants = {k: v for k, v in bound.items() if k != "x"}
    if any(isinstance(v, torch.fx.Node) for v in constants.values()):
        return None, "%s: arguments other than x must be constants" % name
    if info is None or len(info.shape) != 2:
        return None, "%s: x must be a rank-2 tensor of known shape" % name
    if info.dtype not in ("bf16", "f16", "f32"):
        return None, "%s: x of %s" % (name, info.dtype)
    if constants["group_size"] != dropins.GROUP_SIZE or \
            info.shape[1] % dropins.GROUP_SIZE:
        return None, "%s: group_size %r on H = %d (group 128 only)" % (
            name, constants["group_size"], info.shape[1])
    if constants["eps"] != dropins.GROUP_EPS:
        return None, "%s: eps %r (1e-10 only)" % (name, constants["eps"])
    if constants.get("dtype") not in (None, _FP8):
        return None, "%s: dtype %r (float8_e4m3fn only)" % (
            name, constants["dtype"])
    if constants.get("out_q") is not None:
        return None, "%s: out_q given" % name
    vllm_call = node.target not in LEAVES
    ue8m0 = constants.get("use_ue8m0")
    if ue8m0 is None and vllm_call:
        return None, ("%s: vLLM's use_ue8m0=None depends on vLLM's "
                      "environment; pass True or False" % name)
    if name == "per_token_group_quant_fp8_packed_for_deepgemm":
        if ue8m0 is False:
            return None, "%s: use_ue8m0=False" % name
        encoding, layout = "ue8m0_packed", "mn4"
    else:
        encoding = "ue8m0_f32" if ue8m0 else "f32"
        if not constants.get("column_major_scales"):
            layout = "rm"
        else:
            layout = "mn4" if constants.get("tma_aligned_scales") else "mn1"
    getitems = {}
    for user in node.users:
        if not (_call(user, (operator.getitem,)) and
                isinstance(user.args[1], int) and user.args[1] in (0, 1)):
            return None, "%s: a result used other than by indexing" % name
        getitems.setdefault(user.args[1], []).append(user)
    source, nodes = x, []
    # Look through a flatten of a taken norm's output to [M, H].
    if x not in norms_by_output and _call(
            x, (torch.reshape, torch.flatten),
            ("view", "reshape", "flatten")):
        inner = x.args[0]
        inner_info = matcher.info(inner)
        if inner in norms_by_output and inner_info is not None and \
                inner_info.shape[-1] == info.shape[1] and \
                math.prod(inner_info.shape[:-1]) == info.shape[0]:
            source, nodes = inner, [x]
    return _Quant(node=node, name=name, x=x, source=source, info=info,
                  encoding=encoding, layout=layout, getitems=getitems,
                  nodes=nodes + [node]), None


# ---------------------------------------------------------------------------
# Partitions and the module
# ---------------------------------------------------------------------------

@dataclass
class Partition:
    """One function of the module: a norm and the quantizations of its
    output, or a quantization alone."""

    name: str
    norm: _Norm = None
    quants: list = field(default_factory=list)
    # Filled by _function_text: [(kind, node or (quant, index))] of the
    # function's arguments and results, in order.
    arguments: list = field(default_factory=list)
    results: list = field(default_factory=list)
    text: str = ""

    def describe(self):
        parts = []
        if self.norm is not None:
            n = self.norm
            op = "fused_add_rms_norm" if n.residual else "rms_norm"
            parts.append("%s(%s, H = %d, epsilon %g%s) at %%%s" % (
                op, n.info.dtype, n.hidden, n.epsilon,
                ", round_before_weight" if n.round_before_weight else "",
                n.y.name))
        for q in self.quants:
            parts.append("quantize(per_group 128, %s, %s) at %%%s" % (
                q.encoding, q.layout, q.node.name))
        fused = " (vllm-compile fuses the norm and the quantization)" \
            if self.norm is not None and self.quants else ""
        return "@%s: %s%s" % (self.name, " -> ".join(parts), fused)


@dataclass
class ImportResult:
    """What import_graph found: the partitions, the module text, and the
    chains that stayed in torch with the reason."""

    graph_module: torch.fx.GraphModule
    partitions: list
    kept: list                    # [(node name, reason)]
    text: str
    node_count: int

    def report(self):
        lines = ["vllm_mlir.fx: %d nodes, %d partitions" % (
            self.node_count, len(self.partitions))]
        lines += ["  " + p.describe() for p in self.partitions]
        for name, reason in self.kept:
            lines.append("  kept in torch: %%%s: %s" % (name, reason))
        return "\n".join(lines)


def import_graph(gm, example_inputs=None, name_prefix="vllm_fx",
                 shape_functions=None):
    """Finds the chains of `gm` (a torch.fx.GraphModule) that can be
    compiled. Shapes and element types come from `example_inputs` (tensors,
    on any device, including "meta") for the placeholders, or from the
    placeholders' meta["val"] / meta["example_value"] (dynamo's graphs),
    propagated on the meta device (call_module nodes run with meta copies
    of their parameters; `shape_functions` maps the targets of calls that
    cannot run on meta tensors, such as a custom GEMM, to functions that
    return their results' meta tensors). Returns an ImportResult; nothing
    of `gm` is changed."""
    values = _propagate(gm, example_inputs, shape_functions)
    matcher = _Matcher(values)
    norms = {}
    kept = []
    for node in gm.graph.nodes:
        norm = _match_norm(matcher, node)
        if norm is not None:
            norms[node] = norm
    quants = []
    for node in gm.graph.nodes:
        if node.op != "call_function" or not _leaf_name(node.target):
            continue
        quant, reason = _match_quant(matcher, node, norms)
        if quant is None:
            kept.append((node.name, reason))
        else:
            quants.append(quant)
    partitions = []
    by_norm = {}
    order = {node: i for i, node in enumerate(gm.graph.nodes)}
    for norm in sorted(norms.values(), key=lambda n: order[n.y]):
        partition = Partition(name="", norm=norm)
        by_norm[norm.y] = partition
        partitions.append(partition)
    for quant in quants:
        if quant.source in by_norm:
            by_norm[quant.source].quants.append(quant)
        else:
            partitions.append(Partition(name="", quants=[quant]))
    partitions.sort(key=lambda p: order[p.norm.y if p.norm else
                                        p.quants[0].node])
    for index, partition in enumerate(partitions):
        partition.name = "%s_%d" % (name_prefix, index)
        partition.text = _function_text(partition)
    text = _module_text(partitions)
    return ImportResult(gm, partitions, kept, text, len(gm.graph.nodes))


def _function_text(partition):
    """The partition's function: arguments x, [b], w (norm) or x (a
    quantization alone); results every value the rest of the graph reads."""
    arguments, results, body = [], [], []
    if partition.norm is not None:
        norm = partition.norm
        t = "tensor<?x%dx%s>" % (norm.hidden, norm.info.dtype)
        w_t = "tensor<%dx%s>" % (norm.hidden, norm.info.dtype)
        attr = "{epsilon = %s : f32%s}" % (
            dropins._epsilon_literal(norm.epsilon),  # pylint: disable=W0212
            ", round_before_weight" if norm.round_before_weight else "")
        if norm.residual:
            arguments = [("x", norm.residual[0], t), ("res", norm.residual[1],
                                                      t),
                         ("w", norm.weight, w_t)]
            body.append("%%y, %%ro = vllm.fused_add_rms_norm %%x, %%res, %%w "
                        "%s : (%s, %s, %s) -> (%s, %s)"
                        % (attr, t, t, w_t, t, t))
        else:
            arguments = [("x", norm.x, t), ("w", norm.weight, w_t)]
            body.append("%%y = vllm.rms_norm %%x, %%w %s : (%s, %s) -> %s"
                        % (attr, t, w_t, t))
        if _needs_output(partition, norm.y):
            results.append(("%y", t, ("y", norm.y)))
        if norm.residual and any(user not in norm.nodes
                                 for user in norm.x.users):
            results.append(("%ro", t, ("residual_out", norm.x)))
        source = "%y"
    else:
        quant = partition.quants[0]
        t = "tensor<?x%dx%s>" % (quant.info.shape[1], quant.info.dtype)
        arguments = [("x", quant.x, t)]
        source = "%x"
    for index, quant in enumerate(partition.quants):
        t_in = "tensor<?x%dx%s>" % (quant.info.shape[1], quant.info.dtype)
        q_t = "tensor<?x%dxf8E4M3FN>" % quant.info.shape[1]
        s_t = dropins.group_scales_type(quant.encoding, quant.layout,
                                        quant.info.shape[1]).mlir()
        scheme = dropins.group_scheme(quant.encoding, quant.layout)
        body.append("%%q%d, %%s%d = vllm.quantize %s as <%s> : %s -> %s, %s"
                    % (index, index, source, scheme, t_in, q_t, s_t))
        if 0 in quant.getitems:
            results.append(("%%q%d" % index, q_t, ("q", quant)))
        if 1 in quant.getitems:
            results.append(("%%s%d" % index, s_t, ("scales", quant)))
    partition.arguments = [(kind, node) for kind, node, _ in arguments]
    partition.results = [what for _, _, what in results]
    params = ", ".join("%%%s: %s" % (n, t) for n, _, t in arguments)
    types = [t for _, t, _ in results]
    returns = types[0] if len(types) == 1 else "(" + ", ".join(types) + ")"
    lines = ["func.func @%s(%s) -> %s {" % (partition.name, params, returns)]
    lines += ["  " + line for line in body]
    lines.append("  return %s : %s" % (", ".join(v for v, _, _ in results),
                                       ", ".join(types)))
    lines.append("}")
    return "\n".join(lines)


def _needs_output(partition, y):
    """Whether a node other than the partition's quantizations (and the
    flattens that feed only them) reads the norm's output."""
    inside = set()
    for quant in partition.quants:
        inside.update(quant.nodes)
    for user in y.users:
        if user in inside:
            if user.op == "call_function" and _leaf_name(user.target):
                continue
            if all(u in inside for u in user.users):
                continue
        return True
    return False


def _module_text(partitions):
    header = ("// Written by vllm_mlir.fx (format %d): one function per "
              "partition of an FX graph.\n" % MODULE_FORMAT)
    return header + "\n\n".join(p.text for p in partitions) + "\n"


# ---------------------------------------------------------------------------
# Rewriting the graph
# ---------------------------------------------------------------------------

def rewrite(result, ops):
    """Rewrites result.graph_module in place so each partition calls
    `ops[partition.name]` (a callable taking the function's arguments,
    returning its results: the loaded library's torch op), and returns it.
    The nodes the partitions replace are removed once nothing reads them;
    every other node stays (a node of a matched chain that something else
    also reads keeps computing in torch). A partition whose outputs are read
    before its last input is computed stays in torch; it is reported in
    `result.kept`."""
    gm = result.graph_module
    graph = gm.graph
    # What a replaced node became: a later partition may read an earlier
    # partition's output (the residual chain of a decoder).
    replacement = {}

    def resolve(node):
        while node in replacement:
            node = replacement[node]
        return node

    candidates = []
    taken = []
    for partition in result.partitions:
        order = {node: i for i, node in enumerate(graph.nodes)}
        inputs = [(kind, resolve(node)) for kind, node in partition.arguments]
        # A parameter read by get_attr is read again where the call goes,
        # so the call needs to wait only for computed inputs.
        computed = [node for _, node in inputs if node.op != "get_attr"]
        anchor = max(computed, key=lambda n: order[n])
        internal = set(partition.norm.nodes if partition.norm else [])
        for quant in partition.quants:
            internal.update(quant.nodes)
        early = [user for kind, what in partition.results
                 for user in _replaced_users(partition, kind, what, internal)
                 if order[user] <= order[anchor]]
        if early:
            result.kept.append((_anchor_name(partition), (
                "@%s not taken: %%%s reads its output before its input "
                "%%%s is computed" % (partition.name, early[0].name,
                                      anchor.name))))
            continue
        taken.append(partition)
        # Before the node after the anchor, so the new nodes keep the order
        # they are created in.
        with graph.inserting_before(anchor.next):
            flat = []
            hidden = _hidden(partition)
            for kind, node in inputs:
                if node.op == "get_attr":
                    node = graph.get_attr(node.target)
                if kind == "w":
                    flat.append(graph.call_method("contiguous", (node,)))
                    continue
                reshaped = graph.call_method("reshape", (node, -1, hidden))
                flat.append(graph.call_method("contiguous", (reshaped,)))
            call = graph.call_function(ops[partition.name], tuple(flat))
            outputs = [call] if len(partition.results) == 1 else [
                graph.call_function(operator.getitem, (call, i))
                for i in range(len(partition.results))]
            shape_ref = inputs[0][1]
            for (kind, what), value in zip(partition.results, outputs):
                if kind in ("y", "residual_out"):
                    view = graph.call_method("view_as", (value, shape_ref))
                    # The chain's own nodes keep reading the original (they
                    # are removed with it unless something else reads them).
                    what.replace_all_uses_with(
                        view, delete_user_cb=lambda user, v=view: (
                            user is not v and user not in internal))
                    replacement[what] = view
                    candidates.append(what)
                    continue
                quant = what
                if kind == "q":
                    new = value
                else:
                    new = _scales_view(graph, quant, value, flat[0])
                for user in quant.getitems[0 if kind == "q" else 1]:
                    user.replace_all_uses_with(new)
            for quant in partition.quants:
                candidates.extend(quant.nodes)
                for users in quant.getitems.values():
                    candidates.extend(users)
            if partition.norm is not None:
                candidates.extend(partition.norm.nodes)
                if partition.norm.residual:
                    candidates.append(partition.norm.x)
    result.partitions[:] = taken
    _remove_dead(graph, candidates)
    graph.lint()
    gm.recompile()
    return gm


def _anchor_name(partition):
    node = partition.norm.y if partition.norm else partition.quants[0].node
    return node.name


def _replaced_users(partition, kind, what, internal):
    """The nodes outside the chain that read an output the call replaces."""
    if kind in ("y", "residual_out"):
        return [u for u in what.users if u not in internal]
    return [u for u in what.getitems.get(0 if kind == "q" else 1, [])]


def _hidden(partition):
    if partition.norm is not None:
        return partition.norm.hidden
    return partition.quants[0].info.shape[1]


def _scales_view(graph, quant, value, rows_of):
    """The scales as the quantization function returns them, from the
    function's result (SPEC.md 3.3 storage): row-major [M, G] as it is;
    MN-major storage [G or Kp, Mpad] narrowed to its first M columns and
    transposed. `rows_of` is a node of shape [M, ...]."""
    if quant.layout == "rm":
        return value
    rows = graph.call_method("size", (rows_of, 0))
    narrowed = graph.call_method("narrow", (value, 1, 0, rows))
    return graph.call_method("t", (narrowed,))


# Calls without side effects that a chain leaves unread (a shape read for a
# view the chain no longer needs, a dtype read for a cast it replaced).
_PURE_FUNCTIONS = (operator.getitem, getattr)
_PURE_METHODS = ("size", "dim", "view", "reshape", "flatten", "contiguous",
                 "to", "float")


def _remove_dead(graph, candidates):
    """Removes the candidates nothing reads, and the shape and dtype reads
    that only they needed, repeatedly. Nothing else: an in-place op with an
    unused result must stay."""
    candidates = set(candidates)

    def removable(node):
        if node.users:
            return False
        if node in candidates:
            return True
        return (node.op == "call_function" and
                node.target in _PURE_FUNCTIONS) or (
                    node.op == "call_method" and node.target in _PURE_METHODS)

    changed = True
    while changed:
        changed = False
        for node in reversed(list(graph.nodes)):
            if node.op in ("placeholder", "output", "get_attr"):
                continue
            if removable(node):
                graph.erase_node(node)
                changed = True
    # A parameter read nothing uses any more (re-read where a call went).
    for node in list(graph.nodes):
        if node.op == "get_attr" and not node.users:
            graph.erase_node(node)


# ---------------------------------------------------------------------------
# Compiling
# ---------------------------------------------------------------------------

def default_cache_dir():
    return os.environ.get(CACHE_ENV) or os.path.join(
        os.path.expanduser("~"), ".cache", "vllm_mlir", "fx")


def _find_compiler(compiler):
    if compiler:
        return compiler
    if os.environ.get(COMPILER_ENV):
        return os.environ[COMPILER_ENV]
    return dropins._default_compiler()  # pylint: disable=protected-access


def library_for(text, chip, cache_dir=None, compiler=None, compile_args=(),
                verbose=False):
    """The library of the module `text` for `chip`: from the cache when an
    earlier call built it (the key is a hash of the text, the chip, the
    options and MODULE_FORMAT), else built with vllm-compile into the
    cache. Returns its path. Raises RuntimeError when it must be built and
    vllm-compile cannot be run or fails."""
    cache_dir = cache_dir or default_cache_dir()
    key = hashlib.sha256("\0".join(
        [str(MODULE_FORMAT), chip, " ".join(compile_args), text]).encode(
            "utf-8")).hexdigest()[:24]
    entry = os.path.join(cache_dir, key)
    library = os.path.join(entry, "fx.so")
    if os.path.isfile(library) and os.path.isfile(
            os.path.join(entry, "fx.manifest.json")):
        if verbose:
            print("vllm_mlir.fx: cached %s" % library, file=sys.stderr)
        return library
    compiler = _find_compiler(compiler)
    if not (os.path.isfile(compiler) or shutil.which(compiler)):
        raise RuntimeError(
            "vllm_mlir.fx: the library for this graph is not in the cache "
            "%s (key %s) and vllm-compile was not found at %s; build it "
            "where vllm-compile runs (same graph, same chip, %s=<that "
            "cache>) and copy the cache here, or set %s" % (
                cache_dir, key, compiler, CACHE_ENV, COMPILER_ENV))
    staging = entry + ".tmp%d" % os.getpid()
    shutil.rmtree(staging, ignore_errors=True)
    os.makedirs(staging)
    mlir = os.path.join(staging, "fx.mlir")
    with open(mlir, "w", encoding="utf-8") as f:
        f.write(text)
    # The scales keep the layouts the model's calls ask for (the rest of the
    # graph reads them).
    try:
        dropins.run_vllm_compile(compiler, mlir, chip,
                                 os.path.join(staging, "fx.so"),
                                 compile_args, verbose,
                                 prefix="vllm_mlir.fx: ")
    except RuntimeError:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    # The runtime next to the library, where vllm_mlir.load looks first.
    runtime = os.path.join(os.path.dirname(os.path.abspath(compiler)),
                           os.pardir, "lib", "libvllm_runtime.so")
    if os.path.isfile(runtime):
        shutil.copy2(runtime, os.path.join(staging, "libvllm_runtime.so"))
    shutil.rmtree(entry, ignore_errors=True)
    os.replace(staging, entry)
    return library


def compile(module, example_inputs, chip="sm_90a", cache_dir=None,
            compiler=None, compile_args=(), shape_functions=None,
            verbose=False):
    # pylint: disable=redefined-builtin
    """Traces `module` (an nn.Module, a function or a GraphModule, which is
    used as it is), imports its chains, builds them (library_for) and loads
    the library (vllm_mlir.load, namespace `vllm_fx_<key>`), and returns the
    rewritten GraphModule. Its `vllm_report` attribute is the report
    (ImportResult.report) and `vllm_library` the LoadedLibrary (None when
    nothing was taken)."""
    gm = module if isinstance(module, torch.fx.GraphModule) else \
        trace(module)
    result = import_graph(gm, example_inputs,
                          shape_functions=shape_functions)
    gm.vllm_report = result.report()
    gm.vllm_library = None
    if verbose:
        print(gm.vllm_report, file=sys.stderr)
    if not result.partitions:
        return gm
    library_path = library_for(result.text, chip, cache_dir, compiler,
                               compile_args, verbose)
    from .library import load
    namespace = "vllm_fx_" + os.path.basename(
        os.path.dirname(library_path))[:16]
    library = load(library_path, namespace=namespace)
    ops = {p.name: getattr(library, p.name) for p in result.partitions}
    rewrite(result, ops)
    gm.vllm_library = library
    return gm
