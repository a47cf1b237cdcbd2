"""``authors_features`` and its filters called directly, at their defaults and their edges.

The recipe tests (``test_authors_recipe.py``) see the features only after the per-trial
baseline is subtracted, so a constant offset or a wrong default that shifts window and baseline
alike cancels there. Here the raw window and baseline features are compared with the script's
computation redone from ``scipy.signal`` (Welch with ``nperseg=fs``, dB per 1 Hz bin, mean over
inclusive bins; MNE's default FIR band-pass worked out by hand from its documented defaults;
DE = 0.5 * log10(2 pi e var)), as /work/shared/formats.md describes the script.
"""

import warnings

import numpy as np
import pytest
import scipy.signal

from sk_prnet.eeg.authors import (
    AUTHORS_KINDS,
    authors_features,
    firwin_bandpass,
    zero_phase_fir,
)
from sk_prnet.eeg.montage import DEAP_EEG_CHANNELS

FS = 128
PRE = 384  # the default pre-trial segment: 3 s
TRIAL = 5 * FS  # range(0, 640 - 256, 32): 12 windows
CH = list(DEAP_EEG_CHANNELS)
# The script's bands as inclusive 1 Hz bins (bin index = Hz with nperseg = fs).
BINS = {"theta": (4, 7), "slow_alpha": (8, 10), "alpha": (8, 13), "beta": (14, 29),
        "gamma": (30, 45)}  # fmt: skip


def _recordings(n_trials=2, n_channels=32, n_samples=PRE + TRIAL, seed=0):
    """Noise plus a per-channel rhythm, with a pre-trial gain unlike the trial's."""
    rng = np.random.default_rng(seed)
    t = np.arange(n_samples) / FS
    rec = rng.standard_normal((n_trials, n_channels, n_samples))
    rec += 2 * np.sin(2 * np.pi * (5 + np.arange(n_channels) % 20)[:, None] * t)
    rec[..., :PRE] *= 3.0
    return rec


def _db_bands(x, bins=BINS):
    """Band powers as the script computes them: Welch, dB per bin, mean over the bins."""
    _, psd = scipy.signal.welch(x, fs=FS, nperseg=FS)
    db = 10 * np.log10(psd)
    return {b: db[..., lo : hi + 1].mean(-1) for b, (lo, hi) in bins.items()}


def _two_lowpasses(n, upper, lower):
    """A band-pass as MNE builds it: the upper low-pass minus the lower one, both centred."""
    h = np.zeros(n)
    for (m, cutoff), sign in ((upper, 1), (lower, -1)):
        off = (n - m) // 2
        h[off : n - off] += sign * scipy.signal.firwin(m, cutoff, window="hamming", fs=FS)
    return h


# theta 4-8 Hz at 128 Hz: 2 Hz transitions -> 213 taps, low-passes of 211 taps at 9 and 3 Hz
THETA_FIR = _two_lowpasses(213, (211, 9.0), (211, 3.0))


def _padded_by_hand(row, n_edge):
    """MNE's "reflect_limited" padding: 2 * x[0] - x[k] on the left, mirrored on the right."""
    n = len(row)
    left = [2 * row[0] - row[k] for k in range(n_edge, 0, -1)]
    right = [2 * row[-1] - row[n - 1 - k] for k in range(1, n_edge + 1)]
    return np.array(left + list(row) + right)


def _zero_phase_by_hand(row, h):
    """y[i] = sum_j h[j] * z[i + half - j] over the padded signal z (zero beyond it)."""
    n, half = len(row), (len(h) - 1) // 2
    n_edge = max(min(len(h), n) - 1, 0)
    z = np.concatenate([np.zeros(len(h)), _padded_by_hand(row, n_edge), np.zeros(len(h))])
    y = np.zeros(n)
    for j, hj in enumerate(h):  # y[i] += h[j] * z[i + n_edge + half - j], all i at once
        start = len(h) + n_edge + half - j
        y += hj * z[start : start + n]
    return y


def _de(x):
    return 0.5 * np.log10(2 * np.pi * np.e * np.var(x, axis=-1))


# --- the defaults are the script's ---------------------------------------------------------


def test_default_call_gives_the_scripts_psd_and_asymmetry_per_window_and_baseline():
    rec = _recordings()
    F, base, names = authors_features(rec)
    # 128 Hz, 3 s pre-trial, 2 s windows every 0.25 s, 2 s baseline, the script's bins
    assert F.shape == (2, 12, 46 * 5) and base.shape == (2, 46 * 5)
    assert F.dtype == np.float64 and base.dtype == np.float64
    assert names.dtype == object  # like scikit-learn's get_feature_names_out
    names = list(names)
    f3, f4, o2 = CH.index("F3"), CH.index("F4"), CH.index("O2")
    for t, k in [(0, 0), (1, 11), (1, 5)]:
        win = _db_bands(rec[t, :, PRE + 32 * k : PRE + 32 * k + 256])
        bl = _db_bands(rec[t, :, PRE - 256 : PRE])
        for band in BINS:
            assert F[t, k, names.index(f"psd_O2_{band}")] == pytest.approx(win[band][o2])
            assert base[t, names.index(f"psd_O2_{band}")] == pytest.approx(bl[band][o2])
            asym = F[t, k, names.index(f"asym_F3-F4_{band}")]
            assert asym == pytest.approx(win[band][f3] - win[band][f4])
            assert base[t, names.index(f"asym_F3-F4_{band}")] == pytest.approx(
                bl[band][f3] - bl[band][f4]
            )


def test_differential_entropy_is_half_log10_of_2_pi_e_times_the_variance():
    rec = _recordings(n_trials=1)
    F, base, names = authors_features(rec, kinds=("de", "de_asym"))
    assert F.shape == (1, 12, 46 * 5)
    names = list(names)
    filtered = np.array([_zero_phase_by_hand(row, THETA_FIR) for row in rec[0, :4]])
    # the whole recording is filtered, then cut: window 3 and the last 2 s of the pre-trial
    win = _de(filtered[:, PRE + 96 : PRE + 96 + 256])
    bl = _de(filtered[:, PRE - 256 : PRE])
    for c in range(4):
        assert F[0, 3, names.index(f"de_{CH[c]}_theta")] == pytest.approx(win[c], abs=1e-9)
        assert base[0, names.index(f"de_{CH[c]}_theta")] == pytest.approx(bl[c], abs=1e-9)


@pytest.mark.parametrize("kind", AUTHORS_KINDS)
def test_each_kind_alone_is_its_block_of_all_four(kind):
    rec = _recordings(n_trials=1, n_samples=PRE + 300)  # 300 - 256 = 44 samples: 2 windows
    F_all, base_all, names_all = authors_features(rec, kinds=AUTHORS_KINDS)
    F, base, names = authors_features(rec, kinds=(kind,))
    block = np.array([n.startswith(kind + "_") and (kind.endswith("asym") or "-" not in n)
                      for n in names_all])  # fmt: skip
    assert list(names) == list(names_all[block])
    np.testing.assert_array_equal(F, F_all[..., block])
    np.testing.assert_array_equal(base, base_all[:, block])
    # a single kind may be given as a string
    F_str, _, names_str = authors_features(rec, kinds=kind)
    assert list(names_str) == list(names)
    np.testing.assert_array_equal(F_str, F)


def test_custom_channels_pairs_and_bands_name_and_compute_the_features():
    rec = _recordings(n_trials=1, n_channels=3)
    bands = {"lo": (4.0, 8.0), "hi": (20.0, 30.0)}  # inclusive bins 4-7 and 20-29
    F, base, names = authors_features(
        rec, kinds=("psd", "asym", "de", "de_asym"), ch_names=["A", "B", "C"],
        pairs=[("C", "A")], bands=bands, de_bands={"th": (4.0, 8.0)},
    )  # fmt: skip
    assert list(names) == [
        "psd_A_lo", "psd_A_hi", "psd_B_lo", "psd_B_hi", "psd_C_lo", "psd_C_hi",
        "asym_C-A_lo", "asym_C-A_hi", "de_A_th", "de_B_th", "de_C_th", "de_asym_C-A_th",
    ]  # fmt: skip
    win = _db_bands(rec[0, :, PRE + 64 : PRE + 64 + 256], {"lo": (4, 7), "hi": (20, 29)})
    np.testing.assert_allclose(F[0, 2, [1, 3, 5]], win["hi"], rtol=1e-10)
    assert F[0, 2, 7] == pytest.approx(win["hi"][2] - win["hi"][0])
    filtered = np.array([_zero_phase_by_hand(row, THETA_FIR) for row in rec[0]])
    bl = _de(filtered[:, PRE - 256 : PRE])
    np.testing.assert_allclose(base[0, 8:11], bl, atol=1e-9)
    assert base[0, 11] == pytest.approx(bl[2] - bl[0], abs=1e-9)


def test_float32_and_integer_recordings_are_computed_in_float64():
    rec = np.round(_recordings(n_trials=1, n_samples=PRE + 300) * 100)
    want, want_base, _ = authors_features(rec, kinds=AUTHORS_KINDS)
    for cast in (np.float32, np.int32):
        F, base, _ = authors_features(rec.astype(cast), kinds=AUTHORS_KINDS)
        assert F.dtype == np.float64 and base.dtype == np.float64
        # the values are exact in both types: the features must not lose precision
        np.testing.assert_allclose(F, want, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(base, want_base, rtol=1e-12, atol=1e-12)


# --- windows, step and baseline at their edges ----------------------------------------------


@pytest.mark.parametrize("step", [0.001, 1 / (3 * FS), 0.0, -0.25])
def test_a_step_under_one_sample_is_a_clear_error(step):
    # 0.001 s at 128 Hz rounds to 0 samples; this used to raise ZeroDivisionError
    with pytest.raises(ValueError, match=rf"authors_features: .*step={step} s.*one sample"):
        authors_features(_recordings(n_trials=1), step=step)


def test_a_step_of_one_sample_takes_every_start():
    rec = _recordings(n_trials=1, n_channels=2, n_samples=PRE + 266)
    F, _, names = authors_features(rec, step=1 / FS, ch_names=["A", "B"], pairs=[("A", "B")])
    assert F.shape[1] == 266 - 256  # range(0, 10, 1)
    win = _db_bands(rec[0, :, PRE + 7 : PRE + 7 + 256])
    assert F[0, 7, list(names).index("psd_B_beta")] == pytest.approx(win["beta"][1])


def test_a_trial_one_sample_longer_than_the_window_holds_one_window():
    kw = dict(ch_names=["A", "B"], pairs=[("A", "B")])
    F, _, _ = authors_features(_recordings(n_trials=1, n_channels=2, n_samples=PRE + 257), **kw)
    assert F.shape[:2] == (1, 1)
    # range(0, 0, 32) is empty: the script skips a trial exactly one window long
    with pytest.raises(ValueError, match=r"trials of 256 samples hold no window of 256"):
        authors_features(_recordings(n_trials=1, n_channels=2, n_samples=PRE + 256), **kw)


def test_the_smallest_window_and_baseline_are_two_samples():
    rec = _recordings(n_trials=1, n_channels=2)
    kw = dict(ch_names=["A", "B"], pairs=[("A", "B")], bands={"all": (0.0, 64.0)})
    F, base, _ = authors_features(rec, kinds=("psd",), window=2 / FS, baseline_seconds=2 / FS,
                                  **kw)  # fmt: skip
    assert F.shape == (1, len(range(0, TRIAL - 2, 32)), 2)
    # with two samples Welch has the bins 0 and 64 Hz; [0, 64) holds the first only
    _, psd = scipy.signal.welch(rec[0, :, PRE - 2 : PRE], fs=FS, nperseg=2)
    np.testing.assert_allclose(base[0], 10 * np.log10(psd[:, 0]), rtol=1e-10)
    with pytest.raises(ValueError, match=r"authors_features: .*no window of 1 samples"):
        authors_features(rec, kinds=("psd",), window=1 / FS, baseline_seconds=2 / FS, **kw)
    with pytest.raises(ValueError, match=r"authors_features: baseline_seconds=.* got 1\b"):
        authors_features(rec, kinds=("psd",), window=2 / FS, baseline_seconds=1 / FS, **kw)


def test_the_baseline_may_be_the_whole_pre_trial_but_not_more():
    rec = _recordings(n_trials=1)
    _, base, names = authors_features(rec, baseline_seconds=3.0)
    want = _db_bands(rec[0, :, :PRE])["alpha"][CH.index("Cz")]
    assert base[0, list(names).index("psd_Cz_alpha")] == pytest.approx(want)
    with pytest.raises(ValueError, match=r"baseline_seconds=4\.0 .*384 samples.*got 512"):
        authors_features(rec, baseline_seconds=4.0)


@pytest.mark.parametrize(
    "kw",
    [
        dict(bands={"narrow": (4.2, 4.8)}),  # no bin of the 1 Hz grid in [4.2, 4.8)
        dict(bands={"odd": (5.0, 6.0)}, window=0.5),  # 0.5 s windows: bins 2 Hz apart
        dict(bands={"odd": (5.0, 6.0)}, baseline_seconds=0.5),  # so in a 0.5 s baseline
    ],
    ids=["one-second-segments", "short-window", "short-baseline"],
)
def test_a_band_without_a_bin_of_the_window_or_baseline_is_an_error(kw):
    with pytest.raises(ValueError, match=r"authors_features: band '\w+'.*no frequency bin"):
        authors_features(_recordings(n_trials=1), **kw)


# --- errors say what is wrong ---------------------------------------------------------------


@pytest.mark.parametrize("kinds", [("psd", "bogus"), (), ("de", "de")])
def test_bad_kinds_are_a_clear_error(kinds):
    with pytest.raises(ValueError, match=r"authors_features: kinds must .*distinct.*got"):
        authors_features(_recordings(n_trials=1), kinds=kinds)


def test_bad_input_errors_name_the_function_and_the_problem():
    rec = _recordings(n_trials=1)
    with pytest.raises(ValueError, match=r"authors_features: .*3-D.*\(32, 1024\)"):
        authors_features(rec[0])
    with pytest.raises(ValueError, match=r"authors_features: sfreq .* got 0"):
        authors_features(rec, sfreq=0)
    with pytest.raises(ValueError, match=r"authors_features: .*NaN"):
        authors_features(np.where(np.arange(rec.shape[-1]) == 500, np.nan, rec))
    with pytest.raises(ValueError, match=r"authors_features: 32 channel names for 31 channels"):
        authors_features(rec[:, :31])
    with pytest.raises(ValueError, match=r"authors_features: unknown channel.*'X'"):
        authors_features(rec, pairs=[("Fp1", "X")])
    with pytest.raises(ValueError, match=r"authors_features: band 'g'.*Nyquist"):
        authors_features(rec, bands={"g": (30.0, 80.0)})


def test_a_flat_channel_names_only_itself_and_the_fix_without_warnings():
    rec = _recordings()
    rec[1, 20] = 0.5  # F8, flat over the whole recording
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no divide-by-zero RuntimeWarning on the way
        with pytest.raises(ValueError, match=r"'F8' of trial 1 have zero power") as err:
            authors_features(rec)
    assert "'Fp1'" not in str(err.value) and "'FC1'" not in str(err.value)
    assert "flat='impute'" in str(err.value)  # the parameter a user would pass


def test_a_flat_channel_inside_the_others_range_is_caught_for_de():
    rec = _recordings() * 10
    rec[0, 3, PRE:] = 0.5  # F7 flat during the trial, at a value the others cross
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(ValueError, match=r"'F7' of trial 0 have zero variance") as err:
            authors_features(rec, kinds=("de_asym",))
    assert "'Fp1'" not in str(err.value)


# --- the FIR filter and its zero-phase application -----------------------------------------


def test_firwin_bandpass_passes_its_band_with_unit_gain():
    h = firwin_bandpass(4.0, 8.0, FS)
    np.testing.assert_allclose(h, THETA_FIR, atol=1e-15)
    _, resp = scipy.signal.freqz(h, worN=[0.0, 6.0, 20.0], fs=FS)
    # the filter is symmetric around its centre: remove the linear phase of its delay
    gain = (resp * np.exp(1j * 2 * np.pi * np.array([0.0, 6.0, 20.0]) / FS * 106)).real
    assert gain[1] == pytest.approx(1.0, abs=0.01)  # +1, not -1, in the pass band
    assert abs(gain[0]) < 0.01 and abs(gain[2]) < 0.01


@pytest.mark.parametrize(
    "band, want",
    [
        # 0.5-4 Hz: transitions min(max(0.125, 2), 0.5) = 0.5 below (down to 0 Hz) and 2 above
        # -> ceil(3.3 * 128 / 0.5) = 845 taps; low-passes (211 taps, 5 Hz) - (845, 0.25 Hz)
        ((0.5, 4.0), (845, (211, 5.0), (845, 0.25))),
        # 30-60 Hz: transitions 7.5 below and min(15, 64 - 60) = 4 above (up to Nyquist)
        # -> ceil(105.6) = 106, odd 107 taps; low-passes (107, 62 Hz) - (57, 26.25 Hz)
        ((30.0, 60.0), (107, (107, 62.0), (57, 26.25))),
    ],
)
def test_firwin_bandpass_with_a_transition_band_reaching_0_hz_or_nyquist(band, want):
    np.testing.assert_allclose(firwin_bandpass(*band, FS), _two_lowpasses(*want), atol=1e-15)


def test_firwin_bandpass_refuses_an_empty_band_and_a_bad_sfreq():
    with pytest.raises(ValueError, match=r"0 < l_freq < h_freq < sfreq / 2.*l_freq=8\.0"):
        firwin_bandpass(8.0, 8.0, FS)
    with pytest.raises(ValueError, match=r"firwin_bandpass: sfreq .* got -1"):
        firwin_bandpass(4.0, 8.0, -1)


@pytest.mark.parametrize("n_times", [40, 300])
def test_zero_phase_fir_matches_the_padded_convolution_at_every_sample(n_times):
    rng = np.random.default_rng(3)
    x = rng.standard_normal((3, n_times)).cumsum(axis=-1)  # a drift makes the edges matter
    half = rng.standard_normal(4)
    for h in (np.concatenate([half, half[-2::-1]]), THETA_FIR):  # 7 taps; 213 taps
        want = np.array([_zero_phase_by_hand(row, h) for row in x])
        np.testing.assert_allclose(zero_phase_fir(x, h), want, rtol=1e-9, atol=1e-9)
        # any leading shape: one signal, or (trials, channels, times)
        np.testing.assert_allclose(zero_phase_fir(x[1], h), want[1], rtol=1e-9, atol=1e-9)
        x3 = np.stack([x, x[::-1]])
        want3 = np.stack([want, want[::-1]])
        np.testing.assert_allclose(zero_phase_fir(x3, h), want3, rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("n_times", [1, 2, 4, 9])
def test_zero_phase_fir_of_a_signal_shorter_than_the_filter(n_times):
    # the padding reflects only what the signal holds (n_times - 1 samples), zeros beyond
    h = scipy.signal.firwin(13, 20.0, fs=FS)
    x = np.random.default_rng(4).standard_normal((2, n_times)) + 3.0
    want = np.array([_zero_phase_by_hand(row, h) for row in x])
    np.testing.assert_allclose(zero_phase_fir(x, h), want, rtol=1e-12, atol=1e-12)


def test_zero_phase_fir_computes_in_float64():
    x = np.random.default_rng(5).standard_normal((2, 300))
    x[:, 0], x[:, -1] = 1e4, -1e4  # 2 * x[0] - x[k] is not exact in float32
    x32, h32 = x.astype(np.float32), THETA_FIR.astype(np.float32)
    want = zero_phase_fir(x32.astype(np.float64), h32.astype(np.float64))
    got = zero_phase_fir(x32, h32)
    assert got.dtype == np.float64
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-9)
