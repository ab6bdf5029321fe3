"""Host-side batch augmentations for ``DataLoader(transform=...)``.

Each function here returns a ``transform(batch_data, rng) -> batch_data`` working on NumPy
arrays in the loader's prefetch thread. Images are channels-last batches, ``(N, H, W, C)``
or ``(N, H, W)``. Randomness comes only from ``rng`` (the loader seeds it from
``(seed, epoch, batch_index)``), so augmented epochs are reproducible and resumable.

    transform = on(0, compose(random_crop(4), random_flip_left_right(),
                              normalize(0.0, 255.0)))
    DataLoader((x, y), 128, transform=transform)
"""
from __future__ import annotations

import operator
from typing import Callable

import numpy as np

from jitnet.core.source_info import user_line


def _images(what: str, x) -> np.ndarray:
    if not hasattr(x, "__array__"):
        raise TypeError(f"{what}: expected a batch of images, got a {type(x).__name__}; apply "
                        f"it to one element of the batch with on(index_or_key, ...)")
    x = np.asarray(x)
    if x.ndim not in (3, 4):
        raise ValueError(f"{what}: expected images of shape (N, H, W) or (N, H, W, C), got "
                         f"shape {x.shape}")
    return x


def _check_callable(what: str, fn) -> None:
    if not callable(fn):
        raise TypeError(f"{what}: expected a transform(batch_data, rng) callable, got "
                        f"{type(fn).__name__}{user_line()}")


def random_crop(padding: int = 4) -> Callable:
    """Zero-pad height and width by ``padding`` and crop each image back to its size at a
    random offset: ``(dy, dx) = rng.integers(0, 2 * padding + 1, size=(N, 2))[i]`` for
    image ``i`` (the CIFAR-style shift augmentation)."""
    try:
        padding = operator.index(padding)
    except TypeError:
        padding = -1
    if padding < 0:
        raise ValueError(f"random_crop: padding must be an integer >= 0{user_line()}")

    def transform(images, rng: np.random.Generator) -> np.ndarray:
        x = _images("random_crop", images)
        n, h, w = x.shape[:3]
        dy, dx = rng.integers(0, 2 * padding + 1, size=(n, 2)).T
        widths = [(0, 0), (padding, padding), (padding, padding)] + [(0, 0)] * (x.ndim - 3)
        padded = np.pad(x, widths)
        rows = (dy[:, None] + np.arange(h))[:, :, None]  # (N, H, 1)
        cols = (dx[:, None] + np.arange(w))[:, None, :]  # (N, 1, W)
        return padded[np.arange(n)[:, None, None], rows, cols]

    return transform


def random_flip_left_right(p: float = 0.5) -> Callable:
    """Mirror each image horizontally (reverse the W axis) where ``rng.random(N) < p``."""
    if not isinstance(p, (int, float)) or not 0.0 <= p <= 1.0:
        raise ValueError(f"random_flip_left_right: p must be in [0, 1], got {p!r}{user_line()}")

    def transform(images, rng: np.random.Generator) -> np.ndarray:
        x = _images("random_flip_left_right", images)
        flip = (rng.random(x.shape[0]) < p).reshape((-1,) + (1,) * (x.ndim - 1))
        return np.where(flip, x[:, :, ::-1], x)

    return transform


def normalize(mean, std) -> Callable:
    """``(x - mean) / std`` in float32; ``mean`` and ``std`` are scalars or per-channel
    (broadcast against the last axis). Integer images are not rescaled first: for uint8
    pixels use e.g. ``normalize(0, 255)`` or the dataset's mean and std in pixel units."""
    mean = np.asarray(mean, np.float32)
    std = np.asarray(std, np.float32)
    if not np.all(std > 0):
        raise ValueError(f"normalize: std must be positive, got {std}{user_line()}")

    def transform(x, rng: np.random.Generator) -> np.ndarray:
        if not hasattr(x, "__array__"):
            raise TypeError(f"normalize: expected an array, got a {type(x).__name__}; apply "
                            f"it to one element of the batch with on(index_or_key, ...)")
        x = np.asarray(x, np.float32)
        try:
            return (x - mean) / std
        except ValueError:
            raise ValueError(f"normalize: mean {mean.shape} and std {std.shape} do not "
                             f"broadcast against data of shape {x.shape}") from None

    return transform


def compose(*fns: Callable) -> Callable:
    """Apply the transforms in order, all drawing from the same ``rng``."""
    for fn in fns:
        _check_callable("compose", fn)

    def transform(data, rng: np.random.Generator):
        for fn in fns:
            data = fn(data, rng)
        return data

    return transform


def on(index_or_key, fn: Callable) -> Callable:
    """Apply ``fn`` to one element of the batch pytree only, e.g. ``on(0, ...)`` for ``x``
    of ``(x, y)`` or ``on("image", ...)`` for a dict (or a namedtuple field name)."""
    _check_callable("on", fn)

    def transform(data, rng: np.random.Generator):
        if isinstance(data, tuple) and hasattr(data, "_fields") and isinstance(index_or_key, str):
            if index_or_key in data._fields:
                return data._replace(**{index_or_key: fn(getattr(data, index_or_key), rng)})
        elif isinstance(data, (tuple, list, dict)):
            try:
                part = data[index_or_key]
            except (IndexError, KeyError, TypeError):
                pass
            else:
                if isinstance(data, dict):
                    return {**data, index_or_key: fn(part, rng)}
                items = list(data)
                items[index_or_key] = fn(part, rng)
                if isinstance(data, list):
                    return items
                return type(data)(*items) if hasattr(data, "_fields") else tuple(items)
        raise ValueError(f"on({index_or_key!r}): the batch has no element {index_or_key!r}; "
                         f"it is a {type(data).__name__}"
                         + (f" of {len(data)} elements" if isinstance(data, (tuple, list))
                            else f" with keys {list(data)}" if isinstance(data, dict) else ""))

    return transform
