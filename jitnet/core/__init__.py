"""core stage of jitnet (see docs/ARCHITECTURE.md).

Also answers for ``jax.core`` (``import jitnet as jax; jax.core.ShapedArray``): most of those
names live in later stages, so the top-level package installs this module's ``__getattr__``
(``jitnet/__init__.py``); core itself imports nothing above it."""
