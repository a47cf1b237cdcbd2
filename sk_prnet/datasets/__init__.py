"""Loaders for DEAP and SEED in their published formats, and synthetic stand-ins.

The datasets are licensed: sk_prnet never downloads them. Point the loaders at your copy, or
write files in the same formats with the synthetic generators (for tests and demos). See
``docs/datasets.md``. Nothing here imports torch.
"""

from ._base import DatasetFormatError
from .deap import iter_deap_subjects, load_deap
from .seed import load_seed
from .synthetic_eeg import make_synthetic_deap, make_synthetic_seed

__all__ = [
    "DatasetFormatError",
    "iter_deap_subjects",
    "load_deap",
    "load_seed",
    "make_synthetic_deap",
    "make_synthetic_seed",
]
