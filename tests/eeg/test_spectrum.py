"""Tests of the shared Welch spectrum and the band reductions (sk_prnet.eeg.spectrum)."""

import doctest

import numpy as np
import pytest
import scipy.fft
import scipy.signal

import sk_prnet.eeg.spectrum as spectrum_module
from sk_prnet.eeg import PAPER_BANDS, band_power, band_variance, check_bands, welch_psd
from sk_prnet.eeg.spectrum import _band_mask, _welch_epochs


def _scipy_welch(x, sfreq, nperseg):
    nperseg = min(nperseg, x.shape[-1])
    return scipy.signal.welch(
        np.asarray(x, dtype=np.float64),
        fs=sfreq,
        window="hann",
        nperseg=nperseg,
        noverlap=nperseg // 2,
        axis=-1,
    )


@pytest.mark.parametrize(
    ("shape", "sfreq", "nperseg"),
    [
        ((3, 4, 256), 128, None),  # DEAP window: 3 segments of 1 s
        ((2, 3, 300), 100, 37),  # odd segment, 13 samples not covered by any segment
        ((2, 2, 1000), 250, 250),
        ((2, 2, 129), 128, 64),
        ((2, 2, 100), 128, None),  # nperseg capped at n_times: one segment
        ((7,), 128, 4),
        ((2, 3, 4, 64), 32, 16),  # any number of leading axes
    ],
)
def test_welch_psd_matches_scipy_welch(shape, sfreq, nperseg):
    rng = np.random.default_rng(0)
    x = rng.standard_normal(shape) * 7 + 3  # with a DC offset, removed by the detrend
    freqs, psd = welch_psd(x, sfreq, nperseg)
    ref_freqs, ref_psd = _scipy_welch(x, sfreq, nperseg or round(sfreq))
    np.testing.assert_array_equal(freqs, ref_freqs)
    assert psd.shape == ref_psd.shape and psd.dtype == np.float64
    np.testing.assert_allclose(psd, ref_psd, rtol=1e-10, atol=1e-14 * ref_psd.max())

    freqs32, psd32 = welch_psd(x.astype(np.float32), sfreq, nperseg)
    assert psd32.dtype == np.float32
    ref32 = _scipy_welch(x.astype(np.float32), sfreq, nperseg or round(sfreq))[1]
    np.testing.assert_allclose(psd32, ref32, rtol=1e-4, atol=1e-6 * ref32.max())


def test_welch_psd_integer_input_is_float64():
    x = np.arange(256).reshape(1, 256) % 7
    _, psd = welch_psd(x, 128)
    assert psd.dtype == np.float64
    np.testing.assert_allclose(psd, _scipy_welch(x, 128, 128)[1], rtol=1e-10, atol=1e-15)


def test_default_segment_is_one_second():
    freqs, _ = welch_psd(np.zeros(1000), sfreq=250)
    assert len(freqs) == 126  # nperseg = 250 -> 1 Hz bins
    np.testing.assert_allclose(np.diff(freqs), 1.0)


@pytest.mark.parametrize("nperseg", [100, 37])  # even: half-block means; odd: direct means
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("value", [0.0, 3.7, -1e4, 123456.789])
def test_constant_signal_has_exactly_zero_psd(dtype, value, nperseg):
    x = np.random.default_rng(1).standard_normal((3, 2, 300)).astype(dtype)
    x[1, 0] = value
    spec = _welch_epochs(x, 100.0, nperseg)
    assert spec.flat.tolist() == [[False, False], [True, False], [False, False]]
    assert np.all(spec.psd[1, 0] == 0)
    assert np.all(spec.psd[~spec.flat] > 0)


def test_tiny_but_nonconstant_signal_is_not_flat():
    # One sample one ulp away from a large constant: power is tiny but not zero.
    x = np.full((1, 1, 256), 1e4, dtype=np.float32)
    x[0, 0, 100] = np.nextafter(np.float32(1e4), np.float32(2e4))
    spec = _welch_epochs(x, 128.0, 128)
    assert not spec.flat.any()
    assert spec.psd[0, 0, 5] > 0


def test_float32_loses_nothing_measurable_even_with_dc_offset():
    """float32 and float64 computation of the same float32 input agree to ~1e-6 relative."""
    rng = np.random.default_rng(2)
    sig = rng.standard_normal((20, 4, 256))
    for offset in (0.0, 1e4):
        x32 = (sig + offset).astype(np.float32)
        _, p32 = welch_psd(x32, 128)
        _, p64 = welch_psd(x32.astype(np.float64), 128)
        bp32 = band_power(p32, np.arange(65.0), PAPER_BANDS)
        bp64 = band_power(p64, np.arange(65.0), PAPER_BANDS)
        np.testing.assert_allclose(np.log10(bp32), np.log10(bp64), atol=1e-5)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_nonfinite_input_raises(bad):
    x = np.zeros((2, 3, 256))
    x[1, 2, 17] = bad
    with pytest.raises(ValueError, match=r"NaN or infinity in 1 signal"):
        welch_psd(x, 128)


def test_nonfinite_in_samples_no_segment_covers_still_raises():
    x = np.random.default_rng(0).standard_normal((1, 1, 300))
    x[0, 0, -1] = np.nan  # nperseg=100, step=50: the last segment ends at sample 300 ... 299
    welch_psd(np.delete(x, -1, axis=-1), 100)
    y = np.random.default_rng(0).standard_normal((1, 1, 320))
    y[0, 0, -1] = np.nan  # samples 300..319 are not in any segment
    with pytest.raises(ValueError, match="NaN or infinity"):
        welch_psd(y, 100)


@pytest.mark.parametrize(
    ("x", "match"),
    [
        (np.zeros((2, 1)), "at least 2 samples"),
        (np.zeros(3, dtype=complex), "real array"),
        (np.array(["a", "b"]), "real array"),
    ],
)
def test_welch_psd_rejects_bad_input(x, match):
    with pytest.raises(ValueError, match=match):
        welch_psd(x, 128)


@pytest.mark.parametrize(("sfreq", "match"), [(0, "sfreq"), (-1.0, "sfreq"), (np.nan, "sfreq")])
def test_welch_psd_rejects_bad_sfreq(sfreq, match):
    with pytest.raises(ValueError, match=match):
        welch_psd(np.zeros(10), sfreq)


def test_welch_psd_rejects_bad_nperseg():
    with pytest.raises(ValueError, match="at least 2 samples"):
        welch_psd(np.zeros(10), 128, nperseg=1)
    with pytest.raises(ValueError, match="integer"):
        welch_psd(np.zeros(10), 128, nperseg=2.5)


def test_band_power_and_variance_against_masks():
    rng = np.random.default_rng(3)
    x = rng.standard_normal((5, 3, 512))
    freqs, psd = welch_psd(x, 128)
    bp = band_power(psd, freqs)
    bv = band_variance(psd, freqs)
    assert bp.shape == bv.shape == (5, 3, 5)
    df = freqs[1] - freqs[0]
    for j, (lo, hi) in enumerate(PAPER_BANDS.values()):
        mask = (freqs >= lo) & (freqs < hi)
        np.testing.assert_allclose(bp[..., j], psd[..., mask].mean(axis=-1), rtol=1e-12)
        np.testing.assert_allclose(bv[..., j], psd[..., mask].sum(axis=-1) * df, rtol=1e-12)


def test_band_edges_are_half_open():
    freqs = np.arange(65.0)
    psd = np.zeros(65)
    psd[8] = 1.0  # exactly on the theta/alpha edge
    out = band_power(psd, freqs, {"theta": (4, 8), "alpha": (8, 12)})
    np.testing.assert_allclose(out, [0.0, 0.25])


def test_band_variance_of_white_noise_is_parseval():
    rng = np.random.default_rng(4)
    s = 3.0
    x = s * rng.standard_normal((8, 4, 128 * 60))
    freqs, psd = welch_psd(x, 128)
    var = band_variance(psd, freqs, {"all": (0, 64), "beta": (12, 30)})
    # Whole band (minus the removed DC and the Nyquist bin): the signal's variance.
    np.testing.assert_allclose(var[..., 0].mean(), s**2, rtol=0.02)
    np.testing.assert_allclose(var[..., 1].mean(), s**2 * 18 / 64, rtol=0.02)


def test_bin_tolerance_for_inexact_rfftfreq():
    # rfftfreq(103, 1/103) is not exactly integral: bin 8 is 8.000000000000002.
    freqs = scipy.fft.rfftfreq(103, 1 / 103)
    assert not np.array_equal(freqs, np.arange(52.0))
    assert np.flatnonzero(_band_mask(freqs, 4, 8)).tolist() == [4, 5, 6, 7]
    assert np.flatnonzero(_band_mask(freqs, 8, 12)).tolist() == [8, 9, 10, 11]
    # An ulp below an edge counts as on the edge too.
    below = np.arange(52.0) * (1 - 4 * np.finfo(float).eps)
    assert below[8] < 8
    assert np.flatnonzero(_band_mask(below, 4, 8)).tolist() == [4, 5, 6, 7]
    assert np.flatnonzero(_band_mask(below, 8, 12)).tolist() == [8, 9, 10, 11]


def test_check_bands_defaults_and_order():
    bands = check_bands(None, 128, 128)
    assert list(bands) == ["theta", "slow_alpha", "alpha", "beta", "gamma"]
    assert bands["gamma"] == (30.0, 45.0)
    assert list(check_bands({"b": (12, 30), "a": (8, 12)}, 128, 128)) == ["b", "a"]


@pytest.mark.parametrize(
    ("bands", "sfreq", "nperseg", "match"),
    [
        ({"gamma": (30, 70)}, 128, 128, r"band 'gamma' \(30-70 Hz\).*Nyquist frequency 64 Hz"),
        ({"hi": (30, 64.5)}, 128, 128, r"'hi'.*Nyquist frequency 64 Hz"),
        # 0.25 Hz wide band, 1 Hz bins: 11 * 128 / 135 = 10.43 Hz is the first bin inside.
        ({"narrow": (10.2, 10.45)}, 128, 128, r"'narrow'.*no frequency bin.*at least 135 "),
        # 8 Hz bins jump over [4, 8); with 17 samples a bin falls at 7.53 Hz.
        ({"theta": (4, 8)}, 128, 16, r"'theta'.*no frequency bin.*8 Hz apart.*at least 17 "),
        ({"rev": (12, 8)}, 128, 128, r"'rev' must satisfy 0 <= lo < hi"),
        ({"eq": (8, 8)}, 128, 128, r"'eq' must satisfy 0 <= lo < hi"),
        ({"neg": (-1, 4)}, 128, 128, r"'neg' must satisfy 0 <= lo < hi"),
        ({"nan": (np.nan, 4)}, 128, 128, r"'nan' must satisfy"),
        ({"one": (4,)}, 128, 128, r"'one' must be a \(lo, hi\) pair"),
        ({"txt": "4-8"}, 128, 128, r"'txt' must be a \(lo, hi\) pair"),
        ({}, 128, 128, "non-empty dict"),
        ([(4, 8)], 128, 128, "non-empty dict"),
        ({3: (4, 8)}, 128, 128, "band names must be non-empty strings"),
    ],
)
def test_check_bands_errors(bands, sfreq, nperseg, match):
    with pytest.raises(ValueError, match=match):
        check_bands(bands, sfreq, nperseg)


def test_no_bin_message_gives_a_length_that_works():
    with pytest.raises(ValueError, match="at least") as info:
        check_bands({"narrow": (10.2, 10.45)}, 128, 128)
    needed = int(str(info.value).split("at least ")[1].split(" ")[0])
    check_bands({"narrow": (10.2, 10.45)}, 128, needed)  # now valid
    with pytest.raises(ValueError):
        check_bands({"narrow": (10.2, 10.45)}, 128, needed - 1)


def test_band_reduction_input_errors():
    with pytest.raises(ValueError, match="must match freqs"):
        band_power(np.ones((2, 10)), np.arange(11.0))
    with pytest.raises(ValueError, match="not covered by the frequency grid"):
        band_power(np.ones((2, 11)), np.arange(11.0), {"gamma": (30, 45)})
    with pytest.raises(ValueError, match="must satisfy"):
        band_variance(np.ones((2, 11)), np.arange(11.0), {"x": (5, 2)})


def test_float32_psd_gives_float32_bands():
    freqs = np.arange(65.0)
    psd = np.ones((3, 65), dtype=np.float32)
    assert band_power(psd, freqs).dtype == np.float32
    assert band_variance(psd.astype(np.float64), freqs).dtype == np.float64


def test_docstring_examples():
    result = doctest.testmod(
        spectrum_module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
    )
    assert result.attempted > 0
    assert result.failed == 0
