"""The result counting shared by the GPU tests of python/vllm_mlir
(test_torch_ops.py, test_vllm_dropins.py)."""

import traceback


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
