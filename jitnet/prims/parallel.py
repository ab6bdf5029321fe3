"""The collective primitive over a named ``vmap`` axis (``lax.psum``, ``pmean``, ``pmax``,
``pmin``, whose wrappers are in ``lax/parallel.py``) and the frames of the vmaps being traced.

Each ``vmap`` marks its axis with ``axis_frame`` while it traces and batches its function.
``parallel_reduce``'s vmap rule, run by the ``vmap`` of the named axis, reduces over the
batch dimension; vmaps of other names pass it on to theirs. So the primitive never reaches
the compiler: it is kept out of ``registry`` (the compiler's instruction set).
"""
from __future__ import annotations

import contextlib
import threading

from ..core.aval import ShapedArray
from ..core.primitive import OP, Primitive
from ..trace.tracer import bind
from . import elementwise as ew
from .reduce import reduce_max, reduce_min, reduce_sum
from .util import const, get_aval, instantiate

_frames = threading.local()   # .stack: [(axis_name, size)] of the vmaps being traced


@contextlib.contextmanager
def axis_frame(name, size: int):
    """Mark a vmap axis (``name`` may be None) while its function is traced and batched."""
    stack = _frames.__dict__.setdefault("stack", [])
    stack.append((name, size))
    try:
        yield
    finally:
        stack.pop()


def axis_frames() -> list:
    """[(axis_name, size)] of the vmaps being traced, innermost last."""
    return _frames.__dict__.get("stack", [])


def _reduce(op: str, x, d: int):
    """``x`` reduced over its batch dimension ``d``, in ``x``'s dtype (the collective's
    abstract value is its operand's)."""
    if op == "mean":
        return ew.div(reduce_sum(x, (d,)), const(x, get_aval(x).shape[d]))
    return {"sum": reduce_sum, "max": reduce_max, "min": reduce_min}[op](x, (d,))


def _batch(args, dims, *, axis_name, op):
    (x,), (d,) = args, dims
    name, size = axis_frames()[-1]
    if name != axis_name:                 # another vmap's axis: reduced by that vmap
        return parallel_reduce(x, axis_name, op), d
    if d is None:                         # the same value in every example
        return (x * size if op == "sum" else x), None
    return _reduce(op, x, d), None


def _jvp(primals, tangents, *, axis_name, op):
    if op not in ("sum", "mean"):
        raise NotImplementedError(f"p{op}: not differentiable in jitnet (only psum and pmean)")
    return (parallel_reduce(primals[0], axis_name, op),
            parallel_reduce(instantiate(tangents[0]), axis_name, op))


def parallel_reduce(x, axis_name, op: str):
    """``x`` reduced with ``op`` ("sum", "mean", "max", "min") over the vmap axis named
    ``axis_name``."""
    return bind(parallel_p, x, axis_name=axis_name, op=op)


parallel_p = Primitive("parallel_reduce", builtin=False, kind=OP)
parallel_p.shape_rule = lambda x, *, axis_name, op: ShapedArray(x.shape, x.dtype, x.weak_type)


def _impl(x, *, axis_name, op):
    raise NameError(f"p{op}: unbound axis name: {axis_name!r}; a collective runs only inside "
                    f"the vmap(..., axis_name={axis_name!r}) it reduces over")


parallel_p.impl = _impl
parallel_p.batch = _batch
parallel_p.lowering["collective"] = True       # vmap runs the rule on unmapped operands too
parallel_p.jvp = _jvp
# psum and pmean are linear, and self-adjoint over the batch: y_i = sum_j x_j gives
# dx_j = sum_i dy_i
parallel_p.transpose = lambda ct, x, *, axis_name, op: [
    parallel_reduce(instantiate(ct), axis_name, op)]

__all__ = ["axis_frame", "axis_frames", "parallel_reduce"]
