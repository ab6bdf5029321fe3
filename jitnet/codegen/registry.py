"""The table of op generators each backend fills (``cpu/ops.py``, ``cuda/ops.py``; the ONNX
export's translation rules use the same shape of table)."""
from __future__ import annotations


def generator_table() -> tuple[dict, object]:
    """A table of functions by primitive name and the decorator that fills it."""
    table: dict = {}

    def generator(*names):
        def reg(f):
            for n in names:
                table[n] = f
            return f
        return reg
    return table, generator
