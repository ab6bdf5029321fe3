"""An ONNX graph under construction, fed one IR equation at a time.

``Graph`` holds the nodes, initializers, inputs and outputs of one ONNX graph (the model's,
or a ``Scan`` body, which reads the outer graph's values by name). It maps each IR variable to
the ONNX value that holds it and knows each variable's shape with the batch-dependent
dimensions symbolic (``batch.BatchDim``), so rules can build run-time shape tensors.
"""
from __future__ import annotations

import numpy as np
import onnx
from onnx import helper, numpy_helper

from ..core.ir import IR, Literal
from ..core.primitive import registry
from .batch import BatchDim
from .errors import ExportError

BATCH = "batch"      # the symbolic name of the batch dimension in the model's signature


def at(eqn) -> str:
    """`` (at file:line (func))``: the user's line that traced ``eqn``, for messages."""
    return f" (at {eqn.source})" if getattr(eqn, "source", None) is not None else ""


class Graph:
    """One ONNX graph being built; sub-graphs share the root's names, constants and shapes."""

    def __init__(self, parent: "Graph | None" = None, shapes: dict | None = None,
                 literals: dict | None = None, params: dict | None = None):
        self.root = parent.root if parent is not None else self
        self.parent_graph = parent           # a sub-graph reads its parent's values by name
        self.nodes: list = []
        self.inputs: list = []
        self.outputs: list = []
        self.env: dict[int, str] = {}
        if parent is None:
            self.initializers: list = []
            self.shapes = shapes or {}
            self.literals = literals or {}       # literals that are the batch size as a number
            self.params = params or {}           # params of eqns with batch-dependent sizes
            self._count: dict[str, int] = {}         # base name -> next suffix
            self._taken: set = set()                  # every value name in use
            self._consts: dict = {}
            self._dims: dict = {}
            self.batch_source: str | None = None     # a graph input whose axis 0 is the batch
            self._uses: dict = {}                     # id(var) -> eqns reading it (None: output)
            self._producer: dict = {}                 # id(var) -> the eqn defining it
            self._transposes: dict = {}               # Transpose output -> (input, perm)

    # -- names and values --------------------------------------------------------------

    def fresh(self, base: str) -> str:
        """A new value name: ``base``, else ``base_1``, ``base_2``... (never a taken one)."""
        count, taken = self.root._count, self.root._taken
        n = count.get(base, 0)
        name = f"{base}_{n}" if n else base
        while name in taken:
            n += 1
            name = f"{base}_{n}"
        count[base] = n + 1
        taken.add(name)
        return name

    def reserve(self, name: str) -> str:
        """Claim a name chosen by the user (an input's or output's); ``ValueError`` if taken."""
        if name in self.root._taken:
            raise ValueError(f"to_onnx: the name {name!r} is used twice")
        self.root._taken.add(name)
        return name

    def bind(self, var, name: str) -> None:
        self.env[id(var)] = name

    def read(self, atom) -> str:
        if isinstance(atom, Literal):
            d = self.root.literals.get(id(atom))
            if d is not None:
                return self.op("Cast", self.op("Squeeze", self.dim_tensor(d)),
                               to=onnx_dtype(atom.aval.dtype))
            return self.const(np.asarray(atom.value, atom.aval.dtype))
        g = self
        while True:
            name = g.env.get(id(atom))
            if name is not None:
                return name
            g = g.parent_graph
            if g is None:
                raise KeyError(f"to_onnx: internal error, {atom} has no ONNX value")

    def const(self, value, dtype=None, name: str = "const") -> str:
        """An initializer of the root graph holding ``value`` (equal values are shared)."""
        a = np.asarray(value, dtype)
        key = (a.dtype.str, a.shape, a.tobytes())
        root = self.root
        hit = root._consts.get(key)
        if hit is None:
            hit = root._consts[key] = self.initializer(name, a)
        return hit

    def initializer(self, name: str, value) -> str:
        """A named initializer of the root graph (a weight: never shared with another)."""
        root = self.root
        name = root.fresh(name)
        root.initializers.append(numpy_helper.from_array(np.array(value, order="C"), name))
        return name

    def ints(self, values) -> str:
        """An int64 vector constant (axes, pads, shapes for ONNX's shape inputs)."""
        return self.const(np.asarray(list(values), np.int64), name="ints")

    def op(self, op_type: str, *inputs: str, outputs: int = 1, **attrs):
        """Add a node; its output name (a list when ``outputs`` > 1)."""
        names = [self.fresh(op_type.lower()) for _ in range(outputs)]
        self.nodes.append(helper.make_node(op_type, list(inputs), names, name=names[0],
                                           **attrs))
        return names if outputs > 1 else names[0]

    # -- shapes ----------------------------------------------------------------------

    def shape(self, atom) -> tuple:
        """``atom``'s shape; dimensions that follow the batch size are ``BatchDim``s."""
        return self.root.shapes.get(id(atom), tuple(atom.aval.shape))

    def param(self, eqn, name: str):
        """``eqn.params[name]``, its batch-dependent integers as ``BatchDim``s."""
        return self.root.params.get(id(eqn), eqn.params)[name]

    def dim_tensor(self, d) -> str:
        """An int64 [1] tensor holding dimension ``d`` (a number or a ``BatchDim``)."""
        if not isinstance(d, BatchDim):
            return self.ints([d])
        root = self.root
        hit = root._dims.get(d)
        if hit is None:
            b = root._dims.get("B")
            if b is None:
                # nodes made here belong to the root graph, so sub-graphs may read them
                b = root._dims["B"] = root.op("Shape", root.batch_source, start=0, end=1)
            hit = b if d == (1, 0) else root.op("Mul", b, root.ints([d.a]))
            if d.c:
                hit = root.op("Add", hit, root.ints([d.c]))
            root._dims[d] = hit
        return hit

    def shape_tensor(self, dims) -> str:
        """An int64 vector holding ``dims``: a constant unless some follow the batch size."""
        dims = tuple(dims)
        if not any(isinstance(d, BatchDim) for d in dims):
            return self.ints(dims)
        parts, run = [], []
        for d in dims:
            if isinstance(d, BatchDim):
                if run:
                    parts.append(self.ints(run))
                    run = []
                parts.append(self.dim_tensor(d))
            else:
                run.append(d)
        if run:
            parts.append(self.ints(run))
        return parts[0] if len(parts) == 1 else self.op("Concat", *parts, axis=0)

    def value_info(self, name: str, atom) -> "onnx.ValueInfoProto":
        """The type of graph input/output ``name``: the batch axis named 'batch'."""
        dims = [d if not isinstance(d, BatchDim) else BATCH if d == (1, 0) else None
                for d in self.shape(atom)]
        return helper.make_tensor_value_info(name, onnx_dtype(atom.aval.dtype), dims)

    # -- programs --------------------------------------------------------------------

    def emit(self, ir: IR, in_names) -> list[str]:
        """Translate ``ir``'s equations; the ONNX names of its outputs."""
        from .rules import RULES
        for v, n in zip(ir.invars, in_names, strict=True):
            self.bind(v, n)
        self._note_uses(ir)
        for e in ir.eqns:
            rule = RULES.get(e.prim.name)
            if rule is None:
                raise ExportError(
                    f"to_onnx: primitive '{e.prim.name}' has no ONNX mapping{at(e)}; supported: "
                    f"{', '.join(sorted(RULES))}")
            outs = rule(self, e, [self.read(a) for a in e.inputs])
            outs = outs if isinstance(outs, (list, tuple)) else [outs]
            for v, n in zip(e.outputs, outs, strict=True):
                self.bind(v, n)
        return [self.read(a) for a in ir.outvars]

    def _note_uses(self, ir: IR) -> None:
        root = self.root
        for e in ir.eqns:
            for a in e.inputs:
                if not isinstance(a, Literal):
                    root._uses.setdefault(id(a), []).append(e)
            for v in e.outputs:
                root._producer[id(v)] = e
        for a in ir.outvars:
            root._uses.setdefault(id(a), []).append(None)

    def broadcasts_implicitly(self, var, broadcasting: set) -> bool:
        """Whether every use of ``var`` is an op in ``broadcasting`` (ONNX broadcasts its
        operands) beside an operand of the full result shape that is no broadcast itself,
        so ``var`` need not be expanded to its shape."""
        root = self.root
        for e in root._uses.get(id(var), [None]):
            if e is None or e.prim.name not in broadcasting:
                return False
            full = self.shape(e.outputs[0])
            if not any(a is not var and not isinstance(a, Literal) and self.shape(a) == full
                       and getattr(root._producer.get(id(a)), "prim", None) is not _BCAST
                       for a in e.inputs):
                return False
        return True

    def subgraph(self) -> "Graph":
        return Graph(self)

    def to_graph(self, name: str) -> "onnx.GraphProto":
        inits = self.initializers if self is self.root else []
        return helper.make_graph(self.nodes, name, self.inputs, self.outputs, inits)


_BCAST = registry["broadcast_in_dim"]


def onnx_dtype(dtype) -> int:
    return helper.np_dtype_to_tensor_dtype(np.dtype(dtype))
