"""Argument handling shared by ``jitnet.numpy``: checks, conversion, promotion, broadcasting."""
from __future__ import annotations

import numpy as np

from ..core import dtypes
from ..core.errors import ConcretizationTypeError, value_needed
from ..core.source_info import api_name, user_line, warn
from ..prims import elementwise as ew
from ..prims import shape as sh
from ..prims.util import get_aval
from ..trace.tracer import concrete
# shared with lax (below jitnet.numpy), re-exported for the numpy modules
from ..lax.values import (ARRAYS, as_jitnet, broadcast_shapes,  # noqa: F401
                          broadcast_to_shape, canonicalize_axis, check_arraylike,
                          convert, promote_args_inexact, promote_to, scalar_to)


def concrete_value(x, error: str) -> np.ndarray:
    """``x``'s value as a NumPy array where it is known (an eager or NumPy array, or a tracer
    of a value-knowing trace: autodiff outside jit); else ``ConcretizationTypeError(error)``,
    marked so that eager differentiation traces again with values known. For functions whose
    output shape depends on values."""
    known = concrete(as_jitnet(x))
    if known is None:
        raise value_needed(ConcretizationTypeError(f"{error}{user_line()}"))
    return np.asarray(known._value)


_scalar_promotion: dict = {}


def _with_scalar(x, y):
    """Fast path for array op Python scalar; None when the general rules are needed."""
    key = (x.dtype, x.weak_type, type(y), dtypes.x64_enabled())
    hit = _scalar_promotion.get(key)
    if hit is None:
        hit = _scalar_promotion[key] = dtypes.result_type(x, y, return_weak_type_flag=True)
    dtype, weak = hit
    if dtype != x.dtype or weak != x.weak_type:
        return None
    if dtypes.dtype_and_weak(y)[0] == dtype:
        return y  # the scalar already has the right type: a weak literal of dtype
    return scalar_to(y, dtype, weak)


def promote_args(name: str, *args):
    """Promote dtypes (JAX's lattice) and broadcast shapes, as ``jnp`` ufuncs do."""
    if len(args) == 2:  # fast paths for the common eager and traced cases
        x, y = args
        tx, ty = type(x), type(y)
        if tx in ARRAYS and ty in ARRAYS:
            if x.dtype == y.dtype and x.weak_type == y.weak_type and x.shape == y.shape:
                return args
        elif tx in ARRAYS and (ty is float or ty is int):
            y2 = _with_scalar(x, y)
            if y2 is not None:
                return x, y2
        elif ty in ARRAYS and (tx is float or tx is int):
            x2 = _with_scalar(y, x)
            if x2 is not None:
                return x2, y
    return promote_to(name, args)


def broadcast_full(*args, name: str = "broadcast"):
    """Broadcast every argument, 0-d ones included, to the common shape (for ``select``)."""
    shapes = [tuple(get_aval(a).shape) for a in args]
    shape = broadcast_shapes(name, *shapes)
    out = []
    for a, s in zip(args, shapes):
        if s != shape:
            a = sh.broadcast_in_dim(a, shape, ()) if not s else broadcast_to_shape(a, shape)
        out.append(a)
    return out


def promote_args_numeric(name: str, *args):
    """Like ``promote_args`` but bool inputs become int32 (JAX's numeric ops)."""
    return promote_to(name, args, dtypes.to_numeric_dtype)


def promote_dtypes_numeric(*args):
    dtype, weak = dtypes.result_type(*args, return_weak_type_flag=True)
    return [convert(as_jitnet(a), dtype, weak) for a in args]


def canonicalize_axes(axis, ndim: int) -> tuple:
    if axis is None:
        return tuple(range(ndim))
    if isinstance(axis, (int, np.integer)):
        return (canonicalize_axis(axis, ndim),)
    axes = tuple(canonicalize_axis(a, ndim) for a in axis)
    if len(set(axes)) != len(axes):
        raise ValueError(f"repeated axis in {tuple(axis)}{user_line()}")
    return axes


def to_dtype(dtype):
    """A user dtype argument (NumPy dtype, type, string or jnp scalar type) canonicalized.
    A 64-bit dtype asked for explicitly with x64 off is truncated with JAX's warning (Python's
    ``int``/``float``/``complex`` just mean the default types)."""
    if dtype is None:
        return None
    d = dtypes.as_dtype(dtype)
    out = dtypes.canonicalize_dtype(d)
    if out != d and not any(dtype is t for t in (int, float, complex)):
        warn(f"Explicitly requested dtype {d.name} requested in {api_name()} is not "
             f"available, and will be truncated to dtype {out.name}. To enable more dtypes, "
             f"set the jax_enable_x64 configuration option "
             f"(jitnet.config.update('jax_enable_x64', True)).")
    return out


def squared_modulus(x):
    """``|x|^2`` in ``x``'s real dtype: ``x * x``, or ``re^2 + im^2`` for complex ``x`` (not
    ``x * x``, whose phase is wrong, nor ``abs(x)^2``, which overflows sooner)."""
    if get_aval(x).dtype.kind != "c":
        return ew.mul(x, x)
    re, im = ew.real(x), ew.imag(x)
    return ew.add(ew.mul(re, re), ew.mul(im, im))
