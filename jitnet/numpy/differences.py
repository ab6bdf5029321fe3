"""Differences, cross products and the trapezoid rule (``diff``, ``ediff1d``, ``cross``,
``trapezoid``), as NumPy's, built from slices so they differentiate and trace."""
from __future__ import annotations

import numpy as np

from .creation import asarray
from .manipulation import broadcast_to, concatenate, moveaxis, ravel, stack
from .util import as_jitnet, canonicalize_axis, check_arraylike


def _slice(a, axis, start, stop):
    idx = [slice(None)] * a.ndim
    idx[axis] = slice(start, stop)
    return a[tuple(idx)]


def _along(extra, a, axis):
    """``prepend``/``append`` as an array that joins ``a`` along ``axis`` (a scalar becomes
    one slice)."""
    if extra is None:
        return None
    e = asarray(extra)
    if e.ndim == 0:
        shape = list(a.shape)
        shape[axis] = 1
        e = broadcast_to(e, tuple(shape))
    return e


def diff(a, n: int = 1, axis: int = -1, prepend=None, append=None):
    """The ``n``-th discrete difference along ``axis``."""
    check_arraylike("diff", a)
    a = as_jitnet(a)
    if not isinstance(n, int) or n < 0:
        raise ValueError(f"jnp.diff: order n must be a non-negative int, got {n!r}")
    axis = canonicalize_axis(axis, a.ndim)
    if prepend is not None or append is not None:
        parts = [_along(prepend, a, axis), a, _along(append, a, axis)]
        a = concatenate([p for p in parts if p is not None], axis=axis)
    for _ in range(n):
        a = _slice(a, axis, 1, None) - _slice(a, axis, None, -1)
    return a


def ediff1d(ary, to_end=None, to_begin=None):
    """Differences of the flattened array, with optional values before and after."""
    check_arraylike("ediff1d", ary)
    flat = ravel(as_jitnet(ary))
    parts = [flat[1:] - flat[:-1]]
    if to_begin is not None:
        parts.insert(0, ravel(asarray(to_begin, dtype=flat.dtype)))
    if to_end is not None:
        parts.append(ravel(asarray(to_end, dtype=flat.dtype)))
    return concatenate(parts) if len(parts) > 1 else parts[0]


def cross(a, b, axisa: int = -1, axisb: int = -1, axisc: int = -1, axis=None):
    """Cross product of 3-vectors (or 2-vectors, giving the z component) along the axes."""
    check_arraylike("cross", a, b)
    a, b = as_jitnet(a), as_jitnet(b)
    if axis is not None:
        axisa = axisb = axisc = axis
    a, b = moveaxis(a, axisa, -1), moveaxis(b, axisb, -1)
    na, nb = a.shape[-1], b.shape[-1]
    if na not in (2, 3) or nb not in (2, 3):
        raise ValueError(f"jnp.cross: incompatible dimensions for cross product (dimension "
                         f"must be 2 or 3), got {na} and {nb}")
    a0, a1 = a[..., 0], a[..., 1]
    b0, b1 = b[..., 0], b[..., 1]
    z = a0 * b1 - a1 * b0
    if na == 2 and nb == 2:
        return z
    a2 = a[..., 2] if na == 3 else 0 * a0
    b2 = b[..., 2] if nb == 3 else 0 * b0
    x = a1 * b2 - a2 * b1
    y = a2 * b0 - a0 * b2
    return moveaxis(stack([x, y, z], axis=-1), -1, axisc)


def trapezoid(y, x=None, dx=1.0, axis: int = -1):
    """Integral of ``y`` along ``axis`` by the trapezoid rule, at ``x`` or spacing ``dx``."""
    check_arraylike("trapezoid", y)
    y = as_jitnet(y)
    axis = canonicalize_axis(axis, y.ndim)
    y = moveaxis(y, axis, -1)
    if x is None:
        widths = dx
    else:
        x = as_jitnet(x)
        x = moveaxis(x, axis, -1) if x.ndim > 1 else x
        widths = x[..., 1:] - x[..., :-1]
    return (0.5 * widths * (y[..., 1:] + y[..., :-1])).sum(axis=-1)


def unwrap(p, discont=None, axis=-1, period=2 * np.pi):
    """``p`` with jumps larger than ``discont`` (default ``period / 2``) along ``axis``
    replaced by their ``period`` complement, as ``numpy.unwrap``."""
    from .. import numpy as jnp
    check_arraylike("unwrap", p)
    p = as_jitnet(p)
    if p.dtype.kind not in "f":
        p = p.astype(jnp.result_type(float))
    discont = period / 2 if discont is None else discont
    d = jnp.diff(p, axis=axis)
    half = period / 2
    dd = jnp.mod(d + half, period) - half
    dd = jnp.where((dd == -half) & (d > 0), half, dd)
    corr = jnp.where(jnp.abs(d) < discont, 0, dd - d)
    first = jnp.take(p, jnp.arange(1), axis=axis)
    return jnp.concatenate([first, jnp.take(p, jnp.arange(1, p.shape[axis]), axis=axis)
                            + jnp.cumsum(corr, axis=axis)], axis=axis) \
        if p.shape[axis] else p


def gradient(f, *varargs, axis=None, edge_order=1):
    """Second-order central differences inside, first-order one-sided at the edges, as
    ``numpy.gradient``; spacings are scalars or coordinate arrays, one per axis."""
    from .. import numpy as jnp
    check_arraylike("gradient", f)
    f = as_jitnet(f)
    if f.dtype.kind not in "fc":
        f = f.astype(jnp.result_type(float))
    axes = list(range(f.ndim)) if axis is None else \
        [canonicalize_axis(a, f.ndim) for a in ((axis,) if isinstance(axis, int) else axis)]
    if edge_order != 1:
        raise NotImplementedError("jnp.gradient: only edge_order=1 is supported (as JAX)")
    if len(varargs) == 0:
        spacing = [1.0] * len(axes)
    elif len(varargs) == 1 and jnp.ndim(varargs[0]) == 0:
        spacing = [varargs[0]] * len(axes)
    elif len(varargs) == len(axes):
        spacing = list(varargs)
    else:
        raise TypeError(f"jnp.gradient: {len(varargs)} spacings for {len(axes)} axes")
    outs = []
    for ax, h in zip(axes, spacing):
        n = f.shape[ax]
        if n < 2:
            raise ValueError("jnp.gradient: each differentiated axis needs at least 2 points")
        sl = lambda a, b: jnp.take(f, jnp.arange(a, b), axis=ax)  # noqa: E731
        if jnp.ndim(h) == 0:
            inner = (sl(2, n) - sl(0, n - 2)) / (2.0 * h)
            first = (sl(1, 2) - sl(0, 1)) / h
            last = (sl(n - 1, n) - sl(n - 2, n - 1)) / h
        else:
            x = jnp.asarray(h, f.dtype)
            dx = jnp.diff(x)
            shape = [1] * f.ndim
            shape[ax] = n - 2
            h1 = dx[:-1].reshape(shape)
            h2 = dx[1:].reshape(shape)
            inner = (-h2 / (h1 * (h1 + h2)) * sl(0, n - 2)
                     + (h2 - h1) / (h1 * h2) * sl(1, n - 1)
                     + h1 / (h2 * (h1 + h2)) * sl(2, n))
            first = (sl(1, 2) - sl(0, 1)) / dx[0]
            last = (sl(n - 1, n) - sl(n - 2, n - 1)) / dx[-1]
        outs.append(jnp.concatenate([first, inner, last], axis=ax) if n > 2
                    else jnp.concatenate([first, last], axis=ax))
    return outs[0] if len(outs) == 1 else outs
