"""Export to ONNX, so a model runs from C++, C#, Java, JavaScript and on small devices.

    from jitnet.export import to_onnx
    proto = to_onnx(model, x_example, path="model.onnx")          # a models.Model's inference
    proto = to_onnx(lambda x: jnp.tanh(x @ w), x_example)         # any traceable function

The function is traced to jitnet's IR and each primitive is translated by a small rule
(``jitnet/export/rules.py``). Needs the ``onnx`` package (the ``export`` extra); see
docs/EXPORT.md for the opset, the covered primitives and how to run the file elsewhere.
"""
from __future__ import annotations

import numpy as np

from .errors import ExportError

DEFAULT_OPSET = 18
# a dynamic batch is found by tracing at two batch sizes: primes unlike the sizes programs use
# (x[-2:] is the whole array at batch 2, and then no slice is traced)
TRACE_BATCHES = (5, 7)


def to_onnx(fn_or_model, *example_args, path=None, dynamic_batch: bool = True,
            opset: int = DEFAULT_OPSET, input_names=None, output_names=None):
    """Trace ``fn_or_model(*example_args)`` and return it as an ``onnx.ModelProto``.

    * A ``jitnet.layers`` model or layer exports its inference pass (``training=False``); its
      weights become initializers named by their path, as checkpoints name them
      (``layers/0/kernel``). For a function,
      every array it closes over becomes an initializer and every leaf of ``example_args`` a
      graph input (close over weights rather than passing them).
    * ``dynamic_batch``: axis 0 of every input is the symbolic dimension ``batch``, and shapes
      derived from it are computed at run time, so any batch size runs. The function is traced
      at two batch sizes to find those dimensions; ``False`` fixes the example's shapes.
    * ``path``: also write the model there. ``opset``: the ONNX opset (18 or newer).

    Raises ``ExportError`` (a ``NotImplementedError``) naming a primitive without an ONNX
    mapping and the line that issued it.
    """
    try:
        import onnx
        from onnx import helper
    except ImportError as e:
        raise ImportError("to_onnx needs the onnx package: pip install 'jitnet[export]'") from e

    from .. import make_jaxpr
    from ..core.aval import aval_of
    from ..tree_util import tree_flatten
    from .batch import symbolic_shapes
    from .graph import Graph

    if int(opset) < 18:
        raise ValueError(f"to_onnx: opset must be 18 or newer, got {opset}")
    if not example_args:
        raise TypeError("to_onnx: give example inputs, e.g. to_onnx(model, x[:1])")
    leaves, _ = tree_flatten(example_args)
    avals = [aval_of(x) for x in leaves]
    if dynamic_batch:
        _check_batch(avals)

    model = _as_model(fn_or_model)
    weights = []
    if model is not None:
        weights = _weights(model)
        fn = lambda m, *xs: m(*xs)  # noqa: E731
        prefix = (model,)
    else:
        if not callable(fn_or_model):
            raise TypeError(f"to_onnx: expected a function or a jitnet.layers model, got "
                            f"{type(fn_or_model).__name__}")
        fn, prefix = fn_or_model, ()

    def trace(batch):
        shaped = [a.update(shape=(batch,) + a.shape[1:]) if batch else a for a in avals]
        _, tree = tree_flatten(example_args)
        return make_jaxpr(fn)(*prefix, *tree.unflatten(shaped))

    closed = trace(TRACE_BATCHES[0] if dynamic_batch else None)
    ir = closed.ir
    shapes, literals, params = {}, {}, {}
    if dynamic_batch:
        other = trace(TRACE_BATCHES[1])
        shapes, literals, params = symbolic_shapes(ir, other.ir, *TRACE_BATCHES, closed.consts,
                                                   other.consts)

    g = Graph(shapes=shapes, literals=literals, params=params)
    nc, nw = ir.num_consts, len(weights)
    in_names = [g.const(np.asarray(c), name="const") for c in closed.consts]
    in_names += [g.initializer(name, np.asarray(w)) for name, w in weights]
    names = list(input_names or _default_names("input", len(leaves)))
    if len(names) != len(leaves):
        raise ValueError(f"to_onnx: {len(names)} input_names for {len(leaves)} inputs")
    onames = list(output_names or _default_names("output", len(ir.outvars)))
    if len(onames) != len(ir.outvars):
        raise ValueError(f"to_onnx: {len(onames)} output_names for {len(ir.outvars)} outputs")
    for name in names + onames:
        g.reserve(name)
    for v, name in zip(ir.invars[nc + nw:], names):
        g.inputs.append(g.value_info(name, v))
        in_names.append(name)
    g.batch_source = names[0] if names else None
    outs = g.emit(ir, in_names)
    for v, o, name in zip(ir.outvars, outs, onames):
        g.nodes.append(helper.make_node("Identity", [o], [name], name=name))
        g.outputs.append(g.value_info(name, v))

    proto = helper.make_model(g.to_graph(_graph_name(fn_or_model)),
                              opset_imports=[helper.make_opsetid("", int(opset))],
                              producer_name="jitnet")
    proto.ir_version = min(proto.ir_version, 9)      # readable by ONNX Runtime >= 1.16
    onnx.checker.check_model(proto)
    if path is not None:
        onnx.save(proto, str(path))
    return proto


def _weights(model) -> list:
    """``[(name, array)]`` in leaf order, named by path as checkpoints name them
    (``layers/0/kernel``)."""
    from ..checkpoint.tree import describe
    from ..tree_util import tree_leaves
    arrays = describe(model)[1]
    leaves = tree_leaves(model)
    if len(arrays) != len(leaves):            # a non-array leaf: number them instead
        return [(f"weight_{i}", w) for i, w in enumerate(leaves)]
    return list(arrays.items())


def _as_model(x):
    from ..layers import Layer
    return x if isinstance(x, Layer) else None


def _check_batch(avals):
    sizes = {a.shape[0] if a.shape else None for a in avals}
    if None in sizes or len(sizes) != 1:
        shapes = ", ".join(str(tuple(a.shape)) for a in avals)
        raise ValueError(f"to_onnx: dynamic_batch=True needs every input to have the same "
                         f"leading (batch) axis; got shapes {shapes}. Pass "
                         f"dynamic_batch=False to keep the example's shapes")


def _default_names(base, n):
    return [base] if n == 1 else [f"{base}_{i}" for i in range(n)]


def _graph_name(f) -> str:
    return getattr(f, "name", None) or getattr(f, "__name__", None) or type(f).__name__


__all__ = ["to_onnx", "ExportError", "DEFAULT_OPSET"]
