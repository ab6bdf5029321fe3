"""Fusion: group equations into kernels (IR -> kernel IR)."""
from .cluster import fuse  # noqa: F401
