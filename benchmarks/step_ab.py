"""Whole-step CPU time of two or more source trees, one thread, A/B interleaved: each tree's
``train_step`` runs in a fresh process (its own compile cache), feeding back its jitnet
arrays as ``run.py`` does; the trees alternate ``--rounds`` times and the medians are shown.

    python benchmarks/step_ab.py /tmp/base . --only W6,W2a --rounds 8
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def child(keys: str, samples: int, number: int) -> None:
    """In the tree on sys.path: median CPU ms per step of each workload, one line each."""
    sys.path.insert(0, HERE)
    import numba
    from threadpoolctl import threadpool_limits
    import jitnet
    import workloads
    jitnet.config.update("num_threads", 1)
    numba.set_num_threads(1)
    with threadpool_limits(1):
        for key in keys.split(","):
            w = workloads.BY_KEY[key]
            data = workloads.make_data(w)
            params = [jitnet.numpy.asarray(p) for p in data["params"]]
            inputs = [jitnet.numpy.asarray(a) for a in data["inputs"]]
            step = workloads.jax_models(jitnet).train_step(w.model)
            for _ in range(3):
                params, _ = step(params, *inputs)
            n = max(1, number if key != "W8" else number // 10)
            ts = []
            for _ in range(samples):
                t = time.process_time()
                for _ in range(n):
                    params, _ = step(params, *inputs)
                ts.append((time.process_time() - t) / n * 1e3)
            print(key, statistics.median(ts), flush=True)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("trees", nargs="*", help="source trees (each holding jitnet/)")
    ap.add_argument("--only", default="W6")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--samples", type=int, default=7)
    ap.add_argument("--number", type=int, default=30)
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    if a.child:
        return child(a.only, a.samples, a.number)
    ms: dict = {}
    for r in range(a.rounds):
        for tree in a.trees:
            tree = os.path.abspath(tree)
            env = dict(os.environ, PYTHONPATH=tree,
                       JITNET_CACHE_DIR=os.path.join("/tmp", "jc-step-ab" + tree.replace("/", "-")))
            out = subprocess.run([sys.executable, os.path.abspath(__file__), "--child",
                                  "--only", a.only, "--samples", str(a.samples),
                                  "--number", str(a.number)],
                                 env=env, cwd=tree, capture_output=True, text=True, check=True)
            load = os.getloadavg()[0]
            for line in out.stdout.split("\n"):
                if line.strip():
                    key, v = line.split()
                    ms.setdefault((key, tree), []).append(float(v))
                    print(f"round {r}: {tree} {key} {float(v):.3f} ms (load {load:.1f})",
                          flush=True)
    for (key, tree), v in ms.items():
        print(f"{key} {tree}: median {statistics.median(v):.3f} ms of {len(v)}")


if __name__ == "__main__":
    main()
