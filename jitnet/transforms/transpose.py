"""Transposition of linear IR: the backward pass of reverse-mode autodiff.

``transpose_ir(ir, linear)`` takes an IR that is linear in the inputs marked
``linear`` (the others are constants such as saved residuals) and returns the
IR of ``(*constants, *output_cotangents) -> input cotangents``. Equations that
read only constants are evaluated forward first; the linear ones are then
walked in reverse, each primitive's ``transpose`` rule mapping output
cotangents to input cotangents, which accumulate by addition.
"""
from __future__ import annotations

from typing import Sequence

from ..core.adtypes import UndefinedPrimal, Zero
from ..core.ir import IR, Literal, Var
from ..prims import elementwise as ew
from ..prims.util import instantiate, tangent_aval
from ..trace.make_ir import literal_array, trace_to_ir
from ..trace.tracer import bind


def transpose_ir(ir: IR, linear: Sequence[bool], name: str = "transpose") -> IR:
    consts_avals = [v.aval for v, lin in zip(ir.invars, linear) if not lin]
    ct_avals = [tangent_aval(a.aval) for a in ir.outvars]

    def fun(*args):
        consts = args[:len(consts_avals)]
        cts = args[len(consts_avals):]
        return backward_pass(ir, linear, consts, cts)

    out, leaked = trace_to_ir(fun, consts_avals + ct_avals, transform=name, name=name)
    assert not leaked, "transpose_ir: the input IR must be closed"
    return out


def add_cts(a, b):
    if type(a) is Zero:
        return b
    if type(b) is Zero:
        return a
    return ew.add(a, b)


def backward_pass(ir: IR, linear: Sequence[bool], consts: Sequence, cts: Sequence) -> list:
    """Cotangents of the linear inputs (zeros instantiated), given output cotangents."""
    lin_vars = {id(v) for v, lin in zip(ir.invars, linear) if lin}
    env: dict[int, object] = {}
    it = iter(consts)
    for v, lin in zip(ir.invars, linear):
        if not lin:
            env[id(v)] = next(it)

    def read(a):
        return literal_array(a) if isinstance(a, Literal) else env[id(a)]

    # forward: everything that does not depend on a linear input
    linear_eqns = []
    for e in ir.eqns:
        if any(isinstance(a, Var) and id(a) in lin_vars for a in e.inputs):
            lin_vars.update(id(v) for v in e.outputs)
            linear_eqns.append(e)
        else:
            out = bind(e.prim, *[read(a) for a in e.inputs], **e.params)
            outs = out if e.prim.multiple_results else [out]
            for v, o in zip(e.outputs, outs):
                env[id(v)] = o
    # backward
    ct_env: dict[int, object] = {}

    def write_ct(v, ct):
        if isinstance(v, Var) and id(v) in lin_vars and ct is not None:
            ct_env[id(v)] = add_cts(ct_env.get(id(v), Zero(tangent_aval(v.aval))), ct)

    for a, ct in zip(ir.outvars, cts):
        write_ct(a, ct)
    for e in reversed(linear_eqns):
        outs_ct = [ct_env.pop(id(v), Zero(tangent_aval(v.aval))) for v in e.outputs]
        if all(type(c) is Zero for c in outs_ct):
            continue
        args = [UndefinedPrimal(a.aval) if isinstance(a, Var) and id(a) in lin_vars
                else read(a) for a in e.inputs]
        ct_arg = outs_ct if e.prim.multiple_results else outs_ct[0]
        in_cts = e.prim.rule("transpose")(ct_arg, *args, **e.params)
        for a, c in zip(e.inputs, in_cts):
            write_ct(a, c)
    return [instantiate(ct_env.get(id(v), Zero(tangent_aval(v.aval))))
            for v, lin in zip(ir.invars, linear) if lin]
