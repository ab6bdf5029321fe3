"""Tracing: ``bind`` either runs a primitive eagerly or records it into the innermost ``Builder``.

There is one kind of tracer. Every transform traces a function into IR with a
fresh ``Builder`` pushed on the trace stack; while it is there, *every*
primitive applied (even to constants) is recorded into it. A tracer of an
outer, still-active builder used inside an inner trace is captured as an input
of the inner IR, so nested transforms compose by plain IR evaluation. A tracer
whose builder has finished is an escaped tracer: using it is an error that
names where it was created.

A builder may also *know the values* it traces (``Builder(known=True)``): differentiation
outside ``jit``/``vmap`` re-traces that way when the function applies Python control flow to
a value (``if x > 0:``), as JAX's eager autodiff allows. Each equation is then also run
eagerly, so ``bool``/``int``/``.item()`` of a tracer answer from its known value and the IR
records the branch taken for these inputs only (such IR is never cached).
"""
from __future__ import annotations

import threading

import numpy as np

from ..core.dtypes import kind_of
from ..core import dtypes
from ..core.aval import ShapedArray, check_allocation
from ..core.config import config
from ..core.errors import (TracerArrayConversionError, TracerBoolConversionError,
                           TracerIntegerConversionError, ConcretizationTypeError,
                           UnexpectedTracerError, value_needed)
from ..core.ir import IR, Eqn, Literal, Var, sub_irs_of
from ..core.source_info import SourceInfo, current_source_info, user_line
from .array import Array, ArrayImpl


class _State(threading.local):
    def __init__(self):
        self.stack: list[Builder] = []


_state = _State()


class Tracer(Array):
    """A staged value: an abstract array bound to a variable of the builder tracing it."""

    __slots__ = ("aval", "builder", "var", "source", "known")

    def __init__(self, builder: "Builder", var: Var, source, known=None):
        self.aval = var.aval
        self.builder = builder
        self.var = var
        self.source = source  # SourceInfo of the creating line, or a str for arguments
        self.known = known  # the concrete value, when the builder knows values (else None)

    shape = property(lambda self: self.aval.shape)
    dtype = property(lambda self: self.aval.dtype)
    weak_type = property(lambda self: self.aval.weak_type)
    ndim = property(lambda self: len(self.aval.shape))

    def __repr__(self):
        return f"Traced<{self.aval.str_short()}>with<{self.builder.transform}>"

    def _concretization_error(self, what: str, cls, fix: str, values_would_do: bool = False):
        outer = [b.transform for b in _state.stack if b is not self.builder]
        within = "".join(f" inside {t}" for t in reversed(outer))
        err = cls(
            f"{what} a traced value ({self.aval.str_short()}){user_line()}.\n"
            f"The value is abstract while `{self.builder.fun_name}` is traced for "
            f"{self.builder.transform}{within}{self.builder.depends_on(self)}, so Python "
            f"cannot see it.\n{fix}")
        return value_needed(err) if values_would_do else err

    def __bool__(self):
        if self.known is not None:
            return self.known.__bool__()
        raise self._concretization_error(
            "Python control flow (if / while / and / or / bool()) was applied to",
            TracerBoolConversionError,
            "Fix: use jitnet.lax.cond or jitnet.lax.switch for a branch, "
            "jitnet.lax.while_loop / fori_loop for a loop, jnp.where to select values, "
            "or pass the argument as static (jit's static_argnums / static_argnames).",
            values_would_do=True)

    def _int_error(self, what):
        return self._concretization_error(
            what, TracerIntegerConversionError,
            "Fix: keep the value as an array (use it in jnp operations or as an index into "
            "jnp arrays), use jitnet.lax.dynamic_slice for a traced offset, or mark the "
            "argument static with jit's static_argnums / static_argnames.",
            values_would_do=True)

    def __int__(self):
        if self.known is not None:
            return self.known.__int__()
        raise self._int_error("int() was applied to")

    def __index__(self):
        if self.known is not None:
            return self.known.__index__()
        raise self._int_error("A traced value was used as a Python index (__index__) on")

    def __float__(self):
        raise self._concretization_error(
            "float() was applied to", ConcretizationTypeError,
            "Fix: keep the value as an array, or mark the argument static "
            "(jit's static_argnums / static_argnames).")

    __complex__ = __float__

    def item(self, *args):
        if self.known is not None:
            return self.known.item(*args)
        raise self._concretization_error(
            ".item() was called on", ConcretizationTypeError,
            "Fix: return the array from the transformed function and call .item() outside.",
            values_would_do=True)

    def tolist(self):
        if self.known is not None:
            return self.known.tolist()
        return self.item()

    def __array__(self, dtype=None, copy=None):
        raise self._concretization_error(
            "NumPy (np.asarray / a NumPy function) was applied to", TracerArrayConversionError,
            "Fix: use jitnet.numpy (jnp) functions inside transformed code instead of "
            "numpy ones.")

    def __len__(self):
        if not self.aval.shape:
            raise TypeError("len() of unsized object (a 0-d traced array)")
        return self.aval.shape[0]

    def __iter__(self):
        if not self.aval.shape:
            raise TypeError("iteration over a 0-d traced array")
        return (self[i] for i in range(self.aval.shape[0]))

    def block_until_ready(self):
        return self


class Builder:
    """Records equations for one trace: the IR of one function under one transform."""

    def __init__(self, transform: str, fun_name: str, known: bool = False):
        self.transform = transform
        self.fun_name = fun_name
        self.known = known  # also compute each value eagerly (see the module docstring)
        self.eqns: list[Eqn] = []
        self.args: list[Var] = []
        self.arg_labels: list[str] = []
        self.consts: dict[int, tuple[object, Var]] = {}  # id(value) -> (value, var)
        self.alive = True

    # -- inputs -------------------------------------------------------------------
    def new_arg(self, aval: ShapedArray, label: str, known=None) -> Tracer:
        v = Var(aval)
        self.args.append(v)
        self.arg_labels.append(label)
        if known is not None and type(known) is not ArrayImpl:
            known = ArrayImpl(np.array(known, aval.dtype), aval.weak_type)
        return Tracer(self, v, f"argument {label} of {self.fun_name}", known)

    def _capture(self, value, aval: ShapedArray) -> Var:
        entry = self.consts.get(id(value))
        if entry is None:
            entry = self.consts[id(value)] = (value, Var(aval))
        return entry[1]

    def to_atom(self, x):
        """The IR atom for ``x``: our own tracer's var, a captured value, or a literal."""
        if isinstance(x, Tracer):
            if x.builder is self:
                return x.var
            if not x.builder.alive:
                raise escaped_tracer_error(x)
            return self._capture(x, x.aval)  # an outer trace's value: a closure input
        if isinstance(x, Literal):
            return x
        t = type(x)
        if t in (int, float, bool, complex):
            dtype, weak = dtypes.dtype_and_weak(x)
            return Literal(x, ShapedArray((), dtype, weak))
        if t is ArrayImpl:
            if x._value.ndim == 0:
                return Literal(x._value, x.aval)
            return self._capture(x, x.aval)
        if isinstance(x, (np.ndarray, np.generic)):
            dtype = dtypes.canonicalize_dtype(x.dtype)
            arr = ArrayImpl(np.array(x, dtype))  # a copy: the user's array stays writable
            if arr.ndim == 0:
                return Literal(arr._value, arr.aval)
            return self._capture(arr, arr.aval)
        if getattr(t, "_eager_bind", None) is not None:
            return self._capture(x, x.aval)  # a device array: an input, never a literal
        raise TypeError(f"value of type {t.__name__} is not a valid jitnet array: {x!r}")

    # -- equations ----------------------------------------------------------------
    def emit(self, prim, args, params):
        atoms = [self.to_atom(a) for a in args]
        source = current_source_info()
        out = prim.shape_rule(*[a.aval for a in atoms], **params)
        _check_sizes(prim, out)
        known = _known_results(prim, args, params) if self.known else None
        if prim.multiple_results:
            outvars = [Var(a) for a in out]
            self.eqns.append(Eqn(prim, atoms, outvars, params, source))
            known = known or [None] * len(outvars)
            return [Tracer(self, v, source, k) for v, k in zip(outvars, known)]
        v = Var(out)
        self.eqns.append(Eqn(prim, atoms, [v], params, source))
        return Tracer(self, v, source, known)

    def build(self, outs) -> tuple[IR, list]:
        """Finish: the IR (captured values first, as consts) and the captured values."""
        outvars = [self.to_atom(o) for o in outs]
        consts = [value for value, _ in self.consts.values()]
        constvars = [v for _, v in self.consts.values()]
        return IR(constvars + self.args, self.eqns, outvars, num_consts=len(constvars)), consts

    # -- diagnostics --------------------------------------------------------------
    def depends_on(self, t: Tracer) -> str:
        """', which depends on argument(s) x, y' for error messages."""
        if t.builder is not self:
            return ""
        needed = {id(t.var)}
        for e in reversed(self.eqns):
            if any(id(o) in needed for o in e.outputs):
                needed.update(id(a) for a in e.inputs if isinstance(a, Var))
        labels = [lbl for v, lbl in zip(self.args, self.arg_labels) if id(v) in needed]
        if not labels:
            return ""
        return f", and it depends on argument{'s' if len(labels) > 1 else ''} {', '.join(labels)}"


def concrete(x):
    """``x`` as a concrete ``ArrayImpl`` when its value is known here (an eager array, or a
    tracer of a builder that knows values), else None."""
    if type(x) is ArrayImpl:
        return x
    if isinstance(x, Tracer):
        return x.known
    return None


def known_value(x):
    """The concrete value of ``x`` as ``eager`` takes it, or None when it has none."""
    if isinstance(x, Tracer):
        return x.known
    if type(x) in (ArrayImpl, int, float, bool, complex) or isinstance(x, (np.ndarray, np.generic)):
        return x
    return None  # a device array or an unknown type: not run eagerly during a trace


def _known_results(prim, args, params):
    """``prim`` run eagerly on the known values of ``args`` (None if one is unknown). The
    trace stack is set aside meanwhile, so a higher-order primitive's body runs, not records."""
    vals = [known_value(a) for a in args]
    if any(v is None for v in vals):
        return None
    stack = _state.stack
    _state.stack = []
    try:
        return eager(prim, vals, params)
    except Exception:  # the value stays unknown; using it in Python raises the usual error
        return None
    finally:
        _state.stack = stack


def escaped_tracer_error(t: Tracer) -> UnexpectedTracerError:
    b = t.builder
    origin = t.source if isinstance(t.source, str) else f"the operation at {t.source}"
    return UnexpectedTracerError(
        f"An escaped tracer was used{user_line()}: a value ({t.aval.str_short()}) created "
        f"by {origin} while tracing `{b.fun_name}` for {b.transform} was kept after that "
        f"trace finished (stored in a global, an attribute or a closure, or returned through "
        f"a side channel). Return values from the transformed function instead, or pass "
        f"them in as arguments.")


def current_builder() -> Builder | None:
    stack = _state.stack
    return stack[-1] if stack else None


class tracing:
    """Context manager that makes ``builder`` the innermost trace."""

    def __init__(self, builder: Builder):
        self.builder = builder

    def __enter__(self):
        _state.stack.append(self.builder)
        return self.builder

    def __exit__(self, *exc):
        popped = _state.stack.pop()
        assert popped is self.builder, "trace stack corrupted"
        popped.alive = False


# -- bind ----------------------------------------------------------------------

_scalar_avals: dict = {}


def _scalar_aval(x) -> ShapedArray:
    key = (type(x), dtypes.x64_enabled())
    a = _scalar_avals.get(key)
    if a is None:
        dtype, weak = dtypes.dtype_and_weak(x)
        a = _scalar_avals[key] = ShapedArray((), dtype, weak)
    return a


def bind(prim, *args, **params):
    """Apply ``prim``: record it in the innermost trace, or run its NumPy impl eagerly."""
    stack = _state.stack
    if stack:
        return stack[-1].emit(prim, args, params)
    return eager(prim, args, params)


def eager(prim, args, params):
    vals, avals = [], []
    low = False  # a float16/bfloat16 operand (checked once per array operand, by a set lookup)
    for a in args:
        t = type(a)
        if t is ArrayImpl:
            v = a._value
            vals.append(v)
            avals.append(a)
            if v.dtype in _LOW:
                low = True
        elif t in (float, int, bool, complex):  # weak: never float16/bfloat16
            aval = _scalar_aval(a)
            vals.append(np.asarray(a, aval.dtype))
            avals.append(aval)
        elif isinstance(a, Tracer):
            raise escaped_tracer_error(a)
        elif isinstance(a, (np.ndarray, np.generic)):
            v = np.asarray(a, dtypes.canonicalize_dtype(a.dtype))
            vals.append(v)
            avals.append(ShapedArray(v.shape, v.dtype))
            if v.dtype in _LOW:
                low = True
        elif getattr(t, "_eager_bind", None) is not None:
            return t._eager_bind(prim, args, params)  # an operand on a device: run there
        else:
            raise TypeError(f"{prim.name}: argument of type {t.__name__} is not a valid "
                            f"jitnet array: {a!r}")
    out_aval = prim.shape_rule(*avals, **params)
    _check_sizes(prim, out_aval)
    if low and prim.name != "bitcast_convert_type" and \
            not any(sub_irs_of(params)):
        out = _impl_in_float32(prim, vals, params)
    else:
        out = prim.impl(*vals, **params)
    if prim.multiple_results:
        outs = [_wrap(o, a) for o, a in zip(out, out_aval)]
        if config.read("jax_debug_nans"):
            for o in outs:
                _check_nans(prim, o)
        return outs
    out = _wrap(out, out_aval)
    if config.read("jax_debug_nans"):
        _check_nans(prim, out)
    return out


_LOW = dtypes.LOW_PRECISION  # a set that gains bfloat16 when ml_dtypes loads


def _impl_in_float32(prim, vals, params):
    """float16/bfloat16 operands: compute in float32 (``_wrap`` rounds the results to the
    output dtype), as the compiled code does (``transforms/low_precision.py``)."""
    vals = [v.astype(np.float32) if v.dtype in _LOW else v for v in vals]
    return prim.impl(*vals, **{k: dtypes.widen_param(p) for k, p in params.items()})


def _check_sizes(prim, out) -> None:
    if prim.multiple_results:
        for a in out:
            check_allocation(prim.name, a, user_line)
    else:
        check_allocation(prim.name, out, user_line)


def _wrap(value, aval: ShapedArray) -> ArrayImpl:
    if type(value) is not np.ndarray or value.dtype != aval.dtype:
        value = np.asarray(value, aval.dtype)
    return ArrayImpl(value, aval.weak_type)


def _check_nans(prim, out: ArrayImpl) -> None:
    v = out._value
    if kind_of(v.dtype) in "fc" and np.isnan(v).any():
        raise FloatingPointError(f"invalid value (nan) encountered in {prim.name}{user_line()}")


__all__ = ["Tracer", "Builder", "bind", "tracing", "current_builder", "SourceInfo"]
