"""W4: a small convnet on MNIST-sized batches, forward and one SGD training step.

    python benchmarks/conv_lowering.py [--reps N] [--only numba,interpreter,torch]

Model: batch 64x1x28x28 (NCHW) -> conv3x3 1->16, ReLU -> conv3x3 16->32, ReLU ->
2x2 max-pool -> dense 4608->10 -> softmax cross-entropy; the step is the jitted
``value_and_grad`` plus the SGD update. Prints the median (and the fastest) wall time
of the forward and of the step, after warm-up, for jitnet's Numba backend, jitnet's
NumPy interpreter and, when importable, PyTorch eager on the same number of threads.

The Numba rows are measured twice: as is, and with the thread pool of the OpenBLAS that
Numba's ``np.dot`` calls (SciPy's copy) set to one thread. jitnet parallelizes with
Numba's threads; large products in the program (the dense layer, the weight gradients)
otherwise wake OpenBLAS's own pool, whose spinning threads then compete with Numba's for
the same cores.
"""
from __future__ import annotations

import argparse
import os
import platform
import time

import numpy as np

import jitnet
import jitnet.numpy as jnp
from jitnet import lax, nn

BATCH, LR = 64, 0.05


def init_params(rng):
    def f(fan_in, *s):
        return (rng.standard_normal(s) * np.sqrt(2.0 / fan_in)).astype(np.float32)
    return dict(w1=f(9, 16, 1, 3, 3), b1=np.zeros(16, np.float32),
                w2=f(144, 32, 16, 3, 3), b2=np.zeros(32, np.float32),
                w3=f(4608, 4608, 10), b3=np.zeros(10, np.float32))


def forward(p, x):
    y = lax.conv_general_dilated(x, p["w1"], (1, 1), "VALID")
    y = nn.relu(y + p["b1"][None, :, None, None])
    y = lax.conv_general_dilated(y, p["w2"], (1, 1), "VALID")
    y = nn.relu(y + p["b2"][None, :, None, None])
    y = lax.reduce_window(y, -jnp.inf, lax.max, (1, 1, 2, 2), (1, 1, 2, 2), "VALID")
    return y.reshape(y.shape[0], -1) @ p["w3"] + p["b3"]


def loss_fn(p, x, onehot):
    # one-hot labels come in as data: fusing nn.one_hot into this program currently hits a
    # kernel-ordering bug of jitnet/fuse/cluster.py (see the report of the lowering work)
    logits = forward(p, x)
    return -jnp.mean(jnp.sum(nn.log_softmax(logits) * onehot, axis=-1))


def sgd_step(p, x, onehot):
    loss, g = jitnet.value_and_grad(loss_fn)(p, x, onehot)
    return loss, jitnet.tree_map(lambda a, b: a - LR * b, p, g)


def scipy_blas_threads(n) -> bool:
    """Set the thread count of SciPy's OpenBLAS (the BLAS behind Numba's np.dot)."""
    import ctypes
    import glob

    import scipy
    root = os.path.dirname(os.path.dirname(scipy.__file__))
    for path in glob.glob(os.path.join(root, "scipy.libs", "libscipy_openblas*.so")):
        lib = ctypes.CDLL(path)
        for name in ("scipy_openblas_set_num_threads", "openblas_set_num_threads"):
            if hasattr(lib, name):
                getattr(lib, name)(int(n))
                return True
    return False


def timeit(f, reps, warmup=3):
    for _ in range(warmup):
        f()
    ts = []
    for _ in range(reps):
        t = time.perf_counter()
        f()
        ts.append(time.perf_counter() - t)
    return float(np.median(ts)) * 1e3, float(np.min(ts)) * 1e3


def bench_jitnet(backend, p, x, onehot, reps):
    fwd = jitnet.jit(forward, backend=backend)
    step = jitnet.jit(sgd_step, backend=backend)
    t0 = time.perf_counter()
    jitnet.block_until_ready(fwd(p, x))
    jitnet.block_until_ready(step(p, x, onehot))
    compile_s = time.perf_counter() - t0
    f = timeit(lambda: jitnet.block_until_ready(fwd(p, x)), reps)
    s = timeit(lambda: jitnet.block_until_ready(step(p, x, onehot)), reps)
    return f, s, compile_s


def bench_torch(p, x, labels, reps, threads):
    import torch
    torch.set_num_threads(threads)
    F = torch.nn.functional
    tp = {k: torch.tensor(v, requires_grad=True) for k, v in p.items()}
    tx, tl = torch.tensor(x), torch.tensor(labels, dtype=torch.long)

    def fwd():
        y = F.relu(F.conv2d(tx, tp["w1"], tp["b1"]))
        y = F.relu(F.conv2d(y, tp["w2"], tp["b2"]))
        y = F.max_pool2d(y, 2)
        return y.reshape(y.shape[0], -1) @ tp["w3"] + tp["b3"]

    def step():
        loss = F.cross_entropy(fwd(), tl)
        grads = torch.autograd.grad(loss, list(tp.values()))
        with torch.no_grad():
            return loss, [a - LR * g for a, g in zip(tp.values(), grads)]

    def fwd_nograd():
        with torch.no_grad():
            return fwd()
    return timeit(fwd_nograd, reps), timeit(step, reps)


def check_agreement(p, x, onehot):
    """The Numba step equals the interpreter's (so the timings compare the same work)."""
    a = jitnet.jit(sgd_step, backend="numba")(p, x, onehot)
    b = jitnet.jit(sgd_step, backend="interpreter")(p, x, onehot)
    for u, v in zip(jitnet.tree_leaves(a), jitnet.tree_leaves(b)):
        np.testing.assert_allclose(np.asarray(u), np.asarray(v), rtol=2e-3, atol=2e-4)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--reps", type=int, default=30)
    ap.add_argument("--only", default="numba,interpreter,torch")
    args = ap.parse_args()
    which = args.only.split(",")
    rng = np.random.RandomState(0)
    p = init_params(rng)
    x = rng.standard_normal((BATCH, 1, 28, 28)).astype(np.float32)
    labels = rng.randint(0, 10, BATCH)
    onehot = np.eye(10, dtype=np.float32)[labels]
    import numba
    threads = numba.get_num_threads()
    print(f"# W4 convnet, batch {BATCH}, float32; {platform.machine()}, {os.cpu_count()} cpus, "
          f"numba {numba.__version__} ({threads} threads), numpy {np.__version__}; "
          f"load average {os.getloadavg()[0]:.1f}")
    print(f"{'backend':22s} {'forward ms':>18s} {'train step ms':>18s}   (median / min)")
    if "numba" in which:
        check_agreement(p, x, onehot)
        (fm, fmin), (sm, smin), comp = bench_jitnet("numba", p, x, onehot, args.reps)
        print(f"{'jitnet numba':22s} {fm:9.2f} / {fmin:6.2f} {sm:9.2f} / {smin:6.2f}   "
              f"(first calls incl. compile {comp:.1f} s)")
        if scipy_blas_threads(1):
            (fm, fmin), (sm, smin), _ = bench_jitnet("numba", p, x, onehot, args.reps)
            print(f"{'  + 1 OpenBLAS thread':22s} {fm:9.2f} / {fmin:6.2f} {sm:9.2f} / {smin:6.2f}")
            scipy_blas_threads(threads)
    if "interpreter" in which:
        (fm, fmin), (sm, smin), _ = bench_jitnet("interpreter", p, x, onehot,
                                                 max(3, args.reps // 5))
        print(f"{'jitnet interpreter':22s} {fm:9.2f} / {fmin:6.2f} {sm:9.2f} / {smin:6.2f}")
    if "torch" in which:
        try:
            import torch
        except ImportError:
            print("torch: not importable, skipped")
        else:
            (fm, fmin), (sm, smin) = bench_torch(p, x, labels, args.reps, threads)
            print(f"{'torch ' + torch.__version__ + ' eager':22s} {fm:9.2f} / {fmin:6.2f} "
                  f"{sm:9.2f} / {smin:6.2f}")


if __name__ == "__main__":
    main()
