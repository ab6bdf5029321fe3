"""dot_general: batched tensor contraction, the one matrix-multiply primitive.

``dimension_numbers = ((lhs_contract, rhs_contract), (lhs_batch, rhs_batch))``;
the result's dims are (batch..., lhs free..., rhs free...), as in ``lax``.
"""
from __future__ import annotations

import math

import numpy as np

from ..core.adtypes import Zero, is_undefined
from ..core.aval import ShapedArray
from ..core.primitive import OP, Primitive
from ..trace.tracer import bind
from . import elementwise as ew
from . import shape as sh
from .util import bdim_to_front, dtype_error, get_aval, shape_error, shape_str, tangent_aval


def _free(ndim, contract, batch):
    return tuple(i for i in range(ndim) if i not in contract and i not in batch)


def _dot_shape(lhs, rhs, *, dimension_numbers, precision, preferred_element_type):
    (lc, rc), (lb, rb) = dimension_numbers
    bad = (len(lc) != len(rc) or len(lb) != len(rb)
           or len(set(lc + lb)) != len(lc + lb) or len(set(rc + rb)) != len(rc + rb)
           or any(not 0 <= i < len(lhs.shape) for i in lc + lb)
           or any(not 0 <= i < len(rhs.shape) for i in rc + rb))
    if not bad:
        bad = any(lhs.shape[a] != rhs.shape[b] for a, b in zip(lc + lb, rc + rb))
    if bad:
        raise shape_error(f"dot_general: shapes {shape_str(lhs.shape)} and "
                          f"{shape_str(rhs.shape)} are incompatible with dimension_numbers "
                          f"{dimension_numbers}")
    if lhs.dtype != rhs.dtype and preferred_element_type is None:
        raise dtype_error(f"dot_general requires operands of the same dtype, got "
                          f"{lhs.dtype.name} and {rhs.dtype.name}")
    lf, rf = _free(len(lhs.shape), lc, lb), _free(len(rhs.shape), rc, rb)
    shape = (tuple(lhs.shape[i] for i in lb) + tuple(lhs.shape[i] for i in lf)
             + tuple(rhs.shape[i] for i in rf))
    dtype = preferred_element_type if preferred_element_type is not None else lhs.dtype
    return ShapedArray(shape, dtype, lhs.weak_type and rhs.weak_type)


def _dot_impl(lhs, rhs, *, dimension_numbers, precision, preferred_element_type):
    (lc, rc), (lb, rb) = dimension_numbers
    if preferred_element_type is not None:
        lhs, rhs = lhs.astype(preferred_element_type), rhs.astype(preferred_element_type)
    lf, rf = _free(lhs.ndim, lc, lb), _free(rhs.ndim, rc, rb)
    bshape = tuple(lhs.shape[i] for i in lb)
    m = tuple(lhs.shape[i] for i in lf)
    n = tuple(rhs.shape[i] for i in rf)
    k = math.prod(lhs.shape[i] for i in lc)
    L = np.transpose(lhs, lb + lf + lc).reshape(math.prod(bshape), math.prod(m), k)
    R = np.transpose(rhs, rb + rc + rf).reshape(math.prod(bshape), k, math.prod(n))
    if lhs.dtype == np.bool_:
        out = np.matmul(L.astype(np.int32), R.astype(np.int32)) > 0
    else:
        out = np.matmul(L, R)
    return out.reshape(bshape + m + n).astype(lhs.dtype, copy=False)


def _dot_jvp(primals, tangents, **params):
    (l, r), (tl, tr) = primals, tangents
    out = bind(dot_general_p, l, r, **params)
    total = None
    if type(tl) is not Zero:
        total = bind(dot_general_p, tl, r, **params)
    if type(tr) is not Zero:
        c = bind(dot_general_p, l, tr, **params)
        total = c if total is None else ew.add(total, c)
    return out, (Zero(tangent_aval(get_aval(out))) if total is None else total)


def _ranges(nb, nlf, nrf):
    return (tuple(range(nb)), tuple(range(nb, nb + nlf)), tuple(range(nb + nlf, nb + nlf + nrf)))


def _pet(ct, other):
    """With preferred_element_type the cotangent's dtype can differ from the operands'."""
    dt, do = get_aval(ct).dtype, get_aval(other).dtype
    return None if dt == do else dt


def _dot_transpose(ct, lhs, rhs, *, dimension_numbers, precision, preferred_element_type):
    (lc, rc), (lb, rb) = dimension_numbers
    la = lhs.aval if is_undefined(lhs) else get_aval(lhs)
    ra = rhs.aval if is_undefined(rhs) else get_aval(rhs)
    if is_undefined(lhs) and is_undefined(rhs):
        raise NotImplementedError("dot_general: transpose with both operands linear")
    if type(ct) is Zero:
        return (Zero(la) if is_undefined(lhs) else None, Zero(ra) if is_undefined(rhs) else None)
    lf, rf = _free(len(la.shape), lc, lb), _free(len(ra.shape), rc, rb)
    cb, clf, crf = _ranges(len(lb), len(lf), len(rf))
    if is_undefined(lhs):
        g = dot_general(ct, rhs, ((crf, rf), (cb, rb)), preferred_element_type=_pet(ct, rhs))
        order = list(lb) + list(lf) + [lc[i] for i in np.argsort(rc)]
        g = sh.transpose(g, tuple(np.argsort(order)))
        return ew.convert_element_type(g, la.dtype, la.weak_type), None
    # lhs^T @ ct lands in the rhs's own layout for the usual (in, out) weight: no transpose
    order = list(rb) + [rc[list(lc).index(d)] for d in sorted(lc)] + list(rf)
    if order == sorted(order):
        g = dot_general(lhs, ct, ((lf, clf), (lb, cb)), preferred_element_type=_pet(ct, lhs))
        return None, ew.convert_element_type(g, ra.dtype, ra.weak_type)
    g = dot_general(ct, lhs, ((clf, lf), (cb, lb)), preferred_element_type=_pet(ct, lhs))
    order = list(rb) + list(rf) + [rc[i] for i in np.argsort(lc)]
    g = sh.transpose(g, tuple(np.argsort(order)))
    return None, ew.convert_element_type(g, ra.dtype, ra.weak_type)


def _shift(dims, k=1):
    return tuple(d + k for d in dims)


def _dot_batch(args, dims, *, dimension_numbers, precision, preferred_element_type):
    (l, r), (dl, dr) = args, dims
    (lc, rc), (lb, rb) = dimension_numbers
    p = dict(precision=precision, preferred_element_type=preferred_element_type)
    if dl is not None and dr is not None:
        l, r = bdim_to_front(l, dl), bdim_to_front(r, dr)
        dn = ((_shift(lc), _shift(rc)), ((0,) + _shift(lb), (0,) + _shift(rb)))
        return dot_general(l, r, dn, **p), 0
    if dl is not None:
        l = bdim_to_front(l, dl)
        dn = ((_shift(lc), rc), (_shift(lb), rb))
        return dot_general(l, r, dn, **p), len(lb)
    r = bdim_to_front(r, dr)
    dn = ((lc, _shift(rc)), (lb, _shift(rb)))
    nlf = len(_free(len(l.shape), lc, lb))
    return dot_general(l, r, dn, **p), len(lb) + nlf


dot_general_p = Primitive("dot_general", kind=OP)
dot_general_p.impl = _dot_impl
dot_general_p.shape_rule = _dot_shape
dot_general_p.jvp = _dot_jvp
dot_general_p.transpose = _dot_transpose
dot_general_p.batch = _dot_batch


def dot_general(lhs, rhs, dimension_numbers, precision=None, preferred_element_type=None):
    (lc, rc), (lb, rb) = dimension_numbers
    dn = ((tuple(int(i) for i in lc), tuple(int(i) for i in rc)),
          (tuple(int(i) for i in lb), tuple(int(i) for i in rb)))
    pet = None if preferred_element_type is None else np.dtype(preferred_element_type)
    if pet is not None and pet == get_aval(lhs).dtype == get_aval(rhs).dtype:
        pet = None
    return bind(dot_general_p, lhs, rhs, dimension_numbers=dn, precision=None,
                preferred_element_type=pet)


def dot(lhs, rhs, precision=None, preferred_element_type=None):
    """``lax.dot``: vector/matrix products contracting lhs's last and rhs's first dim."""
    nl, nr = len(get_aval(lhs).shape), len(get_aval(rhs).shape)
    if not (1 <= nl <= 2 and 1 <= nr <= 2):
        raise shape_error(f"dot: operands must be vectors or matrices, got shapes "
                          f"{shape_str(get_aval(lhs).shape)} and {shape_str(get_aval(rhs).shape)}")
    return dot_general(lhs, rhs, (((nl - 1,), (0,)), ((), ())), precision, preferred_element_type)
