"""Reductions and cumulative ops against NumPy (axis None/int/negative/tuple, keepdims,
where=, initial=, ddof), with JAX's result dtypes."""
from __future__ import annotations

import numpy as np
import pytest

import jitnet.numpy as jnp
from jnp_testutil import check, default_int, inexact_of, quiet, rand, rng_for, traced

f16, f32, i8, i16, i32 = np.float16, np.float32, np.int8, np.int16, np.int32
u8, u16, u32, b1 = np.uint8, np.uint16, np.uint32, np.bool_
DTYPES = [b1, i8, u8, u16, i32, u32, f16, f32]

SHAPE_AXES = [
    ((3, 4, 5), None), ((3, 4, 5), 0), ((3, 4, 5), 1), ((3, 4, 5), -1), ((3, 4, 5), (0, 2)),
    ((3, 4, 5), (-1, 0)), ((3, 4, 5), (0, 1, 2)), ((3, 4, 5), ()), ((6,), 0), ((), None),
    ((), ()), ((0, 4), 1), ((0, 4), None), ((2, 0, 3), 1), ((2, 0, 3), 0)]


def _sum_dtype(d):
    """JAX: sums and products of bools and narrow ints accumulate in the default int."""
    d = np.dtype(d)
    if d == np.bool_:
        return default_int()
    if d.kind == "i" and d.itemsize < default_int().itemsize:
        return default_int()
    if d.kind == "u" and d.itemsize < default_int().itemsize:
        return np.dtype(f"u{default_int().itemsize}")
    return d


def _mean_dtype(d):
    return inexact_of(d)


def _tol(d):
    return dict(rtol=1e-2, atol=1e-2) if np.dtype(d) == f16 else dict(rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("keepdims", [False, True])
@pytest.mark.parametrize("shape,axis", SHAPE_AXES, ids=str)
@pytest.mark.parametrize("dt", DTYPES, ids=lambda d: np.dtype(d).name)
def test_sum_prod(dt, shape, axis, keepdims):
    rng = rng_for("sumprod", np.dtype(dt).name, shape, axis)
    x = rand(rng, shape, dt, low=-2 if np.dtype(dt).kind == "i" else None, high=3)
    out = _sum_dtype(dt)
    for fn, npf in ((jnp.sum, np.sum), (jnp.prod, np.prod)):
        want = npf(x.astype(out), axis=axis, keepdims=keepdims)
        check(fn(x, axis=axis, keepdims=keepdims), want, dtype=out, weak=False, **_tol(out))
    for fn, npf in ((jnp.max, np.max), (jnp.min, np.min)):
        empty = any(shape[a] == 0 for a in (range(len(shape)) if axis is None else
                                             ((axis,) if isinstance(axis, int) else axis)))
        if empty:
            with pytest.raises(ValueError):
                fn(x, axis=axis, keepdims=keepdims)
            continue
        check(fn(x, axis=axis, keepdims=keepdims), npf(x, axis=axis, keepdims=keepdims),
              dtype=dt, weak=False)
    for fn, npf in ((jnp.all, np.all), (jnp.any, np.any)):
        check(fn(x, axis=axis, keepdims=keepdims), npf(x, axis=axis, keepdims=keepdims),
              dtype=np.bool_)


@pytest.mark.parametrize("keepdims", [False, True])
@pytest.mark.parametrize("shape,axis", [s for s in SHAPE_AXES if 0 not in s[0]], ids=str)
@pytest.mark.parametrize("dt", [b1, i8, u8, i32, f16, f32], ids=lambda d: np.dtype(d).name)
def test_mean_var_std(dt, shape, axis, keepdims):
    rng = rng_for("mvs", np.dtype(dt).name, shape, axis)
    x = rand(rng, shape, dt)
    out = _mean_dtype(dt)
    xc = x.astype(np.float64)
    check(jnp.mean(x, axis=axis, keepdims=keepdims), np.mean(xc, axis=axis, keepdims=keepdims),
          dtype=out, weak=False, **_tol(out))
    for ddof in (0, 1):
        n = x.size if axis is None else np.prod([shape[a] for a in np.atleast_1d(axis)])
        if n - ddof <= 0:
            continue
        with quiet():
            wv = np.var(xc, axis=axis, ddof=ddof, keepdims=keepdims)
            ws = np.std(xc, axis=axis, ddof=ddof, keepdims=keepdims)
        check(jnp.var(x, axis=axis, ddof=ddof, keepdims=keepdims), wv, dtype=out, **_tol(out))
        check(jnp.std(x, axis=axis, ddof=ddof, keepdims=keepdims), ws, dtype=out, **_tol(out))


def test_var_std_correction_and_big_ddof():
    x = np.arange(6, dtype=np.float32).reshape(2, 3)
    check(jnp.var(x, correction=1), np.var(x, ddof=1))
    check(jnp.std(x, axis=1, correction=1), np.std(x, axis=1, ddof=1))
    with quiet():
        check(jnp.var(x, axis=1, ddof=3), np.var(x, axis=1, ddof=3))  # inf (division by 0)
        check(jnp.var(x, axis=1, ddof=5), np.var(x, axis=1, ddof=5))
    with quiet():
        check(jnp.mean(np.zeros((0,), np.float32)), np.float32(np.nan), dtype=np.float32)


def test_mean_var_of_large_offsets_is_accurate():
    x = (np.arange(1000, dtype=np.float32) * 1e-3 + 1e4).astype(np.float32)
    check(jnp.var(x), np.var(x.astype(np.float64)), rtol=1e-3)


@pytest.mark.parametrize("axis", [None, 0, 1, -1, (0, 1)])
def test_where_and_initial(axis):
    rng = rng_for("where", axis)
    x = rand(rng, (4, 5), np.float32)
    xi = rand(rng, (4, 5), np.int32)
    m = rng.random((4, 5)) < 0.6
    mb = rng.random((5,)) < 0.6  # broadcast mask
    for mask in (m, mb):
        check(jnp.sum(x, axis=axis, where=mask), np.sum(x, axis=axis, where=mask))
        check(jnp.sum(xi, axis=axis, where=mask, initial=3),
              np.sum(xi, axis=axis, where=mask, initial=3), dtype=np.int32)
        check(jnp.prod(x, axis=axis, where=mask), np.prod(x, axis=axis, where=mask))
        check(jnp.max(x, axis=axis, where=mask, initial=-5.0),
              np.max(x, axis=axis, where=mask, initial=-5.0))
        check(jnp.min(xi, axis=axis, where=mask, initial=100),
              np.min(xi, axis=axis, where=mask, initial=100), dtype=np.int32)
        check(jnp.all(x > 0, axis=axis, where=mask), np.all(x > 0, axis=axis, where=mask))
        check(jnp.any(x > 0, axis=axis, where=mask), np.any(x > 0, axis=axis, where=mask))
        with quiet():
            check(jnp.mean(x, axis=axis, where=mask), np.mean(x, axis=axis, where=mask))
            check(jnp.mean(x, axis=axis, where=mask, keepdims=True),
                  np.mean(x, axis=axis, where=mask, keepdims=True))
            check(jnp.var(x, axis=axis, where=mask), np.var(x, axis=axis, where=mask),
                  rtol=1e-4, atol=1e-5)
            check(jnp.std(x, axis=axis, where=mask, ddof=1),
                  np.std(x, axis=axis, where=mask, ddof=1), rtol=1e-4, atol=1e-5)
    check(jnp.sum(x, axis=axis, initial=2.5), np.sum(x, axis=axis, initial=2.5))
    check(jnp.prod(x, axis=axis, initial=2.0), np.prod(x, axis=axis, initial=2.0))
    check(jnp.max(x, axis=axis, initial=0.5), np.max(x, axis=axis, initial=0.5))
    check(jnp.min(x, axis=axis, initial=0.5), np.min(x, axis=axis, initial=0.5))
    check(jnp.sum(x, axis=axis, where=m, keepdims=True),
          np.sum(x, axis=axis, where=m, keepdims=True))


def test_extremum_where_needs_initial_and_empty_initial():
    x = np.arange(4.0, dtype=np.float32)
    with pytest.raises(ValueError):
        jnp.max(x, where=x > 1)
    e = np.zeros((0, 3), np.float32)
    check(jnp.max(e, axis=0, initial=3.0), np.max(e, axis=0, initial=3.0))
    check(jnp.min(e, initial=-1.0), np.min(e, initial=-1.0))


def test_reduction_dtype_argument():
    x = np.arange(1, 7, dtype=np.int8).reshape(2, 3)
    check(jnp.sum(x, dtype=np.int8), np.sum(x, dtype=np.int8), dtype=np.int8)
    check(jnp.sum(x, dtype=np.float32), np.sum(x, dtype=np.float32), dtype=np.float32)
    check(jnp.prod(x, axis=1, dtype=np.float32), np.prod(x, axis=1, dtype=np.float32),
          dtype=np.float32)
    check(jnp.sum(x, promote_integers=False), np.sum(x, dtype=np.int8), dtype=np.int8)
    check(jnp.mean(x, dtype=np.float16), np.mean(x, dtype=np.float16), dtype=np.float16,
          rtol=1e-3)
    check(jnp.cumsum(x, dtype=np.float32), np.cumsum(x, dtype=np.float32), dtype=np.float32)
    check(jnp.cumsum(x, axis=1, dtype=np.int16), np.cumsum(x, axis=1, dtype=np.int16),
          dtype=np.int16)


def test_reductions_are_never_weak():
    for fn in (jnp.sum, jnp.prod, jnp.max, jnp.min, jnp.mean, jnp.var, jnp.cumsum):
        out = fn(jnp.asarray(2.0))
        assert out.dtype == np.float32 and not out.weak_type, fn.__name__
    out = jnp.sum(jnp.asarray(2))
    assert out.dtype == np.int32 and not out.weak_type


@pytest.mark.parametrize("shape,axis", [((3, 4, 5), None), ((3, 4, 5), 0), ((3, 4, 5), -1),
                                        ((3, 4, 5), 1), ((7,), 0), ((), None), ((0, 3), 1),
                                        ((2, 0), 0)], ids=str)
@pytest.mark.parametrize("dt", [b1, i8, u8, i32, f16, f32], ids=lambda d: np.dtype(d).name)
def test_cumsum_cumprod(dt, shape, axis):
    rng = rng_for("cum", np.dtype(dt).name, shape, axis)
    x = rand(rng, shape, dt, low=-2 if np.dtype(dt).kind == "i" else None, high=3)
    # JAX: cumulative ops keep int dtypes (no widening); bool becomes the default int
    out = default_int() if np.dtype(dt) == np.bool_ else np.dtype(dt)
    xc = x.astype(out)
    for fn, npf in ((jnp.cumsum, np.cumsum), (jnp.cumprod, np.cumprod),
                    (jnp.cumulative_sum, None), (jnp.cumulative_prod, None)):
        if npf is None:
            if axis is None and len(shape) > 1:
                continue
            npf = np.cumsum if fn is jnp.cumulative_sum else np.cumprod
        with quiet():
            want = npf(xc, axis=axis) if shape != () else npf(xc)
        if out == f16:
            want = npf(x.astype(np.float32), axis=axis)
        check(fn(x, axis=axis), want, dtype=out, weak=False, **_tol(out))


@pytest.mark.parametrize("shape,axis", [((3, 4, 5), None), ((3, 4, 5), 0), ((3, 4, 5), -1),
                                        ((3, 4, 5), 1), ((7,), 0), ((), None)], ids=str)
@pytest.mark.parametrize("dt", [b1, i8, u8, i32, f16, f32], ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("keepdims", [False, True])
def test_argmax_argmin(dt, shape, axis, keepdims):
    rng = rng_for("arg", np.dtype(dt).name, shape, axis)
    x = rand(rng, shape, dt)  # small ints: many ties, NumPy picks the first
    for fn, npf in ((jnp.argmax, np.argmax), (jnp.argmin, np.argmin)):
        check(fn(x, axis=axis, keepdims=keepdims), npf(x, axis=axis, keepdims=keepdims),
              dtype=default_int())
        check(getattr(jnp.asarray(x), npf.__name__)(axis=axis), npf(x, axis=axis),
              dtype=default_int())


def test_argmax_nan_and_empty():
    x = np.array([[1.0, np.nan, 3.0, np.nan], [np.nan, 0.0, -1.0, 5.0], [1, 2, 3, 0]],
                 np.float32)
    for axis in (None, 0, 1):
        check(jnp.argmax(x, axis=axis), np.argmax(x, axis=axis))
        check(jnp.argmin(x, axis=axis), np.argmin(x, axis=axis))
        check(jnp.max(x, axis=axis), np.max(x, axis=axis))
        check(jnp.min(x, axis=axis), np.min(x, axis=axis))
    with pytest.raises(ValueError):
        jnp.argmax(np.zeros((0,), np.float32))
    with pytest.raises(ValueError):
        jnp.argmin(np.zeros((2, 0), np.float32), axis=1)
    check(jnp.argmax(np.zeros((0, 2), np.float32), axis=1), np.zeros((0,), np.int64),
          dtype=default_int())


@pytest.mark.parametrize("axis", [None, 0, 1, (0, 1)])
@pytest.mark.parametrize("keepdims", [False, True])
def test_nan_reductions(axis, keepdims):
    rng = rng_for("nan", axis)
    x = rand(rng, (4, 5), np.float32)
    x[rng.random((4, 5)) < 0.3] = np.nan
    x[0, :] = np.nan  # an all-NaN row
    kw = dict(axis=axis, keepdims=keepdims)
    with quiet():
        pairs = [(jnp.nansum, np.nansum), (jnp.nanprod, np.nanprod), (jnp.nanmax, np.nanmax),
                 (jnp.nanmin, np.nanmin), (jnp.nanmean, np.nanmean)]
        for fn, npf in pairs:
            want = npf(x, **kw)
            check(fn(x, **kw), want, dtype=np.float32, rtol=1e-5, atol=1e-5)
    xi = rand(rng, (4, 5), np.int8)
    check(jnp.nansum(xi, **kw), np.nansum(xi.astype(np.int32), **kw), dtype=np.int32)
    check(jnp.nanmax(xi, **kw), np.nanmax(xi, **kw), dtype=np.int8)
    check(jnp.nanmean(xi, **kw), np.nanmean(xi.astype(np.float64), **kw), dtype=np.float32)


@pytest.mark.parametrize("axis", [None, 0, 1, -1])
@pytest.mark.parametrize("keepdims", [False, True])
def test_ptp_count_nonzero(axis, keepdims):
    rng = rng_for("ptp", axis)
    x = rand(rng, (4, 5), np.int32)
    check(jnp.ptp(x, axis=axis, keepdims=keepdims), np.ptp(x, axis=axis, keepdims=keepdims),
          dtype=np.int32)
    xf = rand(rng, (4, 5), np.float32)
    check(jnp.ptp(xf, axis=axis, keepdims=keepdims), np.ptp(xf, axis=axis, keepdims=keepdims))
    check(jnp.count_nonzero(x, axis=axis, keepdims=keepdims),
          np.count_nonzero(x, axis=axis, keepdims=keepdims), dtype=default_int())
    check(jnp.asarray(x).ptp(axis=axis), np.ptp(x, axis=axis))


@pytest.mark.parametrize("axis", [None, 0, 1, -1])
def test_average(axis):
    rng = rng_for("avg", axis)
    x = rand(rng, (3, 4), np.float32)
    check(jnp.average(x, axis=axis), np.average(x, axis=axis))
    w_full = rng.uniform(0.5, 2.0, (3, 4)).astype(np.float32)
    check(jnp.average(x, axis=axis, weights=w_full), np.average(x, axis=axis, weights=w_full))
    avg, sw = jnp.average(x, axis=axis, weights=w_full, returned=True)
    navg, nsw = np.average(x, axis=axis, weights=w_full, returned=True)
    check(avg, navg)
    check(sw, nsw)
    if axis is not None:
        w1 = rng.uniform(0.5, 2.0, (x.shape[axis],)).astype(np.float32)
        check(jnp.average(x, axis=axis, weights=w1), np.average(x, axis=axis, weights=w1))
    xi = rand(rng, (3, 4), np.int32)
    avg, sw = jnp.average(xi, axis=axis, returned=True)
    navg, nsw = np.average(xi, axis=axis, returned=True)
    check(avg, navg, dtype=np.float32)
    check(sw, nsw, dtype=np.float32)


def test_reduction_methods():
    rng = rng_for("methods")
    x = rand(rng, (3, 4), np.float32)
    jx = jnp.asarray(x)
    for name in ("sum", "prod", "max", "min", "mean", "var", "std", "all", "any", "argmax",
                 "argmin", "cumsum", "cumprod"):
        check(getattr(jx, name)(axis=0), getattr(x, name)(axis=0), rtol=1e-5, atol=1e-6)
        check(getattr(jx, name)(), getattr(x, name)(), rtol=1e-5, atol=1e-6)
    check(jx.sum(0, keepdims=True), x.sum(0, keepdims=True))


@pytest.mark.parametrize("fn", ["sum", "prod", "max", "min", "mean", "var", "std", "argmax",
                                "argmin", "all", "any", "cumsum", "cumprod", "nansum",
                                "count_nonzero"])
def test_reductions_traced(fn):
    rng = rng_for("traced", fn)
    x = rand(rng, (3, 4), np.float32)
    f = getattr(jnp, fn)
    npf = getattr(np, fn)
    for axis in (None, 0, -1):
        check(traced(lambda a: f(a, axis=axis))(x), npf(x, axis=axis), rtol=1e-5, atol=1e-6)


def test_axis_of_0d_array_is_an_error():
    """JAX (unlike NumPy) rejects axis=0 for a 0-d array."""
    for fn in (jnp.sum, jnp.prod, jnp.max, jnp.mean, jnp.var, jnp.all, jnp.argmax):
        with pytest.raises(ValueError):
            fn(np.float32(1.0), axis=0)
    check(jnp.cumsum(np.float32(2.0)), np.cumsum(np.float32(2.0)))


@pytest.mark.parametrize("axis", [3, -4, (0, 3), (1, 1), (0, -3)])
def test_bad_axes(axis):
    x = np.ones((2, 3, 4), np.float32)
    for fn in (jnp.sum, jnp.max, jnp.mean, jnp.all):
        with pytest.raises(ValueError):
            fn(x, axis=axis)
    if isinstance(axis, int):
        for fn in (jnp.argmax, jnp.cumsum):
            with pytest.raises(ValueError):
                fn(x, axis=axis)


@pytest.mark.slow
def test_index_results_over_2_31_elements_are_int64():
    """argmax/argmin/argsort positions past 2**31 - 1 wrapped negative in int32. A zero-stride
    broadcast view stands for the 2**31 + 5 elements (no memory), and only the traced
    program is built: the dtypes are what the values would be computed in."""
    import jitnet
    big = np.broadcast_to(np.uint8(1), (2**31 + 5,))
    for f in (jnp.argmax, jnp.argmin, lambda a: jnp.argmax(a, axis=0), jnp.argsort):
        (out,) = jitnet.make_jaxpr(f)(big).out_avals
        assert out.dtype == np.int64, f
    edge = np.broadcast_to(np.uint8(1), (2**31 - 1,))  # the largest int32 size keeps int32
    assert jitnet.make_jaxpr(jnp.argmax)(edge).out_avals[0].dtype == np.int32
    small = np.ones(10, np.uint8)                   # an ordinary array keeps JAX's int32
    assert jnp.argmax(small).dtype == np.int32
