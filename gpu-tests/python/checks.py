"""What the GPU tests of python/vllm_mlir share (test_torch_ops.py,
test_vllm_dropins.py): the skip on machines without torch or a GPU, and
the result counting."""

import traceback


def import_torch_on_gpu(seed):
    """torch, after printing the device line, or None after printing why
    the test is skipped (no torch, no GPU): CI runs the scripts that far."""
    try:
        import torch  # noqa: PLC0415  (only on the GPU machine)
    except ImportError:
        print("no torch: skipped")
        return None
    if not torch.cuda.is_available():
        print("no GPU: skipped")
        return None
    print("device: %s; torch %s; seed %d" % (
        torch.cuda.get_device_name(), torch.__version__, seed))
    return torch


class Checks:
    """Runs named checks, prints each result, counts them. A check returns
    an optional note; any exception fails it (with a short traceback unless
    it is an AssertionError, whose message says what differed)."""

    def __init__(self):
        self.passed = 0
        self.failed = 0

    def run(self, name, check, *args):
        try:
            note = check(*args)
        except Exception as e:  # noqa: BLE001  (every failure is reported)
            self.failed += 1
            print("FAIL %s: %s: %s" % (name, type(e).__name__, e))
            if not isinstance(e, AssertionError):
                traceback.print_exc(limit=6)
            return
        self.passed += 1
        print("PASS %s%s" % (name, " (%s)" % note if note else ""))

    def finish(self):
        """Prints `N passed, M failed` and returns the exit status: 1 when
        a check failed."""
        print("%d passed, %d failed" % (self.passed, self.failed))
        return 1 if self.failed else 0
