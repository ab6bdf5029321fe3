"""Structured control flow with JAX's signatures: cond, switch, while_loop, fori_loop, scan, map.

Each function traces its Python callables once, at the abstract types of the operands, into
sub-IRs held by one ``cond`` / ``while`` / ``scan`` equation (see ``jitnet/hop/control_flow``);
values the callables close over become explicit operands. Errors name the offending carry
or branch output, as JAX's do.
"""
from __future__ import annotations

import builtins
from typing import Callable, Sequence

import numpy as np

from ..core.dtypes import kind_of
from ..core import dtypes
from ..core.aval import ShapedArray, aval_of
from ..core.ir import IR, Var
from ..core.pytree import tree_flatten, tree_unflatten
from ..core.source_info import user_line
from ..hop.control_flow import cond_p, scan_p, type_str, typematch, while_p
from ..prims import elementwise as ew
from ..prims import shape as sh
from ..trace.make_ir import fun_name, leaf_labels, param_names, trace_to_ir
from ..trace.tracer import Tracer, bind
from ..transforms.cleanup import cleanup

__all__ = ["cond", "switch", "while_loop", "fori_loop", "scan", "map"]


# -- tracing helpers -----------------------------------------------------------------------

class _Traced:
    """A callable traced at some avals: closed IR (captured values first), those values,
    and the output tree."""

    def __init__(self, ir: IR, consts: list, out_tree):
        self.ir, self.consts, self.out_tree = ir, consts, out_tree


def _trace(fun: Callable, in_tree, avals, transform: str, labels=None) -> _Traced:
    store = {}

    def flat(*leaves):
        out = fun(*tree_unflatten(in_tree, leaves))
        leaves_out, store["tree"] = tree_flatten(out)
        return leaves_out

    ir, consts = trace_to_ir(flat, list(avals), transform=transform, name=fun_name(fun),
                             arg_labels=labels)
    return _Traced(cleanup(IR(ir.invars, ir.eqns, ir.outvars)), consts, store["tree"])


def _avals(leaves) -> list[ShapedArray]:
    return [aval_of(x) for x in leaves]


def _where(f) -> str:
    code = getattr(f, "__code__", None)
    if code is None:
        return fun_name(f)
    return f"{fun_name(f)} at {code.co_filename}:{code.co_firstlineno}"


def _mismatch(a, b) -> str:
    if tuple(a.shape) != tuple(b.shape):
        return "so the shapes do not match"
    return "so the dtypes do not match"


def _label_base(f, default: str) -> str:
    names = param_names(f)
    return names[0] if names else default


# -- cond / switch -------------------------------------------------------------------------

def _join_consts(traced: Sequence[_Traced]) -> tuple[list, list[IR]]:
    """All branches' captured values (each once), and each branch's IR over all of them."""
    values, index = [], {}
    for t in traced:
        for c in t.consts:
            if id(c) not in index:
                index[id(c)] = len(values)
                values.append(c)
    irs = []
    for t in traced:
        own = {id(c): v for c, v in zip(t.consts, t.ir.invars[:len(t.consts)])}
        invars = [own.get(id(c)) or Var(aval_of(c)) for c in values]
        irs.append(IR(invars + list(t.ir.invars[len(t.consts):]), t.ir.eqns, t.ir.outvars))
    return values, irs


def _check_branches(traced: Sequence[_Traced], names: Sequence[str], funs, what: str):
    first = traced[0]
    for t, name, f in zip(traced[1:], names[1:], funs[1:]):
        where = (f"\n\n{names[0]} is {_where(funs[0])}\n{name} is {_where(f)}\n\n")
        if t.out_tree != first.out_tree:
            raise TypeError(f"{what} branch outputs must have the same pytree structure, but "
                            f"they differ:{where}{names[0]} output is {first.out_tree} but "
                            f"{name} output is {t.out_tree}.\n\nRevise {names[0]} and/or "
                            f"{name} so that they have the same pytree structure."
                            + user_line())
        for a, b in zip(first.ir.out_avals, t.ir.out_avals):
            if not typematch(a, b):
                raise TypeError(f"{what} branches must have equal output types but they "
                                f"differ.{where}The output of {names[0]} has type "
                                f"{type_str(a)} but the corresponding output of {name} has "
                                f"type {type_str(b)}, {_mismatch(a, b)}.\n\nRevise "
                                f"{names[0]} and/or {name} so that all output types match."
                                + user_line())


def _branches(index, funs, operands, names, what):
    leaves, tree = tree_flatten(tuple(operands))
    avals = _avals(leaves)
    traced = [_trace(f, tree, avals, what) for f in funs]
    _check_branches(traced, names, funs, what)
    consts, irs = _join_consts(traced)
    outs = bind(cond_p, index, *consts, *leaves, branches=tuple(irs))
    return tree_unflatten(traced[0].out_tree, outs)


def cond(pred, true_fun: Callable, false_fun: Callable, *operands):
    """``true_fun(*operands)`` if ``pred`` else ``false_fun(*operands)``; both are traced and
    must return the same types. A batched ``pred`` (under vmap) runs both and selects."""
    a = aval_of(pred)
    if a.shape != ():
        raise TypeError(f"Pred must be a scalar, got {pred} of shape {a.shape}." + user_line())
    if kind_of(a.dtype) not in "biuf":
        raise TypeError(f"Pred type must be either boolean or number, got {a.dtype.name}."
                        + user_line())
    if a.dtype.kind != "b":
        pred = ew.ne(pred, ew.convert_element_type(0, a.dtype))
    index = ew.convert_element_type(pred, np.int32)
    return _branches(index, [false_fun, true_fun], operands, ["false_fun", "true_fun"], "cond")


def switch(index, branches: Sequence[Callable], *operands):
    """``branches[clamp(index, 0, len(branches) - 1)](*operands)``."""
    branches = list(branches)
    if not branches:
        raise ValueError("Empty branch sequence" + user_line())
    a = aval_of(index)
    if a.shape != ():
        raise TypeError(f"Branch index must be scalar, got {index} of shape {a.shape}."
                        + user_line())
    if a.dtype.kind not in "iu":
        raise TypeError(f"Index type must be an integer, got {index} as {a.dtype.name}"
                        + user_line())
    if len(branches) == 1:
        return branches[0](*operands)
    index = ew.convert_element_type(index, np.int32)
    index = ew.clamp(np.int32(0), index, np.int32(len(branches) - 1))
    return _branches(index, branches, operands, [f"branches[{i}]" for i in range(len(branches))],
                     "switch")


# -- loops -----------------------------------------------------------------------------------

def _promote_weak(init_leaves, out_avals):
    """JAX's rule: a weakly typed init whose body output differs takes the joined type, so
    ``scan(f, 0.0, xs)`` carries ``xs``' dtype. Returns the new leaves and whether any changed."""
    changed, new = False, []
    for x, out in zip(init_leaves, out_avals):
        a = aval_of(x)
        if a.weak_type and not (typematch(a, out) and a.weak_type == out.weak_type):
            dt, weak = dtypes.result_type(a, out, return_weak_type_flag=True)
            if dt != a.dtype or weak != a.weak_type:
                x = ew.convert_element_type(x, dt, weak_type=weak)
                changed = True
        new.append(x)
    return new, changed


def _check_carry_tree(what: str, init_tree, out_tree):
    if out_tree != init_tree:
        raise TypeError(f"{what} body function carry input and carry output must have the same "
                        f"pytree structure, but they differ:\n\nThe input carry is "
                        f"{init_tree} but the carry output is {out_tree}.\n\nRevise the "
                        f"function so that the carry output has the same pytree structure as "
                        f"the carry input." + user_line())


def _check_carry_types(what: str, labels, in_avals, out_avals):
    for lbl, a, b in zip(labels, in_avals, out_avals):
        if not typematch(a, b):
            raise TypeError(f"{what} body function carry input and carry output must have "
                            f"equal types, but they differ:\n\nThe input carry {lbl} has type "
                            f"{type_str(a)} but the corresponding output carry component has "
                            f"type {type_str(b)}, {_mismatch(a, b)}.\n\nRevise the function so "
                            f"that all output types match the corresponding input types."
                            + user_line())


def _trace_carry_fun(what: str, trace_at: Callable, leaves, labels):
    """Trace a loop body at the carry types, promoting weakly typed inits the body changes
    (traced again at the promoted types); then check the carry types. Returns (traced,
    leaves)."""
    t = trace_at(leaves)
    n = len(leaves)
    promoted, changed = _promote_weak(leaves, t.ir.out_avals[:n])
    if changed:
        leaves = promoted
        t = trace_at(leaves)
    _check_carry_types(what, labels, _avals(leaves), t.ir.out_avals[:n])
    return t, leaves


def while_loop(cond_fun: Callable, body_fun: Callable, init_val):
    """``while cond_fun(val): val = body_fun(val)``; forward-mode differentiable only."""
    leaves, tree = tree_flatten(init_val)
    labels = leaf_labels(init_val, _label_base(body_fun, "val"))
    in_tree = tree_flatten((init_val,))[1]

    def trace_at(leaves):
        t = _trace(body_fun, in_tree, _avals(leaves), "while_loop body")
        _check_carry_tree("while_loop", tree, t.out_tree)
        return t

    body, leaves = _trace_carry_fun("while_loop", trace_at, leaves, labels)
    cnd = _trace(cond_fun, in_tree, _avals(leaves), "while_loop cond")
    pred = cnd.ir.out_avals
    if len(pred) != 1 or pred[0].shape != () or pred[0].dtype != np.bool_:
        raise TypeError(f"cond_fun must return a boolean scalar, but got output type(s) "
                        f"{pred}." + user_line())
    outs = bind(while_p, *cnd.consts, *body.consts, *leaves, cond_ir=cnd.ir, body_ir=body.ir,
                cond_nconsts=len(cnd.consts), body_nconsts=len(body.consts))
    return tree_unflatten(tree, outs)


def _scan_length(xs_leaves, length):
    lengths = []
    for x in xs_leaves:
        shape = aval_of(x).shape
        if not shape:
            raise ValueError(f"scan got a value with no leading axis to scan over (shape "
                             f"{shape})" + user_line())
        lengths.append(shape[0])
    if length is not None:
        length = int(length)
        if any(n != length for n in lengths):
            raise ValueError(f"scan got `length` argument of {length} which disagrees with "
                             f"leading axis sizes {lengths}." + user_line())
        return length
    if not lengths:
        raise ValueError("scan got no values to scan over and `length` not provided."
                         + user_line())
    if len(set(lengths)) > 1:
        raise ValueError(f"scan got values with different leading axis sizes: "
                         f"{', '.join(builtins.map(str, lengths))}." + user_line())
    return lengths[0]


def scan(f: Callable, init, xs=None, length=None, reverse: bool = False, unroll=1,
         _split_transpose: bool = False):
    """``f(carry, x) -> (carry, y)`` over the leading axis of ``xs``; returns the final
    carry and the stacked ys. The body is traced once, never unrolled in the IR."""
    xs_leaves, xs_tree = tree_flatten(xs)
    length = _scan_length(xs_leaves, length)
    x_avals = [a.update(shape=a.shape[1:]) for a in _avals(xs_leaves)]
    leaves, tree = tree_flatten(init)
    labels = leaf_labels(init, _label_base(f, "carry"))
    store = {}

    def body(carry, x):
        out = f(carry, x)
        if not (isinstance(out, (tuple, list)) and len(out) == 2):
            raise TypeError(f"scan body output must be a pair, got {out}." + user_line())
        c_leaves, store["carry"] = tree_flatten(out[0])
        store["y"] = tree_flatten(out[1])[1]
        return list(c_leaves) + list(tree_flatten(out[1])[0])

    in_tree = tree_flatten((init, xs))[1]
    n = len(leaves)

    def trace_at(leaves):
        t = _trace(body, in_tree, _avals(leaves) + x_avals, "scan")
        _check_carry_tree("scan", tree, store["carry"])
        return t

    t, leaves = _trace_carry_fun("scan", trace_at, leaves, labels)
    outs = bind(scan_p, *t.consts, *leaves, *xs_leaves, body=t.ir, length=length,
                reverse=bool(reverse), num_consts=len(t.consts), num_carry=n, unroll=unroll)
    return tree_unflatten(tree, outs[:n]), tree_unflatten(store["y"], outs[n:])


def _static_int(x):
    """A Python int for a concrete bound, None for a traced one."""
    if isinstance(x, Tracer):
        return None
    return int(np.asarray(x))


def fori_loop(lower, upper, body_fun: Callable, init_val, *, unroll=None):
    """``for i in range(lower, upper): val = body_fun(i, val)``. Concrete bounds lower to
    ``scan`` (reverse-differentiable); traced bounds to ``while_loop`` (forward mode only)."""
    la, ua = aval_of(lower), aval_of(upper)
    if la.dtype != ua.dtype and not (la.weak_type or ua.weak_type):
        raise TypeError(f"lower and upper arguments to fori_loop must have equal types, got "
                        f"{la.dtype.name} and {ua.dtype.name}" + user_line())
    dtype, weak = dtypes.result_type(la, ua, return_weak_type_flag=True)  # a weak bound adapts
    if dtype.kind not in "iu":
        raise TypeError(f"fori_loop bounds must be integers, got {dtype.name}" + user_line())
    la = ShapedArray((), dtype, weak)
    lo, hi = _static_int(lower), _static_int(upper)
    if lo is not None and hi is not None:
        i0 = ew.convert_element_type(lo, la.dtype, weak_type=weak)

        def step(carry, _):
            i, x = carry
            return (ew.add(i, ew.convert_element_type(1, la.dtype, weak_type=weak)),
                    body_fun(i, x)), None

        (_, out), _ = scan(step, (i0, init_val), None, length=builtins.max(hi - lo, 0),
                           unroll=1 if unroll is None else unroll)
        return out
    lower = ew.convert_element_type(lower, la.dtype, weak_type=weak)
    upper = ew.convert_element_type(upper, la.dtype, weak_type=weak)

    def loop_cond(carry):
        return ew.lt(carry[0], carry[1])

    def loop_body(carry):
        i, hi_, x = carry
        return ew.add(i, ew.convert_element_type(1, la.dtype, weak_type=weak)), hi_, \
            body_fun(i, x)

    return while_loop(loop_cond, loop_body, (lower, upper, init_val))[2]


def map(f: Callable, xs, *, batch_size: int | None = None):
    """``stack([f(x) for x in xs])`` as a scan; with ``batch_size``, ``f`` is vmapped over
    chunks of that size (and once over the remainder)."""
    if batch_size is None:
        return scan(lambda _, x: ((), f(x)), (), xs)[1]
    from ..api.vmap import vmap
    from ..core.pytree import tree_map
    leaves = tree_flatten(xs)[0]
    n = _scan_length(leaves, None)
    main, rem = divmod(n, batch_size)

    def chunked(x):
        return x[:main * batch_size].reshape((main, batch_size) + tuple(x.shape[1:]))

    ys = scan(lambda _, x: ((), vmap(f)(x)), (), tree_map(chunked, xs))[1]
    ys = tree_map(lambda y: y.reshape((main * batch_size,) + tuple(y.shape[2:])), ys)
    if rem:
        tail = vmap(f)(tree_map(lambda x: x[main * batch_size:], xs))
        ys = tree_map(lambda a, b: sh.concatenate([a, b], 0), ys, tail)
    return ys
