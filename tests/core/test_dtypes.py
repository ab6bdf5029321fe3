"""jitnet.core.dtypes against JAX's promotion table (reference data computed with JAX)."""
from __future__ import annotations

import pathlib

import numpy as np
import pytest

import jitnet
import jitnet.numpy as jnp
from jitnet.core import dtypes

TABLES_PATH = pathlib.Path(__file__).resolve().parent / "jax_promotion_tables.txt"
CODE_DTYPES = {k: np.dtype(v) for k, v in {
    "b1": np.bool_, "u1": np.uint8, "u2": np.uint16, "u4": np.uint32, "u8": np.uint64,
    "i1": np.int8, "i2": np.int16, "i4": np.int32, "i8": np.int64, "f2": np.float16,
    "f4": np.float32, "f8": np.float64, "c8": np.complex64, "c16": np.complex128}.items()}
PY_TYPES = {"i*": int, "f*": float, "c*": complex}
PY_VALUES = {"i*": 3, "f*": 1.5, "c*": 1 + 2j}
CODES = list(CODE_DTYPES) + list(PY_TYPES)


def _load():
    tables, name, cols = {}, None, None
    for line in TABLES_PATH.read_text().splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        if line.startswith("["):
            name, cols = line.strip()[1:-1], None
            tables[name] = {}
            continue
        parts = line.split()
        if cols is None:
            cols = parts
            continue
        for c, v in zip(cols, parts[1:]):
            tables[name][(parts[0], c)] = (CODE_DTYPES[v.rstrip("*")], v.endswith("*"))
    return tables


TABLES = _load()


@pytest.fixture(params=[False, True], ids=["x32", "x64"])
def x64(request):
    old = jitnet.config.read("jax_enable_x64")
    jitnet.config.update("jax_enable_x64", request.param)
    yield request.param
    jitnet.config.update("jax_enable_x64", old)


def test_table_is_complete():
    for name in ("result_type x64=True", "result_type x64=False", "promote_types x64=True",
                 "promote_types x64=False"):
        assert len(TABLES[name]) == len(CODES) ** 2


def _spec(code):
    return PY_TYPES.get(code, CODE_DTYPES.get(code))


@pytest.mark.parametrize("a", CODES)
def test_result_type_of_types(x64, a):
    """result_type(dtype or Python type, ...) over every pair: the lattice join."""
    table = TABLES[f"result_type x64={x64}"]
    for b in CODES:
        want = table[(a, b)]
        got = dtypes.result_type(_spec(a), _spec(b), return_weak_type_flag=True)
        assert (np.dtype(got[0]), got[1]) == want, (a, b, got, want)
        assert jnp.result_type(_spec(a), _spec(b)) == want[0], (a, b)


def _value(code):
    """A value of the given code: a Python scalar (weak) or a strongly typed jitnet array."""
    if code in PY_VALUES:
        return PY_VALUES[code]
    return jnp.asarray(np.ones((2,), CODE_DTYPES[code]))


@pytest.mark.parametrize("a", CODES)
def test_result_type_of_values(x64, a):
    """Values rather than types: Python scalars weak, arrays strong (canonicalized)."""
    table = TABLES[f"result_type x64={x64}"]
    for b in CODES:
        got = dtypes.result_type(_value(a), _value(b), return_weak_type_flag=True)
        assert (np.dtype(got[0]), got[1]) == table[(a, b)], (a, b, got)


@pytest.mark.parametrize("a", CODES)
def test_binary_op_result_dtype(x64, a):
    """jnp.add / operators produce exactly the table's dtype and weak type.

    Weak operands are built both from Python scalars and from weakly typed jitnet arrays.
    """
    table = TABLES[f"result_type x64={x64}"]
    for b in CODES:
        if "b1" in (a, b) and a == b:
            continue  # bool + bool is logical or; its dtype is covered elsewhere
        want = table[(a, b)]
        x, y = _value(a), _value(b)
        if a in PY_VALUES and b in PY_VALUES:
            out = jnp.add(x, y)
        else:
            out = x + y if a not in PY_VALUES else y.__radd__(x)
        assert (out.dtype, bool(out.weak_type)) == want, (a, b, out.dtype, out.weak_type)
        # weakly typed arrays behave as the Python scalars they came from
        wx = jnp.asarray(x) if a in PY_VALUES else x
        wy = jnp.asarray(y) if b in PY_VALUES else y
        out2 = jnp.add(wx, wy)
        assert (out2.dtype, bool(out2.weak_type)) == want, (a, b, out2.dtype, out2.weak_type)


@pytest.mark.parametrize("a", CODES)
def test_promote_types(x64, a):
    """jnp.promote_types follows JAX: no canonicalization, never weak."""
    table = TABLES[f"promote_types x64={x64}"]
    for b in CODES:
        want = table[(a, b)][0]
        assert np.dtype(jnp.promote_types(_spec(a), _spec(b))) == want, (a, b)
        assert np.dtype(dtypes.promote_types(_spec(a), _spec(b))) == want, (a, b)


def test_promote_types_accepts_names_and_scalar_types():
    assert jnp.promote_types("int32", "float32") == np.float32
    assert jnp.promote_types(jnp.int8, jnp.uint8) == np.int16
    assert jnp.promote_types(np.int16, jnp.float16) == np.float16
    assert jnp.promote_types("uint8", int) == np.uint8
    assert jnp.promote_types("float16", float) == np.float16


def test_join_is_symmetric_and_idempotent():
    for name, table in TABLES.items():
        for a in CODES:
            for b in CODES:
                assert table[(a, b)] == table[(b, a)], (name, a, b)
    for a in CODES:
        for b in CODES:
            assert dtypes._join(dtypes._join(a, b), a) == dtypes._join(a, b)


def test_result_type_nary_is_the_fold_of_the_table(x64):
    """result_type of three values equals folding the pairwise table (weak flags kept)."""
    table = TABLES[f"result_type x64={x64}"]
    back = {v: k for k, v in CODE_DTYPES.items()}

    def code(d, w):
        return {"i": "i*", "u": "i*", "f": "f*", "c": "c*"}[d.kind] if w else back[d]
    codes = ["b1", "u1", "u4", "i1", "i8", "f2", "f4", "c8", "i*", "f*", "c*"]
    for a in codes:
        for b in codes:
            ab = code(*table[(a, b)])
            for c in codes:
                want = table[(ab, c)]
                bc = code(*table[(b, c)])
                assert table[(a, bc)] == want, (a, b, c)  # the table is associative
                got = dtypes.result_type(_value(a), _value(b), _value(c),
                                         return_weak_type_flag=True)
                assert (np.dtype(got[0]), got[1]) == want, (a, b, c, got)


# -- canonicalization and x64 --------------------------------------------------------------

@pytest.mark.parametrize("dt,want32", [
    (np.int64, np.int32), (np.uint64, np.uint32), (np.float64, np.float32),
    (np.complex128, np.complex64), (np.int8, np.int8), (np.uint16, np.uint16),
    (np.float16, np.float16), (np.bool_, np.bool_), (np.int32, np.int32),
    (np.float32, np.float32), (np.complex64, np.complex64)])
def test_canonicalize_dtype(x64, dt, want32):
    want = np.dtype(dt) if x64 else np.dtype(want32)
    assert dtypes.canonicalize_dtype(dt) == want
    assert dtypes.canonicalize_dtype(np.dtype(dt).name) == want
    assert jnp.asarray(np.zeros(3, dt)).dtype == want
    if want != np.dtype(dt):  # an explicit dtype that is truncated warns (as in JAX)
        with pytest.warns(UserWarning, match="Explicitly requested dtype"):
            assert jnp.zeros(3, dt).dtype == want
    else:
        assert jnp.zeros(3, dt).dtype == want
    assert jnp.array(np.zeros((), dt)).dtype == want


def test_canonicalize_rejects_unsupported():
    for bad in (np.object_, "U3", np.dtype("datetime64[s]")):
        with pytest.raises(TypeError):
            dtypes.canonicalize_dtype(bad)


def test_defaults(x64):
    assert dtypes.default_int() == (np.int64 if x64 else np.int32)
    assert dtypes.default_float() == (np.float64 if x64 else np.float32)
    assert dtypes.default_complex() == (np.complex128 if x64 else np.complex64)
    assert jnp.array(1).dtype == dtypes.default_int()
    assert jnp.array(1.0).dtype == dtypes.default_float()
    assert jnp.array(1j).dtype == dtypes.default_complex()
    assert jnp.zeros(2).dtype == dtypes.default_float()
    assert jnp.arange(3).dtype == dtypes.default_int()
    assert jnp.array([1, 2]).dtype == dtypes.default_int()
    assert jnp.array([1, 2.5]).dtype == dtypes.default_float()


def test_x64_arithmetic_keeps_64_bits():
    old = jitnet.config.read("jax_enable_x64")
    try:
        jitnet.config.update("jax_enable_x64", True)
        x = jnp.asarray(np.array([1.0, 2.0]))
        assert x.dtype == np.float64
        assert (x * 2).dtype == np.float64
        big = jnp.asarray(np.array([2 ** 40]))
        assert big.dtype == np.int64 and int(big[0]) == 2 ** 40
        y = jnp.asarray(np.float32([1.0]))
        assert (y * 2.0).dtype == np.float32  # weak float does not widen
        assert (y + np.float64(1)).dtype == np.float64  # NumPy scalars are strong
    finally:
        jitnet.config.update("jax_enable_x64", old)
    x = jnp.asarray(np.array([1.0, 2.0]))
    assert x.dtype == np.float32
    assert jnp.asarray(np.array([2 ** 40])).dtype == np.int32


# -- weak types of Python scalar operations --------------------------------------------------

@pytest.mark.parametrize("fn,args,dtype,weak", [
    ("add", (2, 3), np.int32, True),
    ("add", (2, 3.0), np.float32, True),
    ("multiply", (2.0, 1j), np.complex64, True),
    ("add", (True, 3), np.int32, True),
    ("add", (True, 2.5), np.float32, True),
    ("sin", (2,), np.float32, True),
    ("sqrt", (2.0,), np.float32, True),
    ("equal", (3, 3.0), np.bool_, False),
    ("true_divide", (3, 2), np.float32, True),
    ("negative", (3,), np.int32, True),
])
def test_weak_scalar_ops(fn, args, dtype, weak):
    out = getattr(jnp, fn)(*args)
    assert out.dtype == dtype
    assert bool(out.weak_type) == weak


@pytest.mark.parametrize("make,weak", [
    (lambda: jnp.array(2), True), (lambda: jnp.array(2.0), True),
    (lambda: jnp.asarray(3), True), (lambda: jnp.array([1, 2]), False),
    (lambda: jnp.array(np.float32(2)), False), (lambda: jnp.array(2, dtype=jnp.int32), False),
    (lambda: jnp.full((2,), 3), True), (lambda: jnp.full((2,), True), False),
    (lambda: jnp.zeros(2), False), (lambda: jnp.zeros_like(3), True),
    (lambda: jnp.ones_like(jnp.array(2.0)), True), (lambda: jnp.arange(3), False),
    (lambda: jnp.asarray(jnp.array(2.0), dtype=jnp.float32), False),
])
def test_weak_creation(make, weak):
    assert bool(make().weak_type) == weak


@pytest.mark.parametrize("dt", [np.int8, np.uint8, np.int16, np.float16, np.float32, np.int32])
def test_weak_scalar_keeps_array_dtype(dt):
    x = jnp.asarray(np.ones(3, dt))
    for y in (2, 2.0) if np.dtype(dt).kind == "f" else (2,):
        for out in (x + y, y + x, x * y, x - y, y - x, jnp.maximum(x, y), jnp.where(True, x, y)):
            assert out.dtype == dt and not out.weak_type
    if np.dtype(dt).kind in "iu":
        out = x * 2.0
        assert out.dtype == np.float32 and out.weak_type  # int array meets weak float


def test_weak_arrays_combine_like_scalars():
    w = jnp.asarray(2.0)
    assert w.weak_type
    i8 = jnp.asarray(np.int8([1]))
    assert (w * jnp.asarray(np.float16([1]))).dtype == np.float16
    out = i8 + jnp.asarray(3)
    assert out.dtype == np.int8 and not out.weak_type
    assert (w + w).weak_type and (w + w).dtype == np.float32


def test_dtype_and_weak_rejects_non_arrays():
    with pytest.raises(TypeError):
        dtypes.dtype_and_weak(object())


def test_issubdtype_and_scalar_types():
    assert jnp.issubdtype(jnp.float32, jnp.floating)
    assert jnp.issubdtype(jnp.int8, jnp.integer)
    assert not jnp.issubdtype(jnp.uint8, jnp.signedinteger)
    assert jnp.float32(3).dtype == np.float32
    assert jnp.int8(3).dtype == np.int8
    assert jnp.dtype(jnp.float32) == np.float32


@pytest.mark.parametrize("dt,inexact,numeric", [
    (np.bool_, np.float32, np.int32), (np.int8, np.float32, np.int8),
    (np.uint16, np.float32, np.uint16), (np.int32, np.float32, np.int32),
    (np.uint32, np.float32, np.uint32), (np.int64, np.float64, np.int64),
    (np.uint64, np.float64, np.uint64), (np.float16, np.float16, np.float16),
    (np.float32, np.float32, np.float32), (np.complex64, np.complex64, np.complex64)])
def test_to_inexact_and_numeric(dt, inexact, numeric):
    """JAX's width-based maps (the same with and without x64)."""
    assert dtypes.to_inexact_dtype(dt) == inexact
    assert dtypes.to_numeric_dtype(dt) == numeric


def test_index_dtype_widens_only_past_int32():
    # positions 0 .. n-1 must fit: int32 up to n = 2**31, int64 beyond (also with x64 off)
    assert dtypes.index_dtype(2**31) == np.int32
    assert dtypes.index_dtype(2**31 + 1) == np.int64
    assert dtypes.index_dtype(0) == np.int32
