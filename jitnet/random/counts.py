"""Counting laws: poisson, binomial, multinomial, geometric.

The algorithms are JAX 0.10.2's (themselves TensorFlow's and NumPy's), with the same key
splitting, so a key gives JAX's numbers up to the rounding of ``log``/``lgamma``:

* ``poisson``: Knuth's multiplication of uniforms for ``lam < 10``, Hormann's transformed
  rejection (PTRS, 1993) above; both are one ``lax.while_loop`` over the whole array that
  runs until every element is done, each element keeping its first accepted value.
* ``binomial``: counting geometric waiting times (inversion) for ``n q <= 10``, Hormann's
  BTRS rejection above, with ``q = min(p, 1 - p)`` and ``n - k`` restored for ``p > 1/2``.
* ``multinomial``: one binomial per category on what the previous ones left.
"""
from __future__ import annotations

import numpy as np

from .. import lax
from .. import numpy as jnp
from ..core import dtypes
from ..numpy.util import check_arraylike
from . import threefry
from .distributions import _dtype, _float_dtype, _param_shape, _to, _uniform
from .keys import canonicalize_shape, check_key

_F32 = np.dtype(np.float32)


def _int_dtype(name, dtype):
    return _dtype(name, dtype, dtypes.default_int, "iu", "int")


def _split2(data):
    keys = threefry.split(data, (2,))
    return keys[0], keys[1]


# -- poisson ------------------------------------------------------------------------------

def _poisson_knuth(data, lam, shape):
    """Count uniforms until their product falls below ``exp(-lam)`` (minus one)."""
    neg_lam = jnp.negative(lam)

    def body(c):
        k, key, log_prod = c
        key, sub = _split2(key)
        k = jnp.where(log_prod > neg_lam, k + 1, k)
        return k, key, log_prod + jnp.log(_uniform(sub, shape, _F32, 0., 1.))

    init = (jnp.zeros(shape, _F32), data, jnp.zeros(shape, _F32))
    k, _, _ = lax.while_loop(lambda c: jnp.any(c[2] > neg_lam), body, init)
    return k - 1


def _poisson_rejection(data, lam, shape):
    """PTRS: a uniform pair proposes ``k``; cheap squeeze, then the exact log-pmf test."""
    log_lam = jnp.log(lam)
    b = 0.931 + 2.53 * jnp.sqrt(lam)
    a = -0.059 + 0.02483 * b
    inv_alpha = 1.1239 + 1.1328 / (b - 3.4)
    v_r = 0.9277 - 3.6224 / (b - 2)

    def body(c):
        k_out, accepted, key = c
        keys = threefry.split(key, (3,))
        u = _uniform(keys[1], shape, _F32, 0., 1.) - 0.5
        v = _uniform(keys[2], shape, _F32, 0., 1.)
        us = 0.5 - jnp.abs(u)
        k = jnp.floor((2 * a / us + b) * u + lam + 0.43)
        s = jnp.log(v * inv_alpha / (a / (us * us) + b))
        t = -lam + k * log_lam - lax.lgamma(k + 1)
        accept = ((us >= 0.07) & (v <= v_r)) | (
            ~((k < 0) | ((us < 0.013) & (v > us))) & (s <= t))
        return jnp.where(accept, k, k_out), accepted | accept, keys[0]

    init = (jnp.full(shape, -1, _F32), jnp.zeros(shape, np.bool_), data)
    k, _, _ = lax.while_loop(lambda c: jnp.any(~c[1]), body, init)
    return k


def poisson(key, lam, shape=None, dtype=None):
    """Poisson(``lam``) counts (integer ``dtype``); ``lam = 0`` gives 0. ``lam`` is used in
    float32, as in JAX."""
    data, _ = check_key("poisson", key)
    dtype = _int_dtype("poisson", dtype)
    check_arraylike("poisson", lam)
    shape = _param_shape("poisson", shape, lam)
    lam = jnp.broadcast_to(_to(lam, _F32), shape)
    small = jnp.isnan(lam) | (lam < 10)
    knuth = _poisson_knuth(data, jnp.where(small, lam, 0.), shape)
    # the rejection sampler's acceptance is highest for large lam: a stand-in of 1e5
    rejection = _poisson_rejection(data, jnp.where(small, 1e5, lam), shape)
    out = jnp.where(small, knuth, rejection).astype(dtype)
    return jnp.where(lam == 0, jnp.zeros_like(out), out)


# -- geometric ----------------------------------------------------------------------------

def geometric(key, p, shape=None, dtype=None):
    """Geometric(``p``) counts on ``{1, 2, ...}``: trials up to the first success,
    ``floor(log u / log1p(-p)) + 1``."""
    data, _ = check_key("geometric", key)
    dtype = _int_dtype("geometric", dtype)
    check_arraylike("geometric", p)
    shape = _param_shape("geometric", shape, p)
    p = jnp.asarray(p)
    p = p.astype(dtypes.to_inexact_dtype(p.dtype))
    u = _uniform(data, shape, p.dtype, 0., 1.)
    log_u = jnp.log(jnp.where(u == 0, jnp.ones_like(u), u))  # JAX maps u = 0 to 1
    g = jnp.floor(log_u / jnp.broadcast_to(jnp.log1p(-p), shape)) + 1
    return g.astype(dtype)


# -- binomial -----------------------------------------------------------------------------

_STIRLING_TAIL = np.array([0.0810614667953272, 0.0413406959554092, 0.0276779256849983,
                           0.02079067210376509, 0.0166446911898211, 0.0138761288230707,
                           0.0118967099458917, 0.0104112652619720, 0.00925546218271273,
                           0.00833056343336287])


def _stirling_tail(k):
    """``log k! - (Stirling's approximation)``: tabulated for k <= 9, the series above."""
    kc = jnp.clip(k, 0., 9.)
    kp1sq = (kc + 1) * (kc + 1)
    approx = (1.0 / 12 - (1.0 / 360 - 1.0 / 1260 / kp1sq) / kp1sq) / (kc + 1)
    table = jnp.asarray(_STIRLING_TAIL.astype(k.dtype))[jnp.floor(kc).astype(np.int32)]
    return jnp.where(k <= 9, table, approx)


def _binomial_inversion(data, count, prob, shape):
    """Add geometric waiting times until they pass ``count``; the number of them, minus one."""
    log1mp = jnp.log1p(-prob)

    def body(c):
        num, total, key = c
        sub, key = _split2(key)  # JAX's order here: the subkey is the first half
        num = jnp.where(total <= count, num + 1, num)
        u = _uniform(sub, shape, prob.dtype, 0., 1.)
        return num, total + jnp.ceil(jnp.log(u) / log1mp), key

    zeros = jnp.zeros(shape, prob.dtype)
    num, _, _ = lax.while_loop(lambda c: jnp.any(c[1] <= count), body, (zeros, zeros, data))
    return num - 1


def _binomial_btrs(data, count, prob, shape):
    """BTRS (Hormann 1993): transformed rejection with a Stirling-series acceptance bound."""
    stddev = jnp.sqrt(count * prob * (1 - prob))
    b = 1.15 + 2.53 * stddev
    a = -0.0873 + 0.0248 * b + 0.01 * prob
    c = count * prob + 0.5
    v_r = 0.92 - 4.2 / b
    r = prob / (1 - prob)
    alpha = (2.83 + 5.1 / b) * stddev
    m = jnp.floor((count + 1) * prob)
    bound_m = ((m + 0.5) * jnp.log((m + 1) / (r * (count - m + 1)))
               + _stirling_tail(m) + _stirling_tail(count - m))

    def body(carry):
        k_out, accepted, key = carry
        keys = threefry.split(key, (3,))
        u = _uniform(keys[1], shape, prob.dtype, 0., 1.) - 0.5
        v = _uniform(keys[2], shape, prob.dtype, 0., 1.)
        us = 0.5 - jnp.abs(u)
        k = jnp.floor((2 * a / us + b) * u + c)
        log_v = jnp.log(v * alpha / (a / (us * us) + b))
        bound = (bound_m + (count + 1) * jnp.log((count - m + 1) / (count - k + 1))
                 + (k + 0.5) * jnp.log(r * (count - k + 1) / (k + 1))
                 - _stirling_tail(k) - _stirling_tail(count - k))
        accept = ((us >= 0.07) & (v <= v_r)) | (~((k < 0) | (k > count)) & (log_v <= bound))
        return jnp.where(accept, k, k_out), accepted | accept, keys[0]

    init = (jnp.full(shape, -1, prob.dtype), jnp.zeros(shape, np.bool_), data)
    k, _, _ = lax.while_loop(lambda s: jnp.any(~s[1]), body, init)
    return k


def _binomial(data, count, prob, shape, dtype):
    """Binomial counts as ``dtype`` floats; nan for nan/negative ``count`` or invalid
    ``prob``, inf for infinite ``count`` (JAX's conventions)."""
    prob = jnp.broadcast_to(prob, shape)
    count = jnp.broadcast_to(count.astype(prob.dtype), shape)
    low = prob < 0.5
    q = jnp.where(low, prob, 1.0 - prob)
    nan_q = jnp.isnan(q)
    bad_count = jnp.isnan(count) | (count < 0)
    inf_count = jnp.isinf(count)
    bad_q = nan_q | (q < 0)
    q = jnp.where(bad_q, jnp.full_like(q, 0.01), q)
    inversion = bad_count | (count * q <= 10)
    count = jnp.floor(count)
    k_inv = _binomial_inversion(data, jnp.where(inversion, count, 0.), q, shape)
    # stand-ins where the other method is used: quick to accept, never nan
    k_btrs = _binomial_btrs(data, jnp.where(inversion, 1e4, count),
                            jnp.where(inversion, 0.5, q), shape)
    out = jnp.where(inversion, k_inv, k_btrs).astype(dtype)
    invalid = bad_q | bad_count
    out = jnp.where(invalid, jnp.full_like(out, np.nan), out)
    out = jnp.where(inf_count & ~invalid, jnp.full_like(out, np.inf), out)
    keep = low | bad_count | nan_q | inf_count  # q < 0 is nan either way
    return jnp.where(keep, out, count.astype(dtype) - out)


def _inexact(x):
    x = jnp.asarray(x)
    return x.astype(dtypes.to_inexact_dtype(x.dtype))


def binomial(key, n, p, shape=None, dtype=None):
    """Binomial(``n``, ``p``) counts as floats of ``dtype`` (``n`` may be a float: it is
    floored, as NumPy does)."""
    data, _ = check_key("binomial", key)
    check_arraylike("binomial", n, p)
    dtype = _float_dtype("binomial", dtype)
    shape = _param_shape("binomial", shape, n, p)
    return _binomial(data, jnp.asarray(n), _inexact(p), shape, dtype)


def multinomial(key, n, p, *, shape=None, dtype=None, unroll=1):
    """Counts of ``n`` draws over the categories on the last axis of ``p`` (floats of
    ``dtype``). ``shape`` is the full result shape, categories included (JAX's
    behaviour); ``n`` broadcasts to ``shape[:-1]``. Category ``i`` gets
    ``binomial(n - counts so far, p_i / sum(p_i...))``. ``unroll`` is accepted for JAX
    compatibility (the categories are a Python loop)."""
    data, _ = check_key("multinomial", key)
    check_arraylike("multinomial", n, p)
    dtype = _float_dtype("multinomial", dtype)
    common = dtypes.to_inexact_dtype(jnp.result_type(n, p))
    n, p = jnp.asarray(n).astype(common), jnp.asarray(p).astype(common)
    if p.ndim < 1:
        raise ValueError(f"multinomial requires p.ndim >= 1, got p.shape {tuple(p.shape)}")
    shape = tuple(p.shape) if shape is None else canonicalize_shape(shape)
    _param_shape("multinomial", shape, p)
    _param_shape("multinomial", shape[:-1], n)
    n = jnp.broadcast_to(n, shape[:-1])
    p = jnp.moveaxis(jnp.broadcast_to(p, shape), -1, 0)
    remaining = jnp.flip(jnp.cumsum(jnp.flip(p, 0), axis=0), 0)
    ratios = jnp.clip(p / jnp.where(remaining == 0, 1, remaining), 0, 1)
    keys = threefry.split(data, (shape[-1],))
    counts = []
    for i in range(shape[-1]):
        c = _binomial(keys[i], n, ratios[i], shape[:-1], common)
        n = n - c
        counts.append(c)
    return jnp.stack(counts, axis=-1).astype(dtype)


__all__ = ["binomial", "geometric", "multinomial", "poisson"]
