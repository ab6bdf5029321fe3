"""Elementwise primitives: math, arithmetic, comparisons, bitwise ops, select, clamp, casts.

Operands must share one dtype (``jnp`` promotes first) and one shape, except that 0-d
operands broadcast implicitly, as in ``lax``. Every primitive here uses the generic n-ary
batching rule and declares its kind ``Elementwise``; jvp and transpose rules sit beside each
definition, one module per family:

* ``elementwise_rules``    the shared shape, vmap and jvp helpers, ``unop``/``binop``
* ``elementwise_math``     unary math (exp, log, trigonometric, erf, lgamma...), rounding, powers
* ``elementwise_arith``    binary arithmetic, bitwise operations, shifts, comparisons
* ``elementwise_select``   ``select_n``, ``clamp``
* ``elementwise_convert``  dtype conversions, ``round_to_dtype``, ``stop_gradient``, complex parts

This module gathers their names: ``from jitnet.prims import elementwise as ew`` then
``ew.add``, ``ew.exp_p``... as before the split.
"""
from __future__ import annotations

from .elementwise_rules import *  # noqa: F401,F403
from .elementwise_rules import EAGER_FLOAT_KERNELS  # noqa: F401
from .elementwise_math import *  # noqa: F401,F403
from .elementwise_arith import *  # noqa: F401,F403
from .elementwise_select import *  # noqa: F401,F403
from .elementwise_convert import *  # noqa: F401,F403
