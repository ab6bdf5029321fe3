"""Plans of the hand-written kernels (``jitnet/kernels``): plain data computed from an
equation, no Numba, and where each kernel lives.

A plan says whether a kernel takes an equation (otherwise the generated loop nests of
``codegen/cpu/conv.py`` do) and lists the numbers the kernel receives at run time. Sizes
are not in it: the kernel reads them from its arrays, so one compiled kernel serves every
shape and the glue text does not change with the batch size. ``work_split`` is shared with
the kernel (compiled there with ``njit``), so the split a test sees is the one that runs.
The kernels sit above the code generator and the runtime: a generated program names the
ones it calls in import lines of its own text (``kernel_imports``).
"""
from __future__ import annotations

import math
import os
import re
from dataclasses import dataclass

import numpy as np

# the module of each kernel, by name prefix (each module lists its exact names in ``SYMBOLS``)
KERNEL_MODULES = {"jn_conv2d_": "jitnet.kernels.conv", "jn_linalg_": "jitnet.kernels.linalg",
                  "jn_sort_keys_": "jitnet.kernels.sort", "jn_sort_take_": "jitnet.kernels.sort",
                  "jn_reduce_window_": "jitnet.kernels.window",
                  "jn_patches_": "jitnet.kernels.window",
                  "jn_threefry2x32": "jitnet.kernels.random"}


def kernel_callers(source: str) -> list:
    """``(module, name)`` of each kernel ``source`` calls (``jn_conv2d_float32(...)``), by
    module."""
    called = sorted(set(re.findall(r"\b(jn_\w+)\(", source)))
    return [(module, n) for module in dict.fromkeys(KERNEL_MODULES.values()) for n in called
            if any(n.startswith(p) and m == module for p, m in KERNEL_MODULES.items())]


def kernel_imports(source: str) -> str:
    """The import lines for the kernels ``source`` calls: only those, since importing one
    loads its machine code from the disk cache, or compiles it."""
    return "".join(f"from {m} import {n}\n" for m, n in kernel_callers(source))


# the largest im2col buffer of one work item (stays in L2 between the gather and the product)
COLS_BYTES = 1 << 20
# below this many multiply-adds per output element and group (out features per group times
# I * prod(K)) the product is too small for BLAS: depthwise convs keep the generated loops
GEMM_MIN_WORK = 32
KERNEL_DTYPES = ("float32", "float64")
# the output-major algorithm (``ConvPlan.output_major``): from this many lhs features per
# group (its product's contraction), half as many on images of OUTPUT_MAJOR_LARGE_IMAGE
# positions or more, with a product of at most ZBUF_BYTES per sample
OUTPUT_MAJOR_MIN_FEATURES = 32
OUTPUT_MAJOR_LARGE_IMAGE = 512
ZBUF_BYTES = 4 << 20


def work_split(n, rows, row_bytes, threads):
    """(rows per item, items) for ``n`` samples of ``rows`` output rows whose im2col
    columns take ``row_bytes`` each: whole samples when they fit in COLS_BYTES and give
    every thread work, else each sample cut into blocks of rows. Plain int arithmetic (the
    kernel compiles this same function)."""
    if n == 0 or rows == 0:
        return 1, 0
    rb = rows
    fit = max(1, COLS_BYTES // max(1, row_bytes))
    if rb > fit:
        rb = fit
    if n < 2 * threads:  # few samples: cut them so that every thread gets at least 2 items
        want = (2 * threads + n - 1) // n
        per = (rows + want - 1) // want
        if per < rb:
            rb = max(1, per)
    nr = (rows + rb - 1) // rb
    return rb, n * nr


@dataclass(frozen=True)
class ConvPlan:
    """One 2-D convolution as the im2col + BLAS kernel sees it.

    ``lhs_spec``/``rhs_spec``/``out_spec`` give, in canonical order (N, C, H, W),
    (O, I, KH, KW) and (N, O, PH, PW), the axis of each array. ``channels_last``: the
    output's features are its innermost axis, so each tile is cols (positions, I*K) @
    W^T (I*K, O/G) and the gather reads runs of input channels; otherwise W (O/G, I*K) @
    cols (I*K, positions) and the gather reads runs of input positions."""
    lhs_spec: tuple
    rhs_spec: tuple
    out_spec: tuple
    window_strides: tuple
    padding_lo: tuple
    lhs_dilation: tuple
    rhs_dilation: tuple
    feature_group_count: int
    channels_last: bool
    dtype: str
    threads: int   # threads the work is split for (the machine's cores, as generated code)
    # a window larger than the output (a weight gradient written as a convolution,
    # ``prims/conv._conv_rhs_grad_as_conv``): the kernel contracts over the window, one
    # lhs feature per work item, instead of gathering each output position's window
    window_major: bool = False
    # lhs with contiguous (H, W) planes (channels-first): Z = W (O*K, I) @ x (I, H*W) per
    # sample, then each output the sum of its window's entries of Z (``kernels/conv.py``
    # ``conv2d_output_major``), instead of gathering columns
    output_major: bool = False

    def args(self) -> tuple:
        """The kernel's ``geom`` argument: one tuple of ints."""
        return (tuple(self.lhs_spec) + tuple(self.rhs_spec) + tuple(self.out_spec)
                + tuple(self.window_strides) + tuple(self.padding_lo)
                + tuple(self.lhs_dilation) + tuple(self.rhs_dilation)
                + (self.feature_group_count, int(self.channels_last), self.threads,
                   int(self.window_major), int(self.output_major)))

    def split(self, lhs_shape, rhs_shape, out_shape) -> tuple:
        """(rows per work item, items) the kernel uses for these shapes."""
        i_, kh, kw = (rhs_shape[self.rhs_spec[d]] for d in (1, 2, 3))
        ph, pw = (out_shape[self.out_spec[d]] for d in (2, 3))
        if self.window_major:  # items: (lhs feature, block of window rows)
            rows = out_shape[self.out_spec[0]] * ph * pw
            return work_split(lhs_shape[self.lhs_spec[1]], kh,
                              rows * kw * np.dtype(self.dtype).itemsize, self.threads)
        row_bytes = i_ * kh * kw * pw * np.dtype(self.dtype).itemsize
        return work_split(lhs_shape[self.lhs_spec[0]], ph, row_bytes, self.threads)


def _as_2d(params, lhs_shape, rhs_shape, out_shape):
    """A 1-D convolution as a 2-D one over its arrays with a unit axis 3 appended (the
    kernel's caller reads 3-D arrays so): that axis is the first spatial dim."""
    lspec, rspec, ospec = params["dimension_numbers"]
    spec = tuple((s[0], s[1], 3, s[2]) for s in (lspec, rspec, ospec))
    params = dict(params, dimension_numbers=spec,
                  window_strides=(1,) + tuple(params["window_strides"]),
                  padding=((0, 0),) + tuple(params["padding"]),
                  lhs_dilation=(1,) + tuple(params["lhs_dilation"]),
                  rhs_dilation=(1,) + tuple(params["rhs_dilation"]))
    return params, tuple(lhs_shape) + (1,), tuple(rhs_shape) + (1,), tuple(out_shape) + (1,)


def plan_conv(params, lhs_shape, rhs_shape, out_shape, dtype) -> ConvPlan | None:
    """The kernel plan of a ``conv_general_dilated`` equation, or None when the generated
    loops handle it: other ranks than 1-D and 2-D, integer or complex dtypes, products too
    small for BLAS (depthwise), empty arrays."""
    if len(lhs_shape) == 3:
        params, lhs_shape, rhs_shape, out_shape = _as_2d(params, lhs_shape, rhs_shape,
                                                         out_shape)
    if len(lhs_shape) != 4 or np.dtype(dtype).name not in KERNEL_DTYPES:
        return None
    lspec, rspec, ospec = (tuple(int(a) for a in s) for s in params["dimension_numbers"])
    g = params["feature_group_count"]
    o_, i_ = rhs_shape[rspec[0]], rhs_shape[rspec[1]]
    ks = [rhs_shape[d] for d in rspec[2:]]
    if (o_ // g) * i_ * math.prod(ks) < GEMM_MIN_WORK:
        return None
    if 0 in tuple(lhs_shape) + tuple(rhs_shape) + tuple(out_shape):
        return None
    positions = math.prod(out_shape[d] for d in ospec[2:])
    window_major = math.prod(ks) > positions
    return ConvPlan(lhs_spec=lspec, rhs_spec=rspec, out_spec=ospec,
                    window_strides=tuple(params["window_strides"]),
                    padding_lo=tuple(lo for lo, _ in params["padding"]),
                    lhs_dilation=tuple(params["lhs_dilation"]),
                    rhs_dilation=tuple(params["rhs_dilation"]),
                    feature_group_count=g, channels_last=ospec[1] == 3,
                    dtype=np.dtype(dtype).name, threads=os.cpu_count() or 1,
                    window_major=window_major,
                    output_major=not window_major and output_major(
                        lspec, ospec, i_, o_ // g, math.prod(ks), math.prod(lhs_shape[2:]),
                        np.dtype(dtype).itemsize))


def output_major(lhs_spec, out_spec, in_features, out_features, window, positions,
                 itemsize) -> bool:
    """Whether a convolution takes the kernel's output-major algorithm (``ConvPlan``):
    an NCHW lhs (its planes are the product's rhs, read in place), a channels-first output,
    enough lhs features per group (the product's contraction: OUTPUT_MAJOR_MIN_FEATURES,
    or half that on images of at least OUTPUT_MAJOR_LARGE_IMAGE ``positions``) and a
    product (out features per group * ``window`` size * lhs positions) of at most
    ZBUF_BYTES per sample. Measured against im2col (benchmarks/RESULTS.md, section
    conv16): 0.44-0.80x the time from 32 lhs features and with 16 on 28x28 images,
    1.07x with 16 on 14x14, 1.0-3x slower below."""
    enough = (in_features >= OUTPUT_MAJOR_MIN_FEATURES
              or (2 * in_features >= OUTPUT_MAJOR_MIN_FEATURES
                  and positions >= OUTPUT_MAJOR_LARGE_IMAGE))
    return (tuple(lhs_spec) == (0, 1, 2, 3) and out_spec[1] != 3 and enough
            and out_features * window * positions * itemsize <= ZBUF_BYTES)


# the computations the window kernel folds (``kernels/window.py``), by their code there
WINDOW_COMPUTATIONS = ("add", "max", "min")


@dataclass(frozen=True)
class WindowPlan:
    """One ``reduce_window`` as the window kernel sees it: its arrays as 4-D (unit dims
    prepended to a lower rank, with window 1, stride 1 and no padding on them), the
    window geometry per dim, the threads the work is split over (the machine's cores, as
    generated code) and the work (output elements times window size) from which it is:
    the kernel decides at run time, so that the call's text does not change with the batch
    size."""
    computation: str
    dtype: str
    window_dimensions: tuple
    window_strides: tuple
    padding_lo: tuple
    window_dilation: tuple
    threads: int
    parallel_work: int

    def args(self) -> tuple:
        """The kernel's ``geom`` argument: one tuple of ints."""
        return (tuple(self.window_dimensions) + tuple(self.window_strides)
                + tuple(self.padding_lo) + tuple(self.window_dilation)
                + (self.threads, self.parallel_work,
                   WINDOW_COMPUTATIONS.index(self.computation)))


def plan_reduce_window(params, x_shape, out_shape, dtype, parallel_work) -> WindowPlan | None:
    """The kernel plan of a ``reduce_window`` equation, or None when the generated loops
    handle it: ranks 0 and above 4, dtypes other than float32/float64, base dilation
    (a transposed window), empty arrays. ``parallel_work``: the work from which the
    kernel splits it over threads (the generated code's threshold)."""
    n = len(x_shape)
    if not 1 <= n <= 4 or np.dtype(dtype).name not in KERNEL_DTYPES:
        return None
    if params["computation"] not in WINDOW_COMPUTATIONS:
        return None
    if any(b != 1 for b in params["base_dilation"]):
        return None
    if 0 in tuple(x_shape) + tuple(out_shape):
        return None
    win = _window4(params, n)
    del win["base_dilation"]
    return WindowPlan(computation=params["computation"], dtype=np.dtype(dtype).name,
                      threads=os.cpu_count() or 1, parallel_work=parallel_work, **win)


def _window4(params, n) -> dict:
    """The window params of a rank-``n`` operand (n <= 4) as 4-D ones: unit dims prepended,
    with window 1, stride 1, no padding and no dilation on them; padding as its lo sides."""
    lead = (1,) * (4 - n)
    return dict(window_dimensions=lead + tuple(params["window_dimensions"]),
                window_strides=lead + tuple(params["window_strides"]),
                padding_lo=(0,) * (4 - n) + tuple(lo for lo, _ in params["padding"]),
                base_dilation=lead + tuple(params["base_dilation"]),
                window_dilation=lead + tuple(params["window_dilation"]))


@dataclass(frozen=True)
class PatchesPlan:
    """One ``patches`` (im2col) or, ``transpose``, ``patches_transpose`` (col2im) as the
    window kernels see it: the operand as 4-D (unit dims prepended to a lower rank, with
    window 1, stride 1, no padding or dilation on them; the patches array then has unit dims
    prepended to its positions and to its window), the window geometry per dim, the threads
    the work is split over and the work (elements written) from which it is, decided at run
    time as for ``WindowPlan``. The patches' pad value is an argument of its own."""
    transpose: bool
    dtype: str
    window_dimensions: tuple
    window_strides: tuple
    padding_lo: tuple
    base_dilation: tuple
    window_dilation: tuple
    threads: int
    parallel_work: int

    def args(self) -> tuple:
        """The kernel's ``geom`` argument: one tuple of ints."""
        return (tuple(self.window_dimensions) + tuple(self.window_strides)
                + tuple(self.padding_lo) + tuple(self.base_dilation)
                + tuple(self.window_dilation) + (self.threads, self.parallel_work))


def plan_patches(params, operand_shape, patches_shape, dtype, parallel_work,
                 transpose=False) -> PatchesPlan | None:
    """The kernel plan of a ``patches`` equation (``transpose``: a ``patches_transpose``
    one, whose output is the operand), or None when the generated loops handle it: ranks 0
    and above 4 (a vmapped pooling's gradient), dtypes other than float32/float64, empty
    arrays. ``parallel_work``: the work from which the kernel splits it over threads."""
    n = len(operand_shape)
    if not 1 <= n <= 4 or np.dtype(dtype).name not in KERNEL_DTYPES:
        return None
    if 0 in tuple(operand_shape) + tuple(patches_shape):
        return None
    return PatchesPlan(transpose=transpose, dtype=np.dtype(dtype).name,
                       threads=os.cpu_count() or 1, parallel_work=parallel_work,
                       **_window4(params, n))
