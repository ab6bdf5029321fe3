"""The export's own error (importable without the ``onnx`` package)."""


class ExportError(NotImplementedError):
    """A primitive (or a use of one) that has no ONNX mapping."""
