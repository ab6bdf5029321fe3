"""``Layer``: a Keras-style layer that is also a pytree.

A layer's attributes are of three kinds, told apart by value, not by declaration:

* **weights** -- arrays created by ``add_weight`` in ``build``: trainable parameters or
  non-trainable state (BatchNorm's moving statistics); they are pytree leaves;
* **sublayers** -- a ``Layer`` or a list/tuple/dict of them; they are pytree children;
* **configuration** -- everything else (units, activation, rate, name...); it is static
  pytree aux data, so it must be hashable once the layer is built.

So ``jit``, ``grad``, ``vmap`` and ``tree_util`` apply to a built layer or model directly,
and a change of configuration is a different program while a change of weights is not.

Mutable state and randomness are explicit: a forward pass runs under a ``Context`` that
holds the training flag, a PRNG key (``ctx.next_key()`` folds in a counter, so keys do
not depend on anything but the call order inside the model) and the state updates layers
report with ``ctx.set_state``. ``layer.apply(x, training=, key=)`` returns the outputs and
the layer with its new state; ``layer(x)`` is inference.
"""
from __future__ import annotations

import contextvars
import inspect
import re
from typing import Any

import numpy as np

from .. import numpy as jnp
from .. import random
from .. import ShapeDtypeStruct
from ..tree_util import register_pytree_node, tree_map
from . import mixed_precision
from .resolve import get_initializer

__all__ = ["Layer", "Context", "partition", "combine", "count_params"]

_CURRENT: contextvars.ContextVar = contextvars.ContextVar("jitnet_layer_context", default=None)


def _is_array(x) -> bool:
    return hasattr(x, "shape") and hasattr(x, "dtype") and not isinstance(x, ShapeDtypeStruct)


def _is_layer_tree(x) -> bool:
    if isinstance(x, Layer):
        return True
    if isinstance(x, (list, tuple)):
        return len(x) > 0 and all(_is_layer_tree(v) for v in x)
    if isinstance(x, dict):
        return len(x) > 0 and all(_is_layer_tree(v) for v in x.values())
    return False


def _freeze(x):
    """Configuration values as hashable equivalents (lists -> tuples, dicts -> items)."""
    if isinstance(x, list):
        return tuple(_freeze(v) for v in x)
    if isinstance(x, dict):
        return tuple(sorted((k, _freeze(v)) for k, v in x.items()))
    return x


def _snake(name: str) -> str:
    """Keras's layer names: SimpleRNN -> simple_rnn, LSTM -> lstm, Conv2D -> conv2d."""
    words = re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "_", name)
    return words.lower().replace("2_d", "2d").replace("1_d", "1d").replace("3_d", "3d")


class Context:
    """What one forward pass threads through the layers: mode, randomness, state updates."""

    def __init__(self, training: bool = False, key=None):
        self.training = bool(training)
        self.key = key
        self.updates: dict[int, dict[str, Any]] = {}
        self._count = 0
        self.building: list | None = None     # (layer, input shapes) while discovering shapes
        self.rebuild: set[int] = set()         # layers to build afresh in this pass
        self.calls: list | None = None         # (layer, output) of every call, for summary()

    def next_key(self, who: str = "a layer"):
        """A fresh PRNG key: ``fold_in(key, n)`` for the n-th request in this pass."""
        if self.key is None:
            raise ValueError(f"{who} needs randomness in training mode: pass key=... to "
                             "apply() (fit and Trainer do this for you)")
        k = random.fold_in(self.key, self._count)
        self._count += 1
        return k

    def set_state(self, layer, **values) -> None:
        """Record new values for ``layer``'s non-trainable weights (applied by ``apply``)."""
        for name in values:
            if layer._weight_kinds.get(name) != "state":
                raise ValueError(f"{layer.name}: {name!r} is not a state weight of this layer")
        self.updates.setdefault(id(layer), {}).update(values)


class Layer:
    """Base class of layers and models (Keras's ``Layer``), registered as a pytree.

    Subclasses set configuration in ``__init__``, create weights in ``build(input_shape)``
    with ``add_weight``, and compute in ``call(inputs)``; ``call`` may also take
    ``training`` (a bool) or ``ctx`` (the ``Context``) as a keyword-or-positional parameter.
    """

    # cast floating inputs and weights to the compute dtype of the policy in ``call``
    autocast = True

    def __init__(self, name: str | None = None, trainable: bool = True, dtype=None):
        policy = mixed_precision.resolve(dtype)   # None: the global policy (Keras)
        self.name = name
        self.trainable = trainable
        self.dtype_policy = policy
        self.dtype = policy.variable_dtype         # the weights' dtype
        self.compute_dtype = policy.compute_dtype  # the dtype ``call`` computes in
        self.built = False

    # -- pytree protocol ------------------------------------------------------------
    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        register_pytree_node(cls, _flatten, lambda aux, ch: _unflatten(cls, aux, ch))

    def __setattr__(self, name, value):
        if _is_array(value) and name not in self._weight_kinds:
            self._weight_kinds[name] = "const"      # an array that is not a weight: a leaf
        self.__dict__.pop("_plan", None)            # the pytree layout may change
        object.__setattr__(self, name, value)
        if name == "trainable":                     # Keras: freezing a layer freezes its
            for sub in self.sublayers():            # sublayers (and BatchNorm then runs
                sub.trainable = value               # in inference mode)

    # -- weights --------------------------------------------------------------------
    @property
    def _weight_kinds(self) -> dict:
        kinds = self.__dict__.get("_kinds")
        if kinds is None:
            kinds = {}
            self.__dict__.pop("_plan", None)
            object.__setattr__(self, "_kinds", kinds)
        return kinds

    def add_weight(self, name: str, shape, initializer="glorot_uniform", dtype=None,
                   trainable: bool = True):
        """Create weight ``name`` (an attribute) during ``build``, initialised from the build key.

        ``initializer`` is a name from ``jitnet.nn.initializers`` ("zeros", "ones",
        "glorot_uniform", "he_normal"...), an initializer ``f(key, shape, dtype)`` or an array.
        Non-trainable weights are state: updated through ``ctx.set_state``, not by gradients."""
        dtype = np.dtype(dtype or self.dtype)
        shape = tuple(int(d) for d in shape)
        if _is_array(initializer):
            value = jnp.asarray(initializer, dtype)
            if value.shape != shape:
                raise ValueError(f"{self.name}: initial value for {name!r} has shape "
                                 f"{value.shape}, expected {shape}")
        else:
            init = get_initializer(initializer)
            key = self.__dict__.get("_build_key")
            if key is None:
                raise RuntimeError(f"{self.name}: add_weight({name!r}) outside build()")
            value = init(random.fold_in(key, len(self._weight_kinds)), shape, dtype)
        self._weight_kinds[name] = "param" if trainable else "state"
        setattr(self, name, value)
        return value

    @property
    def weights(self) -> list:
        return [getattr(self, n) for n, k in self._weight_kinds.items() if k != "const"]

    # -- building -------------------------------------------------------------------
    def build(self, input_shape) -> None:
        """Create the weights for inputs of ``input_shape`` (batch dimension included)."""

    def init(self, key, *sample_inputs):
        """Build every weight from ``key`` for inputs like ``sample_inputs`` (arrays or
        ``ShapeDtypeStruct``s); returns ``self``, now built (Keras's ``build``).

        Shapes are found by tracing the forward pass abstractly (sublayers build when
        ``call`` reaches them, Keras-style); then each layer is built for real, in call
        order, from ``fold_in(key, i)``."""
        specs = [x if isinstance(x, ShapeDtypeStruct)
                 else ShapeDtypeStruct(np.shape(x), getattr(x, "dtype", np.float32))
                 for x in sample_inputs]
        built = discover_shapes(self, specs)
        if "_input_specs" not in vars(self):
            self._input_specs = tuple(((None,) + s.shape[1:], s.dtype.name) for s in specs)
        for i, (layer, shapes) in enumerate(built):
            layer._build_self(random.fold_in(key, i), shapes)
        return self

    def _build_self(self, key, shapes):
        _unbuild(self)
        object.__setattr__(self, "_build_key", key)
        try:
            self.build(shapes[0] if len(shapes) == 1 else list(shapes))
        finally:
            object.__delattr__(self, "_build_key")
        self.built = True

    def compute_output_shape(self, *specs):
        """Output ``ShapeDtypeStruct``(s) for inputs like ``specs``, computed abstractly."""
        from .. import eval_shape
        return eval_shape(lambda *xs: self(*xs), *specs)

    # -- calling --------------------------------------------------------------------
    def call(self, *inputs):
        raise NotImplementedError(f"{type(self).__name__} must define call()")

    def __call__(self, *inputs, training: bool | None = None, key=None):
        from .functional import KerasTensor, call_symbolic
        if any(isinstance(x, KerasTensor) for x in inputs):
            return call_symbolic(self, inputs)
        ctx = _CURRENT.get()
        if ctx is None:
            return self.apply(*inputs, training=bool(training), key=key)[0]
        if not self.built or id(self) in ctx.rebuild:
            if ctx.building is None:
                raise ValueError(f"{self.name or type(self).__name__} is not built: build the "
                                 "model with model.init(key, sample_input) (fit does it for you)")
            ctx.rebuild.discard(id(self))
            self._build_self(_SHAPE_KEY, [tuple(x.shape) for x in inputs])
            ctx.building.append((self, [tuple(x.shape) for x in inputs]))
        self._check_inputs(inputs)
        out = _call_autocast(self, inputs, ctx)
        if ctx.calls is not None:
            ctx.calls.append((self, out))
        return out

    def apply(self, *inputs, training: bool = False, key=None):
        """Run the layer under a fresh ``Context``: ``(outputs, layer with updated state)``."""
        if not self.built:
            raise ValueError(f"{self.name or type(self).__name__} is not built: call "
                             ".init(key, sample_input) first (fit builds models for you)")
        ctx = Context(training, key)
        token = _CURRENT.set(ctx)
        try:
            self._check_inputs(inputs)
            out = _call_autocast(self, inputs, ctx)
        finally:
            _CURRENT.reset(token)
        return out, _with_updates(self, ctx.updates) if ctx.updates else self

    def _check_inputs(self, inputs) -> None:
        """Hook for a clear error on inputs of the wrong rank or size (see ``expect_rank``)."""

    # -- description ----------------------------------------------------------------
    def get_config(self) -> dict:
        """The constructor arguments (JSON-friendly where the values are)."""
        params = inspect.signature(type(self).__init__).parameters
        config = {k: getattr(self, k) for k in params
                  if k not in ("self", "args", "kwargs") and hasattr(self, k)}
        takes_kw = any(p.kind is p.VAR_KEYWORD for p in params.values())
        if "dtype" in params or (takes_kw and self.dtype_policy.name != "float32"):
            config["dtype"] = self.dtype_policy.name  # the policy, not the weights' dtype
        return config

    def count_params(self) -> int:
        return count_params(self)

    def sublayers(self) -> list["Layer"]:
        """Direct sublayers in attribute order."""
        out: list = []
        for v in vars(self).values():
            if _is_layer_tree(v):
                _collect_layers(v, out)
        return out

    @property
    def label(self) -> str:
        """``name (Type)`` for messages, as Keras prints layers (``Type`` while unnamed)."""
        kind = type(self).__name__
        return f"{self.name} ({kind})" if self.name else kind

    def __repr__(self):
        return f"<{type(self).__name__} {self.name or ''}>"


_SHAPE_KEY = np.zeros(2, np.uint32)   # stands in for a key while only shapes are wanted


def _call_autocast(layer: Layer, inputs, ctx: Context):
    """``layer.call`` under its dtype policy (Keras's autocast): floating inputs are cast to
    the compute dtype (under a plain policy only float16/bfloat16 ones) and, when it
    differs from the weights' dtype, so are the weights for the call (gradients flow back to the float32 weights through the casts; state
    updates are cast back to the weights' dtype by ``apply``)."""
    extras = _call_extras(type(layer), ctx)
    if not layer.autocast:
        return layer.call(*inputs, **extras)
    compute = layer.compute_dtype
    mixed = compute != layer.dtype
    inputs = tree_map(lambda x: _cast_floating(x, compute, not mixed), inputs)
    if not mixed:
        return layer.call(*inputs, **extras)
    saved = {n: layer.__dict__[n] for n, k in layer._weight_kinds.items() if k != "const"}
    try:
        for n, v in saved.items():
            layer.__dict__[n] = _cast_floating(v, compute)
        return layer.call(*inputs, **extras)
    finally:
        layer.__dict__.update(saved)


def _cast_floating(x, dtype, narrow_only: bool = False):
    """``x`` in ``dtype`` if it is a floating array (with ``narrow_only``: a float16 or
    bfloat16 one, so a float32 layer after mixed ones computes in float32 while float64
    inputs under x64 stay float64)."""
    if not (_is_array(x) and jnp.issubdtype(x.dtype, jnp.floating)) or x.dtype == dtype:
        return x
    if narrow_only and jnp.finfo(x.dtype).bits >= 32:
        return x
    return jnp.asarray(x).astype(dtype)  # (a NumPy input or weight: jitnet computes it)


def discover_shapes(root: Layer, specs, calls: list | None = None,
                    rebuild_all: bool = True) -> list:
    """Trace ``root`` abstractly on ``specs``, building every layer on the way (with
    throw-away abstract weights); returns ``[(layer, input_shapes)]`` in call order."""
    ctx = Context(training=False)
    ctx.building = []
    ctx.calls = calls
    ctx.rebuild = {id(x) for x in _all_layers(root)} if rebuild_all else {id(root)}

    try:
        run_in_context(ctx, root, specs)
    finally:
        for layer, _ in ctx.building:       # abstract weights must not outlive the trace
            _unbuild(layer)
    return ctx.building


def run_in_context(ctx: Context, root: Layer, specs):
    """``root(*specs)`` traced abstractly with ``ctx`` as the active context."""
    from .. import eval_shape

    def run(*xs):
        token = _CURRENT.set(ctx)
        try:
            return root(*xs)
        finally:
            _CURRENT.reset(token)
    return eval_shape(run, *specs)


def _unbuild(layer: Layer) -> None:
    layer.__dict__.pop("_plan", None)
    for k, kind in list(layer._weight_kinds.items()):
        if kind != "const":
            layer.__dict__.pop(k, None)
            del layer._weight_kinds[k]
    layer.__dict__["built"] = False


def _all_layers(x) -> list:
    out: list = []
    _collect_layers(x, out)
    i = 0
    while i < len(out):
        out.extend(out[i].sublayers())
        i += 1
    return out


def _collect_layers(x, out: list) -> None:
    if isinstance(x, Layer):
        out.append(x)
    elif isinstance(x, dict):
        for v in x.values():
            _collect_layers(v, out)
    else:
        for v in x:
            _collect_layers(v, out)


def expect_rank(layer: Layer, x, ranks, what: str = "input") -> None:
    """Raise a clear error when ``x`` does not have one of ``ranks`` dimensions."""
    from ..core.source_info import user_line
    ranks = (ranks,) if isinstance(ranks, int) else tuple(ranks)
    if np.ndim(x) not in ranks and len(getattr(x, "shape", ())) not in ranks:
        want = " or ".join(str(r) for r in ranks)
        raise ValueError(f"{layer.label} expects "
                         f"a rank-{want} {what}, got shape {tuple(x.shape)}{user_line()}")


_EXTRAS: dict[type, tuple[bool, bool]] = {}


def _call_extras(cls: type, ctx: Context) -> dict:
    flags = _EXTRAS.get(cls)
    if flags is None:
        params = inspect.signature(cls.call).parameters
        flags = _EXTRAS[cls] = ("training" in params, "ctx" in params)
    out = {}
    if flags[0]:
        out["training"] = ctx.training
    if flags[1]:
        out["ctx"] = ctx
    return out


# -- pytree flattening ------------------------------------------------------------------
_NOT_PYTREE = ("_training", "history", "_plan")   # host-side, never traced


def _flatten(layer: Layer):
    """Children (weights, sublayers) and static aux. The layout is computed once per layer
    and kept in ``_plan`` (dropped by ``__setattr__``): flattening is on every jitted call."""
    d = layer.__dict__
    plan = d.get("_plan")
    if plan is None:
        plan = d["_plan"] = _plan(layer)
    return [d[k] for k in plan[0]], plan


def _plan(layer: Layer):
    names, static = [], []
    kinds = layer.__dict__.get("_kinds", {})
    for k, v in vars(layer).items():
        if k in _NOT_PYTREE:
            continue
        if k in kinds or _is_layer_tree(v):
            names.append(k)
        elif k == "_kinds":
            static.append((k, tuple(v.items())))
        else:
            static.append((k, _freeze(v)))
    return tuple(names), tuple(static)


def _unflatten(cls, aux, children):
    names, static = aux
    obj = object.__new__(cls)
    d = obj.__dict__
    for k, v in static:
        d[k] = dict(v) if k == "_kinds" else v
    for k, v in zip(names, children):
        d[k] = v
    d["_plan"] = aux
    return obj


def _copy(layer: Layer) -> Layer:
    obj = object.__new__(type(layer))
    obj.__dict__.update(layer.__dict__)
    if "_kinds" in obj.__dict__:
        obj.__dict__["_kinds"] = dict(obj.__dict__["_kinds"])
    return obj


def _map_layers(fn, x):
    """Rebuild a layer tree bottom-up with ``fn(copy_of_layer)`` applied to every layer."""
    if isinstance(x, Layer):
        new = _copy(x)
        for k, v in vars(x).items():
            if _is_layer_tree(v):
                new.__dict__[k] = _map_layers(fn, v)
        fn(x, new)
        return new
    if isinstance(x, dict):
        return {k: _map_layers(fn, v) for k, v in x.items()}
    return type(x)(_map_layers(fn, v) for v in x)


def _with_updates(root: Layer, updates: dict) -> Layer:
    def fn(old, new):
        for k, v in updates.get(id(old), {}).items():
            new.__dict__[k] = v.astype(getattr(old, k).dtype) if hasattr(v, "astype") else v
    return _map_layers(fn, root)


# -- trainable / non-trainable split (Equinox's partition/combine) ---------------------
def partition(model: Layer):
    """``(trainable, rest)``: two copies of ``model``, each holding ``None`` where the other
    holds a weight. Differentiate with respect to the first; ``combine`` puts them together.

    A weight is trainable when it was added with ``trainable=True`` and neither its layer
    nor any layer above it has ``trainable = False`` (Keras's freezing)."""
    frozen: set[int] = set()

    def mark(x, on):
        if isinstance(x, Layer):
            on = on and x.trainable
            if not on:
                frozen.add(id(x))
            for v in vars(x).values():
                if _is_layer_tree(v):
                    mark(v, on)
        elif isinstance(x, dict):
            for v in x.values():
                mark(v, on)
        else:
            for v in x:
                mark(v, on)
    mark(model, True)

    def split(keep_trainable):
        def fn(old, new):
            for k, kind in old._weight_kinds.items():
                trainable = kind == "param" and id(old) not in frozen
                if trainable != keep_trainable:
                    new.__dict__[k] = None
        return _map_layers(fn, model)

    return split(True), split(False)


def combine(*parts: Layer) -> Layer:
    """Merge trees made by ``partition``: each weight from the first part that holds it."""
    from ..tree_util import tree_flatten, tree_unflatten
    first = parts[0]
    flat = [tree_flatten(p, is_leaf=lambda v: v is None)[0] for p in parts]
    merged = [next((v for v in vals if v is not None), None) for vals in zip(*flat)]
    return tree_unflatten(tree_flatten(first, is_leaf=lambda v: v is None)[1], merged)


def assign_weights(dst: Layer, src: Layer) -> None:
    """Write ``src``'s weights into the layer objects of ``dst`` (same structure), in place:
    how ``fit`` hands trained weights back to the user's model object."""
    if isinstance(dst, Layer):
        for k in dst._weight_kinds:
            dst.__dict__[k] = src.__dict__[k]
        for k, v in vars(dst).items():
            if _is_layer_tree(v):
                assign_weights(v, src.__dict__[k])
    elif isinstance(dst, dict):
        for k in dst:
            assign_weights(dst[k], src[k])
    else:
        for a, b in zip(dst, src):
            assign_weights(a, b)


def count_params(tree) -> int:
    from ..tree_util import tree_leaves
    return int(sum(int(np.prod(np.shape(x))) for x in tree_leaves(tree)))
