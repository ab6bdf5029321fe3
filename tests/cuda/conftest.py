"""CUDA tests run under Numba's CUDA simulator (no GPU needed): it must be switched on before
numba.cuda is first imported, so it is set here, for the whole test process (CPU tests do not
use numba.cuda). With ``JITNET_CUDA_DEVICE=1`` they run on the machine's GPU instead."""
import os
import sys

# JITNET_CUDA_DEVICE=1 runs the same tests on a real GPU (no simulator): tests that scale
# their sizes with it (``REAL_GPU``) then also take the larger ones
REAL_GPU = os.environ.get("JITNET_CUDA_DEVICE") == "1"
if not REAL_GPU:
    os.environ["NUMBA_ENABLE_CUDASIM"] = "1"
    if "numba" in sys.modules:  # numba read its configuration already: re-read it
        import numba.core.config
        numba.core.config.reload_config()
    assert "numba.cuda" not in sys.modules or sys.modules["numba"].config.ENABLE_CUDASIM, \
        "numba.cuda was imported before the simulator could be enabled"

# this folder's helper module (cuda_programs) is imported by name
sys.path.insert(0, os.path.dirname(__file__))


def pytest_collection_modifyitems(config, items):
    """Every test here runs Numba's CUDA simulator (slow: `make test-fast` skips them)."""
    import pytest
    here = os.path.dirname(os.path.abspath(__file__)) + os.sep
    for item in items:
        if str(item.path).startswith(here):
            item.add_marker(pytest.mark.slow)
