"""Arrays in and out of files, buffers and text, and printing: ``load``/``save``/``savez``
(NumPy's ``.npy``/``.npz`` formats, never pickle), ``frombuffer``, ``fromfile``,
``fromiter``, ``fromstring``, ``from_dlpack``, ``array_repr``/``array_str`` and the print
options. Files are read by NumPy with ``allow_pickle=False``: loading cannot run code."""
from __future__ import annotations

import contextlib

import numpy as np

from .. import numpy as jnp
from .util import as_jitnet


def _to_numpy(a):
    return np.asarray(as_jitnet(a))


def save(file, arr, allow_pickle=False, fix_imports=True):
    """Write ``arr`` to a ``.npy`` file (object arrays refused: no pickle)."""
    if allow_pickle:
        raise ValueError("jnp.save: allow_pickle=True is not supported (pickle can run code "
                         "when loaded)")
    np.save(file, _to_numpy(arr), allow_pickle=False)


def savez(file, *args, **kwds):
    """Write several arrays to an uncompressed ``.npz`` archive."""
    np.savez(file, *[_to_numpy(a) for a in args], **{k: _to_numpy(v) for k, v in kwds.items()})


def load(file, *args, **kwargs):
    """Read a ``.npy`` (an array) or ``.npz`` file (a dict of arrays), never unpickling."""
    if kwargs.pop("allow_pickle", False):
        raise ValueError("jnp.load: allow_pickle=True is not supported (pickle can run code)")
    out = np.load(file, *args, allow_pickle=False, **kwargs)
    if isinstance(out, np.lib.npyio.NpzFile):
        with out:
            return {k: jnp.asarray(out[k]) for k in out.files}
    return jnp.asarray(out)


def frombuffer(buffer, dtype=float, count=-1, offset=0):
    return jnp.asarray(np.frombuffer(buffer, dtype=dtype, count=count, offset=offset))


def fromfile(*args, **kwargs):
    """Not supported (as in JAX): read with ``numpy.fromfile`` and call ``jnp.asarray``."""
    raise NotImplementedError("jnp.fromfile is not supported (as in JAX): use "
                              "jnp.asarray(np.fromfile(...))")


def fromiter(iterable, dtype, count=-1):
    return jnp.asarray(np.fromiter(iterable, dtype=dtype, count=count))


def fromstring(string, dtype=float, count=-1, *, sep):
    """Numbers parsed from text separated by ``sep`` (binary mode is deprecated in NumPy)."""
    return jnp.asarray(np.fromstring(string, dtype=dtype, count=count, sep=sep))


def from_dlpack(x, /, *, device=None, copy=None):
    """An array from any object with ``__dlpack__`` (NumPy, PyTorch...), copied to the host."""
    return jnp.asarray(np.from_dlpack(x))


def array_repr(arr, max_line_width=None, precision=None, suppress_small=None):
    return np.array_repr(_to_numpy(arr), max_line_width, precision, suppress_small)


def array_str(a, max_line_width=None, precision=None, suppress_small=None):
    return np.array_str(_to_numpy(a), max_line_width, precision, suppress_small)


get_printoptions = np.get_printoptions
set_printoptions = np.set_printoptions


@contextlib.contextmanager
def printoptions(*args, **kwargs):
    """Temporarily set NumPy's print options (jitnet arrays print through NumPy)."""
    with np.printoptions(*args, **kwargs):
        yield np.get_printoptions()
