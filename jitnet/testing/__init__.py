"""Testing helpers: ``check_grads`` (finite differences and transpose dot-product tests) and
``check_vmap`` (vmap against a Python loop)."""
from .grads import check_grads, check_jvp, check_vjp, numerical_jvp  # noqa: F401
from .vmap import check_vmap  # noqa: F401
