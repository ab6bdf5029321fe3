"""Collectives on pytrees of arrays, on the host, fused into one buffer per dtype.

Every leaf of one dtype is copied into a single contiguous buffer and the buffer travels as
one MPI message (Horovod's tensor fusion): a model's dozens of small gradient arrays cost
one latency, not one per leaf. The results are NumPy arrays of the leaves' shapes and
dtypes (views into the received buffer), in the input's tree structure.

These run between compiled steps: called on traced values (inside ``jit``/``grad``) they
raise, naming the fix (see docs/DISTRIBUTED.md for why the step is split around them).
"""
from __future__ import annotations

import numpy as np

from .. import tree_util
from ..core.source_info import user_line
from . import runtime

_OPS = ("sum", "mean", "max", "min")

# how many MPI calls the collectives made, by name (tests check the fusion with it)
calls: dict = {}


def _leaves(what: str, tree):
    from ..trace.tracer import Tracer
    leaves, treedef = tree_util.tree_flatten(tree)
    arrays = []
    for i, leaf in enumerate(leaves):
        if isinstance(leaf, Tracer):
            raise TypeError(f"jitnet.distributed.{what}: leaf {i} is a traced value (called "
                            "inside jit, grad or vmap); collectives run on concrete arrays "
                            "between compiled steps: return the values from the jitted "
                            f"function, reduce them, and pass them to the next one{user_line()}")
        arrays.append(np.asarray(leaf))
    return arrays, treedef


def _groups(arrays):
    """Leaf positions by dtype, in order of first appearance (every rank sees the same)."""
    groups: dict = {}
    for i, a in enumerate(arrays):
        groups.setdefault(a.dtype, []).append(i)
    return groups


def _pack(arrays, idx, dtype) -> np.ndarray:
    if len(idx) == 1:
        return np.array(arrays[idx[0]], dtype=dtype, copy=True).reshape(-1)
    return np.concatenate([arrays[i].reshape(-1) for i in idx]).astype(dtype, copy=False)


def _unpack(buf: np.ndarray, arrays, idx, out: list) -> None:
    """Views of ``buf`` (last axis) shaped like ``arrays[idx]``; leading axes are kept."""
    lead, off = buf.shape[:-1], 0
    for i in idx:
        a = arrays[i]
        out[i] = buf[..., off:off + a.size].reshape(lead + a.shape)
        off += a.size


def _count(name: str) -> None:
    calls[name] = calls.get(name, 0) + 1


def _wire_dtype(what: str, dtype, op: str | None):
    """The dtype a buffer travels in: MPI has no 16-bit floats, so they go as float32."""
    if dtype == np.bool_ and op in ("sum", "mean"):
        raise TypeError(f"jitnet.distributed.{what}: op {op!r} on a bool array; use 'max' "
                        f"(any) or 'min' (all), or cast to an integer{user_line()}")
    if dtype.kind == "f" and dtype.itemsize < 4 or dtype.kind == "V" or \
            dtype.name == "bfloat16":
        return np.dtype(np.float32)
    if op == "mean" and dtype.kind not in "fc":
        raise TypeError(f"jitnet.distributed.{what}: op 'mean' on a {dtype} array; use 'sum' "
                        f"or cast to a float{user_line()}")
    return dtype


def allreduce(tree, op: str = "sum"):
    """Reduce every leaf element-wise over all ranks (``"sum"``, ``"mean"``, ``"max"``,
    ``"min"``); every rank gets the result. JAX's ``lax.psum``/``pmean``/``pmax`` over the job.
    """
    if op not in _OPS:
        raise ValueError(f"jitnet.distributed.allreduce: op must be one of {_OPS}, got "
                         f"{op!r}{user_line()}")
    arrays, treedef = _leaves("allreduce", tree)
    if not arrays:
        return tree
    MPI, comm, n = runtime.mpi(), runtime.comm(), runtime.size()
    out: list = [None] * len(arrays)
    for dtype, idx in _groups(arrays).items():
        wire = _wire_dtype("allreduce", dtype, op)
        buf = _pack(arrays, idx, wire)
        if buf.size:
            mpi_op = {"sum": MPI.SUM, "mean": MPI.SUM, "max": MPI.MAX, "min": MPI.MIN}[op]
            if wire == np.bool_:
                mpi_op = MPI.LOR if op == "max" else MPI.LAND
            comm.Allreduce(MPI.IN_PLACE, buf, op=mpi_op)
            _count("allreduce")
        if op == "mean":
            buf /= n
        _unpack(buf.astype(dtype, copy=False), arrays, idx, out)
    return treedef.unflatten(out)


def broadcast(tree, root: int = 0):
    """Every rank gets ``root``'s values; the other ranks pass a tree of the same structure,
    shapes and dtypes (its values are ignored), as JAX's ``broadcast_one_to_all``."""
    arrays, treedef = _leaves("broadcast", tree)
    if not arrays:
        return tree
    comm = runtime.comm()
    out: list = [None] * len(arrays)
    for dtype, idx in _groups(arrays).items():
        wire = _wire_dtype("broadcast", dtype, None)
        buf = _pack(arrays, idx, wire)
        if buf.size:
            comm.Bcast(buf, root=root)
            _count("broadcast")
        _unpack(buf.astype(dtype, copy=False), arrays, idx, out)
    return treedef.unflatten(out)


def allgather(tree):
    """Every leaf stacked over the ranks: a leaf of shape ``s`` becomes ``(size(), *s)``,
    row ``r`` from rank ``r``. Every rank passes the same structure, shapes and dtypes."""
    arrays, treedef = _leaves("allgather", tree)
    if not arrays:
        return tree
    comm, n = runtime.comm(), runtime.size()
    out: list = [None] * len(arrays)
    for dtype, idx in _groups(arrays).items():
        wire = _wire_dtype("allgather", dtype, None)
        buf = _pack(arrays, idx, wire)
        gathered = np.empty((n, buf.size), wire)
        if buf.size:
            comm.Allgather(buf, gathered)
            _count("allgather")
        _unpack(gathered.astype(dtype, copy=False), arrays, idx, out)
    return treedef.unflatten(out)


def allgather_bytes(data: bytes) -> list[bytes]:
    """Every rank's ``data`` (any length), in rank order: for small JSON messages, so that
    nothing is ever unpickled."""
    comm, n = runtime.comm(), runtime.size()
    sizes = np.empty(n, np.int64)
    comm.Allgather(np.array([len(data)], np.int64), sizes)
    buf = np.empty(int(sizes.sum()), np.uint8)
    offsets = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    comm.Allgatherv(np.frombuffer(data, np.uint8),
                    [buf, (sizes.tolist(), offsets.tolist()), runtime.mpi().BYTE])
    _count("allgather")
    return [buf[o:o + s].tobytes() for o, s in zip(offsets, sizes)]


def barrier() -> None:
    """Wait until every rank has reached this call."""
    runtime.comm().Barrier()
    _count("barrier")
