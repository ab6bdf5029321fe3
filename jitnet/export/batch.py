"""Which dimensions follow the batch size: two traces compared.

A program traced at batch sizes ``b1`` and ``b2`` gives two IRs of the same structure; a
dimension that differs between them is affine in the batch size, ``a * B + c`` (a flattened
``(B, T)`` axis is ``T * B``). Export writes those dimensions as run-time expressions of the
input's batch size, so one ONNX graph serves every batch size. A literal that differs between
the traces is the batch size used as a number (``jnp.mean`` over the batch divides by it); an
integral affine one is computed at run time too, any other (``1 / B``), or a captured constant
that differs, is an error.
"""
from __future__ import annotations

import numpy as np

from ..core.ir import IR, Literal


class BatchDim(tuple):
    """``a * B + c``: a dimension that follows the batch size ``B``."""

    def __new__(cls, a: int, c: int):
        return super().__new__(cls, (int(a), int(c)))

    a = property(lambda self: self[0])
    c = property(lambda self: self[1])

    def __repr__(self):
        return f"{self.a}*batch{self.c:+d}" if self.c else f"{self.a}*batch"


def _dim(d1: int, d2: int, b1: int, b2: int, where: str):
    if d1 == d2:
        return d1
    a, r = divmod(d2 - d1, b2 - b1)
    if r:
        raise ValueError(f"to_onnx: {where} has size {d1} at batch {b1} and {d2} at batch {b2}, "
                         f"not an affine function of the batch size; export with "
                         f"dynamic_batch=False")
    return BatchDim(a, d1 - a * b1)


def _same_values(x, y) -> bool:
    x, y = np.asarray(x), np.asarray(y)
    return x.shape == y.shape and x.dtype == y.dtype and np.array_equal(x, y, equal_nan=True)


def _irs_in(params) -> list:
    out = []
    for k in sorted(params):
        p = params[k]
        out += [s for s in (p if isinstance(p, tuple) else (p,)) if isinstance(s, IR)]
    return out


def _literal(v1, v2, b1, b2, eqn):
    a = (float(v2) - float(v1)) / (b2 - b1)
    c = float(v1) - a * b1
    if not (a.is_integer() and c.is_integer()):
        raise ValueError(f"to_onnx: the constant {v1} in '{eqn.prim.name}'{_at(eqn)} is {v2} "
                         f"at another batch size: the function computes with the batch size "
                         f"as a number, in a way export cannot follow; export with "
                         f"dynamic_batch=False")
    return BatchDim(a, c)


def _int_param(p1, p2, b1, b2, where):
    """A param with the integers that differ between the traces as ``BatchDim``s."""
    if isinstance(p1, tuple) and isinstance(p2, tuple) and len(p1) == len(p2):
        return tuple(_int_param(x, y, b1, b2, where) for x, y in zip(p1, p2))
    if type(p1) is int and type(p2) is int:
        return _dim(p1, p2, b1, b2, where)
    return p1


def symbolic_shapes(ir1: IR, ir2: IR, b1: int, b2: int, consts1=(), consts2=()):
    """``(shapes, literals, params)`` from the same program traced at batch sizes ``b1`` and
    ``b2``: ``{id(var of ir1): shape}`` with ``BatchDim`` entries, ``{id(literal): BatchDim}``
    for the literals that are the batch size as a number, and ``{id(eqn of ir1): params}``
    holding the batch-dependent integer params (slice bounds...) as ``BatchDim``s.
    ``ValueError`` where the two traces differ in any other way."""
    out: dict = {}
    literals: dict = {}
    params: dict = {}

    def var(v1, v2, where):
        out[id(v1)] = tuple(_dim(d1, d2, b1, b2, where)
                            for d1, d2 in zip(v1.aval.shape, v2.aval.shape, strict=True))

    def walk(i1: IR, i2: IR):
        for v1, v2 in zip(i1.invars, i2.invars, strict=True):
            var(v1, v2, "an input")
        for e1, e2 in zip(i1.eqns, i2.eqns, strict=True):
            where = f"the result of '{e1.prim.name}'{_at(e1)}"
            if e1.prim is not e2.prim or len(e1.inputs) != len(e2.inputs):
                raise ValueError(f"to_onnx: the traced program changes with the batch size "
                                 f"({e1.prim.name} vs {e2.prim.name}{_at(e1)}); export with "
                                 f"dynamic_batch=False")
            for a1, a2 in zip(e1.inputs, e2.inputs):
                if isinstance(a1, Literal) and not _same_values(a1.value, a2.value):
                    literals[id(a1)] = _literal(a1.value, a2.value, b1, b2, e1)
            for v1, v2 in zip(e1.outputs, e2.outputs, strict=True):
                var(v1, v2, where)
            if e1.params != e2.params:
                params[id(e1)] = {k: _int_param(v, e2.params[k], b1, b2, where)
                                  for k, v in e1.params.items()}
            for s1, s2 in zip(_irs_in(e1.params), _irs_in(e2.params), strict=True):
                walk(s1, s2)

    if len(ir1.eqns) != len(ir2.eqns):
        raise ValueError("to_onnx: the traced program changes with the batch size (a different "
                         "number of operations); export with dynamic_batch=False")
    walk(ir1, ir2)
    for c1, c2 in zip(consts1, consts2, strict=True):
        if not _same_values(c1, c2):
            raise ValueError("to_onnx: a constant the function builds depends on the batch "
                             "size; export with dynamic_batch=False")
    return out, literals, params


def _at(eqn) -> str:
    return f" (at {eqn.source})" if eqn.source is not None else ""
