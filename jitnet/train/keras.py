"""Keras's ``compile``/``fit``/``evaluate``/``predict`` for ``jitnet.layers`` models.

``fit`` builds the model from the first batch if needed, makes one compiled step from the
model, loss and metrics (``compute`` below), runs it with the shared ``Engine`` and writes
the trained weights back into the model object. Calling ``fit`` again continues with the
same optimizer state and compiled step.
"""
from __future__ import annotations

import numpy as np

from .. import losses as _losses
from .. import metrics as _metrics
from .. import optim, random
from .. import jit
from .. import ShapeDtypeStruct, eval_shape
from ..data import DataLoader, validation_split as _split
from ..layers.module import assign_weights, combine, partition
from ..tree_util import tree_structure
from .lr_find import lr_find as _lr_find
from .loop import Engine, as_loader, check_strategy, make_engine, sample_batch
from .step import StepLogic, TrainState, weighted_mean


def _loss_scaled(model, optimizer):
    """Under the "mixed_float16" policy the optimizer scales the loss (as Keras's compile)."""
    policy = getattr(model, "dtype_policy", None)
    if policy is not None and policy.name == "mixed_float16" and \
            not isinstance(optimizer, optim.LossScaleTransformation):
        return optim.LossScaleOptimizer(optimizer)
    return optimizer


def compile_model(model, *, optimizer="rmsprop", loss=None, metrics=None, seed=0):
    if loss is None:
        raise ValueError(f"{model.name}.compile: a loss is required (e.g. "
                         "loss='sparse_categorical_crossentropy')")
    loss_obj = _losses.get(loss)
    model._training = {
        "optimizer": _loss_scaled(model, optim.get(optimizer)),
        "loss": loss_obj,
        "metrics": [_metrics.get(m, loss=loss_obj) for m in (metrics or [])],
        "seed": int(seed),
        "engine": None,
    }


def _training(model) -> dict:
    t = vars(model).get("_training")
    if t is None:
        raise RuntimeError(f"{model.name or type(model).__name__}: call model.compile("
                           "optimizer=..., loss=..., metrics=...) before fit/evaluate")
    return t


def _call(model, x, training, key):
    xs = tuple(x) if isinstance(x, (list, tuple)) else (x,)
    return model.apply(*xs, training=training, key=key)


def _compute_fn(loss_obj):
    def compute(params, model_state, batch, mask, key, training):
        x, y = batch[0], batch[1]
        model = combine(params, model_state)
        y_pred, new_model = _call(model, x, training, key)
        per = loss_obj.call(y, y_pred)
        w = mask if len(batch) < 3 else mask * batch[2]
        loss = weighted_mean(per, w, count=mask)
        new_state = partition(new_model)[1] if training else model_state
        return loss, new_state, (y, y_pred), {}
    return compute


def _first_spec(x):
    xs = x if isinstance(x, (list, tuple)) else [x]
    return [ShapeDtypeStruct((1,) + np.shape(a)[1:], np.asarray(a[:1]).dtype) for a in xs]


def build_key(seed: int):
    """The key ``fit`` builds an unbuilt model from, for ``compile(seed=seed)``."""
    return random.fold_in(random.PRNGKey(seed), 1)


def _built_sample(model, t, loader):
    """One sample's inputs from ``loader``, the model built for them if it was not."""
    x_sample = sample_batch(loader).data[0]
    if not model.built:
        xs = list(x_sample) if isinstance(x_sample, (list, tuple)) else [x_sample]
        model.init(build_key(t["seed"]), *xs)
    return x_sample


def _output_shape(model, x_sample) -> tuple:
    out = eval_shape(lambda *xs: model(*xs), *_first_spec(x_sample))
    return tuple(getattr(out, "shape", ()))


def _engine(model, t, x_sample, output_shape=None, strategy=None) -> Engine:
    """The compiled steps for this model (made once per ``compile``) with fresh weights."""
    params, rest = partition(model)
    e = t["engine"]
    if e is not None and strategy != t.get("strategy"):
        raise ValueError(f"{model.name}.fit: strategy={strategy!r}, but this compiled model "
                         f"trained with strategy={t.get('strategy')!r}; call compile again "
                         "to change it")
    if e is None:
        compute = _compute_fn(t["loss"])
        shape = output_shape if output_shape is not None else _output_shape(model, x_sample)
        shape = shape or None
        train_logic = StepLogic(t["metrics"], output_shape=shape)
        eval_logic = StepLogic(t["metrics"], output_shape=shape)
        opt = t["optimizer"]
        state = TrainState(np.int32(0), params, rest, opt.init(params), train_logic.init(),
                           random.PRNGKey(t["seed"]))
        t["engine"] = make_engine(compute, opt, train_logic, eval_logic, state, model=model,
                                  strategy=strategy)
        t["strategy"] = strategy
    else:
        if tree_structure(params) != tree_structure(e.state.params):
            raise ValueError(f"{model.label}: which layers are trainable changed since "
                             "compile(); call model.compile(...) again (as in Keras) so that "
                             "the optimizer state matches the trainable weights")
        e.state = e.state._replace(params=params, model_state=rest)
    return t["engine"]


def _check_targets(t, y, output_shape):
    check = getattr(t["loss"], "check_targets", None)
    if check is not None and y is not None:
        check(np.asarray(y), output_shape)


def _loader(x, y, sample_weight, batch_size, shuffle, seed):
    if isinstance(x, DataLoader):
        if y is not None:
            raise ValueError("fit: y must be None when x is a DataLoader (it yields (x, y))")
        return x
    if y is None:
        raise ValueError("fit/evaluate: y (the targets) is required when x is an array")
    xs = x if isinstance(x, (list, tuple)) else [x]
    for a in xs:
        if len(a) != len(y):
            raise ValueError(f"x has {len(a)} samples but y has {len(y)} (shapes "
                             f"{np.shape(a)} and {np.shape(y)})")
    data = (x, y) if sample_weight is None else (x, y, np.asarray(sample_weight, np.float32))
    return as_loader(data, batch_size or 32, shuffle=shuffle, seed=seed)


def fit(model, x=None, y=None, *, batch_size=None, epochs=1, verbose="auto", callbacks=None,
        validation_split=0.0, validation_data=None, shuffle=True, initial_epoch=0,
        sample_weight=None, validation_batch_size=None, steps_per_epoch=None, resume=None,
        strategy=None):
    """Keras's ``Model.fit``; returns a ``History``. ``resume``: a checkpoint written by
    ``ModelCheckpoint`` (or a ``CheckpointManager`` directory) to continue exactly from
    (weights, optimizer and metric states, PRNG key, epoch and batch, history so far).
    ``strategy="mpi"``: data-parallel training on every rank of an MPI job, ``batch_size``
    being the global batch (see docs/DISTRIBUTED.md)."""
    check_strategy(strategy, f"{model.name}.fit")
    t = _training(model)
    if validation_split and validation_data is None:
        if isinstance(x, DataLoader):
            raise ValueError("validation_split needs arrays, not a DataLoader")
        (x, y), validation_data = _split((x, y), validation_split)
    loader = _loader(x, y, sample_weight, batch_size, shuffle, t["seed"])
    x_sample = _built_sample(model, t, loader)
    output_shape = _output_shape(model, x_sample)
    _check_targets(t, y, output_shape)
    val_loader = None
    if validation_data is not None:
        vx, vy = validation_data[0], validation_data[1] if len(validation_data) > 1 else None
        val_loader = _loader(vx, vy, None, validation_batch_size or batch_size, False, 0)
    engine = _engine(model, t, x_sample, output_shape, strategy)
    verbose = 1 if verbose == "auto" else int(verbose)
    try:
        history = engine.fit(loader, epochs=epochs, val_loader=val_loader,
                             callbacks=list(callbacks or []), verbose=verbose,
                             initial_epoch=initial_epoch, max_batches=steps_per_epoch,
                             ckpt_path=resume)
    finally:
        assign_weights(model, combine(engine.state.params, engine.state.model_state))
    history.model = model
    model.history = history
    return history


def evaluate(model, x=None, y=None, *, batch_size=None, verbose="auto", sample_weight=None,
             return_dict=False):
    """Keras's ``Model.evaluate``: the loss, or ``[loss, *metrics]``, or a dict."""
    t = _training(model)
    loader = _loader(x, y, sample_weight, batch_size, False, 0)
    x_sample = _built_sample(model, t, loader)
    logs = _engine(model, t, x_sample, strategy=t.get("strategy")).evaluate(loader)
    if return_dict:
        return logs
    values = list(logs.values())
    return values[0] if len(values) == 1 else values


@jit
def _predict_batch(model, xs):
    return model(*xs)


def predict(model, x, *, batch_size=None, verbose=0):
    """Keras's ``Model.predict``: outputs for all samples, batched, as NumPy arrays."""
    from ..tree_util import tree_map
    xs = tuple(x) if isinstance(x, (list, tuple)) else (x,)
    if not model.built:
        model.init(random.PRNGKey(0), *_first_spec(x))
    loader = DataLoader(xs, batch_size=batch_size or 32, shuffle=False, pad_remainder=True,
                        prefetch=0)
    outs = []
    for b in loader.epoch(0):
        out = _predict_batch(model, tuple(b.data))
        outs.append(tree_map(lambda a: np.asarray(a)[:b.size], out))
    return tree_map(lambda *parts: np.concatenate(parts), *outs)


def lr_find(model, x, y=None, *, batch_size=None, **kwargs):
    """FastAI's learning-rate finder on a compiled model; the model is left unchanged."""
    t = _training(model)
    loader = _loader(x, y, None, batch_size, True, t["seed"])
    x_sample = _built_sample(model, t, loader)
    return _lr_find(_engine(model, t, x_sample, strategy=t.get("strategy")), loader, **kwargs)

