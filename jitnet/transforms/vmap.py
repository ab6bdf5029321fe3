"""Vectorization: ``batch_ir`` rewrites an IR to work on a batch of inputs at once.

``batch_ir(ir, in_dims, size)`` returns the IR of the function mapped over axis
``in_dims[i]`` of each input (None: not mapped) and the mapped axis of each
output. Each primitive's ``batch`` rule receives values with their batch dims
and returns the result with its batch dim; unmapped values flow through
untouched, so only the equations that touch mapped data change.
"""
from __future__ import annotations

from typing import Sequence

from ..core.aval import ShapedArray
from ..core.ir import IR, Literal
from ..prims.util import bdim_to_front, moveaxis
from ..prims import shape as sh
from ..trace.make_ir import literal_array, trace_to_ir
from ..trace.tracer import bind


def batched_aval(aval: ShapedArray, dim, size: int) -> ShapedArray:
    if dim is None:
        return aval
    shape = list(aval.shape)
    shape.insert(dim, size)
    return aval.update(shape=tuple(shape))


def batch_ir(ir: IR, in_dims: Sequence, size: int, out_dims: Sequence | None = None,
             name: str = "vmap") -> tuple[IR, list]:
    """IR over batched inputs and the batch dim of each output (forced to ``out_dims`` if given)."""
    avals = [batched_aval(v.aval, d, size) for v, d in zip(ir.invars, in_dims)]
    result_dims: list = []

    def fun(*args):
        outs, dims = batch_eval(ir, args, in_dims)
        if out_dims is None:
            result_dims.extend(dims)
            return outs
        moved = [move_batch(o, d, od, size) for o, d, od in zip(outs, dims, out_dims)]
        result_dims.extend(out_dims)
        return moved

    out, consts = trace_to_ir(fun, avals, transform=name, name=name)
    assert not consts, "batch_ir: the input IR must be closed"
    return out, result_dims


def move_batch(x, d, target, size: int):
    """Put ``x``'s batch dim ``d`` at ``target`` (broadcasting if unbatched; None keeps it out)."""
    if target is None:
        if d is not None:
            raise ValueError("vmap: out_axes=None for an output that depends on the mapped "
                             "input (its value differs across the batch)")
        return x
    if d is None:
        shape = tuple(x.shape) if hasattr(x, "shape") else ()
        x = sh.broadcast_in_dim(x, (size,) + shape, tuple(range(1, len(shape) + 1)))
        d = 0
    return moveaxis(x, d, target)


def batch_eval(ir: IR, args: Sequence, in_dims: Sequence) -> tuple[list, list]:
    env: dict[int, tuple] = {}
    for v, a, d in zip(ir.invars, args, in_dims, strict=True):
        env[id(v)] = (a, d)

    def read(a):
        if isinstance(a, Literal):
            return literal_array(a), None
        return env[id(a)]

    for e in ir.eqns:
        vals, dims = zip(*[read(a) for a in e.inputs]) if e.inputs else ((), ())
        # collectives (lax.psum...) also act on values the same in every example
        if all(d is None for d in dims) and not e.prim.lowering.get("collective"):
            out = bind(e.prim, *vals, **e.params)
            outs = out if e.prim.multiple_results else [out]
            odims = [None] * len(outs)
        else:
            out, od = e.prim.rule("batch")(list(vals), list(dims), **e.params)
            outs = out if e.prim.multiple_results else [out]
            odims = od if e.prim.multiple_results else [od]
        for v, o, d in zip(e.outputs, outs, odims):
            env[id(v)] = (o, d)
    res = [read(a) for a in ir.outvars]
    return [r[0] for r in res], [r[1] for r in res]


__all__ = ["batch_ir", "batch_eval", "batched_aval", "move_batch", "bdim_to_front"]
