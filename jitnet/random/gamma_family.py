"""Gamma and the laws built on it: gamma, loggamma, beta, dirichlet, chisquare, f, t,
generalized_normal, ball.

``gamma`` follows JAX 0.10.2 step for step, so a key gives JAX's numbers up to the rounding
of transcendental functions: one subkey per element (``split(key, a.size)``), and per element
Marsaglia-Tsang rejection (2000) in a ``lax.while_loop``, each try drawing a normal (itself
redrawn until ``1 + c x > 0``) and a uniform from the element's own key stream. ``vmap`` turns
the per-element loops into one loop over the whole array that runs until every element is
accepted. ``a < 1`` samples Gamma(a + 1) and multiplies by ``u^(1/a)``; ``loggamma`` does that
boost in log space, which keeps the tiny samples of small ``a`` representable.

The samples are differentiable in ``a``: a ``custom_jvp`` rule multiplies the tangent by
``lax.random_gamma_grad(a, x)`` (implicit reparameterization).
"""
from __future__ import annotations

import functools
import math

import numpy as np

from .. import lax
from .. import nn
from .. import numpy as jnp
from ..api import vmap
from ..hop import custom_jvp
from ..numpy.util import check_arraylike
from ..prims.util import get_aval
from . import threefry
from .distributions import (_float_dtype, _normal_real, _param_shape, _result_shape, _to,
                            _uniform,
                            _shape_of, exponential, operator_index, rademacher)
from .keys import canonicalize_shape, check_key


def _gamma_one(data, alpha, log_space: bool):
    """One Gamma(``alpha``) sample (0-d ``alpha``) from one raw key: Marsaglia-Tsang."""
    dt = get_aval(alpha).dtype

    def c(v):
        return np.asarray(v, dt)

    boost = lax.ge(alpha, c(1))
    alpha_b = lax.select(boost, alpha, lax.add(alpha, c(1)))
    d = lax.sub(alpha_b, c(1 / 3))
    cc = lax.div(c(1 / 3), lax.sqrt(d))

    def rejected(state):
        _, x2, v, u = state
        squeeze = lax.ge(u, lax.sub(c(1), lax.mul(c(0.0331), lax.mul(x2, x2))))
        exact = lax.ge(lax.log(u), lax.add(lax.mul(x2, c(0.5)),
                                           lax.mul(d, lax.add(lax.sub(c(1), v), lax.log(v)))))
        return lax.bitwise_and(squeeze, exact)

    def next_normal(state):  # redraw x until v = 1 + c x is positive
        keys = threefry.split(state[0], (2,))
        x = _normal_real(keys[1], (), dt)
        return keys[0], x, lax.add(c(1), lax.mul(x, cc))

    def propose(state):
        keys = threefry.split(state[0], (3,))
        _, x, v = lax.while_loop(lambda s: lax.le(s[2], c(0)), next_normal,
                                 (keys[1], c(0), c(-1)))
        u = _uniform(keys[2], (), dt, 0., 1.)
        return keys[0], lax.mul(x, x), lax.mul(lax.mul(v, v), v), u

    keys = threefry.split(data, (2,))
    # the initial state is rejected, so the loop draws at least once
    _, _, v, _ = lax.while_loop(rejected, propose, (keys[0], c(0), c(1), c(2)))
    if log_space:
        log_u = lax.neg(exponential(keys[1], (), dt))  # log(1 - u), -> 0 never gives -inf
        log_boost = lax.select(lax.bitwise_or(boost, lax.eq(log_u, c(0))), c(0),
                               lax.div(log_u, alpha))
        return lax.add(lax.add(lax.log(d), lax.log(v)), log_boost)
    u = lax.sub(c(1), _uniform(keys[1], (), dt, 0., 1.))
    return lax.mul(lax.mul(d, v), lax.select(boost, c(1), lax.pow(u, lax.div(c(1), alpha))))


@functools.partial(custom_jvp, nondiff_argnums=(2,))
def _gamma_samples(data, a, log_space):
    """Gamma samples of the shape of ``a``, one per element."""
    shape = tuple(get_aval(a).shape)
    n = math.prod(shape)
    if n == 0:
        return a
    keys = threefry.split(data, (n,))
    out = vmap(lambda k, x: _gamma_one(k, x, log_space))(keys, jnp.reshape(a, (n,)))
    return jnp.reshape(out, shape)


@_gamma_samples.defjvp
def _gamma_samples_jvp(log_space, primals, tangents):
    data, a = primals
    a_dot = tangents[1]
    x = _gamma_samples(data, a, log_space)
    if log_space:  # d log(x) = dx / x; exp(x) may underflow to 0: use the smallest float
        s = jnp.exp(x)
        s = jnp.where(s == 0, jnp.full_like(s, np.finfo(get_aval(s).dtype).tiny), s)
        grad = jnp.divide(lax.random_gamma_grad(a, s), s)
    else:
        grad = lax.random_gamma_grad(a, x)
    return x, jnp.multiply(a_dot, grad)


def _gamma(name, key, a, shape, dtype, log_space):
    data, _ = check_key(name, key)
    dtype = _float_dtype(name, dtype)
    check_arraylike(name, a)
    shape = _param_shape(name, shape, a)
    return _gamma_samples(data, jnp.broadcast_to(_to(a, dtype), shape), log_space)


def gamma(key, a, shape=None, dtype=None):
    """Standard Gamma(``a``) values (density ``x^(a-1) e^-x / Gamma(a)``, ``a > 0``),
    differentiable in ``a``. Divide by a rate (or multiply by a scale) for other scales."""
    return _gamma("gamma", key, a, shape, dtype, log_space=False)


def loggamma(key, a, shape=None, dtype=None):
    """``log`` of Gamma(``a``) values, sampled in log space: accurate where ``gamma`` would
    round tiny samples (``a << 1``) to 0. ``exp(loggamma(k, a)) ~= gamma(k, a)``."""
    return _gamma("loggamma", key, a, shape, dtype, log_space=True)


def beta(key, a, b, shape=None, dtype=None):
    """Beta(``a``, ``b``) values ``G_a / (G_a + G_b)``, from log-gamma samples scaled by
    their maximum so that small parameters do not give 0/0."""
    data, _ = check_key("beta", key)
    dtype = _float_dtype("beta", dtype)
    check_arraylike("beta", a, b)
    shape = _param_shape("beta", shape, a, b)
    a = jnp.broadcast_to(_to(a, dtype), shape)
    b = jnp.broadcast_to(_to(b, dtype), shape)
    keys = threefry.split(data, (2,))
    log_ga = _gamma_samples(keys[0], a, True)
    log_gb = _gamma_samples(keys[1], b, True)
    log_max = jnp.maximum(log_ga, log_gb)
    ga, gb = jnp.exp(log_ga - log_max), jnp.exp(log_gb - log_max)
    return ga / (ga + gb)


def dirichlet(key, alpha, shape=None, dtype=None):
    """Dirichlet(``alpha``) vectors along the last axis of ``alpha`` (``softmax`` of
    log-gamma samples); ``shape`` is the batch shape, without that axis."""
    data, _ = check_key("dirichlet", key)
    dtype = _float_dtype("dirichlet", dtype)
    check_arraylike("dirichlet", alpha)
    ashape = _shape_of(alpha)
    if len(ashape) < 1:
        raise ValueError(f"dirichlet requires alpha.ndim >= 1, got alpha.ndim == {len(ashape)}")
    batch = _result_shape("dirichlet", shape, ashape[:-1])
    full = batch + ashape[-1:]
    alpha = jnp.broadcast_to(_to(alpha, dtype), full)
    return nn.softmax(_gamma_samples(data, alpha, True), axis=-1)


def chisquare(key, df, shape=None, dtype=None):
    """Chi-square(``df``) values ``2 G`` with ``G ~ Gamma(df / 2)`` (sampled in log space)."""
    data, _ = check_key("chisquare", key)
    dtype = _float_dtype("chisquare", dtype)
    check_arraylike("chisquare", df)
    shape = _param_shape("chisquare", shape, df)
    return _chisquare(data, _to(df, dtype), shape)


def _chisquare(data, df, shape):
    half = jnp.broadcast_to(jnp.divide(df, 2), shape)
    return jnp.multiply(jnp.exp(_gamma_samples(data, half, True)), 2)


def f(key, dfnum, dfden, shape=None, dtype=None):
    """F(``dfnum``, ``dfden``) values ``(X1 / dfnum) / (X2 / dfden)``, X chi-square."""
    data, _ = check_key("f", key)
    dtype = _float_dtype("f", dtype)
    check_arraylike("f", dfnum, dfden)
    shape = _param_shape("f", shape, dfnum, dfden)
    dfnum, dfden = _to(dfnum, dtype), _to(dfden, dtype)
    keys = threefry.split(data, (2,))  # JAX's order: the denominator's key first
    den = jnp.divide(_chisquare(keys[0], dfden, shape), dfden)
    num = jnp.divide(_chisquare(keys[1], dfnum, shape), dfnum)
    return jnp.divide(num, den)


def t(key, df, shape=None, dtype=None):
    """Student's t(``df``) values ``Z sqrt((df/2) / G)``, Z normal, G ~ Gamma(df / 2)."""
    data, _ = check_key("t", key)
    dtype = _float_dtype("t", dtype)
    check_arraylike("t", df)
    shape = _param_shape("t", shape, df)
    half = jnp.broadcast_to(jnp.divide(_to(df, dtype), 2), shape)
    keys = threefry.split(data, (2,))
    z = _normal_real(keys[0], shape, dtype)
    g = _gamma_samples(keys[1], half, False)
    return jnp.multiply(z, jnp.sqrt(jnp.divide(half, g)))


def generalized_normal(key, p, shape=(), dtype=None):
    """Generalized normal values (density ``p / (2 Gamma(1/p)) exp(-|x|^p)``): a random
    sign times ``G^(1/p)``, ``G ~ Gamma(1/p)``. ``p = 2`` is N(0, 1/2), ``p = 1`` Laplace."""
    data, _ = check_key("generalized_normal", key)
    dtype = _float_dtype("generalized_normal", dtype)
    shape = canonicalize_shape(shape)
    check_arraylike("generalized_normal", p)
    return _generalized_normal(data, p, shape, dtype)


def _generalized_normal(data, p, shape, dtype):
    keys = threefry.split(data, (2,))
    inv_p = jnp.divide(1, _to(p, dtype))
    g = _gamma_samples(keys[0], jnp.broadcast_to(inv_p, shape), False)
    r = rademacher(keys[1], shape, dtype)
    return jnp.multiply(r, jnp.power(g, inv_p))


def ball(key, d, p=2, shape=(), dtype=None):
    """Points uniform in the ``d``-dimensional unit ``p``-norm ball, shape ``shape + (d,)``
    (Barthe et al. 2005: generalized normals scaled by their p-norm plus an exponential)."""
    data, _ = check_key("ball", key)
    dtype = _float_dtype("ball", dtype)
    shape = canonicalize_shape(shape)
    d = operator_index(d, "jitnet.random.ball(): d")
    check_arraylike("ball", p)
    keys = threefry.split(data, (2,))
    g = _generalized_normal(keys[0], p, shape + (d,), dtype)
    e = exponential(keys[1], shape, dtype)
    p = _to(p, dtype)
    radius = jnp.power(jnp.add(jnp.sum(jnp.power(jnp.abs(g), p), axis=-1), e),
                       jnp.divide(1, p))
    return jnp.divide(g, radius[..., None])


__all__ = ["ball", "beta", "chisquare", "dirichlet", "f", "gamma", "generalized_normal",
           "loggamma", "t"]
