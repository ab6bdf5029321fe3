"""Hand-written Numba kernels for the heavy operations (docs/ARCHITECTURE.md, "Kernels").

``plan`` (no Numba: codegen imports it) decides which equations a kernel takes and with
which run-time numbers; ``conv`` (convolutions in any layout, so also their input and weight
gradients), ``linalg``, ``sort`` and ``window`` (reduce_window pooling) hold the kernels,
which generated programs call. Kernels take every size and layout as run-time arguments, so each compiles once per dtype for all
programs and shapes, and loads from the signed disk cache afterwards (``jit.c_kernel``).
"""
import importlib
import re

# the kernel modules; each lists the functions it provides in ``SYMBOLS``
MODULES = ("conv", "linalg", "sort", "window")


def callers(source: str) -> list:
    """``(module, name)`` of each kernel caller ``source`` calls (``jn_conv2d_float32(...)``)."""
    called = set(re.findall(r"\b(jn_\w+)\(", source))
    out = []
    for m in MODULES:
        mod = importlib.import_module(f"{__name__}.{m}")
        out += [(mod.__name__, n) for n in sorted(called & set(mod.SYMBOLS))]
    return out


def imports(source: str) -> str:
    """The import lines for the kernels ``source`` calls: only those, since importing one
    loads its machine code from the disk cache, or compiles it (``jit.build``)."""
    return "".join(f"from {m} import {n}\n" for m, n in callers(source))
