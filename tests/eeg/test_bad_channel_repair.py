"""Messy recordings through the spectral transformers: flat, saturated and NaN channels.

Covers the combinations of the ``flat``/``nan`` policies, what is imputed and from which
epochs, and where the BadChannelWarning points.
"""

import os
import warnings

import numpy as np
import pytest
import scipy.signal
from eeg_signals import BANDS, SFREQ
from eeg_signals import random_eeg as _eeg
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sk_prnet.eeg import (
    BadChannelWarning,
    BandPower,
    DifferentialEntropy,
    PowerAsymmetry,
    SpectralFeatures,
)


def _log_band_power(x, lo, hi):
    """Independent reference: scipy Welch (Hann, 1 s, 50 % overlap), mean over [lo, hi)."""
    f, p = scipy.signal.welch(x, fs=SFREQ, window="hann", nperseg=SFREQ, noverlap=SFREQ // 2)
    return np.log10(p[(f >= lo) & (f < hi)].mean())


def _bp_reference(X):
    """(n_epochs, n_channels * n_bands) log band power, channel-major, from scipy."""
    return np.array(
        [[_log_band_power(x[c], lo, hi) for c in range(X.shape[1]) for lo, hi in BANDS.values()]
         for x in X]
    )  # fmt: skip


# ------------------------------------------------------------------- mixed policies


@pytest.mark.parametrize(
    ("flat", "nan", "spoil"),
    [("raise", "impute", "nan"), ("impute", "raise", "flat")],
    ids=["nan-imputed-flat-raises", "flat-imputed-nan-raises"],
)
def test_one_imputing_policy_is_enough_to_learn_the_fit_means(flat, nan, spoil):
    # Only one of the two policies imputes: fit must still learn the means it imputes with.
    X_train, X_test = _eeg(seed=1), _eeg(n_epochs=2, seed=2)
    for fit in ("fit", "fit_transform"):
        bp = BandPower(SFREQ, bands=BANDS, flat=flat, nan=nan)
        getattr(bp, fit)(X_train)
        np.testing.assert_allclose(bp.fill_values_, _bp_reference(X_train).mean(axis=0))
        bad = X_test.copy()
        if spoil == "nan":
            bad[1, 2, 100:110] = np.nan
        else:
            bad[1, 2] = -3.5  # saturated
        with pytest.warns(BadChannelWarning, match="'ch2'"):
            F = bp.transform(bad)
        np.testing.assert_allclose(F[1, 6:], bp.fill_values_[6:])
        np.testing.assert_allclose(F[0], _bp_reference(X_test[:1])[0])
        np.testing.assert_allclose(F[1, :6], _bp_reference(X_test[1:])[0, :6])


def test_nan_channel_is_imputed_even_when_flat_channels_raise():
    # The zeroed spectrum of a NaN channel is not "zero power": flat="raise" must not fire.
    bp = BandPower(SFREQ, bands=BANDS, flat="raise").fit(_eeg())
    bad = _eeg(n_epochs=2, seed=5)
    bad[0, 1, :3] = np.nan
    with pytest.warns(BadChannelWarning, match=r"'ch1' NaN/inf in 1 epoch\(s\) \(0\)"):
        F = bp.transform(bad)
    np.testing.assert_allclose(F[0, 3:6], bp.fill_values_[3:6])


def test_transform_does_not_relearn_the_fill_values():
    X_train = _eeg(seed=1)
    bp = BandPower(SFREQ, bands=BANDS).fit(X_train)
    learned = bp.fill_values_.copy()
    bp.transform(10 * _eeg(seed=7))  # clean data of another scale: nothing to impute
    np.testing.assert_array_equal(bp.fill_values_, learned)
    bad = _eeg(n_epochs=2, seed=8)
    bad[1, 0] = 0.0
    with pytest.warns(BadChannelWarning):
        F = bp.transform(bad)
    np.testing.assert_allclose(F[1, :3], _bp_reference(X_train).mean(axis=0)[:3])


def test_both_policies_raise_fit_learns_no_means():
    bp = BandPower(SFREQ, flat="raise", nan="raise").fit(_eeg())
    assert bp.fill_values_ is None


# ------------------------------------------------------------------- what is imputed


def test_raw_band_power_of_nan_channel_is_imputed():
    # log=False: a NaN channel's power must not come out as the zeroed spectrum's 0.
    X_train = _eeg(seed=1)
    bp = BandPower(SFREQ, bands=BANDS, log=False).fit(X_train)
    bad = _eeg(n_epochs=3, seed=3)
    bad[2, 0, 50] = np.inf
    with pytest.warns(BadChannelWarning, match=r"'ch0' NaN/inf in 1 epoch\(s\) \(2\)") as rec:
        F = bp.transform(bad)
    assert "flat" not in str(rec[0].message).split(".")[0].split(":")[1]
    expected = (10 ** _bp_reference(X_train)).mean(axis=0)[:3]
    np.testing.assert_allclose(F[2, :3], expected, rtol=1e-9)
    assert (F[2, :3] > 0).all()


def test_flat_and_nan_channels_in_the_same_epoch_are_both_imputed():
    X_train = _eeg(seed=1)
    for est in (BandPower(SFREQ, bands=BANDS), DifferentialEntropy(SFREQ, bands=BANDS)):
        est.fit(X_train)
        bad = _eeg(n_epochs=2, seed=4)
        bad[0, 0] = 12.0  # saturated
        bad[0, 2, 7] = np.nan  # dropped sample
        with pytest.warns(BadChannelWarning) as rec:
            F = est.transform(bad)
        message = str(rec[0].message)
        assert message.startswith(f"{type(est).__name__}: ")  # who imputed
        assert "'ch0' flat" in message and "'ch2' NaN/inf" in message
        np.testing.assert_allclose(F[0, :3], est.fill_values_[:3])
        np.testing.assert_allclose(F[0, 6:], est.fill_values_[6:])
        np.testing.assert_array_equal(F[1], est.transform(bad[1:])[0])


def test_imputation_emits_only_the_bad_channel_warning():
    # log(0) of the flat channel must never be evaluated: no numpy RuntimeWarning noise.
    for est in (BandPower(SFREQ), DifferentialEntropy(SFREQ), SpectralFeatures(
            SFREQ, kinds=("psd", "psa", "de"), pairs=[("a", "b")], ch_names=["a", "b", "c"])):
        est.fit(_eeg())
        bad = _eeg(n_epochs=2, seed=6)
        bad[1, 0] = 0.0
        with warnings.catch_warnings(record=True) as rec:
            warnings.simplefilter("always")
            est.transform(bad)
        assert [w.category for w in rec] == [BadChannelWarning]


def test_differential_entropy_fill_values_are_means_over_good_epochs():
    X = _eeg(n_epochs=5, seed=9)
    X[[1, 3], 2] = 4.0  # ch2 saturated in two fit epochs
    with pytest.warns(BadChannelWarning, match=r"'ch2' flat .* 2 epoch\(s\) \(1, 3\)"):
        de = DifferentialEntropy(SFREQ, bands=BANDS).fit(X)
    good = np.delete(X, [1, 3], axis=0)
    f, p = scipy.signal.welch(good[:, 2], fs=SFREQ, nperseg=SFREQ, noverlap=SFREQ // 2)
    df = f[1] - f[0]
    expected = [
        np.mean(0.5 * np.log(2 * np.pi * np.e * p[:, (f >= lo) & (f < hi)].sum(axis=1) * df))
        for lo, hi in BANDS.values()
    ]
    np.testing.assert_allclose(de.fill_values_[6:], expected, rtol=1e-9)


def test_asymmetry_fill_values_are_means_over_good_epochs():
    X = _eeg(n_epochs=5, seed=9)
    X[0, 1] = 2.0
    psa = PowerAsymmetry(SFREQ, pairs=[("ch0", "ch1")], ch_names=["ch0", "ch1", "ch2"],
                         bands=BANDS)  # fmt: skip
    with pytest.warns(BadChannelWarning):
        psa.fit(X)
    ref = _bp_reference(X[1:])
    np.testing.assert_allclose(psa.fill_values_, (ref[:, :3] - ref[:, 3:6]).mean(axis=0))


def test_float32_output_stays_float32_when_imputing():
    est = SpectralFeatures(SFREQ, kinds=("psd", "de"), bands=BANDS).fit(_eeg(dtype=np.float32))
    bad = _eeg(n_epochs=2, dtype=np.float32, seed=3)
    bad[0, 1] = 1.0
    with pytest.warns(BadChannelWarning):
        F = est.transform(bad)
    assert F.dtype == np.float32


def test_asymmetry_ignores_a_flat_channel_outside_its_pairs():
    # Only the paired channels are analysed: a dead unpaired channel is no error.
    X = _eeg(n_epochs=3)
    X[1, 2] = 0.0  # ch2 is in no pair
    names = ["L", "R", "mid"]
    psa = PowerAsymmetry(SFREQ, pairs=[("L", "R")], ch_names=names, bands=BANDS, flat="raise")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        F = psa.fit_transform(X)
    ref = _bp_reference(X[:, :2])
    np.testing.assert_allclose(F, ref[:, :3] - ref[:, 3:6], rtol=1e-9, atol=1e-12)


# ------------------------------------------------------------------- the warning itself


@pytest.mark.parametrize(("n_bad", "shown"), [
    (10, "10 epoch(s) (0, 1, 2, 3, 4, 5, 6, 7, 8, 9)"),
    (11, "11 epoch(s) (0, 1, 2, 3, 4, 5, 6, 7, 8, 9, ...)"),
    (12, "12 epoch(s) (0, 1, 2, 3, 4, 5, 6, 7, 8, 9, ...)"),
])  # fmt: skip
def test_warning_lists_at_most_ten_epochs(n_bad, shown):
    bp = BandPower(SFREQ, bands=BANDS).fit(_eeg())
    bad = _eeg(n_epochs=13, seed=2)
    bad[:n_bad, 1] = 7.0
    with pytest.warns(BadChannelWarning) as rec:
        bp.transform(bad)
    assert shown in str(rec[0].message)


@pytest.mark.skipif("MUTANT_UNDER_TEST" in os.environ, reason="extra frames under mutmut")
def test_warning_points_at_the_users_call():
    X = _eeg()
    bad = X.copy()
    bad[0, 0] = 1.0
    bp = BandPower(SFREQ, bands=BANDS)
    bp.fit(X)
    calls = [
        lambda: bp.transform(bad),
        lambda: BandPower(SFREQ, bands=BANDS).fit(bad),
        lambda: BandPower(SFREQ, bands=BANDS).fit_transform(bad),
        lambda: make_pipeline(bp, StandardScaler()).fit(X).transform(bad),
    ]
    for call in calls:
        with pytest.warns(BadChannelWarning) as rec:
            call()
        # the user's line itself: the lambda's, not the loop's ``call()`` one frame up
        where = [(w.filename, w.lineno) for w in rec if w.category is BadChannelWarning]
        assert where == [(__file__, call.__code__.co_firstlineno)]
