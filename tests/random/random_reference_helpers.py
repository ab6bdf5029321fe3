"""Replay of the JAX reference cases in tests/data/random_reference.json (shared helpers).

The cases and their encoding live in tests/data/record_random_reference.py, which
recorded them under JAX 0.10.2; it is imported here by path (it imports jax only
inside ``main``), so the replay uses exactly the recorder's decoding.
"""
from __future__ import annotations

import importlib.util
import json
import os

import numpy as np

import jitnet

DATA = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "data")


def _load_recorder():
    spec = importlib.util.spec_from_file_location(
        "record_random_reference", os.path.join(DATA, "record_random_reference.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


recorder = _load_recorder()

with open(os.path.join(DATA, "random_reference.json")) as _f:
    REFERENCE = json.load(_f)


x64 = jitnet.enable_x64   # x64(enabled): the block with jax_enable_x64 set, then restored


def case_id(i: int, case: dict) -> str:
    return f"{i:04d}-{case['fn']}-{'x64' if case['x64'] else 'x32'}"


def expected_array(out: dict) -> np.ndarray:
    dt = np.dtype(out["dtype"])
    vals = out["values"]
    if dt.kind == "c":
        vals = [complex(re, im) for re, im in vals]
    return np.asarray(vals, dt).reshape(out["shape"])


def replay(case: dict, random_mod, initializers_mod) -> np.ndarray:
    with x64(case["x64"]):
        return np.asarray(recorder.run_case(random_mod, initializers_mod, case))
