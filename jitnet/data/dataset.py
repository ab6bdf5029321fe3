"""Datasets: what a ``DataLoader`` reads from, and how to split one.

A dataset is anything with ``__len__`` and ``__getitem__(indices) -> batch``, where
``indices`` is a 1-D int array and the batch a pytree of NumPy arrays whose leading axis
has ``len(indices)`` rows. Random access by index is what lets a loader jump to any batch
of any epoch instead of replaying the epoch.
"""
from __future__ import annotations

import math
from typing import Any, Callable, Iterable, Protocol, runtime_checkable

import numpy as np

from jitnet import tree_util
from jitnet.core.source_info import user_line


@runtime_checkable
class Dataset(Protocol):
    """Random-access samples: ``len(ds)`` rows; ``ds[indices]`` gathers them as a batch pytree."""

    def __len__(self) -> int: ...

    def __getitem__(self, indices: np.ndarray) -> Any: ...


def _leading_length(what: str, tree) -> int:
    """The shared leading length of every leaf of ``tree``; ValueError naming each shape."""
    leaves = tree_util.tree_leaves(tree)
    if not leaves:
        raise ValueError(f"{what}: data has no arrays{user_line()}")
    shapes = [np.shape(x) for x in leaves]
    if any(len(s) == 0 for s in shapes) or len({s[0] for s in shapes}) != 1:
        listed = ", ".join(f"leaf {i}: {s}" for i, s in enumerate(shapes))
        raise ValueError(f"{what}: every array must have the same leading (sample) axis; got "
                         f"{listed} in {tree_util.tree_structure(tree)}{user_line()}")
    return shapes[0][0]


class ArrayDataset:
    """In-memory arrays sharing their leading axis.

    ``ArrayDataset(x, y)`` yields ``(x[idx], y[idx])``; a single argument keeps its own
    structure, so ``ArrayDataset({"x": x, "y": y})`` yields dicts and ``ArrayDataset(x)``
    yields arrays. Leaves are converted with ``np.asarray`` (no copy for NumPy arrays).
    """

    def __init__(self, *arrays):
        tree = arrays[0] if len(arrays) == 1 else arrays
        self.data = tree_util.tree_map(np.asarray, tree)
        self._len = _leading_length("ArrayDataset", self.data)

    def __len__(self) -> int:
        return self._len

    def __getitem__(self, indices):
        return tree_util.tree_map(lambda a: a[indices], self.data)


class Subset:
    """The rows ``indices`` of another dataset, in that order."""

    def __init__(self, dataset, indices):
        self.dataset = dataset
        self.indices = np.asarray(indices, dtype=np.int64)

    def __len__(self) -> int:
        return len(self.indices)

    def __getitem__(self, indices):
        return self.dataset[self.indices[indices]]


class GeneratorDataset:
    """Samples of unknown count from ``fn()``, a callable returning an iterable of samples.

    Each sample is one row as a pytree (e.g. ``(x_i, y_i)`` with ``x_i`` of shape
    ``(H, W)``); the loader stacks ``batch_size`` of them. ``fn`` is called once per epoch.
    There is no random access: a loader over it cannot shuffle, and resuming at batch ``k``
    reads and discards the first ``k * batch_size`` samples of the epoch.
    """

    def __init__(self, fn: Callable[[], Iterable]):
        if not callable(fn):
            raise TypeError(f"GeneratorDataset: fn must be a callable returning an iterable of "
                            f"samples, got {type(fn).__name__}{user_line()}")
        self.fn = fn

    def samples(self) -> Iterable:
        return self.fn()


def as_dataset(data, what: str = "DataLoader"):
    """``data`` itself when it is a dataset, else an ``ArrayDataset`` over the pytree ``data``."""
    if isinstance(data, (GeneratorDataset, ArrayDataset, Subset)):
        return data
    leaves, treedef = tree_util.tree_flatten(data)
    if (tree_util.treedef_is_leaf(treedef) and isinstance(data, Dataset)
            and not isinstance(data, (str, bytes)) and not hasattr(data, "__array__")):
        return data
    for x in leaves:
        if not hasattr(x, "__array__"):
            raise TypeError(f"{what}: data must be a pytree of arrays or a Dataset; got a "
                            f"leaf of type {type(x).__name__}{user_line()}")
    _leading_length(what, data)  # named for the caller; ArrayDataset checks it again
    return ArrayDataset(data)


def _parts(what: str, data, selections):
    """The rows ``selections[i]`` (index arrays or slices) of ``data`` for each part:
    pytrees of arrays when ``data`` is a pytree, ``Subset``s when it is a dataset."""
    ds = as_dataset(data, what)
    if isinstance(ds, GeneratorDataset):
        raise TypeError(f"{what}: a GeneratorDataset has no random access and cannot be "
                        f"split{user_line()}")
    if ds is data:
        return [Subset(ds, np.arange(len(ds))[s]) for s in selections]
    return [ds[s] for s in selections]


def validation_split(data, fraction: float):
    """``(train, validation)`` with Keras's ``validation_split`` semantics.

    The validation part is the LAST ``fraction`` of the samples in their given order (taken
    before any shuffling): training keeps the first ``floor(n * (1 - fraction))`` rows.
    ``data`` is a pytree of arrays (the parts are pytrees of array views) or a dataset (the
    parts are ``Subset``s).
    """
    if isinstance(fraction, bool) or not isinstance(fraction, (int, float)) \
            or not 0.0 < fraction < 1.0:
        raise ValueError(f"validation_split: fraction must be a float in (0, 1), got "
                         f"{fraction!r}{user_line()}")
    n = len(as_dataset(data, "validation_split"))
    split_at = int(math.floor(n * (1.0 - fraction)))
    if split_at == 0 or split_at == n:
        raise ValueError(f"validation_split: fraction {fraction} of {n} samples leaves an "
                         f"empty part{user_line()}")
    train, val = _parts("validation_split", data, [slice(0, split_at), slice(split_at, n)])
    return train, val


def random_split(data, fractions, seed: int = 0):
    """Split into ``len(fractions)`` disjoint random parts covering every sample once.

    ``fractions`` are positive and sum to 1 (part ``i`` gets ``floor(n * f_i)`` samples and
    the leftover samples go one each to the first parts), or are integer lengths summing to
    ``n``. The permutation is ``np.random.default_rng(seed).permutation(n)``, so the split
    is reproducible. Parts are pytrees of arrays (copies) or ``Subset``s of a dataset.
    """
    n = len(as_dataset(data, "random_split"))
    fractions = list(fractions)
    if fractions and all(isinstance(f, (int, np.integer)) and not isinstance(f, bool)
                         and f >= 0 for f in fractions) and sum(fractions) == n:
        counts = [int(f) for f in fractions]
    elif fractions and all(isinstance(f, (int, float)) and f > 0 for f in fractions) \
            and abs(sum(fractions) - 1.0) <= 1e-6:
        counts = [int(math.floor(n * f)) for f in fractions]
        for i in range(n - sum(counts)):
            counts[i % len(counts)] += 1
    else:
        raise ValueError(f"random_split: fractions must be positive and sum to 1, or be "
                         f"lengths summing to {n}; got {fractions}{user_line()}")
    order = np.random.default_rng(seed).permutation(n)
    bounds = np.cumsum([0] + counts)
    return _parts("random_split", data, [order[a:b] for a, b in zip(bounds[:-1], bounds[1:])])
