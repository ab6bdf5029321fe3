"""``jax.typing``: the type annotations for arguments that jitnet functions accept."""
from __future__ import annotations

from typing import Protocol, Union

import numpy as np

from .trace.array import Array


class SupportsDType(Protocol):
    """Anything with a ``dtype`` attribute (``jnp.float32``, ``ShapeDtypeStruct``...)."""

    @property
    def dtype(self) -> np.dtype: ...


# A value convertible to an array: jitnet arrays, NumPy arrays and scalars, Python scalars.
ArrayLike = Union[Array, np.ndarray, np.bool_, np.number, bool, int, float, complex]

# A value naming a dtype: "float32", np.float32, np.dtype("float32"), jnp.float32, float...
DTypeLike = Union[str, type, np.dtype, SupportsDType]

__all__ = ["ArrayLike", "DTypeLike", "SupportsDType"]
