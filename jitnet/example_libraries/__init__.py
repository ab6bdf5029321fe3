"""``jitnet.example_libraries``: ``jax.example_libraries``' two small libraries, ``stax``
(neural-network layers as ``(init_fun, apply_fun)`` pairs) and ``optimizers`` (first-order
optimizers as ``(init_fun, update_fun, get_params)`` triples), written on jitnet's public API
so that programs written for them run unchanged."""
from . import optimizers, stax  # noqa: F401
