"""vmap of the demo CNN's two convolutions (forward and backward) over N members that each
have their own weights, against N separate calls of the one-member program (issue 21).

The population step of ``benchmarks/population.py --model cnn`` spends its time here: the
first convolution sees a shared input and per-member weights, the second per-member
inputs and weights (both batched). ``vmapped``: ``jit(vmap(value_and_grad(loss)))``, the
batch rule of ``prims/conv.py``; ``separate``: ``jit(value_and_grad(loss))`` called N times.
Warm calls, interleaved rounds, best (median) of ``--repeats``; note the load.

    python benchmarks/population_conv.py [--sizes 4 16] [--repeats 7]
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import jitnet as jax  # noqa: E402
import jitnet.numpy as jnp  # noqa: E402
from jitnet import lax  # noqa: E402

DN = ("NHWC", "HWIO", "NHWC")


def layer(x, w):
    return lax.conv_general_dilated(x, w, (1, 1), "VALID", dimension_numbers=DN)


def loss(ws, x):
    """Conv 3x3 1->16, ReLU, 2x2 subsampling, conv 3x3 16->32, ReLU, sum of squares."""
    w1, w2 = ws
    h = jax.nn.relu(layer(x, w1))[:, ::2, ::2, :][:, :13, :13]
    h = jax.nn.relu(layer(h, w2))
    return jnp.sum(h * h)


def timed(fn, reps=5):
    t = time.perf_counter()
    for _ in range(reps):
        jax.block_until_ready(fn())
    return (time.perf_counter() - t) / reps


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[4, 16])
    ap.add_argument("--repeats", type=int, default=7)
    args = ap.parse_args(argv)
    rs = np.random.RandomState(0)
    x = rs.randn(32, 28, 28, 1).astype(np.float32)
    single = jax.jit(jax.value_and_grad(loss))
    print(f"load (1, 5, 15 min): {os.getloadavg()}")
    for n in args.sizes:
        ws = (rs.randn(n, 3, 3, 1, 16).astype(np.float32) * 0.3,
              rs.randn(n, 3, 3, 16, 32).astype(np.float32) * 0.1)
        vmapped = jax.jit(jax.vmap(jax.value_and_grad(loss), in_axes=(0, None)))
        t0 = time.perf_counter()
        got = vmapped(ws, x)
        compile_s = time.perf_counter() - t0
        for i in range(n):                      # the same numbers as the separate calls
            v, (g1, g2) = single((ws[0][i], ws[1][i]), x)
            np.testing.assert_allclose(got[0][i], v, rtol=1e-4)
            np.testing.assert_allclose(got[1][1][i], g2, rtol=1e-3, atol=1e-3)

        def separate():
            return [single((ws[0][i], ws[1][i]), x) for i in range(n)]
        vt, st = [], []
        for _ in range(args.repeats):
            vt.append(timed(lambda: vmapped(ws, x)))
            st.append(timed(separate))
        print(f"N={n:>3} compile {compile_s:6.1f} s  vmapped {1e3 * min(vt):8.2f} ms "
              f"({1e3 * statistics.median(vt):.2f})  separate {1e3 * min(st):8.2f} ms "
              f"({1e3 * statistics.median(st):.2f})  ratio {min(st) / min(vt):.2f}x",
              flush=True)
    print(f"load (1, 5, 15 min): {os.getloadavg()}")


if __name__ == "__main__":
    main()
