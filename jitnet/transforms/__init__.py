"""IR -> IR transforms: jvp, partial_eval, transpose, vjp, batch (vmap), clean-up passes."""
