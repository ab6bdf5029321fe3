"""Which BLAS jitnet's matrix products call, how fast each gemm of W2a/W6/W8 runs on it
against the machine's measured sgemm peak, and the step-time floor that gives.

    python benchmarks/gemm_probe.py                # 1 thread (as the 1-thread pass pins it)
    python benchmarks/gemm_probe.py --jax          # the same shapes through jax.jit(jnp.dot)
    OPENBLAS_CORETYPE=SkylakeX python benchmarks/gemm_probe.py   # another OpenBLAS kernel set
    python benchmarks/gemm_probe.py --blocks 2     # also as 2 row / 2 column blocks, one
                                                   # after the other (codegen/cpu/ops._blocks)

Each gemm is called through ``jn_gemm_f32`` (the helper generated code calls, same operand
layouts and transpose flags) on one thread; "peak" is the best rate of a large square sgemm.
The floor of a workload is the sum of its gemms at their measured rates: the step cannot
be faster while its products go through this BLAS.
"""
from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# (name, M, K, N, lhs transposed, rhs transposed, calls per step)
W2A = [("x@W1", 128, 784, 512, 0, 0, 1), ("h1@W2", 128, 512, 512, 0, 0, 1),
       ("h2@W3", 128, 512, 10, 0, 0, 1), ("h2^T@g3", 512, 128, 10, 1, 0, 1),
       ("g3@W3^T", 128, 10, 512, 0, 1, 1), ("h1^T@g2", 512, 128, 512, 1, 0, 1),
       ("g2@W2^T", 128, 512, 512, 0, 1, 1), ("x^T@g1", 784, 128, 512, 1, 0, 1)]
W6 = [("x_t@Wx", 32, 32, 128, 0, 0, 50), ("h@Wh", 32, 128, 128, 0, 0, 50),
      ("dz@Wh^T", 32, 128, 128, 0, 1, 50), ("h^T@dz", 128, 32, 128, 1, 0, 50),
      ("x^T@dz", 32, 32, 128, 1, 0, 50), ("dz@Wx^T", 32, 128, 32, 0, 1, 50),
      ("hs@Wo", 1600, 128, 64, 0, 0, 1), ("hs^T@g", 128, 1600, 64, 1, 0, 1),
      ("g@Wo^T", 1600, 64, 128, 0, 1, 1)]
W8 = [("x@Wqkv", 2048, 256, 768, 0, 0, 1), ("x^T@g (dWqkv)", 256, 2048, 768, 1, 0, 1),
      ("g@Wqkv^T (dx)", 2048, 768, 256, 0, 1, 1),
      ("o@Wo, x@head", 2048, 256, 256, 0, 0, 2), ("dW (Wo, head)", 256, 2048, 256, 1, 0, 2),
      ("dx (Wo, head)", 2048, 256, 256, 0, 1, 2),
      ("x@W1", 2048, 256, 1024, 0, 0, 1), ("dW1", 256, 2048, 1024, 1, 0, 1),
      ("dx of W1", 2048, 1024, 256, 0, 1, 1),
      ("h@W2", 2048, 1024, 256, 0, 0, 1), ("dW2", 1024, 2048, 256, 1, 0, 1),
      ("dh of W2", 2048, 256, 1024, 0, 1, 1),
      ("q@k^T, dO@v^T (per batch, head)", 128, 64, 128, 0, 1, 128),
      ("p@v, dS@k (per batch, head)", 128, 128, 64, 0, 0, 128),
      ("P^T@dO, dS^T@q (per batch, head)", 128, 128, 64, 1, 0, 128)]
WORKLOADS = {"W2a": W2A, "W6": W6, "W8": W8}


def _operands(m, k, n, ta, tb, rng):
    a = rng.standard_normal((k, m) if ta else (m, k), dtype=np.float32)
    b = rng.standard_normal((n, k) if tb else (k, n), dtype=np.float32)
    return a, b, np.empty((m, n), np.float32)


def _rate(fn, flops, seconds=0.3):
    """Best of 7 samples of ~seconds/7 each: GFLOP/s and seconds per call. Timed in the
    process's CPU time (everything runs on one thread), so other processes on the machine
    add less noise than to wall time."""
    fn()
    t = time.process_time()
    fn()
    once = max(time.process_time() - t, 1e-6)
    reps = max(1, int(seconds / 7 / once))
    best = float("inf")
    for _ in range(7):
        t = time.process_time()
        for _ in range(reps):
            fn()
        best = min(best, (time.process_time() - t) / reps)
    return flops / best / 1e9, best


def _blocked(gemm, a, b, c, ta, tb, S, cols, scratch):
    """The product as S blocks of rows (or columns) of ``c``, one gemm each, in turn: what a
    split product costs on one thread (each block's gemm packs the whole unsplit operand)."""
    m, n = c.shape
    calls = []
    for t in range(S):
        lo, hi = t * (n if cols else m) // S, (t + 1) * (n if cols else m) // S
        if cols:
            calls.append((a, b[lo:hi] if tb else b[:, lo:hi], c[:, lo:hi]))
        else:
            calls.append((a[:, lo:hi] if ta else a[lo:hi], b, c[lo:hi]))

    def run():
        for x, y, z in calls:
            gemm(x, y, z, bool(ta), bool(tb), scratch)
    return run


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--jax", action="store_true", help="also time jax.jit(jnp.dot)")
    ap.add_argument("--only", default="W2a,W6,W8")
    ap.add_argument("--blocks", type=int, default=0,
                    help="also time each gemm as this many row blocks and column blocks")
    args = ap.parse_args()
    from threadpoolctl import threadpool_info, threadpool_limits

    from jitnet.runtime.numba_math import jn_gemm_f32
    for i in threadpool_info():
        if i.get("user_api") == "blas":
            print(f"BLAS: {i['internal_api']} {i['version']} kernels {i.get('architecture')} "
                  f"({os.path.basename(i['filepath'])})")
    print(f"OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE')!r} uptime: "
          f"{open('/proc/loadavg').read().split()[:3]}")
    jdot = None
    if args.jax:
        os.environ["XLA_FLAGS"] = "--xla_cpu_multi_thread_eigen=false"   # one thread
        import jax
        import jax.numpy as jnp
        jdot = {(0, 0): jax.jit(lambda a, b: a @ b), (1, 0): jax.jit(lambda a, b: a.T @ b),
                (0, 1): jax.jit(lambda a, b: a @ b.T), (1, 1): jax.jit(lambda a, b: a.T @ b.T)}
    rng = np.random.default_rng(0)
    scratch = np.empty(8, np.int64)
    with threadpool_limits(1):
        n = 1536
        a, b, c = _operands(n, n, n, 0, 0, rng)
        peak, _ = _rate(lambda: jn_gemm_f32(a, b, c, False, False, scratch), 2 * n ** 3, 1.0)
        print(f"peak (sgemm {n}^3, 1 thread): {peak:.1f} GFLOP/s")
        for key in args.only.split(","):
            floor = ideal = 0.0
            print(f"\n{key}: {'gemm':<36}{'M x K x N':>18}{'flags':>6}{'us':>10}"
                  f"{'GFLOP/s':>9}{'of peak':>8}" + ("  jax us" if jdot else ""))
            for name, m, k, nn, ta, tb, calls in WORKLOADS[key]:
                a, b, c = _operands(m, k, nn, ta, tb, rng)
                flops = 2 * m * k * nn
                g, s = _rate(lambda: jn_gemm_f32(a, b, c, bool(ta), bool(tb), scratch), flops)
                floor += calls * s
                ideal += calls * flops / (peak * 1e9)
                extra = ""
                if args.blocks:
                    rows = _blocked(jn_gemm_f32, a, b, c, ta, tb, args.blocks, False, scratch)
                    cols = _blocked(jn_gemm_f32, a, b, c, ta, tb, args.blocks, True, scratch)
                    extra += (f"  rows {_rate(rows, flops)[1] * 1e6:7.1f}"
                              f"  cols {_rate(cols, flops)[1] * 1e6:7.1f}")
                if jdot:
                    f = jdot[(ta, tb)]
                    _, sj = _rate(lambda: f(a, b).block_until_ready(), flops)
                    extra = f"{sj * 1e6:>8.1f}"
                print(f"  {name:<36}{f'{m}x{k}x{nn}':>18}{'NT'[ta] + 'NT'[tb]:>6}"
                      f"{s * 1e6:>10.1f}{g:>9.1f}{g / peak:>8.0%}{extra}   x{calls}")
            print(f"  floor (sum of calls at these rates): {floor * 1e3:.3f} ms; "
                  f"at peak: {ideal * 1e3:.3f} ms")


if __name__ == "__main__":
    main()
