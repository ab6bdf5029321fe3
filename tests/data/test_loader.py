"""DataLoader: coverage, masks and constant shapes, deterministic order, jump/resume,
prefetch thread behaviour, generator data, splits and input validation.

Samples are identified by their id ``y``; ``x`` rows are ``[2 * id, 2 * id + 1]`` so a
gathered batch can be checked row by row.
"""
import gc
import json
import math
import threading
import time

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import jitnet
from jitnet.data import (ArrayDataset, Batch, DataLoader, GeneratorDataset, Subset, batches,
                         random_split, validation_split)


def make(n):
    y = np.arange(n, dtype=np.int64)
    x = np.stack([2 * y, 2 * y + 1], axis=1).astype(np.float32)
    return x, y


def ids(batch):
    """Ids of the real rows of a batch, after checking x matches y on every row."""
    x, y = batch.data
    np.testing.assert_array_equal(x, np.stack([2 * y, 2 * y + 1], axis=1))
    return y[batch.mask == 1]


def collect(it):
    return [(b.data[0].copy(), b.data[1].copy(), b.mask.copy()) for b in it]


def assert_same(a, b):
    assert len(a) == len(b)
    for u, v in zip(a, b):
        for p, q in zip(u, v):
            np.testing.assert_array_equal(p, q)


def wait_threads(baseline, timeout=3.0):
    end = time.monotonic() + timeout
    while threading.active_count() > baseline and time.monotonic() < end:
        gc.collect()
        time.sleep(0.01)
    return threading.active_count()


# -- coverage, masks, shapes ------------------------------------------------------------------

@pytest.mark.parametrize("n", [10, 12])
@pytest.mark.parametrize("shuffle", [True, False])
@pytest.mark.parametrize("mode", ["pad", "short", "drop"])
@pytest.mark.parametrize("prefetch", [0, 2])
def test_every_sample_once_per_epoch(n, shuffle, mode, prefetch):
    bs = 4
    loader = DataLoader(make(n), bs, shuffle=shuffle, seed=3, prefetch=prefetch,
                        drop_remainder=mode == "drop", pad_remainder=mode == "pad")
    full, rest = divmod(n, bs)
    assert len(loader) == full + (rest > 0 and mode != "drop")
    for epoch in range(2):
        got = list(loader)
        assert len(got) == len(loader)
        seen = np.concatenate([ids(b) for b in got])
        if mode == "drop":
            assert len(seen) == full * bs and len(np.unique(seen)) == len(seen)
        else:
            np.testing.assert_array_equal(np.sort(seen), np.arange(n))
        for b in got:
            assert isinstance(b, Batch) and b.mask.dtype == np.float32
            assert b.size == int(b.mask.sum())
            if mode != "short":
                assert b.data[0].shape == (bs, 2) and b.data[1].shape == (bs,)


@settings(max_examples=60, deadline=None)
@given(n=st.integers(1, 40), bs=st.integers(1, 12), shuffle=st.booleans(),
       mode=st.sampled_from(["pad", "short", "drop"]), seed=st.integers(0, 2**32 - 1),
       epoch=st.integers(0, 1000), data=st.data())
def test_batches_follow_the_order_for_any_sizes(n, bs, shuffle, mode, seed, epoch, data):
    loader = DataLoader(make(n), bs, shuffle=shuffle, seed=seed, prefetch=0,
                        drop_remainder=mode == "drop", pad_remainder=mode == "pad")
    order = (np.random.default_rng([seed, epoch]).permutation(n) if shuffle
             else np.arange(n))
    expected = [order[i:i + bs] for i in range(0, n, bs)]
    if mode == "drop" and len(expected[-1]) < bs:
        expected.pop()
    got = list(loader.epoch(epoch))
    assert len(got) == len(expected) == len(loader)
    for b, want in zip(got, expected):
        np.testing.assert_array_equal(ids(b), want)
        rows = bs if mode == "pad" else len(want)
        assert b.mask.shape == (rows,) and b.data[0].shape == (rows, 2)
        np.testing.assert_array_equal(b.mask, np.arange(rows) < len(want))
    k = data.draw(st.integers(0, len(got)))
    assert [ids(b).tolist() for b in loader.epoch(epoch, start_batch=k)] == \
        [ids(b).tolist() for b in got[k:]]


def test_padded_last_batch_masks_and_copies_real_rows():
    loader = DataLoader(make(10), 4, shuffle=True, seed=1, prefetch=0)
    *head, last = list(loader)
    for b in head:
        np.testing.assert_array_equal(b.mask, np.ones(4, np.float32))
    np.testing.assert_array_equal(last.mask, np.array([1, 1, 0, 0], np.float32))
    assert last.size == 2
    x, y = last.data
    # pad rows repeat the batch's own real rows (ids() also checks x matches y on pad rows)
    np.testing.assert_array_equal(y[2:], y[:2])
    ids(last)


def test_short_last_batch_without_padding():
    last = list(DataLoader(make(10), 4, pad_remainder=False, prefetch=0))[-1]
    assert last.data[0].shape == (2, 2)
    np.testing.assert_array_equal(last.mask, np.ones(2, np.float32))


def test_drop_remainder_smaller_than_batch_gives_empty_epoch():
    loader = DataLoader(make(3), 4, drop_remainder=True, prefetch=0)
    assert len(loader) == 0 and list(loader) == []
    assert loader.state_dict() == {"epoch": 1, "batch": 0}
    loader.load_state_dict({"epoch": 5, "batch": 0})
    assert loader.state_dict() == {"epoch": 5, "batch": 0}


def test_constant_shapes_compile_the_step_once():
    traces = []

    @jitnet.jit
    def step(batch):
        traces.append(1)
        x, y = batch.data
        return (batch.mask[:, None] * x).sum()

    loader = DataLoader(make(10), 4, seed=0, prefetch=0)
    total = sum(float(step(b)) for b in loader)
    assert len(traces) == 1
    x, _ = make(10)
    np.testing.assert_allclose(total, x.sum())


# -- order ------------------------------------------------------------------------------------

def test_order_is_the_documented_permutation():
    n, bs, seed = 11, 3, 5
    loader = DataLoader(make(n), bs, seed=seed, pad_remainder=False, prefetch=0)
    for e in range(3):
        expected = np.random.default_rng([seed, e]).permutation(n)
        got = np.concatenate([b.data[1] for b in loader.epoch(e)])
        np.testing.assert_array_equal(got, expected)
    unshuffled = DataLoader(make(n), bs, shuffle=False, pad_remainder=False, prefetch=0)
    np.testing.assert_array_equal(np.concatenate([b.data[1] for b in unshuffled.epoch(4)]),
                                  np.arange(n))


def test_same_seed_same_order_different_epochs_and_seeds_differ():
    a = DataLoader(make(50), 8, seed=7, prefetch=0)
    b = DataLoader(make(50), 8, seed=7, prefetch=0)
    c = DataLoader(make(50), 8, seed=8, prefetch=0)
    assert_same(collect(a.epoch(2)), collect(b.epoch(2)))
    y = lambda loader, e: np.concatenate([bt.data[1] for bt in loader.epoch(e)])  # noqa: E731
    assert not np.array_equal(y(a, 0), y(a, 1))
    assert not np.array_equal(y(a, 0), y(c, 0))
    # iter(loader) runs epochs 0, 1, ... in turn
    assert_same(collect(a), collect(b.epoch(0)))
    assert_same(collect(a), collect(b.epoch(1)))


@pytest.mark.parametrize("prefetch", [0, 3])
def test_epoch_start_batch_is_the_tail_of_the_epoch(prefetch):
    loader = DataLoader(make(23), 4, seed=2, prefetch=prefetch, transform=_noisy)
    full = collect(loader.epoch(3))
    for k in (0, 1, 4, len(loader) - 1, len(loader)):
        assert_same(collect(loader.epoch(3, start_batch=k)), full[k:])
    assert loader.state_dict() == {"epoch": 0, "batch": 0}  # epoch() does not move it


def _noisy(data, rng):
    x, y = data
    return x + rng.normal(size=x.shape).astype(np.float32), y


# -- state_dict / resume ----------------------------------------------------------------------

@pytest.mark.parametrize("stop_after", [0, 1, 3, 4, 6])
def test_state_dict_round_trip_resumes_exactly(stop_after):
    def loader():
        return DataLoader(make(14), 4, seed=9, prefetch=2, transform=_noisy)

    reference = collect(loader().epoch(0)) + collect(loader().epoch(1))  # 4 + 4 batches
    first = loader()
    consumed = []
    while len(consumed) < stop_after:
        for b in first:
            consumed.append((b.data[0].copy(), b.data[1].copy(), b.mask.copy()))
            if len(consumed) == stop_after:
                break
    state = json.loads(json.dumps(first.state_dict()))
    assert state == {"epoch": stop_after // 4, "batch": stop_after % 4}
    resumed = loader()
    resumed.load_state_dict(state)
    rest = []
    while len(consumed) + len(rest) < len(reference):
        rest += collect(resumed)
    assert_same(consumed + rest, reference)


def test_break_then_iter_continues_the_same_epoch():
    loader = DataLoader(make(20), 4, seed=1, prefetch=2)
    whole = collect(DataLoader(make(20), 4, seed=1, prefetch=0).epoch(0))
    got = []
    for b in loader:
        got.append((b.data[0].copy(), b.data[1].copy(), b.mask.copy()))
        if len(got) == 2:
            break
    got += collect(loader)
    assert_same(got, whole)
    assert loader.state_dict() == {"epoch": 1, "batch": 0}


@pytest.mark.parametrize("prefetch", [0, 2])
def test_closing_early_keeps_the_position(prefetch):
    loader = DataLoader(make(20), 4, prefetch=prefetch)
    it = iter(loader)
    next(it)
    it.close()
    with pytest.raises(StopIteration):
        next(it)
    assert loader.state_dict() == {"epoch": 0, "batch": 1}


def test_load_state_dict_validates():
    loader = DataLoader(make(10), 4)
    for bad in ({"epoch": 0}, {"epoch": -1, "batch": 0}, {"epoch": 0, "batch": 1.5},
                {"epoch": 0, "batch": 4}, [0, 0]):
        with pytest.raises(ValueError, match="load_state_dict"):
            loader.load_state_dict(bad)
    loader.load_state_dict({"epoch": 2, "batch": 3})  # after the last batch: next epoch
    assert loader.state_dict() == {"epoch": 3, "batch": 0}


# -- transform --------------------------------------------------------------------------------

def test_transform_rng_is_seeded_from_seed_epoch_batch():
    draws = {}

    def record(data, rng):
        draws[int(data[1][0])] = rng.integers(0, 2**31, size=3)
        return data

    loader = DataLoader(make(12), 4, shuffle=False, seed=4, prefetch=0, transform=record)
    list(loader.epoch(5))
    for b, first_id in enumerate((0, 4, 8)):
        expected = np.random.default_rng([4, 5, b]).integers(0, 2**31, size=3)
        np.testing.assert_array_equal(draws[first_id], expected)


def test_transform_that_changes_the_batch_size_is_an_error():
    loader = DataLoader(make(8), 4, prefetch=0, transform=lambda d, rng: (d[0][:2], d[1][:2]))
    with pytest.raises(ValueError, match="transform must return arrays with 4 rows"):
        next(iter(loader))


# -- prefetch ---------------------------------------------------------------------------------

@pytest.mark.parametrize("prefetch", [1, 2, 5])
def test_prefetch_gives_the_same_batches_as_synchronous(prefetch):
    sync = DataLoader(make(30), 4, seed=3, prefetch=0, transform=_noisy)
    ahead = DataLoader(make(30), 4, seed=3, prefetch=prefetch, transform=_noisy)
    for _ in range(2):
        assert_same(collect(ahead), collect(sync))


def test_prefetch_runs_in_a_background_thread():
    threads = []

    def where(data, rng):
        threads.append(threading.current_thread())
        return data

    list(DataLoader(make(8), 4, prefetch=2, transform=where))
    assert threads and all(t is not threading.main_thread() for t in threads)
    threads.clear()
    list(DataLoader(make(8), 4, prefetch=0, transform=where))
    assert all(t is threading.main_thread() for t in threads)


def test_early_stop_leaves_no_thread():
    baseline = threading.active_count()
    loader = DataLoader(make(400), 4, prefetch=2)
    for _ in loader:  # break
        break
    assert wait_threads(baseline) == baseline

    with pytest.raises(KeyError):  # exception in the loop body
        for _ in loader:
            raise KeyError("stop")
    assert wait_threads(baseline) == baseline

    it = iter(loader)  # an iterator dropped after one batch
    next(it)
    del it
    assert wait_threads(baseline) == baseline

    it = loader.epoch(0)  # explicitly closed
    next(it)
    it.close()
    assert threading.active_count() == baseline
    with pytest.raises(StopIteration):
        next(it)

    def gen():  # a generator wrapping the loader, closed mid-way
        yield from loader

    g = gen()
    next(g)
    g.close()
    assert wait_threads(baseline) == baseline


def _fails_on_batch_two(data, rng):
    if data[1][0] == 8:
        raise ZeroDivisionError("bad batch")
    return data


@pytest.mark.parametrize("prefetch", [0, 2])
def test_exception_in_transform_reraises_with_its_traceback(prefetch):
    baseline = threading.active_count()
    loader = DataLoader(make(16), 4, shuffle=False, prefetch=prefetch,
                        transform=_fails_on_batch_two)
    got = []
    with pytest.raises(ZeroDivisionError, match="bad batch") as info:
        for b in loader:
            got.append(b)
    assert len(got) == 2
    assert any(entry.name == "_fails_on_batch_two" for entry in info.traceback)
    assert wait_threads(baseline) == baseline


# -- data forms -------------------------------------------------------------------------------

def test_dict_single_array_and_dataset_inputs():
    x, y = make(10)
    b = next(iter(DataLoader({"x": x, "y": y}, 4, shuffle=False, prefetch=0)))
    assert set(b.data) == {"x", "y"}
    np.testing.assert_array_equal(b.data["y"], [0, 1, 2, 3])
    b = next(iter(DataLoader(y, 4, shuffle=False, prefetch=0)))
    np.testing.assert_array_equal(b.data, [0, 1, 2, 3])

    class Squares:  # a user dataset: only __len__ and __getitem__(indices)
        def __len__(self):
            return 7

        def __getitem__(self, idx):
            return {"i": idx, "sq": idx ** 2}

    got = list(DataLoader(Squares(), 3, shuffle=False, prefetch=0))
    assert len(got) == 3
    np.testing.assert_array_equal(got[-1].data["i"], [6, 6, 6])
    np.testing.assert_array_equal(got[-1].mask, [1, 0, 0])
    np.testing.assert_array_equal(got[1].data["sq"], [9, 16, 25])
    b = next(iter(DataLoader(ArrayDataset(x, y), 4, shuffle=False, prefetch=0)))
    np.testing.assert_array_equal(b.data[1], [0, 1, 2, 3])


def test_generator_data_is_batched_and_padded():
    x, y = make(10)
    loader = DataLoader.from_generator(lambda: ((x[i], y[i]) for i in range(10)), 4)
    got = list(loader)
    assert [b.data[1].tolist() for b in got] == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9, 8, 9]]
    assert [b.size for b in got] == [4, 4, 2]
    for b in got:
        ids(b)
    assert loader.state_dict() == {"epoch": 1, "batch": 0}
    tail = list(loader.epoch(0, start_batch=1))
    assert [b.data[1].tolist() for b in tail] == [[4, 5, 6, 7], [8, 9, 8, 9]]
    with pytest.raises(TypeError, match="unknown"):
        len(loader)
    dropped = DataLoader(GeneratorDataset(lambda: iter(range(10))), 4, shuffle=False,
                         drop_remainder=True, prefetch=0)
    assert [b.data.tolist() for b in dropped] == [[0, 1, 2, 3], [4, 5, 6, 7]]


def test_generator_samples_of_different_shapes_are_an_error():
    loader = DataLoader.from_generator(lambda: iter([np.zeros(2), np.zeros(3)]), 2)
    with pytest.raises(ValueError, match="cannot stack samples 0..1"):
        list(loader)


def test_batches_helper_still_works():
    x, y = make(10)
    got = list(batches(x, y, batch_size=4, seed=0))
    assert len(got) == 2 and all(b[0].shape == (4, 2) for b in got)
    seen = np.concatenate([b[1] for b in got])
    assert len(np.unique(seen)) == 8
    got = list(batches(x, y, batch_size=4, shuffle=False, drop_last=False))
    assert [b[1].tolist() for b in got] == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]


# -- splits -----------------------------------------------------------------------------------

@pytest.mark.parametrize("n,fraction", [(10, 0.2), (10, 0.25), (7, 0.5), (100, 0.1)])
def test_validation_split_takes_the_last_fraction(n, fraction):
    x, y = make(n)
    (xt, yt), (xv, yv) = validation_split((x, y), fraction)
    n_val = n - math.floor(n * (1 - fraction))  # Keras: split_at = floor(n * (1 - f))
    np.testing.assert_array_equal(yv, np.arange(n - n_val, n))
    np.testing.assert_array_equal(yt, np.arange(n - n_val))
    np.testing.assert_array_equal(xv, x[n - n_val:])
    train, val = validation_split(ArrayDataset(x, y), fraction)
    assert isinstance(val, Subset)
    np.testing.assert_array_equal(val[np.arange(len(val))][1], yv)


def test_validation_split_errors():
    x, y = make(10)
    for bad in (0.0, 1.0, -0.1, "0.2"):
        with pytest.raises(ValueError, match="validation_split"):
            validation_split((x, y), bad)
    with pytest.raises(ValueError, match="empty part"):  # floor(1 * 0.5) = 0 training rows
        validation_split(make(1), 0.5)


def test_random_split_partitions_reproducibly():
    x, y = make(23)
    parts = random_split((x, y), [0.5, 0.3, 0.2], seed=4)
    assert [len(p[1]) for p in parts] == [12, 7, 4]  # floors 11, 6, 4 + leftovers 1, 1
    np.testing.assert_array_equal(np.sort(np.concatenate([p[1] for p in parts])),
                                  np.arange(23))
    order = np.random.default_rng(4).permutation(23)
    np.testing.assert_array_equal(parts[0][1], order[:12])
    np.testing.assert_array_equal(parts[0][0], x[order[:12]])
    again = random_split((x, y), [0.5, 0.3, 0.2], seed=4)
    np.testing.assert_array_equal(again[2][1], parts[2][1])
    lengths = random_split(ArrayDataset(x, y), [20, 3], seed=4)
    assert [len(p) for p in lengths] == [20, 3] and isinstance(lengths[0], Subset)
    np.testing.assert_array_equal(lengths[1][np.arange(3)][1], order[20:])
    with pytest.raises(ValueError, match="random_split"):
        random_split((x, y), [0.5, 0.6])


# -- validation -------------------------------------------------------------------------------

def test_mismatched_leading_lengths_name_every_shape():
    with pytest.raises(ValueError, match=r"DataLoader: .*leaf 0: \(10, 2\), leaf 1: \(9,\)"):
        DataLoader((np.zeros((10, 2)), np.zeros(9)), 4)
    with pytest.raises(ValueError, match=r"DataLoader: .*leaf 1: \(\)"):
        DataLoader({"a": np.zeros(3), "b": np.float32(1.0)}, 4)
    with pytest.raises(ValueError, match=r"validation_split: .*leaf 1: \(4,\)"):
        validation_split((np.zeros(3), np.zeros(4)), 0.5)
    with pytest.raises(ValueError, match=r"ArrayDataset: .*leaf 1: \(4,\)"):
        ArrayDataset(np.zeros(3), np.zeros(4))


@pytest.mark.parametrize("bad", [0, -1, 2.5, True, "4"])
def test_bad_batch_size(bad):
    with pytest.raises(ValueError, match="batch_size must be an integer >= 1"):
        DataLoader(make(10), bad)


def test_other_argument_errors():
    with pytest.raises(ValueError, match="prefetch"):
        DataLoader(make(10), 4, prefetch=-1)
    with pytest.raises(ValueError, match="seed"):
        DataLoader(make(10), 4, seed=-3)
    with pytest.raises(TypeError, match="transform must be a callable"):
        DataLoader(make(10), 4, transform=3)
    for bad in (("a", "b"), "abc", [1, 2, 3]):
        with pytest.raises(TypeError, match="pytree of arrays or a Dataset"):
            DataLoader(bad, 4)
    with pytest.raises(ValueError, match="cannot be shuffled"):
        DataLoader(GeneratorDataset(lambda: iter([])), 4)
    with pytest.raises(ValueError, match="start_batch 4 is past the 3 batches"):
        DataLoader(make(10), 4).epoch(0, start_batch=4)
