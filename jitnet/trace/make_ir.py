"""From Python functions to IR and back: ``trace_to_ir``, ``make_ir``, ``eval_ir`` and
``ClosedJaxpr`` (what ``jitnet.make_jaxpr``, in ``api/``, returns).

``eval_ir`` is also how transformed programs run: binding each equation's
primitive executes it eagerly on concrete values, or re-records it into an
outer trace when called while one is active. That is what lets transforms nest.
"""
from __future__ import annotations

import inspect
from typing import Callable, Sequence

import numpy as np

from ..core.aval import ShapedArray, aval_of
from ..core.ir import IR, Literal
from ..core.pytree import PyTreeDef, tree_flatten, tree_unflatten
from .array import ArrayImpl
from .tracer import Builder, bind, tracing


def fun_name(f) -> str:
    while hasattr(f, "func"):  # functools.partial
        f = f.func
    return getattr(f, "__name__", type(f).__name__)


def trace_to_ir(flat_fun: Callable, in_avals: Sequence[ShapedArray], *, transform: str,
                name: str, arg_labels: Sequence[str] | None = None,
                known: Sequence | None = None) -> tuple[IR, list]:
    """Trace ``flat_fun(*tracers) -> list`` into IR; returns (IR, captured consts).
    ``known``: the arguments' concrete values, to trace for these values only (the IR
    then follows the Python branches they take; see ``trace/tracer.py``)."""
    builder = Builder(transform, name, known=known is not None)
    labels = arg_labels or [f"argument {i}" for i in range(len(in_avals))]
    known = known if known is not None else [None] * len(in_avals)
    with tracing(builder):
        ins = [builder.new_arg(a, lbl, k) for a, lbl, k in zip(in_avals, labels, known)]
        outs = flat_fun(*ins)
        return builder.build(outs)


def eval_ir(ir: IR, args: Sequence, after=None) -> list:
    """Run ``ir`` on ``args`` (consts first): eagerly, or into the current trace.
    ``after(eqn, outputs)``, if given, sees each equation's results as they are made."""
    env: dict[int, object] = {}
    for v, x in zip(ir.invars, args, strict=True):
        env[id(v)] = x

    def read(a):
        if isinstance(a, Literal):
            return literal_value(a)
        return env[id(a)]

    for e in ir.eqns:
        out = bind(e.prim, *[read(a) for a in e.inputs], **e.params)
        if after is not None:
            after(e, out if e.prim.multiple_results else [out])
        if e.prim.multiple_results:
            for v, o in zip(e.outputs, out):
                env[id(v)] = o
        else:
            env[id(e.outputs[0])] = out
    return [read(a) for a in ir.outvars]


def literal_array(lit: Literal) -> ArrayImpl:
    """A literal as a 0-d array (for transform rules, which look at ``.shape``)."""
    return ArrayImpl(np.asarray(lit.value, lit.aval.dtype), lit.aval.weak_type)


def literal_value(lit: Literal):
    """A literal as a value ``bind`` accepts, keeping its dtype and weak type."""
    v = lit.value
    if type(v) in (int, float, bool, complex):
        return v
    return ArrayImpl(np.asarray(v, lit.aval.dtype), lit.aval.weak_type)


# -- pytree plumbing --------------------------------------------------------------

def flatten_fun(f: Callable, in_tree: PyTreeDef):
    """``f`` on pytrees -> a flat function; ``store[0]`` receives the output tree."""
    store: list = [None]

    def flat(*leaves):
        args, kwargs = tree_unflatten(in_tree, leaves)
        out = f(*args, **kwargs)
        out_leaves, store[0] = tree_flatten(out)
        return out_leaves

    return flat, store


def param_names(f: Callable) -> list[str]:
    try:
        return list(inspect.signature(f).parameters)
    except (TypeError, ValueError):
        return []


def arg_labels(f: Callable, args: tuple, kwargs: dict | None = None,
               positions: Sequence[int] | None = None) -> list[str]:
    """Human names for the flattened leaves of ``(args, kwargs)``: 'x', "params['w']"...

    ``positions`` gives the original positional index of each of ``args`` (when ``args``
    is a selection, as for grad's argnums)."""
    names = param_names(f)
    labels: list[str] = []
    for k, a in enumerate(args):
        i = positions[k] if positions is not None else k
        base = names[i] if i < len(names) else f"args[{i}]"
        labels += leaf_labels(a, base)
    for k, a in (kwargs or {}).items():
        labels += leaf_labels(a, k)
    return labels


def leaf_labels(tree, base: str) -> list[str]:
    if isinstance(tree, dict):
        return [p for k in sorted(tree) for p in leaf_labels(tree[k], f"{base}[{k!r}]")]
    if isinstance(tree, (list, tuple)):
        return [p for i, x in enumerate(tree) for p in leaf_labels(x, f"{base}[{i}]")]
    leaves, _ = tree_flatten(tree)
    if len(leaves) == 1:
        return [base]
    return [f"{base}<leaf {i}>" for i in range(len(leaves))]


def make_ir(f: Callable, *args, transform: str = "make_jaxpr", **kwargs):
    """Trace ``f(*args, **kwargs)`` (arrays or ShapedArrays) into (IR, consts, out_tree)."""
    leaves, in_tree = tree_flatten((args, kwargs))
    flat, store = flatten_fun(f, in_tree)
    avals = [x if isinstance(x, ShapedArray) else aval_of(x) for x in leaves]
    ir, consts = trace_to_ir(flat, avals, transform=transform, name=fun_name(f),
                             arg_labels=arg_labels(f, args, kwargs))
    return ir, consts, store[0]


class ClosedJaxpr:
    """What ``make_jaxpr`` returns: the IR plus the values of its captured constants."""

    def __init__(self, ir: IR, consts: list, out_tree: PyTreeDef):
        self.jaxpr = self.ir = ir
        self.consts = consts
        self.out_tree = out_tree

    in_avals = property(lambda self: self.ir.in_avals[self.ir.num_consts:])
    out_avals = property(lambda self: self.ir.out_avals)
    eqns = property(lambda self: self.ir.eqns)

    def __str__(self):
        return str(self.ir)

    __repr__ = __str__

    def __call__(self, *args):
        return eval_ir(self.ir, list(self.consts) + list(args))
