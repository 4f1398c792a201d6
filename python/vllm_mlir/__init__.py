"""Calls libraries built by vllm-compile from Python (docs/pytorch.md).

    import vllm_mlir
    lib = vllm_mlir.load("build/gpu/model.so")   # needs torch and a GPU
    q, scales = lib.quant(x)                     # or torch.ops.model.quant(x)

`load` and `LoadedLibrary` (vllm_mlir.library) need PyTorch and are imported
on first use; the manifest reader (vllm_mlir.manifest) needs only the
standard library, so `import vllm_mlir` and manifest checks work anywhere.
"""

from .manifest import Manifest, ManifestError, manifest_path

__version__ = "0.1.0"

__all__ = ["LoadedLibrary", "Manifest", "ManifestError", "load",
           "manifest_path"]

# Names served by vllm_mlir.library, which imports torch.
_TORCH_NAMES = ("LoadedLibrary", "load")


def __getattr__(name):
    if name in _TORCH_NAMES:
        from . import library
        return getattr(library, name)
    raise AttributeError("module %r has no attribute %r" % (__name__, name))
