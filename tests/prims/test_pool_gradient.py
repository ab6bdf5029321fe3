"""Gradients of max and average pooling (``reduce_window``) against float64 NumPy loops
written from the definition, central finite differences and a loop for vmap.

Tiling windows (window == stride, no padding: max pooling) take the rule without patches
(``prims.window._tiled``); padded, overlapping and dilated windows keep the patches rule.
Both share a tie evenly between the positions that attain the maximum (JAX gives all of
it to one of them).
"""
import numpy as np
import pytest

import jitnet
import jitnet.numpy  # noqa: F401
from jitnet import lax
from jitnet.testing import check_grads

# name: (operand shape, window, strides, padding); the tiling ones take the new rule
TILING = {
    "2x2-nchw-even": ((2, 3, 6, 8), (1, 1, 2, 2), (1, 1, 2, 2)),
    "2x2-nchw-odd": ((3, 2, 7, 9), (1, 1, 2, 2), (1, 1, 2, 2)),   # last row/col unread
    "3x3-prime": ((2, 13, 11), (1, 3, 3), (1, 3, 3)),
    "1d-prime": ((17,), (2,), (2,)),
    "whole-dims": ((5, 4), (5, 2), (5, 2)),
    "one-axis": ((1, 4, 6), (1, 1, 3), (1, 1, 3)),
}
OTHER = {
    "overlap-3x3-s1": ((2, 6, 7), (1, 3, 3), (1, 1, 1)),
    "overlap-3x3-s2": ((7, 9), (3, 3), (2, 2)),
    "padded-2x2-s2": ((5, 7), (2, 2), (2, 2), ((1, 0), (0, 1))),
    "window-gt-stride": ((1, 10), (1, 4), (1, 3)),
}


def case(name):
    spec = {**TILING, **OTHER}[name]
    shape, window, strides = spec[:3]
    padding = spec[3] if len(spec) > 3 else ((0, 0),) * len(shape)
    return shape, window, strides, padding


def out_shape(shape, window, strides, padding):
    return tuple((d + lo + hi - w) // s + 1
                 for d, w, s, (lo, hi) in zip(shape, window, strides, padding))


def windows(shape, window, strides, padding):
    """(output index, operand indices of its window inside the operand), row-major."""
    for o in np.ndindex(*out_shape(shape, window, strides, padding)):
        idx = []
        for k in np.ndindex(*window):
            p = tuple(oo * s + kk - lo for oo, s, kk, (lo, _) in zip(o, strides, k, padding))
            if all(0 <= q < d for q, d in zip(p, shape)):
                idx.append(p)
        yield o, idx


def ref_max_grad(x, ct, window, strides, padding):
    """d/dx sum(ct * maxpool(x)) in float64: each window's cotangent shared evenly by the
    positions equal to its maximum."""
    g = np.zeros(x.shape)
    for o, idx in windows(x.shape, window, strides, padding):
        m = max(float(x[p]) for p in idx)
        hits = [p for p in idx if float(x[p]) == m]
        for p in hits:
            g[p] += float(ct[o]) / len(hits)
    return g


def ref_avg_grad(x, ct, window, strides, padding):
    """d/dx sum(ct * sumpool(x) / window size) in float64."""
    g = np.zeros(x.shape)
    size = np.prod(window)
    for o, idx in windows(x.shape, window, strides, padding):
        for p in idx:
            g[p] += float(ct[o]) / size
    return g


def maxpool(x, window, strides, padding):
    return lax.reduce_window(x, -np.inf, lax.max, window, strides, padding)


def avgpool(x, window, strides, padding):
    return lax.reduce_window(x, 0.0, lax.add, window, strides, padding) / float(np.prod(window))


def grad_of(pool, x, ct, geometry, jit):
    f = lambda a: jitnet.numpy.sum(pool(a, *geometry) * ct)  # noqa: E731
    g = jitnet.grad(f)
    return np.asarray((jitnet.jit(g) if jit else g)(x))


def tol(dtype):
    return dict(rtol=1e-6, atol=1e-6) if dtype == np.float32 else dict(rtol=1e-12, atol=1e-12)


# Compiled checks: every case in float32, float64 on one case of each rule (tiling, patches):
# a float64 program is the float32 one's loops in another type (a compile each), and the
# float64 window kernels are checked in tests/kernels/test_window_kernel.py
F64_COMPILED = ("2x2-nchw-odd", "overlap-3x3-s2")


def compiled_cases():
    """(name, dtype) parameters of the compiled checks, ``dtype`` for the fixture."""
    return [pytest.param(n, d, id=f"{'f32' if d == np.float32 else 'f64'}-{n}")
            for d in (np.float32, np.float64) for n in list(TILING) + list(OTHER)
            if d == np.float32 or n in F64_COMPILED]


@pytest.mark.parametrize("ties", [False, True], ids=["eager-distinct", "eager-ties"])
@pytest.mark.parametrize("name", list(TILING) + list(OTHER))
def test_max_pool_gradient_matches_numpy(name, ties, dtype):
    check_max_pool(name, ties, False, dtype)


@pytest.mark.parametrize("name,dtype", compiled_cases(), indirect=["dtype"])
def test_compiled_max_pool_gradient_matches_numpy(name, dtype):
    check_max_pool(name, True, True, dtype)


def check_max_pool(name, ties, jit, dtype):
    rng = np.random.default_rng(3)
    shape, *geometry = case(name)
    x = rng.standard_normal(shape)
    if ties:  # few values: many windows with several maxima
        x = np.round(x)
    x = x.astype(dtype)
    ct = rng.standard_normal(out_shape(shape, *geometry)).astype(dtype)
    np.testing.assert_allclose(grad_of(maxpool, x, ct, geometry, jit),
                               ref_max_grad(x, ct, *geometry), **tol(dtype))


@pytest.mark.parametrize("name", list(TILING) + list(OTHER))
def test_avg_pool_gradient_matches_numpy(name, dtype):
    check_avg_pool(name, False, dtype)


@pytest.mark.parametrize("name,dtype", compiled_cases(), indirect=["dtype"])
def test_compiled_avg_pool_gradient_matches_numpy(name, dtype):
    check_avg_pool(name, True, dtype)


def check_avg_pool(name, jit, dtype):
    rng = np.random.default_rng(4)
    shape, *geometry = case(name)
    x = rng.standard_normal(shape).astype(dtype)
    ct = rng.standard_normal(out_shape(shape, *geometry)).astype(dtype)
    np.testing.assert_allclose(grad_of(avgpool, x, ct, geometry, jit),
                               ref_avg_grad(x, ct, *geometry), **tol(dtype))


def test_max_pool_tie_is_shared_evenly_unlike_jax(x64):
    """JAX's select-and-scatter gives a tied window's whole cotangent to one position;
    jitnet shares it (as the reduce_max gradient does): pinned by hand."""
    x = np.array([[1.0, 1.0, 0.0, 2.0], [0.0, 1.0, 2.0, 2.0]])
    g = jitnet.grad(lambda a: jitnet.numpy.sum(maxpool(a, (2, 2), (2, 2), "VALID")))(x)
    np.testing.assert_array_equal(np.asarray(g), [[1 / 3, 1 / 3, 0, 1 / 3],
                                                  [0, 1 / 3, 1 / 3, 1 / 3]])


@pytest.mark.parametrize("name", ["2x2-nchw-odd", "3x3-prime", "overlap-3x3-s2",
                                  "padded-2x2-s2"])
def test_max_pool_derivatives_match_finite_differences(name, x64):
    """Second order too: piecewise linear, so exact away from ties (distinct values)."""
    shape, *geometry = case(name)
    x = np.random.default_rng(5).permutation(np.prod(shape)).reshape(shape) * 0.1
    check_grads(lambda a: maxpool(a, *geometry) ** 2, (x,), order=2, eps=1e-4)


@pytest.mark.parametrize("name", ["2x2-nchw-odd", "overlap-3x3-s2"])
def test_avg_pool_derivatives_match_finite_differences(name, x64):
    shape, *geometry = case(name)
    x = np.random.default_rng(6).standard_normal(shape)
    check_grads(lambda a: avgpool(a, *geometry) ** 2, (x,), order=2)


def test_max_pool_grad_of_vmap_matches_a_loop(dtype):
    rng = np.random.default_rng(7)
    xs = np.round(rng.standard_normal((3, 2, 5, 6))).astype(dtype)
    geometry = ((1, 2, 2), (1, 2, 2), ((0, 0),) * 3)
    g = jitnet.vmap(jitnet.grad(lambda a: jitnet.numpy.sum(maxpool(a, *geometry) ** 2)))
    ref = [ref_max_grad(x, 2 * np.asarray(maxpool(x, *geometry)), *geometry) for x in xs]
    np.testing.assert_allclose(np.asarray(g(xs)), np.stack(ref), **tol(dtype))


def _uses_patches(name):
    shape, *geometry = case(name)
    x = np.zeros(shape, np.float32)
    ir = jitnet.make_jaxpr(jitnet.grad(lambda a: jitnet.numpy.sum(maxpool(a, *geometry))))(x)
    return "patches" in str(ir)


@pytest.mark.parametrize("name", list(TILING))
def test_tiling_windows_take_no_patches(name):
    assert not _uses_patches(name)


@pytest.mark.parametrize("name", list(OTHER))
def test_other_windows_keep_the_patches_rule(name):
    assert _uses_patches(name)
