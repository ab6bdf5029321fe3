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


class UnexpectedTracerError(Exception):
    """A tracer escaped the transformation that created it (stored in a global, say)."""


class NonScalarOutputError(TypeError):
    pass
