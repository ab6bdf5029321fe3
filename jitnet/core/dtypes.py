"""Dtypes with JAX's semantics: canonicalization, weak types and the promotion lattice.

* 64-bit types exist only after ``config.update("jax_enable_x64", True)``;
  otherwise ``canonicalize_dtype`` maps them to their 32-bit counterparts.
* Python scalars are *weakly typed*: they take the dtype of whatever they meet
  (``float32_array * 2.0`` stays float32). A weak value is represented by its
  canonical dtype plus ``weak_type=True``.
* Binary promotion is the join on JAX's type lattice (see ``_LATTICE``).
"""
from __future__ import annotations

import functools

import numpy as np

from .config import config


class TypePromotionError(ValueError):
    """JAX's error for promotions its strict mode forbids. jitnet implements the standard
    mode only and never raises it; it exists so code that catches it runs."""


bool_ = np.dtype(np.bool_)
int8, int16, int32, int64 = (np.dtype(t) for t in (np.int8, np.int16, np.int32, np.int64))
uint8, uint16, uint32, uint64 = (np.dtype(t) for t in (np.uint8, np.uint16, np.uint32, np.uint64))
float16, float32, float64 = (np.dtype(t) for t in (np.float16, np.float32, np.float64))
complex64, complex128 = np.dtype(np.complex64), np.dtype(np.complex128)
# ``bfloat16``, Google's brain float (float32's exponent range with 8 significant bits), is
# ml_dtypes' NumPy dtype, as in JAX. NumPy gives it kind 'V'; use ``kind_of`` where the kind
# matters. Importing ml_dtypes costs ~0.6 s (most of ``import jitnet``), so it happens on first
# use: ``dtypes.bfloat16`` (the module ``__getattr__`` below), a dtype name ("bfloat16") or an
# array of it (only ml_dtypes makes those). ``_load_ml_dtypes`` then adds it to the lattice.

# storage-only float types: compiled code computes them in float32 and rounds each result.
# A set filled in place (bfloat16 joins when ml_dtypes loads), so modules may hold it.
LOW_PRECISION = {float16}

# Tangent dtype of integer and boolean values (they have no derivative), as in JAX.
float0 = np.dtype([("float0", np.void, 0)])

_TO_32 = {int64: int32, uint64: uint32, float64: float32, complex128: complex64}

# JAX's type-promotion lattice: each node lists its immediate supertypes.
# 'i*', 'f*', 'c*' are the weakly typed Python int, float and complex.
_LATTICE = {
    "b1": ["i*"], "u1": ["u2", "i2"], "u2": ["i4", "u4"], "u4": ["u8", "i8"], "u8": ["f*"],
    "i*": ["u1", "i1"], "i1": ["i2"], "i2": ["i4"], "i4": ["i8"], "i8": ["f*"],
    "f*": ["c*", "f2", "bf"], "f2": ["f4"], "bf": ["f4"], "f4": ["c8", "f8"], "f8": ["c16"],
    "c*": ["c8"], "c8": ["c16"], "c16": [],
}
_CODE_OF = {bool_: "b1", uint8: "u1", uint16: "u2", uint32: "u4", uint64: "u8",
            int8: "i1", int16: "i2", int32: "i4", int64: "i8",
            float16: "f2", float32: "f4", float64: "f8", complex64: "c8", complex128: "c16"}
_DTYPE_OF = {v: k for k, v in _CODE_OF.items()}

# dtype names NumPy knows only once ml_dtypes is imported (``np.dtype("bfloat16")``)
_ML_DTYPE_NAMES = frozenset({"bfloat16", "float8_e4m3fn", "float8_e4m3fnuz", "float8_e4m3b11fnuz",
                             "float8_e5m2", "float8_e5m2fnuz"})


def _load_ml_dtypes():
    """Import ml_dtypes and register bfloat16 in the lattice (once); returns the module."""
    import ml_dtypes
    global bfloat16
    if "bfloat16" not in globals():
        bf = np.dtype(ml_dtypes.bfloat16)
        _CODE_OF[bf] = "bf"
        _DTYPE_OF["bf"] = bf
        LOW_PRECISION.add(bf)
        bfloat16 = bf
    return ml_dtypes


def __getattr__(name):
    if name == "bfloat16":
        _load_ml_dtypes()
        return bfloat16
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def as_dtype(t) -> np.dtype:
    """``np.dtype(t)``, loading ml_dtypes first when ``t`` names one of its types (a string,
    or a dtype NumPy has not met before: the bfloat16 of an ml_dtypes the user imported)."""
    try:
        d = np.dtype(t)
    except TypeError:
        if not (isinstance(t, str) and t in _ML_DTYPE_NAMES):
            raise
        _load_ml_dtypes()
        d = np.dtype(t)
    if is_bfloat16(d) and d not in _CODE_OF:
        _load_ml_dtypes()
    return d


def _upper_sets(lattice) -> dict[str, frozenset]:
    ups: dict[str, frozenset] = {}

    def visit(node):
        if node not in ups:
            s = {node}
            for parent in lattice[node]:
                s |= visit(parent)
            ups[node] = frozenset(s)
        return ups[node]

    for node in lattice:
        visit(node)
    return ups


_UPPER = _upper_sets(_LATTICE)


@functools.lru_cache(maxsize=None)
def _join(a: str, b: str) -> str:
    common = _UPPER[a] & _UPPER[b]
    # The least upper bound is the common supertype that all others are above.
    for c in common:
        if common <= _UPPER[c]:
            return c
    raise TypeError(f"no common supertype for {a} and {b}")  # unreachable on a lattice


# Without x64, JAX's promote_types uses a lattice with uint32 below int32 rather than int64,
# so that no join of 32-bit types creates a 64-bit one.
_UPPER_NO_X64 = _upper_sets({**_LATTICE, "u4": ["u8", "i4"]})


@functools.lru_cache(maxsize=None)
def _join_no_x64(a: str, b: str) -> str:
    common = _UPPER_NO_X64[a] & _UPPER_NO_X64[b]
    for c in common:
        if common <= _UPPER_NO_X64[c]:
            return c
    raise TypeError(f"no common supertype for {a} and {b}")  # unreachable on a lattice


def x64_enabled() -> bool:
    return config.read("jax_enable_x64")


def canonicalize_dtype(dtype) -> np.dtype:
    """The dtype jitnet actually uses for ``dtype`` under the current x64 flag."""
    d = as_dtype(dtype)
    if d not in _CODE_OF and d != float0:
        raise TypeError(f"jitnet does not support dtype {d}")
    if not x64_enabled():
        return _TO_32.get(d, d)
    return d


def default_int() -> np.dtype:
    return int64 if x64_enabled() else int32


_INT32_MAX = 2**31 - 1


def index_dtype(n: int) -> np.dtype:
    """Integer dtype for positions among ``n`` elements: the default int (int32 unless x64,
    as in JAX), widened to int64 when a position may exceed 2**31 - 1, so indices into
    large axes never wrap negative (JAX's int32 would)."""
    return int64 if n - 1 > _INT32_MAX else default_int()


def default_float() -> np.dtype:
    return float64 if x64_enabled() else float32


def default_complex() -> np.dtype:
    return complex128 if x64_enabled() else complex64


def to_inexact_dtype(dtype) -> np.dtype:
    """The inexact dtype an int/bool dtype becomes in ``sin``, ``/``, ``mean``... (as JAX):
    64-bit integers give float64, every narrower integer and bool gives float32."""
    d = np.dtype(dtype)
    if kind_of(d) in "fc":
        return d
    return float64 if d.itemsize == 8 else float32


def to_numeric_dtype(dtype) -> np.dtype:
    """bool becomes int32 in arithmetic that has no boolean meaning (as JAX)."""
    d = np.dtype(dtype)
    return int32 if d == bool_ else d


def _code(dtype: np.dtype, weak: bool) -> str:
    if weak:
        if dtype.kind in "iu":
            return "i*"
        if dtype.kind == "f":
            return "f*"
        if dtype.kind == "c":
            return "c*"
    return _CODE_OF[dtype]


def _from_code(code: str) -> tuple[np.dtype, bool]:
    if code == "i*":
        return default_int(), True
    if code == "f*":
        return default_float(), True
    if code == "c*":
        return default_complex(), True
    return canonicalize_dtype(_DTYPE_OF[code]), False


def promote_types(a, b) -> np.dtype:
    """``jnp.promote_types``: the dtype a binary op casts two dtypes to, as JAX computes it.

    Like JAX (and unlike ``result_type``) the answer is neither canonicalized nor weak:
    ``promote_types(float32, float64)`` is float64 even without x64. Python's
    ``int``/``float``/``complex`` types count as weak and, alone, stand for their 64-bit
    NumPy types. Without x64 the one join that would create a 64-bit type from 32-bit
    inputs, uint32 with a signed integer, gives int32.
    """
    ca, cb = _raw_code(a), _raw_code(b)
    code = _join(ca, cb) if x64_enabled() else _join_no_x64(ca, cb)
    return _DTYPE_OF[{"i*": "i8", "f*": "f8", "c*": "c16"}.get(code, code)]


def _raw_code(t) -> str:
    """Lattice code of a dtype specifier, without canonicalization (Python types are weak)."""
    if t is int:
        return "i*"
    if t is float:
        return "f*"
    if t is complex:
        return "c*"
    if t is bool:
        return "b1"
    d = as_dtype(t)
    if d not in _CODE_OF:
        raise TypeError(f"jitnet does not support dtype {d}")
    return _CODE_OF[d]


def dtype_and_weak(x) -> tuple[np.dtype, bool]:
    """(canonical dtype, weak_type) of a value: jitnet array, tracer, NumPy value or Python scalar."""
    if x is int:  # Python scalar types stand for weakly typed values, as in JAX
        return default_int(), True
    if x is float:
        return default_float(), True
    if x is complex:
        return default_complex(), True
    if x is bool:
        return bool_, False
    t = type(x)
    if t is bool:
        return bool_, False
    if t is int:
        return default_int(), True
    if t is float:
        return default_float(), True
    if t is complex:
        return default_complex(), True
    if isinstance(x, (np.dtype, type, str)):  # before .dtype: np.float16.dtype is a descriptor
        return canonicalize_dtype(x), False
    dt = getattr(x, "dtype", None)
    if dt is not None:
        return canonicalize_dtype(dt), bool(getattr(x, "weak_type", False))
    if isinstance(x, (list, tuple)):
        return np.asarray(x).dtype, False  # callers canonicalize nested Python data themselves
    raise TypeError(f"value of type {t.__name__} is not a valid jitnet array or scalar: {x!r}")


def result_type(*args, return_weak_type_flag: bool = False):
    """JAX's ``result_type``: join of the arguments' (dtype, weak) on the lattice."""
    if not args:
        raise ValueError("at least one array or dtype is required")
    code = None
    for a in args:
        d, w = dtype_and_weak(a)
        c = _code(d, w)
        code = c if code is None else _join(code, c)
    dtype, weak = _from_code(code)
    return (dtype, weak) if return_weak_type_flag else dtype


def is_bfloat16(t) -> bool:
    """Whether a dtype, scalar type or dtype name is bfloat16, without importing ml_dtypes."""
    if isinstance(t, np.dtype):
        return t.kind == "V" and t.name == "bfloat16"
    if isinstance(t, str):
        return t == "bfloat16"
    return isinstance(t, type) and t.__name__ == "bfloat16" and t.__module__.startswith("ml_dtypes")


def issubdtype(a, b) -> bool:
    """``np.issubdtype`` that also places bfloat16 under ``np.floating`` (as JAX does)."""
    if is_bfloat16(a):
        return is_bfloat16(b) or b in (np.floating, np.inexact, np.number, np.generic)
    if is_bfloat16(b):
        return False
    return np.issubdtype(a, b)


def kind_of(dtype) -> str:
    """``np.dtype(dtype).kind``, except that bfloat16 (kind 'V' in NumPy) is a float: 'f'."""
    d = dtype if isinstance(dtype, np.dtype) else as_dtype(dtype)
    k = d.kind
    return "f" if k == "V" and d.name == "bfloat16" else k


def is_low_precision(dtype) -> bool:
    """float16 or bfloat16: stored narrow, computed in float32 by the compiled code."""
    return (dtype if isinstance(dtype, np.dtype) else as_dtype(dtype)) in LOW_PRECISION


def widen_param(v):
    """A primitive's parameter with float16/bfloat16 dtypes replaced by float32: how a
    narrow operation runs (in float32, its results rounded; eager mode and the compiler's
    ``transforms/low_precision.py`` alike)."""
    return float32 if isinstance(v, np.dtype) and is_low_precision(v) else v


def is_float(dtype) -> bool:
    return kind_of(dtype) == "f"


def is_inexact(dtype) -> bool:
    return kind_of(dtype) in "fc"


def is_integer(dtype) -> bool:
    return np.dtype(dtype).kind in "iu"


def short_name(dtype) -> str:
    """Compact name used by the IR printer: f32, i32, u8, bool, c64."""
    d = np.dtype(dtype)
    if d == bool_:
        return "bool"
    if d == float0:
        return "float0"
    if is_bfloat16(d):
        return "bf16"
    return {"f": "f", "i": "i", "u": "u", "c": "c"}[d.kind] + str(d.itemsize * 8)


def finfo(dtype):
    """Machine limits of a float dtype, bfloat16 included (``ml_dtypes.finfo``)."""
    d = as_dtype(dtype)
    return _load_ml_dtypes().finfo(d) if is_bfloat16(d) else np.finfo(d)


def iinfo(dtype):
    return np.iinfo(dtype)

