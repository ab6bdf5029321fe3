"""jit (the Numba lowering of the linalg primitives) against eager (their NumPy impls).

Each test jits one function covering several shapes, dtypes or flag combinations, so the
number of compiled programs stays small. Results are compared without any sign
normalization: eigenvectors and singular vectors must come out exactly as eager gives them.
"""
import itertools
import os
import subprocess
import sys

import numpy as np
import pytest

import jitnet
import jitnet.numpy as jnp
from jitnet.prims import linalg as pl
from jitnet.runtime.numba_backend import JitCompileError
from jitnet.testing import assert_same


def _jit_matches_eager(f, *args):
    want = f(*args)
    got = jitnet.jit(f)(*args)
    assert_same(got, want)
    return got


def _spd(rng, *shape, dtype=np.float64):
    a = rng.standard_normal(shape)
    return (a @ np.swapaxes(a, -1, -2) + shape[-1] * np.eye(shape[-1])).astype(dtype)


# -- cholesky ------------------------------------------------------------------------------

def test_cholesky_batched_unbatched_failures_and_lower_triangle(x64, rng):
    batched = _spd(rng, 2, 3, 4, 4, dtype=np.float32)
    lower_only = np.tril(_spd(rng, 5, 5)) + np.triu(rng.standard_normal((5, 5)), 1) * 10
    failing = _spd(rng, 4, 3, 3, dtype=np.float32)
    failing[0] = -np.eye(3)                 # fails at the first column
    failing[2] = np.diag([1.0, 1.0, -1.0])  # fails at the last one
    failing[3, 1, 1] = np.nan               # whatever LAPACK makes of it, as eager
    out = _jit_matches_eager(lambda a, b, c: (pl.cholesky(a), pl.cholesky(b), pl.cholesky(c)),
                             batched, lower_only, failing)
    np.testing.assert_allclose(out[1], np.linalg.cholesky(np.tril(lower_only) +
                                                         np.tril(lower_only, -1).T), rtol=1e-12)
    bad = np.asarray(out[2])
    tri = np.tri(3, dtype=bool)
    assert np.isnan(bad[0][tri]).all() and np.isnan(bad[2][tri]).all()
    assert (bad[0][~tri] == 0).all() and (bad[2][~tri] == 0).all()
    assert np.isfinite(bad[1]).all()
    assert np.isnan(bad[3]).any()


# -- lu ------------------------------------------------------------------------------------

def test_lu_square_tall_wide_singular_and_pivoting(x64, rng):
    square = rng.standard_normal((2, 4, 4)).astype(np.float32)
    tall = rng.standard_normal((6, 3))
    wide = rng.standard_normal((2, 3, 5)).astype(np.float32)
    singular = rng.standard_normal((4, 4))
    singular[:, 1] = 0           # a zero pivot: U gets a zero on its diagonal
    singular[3] = singular[0]    # and a repeated row
    swaps = np.array([[0.0, 1, 2], [1, 0, 0], [0, 3, 1]])  # pivoting needed at every step
    out = _jit_matches_eager(lambda *xs: [pl.lu(x) for x in xs],
                             square, tall, wide, singular, swaps)
    for (lu, piv, perm), x in zip(out, (square, tall, wide, singular, swaps)):
        assert piv.dtype == perm.dtype == np.int32
        m, n = x.shape[-2:]
        k = min(m, n)
        lower = np.tril(lu[..., :, :k], -1) + np.eye(m, k)
        upper = np.triu(lu[..., :k, :])
        np.testing.assert_allclose(np.take_along_axis(x, perm[..., None], -2), lower @ upper,
                                   rtol=1e-5, atol=1e-5)
    assert out[3][0][1, 1] == 0
    assert (out[4][2] != np.arange(3)).any()


# -- triangular_solve ---------------------------------------------------------------------

_FLAGS = list(itertools.product([True, False], repeat=4))  # left, lower, transpose_a, unit


def _all_solves(a, b_left, b_right):
    return [pl.triangular_solve(a, b_left if left else b_right, left_side=left, lower=lower,
                                transpose_a=trans, unit_diagonal=unit)
            for left, lower, trans, unit in _FLAGS]


@pytest.mark.parametrize("dtype,batch", [(np.float32, (2,)), (np.float64, ())])
def test_triangular_solve_all_flag_combinations(x64, rng, dtype, batch):
    # both triangles and the diagonal hold data, so reading the wrong part changes the result
    a = rng.standard_normal(batch + (4, 4)) + 4 * np.eye(4)
    b_left = rng.standard_normal(batch + (4, 3))
    b_right = rng.standard_normal(batch + (3, 4))
    args = [x.astype(dtype) for x in (a, b_left, b_right)]
    out = _jit_matches_eager(_all_solves, *args)
    assert len({np.asarray(o).tobytes() for o in out}) == len(_FLAGS)


def test_triangular_solve_singular_gives_infs_and_nans(x64):
    a = np.triu(np.ones((3, 3)))
    a[1, 1] = 0.0
    b = np.array([[1.0, 0.0], [2.0, 0.0], [3.0, 0.0]])  # 2/0 then 0/0
    out = _jit_matches_eager(
        lambda a, b, a32, b32: (pl.triangular_solve(a, b, left_side=True, lower=False),
                                pl.triangular_solve(a32, b32.T, left_side=False, lower=False,
                                                    transpose_a=True)),
        a, b, a.astype(np.float32), b.astype(np.float32))
    for o in out:
        assert np.isinf(o).any() and np.isnan(o).any()


# -- eigh, qr, svd -------------------------------------------------------------------------

@pytest.mark.slow
def test_eigh_lower_and_upper_batched_float32_float64(x64, rng):
    a32 = rng.standard_normal((2, 5, 5)).astype(np.float32)  # not symmetric: the flag matters
    a64 = rng.standard_normal((4, 4))
    out = _jit_matches_eager(lambda a, b: (pl.eigh(a, True), pl.eigh(a, False),
                                           pl.eigh(b, True), pl.eigh(b, False)), a32, a64)
    assert not np.allclose(out[0][1], out[1][1]) and not np.allclose(out[2][1], out[3][1])


def test_qr_full_and_reduced_tall_wide_square(x64, rng):
    tall = rng.standard_normal((2, 6, 4)).astype(np.float32)
    wide = rng.standard_normal((4, 6))
    square = rng.standard_normal((3, 3)).astype(np.float32)
    _jit_matches_eager(lambda *xs: [pl.qr(x, full) for x in xs for full in (True, False)],
                       tall, wide, square)


def test_svd_full_reduced_and_values_only(x64, rng):
    tall = rng.standard_normal((2, 5, 3)).astype(np.float32)
    wide = rng.standard_normal((3, 6))
    _jit_matches_eager(
        lambda *xs: [pl.svd(x, full, uv) for x in xs
                     for full, uv in ((True, True), (False, True), (False, False))],
        tall, wide)


def test_svd_that_does_not_converge_gives_nans_for_that_matrix_only(rng):
    # eager raises LinAlgError here (np.linalg.svd); compiled code returns NaNs, as XLA does
    a = rng.standard_normal((2, 3, 3)).astype(np.float32)
    a[1, 0, 0] = np.nan
    s, u, vt = jitnet.jit(lambda x: pl.svd(x))(a)
    assert np.isnan(s[1]).all() and np.isnan(u[1]).all() and np.isnan(vt[1]).all()
    np.testing.assert_allclose(s[0], np.linalg.svd(a[0], compute_uv=False), rtol=1e-5)


def test_empty_matrices_and_batches(x64):
    args = (np.zeros((0, 0)), np.zeros((3, 0)), np.zeros((0, 2, 2), np.float32),
            np.zeros((2, 0, 3), np.float32))

    def f(sq, tall, batch0, wide):
        return (pl.cholesky(sq), pl.cholesky(batch0), pl.lu(tall), pl.lu(wide),
                pl.triangular_solve(sq, tall, left_side=False), pl.eigh(batch0),
                pl.qr(tall, True), pl.qr(tall, False), pl.qr(wide, True),
                pl.svd(tall, True), pl.svd(wide, False), pl.svd(tall, False, False))
    _jit_matches_eager(f, *args)


# -- transforms under jit ------------------------------------------------------------------

def test_jnp_linalg_under_jit(rng):
    a = rng.standard_normal((2, 4, 4)).astype(np.float32)
    b = rng.standard_normal((2, 4, 3)).astype(np.float32)

    def f(a, b):
        spd = a @ jnp.swapaxes(a, -1, -2) + 4 * jnp.eye(4)
        return (jnp.linalg.solve(a, b), jnp.linalg.cholesky(spd),
                jnp.linalg.eigh(spd), jnp.linalg.eigvalsh(spd, UPLO="U"), jnp.linalg.qr(a),
                jnp.linalg.svd(a), jnp.linalg.norm(a, 2, axis=(-2, -1)))
    _jit_matches_eager(f, a, b)


@pytest.mark.slow
def test_det_slogdet_and_grads_of_solve_inv_det_slogdet_cholesky_under_jit(rng):
    a = (rng.standard_normal((4, 4)) + 4 * np.eye(4)).astype(np.float32)
    b = rng.standard_normal((4, 2)).astype(np.float32)
    fns = [lambda a: jnp.sum(jnp.linalg.solve(a, b) ** 2),
           lambda a: jnp.sum(jnp.linalg.inv(a) * b[:, :1]),
           lambda a: jnp.linalg.det(a),
           lambda a: jnp.linalg.slogdet(a)[1],
           lambda a: jnp.sum(jnp.linalg.cholesky(a @ a.T) * jnp.arange(4.0))]

    def f(a):
        return [jnp.linalg.det(a), jnp.linalg.slogdet(a)] + [jitnet.grad(g)(a) for g in fns]
    want = f(a)
    got = jitnet.jit(f)(a)
    assert_same(got[:2], want[:2])
    for g, w in zip(got[2:], want[2:]):
        assert np.asarray(g).dtype == np.float32 and np.abs(np.asarray(w)).max() > 1e-3
        np.testing.assert_allclose(np.asarray(g), np.asarray(w), rtol=2e-4, atol=2e-5)


def test_vmap_under_jit(rng):
    def f(a, b):
        spd = a @ a.T + 4 * jnp.eye(4)
        lu, piv, perm = pl.lu(a)
        return (pl.cholesky(spd), lu, piv, perm, pl.triangular_solve(a, b, left_side=True),
                pl.eigh(spd), pl.qr(a), pl.svd(a, False))
    a = rng.standard_normal((3, 4, 4)).astype(np.float32)
    b = rng.standard_normal((4, 2)).astype(np.float32)
    g = jitnet.vmap(f, in_axes=(0, None))
    got = jitnet.jit(g)(a, b)
    assert_same(got, g(a, b))
    assert_same(got[:4], [np.stack(x) for x in zip(*[f(a[i], b)[:4] for i in range(3)])])


_CACHED_RUN = """
import numpy as np, jitnet
from jitnet.prims import linalg as pl
jitnet.config.update("jax_enable_x64", True)
a = np.array([[4.0, 1.0], [1.0, 3.0]])
f = jitnet.jit(lambda a: (pl.cholesky(a), pl.eigh(a.astype(np.float32))))
c, (v, w) = f(a)
assert np.allclose(c @ c.T, a) and np.allclose((v * w) @ v.T, a, atol=1e-5)
print(f.lower(a).compile().fn.was_cached)
"""


@pytest.mark.slow
def test_lapack_calls_survive_the_disk_cache(tmp_path):
    """A second process loads the machine code, whose LAPACK symbols must still resolve."""
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    # a fixed hash seed: the generated header prints the fastmath set in hash order, so two
    # processes can write different sources for one program (a core issue)
    env = dict(os.environ, JITNET_CACHE_DIR=str(tmp_path), PYTHONHASHSEED="0",
               PYTHONPATH=root + os.pathsep + os.environ.get("PYTHONPATH", ""))
    runs = [subprocess.run([sys.executable, "-c", _CACHED_RUN], env=env, capture_output=True,
                           text=True) for _ in range(2)]
    for r in runs:
        assert r.returncode == 0, r.stderr
    assert [r.stdout.split() for r in runs] == [["False"], ["True"]]
