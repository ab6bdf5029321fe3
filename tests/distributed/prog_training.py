"""Run by test_training.py as ``mpiexec -n N prog_training.py OUT [--full]`` (N = 1, 2, 3):
data-parallel ``fit`` with and without shuffling, and ``evaluate``; with ``--full`` also
``Trainer``, rank-0-only checkpoints and logs, and resume from a checkpoint written
mid-epoch. Every rank checks that all ranks hold identical weights; rank 0 writes the
results to ``OUT/result.npz`` for the test to compare with one process. Each rank works
in ``OUT/rank<r>`` so that a file written by another rank than 0 shows."""
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mpi_problem as P  # noqa: E402

from jitnet import distributed as dist, train  # noqa: E402

out, full = os.path.abspath(sys.argv[1]), "--full" in sys.argv[2:]
rank, size = dist.rank(), dist.size()
os.makedirs(os.path.join(out, f"rank{rank}"), exist_ok=True)
os.chdir(os.path.join(out, f"rank{rank}"))
results, histories = {}, {}


def keep(name, tree, history):
    """Check every rank holds the same weights, then record rank 0's."""
    mine = P.leaves(tree)
    for i, stacked in enumerate(P.leaves(dist.allgather(mine))):
        assert all(np.array_equal(stacked[0], s) for s in stacked[1:]), \
            f"{name}: leaf {i} differs between ranks"
    for i, a in enumerate(mine):
        results[f"{name}/{i}"] = a
    histories[name] = {k: [float(v) for v in vs] for k, vs in history.items()}


# fit with shuffling, checkpoints every 3 steps and a CSV log (rank 0 only, relative paths)
m = P.keras_model()
h = P.fit(m, shuffle=True, strategy="mpi",
          callbacks=[train.ModelCheckpoint("ckpt/s{step}", save_freq=3),
                     train.CSVLogger("log.csv")] if full else [])
keep("shuffle", m, h.history)

m = P.keras_model()
h = P.fit(m, shuffle=False, strategy="mpi")
keep("ordered", m, h.history)
results["evaluate"] = np.asarray(m.evaluate(*P.data(), batch_size=P.BATCH), np.float64)

if full:
    # resume from the checkpoint after step 3 (inside epoch 0), written by rank 0
    m = P.keras_model()
    h = P.fit(m, shuffle=True, strategy="mpi",
              resume=os.path.join(out, "rank0", "ckpt", "s3"))
    keep("resumed", m, h.history)
    params, history = P.run_trainer(strategy="mpi")
    keep("trainer", params, history)

if rank == 0:
    np.savez(os.path.join(out, "result.npz"), **results)
    with open(os.path.join(out, "histories.json"), "w") as f:
        json.dump(histories, f)
print(f"rank {rank} of {size}: training ok", flush=True)
