"""Helpers of the MPI tests: launch a program under ``mpiexec -n N --oversubscribe`` with a
time limit. The tests are marked ``mpi`` (``pytest -m mpi`` runs them alone)."""
import os
import signal
import subprocess
import sys
import time

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


def _mpiexec():
    try:
        import mpi4py  # noqa: F401
        from jitnet.distributed import mpiexec
        return mpiexec()
    except (ImportError, FileNotFoundError) as e:
        pytest.skip(f"MPI is not installed (pip install '.[distributed]'; make test does): {e}")


class Launch:
    """The outcome of one ``mpiexec`` run: ``returncode``, ``output`` (stdout and stderr of
    every rank), ``seconds``."""

    def __init__(self, returncode, output, seconds):
        self.returncode, self.output, self.seconds = returncode, output, seconds


@pytest.fixture(scope="session")
def mpirun():
    exe = _mpiexec()

    def run(n: int, program: str, *args, timeout: float = 120) -> Launch:
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(
            [ROOT] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]))
        if hasattr(os, "geteuid") and os.geteuid() == 0:   # Open MPI refuses root otherwise
            env.update(OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1")
        cmd = [exe, "-n", str(n), "--oversubscribe", sys.executable,
               os.path.join(HERE, program), *map(str, args)]
        t0 = time.monotonic()
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True, start_new_session=True)
        try:
            output, _ = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)      # mpiexec and every rank it started
            output, _ = proc.communicate()
            pytest.fail(f"mpiexec -n {n} {program} ran over {timeout} s:\n{output[-4000:]}")
        return Launch(proc.returncode, output, time.monotonic() - t0)
    return run
