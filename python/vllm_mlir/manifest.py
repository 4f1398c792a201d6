"""Reads the manifest vllm-compile writes next to each library it builds.

`x.so` gets `x.manifest.json`: the C entry point of every public function
of the library, the rank, shape, element type and scale format of each of
its arguments and results, and the ABI of the calls (README.md, "The
manifest of a library"). This module checks a manifest completely when it
is loaded, so that a loader fails with one message naming the file and the
entry instead of calling a library with a wrong signature, and it answers
the two questions a caller has before a call: are these the right inputs
(`check_arguments`), and what shape does each result have
(`result_shapes`). It needs nothing beyond the standard library, so the
checks run (and are tested) without PyTorch or a GPU.

Format 2, the one read here, extends format 1 by `dynamic_dims` on every
result with a dynamic dimension: one entry per such dimension,
`{"dim": d, "argument": i, "argument_dim": j, "align": a, "divide": v}`,
meaning

    size of result dimension d = ceil(roundUp(size of argument i in
                                              dimension j, a) / v)

with a, v >= 1 (`divide` may be left out and is then 1). An entry that is
only `{"dim": d}` says that the compiler could not relate the dimension to
the arguments: such a result cannot be allocated by a caller, and
`Function.unsized` says why.
"""

import json
import os
from dataclasses import dataclass, field

__all__ = [
    "ABI", "DimSource", "ELEMENT_TYPES", "FORMAT_VERSION", "Function",
    "Manifest", "ManifestError", "TensorSpec", "check_arguments",
    "manifest_path", "result_shapes",
]

FORMAT_VERSION = 2

# The entry points this package calls: the stream, then one StridedMemRef
# pointer per argument and one per caller-allocated result, each a
# contiguous row-major device buffer (docs/gpu-testing.md, "The ABI of
# compiled code"). A manifest describing anything else is refused.
ABI = {
    "index_type": "int64",
    "layout": "contiguous_row_major",
    "memref": "StridedMemRef",
    "memref_fields": ["allocated", "aligned", "offset", "sizes", "strides"],
    "parameters": ["stream", "arguments", "results"],
    "results": "caller_allocated",
    "return_type": "void",
    "stream": "CUstream",
}

# MLIR names of the element types the vllm ops take and produce; each has a
# PyTorch dtype (vllm_mlir.library.TORCH_DTYPES).
ELEMENT_TYPES = ("bf16", "f16", "f32", "f8E4M3FN", "i32")

# The fields of a #vllm.scales encoding (SPEC.md 3.3).
SCALE_KINDS = ("tensor", "row", "group", "block")
SCALE_ENCODINGS = ("f32", "ue8m0_f32", "ue8m0_packed")
SCALE_LAYOUTS = ("row_major", "mn_major")


class ManifestError(ValueError):
    """A manifest this loader cannot use. The message names the file and
    the entry (`functions[2] (quant): results[1]: ...`)."""


def manifest_path(library_path):
    """The manifest vllm-compile writes for `library_path`: the library's
    name without its last extension, plus `.manifest.json` (`x.so` ->
    `x.manifest.json`, `m.sm_90a.fused.so` -> `m.sm_90a.fused.manifest.json`).
    """
    return os.path.splitext(library_path)[0] + ".manifest.json"


@dataclass(frozen=True)
class DimSource:
    """How a dynamic dimension of a result follows from the arguments:
    ceil(roundUp(size of argument `argument` in `argument_dim`, `align`) /
    `divide`)."""

    argument: int
    argument_dim: int
    align: int = 1
    divide: int = 1

    def size(self, argument_shapes):
        """The size for these argument shapes. Only `+`, `//` and `*` are
        applied to the size, so a symbolic size (a torch.SymInt while
        torch.compile traces) gives a symbolic result, and alignment 1 and
        division 1 leave it untouched."""
        size = argument_shapes[self.argument][self.argument_dim]
        if self.align != 1:
            size = (size + (self.align - 1)) // self.align * self.align
        if self.divide != 1:
            size = (size + (self.divide - 1)) // self.divide
        return size


@dataclass(frozen=True)
class TensorSpec:
    """One argument or result of a function.

    `shape` has None for a dynamic dimension; `scales` is the
    #vllm.scales encoding of a scale tensor as a dict (`kind`, `encoding`,
    `layout`, `align`, and `group_size` or `block`), else None.
    `dynamic_dims` maps each dynamic dimension of a result to its DimSource,
    or to None where the manifest gives none; it is empty for arguments,
    whose dynamic sizes are the caller's.
    """

    role: str
    index: int
    element_type: str
    shape: tuple
    scales: dict = None
    dynamic_dims: dict = field(default_factory=dict)

    @property
    def rank(self):
        return len(self.shape)

    def describe_shape(self):
        """The shape as `[?, 7168]`, for messages."""
        return "[" + ", ".join("?" if size is None else str(size)
                               for size in self.shape) + "]"


@dataclass(frozen=True)
class Function:
    """One entry point: `symbol` is the C function of the library."""

    name: str
    symbol: str
    arguments: tuple
    results: tuple
    # The communicator groups its collectives name (SPEC.md 3.10): a
    # communicator must be bound to each before a call (bind_group).
    groups: tuple = ()

    def where(self, spec, name=None):
        """`argument #1 of quant`: how messages name an argument or result
        (`name` replaces the function's name)."""
        return "%s #%d of %s" % (spec.role, spec.index, name or self.name)

    @property
    def unsized(self):
        """Why a caller cannot allocate the results (the first dynamic
        result dimension without a source), or None when it can."""
        for result in self.results:
            for dim, source in sorted(result.dynamic_dims.items()):
                if source is None:
                    return ("the manifest does not say how dimension %d of %s "
                            "(shape %s) follows from the arguments"
                            % (dim, self.where(result),
                               result.describe_shape()))
        return None

    def check_arguments(self, shapes, dtypes, name=None):
        """Raises ValueError naming the first argument whose rank, element
        type or static dimensions differ from the manifest's. `shapes` are
        sequences of sizes, `dtypes` MLIR element type names (any other
        string is reported as it is); `name` is how messages call the
        function (default: its manifest name; a loader passes the name its
        users call, such as a custom op's `namespace::name`)."""
        name = name or self.name
        if len(shapes) != len(self.arguments) or \
                len(dtypes) != len(self.arguments):
            raise ValueError("%s takes %s, got %d" % (
                name, _count(len(self.arguments), "argument"), len(shapes)))
        for spec, shape, dtype in zip(self.arguments, shapes, dtypes):
            where = self.where(spec, name)
            if dtype != spec.element_type:
                raise ValueError("%s: element type is %s, expected %s" % (
                    where, dtype, spec.element_type))
            if len(shape) != spec.rank:
                raise ValueError("%s: rank is %d, expected %d (shape %s)" % (
                    where, len(shape), spec.rank, spec.describe_shape()))
            for dim, (size, expected) in enumerate(zip(shape, spec.shape)):
                if expected is not None and size != expected:
                    raise ValueError(
                        "%s: dimension %d is %s, expected %d (shape %s)" % (
                            where, dim, size, expected,
                            spec.describe_shape()))

    def result_shapes(self, argument_shapes):
        """The shape of every result, as a list of tuples, for arguments of
        these shapes (which must have the arguments' ranks; see
        check_arguments for the rest). Raises ValueError when a result
        dimension has no source (`unsized`)."""
        if len(argument_shapes) != len(self.arguments):
            raise ValueError("%s takes %s, got %s" % (
                self.name, _count(len(self.arguments), "argument"),
                _count(len(argument_shapes), "shape")))
        for spec, shape in zip(self.arguments, argument_shapes):
            if len(shape) != spec.rank:
                raise ValueError("%s: rank is %d, expected %d (shape %s)" % (
                    self.where(spec), len(shape), spec.rank,
                    spec.describe_shape()))
        reason = self.unsized
        if reason is not None:
            raise ValueError("cannot size the results of %s: %s"
                             % (self.name, reason))
        shapes = []
        for result in self.results:
            shapes.append(tuple(
                result.dynamic_dims[dim].size(argument_shapes)
                if size is None else size
                for dim, size in enumerate(result.shape)))
        return shapes


def _count(n, noun):
    return "%d %s%s" % (n, noun, "" if n == 1 else "s")


def check_arguments(function, shapes, dtypes, name=None):
    """Function.check_arguments, as a function."""
    function.check_arguments(shapes, dtypes, name)


def result_shapes(function, argument_shapes):
    """Function.result_shapes, as a function."""
    return function.result_shapes(argument_shapes)


class Manifest:
    """The checked contents of a manifest: `functions` in the file's order,
    `function(name)` by name, `path` the file (None when parsed from a
    string)."""

    def __init__(self, functions, path=None):
        self.functions = tuple(functions)
        self.path = path
        self._by_name = {f.name: f for f in self.functions}

    @classmethod
    def load(cls, path):
        """Reads and checks `path`; raises ManifestError (with the path)
        for anything this loader cannot use, OSError when the file cannot
        be read."""
        with open(path, encoding="utf-8") as f:
            text = f.read()
        return cls.parse(text, source=path, path=path)

    @classmethod
    def parse(cls, text, source="<manifest>", path=None):
        """Checks the JSON `text`; `source` names it in messages."""
        try:
            data = json.loads(text)
        except json.JSONDecodeError as e:
            raise ManifestError("%s: not JSON: %s" % (source, e)) from None
        return cls(_parse_manifest(data, source), path)

    def function(self, name):
        """The function called `name`; KeyError naming the known ones."""
        try:
            return self._by_name[name]
        except KeyError:
            raise KeyError("no function %r in %s (functions: %s)" % (
                name, self.path or "the manifest",
                ", ".join(self._by_name) or "none")) from None

    def __iter__(self):
        return iter(self.functions)

    def __len__(self):
        return len(self.functions)


# ---------------------------------------------------------------------------
# Parsing. Every helper takes `where`, the path of the value in the file, so
# that a message says which entry is wrong.
# ---------------------------------------------------------------------------

def _fail(where, message):
    raise ManifestError("%s: %s" % (where, message))


def _object(value, where):
    if not isinstance(value, dict):
        _fail(where, "expected a JSON object, got %s" % _json_type(value))
    return value


def _list(value, where):
    if not isinstance(value, list):
        _fail(where, "expected a JSON array, got %s" % _json_type(value))
    return value


def _member(obj, key, where):
    if key not in obj:
        _fail(where, "missing key '%s'" % key)
    return obj[key]


def _integer(value, where, minimum):
    # JSON true/false are Python bools, which are ints: refused.
    if not isinstance(value, int) or isinstance(value, bool):
        _fail(where, "expected an integer, got %s" % _json_type(value))
    if value < minimum:
        _fail(where, "expected an integer >= %d, got %d" % (minimum, value))
    return value


def _string(value, where):
    if not isinstance(value, str) or not value:
        _fail(where, "expected a non-empty string, got %s"
              % _json_type(value))
    return value


def _choice(value, choices, where):
    if value not in choices:
        _fail(where, "unknown value %s (known: %s)"
              % (json.dumps(value), ", ".join(choices)))
    return value


def _json_type(value):
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "the number %s" % json.dumps(value)
    if isinstance(value, str):
        return "the string %s" % json.dumps(value)
    return "an array" if isinstance(value, list) else "an object"


def _parse_manifest(data, source):
    _object(data, source)
    version = _member(data, "format_version", source)
    if version != FORMAT_VERSION:
        hint = (" (format 1 does not give the sizes of dynamic result "
                "dimensions)" if version == 1 else "")
        _fail(source, "manifest format_version %s is not supported: this "
              "loader reads format_version %d%s; rebuild the library with "
              "the vllm-compile of this checkout, or load it with the "
              "vllm_mlir package of the checkout that built it"
              % (json.dumps(version), FORMAT_VERSION, hint))
    _check_abi(_object(_member(data, "abi", source), source + ": abi"),
               source + ": abi")
    functions = []
    seen = set()
    for index, entry in enumerate(_list(_member(data, "functions", source),
                                        source + ": functions")):
        function = _parse_function(entry,
                                   "%s: functions[%d]" % (source, index))
        if function.name in seen:
            _fail("%s: functions[%d]" % (source, index),
                  "function '%s' is listed twice" % function.name)
        seen.add(function.name)
        functions.append(function)
    return functions


def _check_abi(abi, where):
    for key in sorted(set(ABI) | set(abi)):
        if key not in abi:
            _fail(where, "missing key '%s' (expected %s)"
                  % (key, json.dumps(ABI[key])))
        if key not in ABI:
            _fail(where, "unknown key '%s': this loader calls the ABI %s"
                  % (key, json.dumps(ABI, sort_keys=True)))
        if abi[key] != ABI[key]:
            _fail(where, "'%s' is %s, but this loader calls entry points "
                  "with %s" % (key, json.dumps(abi[key]),
                               json.dumps(ABI[key])))


def _parse_function(entry, where):
    _object(entry, where)
    name = _string(_member(entry, "name", where), where + ": name")
    where = "%s (%s)" % (where, name)
    symbol = _string(_member(entry, "symbol", where), where + ": symbol")
    arguments = tuple(
        _parse_tensor(value, "argument", index,
                      "%s: arguments[%d]" % (where, index))
        for index, value in enumerate(
            _list(_member(entry, "arguments", where), where + ": arguments")))
    results = tuple(
        _parse_tensor(value, "result", index,
                      "%s: results[%d]" % (where, index), arguments)
        for index, value in enumerate(
            _list(_member(entry, "results", where), where + ": results")))
    groups = ()
    if "groups" in entry:
        groups = tuple(
            _integer(value, "%s: groups[%d]" % (where, index), 0)
            for index, value in enumerate(
                _list(entry["groups"], where + ": groups")))
    return Function(name, symbol, arguments, results, groups)


def _parse_tensor(entry, role, index, where, arguments=None):
    """An argument (`arguments` None) or a result, whose dynamic
    dimensions must each have a `dynamic_dims` entry."""
    _object(entry, where)
    element_type = _choice(_member(entry, "element_type", where),
                           ELEMENT_TYPES, where + ": element_type")
    rank = _integer(_member(entry, "rank", where), where + ": rank", 0)
    shape = _list(_member(entry, "shape", where), where + ": shape")
    if len(shape) != rank:
        _fail(where, "shape %s has %d dimensions, rank is %d"
              % (json.dumps(shape), len(shape), rank))
    for dim, size in enumerate(shape):
        if size is not None:
            _integer(size, "%s: shape[%d]" % (where, dim), 0)
    scales = None
    if "scales" in entry:
        scales = _parse_scales(entry["scales"], where + ": scales")
    dynamic_dims = {}
    if arguments is not None:
        dynamic_dims = _parse_dynamic_dims(entry, shape, arguments, where)
    return TensorSpec(role, index, element_type, tuple(shape), scales,
                      dynamic_dims)


def _parse_scales(value, where):
    scales = dict(_object(value, where))
    kind = _choice(_member(scales, "kind", where), SCALE_KINDS,
                   where + ": kind")
    _choice(_member(scales, "encoding", where), SCALE_ENCODINGS,
            where + ": encoding")
    _choice(_member(scales, "layout", where), SCALE_LAYOUTS,
            where + ": layout")
    _integer(_member(scales, "align", where), where + ": align", 1)
    if kind == "group":
        _integer(_member(scales, "group_size", where),
                 where + ": group_size", 1)
    if kind == "block":
        block = _list(_member(scales, "block", where), where + ": block")
        if len(block) != 2:
            _fail(where + ": block", "expected [rows, columns], got %s"
                  % json.dumps(block))
        for i, size in enumerate(block):
            _integer(size, "%s: block[%d]" % (where, i), 1)
    return scales


def _parse_dynamic_dims(entry, shape, arguments, where):
    dynamic = [dim for dim, size in enumerate(shape) if size is None]
    if not dynamic:
        return {}
    entries = _list(_member(entry, "dynamic_dims", where),
                    where + ": dynamic_dims")
    sources = {}
    for i, item in enumerate(entries):
        at = "%s: dynamic_dims[%d]" % (where, i)
        _object(item, at)
        dim = _integer(_member(item, "dim", at), at + ": dim", 0)
        if dim not in dynamic:
            _fail(at, "dimension %d of shape %s is not dynamic"
                  % (dim, json.dumps(shape)))
        if dim in sources:
            _fail(at, "dimension %d is described twice" % dim)
        sources[dim] = _parse_dim_source(item, arguments, at)
    missing = [dim for dim in dynamic if dim not in sources]
    if missing:
        _fail(where + ": dynamic_dims", "no entry for dynamic dimension %d"
              % missing[0])
    return sources


def _parse_dim_source(item, arguments, where):
    """The DimSource of a `dynamic_dims` entry, or None for one that is only
    `{"dim": d}`."""
    keys = ("argument", "argument_dim", "align", "divide")
    if "argument" not in item:
        for key in keys[1:]:
            if key in item:
                _fail(where, "'%s' without 'argument'" % key)
        return None
    argument = _integer(item["argument"], where + ": argument", 0)
    if argument >= len(arguments):
        _fail(where + ": argument", "argument %d does not exist (the "
              "function has %d)" % (argument, len(arguments)))
    argument_dim = _integer(_member(item, "argument_dim", where),
                            where + ": argument_dim", 0)
    if argument_dim >= arguments[argument].rank:
        _fail(where + ": argument_dim", "argument %d has rank %d, no "
              "dimension %d" % (argument, arguments[argument].rank,
                                argument_dim))
    align = _integer(_member(item, "align", where), where + ": align", 1)
    divide = _integer(item.get("divide", 1), where + ": divide", 1)
    return DimSource(argument, argument_dim, align, divide)
