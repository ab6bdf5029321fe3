"""Run by test_collectives.py under ``mpiexec -n 3``: every collective on empty, scalar,
mixed and large pytrees, against NumPy results computed from every rank's known inputs.
A failed check raises, which aborts the job with the rank's traceback."""
import numpy as np

from jitnet import distributed as dist
from jitnet.distributed import collectives

rank, size = dist.rank(), dist.size()
assert size == 3, size


def tree_of(r):
    """What rank ``r`` contributes (any rank can compute every rank's)."""
    return {"w": np.arange(12, dtype=np.float32).reshape(3, 4) * (r + 1),
            "step": np.int32(r + 5),
            "bias": [np.float32(r) - 1.5, np.zeros((0, 3), np.float32)],
            "f64": np.full(2, r / 3.0)}


mine, every = tree_of(rank), [tree_of(r) for r in range(size)]


def check(got, want, what):
    if isinstance(want, (dict, list, tuple)):   # leaves come back as NumPy arrays
        assert type(got) is type(want), (what, type(got), type(want))
    if isinstance(want, dict):
        assert sorted(got) == sorted(want), what   # pytrees order dict keys
        for k in want:
            check(got[k], want[k], f"{what}/{k}")
    elif isinstance(want, (list, tuple)):
        assert len(got) == len(want), what
        for i, (g, w) in enumerate(zip(got, want)):
            check(g, w, f"{what}/{i}")
    else:
        got, want = np.asarray(got), np.asarray(want)
        assert got.dtype == want.dtype and got.shape == want.shape, \
            (what, got.dtype, got.shape, want.dtype, want.shape)
        np.testing.assert_allclose(got, want, rtol=1e-6, err_msg=what)


def numpy_reduce(fn):
    def leaf(*xs):
        return np.asarray(fn(np.stack([np.asarray(x) for x in xs]), axis=0)).astype(
            np.asarray(xs[0]).dtype)
    return {"w": leaf(*[t["w"] for t in every]), "step": leaf(*[t["step"] for t in every]),
            "bias": [leaf(*[t["bias"][0] for t in every]), leaf(*[t["bias"][1] for t in every])],
            "f64": leaf(*[t["f64"] for t in every])}


# fusion: one message per dtype (float32, int32, float64), however many leaves
before = collectives.calls.get("allreduce", 0)
check(dist.allreduce(mine, "sum"), numpy_reduce(np.sum), "sum")
assert collectives.calls["allreduce"] - before == 3, collectives.calls
check(dist.allreduce(mine, "max"), numpy_reduce(np.max), "max")
check(dist.allreduce(mine, "min"), numpy_reduce(np.min), "min")
floats = {k: mine[k] for k in ("w", "f64")}
check(dist.allreduce(floats, "mean"), {k: numpy_reduce(np.mean)[k] for k in floats}, "mean")

# empty trees and scalars
assert dist.allreduce({}) == {} and dist.allreduce([]) == [] and dist.allreduce(None) is None
assert dist.broadcast(()) == () and dist.allgather({}) == {}
check(dist.allreduce(np.float32(rank)), np.float32(sum(range(size))), "scalar")
check(dist.allreduce([np.array(rank % 2 == 1)], "max"), [np.array(True)], "bool any")
check(dist.allreduce([np.array(rank % 2 == 1)], "min"), [np.array(False)], "bool all")
half = dist.allreduce(np.float16(rank + 0.5))
check(half, np.float16(sum(r + 0.5 for r in range(size))), "float16 travels as float32")

# a large tree: 2**20 + small leaves, one buffer
big = [np.full(1 << 20, rank + 1.0, np.float32), np.ones(7, np.float32) * rank]
before = collectives.calls["allreduce"]
out = dist.allreduce(big, "mean")
assert collectives.calls["allreduce"] - before == 1
check(out, [np.full(1 << 20, 2.0, np.float32), np.ones(7, np.float32)], "large mean")

# broadcast: rank 1's values everywhere, the other ranks' ignored
check(dist.broadcast(mine, root=1), tree_of(1), "broadcast")

# allgather: a new leading axis, row r from rank r
gathered = dist.allgather(mine)
stacked = {"w": np.stack([t["w"] for t in every]),
           "step": np.stack([t["step"] for t in every]),
           "bias": [np.stack([t["bias"][0] for t in every]), np.zeros((3, 0, 3), np.float32)],
           "f64": np.stack([t["f64"] for t in every])}
check(gathered, stacked, "allgather")
assert collectives.allgather_bytes(b"r" * rank) == [b"", b"r", b"rr"]

# bad input: a clear error before any message
for bad, msg in [(lambda: dist.allreduce(mine, "prod"), "op must be one of"),
                 (lambda: dist.allreduce(mine, "mean"), "op 'mean' on a int32"),
                 (lambda: dist.allreduce(np.array([True]), "sum"), "op 'sum' on a bool")]:
    try:
        bad()
    except (TypeError, ValueError) as e:
        assert msg in str(e), str(e)
    else:
        raise AssertionError(f"no error for {msg}")

dist.barrier()
print(f"rank {rank}: collectives ok", flush=True)
