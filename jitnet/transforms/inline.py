"""``inline_calls``: splice sub-IR equations (nested jit, remat, custom rules) into the caller.

User primitives lowered by a jitnet function (``mlir.lower_fun``, ``jitnet.extend``) are
replaced here by that function's traced program.

Run before compilation: the backend then sees one flat program. A ``remat`` block
is inlined too; its recomputed values stay separate because CSE is not run after
inlining.
"""
from __future__ import annotations

from ..core.ir import IR, Eqn, Var

# primitive name -> the param holding its sub-IR (which takes all the operands)
INLINABLE = {"jit_call": "ir", "remat": "ir", "custom_jvp_call": "fun_ir",
             "custom_vjp_call": "fun_ir"}


def _body(e: Eqn) -> IR | None:
    key = INLINABLE.get(e.prim.name)
    if key is not None:
        return e.params[key]
    expand = e.prim.lowering.get("expand")
    if expand is None:
        return None
    from ..trace.make_ir import trace_to_ir

    def flat(*xs):
        out = expand(*xs, **e.params)
        return list(out) if e.prim.multiple_results else [out]
    body, consts = trace_to_ir(flat, [a.aval for a in e.inputs], transform="lower_fun",
                               name=e.prim.name)
    if consts:
        raise NotImplementedError(f"{e.prim.name}: the function given to mlir.lower_fun "
                                  f"captures arrays from its closure; pass them as operands")
    return body


def inline_calls(ir: IR) -> IR:
    if not any(e.prim.name in INLINABLE or "expand" in e.prim.lowering for e in ir.eqns):
        return ir
    eqns: list[Eqn] = []
    rename: dict[int, object] = {}

    def sub(a):
        return rename.get(id(a), a) if isinstance(a, Var) else a

    for e in ir.eqns:
        ins = [sub(a) for a in e.inputs]
        body = _body(e)
        if body is None:
            eqns.append(e if all(a is b for a, b in zip(ins, e.inputs)) else e.replace(inputs=ins))
            continue
        body = inline_calls(body)
        env: dict[int, object] = {id(v): a for v, a in zip(body.invars, ins)}
        for be in body.eqns:
            b_ins = [env.get(id(a), a) if isinstance(a, Var) else a for a in be.inputs]
            outs = [Var(v.aval) for v in be.outputs]
            for v, o in zip(be.outputs, outs):
                env[id(v)] = o
            eqns.append(be.replace(inputs=b_ins, outputs=outs))
        for v, a in zip(e.outputs, body.outvars):
            rename[id(v)] = env.get(id(a), a) if isinstance(a, Var) else a
    outvars = [sub(a) for a in ir.outvars]
    return IR(ir.invars, eqns, outvars, ir.num_consts)



