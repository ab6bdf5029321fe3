"""Primitives that carry sub-IRs (custom_jvp, custom_vjp, remat; control flow). Their rules
apply the transforms to their sub-IRs, so this layer sits above ``transforms/``."""
from .custom import custom_jvp, custom_vjp  # noqa: F401
from .remat import checkpoint, remat  # noqa: F401
from . import conv_batch  # noqa: F401,E402  (installs the convolution's batch rule)
