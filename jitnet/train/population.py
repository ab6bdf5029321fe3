"""Populations: N copies of a model, each with its own hyperparameters and seed, trained
together in one compiled step.

Models and optimizer states are pytrees, so N of them stack into one pytree with a leading
member axis, and ``vmap`` of the ordinary training step (``jitnet.train.step``) trains every
member on a batch in one dispatch, the batch shared. What differs between members is data in
the state, never configuration: the optimizer's hyperparameters are injected
(``optim.inject_hyperparams``) and Dropout's rate is a leaf of the model. So a new value
(PBT's explore step), copying one member onto another (exploit) or stopping a member (its
state is carried over unchanged by a mask inside the step) reuses the compiled step.

The loop is the shared ``Engine``; a population's logs are arrays with one value per member.
"""
from __future__ import annotations

import inspect
from typing import Any, NamedTuple

import numpy as np

from .. import numpy as jnp
from .. import lax, optim, random
from .. import jit, vmap
from ..layers.core import Dropout
from ..layers.module import _all_layers, assign_weights, combine, partition
from ..optim.registry import OPTIMIZERS, STATIC_ARGS
from ..tree_util import tree_leaves, tree_map
from .callbacks import Callback, History, _monitor_mode, _Monitor
from .keras import _compute_fn, _loader, _output_shape, build_key, compile_model
from .loop import Engine, sample_batch
from .step import StepLogic, TrainState, build_eval_step, build_train_step

DROPOUT = "dropout"     # the hyperparameter name that sets every Dropout layer's rate


def _stack(trees):
    """One pytree whose leaves are the members' leaves stacked on a new leading axis."""
    return tree_map(lambda *xs: jnp.stack([jnp.asarray(x) for x in xs]), *trees)


def _copy(model):
    """A new model object with the same weights (models are pytrees: rebuilt, not shared)."""
    return tree_map(lambda a: a, model)


def _dropouts(model) -> list:
    return [layer for layer in _all_layers(model) if isinstance(layer, Dropout)]


def _with_rates(model, rate):
    """A copy of ``model`` whose Dropout layers all have ``rate`` as a float32 array leaf."""
    model = _copy(model)
    for layer in _dropouts(model):
        layer.rate = jnp.asarray(rate, jnp.float32)
    return model


def _set_members(dst_tree, src_tree, dst, src):
    """``dst_tree`` with member(s) ``dst`` replaced by member ``src`` of ``src_tree``."""
    return tree_map(lambda a, b: jnp.asarray(a).at[np.asarray(dst)].set(jnp.asarray(b)[src]),
                    dst_tree, src_tree)


class MemberSchedulesState(NamedTuple):
    member: Any          # int32: the member whose schedules this state follows
    inner_state: Any     # the wrapped optimizer's InjectHyperparamsState


def member_schedules(inner, schedules: dict, member: int) -> optim.GradientTransformation:
    """``inner`` (built by ``inject_hyperparams``) with hyperparameter ``k`` set before each
    update to ``schedules[k][m](count)``, ``m`` the member index kept in the state. Every
    member's transformation has the same update function (only the state differs), so one
    vmapped step runs all members, each on its own schedule: the schedules are evaluated in
    the step (``lax.switch`` on the member index) from the optimizer's count, as
    ``inject_hyperparams(factory)(k=schedules[k][m])`` alone would."""
    def init(params):
        return MemberSchedulesState(np.int32(member), inner.init(params))

    def update(updates, state, params=None):
        inj = state.inner_state
        hp = dict(inj.hyperparams)
        for k, fns in schedules.items():
            dtype = hp[k].dtype
            hp[k] = lax.switch(state.member, [
                lambda c, f=f: jnp.asarray(f(c), dtype) for f in fns], inj.count)
        updates, inner_state = inner.update(updates, inj._replace(hyperparams=hp), params)
        return updates, state._replace(inner_state=inner_state)
    return optim.GradientTransformation(init, update)


class MemberOptimizers:
    """The members' optimizers: one optimizer (a name of ``optim.get``, a factory whose
    arguments ``hparams`` sets, or one ``GradientTransformation`` for all) and per-member
    values, numbers or schedules (callables of the step count)."""

    def __init__(self, optimizer, hparams: dict, n: int, what: str):
        name = optimizer.lower() if isinstance(optimizer, str) else None
        if name is not None and name not in OPTIMIZERS:
            optim.get(optimizer)                      # raises, listing the known names
        fixed = isinstance(optimizer, (optim.GradientTransformation, optim.MultiSteps))
        factory = OPTIMIZERS[name][0] if name else (None if fixed else optimizer)
        if factory is not None and not callable(factory):
            raise TypeError(f"{what}: optimizer must be a name, a factory or a "
                            f"GradientTransformation, got {type(optimizer).__name__}")
        args = set(inspect.signature(factory).parameters) if factory is not None else set()
        unknown = set(hparams) - args - {DROPOUT}
        if unknown:
            where = (f"the optimizer's arguments are {sorted(args)}" if factory is not None
                     else "a GradientTransformation has none: pass a name or a factory")
            raise ValueError(f"{what}: hyperparameters {sorted(unknown)} are neither "
                             f"{DROPOUT!r} nor optimizer arguments ({where})")
        self.optimizer, self.name, self.factory, self.fixed = optimizer, name, factory, fixed
        self.schedules = {k: v for k, v in hparams.items() if any(map(callable, v))}
        self.n = n

    def standalone(self, values: dict):
        """One model's optimizer with ``values`` (numbers or schedules) injected."""
        if self.fixed:
            return self.optimizer
        kwargs = {k: v if callable(v) else float(v) for k, v in values.items() if k != DROPOUT}
        if self.name is not None:
            kwargs.setdefault("learning_rate", OPTIMIZERS[self.name][1])
        return optim.inject_hyperparams(self.factory,
                                        static_args=STATIC_ARGS.get(self.name, ()))(**kwargs)

    def member(self, i: int, values: dict):
        """Member ``i``'s optimizer inside the population step: schedules go through
        ``member_schedules`` (their values at step 0 are the initial ones)."""
        if not self.schedules or self.fixed:
            return self.standalone(values)
        first = {k: float(v(0)) if callable(v) else v for k, v in values.items()}
        return member_schedules(self.standalone(first), self.schedules, i)


def _member_values(hparams: dict, n: int, what: str) -> dict:
    """``hparams`` with one value per member: numbers as floats, schedules (callables) kept;
    a name is all numbers or all schedules (a number ``v`` in a scheduled list becomes the
    constant schedule)."""
    out = {}
    for k, v in hparams.items():
        if callable(v) or isinstance(v, (list, tuple)) and any(map(callable, v)):
            vs = list(v) if isinstance(v, (list, tuple)) else [v] * n
            if len(vs) != n:
                raise ValueError(f"{what}: hparams[{k!r}] has {len(vs)} schedules for {n} "
                                 f"members")
            if k == DROPOUT:
                raise ValueError(f"{what}: {DROPOUT!r} cannot be scheduled")
            out[k] = [f if callable(f) else (lambda c, f=float(f): f) for f in vs]
            continue
        if np.ndim(v) > 1:
            raise ValueError(f"{what}: hparams[{k!r}] must be a number or a list of {n} "
                             f"numbers, got shape {np.shape(v)}")
        out[k] = [float(x) for x in np.broadcast_to(v, (n,))]
    return out


def population_step(member_step):
    """``step(state, active, batch, mask) -> (state, logs)`` over a stacked ``TrainState``:
    ``member_step`` (one member's ``step(state, batch, mask)``) vmapped over the members,
    the batch shared, the step count shared; members whose ``active`` flag is False keep
    their state unchanged."""
    axes = TrainState(None, 0, 0, 0, 0, 0)
    stepped = vmap(member_step, in_axes=(axes, None, None), out_axes=(axes, 0))

    def step(state, active, batch, mask):
        new, logs = stepped(state, batch, mask)

        def keep(a, b):
            return jnp.where(active.reshape(active.shape + (1,) * (a.ndim - 1)), a, b)
        kept = [tree_map(keep, a, b) for a, b in zip(new[1:], state[1:])]
        return TrainState(new.step, *kept), logs
    return step


class PopulationEngine(Engine):
    """The shared ``Engine`` over a stacked state: each batch is one call of the population
    step; ``active`` (host bools, one per member) is an input of that step."""

    def __init__(self, train_step, eval_step, train_logic, eval_logic, state, n: int):
        super().__init__(train_step, eval_step, train_logic, eval_logic, state)
        self.active = np.ones(n, bool)
        self.weights_epoch = np.full(n, -1)     # the epoch whose weights each member holds
        self._fresh_train = _stack([train_logic.init()] * n)
        self._fresh_eval = _stack([eval_logic.init()] * n)

    def run_step(self, batch) -> dict:
        self._leaves, logs = self.train_step(self._leaves, self.active, batch.data, batch.mask)
        self._state = None
        return logs

    def restore_member(self, i: int, state: TrainState, epoch: int) -> None:
        """Put back member ``i``'s weights (and model state) of an earlier ``state``, the
        one at the end of ``epoch``."""
        cur = self.state
        self.state = cur._replace(params=_set_members(cur.params, state.params, i, i),
                                  model_state=_set_members(cur.model_state, state.model_state,
                                                           i, i))
        self.weights_epoch[i] = epoch

    @property
    def learning_rate(self) -> np.ndarray:
        """The members' learning rates (set with one value or one per member)."""
        return np.asarray(optim.get_hyperparam(self.state.opt_state, "learning_rate"))

    @learning_rate.setter
    def learning_rate(self, value) -> None:
        self.state = self.state._replace(opt_state=optim.set_hyperparam(
            self.state.opt_state, "learning_rate",
            np.broadcast_to(np.asarray(value, np.float32), self.active.shape)))


def population_engine(compute, optimizer, logic: StepLogic, eval_logic: StepLogic,
                      states: list, eval_compute=None) -> PopulationEngine:
    """The engine of a population whose members start from ``states`` (one ``TrainState``
    each) and share ``compute`` and the update function of ``optimizer`` (any member's:
    their differences are in the states)."""
    state = TrainState(np.int32(0), *[_stack(f) for f in list(zip(*states))[1:]])
    member_step = build_train_step(compute, optimizer, logic).fun
    member_eval = build_eval_step(eval_compute or compute, eval_logic).fun
    return PopulationEngine(jit(population_step(member_step)),
                            jit(vmap(member_eval, in_axes=(0, 0, 0, None, None))),
                            logic, eval_logic, state, len(states))


def _trainer_members(spec, params):
    """``Trainer(population=spec)``: the number of members and their hyperparameters, after
    checking that ``params`` is stacked (every leaf with a leading member axis)."""
    hparams = {} if isinstance(spec, int) else dict(spec)
    n = spec if isinstance(spec, int) else None
    sizes = {len(v) for v in hparams.values() if isinstance(v, (list, tuple)) or np.ndim(v)}
    if n is None and len(sizes) != 1 or n is not None and (n < 1 or sizes - {n}):
        raise ValueError(f"Trainer(population=...): give the number of members or hparams "
                         f"with one list of values per member, all of one length; got "
                         f"{spec!r}")
    n = n if n is not None else sizes.pop()
    if DROPOUT in hparams:
        raise ValueError(f"Trainer(population=...): {DROPOUT!r} is a Population (model.fit) "
                         f"hyperparameter; a Trainer's loss function owns its dropout")
    bad = [np.shape(a) for a in tree_leaves(params) if np.ndim(a) == 0 or np.shape(a)[0] != n]
    if bad:
        raise ValueError(f"Trainer(population=...).fit: params must be stacked, every leaf "
                         f"with a leading axis of {n} members (vmap an init function over "
                         f"{n} keys), got leaves of shapes {bad}")
    return n, _member_values(hparams, n, "Trainer(population=...)")


def first_member(spec, params):
    """Member 0's parameters of a ``Trainer(population=spec)`` (checked as stacked)."""
    _trainer_members(spec, params)
    return tree_map(lambda a: a[0], params)


def trainer_population_engine(trainer, compute, eval_compute, train_logic, eval_logic,
                              params, wrap) -> PopulationEngine:
    """``Trainer(population=...)``'s engine: member ``i`` starts from ``params`` (stacked,
    leading axis the members) at ``i`` with the optimizer ``trainer.optimizer`` given
    member ``i``'s hyperparameters (wrapped by ``wrap``: clipping, accumulation) and
    ``PRNGKey(trainer.seed)``, as ``Trainer(optimizer=<that optimizer>).fit`` would."""
    n, values = _trainer_members(trainer.population, params)
    opts = MemberOptimizers(trainer.optimizer, values, n, "Trainer(population=...)")
    key = random.PRNGKey(trainer.seed)
    states = []
    for i in range(n):
        p = tree_map(lambda a: a[i], params)
        opt = wrap(opts.member(i, {k: v[i] for k, v in values.items()}))
        states.append(TrainState(np.int32(0), p, None, opt.init(p), train_logic.init(), key))
    return population_engine(compute, opt, train_logic, eval_logic, states, eval_compute)


class _MemberHistories(Callback):
    """Splits the population's epoch logs into one ``History`` per member; a member's
    history has the epochs it trained in (none after it stopped)."""

    def __init__(self, histories):
        super().__init__()
        self.histories = histories

    def on_epoch_begin(self, epoch, logs=None):
        self.trained = self.trainer.active.copy()

    def on_epoch_end(self, epoch, logs=None):
        self.trainer.weights_epoch[self.trained] = epoch
        for i in np.flatnonzero(self.trained):
            h = self.histories[i]
            h.epoch.append(epoch)
            for k, v in (logs or {}).items():
                h.history.setdefault(k, []).append(float(np.asarray(v)[i]))


class PopulationEarlyStopping(_Monitor):
    """Keras's ``EarlyStopping`` for each member of a ``Population``: a member whose
    ``monitor`` has not improved for ``patience`` epochs stops (its weights and optimizer
    state freeze; the others go on, with no recompile); training ends when all have
    stopped. ``stopped_epoch[i]`` is -1 for a member that never stopped. With
    ``restore_best_weights`` a stopping member gets back the weights of its best epoch
    (kept by reference: the states are immutable arrays)."""

    def __init__(self, monitor="val_loss", min_delta=0.0, patience=0, mode="auto",
                 start_from_epoch=0, restore_best_weights=False):
        super().__init__(monitor, mode, min_delta)
        self.patience, self.start_from_epoch = patience, start_from_epoch
        self.restore_best_weights = restore_best_weights

    def on_train_begin(self, logs=None):
        n = len(self.trainer.active)
        self.wait, self.stopped_epoch = np.zeros(n, int), np.full(n, -1)
        self.best, self.best_epoch, self.best_state = [None] * n, [None] * n, [None] * n

    def on_epoch_end(self, epoch, logs=None):
        if epoch < self.start_from_epoch:
            return
        if logs is None or self.monitor not in logs:
            self._value(logs)                   # raises the KeyError naming what is there
        values = np.asarray(logs[self.monitor], np.float64)
        active = self.trainer.active
        for i in np.flatnonzero(active):
            self.wait[i] += 1
            if self._better(float(values[i]), self.best[i]):
                self.best[i], self.best_epoch[i], self.wait[i] = float(values[i]), epoch, 0
                if self.restore_best_weights:
                    self.best_state[i] = self.trainer.state
            elif self.wait[i] >= self.patience and epoch > 0:
                active[i], self.stopped_epoch[i] = False, epoch
                if self.best_state[i] is not None:
                    self.trainer.restore_member(i, self.best_state[i], self.best_epoch[i])
        if not active.any():
            self.trainer.stop_training = True


class Population:
    """N copies of ``model`` trained in one vmapped, jitted step per batch.

        pop = train.Population(model, hparams={"learning_rate": [1e-3, 3e-3, 1e-2, 3e-2],
                                               "dropout": [0.1, 0.2, 0.1, 0.3]}, seeds=[0, 1, 2, 3])
        pop.compile(optimizer="adamw", loss=..., metrics=["accuracy"])
        histories = pop.fit(x, y, epochs=5, batch_size=64, validation_data=(xv, yv),
                            callbacks=[train.PopulationEarlyStopping(patience=2)])
        best = pop.best("val_loss")          # a compiled Model with the best member's weights

    ``hparams`` maps names to one value per member (or one value for all): arguments of the
    optimizer's factory (``learning_rate``, ``weight_decay``, ``b1``...) and ``"dropout"``,
    the rate of every Dropout layer. Member ``i`` is what ``model.compile(..., seed=seeds[i])``
    and ``fit`` would train on the same batches: built from ``build_key(seeds[i])``, its
    dropout keys from ``PRNGKey(seeds[i])``. ``seed`` orders the shared batches.
    """

    def __init__(self, model, hparams=None, *, n=None, seeds=None, seed: int = 0):
        hparams = dict(hparams or {})
        sizes = {k: len(v) for k, v in hparams.items()
                 if isinstance(v, (list, tuple)) or np.ndim(v) == 1}
        if seeds is not None:
            sizes["seeds"] = len(seeds)
        if n is not None:
            sizes["n"] = int(n)
        if len(set(sizes.values())) > 1:
            raise ValueError(f"Population: hparams, seeds and n disagree on the number of "
                             f"members: {sizes}")
        if not sizes:
            raise ValueError("Population: give n, seeds, or one hparams list per member")
        self.n = next(iter(sizes.values()))
        self._init_hparams = _member_values(hparams, self.n, "Population")
        rates = self._init_hparams.get(DROPOUT, [])
        if any(not 0.0 <= r < 1.0 for r in rates):
            raise ValueError(f"Population: dropout rates must be in [0, 1), got {rates}")
        self.seeds = [int(s) for s in (seeds if seeds is not None else range(self.n))]
        self.model, self.seed = model, int(seed)
        self.engine = None
        self.histories = [History() for _ in range(self.n)]

    # -- compile -------------------------------------------------------------------------
    def compile(self, optimizer="adam", loss=None, metrics=None) -> None:
        """Keras's ``compile`` for every member. ``optimizer``: a name of ``optim.get``, an
        optimizer factory (``optim.adamw``) whose arguments ``hparams`` may set, or one
        ``GradientTransformation`` for all members (then ``hparams`` sets only dropout)."""
        self._optimizers = MemberOptimizers(optimizer, self._init_hparams, self.n, "Population")
        compile_model(self.model, optimizer=self._optimizers.standalone(
            {k: v[0] for k, v in self._init_hparams.items()}), loss=loss, metrics=metrics,
            seed=self.seeds[0])
        self.engine = None

    def _values(self, i: int) -> dict:
        return {k: v[i] for k, v in self._init_hparams.items()}

    def _training(self) -> dict:
        t = vars(self.model).get("_training")
        if t is None or not hasattr(self, "_optimizers"):
            raise RuntimeError("Population: call compile(optimizer=..., loss=...) before fit")
        return t

    # -- the engine ------------------------------------------------------------------------
    def _engine(self, loader) -> PopulationEngine:
        if self.engine is not None:
            return self.engine
        t = self._training()
        x_sample = sample_batch(loader).data[0]
        xs = list(x_sample) if isinstance(x_sample, (list, tuple)) else [x_sample]
        rates = self._init_hparams.get(DROPOUT)
        states = []
        output_shape = None
        for i, s in enumerate(self.seeds):
            self.model.init(build_key(s), *xs)
            if output_shape is None:
                output_shape = _output_shape(self.model, x_sample) or None
                if rates is not None and not _dropouts(self.model):
                    raise ValueError(f"Population: hparams sets {DROPOUT!r} but "
                                     f"{self.model.name} has no Dropout layer")
                logic = StepLogic(t["metrics"], output_shape=output_shape)
            member = _with_rates(self.model, rates[i]) if rates is not None else _copy(self.model)
            params, rest = partition(member)
            opt = self._optimizers.member(i, self._values(i))
            states.append(TrainState(np.int32(0), params, rest, opt.init(params),
                                     logic.init(), random.PRNGKey(s)))
        compute = _compute_fn(t["loss"])
        eval_logic = StepLogic(t["metrics"], output_shape=output_shape)
        self.engine = population_engine(compute, opt, logic, eval_logic, states)
        return self.engine

    # -- training --------------------------------------------------------------------------
    def fit(self, x=None, y=None, *, batch_size=None, epochs=1, validation_data=None,
            callbacks=None, shuffle=True, verbose=0, initial_epoch=0) -> list:
        """Train every active member from ``initial_epoch`` to ``epochs`` (Keras's meaning)
        on the same batches; returns one ``History`` per member (``self.histories``;
        calling ``fit`` again continues them). Epoch logs seen by ``callbacks`` hold one
        value per member."""
        loader = _loader(x, y, None, batch_size, shuffle, self.seed)
        val_loader = None
        if validation_data is not None:
            vx, vy = validation_data[0], validation_data[1]
            val_loader = _loader(vx, vy, None, batch_size, False, 0)
        engine = self._engine(loader)
        cbs = [_MemberHistories(self.histories), *(callbacks or [])]
        if verbose:
            cbs.append(EpochPrinter(epochs))
        engine.fit(loader, epochs=epochs, val_loader=val_loader, callbacks=cbs, verbose=0,
                   initial_epoch=initial_epoch)
        return self.histories

    def evaluate(self, x, y=None, *, batch_size=None) -> dict:
        """Every member's loss and metrics on ``(x, y)``: name -> array of one per member."""
        if self.engine is None:
            raise RuntimeError("Population.evaluate: fit the population first")
        return self.engine.evaluate(_loader(x, y, None, batch_size, False, 0))

    @property
    def active(self) -> np.ndarray:
        """Which members still train (``PopulationEarlyStopping`` clears them; set to
        restart)."""
        return self.engine.active if self.engine is not None else np.ones(self.n, bool)

    # -- hyperparameters, exploit and explore (PBT) ------------------------------------------
    @property
    def hparams(self) -> dict:
        """The members' current hyperparameters: name -> array of one value per member (a
        schedule's value at the last step taken)."""
        if self.engine is None:
            return {k: np.asarray([float(f(0)) if callable(f) else f for f in v], np.float32)
                    for k, v in self._init_hparams.items()}
        state = self.engine.state
        out = {}
        for k in self._init_hparams:
            if k == DROPOUT:
                out[k] = np.asarray(_dropouts(state.model_state)[0].rate)
            else:
                out[k] = np.asarray(optim.get_hyperparam(state.opt_state, k))
        return out

    def set_hparams(self, **values) -> None:
        """Set hyperparameters (one value for all members or one per member) for the next
        steps; the compiled step is reused."""
        state = self._engine_or_raise("set_hparams").state
        for k, v in values.items():
            if k not in self._init_hparams:
                raise ValueError(f"Population.set_hparams: {k!r} is not one of the "
                                 f"population's hyperparameters {sorted(self._init_hparams)}")
            if k in self._optimizers.schedules:
                raise ValueError(f"Population.set_hparams: {k!r} follows a schedule per member "
                                 f"and cannot be set")
            v = np.broadcast_to(np.asarray(v, np.float32), (self.n,))
            if k == DROPOUT:
                if np.any((v < 0) | (v >= 1)):
                    raise ValueError(f"Population.set_hparams: dropout rates must be in "
                                     f"[0, 1), got {v}")
                rest = _copy(state.model_state)
                for layer in _dropouts(rest):
                    layer.rate = jnp.asarray(v)
                state = state._replace(model_state=rest)
            else:
                state = state._replace(opt_state=optim.set_hyperparam(state.opt_state, k, v))
        self.engine.state = state

    def copy_member(self, src: int, dst) -> None:
        """PBT's exploit: member(s) ``dst`` take member ``src``'s weights, model state,
        optimizer state and hyperparameters (they keep their own PRNG key)."""
        state = self._engine_or_raise("copy_member").state
        self.engine.state = state._replace(
            params=_set_members(state.params, state.params, dst, src),
            model_state=_set_members(state.model_state, state.model_state, dst, src),
            opt_state=_set_members(state.opt_state, state.opt_state, dst, src))

    def _engine_or_raise(self, what) -> PopulationEngine:
        if self.engine is None:
            raise RuntimeError(f"Population.{what}: fit the population first")
        return self.engine

    # -- selection ---------------------------------------------------------------------------
    def best_index(self, monitor: str = "val_loss", mode: str = "auto") -> int:
        """The member whose ``monitor``, logged at the epoch of the weights it holds (its
        latest, or its best one after ``restore_best_weights``), is best."""
        last = []
        held = self.engine.weights_epoch if self.engine is not None else ()
        for i, h in enumerate(self.histories):
            if monitor not in h.history:
                raise KeyError(f"Population.best: {monitor!r} is not in member {i}'s history "
                               f"(available: {', '.join(sorted(h.history))})")
            at = h.epoch.index(held[i]) if i < len(held) and held[i] in h.epoch else -1
            last.append(h.history[monitor][at])
        last = np.asarray(last, np.float64)
        if np.all(np.isnan(last)):
            raise ValueError(f"Population.best: {monitor!r} is NaN for every member")
        return int(np.nanargmax(last) if _monitor_mode(monitor, mode) == "max"
                   else np.nanargmin(last))

    def best(self, monitor: str = "val_loss", mode: str = "auto"):
        """``member(best_index(monitor, mode))``."""
        return self.member(self.best_index(monitor, mode))

    def member(self, i: int):
        """Member ``i`` as an ordinary model: a copy of ``model`` with its weights and
        dropout rate, compiled with its optimizer hyperparameters, loss, metrics and seed."""
        engine = self._engine_or_raise("member")
        if not -self.n <= i < self.n:
            raise IndexError(f"Population.member: index {i} out of range for {self.n} members")
        t = self._training()
        state = engine.state
        weights = tree_map(lambda a: a[i], combine(state.params, state.model_state))
        model = _copy(self.model)
        assign_weights(model, weights)
        # the shortest decimal of each float32 value (0.1, not 0.10000000149011612)
        hp = {k: float(str(np.float32(v[i]))) for k, v in self.hparams.items()}
        hp.update({k: v[i] for k, v in self._optimizers.schedules.items()})
        if DROPOUT in hp:
            for layer in _dropouts(model):
                layer.rate = hp[DROPOUT]
        compile_model(model, optimizer=self._optimizers.standalone(hp), loss=t["loss"],
                      metrics=t["metrics"], seed=self.seeds[i])
        return model


class EpochPrinter(Callback):
    """``verbose=1``: one line per epoch with every member's values."""

    def __init__(self, epochs):
        super().__init__()
        self.epochs = epochs

    def on_epoch_end(self, epoch, logs=None):
        parts = [f"{k} {np.array2string(np.asarray(v), precision=4)}"
                 for k, v in (logs or {}).items()]
        print(f"Epoch {epoch + 1}/{self.epochs} (active {int(self.trainer.active.sum())}): "
              + " - ".join(parts))
