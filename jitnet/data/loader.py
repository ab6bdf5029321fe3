"""Mini-batches of constant shape, in a resumable order, prepared ahead of the step.

A jitted training step compiles once per argument signature, so every batch a
``DataLoader`` yields has leading dimension ``batch_size``: the last short batch of an
epoch is padded with copies of its own rows and a ``mask`` marks the real ones. Epoch
``e``'s order depends on ``(seed, e)`` only, so any position can be jumped to.
"""
from __future__ import annotations

import itertools
import operator
from typing import Any, Callable, NamedTuple

import numpy as np

from jitnet import tree_util
from jitnet.core.source_info import user_line

from .dataset import GeneratorDataset, as_dataset
from .prefetch import Prefetcher


class Batch(NamedTuple):
    """One batch: ``data`` (the dataset's pytree, leading dim ``batch_size``) and ``mask``,
    float32 ``(batch_size,)``, 1 for real rows and 0 for padding rows.

    A ``Batch`` is a pytree, so it can be passed to a jitted step as it is; weight
    per-example losses by ``mask`` and divide by ``mask.sum()`` to ignore the padding.
    """
    data: Any
    mask: np.ndarray

    @property
    def size(self) -> int:
        """The number of real (unpadded) rows."""
        return int(np.count_nonzero(self.mask))


def _check_int(what: str, name: str, value, minimum: int) -> int:
    try:
        v = operator.index(value)
    except TypeError:
        v = None
    if v is None or isinstance(value, bool) or v < minimum:
        raise ValueError(f"{what}: {name} must be an integer >= {minimum}, got "
                         f"{value!r}{user_line()}")
    return v


def _check_rows(what: str, data, rows: int) -> None:
    shapes = [np.shape(x) for x in tree_util.tree_leaves(data)]
    if any(len(s) == 0 or s[0] != rows for s in shapes):
        raise ValueError(f"DataLoader: {what} must return arrays with {rows} rows; got "
                         f"shapes {shapes}")


def _stack(samples: list, first_index: int):
    try:
        return tree_util.tree_map(lambda *xs: np.stack(xs), samples[0], *samples[1:])
    except ValueError as e:
        raise ValueError(f"DataLoader: cannot stack samples {first_index}.."
                         f"{first_index + len(samples) - 1} of the generator into a batch "
                         f"(every sample needs the same structure and shapes): {e}") from e


class DataLoader:
    """Iterate a dataset in mini-batches of constant shape, like a Keras/PyTorch loader.

    Args:
      data: a pytree of arrays sharing their leading (sample) axis -- ``(x, y)``, a dict, a
        single array -- or a ``Dataset`` (``__len__`` and ``__getitem__(indices)``).
      batch_size: rows per batch.
      shuffle: visit the samples of epoch ``e`` in the order
        ``np.random.default_rng([seed, e]).permutation(n)`` (else ``0..n-1``).
      seed: a non-negative int; the order and the transforms' rngs derive from it.
      drop_remainder: drop the last batch of an epoch when it is short.
      pad_remainder: pad the short last batch up to ``batch_size`` with copies of its own
        rows (mask 0) so every batch has the same shape; when False it stays short (mask
        all ones). Ignored when ``drop_remainder``.
      prefetch: batches prepared ahead in a background thread; 0 prepares them on demand.
      transform: ``transform(batch_data, rng) -> batch_data``, applied on the host to each
        (padded) batch, with ``rng = np.random.default_rng([seed, epoch, batch_index])`` so
        augmentation is reproducible and resumable (see ``jitnet.data.augment``).

    ``iter(loader)`` runs the epoch at the loader's position (``state_dict()``) and advances
    it as batches are consumed; ``loader.epoch(e, start_batch)`` reads any epoch from any
    batch without touching the position.
    """

    def __init__(self, data, batch_size: int = 32, *, shuffle: bool = True, seed: int = 0,
                 drop_remainder: bool = False, pad_remainder: bool = True, prefetch: int = 2,
                 transform: Callable | None = None):
        self.batch_size = _check_int("DataLoader", "batch_size", batch_size, 1)
        self.seed = _check_int("DataLoader", "seed", seed, 0)
        self.prefetch = _check_int("DataLoader", "prefetch", prefetch, 0)
        if transform is not None and not callable(transform):
            raise TypeError(f"DataLoader: transform must be a callable (batch_data, rng) -> "
                            f"batch_data, got {type(transform).__name__}{user_line()}")
        self.dataset = as_dataset(data)
        self.shuffle, self.transform = bool(shuffle), transform
        self.drop_remainder, self.pad_remainder = bool(drop_remainder), bool(pad_remainder)
        if self.shuffle and self._streaming:
            raise ValueError(f"DataLoader: a GeneratorDataset cannot be shuffled (no random "
                             f"access); pass shuffle=False{user_line()}")
        self._epoch, self._batch = 0, 0

    @classmethod
    def from_generator(cls, fn: Callable, batch_size: int = 32, **kwargs) -> "DataLoader":
        """A loader over ``GeneratorDataset(fn)``: ``fn()`` returns an iterable of single
        samples (pytrees), stacked into batches and padded like any other data. It is not
        shuffled, and starting at batch ``k`` reads and discards ``k * batch_size`` samples."""
        return cls(GeneratorDataset(fn), batch_size, shuffle=False, **kwargs)

    @property
    def _streaming(self) -> bool:
        return isinstance(self.dataset, GeneratorDataset)

    def __len__(self) -> int:
        """Batches per epoch."""
        if self._streaming:
            raise TypeError("DataLoader: the number of batches of a GeneratorDataset is "
                            "unknown until it is exhausted")
        full, rest = divmod(len(self.dataset), self.batch_size)
        return full + (1 if rest and not self.drop_remainder else 0)

    def order(self, epoch: int) -> np.ndarray:
        """The sample indices of ``epoch`` in the order they are batched."""
        n = len(self.dataset)
        if not self.shuffle:
            return np.arange(n)
        return np.random.default_rng([self.seed, epoch]).permutation(n)

    # -- iteration ---------------------------------------------------------------------------

    def epoch(self, epoch: int, start_batch: int = 0):
        """An iterator over the batches of ``epoch`` from batch ``start_batch`` on, equal to
        the tail of the full epoch. Does not move the loader's own position."""
        return self._iterate(epoch, start_batch, track=False)

    def __iter__(self):
        return self._iterate(self._epoch, self._batch, track=True)

    def state_dict(self) -> dict:
        """The position of the next batch ``iter(loader)`` yields, as JSON-friendly ints."""
        return {"epoch": self._epoch, "batch": self._batch}

    def load_state_dict(self, state: dict) -> None:
        """Resume at a position saved by ``state_dict()``: the next ``iter(loader)`` yields
        exactly the batches that would have followed."""
        if not isinstance(state, dict) or set(state) != {"epoch", "batch"}:
            raise ValueError(f"DataLoader.load_state_dict: expected a dict with keys 'epoch' "
                             f"and 'batch', got {state!r}{user_line()}")
        epoch = _check_int("DataLoader.load_state_dict", "epoch", state["epoch"], 0)
        batch = _check_int("DataLoader.load_state_dict", "batch", state["batch"], 0)
        if not self._streaming and batch > len(self):
            raise ValueError(f"DataLoader.load_state_dict: batch {batch} is past the "
                             f"{len(self)} batches of an epoch{user_line()}")
        self._record(epoch, batch)  # batch == len(self): saved after the epoch's last batch

    def _record(self, epoch: int, next_batch: int, ended: bool = False) -> None:
        """Set the position after ``iter(loader)`` handed out batch ``next_batch - 1``."""
        if ended or (not self._streaming and next_batch == len(self) > 0):
            self._epoch, self._batch = epoch + 1, 0
        else:
            self._epoch, self._batch = epoch, next_batch

    def _iterate(self, epoch, start_batch, track: bool):
        epoch = _check_int("DataLoader.epoch", "epoch", epoch, 0)
        start_batch = _check_int("DataLoader.epoch", "start_batch", start_batch, 0)
        if not self._streaming and start_batch > len(self):
            raise ValueError(f"DataLoader.epoch: start_batch {start_batch} is past the "
                             f"{len(self)} batches of an epoch{user_line()}")
        source = (self._stream_batches if self._streaming else self._index_batches)(
            epoch, start_batch)
        if self.prefetch:
            source = Prefetcher(source, self.prefetch)
        return _EpochIterator(source, epoch, start_batch, self if track else None)

    # -- producing batches (in the prefetch thread) -------------------------------------------

    def _index_batches(self, epoch: int, start: int):
        order, bs = self.order(epoch), self.batch_size
        for b in range(start, len(self)):
            idx = order[b * bs:(b + 1) * bs]
            real = len(idx)
            if real < bs and self.pad_remainder:
                idx = idx[_pad_rows(real, bs)]
            data = self.dataset[idx]
            _check_rows("the dataset's __getitem__", data, len(idx))
            yield self._finish(data, real, epoch, b)

    def _stream_batches(self, epoch: int, start: int):
        samples = iter(self.dataset.samples())
        bs = self.batch_size
        for _ in itertools.islice(samples, start * bs):
            pass
        for b in itertools.count(start):
            chunk = list(itertools.islice(samples, bs))
            real = len(chunk)
            if real == 0 or (real < bs and self.drop_remainder):
                return
            if real < bs and self.pad_remainder:
                chunk = [chunk[i] for i in _pad_rows(real, bs)]
            yield self._finish(_stack(chunk, b * bs), real, epoch, b)

    def _finish(self, data, real: int, epoch: int, b: int) -> Batch:
        rows = tree_util.tree_leaves(data)[0].shape[0]
        if self.transform is not None:
            data = self.transform(data, np.random.default_rng([self.seed, epoch, b]))
            _check_rows("transform", data, rows)
        mask = np.zeros(rows, np.float32)
        mask[:real] = 1.0
        return Batch(data, mask)


def _pad_rows(real: int, size: int) -> np.ndarray:
    """Row positions filling a batch of ``size`` from ``real`` rows: 0..real-1, then repeats."""
    return np.arange(size) % real


class _EpochIterator:
    """The batches of one epoch; when it belongs to ``iter(loader)`` it records each batch
    handed out in the loader's position, so ``state_dict()`` is exact at every step."""

    def __init__(self, source, epoch: int, start: int, loader: DataLoader | None):
        self._source, self._epoch, self._next, self._loader = source, epoch, start, loader
        self._closed = False

    def __iter__(self):
        return self

    def __next__(self) -> Batch:
        if self._closed:  # stopped early: the epoch did not end, the position stays
            raise StopIteration
        try:
            batch = next(self._source)
        except StopIteration:
            if self._loader is not None:
                self._loader._record(self._epoch, self._next, ended=True)
            raise
        self._next += 1
        if self._loader is not None:
            self._loader._record(self._epoch, self._next)
        return batch

    def close(self) -> None:
        """Stop early (also done when the iterator is garbage collected)."""
        self._closed = True
        self._source.close()


def batches(*arrays, batch_size: int, shuffle: bool = True, seed: int = 0,
            drop_last: bool = True):
    """Yield tuples of aligned mini-batches (a one-epoch, unpadded ``DataLoader``)."""
    loader = DataLoader(arrays, batch_size, shuffle=shuffle, seed=seed,
                        drop_remainder=drop_last, pad_remainder=False, prefetch=0)
    for batch in loader.epoch(0):
        yield batch.data
