import numpy as np
import pytest


@pytest.fixture(scope="session")
def blobs():
    """A small 3-class problem a linear model separates: (x, y) float32 / int32."""
    rs = np.random.RandomState(0)
    centers = np.array([[2.0, 0, 0, 0], [0, 2.0, 0, 0], [0, 0, 2.0, 0]], np.float32)
    y = rs.randint(0, 3, 300).astype(np.int32)
    x = (centers[y] + 0.5 * rs.randn(300, 4)).astype(np.float32)
    return x, y


def _mlp_cross_entropy(model, x, y):
    """Cross-entropy of a Dense-tanh / Dropout / Dense model's weights on (x, y), in float64
    NumPy (inference: dropout is the identity): the reference the HPO tests check against."""
    d1, _, d2 = model.layers
    w = [np.asarray(a, np.float64) for a in (d1.kernel, d1.bias, d2.kernel, d2.bias)]
    logits = np.tanh(x @ w[0] + w[1]) @ w[2] + w[3]
    m = logits.max(1, keepdims=True)
    logp = logits - m - np.log(np.exp(logits - m).sum(1, keepdims=True))
    return -logp[np.arange(len(y)), y].mean()


@pytest.fixture(scope="session")
def np_mlp_loss():
    return _mlp_cross_entropy
