"""``jitnet.experimental.ode.odeint``: adaptive Dormand-Prince integration of ``dy/dt =
func(y, t, *args)``, differentiable through the adjoint equations (as ``jax.experimental.ode``).

The forward pass steps from each output time to the next with an embedded 5(4) Runge-Kutta
pair, adapting the step to ``rtol``/``atol``; the steps are a ``lax.while_loop`` inside a
``lax.scan`` over the output times, so the solver traces once whatever the number of steps.
Reverse mode does not differentiate through those steps: a ``custom_vjp`` integrates the
adjoint system backwards in time, from each output time to the previous one,

    dy/ds = -f(y, -s),   da/ds = a^T df/dy,   d(args_bar)/ds = a^T df/dargs    (s = -t)

starting every interval from the stored forward solution, and adds each output's cotangent
to ``a`` as the integration passes its time. Memory is therefore independent of the number
of steps. Forward mode (``jvp``) is not defined, as in JAX.
"""
from __future__ import annotations

import numpy as np

from ..core.dtypes import kind_of
from .. import lax
from .. import numpy as jnp
from ..api import vjp
from ..core.aval import aval_of
from ..core.source_info import user_line
from ..flatten_util import ravel_pytree
from ..hop import custom_vjp
from ..trace.array import ArrayImpl
from ..trace.make_ir import eval_ir, fun_name, trace_to_ir
from ..tree_util import tree_flatten, tree_leaves, tree_map, tree_unflatten

__all__ = ["odeint"]

# Dormand-Prince 5(4) tableau: nodes, stage coefficients, 5th-order weights (the last stage is
# the derivative at the new point, reused as the next step's first: "first same as last") and
# the difference between the 5th- and the embedded 4th-order weights (the error estimate).
_C = (0.0, 1 / 5, 3 / 10, 4 / 5, 8 / 9, 1.0)
_A = ((),
      (1 / 5,),
      (3 / 40, 9 / 40),
      (44 / 45, -56 / 15, 32 / 9),
      (19372 / 6561, -25360 / 2187, 64448 / 6561, -212 / 729),
      (9017 / 3168, -355 / 33, 46732 / 5247, 49 / 176, -5103 / 18656))
_B5 = (35 / 384, 0.0, 500 / 1113, 125 / 192, -2187 / 6784, 11 / 84, 0.0)
_B4 = (5179 / 57600, 0.0, 7571 / 16695, 393 / 640, -92097 / 339200, 187 / 2100, 1 / 40)
_E = tuple(b5 - b4 for b5, b4 in zip(_B5, _B4))


def _combine(y, h, coeffs, ks):
    acc = y
    for c, k in zip(coeffs, ks):
        if c != 0.0:
            acc = acc + (h * c) * k
    return acc


def _dopri_step(fun, y, f0, t, h):
    """One step of size ``h``: (y_new, f(y_new), error estimate)."""
    ks = [f0]
    for c, a in zip(_C[1:], _A[1:]):
        ks.append(fun(_combine(y, h, a, ks), t + c * h))
    y_new = _combine(y, h, _B5, ks)
    f_new = fun(y_new, t + h)
    ks.append(f_new)
    err = _combine(jnp.zeros_like(y), h, _E, ks)
    return y_new, f_new, err


def _rms(x):
    return jnp.sqrt(jnp.mean(x * x))


def _initial_step(fun, y0, t0, f0, rtol, atol):
    """Hairer, Norsett & Wanner's starting step for a 5th-order method."""
    scale = atol + rtol * jnp.abs(y0)
    d0, d1 = _rms(y0 / scale), _rms(f0 / scale)
    h0 = jnp.where((d0 < 1e-5) | (d1 < 1e-5), 1e-6, 0.01 * d0 / jnp.maximum(d1, 1e-30))
    f1 = fun(y0 + h0 * f0, t0 + h0)
    d2 = _rms((f1 - f0) / scale) / h0
    big = jnp.maximum(d1, d2)
    h1 = jnp.where(big <= 1e-15, jnp.maximum(1e-6, h0 * 1e-3),
                   (0.01 / jnp.maximum(big, 1e-30)) ** (1 / 5))
    return jnp.minimum(100 * h0, h1)


def _integrate(fun, y0, ts, rtol, atol, mxstep, hmax):
    """``y`` at every time of the increasing 1-d ``ts`` (``ys[0] = y0``), ``y`` a flat vector.

    Each interval ends exactly on its output time (the last step is shortened to land on it).
    If an interval needs more than ``mxstep`` steps, its output and the later ones are nan.
    """
    f0 = fun(y0, ts[0])
    h0 = _initial_step(fun, y0, ts[0], f0, rtol, atol)

    def interval(carry, times):
        t_start, t_end = times

        def cond(state):
            _, _, t, _, n = state
            return (t < t_end) & (n < mxstep)

        def body(state):
            y, f, t, h, n = state
            h_try = jnp.minimum(jnp.minimum(h, hmax), t_end - t)
            y_new, f_new, err = _dopri_step(fun, y, f, t, h_try)
            scale = atol + rtol * jnp.maximum(jnp.abs(y), jnp.abs(y_new))
            ratio = _rms(err / scale)
            accept = ratio <= 1
            factor = jnp.clip(0.9 * jnp.maximum(ratio, 1e-10) ** -0.2, 0.2, 10.0)
            factor = jnp.where(jnp.isfinite(ratio), factor, 0.2)
            t_next = jnp.where(h_try >= t_end - t, t_end, t + h_try)
            return (jnp.where(accept, y_new, y), jnp.where(accept, f_new, f),
                    jnp.where(accept, t_next, t), h_try * factor, n + 1)

        y, f, h = carry
        steps = jnp.zeros((), t_start.dtype)
        y, f, t, h, _ = lax.while_loop(cond, body, (y, f, t_start, h, steps))
        y = jnp.where(t < t_end, jnp.full_like(y, jnp.nan), y)  # ran out of steps
        return (y, f, h), y

    _, ys = lax.scan(interval, (y0, f0, h0), (ts[:-1], ts[1:]))
    return jnp.concatenate([y0[None], ys], axis=0)


def odeint(func, y0, t, *args, rtol=1.4e-8, atol=1.4e-8, mxstep=jnp.inf, hmax=jnp.inf):
    """Solve ``dy/dt = func(y, t, *args)`` from ``y(t[0]) = y0``; returns ``y`` at each time of
    ``t`` (a pytree like ``y0`` with a leading axis of ``len(t)``).

    ``t`` must be increasing; ``args`` are arrays (or pytrees of them) that ``func`` depends
    on. ``func`` may also close over arrays, traced ones included (e.g. the parameters being
    differentiated): it is traced once and the floating-point values it captures become
    extra arguments, so gradients reach them too (JAX's ``closure_convert``).
    """
    if not callable(func):
        raise TypeError(f"odeint: func must be callable, got {type(func).__name__}{user_line()}")
    for leaf in tree_leaves(args):
        if not (isinstance(leaf, (jnp.ndarray, np.ndarray, np.generic, int, float, bool))):
            raise TypeError(f"odeint: args must be arrays or pytrees of arrays, got "
                            f"{type(leaf).__name__}; close over other values in func, or "
                            f"use functools.partial{user_line()}")
    t = jnp.asarray(t)
    if t.ndim != 1:
        raise ValueError(f"odeint: t must be a 1-d array of times, got shape {t.shape}"
                         f"{user_line()}")
    if isinstance(t, ArrayImpl) and np.any(np.diff(np.asarray(t)) < 0):
        raise ValueError(f"odeint: the times t must be increasing, got {np.asarray(t)}"
                         f"{user_line()}")
    y_flat, unravel = ravel_pytree(y0)
    if kind_of(y_flat.dtype) != "f":
        raise TypeError(f"odeint: y0 must be floating point, got {y_flat.dtype}{user_line()}")
    t = t.astype(y_flat.dtype)

    def fun(y, t_, *a):
        return ravel_pytree(func(unravel(y), t_, *a))[0].astype(y.dtype)

    fun, captured = _closure_convert(fun, y_flat, t[0], args)
    ys = _odeint(fun, rtol, atol, mxstep, hmax, y_flat, t, args, captured)
    return _unravel_rows(unravel, ys)


def _closure_convert(fun, y, t0, args):
    """``(converted, captured)``: ``converted(y, t, args, captured) == fun(y, t, *args)``,
    with the floating-point arrays ``fun`` closes over passed in ``captured`` (so the
    custom_vjp below sees them as differentiable inputs). Other captured values stay
    closed over."""
    leaves, tree = tree_flatten(args)
    avals = [aval_of(x) for x in [y, t0] + leaves]
    ir, consts = trace_to_ir(lambda y_, t_, *ls: [fun(y_, t_, *tree_unflatten(tree, ls))],
                             avals, transform="odeint", name=fun_name(fun))
    is_float = [kind_of(aval_of(c).dtype) == "f" for c in consts]
    captured = tuple(c for c, f in zip(consts, is_float) if f)
    fixed = [c for c, f in zip(consts, is_float) if not f]

    def converted(y_, t_, args_, captured_):
        floats, others = iter(captured_), iter(fixed)
        all_consts = [next(floats) if f else next(others) for f in is_float]
        return eval_ir(ir, all_consts + [y_, t_] + tree_leaves(args_))[0]
    return converted, captured


def _unravel_rows(unravel, ys):
    """``unravel`` applied to each row of ``ys``, stacked: the solution as a pytree."""
    from ..api import vmap
    return vmap(unravel)(ys)


def _odeint_raw(fun, rtol, atol, mxstep, hmax, y0, ts, *args):
    return _integrate(lambda y, t: fun(y, t, *args), y0, ts, rtol, atol, mxstep, hmax)


def _odeint_fwd(fun, rtol, atol, mxstep, hmax, y0, ts, *args):
    ys = _odeint_raw(fun, rtol, atol, mxstep, hmax, y0, ts, *args)
    return ys, (ys, ts, args)


def _odeint_bwd(fun, rtol, atol, mxstep, hmax, residuals, g):
    ys, ts, args = residuals
    args_flat, unravel_args = ravel_pytree(args)
    n = ys.shape[1]

    def aug_dynamics(state, s):
        """The adjoint system in reversed time ``s = -t`` over [y, a, args_bar]."""
        y, a = state[:n], state[n:2 * n]
        f, f_vjp = vjp(lambda y_, p_: fun(y_, -s, *unravel_args(p_)), y, args_flat)
        a_y, a_p = f_vjp(a)
        return jnp.concatenate([-f, a_y, a_p])

    def interval(carry, xs):
        a, p_bar = carry
        y_i, g_i, t_i, t_prev = xs
        a = a + g_i
        t_bar_i = jnp.vdot(fun(y_i, t_i, *args), g_i)
        state = jnp.concatenate([y_i, a, p_bar])
        out = _integrate(aug_dynamics, state, jnp.stack([-t_i, -t_prev]), rtol, atol, mxstep,
                         hmax)[-1]
        return (out[n:2 * n], out[2 * n:]), t_bar_i

    init = (jnp.zeros_like(ys[0]), jnp.zeros_like(args_flat))
    (a, p_bar), t_bars = lax.scan(interval, init, (ys[1:], g[1:], ts[1:], ts[:-1]),
                                  reverse=True)
    t0_bar = -jnp.vdot(fun(ys[0], ts[0], *args), a)
    a = a + g[0]
    ts_bar = jnp.concatenate([t0_bar[None], t_bars])
    args_bar = tree_map(lambda b, x: b.astype(jnp.asarray(x).dtype), unravel_args(p_bar), args)
    return (a, ts_bar, *args_bar)


_odeint = custom_vjp(_odeint_raw, nondiff_argnums=(0, 1, 2, 3, 4))
_odeint.defvjp(_odeint_fwd, _odeint_bwd)
