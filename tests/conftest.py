import atexit
import os
import shutil
import tempfile

import numpy as np
import pytest

# Hermetic runs: compiled code, the cache's signing key and pytest's temporary directories go
# to one fresh directory per run (unless the caller chose them), removed at exit by the
# process that made it. pytest-xdist workers inherit the environment, so they share it.
_ROOT = None
if not (os.environ.get("JITNET_CACHE_DIR") and os.environ.get("JITNET_CACHE_KEY_FILE")):
    _ROOT = tempfile.mkdtemp(prefix="jitnet-test-")
    os.environ.setdefault("JITNET_CACHE_DIR", os.path.join(_ROOT, "cache"))
    os.environ.setdefault("JITNET_CACHE_KEY_FILE", os.path.join(_ROOT, "key", "cache.key"))
    atexit.register(shutil.rmtree, _ROOT, True)

import jitnet  # noqa: E402


def pytest_configure(config):
    if _ROOT is not None and not config.option.basetemp:
        config.option.basetemp = os.path.join(_ROOT, "pytest")


@pytest.fixture
def x64():
    """Run a test with 64-bit types enabled (restored afterwards)."""
    jitnet.config.update("jax_enable_x64", True)
    try:
        yield
    finally:
        jitnet.config.update("jax_enable_x64", False)


@pytest.fixture
def rng():
    return np.random.RandomState(0)
