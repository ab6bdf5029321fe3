"""Launch configurations: sizes 0, 1 and prime, and sizes larger than one grid (forced with
small launch limits), against eager NumPy results (simulator)."""
import re

import numpy as np
import pytest

import jitnet
import jitnet.numpy as jnp
from jitnet import lax
from jitnet.codegen.cuda.gen import Limits, block_threads, launch_1d
from jitnet.runtime.cuda_backend import current_limits, launch_limits


@pytest.mark.parametrize("lim", [Limits(), Limits(max_threads=64, max_blocks=3)])
@pytest.mark.parametrize("n", [1, 2, 31, 32, 33, 97, 1000, 10**7])
def test_launch_1d_covers_n_within_limits(n, lim):
    blocks, threads = launch_1d(n, lim)
    assert 1 <= threads <= lim.max_threads and threads % min(32, lim.max_threads) == 0
    assert 1 <= blocks <= lim.max_blocks
    assert blocks * threads >= n or blocks == lim.max_blocks  # else grid-stride loops
    assert (blocks - 1) * threads < n                          # no block without work
    t = block_threads(n, lim)
    assert t & (t - 1) == 0 and t <= lim.max_threads


def _programs(n):
    """(name, function, args) exercising every kind of kernel at size ``n``."""
    rng = np.random.RandomState(n)
    p = min(n, 13)  # matrix dims: a smaller prime (simulated blocks run at Python speed)
    x = rng.randn(n).astype(np.float32)
    m = rng.randn(3, n).astype(np.float32)
    a, b = rng.randn(n, 3).astype(np.float32), rng.randn(3, n).astype(np.float32)
    c, d = rng.randn(p, 3).astype(np.float32), rng.randn(3, p).astype(np.float32)
    big = rng.randn(p, 40).astype(np.float32)
    idx = rng.randint(0, max(n, 1), (5,)).astype(np.int32)
    progs = [
        ("elementwise", lambda x: jnp.sin(x) * 2.0 + x[::-1], (x,)),
        ("full_sum_prod", lambda x: (jnp.sum(x * x), jnp.prod(x)), (x,)),
        ("reduce_axes", lambda m: (jnp.sum(m, axis=0), jnp.max(m, axis=1, initial=-1.0)), (m,)),
        ("reduce_rows", lambda big: jnp.sum(big, axis=1), (big,)),  # block-per-output tree
        ("matmul_k", lambda b, a: b @ a, (b, a)),          # contraction over n (0: zeros)
        ("matmul_mn", lambda c, d: c @ d, (c, d)),         # p x p output
        ("cumsum", lambda x: jnp.cumsum(x), (x,)),
        ("sort", lambda x: jnp.sort(x), (x,)),
        ("concat_pad", lambda x: jnp.pad(jnp.concatenate([x, x[:1]]), (2, 1)), (x,)),
    ]
    if n:
        progs += [
            ("argmax", lambda m: jnp.argmax(m, axis=1), (m,)),
            ("gather_scatter", lambda x, i: (x[i], x.at[i].add(1.0), x.at[i].set(-x[i])),
             (x, idx)),
        ]
    return progs


def _check(name, f, args, tol=1e-5):
    want = f(*[jnp.asarray(a) for a in args])  # eager: the NumPy reference
    got = jitnet.jit(f, backend="cuda")(*args)
    for g, w in zip(jitnet.tree_leaves(got), jitnet.tree_leaves(want)):
        g, w = np.asarray(g), np.asarray(w)
        assert g.shape == w.shape and g.dtype == w.dtype, name
        np.testing.assert_allclose(g, w, rtol=tol, atol=tol, err_msg=name)


@pytest.mark.parametrize("n", [0, 1, 97])
def test_sizes_zero_one_and_prime(n):
    for name, f, args in _programs(n):
        _check(name, f, args)


def test_larger_than_one_grid():
    """Two blocks of 32 threads, 4x4 matmul tiles, one element per thread before a reduction
    splits: every kernel has to loop over more work than one grid covers."""
    with launch_limits(max_blocks=2, max_threads=32, tile=4, items=1):
        for name, f, args in _programs(97):
            _check(name, f, args)
        x = np.random.RandomState(0).randn(300).astype(np.float32)
        src = jitnet.jit(lambda x: jnp.sum(jnp.exp(x)), backend="cuda").lower(x).source()
        assert "combine 2 partials" in src          # split over 2 blocks, then a second pass
        launches = re.findall(r"k\d+\[(\d+), (\d+|\(\d+, \d+\))\]", src)
        assert launches and all(int(b) <= 2 for b, _ in launches)
        _check("split_sum", lambda x: jnp.sum(jnp.exp(x)), (x,), tol=1e-4)
    assert current_limits() == Limits()


def test_limits_select_their_own_module():
    f = jitnet.jit(lambda x: x + 1.0, backend="cuda")
    x = np.zeros(200, np.float32)
    default = f.lower(x).source()
    with launch_limits(max_blocks=1, max_threads=32):
        small = f.lower(x).source()
        np.testing.assert_array_equal(np.asarray(f(x)), x + 1)
    assert "[1, 32]" in small and "[1, 224]" in default


def test_scalar_programs():
    """0-d inputs and outputs (one-element buffers), literal outputs, passthrough outputs."""
    f = jitnet.jit(lambda s, v: (s * 2.0, 3.0, v, lax.reduce_max(v, (0,))), backend="cuda")
    s, v = np.float32(1.5), np.arange(4, dtype=np.float32)
    out = f(s, v)
    assert [np.asarray(o).shape for o in out] == [(), (), (4,), ()]
    assert float(out[0]) == 3.0 and float(out[1]) == 3.0 and float(out[3]) == 3.0
    np.testing.assert_array_equal(np.asarray(out[2]), v)
