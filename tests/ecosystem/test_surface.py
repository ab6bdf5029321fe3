"""The JAX names that ecosystem libraries import (``jax.typing``, ``jax.sharding``,
``jnp.vectorize``...) and the module alias itself."""
import sys

import numpy as np
import pytest

import jitnet
import jitnet.numpy as jnp
from jitnet import compat


def test_alias_resolves_and_restores():
    before = sys.modules.get("jax")
    with compat.jax_alias() as jax:
        import jax.numpy as aliased_jnp
        import jax.scipy.stats.norm as norm
        from jax.tree_util import DictKey, GetAttrKey  # noqa: F401
        assert jax is jitnet and aliased_jnp is jnp
        assert norm is jitnet.scipy.stats.norm
        assert jnp.__spec__.name == "jitnet.numpy"       # the jitnet module is untouched
        import jax.errors
        assert jax.errors.UnexpectedTracerError is jitnet.UnexpectedTracerError
        with pytest.raises(ModuleNotFoundError, match="jax.no_such_module"):
            import jax.no_such_module  # noqa: F401
    assert sys.modules.get("jax") is before
    assert not hasattr(jitnet, "errors")                 # private names leave no trace
    assert "jax.numpy" not in sys.modules or sys.modules["jax.numpy"] is not jnp


def test_typing_names():
    from jitnet.typing import ArrayLike, DTypeLike
    assert jitnet.Array in ArrayLike.__args__ and float in ArrayLike.__args__
    assert np.dtype in DTypeLike.__args__


def test_sharding_on_one_device():
    from jitnet.sharding import Mesh, NamedSharding, PartitionSpec, SingleDeviceSharding
    x = jnp.ones((4, 2))
    assert x.sharding == SingleDeviceSharding(jitnet.devices()[0])
    assert x.sharding.shard_shape(x.shape) == (4, 2) and x.sharding.is_fully_replicated()
    mesh = Mesh(np.array(jitnet.devices()[:1]).reshape(1, 1), ("data", "model"))
    s = NamedSharding(mesh, PartitionSpec("data", None))
    assert s.spec == jitnet.P("data", None) and mesh.shape == {"data": 1, "model": 1}
    assert s.shard_shape((4, 2)) == (4, 2) and not mesh.are_all_axes_explicit
    with pytest.raises(ValueError, match="'batch', not in the mesh's axes"):
        NamedSharding(mesh, PartitionSpec("batch"))
    with pytest.raises(ValueError, match="one device, got a mesh of 2"):
        Mesh(np.array(jitnet.devices()[:1] * 2), ("data",))


def test_vectorize_matches_numpy():
    rng = np.random.RandomState(0)
    a, b = rng.randn(4, 1, 3).astype(np.float32), rng.randn(5, 3).astype(np.float32)
    dot = jnp.vectorize(jnp.dot, signature="(n),(n)->()")
    np.testing.assert_allclose(dot(a, b), np.einsum("...n,...n->...", a, b), rtol=1e-5)
    f = jnp.vectorize(lambda x, y: jnp.where(x > y, x - y, 0.0))
    np.testing.assert_allclose(f(a, b), np.where(a > b, a - b, 0.0), rtol=1e-6)
    scale = jnp.vectorize(lambda x, k: x * k, excluded={1})
    np.testing.assert_allclose(jitnet.jit(lambda x: scale(x, 3.0))(b), b * 3.0, rtol=1e-6)
    with pytest.raises(ValueError, match="core dimension 'n'"):
        dot(a, np.ones((5, 4), np.float32))
    with pytest.raises(ValueError, match="not a valid gufunc signature"):
        jnp.vectorize(jnp.dot, signature="(n)(n)->()")


def test_astype_and_iscomplexobj_under_jit():
    out = jitnet.jit(lambda x: jnp.astype(x, jnp.int32) if jnp.isrealobj(x) else x)(
        jnp.asarray([1.7, -2.2]))
    np.testing.assert_array_equal(out, [1, -2])


def test_small_jax_names(tmp_path):
    x = jnp.arange(3.0)
    assert jitnet.lax.exp_p is jitnet.core.primitive.registry["exp"]
    np.testing.assert_allclose(jitnet.pmap(lambda a: a * 2)(x[None]), [[0.0, 2.0, 4.0]])
    with pytest.raises(ValueError, match="more than the 1 device"):
        jitnet.pmap(lambda a: a)(jnp.ones((2, 3)))
    with jitnet.named_scope("block"), jitnet.numpy_dtype_promotion("standard"):
        assert (x + 1).dtype == np.float32
    with pytest.raises(NotImplementedError, match="'standard'"):
        with jitnet.numpy_dtype_promotion("strict"):
            pass
    x64 = jitnet.config.read("jax_enable_x64")
    with jitnet.enable_x64():
        assert jnp.ones(2).dtype == np.float64
        with jitnet.experimental.disable_x64():
            assert jnp.ones(2).dtype == np.float32
        assert jnp.arange(3).dtype == np.int64
    assert jitnet.config.read("jax_enable_x64") == x64
    path = tmp_path / "x.npy"
    jnp.save(path, x)
    np.testing.assert_array_equal(jnp.load(path), [0.0, 1.0, 2.0])
    closed, shape = jitnet.make_jaxpr(lambda a: (a.sum(), a), return_shape=True)(x)
    assert shape[0].shape == () and shape[1].shape == (3,) and len(closed.eqns) == 1
    s = jitnet.ShapeDtypeStruct((2,), np.float32)
    assert s.sharding.device_set == {jitnet.devices()[0]}


def test_vmap_passes_unmapped_python_values_through():
    def f(a, n, op):
        assert type(n) is int                       # not traced: Python may branch on it
        return op(a[:n])
    out = jitnet.vmap(f, in_axes=(0, None, None))(jnp.ones((2, 4)), 3, jnp.sum)
    np.testing.assert_array_equal(out, [3.0, 3.0])


def test_callbacks_run_on_concrete_values_only():
    host = jitnet.pure_callback(lambda a: np.asarray(a) * 2,
                                jitnet.ShapeDtypeStruct((3,), np.float32), jnp.arange(3.0))
    np.testing.assert_array_equal(host, [0.0, 2.0, 4.0])
    with pytest.raises(NotImplementedError, match="cannot call back into Python"):
        jitnet.jit(lambda a: jitnet.experimental.io_callback(
            print, jitnet.ShapeDtypeStruct((), np.int32), 0) + a)(1)
