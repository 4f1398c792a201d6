#!/usr/bin/env python3
"""Generates the .mlir test modules of the GPU numerics suite.

One module per hidden size H (static; M is dynamic), plus one with the GEMM
functions, plus two C++ include files for the suite driver:

  test_kernels_h<H>.mlir      norm / quantize / fused / sequence functions
  test_kernels_matmul.mlir    scaled_matmul and norm->quantize->GEMM chains
  test_kernels_manifest.inc   one VLLM_TEST_KERNEL(...) row per function
  test_kernels_mock.inc       host implementations' extern "C" shims (used
                              only by the CPU self-test of the driver)

Function names and signatures (inputs in this order; outputs in this order;
T = bf16 unless the name says otherwise; Q = a scheme code, see SCHEMES):

  rms_norm_<t>_h<H>(x, w) -> y
  add_rms_norm_<t>_h<H>(x, w, r) -> (y, residual_out)
  quant_<Q>_h<H>(y [, s]) -> (q, scales)
  quant_f16_<Q>_h<H>, fused_f16_<Q>_h<H>, ...   the same on f16 (Q_F16)
  fused_<Q>_h<H>(x, w [, s]) -> (q, scales, y)             explicit rms_norm_quant
  fusedres_<Q>_h<H>(x, w, r [, s]) -> (q, scales, residual_out, y)
  seq_<Q>_h<H>(x, w [, s]) -> (q, scales)                  rms_norm; quantize
  seqres_<Q>_h<H>(x, w, r [, s]) -> (q, scales, residual_out)
  silu_and_mul_<t>_h<I>(x [M, 2I]) -> y [M, I]
  silufused_<Q>_h<I>(x [, s]) -> (q, scales, y)          explicit elementwise_quant
  siluseq_<Q>_h<I>(x [, s]) -> (q, scales)               silu_and_mul; quantize
  smm_<e>_n<N>_k<K>(a, b, sa, sb) -> d                     scaled_matmul
  smm_<Q>_n<N>_k<K>(a, b, sa, sb) -> d                     same, sa of scheme Q
  chain_<e>_n<N>_k<K>(x, w, b, sb) -> d                    rms_norm; quantize; GEMM
  rms_norm_rbw_bf16_h<H>, add_rms_norm_rbw_bf16_h<H>, fused_rbw_<Q>_h<H>,
  fusedres_rbw_, seq_rbw_, seqres_rbw_   the same with round_before_weight
                                         (SPEC 3.1), Q in Q_RBW

`s` is the static per-tensor scale (tensor<1xf32>), present only for `spt`.
The `seq*` functions are the unfused sequences: built with the fusion
pipeline they become one fused kernel, built with NO_FUSION two kernels; the
suite compares both builds bit for bit (SPEC C9).
"""

import argparse
import os
import sys

EPS = "1.0e-06"          # epsilon of every function except the odd H ones
EPS_ODD = "1.0e-05"      # a second value, to show the attribute is read (C2)
UPPER_BOUND = "2.5"      # the per-token upper bound (exact in f32)

# code: (kind, group, encoding, layout, align)
SCHEMES = {
    "spt": ("static_per_tensor", 0, None, None, 1),
    "dpt": ("dynamic_per_tensor", 0, None, None, 1),
    "tok": ("per_token", 0, None, None, 1),
    "tokub": ("per_token_ub", 0, None, None, 1),
}
for g in (32, 64, 128):
    for enc_code, enc in (("f32", "f32"), ("ue8f32", "ue8m0_f32"),
                          ("ue8pk", "ue8m0_packed")):
        for lay_code, lay, align in (("rm", "row_major", 1),
                                     ("mn1", "mn_major", 1),
                                     ("mn4", "mn_major", 4)):
            if enc == "ue8m0_packed" and lay_code != "mn4":
                continue
            SCHEMES["g%d_%s_%s" % (g, enc_code, lay_code)] = (
                "per_group", g, enc, lay, align)

Q_CORE = ["spt", "dpt", "tok", "tokub", "g128_f32_rm", "g128_f32_mn4",
          "g128_ue8f32_mn4", "g128_ue8pk_mn4"]
Q_EXT = ["g128_f32_mn1", "g128_ue8f32_rm", "g128_ue8f32_mn1", "g64_f32_rm",
         "g64_ue8f32_mn4", "g64_ue8pk_mn4", "g32_f32_mn4", "g32_ue8pk_mn4"]
Q_ODD = ["spt", "dpt", "tok", "tokub"]
# Schemes also run on f16 activations (every function kind), where H has f16
# norms (the ext and odd sizes): the quantization of f16 takes the f32 amax
# path instead of the packed bf16 one.
Q_F16 = ["spt", "dpt", "tok", "tokub", "g128_f32_mn4", "g128_ue8pk_mn4",
         "g64_ue8f32_mn4"]
FUNCTION_KINDS = ["quant", "fused", "fusedres", "seq", "seqres"]
# The schemes the round_before_weight norms are tested with (bf16, core H):
# static, per-token and both GEMM activation formats.
Q_RBW = ["spt", "tok", "g128_f32_mn4", "g128_ue8pk_mn4"]
# The MLP's down-projection site (silu_and_mul -> quantize): every core
# scheme, at the sizes "silu" of the set (I, the product's width).
SILU_KINDS = ["silufused", "siluseq"]
SILU_TYPES = ["bf16", "f16", "f32"]

# (N, K) of the DeepSeek-V3 GEMMs the suite checks.
GEMM_SHAPES = [(2112, 7168), (7168, 2048), (24576, 1536)]
GEMM_ENCODINGS = [("f32", "f32"), ("ue8f32", "ue8m0_f32")]
# The other activation scale formats scaled_matmul takes (SPEC 3.5): per
# tensor, per token, row-major groups and packed UE8M0 groups, on the first
# GEMM shape only (the scale indexing does not depend on the shape). The
# weights keep 128x128 block scales.
GEMM_OTHER_SCHEMES = ["dpt", "tok", "g128_f32_rm", "g128_ue8pk_mn4"]
# A shape whose K does not split evenly in sm_90a's decode-size kernel
# (M <= 64, 132 SMs): 16 n128 tiles (the last half full) x 7 ranges of the 19
# K blocks, 3 each but the last, which has 1.
GEMM_UNEVEN_SPLIT_SHAPES = [(1984, 2432)]

SETS = {
    # Every op and variant over the shape list of the issue.
    "full": {
        "core": [128, 256, 2048, 4096, 5120, 7168],
        "ext": [128, 256, 7168],
        "odd": [4100, 1001],
        "gemm": GEMM_SHAPES,
        "gemm_split": GEMM_UNEVEN_SPLIT_SHAPES,
        # I = 2048 (DeepSeek-V3's dense MLP at TP 1 ... its experts), 18432 / 8
        # and 18432 / 4 (the dense MLP under tensor parallelism), and 256.
        "silu": [256, 2048, 2304, 4608],
    },
    # A quick subset (a few minutes less to compile) for iterating.
    "smoke": {
        "core": [256, 7168],
        "ext": [256],
        "odd": [4100],
        "gemm": [(2112, 7168)],
        "silu": [256, 2304],
    },
}

DTYPES = {"bf16": "bf16", "f16": "f16", "f32": "f32"}
CPP_DTYPE = {"bf16": "BF16", "f16": "F16", "f32": "F32"}


def scale_type(code, H):
    kind, g, enc, lay, align = SCHEMES[code]
    if kind in ("static_per_tensor", "dynamic_per_tensor"):
        return "tensor<1xf32, #vllm.scales<tensor>>"
    if kind == "per_token_ub" or kind == "per_token":
        return "tensor<?xf32, #vllm.scales<row>>"
    G = H // g
    attr = "#vllm.scales<group %d, %s, %s%s>" % (
        g, enc, lay, ", align 4" if align == 4 else "")
    if enc == "ue8m0_packed":
        return "tensor<%dx?xi32, %s>" % ((G + 3) // 4, attr)
    if lay == "mn_major":
        return "tensor<%dx?xf32, %s>" % (G, attr)
    return "tensor<?x%dxf32, %s>" % (G, attr)


def scheme_attr(code):
    kind, g, enc, lay, align = SCHEMES[code]
    if kind == "per_token_ub":
        return "<per_token, upper_bound = %s>" % UPPER_BOUND
    if kind != "per_group":
        return "<%s>" % kind
    return "<per_group %d, %s, %s%s>" % (g, enc, lay,
                                         ", align 4" if align == 4 else "")


def valid(code, H):
    kind, g, enc, lay, align = SCHEMES[code]
    return kind != "per_group" or H % g == 0


STATIC_T = "tensor<1xf32, #vllm.scales<tensor>>"


def act(H, t="bf16"):
    return "tensor<?x%dx%s>" % (H, t)


def vec(H, t="bf16"):
    return "tensor<%dx%s>" % (H, t)


QT = "f8E4M3FN"


def norm_attrs(eps, rbw):
    """The norm's attribute dictionary: epsilon, and round_before_weight
    (SPEC 3.1) for the `rbw` functions."""
    return "{epsilon = %s : f32%s}" % (eps, ", round_before_weight" if rbw else "")


def gen_norm(H, t, eps, rbw=False):
    name = "rms_norm_%s%s_h%d" % ("rbw_" if rbw else "", t, H)
    body = """func.func @{n}(%x: {a}, %w: {v}) -> {a} {{
  %y = vllm.rms_norm %x, %w {e} : ({a}, {v}) -> {a}
  return %y : {a}
}}
""".format(n=name, a=act(H, t), v=vec(H, t), e=norm_attrs(eps, rbw))
    return name, body


def gen_add_norm(H, t, eps, rbw=False):
    name = "add_rms_norm_%s%s_h%d" % ("rbw_" if rbw else "", t, H)
    body = """func.func @{n}(%x: {a}, %w: {v}, %r: {a}) -> ({a}, {a}) {{
  %y, %ro = vllm.fused_add_rms_norm %x, %r, %w {e} : ({a}, {a}, {v}) -> ({a}, {a})
  return %y, %ro : {a}, {a}
}}
""".format(n=name, a=act(H, t), v=vec(H, t), e=norm_attrs(eps, rbw))
    return name, body


def quantize_line(result, src, code, H, static, t="bf16"):
    st = scale_type(code, H)
    scale = " scale(%%s : %s)" % STATIC_T if static else ""
    return "  %s = vllm.quantize %s%s as %s : %s -> tensor<?x%dx%s>, %s\n" % (
        result, src, scale, scheme_attr(code), act(H, t), H, QT, st)


def gen_quant_family(kind, code, H, eps, t="bf16", rbw=False):
    """Returns (name, body) of one function of `kind` for scheme `code` on
    activations of type `t`; `rbw`: the norm rounds before the weight."""
    static = SCHEMES[code][0] == "static_per_tensor"
    st = scale_type(code, H)
    qt = "tensor<?x%dx%s>" % (H, QT)
    a, v = act(H, t), vec(H, t)
    name = "%s%s_%s%s_h%d" % (kind, "_rbw" if rbw else "",
                              "" if t == "bf16" else t + "_", code, H)
    s_arg = ", %%s: %s" % STATIC_T if static else ""
    if kind == "quant":
        body = "func.func @%s(%%y: %s%s) -> (%s, %s) {\n" % (name, a, s_arg,
                                                           qt, st)
        body += quantize_line("%q, %sc", "%y", code, H, static, t)
        body += "  return %%q, %%sc : %s, %s\n}\n" % (qt, st)
        return name, body
    res = kind in ("fusedres", "seqres")
    r_arg = ", %%r: %s" % a if res else ""
    args = "%%x: %s, %%w: %s%s%s" % (a, v, r_arg, s_arg)
    if kind in ("fused", "fusedres"):
        results = [qt, st] + ([a] if res else []) + [a]
        names = ["%q", "%sc"] + (["%ro"] if res else []) + ["%y"]
        operands = "%x, %w" + (" residual(%r)" if res else "") + (
            " scale(%s)" if static else "")
        in_types = [a, v] + ([a] if res else []) + ([STATIC_T] if static else [])
        body = "func.func @%s(%s) -> (%s) {\n" % (name, args, ", ".join(results))
        body += "  %s = vllm.rms_norm_quant %s as %s %s : (%s) -> (%s)\n" % (
            ", ".join(names), operands, scheme_attr(code), norm_attrs(eps, rbw),
            ", ".join(in_types), ", ".join(results))
        body += "  return %s : %s\n}\n" % (", ".join(names), ", ".join(results))
        return name, body
    # seq / seqres: the op sequence a frontend emits.
    results = [qt, st] + ([a] if res else [])
    body = "func.func @%s(%s) -> (%s) {\n" % (name, args, ", ".join(results))
    if res:
        body += "  %%n, %%ro = vllm.fused_add_rms_norm %%x, %%r, %%w %s : (%s, %s, %s) -> (%s, %s)\n" % (
            norm_attrs(eps, rbw), a, a, v, a, a)
    else:
        body += "  %%n = vllm.rms_norm %%x, %%w %s : (%s, %s) -> %s\n" % (
            norm_attrs(eps, rbw), a, v, a)
    body += quantize_line("%q, %sc", "%n", code, H, static, t)
    names = ["%q", "%sc"] + (["%ro"] if res else [])
    body += "  return %s : %s\n}\n" % (", ".join(names), ", ".join(results))
    return name, body


def gen_silu(I, t):
    name = "silu_and_mul_%s_h%d" % (t, I)
    x, y = act(2 * I, t), act(I, t)
    body = """func.func @{n}(%x: {x}) -> {y} {{
  %y = vllm.silu_and_mul %x : {x} -> {y}
  return %y : {y}
}}
""".format(n=name, x=x, y=y)
    return name, body


def gen_silu_family(kind, code, I, t="bf16"):
    """silufused_ (explicit elementwise_quant returning the product) or
    siluseq_ (the unfused sequence) for scheme `code`."""
    static = SCHEMES[code][0] == "static_per_tensor"
    st = scale_type(code, I)
    qt = "tensor<?x%dx%s>" % (I, QT)
    x, y = act(2 * I, t), act(I, t)
    name = "%s_%s%s_h%d" % (kind, "" if t == "bf16" else t + "_", code, I)
    s_arg = ", %%s: %s" % STATIC_T if static else ""
    scale = " scale(%%s : %s)" % STATIC_T if static else ""
    if kind == "silufused":
        results = [qt, st, y]
        body = "func.func @%s(%%x: %s%s) -> (%s) {\n" % (name, x, s_arg,
                                                        ", ".join(results))
        body += "  %%q, %%sc, %%y = vllm.elementwise_quant silu_and_mul(%%x)%s as %s : %s -> %s\n" % (
            scale, scheme_attr(code), x, ", ".join(results))
        body += "  return %%q, %%sc, %%y : %s\n}\n" % ", ".join(results)
        return name, body
    results = [qt, st]
    body = "func.func @%s(%%x: %s%s) -> (%s) {\n" % (name, x, s_arg,
                                                    ", ".join(results))
    body += "  %%y = vllm.silu_and_mul %%x : %s -> %s\n" % (x, y)
    body += quantize_line("%q, %sc", "%y", code, I, static, t)
    body += "  return %%q, %%sc : %s\n}\n" % ", ".join(results)
    return name, body


def gemm_types(N, K, enc):
    G = K // 128
    sa = "tensor<%dx?xf32, #vllm.scales<group 128, %s, mn_major, align 4>>" % (
        G, enc)
    sb = "tensor<%dx%dxf32, #vllm.scales<block 128x128, f32>>" % (
        (N + 127) // 128, G)
    a = "tensor<?x%dx%s>" % (K, QT)
    b = "tensor<%dx%dx%s>" % (N, K, QT)
    d = "tensor<?x%dxbf16>" % N
    return a, b, sa, sb, d


def gen_smm(N, K, enc_code, enc, scheme=None):
    a, b, sa, sb, d = gemm_types(N, K, enc)
    name = "smm_%s_n%d_k%d" % (enc_code, N, K)
    chip = " chip <sm_90a>"
    if scheme:
        # The activation scales of quantization scheme `scheme` (its code
        # names the function). No chip on the op: C10 holds sm_90a's GEMM
        # to DeepGEMM's layouts, the lowering takes every format.
        sa = scale_type(scheme, K)
        name = "smm_%s_n%d_k%d" % (scheme, N, K)
        chip = ""
    body = """func.func @{n}(%a: {a}, %b: {b}, %sa: {sa}, %sb: {sb}) -> {d} {{
  %d = vllm.scaled_matmul %a, %b scales(%sa, %sb){chip} : ({a}, {b}, {sa}, {sb}) -> {d}
  return %d : {d}
}}
""".format(n=name, a=a, b=b, sa=sa, sb=sb, d=d, chip=chip)
    return name, body


def gen_chain(N, K, enc_code, enc):
    a, b, sa, sb, d = gemm_types(N, K, enc)
    x, w = act(K), vec(K)
    name = "chain_%s_n%d_k%d" % (enc_code, N, K)
    body = """func.func @{n}(%x: {x}, %w: {w}, %b: {b}, %sb: {sb}) -> {d} {{
  %y = vllm.rms_norm %x, %w {{epsilon = {e} : f32}} : ({x}, {w}) -> {x}
  %q, %sa = vllm.quantize %y as <per_group 128, {enc}, mn_major, align 4> : {x} -> {a}, {sa}
  %d = vllm.scaled_matmul %q, %b scales(%sa, %sb) chip <sm_90a> : ({a}, {b}, {sa}, {sb}) -> {d}
  return %d : {d}
}}
""".format(n=name, x=x, w=w, b=b, sb=sb, d=d, a=a, sa=sa, e=EPS, enc=enc)
    return name, body


def manifest_row(name, kind, H, N, t, eps, code, n_args, rbw=False):
    if code is None:
        q = ("StaticPerTensor", 0, "F32", "RowMajor", 1, "false")
    else:
        qkind, g, enc, lay, align = SCHEMES[code]
        q = ({"static_per_tensor": "StaticPerTensor",
              "dynamic_per_tensor": "DynamicPerTensor",
              "per_token": "PerToken", "per_token_ub": "PerToken",
              "per_group": "PerGroup"}[qkind], g,
             {None: "F32", "f32": "F32", "ue8m0_f32": "UE8M0F32",
              "ue8m0_packed": "UE8M0Packed"}[enc],
             {None: "RowMajor", "row_major": "RowMajor",
              "mn_major": "MNMajor"}[lay], align,
             "true" if qkind == "per_token_ub" else "false")
    return ('VLLM_TEST_KERNEL("%s", %s, %d, %d, %s, %sf, %s, %d, %s, %s, %d, '
            '%s, %sf, %d, %s)\n' % (name, kind, H, N, CPP_DTYPE[t], eps, q[0],
                                    q[1], q[2], q[3], q[4], q[5], UPPER_BOUND,
                                    n_args, "true" if rbw else "false"))


def build(set_name):
    """Returns ({file name: text}, [manifest rows], [(name, n_args)])."""
    cfg = SETS[set_name]
    files, rows, shims = {}, [], []
    all_h = sorted(set(cfg["core"]) | set(cfg["ext"]) | set(cfg["odd"]))

    def add(buf, name_body, kind, H, N, t, eps, code, n_in, n_out, rbw=False):
        name, body = name_body
        buf.append(body)
        rows.append(manifest_row(name, kind, H, N, t, eps, code, n_in + n_out,
                                 rbw))
        shims.append((name, n_in + n_out))

    for H in all_h:
        odd = H in cfg["odd"]
        eps = EPS_ODD if odd else EPS
        buf = []
        norm_types = ["bf16"]
        add_types = ["bf16"]
        if H in cfg["ext"] or odd:
            norm_types = ["bf16", "f16", "f32"]
            add_types = ["bf16", "f16"]
        for t in norm_types:
            add(buf, gen_norm(H, t, eps), "Kind::Norm", H, 0, t, eps, None, 2, 1)
        for t in add_types:
            add(buf, gen_add_norm(H, t, eps), "Kind::AddNorm", H, 0, t, eps,
                None, 3, 2)
        codes = []
        if H in cfg["core"]:
            codes += Q_CORE
        if H in cfg["ext"]:
            codes += Q_EXT
        if odd:
            codes += Q_ODD
        typed_codes = [("bf16", code) for code in codes]
        if H in cfg["ext"] or odd:
            typed_codes += [("f16", code) for code in Q_F16]
        # round_before_weight (SPEC 3.1): the norms and the norm-quantize
        # functions of a few schemes, bf16, at the core H.
        rbw_codes = []
        if H in cfg["core"]:
            add(buf, gen_norm(H, "bf16", eps, True), "Kind::Norm", H, 0,
                "bf16", eps, None, 2, 1, True)
            add(buf, gen_add_norm(H, "bf16", eps, True), "Kind::AddNorm", H, 0,
                "bf16", eps, None, 3, 2, True)
            rbw_codes = [("bf16", code, True) for code in Q_RBW]
        for t, code, rbw in [(t, c, False) for t, c in typed_codes] + rbw_codes:
            if not valid(code, H):
                continue
            static = SCHEMES[code][0] == "static_per_tensor"
            for kind in FUNCTION_KINDS:
                if rbw and kind == "quant":
                    continue  # no norm in it
                n_in = {"quant": 1, "fused": 2, "fusedres": 3, "seq": 2,
                        "seqres": 3}[kind] + (1 if static else 0)
                n_out = {"quant": 2, "fused": 3, "fusedres": 4, "seq": 2,
                         "seqres": 3}[kind]
                cpp_kind = {"quant": "Kind::Quant", "fused": "Kind::Fused",
                            "fusedres": "Kind::FusedRes", "seq": "Kind::Seq",
                            "seqres": "Kind::SeqRes"}[kind]
                add(buf, gen_quant_family(kind, code, H, eps, t, rbw), cpp_kind,
                    H, 0, t, eps, code, n_in, n_out, rbw)
        files["test_kernels_h%d.mlir" % H] = header(set_name) + "\n".join(buf)

    for I in cfg["silu"]:
        buf = []
        for t in SILU_TYPES:
            add(buf, gen_silu(I, t), "Kind::Silu", I, 0, t, EPS, None, 1, 1)
        typed_codes = [("bf16", code) for code in Q_CORE]
        typed_codes += [("f16", "tok"), ("f16", "g128_ue8pk_mn4"),
                        ("f32", "dpt"), ("f32", "g128_f32_mn4")]
        for t, code in typed_codes:
            if not valid(code, I):
                continue
            static = SCHEMES[code][0] == "static_per_tensor"
            for kind in SILU_KINDS:
                n_in = 1 + (1 if static else 0)
                n_out = 3 if kind == "silufused" else 2
                cpp_kind = ("Kind::SiluFused" if kind == "silufused"
                            else "Kind::SiluSeq")
                add(buf, gen_silu_family(kind, code, I, t), cpp_kind, I, 0, t,
                    EPS, code, n_in, n_out)
        files["test_kernels_silu_h%d.mlir" % I] = header(set_name) + "\n".join(buf)

    buf = []
    for (N, K) in cfg["gemm"]:
        for enc_code, enc in GEMM_ENCODINGS:
            code = "g128_%s_mn4" % enc_code
            add(buf, gen_smm(N, K, enc_code, enc), "Kind::Matmul", K, N,
                "bf16", EPS, code, 4, 1)
            add(buf, gen_chain(N, K, enc_code, enc), "Kind::Chain", K, N,
                "bf16", EPS, code, 4, 1)
    for (N, K) in cfg.get("gemm_split", []):
        add(buf, gen_smm(N, K, "f32", "f32"), "Kind::Matmul", K, N, "bf16",
            EPS, "g128_f32_mn4", 4, 1)
    N, K = cfg["gemm"][0]
    for scheme in GEMM_OTHER_SCHEMES:
        add(buf, gen_smm(N, K, None, None, scheme), "Kind::Matmul", K, N,
            "bf16", EPS, scheme, 4, 1)
    files["test_kernels_matmul.mlir"] = header(set_name) + "\n".join(buf)
    return files, rows, shims


def header(set_name):
    return ("// Generated by gpu-tests/kernels/gen_test_kernels.py (set %s);\n"
            "// do not edit. See that script for names and signatures.\n\n"
            % set_name)


def mock_shims(shims):
    out = ["// Generated by gen_test_kernels.py: extern \"C\" entry points of the\n",
           "// host mock kernels (gpu-tests/selftest), one per manifest row.\n"]
    for index, (name, n) in enumerate(shims):
        params = ", ".join("void *a%d" % i for i in range(n))
        args = ", ".join("a%d" % i for i in range(n))
        out.append('extern "C" MOCK_EXPORT void _mlir_ciface_%s(void *s, %s) {\n'
                   '  void *args[] = {%s};\n  mockDispatch(%d, s, args, %d);\n}\n'
                   % (name, params, args, index, n))
    return "".join(out)


def write_if_changed(out_dir, files):
    """Writes {name: text} into out_dir, leaving unchanged files untouched so
    that the kernels built from them are not rebuilt needlessly."""
    os.makedirs(out_dir, exist_ok=True)
    for fname, text in files.items():
        path = os.path.join(out_dir, fname)
        old = None
        if os.path.exists(path):
            with open(path) as f:
                old = f.read()
        if old != text:
            with open(path, "w") as f:
                f.write(text)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out-dir", required=False, default=".")
    p.add_argument("--set", choices=sorted(SETS), default="full")
    p.add_argument("--list-outputs", action="store_true",
                   help="print the names of the files it would write")
    p.add_argument("--count", action="store_true",
                   help="print the number of functions")
    args = p.parse_args()
    files, rows, shims = build(args.set)
    names = sorted(files) + ["test_kernels_manifest.inc", "test_kernels_mock.inc"]
    if args.list_outputs:
        print(";".join(names))
        return 0
    if args.count:
        print(len(rows))
        return 0
    files["test_kernels_manifest.inc"] = (
        "// Generated by gen_test_kernels.py: (name, kind, H or K, N, dtype, "
        "epsilon,\n// quant kind, group, encoding, layout, align, has upper "
        "bound, upper bound,\n// number of memref arguments).\n" + "".join(rows))
    files["test_kernels_mock.inc"] = mock_shims(shims)
    write_if_changed(args.out_dir, files)
    return 0


if __name__ == "__main__":
    sys.exit(main())
