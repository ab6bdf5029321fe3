"""Data-parallel training on 1, 2 and 3 ranks equals one process with the same global batch
(to float32 summation order), with and without shuffling, for ``fit`` and ``Trainer``;
metrics are reduced over the ranks, only rank 0 writes, and resume continues exactly."""
import json
import os
import sys

import numpy as np
import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mpi_problem as P  # noqa: E402

pytestmark = pytest.mark.mpi
TOL = dict(rtol=2e-5, atol=2e-6)


@pytest.fixture(scope="module")
def reference(interpreter):
    """The same runs in this process, without MPI, on the reference interpreter (the ranks
    run compiled code)."""
    out, hist = {}, {}
    with interpreter():
        for name, shuffle in (("shuffle", True), ("ordered", False)):
            m = P.keras_model()
            hist[name] = P.fit(m, shuffle=shuffle).history
            out[name] = P.leaves(m)
        out["evaluate"] = np.asarray(m.evaluate(*P.data(), batch_size=P.BATCH), np.float64)
        params, hist["trainer"] = P.run_trainer()
    out["trainer"] = P.leaves(params)
    return out, hist


@pytest.mark.parametrize("ranks", [1, 2, 3])
def test_data_parallel_equals_one_process(mpirun, reference, tmp_path, ranks):
    """On 2 ranks also Trainer, checkpoints, logs and resume (--full)."""
    full = ranks == 2
    run = mpirun(ranks, "prog_training.py", tmp_path, *(["--full"] if full else []),
                 timeout=150)
    assert run.returncode == 0, run.output[-4000:]
    assert run.output.count("training ok") == ranks, run.output[-4000:]
    ref, ref_hist = reference
    got = np.load(tmp_path / "result.npz")
    hist = json.loads((tmp_path / "histories.json").read_text())
    for name in ("shuffle", "ordered", "trainer") if full else ("shuffle", "ordered"):
        for i, want in enumerate(ref[name]):
            np.testing.assert_allclose(got[f"{name}/{i}"], want, **TOL,
                                       err_msg=f"{name} leaf {i} on {ranks} ranks")
        assert list(hist[name]) == list(ref_hist[name])          # reduced metrics
        for k, values in ref_hist[name].items():
            np.testing.assert_allclose(hist[name][k], values, rtol=1e-5, atol=1e-6,
                                       err_msg=f"{name} {k}")
    np.testing.assert_allclose(got["evaluate"], ref["evaluate"], rtol=1e-5)
    if not full:
        return
    # resumed from the mid-epoch checkpoint: the uninterrupted run, step for step
    for i in range(len(ref["shuffle"])):
        np.testing.assert_allclose(got[f"resumed/{i}"], got[f"shuffle/{i}"], rtol=1e-6,
                                   atol=1e-7)
    assert list(hist["resumed"]) == list(hist["shuffle"])
    for k, values in hist["shuffle"].items():
        np.testing.assert_allclose(hist["resumed"][k], values, rtol=1e-6, err_msg=k)
    # rank 0 alone wrote the checkpoints and the log
    assert (tmp_path / "rank0" / "log.csv").read_text().count("\n") == P.EPOCHS + 1
    assert sorted(os.listdir(tmp_path / "rank0" / "ckpt")) == ["latest", "s3", "s6", "s9"]
    assert os.listdir(tmp_path / "rank1") == []
