"""One Welch power spectrum per epoch and channel, and its reduction to frequency bands.

The spectrum is the one :func:`scipy.signal.welch` returns for ``window="hann"``,
``noverlap=nperseg // 2``, ``detrend="constant"``, ``scaling="density"``, ``average="mean"``
(checked against it to float rounding in the tests), computed by a cache-blocked,
fully vectorised implementation: the segments of a block of epochs are taken as a strided
view, de-meaned, windowed and transformed with one real FFT call, so there is no Python loop
over channels, windows or segments. It is several times faster than ``scipy.signal.welch``
itself on EEG-sized batches (see ``docs/performance_features.md``), which is what lets the
transformers of :mod:`sk_prnet.eeg.band_features` compute the spectrum once and share it.

Bands are half-open intervals ``[lo, hi)`` in Hz. Band *power* is the mean PSD over the bins
of the band; band *variance* is the PSD integrated over the band (sum of the bins times the
bin width ``df = sfreq / nperseg``), i.e. the variance of the band-limited signal by Parseval's
theorem. Both are one matrix product of the PSD with a (n_freqs, n_bands) weight matrix.
"""

from collections.abc import Mapping

import numpy as np
import scipy.fft
import scipy.signal

from ._validation import check_nperseg, check_sfreq, compute_dtype, format_names
from .montage import PAPER_BANDS

__all__ = ["welch_psd", "check_bands", "band_power", "band_variance"]

# Bytes of windowed segments processed per block. About the size of a per-core L2 cache: the
# de-meaning, windowing, FFT and squaring of one block then run in cache (measured ~1.4x faster
# than one pass over the whole array, and the temporaries stay small).
_BLOCK_BYTES = 1 << 20


def _band_mask(freqs, lo, hi):
    """Bins with ``lo <= f < hi``, tolerant to the rounding of the bin frequencies.

    Bin frequencies come out of floating-point arithmetic and can land an ulp on either side
    of a band edge (``scipy.fft.rfftfreq(103, 1 / 103)[8]`` is 8.000000000000002); a bin
    within 1e-6 bin widths of an edge is treated as lying on the edge.
    """
    df = freqs[1] - freqs[0] if len(freqs) > 1 else 1.0
    tol = 1e-6 * df
    return (freqs >= lo - tol) & (freqs < hi - tol)


def _welch_freqs(sfreq, nperseg):
    """The frequencies of the one-sided spectrum, computed exactly as scipy.signal.welch does."""
    return scipy.fft.rfftfreq(nperseg, 1.0 / sfreq)


def _parse_bands(bands, owner):
    """Check the format of ``bands`` and return it as a dict of float pairs (same order)."""
    if bands is None:
        bands = PAPER_BANDS
    if not isinstance(bands, Mapping) or not bands:
        raise ValueError(
            f"{owner}: bands must be a non-empty dict mapping band names to (lo, hi) in Hz, "
            f"e.g. {{'alpha': (8, 12)}}; got {bands!r}."
        )
    out = {}
    for name, edges in bands.items():
        if not isinstance(name, str) or not name:
            raise ValueError(f"{owner}: band names must be non-empty strings, got {name!r}.")
        try:
            lo, hi = (float(e) for e in edges)
        except (TypeError, ValueError):
            raise ValueError(
                f"{owner}: band {name!r} must be a (lo, hi) pair of frequencies in Hz, "
                f"got {edges!r}."
            ) from None
        if not (np.isfinite(lo) and np.isfinite(hi)) or lo < 0 or lo >= hi:
            raise ValueError(
                f"{owner}: band {name!r} must satisfy 0 <= lo < hi (finite, in Hz), "
                f"got ({lo:g}, {hi:g})."
            )
        out[name] = (lo, hi)
    return out


def check_bands(bands, sfreq, nperseg, owner="check_bands"):
    """Validate frequency bands against the sampling rate and the Welch resolution.

    Parameters
    ----------
    bands : dict of str to (float, float) or None
        Band name to half-open interval ``[lo, hi)`` in Hz, in output order. ``None`` means
        :data:`~sk_prnet.eeg.montage.PAPER_BANDS` (theta, slow_alpha, alpha, beta, gamma).
    sfreq : float
        Sampling frequency in Hz.
    nperseg : int
        Welch segment length in samples; the bin width is ``sfreq / nperseg``.
    owner : str, default="check_bands"
        Name used at the start of error messages.

    Returns
    -------
    bands : dict of str to (float, float)
        The validated bands, in the given order.

    Raises
    ------
    ValueError
        If ``bands`` is empty or not a mapping of names to ``(lo, hi)``; a band has
        ``lo < 0``, ``lo >= hi`` or a non-finite edge; a band's ``hi`` exceeds the Nyquist
        frequency ``sfreq / 2`` (the message names the band and the Nyquist frequency); or a
        band contains no frequency bin at this resolution (the message says how long the
        segment must be).

    Examples
    --------
    >>> check_bands({"alpha": (8, 12)}, sfreq=128, nperseg=128)
    {'alpha': (8.0, 12.0)}
    >>> check_bands({"gamma": (30, 70)}, sfreq=128, nperseg=128)
    Traceback (most recent call last):
    ...
    ValueError: check_bands: band 'gamma' (30-70 Hz) extends above the Nyquist frequency 64 Hz...
    """
    sfreq = check_sfreq(sfreq, owner)
    out = _parse_bands(bands, owner)
    nyquist = sfreq / 2.0
    freqs = _welch_freqs(sfreq, nperseg)
    for name, (lo, hi) in out.items():
        if hi > nyquist:
            raise ValueError(
                f"{owner}: band {name!r} ({lo:g}-{hi:g} Hz) extends above the Nyquist "
                f"frequency {nyquist:g} Hz (sfreq={sfreq:g} Hz). Lower the band's upper edge "
                f"to at most {nyquist:g} Hz or use data sampled at >= {2 * hi:g} Hz."
            )
        if not _band_mask(freqs, lo, hi).any():
            needed = _min_nperseg(sfreq, lo, hi, nperseg)
            raise ValueError(
                f"{owner}: band {name!r} ({lo:g}-{hi:g} Hz) contains no frequency bin of the "
                f"Welch spectrum: with nperseg={nperseg} samples ({nperseg / sfreq:g} s) the "
                f"bins are {sfreq / nperseg:g} Hz apart. The Welch segment must be at least "
                f"{needed} samples ({needed / sfreq:g} s) long: pass nperseg>={needed}, and "
                f"use epochs at least that long (nperseg is capped at the epoch length)."
            )
    return out


def _min_nperseg(sfreq, lo, hi, nperseg):
    """Smallest segment length > nperseg whose frequency grid has a bin in [lo, hi)."""
    # A bin width <= hi - lo always puts a bin in the band, so the search is bounded.
    upper = max(int(np.ceil(sfreq / (hi - lo))), nperseg + 1)
    for n in range(nperseg + 1, upper + 1):
        if _band_mask(_welch_freqs(sfreq, n), lo, hi).any():
            return n
    return upper


def _band_weights(freqs, bands, kind, dtype):
    """(n_freqs, n_bands) weights: PSD @ weights gives band power ("mean") or variance."""
    df = freqs[1] - freqs[0]
    weights = np.zeros((len(freqs), len(bands)))
    for j, (lo, hi) in enumerate(bands.values()):  # a handful of bands
        mask = _band_mask(freqs, lo, hi)
        weights[mask, j] = 1.0 / mask.sum() if kind == "mean" else df
    return weights.astype(dtype)


def _reduce(psd, freqs, bands, kind):
    owner = f"band_{kind}"
    psd = np.asarray(psd)
    freqs = np.asarray(freqs, dtype=float)
    if freqs.ndim != 1 or len(freqs) < 2 or psd.ndim < 1 or psd.shape[-1] != len(freqs):
        raise ValueError(
            f"{owner}: psd's last axis ({psd.shape[-1:]} bins) must match freqs "
            f"(shape {freqs.shape}, a 1-D grid of at least 2 bins)."
        )
    bands = _parse_bands(bands, owner)
    df = freqs[1] - freqs[0]
    for name, (lo, hi) in bands.items():
        if hi > freqs[-1] + df or not _band_mask(freqs, lo, hi).any():
            raise ValueError(
                f"{owner}: band {name!r} ({lo:g}-{hi:g} Hz) is not covered by the frequency "
                f"grid ({freqs[0]:g}-{freqs[-1]:g} Hz in steps of {df:g} Hz) or contains "
                "none of its bins."
            )
    dtype = np.float32 if psd.dtype == np.float32 else np.float64
    weights = _band_weights(freqs, bands, "mean" if kind == "power" else "integral", dtype)
    rows = psd.reshape(-1, psd.shape[-1]).astype(dtype, copy=False)
    return (rows @ weights).reshape(psd.shape[:-1] + (len(bands),))


def band_power(psd, freqs, bands=None):
    """Mean PSD over the bins of each band (``lo <= f < hi``).

    Parameters
    ----------
    psd : ndarray of shape (..., n_freqs)
        Power spectral density, e.g. from :func:`welch_psd`.
    freqs : ndarray of shape (n_freqs,)
        The frequencies of the PSD bins, evenly spaced from 0 Hz.
    bands : dict of str to (float, float) or None, default=None
        Band name to ``[lo, hi)`` in Hz; ``None`` means ``PAPER_BANDS``.

    Returns
    -------
    power : ndarray of shape (..., n_bands)
        Band power in the units of ``psd`` (float32 if ``psd`` is float32, else float64).

    Raises
    ------
    ValueError
        If ``psd`` and ``freqs`` disagree, or a band is invalid for the frequency grid (see
        :func:`check_bands`).

    Examples
    --------
    >>> import numpy as np
    >>> freqs = np.arange(65.0)                     # 1 Hz bins up to 64 Hz
    >>> psd = np.ones((2, 65))
    >>> band_power(psd, freqs, {"alpha": (8, 12)})
    array([[1.],
           [1.]])
    """
    return _reduce(psd, freqs, bands, "power")


def band_variance(psd, freqs, bands=None):
    """Variance of the band-limited signal: the PSD integrated over each band (Parseval).

    The integral is the sum of the PSD bins with ``lo <= f < hi`` times the bin width
    ``df = freqs[1] - freqs[0]``. For a one-sided density PSD this equals the variance of the
    signal band-pass filtered to ``[lo, hi)``, without filtering.

    Parameters
    ----------
    psd : ndarray of shape (..., n_freqs)
        One-sided power spectral density (``scaling="density"``).
    freqs : ndarray of shape (n_freqs,)
        The frequencies of the PSD bins, evenly spaced from 0 Hz.
    bands : dict of str to (float, float) or None, default=None
        Band name to ``[lo, hi)`` in Hz; ``None`` means ``PAPER_BANDS``.

    Returns
    -------
    variance : ndarray of shape (..., n_bands)
        Band variance in the squared units of the signal.

    Raises
    ------
    ValueError
        If ``psd`` and ``freqs`` disagree, or a band is invalid for the frequency grid.

    Examples
    --------
    >>> import numpy as np
    >>> freqs = np.arange(65.0)
    >>> psd = np.full((1, 65), 2.0)                 # 2 units^2/Hz everywhere
    >>> band_variance(psd, freqs, {"alpha": (8, 12)})   # 4 bins of 1 Hz
    array([[8.]])
    """
    return _reduce(psd, freqs, bands, "variance")


class _Spectrum:
    """Welch PSD of the analysed channels plus what the error messages need."""

    __slots__ = ("freqs", "psd", "flat", "nonfinite")

    def __init__(self, freqs, psd, flat, nonfinite=None):
        self.freqs = freqs  # (n_freqs,) float64
        self.psd = psd  # (n_epochs, n_picks, n_freqs), compute dtype
        self.flat = flat  # (n_epochs, n_picks) bool: constant over the analysed samples
        # (n_epochs, n_picks) bool: signals with NaN/inf (their PSD is 0), or None if none
        self.nonfinite = nonfinite


def _segments(rows, nperseg, step, n_seg):
    """Read-only strided view (n_rows, n_seg, nperseg) of the Welch segments of 2-D ``rows``."""
    s0, s1 = rows.strides
    return np.lib.stride_tricks.as_strided(
        rows, shape=(rows.shape[0], n_seg, nperseg), strides=(s0, step * s1, s1), writeable=False
    )


def _welch_epochs(X, sfreq, nperseg, picks=None, owner="welch_psd", ch_names=None,
                  nonfinite="raise"):  # fmt: skip
    """Welch PSD of ``X[:, picks]`` (X validated, 3-D, float32 or float64).

    Also checks finiteness (for free, from the segment means) and finds channels that are
    constant over the analysed samples; their PSD is set to exactly 0 instead of the rounding
    residue of de-meaning a constant. NaN/inf raise, or with ``nonfinite="impute"`` the
    analysed signals holding them get a zero PSD and are marked in ``nonfinite`` (NaN/inf in
    channels outside ``picks`` are then ignored).
    """
    n_epochs, n_channels, n_times = X.shape
    dtype = X.dtype
    eps = np.finfo(dtype).eps
    step = nperseg - nperseg // 2  # noverlap = nperseg // 2
    n_seg = (n_times - nperseg) // step + 1
    covered = (n_seg - 1) * step + nperseg  # samples the segments use
    n_freqs = nperseg // 2 + 1
    freqs = _welch_freqs(sfreq, nperseg)

    # Periodic ("DFT-even") Hann window, as scipy.signal.welch uses.
    win64 = scipy.signal.get_window("hann", nperseg)
    win = win64.astype(dtype)
    # density scaling, averaging over segments, and the one-sided doubling, in one vector
    scale = np.full(n_freqs, 2.0 / (sfreq * np.sum(win64**2) * n_seg))
    scale[0] /= 2.0
    if nperseg % 2 == 0:
        scale[-1] /= 2.0

    picks = np.arange(n_channels) if picks is None else np.asarray(picks, dtype=np.intp)
    all_channels = len(picks) == n_channels and np.array_equal(picks, np.arange(n_channels))
    if all_channels:
        X = np.ascontiguousarray(X)  # so that epochs x channels merge into rows without a copy
    n_picks = len(picks)
    psd = np.empty((n_epochs * n_picks, n_freqs), dtype=dtype)
    means = np.empty((n_epochs * n_picks, n_seg), dtype=dtype)
    block = max(1, _BLOCK_BYTES // (n_picks * n_seg * nperseg * dtype.itemsize))
    buf = np.empty((block * n_picks, n_seg, nperseg), dtype=dtype)
    # With an even nperseg every segment is two half-segment blocks: summing the blocks once
    # gives all segment means while reading each sample once instead of twice.
    half_blocks = nperseg % 2 == 0
    ones = np.ones(step, dtype=dtype)
    # Cache blocking over epochs: each iteration handles `block` whole epochs (all their
    # channels and segments at once, vectorised), never one channel or one window at a time.
    with np.errstate(invalid="ignore", over="ignore"):  # NaN/inf are reported below
        for e0 in range(0, n_epochs, block):
            xb = X[e0 : e0 + block]
            if not all_channels:
                xb = xb[:, picks]
            rows = xb.reshape(-1, n_times)
            n_rows = rows.shape[0]
            r0, r1 = e0 * n_picks, e0 * n_picks + n_rows
            segs = _segments(rows, nperseg, step, n_seg)
            mean = means[r0:r1]  # NaN/inf propagate into the means
            if half_blocks:  # BLAS matrix-vector product: ~3x faster than .sum(axis=-1)
                sums = (rows[:, :covered].reshape(-1, step) @ ones).reshape(n_rows, n_seg + 1)
                np.add(sums[:, :-1], sums[:, 1:], out=mean)
                mean *= dtype.type(1.0 / nperseg)
            else:
                np.mean(segs, axis=-1, out=mean)
            # detrend="constant" before the window, as scipy does: exact for a large DC offset
            seg = np.subtract(segs, mean[..., None], out=buf[:n_rows])
            seg *= win
            # (rows, n_seg, n_freqs) complex; `buf` is scratch, so the FFT may overwrite it
            spec = scipy.fft.rfft(seg, axis=-1, overwrite_x=True)
            sq = spec.view(dtype)  # interleaved (re, im)
            sq *= sq
            acc = np.einsum("rsk->rk", sq)  # sum over segments (faster than .sum(axis=1))
            np.add(acc[:, 0::2], acc[:, 1::2], out=psd[r0:r1])

    finite = bool(np.isfinite(means).all())
    # Samples and channels the spectrum did not use must be finite too.
    if covered < n_times and not np.isfinite(X[:, picks, covered:]).all():
        finite = False
    rest_finite = True
    if not all_channels and nonfinite == "raise":
        rest = np.setdiff1d(np.arange(n_channels), picks)
        rest_finite = not rest.size or bool(np.isfinite(X[:, rest]).all())
    if not (finite and rest_finite) and nonfinite == "raise":
        _raise_nonfinite(X, owner, ch_names)
    bad_rows = None
    if not finite:  # only on bad data: find the analysed signals holding NaN/inf
        bad_rows = ~np.isfinite(X[:, picks]).all(axis=-1).reshape(-1)
        if not bad_rows.any():  # the values are finite: the float32 sums overflowed
            _raise_nonfinite(X, owner, ch_names)

    # Flat rows: a constant segment leaves only the rounding residue
    # delta <= nperseg * eps * |mean| after de-meaning, so the energy of its windowed FFT is at
    # most n_seg * nperseg**2 * delta**2 (Parseval). Only rows under that bound (with a 4x
    # margin) get the exact test for constancy; normal EEG rows never do.
    with np.errstate(over="ignore"):
        energy = psd.sum(axis=-1)
        bound = 4.0 * n_seg * float(nperseg) ** 2 * (nperseg * eps) ** 2
        cand = np.flatnonzero(energy <= bound * (means * means).max(axis=-1))
    flat = np.zeros(n_epochs * n_picks, dtype=bool)
    if cand.size:
        epoch, pick = np.divmod(cand, n_picks)
        r = X[epoch, picks[pick], :covered]
        is_flat = (r == r[:, :1]).all(axis=-1)
        flat[cand[is_flat]] = True
        psd[cand[is_flat]] = 0.0
    if bad_rows is not None:
        psd[bad_rows] = 0.0
        bad_rows = bad_rows.reshape(n_epochs, n_picks)
    with np.errstate(over="ignore"):
        psd *= scale.astype(dtype)
    # Finite input can still square past the dtype's range (float32 values above ~1e17):
    # raise instead of returning inf.
    if not np.isfinite(psd).all():
        _raise_overflow(X, owner)
    return _Spectrum(
        freqs, psd.reshape(n_epochs, n_picks, n_freqs), flat.reshape(n_epochs, n_picks), bad_rows
    )


def _raise_overflow(X, owner):
    big = np.abs(X[np.isfinite(X)]).max()
    raise ValueError(
        f"{owner}: the spectrum overflowed in {X.dtype} (values up to {big:.3g}). "
        + ("Rescale X or cast it to float64." if X.dtype == np.float32 else "Rescale X.")
    )


def _raise_nonfinite(X, owner, ch_names=None):
    bad = ~np.isfinite(X).all(axis=-1)  # (n_epochs, n_channels)
    if not bad.any():
        _raise_overflow(X, owner)
    epochs = np.flatnonzero(bad.any(axis=1))
    if ch_names is None:
        where = f"{int(bad.sum())} signal(s)"
    else:
        chans = np.flatnonzero(bad.any(axis=0))
        where = (
            f"channel(s) {format_names([ch_names[c] for c in chans])} of {len(epochs)} "
            f"epoch(s) (first: epoch {epochs[0]})"
        )
    raise ValueError(
        f"{owner}: X contains NaN or infinity in {where}. Remove or interpolate those "
        "samples (e.g. drop the affected epochs) before computing spectral features."
    )


def welch_psd(X, sfreq, nperseg=None):
    """Welch power spectral density along the last axis, vectorised over all other axes.

    Equal to ``scipy.signal.welch(X, sfreq, window="hann", nperseg=nperseg,
    noverlap=nperseg // 2, axis=-1)`` (one-sided density, constant detrend, mean over
    segments), computed faster by a cache-blocked implementation.

    Parameters
    ----------
    X : array-like of shape (..., n_times)
        Signals, e.g. (n_epochs, n_channels, n_times). float32 input is computed in float32,
        anything else in float64.
    sfreq : float
        Sampling frequency in Hz.
    nperseg : int or None, default=None
        Segment length in samples; ``None`` means one second, ``round(sfreq)``. Capped at
        ``n_times``.

    Returns
    -------
    freqs : ndarray of shape (nperseg // 2 + 1,)
        Bin frequencies in Hz (``scipy.fft.rfftfreq(nperseg, 1 / sfreq)``).
    psd : ndarray of shape (..., nperseg // 2 + 1)
        PSD in units of X squared per Hz. Signals that are constant over the analysed samples
        get an exactly zero PSD.

    Raises
    ------
    ValueError
        If ``X`` is not real, has fewer than 2 samples, contains NaN or infinity, its power
        overflows the compute dtype (float32 values above about 1e17), or
        ``sfreq``/``nperseg`` are invalid.

    Examples
    --------
    >>> import numpy as np
    >>> t = np.arange(256) / 128.0
    >>> x = np.sin(2 * np.pi * 10 * t)              # 10 Hz
    >>> freqs, psd = welch_psd(x, sfreq=128)
    >>> psd.shape, float(freqs[np.argmax(psd)])
    ((65,), 10.0)
    """
    sfreq = check_sfreq(sfreq, "welch_psd")
    X = np.asarray(X)
    if X.dtype.kind not in "biuf" or X.ndim < 1 or X.shape[-1] < 2:
        raise ValueError(
            "welch_psd: X must be a real array with at least 2 samples along its last axis; "
            f"got dtype {X.dtype} and shape {X.shape}."
        )
    X = X.astype(compute_dtype(X.dtype), copy=False)
    nperseg = check_nperseg(nperseg, sfreq, X.shape[-1], "welch_psd")
    lead = X.shape[:-1]
    X3 = X.reshape(-1, 1, X.shape[-1])
    spectrum = _welch_epochs(X3, sfreq, nperseg, owner="welch_psd")
    return spectrum.freqs, spectrum.psd.reshape(lead + (spectrum.psd.shape[-1],))
