"""Cutting trials into fixed-length windows while remembering which trial each came from."""

import numpy as np

__all__ = ["sliding_windows"]


def sliding_windows(trials, sfreq, window, step=None, labels=None):
    """Cut trials into windows, returning per-window trial indices (the CV groups).

    Windows are views-turned-copies of ``trials`` taken every ``step`` seconds; a trailing
    remainder shorter than ``window`` is dropped. All windows of one trial share that trial's
    index, so passing ``trial`` as ``groups`` to a group splitter keeps them in one fold.

    Parameters
    ----------
    trials : array-like of shape (n_trials, n_channels, n_samples)
        The continuous trials.
    sfreq : float
        Sampling frequency in Hz.
    window : float
        Window length in seconds (must cover at least one sample).
    step : float or None, default=None
        Hop between window starts in seconds; ``None`` means ``window`` (no overlap).
    labels : array-like of shape (n_trials, ...) or None, default=None
        Per-trial labels, repeated for each window of the trial.

    Returns
    -------
    windows : ndarray of shape (n_windows, n_channels, n_window_samples)
        The windows, trial-major (all windows of trial 0 first), same dtype as ``trials``.
    trial : ndarray of shape (n_windows,)
        Index of the trial each window was cut from.
    window_labels : ndarray of shape (n_windows, ...)
        ``labels`` repeated per window; only returned when ``labels`` is given.

    Raises
    ------
    ValueError
        If ``trials`` is not 3-D, ``window``/``step``/``sfreq`` are not positive, the window is
        longer than the trials, or ``labels`` does not have one row per trial.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.zeros((2, 3, 512))
    >>> w, trial = sliding_windows(x, sfreq=128, window=2.0)
    >>> w.shape, trial.tolist()
    ((4, 3, 256), [0, 0, 1, 1])
    """
    trials = np.asarray(trials)
    if trials.ndim != 3:
        raise ValueError(
            "trials must be a 3-D array (n_trials, n_channels, n_samples); "
            f"got an array of shape {trials.shape}. Add a trial axis with x[np.newaxis] "
            "for a single trial."
        )
    if not (np.isfinite(sfreq) and sfreq > 0):
        raise ValueError(f"sfreq must be a positive number of Hz, got {sfreq!r}.")
    step = window if step is None else step
    for name, value in (("window", window), ("step", step)):
        if not (np.isfinite(value) and value > 0):
            raise ValueError(f"{name} must be a positive number of seconds, got {value!r}.")
    n_win = int(round(window * sfreq))
    n_step = int(round(step * sfreq))
    if n_win < 1 or n_step < 1:
        raise ValueError(
            f"window={window} s and step={step} s must each cover at least one sample "
            f"at sfreq={sfreq} Hz."
        )
    n_trials, _, n_samples = trials.shape
    if n_win > n_samples:
        raise ValueError(
            f"window={window} s ({n_win} samples) is longer than the trials "
            f"({n_samples} samples at {sfreq} Hz). Use a shorter window."
        )
    # One strided view over all trials (basic slicing keeps it a view), then a single copy:
    # no Python loop per window.
    view = np.lib.stride_tricks.sliding_window_view(trials, n_win, axis=2)[:, :, ::n_step]
    n_starts = view.shape[2]
    windows = np.ascontiguousarray(view.transpose(0, 2, 1, 3)).reshape(
        n_trials * n_starts, trials.shape[1], n_win
    )
    trial = np.repeat(np.arange(n_trials), n_starts)
    if labels is None:
        return windows, trial
    labels = np.asarray(labels)
    if labels.ndim == 0 or labels.shape[0] != n_trials:
        raise ValueError(
            f"labels has shape {labels.shape} but there are {n_trials} trials; "
            "pass one label row per trial."
        )
    return windows, trial, labels[trial]
