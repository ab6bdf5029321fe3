"""Fold transposes into the ``dot_general`` that reads them.

``dot_general(transpose(x, perm), y)`` is ``dot_general(x, y)`` with the operand's dims
renumbered through ``perm``, as long as its free dims keep their order (they order the
result). Attention's ``q.transpose(0, 2, 1, 3) @ ...`` then reads q in its (B, T, H, D)
layout, one strided matrix per (batch, head), instead of a transposed copy written by a
loop first. A transpose is folded only into a layout the gemm reads in place
(``core.gemm_layout``); the transposes left without readers go with dead-code elimination.
"""
from __future__ import annotations

from ..core import gemm_layout as gl
from ..core.ir import IR, Var


def _readable(dn, nl: int, nr: int) -> tuple[bool, bool]:
    (lc, rc), (lb, rb) = dn
    lc, rc = gl.contract_pairs(lc, rc)
    return (gl.in_place(nl, lb, gl.free_dims(nl, lc, lb), lc),
            gl.in_place(nr, rb, gl.free_dims(nr, rc, rb), rc))


def _fold(dn, side: int, perm, nl: int, nr: int):
    """The dimension numbers with operand ``side``'s dims read through ``perm``, or None."""
    (lc, rc), (lb, rb) = dn
    c, b = (lc, lb) if side == 0 else (rc, rb)
    nd = len(perm)
    free = [perm[i] for i in gl.free_dims(nd, c, b)]
    if free != sorted(free):
        return None
    c2, b2 = tuple(perm[i] for i in c), tuple(perm[i] for i in b)
    new = ((c2, rc), (b2, rb)) if side == 0 else ((lc, c2), (lb, b2))
    before, after = _readable(dn, nl, nr), _readable(new, nl, nr)
    if not after[side] or any(a < p for a, p in zip(after, before)):
        return None
    return new


def absorb_transposes(ir: IR) -> IR:
    """Every floating-point ``dot_general`` operand that is a transpose reads the transpose's
    input instead, when the gemm reads that layout in place."""
    defs = {id(v): e for e in ir.eqns for v in e.outputs}
    eqns, changed = [], False
    for e in ir.eqns:
        if e.prim.name == "dot_general" and e.outputs[0].aval.dtype.kind == "f":
            ins, dn = list(e.inputs), e.params["dimension_numbers"]
            for side in (0, 1):
                while True:
                    p = defs.get(id(ins[side])) if isinstance(ins[side], Var) else None
                    if p is None or p.prim.name != "transpose":
                        break
                    nl, nr = len(ins[0].aval.shape), len(ins[1].aval.shape)
                    new = _fold(dn, side, p.params["permutation"], nl, nr)
                    if new is None:
                        break
                    ins[side], dn = p.inputs[0], new
            if dn != e.params["dimension_numbers"]:
                e = e.replace(inputs=ins, params={**e.params, "dimension_numbers": dn})
                changed = True
        eqns.append(e)
    return IR(ir.invars, eqns, ir.outvars, ir.num_consts) if changed else ir
