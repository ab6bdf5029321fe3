"""jnp functions added for JAX coverage (issue 18, item 4), against NumPy, with gradients
checked by finite differences."""
import numpy as np
import pytest

import jitnet
import jitnet.numpy as jnp
from jitnet.test_util import check_grads


def eq(got, ref, rtol=1e-6):
    got = got if isinstance(got, tuple) else (got,)
    ref = ref if isinstance(ref, tuple) else (ref,)
    assert len(got) == len(ref)
    for g, r in zip(got, ref):
        np.testing.assert_allclose(np.asarray(g), r, rtol=rtol, atol=1e-6)


@pytest.mark.parametrize("kw", [dict(), dict(n=2), dict(n=0), dict(axis=0),
                                dict(prepend=1.5), dict(append=np.ones((3, 1)))])
def test_diff(kw, generator):
    a = generator.standard_normal((3, 5)).astype(np.float32)
    eq(jnp.diff(a, **kw), np.diff(a, **kw))


def test_diff_grad_and_errors():
    check_grads(lambda v: jnp.diff(v, n=2), (np.linspace(0, 1, 6),), order=1, rtol=1e-2,
                atol=1e-2)
    with pytest.raises(ValueError, match="diff"):
        jnp.diff(np.ones(3), n=-1)


def test_ediff1d(generator):
    a = generator.standard_normal((2, 3)).astype(np.float32)
    eq(jnp.ediff1d(a), np.ediff1d(a))
    eq(jnp.ediff1d(a, to_end=[9.0], to_begin=[-1.0, 2.0]),
       np.ediff1d(a, to_end=[9.0], to_begin=[-1.0, 2.0]))


@pytest.mark.filterwarnings("ignore:Arrays of 2-dimensional vectors")
@pytest.mark.parametrize("na, nb", [(3, 3), (2, 3), (3, 2), (2, 2)])
def test_cross(na, nb, generator):
    a = generator.standard_normal((4, na)).astype(np.float32)
    b = generator.standard_normal((4, nb)).astype(np.float32)
    eq(jnp.cross(a, b), np.cross(a, b), rtol=1e-5)


def test_cross_axes_and_errors(generator):
    a = generator.standard_normal((3, 4)).astype(np.float32)
    b = generator.standard_normal((3, 4)).astype(np.float32)
    eq(jnp.cross(a, b, axis=0), np.cross(a, b, axis=0), rtol=1e-5)
    with pytest.raises(ValueError, match="cross"):
        jnp.cross(np.ones(4), np.ones(4))


def test_trapezoid(generator):
    y = generator.standard_normal((3, 6)).astype(np.float32)
    x = np.sort(generator.uniform(0, 2, 6)).astype(np.float32)
    eq(jnp.trapezoid(y), np.trapezoid(y), rtol=1e-5)
    eq(jnp.trapezoid(y, x=x), np.trapezoid(y, x=x), rtol=1e-5)
    eq(jnp.trapezoid(y, dx=0.5, axis=0), np.trapezoid(y, dx=0.5, axis=0), rtol=1e-5)


def test_triangle_and_diagonal_indices():
    for k in (-1, 0, 2):
        eq(jnp.tril_indices(4, k), np.tril_indices(4, k))
        eq(jnp.triu_indices(4, k, 5), np.triu_indices(4, k, 5))
    a = np.zeros((3, 5))
    eq(jnp.tril_indices_from(a, 1), np.tril_indices_from(a, 1))
    eq(jnp.triu_indices_from(a), np.triu_indices_from(a))
    eq(jnp.diag_indices(3, 3), np.diag_indices(3, 3))
    eq(jnp.diag_indices_from(np.zeros((2, 2))), np.diag_indices_from(np.zeros((2, 2))))
    with pytest.raises(ValueError, match="tril_indices_from"):
        jnp.tril_indices_from(np.zeros(3))
    with pytest.raises(ValueError, match="diag_indices_from"):
        jnp.diag_indices_from(np.zeros((2, 3)))


def test_fmax_fmin_modf_select():
    x = np.array([1.0, np.nan, -2.0, np.nan, 0.5], np.float32)
    y = np.array([np.nan, 3.0, -1.0, np.nan, 0.25], np.float32)
    eq(jnp.fmax(x, y), np.fmax(x, y))
    eq(jnp.fmin(x, y), np.fmin(x, y))
    z = np.array([2.5, -1.25, 0.0, np.inf, -np.inf, 3.0], np.float32)
    frac, whole = jnp.modf(z)
    rf, rw = np.modf(z)
    eq((frac, whole), (rf, rw))
    assert np.array_equal(np.signbit(np.asarray(frac)), np.signbit(rf))
    v = np.arange(6.0)
    conds, choices = [v < 2, v > 3], [v, v ** 2]
    eq(jnp.select(conds, choices, default=-1.0), np.select(conds, choices, default=-1.0))
    with pytest.raises(ValueError, match="select"):
        jnp.select([v < 2], [v, v])
    g = jitnet.grad(lambda t: jnp.sum(jnp.select([t < 2, t > 3], [t, t ** 2])))(v)
    eq(g, np.select(conds, [np.ones(6), 2 * v]))
