#!/usr/bin/env python3
"""Flags calls that take two or more arguments which create IR.

C++ leaves the evaluation order of function arguments unspecified (Clang
evaluates them left to right, GCC right to left), so in

    arith::AddIOp::create(b, constIndex(b, 1), emitSqrt(b, x));

the two argument ops are created in an order that depends on the compiler,
and so do the emitted IR, its value numbering and the PTX. The project's
rule is to bind each builder call to a named local first. This is a quick
lexical check of that rule; the real one is scripts/compare-builds.sh, which
compares what a GCC and a Clang build emit. An argument "creates IR" when it
contains a builder-like call: `X::create(`, `createOrFold<`, `const{Index,
I32,F32,...}(`, `emit...(`, `build...(`, a call whose first argument is the
builder `b`/`builder`/`rewriter`, or one of the host lowering's helpers that
create ops. Lambdas are ignored (their bodies run when they are called).

Usage: check-builder-calls.py FILE... ; exits 1 when it flags a call.
"""

import re
import sys

BUILDER_CALL = re.compile(
    r"::create\s*[<(]|createOrFold\s*<|\.create\s*<"
    r"|\bconst(?:Index|I8|I16|I32|I64|F32)\s*\("
    r"|\bemit[A-Z]\w*\s*\(|\bbuild[A-Z]\w*\s*\(|\bb\.clone\s*\("
    r"|\b(?:extractAsF32|truncToVector|constZeroVector|addWorkgroupBuffer"
    r"|shapeOf|collapseTo2d|rowsOf|paddedRows|allocate|allocateShaped"
    r"|resultBuffer|scaleShape)\s*\("
    r"|\b\w+\s*\(\s*(?:b|builder|rewriter|moduleBuilder)\s*[,)]")
LAMBDA = re.compile(r"\[[&=]?[\w\s,&*]*\]\s*(?:\([^)]*\))?\s*(?:->\s*\w+\s*)?\{")


def strip(source):
    """Removes comments and string contents, keeping line numbers."""
    source = re.sub(r"/\*.*?\*/", lambda m: "\n" * m.group(0).count("\n"),
                    source, flags=re.S)
    source = re.sub(r"//[^\n]*", "", source)
    return re.sub(r'"(?:\\.|[^"\\\n])*"', '""', source)


def arguments(source, open_paren):
    """The top-level arguments of the call whose '(' is at open_paren."""
    depth, start, args = 0, open_paren + 1, []
    for i in range(open_paren, len(source)):
        c = source[i]
        if c in "([{":
            depth += 1
        elif c in ")]}":
            depth -= 1
            if depth == 0:
                args.append(source[start:i])
                return args
        elif c == "," and depth == 1:
            args.append(source[start:i])
            start = i + 1
    return args


def check(path):
    source = strip(open(path, encoding="utf-8").read())
    flagged = []
    for match in re.finditer(r"\(", source):
        args = arguments(source, match.start())
        creating = [a for a in args
                    if BUILDER_CALL.search(a) and not LAMBDA.search(a)]
        if len(creating) >= 2:
            line = source.count("\n", 0, match.start()) + 1
            callee = source[max(0, match.start() - 60):match.start()]
            callee = callee.split("\n")[-1].strip()
            flagged.append((line, callee))
    for line, callee in flagged:
        print("%s:%d: %s(...) takes %s" % (
            path, line, callee,
            "two or more arguments that create IR; bind each to a local"))
    return len(flagged)


def main():
    total = sum(check(path) for path in sys.argv[1:])
    return 1 if total else 0


if __name__ == "__main__":
    sys.exit(main())
