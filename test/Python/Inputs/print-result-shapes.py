#!/usr/bin/env python3
"""Prints, for every function of a manifest, the result shapes that
vllm_mlir.manifest computes when each dynamic argument dimension is M:
`NAME (ARGUMENT SHAPES) -> (RESULT SHAPES)`, or `NAME unsized: WHY`. Used
by manifest.test on manifests the real exporter writes, so a change of the
format on either side shows; the expected lines are written by hand.

Usage: print-result-shapes.py MANIFEST M
"""

import sys

from vllm_mlir.manifest import Manifest


def main():
    manifest = Manifest.load(sys.argv[1])
    m = int(sys.argv[2])
    for function in manifest:
        if function.unsized:
            print("%s unsized: %s" % (function.name, function.unsized))
            continue
        shapes = [tuple(m if size is None else size for size in spec.shape)
                  for spec in function.arguments]
        print("%s %s -> %s" % (function.name, shapes,
                               function.result_shapes(shapes)))


if __name__ == "__main__":
    main()
