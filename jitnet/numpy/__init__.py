"""``jitnet.numpy``: NumPy's API over jitnet arrays, with JAX's semantics (``import jitnet.numpy as jnp``)."""
from __future__ import annotations

import numpy as _np

from ..core import dtypes as _dtypes
from ..trace.array import Array as ndarray  # noqa: F401
from .creation import (arange, array, asarray, copy, diag, diag_indices, diag_indices_from,
                       diagonal, empty, empty_like, eye, full, full_like, geomspace, identity,
                       linspace,
                       logspace, meshgrid, ones, ones_like, tri, tril, tril_indices,
                       tril_indices_from, triu, triu_indices, triu_indices_from, zeros,
                       zeros_like)
from .differences import cross, diff, ediff1d, gradient, trapezoid, unwrap
from .indexing import argwhere, flatnonzero, nonzero, take, take_along_axis
from .manipulation import (append, array_split, atleast_1d, atleast_2d, atleast_3d,
                           broadcast_arrays, broadcast_to, column_stack, concatenate, dstack,
                           expand_dims, flip, fliplr, flipud, hsplit, hstack, matrix_transpose,
                           moveaxis, ndim, pad, permute_dims, ravel, repeat, reshape, roll, rot90,
                           row_stack, shape, size, split, squeeze, stack, swapaxes, tile,
                           transpose, vsplit, vstack)
from .manipulation import astype, block, concat, dsplit, resize, rollaxis, unstack
from .products import (dot, inner, kron, matmul, matvec, outer, tensordot, trace, vdot, vecdot,
                       vecmat)
from .reductions import (all, amax, amin, any, argmax, argmin, average, count_nonzero, cumprod,
                         cumsum, cumulative_prod, cumulative_sum, max, mean, min, nanmax, nanmean,
                         nanmin, nanprod, nansum, prod, ptp, std, sum, var)
from .sorting import argpartition, argsort, lexsort, partition, searchsorted, sort, sort_complex
from .ufuncs import *  # noqa: F401,F403
from .ufuncs import abs, round  # noqa: F401
from .util import broadcast_shapes as _broadcast_shapes_named
from .util import check_arraylike as _check_arraylike


def broadcast_shapes(*shapes):
    """The shape that arrays of ``shapes`` broadcast to. (Defined here because ``ufuncs``'
    star import brings in an internal helper of this name that takes an operation name first.)"""
    return _broadcast_shapes_named("broadcast_shapes", *[tuple(s) for s in shapes])


class _ScalarType:
    """``jnp.float32`` and friends: usable as a dtype, and callable to make 0-d arrays."""

    def __init__(self, np_type):
        self.dtype = _np.dtype(np_type)
        self.type = np_type
        self.__name__ = self.dtype.name

    def __call__(self, x=0):
        return array(x, dtype=self.dtype)

    def __repr__(self):
        return f"<class 'jitnet.numpy.{self.__name__}'>"

    def __eq__(self, other):
        try:
            return self.dtype == _dtypes.as_dtype(other)
        except TypeError:
            return False

    def __hash__(self):
        return hash(self.dtype)


bool_ = _ScalarType(_np.bool_)
int8, int16, int32, int64 = (_ScalarType(t) for t in (_np.int8, _np.int16, _np.int32, _np.int64))
uint8, uint16, uint32, uint64 = (_ScalarType(t) for t in (_np.uint8, _np.uint16, _np.uint32,
                                                          _np.uint64))
float16, float32, float64 = (_ScalarType(t) for t in (_np.float16, _np.float32, _np.float64))
complex64, complex128 = _ScalarType(_np.complex64), _ScalarType(_np.complex128)
int_, float_ = int64, float64
complex_ = complex128
single, double = float32, float64

generic, number, inexact, floating = _np.generic, _np.number, _np.inexact, _np.floating
integer, signedinteger, unsignedinteger = _np.integer, _np.signedinteger, _np.unsignedinteger
complexfloating = _np.complexfloating
dtype = _np.dtype
finfo, iinfo = _dtypes.finfo, _np.iinfo
pi, e, inf, nan, euler_gamma = _np.pi, _np.e, _np.inf, _np.nan, _np.euler_gamma
newaxis = None
float0 = _dtypes.float0


def __getattr__(name):
    """``jnp.bfloat16`` (ml_dtypes' type, as in JAX) is made on first use: importing ml_dtypes
    costs more than the rest of ``import jitnet``."""
    if name == "bfloat16":
        global bfloat16
        bfloat16 = _ScalarType(_dtypes.bfloat16.type)
        return bfloat16
    raise AttributeError(f"module 'jitnet.numpy' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | {"bfloat16"})


def issubdtype(arg1, arg2):
    return _dtypes.issubdtype(_np.dtype(arg1) if isinstance(arg1, _ScalarType) else arg1,
                          _np.dtype(arg2) if isinstance(arg2, _ScalarType) else arg2)


def result_type(*args):
    return _dtypes.result_type(*[a.dtype if isinstance(a, _ScalarType) else a for a in args])


def promote_types(a, b):
    return _dtypes.promote_types(a.dtype if isinstance(a, _ScalarType) else a,
                                 b.dtype if isinstance(b, _ScalarType) else b)


def can_cast(from_, to, casting="safe"):
    return _np.can_cast(from_, to, casting)


def isscalar(element):
    return _np.isscalar(element) or (isinstance(element, ndarray) and element.ndim == 0)


def iscomplexobj(x):
    dtype = x.dtype if hasattr(x, "dtype") else _np.asarray(x).dtype   # tracers have a dtype
    return _np.dtype(dtype).kind == "c"


def isrealobj(x):
    return not iscomplexobj(x)


def allclose(a, b, rtol=1e-05, atol=1e-08, equal_nan=False):
    return all(isclose(a, b, rtol, atol, equal_nan))  # noqa: F405


def array_equal(a1, a2, equal_nan=False):
    a1, a2 = asarray(a1), asarray(a2)
    if a1.shape != a2.shape:
        return array(False)
    eq = equal(a1, a2)  # noqa: F405
    if equal_nan:
        eq = logical_or(eq, logical_and(isnan(a1), isnan(a2)))  # noqa: F405
    return all(eq)


def array_equiv(a1, a2):
    try:
        return all(equal(a1, a2))  # noqa: F405
    except ValueError:
        return array(False)


def iterable(y):
    """Whether ``y`` can be iterated (``numpy.iterable``)."""
    return _np.iterable(y)


_DTYPE_KINDS = {"bool": "b", "signed integer": "i", "unsigned integer": "u",
                "integral": "iu", "real floating": "f", "complex floating": "c",
                "numeric": "iufc"}


def isdtype(dtype, kind):
    """Array API ``isdtype``: whether ``dtype`` is ``kind`` (a dtype, a kind name such as
    'real floating', or a tuple of these)."""
    dt = _np.dtype(dtype.dtype if isinstance(dtype, _ScalarType) else dtype)
    kinds = kind if isinstance(kind, tuple) else (kind,)
    for k in kinds:
        if isinstance(k, str):
            if k not in _DTYPE_KINDS:
                raise ValueError(f"isdtype: unknown kind {k!r}; use one of "
                                 f"{', '.join(_DTYPE_KINDS)}")
            if dt.kind in _DTYPE_KINDS[k]:
                return True
        elif dt == _np.dtype(k.dtype if isinstance(k, _ScalarType) else k):
            return True
    return False


from . import linalg  # noqa: E402,F401
from .einsum import einsum_path  # noqa: E402,F401
from .functional import (apply_along_axis, apply_over_axes, fromfunction,  # noqa: E402,F401
                         frompyfunc, piecewise)
from .index_tricks import (choose, compress, delete, diagflat, extract,  # noqa: E402,F401
                           fill_diagonal, indices, insert, ix_, mask_indices, place, put,
                           put_along_axis, ravel_multi_index, unravel_index)
from .io import (array_repr, array_str, from_dlpack, frombuffer, fromfile,  # noqa: E402,F401
                 fromiter, fromstring, get_printoptions, load, printoptions, save, savez,
                 set_printoptions)
from .numeric import (angle, bitwise_count, frexp, gcd, iscomplex, isreal,  # noqa: E402,F401
                      lcm, ldexp, packbits, pow, spacing, unpackbits)
from .polynomial import (convolve, correlate, poly, polyadd, polyder, polydiv,  # noqa: E402,F401
                         polyfit, polyint, polymul, polysub, polyval, roots, trim_zeros, vander)
from .setops import (intersect1d, isin, setdiff1d, setxor1d, union1d, unique,  # noqa: E402,F401
                     unique_all, unique_counts, unique_inverse, unique_values)
from .statistics import (bincount, corrcoef, cov, digitize, histogram,  # noqa: E402,F401
                         histogram2d, histogram_bin_edges, histogramdd, interp, median,
                         nanargmax, nanargmin, nancumprod, nancumsum, nanmedian,
                         nanpercentile, nanquantile, nanstd, nanvar, percentile, quantile)
from .windows import bartlett, blackman, hamming, hanning, i0, kaiser  # noqa: E402,F401
from .einsum import einsum  # noqa: E402,F401
from .vectorize import vectorize  # noqa: E402,F401
