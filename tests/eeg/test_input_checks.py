"""Input and parameter validation of the spectral transformers: what each error names.

Every error must name the transformer the user called, the offending value and the fix.
"""

import numpy as np
import pytest
import scipy.signal
from eeg_signals import BANDS, SFREQ, random_eeg

from sk_prnet.eeg import (
    DEAP_EEG_CHANNELS,
    BandPower,
    DifferentialEntropy,
    PowerAsymmetry,
    SpectralFeatures,
)


def _eeg(n_epochs=3, *args, **kwargs):
    return random_eeg(n_epochs, *args, **kwargs)


def _error(call):
    with pytest.raises(ValueError) as info:
        call()
    return str(info.value)


# ------------------------------------------------------------------- the owner is named

OWNERS = [
    pytest.param(BandPower, {}, id="BandPower"),
    pytest.param(DifferentialEntropy, {}, id="DifferentialEntropy"),
    pytest.param(PowerAsymmetry, {"pairs": [("ch0", "ch2")]}, id="PowerAsymmetry"),
]


@pytest.mark.parametrize(("cls", "extra"), OWNERS)
def test_every_error_names_the_transformer(cls, extra):
    name = cls.__name__
    ok = {"ch_names": ["ch0", "ch1", "ch2"], **extra}
    X = _eeg()
    nan_x = X.copy()
    nan_x[1, 0, 4] = np.nan
    flat_x = X.copy()
    flat_x[2, 2] = 1.0
    messages = {
        "sfreq": _error(lambda: cls(-1.0, **ok).fit(X)),
        "2-D X": _error(lambda: cls(SFREQ, **ok).fit(X[0])),
        "floor": _error(lambda: cls(SFREQ, floor=-1.0, **ok).fit(X)),
        "flat": _error(lambda: cls(SFREQ, flat="warn", **ok).fit(X)),
        "nan": _error(lambda: cls(SFREQ, nan="drop", **ok).fit(X)),
        "ch_names": _error(lambda: cls(SFREQ, **{**ok, "ch_names": ["a", "b"]}).fit(X)),
        "nperseg": _error(lambda: cls(SFREQ, nperseg=1, **ok).fit(X)),
        "bands": _error(lambda: cls(SFREQ, bands={"x": (50, 90)}, **ok).fit(X)),
        "NaN in fit": _error(lambda: cls(SFREQ, nan="raise", **ok).fit(nan_x)),
        "NaN in transform": _error(
            lambda: cls(SFREQ, nan="raise", **ok).fit(X).transform(nan_x)
        ),
        "flat in transform": _error(
            lambda: cls(SFREQ, flat="raise", **ok).fit(X).transform(flat_x)
        ),
        "transform shape": _error(lambda: cls(SFREQ, **ok).fit(X).transform(X[:, :2])),
        "transform 2-D": _error(lambda: cls(SFREQ, **ok).fit(X).transform(X[0])),
    }
    if cls is PowerAsymmetry:
        messages["pairs"] = _error(lambda: cls(SFREQ, **{**ok, "pairs": [("ch0", "x")]}).fit(X))
    for what, message in messages.items():
        assert message.startswith(f"{name}: "), (what, message)


def test_nan_with_both_policies_raising_fails_in_fit_naming_the_channel():
    # fit computes no features when nothing is imputed; it must still reject NaN/inf.
    X = _eeg(n_epochs=4)
    X[2, 1, 30] = np.nan
    X[3, 1, 31] = -np.inf
    for cls in (BandPower, DifferentialEntropy):
        message = _error(lambda: cls(SFREQ, flat="raise", nan="raise").fit(X))  # noqa: B023
        assert message.startswith(f"{cls.__name__}: ")
        assert "NaN or infinity" in message
        assert "'ch1'" in message and "2 epoch(s)" in message and "epoch 2" in message
    est = BandPower(SFREQ, flat="raise", nan="raise").fit(_eeg())  # clean: fine
    assert est.fill_values_ is None


def test_fitted_frequencies_are_the_welch_bins():
    bp = BandPower(SFREQ, nperseg=64).fit(_eeg())
    np.testing.assert_allclose(bp.freqs_, np.arange(33) * 2.0)


# ------------------------------------------------------------------- X itself


@pytest.mark.parametrize("shape", [(0, 3, 256), (3, 0, 256), (3, 3, 1), (0, 0, 0)])
def test_empty_axes_are_rejected_with_the_shape(shape):
    message = _error(lambda: BandPower(SFREQ).fit(np.zeros(shape)))
    assert "at least one epoch, one channel and two time samples" in message
    assert str(shape) in message


def test_two_samples_per_epoch_are_enough():
    X = _eeg(n_times=2)
    F = BandPower(SFREQ, bands={"low": (0, 10)}, log=False).fit_transform(X)
    # nperseg is capped at 2: the 0 Hz bin is the only one in the band
    _, p = scipy.signal.welch(X, fs=SFREQ, nperseg=2, noverlap=1, axis=-1)
    np.testing.assert_allclose(F, p[..., 0], rtol=1e-12)


def test_nested_lists_are_accepted():
    X = _eeg(n_epochs=2, n_channels=2)
    np.testing.assert_allclose(
        BandPower(SFREQ).fit_transform(X.tolist()), BandPower(SFREQ).fit_transform(X)
    )


class _Recording:
    """A container that converts itself with ``to_numpy`` (like pandas or xarray objects)."""

    def __init__(self, data):
        self._data = data

    def to_numpy(self):
        return self._data


def test_objects_with_to_numpy_are_converted():
    X = _eeg(n_epochs=2, n_channels=2)
    np.testing.assert_allclose(
        BandPower(SFREQ).fit_transform(_Recording(X)), BandPower(SFREQ).fit_transform(X)
    )


def test_wrong_dimension_messages_give_the_fix():
    message = _error(lambda: BandPower(SFREQ).fit(np.zeros((3, 256))))
    assert "X[:, np.newaxis, :]" in message and "sk_prnet.eeg.sliding_windows" in message
    message = _error(lambda: BandPower(SFREQ).fit(np.zeros((3, 256), dtype=complex)))
    assert "complex" in message and "np.asarray(X, dtype=float)" in message
    message = _error(lambda: BandPower(SFREQ).fit(_eeg()).transform(_eeg(n_times=300)))
    assert "300 samples" in message and "sliding_windows" in message


# ------------------------------------------------------------------- parameters


@pytest.mark.parametrize("floor", [np.inf, np.nan, True, "1e-12"])
def test_floor_must_be_a_positive_finite_number(floor):
    message = _error(lambda: BandPower(SFREQ, floor=floor).fit(_eeg()))
    assert "floor must be None" in message and repr(floor) in message


def test_low_sampling_rates_are_valid():
    # 1 Hz data (e.g. slow physiological signals) is a positive sampling rate.
    X = _eeg(n_times=64)
    bp = BandPower(1.0, bands={"slow": (0.1, 0.4)}, nperseg=20).fit(X)
    assert bp.freqs_[1] == pytest.approx(0.05)
    assert np.isfinite(bp.transform(X)).all()


def test_the_shortest_welch_segment_is_two_samples():
    X = _eeg()
    assert BandPower(SFREQ, nperseg=2, bands={"low": (0, 10)}).fit(X).nperseg_ == 2
    message = _error(lambda: BandPower(SFREQ, nperseg=1).fit(X))
    assert "nperseg=1" in message and "at least 2 samples" in message


@pytest.mark.parametrize("names", [["a", ""], ["a", 1], [None, "b"]])
def test_channel_names_must_be_non_empty_strings(names):
    message = _error(lambda: BandPower(SFREQ, ch_names=names).fit(_eeg(n_channels=2)))
    assert "non-empty strings" in message and repr(names) in message


def test_a_pair_must_be_two_names_not_a_string():
    # "ab" has two characters but is one name, not the pair ("a", "b").
    X = _eeg(n_channels=2)
    for pair in ("ab", 5):
        message = _error(
            lambda: PowerAsymmetry(SFREQ, pairs=[pair], ch_names=["a", "b"]).fit(X)  # noqa: B023
        )
        assert "(left, right) tuple" in message and repr(pair) in message


def test_unknown_pair_lists_every_available_channel():
    message = _error(lambda: PowerAsymmetry(SFREQ, pairs=[("Fp1", "Fq2")]).fit(_eeg(1, 32)))
    assert "'Fq2'" in message
    listed = message.split("Available channels: ")[1]
    for name in DEAP_EEG_CHANNELS:  # 32 names: all shown, none elided
        assert repr(name) in listed
    assert "more)" not in listed


@pytest.mark.parametrize(("n_dupes", "shown", "hidden", "more"), [
    (12, [f"C{i}" for i in range(12)], [], None),
    (14, [f"C{i}" for i in range(10)] + ["C13"], ["C10", "C11", "C12"], "3 more"),
])  # fmt: skip
def test_long_lists_of_names_are_elided_in_the_middle(n_dupes, shown, hidden, more):
    # At most 12 entries: the first 10, "... (k more)" and the last one.
    names = [f"c{i}" for i in range(n_dupes)] + [f"C{i}" for i in range(n_dupes)]
    message = _error(lambda: BandPower(SFREQ, ch_names=names).fit(_eeg(1, len(names))))
    listed = message.split("duplicated: ")[1]
    for n in shown:
        assert repr(n) in listed
    for n in hidden:
        assert repr(n) not in listed
    if more is None:
        assert "more)" not in listed
    else:
        assert f"({more})" in listed


def test_spectral_features_log_error_names_the_value():
    message = _error(lambda: SpectralFeatures(SFREQ, log="no").fit(_eeg(1, 32)))
    assert "log must be True or False" in message and "'no'" in message


# ------------------------------------------------------------------- zero power


def test_zero_power_error_names_channels_epochs_and_bands():
    # A channel of tiny amplitude in float32: not constant, but its power underflows to 0.
    X = _eeg(n_epochs=4, dtype=np.float32)
    X[1:3, 1] *= np.float32(1e-25)
    for cls, what, unit in (
        (BandPower, "band power", "X squared per Hz"),
        (DifferentialEntropy, "band variance", "X squared)"),
    ):
        message = _error(lambda: cls(SFREQ, bands=BANDS, flat="raise").fit_transform(X))  # noqa: B023
        assert message.startswith(f"{cls.__name__}: ")
        assert "'ch1' have zero power" in message and "'ch0'" not in message
        assert "'theta', 'alpha', 'beta'" in message
        assert "in 2 epoch(s) (first: epoch 1)" in message
        assert f"their {what} is 0" in message and f"units of {unit}" in message
        assert "flat (constant)" not in message


def test_flat_error_does_not_blame_a_nan_channel():
    X = _eeg(n_epochs=4)
    bp = BandPower(SFREQ, flat="raise").fit(X)
    bad = X.copy()
    bad[1, 0] = 5.0  # saturated
    bad[2, 2, 10:20] = np.nan  # imputed (nan="impute"), not flat
    message = _error(lambda: bp.transform(bad))
    assert "'ch0' are flat (constant) in 1 of 4 epoch(s) (first: epoch 1)" in message
    assert "ch2" not in message
