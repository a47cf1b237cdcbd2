"""Synthetic stand-ins for DEAP and SEED, written in the exact published file formats.

DEAP and SEED are licensed and cannot be downloaded by the package or its tests. These
generators write files that the real loaders read unchanged, with an emotion-related
structure that is learnable but far from trivial, for tests, demos and benchmarks. They are
*not* a model of real EEG good enough to draw neuroscientific conclusions from.
"""

import datetime
import re
from pathlib import Path

import numpy as np
import scipy.io
from scipy import ndimage, signal, special, stats

from ..eeg.montage import DEAP_EEG_CHANNELS, SEED_BANDS, SEED_CHANNELS
from ._base import dump_py2_pickle, seed_sequences
from .deap import DEAP_N_CHANNELS, DEAP_N_EEG, DEAP_PRETRIAL_SAMPLES, DEAP_SFREQ
from .seed import SEED_FEATURES, SEED_LABELS

__all__ = ["make_synthetic_deap", "make_synthetic_seed"]

# --------------------------------------------------------------------------------------------
# DEAP
# --------------------------------------------------------------------------------------------
#: (left, right) frontal pairs carrying the valence-related alpha asymmetry.
_FRONTAL_PAIRS = (("Fp1", "Fp2"), ("AF3", "AF4"), ("F3", "F4"), ("F7", "F8"))
#: Bands (Hz) of the per-trial spectral fluctuations and of the arousal effect.
_DEAP_BANDS = {
    "theta": (4.0, 8.0),
    "alpha": (8.0, 13.0),
    "beta": (13.0, 30.0),
    "gamma": (30.0, 45.0),
}
#: Correlation of the latent (valence, arousal, dominance, liking) of a trial's ratings.
_RATING_CORR = np.array(
    [
        [1.00, 0.10, 0.45, 0.60],
        [0.10, 1.00, 0.00, 0.20],
        [0.45, 0.00, 1.00, 0.35],
        [0.60, 0.20, 0.35, 1.00],
    ]
)
# Strength of the emotion effects (natural-log power per unit of (rating - 5) / 4) and of the
# nuisance variability, for effect_size=1. Tuned so that a logistic regression on log band
# powers of 2 s windows, cross-validated over trials, reaches ~75 % on average (most subjects
# 65-85 %, majority class ~58 %).
_AROUSAL_GAIN = 0.75
_VALENCE_GAIN = 1.05
_TRIAL_NOISE_SHARED = 0.25  # per trial and band, common to all channels
_TRIAL_NOISE_CHANNEL = 0.25  # per trial, band and channel
_NUISANCE = 0.15  # per trial and channel, shared by the baseline and the trial


def _band_weight(freqs, lo, hi, edge=0.75):
    """Smooth 0-1 indicator of the band [lo, hi) (logistic edges ``edge`` Hz wide)."""
    return special.expit((freqs - lo) / edge) - special.expit((freqs - hi) / edge)


def _shaped_noise(rng, amplitude, n):
    """Gaussian noise (float32) with a one-sided amplitude spectrum along the last axis.

    ``amplitude`` has shape (..., n // 2 + 1) and is scaled such that
    ``(2 / n) * sum(amplitude ** 2)`` is the variance of the output. One complex normal per
    rfft bin, then a single inverse FFT: no loop over samples.
    """
    z = rng.standard_normal(amplitude.shape + (2,), dtype=np.float32).view(np.complex64)[..., 0]
    z *= amplitude
    z *= np.float32(np.sqrt(n / 2.0))
    z[..., 0] = z[..., 0].real * np.sqrt(np.float32(2.0))
    if n % 2 == 0:
        z[..., -1] = z[..., -1].real * np.sqrt(np.float32(2.0))
    return np.fft.irfft(z, n=n, axis=-1)


def _slow_noise(rng, shape, n, sfreq, cutoff):
    """Unit-variance smooth noise (components below ``cutoff`` Hz), shape + (n,), float32."""
    n_bins = max(2, int(np.ceil(cutoff * n / sfreq)) + 1)
    amp = np.zeros(shape + (n_bins,), dtype=np.float32)
    amp[..., 1:] = 1.0
    x = _shaped_noise(rng, amp, n)
    return x / np.float32(np.sqrt((2.0 / n) * (n_bins - 1)))


def _synthetic_ratings(rng, n_trials):
    """Continuous 1-9 ratings (valence, arousal, dominance, liking) via a Gaussian copula."""
    z = rng.multivariate_normal(np.zeros(4), _RATING_CORR, size=n_trials)
    u = stats.norm.cdf(z)
    # Subject-specific beta marginals, mostly skewed towards "high" ratings as in DEAP.
    a = rng.uniform(1.1, 1.9, size=4)
    b = rng.uniform(1.0, 1.6, size=4)
    ratings = 1.0 + 8.0 * stats.beta.ppf(u, a, b)
    return np.clip(np.round(ratings, 2), 1.0, 9.0)


def _synthetic_deap_subject(rng, n_trials, trial_seconds, effect_size):
    """One subject's (data, labels) in the DEAP layout; see make_synthetic_deap."""
    fs = DEAP_SFREQ
    n_pre = DEAP_PRETRIAL_SAMPLES
    n_trial = int(round(trial_seconds * fs))
    # The video starts at 3 s: 0.5 s cross-fade from the baseline into the trial.
    n_ramp = min(int(0.5 * fs), n_trial)
    n = n_pre + n_trial
    n_eeg = DEAP_N_EEG
    names = list(DEAP_EEG_CHANNELS)

    labels = _synthetic_ratings(rng, n_trials)
    z_val = (labels[:, 0] - 5.0) / 4.0  # in [-1, 1]
    z_aro = (labels[:, 1] - 5.0) / 4.0

    # ---- subject: neutral spectrum per channel (1/f background + alpha peak, 4-45 Hz) -----
    posterior = np.array(
        [
            1.0 if re.match(r"^(O|PO|P)", c) else 0.6 if re.match(r"^(C|CP|T)", c) else 0.35
            for c in names
        ]
    )
    exponent = rng.uniform(1.0, 1.6) + rng.normal(0.0, 0.1, n_eeg)
    alpha_freq = rng.uniform(9.0, 11.0)
    alpha_height = rng.uniform(1.0, 4.0) * posterior * rng.lognormal(0.0, 0.2, n_eeg)
    sigma = rng.uniform(8.0, 20.0) * rng.lognormal(0.0, 0.2, n_eeg)  # microvolts

    def neutral_spectrum(n_samples):
        """(freqs, alpha bump, per-bin power (n_eeg, n_freq) of variance sigma**2)."""
        freqs = np.fft.rfftfreq(n_samples, 1.0 / fs)
        f = np.maximum(freqs, freqs[1])  # avoid log(0) at DC (zeroed by the band-pass)
        bump = np.exp(-0.5 * ((freqs - alpha_freq) / 1.2) ** 2)
        bandpass = 1.0 / (1.0 + (4.0 / f) ** 8) / (1.0 + (f / 45.0) ** 16)
        bandpass[0] = 0.0
        s0 = f[None] ** -exponent[:, None] * (1.0 + alpha_height[:, None] * bump) * bandpass
        s0 *= (sigma**2 / ((2.0 / n_samples) * s0.sum(axis=1)))[:, None]
        return freqs, bump, s0

    # ---- subject: how strongly (and where) emotion shows in this subject's EEG --------------
    k_aro = effect_size * _AROUSAL_GAIN * rng.lognormal(0.0, 0.4)
    k_val = effect_size * _VALENCE_GAIN * rng.lognormal(0.0, 0.4)
    aro_map = rng.uniform(0.4, 1.0, n_eeg)  # spatial weight of the beta/gamma effect
    val_map = np.zeros(n_eeg)
    for left, right in _FRONTAL_PAIRS:
        g = rng.uniform(0.5, 1.0)
        val_map[names.index(left)] = -g  # positive valence: less alpha on the left ...
        val_map[names.index(right)] = +g  # ... and more on the right
    val_gamma = np.zeros(n_eeg)
    val_gamma[[names.index("T7"), names.index("T8")]] = 0.4  # lateral temporal gamma

    # ---- trials: a gain shared by baseline and trial (impedance, state), log power ----------
    nuisance = rng.normal(0.0, _NUISANCE, (n_trials, n_eeg, 1)) + rng.normal(
        0.0, _NUISANCE / 2, (n_trials, 1, 1)
    )
    gain = np.exp(nuisance / 2.0)

    # Baseline segment (neutral spectrum), long enough to cover the cross-fade.
    _, _, s_base = neutral_spectrum(n_pre + n_ramp)
    base = _shaped_noise(rng, (np.sqrt(s_base)[None] * gain).astype(np.float32), n_pre + n_ramp)

    # Trial segment: the emotion effects and rating-unrelated fluctuations, in log power, as
    # coefficients (trial, channel, basis) on 6 spectral basis functions - theta, alpha, beta,
    # gamma band weights, the subject's alpha bump and a constant - summed by one matmul.
    freqs, bump, s_trial = neutral_spectrum(n_trial)
    basis = np.stack(
        [_band_weight(freqs, *edges) for edges in _DEAP_BANDS.values()]
        + [bump, np.ones_like(freqs)]
    )
    coef = np.zeros((n_trials, n_eeg, 6))
    coef[..., :4] = rng.normal(0.0, _TRIAL_NOISE_SHARED, (n_trials, 1, 4)) + rng.normal(
        0.0, _TRIAL_NOISE_CHANNEL, (n_trials, n_eeg, 4)
    )
    aro = (k_aro * z_aro)[:, None] * aro_map[None, :]
    val = (k_val * z_val)[:, None]
    coef[..., 2] += 0.7 * aro  # arousal: beta ...
    coef[..., 3] += aro + val * val_gamma[None, :]  # ... and gamma; valence: T7/T8 gamma
    coef[..., 4] = val * val_map[None, :]  # valence: frontal alpha asymmetry
    coef[..., 5] = nuisance[..., 0]  # the gain shared with the baseline
    log_amp = np.matmul(coef.astype(np.float32), basis.astype(np.float32))
    log_amp += np.log(np.maximum(s_trial, 1e-30)).astype(np.float32)[None]
    log_amp *= np.float32(0.5)
    np.exp(log_amp, out=log_amp)
    trial = _shaped_noise(rng, log_amp, n_trial)
    del log_amp
    # Slow within-trial amplitude fluctuations (non-stationarity across windows).
    trial *= np.exp(np.float32(0.15) * _slow_noise(rng, (n_trials, n_eeg), n_trial, fs, 0.3))

    data = np.empty((n_trials, DEAP_N_CHANNELS, n))
    eeg = data[:, :n_eeg]
    eeg[..., :n_pre] = base[..., :n_pre]
    eeg[..., n_pre:] = trial
    fade = (0.5 - 0.5 * np.cos(np.pi * np.arange(n_ramp) / n_ramp)).astype(np.float32)
    eeg[..., n_pre : n_pre + n_ramp] = base[..., n_pre:] * (1 - fade) + trial[..., :n_ramp] * fade
    del base, trial
    eeg -= eeg.mean(axis=1, keepdims=True)  # common average reference, as in DEAP

    ramp = np.zeros(n)
    ramp[n_pre : n_pre + n_ramp] = fade
    ramp[n_pre + n_ramp :] = 1.0
    data[:, n_eeg:] = _synthetic_peripheral(rng, n_trials, n, z_aro, ramp)
    return data, labels


def _synthetic_peripheral(rng, n_trials, n, z_aro, ramp):
    """Plausible-looking hEOG, vEOG, zEMG, tEMG, GSR, respiration, plethysmograph, temp."""
    fs = DEAP_SFREQ
    t = np.arange(n) / fs
    freqs = np.fft.rfftfreq(n, 1.0 / fs)
    f = np.maximum(freqs, freqs[1])
    out = np.empty((n_trials, 8, n))
    pink2 = np.broadcast_to(1.0 / f, (n_trials, 2, len(freqs))).copy()
    pink2[..., 0] = 0.0
    pink2 *= np.sqrt(1.0 / ((2.0 / n) * (pink2[0, 0] ** 2).sum()))
    out[:, 0:2] = 30.0 * _shaped_noise(rng, pink2, n)  # hEOG, vEOG
    # Blinks on vEOG: ~0.3 a second, 0.1 s Gaussian bumps of ~150 microvolts.
    impulses = np.zeros((n_trials, n))
    n_blinks = rng.poisson(0.3 * n / fs, n_trials)
    rows = np.repeat(np.arange(n_trials), n_blinks)
    impulses[rows, rng.integers(0, n, rows.size)] = rng.uniform(100.0, 200.0, rows.size)
    kernel = signal.windows.gaussian(int(0.5 * fs), std=0.05 * fs)
    out[:, 1] += signal.fftconvolve(impulses, kernel[None], mode="same", axes=1)
    # EMG: broadband above ~20 Hz.
    emg = np.broadcast_to(special.expit((freqs - 20.0) / 2.0), (n_trials, 2, len(freqs)))
    emg = emg * np.sqrt(1.0 / ((2.0 / n) * (emg[0, 0] ** 2).sum()))
    out[:, 2:4] = rng.uniform(3.0, 15.0, (1, 2, 1)) * _shaped_noise(rng, emg, n)
    # GSR (skin resistance): slow drift, dropping a little with arousal once the video starts.
    gsr_level = rng.uniform(2000.0, 8000.0)
    out[:, 4] = (
        gsr_level
        + 150.0 * _slow_noise(rng, (n_trials,), n, fs, cutoff=0.05)
        - 200.0 * z_aro[:, None] * ramp[None]
    )
    # Respiration belt: 0.2-0.35 Hz breathing plus noise.
    rate = rng.uniform(0.2, 0.35, (n_trials, 1))
    phase = rng.uniform(0, 2 * np.pi, (n_trials, 1))
    out[:, 5] = 500.0 * np.sin(2 * np.pi * rate * t + phase) + 50.0 * _slow_noise(
        rng, (n_trials,), n, fs, cutoff=1.0
    )
    # Plethysmograph: heart beat at 60-85 bpm with harmonics.
    hr = rng.uniform(1.0, 1.4, (n_trials, 1))
    ph = 2 * np.pi * hr * t + rng.uniform(0, 2 * np.pi, (n_trials, 1))
    out[:, 6] = 1000.0 * (np.sin(ph) + 0.5 * np.sin(2 * ph + 0.5) + 0.25 * np.sin(3 * ph + 1.0))
    out[:, 6] += 20.0 * rng.standard_normal((n_trials, n))
    # Temperature: nearly constant.
    out[:, 7] = rng.uniform(30.0, 34.0) + 0.05 * _slow_noise(rng, (n_trials,), n, fs, 0.02)
    return out


def make_synthetic_deap(
    directory,
    n_subjects=32,
    n_trials=40,
    trial_seconds=60,
    random_state=None,
    *,
    effect_size=1.0,
):
    """Write synthetic DEAP ``s01.dat`` ... files in the ``data_preprocessed_python`` format.

    Each file is a Python-2-style protocol-2 pickle (readable only with
    ``pickle.load(f, encoding="latin1")``, like the real files, ~103 MB at the default size)
    of a dict with ``data``, float64 of shape ``(n_trials, 40, 128 * (3 + trial_seconds))``
    (32 EEG channels in DEAP's order, then 8 peripheral channels), and ``labels``, float64
    ``(n_trials, 4)`` = valence, arousal, dominance, liking in [1, 9]. The defaults give the
    published sizes (40 trials of 63 s: ``(40, 40, 8064)``).

    Generative model (per subject, independent seeds per subject):

    * **Ratings.** Continuous 1-9, rounded to 0.01: a Gaussian copula (valence correlates
      with liking 0.6 and dominance 0.45, arousal with valence 0.1) with subject-specific
      beta marginals, mostly skewed to "high" as in DEAP, so classes are unbalanced.
    * **Background EEG.** Per channel, Gaussian noise shaped in the frequency domain
      (one FFT per trial and channel) to a 1/f^chi spectrum (subject exponent chi in
      [1.0, 1.6] plus channel jitter), an alpha peak at a subject-specific 9-11 Hz that is
      strongest posteriorly, band-passed 4-45 Hz; subject amplitude 8-20 uV times a channel
      gain; finally common-average referenced, as DEAP's preprocessing did.
    * **Emotion, during the 60 s trial only** (the 3 s baseline is neutral), as changes of
      log power, with ``z = (rating - 5) / 4`` in [-1, 1]:
      arousal raises beta (x0.7) and gamma power on all channels with a subject-specific
      spatial weight, ``+ k_a * z_arousal``; valence drives frontal alpha asymmetry on
      Fp1/Fp2, AF3/AF4, F3/F4, F7/F8 (less left, more right alpha for positive valence,
      ``-/+ k_v * z_valence`` times a pair weight) and slightly raises T7/T8 gamma. The
      strengths ``k_a``, ``k_v`` are ``effect_size`` times a log-normally distributed
      subject factor, so some subjects are much easier than others.
    * **Nuisance.** Per trial and band, log-power fluctuations unrelated to the ratings
      (a part common to all channels and a part per channel) during the trial; a per trial
      and channel gain shared by baseline and trial (removable by baseline correction);
      slow (< 0.3 Hz) amplitude modulation within the trial, so 2 s windows vary.
    * **Peripheral channels 33-40.** hEOG/vEOG (pink noise, vEOG with blinks), zEMG/tEMG
      (broadband > 20 Hz), GSR (slow drift, lower with arousal), respiration (0.2-0.35 Hz),
      plethysmograph (60-85 bpm pulse wave) and temperature (near constant).

    With ``effect_size=1`` a logistic regression on log band powers of 2 s windows,
    cross-validated by trial, scores about 75 % on average for both targets, most subjects
    between 65 and 85 % (see ``docs/datasets.md``); with ``effect_size=0`` it is at chance.

    Parameters
    ----------
    directory : str or path-like
        Output folder, created if needed. Existing ``sXX.dat`` of the same numbers are
        overwritten.
    n_subjects : int, default=32
        Number of files ``s01.dat`` ... (at most 99).
    n_trials : int, default=40
        Trials per subject (at most 100, the loader's trial-id range).
    trial_seconds : float, default=60
        Length of each trial after the 3 s baseline; samples per stored trial are
        ``128 * (3 + trial_seconds)``.
    random_state : int, numpy.random.RandomState, numpy.random.Generator or None, default=None
        Seed. Subject ``i`` depends only on the seed and ``i``, so the first subjects are
        the same whatever ``n_subjects``.
    effect_size : float, default=1.0
        Multiplies the emotion effects; 0 gives EEG unrelated to the ratings.

    Returns
    -------
    directory : pathlib.Path
        The folder written, ready for :func:`load_deap`.

    Raises
    ------
    ValueError
        If a size is out of range or ``effect_size`` is negative.

    Examples
    --------
    >>> import pickle, tempfile
    >>> from sk_prnet.datasets import make_synthetic_deap
    >>> d = make_synthetic_deap(tempfile.mkdtemp(), n_subjects=1, n_trials=2,
    ...                         trial_seconds=5, random_state=0)
    >>> with open(d / "s01.dat", "rb") as f:
    ...     subject = pickle.load(f, encoding="latin1")
    >>> subject["data"].shape, subject["labels"].shape
    ((2, 40, 1024), (2, 4))
    """
    _check_int(n_subjects, "n_subjects", 1, 99)
    _check_int(n_trials, "n_trials", 1, 100)
    if not (np.isfinite(trial_seconds) and trial_seconds * DEAP_SFREQ >= 1):
        raise ValueError(f"trial_seconds must be a positive number, got {trial_seconds!r}.")
    if not (np.isfinite(effect_size) and effect_size >= 0):
        raise ValueError(f"effect_size must be >= 0, got {effect_size!r}.")
    out = Path(directory).expanduser()
    out.mkdir(parents=True, exist_ok=True)
    for i, ss in enumerate(seed_sequences(random_state, n_subjects)):
        data, labels = _synthetic_deap_subject(
            np.random.default_rng(ss), n_trials, trial_seconds, effect_size
        )
        dump_py2_pickle({"labels": labels, "data": data}, out / f"s{i + 1:02d}.dat")
        del data
    return out


def _check_int(value, name, lo, hi):
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, np.integer))
        or not (lo <= value <= hi)
    ):
        raise ValueError(f"{name} must be an int in [{lo}, {hi}], got {value!r}.")


# --------------------------------------------------------------------------------------------
# SEED
# --------------------------------------------------------------------------------------------
# Log power (natural log, uV^2) of each band at rest, before channel/subject offsets.
_SEED_LOG_POWER = np.array([4.0, 3.0, 2.8, 2.0, 0.8])
_SEED_TEMPORAL = ("FT7", "FT8", "T7", "T8", "TP7", "TP8", "C5", "C6", "CP5", "CP6", "P7", "P8")
#: Frontal-posterior pairs used for the synthetic DCAU features (23 pairs).
_SEED_DCAU_PAIRS = (
    ("FT7", "TP7"), ("FC5", "CP5"), ("FC3", "CP3"), ("FC1", "CP1"), ("FCZ", "CPZ"),
    ("FC2", "CP2"), ("FC4", "CP4"), ("FC6", "CP6"), ("FT8", "TP8"), ("F7", "P7"),
    ("F5", "P5"), ("F3", "P3"), ("F1", "P1"), ("FZ", "PZ"), ("F2", "P2"), ("F4", "P4"),
    ("F6", "P6"), ("F8", "P8"), ("FP1", "O1"), ("FPZ", "OZ"), ("FP2", "O2"),
    ("AF3", "CB1"), ("AF4", "CB2"),
)  # fmt: skip


def _seed_lr_pairs():
    """The 27 (left, right) pairs of SEED's 62 channels: odd-numbered <-> even-numbered."""
    names = list(SEED_CHANNELS)
    pairs = []
    for c in names:
        m = re.match(r"^([A-Z]+)(\d+)$", c)
        if m and int(m.group(2)) % 2 == 1:
            right = f"{m.group(1)}{int(m.group(2)) + 1}"
            if right in names:
                pairs.append((c, right))
    return tuple(pairs)


_SEED_SMOOTHERS = {
    "movingAve": lambda x: ndimage.uniform_filter1d(x, 5, axis=0, mode="nearest"),
    "LDS": lambda x: ndimage.gaussian_filter1d(x, 3.0, axis=0, mode="nearest"),
}


def _seed_variant(de, family):
    """(T, 62, 5) smoothed DE -> the (T, C, 5) array of a DE-based feature family."""
    idx = {c: i for i, c in enumerate(SEED_CHANNELS)}
    if family == "de":
        return de
    lr = _seed_lr_pairs()
    left = de[:, [idx[a] for a, _ in lr]]
    right = de[:, [idx[b] for _, b in lr]]
    if family == "dasm":
        return left - right
    if family == "rasm":
        return left / right
    if family == "asm":
        return np.concatenate([left - right, left / right], axis=1)
    front = de[:, [idx[a] for a, _ in _SEED_DCAU_PAIRS]]
    back = de[:, [idx[b] for _, b in _SEED_DCAU_PAIRS]]
    return front - back


def _synthetic_seed_subject(rng, n_sessions, lengths, effect_size, features):
    """{session: {key: (C, T_k, 5) array}} for one subject; see make_synthetic_seed."""
    n_ch, n_b = len(SEED_CHANNELS), len(SEED_BANDS)
    names = list(SEED_CHANNELS)
    temporal = np.isin(names, _SEED_TEMPORAL)
    posterior = np.array([bool(re.match(r"^(P|PO|O|CB)", c)) for c in names])
    # Emotion pattern (log power per class), subject strength k_s.
    k_s = effect_size * rng.lognormal(np.log(0.55), 0.35)
    pattern = {c: np.zeros((n_ch, n_b)) for c in (-1, 0, 1)}
    for c in (-1, 0, 1):
        pattern[c][temporal, 3] += 0.8 * c  # beta rises from negative to positive
        pattern[c][temporal, 4] += 1.0 * c  # gamma too, most strongly
    pattern[0][posterior, 2] += 0.6  # neutral: more parietal-occipital alpha
    pattern[-1][posterior, 0] += 0.5  # negative: more parietal-occipital delta
    spatial = rng.uniform(0.6, 1.4, (n_ch, n_b))  # subject-specific topography
    base = _SEED_LOG_POWER[None] + rng.normal(0.0, 0.3, (n_ch, n_b))
    sessions = []
    for _ in range(n_sessions):
        shift = rng.normal(0.0, 0.25, (1, n_b)) + rng.normal(0.0, 0.1, (n_ch, n_b))
        files = {}
        for k, (label, t_k) in enumerate(zip(SEED_LABELS, lengths), start=1):
            level = base + shift + k_s * spatial * pattern[label]
            level = level + rng.normal(0.0, 0.2, (1, n_b)) + rng.normal(0.0, 0.15, (n_ch, n_b))
            # Smooth AR(1) drift plus per-window noise, along the time axis.
            rho = 0.9
            drift = signal.lfilter(
                [np.sqrt(1 - rho**2)], [1.0, -rho], rng.standard_normal((t_k, n_ch, n_b)), axis=0
            )
            log_p = level[None] + 0.3 * drift + 0.4 * rng.standard_normal((t_k, n_ch, n_b))
            raw = {"psd": np.exp(log_p), "de": 0.5 * (np.log(2 * np.pi * np.e) + log_p)}
            for feat in features:
                family, how = feat.split("_", 1)
                if family == "psd":
                    arr = _SEED_SMOOTHERS[how](raw["psd"])
                else:
                    arr = _seed_variant(_SEED_SMOOTHERS[how](raw["de"]), family)
                files[f"{feat}{k}"] = np.ascontiguousarray(np.transpose(arr, (1, 0, 2)))
        sessions.append(files)
    return sessions


def make_synthetic_seed(
    directory,
    n_subjects=15,
    n_sessions=3,
    random_state=None,
    n_windows=(185, 265),
    *,
    features=("de_LDS", "de_movingAve", "psd_LDS", "psd_movingAve"),
    effect_size=1.0,
):
    """Write synthetic SEED feature files in the ``ExtractedFeatures/`` format.

    Writes ``<directory>/ExtractedFeatures/<subject>_<yyyymmdd>.mat`` (MATLAB v5 via
    :func:`scipy.io.savemat`) for every subject and session, holding for trials
    k = 1..15 the arrays ``<feature><k>`` of shape ``(62, T_k, 5)`` (channel x 1 s window x
    band), and ``label.mat`` with ``label`` = ``[[1, 0, -1, -1, 0, 1, -1, 0, 1, 1, 0, -1, 0,
    1, -1]]`` (shape (1, 15)). ``T_k`` is drawn once per trial (the film clips are the same
    for everybody) and shared by all subjects and sessions, as in SEED. Session dates start
    on a random 2013 day per subject and follow at 3-20 day intervals.

    Generative model, in log band power ``L`` (natural log, uV^2) per channel and band:

    * resting level per band (delta > theta > alpha > beta > gamma) plus a subject offset per
      channel and band, a session shift (common to channels, and per channel) and a trial
      offset unrelated to the label;
    * emotion: on the lateral temporal channels (FT7/8, T7/8, TP7/8, C5/6, CP5/6, P7/8) beta
      and gamma power rise from negative (-1) to neutral (0) to positive (+1); neutral clips
      add parietal-occipital alpha and negative ones parietal-occipital delta. The pattern is
      scaled by a subject strength (log-normal, times ``effect_size``) and a subject-specific
      topography, so the task is learnable but not trivial;
    * within a trial, per 1 s window: a smooth AR(1) drift (rho = 0.9) plus white noise.

    From the raw per-window values, ``psd = exp(L)`` and ``de = 0.5 * log(2 pi e) + L / 2``
    (the differential entropy of a Gaussian of that power). ``*_movingAve`` smooths them with
    a 5-window moving average, ``*_LDS`` with a Gaussian kernel (sigma = 3 windows), so the
    LDS version is the smoother, as in SEED. The asymmetry variants, if requested, are
    computed from the smoothed DE: ``dasm`` = left - right over the 27 left/right pairs
    (odd/even electrode numbers), ``rasm`` = left / right, ``asm`` = both (54), ``dcau`` =
    frontal - posterior over 23 pairs; their pair order is this generator's choice.

    Parameters
    ----------
    directory : str or path-like
        SEED root to write into; ``ExtractedFeatures/`` is created inside it.
    n_subjects : int, default=15
        Subjects 1..n_subjects.
    n_sessions : int, default=3
        Sessions (files) per subject, at most 9.
    random_state : int, numpy.random.RandomState, numpy.random.Generator or None, default=None
        Seed; subject ``i`` depends only on the seed and ``i``.
    n_windows : int or (int, int), default=(185, 265)
        Windows (seconds) per trial: a fixed number, or the inclusive range ``T_k`` is drawn
        from uniformly. Use small values (e.g. ``(4, 8)``) for fast tests.
    features : sequence of str, default=("de_LDS", "de_movingAve", "psd_LDS", "psd_movingAve")
        Feature prefixes to write; any of :data:`sk_prnet.datasets.seed.SEED_FEATURES`.
    effect_size : float, default=1.0
        Multiplies the emotion effect; 0 makes the features unrelated to the labels.

    Returns
    -------
    directory : pathlib.Path
        The SEED root written (pass it to :func:`load_seed`).

    Raises
    ------
    ValueError
        If a size or feature name is invalid or ``effect_size`` is negative.

    Examples
    --------
    >>> import tempfile
    >>> import scipy.io
    >>> from sk_prnet.datasets import make_synthetic_seed
    >>> d = make_synthetic_seed(tempfile.mkdtemp(), n_subjects=1, n_sessions=1,
    ...                         n_windows=4, random_state=0)
    >>> [p.name for p in sorted((d / "ExtractedFeatures").iterdir())][-1]
    'label.mat'
    >>> scipy.io.loadmat(d / "ExtractedFeatures" / "label.mat")["label"].shape
    (1, 15)
    """
    _check_int(n_subjects, "n_subjects", 1, 999)
    _check_int(n_sessions, "n_sessions", 1, 9)
    if isinstance(n_windows, (int, np.integer)) and not isinstance(n_windows, bool):
        lo = hi = int(n_windows)
    else:
        try:
            lo, hi = (int(v) for v in n_windows)
        except (TypeError, ValueError) as err:
            raise ValueError(
                f"n_windows must be an int or a (low, high) pair, got {n_windows!r}."
            ) from err
    if not 1 <= lo <= hi:
        raise ValueError(f"n_windows must satisfy 1 <= low <= high, got {n_windows!r}.")
    if isinstance(features, str):
        features = (features,)
    features = tuple(features)
    unknown = [f for f in features if f not in SEED_FEATURES]
    if unknown or not features:
        raise ValueError(f"Unknown SEED feature(s) {unknown}; choose from {list(SEED_FEATURES)}.")
    if not (np.isfinite(effect_size) and effect_size >= 0):
        raise ValueError(f"effect_size must be >= 0, got {effect_size!r}.")

    root = Path(directory).expanduser()
    folder = root / "ExtractedFeatures"
    folder.mkdir(parents=True, exist_ok=True)
    # Child 0 draws the trial lengths (shared by everybody), child s is subject s.
    seqs = seed_sequences(random_state, n_subjects + 1)
    lengths = np.random.default_rng(seqs[0]).integers(lo, hi + 1, size=len(SEED_LABELS))
    for s, ss in enumerate(seqs[1:], start=1):
        rng = np.random.default_rng(ss)
        day = datetime.date(2013, 1, 1) + datetime.timedelta(days=int(rng.integers(0, 300)))
        for session in _synthetic_seed_subject(rng, n_sessions, lengths, effect_size, features):
            scipy.io.savemat(folder / f"{s}_{day:%Y%m%d}.mat", session, do_compression=False)
            day += datetime.timedelta(days=int(rng.integers(3, 21)))
    scipy.io.savemat(folder / "label.mat", {"label": np.array([SEED_LABELS], dtype=np.int16)})
    return root
