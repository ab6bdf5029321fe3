"""Constant folding: an equation whose inputs are all literals and whose result is a scalar is
evaluated now, with the primitive's eager implementation, and its uses read the result as a
literal. A gradient's ``div 1.0 128.0`` then costs nothing at run time instead of being a
kernel that allocates an array, and eager and compiled results stay equal (they share that
implementation).

Only jitnet's own primitives are folded (a user primitive may have effects), and only 0-d
results (a ``Literal`` holds a scalar; larger constants stay computed by the program). Values
captured from a closure are inputs of the compiled function, not literals, so they are not
folded.
"""
from __future__ import annotations

import warnings

import numpy as np

from ..core.aval import ShapedArray
from ..core.ir import IR, Eqn, Literal, Var, sub_irs
from ..core.primitive import registry


def _foldable(e: Eqn, ins) -> bool:
    return (ins and all(isinstance(a, Literal) for a in ins)
            and not e.prim.multiple_results and e.outputs[0].aval.shape == ()
            and registry.get(e.prim.name) is e.prim and e.prim.impl is not None
            and not any(True for _ in sub_irs(e)))


def _evaluate(e: Eqn, ins) -> Literal | None:
    """The result of ``e`` on literal inputs as a literal, or None when it cannot be
    computed now (the compiled program then computes it, and reports any error)."""
    out = e.outputs[0].aval
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            value = e.prim.impl(*[np.asarray(a.value, a.aval.dtype) for a in ins], **e.params)
    except Exception:  # noqa: BLE001 - left to the program
        return None
    value = np.array(value, dtype=out.dtype)
    if value.shape != ():
        return None
    value.flags.writeable = False
    return Literal(value, ShapedArray((), out.dtype, out.weak_type))


def fold_constants(ir: IR) -> IR:
    """``ir`` with the scalar equations over literals replaced by their values."""
    rename: dict[Var, Literal] = {}
    eqns = []

    def sub(a):
        return rename.get(a, a) if isinstance(a, Var) else a

    for e in ir.eqns:
        ins = [sub(a) for a in e.inputs]
        if _foldable(e, ins):
            lit = _evaluate(e, ins)
            if lit is not None:
                rename[e.outputs[0]] = lit
                continue
        eqns.append(e if all(a is b for a, b in zip(ins, e.inputs)) else e.replace(inputs=ins))
    if not rename:
        return ir
    return IR(ir.invars, eqns, [sub(a) for a in ir.outvars], ir.num_consts)
