"""The user-facing function transformations (grad, vmap, jit, ..., make_jaxpr)."""
from .ad import grad, hessian, jacfwd, jacrev, jvp, linearize, value_and_grad, vjp  # noqa: F401
from .vmap import pmap, vmap  # noqa: F401
from .jit import disable_jit, jit  # noqa: F401
from .eval_shape import ShapeDtypeStruct, eval_shape  # noqa: F401
from .make_jaxpr import make_jaxpr  # noqa: F401
