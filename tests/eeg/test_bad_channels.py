"""Flat (saturated) and NaN channels at predict time: impute with a warning, or raise."""

import numpy as np
import pytest

from sk_prnet.datasets import load_deap, make_synthetic_deap
from sk_prnet.eeg import (
    DEAP_EEG_CHANNELS,
    BadChannelWarning,
    BandPower,
    DifferentialEntropy,
    PowerAsymmetry,
    SpectralFeatures,
)
from sk_prnet.pipelines import make_deap_pipeline

SFREQ = 128.0
CH = list(DEAP_EEG_CHANNELS)


@pytest.fixture(scope="module")
def recording(tmp_path_factory):
    """A DEAP-format recording read back through the loader: train and test trials."""
    d = make_synthetic_deap(
        tmp_path_factory.mktemp("deap_bad"), n_subjects=1, n_trials=6, trial_seconds=8,
        random_state=3,  # both classes of both targets among the 4 training trials
    )  # fmt: skip
    data = load_deap(d, dtype=np.float64)
    train = data.trial_index < 4
    return data.X[train], data.y[train], data.ratings[train], data.X[~train]


def _saturate(X, epochs, channel, value=187.5):
    """A saturated amplifier: the channel sticks at a non-zero value for whole epochs."""
    X = X.copy()
    X[epochs, CH.index(channel)] = value
    return X


def test_fitted_pipeline_predicts_epochs_with_a_saturated_channel(recording):
    X_train, y_train, _, X_test = recording
    pipe = make_deap_pipeline(k=20, max_epochs=2, device="cpu", random_state=0)
    pipe.fit(X_train, y_train)
    bad = _saturate(X_test, [1, 5], "T7")
    with pytest.warns(BadChannelWarning, match=r"'T7' flat .* in 2 epoch\(s\) \(1, 5\)"):
        pred = pipe.predict(bad)
    assert pred.shape == (len(X_test), 2)
    features = pipe.named_steps["features"]
    with pytest.warns(BadChannelWarning):
        F = features.transform(bad)
    clean = features.transform(X_test)
    assert np.isfinite(F).all()
    names = list(features.get_feature_names_out())
    hit = [i for i, n in enumerate(names) if n.startswith("psd_T7_") or "-T8_" in n]
    assert len(hit) == 10  # T7's 5 band powers and the 5 asymmetries of T7-T8
    # the T7 features of the saturated epochs are the training means, computed independently
    train_means = BandPower(SFREQ, ch_names=CH).fit_transform(X_train).mean(axis=0)
    t7 = [names.index(f"psd_T7_{b}") for b in ("theta", "slow_alpha", "alpha", "beta", "gamma")]
    np.testing.assert_allclose(F[1, t7], train_means[CH.index("T7") * 5 :][:5], rtol=1e-9)
    # everything else is untouched: other epochs, other channels of the same epochs
    keep = np.setdiff1d(np.arange(len(names)), hit)
    np.testing.assert_array_equal(F[:, keep], clean[:, keep])
    np.testing.assert_array_equal(np.delete(F, [1, 5], axis=0), np.delete(clean, [1, 5], axis=0))
    # strict use: the old error stays available
    pipe.set_params(features__flat="raise")
    pipe.named_steps["features"].fit(X_train)
    with pytest.raises(ValueError, match=r"'T7' are flat \(constant\) in 2 of"):
        pipe.predict(bad)


def test_nan_stretch_is_imputed_with_a_warning_or_raises(recording):
    X_train, y_train, _, X_test = recording
    bad = X_test.copy()
    bad[3, CH.index("O2"), 40:70] = np.nan  # dropped samples
    sf = SpectralFeatures(SFREQ, kinds=("psd", "psa", "de")).fit(X_train)
    with pytest.warns(BadChannelWarning, match=r"'O2' NaN/inf in 1 epoch\(s\) \(3\)"):
        F = sf.transform(bad)
    assert np.isfinite(F).all()
    names = list(sf.get_feature_names_out())
    o2 = [i for i, n in enumerate(names) if "O2" in n]
    assert len(o2) == 15  # psd, de and the O1-O2 asymmetry, 5 bands each
    np.testing.assert_allclose(F[3, o2], sf.fill_values_[o2])
    clean = sf.transform(X_test)
    others = np.setdiff1d(np.arange(len(names)), o2)
    np.testing.assert_array_equal(F[:, others], clean[:, others])
    with pytest.raises(ValueError, match=r"NaN or infinity in channel\(s\) 'O2'"):
        SpectralFeatures(SFREQ, nan="raise").fit(X_train).transform(bad)


@pytest.mark.parametrize(
    "make",
    [
        lambda **kw: BandPower(SFREQ, **kw),
        lambda **kw: DifferentialEntropy(SFREQ, **kw),
        lambda **kw: PowerAsymmetry(SFREQ, **kw),
    ],
    ids=["BandPower", "DifferentialEntropy", "PowerAsymmetry"],
)
def test_every_transformer_imputes_flat_channels(recording, make):
    X_train, _, _, X_test = recording
    est = make(ch_names=CH).fit(X_train)
    with pytest.warns(BadChannelWarning, match="'Fp1'"):
        F = est.transform(_saturate(X_test, [0], "Fp1", value=-40.0))
    assert np.isfinite(F).all()
    np.testing.assert_array_equal(F[1:], est.transform(X_test)[1:])
    with pytest.raises(ValueError, match="'Fp1' are flat"):
        make(ch_names=CH, flat="raise").fit(X_train).transform(_saturate(X_test, [0], "Fp1"))


def test_flat_epochs_in_fit_are_left_out_of_the_means(recording):
    X_train, _, _, _ = recording
    bad = _saturate(X_train, [0, 2], "Cz")
    with pytest.warns(BadChannelWarning, match="'Cz'"):
        bp = BandPower(SFREQ, ch_names=CH).fit(bad)
    good = np.delete(X_train, [0, 2], axis=0)
    expected = BandPower(SFREQ, ch_names=CH).fit_transform(good).mean(axis=0)
    cz = slice(CH.index("Cz") * 5, CH.index("Cz") * 5 + 5)
    np.testing.assert_allclose(bp.fill_values_[cz], expected[cz], rtol=1e-12)


def test_channel_flat_in_every_fit_epoch_is_a_clear_error(recording):
    X_train, _, _, _ = recording
    with pytest.raises(ValueError, match=r"'psd_Pz_theta', .* in every epoch given to fit"):
        BandPower(SFREQ, ch_names=CH).fit(_saturate(X_train, slice(None), "Pz"))


@pytest.mark.parametrize("param", ["flat", "nan"])
@pytest.mark.parametrize("value", ["warn", None, "IMPUTE"])
def test_invalid_policy(param, value):
    X = np.random.default_rng(0).standard_normal((3, 2, 256))
    with pytest.raises(ValueError, match=rf"{param} must be one of \('impute', 'raise'\)"):
        BandPower(SFREQ, **{param: value}).fit(X)
