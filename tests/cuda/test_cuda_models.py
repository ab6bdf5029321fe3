"""Whole programs on the CUDA platform against the reference interpreter: training steps of an MLP, a scan RNN
and a small CNN, and the control-flow programs of tests/runtime/test_lower_control.py
(simulator, small sizes)."""
import numpy as np
import pytest

import jitnet
from jitnet.runtime import devices as D
from jitnet.runtime.devices import CudaArray

from cuda_programs import PROGRAMS, mlp_args, mlp_loss, sgd



def _close(got, want, tol=5e-5):
    got, want = jitnet.tree_leaves(got), jitnet.tree_leaves(want)
    assert len(got) == len(want)
    for g, w in zip(got, want):
        assert isinstance(g, CudaArray)
        g, w = np.asarray(g), np.asarray(w)
        assert g.shape == w.shape and g.dtype == w.dtype
        np.testing.assert_allclose(g, w, rtol=tol, atol=tol)


@pytest.mark.parametrize("name,fun,make", PROGRAMS, ids=[p[0] for p in PROGRAMS])
def test_program_matches_the_reference(name, fun, make):
    """The reference is the interpreter (the primitives' NumPy implementations), which the
    CPU backend is tested against too; compiling each program for the CPU here as well cost
    a third of this folder's time."""
    args = make(np.random.RandomState(0))
    got = jitnet.jit(fun, backend="cuda")(*args)
    _close(got, jitnet.jit(fun, backend="interpreter")(*args))


def test_training_stays_on_the_device():
    """Three SGD steps with parameters and data on the device: no transfer until the end,
    and the same parameters as the CPU backend."""
    params, x, y = mlp_args(np.random.RandomState(1))
    step = jitnet.jit(sgd(mlp_loss))
    cpu_params = params
    for _ in range(3):
        cpu_params, cpu_loss = jitnet.jit(sgd(mlp_loss), backend="cpu")(cpu_params, x, y)
    dev = jitnet.devices("cuda")[0]
    p, dx, dy = jitnet.device_put((params, x, y), dev)
    D.reset_transfer_stats()
    for _ in range(3):
        p, loss = step(p, dx, dy)
    assert D.transfer_stats()["h2d"] == 0 and D.transfer_stats()["d2h"] == 0
    _close(p, cpu_params, tol=1e-5)
    np.testing.assert_allclose(float(loss), float(cpu_loss), rtol=1e-5)
