"""Logarithmic and entropy functions: ``logit``/``expit``, ``xlogy``, ``entr``, ``rel_entr``,
``kl_div``, ``logsumexp``, softmax, Box-Cox."""
from __future__ import annotations

from ... import lax
from ... import numpy as jnp
from ...hop.custom import custom_jvp
from ...lax.special.common import xlogy as _xlogy
from ...numpy.util import canonicalize_axes
from .util import as_float


def expit(x):
    """Logistic sigmoid ``1 / (1 + exp(-x))``."""
    return lax.logistic(as_float("expit", x))


def logit(x):
    """``log(x / (1 - x))``; near ``x = 1/2`` it uses ``log1p`` so the result keeps relative
    accuracy where it crosses zero. Its derivative is the rule ``1 / (x (1 - x))`` (as JAX),
    so no branch the ``where`` discards leaks inf or nan into it near 0 and 1."""
    return _logit(as_float("logit", x))


@custom_jvp
def _logit(x):
    near_half = jnp.abs(x - 0.5) < 0.25
    central = jnp.log1p((2 * x - 1) / (1 - x))  # 2x - 1 is exact, so this is accurate
    return jnp.where(near_half, central, jnp.log(x / (1 - x)))


_logit.defjvps(lambda t, out, x: t / (x * (1 - x)))


def xlogy(x, y):
    """``x * log(y)``, defined as 0 where ``x == 0`` (unless ``y`` is nan).

    The derivative is JAX's rule ``(log(y), x / y)``: ``log(y)`` in ``x`` even at ``x = 0``
    (``-inf`` at ``(0, 0)``), ``0 / 0 = nan`` in ``y`` at ``(0, 0)``.
    """
    return _xlogy(*as_float("xlogy", x, y))


def xlog1py(x, y):
    """``x * log1p(y)``, defined as 0 where ``x == 0`` (unless ``y`` is nan); derivative
    ``(log1p(y), x / (1 + y))`` as JAX (singular at ``(0, -1)``)."""
    return _xlog1py(*as_float("xlog1py", x, y))


@custom_jvp
def _xlog1py(x, y):
    bad = (x == 0) & ((y <= -1) | (y == jnp.inf))
    return x * jnp.log1p(jnp.where(bad, jnp.zeros_like(y), y))


@_xlog1py.defjvp
def _xlog1py_jvp(primals, tangents):
    (x, y), (tx, ty) = primals, tangents
    return _xlog1py(x, y), tx * jnp.log1p(y) + ty * (x / (1 + y))


def entr(x):
    """Elementwise entropy ``-x log x``: 0 at 0, ``-inf`` for ``x < 0``, nan for nan.

    The derivative is ``-(log x + 1)``, ``+inf`` at 0 (as JAX); below 0 the value is the
    constant ``-inf``, with derivative 0.
    """
    x = as_float("entr", x)
    neg = x < 0
    out = jnp.where(neg, jnp.full_like(x, -jnp.inf),
                    -_xlogx(jnp.where(neg, jnp.ones_like(x), x)))
    return jnp.where(jnp.isnan(x), x, out)


@custom_jvp
def _xlogx(x):
    """``x log x`` for ``x >= 0`` (0 at 0), with derivative ``log x + 1``."""
    pos = x > 0
    safe = jnp.where(pos, x, jnp.ones_like(x))
    return jnp.where(pos, safe * jnp.log(safe), jnp.zeros_like(x))


_xlogx.defjvps(lambda t, out, x: t * (jnp.log(x) + 1))


def logsumexp(a, axis=None, b=None, keepdims=False, return_sign=False, where=None):
    """``log(sum(b * exp(a)))`` over ``axis``, without overflow or underflow.

    The maximum is subtracted first (under ``stop_gradient``: the result does not depend on
    it, so gradients are unchanged). An infinite or nan maximum is replaced by 0 so that
    ``-inf`` rows give ``-inf`` and ``+inf`` entries give ``+inf`` instead of ``inf - inf``.
    Terms with ``b == 0`` are dropped. A negative sum gives nan unless ``return_sign``, which
    returns ``(log|sum|, sign(sum))``.
    """
    if b is None:
        a = as_float("logsumexp", a)
    else:
        a, b = as_float("logsumexp", a, b)
        a = jnp.where(b != 0, a, jnp.full_like(a, -jnp.inf))
    axes = canonicalize_axes(axis, a.ndim)
    amax = jnp.max(a, axis=axes, keepdims=True, where=where, initial=-jnp.inf)
    amax = lax.stop_gradient(jnp.where(jnp.isfinite(amax), amax, jnp.zeros_like(amax)))
    terms = jnp.exp(a - amax)
    if b is not None:
        terms = terms * b
    total = jnp.sum(terms, axis=axes, keepdims=keepdims, where=where)
    sign = jnp.sign(total)
    if not keepdims:
        amax = jnp.reshape(amax, total.shape)
    out = jnp.log(jnp.abs(total)) + amax
    if return_sign:
        return out, sign
    return jnp.where(sign < 0, jnp.full_like(out, jnp.nan), out)


def rel_entr(p, q):
    """``p log(p / q)`` for ``p, q > 0``; 0 where ``p == 0 <= q``; ``inf`` otherwise."""
    x, y = as_float("rel_entr", p, q)
    both = (x > 0) & (y > 0)
    safe_x = jnp.where(both, x, jnp.ones_like(x))
    safe_y = jnp.where(both, y, jnp.ones_like(y))
    zero = (x == 0) & (y >= 0)
    out = jnp.where(both, safe_x * jnp.log(safe_x / safe_y),
                    jnp.where(zero, jnp.zeros_like(x), jnp.full_like(x, jnp.inf)))
    return jnp.where(jnp.isnan(x) | jnp.isnan(y), x + y, out)


def kl_div(p, q):
    """``p log(p / q) - p + q`` for ``p, q > 0``; ``q`` where ``p == 0 <= q``; ``inf``
    otherwise."""
    x, y = as_float("kl_div", p, q)
    both = (x > 0) & (y > 0)
    zero = (x == 0) & (y >= 0)
    out = jnp.where(both, rel_entr(x, y) - x + y,
                    jnp.where(zero, y, jnp.full_like(x, jnp.inf)))
    return jnp.where(jnp.isnan(x) | jnp.isnan(y), x + y, out)


def softmax(x, /, *, axis=None):
    """``jax.nn.softmax`` with SciPy's default ``axis=None`` (all axes)."""
    from ...nn import softmax as _softmax
    return _softmax(x, axis=axis)


def log_softmax(x, /, *, axis=None):
    """``jax.nn.log_softmax`` with SciPy's default ``axis=None`` (all axes)."""
    from ...nn import log_softmax as _log_softmax
    return _log_softmax(x, axis=axis)



def boxcox(x, lmbda):
    """Box-Cox transform ``(x^lmbda - 1) / lmbda``, ``log(x)`` at ``lmbda = 0``; nan for
    ``x < 0``. ``expm1`` keeps it accurate for small ``lmbda``."""
    x, lmbda = as_float("boxcox", x, lmbda)
    return _boxcox_of_log(jnp.log(x), lmbda)


def boxcox1p(x, lmbda):
    """``boxcox(1 + x, lmbda)`` computed from ``log1p(x)``, accurate for small ``x``."""
    x, lmbda = as_float("boxcox1p", x, lmbda)
    return _boxcox_of_log(jnp.log1p(x), lmbda)


def _boxcox_of_log(log_x, lmbda):
    zero = lmbda == 0
    safe = jnp.where(zero, jnp.ones_like(lmbda), lmbda)
    return jnp.where(zero, log_x, jnp.expm1(safe * log_x) / safe)
