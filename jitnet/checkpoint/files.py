"""Checkpoint directories: ``manifest.json`` (structure, dtypes, checksums, metadata) and
``arrays.safetensors`` (the array leaves). Nothing is unpickled or executed on load.

A save writes a temporary sibling directory, fsyncs its files, then renames it into place,
so ``path`` is either the old checkpoint or the complete new one. A load reads each file
once, checks its size and sha256 against the manifest, then parses it.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import tempfile

import numpy as np

from . import tree as _tree

FORMAT, VERSION = "jitnet.checkpoint", 1
MANIFEST, ARRAYS = "manifest.json", "arrays.safetensors"
_MANIFEST_FIELDS = {"format", "version", "jitnet_version", "files", "tree", "metadata"}
_FILE_FIELDS = {"sha256", "bytes"}
_FILE_NAME = re.compile(r"^[A-Za-z0-9_.-]+\.safetensors$")


class CheckpointError(ValueError):
    """A checkpoint that cannot be loaded: missing, corrupted, or not in jitnet's format."""


def _safetensors():
    try:
        import safetensors.numpy as st
    except ImportError:
        raise ImportError("jitnet.checkpoint needs the 'safetensors' package: "
                          "pip install 'jitnet[checkpoint]'") from None
    return st


# -- dtypes safetensors lacks (bfloat16, float8...) travel as unsigned bits --------------
def _ml_dtype(name: str):
    try:
        import ml_dtypes
    except ImportError:
        raise ImportError(f"reading a {name} array needs the 'ml_dtypes' package") from None
    return np.dtype(getattr(ml_dtypes, name))


_NATIVE = {"bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64",
           "float16", "float32", "float64"}
_AS_BITS = {"bfloat16", "float8_e4m3fn", "float8_e4m3fnuz", "float8_e4m3b11fnuz", "float8_e5m2",
            "float8_e5m2fnuz"}


def _to_storage(x, key: str) -> np.ndarray:
    a = np.asarray(x)
    if not a.flags.c_contiguous:
        a = a.copy(order="C")      # (np.ascontiguousarray would turn 0-d into 1-d)
    if a.dtype.name in _NATIVE:
        return a
    if a.dtype.name in _AS_BITS:                                  # ml_dtypes floats
        return a.view(np.uint8 if a.dtype.itemsize == 1 else np.uint16)
    raise TypeError(f"checkpoint.save: {key} has dtype {a.dtype}, which checkpoints do not "
                    f"store (supported: {', '.join(sorted(_NATIVE))}, bfloat16, float8)")


def _from_storage(a: np.ndarray, dtype: str) -> np.ndarray:
    return a if dtype in _NATIVE else a.view(_ml_dtype(dtype))


# -- atomic writes -----------------------------------------------------------------------
def _write_synced(path: str, data: bytes) -> None:
    with open(path, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())


def _fsync_dir(path: str) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_text_atomic(path: str, text: str) -> None:
    """Replace ``path`` with ``text`` in one rename (a reader sees old or new, never half)."""
    parent = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=f".{os.path.basename(path)}.tmp-", dir=parent)
    os.close(fd)
    try:
        _write_synced(tmp, text.encode())
        os.replace(tmp, path)
        _fsync_dir(parent)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


def _json(obj, what: str) -> str:
    try:
        return json.dumps(obj, allow_nan=False, sort_keys=True, indent=1)
    except (TypeError, ValueError) as e:
        raise TypeError(f"checkpoint.save: {what} must be JSON data (dicts, lists, str, "
                        f"finite numbers, bool, None): {e}") from None


def save(path, tree, metadata=None, *, overwrite: bool = True) -> str:
    """Write ``tree`` (any pytree of arrays, Python scalars and None) to directory ``path``.

    ``metadata`` is JSON data kept in the manifest (step, epoch, metrics...). The write is
    atomic: a crash leaves the previous checkpoint at ``path`` (or none), never a partial
    one. Returns ``path``."""
    st = _safetensors()
    path = os.path.abspath(os.fspath(path))
    if os.path.exists(path) and not overwrite:
        raise FileExistsError(f"checkpoint.save: {path} exists (pass overwrite=True)")
    node, leaves = _tree.describe(tree)
    arrays = {k: _to_storage(v, k) for k, v in leaves.items()}
    from .. import __version__
    meta_text = _json(metadata if metadata is not None else {}, "metadata")
    parent = os.path.dirname(path)
    os.makedirs(parent, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix=f".{os.path.basename(path)}.tmp-", dir=parent)
    try:
        blob = st.save(arrays)
        _write_synced(os.path.join(tmp, ARRAYS), blob)
        manifest = {"format": FORMAT, "version": VERSION, "jitnet_version": __version__,
                    "files": {ARRAYS: {"sha256": hashlib.sha256(blob).hexdigest(),
                                       "bytes": len(blob)}},
                    "tree": node, "metadata": json.loads(meta_text)}
        _write_synced(os.path.join(tmp, MANIFEST), _json(manifest, "the manifest").encode())
        _fsync_dir(tmp)
        old = None
        if os.path.exists(path):
            old = tempfile.mkdtemp(prefix=f".{os.path.basename(path)}.old-", dir=parent)
            os.rename(path, os.path.join(old, "ckpt"))
        os.rename(tmp, path)
        _fsync_dir(parent)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return path


# -- loading -----------------------------------------------------------------------------
def _check_manifest(m, where: str) -> None:
    def bad(msg):
        raise CheckpointError(f"{where}: {msg}")
    if not isinstance(m, dict):
        bad(f"the manifest is a JSON {type(m).__name__}, not an object")
    if m.get("format") != FORMAT:
        bad(f"not a jitnet checkpoint manifest (format {m.get('format')!r})")
    unknown, missing = set(m) - _MANIFEST_FIELDS, _MANIFEST_FIELDS - set(m)
    if unknown or missing:
        bad(f"unknown manifest fields {sorted(unknown)}, missing {sorted(missing)}")
    if m["version"] != VERSION:
        bad(f"manifest version {m['version']!r}; this jitnet reads version {VERSION}")
    files = m["files"]
    if not isinstance(files, dict) or set(files) != {ARRAYS}:
        bad(f"the manifest must list exactly one data file, {ARRAYS!r}; it lists "
            f"{sorted(files) if isinstance(files, dict) else files!r} (only safetensors "
            "files are read; pickles never are)")
    for name, info in files.items():
        if not _FILE_NAME.match(name):
            bad(f"data file name {name!r} is not a plain .safetensors file name")
        if not isinstance(info, dict) or set(info) != _FILE_FIELDS or \
                not isinstance(info["sha256"], str) or not isinstance(info["bytes"], int):
            bad(f"file entry {name!r} must have exactly 'sha256' (hex) and 'bytes' (int)")
    try:
        _tree.validate(m["tree"])
    except ValueError as e:
        bad(f"invalid tree in manifest: {e}")


def _looks_like_pickle(data: bytes) -> bool:
    """Pickle protocol 2-5 framing (PROTO opcode first, STOP last); asked only of bytes that
    failed to parse, so it only chooses the error message."""
    return data[:1] == b"\x80" and data[1:2] in (b"\x02", b"\x03", b"\x04", b"\x05") \
        and data.rstrip()[-1:] == b"."


class CheckpointReader:
    """A checkpoint with a verified manifest: ``metadata``, ``tree`` (the manifest's
    description) and ``restore(like=None, item=None)``. The data file is read and checked
    once, at the first ``restore`` (reading metadata does not touch it)."""

    def __init__(self, path):
        self.path = os.path.abspath(os.fspath(path))
        mpath = os.path.join(self.path, MANIFEST)
        if not os.path.isdir(self.path):
            raise FileNotFoundError(f"checkpoint.restore: no checkpoint directory at "
                                    f"{self.path}")
        try:
            with open(mpath, "rb") as f:
                raw = f.read()
        except FileNotFoundError:
            raise CheckpointError(f"{mpath}: missing (an incomplete or foreign checkpoint "
                                  "directory)") from None
        try:
            manifest = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as e:
            what = " (it is a pickle payload, which jitnet never loads)" \
                if _looks_like_pickle(raw) else ""
            raise CheckpointError(f"{mpath}: not valid JSON{what}: {e}") from None
        _check_manifest(manifest, mpath)
        self.manifest = manifest
        self.metadata = manifest["metadata"]
        self.tree = manifest["tree"]
        self._arrays = None

    def _read_arrays(self) -> dict:
        name, info = ARRAYS, self.manifest["files"][ARRAYS]
        fpath = os.path.join(self.path, name)
        try:
            with open(fpath, "rb") as f:
                data = f.read()
        except FileNotFoundError:
            raise CheckpointError(f"{fpath}: missing (listed in the manifest)") from None
        if len(data) != info["bytes"]:
            raise CheckpointError(f"{fpath}: {len(data)} bytes, the manifest says "
                                  f"{info['bytes']} (truncated or overwritten)")
        digest = hashlib.sha256(data).hexdigest()
        if digest != info["sha256"]:
            raise CheckpointError(f"{fpath}: sha256 checksum mismatch (file {digest[:16]}..., "
                                  f"manifest {info['sha256'][:16]}...): the file is corrupted")
        try:
            stored = _safetensors().load(data)
        except Exception as e:       # safetensors raises its own error type
            if _looks_like_pickle(data):
                raise CheckpointError(f"{fpath}: holds a pickle payload, which jitnet never "
                                      "loads") from None
            raise CheckpointError(f"{fpath}: not a valid safetensors file: {e}") from None
        wanted = {}
        _array_nodes(self.tree, wanted)
        if set(stored) != set(wanted):
            raise CheckpointError(f"{fpath}: tensors {sorted(set(stored) ^ set(wanted))} are "
                                  "in only one of the file and the manifest")
        out = {}
        for key, node in wanted.items():
            if node["dtype"] not in _NATIVE | _AS_BITS:
                raise CheckpointError(f"{self.path}: tensor {key!r} has the unknown dtype "
                                      f"{node['dtype']!r} in the manifest")
            a = _from_storage(stored[key], node["dtype"])
            if a.dtype.name != node["dtype"] or list(a.shape) != node["shape"]:
                raise CheckpointError(f"{fpath}: tensor {key!r} is {a.dtype.name}"
                                      f"{list(a.shape)}, the manifest says "
                                      f"{node['dtype']}{node['shape']}")
            out[key] = a
        return out

    def restore(self, like=None, item=None):
        """The saved tree; with ``like``, in ``like``'s structure after checking it matches
        (names, dtypes and shapes). ``item`` restores one entry of a dict-rooted tree."""
        node = self.tree
        if item is not None:
            if node["kind"] != "dict" or item not in node["keys"]:
                have = node.get("keys") if node["kind"] == "dict" else _tree.summary(node)
                raise KeyError(f"checkpoint {self.path}: no item {item!r} (has {have})")
            node = node["children"][node["keys"].index(item)]
        if like is not None:
            expected, _ = _tree.describe(like)
            problems = _tree.mismatches(node, expected)
            if problems:
                shown = "\n  ".join(problems[:30])
                more = f"\n  ... and {len(problems) - 30} more" if len(problems) > 30 else ""
                raise ValueError(f"checkpoint.restore: {self.path} does not match the "
                                 f"structure of like= ({len(problems)} mismatch(es)):\n  "
                                 f"{shown}{more}")
        if self._arrays is None:
            self._arrays = self._read_arrays()
        if like is None:
            return _tree.build(node, self._arrays)
        return _tree.build_like(node, self._arrays, like)


def _array_nodes(node, out: dict) -> None:
    if node["kind"] == "array":
        if node["key"] in out:
            raise CheckpointError(f"the manifest uses tensor key {node['key']!r} twice")
        out[node["key"]] = node
    for c in node.get("children", ()):
        _array_nodes(c, out)


def restore(path, like=None, *, item=None):
    """Load the tree saved at ``path`` (see ``CheckpointReader.restore``)."""
    return CheckpointReader(path).restore(like=like, item=item)
