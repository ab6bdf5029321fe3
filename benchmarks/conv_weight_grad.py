"""W4's weight gradients three ways (issue 14 item 3, issue 16 item 3): the formulation the
kernels replaced and the two algorithms of the convolution kernel.

* ``offsets``: one long matmul per kernel offset over strided slices of the padded input
  (``prims/conv._conv_rhs_grad_by_offsets``), a jitted program of generated loops;
* ``conv``: the gradient as one convolution (``prims/conv._conv_rhs_grad_as_conv``), a
  jitted program calling the kernel, which picks its window-major algorithm;
* ``window`` / ``im2col``: the kernel called directly on the same convolution with its
  window-major algorithm, then with the im2col one forced (the per-shape choice).

Float32, NCHW/OIHW, SAME 3x3, batch 64, 28x28 (``--more``: also a deep layer on a small
image and a wide image); interleaved rounds of 3 calls, medians (ms). Note the load
(``uptime``) beside the figures.

    python benchmarks/conv_weight_grad.py [--rounds 7] [--more]
"""
from __future__ import annotations

import argparse
import dataclasses
import os
import statistics
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import jitnet  # noqa: E402
from jitnet.core.aval import ShapedArray  # noqa: E402
from jitnet.kernels import conv as kernel  # noqa: E402
from jitnet.codegen.kernel_plan import plan_conv  # noqa: E402
from jitnet.prims import conv as pc  # noqa: E402

SHAPES = {"conv1 1->16": (64, 1, 16, 28), "conv2 16->32": (64, 16, 32, 28)}
MORE = {"deep 7x7 128->128": (32, 128, 128, 7), "14x14 64->64": (32, 64, 64, 14),
        "wide 56x56 32->32": (4, 32, 32, 56)}
FWD = dict(window_strides=(1, 1), padding=((1, 1), (1, 1)), lhs_dilation=(1, 1),
           rhs_dilation=(1, 1), dimension_numbers=((0, 1, 2, 3),) * 3, feature_group_count=1)
# the gradient's convolution: the lhs's batch and features swapped, the cotangent the window
GRAD = dict(FWD, dimension_numbers=((1, 0, 2, 3),) * 3)


def candidates(n, c, o, hw, rng):
    x = rng.standard_normal((n, c, hw, hw)).astype(np.float32)
    ct = rng.standard_normal((n, o, hw, hw)).astype(np.float32)
    aval = ShapedArray((o, c, 3, 3), np.dtype(np.float32))
    offsets = jitnet.jit(lambda ct, x: pc._conv_rhs_grad_by_offsets(ct, x, aval, FWD))
    conv = jitnet.jit(lambda ct, x: pc._conv_rhs_grad_as_conv(ct, x, aval, FWD))
    plan = plan_conv(GRAD, x.shape, ct.shape, aval.shape, np.float32)
    assert plan.window_major
    forced = dataclasses.replace(plan, window_major=False)
    out = np.empty(aval.shape, np.float32)
    call = kernel.jn_conv2d_float32
    runs = {"offsets": lambda: offsets(ct, x), "conv": lambda: conv(ct, x),
            "window": lambda: call(x, ct, out, plan.args()),
            "im2col": lambda: call(x, ct, out, forced.args())}
    want = np.asarray(offsets(ct, x))
    for name, f in runs.items():   # compile, and check each against the per-offset products
        got = f()
        got = out if got is None else np.asarray(got)
        np.testing.assert_allclose(got, want, rtol=1e-3, atol=1e-3 * np.abs(want).max(),
                                   err_msg=name)
    return runs


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--more", nargs="?", const="also", choices=("also", "only"),
                    help="also (or only) shapes unlike W4's: " + str(MORE))
    opts = ap.parse_args(argv)
    rng = np.random.default_rng(0)
    print(f"load average {os.getloadavg()[0]:.1f}")
    for label, shape in (MORE if opts.more == "only" else SHAPES | MORE if opts.more
                         else SHAPES).items():
        runs = candidates(*shape, rng)
        times = {k: [] for k in runs}
        for _ in range(opts.rounds):
            for k, f in runs.items():
                t = time.perf_counter()
                for _ in range(3):
                    f()
                times[k].append((time.perf_counter() - t) / 3 * 1e3)
        print(f"{label}: " + ", ".join(f"{k} {statistics.median(v):.2f} ms"
                                       for k, v in times.items()))
    print(f"load average {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
