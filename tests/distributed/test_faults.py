"""A failing rank stops the whole job in bounded time with its error shown, leaving the last
checkpoint intact; ranks started with different models fail at start-up naming the
difference."""
import os
import sys

import numpy as np
import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mpi_problem as P  # noqa: E402

pytestmark = pytest.mark.mpi


def test_a_raising_rank_aborts_the_job(mpirun, tmp_path, interpreter):
    run = mpirun(2, "prog_faults.py", "raise", tmp_path, timeout=120)
    assert run.returncode != 0, run.output[-4000:]
    assert "finished without the expected failure" not in run.output
    assert "RuntimeError: injected failure on rank 1" in run.output, run.output[-4000:]
    assert "rank 1 of 2 failed; aborting the job" in run.output
    assert "MPI_ABORT was invoked on rank 1" in run.output
    # the checkpoint of epoch 1 is whole and holds the one-process weights after one epoch
    # (on the reference interpreter, as test_training's references: the ranks ran compiled)
    from jitnet import models
    saved = models.load_model(tmp_path / "ckpt")
    ref = P.keras_model()
    with interpreter():
        P.fit(ref, epochs=1)
    for got, want in zip(P.leaves(saved), P.leaves(ref)):
        np.testing.assert_allclose(got, want, rtol=2e-5, atol=2e-6)


def test_different_models_on_the_ranks_fail_at_start(mpirun, tmp_path):
    run = mpirun(2, "prog_faults.py", "mismatch", tmp_path, timeout=90)
    assert run.returncode != 0, run.output[-4000:]
    assert "started with different configurations" in run.output, run.output[-4000:]
    assert "rank 1 has float32[8, 17], rank 0 has float32[8, 16]" in run.output, \
        run.output[-4000:]
    assert "finished without the expected failure" not in run.output
