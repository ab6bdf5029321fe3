"""``custom_jvp`` and ``custom_vjp``: user-supplied derivative rules, with JAX's API.

Under a trace, a decorated function becomes one equation holding the IR of the
function and its rules as ``Rule`` objects. Rules are traced lazily, when a
transform needs them and at the shapes it meets: a rule may then call the
decorated function itself (the usual ``return f(x), ...``) without recursion.
A ``Rule`` hashes by the user's rule function and the static data, so IRs
holding them stay usable as cache keys.

The jvp of ``custom_jvp_call`` inlines the user's rule. The jvp of
``custom_vjp_call`` runs the forward rule and emits ``custom_lin``, which is
linear in the tangents; transposing it runs the backward rule. Eagerly (no
trace active) the decorated function is simply called.
"""
from __future__ import annotations

import functools

import numpy as np

from ..core.dtypes import kind_of
from ..core import dtypes
from ..core.adtypes import Zero, is_undefined
from ..core.aval import ShapedArray, aval_of
from ..core.ir import IR
from ..core.lru import LRU
from ..core.primitive import OP, Primitive
from ..core.pytree import tree_flatten, tree_map, tree_unflatten
from ..core.source_info import user_line
from ..prims import reduce as red
from ..prims.elementwise import add
from ..prims.util import instantiate, moveaxis
from ..trace.array import ArrayImpl
from ..trace.make_ir import eval_ir, fun_name, trace_to_ir
from ..trace.tracer import bind, current_builder
from ..transforms.cleanup import cleanup
from ..transforms.vmap import batch_ir


def _run(ir, vals):
    """Eager impl of a sub-IR primitive: NumPy values in, NumPy values out."""
    return [np.asarray(o) for o in eval_ir(ir, [ArrayImpl(np.asarray(v)) for v in vals])]


def _tangent_aval(aval):
    return aval if kind_of(aval.dtype) in "fc" else ShapedArray(aval.shape, dtypes.float0)


def _diff(avals):
    return [kind_of(a.dtype) in "fc" for a in avals]


class Rule:
    """A user rule traced on demand: ``trace(avals) -> (IR, consts)``, cached per avals."""

    def __init__(self, flat_fn, key, name):
        self.flat_fn, self.key, self.name = flat_fn, key, name
        self._cache = LRU()

    def trace(self, avals):
        avals = tuple(avals)
        hit = self._cache.get(avals)
        if hit is None:
            ir, consts = trace_to_ir(self.flat_fn, list(avals), transform="custom rule",
                                     name=self.name)
            hit = self._cache[avals] = (cleanup(IR(ir.invars, ir.eqns, ir.outvars)), consts)
        return hit

    def __hash__(self):
        return hash(self.key)

    def __eq__(self, other):
        return isinstance(other, Rule) and self.key == other.key


class BatchedRule(Rule):
    """``rule`` vmapped: inputs at ``dims`` (None: every input at 0), outputs at dim 0, then
    ``post`` (the cotangents' target dims, for backward rules: see ``_post_process``)."""

    def __init__(self, rule, dims, size, post=None):
        dims = None if dims is None else tuple(dims)
        super().__init__(None, ("batched", rule.key, dims, size, post), rule.name)
        self.rule, self.dims, self.size, self.post = rule, dims, size, post

    def trace(self, avals):
        avals = tuple(avals)
        hit = self._cache.get(avals)
        if hit is None:
            dims = self.dims if self.dims is not None else (0,) * len(avals)
            unb = [a if d is None else a.update(shape=a.shape[:d] + a.shape[d + 1:])
                   for a, d in zip(avals, dims)]
            ir, consts = self.rule.trace(unb)
            bir, _ = batch_ir(ir, [None] * len(consts) + list(dims), self.size,
                              [0] * len(ir.outvars))
            if self.post is not None:
                bir = _post_process(cleanup(bir), self.post)
            hit = self._cache[avals] = (cleanup(bir), consts)
        return hit


def _post_process(ir, arg_dims):
    """Cotangents come out batched at 0: sum them for unbatched arguments, else move."""
    def post(*vals):
        outs = eval_ir(ir, list(vals))
        return [red.reduce_sum(o, (0,)) if d is None else moveaxis(o, 0, d)
                for o, d in zip(outs, arg_dims)]
    out, consts = trace_to_ir(post, [v.aval for v in ir.invars], transform="vmap",
                              name="custom_vjp bwd")
    assert not consts
    return out


def _rule_key(obj, static):
    try:
        hash(tuple(static))
        return (id(obj), tuple(static))
    except TypeError:
        return (id(obj), tuple(id(s) for s in static))


def _split_static(args, nondiff_argnums):
    static = [args[i] for i in nondiff_argnums]
    dyn_idx = [i for i in range(len(args)) if i not in nondiff_argnums]
    return static, dyn_idx


def _merge(args, dyn_idx, dyn):
    full = list(args)
    for i, a in zip(dyn_idx, dyn):
        full[i] = a
    return full


def _closed_fun(fun, args, dyn_idx, in_tree, avals, transform):
    """IR of ``fun`` over the flat dynamic args, consts as leading inputs; + out tree."""
    store = {}

    def flat_fun(*leaves):
        out = fun(*_merge(args, dyn_idx, tree_unflatten(in_tree, leaves)))
        out_leaves, store["out"] = tree_flatten(out)
        return out_leaves

    ir, consts = trace_to_ir(flat_fun, avals, transform=transform, name=fun_name(fun))
    return cleanup(IR(ir.invars, ir.eqns, ir.outvars)), consts, store["out"]


# -- custom_jvp --------------------------------------------------------------------------

custom_jvp_call_p = Primitive("custom_jvp_call", multiple_results=True, kind=OP)
custom_jvp_call_p.shape_rule = lambda *a, fun_ir, n_consts, jvp: list(fun_ir.out_avals)
custom_jvp_call_p.impl = lambda *vals, fun_ir, n_consts, jvp: _run(fun_ir, vals)


def _cjvp_jvp(primals, tangents, *, fun_ir, n_consts, jvp):
    if any(type(t) is not Zero for t in tangents[:n_consts]):
        raise TypeError("a custom_jvp function closes over a value that is being "
                        "differentiated; pass that value as an argument instead" + user_line())
    args = list(primals[n_consts:])
    avals = [v.aval for v in fun_ir.invars[n_consts:]]
    ts = [instantiate(t) if d else np.zeros(a.shape, dtypes.float0)
          for t, a, d in zip(tangents[n_consts:], avals, _diff(avals))]
    jir, jconsts = jvp.trace(avals + [_tangent_aval(a) for a in avals])
    outs = eval_ir(jir, list(jconsts) + args + ts)
    n = len(fun_ir.outvars)
    return outs[:n], outs[n:]


def _cjvp_batch(args, dims, *, fun_ir, n_consts, jvp):
    size = next(a.shape[d] for a, d in zip(args, dims) if d is not None)
    nout = len(fun_ir.outvars)
    bfun, _ = batch_ir(fun_ir, dims, size, [0] * nout)
    xdims = list(dims[n_consts:])
    tdims = [d if k else None for d, k in zip(xdims, _diff([v.aval for v in
                                                            fun_ir.invars[n_consts:]]))]
    outs = bind(custom_jvp_call_p, *args, fun_ir=cleanup(bfun), n_consts=n_consts,
                jvp=BatchedRule(jvp, xdims + tdims, size))
    return outs, [0] * nout


custom_jvp_call_p.jvp = _cjvp_jvp
custom_jvp_call_p.batch = _cjvp_batch


class custom_jvp:
    """``@custom_jvp`` then ``@f.defjvp``: ``rule(primals, tangents) -> (out, tangent_out)``."""

    def __init__(self, fun, nondiff_argnums=()):
        functools.update_wrapper(self, fun)
        self.fun = fun
        self.nondiff_argnums = tuple(nondiff_argnums)
        self.jvp = None

    def defjvp(self, jvp, symbolic_zeros: bool = False):
        self.jvp = jvp
        return jvp

    def defjvps(self, *jvps):
        """One rule per argument, ``rule_i(t_i, out, *primals)``; None contributes nothing."""
        def rule(primals, tangents):
            out = self.fun(*primals)
            total = None
            for r, t in zip(jvps, tangents):
                if r is not None:
                    c = r(t, out, *primals)
                    total = c if total is None else tree_map(add, total, c)
            return out, total
        self.jvp = rule

    def __call__(self, *args):
        if self.jvp is None:
            raise AttributeError(f"No JVP defined for custom_jvp function {fun_name(self.fun)} "
                                 f"using defjvp")
        if current_builder() is None:
            return self.fun(*args)
        static, dyn_idx = _split_static(args, self.nondiff_argnums)
        flat, in_tree = tree_flatten(tuple(args[i] for i in dyn_idx))
        avals = [aval_of(x) for x in flat]
        fun_ir, consts, out_tree = _closed_fun(self.fun, args, dyn_idx, in_tree, avals,
                                               "custom_jvp")
        n = len(flat)

        def flat_jvp(*leaves):
            primals = tree_unflatten(in_tree, leaves[:n])
            tangents = tree_unflatten(in_tree, leaves[n:])
            out, tout = self.jvp(*static, primals, tangents)
            o_leaves, o_tree = tree_flatten(out)
            t_leaves, t_tree = tree_flatten(tout)
            if o_tree != out_tree or t_tree != out_tree:
                raise TypeError(f"custom_jvp rule of {fun_name(self.fun)} must return "
                                f"(primal_out, tangent_out) shaped like the function's output "
                                f"{out_tree}; got {o_tree} and {t_tree}")
            return o_leaves + t_leaves

        rule = Rule(flat_jvp, ("jvp", _rule_key(self.jvp, static), in_tree),
                    fun_name(self.fun) + " jvp rule")
        outs = bind(custom_jvp_call_p, *consts, *flat, fun_ir=fun_ir, n_consts=len(consts),
                    jvp=rule)
        return tree_unflatten(out_tree, outs)


# -- custom_vjp --------------------------------------------------------------------------

custom_vjp_call_p = Primitive("custom_vjp_call", multiple_results=True, kind=OP)
custom_vjp_call_p.shape_rule = lambda *a, fun_ir, n_consts, fwd, bwd: list(fun_ir.out_avals)
custom_vjp_call_p.impl = lambda *vals, fun_ir, n_consts, fwd, bwd: _run(fun_ir, vals)

custom_lin_p = Primitive("custom_lin", multiple_results=True, kind=OP)
custom_lin_p.shape_rule = lambda *a, bwd, n_res, out_avals: list(out_avals)


def _no_forward_mode(*args, **kwargs):
    raise TypeError("can't apply forward-mode autodiff (jvp) to a custom_vjp function; use "
                    "reverse mode (grad / vjp), or define a custom_jvp instead" + user_line())


def _cvjp_jvp(primals, tangents, *, fun_ir, n_consts, fwd, bwd):
    if any(type(t) is not Zero for t in tangents[:n_consts]):
        raise TypeError("a custom_vjp function closes over a value that is being "
                        "differentiated; pass that value as an argument instead" + user_line())
    args = list(primals[n_consts:])
    avals = [v.aval for v in fun_ir.invars[n_consts:]]
    fir, fconsts = fwd.trace(avals)
    res = eval_ir(fir, list(fconsts) + args)
    nout = len(fun_ir.outvars)
    outs, residuals = res[:nout], res[nout:]
    ts = [instantiate(t) for t, d in zip(tangents[n_consts:], _diff(avals)) if d]
    touts = bind(custom_lin_p, *residuals, *ts, bwd=bwd, n_res=len(residuals),
                 out_avals=tuple(fun_ir.out_avals))
    return outs, touts


def _lin_transpose(cts, *args, bwd, n_res, out_avals):
    residuals = list(args[:n_res])
    if any(is_undefined(a) for a in residuals):
        raise NotImplementedError("custom_lin: residuals must not be linear")
    cts = [instantiate(c) for c in cts]
    bir, bconsts = bwd.trace([aval_of(r) for r in residuals] + [c.aval if hasattr(c, "aval")
                                                                 else aval_of(c) for c in cts])
    grads = eval_ir(bir, list(bconsts) + residuals + cts)
    return [None] * n_res + list(grads)


def _cvjp_batch(args, dims, *, fun_ir, n_consts, fwd, bwd):
    size = next(a.shape[d] for a, d in zip(args, dims) if d is not None)
    nout = len(fun_ir.outvars)
    bfun, _ = batch_ir(fun_ir, dims, size, [0] * nout)
    xdims = list(dims[n_consts:])
    diff = _diff([v.aval for v in fun_ir.invars[n_consts:]])
    arg_dims = tuple(d for d, k in zip(xdims, diff) if k)
    outs = bind(custom_vjp_call_p, *args, fun_ir=cleanup(bfun), n_consts=n_consts,
                fwd=BatchedRule(fwd, xdims, size), bwd=BatchedRule(bwd, None, size, arg_dims))
    return outs, [0] * nout


custom_vjp_call_p.jvp = _cvjp_jvp
custom_vjp_call_p.batch = _cvjp_batch
custom_lin_p.impl = _no_forward_mode
custom_lin_p.jvp = _no_forward_mode
custom_lin_p.transpose = _lin_transpose


class custom_vjp:
    """``@custom_vjp`` then ``f.defvjp(fwd, bwd)``: ``fwd(*args) -> (out, residuals)``,
    ``bwd(residuals, ct) -> tuple with one cotangent per argument``."""

    def __init__(self, fun, nondiff_argnums=()):
        functools.update_wrapper(self, fun)
        self.fun = fun
        self.nondiff_argnums = tuple(nondiff_argnums)
        self.fwd = self.bwd = None

    def defvjp(self, fwd, bwd, symbolic_zeros: bool = False, optimize_remat: bool = False):
        self.fwd, self.bwd = fwd, bwd

    def __call__(self, *args):
        if self.fwd is None:
            raise AttributeError(f"No VJP defined for custom_vjp function {fun_name(self.fun)} "
                                 f"using defvjp")
        if current_builder() is None:
            return self.fun(*args)
        static, dyn_idx = _split_static(args, self.nondiff_argnums)
        dyn = tuple(args[i] for i in dyn_idx)
        flat, in_tree = tree_flatten(dyn)
        avals = [aval_of(x) for x in flat]
        fun_ir, consts, out_tree = _closed_fun(self.fun, args, dyn_idx, in_tree, avals,
                                               "custom_vjp")
        diff = _diff(avals)
        res_trees = {}
        name = fun_name(self.fun)

        def flat_fwd(*leaves):
            res = self.fwd(*_merge(args, dyn_idx, tree_unflatten(in_tree, leaves)))
            if not (isinstance(res, (tuple, list)) and len(res) == 2):
                raise TypeError(f"custom_vjp fwd rule of {name} must return a pair "
                                f"(output, residuals)")
            out, r = res
            o_leaves, o_tree = tree_flatten(out)
            if o_tree != out_tree:
                raise TypeError(f"custom_vjp fwd rule of {name} returned an output shaped "
                                f"{o_tree}, but the function returns {out_tree}")
            r_leaves, res_trees[len(r_leaves)] = tree_flatten(r)
            return o_leaves + r_leaves

        def flat_bwd(*leaves):
            nres = len(leaves) - out_tree.num_leaves
            res = tree_unflatten(res_trees[nres], leaves[:nres])
            ct = tree_unflatten(out_tree, leaves[nres:])
            cts = self.bwd(*static, res, ct)
            if not isinstance(cts, (tuple, list)) or len(cts) != len(dyn):
                raise TypeError(f"custom_vjp bwd rule of {name} must return a tuple with one "
                                f"cotangent per differentiable argument ({len(dyn)})")
            out = []
            for arg, c in zip(dyn, cts):
                arg_leaves, arg_tree = tree_flatten(arg)
                out += ([Zero(aval_of(x)) for x in arg_leaves] if c is None
                        else arg_tree.flatten_up_to(c))
            return [instantiate(c) for c, d in zip(out, diff) if d]

        key = _rule_key(self.fwd, static) + _rule_key(self.bwd, ())
        fwd = Rule(flat_fwd, ("fwd", key, in_tree), name + " fwd")
        bwd = Rule(flat_bwd, ("bwd", key, in_tree), name + " bwd")
        outs = bind(custom_vjp_call_p, *consts, *flat, fun_ir=fun_ir, n_consts=len(consts),
                    fwd=fwd, bwd=bwd)
        return tree_unflatten(out_tree, outs)
