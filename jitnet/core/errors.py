"""Error types, named as in ``jax.errors`` so user code catching them keeps working."""


class JitnetTypeError(TypeError):
    pass


class ConcretizationTypeError(JitnetTypeError):
    """A traced (abstract) value was used where Python needs a concrete one."""


class TracerBoolConversionError(ConcretizationTypeError):
    pass


class TracerIntegerConversionError(ConcretizationTypeError):
    pass


class TracerArrayConversionError(ConcretizationTypeError):
    pass


def value_needed(err: ConcretizationTypeError) -> ConcretizationTypeError:
    """Mark ``err`` as one a known value would resolve: differentiation outside jit/vmap
    then traces again with the arguments' values known (``api/ad.py``)."""
    err.values_would_do = True
    return err


class UnexpectedTracerError(Exception):
    """A tracer escaped the transformation that created it (stored in a global, say)."""


class NonScalarOutputError(TypeError):
    pass
