"""jitnet.scipy.linalg against scipy.linalg, plus derivatives (check_grads, float64)."""
import numpy as np
import pytest
import scipy.linalg as sl

import jitnet
import jitnet.numpy as jnp
from jitnet.scipy import linalg as jsl
from jitnet.testing import check_grads

_IMPORT_RNG = np.random.RandomState(0)
A = _IMPORT_RNG.randn(4, 4)
SPD = A @ A.T + 4 * np.eye(4)
B = _IMPORT_RNG.randn(4, 2)
V = _IMPORT_RNG.randn(4)


def close(a, b, rtol=1e-10):
    np.testing.assert_allclose(np.asarray(a), b, rtol=rtol, atol=rtol)


def test_cholesky_family(x64):
    close(jsl.cholesky(SPD), sl.cholesky(SPD))
    close(jsl.cholesky(SPD, lower=True), sl.cholesky(SPD, lower=True))
    for lower in (False, True):
        cf = jsl.cho_factor(SPD, lower=lower)
        assert cf[1] is lower
        close(jsl.cho_solve(cf, B), sl.cho_solve(sl.cho_factor(SPD, lower=lower), B))
        close(jsl.cho_solve(cf, V), sl.cho_solve(sl.cho_factor(SPD, lower=lower), V))


@pytest.mark.parametrize("trans", [0, 1, "T"])
@pytest.mark.parametrize("lower", [False, True])
def test_solve_triangular(x64, trans, lower):
    T = np.tril(A) + 3 * np.eye(4) if lower else np.triu(A) + 3 * np.eye(4)
    close(jsl.solve_triangular(T, B, trans=trans, lower=lower),
          sl.solve_triangular(T, B, trans=trans, lower=lower))
    close(jsl.solve_triangular(T, V, trans=trans, lower=lower, unit_diagonal=True),
          sl.solve_triangular(T, V, trans=trans, lower=lower, unit_diagonal=True))


def test_lu_family(x64, generator):
    p, l_, u = jsl.lu(A)
    for got, want in zip((p, l_, u), sl.lu(A)):
        close(got, want)
    pl_, u2 = jsl.lu(A, permute_l=True)
    close(pl_, sl.lu(A, permute_l=True)[0])
    wide = generator.standard_normal((3, 5))
    for got, want in zip(jsl.lu(wide), sl.lu(wide)):
        close(got, want)
    lu, piv = jsl.lu_factor(A)
    lu_ref, piv_ref = sl.lu_factor(A)
    close(lu, lu_ref)
    np.testing.assert_array_equal(np.asarray(piv), piv_ref)
    for trans in (0, 1, 2):
        close(jsl.lu_solve((lu, piv), B, trans=trans), sl.lu_solve((lu_ref, piv_ref), B, trans=trans))
    close(jsl.lu_solve((lu, piv), V), sl.lu_solve((lu_ref, piv_ref), V))


def test_lu_pivots_to_permutation_traced():
    piv = np.array([2, 2, 3, 3], np.int32)
    expected = np.arange(5)
    for i, j in enumerate(piv):
        expected[[i, j]] = expected[[j, i]]
    out = jitnet.jit(lambda p: jitnet.lax.linalg.lu_pivots_to_permutation(p, 5))(piv)
    np.testing.assert_array_equal(np.asarray(out), expected)


def test_solve_inv_det(x64):
    close(jsl.solve(A, B), sl.solve(A, B))
    close(jsl.solve(SPD, B, assume_a="pos"), sl.solve(SPD, B, assume_a="pos"))
    close(jsl.inv(A), sl.inv(A))
    close(jsl.det(A), sl.det(A))


def test_decompositions(x64, generator):
    w, v = jsl.eigh(SPD)
    close(w, sl.eigh(SPD)[0])
    close(np.asarray(v) @ np.diag(np.asarray(w)) @ np.asarray(v).T, SPD)
    close(jsl.eigh(SPD, eigvals_only=True), sl.eigh(SPD, eigvals_only=True))
    tall = generator.standard_normal((5, 3))
    for mode in ("full", "economic"):
        q, r = jsl.qr(tall, mode=mode)
        q_ref, r_ref = sl.qr(tall, mode=mode)
        assert q.shape == q_ref.shape and r.shape == r_ref.shape
        close(np.asarray(q) @ np.asarray(r), tall)
        close(np.abs(np.asarray(r)), np.abs(r_ref))  # unique up to the signs of the rows
    (r,) = jsl.qr(tall, mode="r")
    close(np.abs(np.asarray(r)), np.abs(sl.qr(tall, mode="r")[0]))
    u, s, vh = jsl.svd(tall, full_matrices=False)
    close(s, sl.svd(tall, compute_uv=False))
    close(np.asarray(u) * np.asarray(s) @ np.asarray(vh), tall)
    close(jsl.svd(tall, compute_uv=False), sl.svd(tall, compute_uv=False))


def test_block_diag():
    blocks = (np.ones((2, 2)), np.float32(3.0), np.arange(3), np.zeros((1, 0)))
    close(jsl.block_diag(*blocks), sl.block_diag(*blocks))
    with pytest.raises(ValueError, match="block_diag"):
        jsl.block_diag(np.ones((2, 2, 2)))


@pytest.mark.parametrize("scale", [0.01, 1.0, 30.0])
def test_expm(x64, scale, generator):
    M = generator.standard_normal((5, 5)) * scale
    close(jsl.expm(M), sl.expm(M), rtol=1e-12 if scale < 10 else 1e-9)
    close(jsl.expm(np.stack([M, -M])), np.stack([sl.expm(M), sl.expm(-M)]), rtol=1e-9)


def test_expm_float32(generator):
    M = (generator.standard_normal((4, 4))).astype(np.float32)
    out = jsl.expm(M)
    assert out.dtype == np.float32
    np.testing.assert_allclose(np.asarray(out), sl.expm(M.astype(np.float64)), rtol=2e-5,
                               atol=2e-5)


def test_grads(x64, generator):
    check_grads(lambda s: jsl.cho_solve(jsl.cho_factor(s @ s.T + 4 * jnp.eye(4)), B),
                (A,), order=1)
    check_grads(lambda a, b: jsl.solve_triangular(a, b, lower=True, trans=1),
                (np.tril(A) + 3 * np.eye(4), B), order=1)
    check_grads(lambda a, b: jsl.lu_solve(jsl.lu_factor(a), b), (A, B), order=1)
    check_grads(lambda a: jsl.expm(a), (generator.standard_normal((3, 3)),), order=1)
    check_grads(lambda a: jsl.expm(a), (generator.standard_normal((3, 3)) * 8,), order=1,
                modes=("rev",))


def test_errors():
    with pytest.raises(ValueError, match="cho_solve.*b must"):
        jsl.cho_solve(jsl.cho_factor(SPD), np.ones(3))
    with pytest.raises(ValueError, match="solve_triangular.*trans"):
        jsl.solve_triangular(SPD, V, trans=5)
    with pytest.raises(ValueError, match="expm.*square"):
        jsl.expm(np.ones((2, 3)))
    with pytest.raises(NotImplementedError, match="eigh.*b=None"):
        jsl.eigh(SPD, SPD)
