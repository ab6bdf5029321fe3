"""``jit`` with JAX's signature: trace once per signature, compile once per program.

A call flattens the arguments, looks up the traced IR by (argument structure,
shapes, dtypes, weak types, static values, x64 flag) and runs its compiled
executable. Called inside another trace, a jitted function becomes one
``jit_call`` equation, so transforms of jitted functions stay compiled.

The backend follows JAX's rule that computation follows data: ``backend=`` if given
('cpu', 'cuda'/'gpu'), else CUDA when an argument (or a captured constant) is a device
array, else the default platform (``JITNET_PLATFORM``). On CUDA, results stay on the device.
"""
from __future__ import annotations

import contextlib
import functools
import inspect
import time
import weakref
from typing import Callable

import numpy as np

from ..core.dtypes import kind_of
from ..core import dtypes
from ..core.aval import aval_of
from ..core.config import config
from ..core.lru import LRU
from ..core.pytree import tree_flatten, tree_unflatten
from ..core.source_info import user_line
from ..runtime import compile_log, devices, profiling
from ..compiler import prepare
from ..runtime.compile import compile_ir
from ..runtime.devices import CudaArray
from ..runtime.jit_call import jit_call_p
from ..trace.array import ArrayImpl
from ..trace.make_ir import arg_labels, eval_ir, fun_name, trace_to_ir
from ..trace.tracer import bind, current_builder
from ..transforms.cleanup import cleanup


_EMPTY_KWARGS = tree_flatten({})[1]


def _leaf_key(x):
    t = type(x)
    if t is ArrayImpl:
        k = x._key
        if k is None:
            v = x._value
            k = x._key = (v.shape, v.dtype, x.weak_type)
        return k
    if t in (float, int, bool, complex):
        return t
    if t is CudaArray:  # its own specialization: the device decides the backend
        return (x._shape, x._dtype, x.weak_type, "cuda")
    if t is np.ndarray:  # the raw dtype is fine for a key (tracing canonicalizes it)
        return (x.shape, x.dtype, False)
    a = aval_of(x)
    return (a.shape, a.dtype, a.weak_type)


def _as_value(x):
    t = type(x)
    if t is ArrayImpl:
        return x._value
    if t in (float, int, bool, complex):
        d, _ = dtypes.dtype_and_weak(x)
        return np.asarray(x, d)
    if t is CudaArray:
        return x  # stays on its device
    a = np.asarray(x)
    return a.astype(dtypes.canonicalize_dtype(a.dtype), copy=False)


def _unaliased(outs, leaves, vals):
    """Results never share memory with a caller's writable NumPy argument: JAX returns new
    buffers, and a program that returns an argument (or a reshape of it) would otherwise
    hand back the caller's own memory, changing when the caller writes to it."""
    writable = [v for x, v in zip(leaves, vals)
                if type(x) is np.ndarray and type(v) is np.ndarray and v.flags.writeable]
    if not writable:
        return outs
    return [o.copy() if any(np.may_share_memory(o, w) for w in writable) else o for o in outs]


class Traced:
    """One specialization: the IR, its captured constants, output tree and executables."""

    def __init__(self, ir, consts, out_tree, backend, leaves=()):
        self.ir, self.consts, self.out_tree, self.backend = ir, consts, out_tree, backend
        self.const_values = [_as_value(c) for c in consts]
        # computation follows data: decided once per specialization (device arguments have
        # their own), with the default platform read when it is traced
        self.on_device = any(type(c) is CudaArray for c in list(consts) + list(leaves))
        self.run_backend = backend or ("cuda" if self.on_device
                                       else devices.default_jit_backend())
        self._exes: dict = {}
        # the cache keys results will carry (a next call with them skips computing keys)
        self.out_keys = [(a.shape, a.dtype, a.weak_type) for a in ir.out_avals]
        self._device_consts = None

    def executable_for(self, backend):
        exe = self._exes.get(backend)
        if exe is None:
            exe = self._exes[backend] = compile_ir(self.ir, backend)
        return exe

    @property
    def executable(self):
        return self.executable_for(self.run_backend)

    def device_consts(self) -> list:
        """Captured constants as device buffers, copied (once) if they were on the host."""
        if self._device_consts is None:
            self._device_consts = [c._buf if type(c) is CudaArray else devices.to_device(c)
                                   for c in self.const_values]
        return self._device_consts


class Lowered:
    """What ``jit(f).lower(*args)`` returns: the IR and the generated source."""

    def __init__(self, traced: Traced):
        self.traced = traced

    def as_text(self) -> str:
        return str(prepare(self.traced.ir))

    def source(self) -> str:
        return self.compile().source()

    def compile(self):
        exe = self.traced.executable
        # the machine code itself: a tiered executable waits for its compiled program
        return exe.compiled() if hasattr(exe, "compiled") else exe

    def __str__(self):
        return f"# IR\n{self.as_text()}\n\n# generated source\n{self.source()}"


class TracedStage:
    """What ``jit(f).trace(*args)`` returns: the IR (``jaxpr``, printed like one), the
    output structure, and ``lower()`` for the compile stage."""

    def __init__(self, traced: Traced):
        self.traced = traced

    @property
    def jaxpr(self):
        return self.traced.ir

    @property
    def out_info(self):
        from .eval_shape import ShapeDtypeStruct
        return self.traced.out_tree.unflatten(ShapeDtypeStruct(a.shape, a.dtype)
                                              for a in self.traced.ir.out_avals)

    def lower(self) -> Lowered:
        return Lowered(self.traced)


# every jitted function, so jitnet.clear_caches() can empty their trace caches
ALL_JITTED: weakref.WeakSet = weakref.WeakSet()


class Jitted:
    def __init__(self, fun, static_argnums, static_argnames, donate_argnums, backend):
        functools.update_wrapper(self, fun)
        self.fun = fun
        sig_names = []
        try:
            params = inspect.signature(fun).parameters
        except (TypeError, ValueError):
            params = {}
        sig_names = list(params)
        nums = set((static_argnums,) if isinstance(static_argnums, int) else static_argnums)
        names = set((static_argnames,) if isinstance(static_argnames, str) else static_argnames)
        nums = _check_static_args(fun, params, nums, names)
        for n in names:  # static names also make their positions static, and vice versa
            if n in sig_names:
                nums.add(sig_names.index(n))
        for i in list(nums):
            if i < len(sig_names):
                names.add(sig_names[i])
        self.static_argnums, self.static_argnames = frozenset(nums), frozenset(names)
        self.donate_argnums = donate_argnums
        self.backend = devices.resolve_backend(backend)
        self._cache = LRU()  # traces by signature, bounded (memory_cache_entries)
        ALL_JITTED.add(self)

    def _split(self, args, kwargs):
        static = []
        dyn_args = []
        for i, a in enumerate(args):
            if i in self.static_argnums:
                static.append((i, _hashable_static(a, i)))
            else:
                dyn_args.append(a)
        dyn_kwargs = {}
        for k, v in kwargs.items():
            if k in self.static_argnames:
                static.append((k, _hashable_static(v, k)))
            else:
                dyn_kwargs[k] = v
        return tuple(static), tuple(dyn_args), dyn_kwargs

    def _trace(self, static, dyn_args, dyn_kwargs, leaves, in_tree, nargs):
        static_d = dict(static)
        store = {}
        if isinstance(in_tree, tuple):  # the fast path's (args tree, no kwargs)
            in_tree = tree_flatten((dyn_args, dyn_kwargs))[1]

        def flat_fun(*flat):
            a, kw = tree_unflatten(in_tree, flat)
            it = iter(a)
            full = [static_d[i] if i in static_d else next(it) for i in range(nargs)]
            kw = dict(kw, **{k: v for k, v in static_d.items() if isinstance(k, str)})
            out_leaves, store["tree"] = tree_flatten(self.fun(*full, **kw))
            return out_leaves

        avals = [aval_of(x) for x in leaves]
        ir, consts = trace_to_ir(flat_fun, avals, transform="jit", name=fun_name(self.fun),
                                 arg_labels=arg_labels(self.fun, dyn_args, dyn_kwargs))
        return Traced(cleanup(ir), consts, store["tree"], self.backend, leaves)

    def _specialize(self, args, kwargs):
        if not kwargs and not self.static_argnums:  # the common case, with less bookkeeping
            static, dyn_args, dyn_kwargs = (), args, {}
            leaves, args_tree = tree_flatten(args)
            in_tree = (args_tree, _EMPTY_KWARGS)
        else:
            static, dyn_args, dyn_kwargs = self._split(args, kwargs)
            leaves, in_tree = tree_flatten((dyn_args, dyn_kwargs))
        key = (static, in_tree, tuple(map(_leaf_key, leaves)), config.read("jax_enable_x64"))
        traced = self._cache.get(key)
        if traced is None:
            previous = list(self._cache)
            start = time.perf_counter()
            with profiling.span("trace", fun_name(self.fun)):
                traced = self._cache[key] = self._trace(static, dyn_args, dyn_kwargs, leaves,
                                                        in_tree, len(args))
            took = time.perf_counter() - start
            compile_log.record("trace", lambda: (
                f"{fun_name(self.fun)} in {took:.3f} s: "
                f"{compile_log.why(previous, key, arg_labels(self.fun, dyn_args, dyn_kwargs))}"))
        return traced, leaves

    def __call__(self, *args, **kwargs):
        rec = profiling.active      # None unless jitnet.profiler is recording
        if rec is not None and not rec.dispatching:
            return rec.dispatch(self, fun_name(self.fun), args, kwargs)
        if config.read("jax_disable_jit"):
            return self.fun(*args, **kwargs)
        traced, leaves = self._specialize(args, kwargs)
        if current_builder() is not None:
            outs = bind(jit_call_p, *traced.consts, *leaves, ir=traced.ir,
                        name=fun_name(self.fun), backend=self.backend)
            return tree_unflatten(traced.out_tree, outs)
        backend = traced.run_backend
        if backend == "cuda":
            return self._call_cuda(traced, leaves, args, kwargs)
        if traced.on_device:
            raise ValueError(f"jit of {fun_name(self.fun)} with backend={self.backend!r} got "
                             f"arrays on a CUDA device; copy them to the host first "
                             f"(jitnet.device_get, or device_put(x, jitnet.devices('cpu')[0]))"
                             f"{user_line()}")
        vals = [_as_value(x) for x in leaves]
        if rec is None:
            outs = traced.executable(*traced.const_values, *vals)
        else:
            exe = traced.executable
            with rec.span("execute", fun_name(self.fun)):
                outs = exe(*traced.const_values, *vals)
        outs = _unaliased(outs, leaves, vals)
        if config.read("jax_debug_nans"):
            self._check_nans(traced, outs, leaves)
        return tree_unflatten(traced.out_tree, [ArrayImpl(o, k[2], k) if o.shape == k[0]
                                                else ArrayImpl(o, k[2])
                                                for o, k in zip(outs, traced.out_keys)])

    def _call_cuda(self, traced, leaves, args, kwargs):
        """Run on the CUDA backend: device arguments are passed as they are, host ones copied
        in; the results stay on the device."""
        exe = traced.executable_for("cuda")
        vals = [x._buf if type(x) is CudaArray else _as_value(x) for x in leaves]
        with profiling.span("execute", fun_name(self.fun)):
            bufs = exe.run_device(*traced.device_consts(), *vals)
        outs = [CudaArray(b, a.shape, a.dtype, a.weak_type)
                for b, a in zip(bufs, traced.ir.out_avals)]
        if config.read("jax_debug_nans"):  # debugging asks for the values: copies them
            self._check_nans(traced, [np.asarray(o) for o in outs], leaves)
        return tree_unflatten(traced.out_tree, outs)

    def _check_nans(self, traced, outs, leaves):
        """A NaN in a jitted result: replay the compiled program's primitives one by one with
        their NumPy implementations and name the first that makes a NaN, with the user's
        line that traced it (JAX re-runs op by op). Replaying the program, not calling the
        Python function again, finds it even when the function would not trace the same
        way twice (state, randomness)."""
        if not any(kind_of(o.dtype) in "fc" and np.isnan(o).any() for o in outs):
            return
        name = fun_name(self.fun)

        def check(eqn, results):
            if any(kind_of(r.dtype) in "fc" and np.isnan(np.asarray(r)).any() for r in results):
                where = f" (at {eqn.source})" if eqn.source else ""
                raise FloatingPointError(f"invalid value (nan) encountered in {eqn.prim.name}"
                                         f"{where}, in jitted function {name}")

        config.update("jax_debug_nans", False)  # the replay checks with the traced lines
        try:
            ir = prepare(traced.ir)
            vals = [ArrayImpl.borrow(np.asarray(_as_value(x)), v.aval.weak_type)
                    for x, v in zip(list(traced.consts) + list(leaves), ir.invars)]
            eval_ir(ir, vals, after=check)
        finally:
            config.update("jax_debug_nans", True)
        raise FloatingPointError(f"invalid value (nan) in the output of jitted function "
                                 f"{name}, but its primitives replayed one by one with NumPy "
                                 f"make none: the compiled code differs from them here "
                                 f"(JITNET_BACKEND=interpreter runs the reference)")

    def lower(self, *args, **kwargs) -> Lowered:
        return Lowered(self._specialize(args, kwargs)[0])

    def trace(self, *args, **kwargs) -> "TracedStage":
        """JAX's ``jit(f).trace(*args)``: the traced stage (``.jaxpr``, ``.lower()``)."""
        return TracedStage(self._specialize(args, kwargs)[0])

    def trace_count(self) -> int:
        """How many specializations have been traced (for tests of retracing)."""
        return len(self._cache)

    def clear_cache(self):
        self._cache.clear()

    def __get__(self, obj, objtype=None):  # jit on methods
        return self if obj is None else functools.partial(self, obj)


def _check_static_args(fun, params, nums, names) -> set:
    """Static argument numbers (negative ones counted from the end) must name positional
    parameters and static names must name parameters, unless the signature takes ``*args``
    / ``**kwargs``; a typo would otherwise silently make nothing static (JAX raises)."""
    if not params:  # no signature to check against (a builtin)
        return nums
    kinds = [p.kind for p in params.values()]
    positional = sum(k in (inspect.Parameter.POSITIONAL_ONLY,
                           inspect.Parameter.POSITIONAL_OR_KEYWORD) for k in kinds)
    if inspect.Parameter.VAR_POSITIONAL not in kinds:
        bad = sorted(i for i in nums if not -positional <= i < positional)
        if bad:
            raise ValueError(f"jit of {fun_name(fun)}: static_argnums {tuple(bad)} out of range"
                             f": the function takes {positional} positional argument(s)"
                             f"{user_line()}")
        nums = {i % positional for i in nums}
    if inspect.Parameter.VAR_KEYWORD not in kinds:
        bad = sorted(n for n in names if n not in params)
        if bad:
            raise ValueError(f"jit of {fun_name(fun)}: static_argnames {tuple(bad)} are not "
                             f"parameters of the function ({', '.join(params)}){user_line()}")
    return nums


def _hashable_static(v, where):
    try:
        hash(v)
    except TypeError:
        raise ValueError(f"Non-hashable static arguments are not supported: the static "
                         f"argument {where!r} of type {type(v).__name__} is not hashable"
                         f"{user_line()}") from None
    return v


def jit(fun: Callable | None = None, *, static_argnums=(), static_argnames=(),
        donate_argnums=(), backend: str | None = None, device=None, inline: bool = False,
        keep_unused: bool = False):
    """Compile ``fun``; usable as ``jit(f, ...)`` or ``@jit`` / ``@partial(jit, ...)``."""
    if fun is None:
        return functools.partial(jit, static_argnums=static_argnums,
                                 static_argnames=static_argnames, donate_argnums=donate_argnums,
                                 backend=backend, device=device)
    if backend is None and device is not None:  # jit(f, device=d): d's platform
        backend = device.platform if hasattr(device, "platform") else None
    return Jitted(fun, static_argnums, static_argnames, donate_argnums, backend)


@contextlib.contextmanager
def disable_jit(disable: bool = True):
    """Within this context, jitted functions run eagerly (op by op), for debugging."""
    prev = config.read("jax_disable_jit")
    config.update("jax_disable_jit", disable)
    try:
        yield
    finally:
        config.update("jax_disable_jit", prev)


__all__ = ["jit", "disable_jit"]
