"""Shardings: how an array is laid out over devices. jitnet runs a program on one device, so
every layout is "all of it here"; these classes carry JAX's names and answers for code that
asks (``jax.sharding``): a mesh has one device, every ``PartitionSpec`` is trivially
satisfied and a shard is the whole array. ``Device`` and the host's ``CpuDevice`` are here
too, below the runtime, since every array answers ``.device``/``.sharding``; the runtime adds
the other platforms' devices (``runtime/devices.py``)."""
from __future__ import annotations

import numpy as np


class Device:
    """A device of a platform, compared by (platform, id) as JAX's devices are."""

    platform = "?"

    def __init__(self, id: int = 0):
        self.id = id

    def __repr__(self):
        return f"{type(self).__name__}(id={self.id})"

    def __eq__(self, other):
        return type(other) is type(self) and other.id == self.id

    def __hash__(self):
        return hash((self.platform, self.id))

    @property
    def device_kind(self) -> str:
        return self.platform


class CpuDevice(Device):
    platform = "cpu"


class Sharding:
    """Base of the layouts (``jax.sharding.Sharding``)."""

    @property
    def device_set(self) -> set:
        raise NotImplementedError

    def is_fully_replicated(self) -> bool:
        return True

    def shard_shape(self, global_shape) -> tuple:
        """The shape of the piece each device holds: with one device, the whole array."""
        return tuple(global_shape)

    @property
    def num_devices(self) -> int:
        return len(self.device_set)


class SingleDeviceSharding(Sharding):
    """``jax.sharding.SingleDeviceSharding``: the whole array on one device (the only
    layout jitnet has)."""

    def __init__(self, device, *, memory_kind=None):
        self._device = device
        self.memory_kind = memory_kind

    @property
    def device_set(self) -> set:
        return {self._device}

    def __eq__(self, other):
        return isinstance(other, SingleDeviceSharding) and other._device == self._device

    def __hash__(self):
        return hash(self._device)

    def __repr__(self):
        return f"SingleDeviceSharding(device={self._device!r})"


class PartitionSpec(tuple):
    """``jax.sharding.PartitionSpec`` (``jax.P``): for each array axis, the mesh axis name(s)
    it is split over, or None. Kept and compared as JAX does; on one device it moves nothing."""

    def __new__(cls, *partitions):
        return super().__new__(cls, partitions)

    def __repr__(self):
        return f"PartitionSpec{tuple.__repr__(self)}"

    def __reduce__(self):
        return (PartitionSpec, tuple(self))


class Mesh:
    """``jax.sharding.Mesh``: devices arranged in a named grid. jitnet programs run on one
    device, so a mesh must hold exactly one (every axis of size 1)."""

    def __init__(self, devices, axis_names, *, axis_types=None):
        devs = np.asarray(devices, dtype=object)
        names = (axis_names,) if isinstance(axis_names, str) else tuple(axis_names)
        if devs.ndim != len(names):
            raise ValueError(f"Mesh: {devs.ndim}-d device array with {len(names)} axis names "
                             f"{names}; they must match")
        if devs.size != 1:
            raise ValueError(f"Mesh: jitnet runs a program on one device, got a mesh of "
                             f"{devs.size} devices (shape {devs.shape})")
        self.devices, self.axis_names, self.axis_types = devs, names, axis_types

    @property
    def shape(self) -> dict:
        return dict(zip(self.axis_names, self.devices.shape))

    @property
    def size(self) -> int:
        return int(self.devices.size)

    @property
    def empty(self) -> bool:
        return self.devices.size == 0

    @property
    def device_set(self) -> set:
        return set(self.devices.flat)

    are_all_axes_explicit = False   # no explicit-sharding mode: layouts are never in types

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def __eq__(self, other):
        return (isinstance(other, Mesh) and self.axis_names == other.axis_names
                and self.devices.shape == other.devices.shape
                and list(self.devices.flat) == list(other.devices.flat))

    def __hash__(self):
        return hash((self.axis_names, self.devices.shape, tuple(self.devices.flat)))

    def __repr__(self):
        return f"Mesh({self.shape})"


class NamedSharding(Sharding):
    """``jax.sharding.NamedSharding``: a ``PartitionSpec`` over a ``Mesh``'s axis names. The
    names are checked against the mesh; with one device the array stays whole."""

    def __init__(self, mesh: Mesh, spec: PartitionSpec = PartitionSpec(), *, memory_kind=None):
        for p in spec:
            for name in (p if isinstance(p, tuple) else (p,)):
                if name is not None and name not in mesh.axis_names:
                    raise ValueError(f"NamedSharding: PartitionSpec {spec} names axis "
                                     f"{name!r}, not in the mesh's axes {mesh.axis_names}")
        self.mesh, self.spec, self.memory_kind = mesh, PartitionSpec(*spec), memory_kind

    @property
    def device_set(self) -> set:
        return self.mesh.device_set

    def __eq__(self, other):
        return (isinstance(other, NamedSharding) and self.mesh == other.mesh
                and self.spec == other.spec)

    def __hash__(self):
        return hash((self.mesh, self.spec))

    def __repr__(self):
        return f"NamedSharding(mesh={self.mesh!r}, spec={self.spec!r})"


__all__ = ["Device", "CpuDevice", "Sharding", "SingleDeviceSharding", "PartitionSpec", "Mesh", "NamedSharding"]
