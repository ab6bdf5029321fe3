"""``jitnet.experimental``: the parts of ``jax.experimental`` that published programs import
(``ode.odeint``, ``io_callback`` on concrete values, ``enable_x64``/``disable_x64``)."""
from . import ode  # noqa: F401
from .callback import io_callback, pure_callback  # noqa: F401
from ..api.contexts import enable_x64  # noqa: F401,E402


def disable_x64():
    """``jax.experimental.disable_x64``: 32-bit types inside the block."""
    return enable_x64(False)
