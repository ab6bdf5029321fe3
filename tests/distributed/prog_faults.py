"""Run by test_faults.py under ``mpiexec -n 2``.

``raise OUT``: training with a checkpoint after every epoch; rank 1 raises during epoch 2.
The job must stop (MPI_Abort) with rank 1's error shown, and OUT/ckpt (epoch 1) stay intact.
``mismatch OUT``: rank 1 builds a wider model than rank 0; ``fit`` must fail at start-up on
every rank, naming the difference."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mpi_problem as P  # noqa: E402

from jitnet import distributed as dist, train  # noqa: E402

mode, out = sys.argv[1], os.path.abspath(sys.argv[2])
rank = dist.rank()


class FailOnRank1(train.Callback):
    def on_train_batch_end(self, batch, logs=None):
        if rank == 1 and self.trainer.epoch == 1 and batch == 1:
            raise RuntimeError("injected failure on rank 1")


if mode == "raise":
    m = P.keras_model()
    P.fit(m, strategy="mpi", epochs=3,
          callbacks=[train.ModelCheckpoint(os.path.join(out, "ckpt")), FailOnRank1()])
elif mode == "mismatch":
    P.fit(P.keras_model(width=16 + rank), strategy="mpi")
print(f"rank {rank}: finished without the expected failure", flush=True)
