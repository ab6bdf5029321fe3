"""jitnet.checkpoint.save/restore for plain pytrees: exact round trips, a format other tools
read, atomic writes, corruption and tampering detected, structure mismatches explained."""
import collections
import hashlib
import json
import math
import os
import pickle

import ml_dtypes
import numpy as np
import pytest
import safetensors.numpy as st

import jitnet as jax
import jitnet.numpy as jnp
from jitnet import checkpoint as ckpt
from jitnet.checkpoint import files as ckpt_files

Pair = collections.namedtuple("Pair", "first second")

DTYPES = ["bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64",
          "float16", "float32", "float64", ml_dtypes.bfloat16, ml_dtypes.float8_e4m3fn]


def sample(dtype, shape=(2, 3)):
    """Values spanning the dtype: random bits, the extreme integers, NaN for floats."""
    rs = np.random.RandomState(0)
    dt = np.dtype(dtype)
    if dt == np.bool_:
        return np.asarray(rs.rand(*shape) > 0.5)
    if dt.kind in "iu":
        vals = np.asarray(rs.randint(-2**62, 2**62, size=shape, dtype=np.int64)).astype(dt)
        if vals.size:
            vals.flat[0] = np.iinfo(dt).max
            vals.flat[-1] = np.iinfo(dt).min
        return vals
    vals = np.asarray(rs.randn(*shape) * 100).astype(dt)
    if vals.size:
        vals.flat[0] = np.nan
    return vals


def same_bits(a, b):
    a, b = np.asarray(a), np.asarray(b)
    return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("shape", [(2, 3), (), (0, 4)])
def test_every_dtype_round_trips_bit_exactly(tmp_path, dtype, shape):
    x = sample(dtype, shape)
    ckpt.save(tmp_path / "c", {"x": x})
    assert same_bits(ckpt.restore(tmp_path / "c")["x"], x)
    assert same_bits(ckpt.restore(tmp_path / "c", like={"x": x})["x"], x)


def test_nested_pytree_with_scalars_none_and_namedtuples(tmp_path):
    tree = {"params": [np.float32(1.5), (jnp.arange(4.0), None)],
            "opt": Pair(np.asarray(7, np.int32), {"mu": np.ones((2, 2), np.float16)}),
            "py": [3, -2**70, 2.5, float("nan"), float("-inf"), True, "text", None],
            "empty": {}, "t": ()}
    ckpt.save(tmp_path / "c", tree, metadata={"epoch": 3, "note": ["a", 1]})
    back = ckpt.restore(tmp_path / "c", like=tree)
    assert type(back["opt"]) is Pair and back["t"] == () and back["empty"] == {}
    assert same_bits(back["params"][0], np.float32(1.5))
    assert same_bits(back["params"][1][0], np.arange(4.0, dtype=np.float32))
    assert back["params"][1][1] is None and back["opt"].second["mu"].dtype == np.float16
    py = back["py"]
    assert py[:3] == [3, -2**70, 2.5] and math.isnan(py[3]) and py[4] == -math.inf
    assert py[5:] == [True, "text", None] and type(py[5]) is bool and type(py[0]) is int
    # without like=, namedtuples come back as namedtuples of the same name and fields
    free = ckpt.restore(tmp_path / "c")
    assert type(free["opt"]).__name__ == "Pair" and free["opt"]._fields == ("first", "second")
    assert ckpt.CheckpointReader(tmp_path / "c").metadata == {"epoch": 3, "note": ["a", 1]}


def test_files_are_plain_json_and_safetensors(tmp_path):
    x = np.array([1.0, -2.5, 3.25], ml_dtypes.bfloat16)
    y = np.arange(6, dtype=np.int64).reshape(2, 3)
    ckpt.save(tmp_path / "c", {"x": x, "inner": {"y": y}})
    manifest = json.loads((tmp_path / "c" / "manifest.json").read_text())
    assert manifest["format"] == "jitnet.checkpoint" and manifest["version"] == 1
    data = (tmp_path / "c" / "arrays.safetensors").read_bytes()
    assert manifest["files"]["arrays.safetensors"]["sha256"] == hashlib.sha256(data).hexdigest()
    stored = st.load(data)          # safetensors' own reader, keys are the leaves' paths
    assert same_bits(stored["inner/y"], y)
    assert stored["x"].dtype == np.uint16 and stored["x"].tobytes() == x.tobytes()
    kinds = {c["kind"] for c in manifest["tree"]["children"]}
    assert kinds == {"array", "dict"} and manifest["tree"]["children"][1]["dtype"] == "bfloat16"


def test_structure_mismatch_lists_names_and_shapes(tmp_path):
    saved = {"dense": {"kernel": np.zeros((4, 8), np.float32), "bias": np.zeros(8, np.float32)},
             "step": np.int32(0)}
    ckpt.save(tmp_path / "c", saved)
    other = {"dense": {"kernel": np.zeros((4, 5), np.float32), "scale": np.zeros(5, np.float32)},
             "step": np.float32(0)}
    with pytest.raises(ValueError) as e:
        ckpt.restore(tmp_path / "c", like=other)
    msg = str(e.value)
    assert "3 mismatch" in msg
    assert "dense: checkpoint lacks ['scale'] and has unexpected ['bias']" in msg
    assert "dense/kernel: checkpoint has float32[4, 8], expected float32[4, 5]" in msg
    assert "step: checkpoint has int32[], expected float32[]" in msg


def test_bad_leaves_and_dtypes_are_named(tmp_path):
    with pytest.raises(TypeError, match=r"a/1 is a object"):
        ckpt.save(tmp_path / "c", {"a": [np.zeros(1), object()]})
    with pytest.raises(TypeError, match=r"x has dtype complex64"):
        ckpt.save(tmp_path / "c", {"x": np.zeros(2, np.complex64)})
    with pytest.raises(TypeError, match="metadata must be JSON"):
        ckpt.save(tmp_path / "c", {"x": np.zeros(2)}, metadata={"f": float("nan")})
    assert not (tmp_path / "c").exists()


def _manager_with_two(tmp_path):
    m = ckpt.CheckpointManager(tmp_path / "run")
    m.save(1, {"w": np.arange(3.0)})
    m.save(2, {"w": np.arange(3.0) + 10})
    return m


def test_truncated_file_is_reported_and_previous_checkpoint_loads(tmp_path):
    m = _manager_with_two(tmp_path)
    f = tmp_path / "run" / "step_00000002" / "arrays.safetensors"
    f.write_bytes(f.read_bytes()[:-5])
    with pytest.raises(ckpt.CheckpointError, match=r"step_00000002/arrays.safetensors: \d+ "
                       r"bytes, the manifest says \d+ \(truncated"):
        m.restore()
    np.testing.assert_array_equal(m.restore(1)["w"], np.arange(3.0))


def test_flipped_byte_is_reported_and_previous_checkpoint_loads(tmp_path):
    m = _manager_with_two(tmp_path)
    f = tmp_path / "run" / "step_00000002" / "arrays.safetensors"
    data = bytearray(f.read_bytes())
    data[-3] ^= 0x10
    f.write_bytes(bytes(data))
    with pytest.raises(ckpt.CheckpointError, match="arrays.safetensors: sha256 checksum "
                       "mismatch .* corrupted"):
        ckpt.restore(tmp_path / "run" / "step_00000002")
    np.testing.assert_array_equal(m.restore(1)["w"], np.arange(3.0))


def test_crash_mid_save_keeps_the_previous_checkpoint(tmp_path, monkeypatch):
    m = _manager_with_two(tmp_path)
    real = ckpt_files._write_synced
    calls = []

    def crash_on_manifest(path, data):
        calls.append(path)
        if path.endswith("manifest.json"):
            raise OSError("disk full")
        real(path, data)
    monkeypatch.setattr(ckpt_files, "_write_synced", crash_on_manifest)
    with pytest.raises(OSError, match="disk full"):
        m.save(3, {"w": np.zeros(3)})
    with pytest.raises(OSError, match="disk full"):          # over an existing checkpoint
        ckpt.save(m.path(2), {"w": np.zeros(3)})
    monkeypatch.undo()
    assert calls and m.all_steps() == [1, 2] and m.latest_step() == 2
    np.testing.assert_array_equal(m.restore()["w"], np.arange(3.0) + 10)
    assert sorted(os.listdir(tmp_path / "run")) == ["latest", "step_00000001", "step_00000002"]


def _rewrite(path, arrays_bytes=None, manifest_edit=None):
    """Replace the arrays file and fix up the manifest's checksum, as an attacker could."""
    mpath = path / "manifest.json"
    manifest = json.loads(mpath.read_text())
    if arrays_bytes is not None:
        (path / "arrays.safetensors").write_bytes(arrays_bytes)
        manifest["files"]["arrays.safetensors"] = {
            "sha256": hashlib.sha256(arrays_bytes).hexdigest(), "bytes": len(arrays_bytes)}
    if manifest_edit is not None:
        manifest_edit(manifest)
    mpath.write_text(json.dumps(manifest))


class _Boom:
    def __reduce__(self):
        return (os.system, ("echo pwned",))


@pytest.fixture
def no_unpickling(monkeypatch):
    def refuse(*a, **k):
        raise AssertionError("something tried to unpickle")
    monkeypatch.setattr(pickle, "loads", refuse)
    monkeypatch.setattr(pickle, "load", refuse)


def test_pickle_payloads_are_rejected(tmp_path, no_unpickling):
    ckpt.save(tmp_path / "c", {"w": np.zeros(3)})
    payload = pickle.dumps({"w": _Boom()})
    _rewrite(tmp_path / "c", arrays_bytes=payload)
    with pytest.raises(ckpt.CheckpointError, match="pickle payload, which jitnet never loads"):
        ckpt.restore(tmp_path / "c")
    ckpt.save(tmp_path / "d", {"w": np.zeros(3)})
    (tmp_path / "d" / "manifest.json").write_bytes(payload)
    with pytest.raises(ckpt.CheckpointError, match="not valid JSON .*pickle payload"):
        ckpt.restore(tmp_path / "d")

    def add_pickle_file(m):
        m["files"]["weights.pkl"] = {"sha256": "0" * 64, "bytes": 1}
    ckpt.save(tmp_path / "e", {"w": np.zeros(3)})
    _rewrite(tmp_path / "e", manifest_edit=add_pickle_file)
    with pytest.raises(ckpt.CheckpointError, match="exactly one data file.*pickles never"):
        ckpt.restore(tmp_path / "e")


@pytest.mark.parametrize("edit, message", [
    (lambda m: m.update(loader="os.system"), r"unknown manifest fields \['loader'\]"),
    (lambda m: m["tree"]["children"][0].update(kind="pickle"), "unknown tree node kind 'pickle'"),
    (lambda m: m["tree"]["children"][0].update(codec="npy"), r"unknown fields \['codec'\]"),
    (lambda m: m["tree"].update(kind="node"), "missing fields"),
    (lambda m: m.update(version=99), "manifest version 99"),
    (lambda m: m["tree"]["children"][0].update(dtype="__loader__"), "unknown dtype '__loader__'"),
    (lambda m: m["tree"].update(keys=[["w"]]), "malformed dict node"),
    (lambda m: m["files"]["arrays.safetensors"].update(compress="zip"), "exactly 'sha256'"),
])
def test_unknown_manifest_fields_are_rejected(tmp_path, edit, message):
    ckpt.save(tmp_path / "c", {"w": np.zeros(3)})
    _rewrite(tmp_path / "c", manifest_edit=edit)
    with pytest.raises(ckpt.CheckpointError, match=message):
        ckpt.restore(tmp_path / "c")


def test_manifest_and_file_must_agree(tmp_path):
    ckpt.save(tmp_path / "c", {"w": np.zeros(3, np.float32)})
    _rewrite(tmp_path / "c", arrays_bytes=st.save({"w": np.zeros(4, np.float32)}))
    with pytest.raises(ckpt.CheckpointError, match=r"tensor 'w' is float32\[4\], the manifest "
                       r"says float32\[3\]"):
        ckpt.restore(tmp_path / "c")


def test_manager_keeps_last_k_and_the_best(tmp_path):
    m = ckpt.CheckpointManager(tmp_path / "run", max_to_keep=2, keep_best="val_loss")
    losses = {10: 0.9, 20: 0.3, 30: 0.5, 35: float("nan"), 40: 0.7, 50: 0.6}
    for step, loss in losses.items():
        m.save(step, {"w": np.full(2, step, np.float32)}, metrics={"val_loss": loss})
    assert m.all_steps() == [20, 40, 50] and m.best_step() == 20 and m.latest_step() == 50
    assert (tmp_path / "run" / "latest").read_text() == "step_00000050"
    assert ckpt.resolve(tmp_path / "run").endswith("step_00000050")
    np.testing.assert_array_equal(m.restore(20)["w"], [20, 20])
    # a new manager on the same directory (a new process) sees the same state
    again = ckpt.CheckpointManager(tmp_path / "run", max_to_keep=2, keep_best="val_loss")
    assert again.best_step() == 20 and again.metrics(50) == {"val_loss": 0.6}
    (tmp_path / "run" / "latest").write_text("../elsewhere")
    with pytest.raises(ckpt.CheckpointError, match="does not name a checkpoint in its "
                       "directory: '../elsewhere'"):
        ckpt.resolve(tmp_path / "run")
    with pytest.raises(KeyError, match="keep_best='val_loss' needs that metric"):
        m.save(60, {"w": np.zeros(2)})
    mx = ckpt.CheckpointManager(tmp_path / "acc", max_to_keep=1, keep_best="val_accuracy")
    for step, acc in [(1, 0.5), (2, 0.9), (3, 0.7)]:
        mx.save(step, {"w": np.zeros(1)}, metrics={"val_accuracy": acc})
    assert mx.all_steps() == [2, 3]


def test_item_restores_one_entry(tmp_path):
    ckpt.save(tmp_path / "c", {"a": np.ones(2), "b": [1, 2]})
    assert ckpt.restore(tmp_path / "c", item="b") == [1, 2]
    with pytest.raises(KeyError, match=r"no item 'z' \(has \['a', 'b'\]\)"):
        ckpt.restore(tmp_path / "c", item="z")


def test_missing_checkpoint_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="no checkpoint directory"):
        ckpt.restore(tmp_path / "nothing")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ckpt.CheckpointError, match="manifest.json: missing"):
        ckpt.restore(tmp_path / "empty")


def test_module_is_still_jax_checkpoint():
    """``jax.checkpoint(f)`` (rematerialisation) keeps working next to save/restore."""
    f = lambda x: jnp.sum(jnp.sin(x) * x)
    x = jnp.arange(3.0)
    g = jax.grad(jax.checkpoint(f))(x)
    xs = np.arange(3.0)
    np.testing.assert_allclose(g, np.sin(xs) + xs * np.cos(xs), rtol=1e-6)
