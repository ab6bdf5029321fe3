"""Elementwise selection: ``select_n`` (the case an index or a predicate picks) and ``clamp``,
with their jvp and transpose rules."""
from __future__ import annotations

import numpy as np

from ..core.adtypes import Zero, is_undefined
from ..core.primitive import ELEMENTWISE, Primitive
from ..trace.tracer import bind
from .elementwise_rules import ANY, NUMERIC, nary_shape_rule, primary_batch, unbroadcast
from .util import const, dtype_error, get_aval, instantiate, shape_error, shape_str, tangent_aval

# -- select and clamp -----------------------------------------------------------


def _select_shape(which, *cases):
    if not cases:
        raise shape_error("select_n: at least one case is required")
    out = nary_shape_rule("select_n", ANY)(*cases)
    if which.dtype.kind not in "bi" or (which.dtype.kind == "b" and len(cases) > 2):
        raise dtype_error(f"select_n: the selector must be bool (two cases) or int32, got "
                          f"{which.dtype.name} with {len(cases)} cases")
    if which.shape and which.shape != out.shape:
        raise shape_error(f"select_n: selector shape {shape_str(which.shape)} must be () or "
                          f"match the cases' shape {shape_str(out.shape)}")
    return out


def _select_impl(which, *cases):
    if len(cases) == 1:
        return np.broadcast_to(cases[0], np.broadcast_shapes(which.shape, cases[0].shape)).copy()
    if which.dtype == np.bool_:
        return np.where(which, cases[1], cases[0])
    return np.choose(which.astype(np.intp), np.broadcast_arrays(*cases))


select_n_p = Primitive("select_n", kind=ELEMENTWISE)
select_n_p.impl = _select_impl
select_n_p.shape_rule = _select_shape


select_n_p.batch = lambda args, dims, **params: primary_batch(  # the cases follow the selector
    select_n_p, tuple(range(1, len(args))))(args, dims, **params)


def select_n(which, *cases):
    """``cases[which]`` elementwise; ``which`` is bool (two cases) or int32."""
    return bind(select_n_p, which, *cases)


def select(pred, on_true, on_false):
    return select_n(pred, on_false, on_true)


def _clamp_shape(lo, x, hi):
    out = nary_shape_rule("clamp", NUMERIC)(x)
    for b, nm in ((lo, "min"), (hi, "max")):
        if b.dtype != x.dtype:
            raise dtype_error(f"clamp: {nm} has dtype {b.dtype.name} but the operand has "
                              f"{x.dtype.name}")
        if b.shape and b.shape != x.shape:
            raise shape_error(f"clamp: {nm} shape {shape_str(b.shape)} must be () or the "
                              f"operand's shape {shape_str(x.shape)}")
    return out


clamp_p = Primitive("clamp", kind=ELEMENTWISE)
clamp_p.impl = lambda lo, x, hi: np.minimum(np.maximum(x, lo), hi)
clamp_p.shape_rule = _clamp_shape
clamp_p.batch = primary_batch(clamp_p, (1,))


def clamp(min, x, max):
    return bind(clamp_p, min, x, max)


# -- jvp and transpose rules


def _select_jvp(primals, tangents):
    which, *cases = primals
    out = select_n(which, *cases)
    if all(type(t) is Zero for t in tangents[1:]):
        return out, Zero(tangent_aval(get_aval(out)))
    ts = [instantiate(t) for t in tangents[1:]]
    return out, select_n(which, *ts)


select_n_p.jvp = _select_jvp


def _clamp_jvp(primals, tangents):
    lo, x, hi = primals
    out = clamp(lo, x, hi)
    zero = const(out, 0)
    total = None
    tl, tx, th = tangents
    if type(tx) is not Zero:
        total = select(bitwise_and(gt(x, lo), lt(x, hi)), tx, zero)
    if type(tl) is not Zero:  # as JAX: lo's slope only while lo < hi (hi wins lo == hi)
        c = select(bitwise_and(gt(lo, x), lt(lo, hi)), tl, zero)
        total = c if total is None else add(total, c)
    if type(th) is not Zero:
        c = select(lt(hi, x), th, zero)
        total = c if total is None else add(total, c)
    if total is None:
        return out, Zero(tangent_aval(get_aval(out)))
    if tuple(total.shape) != tuple(out.shape):
        total = sh.broadcast_in_dim(total, tuple(out.shape), ())
    return out, total


clamp_p.jvp = _clamp_jvp


def _select_transpose(ct, which, *cases):
    if is_undefined(which):
        raise NotImplementedError("select_n: transpose with respect to the selector")
    outs = [None]
    for i, c in enumerate(cases):
        if not is_undefined(c):
            outs.append(None)
        elif type(ct) is Zero:
            outs.append(Zero(c.aval))
        else:
            z = const(ct, 0)
            picks = [z] * len(cases)
            picks[i] = ct
            outs.append(unbroadcast(c.aval, select_n(which, *picks)))
    return tuple(outs)


select_n_p.transpose = _select_transpose


# the other families: the rules above call their operations when they run. Imported last,
# so that every primitive of this module exists whichever family is imported first.
from .elementwise_arith import add, bitwise_and, gt, lt  # noqa: E402
from . import shape as sh  # noqa: E402
