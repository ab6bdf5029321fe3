"""Small versions of the programs issue 19 names (Gaussian-process regression with
``scipy.linalg``/``scipy.stats``/``flatten_util``/``optimizers``, a VAE built with ``stax``,
a neural ODE), written once against the JAX API and run with jitnet in place of JAX. They
run eagerly, to keep the suite's compile time down (tests/api covers jit).

The expected numbers are JAX 0.10.2's (CPU, float32) for the same programs, recorded with
``python tests/example_libraries/test_published_programs.py`` where JAX is installed.
"""
import numpy as np
import pytest


def gp_regression(jax, jnp, optimizers, ravel_pytree):
    rs = np.random.RandomState(0)
    X = rs.randn(12, 2).astype(np.float32)
    y = (np.sin(X[:, 0]) + 0.1 * rs.randn(12)).astype(np.float32)

    def nll(params):
        amp, ls, noise = jnp.exp(params["amp"]), jnp.exp(params["ls"]), jnp.exp(params["noise"])
        d = jnp.sum((X[:, None] - X[None]) ** 2, -1)
        K = amp * jnp.exp(-0.5 * d / ls ** 2) + (noise + 1e-6) * jnp.eye(12)
        L = jax.scipy.linalg.cholesky(K, lower=True)
        alpha = jax.scipy.linalg.cho_solve((L, True), y)
        return (0.5 * y @ alpha + jnp.sum(jnp.log(jnp.diag(L))) + 6 * jnp.log(2 * jnp.pi)
                - jnp.sum(jax.scipy.stats.norm.logpdf(params["ls"], 0.0, 1.0)))

    p = {"amp": jnp.array(0.1), "ls": jnp.array(-0.2), "noise": jnp.array(-2.0)}
    flat, unravel = ravel_pytree(p)
    opt_init, opt_update, get_params = optimizers.adam(0.05)
    step = lambda i, s: opt_update(  # noqa: E731  (eager: jit's compile would dominate)
        i, jax.grad(lambda f: nll(unravel(f)))(get_params(s)), s)
    state = opt_init(flat)
    for i in range(20):
        state = step(i, state)
    return float(nll(unravel(get_params(state)))), np.asarray(get_params(state))


def vae(jax, jnp, stax, optimizers):
    random = jax.random
    enc_init, enc = stax.serial(stax.Dense(16), stax.Softplus, stax.FanOut(2),
                                stax.parallel(stax.Dense(3), stax.Dense(3)))
    dec_init, dec = stax.serial(stax.Dense(16), stax.Relu, stax.Dense(8), stax.Sigmoid)
    k1, k2 = random.split(random.PRNGKey(0))
    _, pe = enc_init(k1, (-1, 8))
    _, pd = dec_init(k2, (-1, 3))
    data = (np.random.RandomState(1).rand(5, 8) > 0.5).astype(np.float32)

    def neg_elbo(params, key):
        pe, pd = params
        mu, logvar = enc(pe, data)
        z = mu + jnp.exp(0.5 * logvar) * random.normal(key, mu.shape)
        probs = jnp.clip(dec(pd, z), 1e-6, 1 - 1e-6)
        ll = jnp.sum(data * jnp.log(probs) + (1 - data) * jnp.log1p(-probs))
        kl = 0.5 * jnp.sum(jnp.exp(logvar) + mu ** 2 - 1 - logvar)
        return -(ll - kl) / 5

    opt_init, opt_update, get_params = optimizers.momentum(0.01, 0.9)
    def update(i, s, k):
        return opt_update(i, jax.grad(neg_elbo)(get_params(s), k), s)
    state, key = opt_init((pe, pd)), random.PRNGKey(1)
    for i in range(10):
        key, sub = random.split(key)
        state = update(i, state, sub)
    return float(neg_elbo(get_params(state), random.PRNGKey(5)))


def neural_ode(jax, jnp, odeint):
    rs = np.random.RandomState(2)
    w = {"a": jnp.asarray(rs.randn(2, 4).astype(np.float32) * 0.5),
         "b": jnp.asarray(rs.randn(4, 2).astype(np.float32) * 0.5)}

    def loss(w):
        ys = odeint(lambda y, t: jnp.tanh(y @ w["a"]) @ w["b"], jnp.array([0.5, -0.3]),
                    jnp.linspace(0.0, 1.0, 3))
        return jnp.sum((ys[-1] - jnp.array([0.1, 0.2])) ** 2)
    return float(loss(w)), np.asarray(jax.grad(loss)(w)["a"])


# JAX's own eager and jitted runs of gp_regression differ by 4e-6 (relative): float32 rounding
# over 20 steps of a Cholesky-based objective, hence the tolerance of its test
JAX_GP = (3.6845149993896484, [-0.801902, 0.7505494, -3.0297143])
JAX_VAE = 6.32097864151001
JAX_ODE = (0.3485278785228729, [[-0.20238827, -0.11919073, 0.10284169, 0.17241853],
                                [0.07650054, 0.03542572, -0.03507331, -0.06094445]])


@pytest.fixture(scope="module")
def api():
    import jitnet
    import jitnet.numpy as jnp
    from jitnet.example_libraries import optimizers, stax
    from jitnet.experimental.ode import odeint
    from jitnet.flatten_util import ravel_pytree
    return jitnet, jnp, stax, optimizers, odeint, ravel_pytree


def test_gp_regression(api):
    jax, jnp, _, optimizers, _, ravel_pytree = api
    value, params = gp_regression(jax, jnp, optimizers, ravel_pytree)
    np.testing.assert_allclose(value, JAX_GP[0], rtol=1e-5)
    np.testing.assert_allclose(params, JAX_GP[1], rtol=1e-5)


def test_vae(api):
    jax, jnp, stax, optimizers, _, _ = api
    np.testing.assert_allclose(vae(jax, jnp, stax, optimizers), JAX_VAE, rtol=2e-6)


def test_neural_ode(api):
    jax, jnp, _, _, odeint, _ = api
    value, grad_a = neural_ode(jax, jnp, odeint)
    np.testing.assert_allclose(value, JAX_ODE[0], rtol=1e-5)
    np.testing.assert_allclose(grad_a, JAX_ODE[1], rtol=1e-4, atol=1e-6)


if __name__ == "__main__":  # record the references with JAX
    import jax
    import jax.numpy as jnp
    import jax.scipy.linalg  # noqa: F401
    import jax.scipy.stats  # noqa: F401
    from jax.example_libraries import optimizers, stax
    from jax.experimental.ode import odeint
    from jax.flatten_util import ravel_pytree
    print("JAX", jax.__version__)
    print("gp", gp_regression(jax, jnp, optimizers, ravel_pytree))
    print("vae", vae(jax, jnp, stax, optimizers))
    print("ode", neural_ode(jax, jnp, odeint))
