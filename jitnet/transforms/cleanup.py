"""IR clean-up passes run after transforms: simplify, cse, dce (pure IR -> IR).

Autodiff and vmap emit multiplications by one, additions of zero, identity
reshapes and duplicated subexpressions; these passes remove them so the
backward pass costs what it should (about twice the forward for an MLP).
"""
from __future__ import annotations

import numpy as np

from ..core.ir import IR, Eqn, Literal, Var


# -- dead-code elimination ----------------------------------------------------------

def dce(ir: IR) -> IR:
    """Drop equations whose outputs are never used (all primitives are pure)."""
    live = {id(a) for a in ir.outvars if isinstance(a, Var)}
    kept = []
    for e in reversed(ir.eqns):
        if any(id(v) in live for v in e.outputs):
            kept.append(e)
            live.update(id(a) for a in e.inputs if isinstance(a, Var))
    if len(kept) == len(ir.eqns):
        return ir
    return IR(ir.invars, kept[::-1], ir.outvars, ir.num_consts)


# -- common-subexpression elimination ------------------------------------------------

def cse(ir: IR) -> IR:
    """Reuse the outputs of an earlier identical equation (same primitive, inputs, params)."""
    rename: dict[int, Var] = {}
    seen: dict = {}
    eqns = []
    changed = False

    def sub(a):
        return rename.get(id(a), a) if isinstance(a, Var) else a

    def key_of(a):
        return a.key() if isinstance(a, Literal) else id(a)

    for e in ir.eqns:
        ins = [sub(a) for a in e.inputs]
        try:
            key = (e.prim.name, tuple(key_of(a) for a in ins), e.params)
            hash(key)
        except TypeError:
            key = None
        prev = seen.get(key) if key is not None else None
        if prev is not None:
            for v, p in zip(e.outputs, prev.outputs):
                rename[id(v)] = p
            changed = True
            continue
        ne = e if all(a is b for a, b in zip(ins, e.inputs)) else e.replace(inputs=ins)
        if key is not None:
            seen[key] = ne
        eqns.append(ne)
    if not changed:
        return ir
    return IR(ir.invars, eqns, [sub(a) for a in ir.outvars], ir.num_consts)


# -- algebraic simplification ---------------------------------------------------------

def _const_value(a, defs):
    """The scalar value of a literal or of a broadcast literal, else None."""
    if isinstance(a, Literal):
        v = np.asarray(a.value)
        return v.item() if v.size == 1 else None
    e = defs.get(id(a))
    if e is not None and e.prim.name == "broadcast_in_dim" and isinstance(e.inputs[0], Literal):
        return _const_value(e.inputs[0], defs)
    return None


def _same_type(a, out) -> bool:
    return a.aval.shape == out.aval.shape and a.aval.dtype == out.aval.dtype


def _identity_of(e: Eqn, ins, defs):
    """An input equal to ``e``'s output, if ``e`` is an identity op, else None."""
    name, out = e.prim.name, e.outputs[0]
    p = e.params
    if name in ("add", "sub", "mul", "div") and len(ins) == 2:
        x, y = ins
        cy, cx = _const_value(y, defs), _const_value(x, defs)
        if name in ("add", "sub") and cy == 0 and _same_type(x, out):
            return x
        if name == "add" and cx == 0 and _same_type(y, out):
            return y
        if name in ("mul", "div") and cy == 1 and _same_type(x, out):
            return x
        if name == "mul" and cx == 1 and _same_type(y, out):
            return y
        return None
    if name in ("convert_element_type", "reshape", "broadcast_in_dim", "squeeze", "copy"):
        if _same_type(ins[0], out):
            return ins[0]
        if name == "reshape":  # reshape of a reshape back to the original shape
            d = defs.get(id(ins[0]))
            if d is not None and d.prim.name == "reshape" and _same_type(d.inputs[0], out):
                return d.inputs[0]
        return None
    if name == "transpose" and p["permutation"] == tuple(range(len(p["permutation"]))):
        return ins[0]
    if name in ("reduce_sum", "reduce_max", "reduce_min", "reduce_prod") and not p["axes"]:
        return ins[0]
    if name == "rev" and not p["dimensions"]:
        return ins[0]
    if name == "pad" and all(tuple(c) == (0, 0, 0) for c in p["padding_config"]):
        return ins[0]
    if name == "integer_pow" and p["y"] == 1:
        return ins[0]
    if name == "select_n" and all(_atom_eq(c, ins[1]) for c in ins[2:]) and _same_type(ins[1], out):
        return ins[1]
    if name == "neg":
        d = defs.get(id(ins[0]))
        if d is not None and d.prim.name == "neg":
            return d.inputs[0]
    return None


def _atom_eq(a, b) -> bool:
    if isinstance(a, Literal) and isinstance(b, Literal):
        return a.key() == b.key()
    return a is b


def simplify(ir: IR) -> IR:
    """Remove identity operations (x+0, x*1, same-type casts and reshapes, double negation...)."""
    rename: dict[int, object] = {}
    defs: dict[int, Eqn] = {}
    eqns = []
    changed = False

    def sub(a):
        return rename.get(id(a), a) if isinstance(a, Var) else a

    for e in ir.eqns:
        ins = [sub(a) for a in e.inputs]
        if not e.prim.multiple_results:
            same = _identity_of(e, ins, defs)
            if same is not None:
                rename[id(e.outputs[0])] = same
                changed = True
                continue
        ne = e if all(a is b for a, b in zip(ins, e.inputs)) else e.replace(inputs=ins)
        for v in ne.outputs:
            defs[id(v)] = ne
        eqns.append(ne)
    if not changed:
        return ir
    return IR(ir.invars, eqns, [sub(a) for a in ir.outvars], ir.num_consts)


def strip_stop_gradient(ir: IR) -> IR:
    """After differentiation, ``stop_gradient`` is the identity: remove it before compiling
    (never before AD, where it changes derivatives)."""
    if not any(e.prim.name == "stop_gradient" for e in ir.eqns):
        return ir
    rename: dict[int, object] = {}
    eqns = []
    for e in ir.eqns:
        ins = [rename.get(id(a), a) if isinstance(a, Var) else a for a in e.inputs]
        if e.prim.name == "stop_gradient":
            rename[id(e.outputs[0])] = ins[0]
            continue
        eqns.append(e if all(a is b for a, b in zip(ins, e.inputs)) else e.replace(inputs=ins))
    return IR(ir.invars, eqns, [rename.get(id(a), a) if isinstance(a, Var) else a
                                for a in ir.outvars], ir.num_consts)


PASSES = (simplify, cse, dce)


def cleanup(ir: IR, max_rounds: int = 4) -> IR:
    """Run the clean-up passes until nothing changes (or ``max_rounds``)."""
    for _ in range(max_rounds):
        before = ir
        for p in PASSES:
            ir = p(ir)
        if ir is before:
            return ir
    return ir
