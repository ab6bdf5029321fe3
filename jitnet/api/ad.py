"""User-facing autodiff with JAX's signatures: jvp, vjp, grad, value_and_grad, linearize,
jacfwd, jacrev, hessian.

Each call traces the function into IR, applies the IR transforms, and runs the
result with ``eval_ir`` — eagerly, or into an enclosing trace, so they nest.

Outside ``jit``/``vmap`` the arguments are concrete, so, as in JAX, the function may apply
Python control flow to values (``if x > 0:``, ``while``, ``int(n)``): the first trace is
abstract (nothing extra to pay), and only when it hits such a use is the function traced
again with its values known, recording the branches these inputs take.
"""
from __future__ import annotations

import functools
from typing import Callable

import numpy as np

from ..core.dtypes import kind_of
from ..core import dtypes
from ..core.aval import aval_of
from ..core.errors import ConcretizationTypeError
from ..core.pytree import tree_flatten, tree_map, tree_structure, tree_unflatten
from ..core.source_info import user_line
from ..prims.elementwise import convert_element_type, eq
from ..prims.shape import broadcasted_iota, reshape, slice as slice_
from ..prims.util import full_of, get_aval, zeros_of
from ..trace.make_ir import arg_labels, eval_ir, fun_name, trace_to_ir
from ..trace.tracer import known_value
from ..transforms.ad import linearize_ir, vjp_ir
from ..transforms.cleanup import cleanup
from ..transforms.jvp import jvp_ir


def _is_diff(x) -> bool:
    return kind_of(aval_of(x).dtype) in "fc"


def _trace_flat(fun, args: tuple, transform: str, has_aux: bool = False, labels=None):
    """Trace ``fun(*args)``: (IR, consts, flat args, in_tree, out_tree, aux_tree, n_main)."""
    flat, in_tree = tree_flatten(args)
    store = {}

    def flat_fun(*leaves):
        out = fun(*tree_unflatten(in_tree, leaves))
        if has_aux:
            if not (isinstance(out, (tuple, list)) and len(out) == 2):
                raise TypeError(f"{transform} with has_aux=True requires the function to "
                                f"return a pair (output, aux), got {type(out).__name__}")
            out, aux = out
            aux_leaves, store["aux"] = tree_flatten(aux)
        else:
            aux_leaves = []
        out_leaves, store["out"] = tree_flatten(out)
        store["n_main"] = len(out_leaves)
        return out_leaves + aux_leaves

    avals = [aval_of(x) for x in flat]
    kw = dict(transform=transform, name=fun_name(fun), arg_labels=labels or arg_labels(fun, args))
    try:
        ir, consts = trace_to_ir(flat_fun, avals, **kw)
    except ConcretizationTypeError as e:
        known = [known_value(x) for x in flat]
        if not getattr(e, "values_would_do", False) or any(k is None for k in known):
            raise  # under jit/vmap (or not about a value): the error names the fix
        ir, consts = trace_to_ir(flat_fun, avals, known=known, **kw)
    return ir, consts, flat, in_tree, store["out"], store.get("aux"), store["n_main"]


# -- jvp ---------------------------------------------------------------------------------

def jvp(fun: Callable, primals, tangents, has_aux: bool = False):
    """``(fun(*primals), d fun(primals)[tangents])`` — forward-mode derivative."""
    if not isinstance(primals, (tuple, list)) or not isinstance(tangents, (tuple, list)):
        raise TypeError("jvp: primals and tangents must be tuples or lists, got "
                        f"{type(primals).__name__} and {type(tangents).__name__}")
    primals, tangents = tuple(primals), tuple(tangents)
    if tree_structure(primals) != tree_structure(tangents):
        raise TypeError(f"jvp: primal and tangent arguments must have the same tree "
                        f"structure; got {tree_structure(primals)} and "
                        f"{tree_structure(tangents)}{user_line()}")
    ir, consts, flat_p, _, out_tree, aux_tree, n_main = _trace_flat(fun, primals, "jvp", has_aux)
    flat_t = tree_flatten(tangents)[0]
    for p, t in zip(flat_p, flat_t):
        pa, ta = aval_of(p), aval_of(t)
        if pa.shape != ta.shape:
            raise ValueError(f"jvp: primal shape {pa.shape} and tangent shape {ta.shape} "
                             f"differ{user_line()}")
        if _is_diff(p) and ta.dtype != pa.dtype:
            raise TypeError(f"jvp: primal dtype {pa.dtype.name} and tangent dtype "
                            f"{ta.dtype.name} differ; they must be equal{user_line()}")
    nc = len(consts)
    diff = [False] * nc + [_is_diff(p) for p in flat_p]
    inst = [True] * n_main + [False] * (len(ir.outvars) - n_main)
    jir, out_nz = jvp_ir(cleanup(ir), diff, instantiate_out=inst)
    outs = eval_ir(cleanup(jir), list(consts) + list(flat_p)
                   + [t for t, p in zip(flat_t, flat_p) if _is_diff(p)])
    nout = len(ir.outvars)
    primal_out = tree_unflatten(out_tree, outs[:n_main])
    tangent_out = tree_unflatten(out_tree, outs[nout:nout + n_main])
    if has_aux:
        return primal_out, tangent_out, tree_unflatten(aux_tree, outs[n_main:nout])
    return primal_out, tangent_out


def linearize(fun: Callable, *primals, has_aux: bool = False):
    """``(fun(*primals), f_jvp)``; ``f_jvp(*tangents)`` evaluates the saved linear map."""
    ir, consts, flat_p, in_tree, out_tree, aux_tree, n_main = _trace_flat(
        fun, primals, "linearize", has_aux)
    nc = len(consts)
    diff = [False] * nc + [_is_diff(p) for p in flat_p]
    nout = len(ir.outvars)
    diff_out = [True] * n_main + [False] * (nout - n_main)
    known, linear, ct_outs, num_res = linearize_ir(cleanup(ir), diff, diff_out)
    res = eval_ir(known, list(consts) + list(flat_p))
    outs, residuals = res[:nout], res[nout:]

    def f_jvp(*tangents):
        flat_t = in_tree.flatten_up_to(tuple(tangents))
        touts = eval_ir(linear, list(residuals) + [t for t, p in zip(flat_t, flat_p)
                                                     if _is_diff(p)])
        full = [_zeros_like_val(o) for o in outs[:n_main]]
        for i, t in zip(ct_outs, touts):
            full[i] = t
        return tree_unflatten(out_tree, full)

    primal_out = tree_unflatten(out_tree, outs[:n_main])
    if has_aux:
        return primal_out, f_jvp, tree_unflatten(aux_tree, outs[n_main:])
    return primal_out, f_jvp


def _zeros_like_val(x):
    return zeros_of(get_aval(x))


# -- vjp ---------------------------------------------------------------------------------

def _float0_zeros(x):
    return np.zeros(aval_of(x).shape, dtypes.float0)


def vjp(fun: Callable, *primals, has_aux: bool = False, _out_check=None,
        _transform="vjp", _labels=None):
    """``(fun(*primals), vjp_fun)``; ``vjp_fun(ct)`` maps an output cotangent to input ones."""
    ir, consts, flat_p, in_tree, out_tree, aux_tree, n_main = _trace_flat(
        fun, primals, _transform, has_aux, _labels)
    if _out_check is not None:
        _out_check(ir.out_avals[:n_main], out_tree)
    nc = len(consts)
    diff = [False] * nc + [_is_diff(p) for p in flat_p]
    nout = len(ir.outvars)
    v = vjp_ir(cleanup(ir), diff, [True] * n_main + [False] * (nout - n_main))
    res = eval_ir(v.fwd, list(consts) + list(flat_p))
    outs, residuals = res[:nout], res[nout:]
    out_avals = ir.out_avals[:n_main]

    def vjp_fun(ct):
        flat_ct = out_tree.flatten_up_to(ct)
        for c, a in zip(flat_ct, out_avals):
            ca = aval_of(c)
            if ca.shape != a.shape:
                raise ValueError(f"vjp: the cotangent's shape {ca.shape} must equal the shape "
                                 f"of the corresponding output {a.shape}{user_line()}")
        grads = eval_ir(v.bwd, list(residuals) + [flat_ct[i] for i in v.ct_outs])
        it = iter(grads)
        full = [next(it) if d else _float0_zeros(p) for d, p in zip(diff[nc:], flat_p)]
        return tree_unflatten(in_tree, full)

    primal_out = tree_unflatten(out_tree, outs[:n_main])
    if has_aux:
        return primal_out, vjp_fun, tree_unflatten(aux_tree, outs[n_main:])
    return primal_out, vjp_fun


# -- grad --------------------------------------------------------------------------------

def _argnums_tuple(argnums):
    return (argnums,) if isinstance(argnums, int) else tuple(argnums)


def _check_scalar_out(avals, out_tree, holomorphic=False):
    if len(avals) != 1:
        raise TypeError(f"Gradient only defined for scalar-output functions. Output was a "
                        f"pytree {out_tree} with {len(avals)} leaves{user_line()}")
    a = avals[0]
    if a.shape != ():
        raise TypeError(f"Gradient only defined for scalar-output functions. Output had "
                        f"shape: {a.shape}{user_line()}")
    if holomorphic and kind_of(a.dtype) != "c":
        raise TypeError(f"grad with holomorphic=True requires outputs with complex dtype, but "
                        f"got {a.dtype.name}{user_line()}")
    if not holomorphic and kind_of(a.dtype) != "f":
        raise TypeError(f"grad requires real-valued outputs (output dtype that is a sub-dtype "
                        f"of np.floating), but got {a.dtype.name}. For holomorphic "
                        f"differentiation, pass holomorphic=True; for a non-holomorphic "
                        f"function with complex outputs, use vjp{user_line()}")


def value_and_grad(fun: Callable, argnums=0, has_aux: bool = False, holomorphic: bool = False,
                   allow_int: bool = False, reduce_axes=()):
    nums = _argnums_tuple(argnums)

    @functools.wraps(fun)
    def vg(*args, **kwargs):
        if max(nums) >= len(args):
            raise TypeError(f"differentiating with respect to argnums={argnums} requires at "
                            f"least {max(nums) + 1} positional arguments to be passed by the "
                            f"caller, but got only {len(args)} positional arguments"
                            f"{user_line()}")
        dyn = tuple(args[i] for i in nums)
        if not allow_int:
            for leaf in tree_flatten(dyn)[0]:
                dt = aval_of(leaf).dtype
                if kind_of(dt) not in "fc":
                    raise TypeError(
                        f"grad requires real- or complex-valued inputs (input dtype that is a "
                        f"sub-dtype of np.inexact), but got {dt.name}. If you want to use "
                        f"Boolean- or integer-valued inputs, use vjp or set allow_int to True"
                        f"{user_line()}")
        if holomorphic:
            for leaf in tree_flatten(dyn)[0]:
                if kind_of(aval_of(leaf).dtype) != "c":
                    raise TypeError(f"grad with holomorphic=True requires inputs with complex "
                                    f"dtype, but got {aval_of(leaf).dtype.name}{user_line()}")

        def partial_fun(*dyn_args):
            full = list(args)
            for i, a in zip(nums, dyn_args):
                full[i] = a
            return fun(*full, **kwargs)

        partial_fun.__name__ = fun_name(fun)
        labels = arg_labels(fun, dyn, positions=nums)
        res = vjp(partial_fun, *dyn, has_aux=has_aux,
                  _out_check=functools.partial(_check_scalar_out, holomorphic=holomorphic),
                  _transform="grad", _labels=labels)
        out, pullback = res[0], res[1]
        g = pullback(full_of(get_aval(out), 1))   # the seed: ones_like(out)
        g = g[0] if isinstance(argnums, int) else g
        if has_aux:
            return (out, res[2]), g
        return out, g

    return vg


def grad(fun: Callable, argnums=0, has_aux: bool = False, holomorphic: bool = False,
         allow_int: bool = False, reduce_axes=()):
    """The gradient of scalar-valued ``fun`` with respect to positional ``argnums``."""
    vg = value_and_grad(fun, argnums, has_aux, holomorphic, allow_int)

    @functools.wraps(fun)
    def g(*args, **kwargs):
        res = vg(*args, **kwargs)
        if has_aux:
            (_, aux), gr = res
            return gr, aux
        return res[1]

    return g


# -- Jacobians -----------------------------------------------------------------------------

def _std_basis(leaves):
    """Identity rows split into per-leaf blocks shaped (N, *leaf.shape)."""
    sizes = [int(np.prod(aval_of(x).shape)) for x in leaves]
    n = sum(sizes)
    dtype = dtypes.result_type(*leaves) if leaves else dtypes.default_float()
    rows, cols = (broadcasted_iota(np.int32, (n, n), d) for d in (0, 1))
    eye = convert_element_type(eq(rows, cols), dtype)
    out, start = [], 0
    for x, s in zip(leaves, sizes):
        block = slice_(eye, (0, start), (n, start + s))
        out.append(reshape(block, (n,) + tuple(aval_of(x).shape)))
        start += s
    return out, n


def jacfwd(fun: Callable, argnums=0, has_aux: bool = False, holomorphic: bool = False):
    """Jacobian by forward mode: one jvp per input element, vectorized with vmap."""
    from .vmap import vmap
    nums = _argnums_tuple(argnums)

    def jac(*args, **kwargs):
        dyn = tuple(args[i] for i in nums)

        def partial_fun(*dyn_args):
            full = list(args)
            for i, a in zip(nums, dyn_args):
                full[i] = a
            return fun(*full, **kwargs)

        flat_in, in_tree = tree_flatten(dyn)
        basis, n = _std_basis(flat_in)

        def push(*flat_t):
            t = tree_unflatten(in_tree, flat_t)
            return jvp(partial_fun, dyn, t, has_aux=has_aux)

        res = vmap(push, out_axes=(None, -1, None) if has_aux else (None, -1))(*basis)
        out = tree_map(lambda j: _split_last(j, flat_in, in_tree, isinstance(argnums, int)),
                       res[1])
        return (out, res[2]) if has_aux else out

    return jac


def _split_last(j, flat_in, in_tree, single):
    """(*out_shape, N) -> pytree over inputs of (*out_shape, *in_shape)."""
    out_shape = tuple(j.shape[:-1])
    parts, start = [], 0
    for x in flat_in:
        shape = tuple(aval_of(x).shape)
        s = int(np.prod(shape))
        parts.append(j[..., start:start + s].reshape(out_shape + shape))
        start += s
    tree = tree_unflatten(in_tree, parts)
    return tree[0] if single else tree


def jacrev(fun: Callable, argnums=0, has_aux: bool = False, holomorphic: bool = False,
           allow_int: bool = False):
    """Jacobian by reverse mode: one vjp per output element, vectorized with vmap."""
    from .vmap import vmap
    nums = _argnums_tuple(argnums)

    def jac(*args, **kwargs):
        dyn = tuple(args[i] for i in nums)

        def partial_fun(*dyn_args):
            full = list(args)
            for i, a in zip(nums, dyn_args):
                full[i] = a
            return fun(*full, **kwargs)

        res = vjp(partial_fun, *dyn, has_aux=has_aux)
        y, pullback = res[0], res[1]
        flat_out, out_tree = tree_flatten(y)
        basis, m = _std_basis(flat_out)
        rows = vmap(lambda *b: pullback(tree_unflatten(out_tree, b)))(*basis)
        # rows: pytree over inputs of (M, *in_shape); split M over the outputs
        flat_in, in_tree = tree_flatten(dyn)
        flat_rows = in_tree.flatten_up_to(rows)
        per_out = []
        start = 0
        for o in flat_out:
            oshape = tuple(aval_of(o).shape)
            s = int(np.prod(oshape))
            blocks = [r[start:start + s].reshape(oshape + tuple(aval_of(x).shape))
                      for r, x in zip(flat_rows, flat_in)]
            tree = tree_unflatten(in_tree, blocks)
            per_out.append(tree[0] if isinstance(argnums, int) else tree)
            start += s
        out = tree_unflatten(out_tree, per_out)
        return (out, res[2]) if has_aux else out

    return jac


def hessian(fun: Callable, argnums=0, has_aux: bool = False, holomorphic: bool = False):
    """Second derivatives: forward-over-reverse (``jacfwd(jacrev(fun))``)."""
    return jacfwd(jacrev(fun, argnums, has_aux), argnums, has_aux)
