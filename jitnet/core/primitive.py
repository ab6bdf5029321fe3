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
* ``lowering``                           per-backend code generation info.

Rules are written with jitnet operations, so they work on tracers and concrete
arrays alike. A transform that meets a missing rule fails loudly, naming the
primitive: there is no silent fallback.
"""
from __future__ import annotations

registry: dict[str, "Primitive"] = {}


class Primitive:
    __slots__ = ("name", "multiple_results", "impl", "shape_rule", "jvp", "transpose",
                 "batch", "partial_eval", "lowering", "__weakref__")

    def __init__(self, name: str, multiple_results: bool = False, *, builtin: bool = True):
        """``builtin=False`` (user primitives, ``jitnet.extend.core``): not listed in
        ``registry``, which holds jitnet's own instruction set."""
        if builtin and name in registry:
            raise ValueError(f"primitive {name!r} is defined twice")
        self.name = name
        self.multiple_results = multiple_results
        self.impl = self.shape_rule = self.jvp = self.transpose = self.batch = None
        self.partial_eval = None
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
