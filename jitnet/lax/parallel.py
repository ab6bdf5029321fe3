"""Collectives over a named ``vmap`` axis (``jax.lax``'s ``psum``, ``pmean``, ``pmax``,
``pmin``): ``vmap(f, axis_name="batch")`` lets ``f``, written for one example, reduce a value
over all examples of the batch (batch norm's statistics, say).

Each ``vmap`` marks its axis while it traces and batches ``f``; the collective is a primitive
(defined with ``jitnet.extend``, like a user's) whose vmap rule, run by the ``vmap`` of the
named axis, reduces over the batch dimension. Vmaps of other names pass it through to
theirs. There is one device, so ``pmap``'s axis works the same way.
"""
from __future__ import annotations

import contextlib
import threading

from ..core.source_info import user_line
from ..extend.core import Primitive
from ..interpreters import ad
from ..prims import elementwise as ew
from ..prims.reduce import reduce_max, reduce_min, reduce_sum
from ..prims.util import const, get_aval

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


def _stack() -> list:
    return _frames.__dict__.get("stack", [])


def _reduce(op: str, x, d: int):
    """``x`` reduced over its batch dimension ``d``, in ``x``'s dtype (the collective's
    abstract value is its operand's)."""
    if op == "mean":
        return ew.div(reduce_sum(x, (d,)), const(x, get_aval(x).shape[d]))
    return {"sum": reduce_sum, "max": reduce_max, "min": reduce_min}[op](x, (d,))


def _batch(args, dims, *, axis_name, op):
    (x,), (d,) = args, dims
    name, size = _stack()[-1]
    if name != axis_name:                 # another vmap's axis: reduced by that vmap
        return parallel_p.bind(x, axis_name=axis_name, op=op), d
    if d is None:                         # the same value in every example
        return (x * size if op == "sum" else x), None
    return _reduce(op, x, d), None


def _jvp(primals, tangents, *, axis_name, op):
    if op not in ("sum", "mean"):
        raise NotImplementedError(f"p{op}: not differentiable in jitnet (only psum and pmean)")
    out = parallel_p.bind(primals[0], axis_name=axis_name, op=op)
    return out, parallel_p.bind(ad.instantiate_zeros(tangents[0]), axis_name=axis_name, op=op)


parallel_p = Primitive("parallel_reduce")
parallel_p.def_abstract_eval(lambda x, *, axis_name, op: x)
parallel_p.batch = _batch
parallel_p.lowering["collective"] = True       # vmap runs the rule on unmapped operands too
ad.primitive_jvps[parallel_p] = _jvp
# psum and pmean are linear, and self-adjoint over the batch: y_i = sum_j x_j gives
# dx_j = sum_i dy_i
ad.primitive_transposes[parallel_p] = lambda ct, x, *, axis_name, op: [
    parallel_p.bind(ad.instantiate_zeros(ct), axis_name=axis_name, op=op)]


def _collective(op: str):
    def apply(x, axis_name, *, axis_index_groups=None):
        from ..core.pytree import tree_map
        if axis_index_groups is not None:
            raise NotImplementedError(f"p{op}: axis_index_groups is not supported")
        names = axis_name if isinstance(axis_name, tuple) else (axis_name,)
        bound = [n for n, _ in _stack()]
        for n in names:
            if n is None or n not in bound:
                raise NameError(f"p{op}: unbound axis name: {n!r}; a collective needs an "
                                f"enclosing vmap(..., axis_name={n!r}) (bound here: "
                                f"{[b for b in bound if b is not None]}){user_line()}")

        def one(v):
            for n in names:
                v = parallel_p.bind(v, axis_name=n, op=op)
            return v
        return tree_map(one, x)
    apply.__name__ = f"p{op}"
    apply.__doc__ = f"The {op} of ``x`` (a pytree) over the examples of the named vmap axis."
    return apply


psum, pmean, pmax, pmin = (_collective(op) for op in ("sum", "mean", "max", "min"))

__all__ = ["psum", "pmean", "pmax", "pmin", "axis_frame"]
