"""Pictures of models, IR and fused kernels as Graphviz DOT.

``plot_model`` draws a model's layers with output shapes and parameter counts (Keras's
``plot_model``); ``plot_ir`` draws a jitted function's IR after the compiler's cleanup
passes, one node per equation, and with ``kernels=True`` groups the equations into the
fused kernels they were compiled into (``plot_kernels``). Files are rendered with the
``dot`` program (Debian's ``graphviz``) when present; otherwise the DOT text is written next
to the requested path with a warning.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import warnings

import numpy as np


def _q(text) -> str:
    """A DOT double-quoted string (newlines become centred line breaks)."""
    s = str(text).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{s}"'


class Dot:
    """A tiny DOT writer: nodes, edges and clusters, in insertion order."""

    def __init__(self, name="G", rankdir="TB", node_attrs="shape=box, fontname=Helvetica"):
        self.lines = [f"digraph {_q(name)} {{", f"  rankdir={rankdir};",
                      f"  node [{node_attrs}];", "  edge [fontname=Helvetica, fontsize=9];"]

    def node(self, nid: str, label: str, indent: int = 2, **attrs) -> None:
        extra = "".join(f", {k}={_q(v)}" for k, v in attrs.items())
        self.lines.append(" " * indent + f"{_q(nid)} [label={_q(label)}{extra}];")

    def edge(self, a: str, b: str, label: str | None = None) -> None:
        extra = f" [label={_q(label)}]" if label else ""
        self.lines.append(f"  {_q(a)} -> {_q(b)}{extra};")

    def cluster(self, cid: str, label: str, node_lines: list[tuple]) -> None:
        self.lines += [f"  subgraph {_q('cluster_' + cid)} {{", f"    label={_q(label)};",
                       "    style=rounded; color=gray40; fontname=Helvetica;"]
        for nid, lab, attrs in node_lines:
            self.node(nid, lab, indent=4, **attrs)
        self.lines.append("  }")

    def source(self) -> str:
        return "\n".join(self.lines + ["}"]) + "\n"


FORMATS = ("svg", "png", "pdf", "dot")


def render(dot_source: str, path) -> str:
    """Write ``dot_source`` to ``path`` in the format of its suffix (``.svg``, ``.png``,
    ``.pdf`` via Graphviz's ``dot``; ``.dot`` as text). Without ``dot`` the text goes to
    ``<path>.dot`` and a warning says so. Returns the path written."""
    path = os.fspath(path)
    fmt = os.path.splitext(path)[1].lstrip(".").lower()
    if fmt not in FORMATS:
        raise ValueError(f"render: unsupported file type {fmt!r} for {path!r}; use one of "
                         f"{', '.join('.' + f for f in FORMATS)}")
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    exe = shutil.which("dot") if fmt != "dot" else None
    if fmt != "dot" and exe is None:
        path = os.path.splitext(path)[0] + ".dot"
        warnings.warn(f"Graphviz's 'dot' program was not found: wrote the DOT text to {path} "
                      "instead (install graphviz, e.g. apt-get install graphviz)", stacklevel=3)
        fmt = "dot"
    if fmt == "dot":
        with open(path, "w") as f:
            f.write(dot_source)
        return path
    res = subprocess.run([exe, f"-T{fmt}", "-o", path], input=dot_source.encode(),
                         capture_output=True)
    if res.returncode != 0:
        raise RuntimeError(f"render: dot -T{fmt} failed for {path}: "
                           f"{res.stderr.decode(errors='replace')[:500]}")
    return path


# -- models ----------------------------------------------------------------------------------

def _shape_text(out) -> str:
    from ..tree_util import tree_leaves
    shapes = [str((None,) + tuple(a.shape[1:])) for a in tree_leaves(out)]
    return ", ".join(shapes)


def model_to_dot(model, show_shapes: bool = True, show_params: bool = True,
                 rankdir: str = "TB") -> str:
    """DOT text of ``model``'s layers. Edges follow a functional model's graph and a
    ``Sequential``'s order; a subclassed model is drawn in the order its layers are called."""
    from ..api.eval_shape import ShapeDtypeStruct
    from ..layers.module import Context, count_params, run_in_context
    specs = model.input_specs() if hasattr(model, "input_specs") else None
    if not getattr(model, "built", False) or specs is None:
        raise ValueError(f"plot_model: {getattr(model, 'name', model)!r} needs a built model "
                         "with known input shapes (call model.init(key, sample) or fit first, "
                         "or start it with jitnet.layers.Input)")
    ctx = Context(training=False)
    ctx.calls = []
    run_in_context(ctx, model, [ShapeDtypeStruct(tuple(1 if d is None else d for d in s), dt)
                                for s, dt in specs])
    direct = {id(l) for l in model.sublayers()}
    calls = [(layer, out) for layer, out in ctx.calls if id(layer) in direct]
    g = Dot(model.name or type(model).__name__, rankdir)
    producers = []       # DOT node of each value slot: the inputs first, then call outputs
    for i, (shape, dtype) in enumerate(specs):
        nid = f"input_{i}"
        g.node(nid, f"input_{i} (Input)" + (f"\n{tuple(shape)} {np.dtype(dtype).name}"
                                             if show_shapes else ""), style="rounded")
        producers.append(nid)
    nodes = vars(model).get("_nodes")
    if nodes is None:    # Sequential / subclassed: each call feeds the next
        nodes = [(None, (k,), 1) for k in range(len(calls))]
    if len(nodes) != len(calls):
        raise RuntimeError(f"plot_model: {len(nodes)} graph nodes but {len(calls)} layer "
                           "calls were traced")
    seen: set = set()
    for k, ((_, in_slots, n_out), (layer, out)) in enumerate(zip(nodes, calls)):
        nid = f"call_{k}"
        lines = [f"{layer.name} ({type(layer).__name__})"]
        if show_shapes:
            lines.append(f"output: {_shape_text(out)}")
        if show_params:
            lines.append("params: shared" if id(layer) in seen
                         else f"params: {count_params(layer):,}")
        seen.add(id(layer))
        g.node(nid, "\n".join(lines))
        for s in in_slots:
            g.edge(producers[s], nid)
        producers += [nid] * n_out
    return g.source()


def plot_model(model, to_file="model.png", show_shapes: bool = True,
               show_params: bool = True, rankdir: str = "TB") -> str:
    """Keras's ``plot_model``: a picture of the layers (``.svg``, ``.png``, ``.pdf``, or the
    ``.dot`` text). Returns the path written."""
    return render(model_to_dot(model, show_shapes, show_params, rankdir), to_file)


# -- IR and kernels --------------------------------------------------------------------------

def lowered_ir(fn, *args, **kwargs):
    """The IR the compiler receives for ``fn(*args)`` (after inlining and cleanup)."""
    from ..api.jit import Jitted, jit
    from ..compiler import prepare
    jitted = fn if isinstance(fn, Jitted) else jit(fn)
    return prepare(jitted.lower(*args, **kwargs).traced.ir)


def _kernel_eqns(k) -> list:
    from ..fuse.kernels import LoopKernel
    if isinstance(k, LoopKernel):
        return list(k.eqns) + list(k.reductions) + list(k.epilogue)
    return [k.eqn]


def ir_to_dot(ir, kernels: bool = False, rankdir: str = "TB") -> str:
    """DOT text of ``ir``: inputs, one node per equation (primitive and output types),
    outputs; with ``kernels`` the equations are boxed by the fused kernel holding them (an
    equation recomputed in several kernels is drawn in each, dashed after the first)."""
    from ..core.ir import Var
    from ..core.printer import _Names
    names = _Names()
    g = Dot("ir", rankdir, node_attrs="shape=box, style=rounded, fontname=Helvetica")
    made: dict = {}     # id(Var) -> node producing it
    for i, v in enumerate(ir.invars):
        nid = f"in{i}"
        kind = "const" if i < ir.num_consts else "arg"
        g.node(nid, f"{kind} {names(v)}: {v.aval.str_short()}", shape="ellipse",
               style="filled", fillcolor="lightyellow")
        made[id(v)] = nid

    def eqn_node(j, e, again=False):
        outs = ", ".join(f"{names(o)}: {o.aval.str_short()}" for o in e.outputs)
        return f"e{j}", f"{e.prim.name}\n{outs}", ({"style": "rounded,dashed"} if again else {})

    if kernels:   # a cheap equation may be recomputed in several kernels: a node in each
        from ..fuse import fuse
        groups = [(k, _kernel_eqns(k)) for k in fuse(ir, epilogues=True).kernels]
    else:
        groups = [(None, list(ir.eqns))]
    j, drawn, edges = 0, set(), []
    for ki, (k, es) in enumerate(groups):
        local: dict = {}
        nodes = []
        for e in es:
            edges += [(local.get(id(a)) or made[id(a)], f"e{j}") for a in e.inputs
                      if isinstance(a, Var) and (id(a) in local or id(a) in made)]
            nodes.append(eqn_node(j, e, id(e) in drawn))
            drawn.add(id(e))
            local.update((id(o), f"e{j}") for o in e.outputs)
            j += 1
        if k is None:
            for nid, lab, attrs in nodes:
                g.node(nid, lab, **attrs)
        else:
            g.cluster(f"k{ki}", f"kernel {ki}: {k.describe()}", nodes)
        made.update(local)
    for a, b in edges:
        g.edge(a, b)
    for i, a in enumerate(ir.outvars):
        nid = f"out{i}"
        label = f"out {i}: {a.aval.str_short()}"
        g.node(nid, label, shape="ellipse", style="filled", fillcolor="lightblue")
        if isinstance(a, Var) and id(a) in made:
            g.edge(made[id(a)], nid)
    return g.source()


def plot_ir(fn, *args, path="ir.svg", kernels: bool = False, **kwargs) -> str:
    """A picture of ``jit(fn)``'s IR for ``args`` (``kernels=True``: boxed by fused kernel).
    Returns the path written."""
    return render(ir_to_dot(lowered_ir(fn, *args, **kwargs), kernels), path)


def plot_kernels(fn, *args, path="kernels.svg", **kwargs) -> str:
    """``plot_ir(..., kernels=True)``: which equations went into which fused kernel."""
    return plot_ir(fn, *args, path=path, kernels=True, **kwargs)
