"""The profiler on the CUDA backend (simulator): host-device copies are their own kind, one
span per copy, matching the runtime's transfer counts."""
import numpy as np

import jitnet
import jitnet.numpy as jnp
from jitnet import profiler
from jitnet.runtime import devices as D


def test_transfers_are_profiled():
    w = np.random.RandomState(0).randn(4, 4).astype(np.float32)
    f = jitnet.jit(lambda x: jnp.tanh(x @ w), backend="cuda")
    x = np.ones((2, 4), np.float32)
    f(x)                                   # compiled outside the recording
    D.reset_transfer_stats()
    p = profiler.Profiler()
    with p:
        for _ in range(3):
            y = np.asarray(f(x))           # one copy in, one copy out per call
    np.testing.assert_allclose(y, np.tanh(x @ w), rtol=1e-5)
    assert D.transfer_stats()["h2d"] == 3 and D.transfer_stats()["d2h"] == 3
    assert p.counts["transfer"] == 6 and p.totals["transfer"] > 0
    assert p.transfers["h2d_bytes"] == 3 * x.nbytes and p.transfers["d2h"] == 3
    names = sorted(e[1] for e in p.events if e[0] == "transfer")
    assert names == ["device_to_host"] * 3 + ["host_to_device"] * 3
    assert "host->device copies: 3" in p.summary()
