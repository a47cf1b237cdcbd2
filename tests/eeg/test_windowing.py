"""Tests of sk_prnet.eeg.windowing.sliding_windows."""

import doctest

import numpy as np
import pytest

import sk_prnet.eeg.windowing as windowing_module
from sk_prnet.eeg import sliding_windows


def _trials(n_trials=3, n_channels=4, n_samples=1000, dtype=np.float64, seed=0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n_trials, n_channels, n_samples)).astype(dtype)


def test_deap_trial_counts_with_quarter_second_step():
    # 60 s at 128 Hz, 2 s windows every 0.25 s: (7680 - 256) / 32 + 1 = 233 windows per trial.
    x = np.zeros((2, 3, 60 * 128), dtype=np.float32)
    w, trial = sliding_windows(x, sfreq=128, window=2.0, step=0.25)
    assert w.shape == (2 * 233, 3, 256)
    assert w.dtype == np.float32
    assert trial.shape == (2 * 233,)
    assert np.array_equal(trial, np.repeat([0, 1], 233))


@pytest.mark.parametrize(
    ("n_samples", "window", "step", "expected"),
    [
        (512, 2.0, None, 2),  # no overlap by default
        (600, 2.0, None, 2),  # the 88-sample remainder is dropped
        (512, 2.0, 1.0, 3),  # 50 % overlap
        (256, 2.0, 0.5, 1),  # window == trial length
        (60 * 128, 2.0, 2.0, 30),  # DEAP: 30 non-overlapping 2 s windows per minute
        (512, 1.0, 3.0, 2),  # step longer than the window: gaps between windows
    ],
)
def test_window_counts(n_samples, window, step, expected):
    x = np.zeros((3, 2, n_samples))
    w, trial = sliding_windows(x, sfreq=128, window=window, step=step)
    assert w.shape == (3 * expected, 2, int(round(window * 128)))
    assert np.bincount(trial).tolist() == [expected] * 3


def test_content_equals_manual_slicing():
    x = _trials(n_trials=3, n_channels=4, n_samples=1000)
    sfreq, window, step = 100.0, 1.5, 0.4  # 150-sample windows every 40 samples
    w, trial = sliding_windows(x, sfreq=sfreq, window=window, step=step)
    starts = range(0, 1000 - 150 + 1, 40)
    manual = [x[i, :, s : s + 150] for i in range(3) for s in starts]
    assert w.shape == (len(manual), 4, 150)
    for got, want in zip(w, manual):
        np.testing.assert_array_equal(got, want)
    assert np.array_equal(trial, np.repeat(np.arange(3), len(starts)))


def test_windows_are_independent_copies():
    x = _trials()
    w, _ = sliding_windows(x, sfreq=100, window=1.0)
    assert w.flags.c_contiguous
    assert not np.shares_memory(w, x)
    w[0, 0, 0] = 1e9
    assert x[0, 0, 0] != 1e9


def test_list_input_is_accepted():
    x = _trials(n_trials=2, n_channels=1, n_samples=20)
    w, trial = sliding_windows(x.tolist(), sfreq=10, window=1.0)
    np.testing.assert_array_equal(
        w, x.reshape(2, 1, 2, 10).transpose(0, 2, 1, 3).reshape(4, 1, 10)
    )
    assert trial.tolist() == [0, 0, 1, 1]


def test_labels_are_repeated_per_window():
    x = _trials(n_trials=3, n_samples=512)
    labels = np.array([5, 7, 9])
    w, trial, y = sliding_windows(x, sfreq=128, window=1.0, step=0.5, labels=labels)
    n_per_trial = (512 - 128) // 64 + 1
    assert y.tolist() == [5] * n_per_trial + [7] * n_per_trial + [9] * n_per_trial
    assert np.array_equal(y, labels[trial])
    assert len(y) == len(w)


def test_multi_column_labels_keep_their_columns():
    x = _trials(n_trials=2, n_samples=256)
    labels = np.array([[1.0, 2.0, 3.0, 4.0], [5.0, 6.0, 7.0, 8.0]])  # e.g. DEAP's 4 ratings
    _, trial, y = sliding_windows(x, sfreq=128, window=1.0, labels=labels.tolist())
    assert y.shape == (4, 4)
    np.testing.assert_array_equal(y, labels[[0, 0, 1, 1]])


def test_rounding_of_window_and_step_to_samples():
    x = np.zeros((1, 1, 1000))
    # 0.333 s at 300 Hz = 99.9 samples -> 100; step 0.1 s = 30 samples
    w, _ = sliding_windows(x, sfreq=300, window=0.333, step=0.1)
    assert w.shape == (len(range(0, 1000 - 100 + 1, 30)), 1, 100)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"trials": np.zeros((4, 100))}, r"3-D array .*shape \(4, 100\).*x\[np.newaxis\]"),
        ({"trials": np.zeros((2, 3, 4, 100))}, r"3-D array"),
        ({"sfreq": 0}, r"sfreq must be a positive number"),
        ({"sfreq": -128}, r"sfreq must be a positive number"),
        ({"sfreq": np.nan}, r"sfreq must be a positive number"),
        ({"window": 0.0}, r"window must be a positive number of seconds"),
        ({"window": -1.0}, r"window must be a positive number of seconds"),
        ({"window": np.inf}, r"window must be a positive number of seconds"),
        ({"step": 0.0}, r"step must be a positive number of seconds"),
        ({"step": -0.5}, r"step must be a positive number of seconds"),
        ({"window": 0.001}, r"must each cover at least one sample"),
        ({"step": 0.001}, r"must each cover at least one sample"),
        ({"window": 10.0}, r"longer than the trials .*Use a shorter window"),
        ({"labels": [1, 2]}, r"labels has shape \(2,\) but there are 3 trials"),
        ({"labels": 7}, r"labels has shape \(\) but there are 3 trials"),
    ],
)
def test_errors(kwargs, match):
    args = {"trials": np.zeros((3, 2, 512)), "sfreq": 128, "window": 2.0, "step": None}
    args.update(kwargs)
    with pytest.raises(ValueError, match=match):
        sliding_windows(**args)


def test_windows_feed_the_feature_transformers():
    from sk_prnet.eeg import BandPower

    x = _trials(n_trials=2, n_channels=3, n_samples=128 * 6, dtype=np.float32)
    w, trial = sliding_windows(x, sfreq=128, window=2.0, step=1.0)
    features = BandPower(sfreq=128).fit_transform(w)
    assert features.shape == (len(trial), 3 * 5)
    assert np.isfinite(features).all()


def test_docstring_examples():
    result = doctest.testmod(windowing_module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0
    assert result.failed == 0
