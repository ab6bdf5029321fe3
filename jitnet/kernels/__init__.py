"""Hand-written Numba kernels for the heavy operations (docs/ARCHITECTURE.md, "Kernels").

``plan`` (no Numba: codegen imports it) decides which equations a kernel takes and with
which run-time numbers; ``conv`` holds the kernels (convolutions in any layout, so also
their input and weight gradients), which generated programs call. Kernels take every size
and layout as run-time arguments, so each compiles once per dtype for all programs and
shapes, and loads from the signed disk cache afterwards (``jit.c_kernel``).
"""
import re


def imports(source: str) -> str:
    """The import lines for the kernels ``source`` calls (``jn_conv2d_float32(...)``): only
    those, since importing one loads its machine code from the disk cache, or compiles it."""
    names = sorted(set(re.findall(r"\b(jn_conv2d_float(?:32|64))\(", source)))
    return "".join(f"from jitnet.kernels.conv import {n}\n" for n in names)
