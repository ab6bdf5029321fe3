"""CPU code generation: Numba ``@njit`` source text (loop nests, op generators, the program)."""
