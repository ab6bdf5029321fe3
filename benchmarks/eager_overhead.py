"""Per-op dispatch overhead of eager jitnet against plain NumPy.

    python benchmarks/eager_overhead.py

Prints, for small arrays, the median time of one op in NumPy and in eager jitnet
and the difference (the overhead jitnet adds on top of NumPy).
"""
from __future__ import annotations

import platform
import timeit

import numpy as np

import jitnet.numpy as jnp


def median_us(stmt, number=2000, repeat=15):
    times = timeit.repeat(stmt, number=number, repeat=repeat)
    return float(np.median(times)) / number * 1e6


def main():
    a = np.ones(16, np.float32)
    b = np.ones(16, np.float32)
    ja, jb = jnp.asarray(a), jnp.asarray(b)
    cases = [
        ("x + y", lambda: a + b, lambda: ja + jb),
        ("jnp.add(x, y)", lambda: np.add(a, b), lambda: jnp.add(ja, jb)),
        ("x * 2.0", lambda: a * np.float32(2.0), lambda: ja * 2.0),
        ("jnp.exp(x)", lambda: np.exp(a), lambda: jnp.exp(ja)),
        ("jnp.sum(x)", lambda: np.sum(a), lambda: jnp.sum(ja)),
        ("x[3]", lambda: a[3], lambda: ja[3]),
    ]
    print(f"# eager per-op overhead, float32[16], {platform.processor() or platform.machine()}, "
          f"python {platform.python_version()}, numpy {np.__version__}")
    print(f"{'op':16s} {'numpy us':>9s} {'jitnet us':>10s} {'overhead us':>12s}")
    for name, f_np, f_jn in cases:
        t_np, t_jn = median_us(f_np), median_us(f_jn)
        print(f"{name:16s} {t_np:9.2f} {t_jn:10.2f} {t_jn - t_np:12.2f}")


if __name__ == "__main__":
    main()
