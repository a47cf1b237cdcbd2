"""Band power, power spectral asymmetry and differential entropy as scikit-learn transformers.

All transformers take epochs ``X`` of shape (n_epochs, n_channels, n_times), compute one Welch
PSD per epoch and channel (:mod:`sk_prnet.eeg.spectrum`) and reduce it to frequency bands.
:class:`SpectralFeatures` emits several feature kinds from a single spectrum; it is what
:func:`make_deap_features` returns, so the 230 DEAP features cost one Welch computation.

Flat and non-finite channels
----------------------------
Real recordings have flat stretches (a saturated amplifier holds a constant, often non-zero,
value; a loose electrode reads a constant) and dropped samples (NaN). A flat channel has zero
power, and ``log10(0) = -inf``. The same policy applies to every transformer and feature kind:

- ``flat="impute"`` (default): every feature computed from a channel that is flat (or has zero
  power in a band) in an epoch - its band powers, its differential entropy, the asymmetries of
  the pairs it belongs to - is replaced by that feature's mean over the epochs seen in ``fit``,
  and a :class:`~sk_prnet.eeg.BadChannelWarning` names the channels and epochs. The other
  channels of the epoch keep their values, so a fitted pipeline predicts every epoch.
- ``nan="impute"`` (default): the same for a channel with any NaN or infinite sample in the
  epoch (the whole channel-epoch is imputed; its finite samples are not used).
- ``flat="raise"`` / ``nan="raise"``: a :class:`ValueError` naming the channels and epochs.
- A positive ``floor`` clamps the band quantity to at least ``floor`` before the logarithm
  instead (no imputation, no warning for flat channels).

``fit`` computes the features of its epochs to learn the means (``fill_values_``) unless both
policies are ``"raise"``.
"""

import numpy as np

from ._spectral_base import _KINDS, _SpectralBase

__all__ = [
    "BandPower",
    "PowerAsymmetry",
    "DifferentialEntropy",
    "SpectralFeatures",
    "make_deap_features",
]

_SFREQ_DOC = """
    sfreq : float
        Sampling frequency of ``X`` in Hz.
"""

_BANDS_DOC = """    bands : dict of str to (float, float) or None, default=None
        Band name to half-open interval ``[lo, hi)`` in Hz, in output order. ``None`` means
        :data:`~sk_prnet.eeg.montage.PAPER_BANDS`: theta (4-8), slow_alpha (8-10), alpha
        (8-12), beta (12-30), gamma (30-45). Every band must lie below Nyquist and contain at
        least one bin of the spectrum (bins are ``sfreq / nperseg`` Hz apart).
    nperseg : int or None, default=None
        Welch segment length in samples (Hann window, 50 % overlap); ``None`` means one
        second, ``round(sfreq)``. Capped at the epoch length.
"""

_PARAMS_DOC = _SFREQ_DOC + _BANDS_DOC

_FLOOR_DOC = """    floor : float or None, default=None
        A positive number clamps a logged band quantity to at least ``floor`` before the
        logarithm (units of X squared per Hz for band power, X squared for band variance);
        ``None`` leaves zero values (a flat, i.e. constant, channel) to ``flat``.
    flat : {"impute", "raise"}, default="impute"
        A channel that is flat in an epoch (or has zero power in a band) when ``floor`` is
        None: ``"impute"`` replaces every feature computed from it in that epoch by the
        feature's mean over the epochs seen in ``fit`` and issues a
        :class:`~sk_prnet.eeg.BadChannelWarning` naming the channels and epochs;
        ``"raise"`` raises a ValueError naming them.
    nan : {"impute", "raise"}, default="impute"
        A channel with NaN or infinite samples in an epoch (dropped samples): ``"impute"``
        treats that channel-epoch as ``flat="impute"`` does (with a warning), ``"raise"``
        raises a ValueError naming the channels and epochs.
"""

_ATTRS_DOC = """
    Attributes
    ----------
    n_channels_ : int
        Number of channels of the ``X`` seen in ``fit``; ``transform`` requires the same.
    n_times_ : int
        Number of samples per epoch seen in ``fit``; ``transform`` requires the same.
    ch_names_ : list of str
        The channel names used in feature names.
    bands_ : dict of str to (float, float)
        The validated bands.
    nperseg_ : int
        The Welch segment length used.
    freqs_ : ndarray of shape (n_freqs,)
        Frequencies of the spectrum's bins in Hz (``n_freqs = nperseg_ // 2 + 1``).
    n_features_out_ : int
        Number of output features.
    floor_ : float or None
        The validated ``floor``.
    flat_, nan_ : str
        The validated ``flat`` and ``nan`` policies.
    fill_values_ : ndarray of shape (n_features_out,) or None
        Mean of each feature over the good epochs seen in ``fit``: the imputed values. None
        when both policies are ``"raise"``.
"""


class BandPower(_SpectralBase):
    __doc__ = f"""Log band power of every channel: mean Welch PSD over the bins of each band.

    Parameters
    ----------{_PARAMS_DOC}    log : bool, default=True
        Return ``log10`` of the band power (zero power is handled by ``floor``); with
        ``False`` the power itself, in units of X squared per Hz.
    ch_names : sequence of str or None, default=None
        Names of the channels of ``X`` (for feature names); ``None`` means ``ch0, ch1, ...``.
{_FLOOR_DOC}{_ATTRS_DOC}
    See Also
    --------
    SpectralFeatures : several feature kinds from one spectrum.

    Notes
    -----
    Output columns are channel-major: all bands of channel 0, then channel 1, ...; names are
    ``psd_<channel>_<band>``. Band power is the mean of the PSD bins with ``lo <= f < hi``.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((4, 2, 256)).astype(np.float32)   # 4 epochs of 2 s
    >>> bp = BandPower(sfreq=128, ch_names=["Fz", "Cz"]).fit(X)
    >>> bp.transform(X).shape
    (4, 10)
    >>> bp.get_feature_names_out()[:3].tolist()
    ['psd_Fz_theta', 'psd_Fz_slow_alpha', 'psd_Fz_alpha']
    """

    def __init__(self, sfreq, bands=None, nperseg=None, log=True, ch_names=None, floor=None,
                 flat="impute", nan="impute"):  # fmt: skip
        self.sfreq = sfreq
        self.bands = bands
        self.nperseg = nperseg
        self.log = log
        self.ch_names = ch_names
        self.floor = floor
        self.flat = flat
        self.nan = nan

    def _kinds(self):
        return ("psd",)

    def _fit(self, X):
        if not isinstance(self.log, bool | np.bool_):
            raise ValueError(f"BandPower: log must be True or False, got {self.log!r}.")
        return super()._fit(X)


class PowerAsymmetry(_SpectralBase):
    __doc__ = f"""Power spectral asymmetry (PSA) of symmetric electrode pairs.

    For each (left, right) pair and band, ``log10(P_left) - log10(P_right)`` with ``P`` the
    band power (mean Welch PSD over the band's bins, as in :class:`BandPower`).

    Parameters
    ----------{_SFREQ_DOC}    pairs : sequence of (str, str) or None, default=None
        (left, right) channel-name pairs; ``None`` means the 14 DEAP pairs
        (:data:`~sk_prnet.eeg.montage.DEAP_SYMMETRIC_PAIRS`). Names are matched to
        ``ch_names`` ignoring case.
    ch_names : sequence of str or None, default=None
        Names of the channels of ``X``; ``None`` means the 32 DEAP EEG channels in DEAP order
        (:data:`~sk_prnet.eeg.montage.DEAP_EEG_CHANNELS`).
{_BANDS_DOC}{_FLOOR_DOC}{_ATTRS_DOC}    pair_index_ : ndarray of shape (n_pairs, 2)
        Channel indices of the left and right electrode of each pair.
    pair_labels_ : list of str
        ``"left-right"`` labels used in feature names.

    Notes
    -----
    Only the channels that appear in a pair are transformed. Output columns are pair-major
    (all bands of pair 0, then pair 1, ...); names are ``psa_<left>-<right>_<band>``.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((3, 32, 256))       # DEAP channel order
    >>> psa = PowerAsymmetry(sfreq=128).fit(X)
    >>> psa.transform(X).shape                      # 14 pairs x 5 bands
    (3, 70)
    >>> psa.get_feature_names_out()[2]
    'psa_Fp1-Fp2_alpha'
    """

    def __init__(self, sfreq, pairs=None, ch_names=None, bands=None, nperseg=None, floor=None,
                 flat="impute", nan="impute"):  # fmt: skip
        self.sfreq = sfreq
        self.pairs = pairs
        self.ch_names = ch_names
        self.bands = bands
        self.nperseg = nperseg
        self.floor = floor
        self.flat = flat
        self.nan = nan

    def _kinds(self):
        return ("psa",)


class DifferentialEntropy(_SpectralBase):
    __doc__ = f"""Differential entropy (DE) of every channel in every band.

    Under a Gaussian assumption the differential entropy of the band-limited signal is
    ``DE = 0.5 * ln(2 * pi * e * sigma**2)`` (nats), with ``sigma**2`` the variance of the
    signal in the band.

    **Method.** ``sigma**2`` is not obtained by band-pass filtering: it is the Welch PSD
    integrated over the band, ``sum(PSD[lo <= f < hi]) * df`` with ``df = sfreq / nperseg``,
    which by Parseval's theorem is the variance of the band-limited signal. This is much
    cheaper than filtering: one spectrum per channel serves every band (and the band power
    and asymmetry features, see :class:`SpectralFeatures`), each band then costs a sum over a
    few bins, whereas filtering needs one filter pass over the whole signal per band and
    channel, plus filter transients that dominate short (2 s) windows.

    Parameters
    ----------{_PARAMS_DOC}    ch_names : sequence of str or None, default=None
        Names of the channels of ``X`` (for feature names); ``None`` means ``ch0, ch1, ...``.
{_FLOOR_DOC}{_ATTRS_DOC}
    Notes
    -----
    For white Gaussian noise of variance ``s**2``, ``sigma**2 = s**2 * (hi - lo) /
    (sfreq / 2)``. Output columns are channel-major; names are ``de_<channel>_<band>``.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((2, 1, 128 * 60))   # white noise, variance 1, 60 s
    >>> de = DifferentialEntropy(sfreq=128, bands={{"beta": (12, 30)}}).fit_transform(X)
    >>> expected = 0.5 * np.log(2 * np.pi * np.e * 1.0 * (30 - 12) / 64)
    >>> bool(np.allclose(de, expected, atol=0.05))
    True
    """

    def __init__(self, sfreq, bands=None, nperseg=None, ch_names=None, floor=None,
                 flat="impute", nan="impute"):  # fmt: skip
        self.sfreq = sfreq
        self.bands = bands
        self.nperseg = nperseg
        self.ch_names = ch_names
        self.floor = floor
        self.flat = flat
        self.nan = nan

    def _kinds(self):
        return ("de",)


class SpectralFeatures(_SpectralBase):
    __doc__ = f"""Several spectral feature kinds computed from one shared Welch spectrum.

    Equivalent to concatenating :class:`BandPower` (``"psd"``), :class:`PowerAsymmetry`
    (``"psa"``) and :class:`DifferentialEntropy` (``"de"``) outputs, in the order of
    ``kinds``, but the spectrum of each epoch and channel is computed once and reduced to all
    band quantities with a single matrix product.

    Parameters
    ----------{_SFREQ_DOC}    kinds : sequence of {{"psd", "psa", "de"}}, default=("psd", "psa")
        Feature kinds to emit, in output order, each at most once.
{_BANDS_DOC}    ch_names : sequence of str or None, default=None
        Names of the channels of ``X``. ``None`` means the 32 DEAP EEG channels when
        ``"psa"`` is among ``kinds`` (its default pairs are DEAP's), else ``ch0, ch1, ...``.
    pairs : sequence of (str, str) or None, default=None
        (left, right) pairs for ``"psa"``; ``None`` means the 14 DEAP pairs.
    log : bool, default=True
        Whether ``"psd"`` features are ``log10`` band power (``"psa"`` is always a log ratio
        and ``"de"`` always a log).
{_FLOOR_DOC}{_ATTRS_DOC}    pair_index_ : ndarray of shape (n_pairs, 2)
        Channel indices of each (left, right) pair; only when ``"psa"`` is in ``kinds``.
    pair_labels_ : list of str
        ``"left-right"`` labels; only when ``"psa"`` is in ``kinds``.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((3, 32, 256)).astype(np.float32)
    >>> sf = SpectralFeatures(sfreq=128, kinds=("psd", "psa", "de")).fit(X)
    >>> sf.transform(X).shape                       # 160 + 70 + 160
    (3, 390)
    >>> names = sf.get_feature_names_out()
    >>> names[0], names[160], names[230]
    ('psd_Fp1_theta', 'psa_Fp1-Fp2_theta', 'de_Fp1_theta')
    """

    def __init__(
        self,
        sfreq,
        kinds=("psd", "psa"),
        bands=None,
        nperseg=None,
        ch_names=None,
        pairs=None,
        log=True,
        floor=None,
        flat="impute",
        nan="impute",
    ):
        self.sfreq = sfreq
        self.kinds = kinds
        self.bands = bands
        self.nperseg = nperseg
        self.ch_names = ch_names
        self.pairs = pairs
        self.log = log
        self.floor = floor
        self.flat = flat
        self.nan = nan

    def _kinds(self):
        kinds = (self.kinds,) if isinstance(self.kinds, str) else tuple(self.kinds)
        if not kinds or any(k not in _KINDS for k in kinds) or len(set(kinds)) != len(kinds):
            raise ValueError(
                f"SpectralFeatures: kinds must be a non-empty sequence of distinct values "
                f"among {_KINDS}, got {self.kinds!r}."
            )
        return kinds

    def _fit(self, X):
        if not isinstance(self.log, bool | np.bool_):
            raise ValueError(f"SpectralFeatures: log must be True or False, got {self.log!r}.")
        return super()._fit(X)


def make_deap_features(sfreq=128, ch_names=None, bands=None, nperseg=None, floor=None,
                       flat="impute", nan="impute"):  # fmt: skip
    """The DEAP feature set of the paper: band power and power asymmetry, one shared spectrum.

    32 channels x 5 bands of log band power followed by 14 symmetric pairs x 5 bands of power
    spectral asymmetry: 230 features per epoch on DEAP.

    The union of :class:`BandPower` and :class:`PowerAsymmetry` is returned as a single
    :class:`SpectralFeatures` transformer (not a :class:`~sklearn.pipeline.FeatureUnion`) so
    that the Welch spectrum is computed once and shared; its output equals
    ``np.hstack([BandPower(...).fit_transform(X), PowerAsymmetry(...).fit_transform(X)])``
    and its feature names (``psd_*`` then ``psa_*``) are unique.

    Parameters
    ----------
    sfreq : float, default=128
        Sampling frequency in Hz (DEAP's preprocessed data: 128 Hz).
    ch_names : sequence of str or None, default=None
        Channel names of ``X``; ``None`` means DEAP's 32 EEG channels in DEAP order.
    bands : dict of str to (float, float) or None, default=None
        Bands; ``None`` means ``PAPER_BANDS``.
    nperseg : int or None, default=None
        Welch segment length; ``None`` means one second.
    floor : float or None, default=None
        Zero-power clamping, see :class:`SpectralFeatures`.
    flat, nan : {"impute", "raise"}, default="impute"
        Flat and NaN channel policies, see :class:`SpectralFeatures`.

    Returns
    -------
    features : SpectralFeatures
        Unfitted transformer with ``kinds=("psd", "psa")``.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.random.default_rng(0).standard_normal((5, 32, 256)).astype(np.float32)
    >>> make_deap_features().fit_transform(X).shape
    (5, 230)
    """
    return SpectralFeatures(
        sfreq=sfreq,
        kinds=("psd", "psa"),
        bands=bands,
        nperseg=nperseg,
        ch_names=ch_names,
        pairs=None,
        floor=floor,
        flat=flat,
        nan=nan,
    )
