"""Data-parallel scaling on MPI (issue 12): time per step, examples per second, and the
allreduce's share of the step, for the demo's CNN (or a small MLP) on synthetic data.

    mpiexec -n 1 python benchmarks/distributed.py [--model cnn|mlp] [--batch 64] [--steps 40]
    mpiexec -n 2 --oversubscribe python benchmarks/distributed.py
    python benchmarks/distributed.py --strategy none        # one process, no MPI
    mpiexec -n 2 --oversubscribe python benchmarks/distributed.py --micro

Every rank runs compiled code on ``--threads`` threads (default 1, as the issue asks; 0
leaves ``jitnet.distributed.initialize`` to give each rank ``cores // ranks``). The first epoch (compilation) is not timed; the second runs
``--steps`` steps of the global batch. Rank 0 prints the medians per step: the whole step,
its compiled halves (``grad``: forward and backward on the rank's rows; ``update``: the
optimizer), the host ``allreduce`` (packing, MPI, unpacking) and the gradient bytes sent.

``--micro`` compares the ways the gradients could travel, per step of the same model:
``distributed.allreduce`` of the gradient pytree (fused, what fit uses), a bare mpi4py
``Allreduce`` of a ready buffer of the same size, numba-mpi's ``allreduce`` called from
``numba.njit`` code (when installed: the ``mpi-bench`` extra; float64, see
docs/DISTRIBUTED.md), and the extra
compiled call that splitting the step costs (a jitted identity on the gradients).
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
sys.path.insert(0, os.path.join(ROOT, "examples"))

import jitnet as jax  # noqa: E402
from jitnet import layers, losses, models, train  # noqa: E402
from jitnet.tree_util import tree_leaves, tree_map  # noqa: E402


def make(model_name: str):
    if model_name == "cnn":
        from fashion_mnist import make_model           # the demo's network
        return make_model((28, 28), 10), (28, 28, 1)
    return models.Sequential([layers.Input((64,)), layers.Dense(64, activation="relu"),
                              layers.Dense(10)]), (64,)


def compiled(model_name: str):
    model, shape = make(model_name)
    model.compile(optimizer="adam", loss=losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"], seed=0)
    return model, shape


class _Timed:
    """A function (or jitted function: its other attributes pass through) that adds its
    time to ``timer.spent[part]`` while the timer is timing."""

    def __init__(self, fn, timer, part):
        self.fn, self.timer, self.part = fn, timer, part

    def __call__(self, *a, **k):
        t0 = time.perf_counter()
        out = self.fn(*a, **k)
        if self.timer.timing:
            self.timer.spent[self.part][-1] += time.perf_counter() - t0
        return out

    def __getattr__(self, name):
        return getattr(self.fn, name)


class Timer(train.Callback):
    """Per-step wall time in epoch 1, and time inside the engine's parts (wrapped)."""

    def __init__(self, parts):
        super().__init__()
        self.parts, self.steps = parts, []
        self.spent = {p: [] for p in parts}

    def on_train_begin(self, logs=None):
        for p in self.parts:
            self._wrap(p)

    def _wrap(self, part):
        from jitnet import distributed     # the step calls distributed.allreduce
        owner = distributed if part == "allreduce" else self.trainer
        setattr(owner, part, _Timed(getattr(owner, part), self, part))

    timing = False

    def on_train_batch_begin(self, batch, logs=None):
        self.timing = self.trainer.epoch == 1
        if self.timing:
            for p in self.parts:
                self.spent[p].append(0.0)
            self.t0 = time.perf_counter()

    def on_train_batch_end(self, batch, logs=None):
        if self.timing:
            self.steps.append(time.perf_counter() - self.t0)


def train_bench(args):
    strategy = None if args.strategy == "none" else "mpi"
    if args.threads:
        jax.config.update("num_threads", args.threads)
    ranks = 1
    if strategy:
        from jitnet import distributed
        distributed.initialize()
        ranks = distributed.size()
    model, shape = compiled(args.model)
    rs = np.random.RandomState(0)
    n = args.batch * args.steps
    x = rs.rand(n, *shape).astype(np.float32)
    y = rs.randint(0, 10, n).astype(np.int32)
    parts = ["grad_part", "update_part", "allreduce"] if strategy else ["train_step"]
    timer = Timer(parts)
    model.fit(x, y, batch_size=args.batch, epochs=2, verbose=0, callbacks=[timer],
              strategy=strategy)
    if strategy and not distributed.is_main():
        return
    med = statistics.median
    step = med(timer.steps)
    grad_bytes = sum(np.asarray(a).nbytes for a in tree_leaves(
        model._training["engine"].state.params))
    threads = jax.config.read("num_threads")
    line = (f"{args.model} ranks={ranks} strategy={strategy} threads/rank={threads or 'all'} "
            f"batch={args.batch} ({args.batch // ranks}/rank): {step * 1e3:.2f} ms/step, "
            f"{args.batch / step:.0f} examples/s")
    if strategy:
        share = {p: med(v) for p, v in timer.spent.items()}
        line += (f"; grad {share['grad_part'] * 1e3:.2f} ms, update "
                 f"{share['update_part'] * 1e3:.2f} ms, allreduce "
                 f"{share['allreduce'] * 1e3:.3f} ms ({100 * share['allreduce'] / step:.1f}% "
                 f"of the step), gradient {grad_bytes / 1024:.0f} KiB/step")
    print(line, flush=True)


def _median_us(fn, repeats):
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times) * 1e6


def micro(args):
    from jitnet import distributed
    from jitnet.distributed import runtime
    distributed.initialize()
    model, shape = compiled(args.model)
    model.init(jax.random.PRNGKey(0), np.zeros((1,) + shape, np.float32))
    grads = tree_map(lambda a: np.asarray(a) * 1.0, jax.tree_util.tree_leaves(model))
    size = sum(a.size for a in grads)
    comm, MPI = runtime.comm(), runtime.mpi()
    flat = np.ones(size, np.float32)
    out = {}
    distributed.barrier()
    out["distributed.allreduce(grad pytree)"] = _median_us(
        lambda: distributed.allreduce(grads), args.repeats)
    distributed.barrier()
    out["mpi4py Allreduce(one ready buffer)"] = _median_us(
        lambda: comm.Allreduce(MPI.IN_PLACE, flat, op=MPI.SUM), args.repeats)
    try:
        import numba
        import numba_mpi
    except ImportError:
        numba_mpi = None
    if numba_mpi is not None:
        @numba.njit
        def reduce_in_njit(buf, res):
            numba_mpi.allreduce(buf, res, numba_mpi.Operator.SUM)
        buf64 = np.ones(size // 2, np.float64)      # same bytes; numba-mpi has no float32
        res64 = np.empty_like(buf64)
        reduce_in_njit(buf64, res64)
        distributed.barrier()
        out["numba-mpi allreduce in njit (same bytes)"] = _median_us(
            lambda: reduce_in_njit(buf64, res64), args.repeats)
    ident = jax.jit(lambda g: g)
    ident(grads)
    out["extra jitted call on the gradients"] = _median_us(lambda: ident(grads), args.repeats)
    if distributed.is_main():
        print(f"{args.model}: {len(grads)} gradient arrays, {size * 4 / 1024:.0f} KiB, "
              f"{distributed.size()} ranks (median of {args.repeats})")
        for k, v in out.items():
            print(f"  {k:45s} {v:9.1f} us")


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", choices=["cnn", "mlp"], default="cnn")
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--steps", type=int, default=40)
    ap.add_argument("--strategy", choices=["mpi", "none"], default="mpi")
    ap.add_argument("--threads", type=int, default=1, help="num_threads per rank")
    ap.add_argument("--micro", action="store_true")
    ap.add_argument("--repeats", type=int, default=200)
    args = ap.parse_args()
    (micro if args.micro else train_bench)(args)


if __name__ == "__main__":
    main()
