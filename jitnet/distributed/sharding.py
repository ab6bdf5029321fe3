"""Each rank's part of a global batch (Keras's distribution strategies' batch semantics).

A ``DataLoader``'s ``batch_size`` is the global batch: batch ``b`` of epoch ``e`` is the
same rows on every rank (its order depends only on ``(seed, e)``), and rank ``r`` of ``N``
trains on rows ``r*B/N .. (r+1)*B/N - 1`` of it. So every example is seen once per epoch,
by exactly one rank, and together the ranks see what one process would, step for step.
The padding rows of a short last batch keep their mask 0 on whichever rank holds them.
"""
from __future__ import annotations

from ..core.source_info import user_line
from ..data import Batch
from ..tree_util import tree_map


class ShardedLoader:
    """Rank ``rank``'s slice of every batch of ``loader`` (a ``DataLoader`` of global
    batches); it has the loader's ``epoch(e, start_batch)`` and ``len``.

    Each rank reads the global batch and keeps its rows, so host transforms
    (augmentations) see the same batch and rng as in one process."""

    def __init__(self, loader, rank: int, size: int, *, training: bool = True,
                 what: str = "strategy='mpi'"):
        if loader.batch_size % size:
            raise ValueError(f"{what}: batch_size is the global batch, split over {size} "
                             f"ranks; {loader.batch_size} is not divisible by {size} (use "
                             f"e.g. {loader.batch_size // size * size or size}){user_line()}")
        if training and not (loader.pad_remainder or loader.drop_remainder) and \
                len(loader.dataset) % loader.batch_size:
            raise ValueError(f"{what}: the last batch would be short and unpadded, leaving "
                             "ranks without rows; use a DataLoader with pad_remainder=True "
                             f"or drop_remainder=True{user_line()}")
        self.loader, self.rank, self.size = loader, rank, size
        self.batch_size = loader.batch_size // size
        self.dataset = loader.dataset

    def __len__(self) -> int:
        return len(self.loader)

    def epoch(self, epoch: int, start_batch: int = 0):
        """The batches of ``epoch`` from ``start_batch`` on, this rank's rows of each (an
        unpadded short batch can leave a rank none: that batch is skipped there, which only
        evaluation allows)."""
        lo, hi = self.rank * self.batch_size, (self.rank + 1) * self.batch_size
        for batch in self.loader.epoch(epoch, start_batch):
            if len(batch.mask) > lo:
                yield Batch(tree_map(lambda a: a[lo:hi], batch.data), batch.mask[lo:hi])
