"""W4 (CNN step 64x1x28x28, conv16-conv32-pool-dense10, value_and_grad + SGD) on the CPU:
jitnet against jax.jit and PyTorch eager, medians at 1 thread and at 2 threads (issue 16's
target: jitnet <= 0.5x JAX and at least as fast as PyTorch eager). ``run.py``'s workers do
the timing (interleaved samples, checked results, the same thread settings).

    python benchmarks/w4_cpu.py [--quick] [--markdown FILE]
"""
from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import run  # noqa: E402


def main(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    for threads in ("1", "2"):
        run.main(["--only", "W4", "--frameworks", "jitnet,jax,torch", "--threads", threads]
                 + argv)


if __name__ == "__main__":
    main()
