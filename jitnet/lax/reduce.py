"""``lax.reduce``: reduce dimensions of operands with any binary ``computation``.

One operand and a computation that is a monoid jitnet has a reduction primitive for
(``lax.add``, ``mul``, ``max``, ``min``, ``bitwise_and``/``or``/``xor``, or a function that
traces to one of them, such as ``lambda a, b: a + b``) becomes that reduction, combined once
with the initial value. Anything else (several operands reduced together, as an argmax over
(value, index) pairs; a computation of several operations) folds the reduced elements in
order with ``scan``, starting from the initial values, as XLA's generic reduce does."""
from __future__ import annotations

import numpy as np

from ..core.aval import ShapedArray
from ..core.pytree import tree_flatten, tree_unflatten
from ..core.source_info import user_line
from ..prims import elementwise as ew
from ..prims import reduce as red
from ..prims import shape as sh
from ..prims.util import get_aval
from ..trace.make_ir import trace_to_ir
from .composite import reduce_xor
from .control_flow import scan
from .values import as_array

# the binary primitives whose reduction is a primitive (or, for xor, a composite)
_MONOIDS = {"add": red.reduce_sum, "mul": red.reduce_prod, "max": red.reduce_max,
            "min": red.reduce_min, "and": red.reduce_and, "or": red.reduce_or,
            "xor": reduce_xor}


def _monoid(computation, dtype):
    """The reduction ``computation`` is, if it is one binary monoid primitive applied to its
    two arguments (in either order), else None."""
    aval = ShapedArray((), dtype)
    try:
        ir, consts = trace_to_ir(lambda a, b: [computation(a, b)], [aval, aval],
                                 transform="lax.reduce", name="computation")
    except Exception:       # not a scalar function of two scalars: the generic path decides
        return None
    if consts or len(ir.eqns) != 1 or len(ir.outvars) != 1:
        return None
    (eqn,) = ir.eqns
    if (eqn.prim.name not in _MONOIDS or eqn.params or ir.outvars[0] is not eqn.outputs[0]
            or set(map(id, eqn.inputs)) != set(map(id, ir.invars))):
        return None
    return _MONOIDS[eqn.prim.name]


def reduce(operands, init_values, computation, dimensions):
    """``lax.reduce(operands, init_values, computation, dimensions)``: ``operands`` and
    ``init_values`` are matching pytrees (arrays of one shape; scalars); ``computation(a, b)``
    takes and returns such pytrees of scalars; the result has ``dimensions`` removed."""
    ops, tree = tree_flatten(operands)
    inits, init_tree = tree_flatten(init_values)
    if init_tree != tree:
        raise ValueError(f"lax.reduce: operands ({tree}) and init_values ({init_tree}) must "
                         f"have the same structure{user_line()}")
    ops = [as_array(o) for o in ops]
    inits = [as_array(i) for i in inits]
    shapes = {get_aval(o).shape for o in ops}
    if len(shapes) != 1:
        raise ValueError(f"lax.reduce: operands must have one shape, got "
                         f"{sorted(shapes)}{user_line()}")
    (shape,) = shapes
    for o, i in zip(ops, inits):
        if get_aval(i).shape != () or get_aval(i).dtype != get_aval(o).dtype:
            raise TypeError(f"lax.reduce: each init value must be a scalar of its operand's "
                            f"dtype {get_aval(o).dtype.name}, got {get_aval(i).dtype.name}"
                            f"{list(get_aval(i).shape)}"
                            f"{user_line()}")
    dims = tuple(int(d) for d in dimensions)
    if len(set(dims)) != len(dims) or any(not 0 <= d < len(shape) for d in dims):
        raise ValueError(f"lax.reduce: dimensions {dims} must be distinct dimensions of an "
                         f"operand of shape {shape}{user_line()}")
    if len(ops) == 1:
        reduction = _monoid(computation, get_aval(ops[0]).dtype)
        if reduction is not None:
            out = computation(inits[0], reduction(ops[0], dims))
            return tree_unflatten(tree, [out])
    return tree_unflatten(tree, _fold(ops, inits, tree, computation, shape, dims))


def _fold(ops, inits, tree, computation, shape, dims):
    """Reduce by scanning over the reduced elements (moved first and flattened) with the
    kept elements as the carry, starting from the initial values broadcast to them."""
    kept = [d for d in range(len(shape)) if d not in dims]
    kept_shape = tuple(shape[d] for d in kept)
    n = int(np.prod([shape[d] for d in dims], dtype=np.int64))
    xs = [sh.reshape(sh.transpose(o, tuple(dims) + tuple(kept)), (n,) + kept_shape)
          for o in ops]
    carry0 = [sh.broadcast_in_dim(i, kept_shape, ()) for i in inits]

    def step(carry, x):
        out = computation(tree_unflatten(tree, carry), tree_unflatten(tree, x))
        leaves, out_tree = tree_flatten(out)
        if out_tree != tree:
            raise TypeError(f"lax.reduce: computation returned {out_tree}, expected the "
                            f"operands' structure {tree}{user_line()}")
        return [ew.convert_element_type(v, get_aval(c).dtype) if get_aval(v).dtype !=
                get_aval(c).dtype else v for v, c in zip(leaves, carry)], None

    final, _ = scan(step, carry0, xs, length=n)
    return final
