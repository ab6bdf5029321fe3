"""A sum over batch dims of a batched matrix product is one product contracting them.

``reduce_sum(dot_general(a, b, batch=(0, 0)), axes=(0,))`` computes a stack of products and
adds them up; ``dot_general`` contracting the batch dims as well gives the same sum in one
gemm with a longer K. ``hoist_scan_accumulators`` makes exactly this out of a weight
gradient accumulated over a scan's steps (``sum_t x_t^T d_t`` becomes ``X^T D`` over all
T*B rows). The product's result must have no other reader (it is otherwise still needed).
"""
from __future__ import annotations

from ..core.ir import IR, Var


def use_counts(ir: IR) -> dict:
    """Id of each variable -> how many times the equations and outputs of ``ir`` read it."""
    uses: dict[int, int] = {}
    for a in [a for e in ir.eqns for a in e.inputs] + list(ir.outvars):
        if isinstance(a, Var):
            uses[id(a)] = uses.get(id(a), 0) + 1
    return uses


def _contracted(dot, axes):
    """``dot``'s dimension numbers with its batch dims ``axes`` (result positions)
    contracted too, or None when an axis is not a batch dim."""
    (lc, rc), (lb, rb) = dot.params["dimension_numbers"]
    if not axes or any(a >= len(lb) for a in axes):
        return None
    pairs = sorted(list(zip(lc, rc)) + [(lb[a], rb[a]) for a in axes])
    keep = [i for i in range(len(lb)) if i not in axes]
    return ((tuple(p[0] for p in pairs), tuple(p[1] for p in pairs)),
            (tuple(lb[i] for i in keep), tuple(rb[i] for i in keep)))


def contract_summed_batch(ir: IR) -> IR:
    """Each ``reduce_sum`` over batch dims of a ``dot_general`` read by nothing else becomes
    that product contracting those dims (the unread product goes with dead-code
    elimination)."""
    uses = use_counts(ir)
    defs = {id(v): e for e in ir.eqns for v in e.outputs}
    eqns, changed = [], False
    for e in ir.eqns:
        src = defs.get(id(e.inputs[0])) if e.prim.name == "reduce_sum" else None
        if src is not None and src.prim.name == "dot_general" and uses[id(e.inputs[0])] == 1:
            dn = _contracted(src, e.params["axes"])
            if dn is not None:
                e = src.replace(outputs=e.outputs,
                                params={**src.params, "dimension_numbers": dn})
                changed = True
        eqns.append(e)
    return IR(ir.invars, eqns, ir.outvars, ir.num_consts) if changed else ir
