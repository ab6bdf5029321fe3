"""Hand-written Numba kernels for the heavy operations (docs/ARCHITECTURE.md, "Kernels").

``conv`` (convolutions in any layout, so also their input and weight gradients), ``linalg``,
``sort`` and ``window`` (reduce_window pooling) hold the kernels, which generated programs
call and import by name; which equations a kernel takes, with which run-time numbers, and
which module holds it is decided below the code generator, in ``codegen/kernel_plan.py``
(no Numba). Kernels take every size and layout as run-time arguments, so each compiles once
per dtype for all programs and shapes, and loads from the signed disk cache afterwards
(``runtime.c_kernel``).
"""
