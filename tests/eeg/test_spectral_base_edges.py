"""Edges of the shared fit/transform machinery: parameters reach the computation, kind
combinations, sklearn tags and overflow."""

import numpy as np
import pytest
import scipy.signal
from sklearn.utils import get_tags

from sk_prnet.eeg import (
    BandPower,
    DifferentialEntropy,
    PowerAsymmetry,
    SpectralFeatures,
    make_deap_features,
)

SFREQ = 128
BANDS = {"low": (2, 10), "high": (10, 20)}
NAMES = ["L", "R", "Z"]


def _eeg(n_epochs=3, n_channels=3, n_times=256, seed=0, dtype=np.float64):
    rng = np.random.default_rng(seed)
    return (10 * rng.standard_normal((n_epochs, n_channels, n_times))).astype(dtype)


def _welch(X, nperseg):
    return scipy.signal.welch(X, fs=SFREQ, nperseg=nperseg, noverlap=nperseg // 2, axis=-1)


def _power(X, nperseg):
    """(n_epochs, n_channels, n_bands) mean PSD over each band of BANDS, from scipy."""
    f, p = _welch(X, nperseg)
    return np.stack([p[..., (f >= lo) & (f < hi)].mean(-1) for lo, hi in BANDS.values()], -1)


def _variance(X, nperseg):
    f, p = _welch(X, nperseg)
    df = f[1] - f[0]
    return np.stack([p[..., (f >= lo) & (f < hi)].sum(-1) * df for lo, hi in BANDS.values()], -1)


@pytest.mark.parametrize(
    "make",
    [
        lambda **kw: PowerAsymmetry(SFREQ, pairs=[("L", "R")], ch_names=NAMES, **kw),
        lambda **kw: DifferentialEntropy(SFREQ, ch_names=NAMES, **kw),
        lambda **kw: SpectralFeatures(SFREQ, kinds=("psd", "psa", "de"), ch_names=NAMES,
                                      pairs=[("L", "R")], **kw),  # fmt: skip
    ],
    ids=["PowerAsymmetry", "DifferentialEntropy", "SpectralFeatures"],
)
def test_bands_nperseg_and_floor_reach_the_computation(make):
    est = make(bands=BANDS, nperseg=64, floor=1e-3)
    params = est.get_params()
    assert params["bands"] == BANDS and params["nperseg"] == 64 and params["floor"] == 1e-3
    X = _eeg()
    X[1, 1] = 0.0  # flat: clamped to the floor, not imputed
    F = est.fit_transform(X)
    assert est.nperseg_ == 64 and list(est.bands_) == ["low", "high"]
    power = np.maximum(_power(X, 64), 1e-3)
    variance = np.maximum(_variance(X, 64), 1e-3)
    expected = {
        "psd": np.log10(power).reshape(3, -1),
        "psa": np.log10(power[:, 0]) - np.log10(power[:, 1]),
        "de": 0.5 * np.log(2 * np.pi * np.e * variance).reshape(3, -1),
    }
    kinds = {"PowerAsymmetry": ("psa",), "DifferentialEntropy": ("de",)}.get(
        type(est).__name__, ("psd", "psa", "de")
    )
    np.testing.assert_allclose(F, np.hstack([expected[k] for k in kinds]), rtol=1e-9)


def test_make_deap_features_passes_every_argument_on():
    names = [f"e{i}" for i in range(32)]
    est = make_deap_features(
        sfreq=SFREQ, ch_names=names, bands=BANDS, nperseg=64, floor=1e-3, flat="raise",
        nan="raise",
    )  # fmt: skip
    params = est.get_params()
    expected = {"sfreq": SFREQ, "ch_names": names, "bands": BANDS, "nperseg": 64,
                "floor": 1e-3, "flat": "raise", "nan": "raise", "kinds": ("psd", "psa"),
                "pairs": None, "log": True}  # fmt: skip
    assert {k: params[k] for k in expected} == expected
    # the names differ from DEAP's, so the default pairs cannot be resolved
    with pytest.raises(ValueError, match="unknown channel name"):
        est.fit(_eeg(1, 32))


def test_kinds_may_be_a_single_string():
    X = _eeg()
    sf = SpectralFeatures(SFREQ, kinds="de", bands=BANDS).fit(X)
    np.testing.assert_allclose(
        sf.transform(X), DifferentialEntropy(SFREQ, bands=BANDS).fit_transform(X), rtol=1e-12
    )
    assert sf.get_feature_names_out()[0] == "de_ch0_low"


def test_raw_band_power_with_asymmetry():
    # log=False applies to "psd" only; "psa" stays a log10 ratio.
    X = _eeg()
    sf = SpectralFeatures(SFREQ, kinds=("psd", "psa"), log=False, bands=BANDS, ch_names=NAMES,
                          pairs=[("L", "R"), ("Z", "L")])  # fmt: skip
    F = sf.fit_transform(X)
    power = _power(X, SFREQ)
    np.testing.assert_allclose(F[:, :6], power.reshape(3, -1), rtol=1e-9)
    lp = np.log10(power)
    np.testing.assert_allclose(
        F[:, 6:], np.hstack([lp[:, 0] - lp[:, 1], lp[:, 2] - lp[:, 0]]), rtol=1e-9
    )


def test_tags_say_3d_only_and_dtype_preserving():
    for est in (BandPower(SFREQ), PowerAsymmetry(SFREQ), SpectralFeatures(SFREQ)):
        tags = get_tags(est)
        assert tags.input_tags.two_d_array is False and tags.input_tags.three_d_array
        assert set(tags.transformer_tags.preserves_dtype) == {"float64", "float32"}


def test_float32_overflow_error_says_the_size_and_the_fix():
    # The band variance of float32 data of size ~1e18 exceeds float32's range.
    X = _eeg(n_epochs=2, n_channels=2, dtype=np.float32, seed=0) * np.float32(1e17)
    est = DifferentialEntropy(SFREQ, bands={"wide": (1, 60)}, flat="raise", nan="raise")
    with np.errstate(all="ignore"), pytest.raises(ValueError) as info:
        est.fit_transform(X)
    message = str(info.value)
    assert message.startswith("DifferentialEntropy: ") and "overflowed in float32" in message
    assert f"{np.abs(X).max():.3g}" in message and "float64" in message
    # the same data in float64 is fine
    assert np.isfinite(est.fit_transform(X.astype(np.float64))).all()


@pytest.mark.parametrize("flat", ["impute", "raise"])
@pytest.mark.parametrize("cls", [BandPower, DifferentialEntropy])
def test_overflowed_spectrum_is_an_error_not_a_flat_channel(cls, flat):
    # A float32 channel of size ~1e20 (a corrupt read) overflows its spectrum to inf. It has
    # the opposite of zero power: it must not be imputed as "flat", nor reported as zero power.
    rng = np.random.default_rng(0)
    X = rng.standard_normal((6, 2, 256)).astype(np.float32)
    est = cls(SFREQ, flat=flat).fit(X)
    bad = X[:2].copy()
    bad[0, 0] *= np.float32(1e20)
    with np.errstate(all="ignore"), pytest.raises(ValueError) as info:
        est.transform(bad)
    message = str(info.value)
    assert "overflowed in float32" in message and "float64" in message
    assert "flat" not in message and "zero power" not in message
