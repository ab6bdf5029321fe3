"""Where W2a's and W6's one-thread step time goes (issue 16 items 2, 4, 7): the time per
generated function of the step (``conv_profile.jitnet_profile``), and the whole step with
and without a compiler pass, A/B interleaved in one process (CPU time: one thread).

    python benchmarks/w2_profile.py [--only W2a,W6] [--number 30] [--ab transpose_scan_consts]

The gemm floor of the same steps is ``benchmarks/gemm_probe.py``'s.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [os.path.dirname(HERE), HERE]

import conv_profile  # noqa: E402
import workloads  # noqa: E402


def step_ms(key, passes, rounds, number):
    """Median CPU ms per step of workload ``key``, for each pass list of ``passes`` (name ->
    PASSES tuple), the lists compiled alike and timed alternately ``rounds`` times."""
    import jitnet
    from jitnet.compiler import pipeline
    w = workloads.BY_KEY[key]
    data = workloads.make_data(w)
    args = (data["params"], *data["inputs"])
    steps = {}
    saved = pipeline.PASSES
    try:
        for name, ps in passes.items():   # each compiled (on its first call) with its passes
            pipeline.PASSES = ps
            steps[name] = workloads.jax_models(jitnet).train_step(w.model)
            steps[name](*args)
    finally:
        pipeline.PASSES = saved
    ts = {n: [] for n in steps}
    for fn in steps.values():
        for _ in range(3):
            fn(*args)
    for _ in range(rounds):
        for n, fn in steps.items():
            t = time.process_time()
            for _ in range(number):
                fn(*args)
            ts[n].append((time.process_time() - t) / number * 1e3)
    return {n: statistics.median(v) for n, v in ts.items()}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--only", default="W2a,W6")
    ap.add_argument("--number", type=int, default=30)
    ap.add_argument("--rounds", type=int, default=9)
    ap.add_argument("--ab", default="", help="a pass of compiler.PASSES to time without")
    a = ap.parse_args(argv)
    import numba
    from threadpoolctl import threadpool_limits
    import jitnet
    from jitnet.compiler import pipeline
    jitnet.config.update("num_threads", 1)
    numba.set_num_threads(1)
    print("load:", os.getloadavg())
    with threadpool_limits(1):
        for key in a.only.split(","):
            print(f"\n## {key}: CPU ms per generated function of the step (median x calls)")
            print(conv_profile.jitnet_profile(a.number, time.process_time, key))
            passes = {"all passes": pipeline.PASSES}
            if a.ab:
                passes[f"without {a.ab}"] = tuple(p for p in pipeline.PASSES if p.name != a.ab)
            for n, ms in step_ms(key, passes, a.rounds, a.number).items():
                print(f"{key} whole step, {n}: {ms:.3f} ms")
    print("load:", os.getloadavg())


if __name__ == "__main__":
    main()
