"""CPU lowering of the convolution and window family (patches, patches_transpose,
conv_general_dilated, reduce_window)."""
from __future__ import annotations

from .ops import generator  # noqa: F401
