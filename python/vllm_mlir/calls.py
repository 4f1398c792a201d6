"""Checks of the result tensors a caller hands to LoadedLibrary.call_into
(docs/pytorch.md, "Writing into the caller's tensors"), without torch.

A library's entry points take caller-allocated results (README.md, "The
manifest of a library"), so a caller may pass its own output tensors
instead of letting the op allocate them. Before anything is launched:

- there is one result tensor per result of the function, of the manifest's
  element type and of exactly the shape the manifest gives for these
  arguments (`check_results`; device, contiguity and alignment are checked
  by the loader, as for arguments);
- no result shares memory with another result, and no result shares
  memory with an argument, except a pair the caller declares with
  `inplace={result index: argument index}` and then only as the very same
  buffer (same start, same size) (`check_aliasing`).

Which results a function may write in place is not in the manifest: it
depends on the ops the function runs. The kernels allow one kind of
aliasing (SPEC.md 3.9, C15): `residual_out` of `fused_add_rms_norm` and of
`rms_norm_quant` written into the `residual` operand itself, as vLLM's
`fused_add_rms_norm` updates its residual; each residual element is read
once, before the one store of the same thread to it. A caller that
declares a pair vouches that the function returns such a `residual_out`
computed from that argument by a single op (vllm_mlir.dropins does, for
the functions it generates); any other overlap between an output and an
operand is undefined in SPEC.md and refused here. `check_inplace` checks
what can be checked of a declaration: indices in range, same element type
and shape pattern.

Tensors are described by `Buffer`s: shape, element type (an MLIR element
type name, or any other string that is reported as it is), start address
and size in bytes.
"""

from dataclasses import dataclass

__all__ = ["Buffer", "check_aliasing", "check_inplace", "check_results"]


@dataclass(frozen=True)
class Buffer:
    """A tensor as far as the checks care: `shape` (tuple of ints),
    `element_type` (MLIR name), `address` of its first byte, `nbytes` (0
    for an empty tensor, which overlaps nothing)."""

    shape: tuple
    element_type: str
    address: int
    nbytes: int

    def overlaps(self, other):
        return (self.nbytes > 0 and other.nbytes > 0 and
                self.address < other.address + other.nbytes and
                other.address < self.address + self.nbytes)

    def same_memory(self, other):
        return self.address == other.address and self.nbytes == other.nbytes


def check_inplace(function, inplace, name=None):
    """Checks a declaration {result index: argument index}: indices in
    range, at most one result per argument, the result and the argument of
    the same element type and static shape (dynamic dimensions where the
    other has them). Returns it as a dict of ints. ValueError otherwise."""
    name = name or function.name
    inplace = dict(inplace or {})
    seen = {}
    for result, argument in sorted(inplace.items()):
        if not (isinstance(result, int) and 0 <= result <
                len(function.results)):
            raise ValueError("%s: inplace names result %r; the function has "
                             "%d results" % (name, result,
                                             len(function.results)))
        if not (isinstance(argument, int) and 0 <= argument <
                len(function.arguments)):
            raise ValueError("%s: inplace names argument %r; the function has "
                             "%d arguments" % (name, argument,
                                               len(function.arguments)))
        if argument in seen:
            raise ValueError("%s: inplace writes results #%d and #%d into "
                             "argument #%d" % (name, seen[argument], result,
                                               argument))
        seen[argument] = result
        spec_r = function.results[result]
        spec_a = function.arguments[argument]
        if spec_r.element_type != spec_a.element_type or \
                spec_r.shape != spec_a.shape:
            raise ValueError(
                "%s: result #%d (%s %s) cannot be written into argument #%d "
                "(%s %s): not the same type" % (
                    name, result, spec_r.element_type,
                    spec_r.describe_shape(), argument, spec_a.element_type,
                    spec_a.describe_shape()))
    return inplace


def check_results(function, argument_shapes, results, name=None):
    """Checks the caller's result Buffers against the manifest: their
    number, element types, and shapes equal to
    function.result_shapes(argument_shapes). ValueError naming the result
    (`result #1 of ns::f: ...`)."""
    name = name or function.name
    if len(results) != len(function.results):
        raise ValueError("%s returns %d result%s, got %d result tensor%s" % (
            name, len(function.results),
            "" if len(function.results) == 1 else "s", len(results),
            "" if len(results) == 1 else "s"))
    expected = function.result_shapes(argument_shapes)
    for spec, buffer, shape in zip(function.results, results, expected):
        where = function.where(spec, name)
        if buffer.element_type != spec.element_type:
            raise ValueError("%s: element type is %s, expected %s" % (
                where, buffer.element_type, spec.element_type))
        if tuple(buffer.shape) != tuple(shape):
            raise ValueError(
                "%s: shape is %s, expected %s for these arguments (shape %s)"
                % (where, tuple(buffer.shape), tuple(shape),
                   spec.describe_shape()))


def check_aliasing(function, arguments, results, inplace=None, name=None):
    """Refuses any memory shared between a result and another result or an
    argument, except a declared in-place pair that is the same buffer.
    `arguments`, `results`: Buffers; `inplace`: as for check_inplace.
    ValueError naming both tensors."""
    name = name or function.name
    inplace = check_inplace(function, inplace, name)
    for i, result in enumerate(results):
        where = "result #%d of %s" % (i, name)
        for k in range(i):
            if result.overlaps(results[k]):
                raise ValueError("%s shares memory with result #%d: every "
                                 "result needs a buffer of its own"
                                 % (where, k))
        for j, argument in enumerate(arguments):
            if not result.overlaps(argument):
                continue
            if inplace.get(i) == j:
                if result.same_memory(argument):
                    continue
                raise ValueError(
                    "%s overlaps argument #%d without being the same buffer "
                    "(result at 0x%x, %d bytes; argument at 0x%x, %d bytes): "
                    "a result is written in place only into exactly its "
                    "argument (SPEC.md C15)" % (
                        where, j, result.address, result.nbytes,
                        argument.address, argument.nbytes))
            allowed = "; in place, this function may write %s" % (
                ", ".join("result #%d into argument #%d" % pair
                          for pair in sorted(inplace.items()))) \
                if inplace else ""
            raise ValueError(
                "%s shares memory with argument #%d: the kernels may read an "
                "argument after writing a result, so an output may alias an "
                "input only where the kernels allow it (SPEC.md C15: "
                "residual_out into its residual, declared with inplace=)%s"
                % (where, j, allowed))
