import atexit
import contextlib
import json
import os
import shutil
import tempfile
import zlib

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


# Scheduling: files run heaviest first, by the CPU (the worker's and its subprocesses') of a
# recorded cold run (``file_costs.json``: ``benchmarks/suite_profile.py --costs``; files run
# cold on their own merged in with ``--update``), so that pytest-xdist's
# workers end on short tests and neither idles long while the other finishes a compile; a
# file not recorded yet counts as heavy. Within a file the order is the file's own.
# (``--dist worksteal`` splits the list in two halves by count, so its run ends where gw0's
# queue and gw1's steals meet, on medium tests: benchmarks/RESULTS.md, suite.)
# (``--dist loadfile`` keeps a file's shared functions in one worker, but measured no gain
# over the default in a full run: benchmarks/RESULTS.md, suite14; it also works with it, with
# ``--no-loadscope-reorder``.)
_COSTS = os.path.join(os.path.dirname(__file__), "file_costs.json")


def pytest_collection_modifyitems(session, config, items):
    try:
        with open(_COSTS) as f:
            costs = json.load(f)
    except OSError:
        return
    here = os.path.dirname(__file__)
    first, cost = {}, {}
    for i, item in enumerate(items):
        path = os.path.relpath(str(item.path), here).replace(os.sep, "/")
        first.setdefault(path, i)
        cost[item] = (-costs.get(path, float("inf")), first[path])
    items.sort(key=cost.__getitem__)


@contextlib.contextmanager
def _on_interpreter():
    old = os.environ.get("JITNET_BACKEND")
    os.environ["JITNET_BACKEND"] = "interpreter"
    try:
        yield
    finally:
        if old is None:
            del os.environ["JITNET_BACKEND"]
        else:
            os.environ["JITNET_BACKEND"] = old


@pytest.fixture(scope="session")
def interpreter():
    """``with interpreter():`` runs the jitted programs first called within it on the NumPy
    reference interpreter (``JITNET_BACKEND``, inherited by subprocesses), so they compile
    nothing: for reference runs, and for framework semantics whose compiled path another
    test covers (a compile is seconds of the suite's time; a test says which covers it)."""
    return _on_interpreter


@pytest.fixture
def x64():
    """Run a test with 64-bit types enabled (the previous setting restored afterwards)."""
    with jitnet.enable_x64():
        yield


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


@pytest.fixture
def generator(request):
    """A NumPy ``Generator`` seeded from the test's node id without its parameters
    (``tests/x.py::test_f``): each test draws the same inputs whatever ran before it, in
    whichever pytest-xdist worker, unlike a module-level generator shared between tests,
    and a parametrized test draws the same inputs for each of its parameters."""
    nodeid = request.node.nodeid.partition("[")[0]
    return np.random.default_rng(zlib.crc32(nodeid.encode()))
