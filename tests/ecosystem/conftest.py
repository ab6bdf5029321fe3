"""The JAX-ecosystem tests import the libraries as a user would, with ``jax`` aliased to
jitnet (``jitnet.compat.jax_alias``). The alias is scoped to each test module: on exit the
real JAX (other tests use it as an oracle) and ``sys.modules`` come back as they were, and
the libraries imported under the alias are forgotten, so nothing bound to jitnet leaks."""
import importlib

import pytest

from jitnet import compat


@pytest.fixture(scope="module")
def aliased():
    """``import_module`` for a test module: imports under the alias, which holds until the
    module's tests are done."""
    with compat.jax_alias():
        yield importlib.import_module
