"""``jitnet.scipy``: the subset of ``jax.scipy`` that jitnet provides."""
from . import special  # noqa: F401
