"""``make_jaxpr``: a function's IR at the shapes of its arguments (JAX's ``jax.make_jaxpr``),
with ``return_shape`` also its output as ``ShapeDtypeStruct``s."""
from __future__ import annotations

from typing import Callable

from ..trace.make_ir import ClosedJaxpr, make_ir
from .eval_shape import ShapeDtypeStruct


def make_jaxpr(f: Callable, static_argnums=(), axis_env=None, return_shape: bool = False,
               abstracted_axes=None):
    """``make_jaxpr(f)(*args)``: the IR of ``f`` traced at the shapes of ``args``; with
    ``return_shape``, also the output as a pytree of ``ShapeDtypeStruct``."""
    static = (static_argnums,) if isinstance(static_argnums, int) else tuple(static_argnums)

    def wrapped(*args, **kwargs):
        if static:
            fixed = {i: args[i] for i in static}
            dyn = [a for i, a in enumerate(args) if i not in fixed]

            def g(*dargs, **kw):
                it = iter(dargs)
                full = [fixed[i] if i in fixed else next(it) for i in range(len(args))]
                return f(*full, **kw)
            ir, consts, out_tree = make_ir(g, *dyn, **kwargs)
        else:
            ir, consts, out_tree = make_ir(f, *args, **kwargs)
        closed = ClosedJaxpr(ir, consts, out_tree)
        if not return_shape:
            return closed
        return closed, out_tree.unflatten(ShapeDtypeStruct(a.shape, a.dtype, weak_type=a.weak_type)
                                          for a in ir.out_avals)

    return wrapped
