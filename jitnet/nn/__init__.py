"""``jitnet.nn``: activation functions and friends, with ``jax.nn``'s names and semantics."""
from .functions import (celu, elu, gelu, glu, hard_sigmoid, hard_silu, hard_swish,  # noqa: F401
                        hard_tanh, identity, leaky_relu, log1mexp, logmeanexp, log_sigmoid, log_softmax,
                        mish, one_hot, relu, relu6, selu, sigmoid, silu, soft_sign,
                        softmax, softplus, sparse_plus, sparse_sigmoid, squareplus, standardize,
                        swish, tanh)
from . import initializers  # noqa: E402,F401
from .attention import dot_product_attention  # noqa: E402,F401
from .scaled_matmul import (get_scaled_dot_general_config, scaled_dot_general,  # noqa: E402,F401
                            scaled_matmul)


def __getattr__(name):
    """``logsumexp`` loads ``jitnet.scipy`` on first use (``functions.__getattr__``)."""
    if name == "logsumexp":
        from . import functions
        return functions.logsumexp
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
