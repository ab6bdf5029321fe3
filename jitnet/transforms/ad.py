"""Reverse mode as a composition of IR rewrites: jvp -> partial_eval -> transpose.

``vjp_ir`` returns a forward IR (primal outputs plus the residuals the backward
pass needs) and a backward IR (residuals and output cotangents -> input
cotangents). ``linearize_ir`` stops after partial evaluation.
"""
from __future__ import annotations

from typing import Sequence

from ..core.ir import IR
from .cleanup import cleanup, dce
from .jvp import jvp_ir
from .partial_eval import partial_eval
from .transpose import transpose_ir


class VJP:
    """``fwd``: inputs -> (outs, residuals); ``bwd``: (residuals, cts of ``ct_outs``) -> grads."""

    def __init__(self, fwd: IR, bwd: IR, num_outs: int, num_res: int, ct_outs: list[int],
                 diff_in: list[bool]):
        self.fwd, self.bwd = fwd, bwd
        self.num_outs, self.num_res = num_outs, num_res
        self.ct_outs = ct_outs  # indices of outputs whose cotangent the backward pass reads
        self.diff_in = diff_in


def linearize_ir(ir: IR, diff_in: Sequence[bool], diff_out: Sequence[bool] | None = None):
    """(known IR: inputs -> outs + residuals, linear IR: residuals + tangents -> out tangents,
    indices of the outputs that have a tangent, number of residuals)."""
    nout = len(ir.outvars)
    diff_out = [True] * nout if diff_out is None else list(diff_out)
    jir, out_nz = jvp_ir(ir, diff_in, instantiate_out=False, name="linearize")
    tangent_idx = [i for i in range(nout) if out_nz[i]]
    kept = [k for k, i in enumerate(tangent_idx) if diff_out[i]]
    ct_outs = [tangent_idx[k] for k in kept]
    jir = dce(IR(jir.invars, jir.eqns, list(jir.outvars[:nout])
                 + [jir.outvars[nout + k] for k in kept]))
    n_in, k_in = len(ir.invars), sum(diff_in)
    pe = partial_eval(jir, [False] * n_in + [True] * k_in,
                      instantiate=[False] * nout + [True] * len(kept))
    assert not any(pe.out_unknowns[:nout]), "linearize: a primal output depends on a tangent"
    return cleanup(pe.known_ir), cleanup(pe.unknown_ir), ct_outs, pe.num_res


def vjp_ir(ir: IR, diff_in: Sequence[bool], diff_out: Sequence[bool] | None = None) -> VJP:
    known, linear, ct_outs, num_res = linearize_ir(ir, diff_in, diff_out)
    bwd = transpose_ir(linear, [False] * num_res + [True] * sum(diff_in), name="vjp")
    return VJP(known, cleanup(bwd), len(ir.outvars), num_res, ct_outs, list(diff_in))
