"""``checkpoint`` / ``remat``: the backward pass recomputes the wrapped forward.

The wrapped function becomes one ``remat`` equation holding its IR. Partial
evaluation splits it so that the forward side computes only the outputs (no
intermediates are saved) and the linear side re-runs the whole body from the
inputs; its transpose keeps that recomputation inside a ``remat`` block, so
``make_jaxpr(grad(f))`` shows the forward ops again in the backward pass.
"""
from __future__ import annotations

import functools

from ..core.adtypes import Zero, is_undefined
from ..core.aval import aval_of
from ..core.ir import IR, Eqn
from ..core.primitive import OP, Primitive
from ..core.pytree import tree_flatten, tree_unflatten
from ..prims.util import instantiate
from ..trace.make_ir import eval_ir, fun_name, trace_to_ir
from ..trace.tracer import bind, current_builder
from ..transforms.cleanup import cleanup, dce
from ..transforms.jvp import jvp_ir
from ..transforms.partial_eval import partial_eval
from ..transforms.transpose import transpose_ir
from ..transforms.vmap import batch_ir

remat_p = Primitive("remat", multiple_results=True, kind=OP)
remat_p.shape_rule = lambda *avals, ir, prevent_cse: list(ir.out_avals)


def _impl(*vals, ir, prevent_cse):
    import numpy as np
    from ..trace.array import ArrayImpl
    return [np.asarray(o) for o in eval_ir(ir, [ArrayImpl(v) for v in vals])]


remat_p.impl = _impl


def _jvp(primals, tangents, *, ir, prevent_cse):
    nz = [type(t) is not Zero for t in tangents]
    jir, _ = jvp_ir(ir, nz, instantiate_out=True, name="remat_jvp")
    outs = bind(remat_p, *primals, *[t for t in tangents if type(t) is not Zero],
                ir=cleanup(jir), prevent_cse=prevent_cse)
    n = len(ir.outvars)
    return outs[:n], outs[n:]


def _batch(args, dims, *, ir, prevent_cse):
    size = next(a.shape[d] for a, d in zip(args, dims) if d is not None)
    bir, out_dims = batch_ir(ir, dims, size)
    return bind(remat_p, *args, ir=cleanup(bir), prevent_cse=prevent_cse), out_dims


def _partial_eval(eqn: Eqn, ins_unknown):
    """Known side: outputs only. Unknown side: the full body again, from the inputs."""
    ir = eqn.params["ir"]
    pe = partial_eval(ir, ins_unknown)
    n_known_outs = sum(not u for u in pe.out_unknowns)
    known_body = dce(IR(pe.known_ir.invars, pe.known_ir.eqns,
                        pe.known_ir.outvars[:n_known_outs]))
    known_ins = [a for a, u in zip(eqn.inputs, ins_unknown) if not u]
    known_outs = [v for v, u in zip(eqn.outputs, pe.out_unknowns) if not u]
    unknown_outs = [v for v, u in zip(eqn.outputs, pe.out_unknowns) if u]
    k_eqns = []
    if known_outs:
        k_eqns.append(Eqn(remat_p, known_ins, known_outs,
                          dict(ir=known_body, prevent_cse=eqn.params["prevent_cse"]), eqn.source))
    full = dce(IR(ir.invars, ir.eqns, [a for a, u in zip(ir.outvars, pe.out_unknowns) if u]))
    u_eqns = [Eqn(remat_p, eqn.inputs, unknown_outs,
                  dict(ir=full, prevent_cse=eqn.params["prevent_cse"]), eqn.source)]
    return k_eqns, u_eqns, pe.out_unknowns


def _transpose(cts, *args, ir, prevent_cse):
    linear = [is_undefined(a) for a in args]
    consts = [a for a in args if not is_undefined(a)]
    t_ir = cleanup(transpose_ir(ir, linear, name="remat_transpose"))
    cts = [instantiate(c) for c in cts]
    outs = iter(bind(remat_p, *consts, *cts, ir=t_ir, prevent_cse=prevent_cse))
    return [next(outs) if lin else None for lin in linear]


remat_p.jvp = _jvp
remat_p.batch = _batch
remat_p.partial_eval = _partial_eval
remat_p.transpose = _transpose


def checkpoint(fun=None, *, prevent_cse: bool = True, policy=None, static_argnums=()):
    """Recompute ``fun``'s intermediates in the backward pass instead of storing them.

    ``policy`` (from ``jitnet.ad_checkpoint.checkpoint_policies``) says what may be saved:
    ``everything_saveable`` saves all (plain differentiation); every other policy is
    treated as ``nothing_saveable``, recomputing everything: the same values, possibly
    more recomputation than JAX would do.
    """
    if fun is None:
        return functools.partial(checkpoint, prevent_cse=prevent_cse, policy=policy,
                                 static_argnums=static_argnums)
    if policy is not None and not callable(policy):
        raise TypeError(f"checkpoint: policy must be a checkpoint policy (a callable from "
                        f"jitnet.ad_checkpoint.checkpoint_policies), got {policy!r}")
    if policy is everything_saveable:
        return fun
    static = (static_argnums,) if isinstance(static_argnums, int) else tuple(static_argnums)

    @functools.wraps(fun)
    def wrapped(*args):
        if current_builder() is None:
            return fun(*args)  # eager: nothing to save or recompute
        dyn_idx = [i for i in range(len(args)) if i not in static]
        flat, in_tree = tree_flatten(tuple(args[i] for i in dyn_idx))
        store = {}

        def flat_fun(*leaves):
            dyn = tree_unflatten(in_tree, leaves)
            full = list(args)
            for i, a in zip(dyn_idx, dyn):
                full[i] = a
            out_leaves, store["tree"] = tree_flatten(fun(*full))
            return out_leaves

        ir, consts = trace_to_ir(flat_fun, [aval_of(x) for x in flat], transform="checkpoint",
                                 name=fun_name(fun))
        body = IR(ir.invars, ir.eqns, ir.outvars)  # consts become ordinary leading inputs
        outs = bind(remat_p, *consts, *flat, ir=cleanup(body), prevent_cse=prevent_cse)
        return tree_unflatten(store["tree"], outs)

    return wrapped


remat = checkpoint


# -- policies (JAX's names): what a checkpointed function may save for the backward pass --

def everything_saveable(*_, **__) -> bool:
    """Save every intermediate: ``checkpoint`` does nothing."""
    return True


def nothing_saveable(*_, **__) -> bool:
    """Save nothing: recompute the whole function in the backward pass (the default)."""
    return False


def dots_saveable(prim, *_, **__) -> bool:
    """Save matmul results (jitnet recomputes them too: see ``checkpoint``)."""
    return getattr(prim, "name", prim) == "dot_general"


checkpoint_dots = dots_saveable


def dots_with_no_batch_dims_saveable(prim, *_, **params) -> bool:
    return dots_saveable(prim) and not params.get("dimension_numbers", (None, ((), ())))[1][0]


def save_only_these_names(*names):
    """Save values named with ``checkpoint_name`` (jitnet recomputes them too)."""
    wanted = frozenset(names)
    return lambda prim, *_, name=None, **__: name in wanted


def save_anything_except_these_names(*names):
    unwanted = frozenset(names)
    return lambda prim, *_, name=None, **__: name not in unwanted


def checkpoint_name(x, name: str):
    """Name ``x`` for ``save_only_these_names``; the value is ``x`` unchanged."""
    return x
