"""Platforms, device placement and transfer semantics of the CUDA backend (simulator)."""
import numpy as np
import pytest

import jitnet
import jitnet.numpy as jnp
from jitnet import lax
from jitnet.runtime import devices as D
from jitnet.runtime.devices import CudaArray, CudaDevice, CpuDevice
from jitnet.trace.array import ArrayImpl


@pytest.fixture
def stats():
    """Transfer counts from zero; call it to read them."""
    D.reset_transfer_stats()
    return D.transfer_stats


@pytest.fixture
def dev():
    return jitnet.devices("cuda")[0]


def test_devices_per_platform(monkeypatch):
    monkeypatch.delenv("JITNET_PLATFORM", raising=False)
    assert jitnet.devices() == [CpuDevice(0)]
    assert jitnet.devices("cpu") == [CpuDevice(0)]
    assert jitnet.devices("cuda") == [CudaDevice(0)] == jitnet.devices("gpu")
    monkeypatch.setenv("JITNET_PLATFORM", "cuda")
    assert jitnet.devices() == [CudaDevice(0)]
    with pytest.raises(RuntimeError, match="Unknown backend"):
        jitnet.devices("tpu")


def test_device_put_and_get_count_transfers(dev, stats):
    host = np.arange(6, dtype=np.float32).reshape(2, 3)
    x = jitnet.device_put(host, dev)
    assert isinstance(x, CudaArray) and isinstance(x, jitnet.Array)
    assert x.devices() == {dev} and x.shape == (2, 3) and x.dtype == np.float32
    assert stats()["h2d"] == 1 and stats()["h2d_bytes"] == 24 and stats()["d2h"] == 0
    assert jitnet.device_put(x, dev) is x          # already there: no copy
    assert stats()["h2d"] == 1
    np.testing.assert_array_equal(np.asarray(x), host)
    assert stats()["d2h"] == 1
    got = jitnet.device_get({"a": x, "b": [x, 3]})
    assert isinstance(got["a"], np.ndarray) and got["b"][1] == 3
    assert stats()["d2h"] == 3
    back = jitnet.device_put(x, jitnet.devices("cpu")[0])
    assert type(back) is ArrayImpl and stats()["d2h"] == 4
    np.testing.assert_array_equal(np.asarray(back), host)


def test_device_put_keeps_weak_types(dev):
    s = jitnet.device_put(1.5, dev)
    assert s.dtype == np.float32 and s.weak_type and s.shape == ()
    y = s * np.ones(3, np.float16)  # weak: takes the other operand's dtype, as in JAX
    assert isinstance(y, CudaArray) and y.dtype == np.float16
    assert float(s) == 1.5


def test_jit_keeps_results_on_the_device(dev, stats):
    f = jitnet.jit(lambda x, y: jnp.tanh(x @ y) + 1.0)
    a = jitnet.device_put(np.random.RandomState(0).randn(3, 4).astype(np.float32), dev)
    b = jitnet.device_put(np.random.RandomState(1).randn(4, 2).astype(np.float32), dev)
    D.reset_transfer_stats()
    c = f(a, b)
    d = jitnet.jit(lambda u: u * 2.0)(c)
    e = jitnet.jit(lambda u, v: u * v)(c, d)
    assert isinstance(e, CudaArray) and e.devices() == {dev}
    assert stats() == {"h2d": 0, "d2h": 0, "h2d_bytes": 0, "d2h_bytes": 0, "control": 0}
    want = np.tanh(np.asarray(a) @ np.asarray(b)) + 1.0
    # atol: 1 + tanh cancels near -1, where a GPU's float32 tanh and NumPy's differ by an ulp
    np.testing.assert_allclose(np.asarray(e), 2 * want * want, rtol=1e-5, atol=1e-6)


def test_host_inputs_and_captured_constants_are_copied_once(dev, stats):
    w = np.random.RandomState(0).randn(4, 4).astype(np.float32)
    f = jitnet.jit(lambda x: x @ w, backend="cuda")   # w: a captured host constant
    x = np.ones((2, 4), np.float32)
    for _ in range(3):
        y = f(x)                                      # x: a host input, every call
    assert isinstance(y, CudaArray)
    assert stats()["h2d"] == 3 + 1 and stats()["d2h"] == 0
    np.testing.assert_allclose(np.asarray(y), x @ w, rtol=1e-5)


def test_captured_device_arrays_are_not_copied(dev, stats):
    w = jitnet.device_put(np.eye(3, dtype=np.float32) * 2, dev)
    D.reset_transfer_stats()
    f = jitnet.jit(lambda x: x @ w)
    y = f(jitnet.device_put(np.ones((1, 3), np.float32), dev))
    assert stats()["h2d"] == 1 and stats()["d2h"] == 0  # only the explicit device_put
    np.testing.assert_allclose(np.asarray(y), [[2, 2, 2]])


def test_eager_ops_on_device_arrays_run_on_the_device(dev, stats):
    host = np.random.RandomState(0).randn(3, 4).astype(np.float32)
    x = jitnet.device_put(host, dev)
    y = jitnet.device_put(np.arange(4, dtype=np.float32), dev)
    D.reset_transfer_stats()
    results = {
        "add": (x + y, host + np.arange(4)),
        "scalar": (x * 2.0 - 1, host * 2 - 1),
        "sin": (jnp.sin(x), np.sin(host)),
        "sum": (jnp.sum(x, axis=1), host.sum(1)),
        "slice": (x[1:, ::2], host[1:, ::2]),
        "transpose": (x.T, host.T),
        "matmul": (x @ y, host @ np.arange(4, dtype=np.float32)),
        "argmax": (jnp.argmax(x, axis=0), host.argmax(0)),
        "softmax": (jitnet.nn.softmax(x), np.exp(host) / np.exp(host).sum(-1, keepdims=True)),
        "sort": (jnp.sort(x, axis=1), np.sort(host, axis=1)),
    }
    assert stats()["h2d"] == 0 and stats()["d2h"] == 0
    for name, (got, want) in results.items():
        assert isinstance(got, CudaArray), name
        np.testing.assert_allclose(np.asarray(got), want, rtol=1e-5, atol=1e-6, err_msg=name)


def test_eager_device_op_is_compiled_once(dev):
    x = jitnet.device_put(np.ones(5, np.float32), dev)
    jnp.exp(x)
    n = len(D._eager_cache)
    for _ in range(3):
        jnp.exp(x)
    assert len(D._eager_cache) == n


def test_grad_at_device_arrays(dev, stats):
    def loss(w, x):
        return jnp.sum(jnp.tanh(x @ w) ** 2)
    w = np.random.RandomState(0).randn(3, 2).astype(np.float32)
    x = np.random.RandomState(1).randn(4, 3).astype(np.float32)
    want = np.asarray(jitnet.grad(loss)(w, x))
    dw, dx = (jitnet.device_put(v, dev) for v in (w, x))
    D.reset_transfer_stats()
    g = jitnet.jit(jitnet.grad(loss))(dw, dx)
    assert stats()["h2d"] == 0 and stats()["d2h"] == 0
    # eager: the device values never leave the device; the seed cotangent, broadcast on the
    # host (all its operands are host values), is copied in once
    g2 = jitnet.grad(loss)(dw, dx)
    assert stats()["d2h"] == 0 and stats()["h2d"] == 1
    for got in (g, g2):
        assert isinstance(got, CudaArray)
        np.testing.assert_allclose(np.asarray(got), want, rtol=1e-5, atol=1e-6)


def test_jitnet_platform_makes_cuda_the_default(monkeypatch, stats):
    monkeypatch.setenv("JITNET_PLATFORM", "cuda")
    y = jitnet.jit(lambda x: x * 2)(np.ones(3, np.float32))
    assert isinstance(y, CudaArray) and stats()["h2d"] == 1
    assert isinstance(jitnet.device_put(np.ones(2)), CudaArray)  # default device: cuda
    monkeypatch.setenv("JITNET_PLATFORM", "cpu")
    assert not isinstance(jitnet.jit(lambda x: x * 2)(np.ones(3, np.float32)), CudaArray)


def test_cpu_jit_refuses_device_arrays(dev):
    x = jitnet.device_put(np.ones(3, np.float32), dev)
    with pytest.raises(ValueError, match="device_get"):
        jitnet.jit(lambda v: v + 1, backend="cpu")(x)


def test_loop_predicates_are_the_only_reads(dev, stats):
    def collatz(n):
        return lax.while_loop(lambda c: c[0] != 1, lambda c: (
            jnp.where(c[0] % 2 == 0, c[0] // 2, 3 * c[0] + 1), c[1] + 1), (n, 0))[1]
    n = jitnet.device_put(np.int32(6), dev)
    D.reset_transfer_stats()
    k = jitnet.jit(collatz)(n)
    assert stats()["control"] == 9 and stats()["d2h"] == 0  # 8 steps: 9 predicate reads
    assert int(k) == 8
    xs = jitnet.device_put(np.ones((4, 2), np.float32), dev)
    D.reset_transfer_stats()
    jitnet.jit(lambda xs: lax.scan(lambda c, x: (c + x, c), jnp.zeros(2), xs))(xs)
    assert stats() == {"h2d": 0, "d2h": 0, "h2d_bytes": 0, "d2h_bytes": 0, "control": 0}


def test_repr_and_conversions_copy_explicitly(dev, stats):
    x = jitnet.device_put(np.array([1.5, 2.0], np.float32), dev)
    D.reset_transfer_stats()
    assert "device=CudaDevice(id=0)" in repr(x) and stats()["d2h"] == 1
    assert x.tolist() == [1.5, 2.0] and len(x) == 2 and stats()["d2h"] == 2
    rows = list(x)
    assert all(isinstance(r, CudaArray) and r.shape == () for r in rows)
    assert float(rows[1]) == 2.0
    c = x.copy()
    assert isinstance(c, CudaArray) and c._buf is not x._buf
    assert x.block_until_ready() is x


def test_linalg_is_cpu_only_with_a_clear_error():
    a = np.eye(3, dtype=np.float32) * 2
    with pytest.raises(NotImplementedError, match="'cholesky'.*backend='cpu'"):
        jitnet.jit(lambda m: lax.linalg.cholesky(m), backend="cuda")(a)


def test_kernel_failure_names_the_kernel_and_user_line(monkeypatch):
    import jitnet.runtime.cuda_math as cm

    def boom(x):
        raise ZeroDivisionError("boom")
    monkeypatch.setattr(cm, "jn_tanh_f32", boom)  # read when the generated module is imported

    def f(x):
        return jnp.tanh(x * 1.23456789) + 1.0  # a program text no other test compiles

    from jitnet.runtime.cuda_backend import JitCompileError
    # the simulator runs the Python helper (ZeroDivisionError); a GPU cannot type it
    with pytest.raises(JitCompileError, match=r"kernel loop\[3\]\(mul, tanh, add\).*"
                       r"test_cuda_devices.py.*(ZeroDivisionError|TypingError)"):
        jitnet.jit(f, backend="cuda")(np.ones(3, np.float32))
