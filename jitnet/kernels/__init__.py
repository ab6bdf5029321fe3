"""Hand-written Numba kernels for the heavy operations (docs/ARCHITECTURE.md, "Kernels").

``plan`` (no Numba: codegen imports it) decides which equations a kernel takes and with
which run-time numbers; ``conv`` holds the kernels, which generated programs call. Kernels
take every size as a run-time argument, so each compiles once per dtype and layout for all
programs and shapes, and loads from the signed disk cache afterwards (``jit.kernel``).
"""


def imports(source: str) -> str:
    """The import lines for the kernels ``source`` calls (a program without any imports
    none: loading a kernel costs a disk-cache load, or its compilation)."""
    return ("from jitnet.kernels.conv import jn_conv2d\n"
            if "jn_conv2d(" in source else "")
