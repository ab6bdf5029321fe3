"""``jit_call``: a jitted function called inside a trace, kept as one equation with a sub-IR.

Its rules transform the sub-IR and wrap the result in a new ``jit_call``, so
``grad(jit(f))`` and ``vmap(jit(f))`` still run compiled code. Eagerly (no
trace) its impl compiles the sub-IR (cached by structure) and runs it.
"""
from __future__ import annotations

from ..core.adtypes import Zero, is_undefined
from ..core.ir import Eqn, Var
from ..core.primitive import OP, Primitive
from ..prims.util import instantiate
from ..trace.tracer import bind
from ..transforms.cleanup import cleanup
from ..transforms.jvp import jvp_ir
from ..transforms.partial_eval import partial_eval
from ..transforms.transpose import transpose_ir
from ..transforms.vmap import batch_ir

jit_call_p = Primitive("jit_call", multiple_results=True, kind=OP)
jit_call_p.shape_rule = lambda *avals, ir, name, backend: list(ir.out_avals)


def _impl(*vals, ir, name, backend):
    from .compile import compile_ir
    return compile_ir(ir, backend)(*vals)


def _jvp(primals, tangents, *, ir, name, backend):
    nz = [type(t) is not Zero for t in tangents]
    jir, _ = jvp_ir(ir, nz, instantiate_out=True, name="jvp")
    outs = bind(jit_call_p, *primals, *[t for t in tangents if type(t) is not Zero],
                ir=cleanup(jir), name=f"jvp({name})", backend=backend)
    n = len(ir.outvars)
    return outs[:n], outs[n:]


def _batch(args, dims, *, ir, name, backend):
    size = next(a.shape[d] for a, d in zip(args, dims) if d is not None)
    bir, out_dims = batch_ir(ir, dims, size)
    return bind(jit_call_p, *args, ir=cleanup(bir), name=f"vmap({name})",
                backend=backend), out_dims


def _partial_eval(eqn: Eqn, ins_unknown):
    """Known side computes the known outputs and the residuals; unknown side uses them."""
    p = eqn.params
    pe = partial_eval(p["ir"], ins_unknown)
    known_ins = [a for a, u in zip(eqn.inputs, ins_unknown) if not u]
    known_outs = [v for v, u in zip(eqn.outputs, pe.out_unknowns) if not u]
    residuals = [Var(v.aval) for v in pe.known_ir.outvars[len(known_outs):]]
    k = Eqn(jit_call_p, known_ins, known_outs + residuals,
            dict(ir=cleanup(pe.known_ir), name=p["name"], backend=p["backend"]), eqn.source)
    u_ins = residuals + [a for a, u in zip(eqn.inputs, ins_unknown) if u]
    u_outs = [v for v, u in zip(eqn.outputs, pe.out_unknowns) if u]
    u = Eqn(jit_call_p, u_ins, u_outs,
            dict(ir=cleanup(pe.unknown_ir), name=p["name"], backend=p["backend"]), eqn.source)
    return [k], [u], pe.out_unknowns


def _transpose(cts, *args, ir, name, backend):
    linear = [is_undefined(a) for a in args]
    consts = [a for a in args if not is_undefined(a)]
    t_ir = cleanup(transpose_ir(ir, linear, name="transpose"))
    outs = iter(bind(jit_call_p, *consts, *[instantiate(c) for c in cts], ir=t_ir,
                     name=f"transpose({name})", backend=backend))
    return [next(outs) if lin else None for lin in linear]


jit_call_p.impl = _impl
jit_call_p.jvp = _jvp
jit_call_p.batch = _batch
jit_call_p.partial_eval = _partial_eval
jit_call_p.transpose = _transpose
