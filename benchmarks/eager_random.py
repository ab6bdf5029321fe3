"""Eager ``random.normal`` in fresh processes (warm disk cache), A/B between source trees.

Each measurement is a new process importing jitnet from one tree and drawing ``--reps``
times: its first draw, all draws together (the kernel's load from the disk cache included,
in the draw that loads it) and the last draw. Trees alternate round by round; the table
gives each figure's median over rounds.

    JITNET_CACHE_DIR=/tmp/jc python benchmarks/eager_random.py /tmp/base . --rounds 5
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys

_CHILD = """
import json, sys, time
import numpy as np
import jitnet
from jitnet import random
shape, reps = tuple(int(d) for d in sys.argv[1].split("x")), int(sys.argv[2])
key = random.PRNGKey(0)
times = []
for _ in range(reps):
    t = time.perf_counter()
    np.asarray(random.normal(key, shape))
    times.append(time.perf_counter() - t)
print(json.dumps(times))
"""


def measure(tree: str, n: str, reps: int) -> list:
    env = dict(os.environ, PYTHONPATH=os.path.abspath(tree))
    out = subprocess.run([sys.executable, "-c", _CHILD, n, str(reps)], env=env,
                         capture_output=True, text=True, check=True, cwd=tree)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("trees", nargs="+", help="source trees (PYTHONPATH roots) to compare")
    ap.add_argument("--sizes", default="1048576,1000", help="shapes, as 784x512")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--reps", type=int, default=6)
    args = ap.parse_args()
    sizes = args.sizes.split(",")
    for tree in args.trees:  # warm the disk cache (and the OS's file cache)
        for n in sizes:
            measure(tree, n, 1)
    runs = {(t, n): [] for t in args.trees for n in sizes}
    for _ in range(args.rounds):
        for n in sizes:
            for tree in args.trees:
                runs[tree, n].append(measure(tree, n, args.reps))
    print(f"load average {os.getloadavg()[0]:.2f}")
    print(f"| tree | n | first draw (ms) | {args.reps} draws (ms) | last draw (ms) |\n"
          "| --- | --- | --- | --- | --- |")
    for (tree, n), rs in runs.items():
        first, total, last = (statistics.median(f(r) for r in rs) * 1e3
                              for f in (lambda r: r[0], sum, lambda r: r[-1]))
        print(f"| {tree} | {n} | {first:.1f} | {total:.1f} | {last:.2f} |")


if __name__ == "__main__":
    main()
