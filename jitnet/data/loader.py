"""Mini-batch iteration over in-memory arrays."""
from __future__ import annotations

import numpy as np


def batches(*arrays, batch_size: int, shuffle: bool = True, seed: int = 0,
            drop_last: bool = True):
    """Yield tuples of aligned mini-batches; reshuffled with ``seed`` on each call."""
    n = len(arrays[0])
    order = np.random.RandomState(seed).permutation(n) if shuffle else np.arange(n)
    stop = n - n % batch_size if drop_last else n
    for start in range(0, stop, batch_size):
        idx = order[start:start + batch_size]
        yield tuple(a[idx] for a in arrays)
