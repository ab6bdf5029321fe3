"""``jax.sharding``: layout classes with JAX's names; jitnet runs on one device, so every
sharding keeps the whole array on it (see ``jitnet.core.sharding``)."""
from .core.sharding import (Mesh, NamedSharding, PartitionSpec,  # noqa: F401
                            SingleDeviceSharding, Sharding)

__all__ = ["Mesh", "NamedSharding", "PartitionSpec", "SingleDeviceSharding", "Sharding"]
