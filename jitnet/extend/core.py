"""``jax.extend.core.Primitive``: user-defined primitives with JAX's API, mapped onto
jitnet's primitives (one object carrying every rule, ``jitnet/core/primitive.py``).

    foo_p = Primitive("foo")
    foo_p.def_impl(lambda x, *, k: ...)                 # eager: jitnet arrays in and out
    foo_p.def_abstract_eval(lambda x, *, k: ShapedArray(x.shape, x.dtype))
    ad.primitive_jvps[foo_p] = jvp_rule                  # jitnet.interpreters.ad
    ad.primitive_transposes[foo_p] = transpose_rule      # linear primitives
    batching.primitive_batchers[foo_p] = batch_rule      # jitnet.interpreters.batching
    foo_p.def_numba_elementwise(numba.njit(scalar_fn))   # jit: fused into loop kernels
    foo_p.def_numba_op(numba.njit(array_fn))             # jit: called as one operation
    mlir.register_lowering(foo_p, mlir.lower_fun(f))     # jit: f written with jnp/lax

The rules have JAX's signatures, which are jitnet's: ``jvp(primals, tangents, **params)``
with symbolic ``ad.Zero`` tangents, ``transpose(ct, *args, **params)`` with
``ad.UndefinedPrimal`` for the linear arguments, ``batch(args, dims, **params)`` with None
for unmapped arguments.
"""
from __future__ import annotations

import itertools
import weakref

import numpy as np

from ..core import primitive as _primitive
from ..core.aval import ShapedArray
from ..core.ir import IR as Jaxpr, Literal, Var  # noqa: F401
from ..trace.array import ArrayImpl
from ..trace.make_ir import ClosedJaxpr  # noqa: F401
from ..trace.tracer import bind as _bind

_user_names: set[str] = set()
user_primitives: "weakref.WeakSet[Primitive]" = weakref.WeakSet()
_counter = itertools.count(1)


def _unique(name: str) -> str:
    """IRs and caches key equations by primitive name, so user primitives get distinct
    names (``foo``, then ``foo_1``...) that never shadow jitnet's own."""
    unique = name
    while unique in _primitive.registry or unique in _user_names:
        unique = f"{name}_{next(_counter)}"
    _user_names.add(unique)
    return unique


def _aval(x, who: str) -> ShapedArray:
    if not (hasattr(x, "shape") and hasattr(x, "dtype")):
        raise TypeError(f"{who}: the abstract eval must return ShapedArray(shape, dtype) "
                        f"(or a list of them with multiple_results), got {x!r}")
    return ShapedArray(tuple(x.shape), np.dtype(x.dtype), bool(getattr(x, "weak_type", False)))


class Primitive(_primitive.Primitive):
    """A user primitive (``jax.extend.core.Primitive``). ``name`` may be changed to keep it
    distinct from every other primitive; ``multiple_results`` may be set after creation."""

    def __init__(self, name: str):
        super().__init__(_unique(str(name)), False, builtin=False, kind=_primitive.OP)
        self.lowering["extension"] = True
        self.impl = self._missing("an eager implementation", "def_impl")
        self.shape_rule = self._missing("an abstract eval (its output shapes)",
                                        "def_abstract_eval")
        user_primitives.add(self)

    def _missing(self, what: str, how: str):
        def rule(*args, **params):
            raise NotImplementedError(f"primitive '{self.name}' needs {what}: define it with "
                                      f"{how}(...)")
        rule.missing = True
        return rule

    def _has(self, rule) -> bool:
        return not getattr(rule, "missing", False)

    def bind(self, *args, **params):
        """Apply the primitive: run ``impl`` now, or record it in the current trace."""
        return _bind(self, *args, **params)

    def def_impl(self, impl):
        """The eager implementation: receives jitnet arrays and the params, returns arrays
        (a list with ``multiple_results``)."""
        def run(*vals, **params):
            out = impl(*[ArrayImpl(v) for v in vals], **params)
            return [np.asarray(o) for o in out] if self.multiple_results else np.asarray(out)
        self.impl = run
        return impl

    def def_abstract_eval(self, abstract_eval):
        """The shape rule: ``ShapedArray``s and params in, ``ShapedArray``(s) out; raise
        ``TypeError``/``ValueError`` for bad operands (before anything runs)."""
        def rule(*avals, **params):
            ins = [ShapedArray(a.shape, a.dtype, a.weak_type) for a in avals]
            out = abstract_eval(*ins, **params)
            if self.multiple_results:
                return [_aval(o, self.name) for o in out]
            return _aval(out, self.name)
        self.shape_rule = rule
        return abstract_eval

    def def_effectful_abstract_eval(self, abstract_eval):
        """JAX's variant returning (avals, effects); jitnet primitives have no effects."""
        return self.def_abstract_eval(lambda *a, **p: abstract_eval(*a, **p)[0])

    def def_numba_elementwise(self, fn):
        """Compile the primitive as an elementwise operation: ``fn`` is an ``@numba.njit``
        function of one element of each operand (all of one shape, or 0-d), returning one
        element of the output. Under ``jit`` it is inlined into the fused loop kernels like
        jitnet's own math. The primitive also gets, unless defined already: the abstract
        eval of an elementwise operation (the operands' shape and dtype), the elementwise
        vmap rule, and an eager impl applying ``fn`` to each element."""
        from ..prims.elementwise import ANY, nary_batch, nary_shape_rule
        from ..runtime import numba_user
        if self.multiple_results:
            raise ValueError(f"def_numba_elementwise: primitive '{self.name}' has multiple "
                             f"results; an elementwise function returns one value "
                             f"(use def_numba_op)")
        self.lowering["scalar_call"] = numba_user.register(self.name, fn,
                                                           "def_numba_elementwise")
        self.kind = _primitive.ELEMENTWISE
        if not self._has(self.shape_rule):
            self.shape_rule = nary_shape_rule(self.name, ANY)
        if self.batch is None:
            self.batch = nary_batch(self)
        if not self._has(self.impl):
            def per_element(*vals, **params):
                out = self.shape_rule(*[ShapedArray(v.shape, v.dtype) for v in vals])
                return np.vectorize(fn, otypes=[out.dtype])(*vals)
            self.impl = per_element
        return fn

    def def_numba_op(self, fn):
        """Compile the primitive as one operation: ``fn`` is an ``@numba.njit`` function of
        the operand arrays returning the output array (a tuple with ``multiple_results``),
        of the shapes and dtypes the abstract eval declares. Without ``def_impl``, eager
        calls run ``fn`` too."""
        from ..runtime import numba_user
        self.lowering["op_call"] = numba_user.register(self.name, fn, "def_numba_op")
        if not self._has(self.impl):
            def call(*vals, **params):
                out = fn(*vals)
                return list(out) if self.multiple_results else out
            self.impl = call
        return fn


def mapped_aval(size: int, axis, aval: ShapedArray) -> ShapedArray:
    """``aval`` with its mapped ``axis`` (of length ``size``) removed (None: unmapped)."""
    if axis is None:
        return aval
    shape = list(aval.shape)
    del shape[axis]
    return aval.update(shape=tuple(shape))


def unmapped_aval(size: int, axis, aval: ShapedArray, *_) -> ShapedArray:
    """``aval`` with an axis of length ``size`` inserted at ``axis`` (None: unchanged)."""
    if axis is None:
        return aval
    shape = list(aval.shape)
    shape.insert(axis if axis >= 0 else len(shape) + axis + 1, size)
    return aval.update(shape=tuple(shape))


def eval_jaxpr(jaxpr, consts, *args):
    """Run an IR on ``consts`` then ``args`` (``jax.core.eval_jaxpr``), eagerly or into the
    current trace; returns the list of outputs."""
    from ..trace.make_ir import eval_ir
    return eval_ir(jaxpr, list(consts) + list(args))


def jaxpr_as_fun(closed: "ClosedJaxpr"):
    """A function running ``closed`` (``jax.core.jaxpr_as_fun``): returns the output list."""
    return lambda *args: eval_jaxpr(closed.ir, closed.consts, *args)


__all__ = ["Primitive", "ClosedJaxpr", "Jaxpr", "Var", "Literal", "mapped_aval",
           "unmapped_aval", "eval_jaxpr", "jaxpr_as_fun"]
