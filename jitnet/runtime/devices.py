"""Platforms, devices and device-resident arrays (JAX's model: computation follows data).

* ``devices(backend=None)``: the devices of a platform ("cpu" or "cuda"; default: the
  default platform, ``JITNET_PLATFORM`` or "cpu"). CUDA devices exist when
  ``numba.cuda.is_available()`` (a GPU, or Numba's simulator with ``NUMBA_ENABLE_CUDASIM=1``).
* ``CudaArray``: a jitnet ``Array`` whose value lives in a flat numba device buffer. Jitted
  functions take and return them without copies, so a training loop stays on the GPU.
* Transfers happen only when asked: ``np.asarray(x)`` / ``device_get`` / printing (to host),
  ``device_put`` or host arrays passed to a CUDA computation (to device). Each one is counted
  (``transfer_stats()``), as is each one-element read a loop predicate or branch index needs
  ("control" reads), so tests can assert that a step makes none.
* Eager operations on ``CudaArray``s run on the device: each (primitive, params, operand
  types) is traced once into a one-equation program and compiled by the CUDA backend
  (cached), so ``x + y`` on device arrays is a kernel launch, not a round trip.
"""
from __future__ import annotations

import os

import numpy as np

from ..core import dtypes
from ..core.aval import ShapedArray
from ..core.config import config
from ..core.lru import LRU
from ..core.sharding import CpuDevice, Device
from . import profiling
from ..trace.array import Array, ArrayImpl

PLATFORMS = ("cpu", "cuda")
_ALIASES = {"cpu": "numba", "gpu": "cuda", "cuda": "cuda", "numba": "numba",
            "interpreter": "interpreter"}


# -- platforms and devices --------------------------------------------------------------------

class CudaDevice(Device):
    platform = "cuda"

    @property
    def device_kind(self) -> str:
        if cuda_simulated():
            return "cuda simulator"
        name = _cuda().get_current_device().name
        return name.decode() if isinstance(name, bytes) else str(name)


def _cuda():
    from numba import cuda  # imported on first use: the CPU platform never loads it
    return cuda


def cuda_simulated() -> bool:
    import numba
    return bool(numba.config.ENABLE_CUDASIM)


_cuda_ok = None


def cuda_available() -> bool:
    global _cuda_ok
    if _cuda_ok is None:
        try:
            _cuda_ok = bool(_cuda().is_available())
        except Exception:  # no driver, no toolkit: no CUDA platform
            _cuda_ok = False
    return _cuda_ok


def default_platform() -> str:
    p = os.environ.get("JITNET_PLATFORM", "cpu").lower()
    p = "cuda" if p == "gpu" else p
    if p not in PLATFORMS:
        raise ValueError(f"JITNET_PLATFORM={p!r}: known platforms are {PLATFORMS}")
    return p


def devices(backend: str | None = None) -> list:
    """The devices of ``backend`` ("cpu", "cuda"/"gpu"; default: the default platform)."""
    p = default_platform() if backend is None else str(backend).lower()
    p = "cuda" if p == "gpu" else p
    if p == "cpu":
        return [CpuDevice(0)]
    if p == "cuda":
        if not cuda_available():
            raise RuntimeError("Unknown backend: 'cuda' requested, but numba.cuda found no "
                               "GPU (set NUMBA_ENABLE_CUDASIM=1 for the simulator)")
        return [CudaDevice(0)]  # the current device: one GPU per process for now
    raise RuntimeError(f"Unknown backend {backend!r}; platforms: {PLATFORMS}")


def resolve_backend(name: str | None) -> str | None:
    """A jit ``backend=`` argument as a compiler backend name ('cpu' -> 'numba', 'gpu' ->
    'cuda'); None stays None (chosen per specialization, from where the data is)."""
    if name is None:
        return None
    try:
        return _ALIASES[str(name).lower()]
    except KeyError:
        raise ValueError(f"unknown backend {name!r}; use 'cpu', 'cuda' (or 'gpu'), 'numba' "
                         f"or 'interpreter'") from None


def default_jit_backend() -> str:
    """The backend a ``jit`` without ``backend=`` uses for host inputs: the default platform's
    (``JITNET_PLATFORM``), else ``JITNET_BACKEND`` (numba)."""
    if os.environ.get("JITNET_PLATFORM") and default_platform() == "cuda":
        return "cuda"
    from .compile import default_backend
    return default_backend()


# -- transfers -----------------------------------------------------------------------------------

_ZERO = {"h2d": 0, "d2h": 0, "h2d_bytes": 0, "d2h_bytes": 0, "control": 0}
_stats = dict(_ZERO)


def transfer_stats() -> dict:
    """Counts of host<->device copies since the last reset: ``h2d``/``d2h`` (arrays) with their
    bytes, and ``control`` (one-element reads of loop predicates and branch indices)."""
    return dict(_stats)


def reset_transfer_stats() -> None:
    _stats.update(_ZERO)


def to_device(value) -> object:
    """Copy a host array to a new flat device buffer (counted)."""
    v = np.ascontiguousarray(value).reshape(-1)
    _stats["h2d"] += 1
    _stats["h2d_bytes"] += v.nbytes
    if profiling.active is None:
        return _cuda().to_device(v)
    with profiling.span("transfer", "host_to_device"):
        return _cuda().to_device(v)


def to_host(buf, shape, dtype) -> np.ndarray:
    """Copy a device buffer to a new host array of ``shape`` (counted)."""
    _stats["d2h"] += 1
    _stats["d2h_bytes"] += int(np.prod(shape, dtype=np.int64)) * np.dtype(dtype).itemsize
    if not buf.size:
        return np.empty(shape, dtype)
    if profiling.active is None:
        return buf.copy_to_host().reshape(shape)
    with profiling.span("transfer", "device_to_host"):
        return buf.copy_to_host().reshape(shape)


def read_control(buf):
    """One element of a device buffer as a Python scalar (a loop predicate, a branch index)."""
    _stats["control"] += 1
    return buf[0:1].copy_to_host()[0].item()


def empty(n: int, dtype):
    return _cuda().device_array(int(n), dtype=np.dtype(dtype))


# -- device arrays -----------------------------------------------------------------------------

class CudaArray(Array):
    """A concrete array in CUDA device memory: a flat numba device buffer, a shape, a dtype and
    JAX's weak-type flag. Operations on it run on the device; ``np.asarray`` copies it to the
    host (explicitly, counted)."""

    __slots__ = ("_buf", "_shape", "_dtype", "weak_type", "_device")

    def __init__(self, buf, shape, dtype, weak_type: bool = False, device=None):
        self._buf = buf
        self._shape = tuple(shape)
        self._dtype = np.dtype(dtype)
        self.weak_type = bool(weak_type)
        self._device = device or CudaDevice(0)

    shape = property(lambda self: self._shape)
    dtype = property(lambda self: self._dtype)
    ndim = property(lambda self: len(self._shape))

    @property
    def size(self) -> int:
        return int(np.prod(self._shape, dtype=np.int64))

    @property
    def aval(self) -> ShapedArray:
        return ShapedArray(self._shape, self._dtype, self.weak_type)

    @property
    def device(self):
        return self._device

    def devices(self) -> set:
        return {self._device}

    @property
    def platform(self) -> str:
        return "cuda"

    def __array__(self, dtype=None, copy=None):
        v = to_host(self._buf, self._shape, self._dtype)
        return v if dtype is None or np.dtype(dtype) == v.dtype else v.astype(dtype)

    def block_until_ready(self):
        _cuda().synchronize()
        return self

    def is_fully_replicated(self):
        return True

    def copy(self):
        """A new device buffer with the same value (a device-to-device copy)."""
        return CudaArray(_copy_buffer(self._buf), self._shape, self._dtype, self.weak_type,
                         self._device)

    def _host(self) -> np.ndarray:
        return np.asarray(self)

    def item(self, *args):
        return self._host().item(*args)

    def tolist(self):
        return self._host().tolist()

    def tobytes(self, order="C"):
        return self._host().tobytes(order)

    def __bool__(self):
        return bool(self._host())

    def __int__(self):
        return int(self._host())

    def __float__(self):
        return float(self._host())

    def __complex__(self):
        return complex(self._host())

    def __index__(self):
        if self._dtype.kind not in "iub":
            raise TypeError(f"only integer arrays can be used as an index, got {self.dtype}")
        return int(self._host())

    def __len__(self):
        if not self._shape:
            raise TypeError("len() of unsized object (a 0-d array)")
        return self._shape[0]

    def __iter__(self):
        if not self._shape:
            raise TypeError("iteration over a 0-d array")
        return (self[i] for i in range(self._shape[0]))

    def __repr__(self):
        v = self._host()
        body = np.array2string(v, separator=", ", prefix="Array(")
        extra = ", weak_type=True" if self.weak_type else ""
        return f"Array({body}, dtype={v.dtype.name}{extra}, device={self._device})"

    def __str__(self):
        return str(self._host())

    def __format__(self, spec):
        v = self._host()
        return format(v.item() if v.ndim == 0 else v, spec) if spec else str(v)

    def __reduce__(self):  # pickling brings the value to the host
        return (_rebuild_host, (self._host(), self.weak_type))


def _rebuild_host(value, weak_type):
    return ArrayImpl(value, weak_type)


def _copy_buffer(buf):
    out = empty(buf.size, buf.dtype)
    if buf.size:
        out.copy_to_device(buf)
    return out


# -- placement -------------------------------------------------------------------------------------

def _host_value(x):
    """(canonical NumPy value, weak_type) of a host value."""
    t = type(x)
    if t is ArrayImpl:
        return x._value, x.weak_type
    if t in (int, float, bool, complex):
        d, weak = dtypes.dtype_and_weak(x)
        return np.asarray(x, d), weak
    a = np.asarray(x)
    return a.astype(dtypes.canonicalize_dtype(a.dtype), copy=False), False


def _is_leaf_value(x) -> bool:
    return isinstance(x, (Array, np.ndarray, np.generic)) or type(x) in (int, float, bool,
                                                                         complex)


def device_put(x, device=None):
    """Place a pytree of arrays on ``device`` (default: the default platform's first device).
    Host -> CUDA and CUDA -> host copies are counted; an array already there is returned."""
    from ..core.pytree import tree_map
    dev = devices()[0] if device is None else device
    if isinstance(dev, str):
        dev = devices(dev)[0]
    if not isinstance(dev, Device):
        raise TypeError(f"device_put: expected a jitnet device (from jitnet.devices()), "
                        f"got {dev!r}")

    def put(a):
        if not _is_leaf_value(a):
            return a
        if type(a) is CudaArray:
            if dev.platform == "cuda":
                return a
            return ArrayImpl(to_host(a._buf, a._shape, a._dtype), a.weak_type)
        v, weak = _host_value(a)
        if dev.platform == "cpu":
            return a if type(a) is ArrayImpl else ArrayImpl(np.array(v), weak)
        return CudaArray(to_device(v), v.shape, v.dtype, weak, dev)
    return tree_map(put, x)


def device_get(x):
    """Pytree of jitnet arrays -> pytree of NumPy arrays (device arrays are copied, counted)."""
    from ..core.pytree import tree_map
    return tree_map(lambda a: np.asarray(a) if isinstance(a, Array) else a, x)


# -- eager operations on device arrays ----------------------------------------------------------

_eager_cache = LRU()  # one-primitive programs, bounded (memory_cache_entries)


def _freeze(params):
    return tuple(sorted(params.items()))


def eager_bind(prim, args, params):
    """Run primitive ``prim`` on operands of which at least one is a ``CudaArray``: a
    one-equation program compiled by the CUDA backend (cached per primitive, params, operand
    types and scalar values). Host array operands are copied to the device (counted)."""
    from ..trace.make_ir import trace_to_ir
    from ..trace.tracer import bind
    from .compile import compile_ir
    spec, dyn, avals = [], [], []
    for a in args:
        t = type(a)
        if t is CudaArray:
            spec.append(("d", a._shape, a._dtype, a.weak_type))
            dyn.append(a._buf)
            avals.append(a.aval)
        elif t in (int, float, bool, complex):
            spec.append(("s", t, a))
        elif t is ArrayImpl or isinstance(a, (np.ndarray, np.generic)):
            v, weak = _host_value(a)
            if v.ndim == 0:
                spec.append(("l", v.dtype, weak, v.item()))
            else:
                spec.append(("h", v.shape, v.dtype, weak))
                dyn.append(v)
                avals.append(ShapedArray(v.shape, v.dtype, weak))
        else:
            raise TypeError(f"{prim.name}: argument of type {t.__name__} is not a valid "
                            f"jitnet array: {a!r}")
    try:
        key = (prim.name, _freeze(params), tuple(spec), config.read("jax_enable_x64"))
        hit = _eager_cache.get(key)
    except TypeError:  # unhashable params: trace every time (the compile cache still hits)
        key, hit = None, None
    if hit is None:
        def flat(*tracers):
            it = iter(tracers)
            vals = []
            for s in spec:
                if s[0] in ("d", "h"):
                    vals.append(next(it))
                elif s[0] == "s":
                    vals.append(s[2])
                else:
                    vals.append(ArrayImpl(np.asarray(s[3], s[1]), s[2]))
            out = bind(prim, *vals, **params)
            return list(out) if prim.multiple_results else [out]
        ir, consts = trace_to_ir(flat, avals, transform="jit", name=prim.name)
        assert not consts, "a one-primitive program captured constants"
        hit = (ir, compile_ir(ir, "cuda"))
        if key is not None:
            _eager_cache[key] = hit
    ir, exe = hit
    outs = [CudaArray(b, a.shape, a.dtype, a.weak_type)
            for b, a in zip(exe.run_device(*dyn), ir.out_avals)]
    return outs if prim.multiple_results else outs[0]


CudaArray._eager_bind = staticmethod(eager_bind)

__all__ = ["devices", "device_put", "device_get", "CudaArray", "CpuDevice", "CudaDevice",
           "transfer_stats", "reset_transfer_stats", "default_platform", "cuda_available"]

