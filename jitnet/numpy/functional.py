"""Functions that apply user functions over arrays: ``apply_along_axis``,
``apply_over_axes``, ``piecewise``, ``fromfunction``, ``frompyfunc``.

``apply_along_axis`` is a ``vmap`` over the other axes (one trace of ``func1d``, as JAX);
``piecewise`` evaluates every branch on the whole array and selects, so it traces and
differentiates (each branch must be defined everywhere it is evaluated)."""
from __future__ import annotations

import numpy as np

from .. import numpy as jnp
from .util import as_jitnet, canonicalize_axis


def apply_along_axis(func1d, axis, arr, *args, **kwargs):
    """``func1d`` applied to every 1-D slice of ``arr`` along ``axis`` (vectorized by vmap)."""
    from ..api.vmap import vmap
    arr = as_jitnet(arr)
    axis = canonicalize_axis(axis, arr.ndim)

    def f(x):
        return func1d(x, *args, **kwargs)
    for _ in range(arr.ndim - 1):
        f = vmap(f)
    out = f(jnp.moveaxis(arr, axis, -1))
    # the slices' results replace the axis (their own axes go where axis was)
    out = as_jitnet(out)
    k = out.ndim - (arr.ndim - 1)
    return jnp.moveaxis(out, list(range(arr.ndim - 1, out.ndim)),
                        list(range(axis, axis + k))) if k else out


def apply_over_axes(func, a, axes):
    """``func(a, axis)`` applied over each of ``axes`` in turn, keeping dimensions."""
    a = as_jitnet(a)
    for ax in ([axes] if isinstance(axes, int) else axes):
        out = as_jitnet(func(a, ax))
        if out.ndim == a.ndim - 1:
            out = jnp.expand_dims(out, canonicalize_axis(ax, a.ndim))
        elif out.ndim != a.ndim:
            raise ValueError("apply_over_axes: function is not returning an array of the "
                             "correct shape")
        a = out
    return a


def piecewise(x, condlist, funclist, *args, **kw):
    """``funclist[i](x)`` where ``condlist[i]`` holds (a last extra function or value is the
    default), as ``numpy.piecewise``."""
    x = as_jitnet(x)
    conds = [as_jitnet(c) for c in (condlist if isinstance(condlist, (list, tuple))
                                    else [condlist])]
    if conds and conds[0].ndim == x.ndim + 1 and len(conds) == 1:
        conds = list(conds[0])
    n = len(conds)
    if len(funclist) not in (n, n + 1):
        raise ValueError(f"piecewise: with {n} condition(s), funclist must have {n} or {n + 1} "
                         f"entries, got {len(funclist)}")
    funcs = list(funclist)
    default = funcs[n] if len(funcs) == n + 1 else 0
    def value(f):
        return as_jitnet(f(x, *args, **kw)) if callable(f) else jnp.asarray(f)
    out = jnp.broadcast_to(value(default).astype(x.dtype), x.shape)
    for c, f in zip(conds, funcs[:n]):  # later conditions win, as NumPy
        out = jnp.where(c, jnp.broadcast_to(value(f).astype(x.dtype), x.shape), out)
    return out


def fromfunction(function, shape, *, dtype=float, **kwargs):
    """``function(*index_grids)`` for an array of ``shape``."""
    grids = jnp.indices(shape, dtype=dtype)
    return function(*grids, **kwargs)


def frompyfunc(func, /, nin, nout, *, identity=None):
    """A callable applying ``func`` elementwise (vectorized by vmap over broadcast inputs)."""
    from ..api.vmap import vmap

    def ufunc(*args):
        if len(args) != nin:
            raise TypeError(f"frompyfunc: expected {nin} arguments, got {len(args)}")
        arrays = jnp.broadcast_arrays(*[jnp.asarray(a) for a in args])
        shape = arrays[0].shape if arrays else ()
        flat = [jnp.ravel(a) for a in arrays]
        out = vmap(func)(*flat) if int(np.prod(shape)) else func(*flat)
        if nout == 1:
            return jnp.reshape(out, shape)
        return tuple(jnp.reshape(o, shape) for o in out)
    ufunc.nin, ufunc.nout, ufunc.identity = nin, nout, identity
    ufunc.__name__ = getattr(func, "__name__", "ufunc")
    return ufunc
