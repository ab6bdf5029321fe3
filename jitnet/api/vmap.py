"""``vmap`` with JAX's signature: in_axes / out_axes pytree prefixes, axis_size."""
from __future__ import annotations

import functools
from typing import Callable

import numpy as np

from ..core.aval import aval_of
from ..core.pytree import tree_flatten, tree_unflatten
from ..core.source_info import user_line
from ..prims.parallel import axis_frame
from ..trace.array import Array
from ..trace.make_ir import arg_labels, eval_ir, fun_name, trace_to_ir
from ..transforms.cleanup import cleanup
from ..transforms.vmap import batch_ir


def _broadcast_prefix(prefix, tree, what: str) -> list:
    """Leaf-aligned copy of an axis spec given as a pytree prefix of ``tree``."""
    if prefix is None or isinstance(prefix, int):
        return [prefix] * len(tree_flatten(tree)[0])
    if isinstance(prefix, (tuple, list)) and isinstance(tree, (tuple, list)):
        if len(prefix) != len(tree):
            raise ValueError(f"vmap {what} specification must be a tree prefix of the "
                             f"corresponding value, got {what}={prefix!r} for a value with "
                             f"{len(tree)} entries{user_line()}")
        return [a for p, t in zip(prefix, tree) for a in _broadcast_prefix(p, t, what)]
    if isinstance(prefix, dict) and isinstance(tree, dict):
        if set(prefix) != set(tree):
            raise ValueError(f"vmap {what} dict keys {sorted(prefix)} do not match the value's "
                             f"keys {sorted(tree)}{user_line()}")
        return [a for k in sorted(tree) for a in _broadcast_prefix(prefix[k], tree[k], what)]
    raise ValueError(f"vmap {what} specification {prefix!r} is not a tree prefix of the value "
                     f"of type {type(tree).__name__}{user_line()}")


def vmap(fun: Callable, in_axes=0, out_axes=0, axis_name=None, axis_size=None,
         spmd_axis_name=None):
    """Map ``fun`` over an axis of its inputs; the body sees one example at a time."""
    if isinstance(in_axes, list):
        in_axes = tuple(in_axes)

    @functools.wraps(fun)
    def mapped(*args, **kwargs):
        if isinstance(in_axes, tuple) and len(in_axes) != len(args):
            raise ValueError(f"vmap in_axes must be an int, None, or a tuple of entries "
                             f"corresponding to the positional arguments passed to the "
                             f"function, but got len(in_axes)={len(in_axes)}, "
                             f"len(args)={len(args)}{user_line()}")
        flat, in_tree = tree_flatten((args, kwargs))
        axes = _broadcast_prefix(in_axes, args, "in_axes") + [0] * len(tree_flatten(kwargs)[0])
        labels = arg_labels(fun, args, kwargs)
        # unmapped leaves other than arrays (a function, a Python int) reach fun as they
        # are, as in JAX
        static = {i: x for i, (x, ax) in enumerate(zip(flat, axes))
                  if ax is None and not isinstance(x, (Array, np.ndarray, np.generic))}
        if static:
            keep = [i for i in range(len(flat)) if i not in static]
            flat, axes, labels = ([seq[i] for i in keep] for seq in (flat, axes, labels))
        dims, avals, size, sizes = [], [], axis_size, []
        for x, ax, lbl in zip(flat, axes, labels):
            aval = aval_of(x)
            if ax is None:
                dims.append(None)
                avals.append(aval)
                continue
            nd = len(aval.shape)
            if not -nd <= ax < nd:
                raise ValueError(f"vmap was requested to map its argument along axis {ax}, "
                                 f"which implies that its rank should be at least {ax + 1 if ax >= 0 else -ax}, "
                                 f"but is only {nd} (its shape is {aval.shape}): argument "
                                 f"{lbl}{user_line()}")
            ax %= nd
            dims.append(ax)
            sizes.append((lbl, ax, aval.shape[ax], aval))
            avals.append(aval.update(shape=aval.shape[:ax] + aval.shape[ax + 1:]))
        distinct = {s for _, _, s, _ in sizes}
        if len(distinct) > 1 or (axis_size is not None and distinct and
                                 distinct != {axis_size}):
            lines = "\n".join(f"  * axis {ax} of {lbl} of type {a.str_short()} has size {s}"
                              for lbl, ax, s, a in sizes)
            raise ValueError(f"vmap got inconsistent sizes for array axes to be mapped"
                             f"{user_line()}:\n{lines}"
                             + (f"\n  * axis_size={axis_size}" if axis_size is not None else ""))
        if distinct:
            size = distinct.pop()
        if size is None:
            raise ValueError("vmap must have at least one non-None value in in_axes, or be "
                             "given axis_size")
        out_store = {}

        def flat_fun(*leaves):
            if static:
                it = iter(leaves)
                leaves = [static[i] if i in static else next(it)
                          for i in range(len(leaves) + len(static))]
            a, kw = tree_unflatten(in_tree, leaves)
            out = fun(*a, **kw)
            out_leaves, out_store["tree"] = tree_flatten(out)
            out_store["value"] = out
            return out_leaves

        with axis_frame(axis_name, size):   # for collectives (lax.psum) in fun
            ir, consts = trace_to_ir(flat_fun, avals, transform="vmap", name=fun_name(fun),
                                     arg_labels=labels)
            out_tree = out_store["tree"]
            oaxes = _broadcast_prefix(out_axes, out_store["value"], "out_axes")
            oaxes = [None if o is None else o % (len(a.shape) + 1)
                     for o, a in zip(oaxes, ir.out_avals)]
            bir, _ = batch_ir(cleanup(ir), [None] * len(consts) + dims, size, oaxes)
        outs = eval_ir(cleanup(bir), list(consts) + flat)
        return tree_unflatten(out_tree, outs)

    return mapped


def pmap(fun: Callable, axis_name=None, *, in_axes=0, out_axes=0,
         static_broadcasted_argnums=(), devices=None, backend=None, axis_size=None,
         donate_argnums=()):
    """``jax.pmap`` on jitnet's single device: ``jit(vmap(fun))`` for a mapped axis no longer
    than the number of devices (one); a longer axis is an error naming ``vmap``."""
    from ..runtime.devices import devices as all_devices
    from .jit import jit
    n_devices = len(devices if devices is not None else all_devices(backend))
    if isinstance(in_axes, list):
        in_axes = tuple(in_axes)
    compiled = jit(vmap(fun, in_axes, out_axes, axis_name=axis_name, axis_size=axis_size),
                   static_argnums=static_broadcasted_argnums)

    @functools.wraps(fun)
    def mapped(*args, **kwargs):
        static = ((static_broadcasted_argnums,) if isinstance(static_broadcasted_argnums, int)
                  else tuple(static_broadcasted_argnums))
        dyn = tuple(None if i in static else a for i, a in enumerate(args))
        axes = in_axes if not isinstance(in_axes, tuple) else tuple(
            None if i in static else ax for i, ax in enumerate(in_axes))
        for x, ax in zip(tree_flatten(dyn)[0], _broadcast_prefix(axes, dyn, "in_axes")):
            if ax is not None and aval_of(x).shape[ax] > n_devices:
                raise ValueError(f"pmap: the mapped axis has size {aval_of(x).shape[ax]}, "
                                 f"more than the {n_devices} device(s) jitnet runs on; use "
                                 f"vmap (or jit(vmap(f))) for a batch{user_line()}")
        return compiled(*args, **kwargs)
    return mapped
