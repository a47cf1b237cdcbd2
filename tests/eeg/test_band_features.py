"""Tests of the spectral feature transformers (sk_prnet.eeg.band_features)."""

import doctest
import pickle

import numpy as np
import pandas as pd
import pytest
import scipy.signal
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GroupKFold, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import sk_prnet.eeg._spectral_base as spectral_base_module
import sk_prnet.eeg.band_features as band_features_module
from sk_prnet.eeg import (
    DEAP_EEG_CHANNELS,
    DEAP_SYMMETRIC_PAIRS,
    PAPER_BANDS,
    BandPower,
    DifferentialEntropy,
    PowerAsymmetry,
    SpectralFeatures,
    make_deap_features,
    sliding_windows,
)

SFREQ = 128


def _eeg(n_epochs=6, n_channels=32, n_times=256, dtype=np.float64, seed=0):
    rng = np.random.default_rng(seed)
    return (10 * rng.standard_normal((n_epochs, n_channels, n_times))).astype(dtype)


def _direct_band_power(x, lo, hi, sfreq=SFREQ, nperseg=SFREQ):
    """Independent reference: one scipy.signal.welch call, boolean mask, mean over bins."""
    freqs, psd = scipy.signal.welch(
        x, fs=sfreq, window="hann", nperseg=nperseg, noverlap=nperseg // 2
    )
    mask = (freqs >= lo) & (freqs < hi)
    return psd[mask].mean(), psd[mask].sum() * (freqs[1] - freqs[0])


ALL_TRANSFORMERS = [
    pytest.param(lambda **kw: BandPower(SFREQ, **kw), id="BandPower"),
    pytest.param(lambda **kw: PowerAsymmetry(SFREQ, **kw), id="PowerAsymmetry"),
    pytest.param(lambda **kw: DifferentialEntropy(SFREQ, **kw), id="DifferentialEntropy"),
    pytest.param(
        lambda **kw: SpectralFeatures(SFREQ, kinds=("psd", "psa", "de"), **kw),
        id="SpectralFeatures",
    ),
]


# --------------------------------------------------------------------------- numbers


def test_band_power_matches_direct_welch():
    x = _eeg()
    out = BandPower(SFREQ).fit_transform(x)
    assert out.shape == (6, 32 * 5)
    for epoch, channel in [(0, 0), (3, 17), (5, 31)]:
        for b, (lo, hi) in enumerate(PAPER_BANDS.values()):
            power, _ = _direct_band_power(x[epoch, channel], lo, hi)
            np.testing.assert_allclose(out[epoch, channel * 5 + b], np.log10(power), rtol=1e-12)


def test_band_power_without_log_and_custom_nperseg():
    x = _eeg(n_times=512)
    bands = {"alpha": (8, 12), "beta": (12, 30)}
    out = BandPower(SFREQ, bands=bands, nperseg=256, log=False).fit_transform(x)
    power, _ = _direct_band_power(x[2, 5], 12, 30, nperseg=256)
    np.testing.assert_allclose(out[2, 5 * 2 + 1], power, rtol=1e-12)


def test_power_asymmetry_matches_difference_of_direct_log_powers():
    x = _eeg()
    out = PowerAsymmetry(SFREQ).fit_transform(x)
    assert out.shape == (6, 14 * 5)
    names = list(DEAP_EEG_CHANNELS)
    for p, (left, right) in enumerate(DEAP_SYMMETRIC_PAIRS):
        i, j = names.index(left), names.index(right)
        for b, (lo, hi) in enumerate(PAPER_BANDS.values()):
            expected = np.log10(_direct_band_power(x[1, i], lo, hi)[0]) - np.log10(
                _direct_band_power(x[1, j], lo, hi)[0]
            )
            np.testing.assert_allclose(out[1, p * 5 + b], expected, rtol=1e-10, atol=1e-12)


def test_differential_entropy_matches_direct_variance():
    x = _eeg(n_channels=3)
    out = DifferentialEntropy(SFREQ).fit_transform(x)
    for b, (lo, hi) in enumerate(PAPER_BANDS.values()):
        _, var = _direct_band_power(x[4, 2], lo, hi)
        expected = 0.5 * np.log(2 * np.pi * np.e * var)
        np.testing.assert_allclose(out[4, 2 * 5 + b], expected, rtol=1e-12)


@pytest.mark.parametrize("s", [0.5, 3.0])
def test_differential_entropy_of_white_noise(s):
    rng = np.random.default_rng(5)
    # 5 minutes: even the 2-bin slow_alpha band has ~1200 degrees of freedom, so the DE of
    # each signal has a standard error of ~0.015 nats.
    x = s * rng.standard_normal((2, 4, SFREQ * 300))
    out = DifferentialEntropy(SFREQ).fit_transform(x).reshape(2, 4, 5)
    for b, (lo, hi) in enumerate(PAPER_BANDS.values()):
        expected = 0.5 * np.log(2 * np.pi * np.e * s**2 * (hi - lo) / (SFREQ / 2))
        assert np.abs(out[..., b] - expected).max() < 0.05
        assert abs(out[..., b].mean() - expected) < 0.02


def test_10hz_sinusoid_goes_to_alpha_not_theta():
    t = np.arange(2 * SFREQ) / SFREQ
    rng = np.random.default_rng(6)
    x = np.sin(2 * np.pi * 10 * t)[None, None, :] + 0.01 * rng.standard_normal((3, 1, t.size))
    bp = BandPower(SFREQ).fit(x)
    out = dict(zip(bp.get_feature_names_out(), bp.transform(x).T))
    for band in ("slow_alpha", "alpha"):
        assert np.all(out[f"psd_ch0_{band}"] > out["psd_ch0_theta"] + 2)  # > 100x the power
        assert np.all(out[f"psd_ch0_{band}"] > out["psd_ch0_beta"] + 2)
    # 10 Hz is inside alpha [8, 12) but is the open upper edge of slow_alpha [8, 10), which
    # only gets the Hann window's leakage into its 9 Hz bin.
    assert np.all(out["psd_ch0_alpha"] > out["psd_ch0_slow_alpha"])


def test_spectral_features_equal_separate_transformers():
    x = _eeg(dtype=np.float32)
    combined = SpectralFeatures(SFREQ, kinds=("psd", "psa", "de")).fit(x)
    separate = np.hstack(
        [
            BandPower(SFREQ, ch_names=DEAP_EEG_CHANNELS).fit_transform(x),
            PowerAsymmetry(SFREQ).fit_transform(x),
            DifferentialEntropy(SFREQ, ch_names=DEAP_EEG_CHANNELS).fit_transform(x),
        ]
    )
    np.testing.assert_allclose(combined.transform(x), separate, rtol=1e-6, atol=1e-6)
    names = np.concatenate(
        [
            BandPower(SFREQ, ch_names=DEAP_EEG_CHANNELS).fit(x).get_feature_names_out(),
            PowerAsymmetry(SFREQ).fit(x).get_feature_names_out(),
            DifferentialEntropy(SFREQ, ch_names=DEAP_EEG_CHANNELS).fit(x).get_feature_names_out(),
        ]
    )
    assert combined.get_feature_names_out().tolist() == names.tolist()


def test_kinds_order_is_output_order():
    x = _eeg(n_epochs=2)
    a = SpectralFeatures(SFREQ, kinds=("de", "psd")).fit(x)
    b = SpectralFeatures(SFREQ, kinds=("psd", "de")).fit(x)
    np.testing.assert_array_equal(a.transform(x)[:, :160], b.transform(x)[:, 160:])
    assert a.get_feature_names_out()[0] == "de_ch0_theta"


def test_make_deap_features_is_band_power_plus_asymmetry():
    x = _eeg(dtype=np.float32)
    union = make_deap_features()
    out = union.fit_transform(x)
    assert out.shape == (6, 230)
    names = union.get_feature_names_out()
    assert len(set(names)) == 230
    assert names[0] == "psd_Fp1_theta" and names[159] == "psd_O2_gamma"
    assert names[160] == "psa_Fp1-Fp2_theta" and names[-1] == "psa_O1-O2_gamma"
    expected = np.hstack(
        [
            BandPower(SFREQ, ch_names=DEAP_EEG_CHANNELS).fit_transform(x),
            PowerAsymmetry(SFREQ).fit_transform(x),
        ]
    )
    np.testing.assert_allclose(out, expected, rtol=1e-6, atol=1e-6)


def test_float32_and_float64_agree():
    x = _eeg(seed=3)
    for est in (
        BandPower(SFREQ),
        PowerAsymmetry(SFREQ),
        DifferentialEntropy(SFREQ),
        make_deap_features(),
    ):
        out32 = clone(est).fit_transform(x.astype(np.float32))
        out64 = clone(est).fit_transform(x)
        assert out32.dtype == np.float32 and out64.dtype == np.float64
        np.testing.assert_allclose(out32, out64, atol=1e-5)


def test_non_contiguous_and_read_only_input():
    x = _eeg(n_times=512, dtype=np.float32)
    strided = x[:, :, ::2]  # non-contiguous view, 256 samples
    assert not strided.flags.c_contiguous
    expected = make_deap_features().fit_transform(np.ascontiguousarray(strided))
    np.testing.assert_array_equal(make_deap_features().fit_transform(strided), expected)
    np.testing.assert_array_equal(PowerAsymmetry(SFREQ).fit_transform(strided), expected[:, 160:])
    frozen = np.ascontiguousarray(strided)
    frozen.flags.writeable = False
    np.testing.assert_array_equal(make_deap_features().fit_transform(frozen), expected)


def test_integer_input_is_computed_in_float64():
    x = np.round(_eeg(n_channels=2)).astype(np.int16)
    out = BandPower(SFREQ).fit_transform(x)
    assert out.dtype == np.float64
    np.testing.assert_allclose(out, BandPower(SFREQ).fit_transform(x.astype(float)))


# --------------------------------------------------------------------------- properties


@settings(max_examples=25, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    n_epochs=st.integers(1, 3),
    scale=st.floats(1e-3, 1e3),
)
def test_psa_antisymmetry(seed, n_epochs, scale):
    """Swapping left and right electrodes negates the asymmetry."""
    x = scale * np.random.default_rng(seed).standard_normal((n_epochs, 4, 256))
    names = ["A", "B", "C", "D"]
    fwd = PowerAsymmetry(SFREQ, pairs=[("A", "B"), ("C", "D")], ch_names=names)
    rev = PowerAsymmetry(SFREQ, pairs=[("B", "A"), ("D", "C")], ch_names=names)
    np.testing.assert_allclose(fwd.fit_transform(x), -rev.fit_transform(x), atol=1e-12)
    same = PowerAsymmetry(SFREQ, pairs=[("A", "B")], ch_names=names)
    np.testing.assert_allclose(same.fit_transform(x[:, [0, 0, 2, 3]]), 0.0, atol=1e-12)


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), c=st.floats(1e-3, 1e3))
def test_band_power_scales_by_c_squared(seed, c):
    """X -> cX multiplies the power by c**2: +2 log10(c) in log band power, +ln(c) in DE."""
    x = np.random.default_rng(seed).standard_normal((2, 3, 256))
    bp = BandPower(SFREQ)
    np.testing.assert_allclose(
        bp.fit_transform(c * x), bp.fit_transform(x) + 2 * np.log10(c), atol=1e-9
    )
    de = DifferentialEntropy(SFREQ)
    np.testing.assert_allclose(de.fit_transform(c * x), de.fit_transform(x) + np.log(c), atol=1e-9)
    psa = PowerAsymmetry(SFREQ, pairs=[("ch0", "ch1")], ch_names=["ch0", "ch1", "ch2"])
    np.testing.assert_allclose(psa.fit_transform(c * x), psa.fit_transform(x), atol=1e-9)


# --------------------------------------------------------------------------- API


def test_feature_names():
    x = _eeg(n_channels=3, n_epochs=2)
    bp = BandPower(SFREQ, ch_names=["Fp1", "T7", "O2"]).fit(x)
    assert bp.get_feature_names_out()[:6].tolist() == [
        "psd_Fp1_theta",
        "psd_Fp1_slow_alpha",
        "psd_Fp1_alpha",
        "psd_Fp1_beta",
        "psd_Fp1_gamma",
        "psd_T7_theta",
    ]
    assert BandPower(SFREQ).fit(x).get_feature_names_out()[-1] == "psd_ch2_gamma"
    de = DifferentialEntropy(SFREQ, ch_names=["Fp1", "T7", "O2"]).fit(x)
    assert "de_T7_gamma" in de.get_feature_names_out()
    psa = PowerAsymmetry(SFREQ).fit(_eeg(n_epochs=1))
    assert psa.get_feature_names_out()[2] == "psa_Fp1-Fp2_alpha"
    assert psa.n_features_out_ == 70
    names = bp.get_feature_names_out()
    assert names.dtype == object and len(names) == bp.transform(x).shape[1] == 15


def test_get_feature_names_out_input_features():
    x = _eeg(n_channels=2, n_epochs=1)
    bp = BandPower(SFREQ, ch_names=["a", "b"]).fit(x)
    assert len(bp.get_feature_names_out(["a", "b"])) == 10
    with pytest.raises(ValueError, match="input_features must be the fitted channel names"):
        bp.get_feature_names_out(["x0", "x1"])


def test_pair_names_are_case_insensitive_and_spelled_as_ch_names():
    x = _eeg(n_channels=3, n_epochs=2)
    psa = PowerAsymmetry(SFREQ, pairs=[("fp1", "FP2")], ch_names=["Fp1", "Fz", "Fp2"]).fit(x)
    assert psa.get_feature_names_out()[0] == "psa_Fp1-Fp2_theta"
    np.testing.assert_array_equal(psa.pair_index_, [[0, 2]])


@pytest.mark.parametrize("make", ALL_TRANSFORMERS)
def test_pandas_output(make):
    x = _eeg(dtype=np.float32)
    est = make().set_output(transform="pandas")
    df = est.fit_transform(x)
    assert isinstance(df, pd.DataFrame)
    assert df.columns.tolist() == est.get_feature_names_out().tolist()
    assert df.shape == (6, len(est.get_feature_names_out()))
    np.testing.assert_array_equal(df.to_numpy(), make().fit_transform(x))
    assert isinstance(est.transform(x), pd.DataFrame)


@pytest.mark.parametrize("make", ALL_TRANSFORMERS)
def test_clone_and_pickle(make):
    x = _eeg(n_epochs=3)
    est = make(floor=1e-9)
    cl = clone(est)
    assert cl.get_params() == est.get_params()
    est.fit(x)
    restored = pickle.loads(pickle.dumps(est))
    np.testing.assert_array_equal(restored.transform(x), est.transform(x))
    assert restored.get_feature_names_out().tolist() == est.get_feature_names_out().tolist()
    with pytest.raises(NotFittedError):
        clone(est).transform(x)


def test_tags_declare_3d_input():
    tags = BandPower(SFREQ).__sklearn_tags__()
    assert tags.input_tags.three_d_array and not tags.input_tags.two_d_array
    assert "float32" in tags.transformer_tags.preserves_dtype


def test_in_a_pipeline_with_grouped_cv():
    rng = np.random.default_rng(7)
    trials = rng.standard_normal((8, 32, 128 * 8)).astype(np.float32)
    y_trial = np.array([0, 1] * 4)
    trials[y_trial == 1, :, :] *= 2.0  # class 1: 4x the power
    w, groups, y = sliding_windows(trials, SFREQ, window=2.0, labels=y_trial)
    pipe = make_pipeline(make_deap_features(), StandardScaler(), LogisticRegression())
    scores = cross_val_score(pipe, w, y, groups=groups, cv=GroupKFold(n_splits=4))
    assert scores.mean() > 0.9


# --------------------------------------------------------------------------- errors


@pytest.mark.parametrize("make", ALL_TRANSFORMERS)
def test_2d_input_error_says_shape_and_fix(make):
    with pytest.raises(
        ValueError, match=r"\(n_epochs, n_channels, n_times\).*2-D.*X\[np.newaxis\]"
    ):
        make().fit(np.zeros((32, 256)))
    with pytest.raises(ValueError, match=r"3-D array .* got a 4-D"):
        make().fit(np.zeros((1, 2, 32, 256)))
    with pytest.raises(ValueError, match="real numbers"):
        make().fit(np.zeros((1, 32, 256), dtype=complex))


@pytest.mark.parametrize("make", ALL_TRANSFORMERS)
@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_nonfinite_input(make, bad):
    x = _eeg(n_epochs=3)
    x_bad = x.copy()
    x_bad[1, 0, 10] = bad  # channel Fp1 / ch0, used by every transformer
    est = make(nan="raise")
    with pytest.raises(ValueError, match=r"NaN or infinity in channel\(s\) '(Fp1|ch0)'"):
        est.fit(x_bad)
    with pytest.raises(ValueError, match="NaN or infinity"):
        clone(est).fit_transform(x_bad)
    with pytest.raises(ValueError, match="NaN or infinity"):
        est.fit(x).transform(x_bad)


def test_nonfinite_in_channel_not_used_by_asymmetry_still_raises():
    x = _eeg(n_epochs=2)
    x[0, DEAP_EEG_CHANNELS.index("Cz"), 5] = np.nan  # Cz is in no symmetric pair
    with pytest.raises(ValueError, match="NaN or infinity in channel\\(s\\) 'Cz'"):
        PowerAsymmetry(SFREQ, nan="raise").fit_transform(x)


def test_wrong_number_of_channels_vs_ch_names():
    with pytest.raises(ValueError, match="ch_names has 2 names but X has 3 channels"):
        BandPower(SFREQ, ch_names=["a", "b"]).fit(_eeg(n_channels=3))
    with pytest.raises(ValueError, match="defaults to the 32 DEAP EEG channels, but X has 14"):
        PowerAsymmetry(SFREQ).fit(_eeg(n_channels=14))
    with pytest.raises(ValueError, match="defaults to the 32 DEAP EEG channels"):
        make_deap_features().fit(_eeg(n_channels=31))


@pytest.mark.parametrize("make", ALL_TRANSFORMERS)
def test_transform_shape_must_match_fit(make):
    est = make().fit(_eeg())
    with pytest.raises(ValueError, match="31 channels and 256 samples.*fitted on 32 channels"):
        est.transform(_eeg(n_channels=31))
    with pytest.raises(ValueError, match="32 channels and 512 samples.*and 256 samples"):
        est.transform(_eeg(n_times=512))


@pytest.mark.parametrize(
    ("make", "pattern"),
    [
        (lambda **kw: BandPower(SFREQ, ch_names=["a", "b", "c"], **kw), r"'c' are flat"),
        (lambda **kw: DifferentialEntropy(SFREQ, ch_names=["a", "b", "c"], **kw), r"'c' are flat"),
        (
            lambda **kw: PowerAsymmetry(SFREQ, pairs=[("a", "c")], ch_names=["a", "b", "c"], **kw),
            r"'c' are flat",
        ),
        (
            lambda **kw: SpectralFeatures(
                SFREQ, kinds=("de", "psa"), pairs=[("a", "b")], ch_names=["a", "b", "c"], **kw
            ),
            r"'c' are flat",
        ),
    ],
)
def test_flat_channel_raises_by_name_unless_floor(make, pattern):
    x = _eeg(n_epochs=4, n_channels=3)
    x[2, 2] = 42.0  # channel "c" is constant in epoch 2
    with pytest.raises(
        ValueError, match=pattern + r".* 1 of 4 epoch\(s\) \(first: epoch 2\).*floor"
    ):
        make(flat="raise").fit_transform(x)
    out = make(floor=1e-6).fit_transform(x)
    assert np.isfinite(out).all()
    reference = make(floor=1e-6).fit_transform(np.delete(x, 2, axis=0))
    np.testing.assert_allclose(np.delete(out, 2, axis=0), reference)  # other epochs untouched


def test_floor_values():
    x = _eeg(n_epochs=2, n_channels=2)
    x[0, 1] = 0.0
    floor = 1e-6
    bp = BandPower(SFREQ, floor=floor).fit_transform(x)
    np.testing.assert_allclose(bp[0, 5:], np.log10(floor))
    raw = BandPower(SFREQ, log=False).fit_transform(x)  # no log: zero power is a valid value
    np.testing.assert_array_equal(raw[0, 5:], 0.0)
    raw_floored = BandPower(SFREQ, log=False, floor=floor).fit_transform(x)
    np.testing.assert_allclose(raw_floored[0, 5:], floor)
    de = DifferentialEntropy(SFREQ, floor=floor).fit_transform(x)
    np.testing.assert_allclose(de[0, 5:], 0.5 * np.log(2 * np.pi * np.e * floor))
    psa = PowerAsymmetry(SFREQ, pairs=[("ch0", "ch1")], ch_names=["ch0", "ch1"], floor=floor)
    np.testing.assert_allclose(psa.fit_transform(x)[0], bp[0, :5] - np.log10(floor))


def test_zero_band_power_in_nonflat_channel_raises(monkeypatch):
    # Exactly zero power in a band of a non-constant channel is (almost) impossible to build
    # with real FFT rounding, so zero it in the spectrum the transformer receives.
    real = spectral_base_module._welch_epochs

    def zero_theta(*args, **kwargs):
        spec = real(*args, **kwargs)
        spec.psd[1, 0, 4:8] = 0.0
        return spec

    monkeypatch.setattr(spectral_base_module, "_welch_epochs", zero_theta)
    x = _eeg(n_epochs=2, n_channels=2)
    with pytest.raises(ValueError, match=r"'ch0' have zero power in band\(s\) 'theta' in 1"):
        BandPower(SFREQ, flat="raise").fit_transform(x)
    assert np.isfinite(BandPower(SFREQ, floor=1e-9).fit_transform(x)).all()


@pytest.mark.parametrize(
    ("est", "match"),
    [
        (
            PowerAsymmetry(SFREQ, pairs=[("Fp1", "Fpx"), ("Q", "Fp2")]),
            r"unknown .*'Fpx', 'Q'.*Available channels: 'Fp1', 'AF3'",
        ),
        (PowerAsymmetry(SFREQ, pairs=[]), "pairs is empty"),
        (PowerAsymmetry(SFREQ, pairs=[("Fp1",)]), r"\(left, right\) tuple"),
        (PowerAsymmetry(SFREQ, pairs="Fp1-Fp2"), "sequence of"),
        (PowerAsymmetry(SFREQ, pairs=[("Fp1", "fp1")]), "same channel twice"),
        (PowerAsymmetry(SFREQ, pairs=[("Fp1", "Fp2"), ("fp1", "fp2")]), "duplicates"),
        (BandPower(SFREQ, ch_names=["a"] * 31 + ["A"]), r"unique.*'A'"),
        (BandPower(SFREQ, ch_names="Fp1"), "sequence of channel names"),
        (BandPower(SFREQ, bands={"gamma": (30, 70)}), r"'gamma' .*Nyquist frequency 64 Hz"),
        (BandPower(SFREQ, bands={"n": (10.2, 10.45)}), r"'n' .*no frequency bin.*at least 135"),
        (DifferentialEntropy(SFREQ, bands={"r": (8, 4)}), r"'r' must satisfy 0 <= lo < hi"),
        (DifferentialEntropy(SFREQ, bands={"r": (-2, 4)}), r"'r' must satisfy 0 <= lo < hi"),
        (BandPower(0), "sfreq must be a positive number"),
        (BandPower("128"), "sfreq must be a positive number"),
        (BandPower(SFREQ, nperseg=1), "at least 2 samples"),
        (BandPower(SFREQ, nperseg=64.0), "nperseg must be an integer"),
        (BandPower(SFREQ, log="yes"), "log must be True or False"),
        (BandPower(SFREQ, floor=0.0), "floor must be None"),
        (BandPower(SFREQ, floor=-1e-3), "floor must be None"),
        (SpectralFeatures(SFREQ, kinds=("psd", "foo")), "kinds must be"),
        (SpectralFeatures(SFREQ, kinds=("psd", "psd")), "kinds must be"),
        (SpectralFeatures(SFREQ, kinds=()), "kinds must be"),
    ],
)
def test_parameter_errors(est, match):
    with pytest.raises(ValueError, match=match):
        est.fit(_eeg(n_epochs=1))


def test_short_epochs_cap_nperseg_and_report_needed_length():
    x = _eeg(n_epochs=2, n_times=100)  # 0.78 s epochs: nperseg capped at 100 samples
    bp = BandPower(SFREQ).fit(x)
    assert bp.nperseg_ == 100
    with pytest.raises(ValueError, match=r"'slow_alpha' .*no frequency bin.*at least"):
        BandPower(SFREQ).fit(_eeg(n_epochs=1, n_times=20))  # 6.4 Hz bins


def test_not_fitted():
    with pytest.raises(NotFittedError):
        BandPower(SFREQ).transform(_eeg())
    with pytest.raises(NotFittedError):
        BandPower(SFREQ).get_feature_names_out()


def test_docstring_examples():
    result = doctest.testmod(
        band_features_module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
    )
    assert result.attempted > 0
    assert result.failed == 0


def test_eeg_modules_do_not_import_torch_or_skorch():
    """Rule of the package: nothing under sk_prnet/eeg/ imports torch or skorch."""
    import ast
    import pathlib

    import sk_prnet.eeg

    for path in pathlib.Path(sk_prnet.eeg.__file__).parent.glob("*.py"):
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                modules = [node.module or ""]
            else:
                continue
            for module in modules:
                assert module.split(".")[0] not in {"torch", "skorch"}, f"{path.name}: {module}"
