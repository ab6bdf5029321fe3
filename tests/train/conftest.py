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
