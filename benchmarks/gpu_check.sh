#!/bin/bash
# jitnet's CUDA backend on a real GPU, in one call of the device tool (it starts bare):
# the versions there, the CUDA tests without the simulator (JITNET_CUDA_DEVICE=1, larger
# sizes where a test scales), then benchmarks/cuda_run.py against PyTorch and JAX on the GPU.
#     bash benchmarks/gpu_check.sh          # logs under $OUT (or /tmp/gpu_check)
#     TESTS="tests/cuda/test_cuda_ops.py" BENCH_S=0 bash benchmarks/gpu_check.sh   # a part
# Uses the machine's python3 (its numba, numba-cuda, torch, jax) with this checkout on the path.
set -u
OUT=${OUT:-/tmp/gpu_check}; mkdir -p "$OUT"
PY=${PY:-python3}
export PYTHONPATH=$PWD PYTHONUNBUFFERED=1 JITNET_CACHE_DIR=/tmp/jitnet-gpu-cache
# wheels carried along (the machine has no package index): a Numba that knows the machine's
# NumPy (0.68.0 fails on NumPy 2.5's removed row_stack when numba-cuda types a kernel)
if ls .gpu_wheels/*.whl >/dev/null 2>&1; then
  $PY -m pip install -q --no-deps --no-index --target /tmp/gpu_site .gpu_wheels/*.whl
  export PYTHONPATH=/tmp/gpu_site:$PYTHONPATH
fi
# numba-cuda releases before NumPy 2.5 register overloads of NumPy names 2.5 removed
# (np.row_stack): give them back their aliases in these test processes (a sitecustomize),
# which is the machine's version mismatch, not jitnet's
mkdir -p /tmp/gpu_site
cat > /tmp/gpu_site/sitecustomize.py <<'PY'
import numpy as np
for old, new in (("row_stack", "vstack"), ("trapz", "trapezoid"), ("in1d", "isin"),
                 ("product", "prod"), ("cumproduct", "cumprod"), ("sometrue", "any"),
                 ("alltrue", "all"), ("round_", "round")):
    if not hasattr(np, old) and hasattr(np, new):
        setattr(np, old, getattr(np, new))
PY
export PYTHONPATH=/tmp/gpu_site:$PYTHONPATH
JITNET_DEBUG=1 timeout 120 $PY -c "
import numpy as np, jitnet, jitnet.numpy as jnp
f = jitnet.jit(lambda x: jnp.sum(jnp.tanh(x) * 2.0), backend='cuda')
x = np.linspace(-2, 2, 1000, dtype=np.float32)
print('smoke:', float(f(x)), float(np.sum(np.tanh(x) * 2.0)))" 2>&1 | tail -25
nvidia-smi -L
$PY - <<'PY'
import sys, numba, llvmlite, numpy, scipy
print(sys.version.split()[0], "numba", numba.__version__, "llvmlite", llvmlite.__version__,
      "numpy", numpy.__version__, "scipy", scipy.__version__)
from numba import cuda
print("cuda available:", cuda.is_available(), cuda.get_current_device().name)
PY
start=$(date +%s)
timeout ${TEST_S:-300} env JITNET_CUDA_DEVICE=1 $PY -m pytest -q -n ${WORKERS:-8} \
  -p no:cacheprovider ${TESTS:-tests/cuda} -rf --durations=10 > "$OUT/cuda_tests.txt" 2>&1
echo "tests rc $? in $(( $(date +%s) - start )) s"
grep -E "passed|failed|error" "$OUT/cuda_tests.txt" | tail -3
grep -E "^FAILED|^ERROR" "$OUT/cuda_tests.txt" | head -30
[ "${BENCH_S:-200}" = 0 ] && exit 0
start=$(date +%s)
timeout ${BENCH_S:-200} $PY benchmarks/cuda_run.py --only W1,W2a,W4 --target 1.0 --samples 7 \
  --json "$OUT/cuda_run.json" > "$OUT/cuda_run.txt" 2>&1
echo "bench rc $? in $(( $(date +%s) - start )) s"
tail -25 "$OUT/cuda_run.txt"
