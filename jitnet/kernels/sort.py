"""Stable sort along one axis (``lax.sort``: several operands, the first ``num_keys`` keys)
as C kernels compiled once per machine and dtype.

An array sorted along ``axis`` is viewed, without a copy, as (A, n, C): A the product of the
dims before the axis, n its length, C the product of the dims after. Two kernels per dtype:

* ``keys``: reorders the permutation ``perm`` (int64, the operands' shape) so that it sorts
  each line by ``key[perm]``, stably, NaN last as NumPy (Numba's mergesort argsort, compiled
  here once instead of in every program). Called from the least significant key to the most
  significant one, the first call starting from the identity, this is a stable
  lexicographic sort.
* ``take``: out[a, j, c] = x[a, perm[a, j, c], c], for each operand.

bool arrays go through the uint8 kernels (same order). Generated code
(``codegen/cpu/along_axis.py``) calls ``jn_sort_keys_<dtype>(key, perm, axis, first)`` and
``jn_sort_take_<dtype>(x, perm, out, axis)``.
"""
from __future__ import annotations

import functools

import numba
import numpy as np
from numba.core import types as nbt
from numba.extending import overload

from ..runtime.c_kernel import c_kernel

# every real dtype that reaches the backend (float16/bfloat16 are widened to float32)
DTYPES = ("bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64",
          "float32", "float64")
SYMBOLS = tuple(f"jn_sort_{k}_{dt}" for k in ("keys", "take") for dt in DTYPES)


def _c_keys(kp, pp, meta):
    g = numba.carray(meta, 4)
    A, n, C, first = g[0], g[1], g[2], g[3]
    key = numba.carray(kp, (A, n, C))
    perm = numba.carray(pp, (A, n, C))
    line = np.empty(n, key.dtype)
    old = np.empty(n, np.int64)
    for a in range(A):
        for c in range(C):
            for i in range(n):
                old[i] = i if first else perm[a, i, c]
                line[i] = key[a, old[i], c]
            order = np.argsort(line, kind="mergesort")
            for i in range(n):
                perm[a, i, c] = old[order[i]]


def _c_take(xp, pp, op, meta):
    g = numba.carray(meta, 3)
    A, n, C = g[0], g[1], g[2]
    x = numba.carray(xp, (A, n, C))
    perm = numba.carray(pp, (A, n, C))
    out = numba.carray(op, (A, n, C))
    for a in range(A):
        for i in range(n):
            for c in range(C):
                out[a, i, c] = x[a, perm[a, i, c], c]


@numba.njit(nogil=True, error_model="numpy")
def _meta(x, axis, extra):
    """(A, n, C, extra): ``x`` viewed as (A, n, C) around ``axis``."""
    m = np.ones(4, np.int64)
    for d in range(x.ndim):
        m[0 if d < axis else (1 if d == axis else 2)] *= x.shape[d]
    m[3] = extra
    return m


def _bytes(x):
    """bool arrays as uint8 (the kernels' type for them), others as they are."""


@overload(_bytes)
def _bytes_typed(x):
    if x.dtype == nbt.boolean:
        return lambda x: x.view(np.uint8)
    return lambda x: x


@functools.cache
def _kernel(kind: str, dtype: str):
    P, I64 = nbt.CPointer(getattr(nbt, dtype)), nbt.CPointer(nbt.int64)
    args = (P, I64, I64) if kind == "keys" else (P, I64, P, I64)
    return c_kernel(f"jn_kernel_sort_{kind}_{dtype}", globals()[f"_c_{kind}"], nbt.void(*args))


def _caller(kind: str, dtype: str):
    """``jn_sort_<kind>_<dtype>``: the glue generated programs call. Building it compiles
    or loads the kernel (bool: the uint8 one)."""
    ext = _kernel(kind, "uint8" if dtype == "bool" else dtype)
    if kind == "keys":
        def call(key, perm, axis, first):
            k = _bytes(np.ascontiguousarray(key))
            ext(k.ctypes, perm.ctypes, _meta(k, axis, first).ctypes)
    else:
        def call(x, perm, out, axis):
            xc = _bytes(np.ascontiguousarray(x))
            ext(xc.ctypes, perm.ctypes, _bytes(out).ctypes, _meta(xc, axis, 0).ctypes)
    return numba.njit(nogil=True, error_model="numpy")(call)


def __getattr__(name):
    """``jn_sort_keys_<dtype>`` / ``jn_sort_take_<dtype>``, built on first import."""
    if name not in SYMBOLS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    kind, dtype = name.removeprefix("jn_sort_").split("_", 1)
    fn = globals()[name] = _caller(kind, dtype)
    return fn
