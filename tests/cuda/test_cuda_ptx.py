"""The simulator runs kernels as Python, so it cannot tell whether numba.cuda accepts them:
compile every kernel generated for the op records and the test programs to PTX (sm_75) with
the CUDA toolkit's NVVM, in a process without the simulator (no GPU needed)."""
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


def test_generated_kernels_compile_to_ptx():
    env = {k: v for k, v in os.environ.items() if k != "NUMBA_ENABLE_CUDASIM"}
    env["PYTHONPATH"] = os.pathsep.join([ROOT] + [p for p in [env.get("PYTHONPATH")] if p])
    r = subprocess.run([sys.executable, os.path.join(HERE, "ptx_check.py")], env=env,
                       cwd=ROOT, capture_output=True, text=True, timeout=900)
    out = r.stdout + r.stderr
    assert r.returncode == 0, out[-6000:]
    lines = [ln for ln in r.stdout.splitlines() if ln.endswith("ok")]
    assert len(lines) >= 120, out[-3000:]  # every lowered record, and the programs
    assert any(ln.startswith("rnn_step:") for ln in lines)
