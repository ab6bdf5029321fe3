import atexit
import os
import shutil
import tempfile

import numpy as np
import pytest

import jitnet

# every compiler pass's result is checked by the IR verifier (jitnet/compiler/pipeline.py)
jitnet.config.update("verify_ir", True)

# The compile cache of the suite. Compiled code is content-addressed (a program's text and
# the environment name its files), so runs can share it: it lives in pytest's cache
# directory (.pytest_cache/d/jitnet, git-ignored; `pytest --cache-clear` empties it), with
# its signing key beside it, and a second run loads instead of compiling. Tests of the cache
# itself (eviction, clearing, corruption, security) make directories of their own. Without
# pytest's cache (`-p no:cacheprovider`) the run is hermetic: compiled code, the key and
# pytest's temporary directories go to one fresh directory, removed at exit by the process
# that made it. A caller's JITNET_CACHE_DIR and JITNET_CACHE_KEY_FILE win over both;
# pytest-xdist workers inherit the controller's choice through the environment.
_CALLER_CHOSE = bool(os.environ.get("JITNET_CACHE_DIR")
                     and os.environ.get("JITNET_CACHE_KEY_FILE"))


def pytest_configure(config):
    if _CALLER_CHOSE:  # (xdist workers too: the controller set both before starting them)
        return
    cache = getattr(config, "cache", None)
    if cache is not None:
        base = str(cache.mkdir("jitnet"))
    else:
        base = tempfile.mkdtemp(prefix="jitnet-test-")
        atexit.register(shutil.rmtree, base, True)
        if not config.option.basetemp:
            config.option.basetemp = os.path.join(base, "pytest")
    os.environ["JITNET_CACHE_DIR"] = os.path.join(base, "cache")
    os.environ["JITNET_CACHE_KEY_FILE"] = os.path.join(base, "key", "cache.key")


@pytest.fixture
def x64():
    """Run a test with 64-bit types enabled (the previous setting restored afterwards)."""
    old = jitnet.config.read("jax_enable_x64")
    jitnet.config.update("jax_enable_x64", True)
    try:
        yield
    finally:
        jitnet.config.update("jax_enable_x64", old)


@pytest.fixture(params=[np.float32, np.float64], ids=["f32", "f64"])
def dtype(request):
    """The float dtype under test; float64 turns x64 on for the test and restores it."""
    old = jitnet.config.read("jax_enable_x64")
    jitnet.config.update("jax_enable_x64", request.param == np.float64)
    yield request.param
    jitnet.config.update("jax_enable_x64", old)


@pytest.fixture
def rng():
    return np.random.RandomState(0)
