"""The runtime: compile IR to executables, cache them, run them; and the eager float kernels
and threefry kernel the primitives' implementations call (installed here, so eager == jit
bit for bit)."""
from . import eager_kernels as _eager_kernels
from . import eager_random as _eager_random
from . import heap as _heap  # noqa: F401  (keeps freed memory for the next step)

_eager_kernels.install()
_eager_random.install()
