"""The runtime: compile IR to executables, cache them, run them."""
