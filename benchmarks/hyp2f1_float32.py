"""float32 ``jitnet.scipy.special.hyp2f1`` (or ``hyp1f1``): worst relative error against
SciPy at the float32-rounded inputs over random points (test_special_families' ranges), and
the time of a jitted call (compile, then the median of warm calls). A/B: run it with
PYTHONPATH set to each tree, alternately.

    python benchmarks/hyp2f1_float32.py [--function hyp2f1|hyp1f1] [--points 20000] [--repeat 5]
"""
import argparse
import time

import numpy as np
import scipy.special as sp

import jitnet
from jitnet.scipy import special as js


def _sample(function, rng, n):
    """Random arguments in the ranges of test_special_families' test of ``function``."""
    if function == "hyp1f1":
        return rng.uniform(0.1, 10, n), rng.uniform(0.1, 10, n), rng.uniform(-80, 200, n)
    a, b = rng.uniform(-5, 5, n), rng.uniform(-5, 5, n)
    return a, b, rng.uniform(0.1, 8, n), rng.uniform(-10, 0.9, n)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--function", choices=("hyp2f1", "hyp1f1"), default="hyp2f1")
    parser.add_argument("--points", type=int, default=20000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    rng = np.random.default_rng(12345)
    n = args.points
    args32 = [v.astype(np.float32) for v in _sample(args.function, rng, n)]
    ref = getattr(sp, args.function)(*(v.astype(np.float64) for v in args32))
    f = jitnet.jit(getattr(js, args.function))
    t = time.perf_counter()
    got = np.asarray(f(*args32), np.float64)
    first = time.perf_counter() - t
    times = []
    for _ in range(args.repeat):
        t = time.perf_counter()
        np.asarray(f(*args32))
        times.append(time.perf_counter() - t)
    keep = np.abs(ref) < 1e30
    err = np.abs(got[keep] - ref[keep]) / np.abs(ref[keep])
    worst = np.argmax(err)
    print(f"{args.function}: worst relative error {err.max():.2e} (median {np.median(err):.1e}) "
          f"at {tuple(float(v[keep][worst]) for v in args32)}; first call {first:.2f} s, "
          f"warm {np.median(times) * 1e3:.1f} ms ({n} points, {jitnet.__file__})")


if __name__ == "__main__":
    main()
