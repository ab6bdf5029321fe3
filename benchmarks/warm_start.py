"""Warm start by phase, in fresh processes, two source trees interleaved (issue 14).

    python benchmarks/warm_start.py --trees base=/tmp/base,new=. --workloads W2a,W4 --repeats 7

For each tree (a checkout of jitnet on ``PYTHONPATH``), each repeat runs, one tree after the
other (the order alternating): ``import jitnet`` alone (after ``import numpy``), then per workload the warm path:
import -> first result of its jitted training step (``workloads.py``) with the program
already in that tree's disk cache (one untimed process fills it first). Phases: ``numpy``,
``jitnet`` (the import), ``setup`` (data, parameters), ``first`` (the first call: trace,
load the cached machine code, run), ``total``, and ``cpu``: the process's CPU time, which a
busy machine disturbs less than wall time. Medians and the load average are printed.

Bytecode: the children run with bytecode caches (``PYTHONPYCACHEPREFIX`` under the temporary
directory, ``PYTHONDONTWRITEBYTECODE`` removed), as an installed package has; without them
every process compiles jitnet's modules from source (0.2-0.5 s).
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))

_CHILD = r"""
import json, sys, time
T = time.perf_counter
t0 = T()
import numpy as np
t1 = T()
import jitnet
t2 = T()
out = {"numpy": t1 - t0, "jitnet": t2 - t1}
if sys.argv[1] != "-":
    sys.path.insert(0, sys.argv[2])
    import workloads as W
    w = W.BY_KEY[sys.argv[1]]
    data = W.make_data(w)
    step = W.jax_models(jitnet).train_step(w.model)
    params = [jitnet.numpy.asarray(p) for p in data["params"]]
    inputs = [np.asarray(x) for x in data["inputs"]]
    t3 = T()
    jitnet.tree_util.tree_map(np.asarray, step(params, *inputs))
    t4 = T()
    out.update(setup=t3 - t2, first=t4 - t3, total=t4 - t0)
import resource
r = resource.getrusage(resource.RUSAGE_SELF)
out["cpu"] = r.ru_utime + r.ru_stime   # the process's CPU time: steadier than wall under load
print("WARM " + json.dumps(out))
"""


def _run(root: str, workload: str, cache: str, pyc: str) -> dict:
    env = dict(os.environ, PYTHONPATH=root, JITNET_CACHE_DIR=cache, PYTHONPYCACHEPREFIX=pyc)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    p = subprocess.run([sys.executable, "-c", _CHILD, workload, HERE], capture_output=True,
                       text=True, env=env, cwd=root, timeout=600)
    lines = [ln for ln in p.stdout.splitlines() if ln.startswith("WARM ")]
    if p.returncode or not lines:
        raise RuntimeError(f"{root} {workload} failed:\n{p.stderr[-2000:]}")
    return json.loads(lines[-1][5:])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--trees", default=f"this={os.path.dirname(HERE)}",
                    help="name=path,... of jitnet checkouts to compare")
    ap.add_argument("--workloads", default="W2a,W4")
    ap.add_argument("--repeats", type=int, default=5)
    opts = ap.parse_args()
    trees = dict(t.split("=", 1) for t in opts.trees.split(","))
    trees = {k: os.path.abspath(v) for k, v in trees.items()}
    workloads = ["-"] + [w for w in opts.workloads.split(",") if w]
    res: dict = {}
    loads = []
    with tempfile.TemporaryDirectory(prefix="jitnet-warm-") as tmp:
        pyc = os.path.join(tmp, "pyc")
        caches = {}
        for name in trees:
            caches[name] = os.path.join(tmp, f"cache-{name}")
            os.makedirs(caches[name], mode=0o700)
        for name, root in trees.items():   # fill the caches (and the bytecode), untimed
            for w in workloads:
                _run(root, w, caches[name], pyc)
        for i in range(opts.repeats):
            for w in workloads:
                order = list(trees.items())
                for name, root in (order if i % 2 == 0 else order[::-1]):  # ABBA: no order bias
                    r = _run(root, w, caches[name], pyc)
                    for phase, v in r.items():
                        res.setdefault((w, phase), {}).setdefault(name, []).append(v)
            loads.append(os.getloadavg()[0])
    print(f"{time.strftime('%Y-%m-%d %H:%M:%S UTC', time.gmtime())}; medians of "
          f"{opts.repeats} fresh processes per cell; load average {min(loads):.1f}-"
          f"{max(loads):.1f}")
    print("| workload | phase | " + " | ".join(trees) + " |")
    print("|---|---|" + "---|" * len(trees))
    for (w, phase), by in res.items():
        cells = " | ".join(f"{1e3 * statistics.median(by[n]):.0f} ms" for n in trees)
        print(f"| {'import only' if w == '-' else w} | {phase} | {cells} |")


if __name__ == "__main__":
    main()
