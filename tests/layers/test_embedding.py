"""Embedding: lookup, Keras's initializer range, scatter-add gradient, dtype errors."""
from __future__ import annotations

import numpy as np
import pytest

import jitnet
from jitnet import layers, models
from jitnet.testing import check_grads

KEY = jitnet.random.PRNGKey(0)
IDS = np.array([[1, 0, 6], [6, 6, 2]], np.int32)


@pytest.fixture(scope="module")
def emb():
    return layers.Embedding(7, 4).init(KEY, IDS)


def test_lookup_and_initializer(emb):
    table = np.asarray(emb.embeddings)
    assert table.shape == (7, 4)
    assert -0.05 <= table.min() < 0 < table.max() < 0.05     # RandomUniform(-0.05, 0.05)
    np.testing.assert_array_equal(np.asarray(emb(IDS)), table[IDS])
    np.testing.assert_array_equal(np.asarray(emb(IDS[0])), table[IDS[0]])


def test_out_of_range_ids_give_nan(emb):
    out = np.asarray(emb(np.array([[7, 0]], np.int32)))
    assert np.isnan(out[0, 0]).all() and not np.isnan(out[0, 1]).any()


def test_gradient_is_a_scatter_add(emb):
    w = np.random.RandomState(0).randn(2, 3, 4).astype(np.float32)
    g = jitnet.grad(lambda m: (m(IDS) * w).sum())(emb).embeddings
    ref = np.zeros((7, 4))
    np.add.at(ref, IDS, w)
    np.testing.assert_allclose(np.asarray(g), ref, rtol=1e-6)


def test_check_grads(x64):
    e = layers.Embedding(7, 3, dtype="float64").init(KEY, IDS)
    check_grads(lambda m: m(IDS), (e,), order=2)


def test_in_a_model_with_integer_input():
    inp = layers.Input((3,), dtype="int32")
    model = models.Model(inp, layers.Dense(2)(layers.Flatten()(layers.Embedding(7, 4)(inp))))
    model.init(KEY, IDS)
    assert model(IDS).shape == (2, 2)
    assert model.count_params() == 7 * 4 + 12 * 2 + 2


def test_errors(emb):
    with pytest.raises(TypeError, match=r"Embedding takes integer ids, got dtype float32 "
                                        r"\(shape \(2, 3\)\)"):
        emb(IDS.astype(np.float32))
    with pytest.raises(ValueError, match="input_dim"):
        layers.Embedding(0, 3)


def test_random_uniform_is_symmetric_like_keras():
    kernel = np.asarray(layers.Dense(50, kernel_initializer="random_uniform")
                        .init(KEY, np.zeros((1, 20), np.float32)).kernel)
    assert -0.05 <= kernel.min() < -0.04 and 0.04 < kernel.max() < 0.05
