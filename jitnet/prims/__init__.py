"""The primitive set, one family per module; importing this registers all of them."""
import warnings as _warnings

# Primitive impls follow IEEE like XLA: inf and nan results are not errors, so NumPy's
# RuntimeWarnings from jitnet's own modules are silenced (a filter costs nothing per op,
# unlike np.errstate).
_warnings.filterwarnings("ignore", category=RuntimeWarning, module=r"jitnet\.")

from . import elementwise, shape, reduce, indexing, dot, sort, window, conv, linalg  # noqa: E402,F401
from . import random  # noqa: E402,F401
from ..core.primitive import registry  # noqa: E402,F401
