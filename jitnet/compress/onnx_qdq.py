"""int8 ONNX models in QDQ form: float weight initializers of MatMul, Gemm, Conv and
ConvTranspose become int8 initializers with per-channel scales, read through a
``DequantizeLinear`` node (per-axis: opset 13 or later). A weight may reach its node
through ``Transpose``/``Identity`` nodes (``jitnet.export.to_onnx`` transposes Keras's HWIO
convolution kernels to ONNX's OIHW that way); the channel axis is followed through them.

``quantize_onnx(model)`` works on any ``onnx.ModelProto`` (from ``jitnet.export.to_onnx``
or elsewhere) and uses the same quantization as ``compress.quantize``: symmetric, zero
point 0, ``scale = max|w| / 127`` per output channel. The dequantized output keeps the
weight's name, so the consuming nodes are untouched; ONNX Runtime computes with
``values * scale``, i.e. the same numbers as ``compress.dequantize``. Subgraphs (Scan,
Loop, If bodies) are left float.
"""
from __future__ import annotations

import numpy as np

from .quantize import quantize_array

__all__ = ["quantize_onnx", "QDQ_OPS", "MIN_OPSET"]

QDQ_OPS = ("MatMul", "Gemm", "Conv", "ConvTranspose")
MIN_OPSET = 13


def _onnx():
    try:
        import onnx
        from onnx import numpy_helper
    except ImportError as e:
        raise ImportError("quantize_onnx needs the onnx package: pip install "
                          "'jitnet[export]'") from e
    return onnx, numpy_helper


def _weight_axis(node, rank: int) -> int | None:
    """The output-channel axis of ``node``'s weight (input 1), or None if not quantizable."""
    attrs = {a.name: a for a in node.attribute}
    if node.op_type == "MatMul":
        return rank - 1 if rank >= 2 else None
    if node.op_type == "Gemm":
        return 0 if "transB" in attrs and attrs["transB"].i else 1
    if node.op_type == "Conv":
        return 0
    if node.op_type == "ConvTranspose":
        return 1
    return None


def _source(name: str, inits: dict, producers: dict):
    """``(initializer, perms)``: the initializer feeding ``name`` through Transpose/Identity
    nodes and each Transpose's permutation from the consumer back (None: reversal)."""
    perms = []
    while name not in inits:
        node = producers.get(name)
        if node is None or node.op_type not in ("Transpose", "Identity"):
            return None
        if node.op_type == "Transpose":
            perm = [list(a.ints) for a in node.attribute if a.name == "perm"]
            perms.append(perm[0] if perm else None)
        name = node.input[0]
    return name, perms


def _unique(name: str, taken: set) -> str:
    out, i = name, 0
    while out in taken:
        i += 1
        out = f"{name}_{i}"
    taken.add(out)
    return out


def quantize_onnx(model, op_types=QDQ_OPS):
    """A copy of ``model`` (an ``onnx.ModelProto`` or a path) whose float32 weight
    initializers feeding ``op_types`` are int8 + per-axis ``DequantizeLinear``.

    Raises ``ValueError`` when the model's opset is below 13 (no per-axis
    DequantizeLinear) or when no weight qualifies."""
    onnx, numpy_helper = _onnx()
    if not isinstance(model, onnx.ModelProto):
        model = onnx.load(str(model))
    unknown = set(op_types) - set(QDQ_OPS)
    if unknown:
        raise ValueError(f"quantize_onnx: op_types must be among {QDQ_OPS}, got {sorted(unknown)}")
    opset = max((o.version for o in model.opset_import if o.domain in ("", "ai.onnx")),
                default=0)
    if opset < MIN_OPSET:
        raise ValueError(f"quantize_onnx: the model uses opset {opset}; per-channel "
                         f"DequantizeLinear needs opset >= {MIN_OPSET}")
    out = onnx.ModelProto()
    out.CopyFrom(model)
    graph = out.graph
    inits = {t.name: t for t in graph.initializer}
    graph_inputs = {i.name for i in graph.input}
    producers = {o: n for n in graph.node for o in n.output}
    axes: dict[str, int | None] = {}
    for node in graph.node:
        if node.op_type not in op_types or len(node.input) < 2:
            continue
        found = _source(node.input[1], inits, producers)
        if found is None:
            continue
        name, perms = found
        t, rank = inits[name], len(inits[name].dims)
        axis = _weight_axis(node, rank)
        if name in graph_inputs or t.data_type != onnx.TensorProto.FLOAT or axis is None:
            continue
        for perm in perms:                   # the consumer's axis in the initializer
            axis = perm[axis] if perm is not None else rank - 1 - axis
        if name in axes and axes[name] != axis:
            axis = None                      # used along two different axes: keep it float
        axes[name] = axis
    chosen = {n: a for n, a in axes.items() if a is not None}
    if not chosen:
        raise ValueError(f"quantize_onnx: no float32 weight initializer feeds a node of "
                         f"{tuple(op_types)}")
    taken = {t.name for t in graph.initializer} | {i.name for i in graph.input} | {
        o for n in graph.node for o in n.output} | {n.name for n in graph.node}
    new_inits, dq_nodes = [], []
    for t in graph.initializer:
        if t.name not in chosen:
            new_inits.append(t)
            continue
        qa = quantize_array(numpy_helper.to_array(t), chosen[t.name])
        names = [_unique(f"{t.name}_{s}", taken) for s in ("quantized", "scale", "zero_point")]
        new_inits += [numpy_helper.from_array(qa.values, names[0]),
                      numpy_helper.from_array(qa.scale, names[1]),
                      numpy_helper.from_array(np.zeros_like(qa.scale, np.int8), names[2])]
        dq_nodes.append(onnx.helper.make_node(
            "DequantizeLinear", names, [t.name], axis=chosen[t.name],
            name=_unique(f"{t.name}_DequantizeLinear", taken)))
    del graph.initializer[:]
    graph.initializer.extend(new_inits)
    nodes = dq_nodes + list(graph.node)
    del graph.node[:]
    graph.node.extend(nodes)
    return out
