"""One workload's jitted step in this process: the first call (import included: with an empty
``JITNET_CACHE_DIR`` the cold compile) and the steady state, as wall and CPU time. CPU time
(``time.process_time``, all threads of the process) moves less than wall time on a shared
machine; run two trees alternately, each in its own process, for an A/B.

    JITNET_CACHE_DIR=$(mktemp -d) python benchmarks/step_cpu.py W4 --calls 0   # cold compile
    NUMBA_NUM_THREADS=1 python benchmarks/step_cpu.py W6 --calls 60            # steady state
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import sys
import time

T0 = time.perf_counter()
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))


def _cpu_s() -> float:
    own, children = (resource.getrusage(w) for w in (resource.RUSAGE_SELF,
                                                      resource.RUSAGE_CHILDREN))
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("workload")
    ap.add_argument("--calls", type=int, default=40, help="timed calls after 5 warm-up calls")
    ap.add_argument("--batch", type=int, help="instead of the workload's own batch size")
    a = ap.parse_args(argv)
    import numpy as np
    import workloads as W
    import jitnet as jax
    w = W.BY_KEY[a.workload]
    if a.batch:
        w = W.Workload(w.key, w.title, w.kind, w.model, dict(w.shape, batch=a.batch))
    data = W.make_data(w)
    step = W.jax_models(jax).train_step(w.model)
    params, x = [jax.numpy.asarray(p) for p in data["params"]], data["inputs"]
    params, v = step(params, *x)
    float(np.asarray(v))
    out = {"workload": w.key, "first_wall_s": time.perf_counter() - T0, "first_cpu_s": _cpu_s()}
    if a.calls:
        for _ in range(5):
            params, v = step(params, *x)
            float(np.asarray(v))
        cpu, wall = [], []
        for _ in range(a.calls):
            c, t = time.process_time(), time.perf_counter()
            params, v = step(params, *x)
            float(np.asarray(v))
            cpu.append(time.process_time() - c)
            wall.append(time.perf_counter() - t)
        out.update(cpu_ms=1e3 * statistics.median(cpu), wall_ms=1e3 * statistics.median(wall))
    print(json.dumps(out))


if __name__ == "__main__":
    main()
