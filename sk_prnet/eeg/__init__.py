"""EEG windowing, montages and spectral feature transformers."""

from .montage import (
    DEAP_EEG_CHANNELS,
    DEAP_PERIPHERAL_CHANNELS,
    DEAP_SYMMETRIC_PAIRS,
    PAPER_BANDS,
    SEED_BANDS,
    SEED_CHANNELS,
)
from .windowing import sliding_windows

__all__ = [
    "DEAP_EEG_CHANNELS",
    "DEAP_PERIPHERAL_CHANNELS",
    "DEAP_SYMMETRIC_PAIRS",
    "PAPER_BANDS",
    "SEED_BANDS",
    "SEED_CHANNELS",
    "sliding_windows",
]
