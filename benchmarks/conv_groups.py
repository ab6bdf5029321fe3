"""A population's convolution (N members, each its own input and weights, both batched)
three ways (issue 21, issue 16 item 3): members folded into feature groups (one grouped
convolution through the kernel, with and without the layout moves a batch rule needs;
its gradients are generated patches + dot_general + patches_transpose, ``prims/conv.py``),
``lax.map`` over members (the batch rule ``prims/conv.py`` keeps), and N separate calls.

NHWC/HWIO, 3x3 VALID, the second layer of ``benchmarks/population_conv.py`` (batch 32,
13x13x16 -> 32), forward and gradient of sum(y^2) in x and w, and the forward alone. One
thread (CPU time of the process, robust to a loaded machine), interleaved rounds, medians;
note the load.

    python benchmarks/conv_groups.py [--members 4] [--rounds 7]
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


def conv(x, w, groups=1):
    return lax.conv_general_dilated(x, w, (1, 1), "VALID", dimension_numbers=DN,
                                    feature_group_count=groups)


def loss(x, w):
    y = conv(x, w)
    return jnp.sum(y * y)


def folded_loss(xs, ws):
    """Members as feature groups: (M, B, H, W, I) -> (B, H, W, M*I), weights
    (M, KH, KW, I, O) -> (KH, KW, I, M*O)."""
    m, b, h, w_, i = xs.shape
    o = ws.shape[-1]
    x = jnp.moveaxis(xs, 0, 3).reshape(b, h, w_, m * i)
    w = jnp.moveaxis(ws, 0, 3).reshape(ws.shape[1], ws.shape[2], i, m * o)
    y = conv(x, w, m)
    return jnp.sum(y * y)


def grouped_loss(x, w, m):
    """The grouped convolution alone, operands already in the folded layout."""
    y = conv(x, w, m)
    return jnp.sum(y * y)


def cpu_ms(fn, reps=5):
    t = time.process_time()
    for _ in range(reps):
        jax.block_until_ready(fn())
    return 1e3 * (time.process_time() - t) / reps


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--members", type=int, default=4)
    ap.add_argument("--rounds", type=int, default=7)
    a = ap.parse_args(argv)
    jax.config.update("num_threads", 1)
    m = a.members
    rs = np.random.RandomState(0)
    xs = rs.randn(m, 32, 13, 13, 16).astype(np.float32)
    ws = (rs.randn(m, 3, 3, 16, 32) * 0.1).astype(np.float32)
    xf = np.ascontiguousarray(np.moveaxis(xs, 0, 3).reshape(32, 13, 13, m * 16))
    wf = np.ascontiguousarray(np.moveaxis(ws, 0, 3).reshape(3, 3, 16, m * 32))
    single = jax.jit(jax.value_and_grad(loss, argnums=(0, 1)))
    mapped = jax.jit(lambda xs, ws: lax.map(lambda p: single(*p), (xs, ws)))
    folded = jax.jit(jax.value_and_grad(folded_loss, argnums=(0, 1)))
    grouped = jax.jit(jax.value_and_grad(lambda x, w: grouped_loss(x, w, m), argnums=(0, 1)))
    fwd = jax.jit(conv)
    fwd_g = jax.jit(lambda x, w: conv(x, w, m))
    np.testing.assert_allclose(np.asarray(fwd_g(xf, wf))[..., 32:64],
                               np.asarray(fwd(xs[1], ws[1])), rtol=1e-4, atol=1e-4)
    runs = {"separate": lambda: [single(xs[k], ws[k]) for k in range(m)],
            "lax.map": lambda: mapped(xs, ws),
            "folded": lambda: folded(xs, ws),
            "grouped only": lambda: grouped(xf, wf),
            "fwd separate": lambda: [fwd(xs[k], ws[k]) for k in range(m)],
            "fwd grouped": lambda: fwd_g(xf, wf)}
    want = [single(xs[k], ws[k]) for k in range(m)]
    (v, (gx, gw)) = folded(xs, ws)
    np.testing.assert_allclose(v, sum(float(w[0]) for w in want), rtol=1e-4)
    np.testing.assert_allclose(gw[1], want[1][1][1], rtol=1e-3, atol=1e-3)
    mv, (mgx, mgw) = mapped(xs, ws)
    np.testing.assert_allclose(mgw[1], want[1][1][1], rtol=1e-3, atol=1e-3)
    for f in runs.values():
        f()
    print(f"load (1, 5, 15 min): {os.getloadavg()}")
    times = {k: [] for k in runs}
    for _ in range(a.rounds):
        for k, f in runs.items():
            times[k].append(cpu_ms(f))
    for k, ts in times.items():
        med = statistics.median(ts)
        base = statistics.median(times["fwd separate" if k.startswith("fwd") else "separate"])
        print(f"{k:<14}{med:9.2f} ms CPU  {med / base:5.2f}x separate")
    print(f"load (1, 5, 15 min): {os.getloadavg()}")


if __name__ == "__main__":
    main()
