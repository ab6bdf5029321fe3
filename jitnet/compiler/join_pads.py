"""Sums of zero-padded pieces that sit side by side become one concatenate.

The gradient of ``split`` (of slices) pads each piece's cotangent with zeros to the full
size and adds the padded arrays: W8's fused q/k/v projection writes three (B, T, 3D)
arrays of mostly zeros and reads them back to add them. ``add(pad(a), pad(b))`` with both
pieces along the same axis, touching, and zero elsewhere is ``pad(concatenate(a, b))``;
applied along the chain of adds, the three pads become one ``concatenate`` writing each
element once (the pads left without readers go with dead-code elimination).
"""
from __future__ import annotations

import numpy as np

from ..core.aval import ShapedArray
from ..core.ir import IR, Eqn, Literal, Var
from ..prims.shape import concatenate_p, pad_p


def _piece(a, defs):
    """(axis, start, stop, pieces, zero literal) when ``a`` is zeros except for a run of
    pieces along one axis (a zero pad of one array, or of a concatenate), else None."""
    e = defs.get(id(a)) if isinstance(a, Var) else None
    if e is None or e.prim.name != "pad":
        return None
    x, pv = e.inputs
    if not (isinstance(pv, Literal) and np.all(np.asarray(pv.value) == 0)):
        return None
    moved = [d for d, cfg in enumerate(e.params["padding_config"]) if tuple(cfg) != (0, 0, 0)]
    if len(moved) != 1:
        return None
    axis = moved[0]
    lo, hi, interior = e.params["padding_config"][axis]
    if interior or lo < 0 or hi < 0:
        return None
    inner = defs.get(id(x)) if isinstance(x, Var) else None
    pieces = (list(inner.inputs) if inner is not None and inner.prim.name == "concatenate"
              and inner.params["dimension"] == axis else [x])
    return axis, lo, lo + x.aval.shape[axis], pieces, pv


def _joined(e: Eqn, defs) -> list[Eqn] | None:
    """The equations replacing ``add`` ``e`` of two touching pieces (its output kept)."""
    out = e.outputs[0]
    if any(not isinstance(a, Var) or a.aval.shape != out.aval.shape for a in e.inputs):
        return None
    p, q = (_piece(a, defs) for a in e.inputs)
    if p is None or q is None or p[0] != q[0]:
        return None
    if q[2] == p[1]:
        p, q = q, p
    if p[2] != q[1]:
        return None
    axis, start, stop = p[0], p[1], q[2]
    pieces = p[3] + q[3]
    n = out.aval.shape[axis]
    if start == 0 and stop == n:
        return [Eqn(concatenate_p, pieces, [out], {"dimension": axis}, e.source)]
    shape = list(out.aval.shape)
    shape[axis] = stop - start
    joined = Var(ShapedArray(tuple(shape), out.aval.dtype, out.aval.weak_type))
    cfg = tuple((start, n - stop, 0) if d == axis else (0, 0, 0) for d in range(len(shape)))
    return [Eqn(concatenate_p, pieces, [joined], {"dimension": axis}, e.source),
            Eqn(pad_p, [joined, p[4]], [out], {"padding_config": cfg}, e.source)]


def join_pads(ir: IR) -> IR:
    defs: dict = {}
    eqns, changed = [], False
    for e in ir.eqns:
        new = _joined(e, defs) if e.prim.name == "add" else None
        if new is not None:
            changed = True
        for ne in new or [e]:
            eqns.append(ne)
            for v in ne.outputs:
                defs[id(v)] = ne
    return IR(ir.invars, eqns, ir.outvars, ir.num_consts) if changed else ir
