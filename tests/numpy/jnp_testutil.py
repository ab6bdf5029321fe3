"""Helpers for the jitnet.numpy tests: random inputs, comparison with NumPy, JAX's dtype rules.

Reference values always come from NumPy, computed in the test. Expected dtypes follow JAX's
promotion table, read from tests/core/jax_promotion_tables.txt (data computed with JAX).
"""
from __future__ import annotations

import contextlib
import pathlib

import numpy as np

import jitnet
import jitnet.numpy as jnp
from jitnet.core.pytree import tree_flatten, tree_unflatten

TABLES_PATH = pathlib.Path(__file__).resolve().parents[1] / "core" / "jax_promotion_tables.txt"

CODE_DTYPES = {"b1": np.bool_, "u1": np.uint8, "u2": np.uint16, "u4": np.uint32,
               "u8": np.uint64, "i1": np.int8, "i2": np.int16, "i4": np.int32, "i8": np.int64,
               "f2": np.float16, "f4": np.float32, "f8": np.float64, "c8": np.complex64,
               "c16": np.complex128}
CODE_DTYPES = {k: np.dtype(v) for k, v in CODE_DTYPES.items()}
WEAK_CODES = {"i*": int, "f*": float, "c*": complex}


def load_tables():
    """{section name: {(row code, col code): (dtype, weak)}} from the reference file."""
    tables, name, cols = {}, None, None
    for line in TABLES_PATH.read_text().splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        if line.startswith("["):
            name = line.strip()[1:-1]
            tables[name] = {}
            cols = None
            continue
        parts = line.split()
        if cols is None:
            cols = parts
            continue
        row, cells = parts[0], parts[1:]
        assert len(cells) == len(cols), line
        for c, v in zip(cols, cells):
            weak = v.endswith("*")
            tables[name][(row, c)] = (CODE_DTYPES[v.rstrip("*")], weak)
    return tables


TABLES = load_tables()


def code_of(dtype, weak=False) -> str:
    d = np.dtype(dtype)
    if weak:
        return {"i": "i*", "u": "i*", "f": "f*", "c": "c*"}[d.kind]
    return {v: k for k, v in CODE_DTYPES.items()}[d]


def x64() -> bool:
    return bool(jitnet.config.read("jax_enable_x64"))


def jax_result(*specs):
    """JAX's (dtype, weak) for operands given as dtypes, (dtype, weak) pairs or Python types."""
    table = TABLES[f"result_type x64={x64()}"]
    code = None
    for s in specs:
        if s in (int, float, complex):
            c = {int: "i*", float: "f*", complex: "c*"}[s]
        elif isinstance(s, tuple):
            c = code_of(*s)
        else:
            c = code_of(s)
        if code is None:  # a lone operand: join with itself
            code = c
            d, w = table[(c, c)]
            code = code_of(d, w)
        else:
            d, w = table[(code, c)]
            code = code_of(d, w)
    return d, w


def jax_dtype(*specs):
    return jax_result(*specs)[0]


def default_float():
    return np.dtype(np.float64 if x64() else np.float32)


def default_int():
    return np.dtype(np.int64 if x64() else np.int32)


# JAX's to_inexact_dtype (jax._src.dtypes._dtype_to_inexact): width, not the x64 flag, decides
_TO_INEXACT = {"b": np.float32, "i1": np.float32, "i2": np.float32, "i4": np.float32,
               "i8": np.float64, "u1": np.float32, "u2": np.float32, "u4": np.float32,
               "u8": np.float64}


def inexact_of(dtype):
    """JAX's dtype for an op that needs an inexact type (sin, divide, mean...)."""
    d = np.dtype(dtype)
    if d.kind in "fc":
        return d
    return np.dtype(_TO_INEXACT["b" if d.kind == "b" else f"{d.kind}{d.itemsize}"])


def numeric_of(dtype):
    """JAX's dtype for arithmetic without a boolean meaning (floor_divide, power...)."""
    d = np.dtype(dtype)
    return np.dtype(np.int32) if d == np.bool_ else d


enable_x64 = jitnet.enable_x64


# -- inputs ---------------------------------------------------------------------------

INT_DTYPES = [np.int8, np.int16, np.int32, np.uint8, np.uint16, np.uint32]
FLOAT_DTYPES = [np.float16, np.float32]
ALL_DTYPES = [np.bool_] + INT_DTYPES + FLOAT_DTYPES


def rand(rng, shape, dtype=np.float32, low=None, high=None):
    """Random NumPy data of ``dtype``; ints drawn small enough not to overflow in sums."""
    dtype = np.dtype(dtype)
    shape = tuple(shape) if not isinstance(shape, int) else (shape,)
    if dtype == np.bool_:
        return rng.random(shape) < 0.5
    if dtype.kind in "iu":
        lo = (0 if dtype.kind == "u" else -5) if low is None else low
        hi = 6 if high is None else high
        return rng.integers(lo, hi, shape).astype(dtype)
    if dtype.kind == "c":
        return (rng.standard_normal(shape) + 1j * rng.standard_normal(shape)).astype(dtype)
    if low is not None or high is not None:
        lo = -1.0 if low is None else low
        hi = 1.0 if high is None else high
        return rng.uniform(lo, hi, shape).astype(dtype)
    return rng.standard_normal(shape).astype(dtype)


# -- checks ---------------------------------------------------------------------------

def tolerance(dtype):
    d = np.dtype(dtype)
    if d == np.float16:
        return dict(rtol=2e-3, atol=2e-3)
    if d in (np.float32, np.complex64):
        return dict(rtol=2e-5, atol=2e-6)
    if d.kind in "fc":
        return dict(rtol=1e-12, atol=1e-13)
    return dict(rtol=0, atol=0)


def check(out, expected, dtype=None, weak=None, rtol=None, atol=None, shape=None):
    """``out`` is a jitnet array equal (NaNs equal) to NumPy's ``expected`` with ``dtype``."""
    assert isinstance(out, jitnet.Array), f"expected a jitnet array, got {type(out).__name__}"
    got = np.asarray(out)
    exp = np.asarray(expected)
    assert got.shape == exp.shape, f"shape {got.shape} != expected {exp.shape}"
    if shape is not None:
        assert got.shape == tuple(shape)
    if dtype is not None:
        assert got.dtype == np.dtype(dtype), f"dtype {got.dtype} != expected {np.dtype(dtype)}"
    if weak is not None:
        assert bool(out.weak_type) == bool(weak), f"weak_type {out.weak_type} != {weak}"
    tol = tolerance(got.dtype)
    if rtol is not None:
        tol["rtol"] = rtol
    if atol is not None:
        tol["atol"] = atol
    if got.dtype.kind in "fc" or exp.dtype.kind in "fc":
        np.testing.assert_allclose(got.astype(np.complex128 if got.dtype.kind == "c"
                                              else np.float64),
                                   exp, equal_nan=True, **tol)
    else:
        np.testing.assert_array_equal(got, exp)


# -- running under a trace ---------------------------------------------------------------

def traced(f):
    """``f`` traced to IR (array arguments abstract) and then evaluated: the staged path."""
    def run(*args):
        args = [jnp.asarray(a) if isinstance(a, (np.ndarray, np.generic)) else a for a in args]
        cj = jitnet.make_jaxpr(f)(*args)
        leaves, _ = tree_flatten(args)
        outs = cj(*leaves)
        return tree_unflatten(cj.out_tree, outs)
    return run


def eager(f):
    def run(*args):
        args = [jnp.asarray(a) if isinstance(a, (np.ndarray, np.generic)) else a for a in args]
        return f(*args)
    return run


def rng_for(*parts):
    """A NumPy Generator seeded deterministically from the test's parameters."""
    import zlib
    return np.random.default_rng(zlib.crc32(repr(parts).encode()))


@contextlib.contextmanager
def quiet():
    """NumPy reference computations without floating-point or empty-slice warnings."""
    import warnings
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        yield
