"""Data for training loops: datasets from installed packages, a resumable, prefetching
``DataLoader`` of constant-shape batches, splits and host-side augmentations (see
docs/DATA.md)."""
from . import augment  # noqa: F401
from .dataset import (ArrayDataset, Dataset, GeneratorDataset, Subset,  # noqa: F401
                      random_split, validation_split)
from .datasets import (char_vocab, load_digits, load_fashion_mnist,  # noqa: F401
                       load_image_classification, load_shakespeare)
from .loader import Batch, DataLoader, batches  # noqa: F401
