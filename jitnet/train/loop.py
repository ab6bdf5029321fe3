"""The host loop shared by ``model.fit`` and ``Trainer``: epochs of compiled steps, with
validation, callbacks and progress in between.

The loop owns a ``TrainState`` and never looks inside it except to reset the metric
trackers at each epoch and to read or set the learning rate (an injected hyperparameter,
so changing it is a new array of the same shape: no recompile).
"""
from __future__ import annotations

import inspect
from typing import Callable

import numpy as np

from .. import optim, random
from .. import eval_shape
from .. import jit
from ..data import DataLoader
from ..tree_util import tree_flatten
from .callbacks import CallbackList, History, as_floats
from .progress import ProgbarLogger
from .step import StepLogic, TrainState, build_eval_step, build_train_step


def as_loader(data, batch_size, *, shuffle, seed, pad=True, drop=False):
    """A ``DataLoader`` over ``data`` (one as is; a pytree of arrays is wrapped).

    In-memory arrays are gathered on demand (prefetch=0): a gather costs ~10 us, less than
    handing batches between threads under the GIL (measured: 130 vs 200-460 us per step of
    a small MLP). Pass a ``DataLoader`` with ``prefetch`` for costly transforms."""
    if isinstance(data, DataLoader):
        return data
    return DataLoader(data, batch_size=batch_size, shuffle=shuffle, seed=seed,
                      drop_remainder=drop, pad_remainder=pad, prefetch=0)


def sample_batch(loader):
    """A ``Batch`` of the loader's shapes without starting its prefetch or its transforms
    (read from the dataset when it has random access)."""
    from ..data import Batch
    if loader._streaming:
        return next(iter(loader.epoch(0)))
    idx = np.arange(min(loader.batch_size, len(loader.dataset)))
    return Batch(loader.dataset[idx], np.ones(len(idx), np.float32))


def _epoch_batches(loader, epoch, limit=None, start=0):
    """``(index, batch)`` of ``epoch`` from batch ``start`` on (a resumed epoch jumps there)."""
    if limit is not None and start >= limit:
        return
    for i, b in enumerate(loader.epoch(epoch, start), start):
        if limit is not None and i >= limit:
            break
        yield i, b


class Engine:
    """Runs compiled train/eval steps over loaders; what callbacks see as ``trainer``.

    ``DataParallelEngine`` (``strategy="mpi"``) overrides the step and the hooks marked
    below; ``is_main`` is False on the ranks that neither print nor write."""
    is_main = True

    def __init__(self, train_step, eval_step, train_logic: StepLogic, eval_logic: StepLogic,
                 state: TrainState, model=None):
        """``train_step``/``eval_step`` are the jitted steps of ``jitnet.train.step``; the
        engine runs them on the state's flat leaves (``flat_step``) so that each batch costs
        one dispatch and no pytree walk of the whole state."""
        self.state = state
        self.train_step = flat_step(train_step, self._treedef) if train_step else None
        self.eval_step = flat_eval_step(eval_step, self._treedef) if eval_step else None
        self.train_logic, self.eval_logic = train_logic, eval_logic
        self.model = model
        self.stop_training = False
        self.epoch, self.history = 0, None      # where fit is (for callbacks and checkpoints)
        self._fresh_train = train_logic.init()
        self._fresh_eval = eval_logic.init() if eval_logic is not None else None

    @property
    def state(self) -> TrainState:
        """The run's ``TrainState`` (rebuilt from the flat leaves when asked for)."""
        if self._state is None:
            self._state = self._treedef.unflatten(self._leaves)
        return self._state

    @state.setter
    def state(self, state: TrainState) -> None:
        leaves, treedef = tree_flatten(state)
        if getattr(self, "_treedef", treedef) != treedef:
            raise ValueError(f"Engine.state: the new state's structure differs from the "
                             f"run's:\n{treedef}\nvs\n{self._treedef}")
        self._leaves, self._treedef, self._state = leaves, treedef, state

    def run_step(self, batch) -> dict:
        """One compiled training step on ``batch``; returns the running logs."""
        self._leaves, logs = self.train_step(self._leaves, batch.data, batch.mask)
        self._state = None
        return logs

    # -- what callbacks use ----------------------------------------------------------------
    @property
    def learning_rate(self) -> float:
        return float(np.asarray(optim.get_hyperparam(self.state.opt_state, "learning_rate")))

    @learning_rate.setter
    def learning_rate(self, value: float) -> None:
        self.state = self.state._replace(opt_state=optim.set_hyperparam(
            self.state.opt_state, "learning_rate", value))

    def restore_weights(self, state: TrainState) -> None:
        """Put back the weights (and model state) of an earlier ``state``."""
        self.state = self.state._replace(params=state.params, model_state=state.model_state)

    def save_checkpoint(self, path, *, epoch: int, batch: int, logs=None,
                        weights_only: bool = False) -> str:
        """Write the run to ``path`` (see ``jitnet.train.checkpointing``); ``epoch, batch``
        is the position of the next batch to train, ``logs`` the running step logs."""
        from .checkpointing import save_run
        return save_run(self, path, epoch=epoch, batch=batch, logs=logs,
                        weights_only=weights_only)

    def load_checkpoint(self, path):
        """Put the run checkpointed at ``path`` into the engine; returns a ``Resumed``."""
        from .checkpointing import load_run
        return load_run(self, path)

    # -- hooks of the data-parallel engine ---------------------------------------------------
    def _callbacks(self, callbacks: list) -> list:
        """The callbacks this process runs."""
        return callbacks

    def _eval_logs(self, metric_states, logs: dict) -> dict:
        """The logs of a finished evaluation whose trackers ended at ``metric_states``."""
        return logs

    # -- loops -----------------------------------------------------------------------------
    def fit(self, loader, *, epochs, val_loader=None, callbacks=(), verbose=1,
            initial_epoch=0, max_batches=None, val_every=None, val_max_batches=None,
            max_steps=None, ckpt_path=None) -> History:
        """Train from ``initial_epoch``, or exactly where the checkpoint ``ckpt_path`` left
        off (state, position within the epoch, history so far)."""
        steps = len(loader) if max_batches is None else min(len(loader), max_batches)
        start, resumed = (initial_epoch, 0), None
        if ckpt_path is not None:
            resumed = self.load_checkpoint(ckpt_path)
            start = resumed.epoch, resumed.batch
        history = self.history = History()
        cbs = [history, *callbacks]
        if verbose:
            cbs.append(ProgbarLogger(verbose))
        cbs = CallbackList(self._callbacks(cbs), self, {"epochs": epochs, "steps": steps, "verbose": verbose})
        self.stop_training = False
        cbs.on_train_begin()
        if resumed is not None:
            history.history, history.epoch = resumed.history, resumed.epochs
        logs: dict = {}
        step = int(self.state.step)
        for epoch in range(start[0], epochs):
            first = start[1] if epoch == start[0] else 0
            if not first:     # a resumed epoch keeps its running metrics
                self.state = self.state._replace(metric_states=self._fresh_train)
            self.epoch = epoch
            cbs.on_epoch_begin(epoch)
            step_logs = resumed.logs if first else {}
            for i, batch in _epoch_batches(loader, epoch, max_batches, first):
                cbs.on_train_batch_begin(i)
                step_logs = self.run_step(batch)
                step += 1
                cbs.on_train_batch_end(i, step_logs)
                if max_steps is not None and step >= max_steps:
                    self.stop_training = True
                if self.stop_training:
                    break
                if val_every and val_loader is not None and (i + 1) % val_every == 0 \
                        and i + 1 < steps:
                    self.evaluate(val_loader, callbacks=cbs, max_batches=val_max_batches)
            logs = as_floats(step_logs, self.train_logic.names)
            if val_loader is not None:
                val = self.evaluate(val_loader, callbacks=cbs, max_batches=val_max_batches)
                logs.update({"val_" + k: v for k, v in val.items()})
            cbs.on_epoch_end(epoch, logs)
            if self.stop_training:
                break
        cbs.on_train_end(logs)
        return history

    def evaluate(self, loader, *, callbacks=None, max_batches=None) -> dict:
        states, logs = self._fresh_eval, {}
        if callbacks is not None:
            callbacks.on_test_begin()
        for i, batch in _epoch_batches(loader, 0, max_batches):
            if callbacks is not None:
                callbacks.on_test_batch_begin(i)
            states, logs = self.eval_step(self._leaves, states, batch.data, batch.mask)
            if callbacks is not None:
                callbacks.on_test_batch_end(i, logs)
        logs = as_floats(self._eval_logs(states, logs), self.eval_logic.names)
        if callbacks is not None:
            callbacks.on_test_end(logs)
        return logs


def state_leaves(state: TrainState, treedef) -> list:
    """The leaves of a step's new ``state``, which must keep the run's structure."""
    leaves, new_def = tree_flatten(state)
    if new_def != treedef:
        raise ValueError(f"the training step changed the state's structure:\n{new_def}\n"
                         f"vs\n{treedef}")
    return leaves


def flat_step(step, treedef):
    """``step(state, *args)`` (``args``: batch, mask) as a jitted function of the state's
    leaves."""
    def run(leaves, *args):
        new, logs = step.fun(treedef.unflatten(leaves), *args)
        return state_leaves(new, treedef), logs
    return jit(run)


def flat_eval_step(step, treedef):
    """``step(params, model_state, metric_states, batch, mask)`` on the state's leaves."""
    def run(leaves, metric_states, batch, mask):
        state = treedef.unflatten(leaves)
        return step.fun(state.params, state.model_state, metric_states, batch, mask)
    return jit(run)


STRATEGIES = (None, "mpi")


def check_strategy(strategy, what: str) -> None:
    if strategy not in STRATEGIES:
        raise ValueError(f"{what}: strategy must be None (one process) or 'mpi' "
                         f"(data-parallel over the ranks of an MPI job), got {strategy!r}")


def make_engine(compute, optimizer, train_logic: StepLogic, eval_logic: StepLogic,
                state: TrainState, *, eval_compute=None, model=None, strategy=None) -> Engine:
    """The engine of a run: one process, or data-parallel over MPI (``strategy="mpi"``)."""
    eval_step = build_eval_step(eval_compute or compute, eval_logic)
    if strategy == "mpi":
        from .data_parallel import DataParallelEngine
        return DataParallelEngine(compute, optimizer, eval_step, train_logic, eval_logic,
                                  state, model=model)
    return Engine(build_train_step(compute, optimizer, train_logic), eval_step, train_logic,
                  eval_logic, state, model=model)


def _accepts(fn, name: str) -> bool:
    try:
        return name in inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return False


def _extra_callbacks(logger, profiler, trainer) -> list:
    """``Trainer(logger=, profiler=)`` as callbacks (nothing when both are None)."""
    from .loggers import LoggerCallback, as_loggers
    out = []
    if as_loggers(logger):
        out.append(LoggerCallback(logger, hparams={
            "max_epochs": trainer.max_epochs, "batch_size": trainer.batch_size,
            "seed": trainer.seed}))
    if profiler is not None:
        from ..profiler import as_callback
        out.append(as_callback(profiler))
    return out


def wrap_optimizer(optimizer, gradient_clip_val=None, accumulate_grad_batches=1):
    """Compose clipping and accumulation into the optimizer (they change the step itself)."""
    if gradient_clip_val is not None:
        optimizer = optim.chain(optim.clip_by_global_norm(gradient_clip_val), optimizer)
    if accumulate_grad_batches > 1:
        optimizer = optim.MultiSteps(optimizer, accumulate_grad_batches).gradient_transformation()
    return optimizer


class Trainer:
    """Lightning-style training of any pytree of parameters with a pure loss function.

        trainer = Trainer(max_epochs=5, optimizer=optim.adam(1e-3), seed=0)
        params = trainer.fit(loss_fn, params, (x, y), val_data=(x_val, y_val))

    ``loss_fn(params, batch)`` returns a scalar loss or ``(loss, logs)`` with a dict of
    scalars to track. It may also take ``key`` (a per-step PRNG key), ``training`` (False
    in validation) and ``mask`` (1 for real rows of a padded batch; without it the last
    short training batch is dropped and evaluation batches are not padded). The whole step
    is one compiled call.

    ``population=N`` or ``population={"learning_rate": [...], ...}`` trains N members in one
    vmapped step (``train.Population``'s machinery): ``params`` stacked on a leading member
    axis, ``optimizer`` a name or factory whose arguments the lists set, per member, to
    numbers or schedules; logs hold one value per member and ``fit`` returns the stacked
    parameters. Member ``i`` equals ``Trainer(optimizer=<its optimizer>).fit`` on
    ``params[i]`` (docs/HPO.md).
    """

    def __init__(self, max_epochs: int = 1, optimizer=None, callbacks=(), *,
                 gradient_clip_val=None, accumulate_grad_batches: int = 1,
                 fast_dev_run=False, overfit_batches=0, val_check_interval=1.0,
                 seed: int = 0, batch_size: int = 32, verbose: int = 1, max_steps=None,
                 logger=None, profiler=None, strategy=None, population=None):
        check_strategy(strategy, "Trainer")
        if population is not None and strategy is not None:
            raise ValueError("Trainer: population and strategy cannot be combined")
        self.population = population  # N members in one vmapped step (train/population.py)
        self.strategy = strategy    # "mpi": data-parallel over an MPI job (docs/DISTRIBUTED.md)
        self.max_epochs, self.callbacks = max_epochs, list(callbacks)
        self.logger, self.profiler = logger, profiler   # see jitnet.train.loggers, jitnet.profiler
        self.optimizer = optimizer if optimizer is not None else (
            "adam" if population is not None else optim.get("adam"))
        self.gradient_clip_val = gradient_clip_val
        self.accumulate_grad_batches = accumulate_grad_batches
        self.fast_dev_run, self.overfit_batches = fast_dev_run, overfit_batches
        self.val_check_interval, self.seed = val_check_interval, seed
        self.batch_size, self.verbose, self.max_steps = batch_size, verbose, max_steps
        self.engine = None

    def _compute(self, loss_fn):
        takes_key, takes_mask = _accepts(loss_fn, "key"), _accepts(loss_fn, "mask")
        takes_training = _accepts(loss_fn, "training")

        def compute(params, model_state, batch, mask, key, training):
            kw = {"training": training} if takes_training else {}
            if takes_key:
                kw["key"] = key if key is not None else random.PRNGKey(0)
            if takes_mask:
                kw["mask"] = mask
            out = loss_fn(params, batch, **kw)
            loss, logs = (out if isinstance(out, tuple) else (out, {}))
            return loss, model_state, None, logs
        return compute, takes_mask

    def fit(self, loss_fn: Callable, params, train_data, val_data=None, eval_fn=None, *,
            ckpt_path=None):
        """Train ``params``; returns the trained parameters (also ``self.params``).
        ``ckpt_path``: a checkpoint written by ``ModelCheckpoint`` (or a ``CheckpointManager``
        directory: its latest) to resume from exactly."""
        compute, masked = self._compute(loss_fn)
        self._masked = masked
        eval_compute = self._compute(eval_fn)[0] if eval_fn is not None else compute
        train_loader = as_loader(train_data, self.batch_size, shuffle=not self.overfit_batches,
                                 seed=self.seed, pad=masked, drop=not masked)
        val_loader = None if val_data is None else as_loader(
            val_data, self.batch_size, shuffle=False, seed=self.seed, pad=masked)
        first = sample_batch(train_loader)
        probe = params
        if self.population is not None:
            from .population import first_member
            probe = first_member(self.population, params)
        _, _, _, extra = eval_shape(lambda p, b, m: compute(p, None, b, m, random.PRNGKey(0),
                                                            True), probe, first.data, first.mask)
        names = sorted(extra)
        train_logic = StepLogic([], names)
        eval_logic = StepLogic([], names)

        def wrap(opt):
            return wrap_optimizer(opt, self.gradient_clip_val, self.accumulate_grad_batches)
        callbacks = list(self.callbacks)
        verbose = self.verbose
        if self.population is not None:
            from .population import EpochPrinter, trainer_population_engine
            self.engine = trainer_population_engine(self, compute, eval_compute, train_logic,
                                                    eval_logic, params, wrap)
            if verbose:
                callbacks.append(EpochPrinter(self.max_epochs))
            verbose = 0          # per-member logs are arrays: one line per epoch instead
        else:
            opt = wrap(self.optimizer)
            state = TrainState(np.int32(0), params, None, opt.init(params), train_logic.init(),
                               random.PRNGKey(self.seed))
            self.engine = make_engine(compute, opt, train_logic, eval_logic, state,
                                      eval_compute=eval_compute, strategy=self.strategy)
        max_batches, epochs, val_max = None, self.max_epochs, None
        if self.fast_dev_run:
            n = 1 if self.fast_dev_run is True else int(self.fast_dev_run)
            max_batches, val_max, epochs, verbose = n, n, 1, 0
        elif self.overfit_batches:
            ob = self.overfit_batches
            max_batches = ob if isinstance(ob, int) else max(1, int(len(train_loader) * ob))
            val_loader, val_max = train_loader, max_batches
        steps = len(train_loader) if max_batches is None else max_batches
        vci = self.val_check_interval
        val_every = (int(vci) if isinstance(vci, int) and not isinstance(vci, bool)
                     else max(1, int(round(steps * float(vci)))))
        self.history = self.engine.fit(
            train_loader, epochs=epochs, val_loader=val_loader,
            callbacks=callbacks + _extra_callbacks(self.logger, self.profiler, self),
            verbose=verbose, max_batches=max_batches,
            val_every=val_every if val_every < steps else None, val_max_batches=val_max,
            max_steps=self.max_steps, ckpt_path=ckpt_path)
        return self.params

    @property
    def state(self) -> TrainState:
        return self.engine.state

    @property
    def params(self):
        return self.engine.state.params

    def validate(self, val_data, params=None) -> dict:
        """Run the evaluation step over ``val_data``; returns the averaged logs."""
        if params is not None:
            self.engine.state = self.engine.state._replace(params=params)
        return self.engine.evaluate(as_loader(val_data, self.batch_size, shuffle=False,
                                              seed=self.seed, pad=self._masked))


