"""How load_model finds the classes a file names (Keras's rules): custom_objects=, the
register_keras_serializable registry, then the jitnet module the file records, imported by
name in a process that never imported it; never a module outside jitnet. Files of the first
format (bare class names; written by jitnet before jitnet.models existed) still load."""
import json
import os
import subprocess
import sys

import numpy as np
import pytest
from safetensors.numpy import load_file

import jitnet as jax
from jitnet import layers as L, models, tree_util

V1 = os.path.join(os.path.dirname(__file__), "v1_files")
X = np.random.RandomState(0).randn(3, 4).astype(np.float32)


@models.register_keras_serializable(package="models15_test")
class Shift(L.Layer):
    def __init__(self, by: float = 0.0, name=None):
        super().__init__(name=name)
        self.by = by

    def call(self, x):
        return x + self.by


def _file_arrays(path) -> list:
    """The arrays of a checkpoint directory in the order of its manifest's tree."""
    manifest = json.load(open(os.path.join(path, "manifest.json")))
    arrays = load_file(os.path.join(path, "arrays.safetensors"))
    keys = []

    def walk(node):
        if node.get("kind") == "array":
            keys.append(node["key"])
        for c in node.get("children", []):
            walk(c)
    walk(manifest["tree"])
    return [arrays[k] for k in keys]


def _assert_weights(model, path):
    got, want = tree_util.tree_leaves(model), _file_arrays(path)
    assert len(got) == len(want) > 0
    for a, b in zip(got, want):
        np.testing.assert_array_equal(np.asarray(a), b)


def test_first_format_files_still_load():
    m = models.load_model(os.path.join(V1, "functional"))
    assert type(m) is models.Model
    assert [(type(l).__name__, l.name) for l in m.layers] == [
        ("Dense", "hidden"), ("Dropout", "dropout"), ("Dense", "out")]
    assert m.layers[0].activation == "relu" and m.layers[1].rate == 0.5
    _assert_weights(m, os.path.join(V1, "functional"))
    k0, b0, k1, b1 = _file_arrays(os.path.join(V1, "functional"))
    np.testing.assert_allclose(m(X), np.maximum(X @ k0 + b0, 0) @ k1 + b1, rtol=1e-5, atol=1e-6)
    vae = models.load_model(os.path.join(V1, "vae"))    # a zoo class, named bare in the file
    assert type(vae).__name__ == "VAE" and type(vae).__module__ == "jitnet.applications.vae"
    assert (vae.input_shape, vae.latent_dim, vae.filters) == ((4, 4, 1), 1, (2,))
    _assert_weights(vae, os.path.join(V1, "vae"))


_FRESH = """
import sys
import numpy as np
from jitnet import models, tree_util
assert "jitnet.applications" not in sys.modules
m = models.load_model(sys.argv[1])
assert "jitnet.applications" in sys.modules, "imported by the module the file records"
want = np.load(sys.argv[2], allow_pickle=False)
got = tree_util.tree_leaves(m)
assert len(got) == len(want.files)
for i, a in enumerate(got):
    np.testing.assert_array_equal(np.asarray(a), want[f"w{i}"])
print(type(m).__module__, type(m).__name__, m.latent_dim)
"""


def test_a_zoo_model_loads_in_a_process_that_never_imported_the_zoo(tmp_path):
    from jitnet import applications as A
    vae = A.VAE((4, 4, 1), latent_dim=1, filters=(2,), dense_units=2)
    vae.init(jax.random.PRNGKey(3), np.zeros((1, 4, 4, 1), np.float32))
    vae.save(tmp_path / "vae")
    record = json.load(open(tmp_path / "vae" / "manifest.json"))["metadata"]["model_config"]
    assert record["version"] == 2
    assert {k: record["layer"][k] for k in ("class_name", "module")} == {
        "class_name": "VAE", "module": "jitnet.applications"}
    np.savez(tmp_path / "want.npz", **{f"w{i}": np.asarray(a)
                                       for i, a in enumerate(tree_util.tree_leaves(vae))})
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    env = dict(os.environ, PYTHONPATH=root)
    out = subprocess.run([sys.executable, "-c", _FRESH, str(tmp_path / "vae"),
                          str(tmp_path / "want.npz")], env=env, capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-3000:]
    assert out.stdout.split() == ["jitnet.applications.vae", "VAE", "1"]


def _saved(tmp_path, model):
    model.init(jax.random.PRNGKey(0), X)
    model.save(tmp_path / "m")
    return tmp_path / "m" / "manifest.json"


def _edit_first_layer(mpath, **record):
    manifest = json.loads(mpath.read_text())
    layer = manifest["metadata"]["model_config"]["layer"]["config"]["layers"][0]["__layer__"]
    layer.pop("module", None)
    layer.update(record)
    mpath.write_text(json.dumps(manifest))


@pytest.mark.parametrize("record, message", [
    ({"module": "evil_mod", "class_name": "Dense"},
     "unknown layer class 'Dense' from module 'evil_mod', which is not part of jitnet"),
    ({"module": "jitnet_evil_mod", "class_name": "Dense"},   # a look-alike prefix
     "unknown layer class 'Dense' from module 'jitnet_evil_mod', which is not part of jitnet"),
    ({"module": "jitnet.layers;evil_mod", "class_name": "Dense"},
     "from module 'jitnet.layers;evil_mod', which is not part of jitnet"),
    ({"module": "jitnet.no_such_module", "class_name": "Dense"},
     "recorded from module 'jitnet.no_such_module', which this jitnet does not have"),
    ({"module": "jitnet.checkpoint", "class_name": "save"},   # a jitnet callable, not a Layer
     "unknown layer class 'save' in jitnet.checkpoint"),
    ({"registered_name": "nobody>Thing", "class_name": "Thing"},
     "layer class 'nobody>Thing' is not registered"),
], ids=["outside", "look-alike", "not-a-name", "missing", "not-a-layer", "unregistered"])
def test_a_file_naming_a_module_outside_jitnet_is_refused(tmp_path, monkeypatch, record,
                                                          message):
    mpath = _saved(tmp_path, models.Sequential([L.Input((4,)), L.Dense(2)]))
    marker = tmp_path / "imported"
    (tmp_path / "evil_mod.py").write_text(f"open({str(marker)!r}, 'w').close()\n")
    (tmp_path / "jitnet_evil_mod.py").write_text(f"open({str(marker)!r}, 'w').close()\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    _edit_first_layer(mpath, **record)
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        models.load_model(tmp_path / "m")
    assert not marker.exists() and "evil_mod" not in sys.modules


def test_the_old_spellings_say_where_the_names_moved():
    for name in ("Model", "Sequential", "load_model"):
        with pytest.raises(AttributeError, match=rf"jitnet.layers.{name} moved to "
                           rf"jitnet.models.{name}"):
            getattr(L, name)
    with pytest.raises(AttributeError, match="has no attribute 'Nope'"):
        L.Nope


def test_registered_classes_load_without_custom_objects(tmp_path):
    mpath = _saved(tmp_path, models.Sequential([L.Input((4,)), Shift(1.5), L.Dense(2)]))
    record = json.loads(mpath.read_text())["metadata"]["model_config"]["layer"]
    assert record["module"] == "jitnet.models"
    shift, dense = (c["__layer__"] for c in record["config"]["layers"])
    assert shift["registered_name"] == "models15_test>Shift" and "module" not in shift
    assert dense["module"] == "jitnet.layers"
    back = models.load_model(tmp_path / "m")
    assert type(back.layers[0]) is Shift and back.layers[0].by == 1.5
    k, b = (np.asarray(back.layers[1].kernel), np.asarray(back.layers[1].bias))
    np.testing.assert_allclose(back(X), (X + 1.5) @ k + b, rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="already registered"):
        models.register_keras_serializable("models15_test", "Shift")(
            type("Shift", (L.Layer,), {}))
    with pytest.raises(TypeError, match="registers Layer subclasses"):
        models.register_keras_serializable("models15_test")(dict)
