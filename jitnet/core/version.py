"""jitnet's version, written once: ``jitnet.__version__`` re-exports it, pyproject.toml reads
it (``[tool.setuptools.dynamic]``) and the disk cache keys compiled code by it."""
__version__ = "0.1.0"
__version_info__ = tuple(int(p) for p in __version__.split("."))
