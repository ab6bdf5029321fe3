"""Continuous laws obtained by transforming uniform or normal draws (no rejection):
cauchy, pareto, rayleigh, maxwell, double_sided_maxwell, weibull_min, wald, triangular,
lognormal, multivariate_normal.

Each uses JAX 0.10.2's transform and key splitting, so a key gives JAX's numbers up to the
rounding of the transcendental functions.
"""
from __future__ import annotations

import numpy as np

from .. import lax
from .. import numpy as jnp
from ..core import dtypes
from ..numpy.util import check_arraylike
from . import threefry
from .distributions import (_dtype, _float_dtype, _normal_real, _param_shape, _result_shape,
                            _shape_of, _to, _uniform, exponential, normal, rademacher)
from .keys import canonicalize_shape, check_key


def _begin(name, key, dtype, *params):
    """Key data and dtype after JAX's checks; the parameters must be arrays or scalars."""
    data, _ = check_key(name, key)
    if params:
        check_arraylike(name, *params)
    return data, _float_dtype(name, dtype)


def cauchy(key, shape=(), dtype=None):
    """Standard Cauchy values ``tan(pi (u - 1/2))``, ``u`` uniform in ``[eps, 1)``."""
    data, dtype = _begin("cauchy", key, dtype)
    u = _uniform(data, canonicalize_shape(shape), dtype, float(np.finfo(dtype).eps), 1.)
    return lax.tan(lax.mul(np.asarray(np.pi, dtype), lax.sub(u, np.asarray(0.5, dtype))))


def pareto(key, b, shape=None, dtype=None):
    """Pareto(``b``) values ``exp(E / b)`` on ``[1, inf)``, ``E`` exponential."""
    data, dtype = _begin("pareto", key, dtype, b)
    shape = _param_shape("pareto", shape, b)
    e = exponential(data, shape, dtype)
    return jnp.exp(jnp.divide(e, _to(b, dtype)))


def rayleigh(key, scale, shape=None, dtype=None):
    """Rayleigh(``scale``) values ``scale sqrt(-2 log u)``."""
    data, dtype = _begin("rayleigh", key, dtype, scale)
    shape = _param_shape("rayleigh", shape, scale)
    u = _uniform(data, shape, dtype, 0., 1.)
    scale = jnp.broadcast_to(_to(scale, dtype), shape)
    return jnp.multiply(scale, jnp.sqrt(jnp.multiply(jnp.log(u), np.asarray(-2, dtype))))


def maxwell(key, shape=(), dtype=None):
    """Maxwell values: the length of a standard normal 3-vector."""
    data, dtype = _begin("maxwell", key, dtype)
    z = _normal_real(data, canonicalize_shape(shape) + (3,), dtype)
    return jnp.linalg.norm(z, axis=-1)


def double_sided_maxwell(key, loc, scale, shape=(), dtype=None):
    """``loc + scale * s * M`` with ``M`` Maxwell and ``s`` a random sign. As in JAX, the
    result shape is ``shape + broadcast(loc, scale).shape`` (or the latter for ``shape=()``)."""
    data, dtype = _begin("double_sided_maxwell", key, dtype, loc, scale)
    shape = canonicalize_shape(shape)
    pshape = _result_shape("double_sided_maxwell", None, _shape_of(loc), _shape_of(scale))
    shape = (shape or pshape) + pshape
    keys = threefry.split(data, (2,))
    m = maxwell(keys[0], shape, dtype)
    sign = rademacher(keys[1], shape, dtype)
    return jnp.add(jnp.multiply(jnp.multiply(sign, m), _to(scale, dtype)), _to(loc, dtype))


def weibull_min(key, scale, concentration, shape=(), dtype=None):
    """Weibull values ``scale * (-log1p(-u))^(1 / concentration)`` (inverse CDF); the result
    broadcasts ``shape`` with the parameters, as in JAX."""
    data, dtype = _begin("weibull_min", key, dtype, scale, concentration)
    shape = canonicalize_shape(shape)
    _result_shape("weibull_min", None, shape, _shape_of(scale), _shape_of(concentration))
    u = _uniform(data, shape, dtype, 0., 1.)
    e = jnp.negative(jnp.log1p(jnp.negative(u)))
    return jnp.multiply(jnp.power(e, jnp.divide(1.0, _to(concentration, dtype))),
                        _to(scale, dtype))


def wald(key, mean, shape=None, dtype=None):
    """Wald (inverse Gaussian, unit shape) values with the given ``mean``
    (Michael, Schucany and Haas 1976: one normal, one uniform)."""
    data, dtype = _begin("wald", key, dtype, mean)
    shape = _param_shape("wald", shape, mean)
    keys = threefry.split(data, (2,))
    mean = jnp.broadcast_to(_to(mean, dtype), shape)
    v = _normal_real(keys[0], shape, dtype)
    z = _uniform(keys[1], shape, dtype, 0., 1.)
    y = lax.integer_pow(v, 2)
    mean_sq = lax.integer_pow(mean, 2)
    root = jnp.sqrt(4 * mean * y + mean_sq * lax.integer_pow(y, 2))
    x = mean + mean_sq * y / 2 - mean / 2 * root
    return jnp.where(z <= mean / (mean + x), x, mean_sq / x)


def triangular(key, left, mode, right, shape=None, dtype=None):
    """Triangular(``left``, ``mode``, ``right``) values by inverting the piecewise-quadratic
    CDF on each side of the mode."""
    data, dtype = _begin("triangular", key, dtype, left, mode, right)
    shape = _param_shape("triangular", shape, left, mode, right)
    left, mode, right = (jnp.broadcast_to(_to(v, dtype), shape) for v in (left, mode, right))
    u = _uniform(data, shape, dtype, 0., 1.)
    width = right - left
    below = left + jnp.sqrt(u * width * (mode - left))
    above = right - jnp.sqrt((1 - u) * width * (right - mode))
    return jnp.where(u < (mode - left) / width, below, above)


def lognormal(key, sigma=np.float32(1), shape=None, dtype=None):
    """Log-normal values ``exp(sigma Z)``, ``Z`` standard normal (complex dtypes too)."""
    data, _ = check_key("lognormal", key)
    dtype = _dtype("lognormal", dtype, dtypes.default_float, "fc", "float or complex")
    check_arraylike("lognormal", sigma)
    shape = _param_shape("lognormal", shape, sigma)
    z = normal(data, shape, dtype)
    return jnp.exp(jnp.multiply(z, _to(sigma, dtype)))


_FACTORS = {
    "cholesky": lambda cov: jnp.linalg.cholesky(cov),
    "svd": lambda cov: _scaled_columns(*jnp.linalg.svd(cov)[:2]),
    "eigh": lambda cov: _scaled_columns(*reversed(jnp.linalg.eigh(cov))),
}


def _scaled_columns(vectors, values):
    return vectors * jnp.sqrt(values)[..., None, :]


def multivariate_normal(key, mean, cov, shape=None, dtype=None, method="cholesky"):
    """Normal vectors with ``mean`` (``..., n``) and covariance ``cov`` (``..., n, n``):
    ``mean + L z`` with ``L L^T = cov`` from ``method`` ('cholesky', 'svd' or 'eigh'; the
    last two accept singular ``cov``). ``shape`` is the batch shape, without ``n``."""
    data, _ = check_key("multivariate_normal", key)
    check_arraylike("multivariate_normal", mean, cov)
    if method not in _FACTORS:
        raise ValueError("method must be one of {'svd', 'eigh', 'cholesky'}")
    mean, cov = jnp.asarray(mean), jnp.asarray(cov)
    common = dtypes.to_inexact_dtype(jnp.result_type(mean, cov))
    mean, cov = mean.astype(common), cov.astype(common)
    dtype = _float_dtype("multivariate_normal", common if dtype is None else dtype)
    if mean.ndim < 1:
        raise ValueError(f"multivariate_normal requires mean.ndim >= 1, got mean.ndim == "
                         f"{mean.ndim}")
    if cov.ndim < 2:
        raise ValueError(f"multivariate_normal requires cov.ndim >= 2, got cov.ndim == "
                         f"{cov.ndim}")
    n = mean.shape[-1]
    if tuple(cov.shape[-2:]) != (n, n):
        raise ValueError(f"multivariate_normal requires cov.shape == (..., n, n) for n={n}, "
                         f"but got cov.shape == {tuple(cov.shape)}.")
    shape = _result_shape("multivariate_normal", shape, tuple(mean.shape[:-1]),
                          tuple(cov.shape[:-2]))
    factor = _FACTORS[method](cov)
    z = _normal_real(data, shape + (n,), dtype)
    return mean + jnp.einsum("...ij,...j->...i", factor, z)
