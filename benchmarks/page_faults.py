"""Minor page faults and CPU time per step of jitnet's workload steps (runtime/heap.py).

    NUMBA_NUM_THREADS=1 python benchmarks/page_faults.py W4,W8,W6,W2a
    JITNET_KEEP_FREED_MEMORY=0 NUMBA_NUM_THREADS=1 python benchmarks/page_faults.py W4,W8

Page faults are counts, not times: they do not depend on the machine's load."""
import os
import resource
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import jitnet  # noqa: E402
import workloads as W  # noqa: E402
from jitnet.runtime import heap  # noqa: E402

mode = heap.state
M = W.jax_models(jitnet)
for key in sys.argv[1].split(","):
    w = W.BY_KEY[key]
    data = W.make_data(w)
    inputs = [jitnet.numpy.asarray(a) for a in data["inputs"]]
    p = [jitnet.numpy.asarray(a) for a in data["params"]]
    step = M.train_step(w.model)
    for _ in range(5):
        p, loss = step(p, *inputs); jitnet.block_until_ready(loss)
    n = 40
    r0 = resource.getrusage(resource.RUSAGE_SELF); t0 = time.process_time()
    for _ in range(n):
        p, loss = step(p, *inputs); jitnet.block_until_ready(loss)
    t1 = time.process_time(); r1 = resource.getrusage(resource.RUSAGE_SELF)
    print(f"heap {mode:7s} {key}: faults/step {(r1.ru_minflt - r0.ru_minflt)/n:8.1f}  cpu ms/step {(t1-t0)/n*1e3:7.2f}")
