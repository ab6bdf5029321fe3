"""Activation functions, softmax, one-hot and standardization with ``jax.nn``'s semantics.

All are compositions of ``jitnet.numpy``/``jitnet.lax`` operations, so they run eagerly,
trace and differentiate. Piecewise functions are written with ``where`` on a strict
comparison rather than ``maximum``/``minimum``, so that their derivative at a kink is JAX's
one-sided value (``relu'(0) = 0``) and not the 1/2 that ``maximum``'s tie rule would give.
Functions JAX rejects for integer inputs (``sigmoid``, ``silu``, ``glu``) promote them to
the default float type instead, as every other float-valued function here does.
"""
from __future__ import annotations

import operator

import numpy as np

from ..core.dtypes import kind_of
from .. import lax
from .. import numpy as jnp
from ..core import dtypes
from ..hop.custom import custom_jvp
from ..numpy.util import (canonicalize_axes, canonicalize_axis, check_arraylike,
                          promote_args_inexact, to_dtype)


def __getattr__(name):
    """``logsumexp`` is ``jitnet.scipy.special``'s (as ``jax.nn``'s is), loaded on first use:
    importing ``jitnet.scipy`` costs ~13 ms, more than the rest of ``jitnet.nn``, and would
    otherwise be part of a new process's first ``nn.sigmoid``."""
    if name == "logsumexp":
        from ..scipy.special import logsumexp
        return logsumexp
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["celu", "elu", "gelu", "glu", "hard_sigmoid", "hard_silu", "hard_swish",
           "hard_tanh", "identity", "leaky_relu", "log1mexp", "log_sigmoid", "log_softmax",
           "logsumexp", "mish", "one_hot", "relu", "relu6", "selu", "sigmoid", "silu",
           "soft_sign", "softmax", "softplus", "sparse_plus", "sparse_sigmoid", "squareplus",
           "standardize", "swish", "tanh"]

_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946
_SQRT_2_OVER_PI = 0.7978845608028654  # sqrt(2 / pi)
_SQRT_HALF = 0.7071067811865476  # 1 / sqrt(2)


def _float(name, x):
    """``x`` as an array of an inexact dtype (ints and bools become the default float)."""
    return promote_args_inexact(name, x)[0]


def _array(name, x):
    """``x`` as a jitnet array of its own dtype (Python scalars stay weakly typed)."""
    check_arraylike(name, x)
    return jnp.asarray(x)


# -- elementwise activations ---------------------------------------------------------------

def identity(x):
    """The identity activation (``x`` as an array)."""
    return _array("identity", x)


def relu(x):
    """``max(x, 0)``, keeping integer dtypes; derivative 0 at 0 (as JAX) and nan passes."""
    x = _array("relu", x)
    if kind_of(x.dtype) == "f":
        return _relu(x)
    return jnp.where(x > 0, x, jnp.zeros_like(x))


@custom_jvp
def _relu(x):
    return jnp.where((x > 0) | jnp.isnan(x), x, jnp.zeros_like(x))


# slope 1 only where x > 0: 0 at 0 and at nan (as JAX's rule)
_relu.defjvps(lambda t, out, x: jnp.where(x > 0, t, jnp.zeros_like(t)))


def relu6(x):
    """``min(max(x, 0), 6)`` as a float; derivative 0 at both kinks, as JAX."""
    x = _float("relu6", x)
    return jnp.where(x >= 6, jnp.full_like(x, 6), relu(x))


def leaky_relu(x, negative_slope=0.01):
    """``x`` for ``x >= 0``, ``negative_slope * x`` below."""
    x = _array("leaky_relu", x)
    return jnp.where(x >= 0, x, negative_slope * x)


def elu(x, alpha=1.0):
    """``x`` for ``x > 0``, ``alpha * (exp(x) - 1)`` below (the exp only sees ``x <= 0``)."""
    x = _float("elu", x)
    safe = jnp.where(x > 0, jnp.zeros_like(x), x)
    return jnp.where(x > 0, x, alpha * jnp.expm1(safe))


def celu(x, alpha=1.0):
    """``max(x, 0) + alpha * expm1(min(x, 0) / alpha)``: continuously differentiable ELU."""
    x = _float("celu", x)
    return jnp.maximum(x, 0.0) + alpha * jnp.expm1(jnp.minimum(x, 0.0) / alpha)


def selu(x):
    """Scaled ELU with the self-normalizing constants of Klambauer et al. (2017)."""
    return _SELU_SCALE * elu(x, _SELU_ALPHA)


def gelu(x, approximate: bool = True):
    """Gaussian error linear unit: ``x * Phi(x)``; ``approximate`` uses the tanh formula."""
    x = _float("gelu", x)
    if approximate:
        # (1 + tanh(u)) / 2 == sigmoid(2u), without tanh's cancellation against 1 for u << 0
        u = _SQRT_2_OVER_PI * (x + 0.044715 * (x * x * x))
        return x * lax.logistic(2.0 * u)
    return x * (0.5 * lax.erfc(-x * _SQRT_HALF))


def sigmoid(x):
    """Logistic sigmoid ``1 / (1 + exp(-x))``."""
    return lax.logistic(_float("sigmoid", x))


def softplus(x):
    """``log(1 + exp(x))`` as ``logaddexp(x, 0)``: no overflow for large ``x``."""
    return jnp.logaddexp(_float("softplus", x), 0.0)


def log_sigmoid(x):
    """``log(sigmoid(x)) = -softplus(-x)``, finite for large negative ``x``."""
    return -softplus(-_float("log_sigmoid", x))


def soft_sign(x):
    """``x / (|x| + 1)``."""
    x = _float("soft_sign", x)
    return x / (jnp.abs(x) + 1)


def silu(x):
    """SiLU (swish): ``x * sigmoid(x)``."""
    x = _float("silu", x)
    return x * lax.logistic(x)


swish = silu


def hard_tanh(x):
    """``x`` clipped to ``[-1, 1]``, keeping integer dtypes."""
    x = _array("hard_tanh", x)
    return jnp.where(x > 1, jnp.ones_like(x), jnp.where(x < -1, -jnp.ones_like(x), x))


def hard_sigmoid(x):
    """``relu6(x + 3) / 6``: a piecewise-linear sigmoid."""
    return relu6(_float("hard_sigmoid", x) + 3.0) / 6.0


def hard_silu(x):
    """``x * hard_sigmoid(x)``."""
    x = _float("hard_silu", x)
    return x * hard_sigmoid(x)


hard_swish = hard_silu


def mish(x):
    """``x * tanh(softplus(x))``."""
    x = _float("mish", x)
    return x * jnp.tanh(softplus(x))


def tanh(x, /):
    """Hyperbolic tangent (``jnp.tanh``)."""
    return jnp.tanh(x)


def squareplus(x, b=4):
    """``(x + sqrt(x^2 + b)) / 2``: a smooth ReLU built from algebraic operations.

    For ``x < 0`` the equal form ``b / (2 (sqrt(x^2 + b) - x))`` avoids the cancellation that
    rounds the small positive result to 0 (and gives 0, not nan, at ``-inf``).
    """
    x = _float("squareplus", x)
    pos = x >= 0
    # each form sees only its own side, so the untaken one's 0/0 slope (b / (2 (root - x))
    # at x = 1e30, where root == x) never reaches the gradient
    xp = jnp.where(pos, x, jnp.zeros_like(x))
    xn = jnp.where(pos, jnp.zeros_like(x), x)
    return jnp.where(pos, (xp + jnp.sqrt(xp * xp + b)) / 2,
                     b / (2 * (jnp.sqrt(xn * xn + b) - xn)))


def sparse_plus(x):
    """0 for ``x <= -1``, ``(x + 1)^2 / 4`` on ``(-1, 1)``, ``x`` for ``x >= 1``."""
    x = _float("sparse_plus", x)
    quad = 0.25 * jnp.square(x + 1)
    return jnp.where(x <= -1, jnp.zeros_like(x), jnp.where(x >= 1, x, quad))


def sparse_sigmoid(x):
    """0 for ``x <= -1``, ``(x + 1) / 2`` on ``(-1, 1)``, 1 for ``x >= 1``."""
    x = _float("sparse_sigmoid", x)
    return 0.5 * jnp.clip(x + 1.0, 0.0, 2.0)


def log1mexp(x):
    """``log(1 - exp(-x))`` for ``x >= 0``: ``log(-expm1(-x))`` for small ``x``, where
    ``1 - exp(-x)`` cancels, and ``log1p(-exp(-x))`` for large ``x`` (Maechler, 2012)."""
    x = _float("log1mexp", x)
    small = x < 0.6931471805599453  # log 2
    x_large = jnp.where(small, jnp.ones_like(x), x)  # keeps log1p(-1) out of the gradient
    return jnp.where(small, jnp.log(-jnp.expm1(-x)), jnp.log1p(-jnp.exp(-x_large)))


def glu(x, axis: int = -1):
    """Gated linear unit: the first half of ``x`` along ``axis`` times sigmoid of the second."""
    x = _float("glu", x)
    axis = canonicalize_axis(axis, x.ndim)
    size = x.shape[axis]
    if size % 2:
        raise ValueError(f"glu: the size of axis {axis} must be divisible by 2, got {size}")
    a = lax.slice_in_dim(x, 0, size // 2, axis=axis)
    b = lax.slice_in_dim(x, size // 2, size, axis=axis)
    return a * lax.logistic(b)


# -- normalizations over axes ----------------------------------------------------------------

def softmax(x, axis=-1, where=None):
    """``exp(x) / sum(exp(x))`` over ``axis`` (int, tuple or None).

    The maximum is subtracted under ``stop_gradient`` (softmax is shift-invariant, so the
    gradient is unchanged). ``-inf`` entries get probability 0; a row that is all ``-inf``,
    or that holds ``+inf``, is nan, as in JAX. Entries masked out by ``where`` are 0.
    """
    x = _float("softmax", x)
    x_max = jnp.max(x, axis, where=where, initial=-jnp.inf, keepdims=True)
    if where is not None:
        x = jnp.where(where, x, -jnp.inf)
    unnormalized = jnp.exp(x - lax.stop_gradient(x_max))
    out = unnormalized / jnp.sum(unnormalized, axis, where=where, keepdims=True)
    if where is not None:
        out = jnp.where(where, out, 0.0)
    return out


def log_softmax(x, axis=-1, where=None):
    """``x - logsumexp(x)`` over ``axis``, computed from the max-shifted ``x``.

    Masked-out entries (``where``) are ``-inf``; rows that are all ``-inf`` are nan.
    """
    x = _float("log_softmax", x)
    x_max = jnp.max(x, axis, where=where, initial=-jnp.inf, keepdims=True)
    if where is not None:
        x = jnp.where(where, x, -jnp.inf)
    shifted = x - lax.stop_gradient(x_max)
    total = jnp.sum(jnp.exp(shifted), axis, where=where, keepdims=True)
    out = shifted - jnp.log(total)
    if where is not None:
        out = jnp.where(where, out, -jnp.inf)
    return out


def logmeanexp(x, axis=None, where=None, keepdims=False):
    """``log(mean(exp(x)))`` over ``axis`` (entries where ``where`` is False left out),
    without overflow: ``logsumexp(x) - log(n)``."""
    from ..scipy.special import logsumexp
    x = _float("logmeanexp", x)
    axes = canonicalize_axes(axis, x.ndim)
    if where is None:
        n = float(np.prod([x.shape[a] for a in axes])) if axes else 1.0
        return logsumexp(x, axis=axes, keepdims=keepdims) - float(np.log(n))
    count = jnp.sum(jnp.broadcast_to(where, x.shape), axis=axes, keepdims=keepdims)
    return logsumexp(x, axis=axes, keepdims=keepdims, where=where) - jnp.log(count)


def standardize(x, axis=-1, mean=None, variance=None, epsilon=1e-5, where=None, *,
                algorithm: str = "fast"):
    """``(x - mean) / sqrt(variance + epsilon)`` over ``axis``.

    Missing statistics are computed over ``axis`` (restricted to ``where``); every element is
    standardized. ``algorithm="fast"`` (JAX's default) takes the variance as
    ``mean(x^2) - mean^2``, which cancels catastrophically when ``|mean| >> std``;
    ``"stable"`` uses ``mean((x - mean)^2)``.
    """
    if algorithm not in ("fast", "stable"):
        raise ValueError(f"Unknown algorithm {algorithm!r}. Expected 'fast' or 'stable'.")
    x = _float("standardize", x)
    axes = canonicalize_axes(axis, x.ndim)
    if mean is None:
        mean = jnp.mean(x, axes, keepdims=True, where=where)
    if variance is None:
        if algorithm == "fast":
            variance = (jnp.mean(jnp.square(x), axes, keepdims=True, where=where)
                        - jnp.square(mean))
        else:
            variance = jnp.mean(jnp.square(x - mean), axes, keepdims=True, where=where)
    scale = lax.rsqrt(_float("standardize", jnp.add(variance, epsilon)))
    return jnp.multiply(jnp.subtract(x, mean), scale)


def one_hot(x, num_classes, *, dtype=None, axis=-1):
    """``x[..., None] == arange(num_classes)`` as ``dtype`` (default float), with the new
    class axis at ``axis``. Out-of-range (and non-integral) indices give all-zero rows."""
    x = _array("one_hot", x)
    try:
        num_classes = operator.index(num_classes)
    except TypeError:
        raise TypeError("one_hot: num_classes must be a concrete Python int, got "
                        f"{type(num_classes).__name__}") from None
    dtype = to_dtype(dtype) or dtypes.default_float()
    out_ndim = x.ndim + 1
    axis = canonicalize_axis(axis, out_ndim)
    classes = lax.broadcasted_iota(x.dtype if x.dtype.kind in "iu" else dtypes.default_int(),
                                   (1,) * axis + (num_classes,) + (1,) * (out_ndim - axis - 1),
                                   axis)
    return jnp.equal(jnp.expand_dims(x, axis), classes).astype(dtype)
