"""CPU code generation (``jitnet/codegen/cpu/``) on programs far larger than usual."""
import re
import sys

import numpy as np
import pytest

import jitnet as jax
import jitnet.numpy as jnp


def _chain(n):
    """n elementwise ops in one dependency chain (one fused loop kernel)."""
    def f(x):
        for i in range(n):
            x = x * 1.0009765625 if i % 2 == 0 else x + 0.25
        return x
    return f


def _chain_reference(x, n):
    x = np.asarray(x, np.float32)
    for i in range(n):
        x = x * np.float32(1.0009765625) if i % 2 == 0 else x + np.float32(0.25)
    return x


def test_ten_thousand_op_chain_generates_code():
    # the expression DAG of one kernel used to be walked by recursion, two Python frames
    # per op: ~500 ops raised RecursionError. Code generation only (Numba is not run here).
    n = 10_000
    assert n > 2 * sys.getrecursionlimit()
    src = jax.jit(_chain(n)).lower(jnp.ones(4)).source()
    assert len(re.findall(r"= .*# mul$", src, re.M)) == n // 2
    assert len(re.findall(r"= .*# add$", src, re.M)) == n // 2


@pytest.mark.slow
def test_long_chain_compiles_and_matches_numpy():
    n = 1_500  # three times the length that used to overflow the stack
    x = np.linspace(-2, 2, 16, dtype=np.float32)
    got = jax.jit(_chain(n))(x)
    np.testing.assert_array_equal(np.asarray(got), _chain_reference(x, n))
