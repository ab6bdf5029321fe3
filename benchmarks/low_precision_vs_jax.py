"""float16/bfloat16 results of jitnet against JAX on the CPU (issue 13, item 5): JAX is the
oracle here, so this is a script for a machine with JAX installed, not a test.

    PYTHONPATH=. python benchmarks/low_precision_vs_jax.py

Elementwise chains must be bit-identical (XLA, like jitnet, rounds after every op except
for divisions by a constant, which XLA turns into multiplications: see docs/PRECISION.md);
matmul + softmax and logsumexp within two ulps of the narrow type (summation order).
"""
from __future__ import annotations

import os
import sys

import ml_dtypes
import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import jax  # noqa: E402
import jitnet  # noqa: E402
import jitnet.numpy as jnp  # noqa: E402


def chain(np_, x, y):
    """Elementwise ops whose float32 results differ from float16/bfloat16 ones."""
    return np_.tanh(x * 1.5 + y) - np_.exp(-np_.abs(x)) * np_.sqrt(np_.abs(y) + 1.0)


def f(lib, nn, x, w):
    return chain(lib, x, x[::-1]), nn.softmax(x @ w), lib.log(lib.sum(lib.exp(x), 1))


def main():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((16, 32)).astype(np.float32)
    w = (rng.standard_normal((32, 8)) / 6).astype(np.float32)
    print(f"{'dtype':>9} {'chain: bits equal':>18} {'softmax(x@w) max ulps':>22} "
          f"{'logsumexp max ulps':>19}")
    for dt in (np.dtype(np.float16), np.dtype(ml_dtypes.bfloat16)):
        xs, ws = x.astype(dt), w.astype(dt)
        want = jax.jit(lambda x, w: f(jax.numpy, jax.nn, x, w))(xs, ws)
        got = jitnet.jit(lambda x, w: f(jnp, jitnet.nn, x, w))(xs, ws)
        same = np.mean(np.asarray(got[0]).view(np.uint16) == np.asarray(want[0]).view(np.uint16))
        eps = float(ml_dtypes.finfo(dt).eps)
        ulps = [np.max(np.abs(np.asarray(g, np.float32) - np.asarray(e, np.float32))
                       / np.maximum(np.abs(np.asarray(e, np.float32)), 1e-3) / eps)
                for g, e in zip(got[1:], want[1:])]
        print(f"{dt.name:>9} {same:>17.1%} {ulps[0]:>22.2f} {ulps[1]:>19.2f}")


if __name__ == "__main__":
    main()
