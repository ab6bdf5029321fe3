"""Where W4's step (CNN 64x1x28x28, conv16-conv32-pool-dense10, SGD) spends its time, per
kernel, in jitnet and in PyTorch eager (issue 16 items 3 and 7).

* jitnet: ``jitnet.profiler.kernel_times`` of the jitted step (one row per generated
  function or kernel call), plus each convolution direction timed on its own through the
  kernel (forward, input gradient, weight gradient of each layer);
* PyTorch eager: ``torch.profiler`` of the same step (self CPU time per aten op).

Note the load (``uptime``) beside the figures.

    python benchmarks/conv_profile.py [--number 20] [--threads 2] [--no-torch]
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [os.path.dirname(HERE), HERE]

import workloads  # noqa: E402

# W4's convolutions as (lhs shape, rhs shape, dimension numbers): forward of each layer,
# conv2's input gradient, and both weight gradients as the convolutions XLA writes
# (the lhs's batch and features swapped, the cotangent the window)
SAME = ((1, 1), (1, 1))
FWD = ((0, 1, 2, 3),) * 3
WGRAD = ((1, 0, 2, 3),) * 3
CONVS = {
    "conv1 fwd 64x1x28x28 * 16x1x3x3": ((64, 1, 28, 28), (16, 1, 3, 3), FWD),
    "conv2 fwd 64x16x28x28 * 32x16x3x3": ((64, 16, 28, 28), (32, 16, 3, 3), FWD),
    "conv2 dgrad 64x32x28x28 * 16x32x3x3": ((64, 32, 28, 28), (16, 32, 3, 3), FWD),
    "conv1 wgrad": ((64, 1, 28, 28), (64, 16, 28, 28), WGRAD),
    "conv2 wgrad": ((64, 16, 28, 28), (64, 32, 28, 28), WGRAD),
}


def flops(lhs, rhs, out, dn) -> float:
    """2 * multiply-adds of the convolution (every output element times I * KH * KW)."""
    ls, rs, _ = dn
    i_, kh, kw = rhs[rs[1]], rhs[rs[2]], rhs[rs[3]]
    return 2.0 * np.prod(out) * i_ * kh * kw


def conv_times(number):
    """ms per call of each of W4's convolutions through the kernel (median of rounds)."""
    from jitnet.kernels import conv as kc
    from jitnet.kernels.plan import plan_conv
    rng = np.random.default_rng(0)
    rows = []
    for name, (ls, rs, dn) in CONVS.items():
        x = rng.standard_normal(ls).astype(np.float32)
        w = rng.standard_normal(rs).astype(np.float32)
        o_ = rs[dn[1][0]]
        if dn is WGRAD:
            out_shape = (rs[1], ls[1], 3, 3)  # (O, I, KH, KW): out spec (1, 0, 2, 3)
        else:
            out_shape = (ls[0], o_, ls[2], ls[3])
        p = dict(window_strides=(1, 1), padding=SAME, lhs_dilation=(1, 1),
                 rhs_dilation=(1, 1), dimension_numbers=dn, feature_group_count=1)
        plan = plan_conv(p, ls, rs, out_shape, np.float32)
        out = np.empty(out_shape, np.float32)
        call = kc.jn_conv2d_float32
        call(x, w, out, plan.args())
        ts = []
        for _ in range(number):
            t = time.perf_counter()
            call(x, w, out, plan.args())
            ts.append(time.perf_counter() - t)
        ms = 1e3 * statistics.median(ts)
        gf = flops(ls, rs, out_shape, dn) / 1e9
        rows.append((name, ms, gf, gf / ms * 1e3))
    return rows


def jitnet_profile(number):
    """ms per generated function of W4's step program. ``profiler.kernel_times`` calls the
    generated functions from Python, which segfaults since they are link-only callees
    (``runtime/numba_callee.py``): here the program's text is compiled again with every
    callee an ordinary ``numba.njit`` function, and each call of the entry timed."""
    import re
    import jitnet
    w = workloads.BY_KEY["W4"]
    data = workloads.make_data(w)
    step = workloads.jax_models(jitnet).train_step("cnn")
    args = (data["params"], *data["inputs"])
    lowered = step.lower(*args)
    exe = lowered.compile()
    gen = exe.generated
    src = re.sub(r"@jn_callee\((.*)\)", r"@numba.njit(\1)", exe.source())
    env: dict = {}
    exec(compile(src, "<W4 step>", "exec"), env)
    stats: dict = {}

    def timed(site, fn):  # one entry per call site (a callee may be called twice)
        def call(*a):
            t = time.perf_counter()
            out = fn(*a)
            stats.setdefault(site, []).append(time.perf_counter() - t)
            return out
        return call
    lines = src.splitlines()
    start = next(i for i, ln in enumerate(lines) if ln.startswith(f"def {gen.entry}("))
    body = [lines[start]] + [ln for ln in lines[start + 1:] if ln.startswith(" ")]
    sites = []

    def site(m):
        sites.append(f"{m.group(1)}@{len(sites)}")
        return f"= _timed({sites[-1]!r}, {m.group(1)})("
    text = re.sub(r"= (f\d+)\(", site, "\n".join(body))
    tenv = dict(env, _timed=timed)
    exec(text, tenv)
    from jitnet.core.pytree import tree_flatten
    vals = [np.ascontiguousarray(v) for v in tree_flatten(args)[0]]
    consts = list(exe.constants)
    for _ in range(2):
        tenv[gen.entry](*vals, *consts)
    stats.clear()
    for _ in range(number):
        tenv[gen.entry](*vals, *consts)
    what = {}
    owner = None
    for ln in lines:
        m = re.match(r"def (f\d+)\(", ln)
        if m:
            owner = m.group(1)
        elif owner and ln.strip().startswith("# "):
            what.setdefault(owner, []).append(ln.strip()[2:][:70])
    rows = sorted(((1e3 * statistics.median(ts) * len(ts) / number, n) for n, ts in
                   stats.items()), reverse=True)
    out = [f"{n:<7}{ms:9.3f} ms  {'; '.join(what.get(n.split('@')[0], []))}"
           for ms, n in rows]
    return "\n".join(out + [f"sum  {sum(r[0] for r in rows):9.3f} ms"])


def torch_profile(number, threads):
    import torch
    torch.set_num_threads(threads)
    w = workloads.BY_KEY["W4"]
    data = workloads.make_data(w)
    models = workloads.torch_models(torch)
    step = models.eager_step("cnn")
    params = [torch.tensor(p, requires_grad=True) for p in data["params"]]
    x, y = (torch.tensor(a) for a in data["inputs"])
    for _ in range(5):
        step(params, x, y)
    t = time.perf_counter()
    for _ in range(number):
        step(params, x, y)
    total = (time.perf_counter() - t) / number
    with torch.profiler.profile(activities=[torch.profiler.ProfilerActivity.CPU]) as prof:
        for _ in range(number):
            step(params, x, y)
    return total, prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=25)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--number", type=int, default=20)
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--no-torch", action="store_true")
    ap.add_argument("--convs-only", action="store_true")
    a = ap.parse_args(argv)
    print("load:", os.getloadavg())
    print("\n## W4's convolutions through the kernel (ms, GFLOP, GFLOP/s)")
    for name, ms, gf, rate in conv_times(a.number):
        print(f"{name:<40}{ms:9.3f} ms{gf:8.3f} GFLOP{rate:8.1f} GFLOP/s")
    if a.convs_only:
        return
    print("\n## jitnet kernel_times of W4's step")
    print(jitnet_profile(a.number))
    if not a.no_torch:
        total, table = torch_profile(a.number, a.threads)
        print(f"\n## PyTorch eager W4 step: {1e3 * total:.2f} ms per step ({a.threads} threads)")
        print(table)
    print("load:", os.getloadavg())


if __name__ == "__main__":
    main()
