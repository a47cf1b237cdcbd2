"""Loaders for DEAP, SEED and AffectNet in their published formats, and synthetic stand-ins.

The datasets are licensed: sk_prnet never downloads them. Point the loaders at your copy, or
write files in the same formats with the synthetic generators (for tests and demos). See
``docs/datasets.md`` and ``docs/affectnet.md``. Nothing here imports torch (Pillow, for
AffectNet, is imported only when images are decoded).
"""

from ._base import DatasetFormatError
from .affectnet import load_affectnet
from .deap import iter_deap_subjects, list_deap_subjects, load_deap
from .seed import list_seed_sessions, load_seed
from .synthetic_eeg import make_synthetic_deap, make_synthetic_seed
from .synthetic_faces import make_synthetic_affectnet

__all__ = [
    "DatasetFormatError",
    "iter_deap_subjects",
    "list_deap_subjects",
    "list_seed_sessions",
    "load_affectnet",
    "load_deap",
    "load_seed",
    "make_synthetic_affectnet",
    "make_synthetic_deap",
    "make_synthetic_seed",
]
