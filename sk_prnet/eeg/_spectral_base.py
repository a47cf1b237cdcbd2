"""The fit/transform machinery shared by the spectral feature transformers.

:class:`_SpectralBase` validates the parameters against ``X``, computes one Welch spectrum per
epoch and channel, reduces it to band quantities with one matrix product and applies the
flat/NaN channel policies (:mod:`sk_prnet.eeg._bad_channels`). The public transformers live in
:mod:`sk_prnet.eeg.band_features`.
"""

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from ._bad_channels import check_policy, impute
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
from .spectrum import _band_weights, _raise_nonfinite, _welch_epochs, _welch_freqs, check_bands

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
            If ``X`` is not 3-D, a parameter is invalid for ``X`` (channel names, bands above
            Nyquist or narrower than the spectral resolution, ...), ``X`` has a flat channel or
            NaN/inf under the ``"raise"`` policies, or a channel is flat or NaN in every epoch
            under ``"impute"`` (nothing to impute from).
        """
        X = self._fit(X)
        if self.flat_ == "impute" or self.nan_ == "impute":
            self._transform(X, fitting=True)  # learns the means that imputation uses
        # Cheap test first (one sum); the exact test only if the sum is not finite.
        elif not np.isfinite(np.sum(X)) and not np.isfinite(X).all():
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
        return self._transform(X, fitting=True)

    def _fit(self, X):
        owner = self._owner()
        sfreq = check_sfreq(self.sfreq, owner)
        X = check_epochs(X, owner)
        _, n_channels, n_times = X.shape
        self.floor_ = check_floor(self.floor, owner)
        self.flat_ = check_policy(self.flat, "flat", owner)
        self.nan_ = check_policy(self.nan, "nan", owner)
        self.fill_values_ = None
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
            or has a flat channel or NaN/inf under the ``"raise"`` policies.

        Warns
        -----
        BadChannelWarning
            When features of flat or NaN channels were imputed (``"impute"`` policies).
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

    def _transform(self, X, fitting=False):
        kinds = self._kinds()
        owner = self._owner()
        spec = _welch_epochs(
            X, float(self.sfreq), self.nperseg_, picks=self._picks, owner=owner,
            ch_names=self.ch_names_, nonfinite=self.nan_,
        )  # fmt: skip
        nonfinite = spec.nonfinite  # signals with NaN/inf, to impute (nan="impute")
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
        # (n_epochs, n_picks, n_bands) masks of the band quantities to impute, or None
        no_bad = np.zeros((n_epochs, n_picks, n_bands), dtype=bool)
        nan_bad = no_bad if nonfinite is None else no_bad | nonfinite[..., None]
        zero_seen = np.zeros((n_epochs, n_picks), dtype=bool)

        def clamp(values, what):
            values, bad = self._clamp(values, spec.flat, picked_names, what, nonfinite)
            zero_seen[...] |= (bad & ~nan_bad).any(axis=2)
            return values, bad

        blocks, bad_blocks = [], []
        log_power = power_bad = None
        if need_power and (getattr(self, "log", True) or "psa" in kinds):
            power, power_bad = clamp(power, "band power")
            log_power = np.log10(power)
        for kind in kinds:
            if kind == "psd":
                if getattr(self, "log", True):
                    out, bad = log_power, power_bad
                elif self.floor_ is not None:
                    out, bad = np.maximum(power, self.floor_), nan_bad
                else:
                    out, bad = power, nan_bad
            elif kind == "psa":
                pos = np.searchsorted(self._picks, self.pair_index_)  # picks are sorted
                out = log_power[:, pos[:, 0]] - log_power[:, pos[:, 1]]
                bad = power_bad[:, pos[:, 0]] | power_bad[:, pos[:, 1]]
            else:  # "de"
                var, bad = clamp(variance, "band variance")
                out = 0.5 * (np.log(var) + dtype.type(_LOG_2PI_E))
            blocks.append(out.reshape(n_epochs, -1))
            bad_blocks.append(bad.reshape(n_epochs, -1))
        features = np.concatenate(blocks, axis=1) if len(blocks) > 1 else blocks[0]
        bad = np.concatenate(bad_blocks, axis=1) if len(bad_blocks) > 1 else bad_blocks[0]
        if bad.any():
            flat = zero_seen if zero_seen.any() else None
            features, fill = impute(
                features, bad, self.fill_values_, owner, picked_names, flat, nonfinite, fitting,
                self._feature_names,
            )  # fmt: skip
            if fitting:
                self.fill_values_ = fill
        elif fitting and (self.flat_ == "impute" or self.nan_ == "impute"):
            self.fill_values_ = features.mean(axis=0)
        if not np.isfinite(features).all():
            raise ValueError(
                f"{owner}: the features overflowed in {dtype} (max |X| = "
                f"{np.abs(X).max():.3g}). Rescale X or cast it to float64."
            )
        return features

    def _clamp(self, values, flat, names, what, nonfinite):
        """Apply ``floor``, raise on zero (``flat="raise"``) or mark zeros for imputation.

        Returns the values (zeros to impute replaced by 1, so that the log stays finite) and
        the (n_epochs, n_picks, n_bands) mask of values to impute (zeros and NaN signals).
        """
        bad = np.zeros(values.shape, dtype=bool)
        if nonfinite is not None:
            bad |= nonfinite[..., None]  # zeroed NaN signals: always imputed
        if self.floor_ is not None:
            values = np.maximum(values, values.dtype.type(self.floor_))
        else:
            # (n_epochs, n_picks, n_bands); NaN (a spectrum overflowed in float32) is no zero: it
            # must reach the overflow error of _transform, not be imputed as a flat channel
            zero = (values <= 0) & ~bad
            if zero.any():
                if self.flat_ == "raise":
                    raise_zero_power(self._owner(), zero, flat, names, list(self.bands_), what)
                bad |= zero
        if bad.any():
            values = np.where(bad, values.dtype.type(1), values)
        return values, bad

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
