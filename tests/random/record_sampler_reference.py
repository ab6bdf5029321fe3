"""JAX 0.10.2's outputs for the samplers built on JAX's algorithms (gamma family, counting
laws, transforms), so that the tests can check jitnet reproduces them without JAX.

    PYTHONPATH=. python tests/random/record_sampler_reference.py

rewrites ``sampler_reference.json`` next to this file. ``CASES`` are written against a
``random`` module argument, so the tests run the very same calls with ``jitnet.random``.
"""
from __future__ import annotations

import json
import os

import numpy as np

PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "sampler_reference.json")


def f32(*v):
    return np.array(v, np.float32)


def _key(r, seed=11):
    return r.PRNGKey(seed)


CASES = {
    "gamma": lambda r: r.gamma(_key(r), f32(0.05, 0.3, 1.0, 2.5, 7.0, 120.0)),
    "gamma_shape": lambda r: r.gamma(_key(r, 3), 1.7, (2, 3)),
    "loggamma": lambda r: r.loggamma(_key(r), f32(0.01, 0.3, 2.5, 30.0)),
    "beta": lambda r: r.beta(_key(r), f32(0.2, 1.5), f32(3.0, 0.7)),
    "dirichlet": lambda r: r.dirichlet(_key(r), f32(0.3, 1.0, 4.0), (2,)),
    "chisquare": lambda r: r.chisquare(_key(r), f32(1.0, 4.0, 25.0)),
    "f": lambda r: r.f(_key(r), f32(2.0, 9.0), 6.0),
    "t": lambda r: r.t(_key(r), f32(1.0, 3.5, 40.0)),
    "generalized_normal": lambda r: r.generalized_normal(_key(r), 1.3, (4,)),
    "ball": lambda r: r.ball(_key(r), 3, 1.5, (2,)),
    "cauchy": lambda r: r.cauchy(_key(r), (4,)),
    "pareto": lambda r: r.pareto(_key(r), f32(1.5, 4.0)),
    "rayleigh": lambda r: r.rayleigh(_key(r), f32(0.5, 3.0)),
    "maxwell": lambda r: r.maxwell(_key(r), (3,)),
    "double_sided_maxwell": lambda r: r.double_sided_maxwell(_key(r), f32(0.0, 2.0), 1.5),
    "weibull_min": lambda r: r.weibull_min(_key(r), f32(1.0, 2.0), 0.8, (2,)),
    "wald": lambda r: r.wald(_key(r), f32(0.3, 4.0)),
    "triangular": lambda r: r.triangular(_key(r), -1.0, f32(-0.5, 0.8), 1.0),
    "lognormal": lambda r: r.lognormal(_key(r), f32(0.3, 1.2)),
    "multivariate_normal": lambda r: r.multivariate_normal(
        _key(r), f32(1.0, -1.0), np.array([[2.0, 0.4], [0.4, 0.5]], np.float32), (3,)),
    "poisson": lambda r: r.poisson(_key(r), f32(0.0, 0.7, 4.0, 9.9, 10.0, 60.0, 2000.0)),
    "binomial": lambda r: r.binomial(_key(r), f32(4.0, 30.0, 300.0, 1000.0),
                                     f32(0.2, 0.8, 0.3, 0.97)),
    "multinomial": lambda r: r.multinomial(_key(r), 25.0, f32(0.1, 0.6, 0.3)),
    "geometric": lambda r: r.geometric(_key(r), f32(0.05, 0.5, 0.9)),
}


def main():
    import jax
    out = {"jax_version": jax.__version__, "cases": {}}
    for name, case in CASES.items():
        x = np.asarray(case(jax.random))
        out["cases"][name] = {"dtype": str(x.dtype), "shape": list(x.shape),
                              "values": x.ravel().tolist()}
    with open(PATH, "w") as f:
        json.dump(out, f, indent=0)


if __name__ == "__main__":
    main()
