#!/usr/bin/env python3
"""Seed corpus of vllm-fuzz from the lit inputs.

Splits every .mlir file under the given directories (default: test/ and
examples/) at `// -----` lines, the way `vllm-opt -split-input-file` does,
drops whole-line comments (RUN and CHECK lines, expected-error annotations,
prose), and writes each non-empty case of at most --max-bytes bytes (the
fuzz target rejects larger inputs) to OUT_DIR as one file, named after its
source file and case number. Identical cases are written once. Left out:
test/Regression/Inputs/fuzz-crashes/, the crashes not fixed yet, on which
the fuzzer would stop before it starts.

    tools/vllm-fuzz/make_corpus.py OUT_DIR [--max-bytes N] [DIR...]
"""

import argparse
import hashlib
import os
import re
import sys

SPLIT = re.compile(r"^// -----\s*$", re.MULTILINE)


def cases(text):
    for case in SPLIT.split(text):
        lines = [l for l in case.splitlines() if not l.lstrip().startswith("//")]
        body = "\n".join(lines).strip()
        if body:
            yield body + "\n"


def main():
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out_dir")
    parser.add_argument("dirs", nargs="*",
                        default=[os.path.join(root, "test"), os.path.join(root, "examples")])
    parser.add_argument("--max-bytes", type=int, default=8192)
    args = parser.parse_args()

    os.makedirs(args.out_dir, exist_ok=True)
    seen = set()
    written = too_large = 0
    for top in args.dirs:
        for dirpath, dirs, files in os.walk(top):
            dirs[:] = sorted(d for d in dirs if d != "fuzz-crashes")
            for name in sorted(files):
                if not name.endswith(".mlir"):
                    continue
                path = os.path.join(dirpath, name)
                with open(path, encoding="utf-8") as f:
                    text = f.read()
                rel = os.path.relpath(path, root)
                stem = re.sub(r"[^A-Za-z0-9_.-]", "_", rel[: -len(".mlir")])
                for i, case in enumerate(cases(text)):
                    data = case.encode()
                    if len(data) > args.max_bytes:
                        too_large += 1
                        continue
                    digest = hashlib.sha1(data).hexdigest()
                    if digest in seen:
                        continue
                    seen.add(digest)
                    with open(os.path.join(args.out_dir, f"{stem}.{i}.mlir"), "wb") as f:
                        f.write(data)
                    written += 1
    print(f"{written} seed inputs in {args.out_dir} "
          f"({too_large} cases over {args.max_bytes} bytes left out)")
    return 0 if written else 1


if __name__ == "__main__":
    sys.exit(main())
