#!/usr/bin/env python3
"""Tests vllm_mlir.load (python/vllm_mlir/library.py) on the GPU machine.

Loads a library built by vllm-compile from gpu-tests/python/torch_ops_test.mlir
as PyTorch custom ops and checks, for every function of its manifest:

  eager     the op's results have the shapes SPEC.md gives (written out
            below, not taken from the manifest) and the bytes the library
            writes when its C entry point is called directly, through
            descriptors built here, into preallocated outputs filled with a
            pattern (so an element the kernels do not write shows);
  M = 0     the op runs and agrees with the direct call (a static scale is
            still written);
  compile   torch.compile(fullgraph=True) of a function calling the op gives
            the eager bytes, at two row counts (the second one recompiles
            with M dynamic, so the fake implementation sizes the results
            symbolically), and dynamo's explain finds one graph and no break;
  graph     a torch.cuda.graph capture of the op, replayed after new input
            values are copied in, gives the eager bytes for those values;
  bad       a CPU tensor, another dtype, a wrong static dimension, a wrong
            rank, a non-contiguous or misaligned tensor in each argument
            raises ValueError naming the argument, before anything is
            allocated or launched (counted by the caching allocator and, where
            the profiler sees kernels, by the profiler).

Then loading again returns the same library, and another library cannot take
its namespace. Prints one line per check and `N passed, M failed`; exits 1
when a check failed. Without torch or a GPU it prints why and exits 0, as the
other GPU drivers do.

  python3 gpu-tests/python/test_torch_ops.py --lib-dir DIR

DIR holds libvllm_runtime.so, torch_ops_test.so and torch_ops_test.manifest.json
(docs/pytorch.md says how to build them).
"""

import argparse
import ctypes
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                os.pardir, os.pardir, "python"))

import vllm_mlir  # noqa: E402  (after the path to the package)
from checks import Checks, import_torch_on_gpu  # noqa: E402  (this folder is on the path)


def roundup(value, align):
    return (value + align - 1) // align * align


# The result shapes of each function of torch_ops_test.mlir for M rows, from
# its types and SPEC.md 3.3 (MN-major scales: M padded to a multiple of 4;
# packed UE8M0: ceil(G / 4) words per row).
EXPECTED_SHAPES = {
    "rms_norm": lambda m: [(m, 4096)],
    "rms_norm_f16_3d": lambda m: [(m, 2, 256)],
    "fused_add_rms_norm_f32": lambda m: [(m, 1024), (m, 1024)],
    "rms_norm_quant_tok": lambda m: [(m, 4096), (m,)],
    "rms_norm_quant_g128_packed":
        lambda m: [(m, 7168), (14, roundup(m, 4)), (m, 7168)],
    "rms_norm_quant_g128_f32": lambda m: [(m, 7168), (56, roundup(m, 4))],
    "quantize_static": lambda m: [(m, 4096), (1,)],
    "quantize_g128_packed": lambda m: [(m, 256), (1, roundup(m, 4))],
    "silu_and_mul": lambda m: [(m, 2048)],
    "silu_and_mul_quant_g128_packed":
        lambda m: [(m, 2048), (4, roundup(m, 4))],
}
ROWS = (1, 5, 257)   # M % 4 != 0 pads the MN-major scales
COMPILE_ROWS = (37, 64)


class Direct:
    """The library's C entry points, called without vllm_mlir: MLIR's
    StridedMemRef descriptors built from the tensors' own sizes and strides,
    the stream of torch's current stream, the runtime's error read here."""

    def __init__(self, torch, lib_dir, library_path):
        self.torch = torch
        self.dll = ctypes.CDLL(library_path)
        self.runtime = ctypes.CDLL(os.path.join(lib_dir,
                                                "libvllm_runtime.so"),
                                   mode=ctypes.RTLD_GLOBAL)
        self.runtime.vllmrtGetLastError.restype = ctypes.c_char_p
        self.runtime.vllmrtClearError.restype = ctypes.c_int

    def error(self):
        """The runtime's recorded error ("" when none), cleared."""
        text = self.runtime.vllmrtGetLastError()
        if text:
            self.runtime.vllmrtClearError()
        return text.decode() if text else ""

    def call(self, symbol, tensors):
        descriptors = [memref(t) for t in tensors]
        fn = getattr(self.dll, symbol)
        fn.restype = None
        stream = self.torch.cuda.current_stream().cuda_stream
        fn(ctypes.c_void_p(stream),
           *[ctypes.c_void_p(ctypes.addressof(d)) for d in descriptors])


def memref(t):
    rank = t.dim()

    class Descriptor(ctypes.Structure):
        _fields_ = [("allocated", ctypes.c_void_p),
                    ("aligned", ctypes.c_void_p),
                    ("offset", ctypes.c_int64),
                    ("sizes", ctypes.c_int64 * rank),
                    ("strides", ctypes.c_int64 * rank)]

    d = Descriptor()
    d.allocated = d.aligned = t.data_ptr()
    d.offset = 0
    for i in range(rank):
        d.sizes[i] = t.shape[i]
        d.strides[i] = t.stride()[i]
    return d


class Suite:
    def __init__(self, torch, lib, direct, seed):
        from vllm_mlir.library import TORCH_DTYPES  # noqa: PLC0415  (torch)
        self.torch = torch
        self.dtypes = TORCH_DTYPES
        self.lib = lib
        self.direct = direct
        self.generator = torch.Generator(device="cuda")
        self.generator.manual_seed(seed)

    # -- inputs and comparisons ---------------------------------------------

    def inputs(self, function, m):
        """Random arguments with M rows in every dynamic dimension: values
        of a few units (so quantization has work), positive static scales."""
        torch = self.torch
        tensors = []
        for spec in function.arguments:
            shape = tuple(m if size is None else size for size in spec.shape)
            dtype = self.dtypes[spec.element_type]
            if spec.element_type == "i32":
                t = torch.randint(-2 ** 31, 2 ** 31 - 1, shape, device="cuda",
                                  dtype=dtype, generator=self.generator)
            elif spec.scales is not None:
                t = (torch.rand(shape, device="cuda",
                                generator=self.generator) + 0.01) * 0.05
            else:
                t = torch.randn(shape, device="cuda",
                                generator=self.generator) * 2.0
            tensors.append(t.to(dtype))
        return tensors

    def results(self, function, args):
        """The op's results as a list, whatever their number."""
        out = self.lib.ops[function.name](*args)
        if out is None:
            return []
        return list(out) if isinstance(out, tuple) else [out]

    def same_bytes(self, what, got, expected):
        torch = self.torch
        assert len(got) == len(expected), "%s: %d results, expected %d" % (
            what, len(got), len(expected))
        for i, (a, b) in enumerate(zip(got, expected)):
            assert a.shape == b.shape and a.dtype == b.dtype, (
                "%s: result #%d is %s %s, expected %s %s" % (
                    what, i, tuple(a.shape), a.dtype, tuple(b.shape),
                    b.dtype))
            ab = a.reshape(-1).view(torch.uint8)
            bb = b.reshape(-1).view(torch.uint8)
            if not torch.equal(ab, bb):
                differ = (ab != bb).nonzero()
                raise AssertionError(
                    "%s: result #%d differs in %d of %d bytes, first at byte "
                    "%d" % (what, i, differ.numel(), ab.numel(),
                            differ[0].item()))

    def no_runtime_error(self):
        error = self.direct.error()
        assert not error, "the runtime recorded: " + error

    def direct_results(self, function, args, m):
        """The results of a direct call of the entry point, into outputs of
        the expected shapes filled with 0xA5 bytes."""
        torch = self.torch
        outputs = []
        for spec, shape in zip(function.results,
                               EXPECTED_SHAPES[function.name](m)):
            t = torch.empty(shape, device="cuda",
                            dtype=self.dtypes[spec.element_type])
            t.reshape(-1).view(torch.uint8).fill_(0xA5)
            outputs.append(t)
        self.direct.call(function.symbol, args + outputs)
        torch.cuda.synchronize()
        self.no_runtime_error()
        return outputs

    # -- the checks ----------------------------------------------------------

    def eager(self, function, m):
        torch = self.torch
        args = self.inputs(function, m)
        got = self.results(function, args)
        torch.cuda.synchronize()
        self.no_runtime_error()
        shapes = [tuple(t.shape) for t in got]
        expected = EXPECTED_SHAPES[function.name](m)
        assert shapes == expected, "result shapes %s, expected %s" % (
            shapes, expected)
        for t in got:
            assert t.is_cuda and t.is_contiguous(), "a result is not a " \
                "contiguous CUDA tensor"
        self.same_bytes("op vs direct call", got,
                        self.direct_results(function, args, m))

    def compile(self, function, backend):
        torch = self.torch
        from torch import _dynamo as dynamo  # noqa: PLC0415
        dynamo.reset()
        op = self.lib.ops[function.name]

        def call(*args):
            return op(*args)

        compiled = torch.compile(call, fullgraph=True, backend=backend)
        for m in COMPILE_ROWS:
            args = self.inputs(function, m)
            expected = self.results(function, args)
            got = compiled(*args)
            got = [got] if isinstance(got, torch.Tensor) else list(got)
            torch.cuda.synchronize()
            self.no_runtime_error()
            self.same_bytes("compiled vs eager at M = %d" % m, got, expected)
        explanation = dynamo.explain(call)(
            *self.inputs(function, COMPILE_ROWS[0]))
        assert explanation.graph_count == 1 and \
            explanation.graph_break_count == 0, (
                "dynamo: %d graphs, %d breaks: %s" % (
                    explanation.graph_count, explanation.graph_break_count,
                    explanation.break_reasons))

    def graph(self, function, m):
        torch = self.torch
        static = self.inputs(function, m)
        side = torch.cuda.Stream()
        side.wait_stream(torch.cuda.current_stream())
        with torch.cuda.stream(side):
            self.results(function, static)   # warm-up, as torch asks
        torch.cuda.current_stream().wait_stream(side)
        graph = torch.cuda.CUDAGraph()
        with torch.cuda.graph(graph):
            captured = self.results(function, static)
        for _ in range(2):
            fresh = self.inputs(function, m)
            for s, f in zip(static, fresh):
                s.copy_(f)
            graph.replay()
            torch.cuda.synchronize()
            self.no_runtime_error()
            self.same_bytes("replay vs eager", captured,
                            self.results(function, fresh))

    def bad_inputs(self, function, count_kernels):
        """Each argument spoiled in each way, all calls in one profiled
        region; returns how many were tried."""
        torch = self.torch
        args = self.inputs(function, 5)
        qualname = "%s::%s" % (self.lib.namespace, function.name)
        cases = [(index, kind, bad, expected)
                 for index, spec in enumerate(function.arguments)
                 for kind, bad, expected in spoiled(torch, args[index], spec)]
        allocations = "allocation.all.allocated"
        torch.cuda.synchronize()

        def call_all():
            problems = []
            for index, kind, bad, expected in cases:
                where = "argument #%d of %s" % (index, qualname)
                spoiled_args = list(args)
                spoiled_args[index] = bad
                before = torch.cuda.memory_stats().get(allocations, 0)
                try:
                    self.lib.ops[function.name](*spoiled_args)
                    problems.append("%s, %s: no error" % (where, kind))
                    continue
                except (ValueError, TypeError) as e:
                    message = str(e)
                if where not in message or expected not in message:
                    problems.append("%s, %s: the message %r does not name the "
                                    "argument or say %r"
                                    % (where, kind, message, expected))
                if torch.cuda.memory_stats().get(allocations, 0) != before:
                    problems.append("%s, %s: allocated before failing"
                                    % (where, kind))
            return problems

        problems, kernels = count_kernels(call_all)
        assert not problems, "; ".join(problems)
        assert not kernels, "%d kernels launched by failing calls" % kernels
        self.no_runtime_error()
        return "%d spoiled arguments" % len(cases)

    def zero_rows(self, function):
        torch = self.torch
        args = self.inputs(function, 0)
        got = self.results(function, args)
        torch.cuda.synchronize()
        self.no_runtime_error()
        shapes = [tuple(t.shape) for t in got]
        assert shapes == EXPECTED_SHAPES[function.name](0), shapes
        self.same_bytes("op vs direct call", got,
                        self.direct_results(function, args, 0))


def spoiled(torch, t, spec):
    """(what, tensor, a phrase of the expected message) for each way `t`
    can be spoiled; `t` has M = 5 rows in its dynamic dimensions."""
    other = {"bf16": torch.float16, "f16": torch.bfloat16,
             "f32": torch.bfloat16, "f8E4M3FN": torch.bfloat16,
             "i32": torch.float32}[spec.element_type]
    cases = [("on the CPU", t.cpu(), "is on cpu"),
             ("another dtype", t.to(other), "element type is"),
             ("one dimension more", t.unsqueeze(0), "rank is")]
    for dim, size in enumerate(spec.shape):
        if size is not None:
            shape = list(t.shape)
            shape[dim] += 1
            cases.append(("dimension %d wrong" % dim,
                          torch.zeros(shape, dtype=t.dtype, device=t.device),
                          "dimension %d is %d" % (dim, size + 1)))
            break
    if t.dim() and t.shape[-1] > 1:
        wide = torch.zeros(tuple(t.shape[:-1]) + (2 * t.shape[-1],),
                           dtype=t.dtype, device=t.device)
        cases.append(("not contiguous", wide[..., ::2], "is not contiguous"))
    if t.numel():
        base = torch.zeros(t.numel() + 16, dtype=t.dtype, device=t.device)
        cases.append(("misaligned", base[1:1 + t.numel()].view(t.shape),
                      "not a multiple of 16 bytes"))
    return cases


def kernel_counter(torch, suite, function):
    """(count, how): count(call) runs `call` under the profiler and returns
    (what it returned, kernels launched), once a valid call of `function`
    has shown that the profiler sees the library's kernels; where it does
    not, count returns (what it returned, 0) and `how` says why."""
    from torch.profiler import ProfilerActivity, profile  # noqa: PLC0415

    def count(call):
        with profile(activities=[ProfilerActivity.CUDA]) as prof:
            result = call()
            torch.cuda.synchronize()
        kernels = sum(1 for e in prof.events()
                      if e.device_type == torch.autograd.DeviceType.CUDA)
        return result, kernels

    args = suite.inputs(function, 5)
    try:
        _, control = count(lambda: suite.results(function, args))
    except Exception as e:  # noqa: BLE001  (a profiler problem is a note)
        control, why = 0, "profiler failed: %s" % e
    else:
        why = "the profiler saw no kernel of a valid call"
    if control:
        return count, "launches counted by the profiler"
    return (lambda call: (call(), 0)), "allocations only: %s" % why


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lib-dir", required=True,
                        help="folder with libvllm_runtime.so and the library")
    parser.add_argument("--library", default="torch_ops_test.so",
                        help="the library's file name in --lib-dir")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--backend", default="inductor",
                        help="torch.compile backend")
    args = parser.parse_args()
    torch = import_torch_on_gpu(args.seed)
    if torch is None:
        return 0

    checks = Checks()
    path = os.path.abspath(os.path.join(args.lib_dir, args.library))
    loaded = []

    def load():
        loaded.append(vllm_mlir.load(path))
        return repr(loaded[0])

    checks.run("load", load)
    if not loaded:
        return checks.finish()
    lib = loaded[0]
    direct = Direct(torch, args.lib_dir, path)
    suite = Suite(torch, lib, direct, args.seed)

    def every_function_is_an_op():
        names = [f.name for f in lib.manifest]
        assert not lib.unsupported, "not ops: %s" % lib.unsupported
        assert sorted(names) == sorted(EXPECTED_SHAPES), (
            "the manifest lists %s; this test expects %s"
            % (names, sorted(EXPECTED_SHAPES)))
        return "%d ops" % len(names)

    checks.run("every function is an op", every_function_is_an_op)
    functions = [f for f in lib.manifest if f.name in lib.ops and
                 f.name in EXPECTED_SHAPES]
    if not functions:  # "every function is an op" has failed and says why
        return checks.finish()
    count_kernels, how = kernel_counter(torch, suite, functions[0])
    print("bad inputs: " + how)
    for function in functions:
        name = function.name
        for m in ROWS:
            checks.run("%s eager M=%d" % (name, m), suite.eager, function, m)
        checks.run("%s M=0" % name, suite.zero_rows, function)
        checks.run("%s compile" % name, suite.compile, function, args.backend)
        checks.run("%s graph" % name, suite.graph, function, 5)
        checks.run("%s bad inputs" % name, suite.bad_inputs, function,
                   count_kernels)

    def load_again():
        assert vllm_mlir.load(path) is lib, "a second load made a new library"
        try:
            vllm_mlir.load(os.path.join(os.path.dirname(path), "elsewhere",
                                        args.library))
        except ValueError as e:
            assert "is taken by" in str(e), str(e)
        else:
            raise AssertionError("another library took namespace %s"
                                 % lib.namespace)
        op = getattr(getattr(torch.ops, lib.namespace), functions[0].name)
        x = suite.inputs(functions[0], 3)
        suite.same_bytes("torch.ops vs lib attribute", suite.results(
            functions[0], x), list(_as_tuple(op(*x), torch)))

    checks.run("load again", load_again)
    return checks.finish()


def _as_tuple(out, torch):
    return (out,) if isinstance(out, torch.Tensor) else out


if __name__ == "__main__":
    sys.exit(main())
