"""``jax.interpreters``: JAX's tables of per-primitive rules (``ad.primitive_jvps``,
``batching.primitive_batchers``...), as views of the rules each jitnet primitive carries."""
from . import ad, batching, mlir  # noqa: F401
