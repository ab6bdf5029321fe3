"""Statistical checks shared by the sampler tests: deterministic (fixed keys), with
tolerances derived from the sample size, so a right sampler passes and a wrong one fails."""
from __future__ import annotations

import math

import numpy as np
import scipy.stats as st


def a(x):
    """A sample as float64 NumPy (booleans stay booleans)."""
    return np.asarray(x, dtype=np.float64) if np.asarray(x).dtype.kind != "b" else np.asarray(x)


def check_ks(x, dist):
    """Kolmogorov-Smirnov against ``dist``'s cdf: p > 1e-3."""
    p = st.kstest(a(x).ravel(), dist.cdf).pvalue
    assert p > 1e-3, p


def check_law_moments(x, dist):
    """Sample mean and variance within 5 standard errors of ``dist``'s, the standard errors
    from its closed-form variance and kurtosis (``Var(s^2) ~ var^2 (kurt + 2) / n``)."""
    x = a(x).ravel()
    n = x.size
    mean, var, kurt = (float(v) for v in dist.stats(moments="mvk"))
    assert abs(x.mean() - mean) < 5 * math.sqrt(var / n), (x.mean(), mean)
    if math.isfinite(kurt):
        assert abs(x.var() - var) < 5 * var * math.sqrt((kurt + 2) / n), (x.var(), var)


def chi2_p(counts, probs):
    counts = np.asarray(counts, np.float64)
    return st.chisquare(counts, counts.sum() * np.asarray(probs)).pvalue


def check_pmf(x, pmf, lo=0):
    """Chi-square test of integer samples against ``pmf(k)``: values with fewer than 5
    expected counts are pooled into the two tails."""
    x = a(x).ravel().astype(np.int64)
    n = x.size
    hi = int(x.max())
    ks = np.arange(lo, hi + 1)
    probs = pmf(ks)
    ok = probs * n >= 5
    first, last = ks[ok][0], ks[ok][-1]
    counts = [np.sum(x <= first)] + [np.sum(x == k) for k in range(first + 1, last)] + \
        [np.sum(x >= last)]
    expect = np.concatenate([[pmf(np.arange(lo, first + 1)).sum()],
                             pmf(np.arange(first + 1, last))])
    expect = np.append(expect, 1 - expect.sum())
    assert np.all(x >= lo)
    p = chi2_p(counts, expect)
    assert p > 1e-3, p
