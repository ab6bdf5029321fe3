"""Code generation: kernel IR -> source text (no numba import here)."""
