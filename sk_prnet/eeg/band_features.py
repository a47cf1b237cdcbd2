"""Band power, power spectral asymmetry and differential entropy as scikit-learn transformers.

All transformers take epochs ``X`` of shape (n_epochs, n_channels, n_times), compute one Welch
PSD per epoch and channel (:mod:`sk_prnet.eeg.spectrum`) and reduce it to frequency bands.
:class:`SpectralFeatures` emits several feature kinds from a single spectrum; it is what
:func:`make_deap_features` returns, so the 230 DEAP features cost one Welch computation.

Flat channels
-------------
A channel that is constant over an epoch has zero power, and ``log10(0) = -inf``. By default
(``floor=None``) the transformers raise a :class:`ValueError` naming the flat channels instead
of returning ``-inf``; with a positive ``floor`` the band quantity is clamped to at least
``floor`` before the logarithm. The same rule applies to every transformer and feature kind.
"""

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from ._validation import (
    check_ch_names,
    check_epochs,
    check_floor,
    check_nperseg,
    check_pairs,
    check_sfreq,
    raise_zero_power,
)
from .montage import DEAP_EEG_CHANNELS, DEAP_SYMMETRIC_PAIRS
from .spectrum import (
    _band_weights,
    _raise_nonfinite,
    _welch_epochs,
    _welch_freqs,
    check_bands,
)

__all__ = [
    "BandPower",
    "PowerAsymmetry",
    "DifferentialEntropy",
    "SpectralFeatures",
    "make_deap_features",
]

_KINDS = ("psd", "psa", "de")
_LOG_2PI_E = np.log(2.0 * np.pi * np.e)


class _SpectralBase(TransformerMixin, BaseEstimator):
    """Shared fit/transform logic: validate, compute the spectrum once, reduce to features.

    Subclasses define ``_kinds()`` (the feature kinds they emit, in order) and keep their
    parameters as attributes named as in ``__init__``.
    """

    def _kinds(self):
        raise NotImplementedError

    def _default_ch_names(self):
        return DEAP_EEG_CHANNELS if "psa" in self._kinds() else None

    def _owner(self):
        return type(self).__name__

    def fit(self, X, y=None):
        """Validate the parameters against ``X`` and store its shape.

        Parameters
        ----------
        X : array-like of shape (n_epochs, n_channels, n_times)
            Epochs of EEG. Only their shape and finiteness are used.
        y : None
            Ignored.

        Returns
        -------
        self : object
            The fitted transformer.

        Raises
        ------
        ValueError
            If ``X`` is not 3-D or contains NaN/inf, or a parameter is invalid for ``X``
            (channel names, bands above Nyquist or narrower than the spectral resolution, ...).
        """
        X = self._fit(X)
        # Cheap test first (one sum); the exact test only if the sum is not finite.
        if not np.isfinite(np.sum(X)) and not np.isfinite(X).all():
            _raise_nonfinite(X, self._owner(), self.ch_names_)
        return self

    def fit_transform(self, X, y=None):
        """Fit to ``X`` and return its features; same as ``fit(X).transform(X)``.

        Parameters
        ----------
        X : array-like of shape (n_epochs, n_channels, n_times)
            Epochs of EEG.
        y : None
            Ignored.

        Returns
        -------
        features : ndarray of shape (n_epochs, n_features_out)
            See :meth:`transform`.
        """
        X = self._fit(X)  # finiteness is checked while transforming, for free
        return self._transform(X)

    def _fit(self, X):
        owner = self._owner()
        sfreq = check_sfreq(self.sfreq, owner)
        X = check_epochs(X, owner)
        _, n_channels, n_times = X.shape
        self.floor_ = check_floor(self.floor, owner)
        kinds = self._kinds()
        self.ch_names_ = check_ch_names(
            self.ch_names, n_channels, owner, default=self._default_ch_names()
        )
        self.nperseg_ = check_nperseg(self.nperseg, sfreq, n_times, owner)
        self.bands_ = check_bands(self.bands, sfreq, self.nperseg_, owner)
        self.freqs_ = _welch_freqs(sfreq, self.nperseg_)
        self.n_channels_ = n_channels
        self.n_times_ = n_times
        if "psa" in kinds:
            pairs = DEAP_SYMMETRIC_PAIRS if self.pairs is None else self.pairs
            self.pair_index_, self.pair_labels_ = check_pairs(pairs, self.ch_names_, owner)
        # Channels whose spectrum is needed: all, unless only asymmetry is computed.
        if kinds == ("psa",):
            self._picks = np.unique(self.pair_index_)
        else:
            self._picks = np.arange(n_channels)
        self._feature_names = self._make_feature_names()
        self.n_features_out_ = len(self._feature_names)
        return X

    def _make_feature_names(self):
        bands = list(self.bands_)
        names = []
        for kind in self._kinds():
            if kind == "psa":
                units = self.pair_labels_
            else:
                units = self.ch_names_
            names += [f"{kind}_{u}_{b}" for u in units for b in bands]
        return names

    def transform(self, X):
        """Compute the features of each epoch.

        Parameters
        ----------
        X : array-like of shape (n_epochs, n_channels, n_times)
            Epochs with the channels and length seen in :meth:`fit`.

        Returns
        -------
        features : ndarray of shape (n_epochs, n_features_out)
            float32 for float32 ``X``, float64 otherwise. Column order as in
            :meth:`get_feature_names_out`.

        Raises
        ------
        ValueError
            If ``X`` is not 3-D, has another number of channels or samples than in ``fit``,
            contains NaN/inf, or a channel has zero power while ``floor`` is None.
        """
        check_is_fitted(self)
        owner = self._owner()
        X = check_epochs(X, owner)
        if X.shape[1:] != (self.n_channels_, self.n_times_):
            raise ValueError(
                f"{owner}: X has {X.shape[1]} channels and {X.shape[2]} samples per epoch, but "
                f"the transformer was fitted on {self.n_channels_} channels and "
                f"{self.n_times_} samples. Transform epochs of the fitted shape (cut them with "
                "sliding_windows using the same window), or re-fit."
            )
        return self._transform(X)

    def _transform(self, X):
        kinds = self._kinds()
        owner = self._owner()
        spec = _welch_epochs(
            X, float(self.sfreq), self.nperseg_, picks=self._picks, owner=owner,
            ch_names=self.ch_names_,
        )  # fmt: skip
        dtype = spec.psd.dtype
        n_epochs, n_picks, n_freqs = spec.psd.shape
        n_bands = len(self.bands_)
        need_power = "psd" in kinds or "psa" in kinds
        weights = []
        if need_power:
            weights.append(_band_weights(spec.freqs, self.bands_, "mean", dtype))
        if "de" in kinds:
            weights.append(_band_weights(spec.freqs, self.bands_, "integral", dtype))
        # One matrix product reduces the spectrum to every band quantity needed.
        reduced = spec.psd.reshape(-1, n_freqs) @ np.concatenate(weights, axis=1)
        reduced = reduced.reshape(n_epochs, n_picks, -1)
        power = reduced[..., :n_bands] if need_power else None
        variance = reduced[..., -n_bands:] if "de" in kinds else None
        picked_names = [self.ch_names_[c] for c in self._picks]

        blocks = []
        log_power = None
        if need_power and (getattr(self, "log", True) or "psa" in kinds):
            log_power = np.log10(self._clamp(power, spec.flat, picked_names, "band power"))
        for kind in kinds:
            if kind == "psd":
                if getattr(self, "log", True):
                    out = log_power
                elif self.floor_ is not None:
                    out = np.maximum(power, self.floor_)
                else:
                    out = power
            elif kind == "psa":
                pos = np.searchsorted(self._picks, self.pair_index_)  # picks are sorted
                out = log_power[:, pos[:, 0]] - log_power[:, pos[:, 1]]
            else:  # "de"
                var = self._clamp(variance, spec.flat, picked_names, "band variance")
                out = 0.5 * (np.log(var) + dtype.type(_LOG_2PI_E))
            blocks.append(out.reshape(n_epochs, -1))
        features = np.concatenate(blocks, axis=1) if len(blocks) > 1 else blocks[0]
        if not np.isfinite(features).all():
            raise ValueError(
                f"{owner}: the features overflowed in {dtype} (max |X| = "
                f"{np.abs(X).max():.3g}). Rescale X or cast it to float64."
            )
        return features

    def _clamp(self, values, flat, names, what):
        """Apply ``floor``, or raise if a log would be taken of zero."""
        if self.floor_ is not None:
            return np.maximum(values, values.dtype.type(self.floor_))
        zero = ~(values > 0)  # (n_epochs, n_picks, n_bands)
        if zero.any():
            raise_zero_power(self._owner(), zero, flat, names, list(self.bands_), what)
        return values

    def get_feature_names_out(self, input_features=None):
        """Names of the output features, e.g. ``psd_Fp1_theta``, ``psa_Fp1-Fp2_alpha``.

        Parameters
        ----------
        input_features : array-like of str or None, default=None
            Channel names; if given they must equal the fitted ``ch_names_`` (3-D input has
            no column names of its own).

        Returns
        -------
        feature_names_out : ndarray of str objects
            One name per output column, in output order.
        """
        check_is_fitted(self)
        if input_features is not None and list(input_features) != list(self.ch_names_):
            raise ValueError(
                f"{self._owner()}: input_features must be the fitted channel names "
                f"{self.ch_names_}, got {list(input_features)}."
            )
        return np.asarray(self._feature_names, dtype=object)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False
        tags.input_tags.three_d_array = True
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags


_PARAMS_DOC = """
    sfreq : float
        Sampling frequency of ``X`` in Hz.
    bands : dict of str to (float, float) or None, default=None
        Band name to half-open interval ``[lo, hi)`` in Hz, in output order. ``None`` means
        :data:`~sk_prnet.eeg.montage.PAPER_BANDS`: theta (4-8), slow_alpha (8-10), alpha
        (8-12), beta (12-30), gamma (30-45). Every band must lie below Nyquist and contain at
        least one bin of the spectrum (bins are ``sfreq / nperseg`` Hz apart).
    nperseg : int or None, default=None
        Welch segment length in samples (Hann window, 50 % overlap); ``None`` means one
        second, ``round(sfreq)``. Capped at the epoch length.
"""

_FLOOR_DOC = """    floor : float or None, default=None
        What to do when a logged band quantity is zero (a flat, i.e. constant, channel).
        ``None`` raises a ValueError naming the channels; a positive number clamps the
        quantity to at least ``floor`` before the logarithm (units of X squared per Hz for
        band power, X squared for band variance).
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
    freqs_ : ndarray of shape (nperseg_ // 2 + 1,)
        Frequencies of the spectrum's bins in Hz.
    n_features_out_ : int
        Number of output features.
    floor_ : float or None
        The validated ``floor``.
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

    def __init__(self, sfreq, bands=None, nperseg=None, log=True, ch_names=None, floor=None):
        self.sfreq = sfreq
        self.bands = bands
        self.nperseg = nperseg
        self.log = log
        self.ch_names = ch_names
        self.floor = floor

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
    ----------{_PARAMS_DOC}    pairs : sequence of (str, str) or None, default=None
        (left, right) channel-name pairs; ``None`` means the 14 DEAP pairs
        (:data:`~sk_prnet.eeg.montage.DEAP_SYMMETRIC_PAIRS`). Names are matched to
        ``ch_names`` ignoring case.
    ch_names : sequence of str or None, default=None
        Names of the channels of ``X``; ``None`` means the 32 DEAP EEG channels in DEAP order
        (:data:`~sk_prnet.eeg.montage.DEAP_EEG_CHANNELS`).
{_FLOOR_DOC}{_ATTRS_DOC}    pair_index_ : ndarray of shape (n_pairs, 2)
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

    def __init__(self, sfreq, pairs=None, ch_names=None, bands=None, nperseg=None, floor=None):
        self.sfreq = sfreq
        self.pairs = pairs
        self.ch_names = ch_names
        self.bands = bands
        self.nperseg = nperseg
        self.floor = floor

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

    def __init__(self, sfreq, bands=None, nperseg=None, ch_names=None, floor=None):
        self.sfreq = sfreq
        self.bands = bands
        self.nperseg = nperseg
        self.ch_names = ch_names
        self.floor = floor

    def _kinds(self):
        return ("de",)


class SpectralFeatures(_SpectralBase):
    __doc__ = f"""Several spectral feature kinds computed from one shared Welch spectrum.

    Equivalent to concatenating :class:`BandPower` (``"psd"``), :class:`PowerAsymmetry`
    (``"psa"``) and :class:`DifferentialEntropy` (``"de"``) outputs, in the order of
    ``kinds``, but the spectrum of each epoch and channel is computed once and reduced to all
    band quantities with a single matrix product.

    Parameters
    ----------{_PARAMS_DOC}    kinds : sequence of {{"psd", "psa", "de"}}, default=("psd", "psa")
        Feature kinds to emit, in output order, each at most once.
    ch_names : sequence of str or None, default=None
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
    ):
        self.sfreq = sfreq
        self.kinds = kinds
        self.bands = bands
        self.nperseg = nperseg
        self.ch_names = ch_names
        self.pairs = pairs
        self.log = log
        self.floor = floor

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


def make_deap_features(sfreq=128, ch_names=None, bands=None, nperseg=None, floor=None):
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
        Zero-power handling, see :class:`SpectralFeatures`.

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
    )
