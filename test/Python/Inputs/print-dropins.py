#!/usr/bin/env python3
"""Prints what the drop-ins for vLLM's ops (vllm_mlir.vllm_ops) would find
in a manifest the exporter wrote for a kernel set of vllm_mlir.dropins:

  missing NAME          a function the drop-ins expect for these hidden
                        sizes and element types is not in the manifest
  extra NAME            a function of the manifest they do not expect
  NAME: PROBLEM         its signature is not the one generated for NAME
  NAME M=m -> SHAPES    the result shapes the manifest gives for m rows

Used by dropins.test; the expected shapes are written by hand from SPEC.md
3.3 (MN-major scales pad M to a multiple of 4, packed UE8M0 holds
ceil(G / 4) words per row).

Usage: print-dropins.py MANIFEST HIDDEN[,HIDDEN...] DTYPE[,DTYPE...] M...
"""

import sys

from vllm_mlir import dropins
from vllm_mlir.manifest import Manifest


def main():
    manifest = Manifest.load(sys.argv[1])
    hidden_sizes = [int(h) for h in sys.argv[2].split(",")]
    dtypes = sys.argv[3].split(",")
    rows = [int(m) for m in sys.argv[4:]]
    expected = [name for name, _, _, _ in dropins.functions(hidden_sizes,
                                                            dtypes)]
    present = [function.name for function in manifest]
    for name in expected:
        if name not in present:
            print("missing " + name)
    for name in present:
        if name not in expected:
            print("extra " + name)
    for function in manifest:
        problem = dropins.check_manifest_function(function)
        if problem:
            print("%s: %s" % (function.name, problem))
            continue
        for m in rows:
            shapes = [tuple(m if size is None else size for size in
                            spec.shape) for spec in function.arguments]
            print("%s M=%d -> %s" % (function.name, m, " ".join(
                "x".join(map(str, shape)) or "()"
                for shape in function.result_shapes(shapes))))


if __name__ == "__main__":
    main()
