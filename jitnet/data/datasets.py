"""Image-classification datasets read from installed packages.

Fashion-MNIST comes from Debian's ``dataset-fashion-mnist`` (IDX files under
/usr/share/datasets/fashion-mnist); scikit-learn's bundled 8x8 digits are the
fallback when that package is missing. Nothing is downloaded.
"""
from __future__ import annotations

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
