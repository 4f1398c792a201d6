"""Loads a library built by vllm-compile as PyTorch custom ops.

    lib = vllm_mlir.load("out/model.so")        # reads out/model.manifest.json
    q, scales = lib.quant(x)                    # torch.ops.model.quant(x)

Every function of the manifest becomes the functional custom op
`torch.ops.<namespace>.<name>` (torch.library.custom_op, no argument
mutated): it checks its inputs against the manifest, allocates the results
with torch.empty (PyTorch's caching allocator) on the inputs' device, and
calls the library's C entry point on PyTorch's current stream. Its fake
implementation (register_fake) gives results of the manifest's shapes and
dtypes without running anything, so `torch.compile(fullgraph=True)` traces
through the op without a graph break, with dynamic sizes as well; launching
on the current stream without host synchronization or allocation outside
the caching allocator makes the op capturable by `torch.cuda.graph`.
docs/pytorch.md has the whole story and the limits.
"""

import ctypes
import functools
import os
import re
import threading
import warnings

import torch

from .calls import Buffer, check_aliasing, check_inplace, check_results
from .manifest import Manifest, manifest_path

__all__ = ["LoadedLibrary", "RUNTIME_ENV", "RUNTIME_NAME", "TORCH_DTYPES",
           "default_namespace", "load"]

# The manifest's element types as PyTorch dtypes.
TORCH_DTYPES = {
    "bf16": torch.bfloat16,
    "f16": torch.float16,
    "f32": torch.float32,
    "f8E4M3FN": torch.float8_e4m3fn,
    "i32": torch.int32,
}
_ELEMENT_TYPES = {dtype: name for name, dtype in TORCH_DTYPES.items()}

RUNTIME_NAME = "libvllm_runtime.so"
# A path to libvllm_runtime.so that overrides the search next to the library.
RUNTIME_ENV = "VLLM_MLIR_RUNTIME"

# The kernels load 16-byte vectors (and TMA needs 16-byte aligned bases);
# a misaligned buffer would fault on the device, which poisons the CUDA
# context of the whole process, so it is refused on the host.
_BUFFER_ALIGNMENT = 16

_lock = threading.Lock()
# One runtime per process: the mgpu* symbols of every library resolve to
# the first libvllm_runtime.so loaded with RTLD_GLOBAL, so that one holds
# the errors of every library.
_runtime = None
# namespace -> LoadedLibrary: a second load() of the same library returns
# the first, and a namespace is never registered twice.
_libraries = {}
# Real path of each library file opened -> the device its kernels went to.
# The dynamic loader opens a file once per process, so its constructor, which
# loads the kernels, runs once: the file serves that device only.
_opened = {}


def load(path, namespace=None, device=None):
    """Loads the library at `path` and registers its functions as custom ops.

    `namespace` (default: `default_namespace(path)`) is the namespace of the
    ops under torch.ops. `device` (default: the current CUDA device) is the
    GPU the library's kernels are loaded on, when the library is opened;
    its ops run on that device only. Loading the same library into the same
    namespace again returns the LoadedLibrary of the first load.

    Raises ManifestError for a manifest this package cannot use, OSError for
    a missing or unloadable file, RuntimeError when the vllm runtime reports
    an error while the library loads its kernels, ValueError for a
    namespace taken by another library or a library file already loaded
    on another device.
    """
    path = os.path.abspath(path)
    if namespace is None:
        namespace = default_namespace(path)
    if not namespace.isidentifier():
        raise ValueError("namespace %r is not a Python identifier" % namespace)
    device = _cuda_device(device)
    with _lock:
        loaded = _libraries.get(namespace)
        if loaded is not None:
            if loaded.path == path and loaded.device == device:
                return loaded
            raise ValueError(
                "namespace %r is taken by %s on %s; load %s with another "
                "namespace= (ops of one namespace cannot come from two "
                "libraries or devices)" % (namespace, loaded.path,
                                           loaded.device, path))
        library = LoadedLibrary(path, namespace, device)
        _libraries[namespace] = library
        return library


def default_namespace(path):
    """The library's file name without its last extension, every character
    other than a letter, digit or underscore replaced by `_`
    (`m.sm_90a.fused.so` -> `m_sm_90a_fused`), with `_` in front of a
    leading digit."""
    stem = os.path.splitext(os.path.basename(path))[0]
    name = re.sub(r"[^0-9A-Za-z_]", "_", stem)
    return "_" + name if not name or name[0].isdigit() else name


class LoadedLibrary:
    """A library whose functions are registered as PyTorch custom ops.

    Each op is `lib.<name>` (when the name is not one of the attributes
    below) and `lib.ops[name]`, the same object as
    `torch.ops.<namespace>.<name>`. A call takes the function's arguments
    as CUDA tensors, in the manifest's order, and returns its one result,
    a tuple of several, or None for none.

    Before anything is allocated or launched, every argument is checked:
    on this library's device, the manifest's element type (as
    TORCH_DTYPES), rank and static dimensions, contiguous, and starting at
    a 16-byte aligned address; a failed check raises ValueError naming the
    argument (`argument #1 of ns::quant: ...`). An error the vllm runtime
    records during the call (a launch it refused, a module that did not
    load) raises RuntimeError with the runtime's text; faults inside a
    kernel are reported by CUDA on a later synchronization, as for any
    kernel.

    The launches go on `torch.cuda.current_stream(device)` and the host
    waits for nothing, so the ops order with other work on that stream,
    are captured by `torch.cuda.graph` (replays use the captured buffers),
    and are traced by `torch.compile(fullgraph=True)` through their fake
    implementations. A row count M of 0 is a valid input: the results have
    the sizes the manifest gives for it (empty, except results that do not
    depend on M, such as a static scale, which are still written).

    `call_into(name, arguments, results, inplace=None)` runs a function
    writing into result tensors the caller provides (no allocation, no
    copy), with the same checks for the results as for the arguments, and
    refuses any memory shared between an output and another tensor except
    the in-place pairs the kernels allow (vllm_mlir.calls, SPEC.md C15).

    Attributes: `path`, `manifest` (vllm_mlir.manifest.Manifest), `namespace`,
    `device`, `ops` (name -> op) and `unsupported` (name -> why a function
    of the manifest is not an op: a result size the manifest cannot give,
    or a name that is not an identifier).
    """

    def __init__(self, path, namespace, device):
        self.path = path
        # The manifest first: a library that cannot be described is not
        # opened, so its kernels are not loaded.
        self.manifest = Manifest.load(manifest_path(path))
        self.namespace = namespace
        self.device = device
        self.ops = {}
        self.unsupported = {}
        # name -> (Function, ctypes entry point) of every op.
        self._entries = {}
        self._runtime = _open_runtime(path)
        pending = self._runtime.take_error()
        if pending:
            warnings.warn("vllm runtime: an earlier error was never read and "
                          "is cleared before loading %s: %s" % (path, pending))
        real_path = os.path.realpath(path)
        opened_on = _opened.setdefault(real_path, device)
        if opened_on != device:
            raise ValueError(
                "%s has loaded its kernels on %s; a library file loads them "
                "once per process, so a copy of the file under another name "
                "is needed for %s" % (path, opened_on, device))
        # The library loads its kernels in a constructor when it is opened,
        # into the CUDA context current on this thread (else device 0's
        # primary context): synchronizing makes this device's primary
        # context, the one PyTorch uses, current first.
        with torch.cuda.device(device):
            torch.cuda.synchronize()
            self._dll = ctypes.CDLL(path, mode=ctypes.RTLD_LOCAL)
        error = self._runtime.take_error()
        if error:
            raise RuntimeError("loading %s: the vllm runtime reported: %s"
                               % (path, error))
        for function in self.manifest.functions:
            reason = self._why_unsupported(function)
            if reason:
                self.unsupported[function.name] = reason
            else:
                self.ops[function.name] = self._register(function)

    def bind_group(self, group, process_group=None, capacity_bytes=64 << 20):
        """Binds the NCCL communicator of `process_group` (a
        torch.distributed group with the NCCL backend; default: the default
        group) to communicator group number `group` (SPEC.md 3.10), which
        the functions' collectives name (`Function.groups` of the
        manifest). The binding is process-wide: it serves every library of
        the process. Collective: every rank of the group calls it at the
        same point (the runtime exchanges the addresses of its buffers over
        NCCL). `capacity_bytes` bounds the inputs of the group's kernels
        (M x H x element size). docs/tensor-parallel.md."""
        import torch.distributed as dist  # noqa: PLC0415
        if not 0 <= group < 64:
            raise ValueError("group %d is out of range: a group is a number "
                             "in [0, 64)" % group)
        process_group = process_group or dist.group.WORLD
        backend = process_group._get_backend(self.device)
        comm_ptr = getattr(backend, "_comm_ptr", None)
        if comm_ptr is None:
            raise ValueError("the process group's backend (%s) gives no NCCL "
                             "communicator" % type(backend).__name__)
        with torch.cuda.device(self.device):
            # A communicator made lazily by torch exists after a collective.
            handle = comm_ptr()
            if not handle:
                dist.barrier(group=process_group)
                handle = comm_ptr()
            comm = self._runtime.comm_from_nccl(handle, capacity_bytes)
        error = self._runtime.take_error()
        if not comm or error:
            raise RuntimeError("binding group %d: the vllm runtime reported: "
                               "%s" % (group, error))
        self._runtime.bind(group, comm)

    def __getattr__(self, name):
        # Only called for names that are not attributes. __dict__ is read
        # directly: during __init__ `ops` may not exist yet.
        ops = self.__dict__.get("ops", {})
        if name in ops:
            return ops[name]
        unsupported = self.__dict__.get("unsupported", {})
        if name in unsupported:
            raise AttributeError("%s of %s is not a PyTorch op: %s"
                                 % (name, self.path, unsupported[name]))
        raise AttributeError("%s has no function %r (ops: %s)" % (
            self.__dict__.get("path", "the library"), name,
            ", ".join(ops) or "none"))

    def __dir__(self):
        return sorted(set(super().__dir__()) | set(self.ops))

    def __repr__(self):
        return "<vllm_mlir.LoadedLibrary %s as torch.ops.%s on %s: %d ops>" % (
            self.path, self.namespace, self.device, len(self.ops))

    def _why_unsupported(self, function):
        if not function.name.isidentifier():
            return "its name is not a Python identifier"
        return function.unsized

    def _register(self, function):
        """Registers `function` as `namespace::name` with its real and fake
        implementations; returns torch.ops.<namespace>.<name>."""
        try:
            entry = getattr(self._dll, function.symbol)
        except AttributeError:
            raise OSError("%s does not export %s, which its manifest lists "
                          "for %s" % (self.path, function.symbol,
                                      function.name)) from None
        count = len(function.arguments) + len(function.results)
        entry.argtypes = [ctypes.c_void_p] * (1 + count)
        entry.restype = None
        self._entries[function.name] = (function, entry)

        def real(*args):
            return self._call(function, entry, args)

        def fake(*args):
            return self._fake(function, args)

        real.__name__ = fake.__name__ = function.name
        op = torch.library.custom_op(self._qualname(function), real,
                                     mutates_args=(),
                                     schema=_schema(function))
        op.register_fake(fake)
        return getattr(getattr(torch.ops, self.namespace), function.name)

    def call_into(self, name, arguments, results, inplace=None):
        """Runs function `name` on `arguments`, writing its results into the
        caller's tensors `results` (one per result, in the manifest's
        order), on the current stream; returns None.

        Every check of an op call is made, before anything is launched, for
        the arguments and for the results alike: on this library's device,
        the manifest's dtype and rank, contiguous, 16-byte aligned; the
        arguments' static dimensions as for an op, and each result's shape
        equal to the one the manifest gives for these arguments. Then no
        result may share memory with another result or with an argument,
        except the pairs of `inplace`, {result index: argument index},
        each of which may (not must) be the very same buffer: the caller
        declares there that the function returns, at that index, the
        `residual_out` of a fused_add_rms_norm / rms_norm_quant whose
        residual is that argument, the one aliasing the kernels support
        (SPEC.md C15; vllm_mlir.calls). A failed check raises ValueError
        naming the tensor, KeyError an unknown function, AttributeError a
        function that is not an op (`unsupported`); an error the runtime
        records raises RuntimeError, as for an op.

        Not a registered op: eager use and torch.cuda.graph capture
        (nothing is allocated); torch.compile does not trace through it.
        """
        try:
            function, entry = self._entries[name]
        except KeyError:
            if name in self.unsupported:
                raise AttributeError("%s of %s cannot be called: %s" % (
                    name, self.path, self.unsupported[name])) from None
            self.manifest.function(name)   # KeyError naming the known ones
            raise
        arguments = tuple(arguments)
        results = tuple(results)
        qualname = self._qualname(function)
        inplace = check_inplace(function, inplace, qualname)
        self._check(function, arguments)
        if len(results) != len(function.results):
            raise ValueError("%s returns %d result%s, got %d result tensor%s"
                             % (qualname, len(function.results),
                                "" if len(function.results) == 1 else "s",
                                len(results), "" if len(results) == 1
                                else "s"))
        for spec, tensor in zip(function.results, results):
            self._check_device(function, spec, tensor)
        check_results(function, [tuple(t.shape) for t in arguments],
                      [_buffer(t) for t in results], qualname)
        for spec, tensor in zip(function.results, results):
            self._check_layout(function, spec, tensor)
        check_aliasing(function, [_buffer(t) for t in arguments],
                       [_buffer(t) for t in results], inplace, qualname)
        self._launch(function, entry, arguments, results)

    def _call(self, function, entry, args):
        """The real implementation: checks, allocates, launches."""
        self._check(function, args)
        shapes = function.result_shapes([tuple(t.shape) for t in args])
        with torch.cuda.device(self.device):
            results = [torch.empty(shape, dtype=TORCH_DTYPES[spec.element_type],
                                   device=self.device)
                       for spec, shape in zip(function.results, shapes)]
        self._launch(function, entry, args, results)
        return _results(results)

    def _launch(self, function, entry, args, results):
        """Calls the entry point on the current stream with checked
        arguments and results; raises the runtime's error, if any."""
        with torch.cuda.device(self.device):
            # The descriptors live until the call returns: the library
            # reads them during the call only.
            descriptors = [_descriptor(t) for t in (*args, *results)]
            stream = torch.cuda.current_stream(self.device).cuda_stream
            entry(stream, *(ctypes.addressof(d) for d in descriptors))
        error = self._runtime.take_error()
        if error:
            raise RuntimeError("%s: the vllm runtime reported: %s"
                               % (self._qualname(function), error))

    def _fake(self, function, args):
        """The fake implementation (torch.compile, FakeTensor, meta): the
        results' shapes and dtypes only. It checks what the real one checks
        on shapes and dtypes, so a mismatch fails while tracing; where the
        buffers are (device, contiguity, alignment) is checked when the op
        runs."""
        self._check_shapes(function, args)
        devices = {t.device for t in args}
        if len(devices) > 1:
            raise ValueError("%s: the arguments are on different devices "
                             "(%s)" % (self._qualname(function),
                                       ", ".join(sorted(map(str, devices)))))
        shapes = function.result_shapes([tuple(t.shape) for t in args])
        results = []
        for spec, shape in zip(function.results, shapes):
            dtype = TORCH_DTYPES[spec.element_type]
            if args:
                results.append(args[0].new_empty(shape, dtype=dtype))
            else:
                results.append(torch.empty(shape, dtype=dtype,
                                           device=self.device))
        return _results(results)

    def _check(self, function, args):
        """Every check of a real call, in the order a user fixes them. (The
        dispatcher has checked the number of arguments against the
        schema.)"""
        if len(args) != len(function.arguments):
            # call_into has no dispatcher in front of it.
            raise ValueError("%s takes %d argument%s, got %d" % (
                self._qualname(function), len(function.arguments),
                "" if len(function.arguments) == 1 else "s", len(args)))
        for spec, tensor in zip(function.arguments, args):
            self._check_device(function, spec, tensor)
        self._check_shapes(function, args)
        for spec, tensor in zip(function.arguments, args):
            self._check_layout(function, spec, tensor)

    def _check_device(self, function, spec, tensor):
        where = function.where(spec, self._qualname(function))
        if not isinstance(tensor, torch.Tensor):
            raise ValueError("%s is a %s, not a tensor"
                             % (where, type(tensor).__name__))
        if tensor.device != self.device:
            raise ValueError(
                "%s is on %s; the library runs on %s (the device it was "
                "loaded on)" % (where, tensor.device, self.device))

    def _check_layout(self, function, spec, tensor):
        """Contiguous and 16-byte aligned (an argument or a result)."""
        where = function.where(spec, self._qualname(function))
        if not tensor.is_contiguous():
            what = "writes" if spec.role == "result" else "reads"
            raise ValueError(
                "%s is not contiguous (shape %s, strides %s): the "
                "library %s row-major buffers; pass .contiguous()"
                % (where, tuple(tensor.shape), tensor.stride(), what))
        if tensor.numel() and tensor.data_ptr() % _BUFFER_ALIGNMENT:
            raise ValueError(
                "%s starts at address 0x%x, not a multiple of %d bytes "
                "(a view into another tensor?): pass .clone()"
                % (where, tensor.data_ptr(), _BUFFER_ALIGNMENT))

    def _check_shapes(self, function, args):
        """Element types, ranks and static dimensions."""
        function.check_arguments(
            [tuple(t.shape) for t in args],
            [_ELEMENT_TYPES.get(t.dtype, str(t.dtype)) for t in args],
            name=self._qualname(function))

    def _qualname(self, function):
        return "%s::%s" % (self.namespace, function.name)


def _cuda_device(device):
    """`device` (None: the current one) as torch.device('cuda', index)."""
    if device is None:
        return torch.device("cuda", torch.cuda.current_device())
    device = torch.device(device)
    if device.type != "cuda":
        raise ValueError("device %s is not a CUDA device" % device)
    if device.index is None:
        return torch.device("cuda", torch.cuda.current_device())
    return device


def _schema(function):
    """The op's schema: one Tensor per argument, one per result."""
    arguments = ", ".join("Tensor arg%d" % i
                          for i in range(len(function.arguments)))
    results = ["Tensor"] * len(function.results)
    returns = results[0] if len(results) == 1 else \
        "(" + ", ".join(results) + ")"
    return "(%s) -> %s" % (arguments, returns)


def _results(tensors):
    """What the op returns for its result tensors, as its schema says."""
    if not tensors:
        return None
    return tensors[0] if len(tensors) == 1 else tuple(tensors)


@functools.lru_cache(maxsize=None)
def _memref_class(rank):
    """MLIR's StridedMemRefType<T, rank> with an untyped pointer
    (runtime/include/vllm-runtime/MemRef.h)."""
    return type("StridedMemRef%d" % rank, (ctypes.Structure,), {
        "_fields_": [("allocated", ctypes.c_void_p),
                     ("aligned", ctypes.c_void_p),
                     ("offset", ctypes.c_int64),
                     ("sizes", ctypes.c_int64 * rank),
                     ("strides", ctypes.c_int64 * rank)]})


def _buffer(tensor):
    """The tensor as vllm_mlir.calls sees it (after the layout checks, so
    contiguous: its bytes are one interval)."""
    return Buffer(tuple(tensor.shape),
                  _ELEMENT_TYPES.get(tensor.dtype, str(tensor.dtype)),
                  tensor.data_ptr(), tensor.numel() * tensor.element_size())


def _descriptor(tensor):
    """The descriptor of a contiguous tensor: row-major strides computed
    from the sizes (the ABI's layout), not taken from the tensor, whose
    strides for dimensions of size 1 may be anything."""
    shape = tuple(tensor.shape)
    descriptor = _memref_class(len(shape))()
    descriptor.allocated = tensor.data_ptr()
    descriptor.aligned = tensor.data_ptr()
    descriptor.offset = 0
    stride = 1
    for dim in reversed(range(len(shape))):
        descriptor.sizes[dim] = shape[dim]
        descriptor.strides[dim] = stride
        stride *= shape[dim]
    return descriptor


class _Runtime:
    """libvllm_runtime.so, opened with RTLD_GLOBAL so that libraries
    resolve their mgpu* functions to it, and its error record
    (runtime/include/vllm-runtime/Runtime.h: the first error since the
    last clear, process-wide)."""

    def __init__(self, path):
        self.path = path
        self._dll = ctypes.CDLL(path, mode=ctypes.RTLD_GLOBAL)
        self._dll.vllmrtGetLastError.argtypes = []
        self._dll.vllmrtGetLastError.restype = ctypes.c_char_p
        self._dll.vllmrtClearError.argtypes = []
        self._dll.vllmrtClearError.restype = ctypes.c_int
        # Communicators bound to groups (bind_group), never destroyed.
        self._comms = []

    def comm_from_nccl(self, nccl_comm, capacity_bytes):
        """vllmrtCommFromNccl: a communicator over `nccl_comm` (an
        ncclComm_t as an integer); None on failure (error recorded)."""
        function = self._dll.vllmrtCommFromNccl
        function.argtypes = [ctypes.c_void_p, ctypes.c_size_t]
        function.restype = ctypes.c_void_p
        return function(ctypes.c_void_p(nccl_comm), capacity_bytes)

    def bind(self, group, comm):
        """vllmrtCommBind, keeping the communicator for the process (a
        group bound again keeps its earlier one alive too: kernels queued
        before may still use it)."""
        function = self._dll.vllmrtCommBind
        function.argtypes = [ctypes.c_int, ctypes.c_void_p]
        function.restype = ctypes.c_int
        if function(group, ctypes.c_void_p(comm)) != 0:
            raise RuntimeError("binding group %d: the vllm runtime reported: "
                               "%s" % (group, self.take_error()))
        self._comms.append(comm)

    def take_error(self):
        """The recorded error ("" when none), cleared."""
        text = self._dll.vllmrtGetLastError()
        if not text:
            return ""
        self._dll.vllmrtClearError()
        return text.decode("utf-8", errors="replace")


def _open_runtime(library_path):
    """The process's runtime, opened on first use from the first of:
    $VLLM_MLIR_RUNTIME, the library's directory, ../lib from there."""
    global _runtime
    if _runtime is None:
        _runtime = _Runtime(_find_runtime(library_path))
    return _runtime


def _find_runtime(library_path):
    explicit = os.environ.get(RUNTIME_ENV)
    if explicit:
        if not os.path.isfile(explicit):
            raise FileNotFoundError("%s=%s: no such file" % (RUNTIME_ENV,
                                                             explicit))
        return explicit
    directory = os.path.dirname(library_path)
    candidates = [os.path.join(directory, RUNTIME_NAME),
                  os.path.join(directory, os.pardir, "lib", RUNTIME_NAME)]
    for candidate in candidates:
        if os.path.isfile(candidate):
            return os.path.normpath(candidate)
    raise FileNotFoundError(
        "cannot find %s for %s: looked for %s; set %s to its path"
        % (RUNTIME_NAME, library_path, " and ".join(
            os.path.normpath(c) for c in candidates), RUNTIME_ENV))
