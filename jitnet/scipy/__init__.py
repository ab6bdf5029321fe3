"""``jitnet.scipy``: the subset of ``jax.scipy`` that jitnet provides."""
from . import linalg, special, stats  # noqa: F401
