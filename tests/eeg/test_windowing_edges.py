"""Edge cases of sk_prnet.eeg.windowing.sliding_windows: the smallest valid windows and rates."""

import numpy as np

from sk_prnet.eeg import sliding_windows


def test_one_sample_windows_and_steps_are_valid():
    # sfreq 10 Hz: window = step = 0.1 s = one sample, so every sample is its own window.
    x = np.arange(2 * 3 * 5, dtype=float).reshape(2, 3, 5)
    w, trial = sliding_windows(x, sfreq=10, window=0.1, step=0.1)
    assert w.shape == (10, 3, 1)
    np.testing.assert_array_equal(w[:, :, 0], x.transpose(0, 2, 1).reshape(10, 3))
    assert trial.tolist() == [0] * 5 + [1] * 5


def test_one_sample_step_with_longer_window():
    x = np.arange(8.0).reshape(1, 1, 8)
    w, _ = sliding_windows(x, sfreq=10, window=0.3, step=0.1)  # 3 samples, hop 1
    np.testing.assert_array_equal(w[:, 0], [x[0, 0, i : i + 3] for i in range(6)])


def test_sampling_rates_below_one_hz_are_valid():
    # 0.5 Hz (one sample every 2 s): 4 s windows are 2 samples.
    x = np.arange(6.0).reshape(1, 1, 6)
    w, trial = sliding_windows(x, sfreq=0.5, window=4.0)
    np.testing.assert_array_equal(w[:, 0], [[0, 1], [2, 3], [4, 5]])
    assert trial.tolist() == [0, 0, 0]
