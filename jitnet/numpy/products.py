"""Products: matmul, dot, tensordot, inner, outer, vdot, trace, kron (all via ``dot_general``)."""
from __future__ import annotations

import numpy as np

from .. import lax
from ..core.source_info import user_line
from ..prims.util import get_aval
from .util import check_arraylike, convert, promote_args, promote_dtypes_numeric


def _pre(name, a, b):
    check_arraylike(name, a, b)
    return promote_dtypes_numeric(a, b)


def _bool_as_int(f):
    """Boolean products (as NumPy and JAX): computed on int32, then ``!= 0`` (an 'or' of 'and's)."""
    def g(a, b, *args, **kwargs):
        check_arraylike(f.__name__, a, b)
        a, b = promote_dtypes_numeric(a, b)
        if get_aval(a).dtype != np.bool_:
            return f(a, b, *args, **kwargs)
        kwargs.pop("preferred_element_type", None)
        out = f(convert(a, np.int32), convert(b, np.int32), *args, **kwargs)
        return lax.ne(out, convert(0, np.int32, True))
    g.__name__ = g.__qualname__ = f.__name__
    g.__doc__ = f.__doc__
    return g


@_bool_as_int
def matmul(a, b, *, precision=None, preferred_element_type=None):
    """``a @ b`` with NumPy's rules: 1-D operands are promoted, batch dims broadcast."""
    a, b = _pre("matmul", a, b)
    sa, sb = tuple(get_aval(a).shape), tuple(get_aval(b).shape)
    if not sa or not sb:
        raise ValueError(f"matmul: input operands must be at least 1-D, got shapes {sa} and "
                         f"{sb}{user_line()}")
    a_vec, b_vec = len(sa) == 1, len(sb) == 1
    if a_vec:
        a, sa = lax.reshape(a, (1,) + sa), (1,) + sa
    if b_vec:
        b, sb = lax.reshape(b, sb + (1,)), sb + (1,)
    if sa[-1] != sb[-2]:
        raise ValueError(f"matmul: contracting dimensions differ: shapes {tuple(get_aval(a).shape)}"
                         f" and {tuple(get_aval(b).shape)} (size {sa[-1]} vs {sb[-2]})"
                         f"{user_line()}")
    ba, bb = sa[:-2], sb[:-2]
    nb = max(len(ba), len(bb))
    ba, bb = (1,) * (nb - len(ba)) + ba, (1,) * (nb - len(bb)) + bb
    a = lax.reshape(a, ba + sa[-2:])
    b = lax.reshape(b, bb + sb[-2:])
    a_sq, b_sq, batch, a_free, b_free = [], [], [], [], []
    out_dims = []  # for each batch dim: ('batch', j) | ('a', j) | ('b', j) | ('one',)
    for i, (x, y) in enumerate(zip(ba, bb)):
        if x == y:
            batch.append(i)
            out_dims.append(("batch", len(batch) - 1))
        elif x == 1:
            a_sq.append(i)
            b_free.append(i)
            out_dims.append(("b", len(b_free) - 1))
        elif y == 1:
            b_sq.append(i)
            a_free.append(i)
            out_dims.append(("a", len(a_free) - 1))
        else:
            raise ValueError(f"matmul: batch dimensions {tuple(sa[:-2])} and {tuple(sb[:-2])} "
                             f"cannot be broadcast together{user_line()}")
    a = lax.squeeze(a, tuple(a_sq))
    b = lax.squeeze(b, tuple(b_sq))
    ra = [i for i in range(nb) if i not in a_sq]
    rb = [i for i in range(nb) if i not in b_sq]
    lb = tuple(ra.index(i) for i in batch)
    rbd = tuple(rb.index(i) for i in batch)
    la_nd, lb_nd = len(ra) + 2, len(rb) + 2
    out = lax.dot_general(a, b, (((la_nd - 1,), (lb_nd - 2,)), (lb, rbd)),
                          preferred_element_type=preferred_element_type)
    # out dims: batch..., a free (a_free..., m), b free (b_free..., n)
    n_batch, n_af, n_bf = len(batch), len(a_free), len(b_free)
    perm = []
    for kind, j in out_dims:
        perm.append(j if kind == "batch" else n_batch + j if kind == "a"
                    else n_batch + n_af + 1 + j)
    perm += [n_batch + n_af, n_batch + n_af + 1 + n_bf]
    out = lax.transpose(out, tuple(perm))
    shape = tuple(get_aval(out).shape)
    if a_vec:
        shape = shape[:-2] + shape[-1:]
    if b_vec:
        shape = shape[:-1]
    return lax.reshape(out, shape)


@_bool_as_int
def dot(a, b, *, precision=None, preferred_element_type=None):
    a, b = _pre("dot", a, b)
    sa, sb = tuple(get_aval(a).shape), tuple(get_aval(b).shape)
    if not sa or not sb:
        return lax.mul(*promote_args("dot", a, b))
    cb = 0 if len(sb) == 1 else len(sb) - 2
    if sa[-1] != sb[cb]:
        raise ValueError(f"dot: shapes {sa} and {sb} not aligned: {sa[-1]} (dim {len(sa) - 1}) "
                         f"!= {sb[cb]} (dim {cb}){user_line()}")
    return lax.dot_general(a, b, (((len(sa) - 1,), (cb,)), ((), ())),
                           preferred_element_type=preferred_element_type)


@_bool_as_int
def tensordot(a, b, axes=2, *, precision=None, preferred_element_type=None):
    a, b = _pre("tensordot", a, b)
    na, nbd = get_aval(a).ndim, get_aval(b).ndim
    if isinstance(axes, (int, np.integer)):
        ax_a = tuple(range(na - axes, na))
        ax_b = tuple(range(axes))
    else:
        ax_a, ax_b = axes
        ax_a = (ax_a,) if isinstance(ax_a, (int, np.integer)) else tuple(ax_a)
        ax_b = (ax_b,) if isinstance(ax_b, (int, np.integer)) else tuple(ax_b)
        ax_a = tuple(x % na for x in ax_a)
        ax_b = tuple(x % nbd for x in ax_b)
    return lax.dot_general(a, b, ((ax_a, ax_b), ((), ())),
                           preferred_element_type=preferred_element_type)


@_bool_as_int
def inner(a, b, *, precision=None, preferred_element_type=None):
    a, b = _pre("inner", a, b)
    if not get_aval(a).shape or not get_aval(b).shape:
        return lax.mul(*promote_args("inner", a, b))
    return lax.dot_general(a, b, (((get_aval(a).ndim - 1,), (get_aval(b).ndim - 1,)), ((), ())),
                           preferred_element_type=preferred_element_type)


def outer(a, b, out=None):
    a, b = _pre("outer", a, b)
    from .ufuncs import multiply
    a = lax.reshape(a, (get_aval(a).size, 1))
    b = lax.reshape(b, (1, get_aval(b).size))
    return multiply(a, b)


@_bool_as_int
def vdot(a, b, *, precision=None, preferred_element_type=None):
    """Dot product of the flattened arrays, conjugating ``a`` (as NumPy and JAX)."""
    from .ufuncs import conj
    a, b = _pre("vdot", a, b)
    a = conj(a)
    return dot(lax.reshape(a, (get_aval(a).size,)), lax.reshape(b, (get_aval(b).size,)),
               preferred_element_type=preferred_element_type)


def vecdot(x1, x2, /, *, axis=-1):
    """``sum(conj(x1) * x2, axis)``: conjugates ``x1``, as NumPy and JAX."""
    from .reductions import sum
    from .ufuncs import conj, multiply
    return sum(multiply(conj(x1), x2), axis=axis)


def trace(a, offset=0, axis1=0, axis2=1, dtype=None, out=None):
    from .creation import diagonal
    from .reductions import sum
    return sum(diagonal(a, offset, axis1, axis2), axis=-1, dtype=dtype)


def kron(a, b):
    check_arraylike("kron", a, b)
    a, b = promote_dtypes_numeric(a, b)
    sa, sb = tuple(get_aval(a).shape), tuple(get_aval(b).shape)
    nd = max(len(sa), len(sb))
    sa, sb = (1,) * (nd - len(sa)) + sa, (1,) * (nd - len(sb)) + sb
    a, b = lax.reshape(a, sa), lax.reshape(b, sb)
    big = tuple(x for pair in zip(sa, sb) for x in pair)
    ea = lax.broadcast_in_dim(a, big, tuple(range(0, 2 * nd, 2)))
    eb = lax.broadcast_in_dim(b, big, tuple(range(1, 2 * nd, 2)))
    from .ufuncs import multiply
    return lax.reshape(multiply(ea, eb), tuple(x * y for x, y in zip(sa, sb)))


def matvec(x1, x2, /):
    """Matrix-vector product over the last two axes of ``x1`` and last axis of ``x2``,
    batched by broadcasting (NumPy 2.2's ``matvec``)."""
    from .manipulation import expand_dims, squeeze
    return squeeze(matmul(x1, expand_dims(x2, -1)), -1)


def vecmat(x1, x2, /):
    """Vector-matrix product ``conj(x1) @ x2`` over the last axes, batched by broadcasting."""
    from .manipulation import expand_dims, squeeze
    from .ufuncs import conj
    return squeeze(matmul(expand_dims(conj(x1), -2), x2), -2)
