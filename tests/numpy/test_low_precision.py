"""float16 and bfloat16 as storage types: promotion, eager, jit, grad, vmap, bitcasts.

References: ml_dtypes/NumPy casts (the rounding), NumPy float32 arithmetic rounded after
each operation (what JAX does on the CPU), and JAX itself as an oracle where installed.
"""
import ml_dtypes
import numpy as np
import pytest

import jitnet as jax
import jitnet.numpy as jnp
from jitnet import lax
from jitnet.core import dtypes

BF16 = np.dtype(ml_dtypes.bfloat16)
LOW = [np.dtype(np.float16), BF16]


def _round(v, dt):
    """float32 ``v`` rounded to ``dt`` and back: the reference for one narrow operation."""
    return np.asarray(v, np.float32).astype(dt).astype(np.float32)


def _f32(x):
    return np.asarray(x).astype(np.float32)


def _same(a, b):
    a, b = _f32(a), _f32(b)
    assert a.shape == b.shape
    np.testing.assert_array_equal(np.isnan(a), np.isnan(b))
    np.testing.assert_array_equal(a[~np.isnan(a)], b[~np.isnan(b)])


# -- dtypes --------------------------------------------------------------------------------

def test_bfloat16_is_jnp_bfloat16_and_a_float():
    assert jnp.bfloat16.dtype == BF16 and jnp.dtype(jnp.bfloat16) == BF16
    assert jnp.issubdtype(jnp.bfloat16, jnp.floating) and jnp.issubdtype(BF16, jnp.inexact)
    assert not jnp.issubdtype(jnp.bfloat16, jnp.integer)
    assert not jnp.issubdtype(jnp.float16, jnp.bfloat16)
    assert jnp.finfo(jnp.bfloat16).eps == 2.0 ** -7 and jnp.finfo(jnp.float16).eps == 2.0 ** -10
    assert jnp.zeros(3, jnp.bfloat16).dtype == BF16
    assert jnp.bfloat16(1.5).dtype == BF16


# JAX 0.10.2's jnp.promote_types over these kinds (row with column), as its documented
# promotion lattice gives it; recorded from JAX so the suite checks it without JAX installed
_KINDS = {"bool": np.bool_, "uint8": np.uint8, "uint16": np.uint16, "uint32": np.uint32,
          "int8": np.int8, "int16": np.int16, "int32": np.int32, "float16": np.float16,
          "bfloat16": BF16, "float32": np.float32, "complex64": np.complex64, "int": int,
          "float": float, "complex": complex}
_JAX_PROMOTE = {
    'bool': 'bool uint8 uint16 uint32 int8 int16 int32 float16 bfloat16 float32 complex64 int64 float64 complex128',
    'uint8': 'uint8 uint8 uint16 uint32 int16 int16 int32 float16 bfloat16 float32 complex64 uint8 float64 complex128',
    'uint16': 'uint16 uint16 uint16 uint32 int32 int32 int32 float16 bfloat16 float32 complex64 uint16 float64 complex128',
    'uint32': 'uint32 uint32 uint32 uint32 int32 int32 int32 float16 bfloat16 float32 complex64 uint32 float64 complex128',
    'int8': 'int8 int16 int32 int32 int8 int16 int32 float16 bfloat16 float32 complex64 int8 float64 complex128',
    'int16': 'int16 int16 int32 int32 int16 int16 int32 float16 bfloat16 float32 complex64 int16 float64 complex128',
    'int32': 'int32 int32 int32 int32 int32 int32 int32 float16 bfloat16 float32 complex64 int32 float64 complex128',
    'float16': 'float16 float16 float16 float16 float16 float16 float16 float16 float32 float32 complex64 float16 float16 complex64',
    'bfloat16': 'bfloat16 bfloat16 bfloat16 bfloat16 bfloat16 bfloat16 bfloat16 float32 bfloat16 float32 complex64 bfloat16 bfloat16 complex64',
    'float32': 'float32 float32 float32 float32 float32 float32 float32 float32 float32 float32 complex64 float32 float32 complex64',
    'complex64': 'complex64 complex64 complex64 complex64 complex64 complex64 complex64 complex64 complex64 complex64 complex64 complex64 complex64 complex64',
    'int': 'int64 uint8 uint16 uint32 int8 int16 int32 float16 bfloat16 float32 complex64 int64 float64 complex128',
    'float': 'float64 float64 float64 float64 float64 float64 float64 float16 bfloat16 float32 complex64 float64 float64 complex128',
    'complex': 'complex128 complex128 complex128 complex128 complex128 complex128 complex128 complex64 complex64 complex64 complex64 complex128 complex128 complex128',
}  # noqa: E501


def test_promotion_matches_jax():
    for a, row in _JAX_PROMOTE.items():
        for b, want in zip(_KINDS, row.split()):
            got = jnp.promote_types(_KINDS[a], _KINDS[b])
            assert np.dtype(got).name == want, (a, b, got, want)
    # weak Python scalars keep the narrow type; float16 meets bfloat16 in float32
    x, y = jnp.ones(2, jnp.bfloat16), jnp.ones(2, jnp.float16)
    assert (x * 2.0).dtype == BF16 and (x + 1).dtype == BF16 and (y * 2.0).dtype == np.float16
    assert (x + y).dtype == np.float32 and (x + jnp.ones(2, jnp.int32)).dtype == BF16
    # jax.numpy.result_type(a, b) for a in the rows, b in (float16, bfloat16, 1.0, 1)
    want = iter("float16 float32 float16 float16 float32 bfloat16 bfloat16 bfloat16 float16 "
                "bfloat16 float32 int8 float16 bfloat16 float32 uint8 float32 float32 float32 "
                "float32".split())
    for a in (np.float16, BF16, np.int8, np.uint8, np.float32):
        for b in (np.float16, BF16, 1.0, 1):
            assert np.dtype(jnp.result_type(a, b)).name == next(want), (a, b)


# -- rounding: the compiled kernels against ml_dtypes/NumPy casts --------------------------

@pytest.mark.parametrize("dt", LOW, ids=str)
def test_cast_rounds_like_numpy_over_all_float32_classes(dt, generator):
    bits = generator.integers(0, 2 ** 32, 200_000, dtype=np.uint64).astype(np.uint32)
    edge = np.float32([0, -0.0, np.inf, -np.inf, np.nan, 65504, 65519.996, 65520, -65520,
                       2 ** -24, 2 ** -25, 3 * 2 ** -26, 2 ** -14, 3.4028235e38, 1 + 2 ** -8,
                       1 + 3 * 2 ** -8, 1 + 2 ** -11, 1 + 3 * 2 ** -11])
    x = np.concatenate([bits.view(np.float32), edge])
    with np.errstate(over="ignore", invalid="ignore"):   # inf and NaN are the point
        want = x.astype(dt)
    got, inside = jax.jit(lambda v: (v.astype(dt), v.astype(dt).astype(jnp.float32) * 1))(x)
    assert got.dtype == dt
    _same(got, want)                                 # rounded at the boundary...
    _same(inside, want)                              # ...and inside a kernel
    _same(jnp.asarray(x).astype(dt), want)           # eager


@pytest.mark.parametrize("dt", LOW, ids=str)
def test_bitcasts_to_and_from_16_bit_integers(dt, generator):
    u = generator.integers(0, 2 ** 16, 20_000).astype(np.uint16)
    want = u.view(dt)
    nan = np.isnan(want.astype(np.float32))
    got, back = jax.jit(lambda u, f: (lax.bitcast_convert_type(u, dt),
                                      lax.bitcast_convert_type(f, np.int16)))(u, want)
    got, back = np.asarray(got), np.asarray(back)
    np.testing.assert_array_equal(got.view(np.uint16)[~nan], u[~nan])
    assert np.isnan(got[nan].astype(np.float32)).all()
    np.testing.assert_array_equal(back[~nan], u.view(np.int16)[~nan])


# -- arithmetic: float32 compute, one rounding per operation --------------------------------

def _chain(np_, x, y):
    return np_.tanh(x * 1.5 + 0.25) * np_.exp(-x * y) - y


def _chain_ref(x, y, dt):
    x, y = _f32(x), _f32(y)
    r = lambda v: _round(v, dt)  # noqa: E731
    t = r(np.tanh(r(r(x * np.float32(1.5)) + np.float32(0.25))))
    e = r(np.exp(r(-x * y)))
    return r(r(t * e) - y)


@pytest.mark.parametrize("dt", LOW, ids=str)
def test_elementwise_rounds_each_operation(dt, generator):
    x = generator.standard_normal(4000).astype(dt)
    y = generator.standard_normal(4000).astype(dt)
    got, arith = jax.jit(lambda x, y: (_chain(jnp, x, y), x * y + x / y))(x, y)
    assert got.dtype == dt
    _same(got, _chain(jnp, jnp.asarray(x), jnp.asarray(y)))   # jit == eager, bit for bit
    want = _chain_ref(x, y, dt)
    # tanh and exp are jitnet's float32 kernels (<= 3 float32 ulp from NumPy's): after
    # rounding they may land one narrow ulp apart at a rounding boundary, nowhere else
    # (an ulp of the product before subtracting y: scale by the operands' size)
    scale = np.abs(want) + np.abs(_f32(y)) + 1e-3
    assert (np.abs(_f32(got) - want) / scale).max() <= 2 * float(jnp.finfo(dt).eps)
    assert (_f32(got) == want).mean() > 0.99
    np.testing.assert_array_equal(_f32(arith), _round(_round(_f32(x) * _f32(y), dt)
                                         + _round(_f32(x) / _f32(y), dt), dt))


@pytest.mark.parametrize("dt", LOW, ids=str)
def test_reductions_and_matmul_accumulate_in_float32(dt, generator):
    x = generator.standard_normal((33, 70)).astype(dt)
    w = (generator.standard_normal((70, 9)) / 8).astype(dt)
    f = lambda x, w: (jnp.sum(x, axis=1), jnp.mean(x, axis=0), jnp.var(x), x @ w,  # noqa
                      jnp.max(x, axis=1))
    got = jax.jit(f)(x, w)
    x32, w32 = _f32(x), _f32(w)
    want = (x32.sum(1), x32.mean(0), x32.var(), x32 @ w32, x32.max(1))
    for g, e, v in zip(got, f(jnp.asarray(x), jnp.asarray(w)), want):
        assert g.dtype == dt
        _same(g, e)
        # one rounding of a float32 result (float32 sums differ in order: 1e-5 relative)
        np.testing.assert_allclose(_f32(g), v, rtol=float(jnp.finfo(dt).eps), atol=1e-5)


# -- transformations -----------------------------------------------------------------------

@pytest.mark.parametrize("dt", LOW, ids=str)
def test_grad_vmap_and_jit_agree(dt, generator):
    x = generator.standard_normal((5, 6)).astype(dt)
    w = generator.standard_normal((6,)).astype(dt)

    def loss(w, x):
        return jnp.mean(jnp.tanh(x @ w) ** 2)

    g_eager = jax.grad(loss)(jnp.asarray(w), jnp.asarray(x))
    g_jit, per = jax.jit(lambda w, x: (jax.grad(loss)(w, x),
                                       jax.vmap(jax.grad(loss), in_axes=(None, 0))(
                                           w, x[:, None, :])))(w, x)
    assert g_jit.dtype == dt
    _same(g_jit, g_eager)
    g32 = jax.grad(loss)(_f32(w), _f32(x))   # the float32 gradient, to narrow precision
    np.testing.assert_allclose(_f32(g_jit), np.asarray(g32), rtol=0.05, atol=0.02)
    assert per.dtype == dt and per.shape == (5, 6)
    for i in range(5):
        _same(per[i], jax.grad(loss)(jnp.asarray(w), jnp.asarray(x[i:i + 1])))


def test_control_flow_carries_narrow_values():
    x = np.linspace(0, 1, 8).astype(BF16)

    def f(x):
        def body(c, xi):
            c = c * 0.9 + xi
            return c, c
        return lax.scan(body, x[0], x)

    c, ys = jax.jit(f)(x)
    c_e, ys_e = f(jnp.asarray(x))
    assert c.dtype == BF16 and ys.dtype == BF16
    _same(c, c_e)
    _same(ys, ys_e)
    y = jax.jit(lambda x: lax.cond(x[0] > 0, lambda v: v * 3, lambda v: -v, x))(x)
    _same(y, -_f32(x))


def test_passthrough_literal_and_mixed_outputs():
    h = np.array([1.5, -2.25], np.float16)
    b = np.array([3.0, 0.5], BF16)
    out = jax.jit(lambda h, b: (h, b, jnp.asarray(2.5, jnp.bfloat16), h.astype(jnp.float32)
                                + b.astype(jnp.float32)))(h, b)
    assert [o.dtype for o in out] == [np.float16, BF16, BF16, np.float32]
    _same(out[0], h)
    _same(out[1], b)
    assert float(out[2]) == 2.5
    _same(out[3], _f32(h) + _f32(b))


def test_round_to_dtype_on_float64_is_refused_by_the_numba_backend():
    from jitnet.prims.elementwise import round_to_dtype
    with _x64():
        with pytest.raises(TypeError, match="round_to_dtype"):
            jax.jit(lambda v: round_to_dtype(v, np.float16))(np.ones(3))


class _x64:
    def __enter__(self):
        jax.config.update("jax_enable_x64", True)

    def __exit__(self, *exc):
        jax.config.update("jax_enable_x64", False)


def test_kind_of_and_low_precision_helpers():
    assert dtypes.kind_of(BF16) == "f" and dtypes.kind_of(np.float16) == "f"
    assert dtypes.kind_of(np.int8) == "i"
    assert dtypes.is_low_precision(BF16) and not dtypes.is_low_precision(np.float32)
    assert dtypes.to_inexact_dtype(BF16) == BF16
