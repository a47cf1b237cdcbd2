"""EEG windowing, montages and spectral feature transformers."""

from ._bad_channels import BadChannelWarning
from .authors import authors_features, firwin_bandpass, script_window_starts, zero_phase_fir
from .band_features import (
    BandPower,
    DifferentialEntropy,
    PowerAsymmetry,
    SpectralFeatures,
    make_deap_features,
)
from .montage import (
    AUTHORS_BANDS,
    AUTHORS_DE_BANDS,
    DEAP_EEG_CHANNELS,
    DEAP_PERIPHERAL_CHANNELS,
    DEAP_SYMMETRIC_PAIRS,
    PAPER_BANDS,
    SEED_BANDS,
    SEED_CHANNELS,
)
from .spectrum import band_power, band_variance, check_bands, welch_psd
from .windowing import sliding_windows

__all__ = [
    "BadChannelWarning",
    "BandPower",
    "DifferentialEntropy",
    "PowerAsymmetry",
    "SpectralFeatures",
    "make_deap_features",
    "welch_psd",
    "check_bands",
    "band_power",
    "band_variance",
    "DEAP_EEG_CHANNELS",
    "DEAP_PERIPHERAL_CHANNELS",
    "DEAP_SYMMETRIC_PAIRS",
    "PAPER_BANDS",
    "SEED_BANDS",
    "SEED_CHANNELS",
    "sliding_windows",
    "authors_features",
    "firwin_bandpass",
    "script_window_starts",
    "zero_phase_fir",
    "AUTHORS_BANDS",
    "AUTHORS_DE_BANDS",
]
