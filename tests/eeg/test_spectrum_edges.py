"""Edge cases of sk_prnet.eeg.spectrum: range limits, grid edges, error contents.

Expectations come from scipy.signal.welch, hand-computed band means/sums and the
documented contracts (half-open bands, tolerance relative to the bin width, error
messages that name the function and the offending values).
"""

import re
import warnings

import numpy as np
import pytest
import scipy.signal

from sk_prnet.eeg import band_power, band_variance, check_bands, welch_psd
from sk_prnet.eeg.spectrum import _welch_epochs


def _scipy_welch(x, sfreq, nperseg):
    return scipy.signal.welch(
        np.asarray(x, dtype=np.float64), fs=sfreq, window="hann", nperseg=nperseg,
        noverlap=nperseg // 2, axis=-1,
    )  # fmt: skip


# --- range limits of the computation --------------------------------------------------------


def test_float32_power_overflow_raises_instead_of_inf():
    # |x| ~ 1e18 is finite in float32, but |FFT|^2 ~ (64 * 1e18)^2 exceeds float32's 3.4e38.
    # Before the fix welch_psd returned inf silently.
    x = (np.random.default_rng(0).standard_normal((2, 3, 256)) * 1e18).astype(np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a clean error, no RuntimeWarning on the way
        with pytest.raises(ValueError) as info:
            welch_psd(x, 128)
    msg = str(info.value)
    assert msg.startswith("welch_psd:")
    assert "overflowed" in msg and "float32" in msg and "float64" in msg
    assert f"{np.abs(x).max():.3g}" in msg  # the magnitude that caused it
    # The advice works: the same data in float64 has a finite spectrum equal to scipy's.
    freqs, psd = welch_psd(x.astype(np.float64), 128)
    np.testing.assert_allclose(psd, _scipy_welch(x, 128, 128)[1], rtol=1e-10)


def test_float64_overflow_advises_rescaling_only():
    # float64 overflows too (|x| ~ 1e160 squares past 1.8e308); "cast it to float64" would be
    # advice the user cannot follow
    x = np.random.default_rng(0).standard_normal((2, 3, 256)) * 1e160
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(ValueError) as info:
            welch_psd(x, 128)
    msg = str(info.value)
    assert "overflowed in float64" in msg and "Rescale X" in msg
    assert "cast" not in msg


def test_float32_segment_sum_overflow_raises():
    # |x| ~ 1e37: already the segment sums (means) overflow float32.
    x = np.full((1, 2, 256), 3e37, dtype=np.float32)
    x[0, 1, ::2] = -3e37
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(ValueError) as info:
            welch_psd(x, 128)
    msg = str(info.value)
    assert msg.startswith("welch_psd:") and "overflowed" in msg and "float64" in msg
    assert "3e+37" in msg


def test_float32_near_the_range_edge_is_finite_and_quiet():
    # Per-bin powers fit float32 but their sum over bins would not: no warning, finite PSD.
    x = (np.random.default_rng(5).standard_normal((1, 1, 256)) * 1.2e16).astype(np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _, psd = welch_psd(x, 128)
    ref = _scipy_welch(x, 128, 128)[1]
    np.testing.assert_allclose(psd, ref, rtol=1e-3, atol=1e-6 * ref.max())


def test_transformer_overflow_error_names_the_transformer():
    # With nan="impute" (the default) NaN signals are zeroed, but finite values whose float32
    # sums overflow are no NaN signal: the transformer must still raise, in its own name.
    from sk_prnet.eeg import BandPower

    x = np.full((2, 2, 256), 3e37, dtype=np.float32)
    x[:, :, ::2] = -3e37
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(ValueError) as info:
            BandPower(sfreq=128, ch_names=["Fz", "Cz"]).fit(x)
    msg = str(info.value)
    assert msg.startswith("BandPower:") and "overflowed" in msg and "float64" in msg
    assert "3e+37" in msg


@pytest.mark.parametrize("bad", [np.inf, -np.inf, np.nan])
def test_nonfinite_input_error_is_clean(bad):
    # inf - inf inside the detrend must not leak a RuntimeWarning before the ValueError.
    x = np.random.default_rng(0).standard_normal((2, 256))
    x[1, 40] = bad
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(ValueError, match=r"^welch_psd: X contains NaN or infinity"):
            welch_psd(x, 128)


@pytest.mark.parametrize("nperseg", [9, 15, 75])  # odd multiples of 3
def test_odd_segment_lengths_match_scipy(nperseg):
    x = np.random.default_rng(1).standard_normal((2, 3, 300)) + 5
    freqs, psd = welch_psd(x, 100, nperseg)
    ref_freqs, ref = _scipy_welch(x, 100, nperseg)
    np.testing.assert_array_equal(freqs, ref_freqs)
    np.testing.assert_allclose(psd, ref, rtol=1e-10, atol=1e-14 * ref.max())


def test_two_samples_are_enough():
    x = np.array([[1.0, 3.0], [2.0, -2.0]])
    freqs, psd = welch_psd(x, 10)
    ref_freqs, ref = _scipy_welch(x, 10, 2)
    np.testing.assert_array_equal(freqs, ref_freqs)
    np.testing.assert_allclose(psd, ref, rtol=1e-12)


def test_scalar_input_is_rejected_with_its_shape():
    with pytest.raises(ValueError, match=r"^welch_psd: .*at least 2 samples.*shape \(\)"):
        welch_psd(np.float64(3.0), 128)
    with pytest.raises(ValueError, match=r"^welch_psd: .*real array.*shape \(5, 1\)"):
        welch_psd(np.zeros((5, 1)), 128)


def test_welch_psd_errors_name_welch_psd():
    with pytest.raises(ValueError, match=r"^welch_psd: sfreq"):
        welch_psd(np.zeros(10), 0)
    with pytest.raises(ValueError, match=r"^welch_psd: nperseg"):
        welch_psd(np.zeros(10), 128, nperseg=2.5)
    with pytest.raises(ValueError, match=r"^welch_psd: the Welch segment"):
        welch_psd(np.zeros(10), 128, nperseg=1)


# --- flat signals and NaN imputation in the shared spectrum ---------------------------------


def test_flat_and_tiny_signals_in_one_call_are_told_apart():
    x = np.full((1, 2, 256), 1e4, dtype=np.float32)  # signal 0: constant
    x[0, 1, 100] = np.nextafter(np.float32(1e4), np.float32(2e4))  # signal 1: one ulp off
    spec = _welch_epochs(x, 128.0, 128)
    assert spec.flat.tolist() == [[True, False]]
    assert np.all(spec.psd[0, 0] == 0) and spec.psd[0, 1].max() > 0


def test_impute_mode_zeroes_and_marks_nonfinite_signals():
    x = np.random.default_rng(2).standard_normal((3, 2, 256))
    x[1, 0, 7] = np.nan
    x[2, 1, 200] = np.inf
    spec = _welch_epochs(x, 128.0, 128, nonfinite="impute")
    assert spec.nonfinite.tolist() == [[False, False], [True, False], [False, True]]
    assert np.all(spec.psd[1, 0] == 0) and np.all(spec.psd[2, 1] == 0)
    good = ~spec.nonfinite
    with np.errstate(invalid="ignore"):  # scipy's NaN rows, not compared
        ref = _scipy_welch(x, 128, 128)[1]
    np.testing.assert_allclose(spec.psd[good], ref[good], rtol=1e-10)


def test_nonfinite_message_counts_epochs_and_names_first():
    from sk_prnet.eeg import BandPower

    x = np.random.default_rng(3).standard_normal((4, 2, 256))
    x[1, 1, 3] = np.nan
    x[3, 1, 9] = np.nan
    est = BandPower(sfreq=128, ch_names=["Fz", "Cz"], nan="raise").fit(x[[0, 2]])
    with pytest.raises(ValueError, match=r"'Cz' of 2 epoch\(s\) \(first: epoch 1\)"):
        est.transform(x)


# --- check_bands --------------------------------------------------------------------------


def test_band_up_to_exactly_nyquist_is_allowed():
    assert check_bands({"all": (1, 64)}, 128, 128) == {"all": (1.0, 64.0)}


def test_check_bands_messages_carry_the_right_numbers():
    with pytest.raises(ValueError, match=r"^check_bands: .*sampled at >= 140 Hz"):
        check_bands({"gamma": (30, 70)}, 128, 128)
    # 16 samples at 128 Hz: 0.125 s, bins 8 Hz apart; 17 samples = 0.132812 s needed.
    with pytest.raises(ValueError) as info:
        check_bands({"theta": (4, 8)}, 128, 16)
    msg = str(info.value)
    assert msg.startswith("check_bands:")
    assert "(0.125 s)" in msg and re.search(r"\bare 8 Hz apart", msg)
    assert "17 samples (0.132812 s)" in msg


def test_check_bands_errors_name_the_owner():
    with pytest.raises(ValueError, match=r"^check_bands: sfreq"):
        check_bands({"a": (8, 12)}, -1, 128)
    with pytest.raises(ValueError, match=r"^check_bands: band 'a' must satisfy"):
        check_bands({"a": (12, 8)}, 128, 128)
    with pytest.raises(ValueError, match=r"^MyEstimator: "):
        check_bands({}, 128, 128, owner="MyEstimator")


@pytest.mark.parametrize(
    ("band", "nperseg", "needed"),
    [
        ((25.3, 25.7), 6, 10),  # 5 samples would put a bin in the band, 6..9 not
        ((14.5, 16.5), 62, 63),  # the answer is one below the search bound of 64
        ((10.2, 10.45), 128, 135),
    ],
)
def test_needed_length_is_the_smallest_above_nperseg(band, nperseg, needed):
    # Hand check (sfreq 128): bins k * 128 / n; e.g. n = 63: 8 * 128 / 63 = 16.25 in [14.5, 16.5).
    with pytest.raises(ValueError, match=rf"at least {needed} samples"):
        check_bands({"b": band}, 128, nperseg)
    check_bands({"b": band}, 128, needed)
    for n in range(nperseg, needed):
        with pytest.raises(ValueError, match="no frequency bin"):
            check_bands({"b": band}, 128, n)


# --- band_power / band_variance -------------------------------------------------------------


@pytest.mark.parametrize("n_bins", [2, 6])
def test_edge_tolerance_is_relative_to_the_bin_width(n_bins):
    # 100 Hz bins; bin 1 lands 5e-5 Hz (5e-7 bin widths) below 100 Hz, as rounding can put it:
    # within the documented 1e-6 bin widths, so it lies on the 100 Hz edge.
    freqs = np.arange(n_bins) * 100.0
    freqs[1] -= 5e-5
    psd = np.arange(1.0, n_bins + 1)
    out = band_power(psd, freqs, {"low": (0, 100), "up": (100, 150)})
    np.testing.assert_allclose(out, [1.0, 2.0])


def test_band_reaching_one_bin_past_the_grid():
    freqs = np.arange(65.0)
    psd = np.arange(65.0)
    # [60, 65) holds bins 60..64, the last one included: accepted.
    np.testing.assert_allclose(band_power(psd, freqs, {"top": (60, 65)}), [62.0])
    np.testing.assert_allclose(band_variance(psd, freqs, {"top": (60, 65)}), [310.0])
    with pytest.raises(ValueError, match=r"^band_power: .*not covered.*\(0-64 Hz in steps"):
        band_power(psd, freqs, {"b": (60, 65.5)})
    # A band reaching far past the grid is rejected even though it holds bins.
    with pytest.raises(ValueError, match=r"^band_power: .*not covered.*\(0-10 Hz in steps"):
        band_power(psd[:11], freqs[:11], {"b": (5, 45)})


def test_two_bin_grid_works():
    out = band_variance(np.array([[1.0, 3.0]]), [0.0, 50.0], {"all": (0, 100)})
    np.testing.assert_allclose(out, [[(1.0 + 3.0) * 50.0]])


@pytest.mark.parametrize("reduce", [band_power, band_variance])
def test_band_reduction_errors_name_the_function(reduce):
    name = reduce.__name__
    with pytest.raises(ValueError, match=rf"^{name}: psd's last axis \(\(10,\) bins\)"):
        reduce(np.ones((2, 3, 10)), np.arange(11.0))
    with pytest.raises(ValueError, match=rf"^{name}: .*1-D grid"):
        reduce(np.ones((3, 65)), np.arange(65.0).reshape(65, 1))
    with pytest.raises(ValueError, match=rf"^{name}: .*1-D grid"):
        reduce(np.ones((2, 1)), [0.0])
    with pytest.raises(ValueError, match=rf"^{name}: band 'x' must satisfy"):
        reduce(np.ones(11), np.arange(11.0), {"x": (5, 2)})
    with pytest.raises(ValueError, match=rf"^{name}: band 'g' .*not covered"):
        reduce(np.ones(11), np.arange(11.0), {"g": (30, 45)})
