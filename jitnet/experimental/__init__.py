"""``jitnet.experimental``: the parts of ``jax.experimental`` that published programs import
(``ode.odeint``)."""
from . import ode  # noqa: F401
