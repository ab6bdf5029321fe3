"""float32 ``jitnet.scipy.special.hyp2f1``: worst relative error against SciPy at the
float32-rounded inputs over random points (test_special_families' ranges), and the time of
a jitted call (compile, then the median of warm calls). A/B: run it with PYTHONPATH set to
each tree, alternately.

    python benchmarks/hyp2f1_float32.py [--points 20000] [--repeat 5]
"""
import argparse
import time

import numpy as np
import scipy.special as sp

import jitnet
from jitnet.scipy import special as js


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--points", type=int, default=20000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    rng = np.random.default_rng(12345)
    n = args.points
    a, b = rng.uniform(-5, 5, n), rng.uniform(-5, 5, n)
    c, x = rng.uniform(0.1, 8, n), rng.uniform(-10, 0.9, n)
    a, b, c, x = (v.astype(np.float32) for v in (a, b, c, x))
    ref = sp.hyp2f1(*(v.astype(np.float64) for v in (a, b, c, x)))
    f = jitnet.jit(js.hyp2f1)
    t = time.perf_counter()
    got = np.asarray(f(a, b, c, x), np.float64)
    first = time.perf_counter() - t
    times = []
    for _ in range(args.repeat):
        t = time.perf_counter()
        np.asarray(f(a, b, c, x))
        times.append(time.perf_counter() - t)
    keep = np.abs(ref) < 1e30
    err = np.abs(got[keep] - ref[keep]) / np.abs(ref[keep])
    print(f"worst relative error {err.max():.2e} (median {np.median(err):.1e}); "
          f"first call {first:.2f} s, warm {np.median(times) * 1e3:.1f} ms "
          f"({n} points, {jitnet.__file__})")


if __name__ == "__main__":
    main()
