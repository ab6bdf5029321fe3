"""The primitive set, one family per module; importing this registers all of them."""
from . import elementwise, shape, reduce, indexing, dot, sort  # noqa: F401
from . import conv  # noqa: F401
from ..core.primitive import registry  # noqa: F401
