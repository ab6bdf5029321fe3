"""NumPy indexing (x[idx], x.at[idx]), take, take_along_axis and nonzero against NumPy."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st, HealthCheck

import jitnet.numpy as jnp
from jnp_testutil import check, default_int, rand, rng_for, traced

X_SHAPE = (4, 5, 6)
X = np.arange(np.prod(X_SHAPE), dtype=np.float32).reshape(X_SHAPE) - 50.0

A = np.array  # shorthand for index arrays
BASIC = [
    0, -1, 3, (1, 2), (-1, -2, -3), (0, 0, 0), slice(None), slice(1, 3), slice(None, None, -1),
    slice(-2, None, -2), slice(10, -10, -1), slice(-100, 100), slice(3, 1), slice(3, 1, -1),
    slice(None, None, 3), slice(5, None), slice(1, 1), (slice(1, None, 2), Ellipsis, -1),
    Ellipsis, (Ellipsis, 0), (0, Ellipsis), (None,), (None, 0, None), (0, Ellipsis, None),
    (Ellipsis, None), (slice(None), None, slice(None, None, -2)), (None, None, 1, None),
    (1, slice(None), 2), (slice(-3, -1), slice(4, 0, -2), slice(None, -3)), (),
    (Ellipsis, slice(1, 2), None), (slice(None, None, -1),) * 3, (-4, -5, -6),
]
ADVANCED = [
    [0, 2], [[0, 1], [2, 3]], [-1, -4, 0], A([3, 3, 0]), A([], dtype=np.int32),
    (A([0, 1]), A([1, 2])), (A([0, 1]), slice(None), A([1, 2])),
    (slice(None), A([0, 1]), A([1, 2])), (A([[0], [1]]), A([1, 2, 3])),
    (slice(1, 3), A([[0, 4], [1, 2]])), (A([0, 2]), 1), (1, A([0, 2])), (A([0, 2]), slice(None), 1),
    (0, slice(None), A([1, 5])), (Ellipsis, A([0, -1])), (A([1, 0]), Ellipsis),
    (A([1, 0]), None, A([2, 3])), (None, A([1, 0]), A([2, 3])), (A([1, 0]), A([2, 3]), None),
    (slice(None, None, -1), A([0, 2])), (A([0, 1]), slice(None, None, -2), A([[5], [0]])),
    (A([[0, 1]]), A([[1], [2]]), A([[3]])), ([0, 1], [1, 2]), ([[0, 1]], slice(None)),
    (A(2), A([0, 1])), (A([0, 1, 3]).astype(np.uint8),), (A([0, 1]).astype(np.int64),),
    (None, A([0, 1]), None, slice(1, 3), A([4, 5])), (A([[2]]), Ellipsis, A([0, 1]), None),
]
MASKS = [
    X > 0, (X > 0)[:, :, 0], (X > 3)[:, 0, 0], (Ellipsis, (X > 0)[0, 0]),
    (slice(None), (X > 0)[0]), (np.array([True, False, True, True]), 2),
    (np.array([True, False, True, True]), slice(None), A([0, 1, 2])),
    (1, np.array([False] * 5)), ([True, False, True, False],), np.zeros(X_SHAPE, bool),
    (None, np.array([True, False, True, True])),
]


@pytest.mark.parametrize("idx", BASIC + ADVANCED + MASKS, ids=lambda i: repr(i)[:60])
def test_getitem(idx):
    want = X[idx]
    check(jnp.asarray(X)[idx], want, dtype=np.float32)
    check(jnp.asarray(X).at[idx].get(), want, dtype=np.float32)


def _split_traceable(idx):
    """(template, arrays): the integer-array entries of idx become traced arguments."""
    t = idx if isinstance(idx, tuple) else (idx,)
    arrays, template = [], []
    for e in t:
        if isinstance(e, np.ndarray) and e.dtype != np.bool_:
            template.append(("arr", len(arrays)))
            arrays.append(e)
        else:
            template.append(("lit", e))
    return template, arrays


def _rebuild(template, arrays):
    return tuple(arrays[v] if k == "arr" else v for k, v in template)


@pytest.mark.parametrize("idx", [i for i in ADVANCED if _split_traceable(i)[1]],
                         ids=lambda i: repr(i)[:60])
def test_getitem_traced_index_arrays(idx):
    template, arrays = _split_traceable(idx)
    out = traced(lambda x, *arrs: x[_rebuild(template, arrs)])(X, *arrays)
    check(out, X[idx], dtype=np.float32)


@pytest.mark.parametrize("i,j", [(0, 0), (3, -1), (-4, 2), (2, -6)])
def test_getitem_traced_scalar_indices(i, j):
    f = traced(lambda x, a, b: (x[a], x[a, 1:4, b], x[..., b], x[a, None, ::-1],
                                x[a, jnp.array([0, 2])]))
    outs = f(X, np.int32(i), np.int32(j))
    wants = (X[i], X[i, 1:4, j], X[..., j], X[i, None, ::-1], X[i, [0, 2]])
    for o, w in zip(outs, wants):
        check(o, w)


def test_getitem_scalar_array_indices_eager():
    x = jnp.asarray(X)
    check(x[jnp.asarray(2)], X[2])
    check(x[np.int32(1), jnp.asarray(-1)], X[1, -1])
    check(x[jnp.asarray(np.uint8(3))], X[3])


@pytest.mark.parametrize("shape", [(5,), (), (0,), (3, 0), (1, 1)])
def test_getitem_small_shapes(shape):
    x = rand(rng_for("small", shape), shape, np.int32)
    idxs = [(), Ellipsis, None, (Ellipsis, None)]
    if len(shape) >= 1:
        idxs += [slice(None), slice(None, None, -1), slice(1, None), A([], dtype=np.int32)]
        if shape[0] > 0:
            idxs += [0, -1, A([0, 0, -1])]
    for idx in idxs:
        check(jnp.asarray(x)[idx], x[idx], dtype=np.int32)


def test_integer_bool_dtypes_are_preserved():
    for dt in (np.int8, np.uint8, np.bool_, np.float16, np.int32):
        x = rand(rng_for("dt", np.dtype(dt).name), (3, 4), dt)
        check(jnp.asarray(x)[1:, [0, 2]], x[1:, [0, 2]], dtype=dt)
        check(jnp.asarray(x)[x != 0], x[x != 0], dtype=dt)


def test_out_of_bounds_array_indices_are_clamped():
    """JAX semantics: gathers clamp out-of-bounds indices (NumPy would raise)."""
    x = np.arange(5, dtype=np.int32)
    check(jnp.asarray(x)[A([1, 10, -10, 4])], x[np.clip([1, 10, -10 + 5, 4], 0, 4)])
    y = np.arange(12).reshape(3, 4)
    check(jnp.asarray(y)[A([5, -1]), A([0, 7])], y[[2, 2], [0, 3]])


def test_out_of_bounds_scalar_array_index_clamps_eagerly_as_under_jit():
    """A 0-d jitnet array is a dynamic index (as in JAX), even when concrete: out of bounds
    it clamps eagerly too, instead of raising as a static int would."""
    import jitnet
    x = jnp.asarray(np.arange(5, dtype=np.float32))
    get = lambda a, i: a[i]  # noqa: E731
    for i, want in ((7, 4.0), (-9, 0.0), (-1, 4.0), (2, 2.0)):
        i = jnp.asarray(np.int32(i))
        assert float(get(x, i)) == want
        assert float(jitnet.jit(get)(x, i)) == want
    y = jnp.asarray(X)
    check(y[jnp.asarray(9), 1:3], X[-1, 1:3])
    check(jitnet.jit(get)(y, jnp.asarray(-9)), X[0])


def test_static_out_of_bounds_int_raises():
    x = jnp.asarray(X)
    for idx in (4, -5, (0, 5), (0, 0, -7), (Ellipsis, 6)):
        with pytest.raises(IndexError):
            x[idx]


def test_too_many_indices_and_bad_indexers():
    x = jnp.asarray(X)
    with pytest.raises(IndexError, match="too many indices"):
        x[0, 0, 0, 0]
    with pytest.raises(IndexError):
        x[:, :, :, None, :]
    with pytest.raises(IndexError):
        x[..., 0, ...]
    with pytest.raises(IndexError):
        jnp.asarray(3.0)[0]
    with pytest.raises(TypeError):
        x[1.5]
    with pytest.raises(TypeError):
        x[A([0.0, 1.0])]
    with pytest.raises(TypeError):
        x["a"]
    with pytest.raises(TypeError):
        x[True]
    with pytest.raises(ValueError):
        x[::0]
    with pytest.raises(IndexError):
        x[np.ones((4, 5), bool), np.ones(7, bool)]  # mask dims exceed


def test_mismatched_index_arrays_raise():
    with pytest.raises((ValueError, IndexError)):
        jnp.asarray(X)[A([0, 1]), A([0, 1, 2])]


def test_boolean_mask_shape_mismatch_raises():
    with pytest.raises((IndexError, ValueError)):
        jnp.asarray(X)[np.ones((3,), bool)]


def test_traced_boolean_mask_raises():
    with pytest.raises(IndexError):
        traced(lambda x, m: x[m])(X, X > 0)


def test_item_assignment_is_rejected():
    x = jnp.asarray(X)
    with pytest.raises(TypeError):
        x[0] = 1.0


# -- hypothesis: random NumPy index expressions ------------------------------------------

@st.composite
def index_exprs(draw):
    ndim = draw(st.integers(0, 4))
    shape = tuple(draw(st.lists(st.integers(0, 4), min_size=ndim, max_size=ndim)))
    entries = []
    dims_left = ndim
    use_ellipsis = draw(st.booleans()) and ndim > 0
    n_indexed = draw(st.integers(0, ndim))
    bshape = draw(st.sampled_from([(), (2,), (2, 1), (1, 3), (3,)]))
    axis = 0
    for _ in range(n_indexed):
        n = shape[axis]
        kinds = ["slice", "none"]
        if n > 0:
            kinds += ["int", "array"]
        kind = draw(st.sampled_from(kinds))
        if kind == "none":
            entries.append(None)
            continue
        if kind == "int":
            entries.append(draw(st.integers(-n, n - 1)))
        elif kind == "array":
            size = int(np.prod(bshape))
            vals = draw(st.lists(st.integers(-n, n - 1), min_size=size, max_size=size))
            entries.append(np.array(vals, dtype=np.int32).reshape(bshape))
        else:
            bound = st.one_of(st.none(), st.integers(-n - 2, n + 2))
            step = draw(st.one_of(st.none(), st.integers(-3, 3).filter(lambda s: s != 0)))
            entries.append(slice(draw(bound), draw(bound), step))
        axis += 1
    if use_ellipsis:
        pos = draw(st.integers(0, len(entries)))
        entries.insert(pos, Ellipsis)
    if draw(st.booleans()):
        entries.insert(draw(st.integers(0, len(entries))), None)
    return shape, tuple(entries)


@settings(max_examples=300, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(index_exprs())
def test_getitem_hypothesis(case):
    shape, idx = case
    x = np.arange(int(np.prod(shape)), dtype=np.int32).reshape(shape)
    try:
        want = x[idx]
    except IndexError:
        with pytest.raises(IndexError):
            jnp.asarray(x)[idx]
        return
    check(jnp.asarray(x)[idx], want, dtype=np.int32)
    template, arrays = _split_traceable(idx)
    check(traced(lambda a, *arrs: a[_rebuild(template, arrs)])(x, *arrays), want)


@settings(max_examples=150, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(index_exprs(), st.sampled_from(["set", "add", "multiply", "min", "max"]))
def test_at_hypothesis(case, op):
    """x.at[idx].op(v) equals NumPy's ufunc.at (duplicates accumulate; set: last wins)."""
    shape, idx = case
    x = (np.arange(int(np.prod(shape)), dtype=np.int32) - 3).reshape(shape)
    v = np.int32(7)
    try:
        x[idx]
    except IndexError:
        return  # an invalid index (covered by test_getitem_hypothesis)
    want = x.copy()
    if op == "set":
        want[idx] = v
    else:
        npf = {"add": np.add, "multiply": np.multiply, "min": np.minimum, "max": np.maximum}[op]
        npf.at(want, idx, v)
    got = getattr(jnp.asarray(x).at[idx], op)(7)
    check(got, want, dtype=np.int32)


# -- .at[] ----------------------------------------------------------------------------------

AT_INDICES = [0, -1, (1, 2), slice(1, 3), slice(None, None, -2), (Ellipsis, 0),
              (slice(None), A([0, 2])), A([3, 0, 1]), (A([0, 1]), slice(None), A([5, 0])),
              (A([[0], [2]]), A([1, 3])), X > 0, (None, 1), ((X > 0)[:, 0, 0],),
              (slice(2, None), None, -1)]


@pytest.mark.parametrize("idx", AT_INDICES, ids=lambda i: repr(i)[:50])
@pytest.mark.parametrize("op", ["set", "add", "subtract", "multiply", "divide", "min", "max",
                                "power"])
def test_at_unique_indices(idx, op):
    rng = rng_for("at", repr(idx)[:50], op)
    x = rng.uniform(0.5, 2.0, X_SHAPE).astype(np.float32)
    sub_shape = x[idx].shape
    for v in (np.float32(1.5), rng.uniform(0.5, 2.0, sub_shape).astype(np.float32)):
        want = x.copy()
        if op == "set":
            want[idx] = v
        elif op == "add":
            want[idx] += v
        elif op == "subtract":
            want[idx] -= v
        elif op == "multiply":
            want[idx] *= v
        elif op == "divide":
            want[idx] /= v
        elif op == "power":
            want[idx] **= v
        elif op == "min":
            want[idx] = np.minimum(want[idx], v)
        else:
            want[idx] = np.maximum(want[idx], v)
        got = getattr(jnp.asarray(x).at[idx], op)(v)
        check(got, want, dtype=np.float32, rtol=1e-6, atol=1e-6)


def test_at_get_apply():
    x = jnp.asarray(X)
    check(x.at[1:3, A([0, 2])].get(), X[1:3, [0, 2]])
    want = X.copy()
    want[1:3, 2] = np.sin(want[1:3, 2])
    check(x.at[1:3, 2].apply(jnp.sin), want)
    v = np.arange(5, dtype=np.int32)
    # with duplicate indices the function is applied once per position (JAX)
    got = jnp.asarray(v).at[A([0, 0, 2])].apply(lambda t: t + 10)
    check(got, np.array([10, 1, 12, 3, 4]))


def test_at_duplicate_indices():
    """JAX semantics: add/multiply/min/max accumulate duplicates; set keeps the last value."""
    x = np.arange(6, dtype=np.float32)
    idx = A([1, 3, 1, 1, 5, 3])
    vals = np.array([10, 20, 30, 40, 50, 60], np.float32)
    want = x.copy()
    np.add.at(want, idx, vals)
    check(jnp.asarray(x).at[idx].add(vals), want)
    want = x.copy()
    np.multiply.at(want, idx, vals)
    check(jnp.asarray(x).at[idx].multiply(vals), want)
    want = x.copy()
    np.minimum.at(want, idx, -vals)
    check(jnp.asarray(x).at[idx].min(-vals), want)
    want = x.copy()
    np.maximum.at(want, idx, vals)
    check(jnp.asarray(x).at[idx].max(vals), want)
    want = x.copy()
    np.subtract.at(want, idx, vals)
    check(jnp.asarray(x).at[idx].subtract(vals), want)
    check(jnp.asarray(x).at[idx].set(vals), np.array([0, 40, 2, 60, 4, 50], np.float32))
    # 2-D duplicates through broadcast index arrays
    m = np.zeros((3, 3), np.int32)
    r, c = A([[0], [0]]), A([1, 1, 2])
    want = m.copy()
    np.add.at(want, (r, c), 1)
    check(jnp.asarray(m).at[r, c].add(1), want, dtype=np.int32)


def test_at_out_of_bounds_updates_are_dropped():
    x = np.arange(5, dtype=np.int32)
    check(jnp.asarray(x).at[A([1, 10, -10])].set(100), np.array([0, 100, 2, 3, 4]))
    check(jnp.asarray(x).at[7].add(100), x)
    check(jnp.asarray(x).at[A([1, 10])].add(5, mode="drop"), np.array([0, 6, 2, 3, 4]))
    check(jnp.asarray(x).at[A([1, 10])].set(9, mode="clip"), np.array([0, 9, 2, 3, 9]))
    check(jnp.asarray(x).at[A([1, 10])].get(mode="fill", fill_value=-1), np.array([1, -1]))
    check(jnp.asarray(x).at[A([1, 10])].get(mode="clip"), np.array([1, 4]))
    check(jnp.asarray(x).at[A([1, 10])].get(), np.array([1, 4]))  # default: clamp


def test_at_dtypes_and_casting():
    xi = np.arange(5, dtype=np.int32)
    check(jnp.asarray(xi).at[1].set(2.7), np.array([0, 2, 2, 3, 4]), dtype=np.int32)
    check(jnp.asarray(xi).at[1].add(2.7), np.array([0, 3, 2, 3, 4]), dtype=np.int32)
    xu = np.arange(5, dtype=np.uint8)
    check(jnp.asarray(xu).at[A([0, 1])].subtract(1), np.array([255, 0, 2, 3, 4]),
          dtype=np.uint8)
    xb = np.array([True, False, True])
    check(jnp.asarray(xb).at[1].set(True), np.array([True, True, True]), dtype=np.bool_)
    xf = jnp.asarray(np.arange(4, dtype=np.float32))
    check(xf.at[1].set(2), np.array([0, 2, 2, 3], np.float32), dtype=np.float32, weak=False)
    # JAX: an integer array divided in place becomes floating (x / scatter of the divisors)
    out = jnp.asarray(xi).at[1].divide(2)
    check(out, np.array([0, 0.5, 2, 3, 4]), dtype=np.float32)
    with pytest.raises(ValueError):
        jnp.asarray(xi).at[A([0, 1])].set(np.ones(3))


def test_at_traced():
    def f(x, i, v):
        return (x.at[i].set(v), x.at[i, 1:].add(v), x.at[jnp.array([0, 0]) + i].add(1.0),
                x.at[i].get(), x.at[..., i].multiply(2.0))
    outs = traced(f)(X, np.int32(2), np.float32(3.0))
    w0 = X.copy(); w0[2] = 3.0
    w1 = X.copy(); w1[2, 1:] += 3.0
    w2 = X.copy(); w2[2] += 2.0
    w4 = X.copy(); w4[..., 2] *= 2.0
    for o, w in zip(outs, (w0, w1, w2, X[2], w4)):
        check(o, w)


# -- take / take_along_axis / nonzero ---------------------------------------------------------

@pytest.mark.parametrize("axis", [None, 0, 1, -1, 2])
@pytest.mark.parametrize("ind", [A([0, 2]), A([[1, 0], [-1, 2]]), A(1), A([], dtype=np.int32),
                                 np.int32(-2), 1], ids=repr)
def test_take_in_bounds(axis, ind):
    check(jnp.take(X, ind, axis=axis), np.take(X, ind, axis=axis))
    check(jnp.asarray(X).take(ind, axis=axis), np.take(X, ind, axis=axis))
    if isinstance(ind, np.ndarray):
        check(traced(lambda x, i: jnp.take(x, i, axis=axis))(X, ind), np.take(X, ind, axis=axis))


def test_take_rejects_lists():
    with pytest.raises(TypeError):
        jnp.take(X, [0, 1])


@pytest.mark.parametrize("dt", [np.float32, np.int32, np.int8, np.uint8, np.bool_])
def test_take_modes(dt):
    x = rand(rng_for("take", np.dtype(dt).name), (5,), dt)
    idx = A([1, 10, -1, -6, 4, 5])
    check(jnp.take(x, idx, mode="clip"), np.take(x, idx, mode="clip"), dtype=dt)
    check(jnp.take(x, idx, mode="wrap"), np.take(x, idx, mode="wrap"), dtype=dt)
    # default mode 'fill' (JAX): out-of-bounds give NaN / min int / max uint / True
    fill = {"f": np.nan, "i": np.iinfo(dt).min if np.dtype(dt).kind == "i" else 0,
            "u": np.iinfo(dt).max if np.dtype(dt).kind == "u" else 0, "b": True}
    f = fill[np.dtype(dt).kind]
    want = np.array([x[1], f, x[-1], f, x[4], f]).astype(dt)
    check(jnp.take(x, idx), want, dtype=dt)
    check(jnp.take(x, idx, mode="fill", fill_value=0), np.where([1, 0, 1, 0, 1, 0], want, 0)
          .astype(dt), dtype=dt)


@pytest.mark.parametrize("axis", [0, 1, -1, None])
def test_take_along_axis(axis):
    rng = rng_for("tal", axis)
    x = rand(rng, (3, 4, 5), np.float32)
    if axis is None:
        idx = rng.integers(-60, 60, (7,))
    else:
        shape = list(x.shape)
        shape[axis] = 6
        idx = rng.integers(-x.shape[axis], x.shape[axis], shape)
    check(jnp.take_along_axis(x, idx, axis=axis), np.take_along_axis(x, idx, axis=axis))
    sorted_idx = np.argsort(x, axis=-1)
    check(jnp.take_along_axis(x, sorted_idx, axis=-1), np.sort(x, axis=-1))
    # broadcasting a size-1 index dimension
    if axis is not None:
        shape = list(x.shape)
        shape[axis] = 2
        shape[(axis + 1) % 3] = 1
        idx = rng.integers(0, x.shape[axis], shape)
        check(jnp.take_along_axis(x, idx, axis=axis), np.take_along_axis(x, idx, axis=axis))
    with pytest.raises(ValueError):
        jnp.take_along_axis(x, np.zeros((2, 2), np.int32), axis=0)


def test_take_along_axis_out_of_bounds_fill():
    x = np.arange(5, dtype=np.float32)
    idx = A([0, 5, -1, -6])
    check(jnp.take_along_axis(x, idx, axis=0), np.array([0, np.nan, 4, np.nan], np.float32))
    check(jnp.take_along_axis(x, idx, axis=0, mode="clip"), np.array([0, 4, 4, 0], np.float32))


@pytest.mark.parametrize("shape", [(5,), (3, 4), (2, 3, 4), (0, 3), (1,)])
def test_nonzero_argwhere_flatnonzero(shape):
    x = rand(rng_for("nz", shape), shape, np.int32, low=-1, high=2)
    for g, w in zip(jnp.nonzero(x), np.nonzero(x)):
        check(g, w, dtype=default_int())
    check(jnp.argwhere(x), np.argwhere(x), dtype=default_int())
    check(jnp.flatnonzero(x), np.flatnonzero(x), dtype=default_int())
    for g, w in zip(jnp.asarray(x).nonzero(), np.nonzero(x)):
        check(g, w)
    n = int(np.count_nonzero(x))
    for size in (0, max(n - 1, 0), n, n + 3):
        for fill in (None, -1):
            got = jnp.nonzero(x, size=size, fill_value=fill)
            f = 0 if fill is None else fill
            for g, w in zip(got, np.nonzero(x)):
                want = np.concatenate([w[:size], np.full(max(size - len(w), 0), f)])
                check(g, want, dtype=default_int())
            t = traced(lambda a: jnp.nonzero(a, size=size, fill_value=fill))(x)
            for g, w in zip(t, got):
                check(g, np.asarray(w))
            aw = np.argwhere(x)[:size]
            aw = np.concatenate([aw, np.full((size - len(aw), len(shape)), f)]).astype(int)
            check(jnp.argwhere(x, size=size, fill_value=fill), aw.reshape(size, len(shape)))
            fw = np.flatnonzero(x)[:size]
            fw = np.concatenate([fw, np.full(size - len(fw), f)])
            check(jnp.flatnonzero(x, size=size, fill_value=fill), fw)


def test_nonzero_per_dimension_fill_and_0d():
    x = np.array([[0, 1], [0, 0]])
    r, c = jnp.nonzero(x, size=3, fill_value=(-1, -2))
    check(r, [0, -1, -1])
    check(c, [1, -2, -2])
    check(jnp.argwhere(np.float32(3)), np.argwhere(np.float32(3)))
    check(jnp.argwhere(np.float32(0)), np.argwhere(np.float32(0)))
    with pytest.raises(Exception):
        traced(lambda a: jnp.nonzero(a))(x)  # traced without size
    b = np.array([True, False, True])
    for g, w in zip(jnp.where(b), np.where(b)):
        check(g, w)


def test_at_with_python_scalar_update_under_jit():
    """A Python scalar update is a literal in the IR; the compiled scatter used to index it
    like an array (a Numba typing error)."""
    import jitnet
    x = np.arange(5, dtype=np.float32)
    set_f = jitnet.jit(lambda a, i: a.at[i].set(100.0))
    add_f = jitnet.jit(lambda a: a.at[jnp.array([1, 3])].add(1.5))
    want = x.copy()
    want[2] = 100.0
    check(set_f(x, 2), want)
    want = x.copy()
    want[[1, 3]] += 1.5
    check(add_f(x), want)
    xi = np.arange(5, dtype=np.int32)
    check(jitnet.jit(lambda a: a.at[-1].set(7))(xi), np.array([0, 1, 2, 3, 7], np.int32))


def test_dynamic_index_past_2_31_in_a_long_axis():
    """Indices into an axis longer than 2**31 - 1 raised OverflowError (int32 starts) or
    wrapped. ``np.zeros`` of 2**31 + 5 bytes is only address space until written: the test
    touches two pages, and both paths read single elements."""
    import jitnet
    from jitnet import lax
    n = 2**31 + 5
    x = np.zeros(n, np.uint8)
    x[n - 3], x[n - 2] = 7, 9
    assert int(lax.dynamic_index_in_dim(x, n - 3, keepdims=False)) == 7
    assert int(lax.dynamic_index_in_dim(x, -2, keepdims=False)) == 9
    assert int(lax.dynamic_slice(x, (n - 3,), (2,))[1]) == 9
    get = jitnet.jit(lambda a, i: a[i])
    assert int(get(x, -3)) == 7 and int(get(x, -2)) == 9


def test_take_along_axis_int64_indices_with_x64(x64):
    """int64 indices (x64 on) gather like NumPy (the iotas follow the index dtype)."""
    import jitnet.numpy as jnp
    a = np.arange(12.0).reshape(3, 4)
    idx = np.array([[3], [0], [2]], np.int64)
    np.testing.assert_array_equal(jnp.take_along_axis(a, idx, axis=1),
                                  np.take_along_axis(a, idx, axis=1))
