"""Channel names and symmetric electrode pairs of the EEG datasets the package reads."""

#: The 32 EEG channels of DEAP's preprocessed files, in their stored ("Geneva") order.
DEAP_EEG_CHANNELS = (
    "Fp1", "AF3", "F3", "F7", "FC5", "FC1", "C3", "T7", "CP5", "CP1", "P3", "P7", "PO3", "O1",
    "Oz", "Pz", "Fp2", "AF4", "Fz", "F4", "F8", "FC6", "FC2", "Cz", "C4", "T8", "CP6", "CP2",
    "P4", "P8", "PO4", "O2",
)  # fmt: skip

#: The 8 peripheral channels stored after the EEG in DEAP's files (dropped by the loader).
DEAP_PERIPHERAL_CHANNELS = (
    "hEOG", "vEOG", "zEMG", "tEMG", "GSR", "Respiration", "Plethysmograph", "Temperature",
)  # fmt: skip

#: The 14 symmetric (left, right) electrode pairs used for power spectral asymmetry on DEAP.
DEAP_SYMMETRIC_PAIRS = (
    ("Fp1", "Fp2"), ("AF3", "AF4"), ("F3", "F4"), ("F7", "F8"), ("FC5", "FC6"),
    ("FC1", "FC2"), ("C3", "C4"), ("T7", "T8"), ("CP5", "CP6"), ("CP1", "CP2"),
    ("P3", "P4"), ("P7", "P8"), ("PO3", "PO4"), ("O1", "O2"),
)  # fmt: skip

#: The 62 channels of SEED (ESI NeuroScan 10-20 cap), in the order of its feature files.
SEED_CHANNELS = (
    "FP1", "FPZ", "FP2", "AF3", "AF4", "F7", "F5", "F3", "F1", "FZ", "F2", "F4", "F6", "F8",
    "FT7", "FC5", "FC3", "FC1", "FCZ", "FC2", "FC4", "FC6", "FT8", "T7", "C5", "C3", "C1",
    "CZ", "C2", "C4", "C6", "T8", "TP7", "CP5", "CP3", "CP1", "CPZ", "CP2", "CP4", "CP6",
    "TP8", "P7", "P5", "P3", "P1", "PZ", "P2", "P4", "P6", "P8", "PO7", "PO5", "PO3", "POZ",
    "PO4", "PO6", "PO8", "CB1", "O1", "OZ", "O2", "CB2",
)  # fmt: skip

#: The five frequency bands of SEED's precomputed features, in stored order.
SEED_BANDS = ("delta", "theta", "alpha", "beta", "gamma")

#: The paper's EEG bands (Section IV-B), in Hz, half-open intervals [lo, hi).
PAPER_BANDS = {
    "theta": (4.0, 8.0),
    "slow_alpha": (8.0, 10.0),
    "alpha": (8.0, 12.0),
    "beta": (12.0, 30.0),
    "gamma": (30.0, 45.0),
}

#: The bands of the first author's DEAP script (``extract_features_DEAP.py``) for band power
#: and asymmetry: inclusive 1 Hz bins theta 4-7, slow alpha 8-10, alpha 8-13, beta 14-29,
#: gamma 30-45, i.e. these half-open intervals in Hz at a 1 Hz resolution.
AUTHORS_BANDS = {
    "theta": (4.0, 8.0),
    "slow_alpha": (8.0, 11.0),
    "alpha": (8.0, 14.0),
    "beta": (14.0, 30.0),
    "gamma": (30.0, 46.0),
}

#: The pass bands (low, high) in Hz of the same script's FIR band-pass filters for
#: differential entropy (MNE ``filter(low, high, fir_design="firwin")``).
AUTHORS_DE_BANDS = {
    "theta": (4.0, 8.0),
    "slow_alpha": (8.0, 10.0),
    "alpha": (8.0, 12.0),
    "beta": (12.0, 30.0),
    "gamma": (30.0, 45.0),
}
