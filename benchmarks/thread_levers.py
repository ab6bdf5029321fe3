"""Which thread setting survives a busy core: Numba threads x BLAS threads, quiet and loaded.

    python benchmarks/thread_levers.py                      # W2a and W7, 4 rounds
    python benchmarks/thread_levers.py --only W2a,W3 --rounds 6 --settings 2,2 2,1 1,1
    python benchmarks/thread_levers.py --only W1,W2a --settings 2,1 2,1,c4 1,1 auto

Each setting is ``numba_threads,blas_threads[,cK]``: Numba's pool via
``numba.set_num_threads``, the OpenBLAS that jitted code calls via threadpoolctl (jitnet
itself keeps it at 1; 2 shows what its own worker threads do), and optionally Numba's
parallel chunk size K (``numba.set_parallel_chunksize``, 0: its static split). These run with
``adaptive_threads`` off; ``auto`` is jitnet's default: all threads, adaptive_threads on.
Rounds alternate quiet and loaded (a spinning process keeps one core busy, as in
``run.py --loaded``); every setting is timed in every round, and the median over rounds of
each setting's median call time is printed.
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
    ap.add_argument("--settings", nargs="+", default=["2,2", "2,1", "1,1", "auto"],
                    help="numba_threads,blas_threads[,cK] or auto")
    ap.add_argument("--rounds", type=int, default=4, help="quiet/loaded round pairs")
    ap.add_argument("--seconds", type=float, default=0.4, help="timing per setting and round")
    ap.add_argument("--interleave", action="store_true",
                    help="alternate the settings call by call (paired under the same "
                         "background load) instead of timing each for --seconds in turn")
    opts = ap.parse_args(argv)
    import numba
    import jitnet
    from jitnet.runtime import threads
    threads.start_thread_pool()
    blas = threads._jitted_blas()
    fns = callables(opts.only.split(","), jitnet)
    res: dict = {}
    chosen: dict = {}   # busy -> the thread counts auto ran with
    try:
        for r in range(opts.rounds):
            for busy in ((False, True) if r % 2 == 0 else (True, False)):
                with run.Spinner(600) if busy else run.nullcontext():
                    if opts.interleave:
                        end = time.perf_counter() + opts.seconds * len(opts.settings)
                        while time.perf_counter() < end:
                            for setting in opts.settings:
                                apply_setting(setting, blas)
                                for key, f in fns.items():
                                    t0 = time.perf_counter()
                                    f()
                                    res.setdefault((key, setting, busy), []).append(
                                        time.perf_counter() - t0)
                                if setting == "auto":
                                    chosen.setdefault(busy, []).append(
                                        numba.get_num_threads())
                        continue
                    for setting in opts.settings:
                        apply_setting(setting, blas)
                        for key, f in fns.items():
                            if setting == "auto":   # let it see the load first
                                median_call(f, 2 * threads.PERIOD_S)
                            res.setdefault((key, setting, busy), []).append(
                                median_call(f, opts.seconds))
    finally:
        apply_setting("auto", blas)
    one = "1,1" if "1,1" in opts.settings else None
    print("| workload | numba threads, BLAS threads[, chunk] | quiet | one core busy | "
          "busy/quiet |" + (" busy / 1,1 quiet |" if one else ""))
    print("|---|---|---|---|---|" + ("---|" if one else ""))
    for key in fns:
        for setting in opts.settings:
            q = float(np.median(res[(key, setting, False)]))
            ld = float(np.median(res[(key, setting, True)]))
            ref = f" {ld / float(np.median(res[(key, one, False)])):.2g}x |" if one else ""
            print(f"| {key} | {setting} | {run.fmt_time(q)} | {run.fmt_time(ld)} | "
                  f"{ld / q:.2g}x |{ref}")
    for busy, counts in sorted(chosen.items()):
        print(f"auto, {'one core busy' if busy else 'quiet'}: ran on 1 thread in "
              f"{counts.count(1)} of {len(counts)} turns")


def apply_setting(setting: str, blas) -> None:
    """``auto``: jitnet's defaults; else ``numba,blas[,cK]`` with adaptive_threads off."""
    import numba
    import jitnet
    for lib in blas:
        lib.set_num_threads(1)
    numba.set_parallel_chunksize(0)
    jitnet.config.update("adaptive_threads", setting == "auto")
    if setting == "auto":
        jitnet.config.update("num_threads", 0)
        return
    nt, bt, *chunk = setting.split(",")
    jitnet.config.update("num_threads", int(nt))
    for lib in blas:
        lib.set_num_threads(int(bt))
    if chunk:
        numba.set_parallel_chunksize(int(chunk[0].lstrip("c")))


if __name__ == "__main__":
    main()
