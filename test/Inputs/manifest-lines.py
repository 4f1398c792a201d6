#!/usr/bin/env python3
"""Prints a vllm-export-manifest JSON file one fact per line, for FileCheck:
`version N`, `abi {...}`, then for each function `func NAME SYMBOL` and one
`arg {...}` / `res {...}` line per tensor, each object with sorted keys and
no spaces. Fails when the file is not JSON. It only reformats: the tests'
expectations are written by hand."""

import json
import sys

COMPACT = {"sort_keys": True, "separators": (",", ":")}

with open(sys.argv[1], encoding="utf-8") as f:
    manifest = json.load(f)
print("keys " + ",".join(sorted(manifest)))
print("version %d" % manifest["format_version"])
print("abi " + json.dumps(manifest["abi"], **COMPACT))
for function in manifest["functions"]:
    print("func %s %s" % (function["name"], function["symbol"]))
    print("keys " + ",".join(sorted(function)))
    for tensor in function["arguments"]:
        print("arg " + json.dumps(tensor, **COMPACT))
    for tensor in function["results"]:
        print("res " + json.dumps(tensor, **COMPACT))
print("end")
