"""The tiered start stays off on the CUDA backend: a CUDA program compiles as before,
without the interpreter or the compile server (simulator)."""
import numpy as np

import jitnet
import jitnet.numpy as jnp
from jitnet.runtime import compile_log, compile_server


def test_cuda_programs_are_not_tiered(monkeypatch):
    def no_server():
        raise AssertionError("the compile server was asked for")

    monkeypatch.setattr(compile_server, "server", no_server)
    jitnet.config.update("jit_tiered", True)
    try:
        before = compile_log.counts["interpret"]
        x = np.linspace(0, 1, 7, dtype=np.float32)
        y = jitnet.jit(lambda v: jnp.cos(v) * 3.0, backend="cuda")(x)
        np.testing.assert_allclose(np.asarray(y), np.cos(x) * 3.0, rtol=1e-6)
        assert compile_log.counts["interpret"] == before
    finally:
        jitnet.config.update("jit_tiered", False)
