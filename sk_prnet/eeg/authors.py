"""The first author's DEAP feature script, as array functions (the ``"authors"`` recipe).

``extract_features_DEAP.py`` (repository gzoumpourlis/DEAP_MNE_preprocessing) computes, per
trial of a DEAP recording (3 s pre-trial + 60 s trial at 128 Hz):

- windows of 2 s starting at ``range(0, n_trial - n_window, n_step)`` with a 0.25 s step: the
  end of the range is exclusive, so a 60 s trial gives 232 windows, not the 233 that fit;
- ``"psd"``: per channel and window the Welch PSD (``scipy.signal.welch(x, fs=128,
  nperseg=128)``: Hann, 50 % overlap, 1 Hz bins), converted to dB *per bin*, then averaged
  over the bins of each band (:data:`~sk_prnet.eeg.montage.AUTHORS_BANDS`: inclusive bins
  4-7, 8-10, 8-13, 14-29, 30-45);
- ``"asym"``: left - right of those dB band powers for the 14 symmetric pairs;
- ``"de"``: each band of :data:`~sk_prnet.eeg.montage.AUTHORS_DE_BANDS` band-pass filtered over
  the whole recording with MNE's default FIR filter (:func:`firwin_bandpass`,
  :func:`zero_phase_fir`), then per window ``0.5 * log10(2 * pi * e * var)`` of the filtered
  signal (population variance);
- ``"de_asym"``: left - right of the DE;
- the same features of the last 2 s of the pre-trial segment of each trial (its baseline).

The script scaled its input from volts to microvolts; DEAP's preprocessed files are already in
microvolts, so nothing is rescaled here.
"""

import numpy as np
import scipy.signal

from ._validation import check_pairs, check_sfreq, format_names
from .montage import AUTHORS_BANDS, AUTHORS_DE_BANDS, DEAP_EEG_CHANNELS, DEAP_SYMMETRIC_PAIRS
from .spectrum import _band_weights, check_bands, welch_psd

__all__ = ["AUTHORS_KINDS", "authors_features", "firwin_bandpass", "script_window_starts",
           "zero_phase_fir"]  # fmt: skip

#: Feature kinds of :func:`authors_features`, in the script's order.
AUTHORS_KINDS = ("psd", "asym", "de", "de_asym")
_LOG10_2PI_E = np.log10(2.0 * np.pi * np.e)
# Filter length per unit of (transition bandwidth / sfreq) for a Hamming window (MNE's
# ``_length_factors``, after Ifeachor and Jervis).
_HAMMING_LENGTH_FACTOR = 3.3


def firwin_bandpass(l_freq, h_freq, sfreq):
    """Coefficients of MNE's default FIR band-pass ``filter(l_freq, h_freq, fir_design="firwin")``.

    MNE's defaults (``filter_length="auto"``, ``l/h_trans_bandwidth="auto"``,
    ``fir_window="hamming"``, ``phase="zero"``): transition bands
    ``min(max(l_freq / 4, 2), l_freq)`` below and ``min(max(h_freq / 4, 2), sfreq / 2 -
    h_freq)`` above the pass band; length ``ceil(3.3 * sfreq / min(transitions))`` rounded up
    to odd; the filter is the difference of two Hamming-window ``scipy.signal.firwin``
    low-passes cut at the middle of each transition band, each of length
    ``round(3.3 * sfreq / transition)`` (odd) and centred in the full length.

    Parameters
    ----------
    l_freq, h_freq : float
        Pass band edges in Hz, ``0 < l_freq < h_freq < sfreq / 2``.
    sfreq : float
        Sampling frequency in Hz.

    Returns
    -------
    h : ndarray of shape (n_taps,)
        Symmetric (linear-phase) filter of odd length.

    Raises
    ------
    ValueError
        If the band edges are not inside ``(0, sfreq / 2)`` or not increasing.

    Examples
    --------
    >>> h = firwin_bandpass(4.0, 8.0, sfreq=128.0)    # theta: 2 Hz transitions
    >>> len(h), bool(np.allclose(h, h[::-1]))
    (213, True)
    """
    sfreq = check_sfreq(sfreq, "firwin_bandpass")
    nyq = sfreq / 2.0
    if not 0 < l_freq < h_freq < nyq:
        raise ValueError(
            f"firwin_bandpass: need 0 < l_freq < h_freq < sfreq / 2 = {nyq:g} Hz, got "
            f"l_freq={l_freq!r}, h_freq={h_freq!r}."
        )
    l_trans = min(max(0.25 * l_freq, 2.0), l_freq)
    h_trans = min(max(0.25 * h_freq, 2.0), nyq - h_freq)
    n_taps = int(np.ceil(_HAMMING_LENGTH_FACTOR / min(l_trans, h_trans) * sfreq))
    n_taps += (n_taps - 1) % 2  # odd, for a zero-phase filter
    freq = [l_freq - l_trans, l_freq, h_freq, h_freq + h_trans]
    gain = [0, 1, 1, 0]
    if freq[-1] != nyq:
        freq, gain = freq + [nyq], gain + [0]
    if freq[0] != 0:
        freq, gain = [0.0] + freq, [0] + gain
    freq = np.asarray(freq) / nyq
    h = np.zeros(n_taps)
    prev_freq, prev_gain = freq[-1], gain[-1]
    for this_freq, this_gain in zip(freq[::-1][1:], gain[::-1][1:]):
        if this_gain != prev_gain:  # one transition band: add or remove a low-pass
            n = int(round(_HAMMING_LENGTH_FACTOR / ((prev_freq - this_freq) / 2.0)))
            n += 1 - n % 2
            low = scipy.signal.firwin(n, (prev_freq + this_freq) / 2.0, window="hamming",
                                      pass_zero=True, fs=2.0)  # fmt: skip
            offset = (n_taps - n) // 2
            h[offset : n_taps - offset] += low if this_gain == 1 else -low
        prev_freq, prev_gain = this_freq, this_gain
    return h


def zero_phase_fir(x, h):
    """Apply an odd-length symmetric FIR filter once, delay-compensated (MNE's ``phase="zero"``).

    The signal is first extended at each end by ``len(h) - 1`` samples reflected through the
    end sample (``2 * x[0] - x[k]``, MNE's ``pad="reflect_limited"``); the output is the
    centred part of the full convolution. This is a single pass, not ``filtfilt``.

    Parameters
    ----------
    x : ndarray of shape (..., n_times)
        Signals, filtered along the last axis.
    h : ndarray of shape (n_taps,)
        Odd-length symmetric filter, e.g. from :func:`firwin_bandpass`.

    Returns
    -------
    y : ndarray of shape (..., n_times)
        The filtered signals (float64).

    Examples
    --------
    >>> x = np.ones((2, 50))
    >>> bool(np.allclose(zero_phase_fir(x, np.array([0.25, 0.5, 0.25])), 1.0))
    True
    """
    x = np.asarray(x, dtype=np.float64)
    h = np.asarray(h, dtype=np.float64)
    n_times = x.shape[-1]
    n_edge = max(min(len(h), n_times) - 1, 0)
    # zeros beyond what the signal can reflect (only for signals shorter than the filter)
    zeros = np.zeros(x.shape[:-1] + (max(n_edge - n_times + 1, 0),))
    left = 2 * x[..., :1] - x[..., n_edge:0:-1]
    right = 2 * x[..., -1:] - x[..., -2 : -n_edge - 2 : -1]
    ext = np.concatenate([zeros, left, x, right, zeros], axis=-1)
    full = scipy.signal.oaconvolve(ext, h.reshape((1,) * (x.ndim - 1) + (-1,)), axes=-1)
    shift = (len(h) - 1) // 2 + n_edge + zeros.shape[-1]
    return full[..., shift : shift + n_times]


def script_window_starts(n_samples, n_window, n_step):
    """Window starts as the script takes them: ``range(0, n_samples - n_window, n_step)``.

    The end is exclusive, so a window ending exactly at the last sample is never taken: 232
    starts (0 ... 7392) for a 60 s trial at 128 Hz with 2 s windows every 0.25 s.

    Parameters
    ----------
    n_samples, n_window, n_step : int
        Trial length, window length and step in samples.

    Returns
    -------
    starts : ndarray of int
        First sample of each window.

    Examples
    --------
    >>> len(script_window_starts(7680, 256, 32)), int(script_window_starts(7680, 256, 32)[-1])
    (232, 7392)
    """
    return np.arange(0, n_samples - n_window, n_step)


def _windows(x, starts, n_window):
    """(n_windows, n_channels, n_window) copies of ``x[:, s : s + n_window]``."""
    view = np.lib.stride_tricks.sliding_window_view(x, n_window, axis=-1)[:, starts]
    return np.ascontiguousarray(view.transpose(1, 0, 2))


def _check_finite(values, kind, trial, ch_names):
    """Raise a clear error for a log of zero power/variance (a flat channel)."""
    bad = ~np.isfinite(values).all(axis=(0, 2)) if values.ndim == 3 else ~np.isfinite(values)
    if bad.any():
        chans = format_names([ch_names[c] for c in np.flatnonzero(bad)])
        what = "power" if kind == "psd" else "variance"
        raise ValueError(
            f"authors_features: channel(s) {chans} of trial {trial} have zero {what} in a "
            "window or the baseline (flat, i.e. constant, signal), so their log is -inf. The "
            "script has no policy for this: drop or interpolate the channel first, or use the "
            "'paper' recipe, whose transformers impute flat channels (flat='impute')."
        )


def authors_features(recordings, sfreq=128.0, pretrial_samples=384, *, kinds=("psd", "asym"),
                     window=2.0, step=0.25, baseline_seconds=2.0, bands=None, de_bands=None,
                     ch_names=None, pairs=None):  # fmt: skip
    """Features of the first author's DEAP script for whole recordings (see the module doc).

    Parameters
    ----------
    recordings : array-like of shape (n_trials, n_channels, n_samples)
        Whole recordings: ``pretrial_samples`` of pre-trial baseline, then the trial (DEAP:
        ``load_deap(..., window=None, baseline="keep")``), in microvolts.
    sfreq : float, default=128.0
        Sampling frequency in Hz.
    pretrial_samples : int, default=384
        Samples of the pre-trial segment at the start of each recording (DEAP: 3 s).
    kinds : sequence of {"psd", "asym", "de", "de_asym"}, default=("psd", "asym")
        Feature kinds, in output order, each at most once.
    window, step : float, default=2.0, 0.25
        Window length and step in seconds; windows start at
        :func:`script_window_starts` of the trial part.
    baseline_seconds : float, default=2.0
        The baseline is the last ``baseline_seconds`` of the pre-trial segment.
    bands : dict or None, default=None
        ``[lo, hi)`` Hz bands of ``"psd"``/``"asym"``; ``None`` means
        :data:`~sk_prnet.eeg.montage.AUTHORS_BANDS`.
    de_bands : dict or None, default=None
        ``(l_freq, h_freq)`` pass bands of ``"de"``/``"de_asym"``; ``None`` means
        :data:`~sk_prnet.eeg.montage.AUTHORS_DE_BANDS`.
    ch_names : sequence of str or None, default=None
        Channel names; ``None`` means the 32 DEAP EEG channels.
    pairs : sequence of (str, str) or None, default=None
        (left, right) pairs of the asymmetries; ``None`` means the 14 DEAP pairs.

    Returns
    -------
    features : ndarray of shape (n_trials, n_windows, n_features)
        The features of every window of every trial (float64), channel-major within a kind:
        ``psd_<ch>_<band>``, ``asym_<left>-<right>_<band>``, ``de_<ch>_<band>``,
        ``de_asym_<left>-<right>_<band>``.
    baseline : ndarray of shape (n_trials, n_features)
        The same features of each trial's baseline.
    names : ndarray of str
        Feature names.

    Raises
    ------
    ValueError
        For a bad shape, unknown kind, bands the spectrum cannot resolve, a baseline longer
        than the pre-trial segment, trials shorter than a window, NaN/inf in the recordings,
        or a flat channel (its log power would be -inf).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> rec = rng.standard_normal((2, 32, 384 + 4 * 128))   # 3 s + 4 s
    >>> F, base, names = authors_features(rec)
    >>> F.shape, base.shape, names[0], names[160]
    ((2, 8, 230), (2, 230), 'psd_Fp1_theta', 'asym_Fp1-Fp2_theta')
    """
    owner = "authors_features"
    sfreq = check_sfreq(sfreq, owner)
    X = np.asarray(recordings, dtype=np.float64)
    kinds = (kinds,) if isinstance(kinds, str) else tuple(kinds)
    if not kinds or any(k not in AUTHORS_KINDS for k in kinds) or len(set(kinds)) != len(kinds):
        raise ValueError(
            f"{owner}: kinds must be a non-empty sequence of distinct values among "
            f"{AUTHORS_KINDS}, got {kinds!r}."
        )
    if X.ndim != 3:
        raise ValueError(
            f"{owner}: recordings must be 3-D (n_trials, n_channels, n_samples), got shape "
            f"{X.shape}."
        )
    n_win = int(round(window * sfreq))
    n_step = int(round(step * sfreq))
    n_base = int(round(baseline_seconds * sfreq))
    pre = int(pretrial_samples)
    n_trial = X.shape[2] - pre
    if not 2 <= n_base <= pre:
        raise ValueError(
            f"{owner}: baseline_seconds={baseline_seconds} must cover 2 to {pre} samples "
            f"(the pre-trial segment), got {n_base}."
        )
    # a step under half a sample rounds to 0: np.arange would divide by it
    starts = script_window_starts(n_trial, n_win, n_step) if n_step >= 1 else []
    if n_win < 2 or n_step < 1 or len(starts) == 0:
        raise ValueError(
            f"{owner}: trials of {n_trial} samples hold no window of {n_win} samples every "
            f"{n_step} (window={window} s, step={step} s at {sfreq:g} Hz); the script's "
            "range(0, n_trial - n_window, n_step) needs n_trial > n_window and a step of at least "
            "one sample."
        )
    if not np.isfinite(X).all():
        raise ValueError(f"{owner}: the recordings contain NaN or infinity.")
    ch_names = list(DEAP_EEG_CHANNELS if ch_names is None else ch_names)
    if len(ch_names) != X.shape[1]:
        raise ValueError(
            f"{owner}: {len(ch_names)} channel names for {X.shape[1]} channels; pass ch_names."
        )
    pair_index, pair_labels = check_pairs(
        DEAP_SYMMETRIC_PAIRS if pairs is None else pairs, ch_names, owner
    )
    nperseg = int(round(sfreq))  # the script's nperseg=sfreq: 1 s segments, 1 Hz bins
    bands = check_bands(AUTHORS_BANDS if bands is None else bands, sfreq,
                        min(nperseg, n_win, n_base), owner)  # fmt: skip
    de_bands = dict(AUTHORS_DE_BANDS if de_bands is None else de_bands)
    filters = {b: firwin_bandpass(lo, hi, sfreq) for b, (lo, hi) in de_bands.items()}

    names = []
    for kind in kinds:
        units = pair_labels if kind.endswith("asym") else ch_names
        band_names = de_bands if kind.startswith("de") else bands
        names += [f"{kind}_{u}_{b}" for u in units for b in band_names]

    features, baselines = [], []
    for t, rec in enumerate(X):
        segments = [_windows(rec[:, pre:], starts, n_win), rec[np.newaxis, :, pre - n_base : pre]]
        per_segment = [[] for _ in segments]  # window features, then baseline features
        if "psd" in kinds or "asym" in kinds:
            for out, seg in zip(per_segment, segments):
                freqs, psd = welch_psd(seg, sfreq, nperseg=nperseg)
                with np.errstate(divide="ignore"):
                    db = 10.0 * np.log10(psd)  # dB per bin, then the mean over the band's bins
                mean_db = np.full(psd.shape[:2] + (len(bands),), -np.inf)
                finite = np.isfinite(db).all(axis=-1)
                mean_db[finite] = db[finite] @ _band_weights(freqs, bands, "mean", db.dtype)
                _check_finite(mean_db, "psd", t, ch_names)
                out.append(("psd", mean_db))
        if "de" in kinds or "de_asym" in kinds:
            filtered = {b: zero_phase_fir(rec, h) for b, h in filters.items()}
            for i, out in enumerate(per_segment):
                var = np.stack(
                    [
                        _windows(f[:, pre:], starts, n_win).var(axis=-1)
                        if i == 0
                        else f[np.newaxis, :, pre - n_base : pre].var(axis=-1)
                        for f in filtered.values()
                    ],
                    axis=-1,
                )  # (n_windows, n_channels, n_de_bands), population variance
                # a flat raw signal filters to rounding noise, not to 0: make its log -inf
                raw = segments[i]
                var[raw.max(axis=-1) == raw.min(axis=-1)] = 0.0
                with np.errstate(divide="ignore"):
                    de = 0.5 * (np.log10(var) + _LOG10_2PI_E)
                _check_finite(de, "de", t, ch_names)
                out.append(("de", de))
        rows = []
        for out in per_segment:
            quantities = dict(out)
            blocks = []
            for kind in kinds:
                q = quantities["de" if kind.startswith("de") else "psd"]
                if kind.endswith("asym"):
                    q = q[:, pair_index[:, 0]] - q[:, pair_index[:, 1]]
                blocks.append(q.reshape(q.shape[0], -1))
            rows.append(np.concatenate(blocks, axis=1))
        features.append(rows[0])
        baselines.append(rows[1][0])
    return np.stack(features), np.stack(baselines), np.asarray(names, dtype=object)
