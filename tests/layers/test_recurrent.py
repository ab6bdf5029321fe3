"""SimpleRNN, LSTM and GRU against NumPy cells run step by step with Keras's equations."""
from __future__ import annotations

import numpy as np
import pytest

import jitnet
import jitnet.numpy as jnp
from jitnet import layers, models
from jitnet.testing import check_grads

KEY = jitnet.random.PRNGKey(0)
UNITS = 3


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


# ``m`` is the recurrent dropout multiplier on the state entering the recurrent kernel
def np_simple_rnn(x, W, U, b, m=1.0, h=None):
    h = np.zeros((x.shape[0], U.shape[0])) if h is None else h
    hs = []
    for t in range(x.shape[1]):
        h = np.tanh(x[:, t] @ W + (h * m) @ U + b)
        hs.append(h)
    return np.stack(hs, 1), (h,)


def np_lstm(x, W, U, b, m=1.0, h=None, c=None):
    n = U.shape[0]
    h = np.zeros((x.shape[0], n)) if h is None else h
    c = np.zeros((x.shape[0], n)) if c is None else c
    hs = []
    for t in range(x.shape[1]):
        z = x[:, t] @ W + (h * m) @ U + b
        i, f, g, o = (z[:, k * n:(k + 1) * n] for k in range(4))
        c = sigmoid(f) * c + sigmoid(i) * np.tanh(g)
        h = sigmoid(o) * np.tanh(c)
        hs.append(h)
    return np.stack(hs, 1), (h, c)


def np_gru(x, W, U, b, m=1.0, h=None, reset_after=True):
    n = U.shape[0]
    h = np.zeros((x.shape[0], n)) if h is None else h
    b_in, b_rec = (b[0], b[1]) if reset_after else (b, np.zeros(3 * n))
    hs = []
    for t in range(x.shape[1]):
        xz, xr, xh = np.split(x[:, t] @ W + b_in, 3, axis=1)
        Uz, Ur, Uh = np.split(U, 3, axis=1)
        bz, br, bh = np.split(b_rec, 3)
        z = sigmoid(xz + (h * m) @ Uz + bz)
        r = sigmoid(xr + (h * m) @ Ur + br)
        if reset_after:
            hh = np.tanh(xh + r * ((h * m) @ Uh + bh))
        else:
            hh = np.tanh(xh + (r * h * m) @ Uh)
        h = z * h + (1 - z) * hh
        hs.append(h)
    return np.stack(hs, 1), (h,)


@pytest.fixture(scope="module")
def x():
    return np.random.RandomState(0).randn(2, 5, 4).astype(np.float32)


def randomize_bias(layer):
    """Zero-initialised biases would hide a bias bug: give them random values."""
    b = np.random.RandomState(1).randn(*layer.bias.shape).astype(np.float32)
    layer.bias = jnp.asarray(b)
    return layer


CASES = [
    (lambda **kw: layers.SimpleRNN(UNITS, **kw), np_simple_rnn, 1),
    (lambda **kw: layers.LSTM(UNITS, **kw), np_lstm, 4),
    (lambda **kw: layers.GRU(UNITS, **kw), lambda *a: np_gru(*a, reset_after=True), 3),
    (lambda **kw: layers.GRU(UNITS, reset_after=False, **kw),
     lambda *a: np_gru(*a, reset_after=False), 3),
]
IDS = ["simple_rnn", "lstm", "gru", "gru_reset_before"]


@pytest.mark.parametrize("make,ref,gates", CASES, ids=IDS)
def test_matches_numpy_cells(x, make, ref, gates):
    layer = randomize_bias(make(return_sequences=True, return_state=True).init(KEY, x))
    assert layer.kernel.shape == (4, gates * UNITS)
    assert layer.recurrent_kernel.shape == (UNITS, gates * UNITS)
    seq, *states = layer(x)
    W, U, b = (np.asarray(w, np.float64) for w in (layer.kernel, layer.recurrent_kernel,
                                                    layer.bias))
    want_seq, want_states = ref(x.astype(np.float64), W, U, b)
    np.testing.assert_allclose(np.asarray(seq), want_seq, rtol=1e-5, atol=1e-5)
    assert len(states) == len(want_states)
    for s, w in zip(states, want_states):
        np.testing.assert_allclose(np.asarray(s), w, rtol=1e-5, atol=1e-5)
    # the default returns only the last output
    last = make().init(KEY, x)
    for k in ("kernel", "recurrent_kernel", "bias"):
        setattr(last, k, getattr(layer, k))
    np.testing.assert_allclose(np.asarray(last(x)), want_seq[:, -1], rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("make,ref,gates", CASES[:3], ids=IDS[:3])
def test_go_backwards(x, make, ref, gates):
    layer = randomize_bias(make(return_sequences=True, go_backwards=True).init(KEY, x))
    W, U, b = (np.asarray(w, np.float64) for w in (layer.kernel, layer.recurrent_kernel,
                                                    layer.bias))
    want, _ = ref(x[:, ::-1].astype(np.float64), W, U, b)     # Keras keeps the reversed order
    np.testing.assert_allclose(np.asarray(layer(x)), want, rtol=1e-5, atol=1e-5)


def weights64(layer):
    return tuple(np.asarray(w, np.float64) for w in (layer.kernel, layer.recurrent_kernel,
                                                     layer.bias))


@pytest.mark.parametrize("make,ref,gates", CASES, ids=IDS)
def test_dropout_masks_are_fixed_over_time(x, make, ref, gates):
    layer = randomize_bias(make(dropout=0.5, recurrent_dropout=0.25,
                                return_sequences=True).init(KEY, x))
    key = jitnet.random.PRNGKey(7)
    y, same = layer.apply(x, training=True, key=key)
    assert same is layer
    # the documented key protocol: the n-th key a pass hands out is fold_in(key, n)
    keep_in = np.asarray(jitnet.random.bernoulli(jitnet.random.fold_in(key, 0), 0.5, (2, 4)))
    keep_rec = np.asarray(jitnet.random.bernoulli(jitnet.random.fold_in(key, 1), 0.75, (2, 3)))
    assert 0 < keep_in.sum() < keep_in.size
    want, _ = ref(x * keep_in[:, None] / 0.5, *weights64(layer), keep_rec / 0.75)
    np.testing.assert_allclose(np.asarray(y), want, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(np.asarray(layer(x)), ref(x, *weights64(layer))[0], rtol=1e-5,
                               atol=1e-5)                      # inference: no dropout
    with pytest.raises(ValueError, match="key=..."):
        layer.apply(x, training=True)


@pytest.mark.parametrize("make,ref,gates", CASES[:3], ids=IDS[:3])
def test_initial_state(x, make, ref, gates):
    layer = randomize_bias(make(return_state=True).init(KEY, x))
    n_states = 2 if gates == 4 else 1
    states = [np.random.RandomState(9 + i).randn(2, UNITS).astype(np.float32)
              for i in range(n_states)]
    out, *final = layer(x, initial_state=states)
    _, want = ref(x.astype(np.float64), *weights64(layer), 1.0, *states)
    for got, w in zip([out] + final, (want[0],) + tuple(want)):
        np.testing.assert_allclose(np.asarray(got), w, rtol=1e-5, atol=1e-5)
    # the same through apply (states as positional inputs) and the functional API
    np.testing.assert_allclose(np.asarray(layer.apply(x, *states)[0][0]), want[0], rtol=1e-5,
                               atol=1e-5)
    xi = layers.Input((5, 4))
    si = [layers.Input((UNITS,)) for _ in states]
    model = models.Model([xi] + si, layer(xi, initial_state=si)[0])
    model.init(KEY, x, *states)
    again = model.layers[0]
    _, want2 = ref(x.astype(np.float64), *weights64(again), 1.0, *states)
    np.testing.assert_allclose(np.asarray(model(x, *states)), want2[0], rtol=1e-5, atol=1e-5)
    with pytest.raises(ValueError, match=r"initial_state must be"):
        layer(x, initial_state=[s[:, :2] for s in states])


def test_encoder_decoder_with_states(x):
    enc_in, dec_in = layers.Input((5, 4)), layers.Input((3, 2))
    _, h, c = layers.LSTM(UNITS, return_state=True)(enc_in)
    dec = layers.LSTM(UNITS, return_sequences=True)(dec_in, initial_state=[h, c])
    model = models.Model([enc_in, dec_in], layers.Dense(1)(dec))
    y = np.random.RandomState(4).randn(2, 3, 2).astype(np.float32)
    model.init(KEY, x, y)
    enc, dec_layer, dense = model.layers
    _, (h0, c0) = np_lstm(x.astype(np.float64), *weights64(enc))
    seq, _ = np_lstm(y.astype(np.float64), *weights64(dec_layer), 1.0, h0, c0)
    want = seq @ np.asarray(dense.kernel, np.float64) + np.asarray(dense.bias)
    np.testing.assert_allclose(np.asarray(model(x, y)), want, rtol=1e-5, atol=1e-5)


def test_no_bias(x):
    layer = layers.LSTM(UNITS, use_bias=False).init(KEY, x)
    assert not hasattr(layer, "bias") and layer.count_params() == 4 * UNITS * (4 + UNITS)
    W, U = np.asarray(layer.kernel, np.float64), np.asarray(layer.recurrent_kernel, np.float64)
    _, (h, _) = np_lstm(x.astype(np.float64), W, U, np.zeros(4 * UNITS))
    np.testing.assert_allclose(np.asarray(layer(x)), h, rtol=1e-5, atol=1e-5)


def test_initial_weights(x):
    lstm = layers.LSTM(UNITS).init(KEY, x)
    np.testing.assert_array_equal(np.asarray(lstm.bias),
                                  np.r_[np.zeros(UNITS), np.ones(UNITS), np.zeros(2 * UNITS)])
    U = np.asarray(lstm.recurrent_kernel, np.float64)         # orthogonal rows
    np.testing.assert_allclose(U @ U.T, np.eye(UNITS), atol=1e-5)
    no_forget = layers.LSTM(UNITS, unit_forget_bias=False).init(KEY, x)
    np.testing.assert_array_equal(np.asarray(no_forget.bias), np.zeros(4 * UNITS))
    assert layers.GRU(UNITS).init(KEY, x).bias.shape == (2, 3 * UNITS)
    assert layers.GRU(UNITS, reset_after=False).init(KEY, x).bias.shape == (3 * UNITS,)


def test_param_counts_match_keras(x):
    # Keras: SimpleRNN u*(in+u+1); LSTM 4u*(in+u+1); GRU (reset_after) 3u*(in+u+2)
    assert layers.SimpleRNN(UNITS).init(KEY, x).count_params() == 3 * (4 + 3 + 1)
    assert layers.LSTM(UNITS).init(KEY, x).count_params() == 12 * (4 + 3 + 1)
    assert layers.GRU(UNITS).init(KEY, x).count_params() == 9 * (4 + 3 + 2)


@pytest.mark.parametrize("make", [CASES[1][0], CASES[2][0]], ids=["lstm", "gru"])
def test_gradients(x64, make):
    xd = np.random.RandomState(2).randn(2, 3, 2)
    layer = make(return_sequences=True, dtype="float64").init(KEY, xd)
    check_grads(lambda m, x: m(x), (layer, xd), order=1)


def test_errors(x):
    lstm = layers.LSTM(UNITS, name="lstm").init(KEY, x)
    with pytest.raises(ValueError, match=r"lstm \(LSTM\) expects a rank-3 input.*\(5, 4\)"):
        lstm(x[0])
    with pytest.raises(ValueError, match=r"built for 4 input features.*\(2, 5, 3\)"):
        lstm(x[..., :3])
    with pytest.raises(ValueError, match=r"GRU expects a rank-3 input.*\(2, 20\)"):
        layers.GRU(2).init(KEY, x.reshape(2, 20))
    with pytest.raises(ValueError, match="units"):
        layers.SimpleRNN(0)
    with pytest.raises(ValueError, match="recurrent_dropout must be in"):
        layers.GRU(2, recurrent_dropout=1.0)
    with pytest.raises(ValueError, match="unknown activation"):
        layers.LSTM(2, activation="tanhh")


@pytest.mark.parametrize("merge_mode", ["concat", "sum", "ave", "mul", None])
def test_bidirectional_sequences(x, merge_mode):
    layer = layers.Bidirectional(layers.GRU(UNITS, return_sequences=True),
                                 merge_mode=merge_mode).init(KEY, x)
    assert layer.backward_layer.go_backwards and not layer.forward_layer.go_backwards
    fwd, _ = np_gru(x.astype(np.float64), *weights64(layer.forward_layer))
    bwd, _ = np_gru(x[:, ::-1].astype(np.float64), *weights64(layer.backward_layer))
    bwd = bwd[:, ::-1]                                  # back in input time order
    want = {"concat": lambda: np.concatenate([fwd, bwd], -1), "sum": lambda: fwd + bwd,
            "ave": lambda: (fwd + bwd) / 2, "mul": lambda: fwd * bwd,
            None: lambda: None}[merge_mode]()
    out = layer(x)
    if merge_mode is None:
        np.testing.assert_allclose(np.asarray(out[0]), fwd, rtol=1e-5, atol=1e-5)
        np.testing.assert_allclose(np.asarray(out[1]), bwd, rtol=1e-5, atol=1e-5)
    else:
        np.testing.assert_allclose(np.asarray(out), want, rtol=1e-5, atol=1e-5)


def test_bidirectional_last_output_states_and_counts(x):
    layer = layers.Bidirectional(layers.LSTM(UNITS, return_state=True)).init(KEY, x)
    out, fh, fc, bh, bc = layer(x)
    _, (h1, c1) = np_lstm(x.astype(np.float64), *weights64(layer.forward_layer))
    _, (h2, c2) = np_lstm(x[:, ::-1].astype(np.float64), *weights64(layer.backward_layer))
    np.testing.assert_allclose(np.asarray(out), np.concatenate([h1, h2], -1), rtol=1e-5,
                               atol=1e-5)
    for got, want in zip((fh, fc, bh, bc), (h1, c1, h2, c2)):
        np.testing.assert_allclose(np.asarray(got), want, rtol=1e-5, atol=1e-5)
    assert layer.count_params() == 2 * 12 * (4 + 3 + 1)          # Keras: twice the LSTM's
    # the two directions have their own weights
    assert not np.allclose(np.asarray(layer.forward_layer.kernel),
                           np.asarray(layer.backward_layer.kernel))
    model = models.Sequential([layers.Input((5, 4)),
                               layers.Bidirectional(layers.SimpleRNN(2, return_sequences=True)),
                               layers.Bidirectional(layers.LSTM(2)), layers.Dense(1)])
    model.init(KEY, x)
    assert model(x).shape == (2, 1)
    assert model.count_params() == 2 * 2 * (4 + 2 + 1) + 2 * 8 * (4 + 2 + 1) + 5


def test_bidirectional_errors():
    with pytest.raises(TypeError, match="Bidirectional wraps"):
        layers.Bidirectional(layers.Dense(2))
    with pytest.raises(ValueError, match="merge_mode"):
        layers.Bidirectional(layers.GRU(2), merge_mode="max")
    with pytest.raises(ValueError, match="opposite go_backwards"):
        layers.Bidirectional(layers.GRU(2), backward_layer=layers.GRU(2))
