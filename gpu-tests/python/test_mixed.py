#!/usr/bin/env python3
"""GPU numerics of a function on buffers that mixes vllm buffer ops with
element-wise linalg ops (issue 19; docs/design.md, "Layering").

`mixed_test.so` is gpu-tests/python/mixed_test.mlir compiled by
`vllm-compile --emit obj` and linked (`clang -shared`); its entry point
takes the stream and one descriptor per buffer. For M in 0, 1, 5, 257,
1000, with fresh random inputs, this checks:

  h        = x + res (linalg.add): torch's bf16 add, bit for bit (for two
             bf16 values torch's f32 sum rounded to bf16 is the correctly
             rounded sum, which the kernel's add.rn.bf16 computes);
  q, s     (vllm.buffer.rms_norm_quant of h): bit for bit the tensor form's
             op (mixed_reference.mlir through vllm-compile and
             vllm_mlir.load) applied to torch's h, whose kernels the
             numerics suite checks against the CPU reference; the scale
             padding columns are 0;
  biased   = (h + bias) * 0.5 in bf16 (a broadcast and a captured
             constant): torch's bf16 ops, bit for bit;
  dst      = 2 * src^T + row index in f32 (a transpose and linalg.index):
             torch's f32 ops, bit for bit;

and that every launch ran on the stream given (the outputs are complete
after synchronizing that stream only). Prints one line per check and
`N passed, M failed`; exits 1 when a check failed. Without torch or a GPU
it prints why and exits 0.

  build/bin/vllm-compile gpu-tests/python/mixed_test.mlir --chip sm_90a \\
      --emit obj -o /tmp/mixed_test.o
  clang-22 -shared /tmp/mixed_test.o -o .carry/lib/mixed_test.so
  build/bin/vllm-compile gpu-tests/python/mixed_reference.mlir \\
      --chip sm_90a -o .carry/lib/mixed_reference.so
  python3 gpu-tests/python/test_mixed.py --lib-dir .carry/lib   # GPU
"""

import argparse
import ctypes
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, os.pardir, os.pardir, "python"))

from checks import Checks, import_torch_on_gpu  # noqa: E402

H = 2048
ROWS = (0, 1, 5, 257, 1000)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lib-dir", required=True)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    torch = import_torch_on_gpu(args.seed)
    if torch is None:
        return 0
    import vllm_mlir  # noqa: PLC0415
    from vllm_mlir import library as vlib  # noqa: PLC0415
    torch.manual_seed(args.seed)
    checks = Checks()
    reference = vllm_mlir.load(os.path.join(args.lib_dir,
                                            "mixed_reference.so"))
    # vllm_mlir.load opened the runtime with RTLD_GLOBAL: the mixed
    # library's mgpu* calls resolve to it.
    mixed = ctypes.CDLL(os.path.join(args.lib_dir, "mixed_test.so"))
    entry = mixed._mlir_ciface_mixed_layer
    entry.restype = None
    entry.argtypes = [ctypes.c_void_p] * 11

    def bf16(*shape):
        return torch.randn(*shape, device="cuda").to(torch.bfloat16)

    for rows in ROWS:
        x, res = bf16(rows, H), bf16(rows, H)
        w = (torch.rand(H, device="cuda") + 0.5).to(torch.bfloat16)
        bias = bf16(H)
        src = torch.randn(rows, 48, device="cuda")
        padded = (rows + 3) // 4 * 4
        h = torch.full((rows, H), float("nan"), device="cuda",
                       dtype=torch.bfloat16)
        q = torch.full((rows, H), 0x55, device="cuda",
                       dtype=torch.uint8).view(torch.float8_e4m3fn)
        s = torch.full((H // 128, padded), float("nan"), device="cuda")
        biased = torch.full_like(h, float("nan"))
        dst = torch.full((48, rows), float("nan"), device="cuda")
        buffers = [x, res, w, bias, h, q, s, biased, src, dst]
        descriptors = [vlib._descriptor(t)  # pylint: disable=W0212
                       for t in buffers]
        stream = torch.cuda.Stream()
        torch.cuda.synchronize()
        entry(ctypes.c_void_p(stream.cuda_stream),
              *[ctypes.c_void_p(ctypes.addressof(d)) for d in descriptors])
        stream.synchronize()
        error = vlib._runtime.take_error()  # pylint: disable=W0212

        def check_runtime():
            assert not error, "runtime error: %s" % error

        def check_sum():
            want = (x.float() + res.float()).to(torch.bfloat16)
            assert torch.equal(h, want), "h differs from torch's x + res"

        def check_norm_quant():
            want_q, want_s = reference.norm_quant(
                (x.float() + res.float()).to(torch.bfloat16), w)
            torch.cuda.synchronize()
            assert torch.equal(q.view(torch.uint8),
                               want_q.view(torch.uint8)), "q differs"
            assert torch.equal(s.view(torch.int32),
                               want_s.view(torch.int32)), "scales differ"
            assert not s[:, rows:].any(), "padding columns are not 0"

        def check_bias():
            want = ((h + bias) * 0.5).to(torch.bfloat16)
            assert torch.equal(biased, want), "(h + bias) * 0.5 differs"

        def check_transpose():
            index = torch.arange(rows, device="cuda",
                                 dtype=torch.float32)[None, :]
            want = src.t() * 2.0 + index
            assert torch.equal(dst, want), "2 src^T + i differs"

        checks.run("M=%d: no runtime error" % rows, check_runtime)
        checks.run("M=%d: linalg.add" % rows, check_sum)
        checks.run("M=%d: rms_norm_quant == tensor form" % rows,
                   check_norm_quant)
        checks.run("M=%d: bias add, scaling" % rows, check_bias)
        checks.run("M=%d: transpose, linalg.index" % rows, check_transpose)
    return checks.finish()


if __name__ == "__main__":
    sys.exit(main())
