"""The staged path: jnp functions traced to IR (arguments abstract) and then evaluated give
NumPy's values, like the eager path does. Covers the branches taken only for tracers."""
from __future__ import annotations

import numpy as np
import pytest

import jitnet
import jitnet.numpy as jnp
from jnp_testutil import check, rand, rng_for, traced

R = rng_for("traced-battery")
M = rand(R, (3, 4), np.float32)
T = rand(R, (2, 3, 4), np.float32)
V = rand(R, (5,), np.float32)
I = rand(R, (3, 4), np.int32)
B = rand(R, (3, 4), np.bool_)

CASES = [
    ("reshape", lambda x: jnp.reshape(x, (4, -1)), lambda x: np.reshape(x, (4, -1)), (M,)),
    ("reshape_F", lambda x: jnp.reshape(x, (2, 6), order="F"),
     lambda x: np.reshape(x, (2, 6), order="F"), (M,)),
    ("ravel", jnp.ravel, np.ravel, (T,)),
    ("transpose", lambda x: jnp.transpose(x, (2, 0, 1)), lambda x: np.transpose(x, (2, 0, 1)),
     (T,)),
    ("swapaxes", lambda x: jnp.swapaxes(x, 0, -1), lambda x: np.swapaxes(x, 0, -1), (T,)),
    ("moveaxis", lambda x: jnp.moveaxis(x, (0, 1), (-1, 0)),
     lambda x: np.moveaxis(x, (0, 1), (-1, 0)), (T,)),
    ("expand_dims", lambda x: jnp.expand_dims(x, (0, -1)), lambda x: np.expand_dims(x, (0, -1)),
     (M,)),
    ("squeeze", lambda x: jnp.squeeze(x[None, :, None]), lambda x: np.squeeze(x[None, :, None]),
     (M,)),
    ("broadcast_arrays", lambda x, y: jnp.broadcast_arrays(x, y[:, None]),
     lambda x, y: np.broadcast_arrays(x, y[:, None]), (V, V)),
    ("concatenate", lambda x, y: jnp.concatenate([x, y, x], axis=1),
     lambda x, y: np.concatenate([x, y, x], axis=1), (M, I)),
    ("concatenate_tracer", lambda x: jnp.concatenate(x), lambda x: np.concatenate(x), (T,)),
    ("stack", lambda x, y: jnp.stack([x, y], -1), lambda x, y: np.stack([x, y], -1), (M, M)),
    ("hstack", lambda x, y: jnp.hstack([x, y]), lambda x, y: np.hstack([x, y]), (V, V)),
    ("vstack", lambda x, y: jnp.vstack([x, y]), lambda x, y: np.vstack([x, y]), (V, V)),
    ("dstack", lambda x, y: jnp.dstack([x, y]), lambda x, y: np.dstack([x, y]), (M, M)),
    ("column_stack", lambda x, y: jnp.column_stack([x, y]),
     lambda x, y: np.column_stack([x, y]), (V, V)),
    ("split", lambda x: jnp.split(x, [1, 3], axis=1), lambda x: np.split(x, [1, 3], axis=1),
     (M,)),
    ("array_split", lambda x: jnp.array_split(x, 3), lambda x: np.array_split(x, 3), (V,)),
    ("tile", lambda x: jnp.tile(x, (2, 1, 3)), lambda x: np.tile(x, (2, 1, 3)), (M,)),
    ("repeat", lambda x: jnp.repeat(x, 2, axis=0), lambda x: np.repeat(x, 2, axis=0), (M,)),
    ("repeat_list", lambda x: jnp.repeat(x, [1, 0, 2], axis=0),
     lambda x: np.repeat(x, [1, 0, 2], axis=0), (M,)),
    ("flip", lambda x: jnp.flip(x, (0, 2)), lambda x: np.flip(x, (0, 2)), (T,)),
    ("rot90", lambda x: jnp.rot90(x, 3), lambda x: np.rot90(x, 3), (M,)),
    ("roll", lambda x: jnp.roll(x, (1, -2), (0, 1)), lambda x: np.roll(x, (1, -2), (0, 1)),
     (M,)),
    ("pad_reflect", lambda x: jnp.pad(x, ((1, 2), (3, 0)), "reflect"),
     lambda x: np.pad(x, ((1, 2), (3, 0)), "reflect"), (M,)),
    ("pad_const", lambda x: jnp.pad(x, 2, constant_values=-1.0),
     lambda x: np.pad(x, 2, constant_values=-1.0), (M,)),
    ("pad_traced_constant", lambda x, c: jnp.pad(x, 1, constant_values=c),
     lambda x, c: np.pad(x, 1, constant_values=c), (M, np.float32(7))),
    ("atleast_3d", jnp.atleast_3d, np.atleast_3d, (V,)),
    ("where", jnp.where, np.where, (B, M, I)),
    ("clip", lambda x, lo: jnp.clip(x, lo, 0.5), lambda x, lo: np.clip(x, lo, 0.5),
     (M, np.float32(-0.5))),
    ("tril", lambda x: jnp.tril(x, -1), lambda x: np.tril(x, -1), (T,)),
    ("triu", lambda x: jnp.triu(x, 1), lambda x: np.triu(x, 1), (M,)),
    ("diag", jnp.diag, np.diag, (V,)),
    ("diagonal", lambda x: jnp.diagonal(x, 1, 0, 2), lambda x: np.diagonal(x, 1, 0, 2), (T,)),
    ("trace", jnp.trace, np.trace, (M,)),
    ("meshgrid", jnp.meshgrid, np.meshgrid, (V, V[:3])),
    ("full_like", lambda x: jnp.full_like(x, 3.0), lambda x: np.full_like(x, 3.0), (M,)),
    ("zeros_like", jnp.zeros_like, np.zeros_like, (I,)),
    ("full_traced", lambda v: jnp.full((2, 3), v), lambda v: np.full((2, 3), v),
     (np.float32(2.5),)),
    ("linspace_traced", lambda a, b: jnp.linspace(a, b, 5), lambda a, b: np.linspace(a, b, 5),
     (np.float32(-1), np.float32(3))),
    ("array_of_tracers", lambda a, b: jnp.array([[a, b], [b, a]]),
     lambda a, b: np.array([[a, b], [b, a]]), (np.float32(1), np.float32(2))),
    ("sort", lambda x: jnp.sort(x, axis=0), lambda x: np.sort(x, axis=0), (M,)),
    ("lexsort", lambda a, b: jnp.lexsort((a, b)), lambda a, b: np.lexsort((a, b)),
     (I[0], I[1])),
    ("take_along_axis", lambda x, i: jnp.take_along_axis(x, i, 1),
     lambda x, i: np.take_along_axis(x, i, 1), (M, np.argsort(M, 1))),
    ("matmul", jnp.matmul, np.matmul, (T, M.T)),
    ("tensordot", lambda a, b: jnp.tensordot(a, b, ((1, 2), (0, 1))),
     lambda a, b: np.tensordot(a, b, ((1, 2), (0, 1))), (T, M)),
    ("outer", jnp.outer, np.outer, (V, V)),
    ("kron", jnp.kron, np.kron, (M, M[:2, :2])),
    ("average", lambda x, w: jnp.average(x, 1, w), lambda x, w: np.average(x, 1, w),
     (M, np.abs(V[:4]) + 0.1)),
    ("isclose", jnp.isclose, np.isclose, (M, M + 1e-6)),
    ("nan_to_num", jnp.nan_to_num, np.nan_to_num, (np.array([np.nan, np.inf, 1.0], np.float32),)),
    ("round", lambda x: jnp.round(x, 2), lambda x: np.round(x, 2), (M,)),
    ("divmod", jnp.divmod, np.divmod, (I, np.abs(I) + 1)),
    ("argwhere_size", lambda x: jnp.argwhere(x, size=5), lambda x: np.argwhere(x)[:5], (B,)),
    ("flatnonzero_size", lambda x: jnp.flatnonzero(x, size=4, fill_value=-1),
     lambda x: np.flatnonzero(x)[:4], (B,)),
]


@pytest.mark.parametrize("name,f,npf,args", CASES, ids=[c[0] for c in CASES])
def test_traced_matches_numpy(name, f, npf, args):
    got = traced(f)(*args)
    want = npf(*args)
    if isinstance(want, (list, tuple)):
        assert isinstance(got, (list, tuple)) and len(got) == len(want)
        for g, w in zip(got, want):
            check(g, w, rtol=1e-5, atol=1e-5)
    else:
        check(got, want, rtol=1e-5, atol=1e-5)


def test_traced_ir_is_built_once_per_shape():
    """Tracing really stages the computation: the jaxpr lists the primitives."""
    jaxpr = jitnet.make_jaxpr(lambda x: jnp.sum(jnp.sin(x) * 2.0, axis=0))(M)
    text = str(jaxpr)
    for prim in ("sin", "mul", "reduce_sum"):
        assert prim in text
