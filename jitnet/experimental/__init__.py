"""``jitnet.experimental``: the parts of ``jax.experimental`` that published programs import
(``ode.odeint``, ``io_callback`` on concrete values)."""
from . import ode  # noqa: F401
from .callback import io_callback, pure_callback  # noqa: F401
