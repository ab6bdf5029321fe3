"""Every ``jax`` module path that jitnet provides imports, under both spellings
(``import jitnet.x.y`` and attribute access from ``import jitnet as jax``), with the names
JAX documents for it that published example programs use."""
import importlib

import pytest

import jitnet as jax

MODULES = {
    "numpy": ["array", "dot", "einsum", "where"],
    "numpy.linalg": ["solve", "inv", "det", "slogdet", "cholesky", "eigh", "qr", "svd", "norm"],
    "lax": ["scan", "cond", "while_loop", "fori_loop", "conv_general_dilated", "reduce_window",
            "Precision", "conv_general_shape_tuple", "conv_dimension_numbers",
            "conv_transpose_shape_tuple", "conv_shape_tuple", "conv_general_permutations",
            "reduce_window_shape_tuple", "padtype_to_pads", "ConvDimensionNumbers"],
    "lax.linalg": ["cholesky", "lu", "triangular_solve", "eigh", "qr", "svd",
                   "lu_pivots_to_permutation"],
    "random": ["PRNGKey", "key", "split", "normal", "uniform", "bernoulli"],
    "nn": ["relu", "softmax", "log_softmax", "sigmoid"],
    "nn.initializers": ["glorot_normal", "normal", "zeros", "ones"],
    "tree_util": ["tree_map", "tree_flatten", "tree_unflatten", "register_pytree_node"],
    "tree": ["map", "leaves", "structure", "flatten", "unflatten", "reduce", "all",
             "transpose"],
    "flatten_util": ["ravel_pytree"],
    "scipy.special": ["logsumexp", "erf", "gammaln", "betaln", "expit", "logit", "ndtr",
                      "ndtri", "log_ndtr", "xlogy", "xlog1py", "digamma", "entr",
                      "gammainc", "gammaincc", "betainc"],
    "scipy.linalg": ["cholesky", "cho_factor", "cho_solve", "solve_triangular", "expm", "lu",
                     "lu_factor", "lu_solve", "qr", "svd", "eigh", "block_diag", "inv", "det",
                     "solve"],
    "scipy.stats": ["norm", "t", "gamma", "beta", "bernoulli", "poisson", "uniform", "laplace",
                    "logistic", "dirichlet", "multivariate_normal", "expon", "cauchy", "chi2",
                    "geom", "binom", "pareto", "nbinom", "multinomial"],
    "scipy.stats.norm": ["logpdf", "pdf", "cdf", "logcdf", "sf", "logsf", "ppf", "isf"],
    "scipy.stats.t": ["logpdf", "pdf"],
    "scipy.stats.gamma": ["logpdf", "pdf", "cdf", "sf", "logcdf", "logsf"],
    "scipy.stats.beta": ["logpdf", "pdf", "cdf", "sf", "logcdf", "logsf"],
    "scipy.stats.chi2": ["logpdf", "pdf", "cdf", "sf", "logcdf", "logsf"],
    "scipy.stats.bernoulli": ["logpmf", "pmf", "cdf", "ppf"],
    "scipy.stats.poisson": ["logpmf", "pmf", "cdf"],
    "scipy.stats.geom": ["logpmf", "pmf"],
    "scipy.stats.binom": ["logpmf", "pmf"],
    "scipy.stats.uniform": ["logpdf", "pdf", "cdf", "ppf"],
    "scipy.stats.laplace": ["logpdf", "pdf", "cdf"],
    "scipy.stats.logistic": ["logpdf", "pdf", "cdf", "sf", "ppf", "isf"],
    "scipy.stats.expon": ["logpdf", "pdf", "cdf", "logcdf", "sf", "logsf", "ppf"],
    "scipy.stats.cauchy": ["logpdf", "pdf", "cdf", "logcdf", "sf", "logsf", "ppf", "isf"],
    "scipy.stats.pareto": ["logpdf", "pdf"],
    "scipy.stats.nbinom": ["logpmf", "pmf"],
    "scipy.stats.multinomial": ["logpmf", "pmf"],
    "scipy.stats.dirichlet": ["logpdf", "pdf"],
    "scipy.stats.multivariate_normal": ["logpdf", "pdf"],
    "experimental.ode": ["odeint"],
    "example_libraries.stax": ["serial", "parallel", "Dense", "Conv", "ConvTranspose",
                               "GeneralConv", "BatchNorm", "Relu", "Tanh", "LogSoftmax",
                               "Softmax", "Flatten", "MaxPool", "AvgPool", "SumPool",
                               "Dropout", "FanOut", "FanInSum", "FanInConcat", "Identity",
                               "elementwise", "shape_dependent"],
    "example_libraries.optimizers": ["optimizer", "sgd", "momentum", "nesterov", "adagrad",
                                     "rmsprop", "rmsprop_momentum", "adam", "adamax", "sm3",
                                     "exponential_decay", "inverse_time_decay",
                                     "polynomial_decay", "piecewise_constant", "make_schedule",
                                     "clip_grads", "l2_norm", "OptimizerState",
                                     "unpack_optimizer_state", "pack_optimizer_state"],
}


@pytest.mark.parametrize("path", sorted(MODULES))
def test_module_imports_with_jax_names(path):
    module = importlib.import_module(f"jitnet.{path}")
    via_attributes = jax
    for part in path.split("."):
        via_attributes = getattr(via_attributes, part)
    assert via_attributes is module
    missing = [name for name in MODULES[path] if not hasattr(module, name)]
    assert not missing, f"jitnet.{path} lacks {missing}"
