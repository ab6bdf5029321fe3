"""Where W4's step (CNN 64x1x28x28, conv16-conv32-pool-dense10, SGD) spends its time, per
kernel, in jitnet and in PyTorch eager (issue 16 items 3 and 7).

* jitnet: ``jitnet.profiler.kernel_times`` of the jitted step (one row per generated
  function or kernel call), plus each convolution direction timed on its own through the
  kernel (forward, input gradient, weight gradient of each layer);
* PyTorch eager: ``torch.profiler`` of the same step (self CPU time per aten op).

With ``--threads 1`` every figure is CPU time of the process (robust on a loaded machine),
else wall time. Note the load (``uptime``) beside the figures.

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


def conv_times(number, clock):
    """ms per call of each of W4's convolutions through the kernel (median), as planned and
    with the plan's algorithm choice undone (im2col where output-major was planned)."""
    import dataclasses
    from jitnet.kernels import conv as kc
    from jitnet.codegen.kernel_plan import plan_conv
    rng = np.random.default_rng(0)
    rows = []
    for name, (ls, rs, dn) in CONVS.items():
        x = rng.standard_normal(ls).astype(np.float32)
        w = rng.standard_normal(rs).astype(np.float32)
        if dn is WGRAD:
            out_shape = (rs[1], ls[1], 3, 3)  # (O, I, KH, KW): out spec (1, 0, 2, 3)
        else:
            out_shape = (ls[0], rs[dn[1][0]], ls[2], ls[3])
        p = dict(window_strides=(1, 1), padding=SAME, lhs_dilation=(1, 1),
                 rhs_dilation=(1, 1), dimension_numbers=dn, feature_group_count=1)
        plan = plan_conv(p, ls, rs, out_shape, np.float32)
        plans = {"planned": plan.args(),
                 "im2col": dataclasses.replace(plan, output_major=False).args()}
        out = np.empty(out_shape, np.float32)
        call = kc.jn_conv2d_float32
        ts = {k: [] for k in plans}
        for g in plans.values():
            call(x, w, out, g)
        for _ in range(number):
            for k, g in plans.items():
                t = clock()
                call(x, w, out, g)
                ts[k].append(clock() - t)
        ms = {k: 1e3 * statistics.median(v) for k, v in ts.items()}
        gf = flops(ls, rs, out_shape, dn) / 1e9
        algo = ("window-major" if plan.window_major else
                "output-major" if plan.output_major else "im2col")
        rows.append((name, algo, ms["planned"], ms["im2col"], gf, gf / ms["planned"] * 1e3))
    return rows


def jitnet_profile(number, clock, key="W4"):
    """ms per generated function of the step program of workload ``key`` (W4's here).
    ``profiler.kernel_times`` calls the generated functions from Python, which segfaults
    since they are link-only callees (``runtime/numba_callee.py``): here the program's text
    is compiled again with every callee an ordinary ``numba.njit`` function, and each call
    of the entry timed."""
    import re
    import jitnet
    w = workloads.BY_KEY[key]
    data = workloads.make_data(w)
    step = workloads.jax_models(jitnet).train_step(w.model)
    args = (data["params"], *data["inputs"])
    lowered = step.lower(*args)
    exe = lowered.compile()
    gen = exe.generated
    src = re.sub(r"@jn_callee\((.*)\)", r"@numba.njit(\1)", exe.source())
    env: dict = {}
    exec(compile(src, f"<{key} step>", "exec"), env)
    stats: dict = {}

    def timed(site, fn):  # one entry per call site (a callee may be called twice)
        def call(*a):
            t = clock()
            out = fn(*a)
            stats.setdefault(site, []).append(clock() - t)
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


def torch_profile(number, threads, clock):
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
    t = clock()
    for _ in range(number):
        step(params, x, y)
    total = (clock() - t) / number
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
    import numba
    import jitnet
    jitnet.config.update("num_threads", a.threads)
    numba.set_num_threads(a.threads)
    # one thread: the process's CPU time (robust on a loaded machine); else wall time
    clock = time.process_time if a.threads == 1 else time.perf_counter
    print("load:", os.getloadavg(), "threads:", a.threads)
    print("\n## W4's convolutions through the kernel (ms as planned, ms im2col, GFLOP, "
          "GFLOP/s as planned)")
    for name, algo, ms, ms0, gf, rate in conv_times(a.number, clock):
        print(f"{name:<38}{algo:>14}{ms:9.3f} ms{ms0:9.3f} ms{gf:7.3f} GFLOP"
              f"{rate:7.1f} GFLOP/s")
    if a.convs_only:
        return
    print("\n## jitnet kernel_times of W4's step")
    print(jitnet_profile(a.number, clock))
    if not a.no_torch:
        total, table = torch_profile(a.number, a.threads, clock)
        print(f"\n## PyTorch eager W4 step: {1e3 * total:.2f} ms per step ({a.threads} threads)")
        print(table)
    print("load:", os.getloadavg())


if __name__ == "__main__":
    main()
