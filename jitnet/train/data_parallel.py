"""Data-parallel training over the ranks of an MPI job (``fit(..., strategy="mpi")``).

Every rank holds the whole ``TrainState`` and trains on its slice of each global batch
(``jitnet.distributed.ShardedLoader``). A step is two compiled halves with one collective
between them:

1. ``grad_part``: forward and backward on the rank's rows; returns the gradient of the
   rank's *sum* of losses (the mean times its real-row count ``n``), ``n``, the new model
   state and the rank's updated metric trackers;
2. host: one ``allreduce`` (sum) of all of it, fused into one buffer per dtype;
3. ``update_part``: gradient = sum / total real rows -- exactly the one-process mean over
   the global batch, padding included -- then the optimizer update, identical on every rank.

Metric trackers are sums of per-sample terms, so the reduced trackers are those of one
process over the global batches: per-batch and epoch logs are the same on every rank, and
callbacks that act on them (early stopping, learning-rate schedules) decide alike. Floating
model state (BatchNorm's moving statistics) is averaged over the ranks.
"""
from __future__ import annotations

import numpy as np

from .. import distributed, jit, random
from .. import numpy as jnp
from ..tree_util import tree_leaves, tree_structure
from .loop import Engine, state_leaves
from .step import StepLogic, TrainState, apply_gradients, loss_and_grads, step_key


def build_split_step(compute, optimizer, logic: StepLogic, treedef, size: int):
    """``(grad_part, update_part)``, jitted, on the state's flat leaves (see the module).
    What passes between them is flat lists of arrays too, so that no model pytree is walked
    on the host during a step."""
    def grad_part(leaves, batch, mask, rank):
        state = treedef.unflatten(leaves)
        key = step_key(state)
        if size > 1:                  # each rank draws its own dropout masks
            key = random.fold_in(key, rank)
        loss, grads, model_state, pair, extra = loss_and_grads(compute, state, batch, mask,
                                                               key)
        n = jnp.sum(mask)
        metric_states = logic.update(state.metric_states, loss, extra, pair, mask)
        return ([g * n for g in tree_leaves(grads)], n, tree_leaves(model_state),
                tree_leaves(metric_states))

    def update_part(leaves, grad_sums, n, model_state, metric_states, reduced_metrics):
        state: TrainState = treedef.unflatten(leaves)
        like = tree_structure(state.params), tree_structure(state.model_state), \
            tree_structure(state.metric_states)
        grads = like[0].unflatten([g / jnp.maximum(n, 1.0) for g in grad_sums])
        new = apply_gradients(optimizer, state, grads, like[1].unflatten(model_state),
                              like[2].unflatten(metric_states))
        return state_leaves(new, treedef), logic.results(like[2].unflatten(reduced_metrics))
    return jit(grad_part), jit(update_part)


def _floating(leaves) -> list:
    """Positions of the floating-point arrays among ``leaves``."""
    return [i for i, a in enumerate(leaves) if jnp.issubdtype(a.dtype, jnp.floating)]


class DataParallelEngine(Engine):
    """An ``Engine`` whose step averages gradients over the ranks of the MPI job; rank 0
    alone prints, logs and writes checkpoints."""

    def __init__(self, compute, optimizer, eval_step, train_logic, eval_logic, state,
                 model=None):
        distributed.initialize()
        self.rank, self.size = distributed.rank(), distributed.size()
        self.is_main = self.rank == 0
        super().__init__(None, eval_step, train_logic, eval_logic, state, model=model)
        self.grad_part, self.update_part = build_split_step(compute, optimizer, train_logic,
                                                            self._treedef, self.size)
        self._eval_results = jit(eval_logic.results)
        self._reduced_metrics = None     # the last step's trackers summed over the ranks
        self._compiled = False

    def _compile_once_per_machine(self, batch) -> None:
        """Before the first step, local rank 0 compiles the step's programs while the other
        ranks wait, which then load them from the disk cache they share: otherwise every
        rank of a machine compiles the same programs at once (the rank is an argument)."""
        self._compiled = True
        if distributed.local_size() > 1 and distributed.local_rank() == 0:
            args = (self._leaves, batch.data, batch.mask, np.int32(self.rank))
            stage = self.grad_part.trace(*args)
            stage.lower().compile()
            grad_sums, n, model_state, metrics = stage.out_info
            self.update_part.lower(self._leaves, grad_sums, n, model_state, metrics,
                                   metrics).compile()
            if self.eval_step is not None:
                self.eval_step.lower(self._leaves, self._fresh_eval, batch.data,
                                     batch.mask).compile()
                self._eval_results.lower(self._fresh_eval).compile()
        distributed.barrier()

    def run_step(self, batch) -> dict:
        if not self._compiled:
            self._compile_once_per_machine(batch)
        grad_sums, n, model_state, metrics = self.grad_part(
            self._leaves, batch.data, batch.mask, np.int32(self.rank))
        where = _floating(model_state)
        grad_sums, n, floats, reduced = distributed.allreduce(
            (grad_sums, n, [model_state[i] for i in where], metrics), "sum")
        model_state = list(model_state)
        for i, a in zip(where, floats):                  # averaged over the ranks
            model_state[i] = a / self.size
        self._leaves, logs = self.update_part(self._leaves, grad_sums, n, model_state,
                                              metrics, reduced)
        self._state, self._reduced_metrics = None, reduced
        return logs

    def fit(self, loader, *, epochs, val_loader=None, **kwargs):
        """``Engine.fit`` on this rank's shards, after checking that every rank runs the
        same configuration and giving all of them rank 0's state."""
        loader = distributed.ShardedLoader(loader, self.rank, self.size)
        if val_loader is not None:
            val_loader = distributed.ShardedLoader(val_loader, self.rank, self.size,
                                                   training=False)
        distributed.check_same(self.state, {
            "ranks": self.size, "batch_size": loader.loader.batch_size,
            "batches_per_epoch": len(loader), "epochs": epochs,
            "examples": len(loader.dataset)})
        self.state = distributed.broadcast(self.state, root=0)
        self._reduced_metrics = None
        return super().fit(loader, epochs=epochs, val_loader=val_loader, **kwargs)

    def evaluate(self, loader, *, callbacks=None, max_batches=None) -> dict:
        if not isinstance(loader, distributed.ShardedLoader):
            loader = distributed.ShardedLoader(loader, self.rank, self.size, training=False)
        return super().evaluate(loader, callbacks=callbacks, max_batches=max_batches)

    def _eval_logs(self, metric_states, logs: dict) -> dict:
        return self._eval_results(distributed.allreduce(metric_states, "sum"))

    def _callbacks(self, callbacks: list) -> list:
        if self.is_main:
            return callbacks
        return [c for c in callbacks if not getattr(c, "main_process_only", False)]

    def save_checkpoint(self, path, *, epoch: int, batch: int, logs=None,
                        weights_only: bool = False) -> str:
        """Rank 0 writes the run, with the trackers summed over the ranks (so that a resumed
        run's sum over ranks starts from them: see ``load_checkpoint``)."""
        if not self.is_main:
            return str(path)
        state = self.state
        if self._reduced_metrics is not None:
            self.state = state._replace(metric_states=tree_structure(
                state.metric_states).unflatten(self._reduced_metrics))
        try:
            return super().save_checkpoint(path, epoch=epoch, batch=batch, logs=logs,
                                           weights_only=weights_only)
        finally:
            self.state = state

    def load_checkpoint(self, path):
        """Every rank reads the checkpoint; ranks other than 0 restart their trackers from
        zero, so the sum over ranks equals the saved (reduced) trackers."""
        resumed = super().load_checkpoint(path)
        if not self.is_main:
            self.state = self.state._replace(metric_states=self._fresh_train)
        return resumed
