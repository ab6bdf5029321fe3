"""``jax.extend``: what libraries extend jitnet with. ``extend.core.Primitive`` defines a new
primitive with JAX's API; its rules go in JAX's places (``jitnet.interpreters``) and its
compiled form is a user Numba function (see ``docs/ECOSYSTEM.md``)."""
from . import core  # noqa: F401
