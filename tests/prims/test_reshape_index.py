"""The reshape index map the fused loops read through (``prims.shape._reshape_index``):
per run of dims with equal products, against NumPy's row-major ravel/unravel, with literal
and run-time (``Dim``) sizes, and fused reshapes in compiled programs against NumPy."""
from types import SimpleNamespace

import numpy as np
import pytest

import jitnet
import jitnet.numpy as jnp
from jitnet.codegen.dims import Dim
from jitnet.prims.shape import _reshape_index

SHAPES = [  # (operand, result): splits, merges, runs across both, size-1 dims, primes
    ((6, 4), (24,)), ((24,), (2, 3, 4)), ((6, 4), (4, 6)), ((6, 4), (3, 8)),
    ((2, 3, 28, 28), (2, 3, 14, 2, 14, 2)), ((2, 3, 14, 2, 14, 2), (2, 3, 28, 28)),
    ((2, 3, 14, 14), (2, 588)), ((1, 5, 1, 7), (35, 1)), ((1, 1), (1,)), ((7,), (1, 7, 1)),
    ((4, 9, 5), (6, 6, 5)), ((2, 6, 5), (3, 4, 5)), ((3, 1, 10), (30,)), ((5, 13), (13, 5)),
]


def _eqn(src, out):
    def var(shape):
        return SimpleNamespace(aval=SimpleNamespace(shape=shape))
    return SimpleNamespace(inputs=[var(src)], outputs=[var(out)])


def _check_all(src, out, env=None):
    """Every output index: the text's operand index equals NumPy's ravel/unravel."""
    names = tuple(f"i{d}" for d in range(len(out)))
    text = _reshape_index(_eqn(src, out), names)
    code = compile("(" + ", ".join(text) + ",)", "<index>", "eval")
    plain_src, plain_out = tuple(int(d) for d in src), tuple(int(d) for d in out)
    for idx in np.ndindex(*plain_out):
        want = np.unravel_index(np.ravel_multi_index(idx, plain_out), plain_src)
        got = eval(code, {}, dict(zip(names, idx), **(env or {})))  # noqa: S307 - own text
        assert tuple(int(g) for g in got) == tuple(int(w) for w in want), (src, out, idx)


@pytest.mark.parametrize("src,out", SHAPES)
def test_index_matches_numpy_ravel(src, out):
    _check_all(src, out)


def test_random_reshapes_match_numpy_ravel():
    rng = np.random.default_rng(11)
    factors = [1, 2, 3, 5, 7]
    for _ in range(60):
        f = list(rng.choice(factors, size=rng.integers(1, 6)))
        src = [int(np.prod(p)) for p in np.array_split(f, rng.integers(1, len(f) + 1))]
        perm = [f[i] for i in rng.permutation(len(f))]  # regrouped in another order
        out = [int(np.prod(p)) for p in np.array_split(perm, rng.integers(1, len(f) + 1))]
        _check_all(tuple(src), tuple(out))


def test_run_time_sizes_match_numpy_ravel():
    """A leading size read at run time (``Dim``): the same text for every batch."""
    for n in (2, 3, 5):
        b = Dim(n, "S0")
        env = {"S0": n}
        _check_all((b, 3, 4, 4), (b, 3, 2, 2, 2, 2), env)
        _check_all((b, 3, 2, 2, 2, 2), (b, 3, 4, 4), env)
        _check_all((b, 3, 4, 4), (b, 48), env)
        _check_all((b, 6), (b * 3, 2), env)


def test_split_and_merge_index_per_dim_group():
    """Pool tiles: each operand dim reads only the result dims of its own group, with no
    offset over the whole array (no division by the batch's stride)."""
    idx = ("i0", "i1", "i2", "i3", "i4", "i5")
    split = _reshape_index(_eqn((64, 32, 28, 28), (64, 32, 14, 2, 14, 2)), idx)
    assert split == ("i0", "i1", "(i2 * 2 + i3)", "(i4 * 2 + i5)")
    merged = _reshape_index(_eqn((64, 32, 14, 2, 14, 2), (64, 32, 28, 28)), idx[:4])
    assert merged == ("i0", "i1", "(i2 // 2)", "(i2 % 2)", "(i3 // 2)", "(i3 % 2)")


@pytest.mark.parametrize("src,out", [s for s in SHAPES if len(s[0]) > 1 or len(s[1]) > 1])
def test_fused_reshape_in_compiled_program(src, out):
    rng = np.random.default_rng(12)
    x = rng.standard_normal(src).astype(np.float32)
    y = rng.standard_normal(out).astype(np.float32)
    got = jitnet.jit(lambda a, b: jnp.reshape(a * 2.0, out) * b)(x, y)
    np.testing.assert_allclose(np.asarray(got), np.reshape(x * 2.0, out) * y, rtol=1e-6)
