"""User-facing errors: clear messages naming the op, the shapes, the fix and the user's line."""
import numpy as np
import pytest

import jitnet as jax
import jitnet.numpy as jnp
from jitnet import lax


def test_broadcast_error_names_op_and_shapes():
    with pytest.raises(ValueError, match=r"add: incompatible shapes for broadcasting: \(3,\) "
                                         r"and \(4,\).*test_errors.py"):
        jnp.add(jnp.ones(3), jnp.ones(4))
    with pytest.raises(ValueError, match=r"add: incompatible shapes.*\(3,\) and \(4,\)"):
        jax.make_jaxpr(lambda a, b: a + b)(jnp.ones(3), jnp.ones(4))


def test_lax_dtype_mismatch():
    with pytest.raises(TypeError, match="add requires arguments to have the same dtypes"):
        lax.add(jnp.ones(3), jnp.ones(3, jnp.int32))


def test_reshape_names_source_shape():
    with pytest.raises(ValueError, match=r"reshape.*\(3, 4\)"):
        jnp.ones((3, 4)).reshape(5, 3)


def test_bool_of_tracer_names_fix_and_line():
    def f(x):
        if x > 0:
            return x
        return -x
    with pytest.raises(jax.TracerBoolConversionError) as e:
        jax.jit(jax.grad(f))(1.0)  # grad alone sees the value (tests/api/test_eager_control_flow.py)
    msg = str(e.value)
    assert "lax.cond" in msg and "static_argnums" in msg and "jnp.where" in msg
    assert "test_errors.py" in msg and "argument x" in msg and "grad inside jit" in msg


def test_int_and_float_of_tracer():
    with pytest.raises(jax.TracerIntegerConversionError, match="static_argnums"):
        jax.vmap(lambda x: jnp.zeros(int(x)))(jnp.ones(3))
    with pytest.raises(jax.ConcretizationTypeError, match="float"):
        jax.grad(lambda x: float(x))(1.0)


def test_numpy_on_tracer():
    with pytest.raises(jax.TracerArrayConversionError, match="jitnet.numpy"):
        jax.grad(lambda x: np.sin(x))(1.0)


def test_escaped_tracer_names_origin():
    leaked = []

    def f(x):
        y = jnp.sin(x)
        leaked.append(y)
        return y

    jax.grad(f)(1.0)
    with pytest.raises(jax.UnexpectedTracerError, match="escaped tracer.*test_errors.py"):
        leaked[0] + 1.0
    with pytest.raises(jax.UnexpectedTracerError):
        jax.grad(lambda x: x * leaked[0])(2.0)


def test_too_many_indices_and_bad_index():
    with pytest.raises(IndexError, match="too many indices"):
        jnp.ones((2, 2))[0, 0, 0]
    with pytest.raises(IndexError, match="out of bounds"):
        jnp.ones(3)[5]
    with pytest.raises(TypeError, match="integer or boolean"):
        jnp.ones(3)[jnp.ones(1)]


def test_traced_boolean_mask_error():
    with pytest.raises(IndexError, match="jnp.where"):
        jax.jit(jax.grad(lambda x: jnp.sum(x[x > 0])))(jnp.ones(3))


def test_lists_rejected_by_ufuncs():
    with pytest.raises(TypeError, match="asarray"):
        jnp.sin([1.0, 2.0])


@pytest.mark.parametrize("mode", ["eager", "jit", "grad"])
def test_impossible_allocation_fails_at_once(mode):
    """A 4 TB array used to be a lazy broadcast that ``sum`` (or a fused compiled loop) then
    walked for minutes; it is a MemoryError naming the shape and the line, before any work."""
    import time
    f = lambda x: jnp.zeros((10**6, 10**6)).sum() * x  # noqa: E731
    run = {"eager": f, "jit": jax.jit(f), "grad": jax.grad(f)}[mode]
    start = time.perf_counter()
    with pytest.raises(MemoryError, match=r"\(1000000, 1000000\).*float32.*test_errors.py"):
        run(1.0)
    assert time.perf_counter() - start < 5.0


def test_allocation_limit_is_the_machine_memory(monkeypatch):
    from jitnet.core import aval
    monkeypatch.setattr(aval, "MEMORY_BYTES", 4000)
    jnp.ones(1000)  # exactly 4000 bytes: fine
    with pytest.raises(MemoryError, match=r"iota: .*\(1001,\) and dtype int32"):
        jnp.arange(1001)
