"""Which thread setting survives a busy core: Numba threads x BLAS threads, quiet and loaded.

    python benchmarks/thread_levers.py                      # W2a and W7, 4 rounds
    python benchmarks/thread_levers.py --only W2a,W3 --rounds 6 --settings 2,2 2,1 1,1

Each setting is ``numba_threads,blas_threads``: Numba's pool via ``numba.set_num_threads``,
the OpenBLAS that jitted code calls via threadpoolctl (jitnet itself keeps it at 1; 2 shows
what its own worker threads do). Rounds alternate quiet and loaded (a spinning process keeps
one core busy, as in ``run.py --loaded``); every setting is timed in every round, and the
median over rounds of each setting's median call time is printed.
"""
from __future__ import annotations

import argparse
import time

import numpy as np

import run  # noqa: E402 - sets up sys.path for this checkout's jitnet and workloads
import workloads as W


def callables(keys, jax):
    """{key: zero-argument function running one call of the workload, blocked}."""
    M = W.jax_models(jax)
    out = {}
    for key in keys:
        w = W.BY_KEY[key]
        data = W.make_data(w)
        inputs = [jax.numpy.asarray(a) for a in data["inputs"]]
        if w.kind == "forward":
            f = getattr(M, w.model)
            out[key] = lambda f=f, inputs=inputs: jax.block_until_ready(f(*inputs))
        elif w.kind == "grads":
            params = [jax.numpy.asarray(p) for p in data["params"]]
            out[key] = lambda p=params, i=inputs: jax.block_until_ready(
                M.per_example_grads(p, *i))
        else:
            step, params = M.train_step(w.model), [jax.numpy.asarray(p) for p in data["params"]]
            out[key] = lambda s=step, p=params, i=inputs: jax.block_until_ready(s(p, *i))
        out[key]()  # compile
    return out


def median_call(f, seconds: float) -> float:
    times, end = [], time.perf_counter() + seconds
    while len(times) < 5 or time.perf_counter() < end:
        t0 = time.perf_counter()
        f()
        times.append(time.perf_counter() - t0)
    return float(np.median(times))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--only", default="W2a,W7", help="workloads (not W5)")
    ap.add_argument("--settings", nargs="+", default=["2,2", "2,1", "1,1"],
                    help="numba_threads,blas_threads pairs")
    ap.add_argument("--rounds", type=int, default=4, help="quiet/loaded round pairs")
    ap.add_argument("--seconds", type=float, default=0.4, help="timing per setting and round")
    opts = ap.parse_args(argv)
    import numba
    import jitnet
    from jitnet.runtime.threads import _jitted_blas, start_thread_pool
    start_thread_pool()
    blas = _jitted_blas()
    settings = [tuple(int(v) for v in s.split(",")) for s in opts.settings]
    fns = callables(opts.only.split(","), jitnet)
    res: dict = {}
    try:
        for r in range(opts.rounds):
            for busy in ((False, True) if r % 2 == 0 else (True, False)):
                with run.Spinner(600) if busy else run.nullcontext():
                    for nt, bt in settings:
                        numba.set_num_threads(min(nt, numba.config.NUMBA_NUM_THREADS))
                        for lib in blas:
                            lib.set_num_threads(bt)
                        for key, f in fns.items():
                            res.setdefault((key, nt, bt, busy), []).append(
                                median_call(f, opts.seconds))
    finally:
        for lib in blas:
            lib.set_num_threads(1)
    print("| workload | numba threads | BLAS threads | quiet | one core busy | busy/quiet |")
    print("|---|---|---|---|---|---|")
    for key in fns:
        for nt, bt in settings:
            q = float(np.median(res[(key, nt, bt, False)]))
            ld = float(np.median(res[(key, nt, bt, True)]))
            print(f"| {key} | {nt} | {bt} | {run.fmt_time(q)} | {run.fmt_time(ld)} | "
                  f"{ld / q:.2g}x |")


if __name__ == "__main__":
    main()
