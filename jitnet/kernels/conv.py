"""2-D convolution (``conv_general_dilated``, and so its input gradient) as im2col + BLAS.

One kernel for every layout, shape, stride, padding, dilation and feature group count:
arrays arrive C-contiguous in whatever layout the program holds them, and the kernel
indexes them through flat views with element strides taken from their shapes and the
``geom`` tuple (``plan.ConvPlan.args``). A work item is one sample or a block of its
output rows (``plan.work_split``); each thread gathers an item's columns into its own
buffer, multiplies them by one feature group's weights with one BLAS call (single-threaded
BLAS, ``runtime/threads.py``), written in place when the output has its natural layout
(NCHW, or NHWC for channels-last), else copied out. A window larger than the output (a
weight gradient as XLA writes it, ``prims/conv._conv_rhs_grad_as_conv``) takes
``conv2d_window`` instead: the contraction over the window, one lhs feature per work item.
An NCHW lhs with many features per group takes ``conv2d_output_major``: the product first
(weights by the lhs planes, read in place), then a shifted sum per output element.
Compiled once per dtype.
"""
from __future__ import annotations

import numba
import numpy as np
from numba import prange
from numba.core import types as nbt
from numba.extending import overload

from ..runtime.numba_math import jn_gemm_f32, jn_gemm_f64
from ..runtime.c_kernel import c_kernel
from ..codegen.kernel_plan import work_split as _work_split

work_split = numba.njit(_work_split)


def _gemm(a, b, out, ta, tb, scratch):
    """out = op(a) @ op(b) through BLAS (numba_math's gemm of the operands' dtype). Not
    np.dot: Numba cannot cache functions that call it (its BLAS pointers are dynamic
    globals)."""


@overload(_gemm)
def _gemm_typed(a, b, out, ta, tb, scratch):
    gemm = jn_gemm_f32 if a.dtype == nbt.float32 else jn_gemm_f64
    return lambda a, b, out, ta, tb, scratch: gemm(a, b, out, ta, tb, scratch)


@numba.njit
def _c_strides(shape):
    """Element strides of a C-contiguous 4-D array."""
    s2 = shape[3]
    s1 = shape[2] * s2
    return s1 * shape[1], s1, s2, 1


@numba.njit
def _pack_weights(w, geom, cl):
    """The weights as (G, O/G, I*K) (cl=0: rows of W_g) or (G, I*K, O/G) (cl=1: W_g^T),
    contraction index (i, kh, kw) resp. (kh, kw, i) to match the gather's order."""
    r0, r1, r2, r3 = geom[4], geom[5], geom[6], geom[7]
    G = geom[20]
    st = _c_strides(w.shape)
    O, I, KH, KW = w.shape[r0], w.shape[r1], w.shape[r2], w.shape[r3]
    sO, sI, sKH, sKW = st[r0], st[r1], st[r2], st[r3]
    Og, IK = O // G, I * KH * KW
    wf = w.reshape(w.size)
    wk = np.empty((G, IK, Og) if cl else (G, Og, IK), w.dtype)
    for o in range(O):
        g, oo = o // Og, o % Og
        for i in range(I):
            for kh in range(KH):
                for kw in range(KW):
                    v = wf[o * sO + i * sI + kh * sKH + kw * sKW]
                    if cl:
                        wk[g, (kh * KW + kw) * I + i, oo] = v
                    else:
                        wk[g, oo, (i * KH + kh) * KW + kw] = v
    return wk


# Hot loops index with uint64: Numba's wraparound test on signed indices turns contiguous
# loads and stores into gathers and scatters (as in generated code, codegen/cpu/loops.py).

@numba.njit
def _zero(a, start, stop):
    """a[start:stop] = 0 (a loop: Numba compiles slice assignment slowly)."""
    for i in range(start, stop):
        a[np.uint64(i)] = 0


@numba.njit
def _valid_range(n, s, off, size):
    """[a, b): the positions p in [0, n) with 0 <= p*s + off < size."""
    a = 0 if off >= 0 else (-off + s - 1) // s
    b = (size - 1 - off) // s + 1 if size - 1 - off >= 0 else 0
    b = min(b, n)
    return a, max(a, b)


@numba.njit
def _gather_cf(cols, xf, base, sC, sH, sW, I, KH, KW, H, W, r0, nr, PW, geom):
    """cols (I*K, nr*PW): rows (i, kh, kw), columns the item's output positions."""
    sh, sw, lo_h, lo_w = geom[12], geom[13], geom[14], geom[15]
    bh, bw, dh, dw = geom[16], geom[17], geom[18], geom[19]
    Hd, Wd = (H - 1) * bh + 1, (W - 1) * bw + 1
    J = nr * PW
    for i in range(I):
        for kh in range(KH):
            for kw in range(KW):
                row = ((i * KH + kh) * KW + kw) * J
                woff = kw * dw - lo_w
                a, b = _valid_range(PW, sw, woff, Wd)
                for r in range(nr):
                    dst = row + r * PW
                    hp = (r0 + r) * sh + kh * dh - lo_h
                    if hp < 0 or hp >= Hd or hp % bh != 0:
                        _zero(cols, dst, dst + PW)
                        continue
                    src = base + i * sC + (hp // bh) * sH
                    if bw == 1:
                        _zero(cols, dst, dst + a)
                        if sw == 1 and sW == 1:  # a contiguous run: vectorizes
                            d0, s0 = np.uint64(dst), np.uint64(src + woff)
                            for p in range(a, b):
                                cols[d0 + np.uint64(p)] = xf[s0 + np.uint64(p)]
                        else:
                            for p in range(a, b):
                                cols[dst + p] = xf[src + (p * sw + woff) * sW]
                        _zero(cols, dst + b, dst + PW)
                    else:
                        for p in range(PW):
                            wp = p * sw + woff
                            if wp >= 0 and wp < Wd and wp % bw == 0:
                                cols[dst + p] = xf[src + (wp // bw) * sW]
                            else:
                                cols[dst + p] = 0


@numba.njit
def _gather_cl(cols, xf, base, sC, sH, sW, I, KH, KW, H, W, r0, nr, PW, geom):
    """cols (nr*PW, K*I): rows the item's output positions, columns (kh, kw, i)."""
    sh, sw, lo_h, lo_w = geom[12], geom[13], geom[14], geom[15]
    bh, bw, dh, dw = geom[16], geom[17], geom[18], geom[19]
    Hd, Wd = (H - 1) * bh + 1, (W - 1) * bw + 1
    IK = I * KH * KW
    for r in range(nr):
        for p in range(PW):
            dst = (r * PW + p) * IK
            for kh in range(KH):
                hp = (r0 + r) * sh + kh * dh - lo_h
                hok = hp >= 0 and hp < Hd and hp % bh == 0
                for kw in range(KW):
                    wp = p * sw + kw * dw - lo_w
                    d = dst + (kh * KW + kw) * I
                    if hok and wp >= 0 and wp < Wd and wp % bw == 0:
                        src = base + (hp // bh) * sH + (wp // bw) * sW
                        d0, s0, c0 = np.uint64(d), np.uint64(src), np.uint64(sC)
                        for i in range(I):
                            cols[d0 + np.uint64(i)] = xf[s0 + np.uint64(i) * c0]
                    else:
                        _zero(cols, d, d + I)


@numba.njit(parallel=True, nogil=True, error_model="numpy")
def conv2d(x, w, out, geom):
    """out = conv(x, w) for ``geom`` = (lhs spec, rhs spec, out spec, strides, low
    padding, lhs dilation, rhs dilation, feature groups, channels-last flag, threads):
    ``plan.ConvPlan.args()``, GEOM ints."""
    l0, l1, l2, l3 = geom[0], geom[1], geom[2], geom[3]
    o0, o1, o2, o3 = geom[8], geom[9], geom[10], geom[11]
    G, cl = geom[20], geom[21]
    xs, os_ = _c_strides(x.shape), _c_strides(out.shape)
    N, H, W = x.shape[l0], x.shape[l2], x.shape[l3]
    xN, xC, xH, xW = xs[l0], xs[l1], xs[l2], xs[l3]
    oN, oC, oH, oW = os_[o0], os_[o1], os_[o2], os_[o3]
    PH, PW = out.shape[o2], out.shape[o3]
    O, I = w.shape[geom[4]], w.shape[geom[5]]
    KH, KW = w.shape[geom[6]], w.shape[geom[7]]
    Og, IK = O // G, I * KH * KW
    wk = _pack_weights(w, geom, cl)
    xf = x.reshape(x.size)
    of = out.reshape(out.size)
    # the natural layout (NCHW for channels-first, NHWC for channels-last outputs): BLAS
    # writes each tile in place through a 2-D view of the output, no copy
    natural = ((not cl and o0 == 0 and o1 == 1 and o2 == 2 and o3 == 3)
               or (cl and o0 == 0 and o1 == 3 and o2 == 1 and o3 == 2))
    out3 = out.reshape((N, O, PH * PW))
    out2 = out.reshape((N * PH * PW, O))
    threads = geom[22]
    rb, items = work_split(N, PH, IK * PW * x.itemsize, threads)
    nR = (PH + rb - 1) // rb
    nt = min(items, threads)
    for t in prange(nt):
        cols = np.empty(IK * rb * PW, x.dtype)
        tile = np.empty(Og * rb * PW, x.dtype)
        scratch = np.empty(8, np.int64)
        for it in range(t * items // nt, (t + 1) * items // nt):
            n = it // nR
            r0 = (it % nR) * rb
            nr = min(rb, PH - r0)
            J = nr * PW
            for g in range(G):
                base = n * xN + g * I * xC
                if cl:
                    _gather_cl(cols, xf, base, xC, xH, xW, I, KH, KW, H, W, r0, nr, PW, geom)
                    c2 = cols[:J * IK].reshape((J, IK))
                    if natural:
                        q = n * PH * PW + r0 * PW
                        _gemm(c2, wk[g], out2[q:q + J, g * Og:(g + 1) * Og], False, False,
                              scratch)
                        continue
                    t2 = tile[:J * Og].reshape((J, Og))
                    _gemm(c2, wk[g], t2, False, False, scratch)
                    for j in range(J):
                        ob = n * oN + g * Og * oC + (r0 + j // PW) * oH + (j % PW) * oW
                        for o in range(Og):
                            of[ob + o * oC] = t2[j, o]
                else:
                    _gather_cf(cols, xf, base, xC, xH, xW, I, KH, KW, H, W, r0, nr, PW, geom)
                    c2 = cols[:IK * J].reshape((IK, J))
                    if natural:
                        _gemm(wk[g], c2, out3[n, g * Og:(g + 1) * Og, r0 * PW:r0 * PW + J],
                              False, False, scratch)
                        continue
                    t2 = tile[:Og * J].reshape((Og, J))
                    _gemm(wk[g], c2, t2, False, False, scratch)
                    for o in range(Og):
                        ob = n * oN + (g * Og + o) * oC
                        for r in range(nr):
                            rb_ = ob + (r0 + r) * oH
                            for p in range(PW):
                                of[rb_ + p * oW] = t2[o, r * PW + p]
    return out


@numba.njit
def _gather_window(cols, xf, base, sB, sH, sW, B, QH, QW, KW, H, W, k0, nk, geom):
    """cols (B*QH*QW, nk*KW) of one lhs feature: rows the output positions (b, qh, qw),
    columns the window offsets (kh, kw), kh in [k0, k0 + nk). A row's run over kw reads
    contiguous input at unit window dilation (a weight gradient's forward stride 1)."""
    sh, sw, lo_h, lo_w = geom[12], geom[13], geom[14], geom[15]
    bh, bw, dh, dw = geom[16], geom[17], geom[18], geom[19]
    Hd, Wd = (H - 1) * bh + 1, (W - 1) * bw + 1
    L = nk * KW
    for b in range(B):
        for qh in range(QH):
            for qw in range(QW):
                row = ((b * QH + qh) * QW + qw) * L
                woff = qw * sw - lo_w
                a, e = _valid_range(KW, dw, woff, Wd)
                for r in range(nk):
                    dst = row + r * KW
                    hp = qh * sh + (k0 + r) * dh - lo_h
                    if hp < 0 or hp >= Hd or hp % bh != 0:
                        _zero(cols, dst, dst + KW)
                        continue
                    src = base + b * sB + (hp // bh) * sH
                    if bw == 1:
                        _zero(cols, dst, dst + a)
                        if dw == 1 and sW == 1:
                            d0, s0 = np.uint64(dst), np.uint64(src + woff)
                            for k in range(a, e):
                                cols[d0 + np.uint64(k)] = xf[s0 + np.uint64(k)]
                        else:
                            for k in range(a, e):
                                cols[dst + k] = xf[src + (k * dw + woff) * sW]
                        _zero(cols, dst + e, dst + KW)
                    else:
                        for k in range(KW):
                            wp = k * dw + woff
                            if wp >= 0 and wp < Wd and wp % bw == 0:
                                cols[dst + k] = xf[src + (wp // bw) * sW]
                            else:
                                cols[dst + k] = 0


@numba.njit(parallel=True, nogil=True, error_model="numpy")
def conv2d_window(x, w, out, geom):
    """out = conv(x, w) for a window larger than the output (``plan.ConvPlan.window_major``:
    a weight gradient, whose "kernel" is the forward cotangent). The contraction runs over
    the lhs features and the window: a work item is one lhs feature c (or a block of its
    window rows), whose window columns (B*QH*QW, nk*KW) are multiplied by the weights'
    slab of c, (Og, nk*KW), into a per-thread sum of the (small) output, added up at the
    end. The slab is read in place when the weights keep (kh, kw) contiguous behind the
    out features (a channels-first cotangent) or the out features innermost
    (channels-last), else copied into a buffer."""
    l0, l1, l2, l3 = geom[0], geom[1], geom[2], geom[3]
    r0, r1, r2, r3 = geom[4], geom[5], geom[6], geom[7]
    o0, o1, o2, o3 = geom[8], geom[9], geom[10], geom[11]
    G = geom[20]
    xs, ws, os_ = _c_strides(x.shape), _c_strides(w.shape), _c_strides(out.shape)
    B, C, H, W = x.shape[l0], x.shape[l1], x.shape[l2], x.shape[l3]
    xB, xC, xH, xW = xs[l0], xs[l1], xs[l2], xs[l3]
    F, I, KH, KW = w.shape[r0], w.shape[r1], w.shape[r2], w.shape[r3]
    wF, wI, wKH, wKW = ws[r0], ws[r1], ws[r2], ws[r3]
    QH, QW = out.shape[o2], out.shape[o3]
    Fg, BQ, K = F // G, B * QH * QW, KH * KW
    fmajor = wKW == 1 and wKH == KW and wF == K and wI == F * K     # (I, F, KH, KW)
    fminor = wF == 1 and wKW == F and wKH == KW * F and wI == K * F  # (I, KH, KW, F)
    xf, wf, of = x.reshape(x.size), w.reshape(w.size), out.reshape(out.size)
    threads = geom[22]
    rb, items = work_split(C, KH, BQ * KW * x.itemsize, threads)
    nR = (KH + rb - 1) // rb
    nt = min(items, threads)
    acc = np.zeros((nt, BQ, F), x.dtype)
    for t in prange(nt):
        cols = np.empty(BQ * rb * KW, x.dtype)
        tile = np.empty(BQ * Fg, x.dtype)
        slab = np.empty(Fg * rb * KW, x.dtype)
        scratch = np.empty(8, np.int64)
        for it in range(t * items // nt, (t + 1) * items // nt):
            c = it // nR
            k0 = (it % nR) * rb
            nk = min(rb, KH - k0)
            L = nk * KW
            g, ci = c // I, c % I
            f0 = g * Fg
            _gather_window(cols, xf, c * xC, xB, xH, xW, B, QH, QW, KW, H, W, k0, nk, geom)
            c2 = cols[:BQ * L].reshape((BQ, L))
            t2 = tile.reshape((BQ, Fg))
            wb = ci * wI
            if fmajor:
                wm = wf[wb:wb + F * K].reshape((F, K))[f0:f0 + Fg, k0 * KW:k0 * KW + L]
                _gemm(c2, wm, t2, False, True, scratch)
            elif fminor:
                wm = wf[wb + k0 * KW * F:wb + (k0 * KW + L) * F].reshape((L, F))
                _gemm(c2, wm[:, f0:f0 + Fg], t2, False, False, scratch)
            else:
                s2 = slab[:Fg * L].reshape((Fg, L))
                for f in range(Fg):
                    for r in range(nk):
                        for kw in range(KW):
                            s2[f, r * KW + kw] = wf[wb + (f0 + f) * wF + (k0 + r) * wKH
                                                    + kw * wKW]
                _gemm(c2, s2, t2, False, True, scratch)
            a2 = acc[t]
            for j in range(BQ):
                for f in range(Fg):
                    a2[j, f0 + f] += t2[j, f]
    oB, oF, oH, oW = os_[o0], os_[o1], os_[o2], os_[o3]
    for b in range(B):
        for qh in range(QH):
            for qw in range(QW):
                j = (b * QH + qh) * QW + qw
                for f in range(F):
                    v = acc[0, j, f]
                    for t in range(1, nt):
                        v += acc[t, j, f]
                    of[b * oB + f * oF + qh * oH + qw * oW] = v
    return out


@numba.njit
def _pack_output_major(w, geom):
    """The weights as (G, O/G * K, I): rows (o, kh, kw), columns the group's lhs features
    (the output-major product's lhs)."""
    r0, r1, r2, r3 = geom[4], geom[5], geom[6], geom[7]
    G = geom[20]
    st = _c_strides(w.shape)
    O, I, KH, KW = w.shape[r0], w.shape[r1], w.shape[r2], w.shape[r3]
    sO, sI, sKH, sKW = st[r0], st[r1], st[r2], st[r3]
    Og = O // G
    wf = w.reshape(w.size)
    wk = np.empty((G, Og * KH * KW, I), w.dtype)
    for o in range(O):
        for kh in range(KH):
            for kw in range(KW):
                row = ((o % Og) * KH + kh) * KW + kw
                for i in range(I):
                    wk[o // Og, row, i] = wf[o * sO + i * sI + kh * sKH + kw * sKW]
    return wk


@numba.njit
def _shift_add(dst, db, z, Og, KH, KW, H, W, PH, PW, oC, oH, oW, geom):
    """dst[db + o*oC + ph*oH + pw*oW] = sum over (kh, kw) of z[(o, kh, kw), the input
    position window offset (kh, kw) of output (ph, pw) reads] (0 where it reads padding or
    a dilation hole): the output-major product's second half. A contiguous run of z is
    added per (o, kh, kw, ph) at unit stride and lhs dilation; when the output rows are
    as long as the input's too (stride 1, SAME-like), one run per (o, kh, kw) covers all
    rows (the row shift is then constant), after zeroing the z entries only its
    wrap-around between rows would read (each z row serves one offset only)."""
    sh, sw, lo_h, lo_w = geom[12], geom[13], geom[14], geom[15]
    bh, bw, dh, dw = geom[16], geom[17], geom[18], geom[19]
    Hd, Wd = (H - 1) * bh + 1, (W - 1) * bw + 1
    unit = oW == 1 and sw == 1 and bw == 1
    band = unit and sh == 1 and bh == 1 and W == PW and oH == PW
    for o in range(Og):
        ob = db + o * oC
        for ph in range(PH):
            rb = ob + ph * oH
            if unit:
                d0 = np.uint64(rb)
                for pw in range(PW):
                    dst[d0 + np.uint64(pw)] = 0
            else:
                for pw in range(PW):
                    dst[rb + pw * oW] = 0
        for kh in range(KH):
            for kw in range(KW):
                zr = z[(o * KH + kh) * KW + kw]
                woff = kw * dw - lo_w
                a, b = _valid_range(PW, sw, woff, Wd)
                if band:
                    hoff = kh * dh - lo_h
                    p0, p1 = _valid_range(PH, 1, hoff, H)
                    if p0 >= p1 or a >= b:
                        continue
                    for ph in range(p0, p1):
                        q = (ph + hoff) * W
                        for c in range(a + woff):
                            zr[q + c] = 0
                        for c in range(b + woff, W):
                            zr[q + c] = 0
                    r0 = p0 * PW + a  # the run: output r reads z[r + hoff*W + woff]
                    d0, s0 = np.uint64(ob + r0), np.uint64(r0 + hoff * W + woff)
                    for j in range((p1 - 1) * PW + b - r0):
                        dst[d0 + np.uint64(j)] += zr[s0 + np.uint64(j)]
                    continue
                for ph in range(PH):
                    hp = ph * sh + kh * dh - lo_h
                    if hp < 0 or hp >= Hd or hp % bh != 0:
                        continue
                    q = (hp // bh) * W
                    rb = ob + ph * oH
                    if unit:
                        d0, s0 = np.uint64(rb), np.uint64(q + woff)
                        for pw in range(a, b):
                            dst[d0 + np.uint64(pw)] += zr[s0 + np.uint64(pw)]
                    else:
                        for pw in range(a, b):
                            wp = pw * sw + woff
                            if wp % bw == 0:
                                dst[rb + pw * oW] += zr[q + wp // bw]


@numba.njit(parallel=True, nogil=True, error_model="numpy")
def conv2d_output_major(x, w, out, geom):
    """out = conv(x, w) for a channels-first lhs with contiguous (H, W) planes
    (``plan.ConvPlan.output_major``): per sample and feature group, one product
    Z (O/G * K, H*W) = W_g (O/G * K, I) @ x[n, g] (I, H*W), the lhs read in place, then
    each output element the sum of the K entries of Z its window offsets read
    (``_shift_add``). The product's shape (few lhs features, many rows) runs faster than
    im2col's (few out features) on OpenBLAS's kernels, and no columns are gathered."""
    l0, l1 = geom[0], geom[1]
    o0, o1, o2, o3 = geom[8], geom[9], geom[10], geom[11]
    G = geom[20]
    xs, os_ = _c_strides(x.shape), _c_strides(out.shape)
    N, H, W = x.shape[l0], x.shape[geom[2]], x.shape[geom[3]]
    xN, xC = xs[l0], xs[l1]
    oN, oC, oH, oW = os_[o0], os_[o1], os_[o2], os_[o3]
    PH, PW = out.shape[o2], out.shape[o3]
    O, I = w.shape[geom[4]], w.shape[geom[5]]
    KH, KW = w.shape[geom[6]], w.shape[geom[7]]
    Og, K, HW = O // G, KH * KW, H * W
    wk = _pack_output_major(w, geom)
    xf = x.reshape(x.size)
    of = out.reshape(out.size)
    threads = geom[22]
    nt = min(N, threads)
    for t in prange(nt):
        z = np.empty(Og * K * HW, x.dtype)
        z2 = z.reshape((Og * K, HW))
        scratch = np.empty(8, np.int64)
        for n in range(t * N // nt, (t + 1) * N // nt):
            for g in range(G):
                xb = n * xN + g * I * xC
                _gemm(wk[g], xf[xb:xb + I * xC].reshape((I, HW)), z2, False, False, scratch)
                _shift_add(of, n * oN + g * Og * oC, z2, Og, KH, KW, H, W, PH, PW, oC, oH,
                           oW, geom)
    return out


GEOM = 25


def _c_conv2d(xp, wp, op, meta):
    """The C entry: data pointers and int64 meta = (x shape, w shape, out shape, geom)."""
    g = numba.carray(meta, 12 + GEOM)
    x = numba.carray(xp, (g[0], g[1], g[2], g[3]))
    w = numba.carray(wp, (g[4], g[5], g[6], g[7]))
    out = numba.carray(op, (g[8], g[9], g[10], g[11]))
    geom = (g[12], g[13], g[14], g[15], g[16], g[17], g[18], g[19], g[20], g[21], g[22],
            g[23], g[24], g[25], g[26], g[27], g[28], g[29], g[30], g[31], g[32], g[33],
            g[34], g[35], g[36])
    if geom[23]:
        conv2d_window(x, w, out, geom)
    elif geom[24] and x.shape[0] >= geom[22]:  # a sample per thread at least
        conv2d_output_major(x, w, out, geom)
    else:
        conv2d(x, w, out, geom)


_TYPES = {"float32": nbt.float32, "float64": nbt.float64}


def _caller(dtype: str):
    """``jn_conv2d_<dtype>(x, w, out, geom)``: out = conv(x, w), what generated programs
    call (C-contiguous 4-D arrays, or 3-D ones read with a unit axis 3 appended; ``geom``
    from ``plan.ConvPlan.args``). Building it
    compiles or loads the C kernel of that dtype."""
    t = _TYPES[dtype]
    ext = c_kernel(f"jn_kernel_conv2d_{dtype}", _c_conv2d,
                   nbt.void(nbt.CPointer(t), nbt.CPointer(t), nbt.CPointer(t),
                            nbt.CPointer(nbt.int64)))

    @numba.njit(nogil=True, error_model="numpy")
    def call(x, w, out, geom):
        meta = np.ones(12 + GEOM, np.int64)
        for i in range(x.ndim):  # a 1-D convolution's arrays: a unit axis 3 appended
            meta[i] = x.shape[i]
            meta[4 + i] = w.shape[i]
            meta[8 + i] = out.shape[i]
        for i in range(GEOM):
            meta[12 + i] = geom[i]
        ext(x.ctypes, w.ctypes, out.ctypes, meta.ctypes)
    return call


# the functions this module provides (``codegen.kernel_plan.KERNEL_MODULES`` names its prefix)
SYMBOLS = tuple(f"jn_conv2d_{dt}" for dt in _TYPES)


def __getattr__(name):
    """``jn_conv2d_float32`` / ``_float64``, built on first import (a program in one dtype
    never compiles or loads the other's kernel)."""
    dtype = name.removeprefix("jn_conv2d_")
    if dtype not in _TYPES or name == dtype:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    fn = globals()[name] = _caller(dtype)
    return fn
