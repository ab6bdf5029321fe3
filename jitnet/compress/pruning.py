"""Magnitude pruning during training, with TF-MOT's names and schedules.

    model = compress.prune_low_magnitude(model, compress.PolynomialDecay(
        initial_sparsity=0.0, final_sparsity=0.8, begin_step=0, end_step=1000, frequency=100))
    model.compile(...)
    model.fit(x, y, callbacks=[compress.UpdatePruningStep()])
    final = compress.strip_pruning(model)          # plain layers, pruned weights exactly 0

``PruneLowMagnitude`` wraps a layer and holds one mask per pruned weight as a non-trainable
weight (model state). The wrapped layer always computes with ``kernel * mask``, so a pruned
weight contributes nothing and its gradient is zero (gradient masking); the weights the
model uses stay exactly zero through every optimizer step. The masks are arrays in the
training state, so changing them never recompiles the step: ``UpdatePruningStep`` replaces
them between compiled steps, on the schedule, with those that zero the smallest
``|kernel * mask|`` (already pruned weights first, so masks only grow). The raw kernel of a
pruned weight is set to zero at each mask update; between updates an optimizer with
momentum may move it, unseen, and ``strip_pruning`` stores ``kernel * mask``.
"""
from __future__ import annotations

import copy
import dataclasses

import numpy as np

from ..models import Model, Sequential
from .. import numpy as jnp
from .. import random
from .. import ShapeDtypeStruct, eval_shape
from ..layers import Layer, combine, partition
from ..train.callbacks import Callback
from .select import DEFAULT_LAYERS, all_layers, selector, weight_names

__all__ = ["PruningSchedule", "ConstantSparsity", "PolynomialDecay", "PruneLowMagnitude",
           "prune_low_magnitude", "strip_pruning", "update_masks", "UpdatePruningStep",
           "sparsity"]


# -- schedules ---------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class PruningSchedule:
    """``schedule(step) -> (should_prune, sparsity)``: whether masks are recomputed before
    optimizer step ``step`` and the fraction of weights they zero. Prunes when
    ``begin_step <= step <= end_step`` (``end_step=-1``: no end) and
    ``(step - begin_step) % frequency == 0``, as TF-MOT does."""
    begin_step: int = 0
    end_step: int = -1
    frequency: int = 100

    def _check(self, name: str, sparsities) -> None:
        for what, s in sparsities:
            if not (isinstance(s, (int, float)) and 0.0 <= s < 1.0):
                raise ValueError(f"{name}: {what} must be in [0, 1), got {s!r}")
        if not (isinstance(self.begin_step, int) and self.begin_step >= 0):
            raise ValueError(f"{name}: begin_step must be an int >= 0, got {self.begin_step!r}")
        if not (isinstance(self.end_step, int)
                and (self.end_step == -1 or self.end_step >= self.begin_step)):
            raise ValueError(f"{name}: end_step must be -1 or an int >= begin_step "
                             f"({self.begin_step}), got {self.end_step!r}")
        if not (isinstance(self.frequency, int) and self.frequency >= 1):
            raise ValueError(f"{name}: frequency must be an int >= 1, got {self.frequency!r}")

    def should_prune(self, step: int) -> bool:
        in_range = step >= self.begin_step and (self.end_step == -1 or step <= self.end_step)
        return in_range and (step - self.begin_step) % self.frequency == 0

    def sparsity(self, step: int) -> float:
        raise NotImplementedError

    def __call__(self, step: int):
        return self.should_prune(int(step)), self.sparsity(int(step))

    def get_config(self) -> dict:
        return {"class_name": type(self).__name__, "config": dataclasses.asdict(self)}


@dataclasses.dataclass(frozen=True)
class ConstantSparsity(PruningSchedule):
    """The same ``target_sparsity`` at every pruning step (TF-MOT's ``ConstantSparsity``)."""
    target_sparsity: float = 0.5

    def __init__(self, target_sparsity: float, begin_step: int = 0, end_step: int = -1,
                 frequency: int = 100):
        for k, v in dict(target_sparsity=target_sparsity, begin_step=begin_step,
                         end_step=end_step, frequency=frequency).items():
            object.__setattr__(self, k, v)
        self._check("ConstantSparsity", [("target_sparsity", target_sparsity)])

    def sparsity(self, step: int) -> float:
        return float(self.target_sparsity)


@dataclasses.dataclass(frozen=True)
class PolynomialDecay(PruningSchedule):
    """Sparsity rising from ``initial_sparsity`` to ``final_sparsity`` between ``begin_step``
    and ``end_step``: ``final + (initial - final) * (1 - t) ** power`` with ``t`` the
    fraction of the interval done (TF-MOT's ``PolynomialDecay``; fast early, slow late)."""
    initial_sparsity: float = 0.0
    final_sparsity: float = 0.5
    power: float = 3.0

    def __init__(self, initial_sparsity: float, final_sparsity: float, begin_step: int,
                 end_step: int, power: float = 3, frequency: int = 100):
        for k, v in dict(initial_sparsity=initial_sparsity, final_sparsity=final_sparsity,
                         begin_step=begin_step, end_step=end_step, power=power,
                         frequency=frequency).items():
            object.__setattr__(self, k, v)
        self._check("PolynomialDecay", [("initial_sparsity", initial_sparsity),
                                        ("final_sparsity", final_sparsity)])
        if end_step <= begin_step:
            raise ValueError(f"PolynomialDecay: end_step ({end_step}) must be greater than "
                             f"begin_step ({begin_step})")

    def sparsity(self, step: int) -> float:
        t = min(1.0, max(0.0, (step - self.begin_step) / (self.end_step - self.begin_step)))
        return float(self.final_sparsity + (self.initial_sparsity - self.final_sparsity)
                     * (1.0 - t) ** self.power)


_SCHEDULES = {"ConstantSparsity": ConstantSparsity, "PolynomialDecay": PolynomialDecay}


def _schedule(value) -> PruningSchedule:
    """A schedule, or one from its ``get_config()`` (how a saved model stores it)."""
    if isinstance(value, PruningSchedule):
        return value
    if isinstance(value, dict) and set(value) == {"class_name", "config"} and \
            value["class_name"] in _SCHEDULES:
        return _SCHEDULES[value["class_name"]](**value["config"])
    raise TypeError(f"prune_low_magnitude: pruning_schedule must be a ConstantSparsity or "
                    f"PolynomialDecay, got {value!r}")


# -- the wrapper -------------------------------------------------------------------------
class PruneLowMagnitude(Layer):
    """Wraps ``layer``; its weights ``pruned_weights`` (default: ``kernel``) are used
    multiplied by the masks ``<weight>_mask`` (non-trainable, float 0/1)."""

    def __init__(self, layer, pruning_schedule=None, pruned_weights=("kernel",), name=None,
                 trainable: bool = True):
        if not isinstance(layer, Layer):
            raise TypeError(f"PruneLowMagnitude wraps a Layer, got {type(layer).__name__}")
        super().__init__(name=name or (f"prune_low_magnitude_{layer.name}" if layer.name
                                       else None),
                         trainable=trainable, dtype=layer.dtype)
        self.layer = layer
        self.pruning_schedule = _schedule(pruning_schedule if pruning_schedule is not None
                                          else ConstantSparsity(0.5, 0))
        self.pruned_weights = tuple(pruned_weights)
        if not self.pruned_weights or not all(isinstance(n, str) for n in self.pruned_weights):
            raise ValueError(f"PruneLowMagnitude: pruned_weights must name weights of "
                             f"{layer.label}, got {pruned_weights!r}")
        if layer.built:                       # a trained layer: start from all-ones masks
            have = weight_names(layer)
            for n in self.pruned_weights:
                if n not in have:
                    raise ValueError(f"PruneLowMagnitude: {layer.label} has no weight {n!r} "
                                     f"(it has {have})")
                shape = tuple(getattr(layer, n).shape)
                self.add_weight(n + "_mask", shape, np.ones(shape, np.float32),
                                trainable=False)
            self.built = True

    def get_config(self) -> dict:
        return {"layer": self.layer, "pruning_schedule": self.pruning_schedule.get_config(),
                "pruned_weights": self.pruned_weights, "name": self.name,
                "trainable": self.trainable}

    def build(self, input_shape):
        shapes = input_shape if isinstance(input_shape, list) else [input_shape]
        probe = type(self.layer)(**self.layer.get_config())
        specs = [ShapeDtypeStruct(tuple(s), np.float32) for s in shapes]
        built = eval_shape(lambda: probe.init(random.PRNGKey(0), *specs))
        for n in self.pruned_weights:
            w = getattr(built, n, None)
            if w is None:
                raise ValueError(f"PruneLowMagnitude: {self.layer.label} has no weight {n!r}")
            self.add_weight(n + "_mask", tuple(w.shape), "ones", trainable=False)

    def call(self, *inputs, ctx):
        if ctx.building is not None:         # finding shapes: build the wrapped layer itself
            return self.layer(*inputs)
        inner = copy.copy(self.layer)         # the same layer computing with masked weights
        for n in self.pruned_weights:
            setattr(inner, n, getattr(self.layer, n) * getattr(self, n + "_mask"))
        return inner(*inputs)

    def masked_weights(self) -> dict:
        """``{name: weight * mask}`` as NumPy arrays: what the layer computes with."""
        return {n: np.asarray(getattr(self.layer, n)) * np.asarray(getattr(self, n + "_mask"))
                for n in self.pruned_weights}


def _with_layers(model, fn):
    """A copy of a Sequential or functional ``model`` whose layers are ``fn(layer)`` (nested
    models recursively), without its compile state: compile the result again."""
    if not isinstance(model.__dict__.get("layers"), list) or (
            not isinstance(model, Sequential) and "_nodes" not in vars(model)):
        raise ValueError(f"{model.label}: only Sequential and functional models can be "
                         "rewritten; wrap the layers of a subclassed model yourself")
    new = copy.copy(model)
    for k in ("_training", "history"):
        new.__dict__.pop(k, None)
    new.layers = [_with_layers(l, fn) if isinstance(l, Model) and "layers" in vars(l)
                  else fn(l) for l in model.layers]
    return new


def prune_low_magnitude(to_prune, pruning_schedule=None, **kwargs):
    """Wrap a layer, or every Dense/Conv layer of a Sequential or functional model, in
    ``PruneLowMagnitude`` (TF-MOT's function). Built weights are kept (masks start at
    ones); a model comes back uncompiled. ``pruning_schedule`` defaults to
    ``ConstantSparsity(0.5, begin_step=0)``; ``kwargs`` go to ``PruneLowMagnitude``."""
    if isinstance(to_prune, PruneLowMagnitude):
        raise ValueError(f"prune_low_magnitude: {to_prune.label} is already wrapped")
    if isinstance(to_prune, Model):
        return _with_layers(to_prune, lambda l: PruneLowMagnitude(l, pruning_schedule, **kwargs)
                            if isinstance(l, DEFAULT_LAYERS) else l)
    if not isinstance(to_prune, Layer):
        raise TypeError(f"prune_low_magnitude: expects a Layer or a model, got "
                        f"{type(to_prune).__name__}")
    if not isinstance(to_prune, DEFAULT_LAYERS) and "pruned_weights" not in kwargs:
        raise ValueError(f"prune_low_magnitude: {to_prune.label} is not a Dense or "
                         "convolution layer; name its weights with pruned_weights=(...)")
    return PruneLowMagnitude(to_prune, pruning_schedule, **kwargs)


def strip_pruning(model):
    """The model without its ``PruneLowMagnitude`` wrappers: each wrapped layer holding
    ``weight * mask`` (pruned weights exactly zero), ready to save, quantize or export."""
    def strip(layer):
        if not isinstance(layer, PruneLowMagnitude):
            return layer
        inner = copy.copy(layer.layer)
        for n, w in layer.masked_weights().items():
            setattr(inner, n, jnp.asarray(w))
        return inner
    if isinstance(model, Model):
        return _with_layers(model, strip)
    return strip(model)


def _magnitude_mask(effective: np.ndarray, fraction: float) -> np.ndarray:
    """Zeros at the ``round(fraction * size)`` smallest ``|effective|`` entries, ones elsewhere."""
    k = int(round(fraction * effective.size))
    mask = np.ones(effective.size, np.float32)
    mask[np.argsort(np.abs(effective).ravel(), kind="stable")[:k]] = 0.0
    return mask.reshape(effective.shape)


def _wrappers(model) -> list:
    return [l for l in all_layers(model) if isinstance(l, PruneLowMagnitude)]


def update_masks(model, step: int, force: bool = False):
    """``model`` with the masks of every wrapper whose schedule prunes at ``step`` (all with
    ``force``) recomputed for the schedule's sparsity, and those weights zeroed."""
    def due(w):
        return force or w.pruning_schedule.should_prune(step)

    def update(layer):
        if not isinstance(layer, PruneLowMagnitude) or not due(layer):
            return layer
        fraction = layer.pruning_schedule.sparsity(step)
        new, inner = copy.copy(layer), copy.copy(layer.layer)
        for n, eff in layer.masked_weights().items():
            mask = _magnitude_mask(eff, fraction)
            setattr(new, n + "_mask", jnp.asarray(mask))
            setattr(inner, n, jnp.asarray(eff * mask))
        new.layer = inner
        return new
    if not any(due(w) for w in _wrappers(model)):
        return model
    return _with_layers(model, update) if isinstance(model, Model) else update(model)


class UpdatePruningStep(Callback):
    """Updates the pruning masks on their schedules during ``model.fit`` (TF-MOT's name).

    Before optimizer step ``s`` (counted by the run's ``TrainState.step``) every wrapper
    whose schedule says so gets new masks, written into the run's state as arrays of the
    same shapes: the compiled step is reused. ``verbose=1`` prints the sparsity when an
    epoch ends."""

    def __init__(self, verbose: int = 0):
        super().__init__()
        self.verbose = verbose

    def on_train_begin(self, logs=None):
        state = self.trainer.state
        if state.model_state is None:
            raise ValueError("UpdatePruningStep works with model.fit (the masks are model "
                             "state); elsewhere call compress.update_masks(model, step)")
        schedules = {w.pruning_schedule for w in _wrappers(combine(state.params,
                                                                   state.model_state))}
        if not schedules:
            raise ValueError("UpdatePruningStep: the model has no PruneLowMagnitude layer "
                             "(wrap it with compress.prune_low_magnitude before compile)")
        self._schedules = schedules
        self._step = int(np.asarray(state.step))

    def on_train_batch_begin(self, batch, logs=None):
        if any(s.should_prune(self._step) for s in self._schedules):
            state = self.trainer.state
            model = update_masks(combine(state.params, state.model_state), self._step)
            params, rest = partition(model)
            self.trainer.state = state._replace(params=params, model_state=rest)
        self._step += 1

    def on_epoch_end(self, epoch, logs=None):
        if self.verbose:
            state = self.trainer.state
            s = sparsity(combine(state.params, state.model_state))["overall"]
            print(f"epoch {epoch + 1}: sparsity of the pruned weights {s:.3f}")


def sparsity(model, select=None) -> dict:
    """Fractions of exact zeros: ``{"layer/weight": fraction, ..., "overall": fraction}``.

    Counts the weights the layers compute with: ``weight * mask`` inside wrappers (all
    their pruned weights), elsewhere the weights ``select`` chooses (default: kernels of
    Dense and convolution layers; see ``quantize``)."""
    pick = selector(select, "sparsity")
    counts: dict[str, tuple[int, int]] = {}
    inner = {id(w.layer) for w in _wrappers(model)}
    for layer in all_layers(model):
        if isinstance(layer, PruneLowMagnitude):
            arrays = layer.masked_weights()
            label = layer.layer.name or type(layer.layer).__name__
        elif id(layer) in inner:
            continue
        else:
            arrays = {n: np.asarray(getattr(layer, n)) for n in weight_names(layer)
                      if pick(layer, n)}
            label = layer.name or type(layer).__name__
        for n, a in arrays.items():
            counts[f"{label}/{n}"] = (int(a.size - np.count_nonzero(a)), int(a.size))
    out = {k: z / max(s, 1) for k, (z, s) in counts.items()}
    total = sum(s for _, s in counts.values())
    out["overall"] = sum(z for z, _ in counts.values()) / max(total, 1)
    return out
