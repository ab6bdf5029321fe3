"""Partial evaluation: split an IR into what can run now and what must wait.

``partial_eval(ir, unknowns)`` marks inputs as known/unknown and returns

* ``known_ir``:   known inputs  -> (known outputs, residuals)
* ``unknown_ir``: (residuals, unknown inputs) -> unknown outputs

Applied to a jvp IR with the tangents unknown, this is linearization: the known
side is the forward pass (saving residuals), the unknown side is the linear map
that ``transpose`` turns into the backward pass. Primitives with sub-programs
(``remat``, control flow) provide ``prim.partial_eval`` to split themselves.
"""
from __future__ import annotations

from typing import Sequence

from ..core.ir import IR, Eqn, Var


class PartialEvalResult:
    def __init__(self, known_ir: IR, unknown_ir: IR, out_unknowns: list[bool], num_res: int):
        self.known_ir = known_ir
        self.unknown_ir = unknown_ir
        self.out_unknowns = out_unknowns
        self.num_res = num_res


def partial_eval(ir: IR, unknowns: Sequence[bool],
                 instantiate: bool | Sequence[bool] = False) -> PartialEvalResult:
    """Split ``ir``; outputs marked in ``instantiate`` are forced onto the unknown side."""
    inst = [instantiate] * len(ir.outvars) if isinstance(instantiate, bool) else list(instantiate)
    unknown: set[int] = {id(v) for v, u in zip(ir.invars, unknowns) if u}
    known_eqns: list[Eqn] = []
    unknown_eqns: list[Eqn] = []
    for e in ir.eqns:
        ins_unknown = [isinstance(a, Var) and id(a) in unknown for a in e.inputs]
        if not any(ins_unknown):
            known_eqns.append(e)
            continue
        rule = getattr(e.prim, "partial_eval", None)
        if rule is None:
            unknown_eqns.append(e)
            unknown.update(id(v) for v in e.outputs)
            continue
        k_eqns, u_eqns, out_unk = rule(e, ins_unknown)
        known_eqns += k_eqns
        unknown_eqns += u_eqns
        unknown.update(id(v) for v, u in zip(e.outputs, out_unk) if u)

    def is_unknown(a):
        return isinstance(a, Var) and id(a) in unknown

    out_unknowns = [is_unknown(a) or i for a, i in zip(ir.outvars, inst)]
    # residuals: known values the unknown side reads (including forced-unknown outputs)
    known_defined = {id(v) for v in ir.invars if id(v) not in unknown}
    for e in known_eqns:
        known_defined.update(id(v) for v in e.outputs)
    residuals: list[Var] = []
    seen: set[int] = set()

    def need(a):
        if isinstance(a, Var) and id(a) in known_defined and id(a) not in seen:
            seen.add(id(a))
            residuals.append(a)

    for e in unknown_eqns:
        for a in e.inputs:
            need(a)
    for a, u in zip(ir.outvars, out_unknowns):
        if u:
            need(a)
    known_outs = [a for a, u in zip(ir.outvars, out_unknowns) if not u]
    known_ir = IR([v for v in ir.invars if id(v) not in unknown], known_eqns,
                  known_outs + residuals)
    # the unknown side gets fresh vars for residuals so both IRs are self-contained
    res_in = [Var(v.aval) for v in residuals]
    rename = {id(v): r for v, r in zip(residuals, res_in)}
    unknown_invars = res_in + [v for v in ir.invars if id(v) in unknown]
    u_eqns = [_rename(e, rename) for e in unknown_eqns]
    u_outs = [rename.get(id(a), a) if isinstance(a, Var) else a
              for a, u in zip(ir.outvars, out_unknowns) if u]
    unknown_ir = IR(unknown_invars, u_eqns, u_outs)
    return PartialEvalResult(known_ir, unknown_ir, out_unknowns, len(residuals))


def _rename(e: Eqn, rename: dict) -> Eqn:
    if not any(isinstance(a, Var) and id(a) in rename for a in e.inputs):
        return e
    return e.replace(inputs=[rename.get(id(a), a) if isinstance(a, Var) else a
                             for a in e.inputs])
