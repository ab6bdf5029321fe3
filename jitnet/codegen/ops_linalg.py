"""CPU lowering of the linear-algebra primitives (cholesky, lu, triangular_solve, eigh,
qr, svd)."""
from __future__ import annotations

from .ops import generator  # noqa: F401
