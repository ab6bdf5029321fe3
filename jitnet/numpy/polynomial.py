"""Polynomials (coefficients highest power first, as ``numpy.poly*``) and 1-D convolution.

Everything is built from ``jnp`` operations with static lengths, so it traces, jits and
differentiates. Two functions need values, not shapes: ``trim_zeros`` (its output length
depends on them) and ``roots`` (jitnet has no general eigenvalue decomposition to build it
on); both run on concrete arrays only and say so under ``jit``.
"""
from __future__ import annotations

import numpy as np

from .. import numpy as jnp
from ..core import dtypes
from ..core.source_info import user_line
from .util import as_jitnet, check_arraylike, concrete_value


def _poly1d(name, p):
    check_arraylike(name, p)
    p = jnp.atleast_1d(as_jitnet(p))
    if p.ndim != 1:
        raise ValueError(f"{name}: coefficients must be 1-D, got shape {p.shape}{user_line()}")
    return p


def _inexact(p):
    return p if p.dtype.kind in "fc" else p.astype(dtypes.default_float())


def _concrete_or_raise(name, x, why):
    return concrete_value(x, f"{name} needs concrete values ({why}); call it outside jit")


# -- convolution -------------------------------------------------------------------------

def _full_convolution(a, v):
    """sum_i a[i] v[k - i] for every k (length n + m - 1), as a gather and a reduction."""
    n, m = a.shape[0], v.shape[0]
    ap = jnp.pad(a, (m - 1, m - 1))
    k = np.arange(n + m - 1)[:, None] + np.arange(m)[None, :]
    return jnp.sum(ap[k] * v[::-1][None, :], axis=1)


def _check_1d(name, a, v):
    check_arraylike(name, a, v)
    a, v = as_jitnet(a), as_jitnet(v)
    if a.ndim != 1 or v.ndim != 1:
        raise ValueError(f"{name}: inputs must be 1-D, got shapes {a.shape} and {v.shape}"
                         f"{user_line()}")
    if a.shape[0] == 0 or v.shape[0] == 0:
        raise ValueError(f"{name}: inputs cannot be empty{user_line()}")
    dt = jnp.result_type(a, v)
    return a.astype(dt), v.astype(dt)


def _mode_slice(full, n, m, mode):
    if mode == "full":
        return full
    if mode == "same":
        start = (min(n, m) - 1) // 2
        return full[start:start + max(n, m)]
    if mode == "valid":
        return full[min(n, m) - 1:max(n, m)]
    raise ValueError(f"mode must be one of 'full', 'same', 'valid', got {mode!r}")


def convolve(a, v, mode="full", *, precision=None, preferred_element_type=None):
    """Discrete linear convolution of 1-D ``a`` and ``v``, as ``numpy.convolve``."""
    a, v = _check_1d("convolve", a, v)
    return _mode_slice(_full_convolution(a, v), a.shape[0], v.shape[0], mode)


def correlate(a, v, mode="valid", *, precision=None, preferred_element_type=None):
    """Cross-correlation ``c[k] = sum_n a[n + k] * conj(v[n])``, as ``numpy.correlate``."""
    a, v = _check_1d("correlate", a, v)
    n, m = a.shape[0], v.shape[0]
    full = _full_convolution(a, jnp.conj(v[::-1]))
    out = _mode_slice(full, n, m, mode)
    if m > n and mode != "full":  # NumPy swaps the inputs then reverses and conjugates
        out = jnp.conj(_mode_slice(_full_convolution(v, jnp.conj(a[::-1])), m, n, mode))[::-1]
    return out


# -- arithmetic on coefficient vectors ---------------------------------------------------

def _pad_front(p, n):
    return jnp.pad(p, (n - p.shape[0], 0)) if p.shape[0] < n else p


def polyadd(a1, a2):
    a1, a2 = _poly1d("polyadd", a1), _poly1d("polyadd", a2)
    n = max(a1.shape[0], a2.shape[0])
    return _pad_front(a1, n) + _pad_front(a2, n)


def polysub(a1, a2):
    a1, a2 = _poly1d("polysub", a1), _poly1d("polysub", a2)
    n = max(a1.shape[0], a2.shape[0])
    return _pad_front(a1, n) - _pad_front(a2, n)


def polymul(a1, a2, *, trim_leading_zeros=False):
    a1, a2 = _poly1d("polymul", a1), _poly1d("polymul", a2)
    if trim_leading_zeros:
        a1, a2 = trim_zeros(a1, "f"), trim_zeros(a2, "f")
        if a1.shape[0] == 0 or a2.shape[0] == 0:
            return jnp.zeros(1, jnp.result_type(a1, a2))
    return convolve(a1, a2)


def polydiv(u, v, *, trim_leading_zeros=False):
    """Quotient and remainder of ``u / v``; the remainder keeps ``u``'s length (leading zeros)
    unless ``trim_leading_zeros`` (concrete inputs only), as JAX."""
    u, v = _inexact(_poly1d("polydiv", u)), _inexact(_poly1d("polydiv", v))
    dt = jnp.result_type(u, v)
    u, v = u.astype(dt), v.astype(dt)
    n, m = u.shape[0], v.shape[0]
    if n < m:
        return jnp.zeros(1, dt), u
    scale = 1.0 / v[0]
    rem = u
    q = []
    for k in range(n - m + 1):
        c = rem[k] * scale
        q.append(c)
        rem = rem.at[k:k + m].add(-c * v)
    rem = rem.at[:n - m + 1].set(0)
    if trim_leading_zeros:
        rem = trim_zeros(rem, "f")
        if rem.shape[0] == 0:
            rem = jnp.zeros(1, dt)
    return jnp.stack(q), rem


def polyder(p, m=1):
    """Coefficients of the ``m``-th derivative."""
    p = _poly1d("polyder", p)
    if m < 0:
        raise ValueError(f"polyder: order of derivative must be positive, got {m}")
    for _ in range(m):
        n = max(p.shape[0] - 1, 0)
        p = p[:-1] * jnp.arange(n, 0, -1, dtype=p.dtype)  # empty past the degree, as NumPy
    return p


def polyint(p, m=1, k=None):
    """Coefficients of the ``m``-th antiderivative, integration constants ``k`` (default 0)."""
    p = _inexact(_poly1d("polyint", p))
    if m < 0:
        raise ValueError(f"polyint: order of integral must be positive, got {m}")
    ks = jnp.zeros(m, p.dtype) if k is None else jnp.broadcast_to(jnp.asarray(k, p.dtype), (m,))
    for i in range(m):
        n = p.shape[0]
        p = jnp.concatenate([p / jnp.arange(n, 0, -1, dtype=p.dtype), ks[i:i + 1]])
    return p


def polyval(p, x, *, unroll=16):  # unroll: JAX's scan hint; the loop here is unrolled
    """``p[0] * x**(n-1) + ... + p[n-1]`` by Horner's rule, elementwise in ``x``."""
    p = _poly1d("polyval", p)
    x = jnp.asarray(x)
    dt = jnp.result_type(p, x)
    y = jnp.zeros_like(x, dtype=dt)
    for c in range(p.shape[0]):
        y = y * x + p[c]
    return y


def vander(x, N=None, increasing=False):
    """Vandermonde matrix: columns ``x**(N-1), ..., x, 1`` (reversed if ``increasing``)."""
    check_arraylike("vander", x)
    x = as_jitnet(x)
    if x.ndim != 1:
        raise ValueError(f"vander: x must be 1-D, got shape {x.shape}{user_line()}")
    n = x.shape[0] if N is None else int(N)
    if n < 0:
        raise ValueError("vander: N must be nonnegative")
    powers = jnp.arange(n) if increasing else jnp.arange(n - 1, -1, -1)
    return x[:, None] ** powers[None, :].astype(x.dtype if x.dtype.kind != "b" else np.int32)


def poly(seq_of_zeros):
    """Coefficients of the monic polynomial with the given roots (1-D input). A square
    matrix's characteristic polynomial needs eigenvalues: concrete input only."""
    check_arraylike("poly", seq_of_zeros)
    z = as_jitnet(seq_of_zeros)
    if z.ndim == 2 and z.shape[0] == z.shape[1] and z.shape[0] > 0:
        z = jnp.asarray(np.linalg.eigvals(_concrete_or_raise(
            "poly", z, "a matrix's eigenvalues")))
    elif z.ndim != 1:
        raise ValueError(f"poly: input must be 1-D or a square 2-D array, got shape {z.shape}")
    z = _inexact(z)
    a = jnp.ones(1, z.dtype)
    for k in range(z.shape[0]):
        a = convolve(a, jnp.stack([jnp.ones((), z.dtype), -z[k]]))
    return a


def polyfit(x, y, deg, rcond=None, full=False, w=None, cov=False):
    """Least-squares polynomial fit (columns scaled, solved by QR), as ``numpy.polyfit``."""
    check_arraylike("polyfit", x, y)
    x, y = _inexact(as_jitnet(x)), _inexact(as_jitnet(y))
    deg = int(deg)
    if deg < 0:
        raise ValueError("polyfit: expected deg >= 0")
    if x.ndim != 1 or x.shape[0] == 0:
        raise TypeError(f"polyfit: expected a non-empty 1-D x, got shape {x.shape}")
    if y.ndim not in (1, 2) or y.shape[0] != x.shape[0]:
        raise TypeError(f"polyfit: expected y of shape ({x.shape[0]},) or ({x.shape[0]}, K), "
                        f"got {y.shape}")
    if full or cov:
        raise NotImplementedError("polyfit: full=True and cov=True are not supported")
    lhs = vander(x, deg + 1)
    rhs = y
    if w is not None:
        w = jnp.asarray(w, x.dtype)
        lhs = lhs * w[:, None]
        rhs = rhs * (w if y.ndim == 1 else w[:, None])
    scale = jnp.sqrt(jnp.sum(lhs * lhs, axis=0))
    scale = jnp.where(scale == 0, 1.0, scale)
    q, r = jnp.linalg.qr(lhs / scale)
    c = jnp.linalg.solve(r, q.T @ rhs)
    return (c.T / scale).T


def trim_zeros(filt, trim="fb"):
    """``filt`` without leading ('f') and/or trailing ('b') zeros (concrete input only)."""
    v = _concrete_or_raise("trim_zeros", filt, "the output length depends on them")
    nz = np.flatnonzero(v != 0)
    if nz.size == 0:
        return jnp.asarray(v[:0])
    lo = nz[0] if "f" in trim.lower() else 0
    hi = nz[-1] + 1 if "b" in trim.lower() else v.shape[0]
    return as_jitnet(filt)[int(lo):int(hi)]


def roots(p, *, strip_zeros=True):
    """Roots of the polynomial (eigenvalues of its companion matrix; concrete input only)."""
    v = _concrete_or_raise("roots", p, "jitnet has no general eigenvalue decomposition")
    if v.ndim != 1:
        raise ValueError("roots: input must be a rank-1 array")
    r = np.roots(v)
    out_dtype = np.complex128 if dtypes.x64_enabled() else np.complex64
    return jnp.asarray(r.astype(out_dtype))
