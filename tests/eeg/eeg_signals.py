"""Small random EEG epochs shared by the eeg tests (imported as ``eeg_signals``)."""

import numpy as np

SFREQ = 128
BANDS = {"theta": (4, 8), "alpha": (8, 12), "beta": (12, 30)}


def random_eeg(n_epochs=6, n_channels=3, n_times=256, seed=0, dtype=np.float64):
    """``(n_epochs, n_channels, n_times)`` Gaussian noise of ~10 µV, as ``dtype``."""
    rng = np.random.default_rng(seed)
    return (10 * rng.standard_normal((n_epochs, n_channels, n_times))).astype(dtype)
