"""PRNG keys with JAX's semantics: legacy raw ``uint32[..., 2]`` keys and typed keys.

``PRNGKey(seed)`` returns raw key data (a ``uint32[2]`` array), exactly as JAX's
legacy API. ``key(seed)`` returns a :class:`KeyArray`, jitnet's stand-in for
JAX's typed keys. Difference from JAX: JAX gives typed keys an *extended dtype*
(``key<fry>``) so they are ordinary arrays to every transformation; jitnet has
no extended dtypes, so ``KeyArray`` is a small pytree node whose single leaf is
the ``uint32[..., 2]`` data. ``jit``/``vmap``/``grad`` therefore see (and batch)
the data leaf, and ``KeyArray`` is not a ``jitnet.Array`` (no arithmetic, no
``jnp`` functions on it): use ``key_data`` / ``wrap_key_data`` to cross over.
Its ``shape`` is the key shape (the data shape without the trailing 2), as in JAX.

Every sampler accepts either kind; ``split`` and ``fold_in`` return the kind they
were given.
"""
from __future__ import annotations

import operator
from collections.abc import Sequence

import numpy as np

from .. import lax
from ..core import dtypes
from ..core.pytree import register_pytree_node
from ..numpy.util import as_jitnet
from ..prims.util import get_aval
from ..trace.array import Array
from . import threefry

_U32 = np.dtype(np.uint32)
IMPL_NAME = "threefry2x32"


class KeyDType:
    """The dtype-like tag of typed keys (JAX spells it ``key<fry>``)."""

    name = "key<fry>"
    impl = IMPL_NAME

    def __repr__(self):
        return self.name

    __str__ = __repr__

    def __eq__(self, other):
        return isinstance(other, KeyDType) or other == self.name

    def __hash__(self):
        return hash(self.name)


_KEY_DTYPE = KeyDType()


def key_dtype(impl=None) -> KeyDType:
    _check_impl(impl)
    return _KEY_DTYPE


def _check_impl(impl):
    if impl is not None and impl != IMPL_NAME and not isinstance(impl, KeyDType):
        raise ValueError(f"jitnet.random supports only the {IMPL_NAME!r} PRNG implementation, "
                         f"got {impl!r}")


def _check_key_data(data):
    a = get_aval(data)
    if a.dtype != _U32:
        raise TypeError(f"invalid PRNG key data: expected key_data.dtype = uint32; "
                        f"got dtype={a.dtype}")
    if a.shape[-1:] != (2,):
        raise TypeError(f"invalid PRNG key data: expected key_data.shape to end with (2,); "
                        f"got shape={a.shape} (impl {IMPL_NAME})")


class KeyArray:
    """An array of typed threefry keys; ``data`` is ``uint32[*shape, 2]``."""

    __slots__ = ("_data",)

    def __init__(self, data):
        data = as_jitnet(data)
        _check_key_data(data)
        self._data = data

    @classmethod
    def _unchecked(cls, data):
        # pytree unflattening and transforms may pass placeholders or tracers: no checks
        k = object.__new__(cls)
        k._data = data
        return k

    @property
    def shape(self) -> tuple:
        return tuple(get_aval(self._data).shape[:-1])

    ndim = property(lambda self: len(self.shape))
    size = property(lambda self: int(np.prod(self.shape, dtype=np.int64)))
    dtype = property(lambda self: _KEY_DTYPE)

    def __len__(self):
        if not self.shape:
            raise TypeError("len() of unsized object (a scalar key)")
        return self.shape[0]

    def __iter__(self):
        if not self.shape:
            raise TypeError("iteration over a scalar key")
        return (self[i] for i in range(self.shape[0]))

    def __getitem__(self, idx):
        if not self.shape:
            raise IndexError("too many indices for a scalar key array")
        idx = idx if isinstance(idx, tuple) else (idx,)
        return KeyArray._unchecked(self._data[idx + (slice(None),)])  # never index the 2 words

    def reshape(self, *shape):
        shape = shape[0] if len(shape) == 1 and isinstance(shape[0], (tuple, list)) else shape
        return KeyArray._unchecked(lax.reshape(self._data, tuple(shape) + (2,)))

    def __eq__(self, other):
        if not isinstance(other, KeyArray):
            return NotImplemented
        from .. import numpy as jnp
        return jnp.all(lax.eq(self._data, other._data), axis=-1)

    def __ne__(self, other):
        eq = self.__eq__(other)
        return eq if eq is NotImplemented else lax.bitwise_not(eq)

    __hash__ = None

    def __repr__(self):
        return f"KeyArray(shape={self.shape}, dtype={_KEY_DTYPE}) overlaying:\n{self._data}"


register_pytree_node(KeyArray, lambda k: ((k._data,), None),
                     lambda _, children: KeyArray._unchecked(children[0]))


def is_typed_key(x) -> bool:
    return isinstance(x, KeyArray)


def check_key(name: str, key, allow_batched: bool = False):
    """``(raw uint32[..., 2] data, was_typed)``, after JAX's checks on the key argument."""
    if isinstance(key, KeyArray):
        data, typed = key._data, True
    elif isinstance(key, (Array, np.ndarray)):
        data, typed = as_jitnet(key), False
        _check_key_data(data)
    else:
        raise TypeError(f"{name}: unexpected PRNG key type {type(key).__name__}; expected a key "
                        f"from jitnet.random.key / PRNGKey / split / fold_in")
    kshape = tuple(get_aval(data).shape[:-1])
    if kshape and not allow_batched:
        raise ValueError(f"{name} accepts a single key, but was given a key array of shape "
                         f"{kshape} != (). Use jitnet.vmap for batching.")
    return data, typed


def _rewrap(data, typed: bool):
    return KeyArray._unchecked(data) if typed else data


def _seed_array(ctor: str, seed):
    if isinstance(seed, KeyArray):
        raise TypeError(f"{ctor} accepts a scalar seed, but was given a PRNG key.")
    if isinstance(seed, bool) or isinstance(seed, int):
        # Like JAX: Python ints go through int64 (OverflowError beyond it), then wrap to the
        # canonical integer width (int32 unless x64 is enabled).
        s = np.int64(seed)
        return s.astype(dtypes.default_int())
    if isinstance(seed, (float, complex)):
        raise TypeError(f"PRNG key seed must be an integer; got {seed!r}")
    if isinstance(seed, (list, tuple)):
        raise TypeError(f"{ctor} accepts a scalar seed, but was given a {type(seed).__name__}")
    s = as_jitnet(seed)
    shape = tuple(get_aval(s).shape)
    if shape:
        raise TypeError(f"{ctor} accepts a scalar seed, but was given an array of shape {shape} "
                        f"!= (). Use jitnet.vmap for batching")
    return s


def PRNGKey(seed, *, impl=None):
    """Legacy raw key ``uint32[2]`` from an integer seed: ``[seed >> 32, seed & 0xFFFFFFFF]``."""
    _check_impl(impl)
    return threefry.seed(_seed_array("PRNGKey", seed))


def key(seed, *, impl=None):
    """Typed scalar key from an integer seed (same bits as ``PRNGKey(seed)``)."""
    _check_impl(impl)
    return KeyArray._unchecked(threefry.seed(_seed_array("key", seed)))


def key_data(keys):
    """The ``uint32[..., 2]`` data of typed keys (raw keys are returned as they are)."""
    data, _ = check_key("key_data", keys, allow_batched=True)
    return data


def wrap_key_data(key_bits_array, *, impl=None):
    """Typed keys over ``uint32[..., 2]`` data."""
    _check_impl(impl)
    if isinstance(key_bits_array, KeyArray):
        raise TypeError("wrap_key_data: the argument is already a typed key array")
    return KeyArray(key_bits_array)


def key_impl(keys) -> str:
    check_key("key_impl", keys, allow_batched=True)
    return IMPL_NAME


def clone(key):
    """Identity (JAX uses it to mark a key as reusable under its key-reuse checker)."""
    return key


def canonicalize_shape(shape, name: str = "shape") -> tuple:
    """A shape argument as a tuple of non-negative Python ints (an int is a 1-d shape)."""
    if isinstance(shape, (int, np.integer)) and not isinstance(shape, bool):
        shape = (shape,)
    if not isinstance(shape, Sequence) and not isinstance(shape, np.ndarray):
        raise TypeError(f"Shapes must be 1D sequences of concrete values of integer type, "
                        f"got {shape!r}.")
    out = []
    for d in shape:
        if isinstance(d, bool) or not isinstance(d, (int, np.integer, Array)):
            raise TypeError(f"Shapes must be 1D sequences of concrete values of integer type, "
                            f"got {tuple(shape)!r}.")
        d = operator.index(d)
        if d < 0:
            raise ValueError(f"{name} dimensions must be non-negative, got {tuple(shape)!r}")
        out.append(d)
    return tuple(out)


def split(key, num=2):
    """``num`` new keys (an int, or a shape tuple) from one key, as a leading axis/axes."""
    data, typed = check_key("split", key)
    shape = canonicalize_shape(num, "split: num")
    return _rewrap(threefry.split(data, shape), typed)


def fold_in(key, data):
    """A new key from ``key`` and a 32-bit integer ``data`` (the hash of counter (0, data))."""
    kd, typed = check_key("fold_in", key)
    if isinstance(data, bool) or isinstance(data, int):
        if not 0 <= data < 2 ** 32:
            raise OverflowError(f"Python integer {data} out of bounds for uint32")
        d = np.uint32(data)
    elif isinstance(data, float):
        d = np.uint32(data)
    else:
        d = as_jitnet(data)
        shape = tuple(get_aval(d).shape)
        if shape:
            raise TypeError(f"fold_in accepts a scalar, but was given an array of shape {shape} "
                            f"!= (). Use jitnet.vmap for batching.")
        d = lax.convert_element_type(d, _U32)
    return _rewrap(threefry.fold_in(kd, d), typed)
