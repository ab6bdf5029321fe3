"""Testing helpers: ``check_grads`` (finite differences and transpose dot-product tests) and
``check_vmap`` (vmap against a Python loop), ``assert_same`` (results agree leaf by leaf)."""
from .compare import assert_same  # noqa: F401
from .grads import check_grads, check_jvp, check_vjp, numerical_jvp  # noqa: F401
from .vmap import check_vmap  # noqa: F401
