"""Run libraries written for JAX (Optax, Equinox, ...) on jitnet: ``import jax`` becomes jitnet.

    import jitnet.compat
    jitnet.compat.install_jax_alias()     # before the library is imported
    import optax                          # its ``import jax.numpy as jnp`` gets jitnet.numpy

or, scoped (the previous ``sys.modules`` comes back on exit, so real JAX imported elsewhere
in the process keeps working)::

    with jitnet.compat.jax_alias():
        import optax
        ...

``jax.<path>`` resolves to ``jitnet.<path>``; the few private JAX modules that libraries
reach into (``jax._src.traceback_util``...) resolve to the jitnet module holding the
equivalent, listed in ``PRIVATE_MODULES``. A name jitnet lacks raises the usual
``ModuleNotFoundError``/``AttributeError`` naming it.
"""
from __future__ import annotations

import contextlib
import importlib
import importlib.abc
import importlib.util
import sys
import types

ALIAS = "jax"

# JAX's private modules that libraries import, and the jitnet module standing in for each.
PRIVATE_MODULES = {
    "jax._src": "jitnet.compat_private",
    "jax._src.traceback_util": "jitnet.compat_private",
    "jax._src.dispatch": "jitnet.compat_private",
    "jax._src.dtypes": "jitnet.core.dtypes",
    "jax.errors": "jitnet.core.errors",
    "jax.custom_derivatives": "jitnet.compat_private",
}


def _target(fullname: str) -> str | None:
    if fullname in PRIVATE_MODULES:
        return PRIVATE_MODULES[fullname]
    if fullname == ALIAS or fullname.startswith(ALIAS + "."):
        return "jitnet" + fullname[len(ALIAS):]
    return None


class _AliasFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Finds ``jax.*`` as the jitnet module of the same path; the jitnet module object itself
    is what the import returns (its own ``__spec__`` untouched)."""

    def find_spec(self, fullname, path=None, target=None):
        name = _target(fullname)
        if name is None:
            return None
        try:
            found = importlib.util.find_spec(name)
        except ModuleNotFoundError:
            found = None
        if found is None:
            return None
        return importlib.util.spec_from_loader(fullname, self, is_package=True)

    def create_module(self, spec):
        return types.ModuleType(spec.name)

    def exec_module(self, module):
        # the import system returns whatever sys.modules holds after exec_module
        sys.modules[module.__name__] = importlib.import_module(_target(module.__name__))


_FINDER = _AliasFinder()


def _is_jax_module(name: str) -> bool:
    return name == ALIAS or name.startswith(ALIAS + ".")


def install_jax_alias() -> dict:
    """Make ``import jax`` (and every ``jax.*``) give jitnet from now on.

    Real JAX modules already imported are taken out of ``sys.modules`` (and returned, so
    ``uninstall_jax_alias`` can put them back); libraries imported before this call keep
    the JAX they imported, so call it first."""
    import jitnet  # noqa: F401  (the package the alias resolves to)
    saved = {k: sys.modules.pop(k) for k in list(sys.modules) if _is_jax_module(k)}
    if _FINDER not in sys.meta_path:
        sys.meta_path.insert(0, _FINDER)
    return saved


def uninstall_jax_alias(saved: dict | None = None) -> None:
    """Undo ``install_jax_alias``: drop the alias and the ``jax.*`` names it created, and
    put back the real JAX modules in ``saved``."""
    if _FINDER in sys.meta_path:
        sys.meta_path.remove(_FINDER)
    for k in [k for k in sys.modules if _is_jax_module(k)]:
        del sys.modules[k]
    sys.modules.update(saved or {})
    # importing jax.errors set jitnet.errors = jitnet.core.errors (the import system binds a
    # submodule on its parent): take such bindings of the private names back off
    for name, target in PRIVATE_MODULES.items():
        parent_name, _, child = name.rpartition(".")
        parent = sys.modules.get(_target(parent_name))
        if (parent is not None and child in vars(parent)
                and vars(parent)[child] is sys.modules.get(target)
                and f"{parent.__name__}.{child}" not in sys.modules):
            delattr(parent, child)


def _uses_jitnet(module) -> bool:
    return any(isinstance(v, types.ModuleType) and v.__name__.partition(".")[0] == "jitnet"
               for v in list(getattr(module, "__dict__", {}).values()))


@contextlib.contextmanager
def jax_alias():
    """``install_jax_alias`` for a block. On exit the alias is gone, real JAX modules are
    back, and the packages first imported inside the block that bound ``jax`` (Optax,
    Equinox...) are forgotten, so a later ``import optax`` gets the real JAX again; other
    new modules (Numba's lazily imported parts...) stay."""
    before = set(sys.modules)
    saved = install_jax_alias()
    try:
        yield importlib.import_module(ALIAS)
    finally:
        new = [k for k in sys.modules if k not in before and not _is_jax_module(k)]
        bound = {k.partition(".")[0] for k in new if _uses_jitnet(sys.modules[k])} - {"jitnet"}
        uninstall_jax_alias(saved)
        for k in new:
            if k.partition(".")[0] in bound:
                del sys.modules[k]
