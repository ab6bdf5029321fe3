"""Forward mode: ``jvp_ir`` rewrites an IR into one that also computes tangents.

``jvp_ir(ir, nonzero)`` takes the IR of ``f(*xs)`` and returns the IR of
``(*xs, *ts) -> (*f(xs), *df(xs)[ts])`` where ``ts`` are tangents for the inputs
marked in ``nonzero``. Tangents known to be zero stay symbolic (``Zero``) and
cost nothing; output tangents that are zero are instantiated only if asked.
"""
from __future__ import annotations

from typing import Sequence

from ..core.dtypes import kind_of
from ..core.adtypes import Zero
from ..core.ir import IR, Literal
from ..prims.util import instantiate, tangent_aval
from ..trace.make_ir import literal_array, trace_to_ir
from ..trace.tracer import bind


def jvp_ir(ir: IR, nonzero: Sequence[bool], instantiate_out: bool | Sequence[bool] = True,
           name: str = "jvp") -> tuple[IR, list[bool]]:
    """IR of ``(primals, nonzero tangents) -> (outs, tangent outs)`` and which outs have tangents.

    When ``instantiate_out`` is False for an output whose tangent is zero, that
    tangent is omitted from the IR's outputs and reported as False.
    """
    n = len(ir.invars)
    inst = ([instantiate_out] * len(ir.outvars) if isinstance(instantiate_out, bool)
            else list(instantiate_out))
    t_avals = [tangent_aval(v.aval) for v, nz in zip(ir.invars, nonzero) if nz]
    out_nonzero: list[bool] = []

    def fun(*args):
        primals = list(args[:n])
        it = iter(args[n:])
        tangents = [next(it) if nz else Zero(tangent_aval(v.aval))
                    for v, nz in zip(ir.invars, nonzero)]
        outs, touts = jvp_eval(ir, primals, tangents)
        keep = []
        for t, i in zip(touts, inst):
            if type(t) is Zero and not i:
                out_nonzero.append(False)
            else:
                out_nonzero.append(True)
                keep.append(instantiate(t))
        return list(outs) + keep

    out_ir, consts = trace_to_ir(fun, [v.aval for v in ir.invars] + t_avals,
                                 transform=name, name=name)
    assert not consts, "jvp_ir: the input IR must be closed (consts as leading invars)"
    return out_ir, out_nonzero


def jvp_eval(ir: IR, primals: Sequence, tangents: Sequence):
    """Evaluate ``ir`` on primals and tangents (tangents may be ``Zero``); returns both outs."""
    penv: dict[int, object] = {}
    tenv: dict[int, object] = {}
    for v, p, t in zip(ir.invars, primals, tangents, strict=True):
        penv[id(v)] = p
        tenv[id(v)] = t if kind_of(v.aval.dtype) in "fc" else Zero(tangent_aval(v.aval))

    def read(a):
        if isinstance(a, Literal):
            return literal_array(a), Zero(tangent_aval(a.aval))
        return penv[id(a)], tenv[id(a)]

    for e in ir.eqns:
        ps, ts = zip(*[read(a) for a in e.inputs]) if e.inputs else ((), ())
        if all(type(t) is Zero for t in ts):
            out = bind(e.prim, *ps, **e.params)
            outs = out if e.prim.multiple_results else [out]
            touts = [Zero(tangent_aval(v.aval)) for v in e.outputs]
        else:
            out, tout = e.prim.rule("jvp")(list(ps), list(ts), **e.params)
            outs = out if e.prim.multiple_results else [out]
            touts = tout if e.prim.multiple_results else [tout]
        for v, o, t in zip(e.outputs, outs, touts):
            penv[id(v)] = o
            tenv[id(v)] = t if kind_of(v.aval.dtype) in "fc" else Zero(tangent_aval(v.aval))
    return zip(*[read(a) for a in ir.outvars]) if ir.outvars else ((), ())
