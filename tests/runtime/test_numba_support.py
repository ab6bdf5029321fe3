"""Dtypes at the edge of the Numba backend (``runtime/numba_support.py``): what it compiles
is correct, what it cannot compile fails before Numba with an error naming the operation,
the dtype and the user's line (never a Numba message)."""
import numpy as np
import pytest

import jitnet as jax
import jitnet.numpy as jnp
from jitnet import lax

C = np.array([1 + 2j, 0.5 - 1j, -2 + 0.25j], np.complex64)
M = np.array([[1 + 1j, 2], [0.5j, -1]], np.complex64)


def test_complex_matmul_is_computed_not_sent_to_real_gemm():
    # sgemm on complex data used to return garbage silently
    want = M.astype(np.complex128) @ M.astype(np.complex128)
    got = jax.jit(lambda m: m @ m)(M)
    assert np.asarray(got).dtype == np.complex64
    np.testing.assert_allclose(np.asarray(got), want, rtol=1e-6)
    np.testing.assert_allclose(np.asarray(jax.jit(jnp.dot)(C, C)), np.sum(C * C), rtol=1e-6)


def test_complex_arithmetic_casts_and_abs_under_jit():
    f = lambda c: (c * c - c / (c + 1), c.astype(jnp.float32), c.astype(jnp.int32),  # noqa
                   jnp.abs(c))
    got = [np.asarray(v) for v in jax.jit(f)(C)]
    c = C.astype(np.complex128)
    np.testing.assert_allclose(got[0], c * c - c / (c + 1), rtol=1e-6)
    np.testing.assert_array_equal(got[1], C.real)               # NumPy's cast: the real part
    np.testing.assert_array_equal(got[2], np.trunc(C.real).astype(np.int32))
    assert got[3].dtype == np.float32                           # |complex64| is float32
    np.testing.assert_allclose(got[3], np.hypot(C.real, C.imag), rtol=1e-6)
    assert jnp.abs(C).dtype == np.float32


def _raises_naming(fn, *args, words):
    with pytest.raises(TypeError) as info:
        fn(*args)
    msg = str(info.value)
    for w in words + ["test_numba_support.py", "JITNET_BACKEND=interpreter"]:
        assert w in msg, (w, msg)
    assert "Failed in nopython" not in msg and "TypingError" not in msg


def test_complex_transcendental_under_jit_names_op_dtype_and_line():
    _raises_naming(jax.jit(lambda c: jnp.sin(c) + 1), C, words=["sin", "complex64"])
    _raises_naming(jax.jit(lambda c: jnp.exp(c)), C, words=["exp", "complex64"])
    assert np.asarray(jnp.sin(C)).dtype == np.complex64      # eager still computes it


def test_unsupported_op_inside_control_flow_is_found():
    f = lambda p, c: lax.cond(p, lambda c: jnp.sin(c), lambda c: c, c)  # noqa: E731
    _raises_naming(jax.jit(f), True, C, words=["sin", "complex64"])
