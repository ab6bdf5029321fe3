"""NumPy's bundled OpenBLAS against SciPy's as the BLAS of jitnet's compiled gemms (config
``blas_library``, issue 16): the gemms of W2a/W6/W8 one by one, the sgemm peak, and whole
training steps, one thread.

    python benchmarks/blas_providers.py                    # 3 rounds, W2a,W4,W6,W8 steps
    python benchmarks/blas_providers.py --rounds 5 --steps W2a --jax

Each measurement runs in a fresh process per provider (``JITNET_BLAS_LIBRARY``; the choice is
fixed per process), pinned to one CPU with one thread as run.py's 1-thread pass; the two
providers alternate, and their order flips every round (A/B interleaved). Times are the
process's CPU time (one thread: other processes on the machine add less noise than to wall
time); reported: the median over rounds of each round's best-of-7 (gemms) or median-of-7
(steps). "limit" is the sum of a workload's gemm FLOPs at the best peak measured.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(1, os.path.dirname(HERE))
import gemm_probe as G  # noqa: E402
import run as R  # noqa: E402
import workloads as W  # noqa: E402

PROVIDERS = ("numpy", "scipy")


def _cpu_time_median(call, seconds=0.25, samples=7):
    """Median of ``samples`` samples of ~seconds/samples each: CPU seconds per call."""
    call()
    t = time.process_time()
    call()
    once = max(time.process_time() - t, 1e-6)
    reps = max(1, int(seconds / samples / once))
    out = []
    for _ in range(samples):
        t = time.process_time()
        for _ in range(reps):
            call()
        out.append((time.process_time() - t) / reps)
    return float(np.median(out))


def child(provider: str, steps: list, gemms: list) -> dict:
    """One provider's figures, in this (fresh, pinned) process."""
    res = {"provider": provider, "gemm_us": {}, "flops": {}, "step_ms": {}}
    if provider == "jax":
        import jax
        mods = {"jax": jax}
    else:
        import jitnet
        from jitnet.runtime import blas
        from jitnet.runtime.numba_math import jn_gemm_f32
        mods = {"jitnet": jitnet}
        R.configure_threads(1, mods)
        assert blas.provider() == provider, (blas.provider(), provider)
        rng = np.random.default_rng(0)
        scratch = np.empty(8, np.int64)
        n = 1536
        a, b, c = G._operands(n, n, n, 0, 0, rng)
        res["peak_gflops"], _ = G._rate(lambda: jn_gemm_f32(a, b, c, False, False, scratch),
                                        2 * n ** 3, 1.0)
        for key in gemms:
            floor = flops = 0.0
            for name, m, k, nn, ta, tb, calls in G.WORKLOADS[key]:
                a, b, c = G._operands(m, k, nn, ta, tb, rng)
                _, s = G._rate(lambda: jn_gemm_f32(a, b, c, bool(ta), bool(tb), scratch),
                               2 * m * k * nn)
                floor += calls * s
                flops += calls * 2 * m * k * nn
            res["gemm_us"][key], res["flops"][key] = floor * 1e6, flops
    fw = "jax" if provider == "jax" else "jitnet"
    for key in steps:
        w = W.BY_KEY[key]
        p = R.prepare_jaxlike(fw, w, W.make_data(w), mods)
        p.first()
        res["step_ms"][key] = _cpu_time_median(p.call) * 1e3
    return res


def run_child(provider, args, cpu):
    env = dict(os.environ, **R.ONE_THREAD_ENV)
    if provider != "jax":
        env["JITNET_BLAS_LIBRARY"] = provider
    cmd = [sys.executable, __file__, "--child", provider, "--steps", args.steps,
           "--gemms", args.gemms]
    out = subprocess.run(cmd, env=env, capture_output=True, text=True,
                         preexec_fn=lambda: os.sched_setaffinity(0, {cpu}))
    if out.returncode:
        sys.exit(f"{provider} child failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--steps", default="W2a,W4,W6,W8")
    ap.add_argument("--gemms", default="W2a,W6,W8")
    ap.add_argument("--jax", action="store_true", help="also time JAX's steps (1 thread)")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    args = ap.parse_args()
    steps = [s for s in args.steps.split(",") if s]
    gemms = [s for s in args.gemms.split(",") if s]
    if args.child:
        print(json.dumps(child(args.child, steps, gemms if args.child != "jax" else [])))
        return
    cpu = max(os.sched_getaffinity(0))
    print(f"load average before: {open('/proc/loadavg').read().split()[:3]}", flush=True)
    runs = {p: [] for p in PROVIDERS + (("jax",) if args.jax else ())}
    for r in range(args.rounds):
        order = list(runs) if r % 2 == 0 else list(runs)[::-1]
        for p in order:
            runs[p].append(run_child(p, args, cpu))
            print(f"round {r + 1}: {p} {runs[p][-1]['step_ms']}", flush=True)
    print(f"load average after: {open('/proc/loadavg').read().split()[:3]}")

    def med(p, field, key=None):
        vals = [x[field] if key is None else x[field][key] for x in runs[p]]
        return float(np.median(vals))
    peak = max(med(p, "peak_gflops") for p in PROVIDERS)
    print("\nsgemm peak 1536^3, 1 thread (GFLOP/s): "
          + ", ".join(f"{p} {med(p, 'peak_gflops'):.1f}" for p in PROVIDERS))
    jax_head = f"{'jax':>9}{'np/jax':>8}{'sp/jax':>8}" if args.jax else ""
    print(f"\n{'':<22}{'numpy':>10}{'scipy':>10}{'np/sp':>7}{'limit':>9}"
          f"{'np/lim':>8}{'sp/lim':>8}" + jax_head)
    for key in gemms:
        lim = runs["numpy"][0]["flops"][key] / peak / 1e6
        a, b = med("numpy", "gemm_us", key) / 1e3, med("scipy", "gemm_us", key) / 1e3
        print(f"{key + ' gemms (ms)':<22}{a:>10.3f}{b:>10.3f}{a / b:>7.3f}{lim:>9.3f}"
              f"{a / lim:>8.2f}{b / lim:>8.2f}")
    for key in steps:
        a, b = med("numpy", "step_ms", key), med("scipy", "step_ms", key)
        line = f"{key + ' step (ms)':<22}{a:>10.3f}{b:>10.3f}{a / b:>7.3f}"
        if key in gemms:
            lim = runs["numpy"][0]["flops"][key] / peak / 1e6
            line += f"{lim:>9.3f}{a / lim:>8.2f}{b / lim:>8.2f}"
        elif args.jax:
            line += " " * 25
        if args.jax:
            j = med("jax", "step_ms", key)
            line += f"{j:>9.3f}{a / j:>8.2f}{b / j:>8.2f}"
        print(line)


if __name__ == "__main__":
    main()
