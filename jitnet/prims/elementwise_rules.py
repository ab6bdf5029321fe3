"""The elementwise primitives' shared rules: the dtype classes each family accepts, the n-ary
shape rule (one dtype, one shape; 0-d operands broadcast, as in ``lax``), the vmap rules, the
definers ``unop``/``binop`` (which declare the primitive ``Elementwise``), the jvp helpers,
and the eager float kernels the runtime installs (``EAGER_FLOAT_KERNELS``).

The primitives live in one module per family (``elementwise_math``, ``elementwise_arith``,
``elementwise_select``, ``elementwise_convert``), each with its jvp and transpose rules;
``prims.elementwise`` gathers them under the names the rest of jitnet uses.
"""
from __future__ import annotations

import builtins

import numpy as np

from ..core.dtypes import kind_of
from ..core.adtypes import Zero
from ..core.aval import ShapedArray
from ..core.primitive import ELEMENTWISE, Elementwise, Primitive
from ..trace.tracer import bind
from .util import broadcast_batch, dtype_error, get_aval, shape_error, shape_str, tangent_aval

# dtype classes accepted by each primitive family
FLOAT = "fc"
NUMERIC = "iufc"
INT = "iu"
INT_BOOL = "iub"
ANY = "iufcb"
_KIND_NAMES = {"f": "floating", "c": "complex", "i": "signed integer", "u": "unsigned integer",
               "b": "bool"}


# eager float32/float64 kernels by primitive name, installed by the runtime when jitnet is
# imported (runtime/eager_kernels.install): the compiled code's own kernels, so that eager and
# jitted results agree bit for bit. The primitives do not import the runtime.
EAGER_FLOAT_KERNELS: dict = {}


def _kernel(name: str, fallback):
    """Eager impl that runs the compiled code's own float kernel (``EAGER_FLOAT_KERNELS``);
    other dtypes use ``fallback``. The kernels are validated against float64 NumPy in
    tests/runtime/test_numba_math.py."""
    def impl(x):
        if x.dtype == np.float32 or x.dtype == np.float64:
            return EAGER_FLOAT_KERNELS[name](x)
        return fallback(x)
    impl.__name__ = name
    return impl


def _scipy_special(name: str):
    """scipy.special's ``name`` as an impl, imported on its first call (importing
    scipy.special costs ~0.2 s, a third of ``import jitnet``)."""
    def impl(x):
        import scipy.special
        return getattr(scipy.special, name)(x)
    impl.__name__ = name
    return impl


def _quiet(f):
    """Marks impls that may produce inf/nan; their NumPy RuntimeWarnings are silenced for
    all of jitnet's modules at import (see ``jitnet/prims/__init__.py``), like XLA's."""
    return f


def nary_shape_rule(name: str, kinds: str, out_dtype=None):
    def rule(*avals, **params):
        shape = ()
        for a in avals:
            if a.shape:
                if shape and a.shape != shape:
                    shapes = " and ".join(shape_str(b.shape) for b in avals)
                    raise shape_error(f"{name}: incompatible shapes for broadcasting: {shapes}")
                shape = a.shape
        dt = avals[0].dtype
        for a in avals[1:]:
            if a.dtype != dt:
                names = ", ".join(b.dtype.name for b in avals)
                raise dtype_error(f"{name} requires arguments to have the same dtypes, got "
                                  f"{names} (jnp.{name} promotes dtypes automatically)")
        if kind_of(dt) not in kinds:
            accepted = ", ".join(_KIND_NAMES[k] for k in kinds)
            raise dtype_error(f"{name} does not accept dtype {dt.name}; accepted: {accepted}")
        weak = all(a.weak_type for a in avals)
        if out_dtype is not None:
            return ShapedArray(shape, out_dtype, False)
        return ShapedArray(shape, dt, weak)
    return rule


def nary_batch(prim):
    """vmap rule for elementwise primitives: align batch dims, keep 0-d operands as they are."""
    def batch(args, dims, **params):
        bd = {d for d in dims if d is not None}
        ranks = {len(a.shape) for a, d in zip(args, dims) if d is not None}
        plain = all(d is not None or len(a.shape) == 0 for a, d in zip(args, dims))
        if len(bd) == 1 and len(ranks) == 1 and plain:
            return bind(prim, *args, **params), bd.pop()  # nothing to move
        size = next(a.shape[d] for a, d in zip(args, dims) if d is not None)
        out_rank = builtins.max(len(a.shape) - (d is not None) for a, d in zip(args, dims))
        moved = []
        for a, d in zip(args, dims):
            if d is None and len(a.shape) == 0:
                moved.append(a)
                continue
            x = broadcast_batch(a, d, size)
            if len(x.shape) - 1 < out_rank:  # a batched scalar meets a batched array
                full = (size,) + _out_shape(args, dims)
                x = sh.broadcast_in_dim(x, full, (0,))
            moved.append(x)
        return bind(prim, *moved, **params), 0
    return batch


def primary_batch(prim, primaries):
    """vmap rule for ``select_n``/``clamp``, whose shape rules let the selector or bounds be
    0-d but not larger than the operands in ``primaries``: when only the selector (or a
    bound) is batched, the first primary operand is broadcast to carry the batch first."""
    inner = nary_batch(prim)

    def batch(args, dims, **params):
        if all(dims[i] is None for i in primaries):
            j = next(i for i, d in enumerate(dims) if d is not None)
            per_example = [tuple(n for i, n in enumerate(a.shape) if i != d)
                           for a, d in zip(args, dims)]
            full = (args[j].shape[dims[j]],) + builtins.max(per_example, key=len)
            k = primaries[0]
            rank = len(args[k].shape)
            args, dims = list(args), list(dims)
            args[k] = sh.broadcast_in_dim(args[k], full, tuple(range(len(full) - rank,
                                                                       len(full))))
            dims[k] = 0
        return inner(args, dims, **params)
    return batch


def _out_shape(args, dims):
    for a, d in zip(args, dims):
        s = tuple(a.shape)
        if d is not None:
            s = s[:d] + s[d + 1:]
        if s:
            return s
    return ()


def _define(name, impl, kinds, nargs, out_dtype=None, math=None):
    """An elementwise primitive; ``math``: its per-element function is ``math.<math>``
    (see ``core.primitive.Elementwise``)."""
    p = Primitive(name, kind=Elementwise(math) if math else ELEMENTWISE)
    p.impl = impl
    p.shape_rule = nary_shape_rule(name, kinds, out_dtype)
    p.batch = nary_batch(p)
    return p


def unop(name, impl, kinds=FLOAT, out_dtype=None, math=None):
    p = _define(name, impl, kinds, 1, out_dtype, math)
    return p, (lambda x, _p=p: bind(_p, x))


def binop(name, impl, kinds=NUMERIC, out_dtype=None, math=None):
    p = _define(name, impl, kinds, 2, out_dtype, math)
    return p, (lambda x, y, _p=p: bind(_p, x, y))


# -- jvp helpers ----------------------------------------------------------------


def defjvp(prim, *contribs):
    """jvp = sum over non-zero tangents of ``contrib_i(t_i, out, *primals, **params)``."""
    def jvp(primals, tangents, **params):
        out = bind(prim, *primals, **params)
        total = None
        for t, f in zip(tangents, contribs):
            if f is None or type(t) is Zero:
                continue
            c = f(t, out, *primals, **params)
            total = c if total is None else add(total, c)
        out_aval = get_aval(out)
        if total is None:
            return out, Zero(tangent_aval(out_aval))
        if tuple(total.shape) != out_aval.shape:
            total = sh.broadcast_in_dim(total, out_aval.shape, ())
        return out, total
    prim.jvp = jvp


def defjvp_zero(prim):
    def jvp(primals, tangents, **params):
        out = bind(prim, *primals, **params)
        return out, Zero(tangent_aval(get_aval(out)))
    prim.jvp = jvp


def unbroadcast(aval, ct):
    """Cotangent for an operand that was implicitly broadcast from 0-d."""
    if type(ct) is Zero or tuple(ct.shape) == aval.shape:
        return ct
    return red.reduce_sum(ct, tuple(range(len(ct.shape))))


# the other families: the rules above call their operations when they run. Imported last,
# so that every primitive of this module exists whichever family is imported first.
from .elementwise_arith import add  # noqa: E402
from . import reduce as red  # noqa: E402
from . import shape as sh  # noqa: E402
