import os
import tempfile

import numpy as np
import pytest

# compiled code goes to a fresh cache per test session unless the caller chose one
os.environ.setdefault("JITNET_CACHE_DIR", tempfile.mkdtemp(prefix="jitnet-test-cache-"))

import jitnet  # noqa: E402


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
