import numpy as np
import pytest

import jitnet


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
