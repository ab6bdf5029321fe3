"""A MobileNet-style depthwise-separable block's value and gradient (issue 16 item 3):
depthwise 3x3 (``feature_group_count`` = channels) + ReLU6 + pointwise 1x1 + ReLU6, loss
sum(y^2), gradient in the input and both kernels; jitnet, JAX (jit) and torch eager, one
thread each, NHWC/HWIO (torch: NCHW, its own layout). ``--wgrad`` also times jitnet with
each formulation of the grouped weight gradient forced (``prims/conv.py``
``_rhs_grad_rule``, ``GROUP_WINDOW_MAX_MACS``), the per-shape choice's evidence.

CPU time of the process per call (robust to a loaded machine), interleaved rounds, medians;
note the load (printed).

    python benchmarks/depthwise_block.py [--batch 16] [--size 28] [--channels 64]
        [--filters 128] [--mult 1] [--kernel 3] [--rounds 7] [--wgrad] [--nchw]
        [--only jitnet,jax,torch]
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

os.environ.setdefault("XLA_FLAGS", "--xla_cpu_multi_thread_eigen=false "
                      "intra_op_parallelism_threads=1")

import numpy as np  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

DN = ("NHWC", "HWIO", "NHWC")   # --nchw: ("NCHW", "OIHW", "NCHW") for jitnet and JAX


def to_nchw(x, wd, wp):
    return (np.ascontiguousarray(np.moveaxis(x, 3, 1)),
            *(np.ascontiguousarray(np.transpose(w, (3, 2, 0, 1))) for w in (wd, wp)))


def from_nchw(value, gx, gwd, gwp):
    return (value, np.moveaxis(gx, 1, 3), *(np.transpose(g, (2, 3, 1, 0)) for g in (gwd, gwp)))


def _flat(out):
    """(value, (d x, d depthwise kernel, d pointwise kernel)) as one tuple."""
    value, grads = out
    return (value,) + tuple(grads)


def jitnet_step(formulation=None):
    import jitnet
    import jitnet.numpy as jnp
    from jitnet import lax
    from jitnet.prims import conv as prim_conv
    jitnet.config.update("num_threads", 1)

    def loss(x, wd, wp):
        c = x.shape[DN[0].index("C")]
        h = lax.conv_general_dilated(x, wd, (1, 1), "SAME", dimension_numbers=DN,
                                     feature_group_count=c)
        h = jnp.clip(h, 0.0, 6.0)
        y = jnp.clip(lax.conv_general_dilated(h, wp, (1, 1), "VALID", dimension_numbers=DN),
                     0.0, 6.0)
        return jnp.sum(y * y)
    f = jitnet.jit(jitnet.value_and_grad(loss, argnums=(0, 1, 2)))
    if formulation is None:
        return lambda *a: _flat(jitnet.block_until_ready(f(*a)))
    rule = prim_conv._rhs_grad_rule
    chosen = getattr(prim_conv, formulation)

    def forced(*a):  # the rule is read while tracing: hold it for the first call
        prim_conv._rhs_grad_rule = lambda ct, lhs, aval, p: (
            chosen if p["feature_group_count"] > 1 else rule(ct, lhs, aval, p))
        try:
            return _flat(jitnet.block_until_ready(f(*a)))
        finally:
            prim_conv._rhs_grad_rule = rule
    return forced


def jax_step():
    import jax
    import jax.numpy as jnp
    from jax import lax

    def loss(x, wd, wp):
        c = x.shape[DN[0].index("C")]
        h = lax.conv_general_dilated(x, wd, (1, 1), "SAME", dimension_numbers=DN,
                                     feature_group_count=c)
        h = jnp.clip(h, 0.0, 6.0)
        y = jnp.clip(lax.conv_general_dilated(h, wp, (1, 1), "VALID", dimension_numbers=DN),
                     0.0, 6.0)
        return jnp.sum(y * y)
    f = jax.jit(jax.value_and_grad(loss, argnums=(0, 1, 2)))
    return lambda *a: _flat(jax.block_until_ready(f(*a)))


def torch_step():
    import torch
    import torch.nn.functional as F
    torch.set_num_threads(1)

    def step(x, wd, wp):
        x, wd, wp = (torch.from_numpy(a).requires_grad_() for a in to_nchw(x, wd, wp))
        h = F.conv2d(x, wd, padding="same", groups=x.shape[1]).clamp(0.0, 6.0)
        y = F.conv2d(h, wp).clamp(0.0, 6.0)
        loss = (y * y).sum()
        loss.backward()
        return loss, x.grad, wd.grad, wp.grad
    return step


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--size", type=int, default=28)
    ap.add_argument("--channels", type=int, default=64)
    ap.add_argument("--filters", type=int, default=128)
    ap.add_argument("--mult", type=int, default=1, help="depth multiplier")
    ap.add_argument("--kernel", type=int, default=3)
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--wgrad", action="store_true",
                    help="also jitnet with each grouped weight-gradient formulation forced")
    ap.add_argument("--only", default="jitnet,jax,torch")
    ap.add_argument("--nchw", action="store_true", help="jitnet and JAX in NCHW/OIHW")
    a = ap.parse_args(argv)
    global DN
    if a.nchw:
        DN = ("NCHW", "OIHW", "NCHW")
    rng = np.random.default_rng(0)
    c, m, k = a.channels, a.mult, a.kernel
    x = rng.standard_normal((a.batch, a.size, a.size, c)).astype(np.float32)
    wd = (rng.standard_normal((k, k, 1, c * m)) * 0.3).astype(np.float32)
    wp = (rng.standard_normal((1, 1, c * m, a.filters)) * 0.1).astype(np.float32)
    only = a.only.split(",")
    steps = {}
    if "jitnet" in only:
        steps["jitnet"] = jitnet_step()
        if a.wgrad:
            steps["jitnet batch-window wgrad"] = jitnet_step("_conv_rhs_grad_batch_window")
            steps["jitnet grouped-conv wgrad"] = jitnet_step("_conv_rhs_grad_as_conv")
    if "jax" in only:
        steps["jax.jit"] = jax_step()
    if "torch" in only:
        steps["torch eager"] = torch_step()
    nchw = to_nchw(x, wd, wp)
    args = {n: (x, wd, wp) if n.startswith("torch") or not a.nchw else nchw for n in steps}
    ref = None
    for name, f in steps.items():  # compile, and check each against the first
        got = [np.asarray(v.detach() if hasattr(v, "detach") else v, np.float64)
               for v in f(*args[name])]
        if name == "torch eager" or a.nchw:
            got = list(from_nchw(*got))
        if ref is None:
            ref = got
        for g, r in zip(got, ref):
            np.testing.assert_allclose(g, r, rtol=2e-3, atol=2e-3 * np.abs(r).max(),
                                       err_msg=name)
    times = {n: [] for n in steps}
    load0 = os.getloadavg()[0]
    for _ in range(a.rounds):
        for n, f in steps.items():
            t = time.process_time()
            for _ in range(3):
                f(*args[n])
            times[n].append((time.process_time() - t) / 3 * 1e3)
    print(f"block ({DN[0]}): batch {a.batch}, {a.size}x{a.size}x{c}, depthwise {k}x{k} x{m}, "
          f"pointwise -> {a.filters}; load {load0:.1f} -> {os.getloadavg()[0]:.1f}")
    print("| implementation | ms CPU (median) |\n|---|---:|")
    for n, v in times.items():
        print(f"| {n} | {statistics.median(v):.2f} |")


if __name__ == "__main__":
    main()
