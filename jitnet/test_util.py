"""``jitnet.test_util``: ``jax.test_util.check_grads`` (finite differences against
forward and reverse mode, to any order; see ``jitnet.testing.grads``)."""
from .testing.grads import check_grads  # noqa: F401

__all__ = ["check_grads"]
