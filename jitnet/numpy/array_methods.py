"""Operators and NumPy-style methods of jitnet arrays and tracers.

``install()`` puts them on the ``Array`` base class once, from ``jitnet/__init__``,
so concrete arrays and tracers share one definition.
"""
from __future__ import annotations

import numpy as np

from ..trace.array import Array
from . import creation, indexing, manipulation, products, reductions, sorting, ufuncs
from .util import convert, to_dtype

_OK = (Array, np.ndarray, np.generic, int, float, bool, complex)


def _binop(f, reflected=False):
    def op(self, other):
        if not isinstance(other, _OK):
            return NotImplemented
        return f(other, self) if reflected else f(self, other)
    return op


def _setitem(self, idx, value):
    raise TypeError(f"jitnet arrays are immutable; instead of x[idx] = y use "
                    f"x = x.at[idx].set(y)")


def _reshape(self, *shape, order="C"):
    if len(shape) == 1 and not isinstance(shape[0], (int, np.integer)):
        shape = shape[0]
    return manipulation.reshape(self, shape, order)


def _transpose(self, *axes):
    if len(axes) == 1 and (axes[0] is None or not isinstance(axes[0], (int, np.integer))):
        axes = axes[0]
    return manipulation.transpose(self, axes or None)


def _astype(self, dtype, copy=False, device=None):
    return convert(self, to_dtype(dtype))


def _view(self, dtype=None, type=None):
    if dtype is None:
        return self
    from .. import lax
    return lax.bitcast_convert_type(self, to_dtype(dtype))


def _item(self, *args):
    return np.asarray(self).item(*args)


_OPERATORS = {
    "__add__": _binop(ufuncs.add), "__radd__": _binop(ufuncs.add, True),
    "__sub__": _binop(ufuncs.subtract), "__rsub__": _binop(ufuncs.subtract, True),
    "__mul__": _binop(ufuncs.multiply), "__rmul__": _binop(ufuncs.multiply, True),
    "__truediv__": _binop(ufuncs.true_divide), "__rtruediv__": _binop(ufuncs.true_divide, True),
    "__floordiv__": _binop(ufuncs.floor_divide),
    "__rfloordiv__": _binop(ufuncs.floor_divide, True),
    "__mod__": _binop(ufuncs.remainder), "__rmod__": _binop(ufuncs.remainder, True),
    "__divmod__": _binop(ufuncs.divmod), "__rdivmod__": _binop(ufuncs.divmod, True),
    "__pow__": _binop(ufuncs.power), "__rpow__": _binop(ufuncs.power, True),
    "__matmul__": _binop(products.matmul), "__rmatmul__": _binop(products.matmul, True),
    "__and__": _binop(ufuncs.bitwise_and), "__rand__": _binop(ufuncs.bitwise_and, True),
    "__or__": _binop(ufuncs.bitwise_or), "__ror__": _binop(ufuncs.bitwise_or, True),
    "__xor__": _binop(ufuncs.bitwise_xor), "__rxor__": _binop(ufuncs.bitwise_xor, True),
    "__lshift__": _binop(ufuncs.left_shift), "__rlshift__": _binop(ufuncs.left_shift, True),
    "__rshift__": _binop(ufuncs.right_shift), "__rrshift__": _binop(ufuncs.right_shift, True),
    "__eq__": _binop(ufuncs.equal), "__ne__": _binop(ufuncs.not_equal),
    "__lt__": _binop(ufuncs.less), "__le__": _binop(ufuncs.less_equal),
    "__gt__": _binop(ufuncs.greater), "__ge__": _binop(ufuncs.greater_equal),
    "__neg__": ufuncs.negative, "__pos__": ufuncs.positive, "__abs__": ufuncs.absolute,
    "__invert__": ufuncs.invert,
    "__round__": lambda self, ndigits=None: ufuncs.round(self, ndigits or 0),
    "__getitem__": indexing.rewriting_take, "__setitem__": _setitem,
    "__copy__": lambda self: self, "__deepcopy__": lambda self, memo: self,
}

_METHODS = {
    "all": reductions.all, "any": reductions.any, "argmax": reductions.argmax,
    "argmin": reductions.argmin, "argsort": sorting.argsort, "astype": _astype,
    "clip": ufuncs.clip, "conj": ufuncs.conj, "conjugate": ufuncs.conj,
    "cumprod": reductions.cumprod, "cumsum": reductions.cumsum,
    "dot": products.dot, "flatten": manipulation.ravel, "max": reductions.max,
    "mean": reductions.mean, "min": reductions.min, "nonzero": indexing.nonzero,
    "prod": reductions.prod, "ptp": reductions.ptp, "ravel": manipulation.ravel,
    "repeat": manipulation.repeat, "reshape": _reshape, "round": ufuncs.round,
    "sort": sorting.sort, "squeeze": manipulation.squeeze, "std": reductions.std,
    "sum": reductions.sum, "swapaxes": manipulation.swapaxes, "take": indexing.take,
    "trace": products.trace, "transpose": _transpose, "var": reductions.var,
    "view": _view, "diagonal": creation.diagonal,
}

_PROPERTIES = {
    "T": lambda self: manipulation.transpose(self),
    "mT": lambda self: manipulation.matrix_transpose(self),
    "at": lambda self: indexing._IndexUpdateHelper(self),
    "real": lambda self: ufuncs.real(self),
    "imag": lambda self: ufuncs.imag(self),
    "itemsize": lambda self: self.dtype.itemsize,
    "nbytes": lambda self: self.size * self.dtype.itemsize,
}


def install() -> None:
    for name, f in {**_OPERATORS, **_METHODS}.items():
        setattr(Array, name, f)
    for name, f in _PROPERTIES.items():
        setattr(Array, name, property(f))
    if not hasattr(Array, "item"):
        Array.item = _item
