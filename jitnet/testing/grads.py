"""``check_grads``: derivatives against central finite differences, to any order.

Forward mode: ``jvp(f)(x)[t]`` is compared with ``(f(x + eps t) - f(x - eps t)) / 2eps``.
Reverse mode: the vjp is checked by the dot-product test against that same
numerical jvp, ``<ct, J t> == <J^T ct, t>``, which also validates transposes. Complex
values get complex random directions and the pairing ``<a, b> = Re(sum(a * b))`` of JAX's
convention (``docs/AUTODIFF.md``).
Higher orders apply the same checks to the derivative functions themselves
(forward-over-forward, reverse-over-reverse and the mixed compositions). Use
float64 inputs (``config.update("jax_enable_x64", True)``) for tight tolerances.
"""
from __future__ import annotations

import numpy as np

from ..core.dtypes import kind_of
from ..core import dtypes
from ..core.pytree import tree_flatten, tree_map, tree_unflatten


def _is_float(x) -> bool:
    return kind_of(np.asarray(x).dtype) in "fc" if not hasattr(x, "dtype") else kind_of(x.dtype) in "fc"


def _rand_like(rng, x):
    a = np.asarray(x)
    if kind_of(a.dtype) not in "fc":
        return np.zeros(a.shape, dtypes.float0)
    if kind_of(a.dtype) == "c":
        return (rng.standard_normal(a.shape) + 1j * rng.standard_normal(a.shape)).astype(a.dtype)
    return rng.standard_normal(a.shape).astype(a.dtype)


def _wide(x):
    """float64, or complex128 for complex values (keeping their imaginary parts)."""
    x = np.asarray(x)
    return x.astype(np.complex128 if x.dtype.kind == "c" else np.float64)


def _vdot(xs, ys) -> float:
    total = 0.0
    for x, y in zip(tree_flatten(xs)[0], tree_flatten(ys)[0]):
        x, y = np.asarray(x), np.asarray(y)
        if x.dtype == dtypes.float0 or y.dtype == dtypes.float0:
            continue
        total += float(np.real(np.sum(_wide(x) * _wide(y))))
    return total


def _axpy(a, xs, ys):
    """ys + a * xs on the float leaves (other leaves unchanged)."""
    def f(x, y):
        if np.asarray(x).dtype == dtypes.float0:
            return y
        yv = np.asarray(y)
        return (yv + a * np.asarray(x)).astype(yv.dtype)
    return tree_map(f, xs, ys)


def numerical_jvp(f, primals, tangents, eps):
    plus = f(*_axpy(eps, tangents, primals))
    minus = f(*_axpy(-eps, tangents, primals))
    return tree_map(lambda p, m: (_wide(p) - _wide(m)) / (2 * eps)
                    if kind_of(np.asarray(p).dtype) in "fc" else np.zeros(np.shape(p)),
                    plus, minus)


def _default_tols(args):
    leaves = [np.asarray(x) for x in tree_flatten(args)[0] if _is_float(x)]
    if any(x.dtype == np.float64 for x in leaves):
        return 1e-5, 1e-5, 1e-4
    return 5e-2, 5e-2, 1e-2  # float32: coarse, finite differences are noisy


def _assert_close(actual, expected, atol, rtol, what):
    for a, e in zip(tree_flatten(actual)[0], tree_flatten(expected)[0]):
        a = np.asarray(a)
        if a.dtype == dtypes.float0:
            continue
        np.testing.assert_allclose(_wide(a), _wide(e), atol=atol, rtol=rtol, err_msg=what)


def check_jvp(f, args, atol=None, rtol=None, eps=None, rng=None):
    from ..api import jvp
    rng = rng or np.random.RandomState(0)
    d_atol, d_rtol, d_eps = _default_tols(args)
    atol, rtol, eps = atol or d_atol, rtol or d_rtol, eps or d_eps
    tangents = tree_map(lambda x: _rand_like(rng, x), tuple(args))
    y, ty = jvp(f, tuple(args), tangents)
    _assert_close(y, f(*args), atol, rtol, "jvp primal output differs from f(x)")
    _assert_close(ty, numerical_jvp(f, tuple(args), tangents, eps), atol, rtol,
                  "jvp tangent differs from central finite differences")
    return tangents


def check_vjp(f, args, atol=None, rtol=None, eps=None, rng=None):
    from ..api import vjp
    rng = rng or np.random.RandomState(1)
    d_atol, d_rtol, d_eps = _default_tols(args)
    atol, rtol, eps = atol or d_atol, rtol or d_rtol, eps or d_eps
    y, pullback = vjp(f, *args)
    _assert_close(y, f(*args), atol, rtol, "vjp primal output differs from f(x)")
    ct = tree_map(lambda x: _rand_like(rng, x), y)
    cts_in = pullback(ct)
    tangents = tree_map(lambda x: _rand_like(rng, x), tuple(args))
    lhs = _vdot(ct, numerical_jvp(f, tuple(args), tangents, eps))
    rhs = _vdot(cts_in, tangents)
    scale = max(1.0, abs(lhs), abs(rhs))
    if abs(lhs - rhs) > (atol + rtol * scale) * 10:
        raise AssertionError(f"vjp dot-product test failed: <ct, J t> = {lhs!r} but "
                             f"<J^T ct, t> = {rhs!r}")
    return ct


def check_grads(f, args, order: int = 2, modes=("fwd", "rev"), atol=None, rtol=None, eps=None):
    """Check ``f``'s derivatives at ``args`` up to ``order`` in the given modes."""
    from ..api import jvp, vjp
    args = tuple(args)
    rng = np.random.RandomState(42)

    def _check(f, args, order):
        if "fwd" in modes:
            tangents = check_jvp(f, args, atol, rtol, eps, rng)
            if order > 1:
                def f_jvp(*primals):
                    return jvp(f, primals, tangents)[1]
                _check(f_jvp, args, order - 1)
        if "rev" in modes:
            ct = check_vjp(f, args, atol, rtol, eps, rng)
            if order > 1:
                def f_vjp(*primals):
                    return vjp(f, *primals)[1](ct)
                _check(f_vjp, args, order - 1)

    _check(f, args, order)


__all__ = ["check_grads", "check_jvp", "check_vjp", "numerical_jvp", "tree_unflatten"]
