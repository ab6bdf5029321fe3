"""Numba's disk cache, kept inside jitnet's signed cache directory.

Numba caches machine code as pickles beside the source, in ``NUMBA_CACHE_DIR`` or in the
user's cache, and unpickles whatever it finds there. jitnet never lets it choose: the
functions of generated modules (``jn_njit``, ``jn_cuda_jit``) get a cache object whose
files live in ``disk_cache.store()``, are signed when written and verified, on the very
bytes read, before they are unpickled. An unsigned or mismatching file is deleted and the
function recompiled. (The eager kernels keep their object code themselves:
``eager_kernels.py``.)
"""
from __future__ import annotations

import contextlib
import functools
import inspect
import itertools
import os
import pickle
import sys

import numba
from numba.core import bytecode as _bytecode
from numba.core.caching import FunctionCache, IndexDataCacheFile, _CacheLocator

from . import disk_cache

# Numba makes symbol names unique with a per-process counter (``FunctionIdentity``'s ids):
# machine code cached by two processes that both counted from 1 (a kernel compiled by a child
# of ``runtime/c_kernel.py``, another by this process or another child) can then define one name
# for two different functions, e.g. the float32 and float64 closures of one helper, and the
# loader links the first. Each process counts from a random start instead.
_bytecode.FunctionIdentity._unique_ids = itertools.count(
    int.from_bytes(os.urandom(5), "little") * 1000 + 1)


class _Unverified(OSError):
    """A cache file without a valid signature, or unreadable (``IndexDataCacheFile.load``
    treats OSError as a miss)."""


class _Locator(_CacheLocator):
    """Places a function's cache files in the store, whatever Numba's settings say."""

    def __init__(self, py_func, store):
        self._py_file = inspect.getfile(py_func)
        self._lineno = py_func.__code__.co_firstlineno
        self._store = store

    def ensure_cache_path(self):
        pass  # the store created and checked its directory

    def get_cache_path(self):
        return self._store.dir

    def get_source_stamp(self):
        # generated modules are named by their text; the ufuncs' helpers are in the tag
        return disk_cache.environment_tag()

    def get_disambiguator(self):
        return str(self._lineno)

    @classmethod
    def from_function(cls, py_func, py_file):  # pragma: no cover - built directly
        raise NotImplementedError


class _SignedFiles(IndexDataCacheFile):
    """Numba's index and data files, each signed (``Store.write_signed``) and verified
    before ``pickle.loads`` sees its bytes."""

    def __init__(self, store, filename_base, source_stamp):
        super().__init__(store.dir, filename_base, source_stamp)
        self._store = store

    def _read(self, path):
        payload = self._store.read_signed(os.path.basename(path))
        if payload is None:
            raise _Unverified(f"unsigned cache file {path}")
        return payload

    def _write(self, path, payload):
        if disk_cache.store() is not self._store:
            return  # the location became unusable (warned) or the settings changed
        try:
            self._store.write_signed(os.path.basename(path), payload)
        except OSError as err:
            disk_cache.disable(err)

    def save(self, key, data):
        # Numba reads the index, names the new data file by the number of entries and
        # writes both: two processes adding overloads of one function at once (a kernel's
        # float32 and float64, compiled by two children of runtime/c_kernel.py or two pytest
        # workers) would both name theirs ".1" and the index would point one signature at
        # the other's code. The store's lock on the index makes that sequence atomic.
        st = disk_cache.store()
        if st is not self._store:
            return  # the location became unusable (warned) or the settings changed
        try:
            with st.locked(os.path.basename(self._index_path)):
                super().save(key, data)
        except OSError as err:
            disk_cache.disable(err)

    def _load_index(self):
        try:
            payload = self._read(self._index_path)
        except OSError:
            return {}
        try:  # our own (signed) file, but maybe written by another Numba version
            version, stamp, overloads = pickle.loads(payload)
        except Exception:
            return {}
        if version != self._version or stamp != self._source_stamp:
            return {}
        return overloads

    def _save_index(self, overloads):
        self._write(self._index_path,
                    self._dump((self._version, self._source_stamp, overloads)))

    def _load_data(self, name):
        path = self._data_path(name)
        payload = self._read(path)
        try:
            tup = pickle.loads(payload)
        except Exception as err:  # signed by us, unreadable by this Numba: recompile
            raise _Unverified(f"unreadable cache file {path}: {err}") from None
        with contextlib.suppress(OSError):
            os.utime(path)  # last use, for eviction
        return tup

    def _save_data(self, name, data):
        self._write(self._data_path(name), self._dump(data))


@functools.lru_cache(maxsize=None)
def _signed(cache_class):
    """A subclass of a Numba ``Cache`` class whose files are ``_SignedFiles`` in a store."""

    class Signed(cache_class):
        def __init__(self, py_func, store):
            # Numba's own __init__ searches locators (NUMBA_CACHE_DIR, __pycache__, the user
            # cache, NUMBA_CACHE_LOCATOR_CLASSES): build the same state with ours instead
            self._name = repr(py_func)
            self._py_func = py_func
            impl = object.__new__(self._impl_class)
            impl._lineno = py_func.__code__.co_firstlineno
            impl._locator = _Locator(py_func, store)
            modname = os.path.splitext(os.path.basename(impl._locator._py_file))[0]
            impl._filename_base = impl.get_filename_base(
                f"{modname}.{py_func.__qualname__}", getattr(sys, "abiflags", ""))
            self._impl = impl
            self._cache_path = store.dir
            self._cache_file = _SignedFiles(store, impl.filename_base,
                                            impl.locator.get_source_stamp())
            if hasattr(cache_class, "set_launch_config_key"):
                # numba-cuda's CUDACache sets this state in the __init__ not chained to here
                # (the dispatcher reads it on every cached launch); its marker is an empty file
                self._launch_config_key = None
                self._launch_config_sensitive_flag = None
                self._launch_config_marker_path = os.path.join(
                    store.dir, f"{impl.filename_base}.lcs")
            self.enable()

        def load_overload(self, sig, target_context):
            # Numba refreshes the target context first (~0.3 s: it imports and installs
            # every typing and lowering registry), which rebuilding cached machine code does
            # not use (a compilation refreshes it itself): only the runtime (NRT) the code
            # calls is initialised. If the load fails, it is retried as Numba does it.
            from numba.core.runtime import rtsys
            try:
                rtsys.initialize(target_context)
                with self._guard_against_spurious_io_errors():
                    return self._load_overload(sig, target_context)
            except Exception:
                return super().load_overload(sig, target_context)

        def save_overload(self, sig, data):
            try:
                super().save_overload(sig, data)
            except RuntimeError as err:
                # numba-cuda cannot serialize a kernel that links files (float16 code on a
                # GPU): such kernels compile again in each process, as without a cache
                if "Cannot pickle" not in str(err):
                    raise

    Signed.__name__ = Signed.__qualname__ = "Signed" + cache_class.__name__
    return Signed


SignedFunctionCache = _signed(FunctionCache)


# called after an entry is compiled or loaded, before it runs (``c_kernel.wait_all``:
# the kernels it calls that child processes compile)
after_compile: list = []


def jn_njit(**options):
    """``numba.njit`` for generated modules: machine code is cached in the store the module
    was loaded with (``__jitnet_cache__``), or not at all when compiling in memory."""
    def wrap(fn):
        disp = numba.njit(**options)(fn)
        st = fn.__globals__.get("__jitnet_cache__")
        if st is not None:
            disp._cache = SignedFunctionCache(fn, st)  # what cache=True does, with our class
        compile_ = disp.compile

        def compile(sig):
            res = compile_(sig)
            for hook in after_compile:
                hook()
            return res
        disp.compile = compile
        return disp
    return wrap


def jn_cuda_jit(fn):
    """``numba.cuda.jit`` for generated modules, cached like ``jn_njit``."""
    from numba import cuda
    disp = cuda.jit(fn)
    st = fn.__globals__.get("__jitnet_cache__")
    if st is not None:
        from numba.cuda.dispatcher import CUDACache
        disp._cache = _signed(CUDACache)(fn, st)
    return disp
