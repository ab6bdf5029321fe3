"""CUDA code generation: ``numba.cuda`` source text; files match ``codegen/cpu/`` by name."""
