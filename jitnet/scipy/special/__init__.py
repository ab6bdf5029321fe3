"""``jitnet.scipy.special``: ``scipy.special`` functions with ``jax.scipy.special``'s semantics.

Everything is built from ``jitnet.numpy``/``jitnet.lax`` operations, so it runs eagerly, traces
and differentiates like any other jitnet code. Integer and bool inputs are promoted to the
default float type. Where a formula has a removable singularity (``0 * log 0``) or an
infinite intermediate in a branch ``where`` discards, the discarded branch is fed a safe input
so that reverse-mode gradients do not pick up ``0 * inf = nan``. Where JAX defines a
derivative rule (``custom_jvp``), the same rule is defined here.

The functions live in modules named for their families; this namespace gathers them.
"""
from .bessel import bessel_jn, i0, i0e, i1, i1e
from .error_functions import (dawsn, erf, erfc, erfcx, erfinv, fresnel, log_ndtr, ndtr, ndtri,
                              owens_t, wofz)
from .exp_integrals import exp1, expi, expn, sici
from .gamma_functions import (beta, betaln, comb, digamma, factorial, gamma, gammaln, gammasgn,
                              loggamma, multigammaln, poch)
from .hypergeometric import hyp1f1, hyp2f1
from .incomplete import betainc, gammainc, gammaincc
from .logarithmic import (boxcox, boxcox1p, entr, expit, kl_div, log_softmax, logit, logsumexp,
                          rel_entr, softmax, xlog1py, xlogy)
from .spherical import sph_harm_y
from .zeta_functions import bernoulli, polygamma, spence, zeta

__all__ = ["bernoulli", "bessel_jn", "beta", "betainc", "betaln", "boxcox", "boxcox1p", "comb",
           "dawsn", "digamma", "entr", "erf", "erfc", "erfcx", "erfinv", "exp1", "expi", "expit",
           "expn", "factorial", "fresnel", "gamma", "gammainc", "gammaincc", "gammaln",
           "gammasgn", "hyp1f1", "hyp2f1", "i0", "i0e", "i1", "i1e", "kl_div", "log_ndtr",
           "log_softmax", "loggamma", "logit", "logsumexp", "multigammaln", "ndtr", "ndtri",
           "owens_t", "poch", "polygamma", "rel_entr", "sici", "softmax", "sph_harm_y", "spence", "wofz",
           "xlog1py", "xlogy", "zeta"]
