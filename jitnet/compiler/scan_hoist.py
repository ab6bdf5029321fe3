"""Matrix products out of ``scan`` bodies: per-step gemms become one gemm over all steps.

A scan runs its body once per step; a small gemm per step runs far below the BLAS's peak
(W6's char-RNN: 300 products of 32 rows per training step). Two kinds of body work do not
need the loop:

* ``hoist_scan_invariants``: work that reads only consts and the step's slice of the
  scanned inputs (``x_t @ Wx``) is computed for every step at once before the loop (the
  body's equations, vmapped over the scanned axis) and read back as a new scanned input;
  work over consts only becomes a new const.
* ``hoist_scan_accumulators``: work whose results the next carry does not need (the
  gradient of the inputs ``d_t @ Wx^T``; the weight gradients ``x_t^T d_t`` added into a
  carry) is computed after the loop from the stacked per-step values it reads. A carry
  ``c`` whose body only computes ``c + g`` (c read nowhere else) becomes ``c_init + sum_t
  g_t``; with ``contract_summed_batch`` the sum of the stacked products is one gemm that
  also contracts the step axis.

Only work containing a small matrix product is moved (elementwise work stays fused in the
loop): a product of at most ``MAX_STEP_FLOPS`` per step, where a gemm runs at half to three
quarters of the BLAS's peak (W6's 32x32x128 to 128x32x128 products). A larger one already runs
near peak per step, and moving it out costs locality: the char-RNN example's LSTM-256 weight
gradient (256x32x1024 per step, 17 MFLOP) was 3-8% slower after the loop, re-reading its
stacked operands from memory instead of from cache.

* ``transpose_scan_consts``: a small product left in the loop that reads a const matrix
  transposed (``d_t @ Wh^T``, the backward of ``h @ Wh``) reads a copy transposed once
  before the loop instead: the BLAS's small transposed-operand gemm (OpenBLAS SkylakeX,
  32x128x128) runs at half the rate of the plain one.

Reversed scans read and write slice ``length-1-t`` at step ``t``, and a stacked value sits
at the index of the step that made it, so both passes hold for them; a scan of length 0 is
left alone. The sums after the loop add the steps in another order
than the loop did (equal up to rounding).
"""
from __future__ import annotations

import math

from ..core.ir import IR, Eqn, Var, split
from ..hop.control_flow import inline_ir, loop_variant, scan_p
from ..prims import elementwise as ew
from ..prims import reduce as red
from ..prims.shape import transpose
from ..trace.make_ir import eval_ir, trace_to_ir
from ..transforms.vmap import batch_ir
from .dot_operands import absorb_transposes
from .summed_batch import use_counts

MAX_STEP_FLOPS = 1 << 22


def _movable(e: Eqn) -> bool:
    """Whether ``e`` may run outside the loop (a collective reads a named axis: it stays)."""
    return not e.prim.lowering.get("collective")


def _small_product(e: Eqn) -> bool:
    """A ``dot_general`` of at most ``MAX_STEP_FLOPS``: worth one product for all steps."""
    if e.prim.name != "dot_general" or not _movable(e):
        return False
    (lc, _), _ = e.params["dimension_numbers"]
    k = math.prod(e.inputs[0].aval.shape[i] for i in lc)
    return 2 * math.prod(e.outputs[0].aval.shape) * k <= MAX_STEP_FLOPS


def _vars(atoms) -> list:
    return [a for a in atoms if isinstance(a, Var)]


def _unique(vs) -> list:
    seen, out = set(), []
    for v in vs:
        if id(v) not in seen:
            seen.add(id(v))
            out.append(v)
    return out


def _rewrite_scans(ir: IR, rewrite) -> IR:
    """``ir`` with each scan equation ``e`` (length > 0) replaced by ``rewrite(e)``: None
    (kept), or the equations in its place and the atoms its outputs now are. Equations put
    in place are rewritten in turn (a scan moved out of a loop may hold work to move)."""
    if not any(e.prim is scan_p for e in ir.eqns):
        return ir
    rename: dict[int, object] = {}
    eqns, changed = [], False
    pending = list(reversed(ir.eqns))  # a stack: the next equation last

    def sub(a):
        return rename.get(id(a), a) if isinstance(a, Var) else a

    while pending:
        e = pending.pop()
        ins = [sub(a) for a in e.inputs]
        e = e if all(a is b for a, b in zip(ins, e.inputs)) else e.replace(inputs=ins)
        new = rewrite(e) if e.prim is scan_p and e.params["length"] > 0 else None
        if new is None:
            eqns.append(e)
            continue
        changed = True
        new_eqns, outs = new
        pending.extend(reversed(new_eqns))
        rename.update((id(v), o) for v, o in zip(e.outputs, outs) if v is not o)
    if not changed:
        return ir
    return IR(ir.invars, eqns, [sub(a) for a in ir.outvars], ir.num_consts)


def _scan_eqn(e: Eqn, body: IR, consts, init, xs, outputs, num_consts: int) -> Eqn:
    """A scan like ``e`` over ``body``, dropping the consts and xs the body does not read."""
    nk = len(init)
    b_c, b_k, b_x = split(body.invars, num_consts, nk)
    used = {id(a) for be in body.eqns for a in be.inputs} | {id(a) for a in body.outvars}
    keep_c = [i for i, v in enumerate(b_c) if id(v) in used]
    keep_x = [i for i, v in enumerate(b_x) if id(v) in used]
    body = IR([b_c[i] for i in keep_c] + b_k + [b_x[i] for i in keep_x], body.eqns,
              body.outvars)
    params = dict(e.params, body=body, num_consts=len(keep_c), num_carry=nk)
    return e.replace(inputs=[consts[i] for i in keep_c] + list(init) + [xs[i] for i in keep_x],
                     outputs=outputs, params=params)


# -- before the loop ------------------------------------------------------------------------

def _hoist(e: Eqn):
    p = e.params
    body, nc, nk, length = p["body"], p["num_consts"], p["num_carry"], p["length"]
    b_c, b_k, b_x = split(body.invars, nc, nk)
    consts, init, xs = split(e.inputs, nc, nk)
    invariant = {id(v) for v in b_c + b_x}
    candidates = []
    for be in body.eqns:
        if _movable(be) and all(id(a) in invariant for a in _vars(be.inputs)):
            invariant.update(id(v) for v in be.outputs)
            candidates.append(be)
    # the products and everything they read
    need, hoisted = set(), []
    for be in reversed(candidates):
        if _small_product(be) or any(id(v) in need for v in be.outputs):
            hoisted.append(be)
            need.update(id(a) for a in _vars(be.inputs))
    if not hoisted:
        return None
    hoisted.reverse()
    gone = {id(be) for be in hoisted}
    rest = [be for be in body.eqns if id(be) not in gone]
    made = {id(v) for be in hoisted for v in be.outputs}
    read = _unique(a for a in _vars([a for be in rest for a in be.inputs] + list(body.outvars))
                   if id(a) in made)
    pre_in = [v for v in b_c + b_x if id(v) in need]
    per_step = loop_variant(IR(pre_in, hoisted, read), b_x)
    out_dims = [0 if id(v) in per_step else None for v in read]
    pre, _ = batch_ir(IR(pre_in, hoisted, read), [0 if v in b_x else None for v in pre_in],
                      length, out_dims, name="hoist_scan_invariants")
    outer = dict(zip(map(id, b_c + b_x), consts + xs))
    pre_eqns, outs = inline_ir(pre, [outer[id(v)] for v in pre_in])
    new_c = [(v, o) for v, o, d in zip(read, outs, out_dims) if d is None]
    new_x = [(v, o) for v, o, d in zip(read, outs, out_dims) if d is not None]
    body = IR(b_c + [v for v, _ in new_c] + b_k + b_x + [v for v, _ in new_x], rest,
              body.outvars)
    scan = _scan_eqn(e, body, consts + [o for _, o in new_c], init, xs + [o for _, o in new_x],
                     e.outputs, nc + len(new_c))
    return pre_eqns + [scan], list(e.outputs)


def hoist_scan_invariants(ir: IR) -> IR:
    """Each scan's products of consts and scanned inputs only, computed for all steps
    before the loop."""
    return _rewrite_scans(ir, _hoist)


# -- after the loop -------------------------------------------------------------------------

def _accumulators(body: IR, b_k, outs_k) -> dict:
    """Carry index -> (its ``add`` equation, the added value g) for each carry ``c`` whose
    next value is ``c + g`` and which nothing else reads (nor outputs)."""
    uses = use_counts(body)
    defs = {id(v): be for be in body.eqns for v in be.outputs}
    acc = {}
    for j, (c, o) in enumerate(zip(b_k, outs_k)):
        a = defs.get(id(o)) if isinstance(o, Var) else None
        if (a is None or a.prim.name != "add" or uses.get(id(c)) != 1 or uses[id(o)] != 1
                or c.aval.dtype.kind not in "fiuc"):
            continue
        g = a.inputs[1] if a.inputs[0] is c else a.inputs[0] if a.inputs[1] is c else None
        if (isinstance(g, Var) and g.aval.shape == c.aval.shape
                and g.aval.dtype == c.aval.dtype):
            acc[j] = (a, g)
    return acc


def _sink(e: Eqn):
    p = e.params
    body, nc, nk, length = p["body"], p["num_consts"], p["num_carry"], p["length"]
    b_c, b_k, b_x = split(body.invars, nc, nk)
    consts, init, xs = split(e.inputs, nc, nk)
    outs_k, outs_y = split(body.outvars, nk)
    acc = _accumulators(body, b_k, outs_k)
    # what the other carries' next values need stays in the loop
    live = {id(o) for j, o in enumerate(outs_k) if j not in acc and isinstance(o, Var)}
    loop = set()
    for be in reversed(body.eqns):
        if any(id(v) in live for v in be.outputs):
            loop.add(id(be))
            live.update(id(a) for a in _vars(be.inputs))
    adds = {id(a) for a, _ in acc.values()}
    moved, made = [], set()
    for be in body.eqns:
        if id(be) in loop or id(be) in adds:
            continue
        reads_moved = any(id(a) in made for a in _vars(be.inputs))
        if reads_moved and not _movable(be):
            return None
        if reads_moved or _small_product(be):
            moved.append(be)
            made.update(id(v) for v in be.outputs)
    if not moved:
        return None
    summed = [j for j in sorted(acc) if id(acc[j][1]) in made]
    ys_after = [i for i, y in enumerate(outs_y) if isinstance(y, Var) and id(y) in made]
    kept_y = [i for i in range(len(outs_y)) if i not in ys_after]
    out_k, out_y = split(e.outputs, nk)
    # the values the moved work reads: consts as they are, scanned inputs and ys from the
    # stacks going into and out of the loop, the rest stacked by the loop as new ys
    reads = _unique(a for be in moved for a in _vars(be.inputs) if id(a) not in made)
    outer = dict(zip(map(id, b_c + b_x), consts + xs))
    for i in kept_y:
        outer.setdefault(id(outs_y[i]), out_y[i])
    c_ids = {id(v) for v in b_c}
    stacked = [v for v in reads if id(v) not in outer]
    post = IR(reads, moved, [outs_y[i] for i in ys_after] + [acc[j][1] for j in summed])
    post, _ = batch_ir(post, [None if id(v) in c_ids else 0 for v in reads], length,
                       [0] * len(post.outvars), name="hoist_scan_accumulators")
    # the new loop: the carries not summed, the ys not moved, then the stacked values
    gone = {id(be) for be in moved} | {id(acc[j][0]) for j in summed}
    kept_k = [j for j in range(nk) if j not in summed]
    stack_vars = [Var(v.aval.update(shape=(length,) + v.aval.shape)) for v in stacked]
    new_body = IR(b_c + [b_k[j] for j in kept_k] + b_x,
                  [be for be in body.eqns if id(be) not in gone],
                  [outs_k[j] for j in kept_k] + [outs_y[i] for i in kept_y] + stacked)
    scan = _scan_eqn(e, new_body, consts, [init[j] for j in kept_k], xs,
                     [out_k[j] for j in kept_k] + [out_y[i] for i in kept_y] + stack_vars, nc)
    outer.update(zip(map(id, stacked), stack_vars))
    args = [outer[id(v)] for v in reads] + [init[j] for j in summed]

    def after(*a):
        outs = eval_ir(post, a[:len(reads)])
        sums = [ew.add(c, red.reduce_sum(g, (0,)))
                for c, g in zip(a[len(reads):], outs[len(ys_after):])]
        return outs[:len(ys_after)] + sums

    after_ir, _ = trace_to_ir(after, [a.aval for a in args], transform="hoist_scan_accumulators",
                              name="hoist_scan_accumulators")
    after_eqns, after_outs = inline_ir(after_ir, args)
    result = list(e.outputs)
    for i, o in zip(ys_after, after_outs):
        result[nk + i] = o
    for j, o in zip(summed, after_outs[len(ys_after):]):
        result[j] = o
    return [scan] + after_eqns, result


def hoist_scan_accumulators(ir: IR) -> IR:
    """Each scan's products that the next carry does not need (ys, sums into a carry),
    computed for all steps after the loop."""
    return _rewrite_scans(ir, _sink)


# -- operand layout -------------------------------------------------------------------------

def _nt_const(be: Eqn, consts: dict) -> bool:
    """Whether body equation ``be`` is a small float matrix product (no batch dims) whose
    rhs is a 2-D const of the scan contracted on its last dim (a gemm with a transposed
    operand). A large one runs near peak either way (84% against 94%, 128x512x512)."""
    if not _small_product(be) or be.outputs[0].aval.dtype.kind != "f":
        return False
    (lc, rc), (lb, rb) = be.params["dimension_numbers"]
    rhs = be.inputs[1]
    return (not lb and not rb and tuple(rc) == (1,) and isinstance(rhs, Var)
            and id(rhs) in consts and len(rhs.aval.shape) == 2)


def _transpose_consts(e: Eqn):
    p = e.params
    body, nc, nk = p["body"], p["num_consts"], p["num_carry"]
    if p["length"] < 2:
        return None
    body = absorb_transposes(body)   # ``h @ W.T`` written in the body: W read transposed
    b_c, b_k, b_x = split(body.invars, nc, nk)
    consts, init, xs = split(e.inputs, nc, nk)
    outer = {id(v): o for v, o in zip(b_c, consts)}
    new_c: dict[int, tuple] = {}   # id(body const) -> (its transposed body var, outer eqns)
    eqns = []
    for be in body.eqns:
        if _nt_const(be, outer):
            w = be.inputs[1]
            if id(w) not in new_c:
                ir_t, _ = trace_to_ir(lambda a: [transpose(a, (1, 0))], [w.aval],
                                      transform="transpose_scan_consts",
                                      name="transpose_scan_consts")
                pre, (wt,) = inline_ir(ir_t, [outer[id(w)]])
                new_c[id(w)] = (Var(wt.aval), pre, wt)
            (lc, _), batch = be.params["dimension_numbers"]
            be = be.replace(inputs=[be.inputs[0], new_c[id(w)][0]],
                            params={**be.params, "dimension_numbers": ((lc, (0,)), batch)})
        eqns.append(be)
    if not new_c:
        return None
    added = list(new_c.values())
    body = IR(b_c + [v for v, _, _ in added] + b_k + b_x, eqns, body.outvars)
    scan = _scan_eqn(e, body, consts + [o for _, _, o in added], init, xs, e.outputs,
                     nc + len(added))
    return [pe for _, pre, _ in added for pe in pre] + [scan], list(e.outputs)


def transpose_scan_consts(ir: IR) -> IR:
    """Each scan's products that read a const matrix transposed read a copy transposed
    before the loop."""
    return _rewrite_scans(ir, _transpose_consts)
