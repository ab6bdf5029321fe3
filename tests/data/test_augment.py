"""Augmentations against hand-written NumPy expectations."""
from collections import namedtuple

import numpy as np
import pytest

from jitnet.data import DataLoader
from jitnet.data.augment import compose, normalize, on, random_crop, random_flip_left_right


class FixedRng:
    """Stands in for np.random.Generator with chosen draws."""

    def __init__(self, integers=None, random=None):
        self._integers, self._random = integers, random

    def integers(self, low, high, size):
        out = np.asarray(self._integers)
        assert out.shape == size and out.min() >= low and out.max() < high
        return out

    def random(self, size):
        out = np.asarray(self._random)
        assert out.shape == (size,)
        return out


def test_random_crop_with_known_offsets():
    x = np.array([[[1, 2],
                   [3, 4]]], np.uint8)  # one 2x2 image
    # offsets (dy, dx) = (0, 2) in the zero-padded 4x4 image: rows 0-1, columns 2-3
    got = random_crop(padding=1)(x, FixedRng(integers=[[0, 2]]))
    np.testing.assert_array_equal(got, [[[0, 0],
                                         [2, 0]]])
    assert got.dtype == np.uint8
    got = random_crop(padding=1)(x, FixedRng(integers=[[1, 1]]))  # the centre: unchanged
    np.testing.assert_array_equal(got, x)
    got = random_crop(padding=1)(x, FixedRng(integers=[[2, 0]]))
    np.testing.assert_array_equal(got, [[[0, 3],
                                         [0, 0]]])


@pytest.mark.parametrize("shape", [(5, 6, 7), (5, 6, 7, 3)])
@pytest.mark.parametrize("padding", [0, 2, 4])
def test_random_crop_matches_a_per_image_loop(shape, padding):
    x = np.random.default_rng(0).integers(0, 255, size=shape).astype(np.float32)
    got = random_crop(padding)(x, np.random.default_rng(11))
    offsets = np.random.default_rng(11).integers(0, 2 * padding + 1, size=(shape[0], 2))
    h, w = shape[1:3]
    for i, (dy, dx) in enumerate(offsets):
        big = np.zeros((h + 2 * padding, w + 2 * padding) + shape[3:], np.float32)
        big[padding:padding + h, padding:padding + w] = x[i]
        np.testing.assert_array_equal(got[i], big[dy:dy + h, dx:dx + w])
    assert got.shape == x.shape


def test_random_flip_left_right():
    x = np.arange(2 * 2 * 3).reshape(2, 2, 3)
    got = random_flip_left_right(0.5)(x, FixedRng(random=[0.1, 0.9]))  # flip image 0 only
    np.testing.assert_array_equal(got, [[[2, 1, 0], [5, 4, 3]],
                                        [[6, 7, 8], [9, 10, 11]]])
    xc = np.random.default_rng(1).normal(size=(4, 3, 5, 2))
    np.testing.assert_array_equal(random_flip_left_right(1.0)(xc, np.random.default_rng(0)),
                                  xc[:, :, ::-1, :])
    np.testing.assert_array_equal(random_flip_left_right(0.0)(xc, np.random.default_rng(0)), xc)
    draws = np.random.default_rng(5).random(4) < 0.3
    got = random_flip_left_right(0.3)(xc, np.random.default_rng(5))
    for i in range(4):
        np.testing.assert_array_equal(got[i], xc[i][:, ::-1] if draws[i] else xc[i])


def test_normalize_per_channel():
    x = np.random.default_rng(2).integers(0, 255, size=(3, 4, 4, 3)).astype(np.uint8)
    mean, std = [120.0, 110.0, 100.0], [60.0, 50.0, 40.0]
    got = normalize(mean, std)(x, None)
    assert got.dtype == np.float32
    expected = np.empty(x.shape, np.float64)
    for c in range(3):
        expected[..., c] = (x[..., c] - mean[c]) / std[c]
    np.testing.assert_allclose(got, expected, rtol=1e-6)
    np.testing.assert_allclose(normalize(0, 255)(x, None), x / 255.0, rtol=1e-6)
    with pytest.raises(ValueError, match="do not broadcast"):
        normalize([1.0, 2.0], 1.0)(x, None)
    with pytest.raises(ValueError, match="std must be positive"):
        normalize(0.0, [1.0, 0.0])


def test_compose_applies_in_order_with_one_rng():
    add = lambda x, rng: x + rng.integers(0, 10, size=x.shape)  # noqa: E731
    double = lambda x, rng: 2 * x  # noqa: E731
    x = np.arange(6)
    got = compose(add, double)(x, np.random.default_rng(3))
    np.testing.assert_array_equal(got, 2 * (x + np.random.default_rng(3).integers(0, 10, 6)))
    rng = np.random.default_rng(3)  # the second draw continues the same generator
    first, second = rng.integers(0, 10, 6), rng.integers(0, 10, 6)
    np.testing.assert_array_equal(compose(add, add)(x, np.random.default_rng(3)),
                                  x + first + second)
    with pytest.raises(TypeError, match="compose"):
        compose(add, 3)


def test_on_applies_to_one_element():
    inc = lambda x, rng: x + 1  # noqa: E731
    x, y = np.zeros(3), np.arange(3)
    gx, gy = on(0, inc)((x, y), None)
    np.testing.assert_array_equal(gx, np.ones(3))
    assert gy is y
    d = on("image", inc)({"image": x, "label": y}, None)
    np.testing.assert_array_equal(d["image"], np.ones(3))
    assert d["label"] is y
    lst = on(-1, inc)([x, y], None)
    assert isinstance(lst, list) and lst[0] is x
    np.testing.assert_array_equal(lst[1], y + 1)
    Pair = namedtuple("Pair", "image label")
    p = on("image", inc)(Pair(x, y), None)
    assert isinstance(p, Pair) and p.label is y
    np.testing.assert_array_equal(p.image, np.ones(3))
    p = on(1, inc)(Pair(x, y), None)
    assert isinstance(p, Pair)
    np.testing.assert_array_equal(p.label, y + 1)
    with pytest.raises(ValueError, match=r"no element 'x'.*keys \['image', 'label'\]"):
        on("x", inc)({"image": x, "label": y}, None)
    with pytest.raises(ValueError, match="no element 2.*2 elements"):
        on(2, inc)((x, y), None)


def test_image_transforms_reject_other_data():
    with pytest.raises(TypeError, match=r"random_crop.*on\(index_or_key"):
        random_crop()((np.zeros((2, 4, 4)), np.zeros(2)), np.random.default_rng(0))
    with pytest.raises(ValueError, match=r"random_flip_left_right.*shape \(2, 4\)"):
        random_flip_left_right()(np.zeros((2, 4)), np.random.default_rng(0))
    with pytest.raises(ValueError, match="padding"):
        random_crop(-1)
    with pytest.raises(ValueError, match="p must be in"):
        random_flip_left_right(1.5)


def test_augmented_loader_is_deterministic_and_resumable():
    rng = np.random.default_rng(0)
    x = rng.integers(0, 255, size=(20, 6, 6, 3)).astype(np.uint8)
    y = np.arange(20)
    aug = on(0, compose(random_crop(2), random_flip_left_right(), normalize(0.0, 255.0)))

    def loader(prefetch):
        return DataLoader((x, y), 8, seed=3, prefetch=prefetch, transform=aug)

    a = [b.data[0] for b in loader(2).epoch(1)]
    b = [b.data[0] for b in loader(0).epoch(1)]
    tail = [b.data[0] for b in loader(2).epoch(1, start_batch=2)]
    for u, v in zip(a, b):
        np.testing.assert_array_equal(u, v)
    np.testing.assert_array_equal(tail[0], a[2])
    first = next(iter(loader(0).epoch(1)))
    idx = first.data[1]  # recompute batch 0 of epoch 1 by hand from the documented rngs
    expected = aug((x[idx], idx), np.random.default_rng([3, 1, 0]))[0]
    np.testing.assert_array_equal(first.data[0], expected)
    assert first.data[0].dtype == np.float32 and first.data[0].shape == (8, 6, 6, 3)
