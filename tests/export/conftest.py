import importlib.util
import os

import numpy as np
import pytest

EXAMPLES = os.path.join(os.path.dirname(__file__), "..", "..", "examples")


@pytest.fixture(scope="session")
def example():
    """``example("fashion_mnist")``: a script of examples/ imported as a module."""
    def load(name):
        spec = importlib.util.spec_from_file_location(name, os.path.join(EXAMPLES, name + ".py"))
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        return mod
    return load


@pytest.fixture(scope="session")
def ort_run():
    """``run(proto, *inputs)``: the outputs of ONNX Runtime (CPU) on ``inputs``, after
    ``onnx.checker``'s full check (which runs ONNX's shape inference too)."""
    onnx = pytest.importorskip("onnx", reason="onnx is not installed (the 'export' extra)")
    ort = pytest.importorskip("onnxruntime",
                              reason="onnxruntime is not installed (the 'dev' extra)")
    sessions = {}

    def run(proto, *inputs):
        key = id(proto)
        if key not in sessions:
            onnx.checker.check_model(proto, full_check=True)
            sessions[key] = (proto, ort.InferenceSession(proto.SerializeToString(),
                                                         providers=["CPUExecutionProvider"]))
        sess = sessions[key][1]
        names = [i.name for i in sess.get_inputs()]
        return sess.run(None, {n: np.asarray(x) for n, x in zip(names, inputs, strict=True)})

    return run
