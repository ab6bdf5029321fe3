"""The compiler: IR -> prepared IR -> kernel IR (``FusedProgram``), everything before code
generation. ``PASSES`` is its table of contents; see ``pipeline.py``."""
from .fold import fold_constants
from .pipeline import PASSES, Pass, lower, prepare

__all__ = ["PASSES", "Pass", "fold_constants", "lower", "prepare"]
