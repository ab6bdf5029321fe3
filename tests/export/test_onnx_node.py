"""Another language: the Fashion-MNIST CNN exported to ONNX classifies 1,000 test images from
Node.js (onnxruntime-node, installed in tests/export/node by the Makefile or here) with the
predictions jitnet makes."""
from __future__ import annotations

import json
import os
import shutil
import subprocess

import numpy as np
import pytest

import jitnet
from jitnet.data import load_image_classification
from jitnet.export import to_onnx

pytest.importorskip("onnx", reason="onnx is not installed (the 'export' extra)")

HERE = os.path.dirname(os.path.abspath(__file__))
NODE_DIR = os.path.join(HERE, "node")


def node_runtime():
    """The folder's onnxruntime-node, installed with npm when missing; skip without Node."""
    if shutil.which("node") is None or shutil.which("npm") is None:
        pytest.skip("Node.js/npm are not installed: the onnxruntime-node test needs them "
                    "(apt-get install nodejs npm)")
    if not os.path.isdir(os.path.join(NODE_DIR, "node_modules", "onnxruntime-node")):
        subprocess.run(["npm", "install", "--no-audit", "--no-fund"], cwd=NODE_DIR, check=True,
                       capture_output=True, timeout=300)


def test_node_classifies_like_jitnet(tmp_path, example):
    node_runtime()
    _, _, (x_te, _) = load_image_classification()
    x = x_te[:1000].astype(np.float32)[..., None]  # scikit-learn digits' test split: 359
    x /= x.max()                                   # (Fashion-MNIST's pixels reach 255, digits' 16)
    model = example("fashion_mnist").make_model(x.shape[1:3], 10)
    model.init(jitnet.random.PRNGKey(0), x[:1])
    path = tmp_path / "fashion_cnn.onnx"
    to_onnx(model, x[:2], path=path)
    (tmp_path / "images.f32").write_bytes(np.ascontiguousarray(x, "<f4").tobytes())

    out = subprocess.run(["node", os.path.join(NODE_DIR, "classify.mjs"), str(path),
                          str(tmp_path / "images.f32"), *map(str, x.shape)],
                         cwd=NODE_DIR, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    got = np.asarray(json.loads(out.stdout)["predictions"])

    logits = np.asarray(model(x))
    want = logits.argmax(-1)
    assert got.shape == (len(x),) and len(x) >= 300
    assert len(set(want.tolist())) > 3              # a check that can fail: varied classes
    top2 = np.sort(logits, -1)[:, -2:]
    near_tie = top2[:, 1] - top2[:, 0] < 1e-5       # float32 rounding may order these apart
    assert np.array_equal(got[~near_tie], want[~near_tie]), np.flatnonzero(got != want)
    assert near_tie.sum() <= 2
