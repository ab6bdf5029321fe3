"""``Model`` (functional graphs and subclassing) and ``Sequential``, with Keras's
``compile``/``fit``/``evaluate``/``predict``/``summary``/``save``.

As in Keras 3, a model is a layer plus the trainer: a ``Layer`` (hence a pytree of its
weights) whose training methods hand it to ``jitnet.train``, which sees only a layer. The
graph machinery (``Input``, tracing, ``run_graph``) stays in ``jitnet.layers``. The training
state set up by ``compile`` lives in ``_training`` (not part of the pytree); ``fit`` runs one
compiled step per batch and writes the trained weights back into the model.
"""
from __future__ import annotations

import numpy as np

from ..core.source_info import user_line
from ..layers.functional import KerasTensor, build_graph, run_graph
from ..layers.module import Layer, _snake
from ..layers.summary import summary as _summary
from ..layers.transfer import freeze_to, load_weights as _load_weights
from ..train.callbacks import OneCycle
from ..train.finetune import fine_tune as _fine_tune
from ..train.keras import compile_model, evaluate as _evaluate, fit as _fit, \
    lr_find as _lr_find, predict as _predict
from ..tree_util import tree_leaves
from .saving import load_model, save_model


def _unique_names(layers) -> None:
    """Give unnamed layers Keras-style names unique within one model: dense, dense_1, ..."""
    taken = {l.name for l in layers if l.name}
    for l in layers:
        if l.name:
            continue
        base, n = _snake(type(l).__name__), 0
        name = base
        while name in taken:
            n += 1
            name = f"{base}_{n}"
        l.name = name
        taken.add(name)


class Model(Layer):
    """``Model(inputs, outputs)`` from ``Input`` tensors, or a subclass defining ``call``."""

    autocast = False  # a model's layers cast for themselves (Keras)

    def __init__(self, inputs=None, outputs=None, name=None, trainable: bool = True):
        super().__init__(name=name or _snake(type(self).__name__), trainable=trainable)
        if inputs is None and outputs is None:
            return
        ins = list(inputs) if isinstance(inputs, (list, tuple)) else [inputs]
        outs = list(outputs) if isinstance(outputs, (list, tuple)) else [outputs]
        for t in ins + outs:
            if not isinstance(t, KerasTensor):
                raise TypeError(f"Model(inputs, outputs) takes tensors made from "
                                f"jitnet.layers.Input, got {type(t).__name__}")
        layers, self._nodes, self._out_slots = build_graph(ins, outs)
        self.layers = layers
        _unique_names(layers)
        self._input_specs = tuple((t.shape, t.dtype.name) for t in ins)
        self._single_output = not isinstance(outputs, (list, tuple))

    def call(self, *inputs):
        if "_nodes" not in vars(self):
            raise NotImplementedError(f"{type(self).__name__} subclasses Model: define call()")
        outs = run_graph(self.layers, self._nodes, self._out_slots, inputs)
        return outs[0] if self._single_output else outs

    def _check_inputs(self, inputs):
        specs = vars(self).get("_input_specs")
        if specs is None:
            return
        if len(inputs) != len(specs):
            raise ValueError(f"{self.name}: expects {len(specs)} input(s), got {len(inputs)}")
        for x, (shape, _) in zip(inputs, specs):
            if len(x.shape) != len(shape) or any(
                    d is not None and d != s for d, s in zip(shape, x.shape)):
                raise ValueError(f"{self.name} ({type(self).__name__}): expects inputs of "
                                 f"shape {shape}, got {tuple(x.shape)}{user_line()}")

    # -- Keras's training API (jitnet.train.keras does the work) --------------------------
    def compile(self, optimizer="rmsprop", loss=None, metrics=None, loss_weights=None,
                seed: int = 0, jit_compile: bool = True, steps_per_execution: int = 1):
        compile_model(self, optimizer=optimizer, loss=loss, metrics=metrics, seed=seed)
        return self

    def fit(self, x=None, y=None, **kwargs):
        return _fit(self, x, y, **kwargs)

    def evaluate(self, x=None, y=None, **kwargs):
        return _evaluate(self, x, y, **kwargs)

    def predict(self, x, **kwargs):
        return _predict(self, x, **kwargs)

    def fit_one_cycle(self, x=None, y=None, *, epochs=1, max_lr=1e-3, callbacks=None, **kw):
        """FastAI's ``fit_one_cycle``: ``fit`` with the one-cycle learning-rate policy
        (FastAI's default peak rate 1e-3; ``lr_find`` suggests one)."""
        cb = OneCycle(max_lr)
        return self.fit(x, y, epochs=epochs, callbacks=[cb, *(callbacks or [])], **kw)

    def lr_find(self, x=None, y=None, **kwargs):
        """FastAI's learning-rate finder: ``(suggestion, lrs, losses)``; weights unchanged."""
        return _lr_find(self, x, y, **kwargs)

    def save(self, filepath, metadata=None) -> str:
        """Write the configuration (JSON) and weights (safetensors) to the checkpoint
        directory ``filepath``; ``jitnet.models.load_model(filepath)`` reads it back."""
        return save_model(self, filepath, metadata)

    def save_weights(self, filepath) -> str:
        """Keras's ``save_weights``: the same checkpoint as ``save`` (the configuration is
        kept so that ``load_weights`` can match layers by name)."""
        return self.save(filepath)

    def load_weights(self, filepath, skip_mismatch: bool = False, by_name: bool = True):
        """Keras's ``load_weights`` from a checkpoint (or a model), matching layers by name
        path; returns a ``LoadReport`` (loaded, skipped, missing, unused). See
        ``jitnet.layers.transfer.load_weights``."""
        source = filepath if isinstance(filepath, Layer) else load_model(filepath)
        return _load_weights(self, source, skip_mismatch=skip_mismatch, by_name=by_name)

    # -- FastAI's freezing and fine-tuning (parameter groups: see layers.transfer) ---------
    def freeze(self, groups=None) -> None:
        """Freeze every parameter group but the last (the head); call ``compile`` again."""
        freeze_to(self, -1, groups)

    def freeze_to(self, n: int, groups=None) -> None:
        """Freeze the parameter groups before ``n``, unfreeze the others."""
        freeze_to(self, n, groups)

    def unfreeze(self) -> None:
        """Make every layer trainable again (``compile`` again before ``fit``)."""
        self.trainable = True

    def fine_tune(self, x=None, y=None, *, epochs=1, base_lr=2e-3, freeze_epochs=1, **kw):
        """FastAI's ``fine_tune``: the head alone for ``freeze_epochs`` (one cycle), then
        everything with discriminative learning rates; see ``jitnet.train.fine_tune``."""
        return _fine_tune(self, x, y, epochs=epochs, base_lr=base_lr,
                         freeze_epochs=freeze_epochs, **kw)

    def get_weights(self) -> list:
        return [np.asarray(w) for w in tree_leaves(self)]

    def summary(self, print_fn=print, line_length: int = 80):
        return _summary(self, print_fn=print_fn, line_length=line_length)

    def input_specs(self):
        """Per-input (shape with None batch, dtype), when the model knows them."""
        return vars(self).get("_input_specs")


class Sequential(Model):
    """A stack of layers, each called on the previous one's output.

    ``Sequential([Input((28, 28, 1)), Conv2D(...), ...])`` records the input shape;
    without it the model is built from the first batch ``fit`` sees (or ``init``)."""

    def __init__(self, layers=None, name=None, trainable: bool = True):
        Layer.__init__(self, name=name or "sequential", trainable=trainable)
        self.layers = []
        for l in layers or []:
            self.add(l)

    def add(self, layer) -> None:
        if isinstance(layer, KerasTensor):
            if self.layers:
                raise ValueError("Sequential: an Input can only come first")
            self._input_specs = ((layer.shape, layer.dtype.name),)
            return
        if not isinstance(layer, Layer):
            raise TypeError(f"Sequential.add takes a Layer, got {type(layer).__name__}")
        self.layers = self.layers + [layer]
        _unique_names(self.layers)
        self.built = False

    def call(self, x):
        for layer in self.layers:
            x = layer(x)
        return x
