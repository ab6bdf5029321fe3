"""Equinox runs unchanged on jitnet (``import jax`` aliased): its modules, filtered
transformations, ``tree_at``, and training with Optax, against NumPy float64 references."""
import importlib.util

import numpy as np
import pytest

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("equinox") is None or importlib.util.find_spec("optax") is None,
    reason="equinox/optax are not installed (the 'ecosystem' extra, see the Makefile)")

_IMPORT_RNG = np.random.RandomState(1)
X = _IMPORT_RNG.randn(6, 3).astype(np.float32)
T = _IMPORT_RNG.randn(6, 2).astype(np.float32)


@pytest.fixture(scope="module")
def mods(aliased):
    return aliased("jax"), aliased("jax.numpy"), aliased("equinox"), aliased("optax")


def np_mlp_loss_grad(W1, b1, W2, b2):
    """Loss mean((tanh(x W1^T + b1) W2^T + b2 - t)^2) and its gradients, in float64."""
    x, t = X.astype(np.float64), T.astype(np.float64)
    h = np.tanh(x @ W1.T + b1)
    o = h @ W2.T + b2
    d_o = 2 * (o - t) / o.size
    dz = (d_o @ W2) * (1 - h ** 2)
    return np.mean((o - t) ** 2), (dz.T @ x, dz.sum(0), d_o.T @ h, d_o.sum(0))


def test_mlp_training_with_optax_matches_numpy(mods):
    jax, jnp, eqx, optax = mods
    model = eqx.nn.MLP(3, 2, width_size=8, depth=1, activation=jnp.tanh,
                       key=jax.random.PRNGKey(0))
    params = [np.asarray(a, np.float64) for a in
              (model.layers[0].weight, model.layers[0].bias,
               model.layers[1].weight, model.layers[1].bias)]

    @eqx.filter_value_and_grad
    def loss(m, x, t):
        return jnp.mean((jax.vmap(m)(x) - t) ** 2)

    opt = optax.adam(0.05)
    state = opt.init(eqx.filter(model, eqx.is_array))

    @eqx.filter_jit
    def step(m, s, x, t):
        val, g = loss(m, x, t)
        updates, s = opt.update(g, s, eqx.filter(m, eqx.is_array))
        return eqx.apply_updates(m, updates), s, val

    got = []
    for _ in range(5):
        model, state, val = step(model, state, X, T)
        got.append(float(val))
    # the same five Adam steps in float64
    m = [np.zeros_like(p) for p in params]
    v = [np.zeros_like(p) for p in params]
    want = []
    for i in range(1, 6):
        val, grads = np_mlp_loss_grad(*params)
        want.append(val)
        for j, g in enumerate(grads):
            m[j] = 0.9 * m[j] + 0.1 * g
            v[j] = 0.999 * v[j] + 0.001 * g ** 2
            params[j] = params[j] - 0.05 * (m[j] / (1 - 0.9 ** i)) / (
                np.sqrt(v[j] / (1 - 0.999 ** i)) + 1e-8)
    np.testing.assert_allclose(got, want, rtol=1e-5)
    np.testing.assert_allclose(model.layers[1].weight, params[2], rtol=1e-4, atol=1e-6)


def test_filter_grad_tree_at_and_linear(mods):
    jax, jnp, eqx, _ = mods
    lin = eqx.nn.Linear(3, 4, key=jax.random.PRNGKey(1))
    w, b = np.asarray(lin.weight, np.float64), np.asarray(lin.bias, np.float64)
    np.testing.assert_allclose(lin(X[0]), w @ X[0] + b, rtol=1e-5)
    # d/dW sum(sin(W x + b)) = cos(W x + b) x^T; the static parts of the module pass through
    g = eqx.filter_grad(lambda m, x: jnp.sum(jnp.sin(m(x))))(lin, X[0])
    c = np.cos(w @ X[0] + b)
    np.testing.assert_allclose(g.weight, np.outer(c, X[0]), rtol=1e-5)
    np.testing.assert_allclose(g.bias, c, rtol=1e-5)
    assert g.in_features == 3
    zeroed = eqx.tree_at(lambda m: m.bias, lin, jnp.zeros(4))
    np.testing.assert_allclose(zeroed(X[0]), w @ X[0], rtol=1e-5)
    np.testing.assert_allclose(lin.bias, b)                 # the original is unchanged


def test_conv2d_matches_numpy(mods, generator):
    jax, jnp, eqx, _ = mods
    conv = eqx.nn.Conv2d(2, 3, kernel_size=3, padding=1, key=jax.random.PRNGKey(2))
    img = generator.standard_normal((2, 5, 4)).astype(np.float32)
    w, b = np.asarray(conv.weight, np.float64), np.asarray(conv.bias, np.float64)
    padded = np.pad(img.astype(np.float64), ((0, 0), (1, 1), (1, 1)))
    want = np.empty((3, 5, 4))
    for i in range(5):
        for j in range(4):
            want[:, i, j] = np.einsum("oikl,ikl->o", w, padded[:, i:i + 3, j:j + 3])
    want += b
    np.testing.assert_allclose(eqx.filter_jit(conv)(img), want, rtol=1e-5, atol=1e-6)


def test_batchnorm_over_a_named_vmap_axis(mods):
    """eqx.nn.BatchNorm reduces over the batch with lax.pmean under vmap(axis_name=...)."""
    jax, jnp, eqx, _ = mods
    bn, state = eqx.nn.make_with_state(eqx.nn.BatchNorm)(3, "batch", mode="batch")
    out, state = jax.vmap(bn, axis_name="batch", in_axes=(0, None), out_axes=(0, None))(X, state)
    x64 = X.astype(np.float64)
    want = (x64 - x64.mean(0)) / np.sqrt(x64.var(0) + 1e-5)
    np.testing.assert_allclose(out, want, rtol=1e-4, atol=1e-5)
