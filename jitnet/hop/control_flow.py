"""Control-flow primitives: ``cond``, ``while`` and ``scan``, each carrying its bodies as IRs.

Bodies are traced once into closed sub-IRs (values captured from closures are explicit
leading operands), so a loop's size in the IR does not grow with its trip count. Every rule
transforms the sub-IRs with the ordinary IR transforms and binds the primitive again:

* ``cond(index, *ops, branches)``: run ``branches[clamp(index)]`` on ``ops``.
* ``while(*cond_consts, *body_consts, *init, cond_ir, body_ir, cond_nconsts, body_nconsts)``.
* ``scan(*consts, *init, *xs, body, length, reverse, num_consts, num_carry, unroll)``: the
  body maps ``(consts, carry, x) -> (carry, y)``; outputs are the final carry and stacked ys.

Which carries have a tangent, are batched or are unknown is found by iterating to a fixed
point: a carry that the body makes nonzero / batched / unknown must be so from the start.
"""
from __future__ import annotations

from typing import Callable

import numpy as np

from ..core.adtypes import Zero, is_undefined
from ..core.ir import IR, Eqn, Var, split
from ..core.primitive import OP, Primitive
from ..core.source_info import user_line
from ..prims import elementwise as ew
from ..prims import reduce as red
from ..prims import shape as sh
from ..prims.util import (batch_size, bdim_to_front, broadcast_batch, instantiate, moveaxis,
                          tangent_aval, zeros_of)
from ..trace.array import ArrayImpl
from ..trace.make_ir import eval_ir, trace_to_ir
from ..trace.tracer import bind
from ..transforms.cleanup import cleanup, dce
from ..transforms.jvp import jvp_ir
from ..transforms.partial_eval import partial_eval
from ..transforms.transpose import add_cts, backward_pass, transpose_ir
from ..transforms.vmap import batch_ir

cond_p = Primitive("cond", multiple_results=True, kind=OP)
while_p = Primitive("while", multiple_results=True, kind=OP)
scan_p = Primitive("scan", multiple_results=True, kind=OP)


# -- helpers -------------------------------------------------------------------------------

def typematch(a, b) -> bool:
    """Same shape and dtype (weak types may differ: they only steer promotion)."""
    return tuple(a.shape) == tuple(b.shape) and a.dtype == b.dtype


def type_str(a) -> str:
    return f"{a.dtype.name}[{','.join(map(str, a.shape))}]"


def fixpoint(step: Callable[[list], list], flags: list) -> list:
    """Grow ``flags`` by ``step(flags)`` (element-wise or) until nothing changes."""
    flags = list(flags)
    while True:
        new = [a or b for a, b in zip(flags, step(flags))]
        if new == flags:
            return flags
        flags = new


def dims_of(flags) -> list:
    return [0 if f else None for f in flags]


def trace_closed(fun: Callable, avals, name: str) -> IR:
    """Trace a rule's helper function into a closed IR (it must capture nothing)."""
    ir, consts = trace_to_ir(fun, list(avals), transform=name, name=name)
    assert not consts, f"{name}: the helper captured values"
    return cleanup(ir)


def run_ir(ir: IR, vals) -> list:
    """Eager impl of a sub-IR: NumPy values in, NumPy values out."""
    return [np.asarray(o) for o in eval_ir(ir, [ArrayImpl(np.asarray(v)) for v in vals])]


def with_invars(ir: IR, invars) -> IR:
    return IR(invars, ir.eqns, ir.outvars)


def avals_of(xs) -> list:
    return [x.aval if hasattr(x, "aval") else ArrayImpl(np.asarray(x)).aval for x in xs]


def _check_operands(what: str, expected, got):
    if len(expected) != len(got):
        raise TypeError(f"{what}: expected {len(expected)} operands, got {len(got)}")
    for i, (e, g) in enumerate(zip(expected, got)):
        if not typematch(e, g):
            raise TypeError(f"{what}: operand {i} has type {type_str(g)} but the body expects "
                            f"{type_str(e)}{user_line()}")


# -- cond ----------------------------------------------------------------------------------

def _cond_shape(index, *avals, branches):
    if index.shape != () or index.dtype != np.int32:
        raise TypeError(f"cond: the branch index must be an int32 scalar, got "
                        f"{type_str(index)}{user_line()}")
    for b in branches:
        _check_operands("cond", b.in_avals, avals)
    outs = branches[0].out_avals
    for b in branches[1:]:
        if len(b.outvars) != len(outs) or not all(map(typematch, b.out_avals, outs)):
            raise TypeError("cond: branches must have equal output types")
    return [a.update(weak_type=all(b.out_avals[i].weak_type for b in branches))
            for i, a in enumerate(outs)]


def _cond_impl(index, *vals, branches):
    return run_ir(branches[int(np.clip(index, 0, len(branches) - 1))], vals)


def _cond_jvp(primals, tangents, *, branches):
    index, ops = primals[0], primals[1:]
    nz = [type(t) is not Zero for t in tangents[1:]]
    out_nz = [False] * len(branches[0].outvars)
    for b in branches:
        out_nz = [a or c for a, c in zip(out_nz, jvp_ir(b, nz, instantiate_out=False)[1])]
    jbranches = tuple(cleanup(jvp_ir(b, nz, instantiate_out=out_nz)[0]) for b in branches)
    outs = bind(cond_p, index, *ops, *[t for t in tangents[1:] if type(t) is not Zero],
                branches=jbranches)
    n = len(out_nz)
    it = iter(outs[n:])
    touts = [next(it) if z else Zero(tangent_aval(a))
             for z, a in zip(out_nz, branches[0].out_avals)]
    return outs[:n], touts


def _cond_batch(args, dims, *, branches):
    size = batch_size(args, dims)
    index, ops = args[0], list(args[1:])
    idim, odims = dims[0], list(dims[1:])
    nout = len(branches[0].outvars)
    if idim is None:
        out_b = [False] * nout
        for b in branches:
            out_b = [x or d is not None for x, d in zip(out_b, batch_ir(b, odims, size)[1])]
        target = dims_of(out_b)
        bbranches = tuple(cleanup(batch_ir(b, odims, size, target)[0]) for b in branches)
        return bind(cond_p, index, *ops, branches=bbranches), target
    # a batched index: every branch runs on every lane, then each lane selects its result
    index = ew.clamp(np.int32(0), bdim_to_front(index, idim), np.int32(len(branches) - 1))
    results = [eval_ir(cleanup(batch_ir(b, odims, size, [0] * nout)[0]), ops) for b in branches]
    outs = []
    for k in range(nout):
        shape = tuple(results[0][k].shape)
        which = sh.broadcast_in_dim(index, shape, (0,))
        outs.append(ew.select_n(which, *[r[k] for r in results]))
    return outs, [0] * nout


def _cond_partial_eval(eqn: Eqn, ins_unknown):
    """Known cond: known outputs plus every branch's residuals (zeros from the other
    branches); unknown cond: the same index picks the branch consuming its residuals."""
    branches = eqn.params["branches"]
    nout = len(eqn.outputs)
    if ins_unknown[0]:
        return [], [eqn], [True] * nout
    unk = list(ins_unknown[1:])
    out_unk = [False] * nout
    for b in branches:
        out_unk = [a or c for a, c in zip(out_unk, partial_eval(b, unk).out_unknowns)]
    pes = [partial_eval(b, unk, instantiate=out_unk) for b in branches]
    n_known = nout - sum(out_unk)
    res_avals = [[v.aval for v in pe.known_ir.outvars[n_known:]] if any(out_unk) else []
                 for pe in pes]
    all_res = [a for r in res_avals for a in r]
    known_in_avals = [a.aval for a, u in zip(eqn.inputs[1:], unk) if not u]
    unknown_in_avals = [a.aval for a, u in zip(eqn.inputs[1:], unk) if u]

    def known_branch(i, pe):
        def fun(*ins):
            outs = eval_ir(pe.known_ir, ins)
            res = []
            for j, avals in enumerate(res_avals):
                res += outs[n_known:] if j == i else [zeros_of(a) for a in avals]
            return outs[:n_known] + res
        return trace_closed(fun, known_in_avals, "cond_known")

    def unknown_branch(i, pe):
        start = sum(len(r) for r in res_avals[:i])

        def fun(*ins):
            own = list(ins[start:start + len(res_avals[i])])
            return eval_ir(pe.unknown_ir, own + list(ins[len(all_res):]))
        return trace_closed(fun, all_res + unknown_in_avals, "cond_unknown")

    index = eqn.inputs[0]
    res_vars = [Var(a) for a in all_res]
    known_outs = [v for v, u in zip(eqn.outputs, out_unk) if not u]
    k_eqns = []
    if known_outs or res_vars:
        k_eqns.append(Eqn(cond_p, [index] + [a for a, u in zip(eqn.inputs[1:], unk) if not u],
                          known_outs + res_vars,
                          dict(branches=tuple(known_branch(i, pe) for i, pe in enumerate(pes))),
                          eqn.source))
    if not any(out_unk):
        return k_eqns, [], out_unk
    u_eqn = Eqn(cond_p, [index] + res_vars + [a for a, u in zip(eqn.inputs[1:], unk) if u],
                [v for v, u in zip(eqn.outputs, out_unk) if u],
                dict(branches=tuple(unknown_branch(i, pe) for i, pe in enumerate(pes))),
                eqn.source)
    return k_eqns, [u_eqn], out_unk


def _cond_transpose(cts, index, *args, branches):
    if is_undefined(index):
        raise NotImplementedError("cond: transpose with respect to the branch index")
    linear = [is_undefined(a) for a in args]
    consts = [a for a in args if not is_undefined(a)]
    tbranches = tuple(cleanup(transpose_ir(b, linear, name="cond_transpose")) for b in branches)
    outs = iter(bind(cond_p, index, *consts, *[instantiate(c) for c in cts], branches=tbranches))
    return [None] + [next(outs) if lin else None for lin in linear]


cond_p.shape_rule = _cond_shape
cond_p.impl = _cond_impl
cond_p.jvp = _cond_jvp
cond_p.batch = _cond_batch
cond_p.partial_eval = _cond_partial_eval
cond_p.transpose = _cond_transpose


# -- while ---------------------------------------------------------------------------------

def _while_split(seq, cond_nconsts, body_nconsts):
    return split(seq, cond_nconsts, body_nconsts)


def _while_shape(*avals, cond_ir, body_ir, cond_nconsts, body_nconsts):
    cc, bc, init = _while_split(avals, cond_nconsts, body_nconsts)
    _check_operands("while_loop cond", cond_ir.in_avals, cc + init)
    _check_operands("while_loop body", body_ir.in_avals, bc + init)
    pred = cond_ir.out_avals
    if len(pred) != 1 or pred[0].shape != () or pred[0].dtype != np.bool_:
        raise TypeError(f"while_loop: cond must return a boolean scalar, got "
                        f"{[type_str(a) for a in pred]}")
    if not all(map(typematch, body_ir.out_avals, init)):
        raise TypeError("while_loop: body output types differ from the carry types")
    return list(init)


def _while_impl(*vals, cond_ir, body_ir, cond_nconsts, body_nconsts):
    cc, bc, carry = _while_split([ArrayImpl(np.asarray(v)) for v in vals], cond_nconsts,
                                 body_nconsts)
    while bool(np.asarray(eval_ir(cond_ir, cc + carry)[0])):
        carry = eval_ir(body_ir, bc + carry)
    return [np.asarray(c) for c in carry]


def _while_jvp(primals, tangents, *, cond_ir, body_ir, cond_nconsts, body_nconsts):
    cc, bc, init = _while_split(primals, cond_nconsts, body_nconsts)
    _, bct, initt = _while_split(tangents, cond_nconsts, body_nconsts)
    bc_nz = [type(t) is not Zero for t in bct]
    carry_nz = fixpoint(lambda c: jvp_ir(body_ir, bc_nz + c, instantiate_out=False)[1],
                        [type(t) is not Zero for t in initt])
    jir, _ = jvp_ir(body_ir, bc_nz + carry_nz, instantiate_out=carry_nz)
    # jvp layout (bc, carry, bc_t, carry_t) -> while layout (bc, bc_t, carry, carry_t)
    p_bc, p_c, t_bc, t_c = split(jir.invars, len(bc), len(init), sum(bc_nz))
    body = cleanup(with_invars(jir, p_bc + t_bc + p_c + t_c))
    cond = with_invars(cond_ir, list(cond_ir.invars)
                       + [Var(tangent_aval(v.aval)) for v, z in
                          zip(cond_ir.invars[cond_nconsts:], carry_nz) if z])
    init_t = [instantiate(t) for t, z in zip(initt, carry_nz) if z]
    outs = bind(while_p, *cc, *bc, *[t for t in bct if type(t) is not Zero], *init, *init_t,
                cond_ir=cond, body_ir=body, cond_nconsts=cond_nconsts,
                body_nconsts=len(bc) + sum(bc_nz))
    n = len(init)
    it = iter(outs[n:])
    return outs[:n], [next(it) if z else Zero(tangent_aval(v.aval))
                      for z, v in zip(carry_nz, body_ir.outvars)]


def _while_batch(args, dims, *, cond_ir, body_ir, cond_nconsts, body_nconsts):
    size = batch_size(args, dims)
    cc, bc, init = _while_split(args, cond_nconsts, body_nconsts)
    ccd, bcd, initd = _while_split(dims, cond_nconsts, body_nconsts)
    n = len(init)
    carry_b = fixpoint(lambda cb: [d is not None for d in batch_ir(body_ir, bcd + dims_of(cb),
                                                                   size)[1]],
                       [d is not None for d in initd])
    pred_b = batch_ir(cond_ir, ccd + dims_of(carry_b), size)[1][0] is not None
    if pred_b:  # finished lanes keep their carry: every carry differs across lanes
        carry_b = [True] * n
    cdims = dims_of(carry_b)
    init = [broadcast_batch(x, d, size) if b else x for x, d, b in zip(init, initd, carry_b)]
    bbody = cleanup(batch_ir(body_ir, bcd + cdims, size, cdims)[0])
    bcond = cleanup(batch_ir(cond_ir, ccd + cdims, size, dims_of([pred_b]))[0])
    if not pred_b:
        return bind(while_p, *cc, *bc, *init, cond_ir=bcond, body_ir=bbody,
                    cond_nconsts=cond_nconsts, body_nconsts=body_nconsts), cdims
    return _masked_while(cc, bc, init, bcond, bbody), cdims


def _masked_while(cc, bc, init, bcond, bbody):
    """A while over lanes with their own predicates: loop while any lane is running; the
    body recomputes each lane's predicate and keeps the old carry of finished lanes."""
    nc = len(cc)
    cond = trace_closed(lambda *a: [red.reduce_or(eval_ir(bcond, a)[0], (0,))],
                        bcond.in_avals, "while_any")

    def body(*a):
        cca, bca, carry = split(a, nc, len(bc))
        pred = eval_ir(bcond, cca + carry)[0]
        new = eval_ir(bbody, bca + carry)
        return [ew.select_n(sh.broadcast_in_dim(pred, tuple(x.shape), (0,)), x, y)
                for x, y in zip(carry, new)]

    tbody = trace_closed(body, avals_of(cc) + avals_of(bc) + avals_of(init), "while_masked")
    return bind(while_p, *cc, *cc, *bc, *init, cond_ir=cond, body_ir=tbody, cond_nconsts=nc,
                body_nconsts=nc + len(bc))


def _while_partial_eval(eqn: Eqn, ins_unknown):
    """Known side: the loop over the known carries only. Unknown side: the whole loop again
    (forward mode works through it; transposing it is the reverse-mode error)."""
    p = eqn.params
    cond_ir, body_ir = p["cond_ir"], p["body_ir"]
    ccu, bcu, initu = _while_split(ins_unknown, p["cond_nconsts"], p["body_nconsts"])
    n = len(initu)
    carry_u = fixpoint(lambda cu: partial_eval(body_ir, bcu + cu).out_unknowns, initu)
    cond_pe = partial_eval(cond_ir, ccu + carry_u)
    if cond_pe.out_unknowns[0]:
        return [], [eqn], [True] * n
    body_pe = partial_eval(body_ir, bcu + carry_u, instantiate=carry_u)
    nk = n - sum(carry_u)
    kbody = dce(IR(body_pe.known_ir.invars, body_pe.known_ir.eqns,
                   body_pe.known_ir.outvars[:nk]))
    kcond = dce(IR(cond_pe.known_ir.invars, cond_pe.known_ir.eqns,
                   cond_pe.known_ir.outvars[:1]))
    cc, bc, init = _while_split(eqn.inputs, p["cond_nconsts"], p["body_nconsts"])

    def known(xs, us):
        return [x for x, u in zip(xs, us) if not u]

    k_eqn = Eqn(while_p, known(cc, ccu) + known(bc, bcu) + known(init, carry_u),
                known(eqn.outputs, carry_u),
                dict(cond_ir=kcond, body_ir=kbody, cond_nconsts=len(known(cc, ccu)),
                     body_nconsts=len(known(bc, bcu))), eqn.source)
    if not any(carry_u):
        return [k_eqn], [], carry_u
    u_outs = [v if u else Var(v.aval) for v, u in zip(eqn.outputs, carry_u)]
    return [k_eqn], [eqn.replace(outputs=u_outs)], carry_u


def _while_transpose(cts, *args, **params):
    raise ValueError("Reverse-mode differentiation does not work for lax.while_loop or "
                     "lax.fori_loop with dynamic start/stop values. Try using lax.scan, or "
                     "using fori_loop with static start/stop." + user_line())


while_p.shape_rule = _while_shape
while_p.impl = _while_impl
while_p.jvp = _while_jvp
while_p.batch = _while_batch
while_p.partial_eval = _while_partial_eval
while_p.transpose = _while_transpose


# -- scan ----------------------------------------------------------------------------------

def _scan_shape(*avals, body, length, reverse, num_consts, num_carry, unroll):
    consts, init, xs = split(avals, num_consts, num_carry)
    b_consts, b_carry, b_xs = split(body.in_avals, num_consts, num_carry)
    _check_operands("scan consts", b_consts, consts)
    _check_operands("scan carry", b_carry, init)
    _check_operands("scan xs", [a.update(shape=(length,) + a.shape) for a in b_xs], xs)
    c_out, ys = split(body.out_avals, num_carry)
    if not all(map(typematch, c_out, init)):
        raise TypeError("scan: body carry output types differ from the carry types")
    return list(init) + [a.update(shape=(length,) + a.shape) for a in ys]


def _scan_impl(*vals, body, length, reverse, num_consts, num_carry, unroll):
    consts, carry, xs = split([ArrayImpl(np.asarray(v)) for v in vals], num_consts, num_carry)
    ys = [np.empty((length,) + a.shape, a.dtype) for a in body.out_avals[num_carry:]]
    for t in range(length):
        i = length - 1 - t if reverse else t
        outs = eval_ir(body, consts + carry + [ArrayImpl(np.asarray(x._value[i])) for x in xs])
        carry = outs[:num_carry]
        for y, o in zip(ys, outs[num_carry:]):
            y[i] = np.asarray(o)
    return [np.asarray(c) for c in carry] + ys


def _scan_params(p, **changes):
    d = dict(length=p["length"], reverse=p["reverse"], num_consts=p["num_consts"],
             num_carry=p["num_carry"], unroll=p["unroll"], body=p["body"])
    d.update(changes)
    return d


def _scan_jvp(primals, tangents, **p):
    body, nc, nk = p["body"], p["num_consts"], p["num_carry"]
    nz = [type(t) is not Zero for t in tangents]
    c_nz, i_nz, x_nz = split(nz, nc, nk)
    carry_nz = fixpoint(lambda c: jvp_ir(body, c_nz + c + x_nz, instantiate_out=False)[1][:nk],
                        i_nz)
    ny = len(body.outvars) - nk
    jir, out_nz = jvp_ir(body, c_nz + carry_nz + x_nz, instantiate_out=carry_nz + [False] * ny)
    y_nz = out_nz[nk:]
    # jvp layout (c, carry, x, c_t, carry_t, x_t) -> scan layout (c, c_t, carry, carry_t, x, x_t)
    pc, pk, px, tc, tk, tx = split(jir.invars, nc, nk, len(body.invars) - nc - nk, sum(c_nz),
                                   sum(carry_nz))
    ok, oy, otk, oty = split(jir.outvars, nk, ny, sum(carry_nz))
    jbody = cleanup(IR(pc + tc + pk + tk + px + tx, jir.eqns, ok + otk + oy + oty))
    consts, init, xs = split(primals, nc, nk)
    ct, it, xt = split(tangents, nc, nk)
    init_t = [instantiate(t) for t, z in zip(it, carry_nz) if z]
    nzs = lambda ts: [t for t in ts if type(t) is not Zero]  # noqa: E731
    outs = bind(scan_p, *consts, *nzs(ct), *init, *init_t, *xs, *nzs(xt),
                **_scan_params(p, body=jbody, num_consts=nc + sum(c_nz),
                               num_carry=nk + sum(carry_nz)))
    o_k, o_tk, o_y, o_ty = split(outs, nk, sum(carry_nz), ny)
    out_avals = ([v.aval for v in body.invars[nc:nc + nk]]
                 + [a.update(shape=(p["length"],) + a.shape) for a in body.out_avals[nk:]])
    t_iter = iter(o_tk + o_ty)
    touts = [next(t_iter) if z else Zero(tangent_aval(a))
             for z, a in zip(carry_nz + y_nz, out_avals)]
    return o_k + o_y, touts


def _scan_batch(args, dims, **p):
    body, nc, nk = p["body"], p["num_consts"], p["num_carry"]
    size = batch_size(args, dims)
    consts, init, xs = split(args, nc, nk)
    cd, idims, xd = split(dims, nc, nk)
    # a batched xs gets its batch dim at 1, so each slice the body sees has it at 0
    xs = [x if d is None else moveaxis(x, d, 1) for x, d in zip(xs, xd)]
    xbd = dims_of([d is not None for d in xd])
    carry_b = fixpoint(lambda cb: [d is not None for d in
                                   batch_ir(body, cd + dims_of(cb) + xbd, size)[1][:nk]],
                       [d is not None for d in idims])
    y_b = [d is not None for d in batch_ir(body, cd + dims_of(carry_b) + xbd, size)[1][nk:]]
    bbody, _ = batch_ir(body, cd + dims_of(carry_b) + xbd, size, dims_of(carry_b + y_b))
    init = [broadcast_batch(x, d, size) if b else x for x, d, b in zip(init, idims, carry_b)]
    outs = bind(scan_p, *consts, *init, *xs, **_scan_params(p, body=cleanup(bbody)))
    return outs, dims_of(carry_b) + [1 if b else None for b in y_b]


def loop_variant(ir: IR, variant_invars) -> set:
    """Ids of the variables of ``ir`` that depend on ``variant_invars`` (per-iteration)."""
    var = {id(v) for v in variant_invars}
    for e in ir.eqns:
        if any(isinstance(a, Var) and id(a) in var for a in e.inputs):
            var.update(id(v) for v in e.outputs)
    return var


def inline_ir(ir: IR, args) -> tuple[list[Eqn], list]:
    """``ir``'s equations renamed to read ``args`` (outer atoms); and its outputs' atoms."""
    env = {id(v): a for v, a in zip(ir.invars, args)}
    eqns = []
    for e in ir.eqns:
        outs = [Var(v.aval) for v in e.outputs]
        eqns.append(e.replace(inputs=[env.get(id(a), a) if isinstance(a, Var) else a
                                      for a in e.inputs], outputs=outs))
        env.update((id(v), o) for v, o in zip(e.outputs, outs))
    return eqns, [env.get(id(a), a) if isinstance(a, Var) else a for a in ir.outvars]


def _split_residuals(kir: IR, residuals, variant_invars, b_xs):
    """Residuals by how the unknown scan gets them: loop-invariant ones (consts, values of
    consts only) are hoisted; known xs slices are read from those xs; the rest are stacked
    per iteration as extra ys of the known scan."""
    variant = loop_variant(kir, variant_invars)
    x_pos = {id(v): k for k, v in enumerate(b_xs)}
    hoisted = [r for r in residuals if id(r) not in variant]
    fwd_x = [r for r in residuals if id(r) in x_pos]
    stacked = [r for r in residuals if id(r) in variant and id(r) not in x_pos]
    return hoisted, fwd_x, stacked, x_pos


def _scan_partial_eval(eqn: Eqn, ins_unknown):
    """Known scan: the known carries and ys, plus the residuals the unknown scan needs
    (see ``_split_residuals``). Unknown scan: the rest of the body, reading them. Which
    carries are unknown is a fixed point: a carry the body makes unknown is unknown from
    the start (its init, if known, becomes an input of the unknown scan)."""
    p = eqn.params
    body, nc, nk, length = p["body"], p["num_consts"], p["num_carry"], p["length"]
    ny = len(body.outvars) - nk
    cu, iu, xu = split(list(ins_unknown), nc, nk)
    carry_u = fixpoint(lambda c: partial_eval(body, cu + c + xu).out_unknowns[:nk], iu)
    pe = partial_eval(body, cu + carry_u + xu, instantiate=carry_u + [False] * ny)
    out_u = pe.out_unknowns
    consts, init, xs = split(eqn.inputs, nc, nk)
    b_consts, b_carry, b_xs = split(body.invars, nc, nk)
    known = lambda xs_, us: [x for x, u in zip(xs_, us) if not u]  # noqa: E731
    pick = lambda xs_, us: [x for x, u in zip(xs_, us) if u]  # noqa: E731
    kir = pe.known_ir
    n_known_out = len(out_u) - sum(out_u)
    residuals = list(kir.outvars[n_known_out:]) if any(out_u) else []
    hoisted, fwd_x, stacked, x_pos = _split_residuals(
        kir, residuals, known(b_carry, carry_u) + known(b_xs, xu), b_xs)
    # a residual that is also a known ys output is read from that output, not stacked twice
    n_kc = nk - sum(carry_u)
    ys_out = {id(v): o for v, o in zip(kir.outvars[n_kc:n_known_out],
                                       known(eqn.outputs, out_u)[n_kc:])}
    from_ys = [r for r in stacked if id(r) in ys_out]
    stacked = [r for r in stacked if id(r) not in ys_out]
    k_consts = known(b_consts, cu)
    inv_eqns, inv_atoms = inline_ir(dce(IR(k_consts, kir.eqns, hoisted)), known(consts, cu))
    kbody = cleanup(IR(kir.invars, kir.eqns, list(kir.outvars[:n_known_out]) + stacked))
    stacked_vars = [Var(r.aval.update(shape=(length,) + r.aval.shape)) for r in stacked]
    k_eqn = Eqn(scan_p, known(consts, cu) + known(init, carry_u) + known(xs, xu),
                known(eqn.outputs, out_u) + stacked_vars,
                _scan_params(p, body=kbody, num_consts=len(k_consts),
                             num_carry=nk - sum(carry_u)), eqn.source)
    if not any(out_u):
        return [k_eqn], [], out_u
    # the unknown body reads (residuals, unknown invars): regroup them into scan layout
    res_in = dict(zip(map(id, residuals), pe.unknown_ir.invars[:len(residuals)]))
    u_c, u_k, u_x = split(pe.unknown_ir.invars[len(residuals):], sum(cu), sum(carry_u))
    ubody = cleanup(with_invars(pe.unknown_ir,
                                [res_in[id(r)] for r in hoisted] + u_c + u_k
                                + [res_in[id(r)] for r in stacked + from_ys + fwd_x] + u_x))
    u_ins = (inv_atoms + pick(consts, cu) + pick(init, carry_u) + stacked_vars
             + [ys_out[id(r)] for r in from_ys] + [xs[x_pos[id(r)]] for r in fwd_x]
             + pick(xs, xu))
    u_eqn = Eqn(scan_p, u_ins, pick(eqn.outputs, out_u),
                _scan_params(p, body=ubody, num_consts=len(hoisted) + sum(cu),
                             num_carry=sum(carry_u)), eqn.source)
    return inv_eqns + [k_eqn], [u_eqn], out_u


def _scan_transpose(cts, *args, **p):
    """A scan in the opposite direction over the transposed body. Its carry holds the
    carry cotangents and the running sums of the linear consts' cotangents; its ys are the
    cotangents of the linear xs. Every carry is linear (an init that is a known value, such
    as instantiated zero tangents, simply gets no cotangent)."""
    body, nc, nk, length = p["body"], p["num_consts"], p["num_carry"], p["length"]
    consts, init, xs = split(args, nc, nk)
    c_lin = [is_undefined(a) for a in consts]
    x_lin = [is_undefined(a) for a in xs]
    res_c = [a for a in consts if not is_undefined(a)]
    res_x = [a for a in xs if not is_undefined(a)]
    lin_c_avals = [tangent_aval(a.aval) for a in consts if is_undefined(a)]
    b_consts, b_carry, b_xs = split(body.invars, nc, nk)
    ct_carry = [instantiate(c) for c in cts[:nk]]
    ct_ys = [instantiate(c) for c in cts[nk:]]
    linear = c_lin + [True] * nk + x_lin
    n_rc, n_lc = len(res_c), len(lin_c_avals)

    def tbody(*a):
        rc, acc, ctk, rx, cty = split(a, n_rc, n_lc, nk, len(res_x))
        got = backward_pass(body, linear, rc + rx, ctk + cty)
        g_c, g_k, g_x = split(got, n_lc, nk)
        return [add_cts(s, g) for s, g in zip(acc, g_c)] + g_k + g_x

    y_avals = body.out_avals[nk:]
    t_avals = ([v.aval for v, lin in zip(b_consts, c_lin) if not lin] + lin_c_avals
               + [tangent_aval(v.aval) for v in b_carry]
               + [v.aval for v, lin in zip(b_xs, x_lin) if not lin]
               + [tangent_aval(a) for a in y_avals])
    t_ir = trace_closed(tbody, t_avals, "scan_transpose")
    outs = bind(scan_p, *res_c, *[zeros_of(a) for a in lin_c_avals], *ct_carry, *res_x, *ct_ys,
                **_scan_params(p, body=t_ir, reverse=not p["reverse"], num_consts=n_rc,
                               num_carry=n_lc + nk))
    g_c, g_k, g_x = split(outs, n_lc, nk)
    g_c, g_x = iter(g_c), iter(g_x)
    return ([next(g_c) if lin else None for lin in c_lin]
            + [g if is_undefined(a) else None for g, a in zip(g_k, init)]
            + [next(g_x) if lin else None for lin in x_lin])


scan_p.shape_rule = _scan_shape
scan_p.impl = _scan_impl
scan_p.jvp = _scan_jvp
scan_p.batch = _scan_batch
scan_p.partial_eval = _scan_partial_eval
scan_p.transpose = _scan_transpose


__all__ = ["cond_p", "while_p", "scan_p"]
