"""Primitives: the IR's instruction set, each carrying all of its rules in one object.

A primitive's rules are plain attributes, set beside its definition in
``jitnet/prims/<family>.py``:

* ``impl(*ndarrays, **params)``          NumPy reference implementation (eager mode).
* ``shape_rule(*avals, **params)``       output ``ShapedArray`` (list if multiple_results);
                                         raises ``TypeError``/``ValueError`` on bad input.
* ``jvp(primals, tangents, **params)``   ``(primal_out, tangent_out)``; tangents may be ``Zero``.
* ``transpose(cts, *args, **params)``    cotangents for the linear inputs, which arrive as
                                         ``UndefinedPrimal``; only for linear primitives.
* ``batch(args, dims, **params)``        ``(out, out_dim)`` for vmap; ``dims[i]`` is None when
                                         argument ``i`` is not mapped.
* ``partial_eval(eqn, unknowns)``        optional: split an equation holding a sub-IR into
                                         known and unknown equations (remat, control flow).
* ``kind``                               what kind of operation it is, for fusion and code
                                         generation: ``Elementwise``, ``Remap``, ``Reduce`` or
                                         ``Op`` (below). The fuser and both code generators
                                         read it; no list of names elsewhere says it.
* ``lowering``                           per-backend code generation info (user primitives'
                                         Numba functions, ``expand``, ``collective``).

Rules are written with jitnet operations, so they work on tracers and concrete
arrays alike. A transform that meets a missing rule fails loudly, naming the
primitive: there is no silent fallback.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

registry: dict[str, "Primitive"] = {}


# -- kinds: how an output element relates to the operands' elements ------------------------

@dataclass(frozen=True)
class Elementwise:
    """Output element ``i`` reads element ``i`` of each operand (0-d operands broadcast):
    fused into loop kernels, one scalar expression per element. ``math`` names the scalar
    function when it is a plain call of Python's ``math`` module (``"sin"``: ``math.sin`` on
    CPU, the ``jn_sin`` helper on CUDA), so no backend needs a template of its own for it;
    otherwise a template under the primitive's name: in ``codegen/scalar.py`` when both
    backends compile it, else in ``codegen/cpu/scalar.py`` and ``codegen/cuda/scalar.py``."""
    math: str | None = None


@dataclass(frozen=True)
class Remap:
    """Output element ``idx`` is the operand's element at ``index(eqn, idx)``: no arithmetic,
    only data movement, so a remap is never a kernel of its own; its index map is pulled into
    each consumer's loads. ``index`` maps the tuple of output index expressions (source
    text: loop variables, ``"0"``, sums) to the operand's. A remap without operands (iota)
    is the mapped index itself. ``keeps_order``: the elements keep their C order (the flat
    index is unchanged; a reshape), so a reduction's result may be read through it."""
    index: Callable
    keeps_order: bool = False


@dataclass(frozen=True)
class Reduce:
    """Combines the operand's elements over ``params["axes"]``, starting from
    ``identity(dtype)`` (a Python scalar) with the binary elementwise primitive ``combine``.
    ``operator``: the combine step's Python infix operator, if it has one (``"+"``, ``"*"``,
    ``"&"``, ``"|"``); Numba combines parallel partial results of ``+`` and ``*``."""
    identity: Callable
    combine: "Primitive"
    operator: str | None = None


@dataclass(frozen=True)
class Op:
    """Anything else: an ``OpKernel`` of its own, written by the backend's op generator
    registered under the primitive's name (``codegen/{cpu,cuda}/ops.GENERATORS``)."""


ELEMENTWISE = Elementwise()
OP = Op()


class Primitive:
    __slots__ = ("name", "multiple_results", "impl", "shape_rule", "jvp", "transpose",
                 "batch", "partial_eval", "kind", "lowering", "__weakref__")

    def __init__(self, name: str, multiple_results: bool = False, *, builtin: bool = True,
                 kind=None):
        """``builtin=False`` (user primitives, ``jitnet.extend.core``): not listed in
        ``registry``, which holds jitnet's own instruction set. ``kind``: see above (every
        primitive of the registry declares one; tests/compiler/test_registry_lowers.py)."""
        if builtin and name in registry:
            raise ValueError(f"primitive {name!r} is defined twice")
        self.name = name
        self.multiple_results = multiple_results
        self.impl = self.shape_rule = self.jvp = self.transpose = self.batch = None
        self.partial_eval = None
        self.kind = kind
        self.lowering: dict = {}
        if builtin:
            registry[name] = self

    def __repr__(self):
        return self.name

    def rule(self, kind: str):
        """The rule ``kind`` ('jvp', 'transpose', 'batch', ...) or a NotImplementedError naming it."""
        r = getattr(self, kind)
        if r is None:
            raise NotImplementedError(
                f"primitive '{self.name}' has no {kind} rule, so this transform cannot be "
                f"applied to it")
        return r
