"""Datasets from installed packages (never downloaded at run time) and batch iteration."""
from .datasets import load_digits, load_fashion_mnist, load_image_classification  # noqa: F401
from .loader import batches  # noqa: F401
