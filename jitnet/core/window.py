"""Window arithmetic of the window family (patches, convolution, reduce_window): sizes of
dilated and padded dims, the number of window positions, a reduction's identity. Plain
integer arithmetic shared by the primitives' shape rules and the code generators."""
from __future__ import annotations

import numpy as np


def dilate_dim(d: int, r: int) -> int:
    """Size of a dim of ``d`` elements with ``r - 1`` holes inserted between neighbours."""
    return 0 if d == 0 else (d - 1) * r + 1


def padded_dims(shape, padding, base_dilation):
    return tuple(dilate_dim(d, b) + lo + hi
                 for d, (lo, hi), b in zip(shape, padding, base_dilation))


def window_out_shape(shape, window_dimensions, window_strides, padding, base_dilation,
                     window_dilation):
    """Number of window positions per dim (0 where the window does not fit, as XLA)."""
    out = []
    for p, w, s, wd in zip(padded_dims(shape, padding, base_dilation), window_dimensions,
                           window_strides, window_dilation):
        eff = dilate_dim(w, wd)
        out.append((p - eff) // s + 1 if p >= eff else 0)
    return tuple(out)


def identity(computation: str, dtype):
    """The identity of ``computation`` ('add', 'max', 'min') for ``dtype``, as a Python
    scalar (a hashable param)."""
    dtype = np.dtype(dtype)
    if computation == "add":
        return False if dtype.kind == "b" else 0
    big = computation == "min"
    if dtype.kind == "b":
        return big
    if dtype.kind in "iu":
        info = np.iinfo(dtype)
        return int(info.max if big else info.min)
    return float("inf") if big else float("-inf")
