"""lax.real, lax.imag, lax.conj, lax.complex: values against NumPy (eager and compiled),
derivatives with JAX's convention for complex inputs against float64 finite differences,
and the errors. (The op records add vmap, jit and CUDA-simulator checks.)"""
import numpy as np
import pytest

import jitnet
import jitnet.numpy as jnp
from jitnet import lax

INF, NAN = np.inf, np.nan


def _same(got, want):
    got = np.asarray(got)
    assert got.dtype == want.dtype, (got.dtype, want.dtype)
    np.testing.assert_array_equal(got, want)  # NaNs in the same places count as equal


@pytest.mark.parametrize("dt", [np.complex64, np.complex128])
def test_parts_match_numpy_eager_and_jit(dt, x64):
    z = np.array([[1 + 2j, -3j, complex(INF, -1)], [complex(0.5, NAN), -0.0 + 0.0j, 2.5 - 4j]],
                 dt)
    parts = lambda z: (lax.real(z), lax.imag(z), lax.conj(z))  # noqa: E731
    for got in (parts(z), jitnet.jit(parts)(z)):
        for g, w in zip(got, (np.real(z), np.imag(z), np.conj(z))):
            _same(g, w)     # complex64 -> float32 parts, complex128 -> float64


@pytest.mark.parametrize("dt", [np.float32, np.float64])
def test_complex_keeps_infinities_and_broadcasts_scalars(dt, x64):
    x = np.array([1.0, INF, -INF, NAN, -0.0], dt)
    y = np.array([INF, 2.0, NAN, -1.0, 0.0], dt)
    want = np.empty(5, np.result_type(dt, np.complex64))
    want.real, want.imag = x, y          # (x + 1j * y would put nan in real parts)
    for f in (lax.complex, jitnet.jit(lax.complex)):
        _same(f(x, y), want)
        _same(f(x, dt(2)), x + np.asarray(2j, want.dtype))


def test_fused_complex_arithmetic_matches_numpy():
    rng = np.random.RandomState(0)
    x, y = rng.standard_normal((2, 3, 4)).astype(np.float32)

    def f(x, y):
        z = lax.complex(x, y)
        w = z * lax.conj(z) + z * z - 2.0 * z
        return lax.real(w), lax.imag(w), jnp.abs(w)

    z = x.astype(np.float64) + 1j * y
    w = z * np.conj(z) + z * z - 2 * z
    for got in (f(x, y), jitnet.jit(f)(x, y)):
        for g, ref in zip(got, (w.real, w.imag, np.abs(w))):
            assert np.asarray(g).dtype == np.float32
            np.testing.assert_allclose(np.asarray(g), ref, rtol=2e-6, atol=2e-6)


def test_conj_of_real_input():
    x = np.array([1.5, -2.0], np.float32)
    _same(lax.conj(x), x.astype(np.complex64))      # lax makes it complex, as JAX
    _same(jnp.conj(x), x)                           # jnp keeps it real, as JAX and NumPy
    _same(jnp.real(x), x)
    _same(jnp.imag(x), np.zeros(2, np.float32))
    assert lax.conj(2.0).weak_type and jnp.imag(3.0).weak_type     # weak stays weak (JAX)
    assert np.signbit(np.asarray(lax.conj(x)).imag).sum() == 0     # +0 parts, as JAX


def test_sinc_of_complex_matches_numpy():
    z = np.array([0.5 + 0.1j, 1e-3 - 2e-3j, 0, -1.5 + 2j], np.complex128)
    np.testing.assert_allclose(np.asarray(jnp.sinc(z.astype(np.complex64))), np.sinc(z),
                               rtol=1e-6)


# f(z) for complex z, and the same function in NumPy for finite differences
FUNS = [
    ("abs", jnp.abs, np.abs),
    ("abs2", lambda z: lax.real(z * lax.conj(z)), lambda z: (z * np.conj(z)).real),
    ("re_cube", lambda z: lax.real(z ** 3), lambda z: (z ** 3).real),
    ("im_mixed", lambda z: lax.imag(z * z * lax.conj(z) + (1 - 2j) * z),
     lambda z: (z * z * np.conj(z) + (1 - 2j) * z).imag),
    ("abs_affine", lambda z: jnp.abs(z * (1 + 2j) + lax.conj(z) - 3.0),
     lambda z: np.abs(z * (1 + 2j) + np.conj(z) - 3.0)),
]


@pytest.mark.parametrize("name, f, ref", FUNS, ids=[n for n, _, _ in FUNS])
def test_grad_of_real_function_is_dfdx_minus_i_dfdy(name, f, ref, x64):
    # JAX's convention: for f: C -> R, grad(f)(x + iy) = df/dx - i df/dy, which is
    # 2 conj(z) for |z|^2 and g'(z) for Re g(z), g holomorphic
    z, h = 0.7 - 1.3j, 1e-6
    fx = (ref(z + h) - ref(z - h)) / (2 * h)
    fy = (ref(z + 1j * h) - ref(z - 1j * h)) / (2 * h)
    g = jitnet.grad(f)
    for got in (g(z), jitnet.jit(g)(np.complex128(z))):
        assert np.asarray(got).dtype == np.complex128
        np.testing.assert_allclose(complex(got), fx - 1j * fy, rtol=1e-7)


def test_grad_closed_forms(x64):
    z = np.complex128(3 + 4j)
    assert complex(jitnet.grad(lambda z: lax.real(z * lax.conj(z)))(z)) == 6 - 8j
    assert complex(jitnet.grad(lax.real)(z)) == 1
    assert complex(jitnet.grad(lax.imag)(z)) == -1j
    np.testing.assert_allclose(complex(jitnet.grad(jnp.abs)(z)), 0.6 - 0.8j, rtol=1e-15)
    assert complex(jitnet.grad(jnp.abs)(np.complex128(0))) == 0    # JAX's value at 0
    # through the parts: d|x + iy|/dx = x/r, d/dy = y/r, second derivatives y^2/r^3 ...
    r = lambda v: jnp.abs(lax.complex(v[0], v[1]))  # noqa: E731
    np.testing.assert_allclose(np.asarray(jitnet.hessian(r)(np.array([3.0, 4.0]))),
                               np.array([[16, -12], [-12, 9]]) / 125, rtol=1e-12)


def test_jvp_and_vjp_of_complex_maps_match_finite_differences(x64):
    # a non-holomorphic map C^3 -> C^3: forward mode against finite differences, reverse
    # mode by the dot-product test under JAX's pairing <a, b> = Re(sum(a * b))
    def f(z):
        return lax.conj(z) * z * (2 - 1j) + lax.complex(lax.imag(z), lax.real(z) ** 2)

    def ref(z):
        return np.conj(z) * z * (2 - 1j) + (z.imag + 1j * z.real ** 2)

    rng = np.random.RandomState(0)
    z, t, ct = (rng.standard_normal(3) + 1j * rng.standard_normal(3) for _ in range(3))
    h = 1e-6
    num = (ref(z + h * t) - ref(z - h * t)) / (2 * h)
    _, tangent = jitnet.jvp(f, (z,), (t,))
    np.testing.assert_allclose(np.asarray(tangent), num, rtol=1e-7)
    _, pullback = jitnet.vjp(f, z)
    (back,) = pullback(ct)
    np.testing.assert_allclose(np.sum(np.asarray(back) * t).real, np.sum(ct * num).real,
                               rtol=1e-7)


def test_vmap_of_parts():
    x = np.arange(6, dtype=np.float32).reshape(2, 3)
    got = jitnet.vmap(lax.complex, in_axes=(1, None))(x, np.float32(-1))
    _same(got, x.T - np.complex64(1j))
    _same(jitnet.vmap(lax.imag)(got), np.full((3, 2), -1, np.float32))


@pytest.mark.parametrize("call, words", [
    (lambda: lax.real(np.ones(2, np.float32)), ["real", "complex", "float32"]),
    (lambda: lax.imag(np.ones(2, np.int32)), ["imag", "int32"]),
    (lambda: lax.complex(np.ones(2, np.int32), np.ones(2, np.int32)), ["complex", "int32"]),
    (lambda: lax.complex(np.ones(2, np.float16), np.ones(2, np.float16)),
     ["complex", "float32 or float64", "float16"]),
    (lambda: lax.complex(np.ones(2, np.float32), np.ones(3, np.float32)), ["complex", "(3,)"]),
    (lambda: jitnet.jit(lax.real)(np.ones(2, np.float32)), ["real", "float32"]),
    (lambda: lax.conj(np.ones(2, np.int32)), ["conj", "int32"]),
])
def test_bad_operands_raise_naming_the_operation(call, words):
    with pytest.raises((TypeError, ValueError)) as err:
        call()
    for w in words:
        assert w in str(err.value), (w, str(err.value))


def test_grad_needs_real_outputs_unless_holomorphic():
    z = np.complex64(1 + 1j)
    with pytest.raises(TypeError, match="real-valued outputs.*complex64.*holomorphic=True"):
        jitnet.grad(lambda z: z * z)(z)
    # holomorphic: the complex derivative, 2z for z^2
    assert complex(jitnet.grad(lambda z: z * z, holomorphic=True)(z)) == 2 + 2j
    with pytest.raises(TypeError, match="holomorphic=True requires inputs with complex"):
        jitnet.grad(lambda x: x * x, holomorphic=True)(np.float32(1))
    with pytest.raises(TypeError, match="holomorphic=True requires outputs with complex"):
        jitnet.grad(jnp.abs, holomorphic=True)(z)


def test_check_grads_on_complex_functions(x64):
    from jitnet.testing import check_grads
    z = np.array([0.3 - 1.2j, -0.7 + 0.4j], np.complex128)
    check_grads(lambda z: lax.conj(z) * z * (2 - 1j) + lax.complex(lax.imag(z), lax.real(z) ** 2),
                (z,), order=2)
    check_grads(lambda z: jnp.abs(z) ** 3 + lax.real(z * z), (z,), order=2)
    check_grads(lambda x, y: lax.complex(x, y) * x, (np.array([0.5, -2.0]), np.array([1.5, 0.3])),
                order=2)

    # a wrong rule that real directions cannot see: conj's tangent is conj(t), not t
    @jitnet.custom_jvp
    def bad_conj(z):
        return lax.conj(z)

    bad_conj.defjvp(lambda primals, tangents: (lax.conj(primals[0]), tangents[0]))
    with pytest.raises(AssertionError):
        check_grads(bad_conj, (z,), order=1, modes=("fwd",))
