"""Loader for DEAP's ``data_preprocessed_python`` files (Koelstra et al., 2012).

The files are not downloaded by sk_prnet (DEAP is licensed). See ``docs/datasets.md`` and
:func:`sk_prnet.datasets.make_synthetic_deap` for stand-ins in the same format.
"""

import re

import numpy as np
from sklearn.utils import Bunch

from ..eeg.montage import DEAP_EEG_CHANNELS
from ..eeg.windowing import sliding_windows
from ._base import (
    DatasetFormatError,
    as_int_list,
    check_float_dtype,
    load_latin1_pickle,
    resolve_directory,
    select_ids,
)

__all__ = ["load_deap", "iter_deap_subjects", "DEAP_RATING_NAMES"]

#: Sampling frequency of the preprocessed DEAP signals, in Hz.
DEAP_SFREQ = 128.0
#: Channels stored per trial in a ``sXX.dat`` file (32 EEG + 8 peripheral).
DEAP_N_CHANNELS = 40
#: Number of EEG channels (the first 32 stored channels).
DEAP_N_EEG = 32
#: Length of the pre-trial baseline at the start of every stored trial, in seconds.
DEAP_PRETRIAL_SECONDS = 3.0
#: Samples of the pre-trial baseline (samples 0-383).
DEAP_PRETRIAL_SAMPLES = int(DEAP_PRETRIAL_SECONDS * DEAP_SFREQ)
#: Columns of the ``labels`` array, in stored order.
DEAP_RATING_NAMES = ("valence", "arousal", "dominance", "liking")
#: Trials a published DEAP file holds, and samples per stored trial (63 s at 128 Hz).
DEAP_N_TRIALS = 40
DEAP_N_SAMPLES = 8064
#: Global trial ids are ``subject * DEAP_TRIAL_ID_BASE + trial_index``.
DEAP_TRIAL_ID_BASE = 100

_FILE_RE = re.compile(r"^s(\d+)\.dat$")
_BASELINE_MODES = ("drop", "keep")

DEAP_DESCR = """\
DEAP (preprocessed python version), windowed by sk_prnet
=========================================================

32 participants watched 40 one-minute music-video excerpts while EEG (32 channels) and
peripheral signals (8 channels) were recorded, and rated each video on continuous 1-9
scales: valence, arousal, dominance, liking (Koelstra et al., "DEAP: A Database for
Emotion Analysis Using Physiological Signals", IEEE Trans. Affective Computing, 2012).

Source files: ``data_preprocessed_python/sXX.dat``, Python-2 pickles of a dict with
``data`` (40 trials, 40 channels, 8064 samples) and ``labels`` (40, 4). Signals are
down-sampled to 128 Hz, EOG-cleaned, band-passed 4-45 Hz and common-average referenced.
Every stored trial is a 3 s pre-trial baseline (samples 0-383) followed by the 60 s trial.

This Bunch holds the 32 EEG channels only, cut into fixed-length windows:

- X : (n_windows, 32, window_samples) EEG windows (microvolts).
- ratings : (n_windows, n_targets) the continuous 1-9 self-assessment ratings.
- y : (n_windows, n_targets) int, 1 ("high") where rating > threshold (5.0), else 0 ("low").
- subject : (n_windows,) subject number (1-based, from the file name sXX.dat).
- trial : (n_windows,) global trial id = subject * 100 + trial_index; unique across
  subjects, so use it as ``groups`` for cross-validation (all windows of a trial together).
- trial_index : (n_windows,) 0-based trial (video) index within the subject's file.
- baseline, baseline_trial : pre-trial segments (n_trials, 32, n_baseline_samples) and
  their global trial ids, only when ``return_baseline=True``.
- sfreq, ch_names, target_names, window, step, baseline_mode, threshold, filenames.
"""


# --------------------------------------------------------------------------------------------
# File discovery and validation
# --------------------------------------------------------------------------------------------
def _find_deap_files(data_dir):
    """Map subject number -> path of ``sXX.dat`` in ``data_dir`` (or its python subfolder)."""
    root = resolve_directory(data_dir, dataset="DEAP")
    candidates = [root, root / "data_preprocessed_python"]
    for folder in candidates:
        if not folder.is_dir():
            continue
        files = {}
        for p in folder.iterdir():
            m = _FILE_RE.match(p.name)
            if m and p.is_file():
                subject = int(m.group(1))
                if subject in files:
                    raise DatasetFormatError(
                        f"Both {files[subject].name!r} and {p.name!r} in {str(folder)!r} "
                        f"claim subject {subject}; keep only one of them."
                    )
                files[subject] = p
        if files:
            return files
    raise FileNotFoundError(
        f"No DEAP files named sXX.dat (s01.dat ... s32.dat) in {str(root)!r}. Point data_dir "
        "at the extracted 'data_preprocessed_python' folder of DEAP (the Python version of "
        "the preprocessed data, not the .bdf originals or the MATLAB version)."
    )


def list_deap_subjects(data_dir):
    """Subject numbers with a ``sXX.dat`` file in ``data_dir``, without reading any data.

    Parameters
    ----------
    data_dir : str or path-like
        DEAP's ``data_preprocessed_python`` folder (or its parent).

    Returns
    -------
    subjects : list of int
        Sorted 1-based subject numbers.

    Raises
    ------
    FileNotFoundError
        If the folder is missing or holds no ``sXX.dat`` file.
    """
    return sorted(_find_deap_files(data_dir))


def _check_array(value, path, key):
    if not isinstance(value, np.ndarray) or value.dtype.kind not in "fiu":
        raise DatasetFormatError(
            f"{str(path)!r}: '{key}' must be a numeric numpy array, got "
            f"{type(value).__name__}"
            + (f" of dtype {value.dtype}" if isinstance(value, np.ndarray) else "")
            + ". Re-extract the file from DEAP's data_preprocessed_python archive."
        )


def _validate_deap_dict(obj, path):
    """Check the structure of one unpickled DEAP file; return (data, labels)."""
    if not isinstance(obj, dict):
        raise DatasetFormatError(
            f"{str(path)!r} holds a {type(obj).__name__}, expected a dict with keys 'data' "
            "and 'labels' (DEAP data_preprocessed_python format)."
        )
    missing = [k for k in ("data", "labels") if k not in obj]
    if missing:
        raise DatasetFormatError(
            f"{str(path)!r} lacks the key(s) {missing}; found {sorted(map(str, obj))}. A DEAP "
            "data_preprocessed_python file is a dict with 'data' (40, 40, 8064) and "
            "'labels' (40, 4)."
        )
    data, labels = obj["data"], obj["labels"]
    _check_array(data, path, "data")
    _check_array(labels, path, "labels")
    if (
        data.ndim != 3
        or data.shape[1] != DEAP_N_CHANNELS
        or data.shape[2] <= (DEAP_PRETRIAL_SAMPLES)
    ):
        raise DatasetFormatError(
            f"{str(path)!r}: 'data' has shape {data.shape}, expected (n_trials, "
            f"{DEAP_N_CHANNELS}, n_samples > {DEAP_PRETRIAL_SAMPLES}) - "
            f"({DEAP_N_TRIALS}, {DEAP_N_CHANNELS}, {DEAP_N_SAMPLES}) for the published files "
            "(trial x channel x sample, 3 s baseline + 60 s at 128 Hz)."
        )
    if labels.ndim != 2 or labels.shape[1] != len(DEAP_RATING_NAMES):
        raise DatasetFormatError(
            f"{str(path)!r}: 'labels' has shape {labels.shape}, expected (n_trials, 4) = "
            f"({DEAP_N_TRIALS}, 4) for the published files (valence, arousal, dominance, "
            "liking)."
        )
    if labels.shape[0] != data.shape[0]:
        raise DatasetFormatError(
            f"{str(path)!r}: 'data' holds {data.shape[0]} trials but 'labels' has "
            f"{labels.shape[0]} rows; each trial needs one row of 4 ratings."
        )
    if data.shape[0] == 0 or data.shape[0] > DEAP_TRIAL_ID_BASE:
        raise DatasetFormatError(
            f"{str(path)!r}: 'data' holds {data.shape[0]} trials, expected 1 to "
            f"{DEAP_TRIAL_ID_BASE} ({DEAP_N_TRIALS} in the published files)."
        )
    return data, labels


def _check_targets(targets):
    if isinstance(targets, str):
        targets = (targets,)
    targets = list(targets)
    if not targets:
        raise ValueError(f"targets is empty; choose from {list(DEAP_RATING_NAMES)}.")
    unknown = [t for t in targets if t not in DEAP_RATING_NAMES]
    if unknown:
        raise ValueError(
            f"Unknown DEAP target(s) {unknown}; choose from {list(DEAP_RATING_NAMES)} "
            "(the columns of the 'labels' array)."
        )
    if len(set(targets)) != len(targets):
        raise ValueError(f"targets contains duplicates: {targets}.")
    return targets


def _check_params(window, step, targets, baseline, baseline_seconds, threshold, dtype):
    targets = _check_targets(targets)
    if baseline not in _BASELINE_MODES:
        raise ValueError(f"baseline must be one of {_BASELINE_MODES}, got {baseline!r}.")
    if not (np.isfinite(baseline_seconds) and 0 < baseline_seconds <= DEAP_PRETRIAL_SECONDS):
        raise ValueError(
            f"baseline_seconds must be in (0, {DEAP_PRETRIAL_SECONDS}] (the DEAP pre-trial "
            f"baseline is {DEAP_PRETRIAL_SECONDS} s long), got {baseline_seconds!r}."
        )
    n_base = int(round(baseline_seconds * DEAP_SFREQ))
    if n_base < 1:
        raise ValueError(f"baseline_seconds={baseline_seconds} covers no sample at 128 Hz.")
    for name, value in (("window", window), ("step", step)):
        if value is not None and not (
            isinstance(value, (int, float, np.number)) and np.isfinite(value) and value > 0
        ):
            raise ValueError(f"{name} must be a positive number of seconds, got {value!r}.")
    if not np.isfinite(threshold):
        raise ValueError(f"threshold must be a finite rating, got {threshold!r}.")
    return targets, n_base, check_float_dtype(dtype)


def _read_subject(
    path, subject, *, window, step, targets, baseline, n_base, threshold, return_baseline, dtype
):
    """Load, validate and window one ``sXX.dat`` file; return a Bunch (one subject)."""
    obj = load_latin1_pickle(path)
    data, labels = _validate_deap_dict(obj, path)
    # Keep only the 32 EEG channels, converted right away; drop the float64 pickle payload.
    eeg = np.ascontiguousarray(data[:, :DEAP_N_EEG], dtype=dtype)
    columns = [DEAP_RATING_NAMES.index(t) for t in targets]
    ratings = np.asarray(labels, dtype=np.float64)[:, columns]
    del obj, data, labels  # no reference cycles: the float64 payload is freed right here
    if not np.all(np.isfinite(ratings)):
        raise DatasetFormatError(f"{str(path)!r}: 'labels' holds non-finite ratings.")
    n_trials = eeg.shape[0]
    segment = eeg[:, :, DEAP_PRETRIAL_SAMPLES:] if baseline == "drop" else eeg
    # window=None: one window per trial, the whole segment (continuous recordings)
    n_win = segment.shape[2] if window is None else int(round(window * DEAP_SFREQ))
    if n_win > segment.shape[2]:
        raise ValueError(
            f"window={window} s ({n_win} samples) is longer than the "
            f"{'trial' if baseline == 'drop' else 'recording'} in {str(path)!r} "
            f"({segment.shape[2]} samples = {segment.shape[2] / DEAP_SFREQ:g} s). Use a "
            "shorter window."
        )
    X, t_idx, r = sliding_windows(
        segment, DEAP_SFREQ, n_win / DEAP_SFREQ, step=step, labels=ratings
    )
    out = Bunch(
        X=X,
        ratings=r,
        y=(r > threshold).astype(np.int64),
        subject=np.full(len(X), subject, dtype=np.int64),
        trial=subject * DEAP_TRIAL_ID_BASE + t_idx.astype(np.int64),
        trial_index=t_idx.astype(np.int64),
    )
    if return_baseline:
        start = DEAP_PRETRIAL_SAMPLES - n_base
        out.baseline = np.ascontiguousarray(eeg[:, :, start:DEAP_PRETRIAL_SAMPLES])
        out.baseline_trial = subject * DEAP_TRIAL_ID_BASE + np.arange(n_trials, dtype=np.int64)
    del eeg, segment
    return out


def _finish(bunch, *, targets, window, step, baseline, baseline_seconds, threshold, filenames):
    bunch.update(
        sfreq=DEAP_SFREQ,
        ch_names=list(DEAP_EEG_CHANNELS),
        target_names=list(targets),
        window=None if window is None else float(window),
        step=None if window is None else float(window if step is None else step),
        baseline_mode=baseline,
        baseline_seconds=float(baseline_seconds),
        threshold=float(threshold),
        filenames=[str(f) for f in filenames],
        DESCR=DEAP_DESCR,
    )
    return bunch


# --------------------------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------------------------
def iter_deap_subjects(
    data_dir,
    subjects=None,
    window=2.0,
    step=None,
    targets=("arousal", "valence"),
    baseline="drop",
    dtype=np.float32,
    *,
    baseline_seconds=DEAP_PRETRIAL_SECONDS,
    return_baseline=False,
    threshold=5.0,
):
    """Yield DEAP one subject at a time, windowed (bounded memory).

    Only one subject's data is held at a time: each file is unpickled, its 32 EEG channels are
    converted to ``dtype`` at once and the float64 payload is released before windowing. Use
    this to stream all 32 subjects (e.g. subject-dependent evaluation) without holding the
    whole dataset. All parameters and Bunch fields are those of :func:`load_deap`; every
    yielded Bunch holds a single subject.

    Parameters
    ----------
    data_dir : str or path-like
        Folder with ``s01.dat`` ... ``s32.dat`` (or its parent holding
        ``data_preprocessed_python/``).
    subjects : int, iterable of int or None, default=None
        1-based subject numbers; ``None`` yields every ``sXX.dat`` present, in ascending order.
    window, step, targets, baseline, dtype, baseline_seconds, return_baseline, threshold
        See :func:`load_deap`.

    Yields
    ------
    bunch : sklearn.utils.Bunch
        One subject's windows, with the fields described in :func:`load_deap`.

    Raises
    ------
    FileNotFoundError
        If ``data_dir`` does not exist or holds no ``sXX.dat`` file.
    ValueError
        If a requested subject has no file (the message lists the available ones) or a
        parameter is invalid; :class:`~sk_prnet.datasets.DatasetFormatError` (a
        ``ValueError``) if a file is damaged or not in DEAP's format. Parameters and files
        are checked before the first subject is yielded (file contents as they are read).

    Examples
    --------
    >>> import tempfile
    >>> from sk_prnet.datasets import make_synthetic_deap, iter_deap_subjects
    >>> d = make_synthetic_deap(tempfile.mkdtemp(), n_subjects=2, n_trials=3,
    ...                         trial_seconds=4, random_state=0)
    >>> [(b.subject[0], b.X.shape) for b in iter_deap_subjects(d)]
    [(np.int64(1), (6, 32, 256)), (np.int64(2), (6, 32, 256))]
    """
    plan = _plan(
        data_dir,
        subjects,
        window,
        step,
        targets,
        baseline,
        baseline_seconds,
        return_baseline,
        threshold,
        dtype,
    )
    return _iterate(plan)


def _plan(
    data_dir,
    subjects,
    window,
    step,
    targets,
    baseline,
    baseline_seconds,
    return_baseline,
    threshold,
    dtype,
):
    targets, n_base, dtype = _check_params(
        window, step, targets, baseline, baseline_seconds, threshold, dtype
    )
    files = _find_deap_files(data_dir)
    chosen = select_ids(
        as_int_list(subjects, name="subjects"),
        files,
        what="DEAP subject",
        where=f"{str(next(iter(files.values())).parent)!r} (files sXX.dat)",
    )
    return dict(
        files=[(s, files[s]) for s in chosen],
        kwargs=dict(
            window=window,
            step=step,
            targets=targets,
            baseline=baseline,
            n_base=n_base,
            threshold=threshold,
            dtype=dtype,
            return_baseline=bool(return_baseline),
        ),
        finish=dict(
            targets=targets,
            window=window,
            step=step,
            baseline=baseline,
            baseline_seconds=baseline_seconds,
            threshold=threshold,
        ),
    )


def _iterate(plan):
    for subject, path in plan["files"]:
        b = _read_subject(path, subject, **plan["kwargs"])
        yield _finish(b, filenames=[path], **plan["finish"])


def load_deap(
    data_dir,
    subjects=None,
    window=2.0,
    step=None,
    targets=("arousal", "valence"),
    baseline="drop",
    dtype=np.float32,
    *,
    baseline_seconds=DEAP_PRETRIAL_SECONDS,
    return_baseline=False,
    threshold=5.0,
):
    """Load DEAP's preprocessed EEG, cut into windows, with ratings and low/high classes.

    Reads ``sXX.dat`` files (Python-2 pickles, read with ``encoding="latin1"``) holding
    ``data`` (40 trials, 40 channels, 8064 samples at 128 Hz) and ``labels`` (40, 4) =
    valence, arousal, dominance, liking. Keeps the 32 EEG channels (the 8 peripheral ones are
    dropped), cuts every trial into windows with
    :func:`sk_prnet.eeg.windowing.sliding_windows` and repeats the trial's ratings per window.

    Files are validated structurally, not against the exact published size: ``data`` must be
    3-D with 40 channels and more than 384 samples (the 3 s baseline), ``labels`` must have 4
    columns and one row per trial (at most 100 trials). The published files are
    (40, 40, 8064) and (40, 4); smaller files, e.g. from :func:`make_synthetic_deap` with
    short trials, are read the same way.

    Parameters
    ----------
    data_dir : str or path-like
        Folder holding ``s01.dat`` ... ``s32.dat`` (DEAP's ``data_preprocessed_python``), or
        a folder containing ``data_preprocessed_python/``.
    subjects : int, iterable of int or None, default=None
        1-based subject numbers (``1`` reads ``s01.dat``); ``None`` reads every ``sXX.dat``
        present. Subjects are returned in ascending order, duplicates ignored.
    window : float or None, default=2.0
        Window length in seconds (2 s = 256 samples in the paper). ``None``: one window per
        trial holding the whole segment (the 60 s trial, or with ``baseline="keep"`` the whole
        63 s recording), e.g. to filter continuous recordings before cutting windows (as
        :func:`sk_prnet.pipelines.load_deap_recipe` does for the ``"authors"`` recipe).
    step : float or None, default=None
        Hop between window starts in seconds; ``None`` means ``window`` (no overlap: 30
        windows a 60 s trial). ``step=0.25`` cuts 233 windows a trial (mind the memory: about
        8 times as much); the first author's script stops one window earlier (232, see
        :data:`sk_prnet.pipelines.DEAP_RECIPES`).
    targets : str or sequence of str, default=("arousal", "valence")
        Rating columns to return, from ``"valence"``, ``"arousal"``, ``"dominance"``,
        ``"liking"``; the columns of ``ratings`` and ``y`` follow this order.
    baseline : {"drop", "keep"}, default="drop"
        ``"drop"`` discards the 3 s pre-trial baseline (samples 0-383) and windows only the
        60 s trial; ``"keep"`` windows the whole 63 s recording (windows then start at
        sample 0; a trailing remainder shorter than a window is dropped: 31 windows of 2 s).
    dtype : numpy floating dtype, default=np.float32
        dtype of ``X`` and ``baseline``. The files hold float64; the EEG is converted right
        after unpickling so no float64 copy of the windows is ever made.
    baseline_seconds : float, default=3.0
        Length of the baseline segment returned when ``return_baseline=True``: the *last*
        ``baseline_seconds`` of the 3 s pre-trial (``2.0`` gives samples 128-383, the
        first author's recipe). Must be in (0, 3].
    return_baseline : bool, default=False
        Also return the pre-trial segment per trial as ``baseline`` (for baseline correction
        of band powers, e.g. subtracting the baseline's power per band).
    threshold : float, default=5.0
        Ratings strictly above it are class 1 ("high"), the others class 0 ("low"): 5.0 is
        low, 5.01 is high.

    Returns
    -------
    bunch : sklearn.utils.Bunch
        Dictionary-like object with the fields:

        X : ndarray of shape (n_windows, 32, n_window_samples)
            EEG windows, trial-major (all windows of a trial are consecutive).
        ratings : ndarray of shape (n_windows, n_targets), float64
            The continuous 1-9 ratings of the window's trial.
        y : ndarray of shape (n_windows, n_targets), int64
            ``1`` where ``ratings > threshold`` ("high"), else ``0`` ("low"). Always 2-D; use
            ``y[:, 0]`` for a single target.
        subject : ndarray of shape (n_windows,), int64
            1-based subject number.
        trial : ndarray of shape (n_windows,), int64
            Global trial id ``subject * 100 + trial_index`` (e.g. 1203 is subject 12, trial
            index 3): unique across subjects, so passing it as ``groups`` to a group splitter
            never merges trials of different subjects.
        trial_index : ndarray of shape (n_windows,), int64
            0-based trial (video) index within the subject's file (0-39).
        baseline : ndarray of shape (n_trials_total, 32, n_baseline_samples)
            Only with ``return_baseline=True``: the last ``baseline_seconds`` of each trial's
            pre-trial, one row per trial in the order of ``baseline_trial``.
        baseline_trial : ndarray of shape (n_trials_total,), int64
            Only with ``return_baseline=True``: global trial id of each ``baseline`` row
            (ascending, so ``np.searchsorted(baseline_trial, trial)`` maps windows to rows).
        sfreq : float
            128.0.
        ch_names : list of str
            The 32 EEG channel names in stored order (Fp1, AF3, ..., O2).
        target_names : list of str
            The requested ``targets``.
        window, step : float or None
            Window length and hop in seconds (both ``None`` for ``window=None``).
        baseline_mode : str
            The ``baseline`` argument; ``baseline_seconds`` and ``threshold`` are kept too.
        filenames : list of str
            The files read, in order.
        DESCR : str
            Description of the dataset and of these fields.

    Raises
    ------
    FileNotFoundError
        If ``data_dir`` does not exist or holds no ``sXX.dat`` file.
    NotADirectoryError
        If ``data_dir`` is a file.
    ValueError
        If a requested subject has no file (the message lists the available subjects), or
        ``targets``, ``baseline``, ``baseline_seconds``, ``window`` or ``step`` is invalid.
    sk_prnet.datasets.DatasetFormatError
        (A ``ValueError``.) If a file cannot be unpickled (damaged, truncated, not a pickle,
        or naming anything but numpy arrays), lacks ``data``/``labels``, or has wrongly shaped
        arrays; the message names the file and states expected vs found.

    See Also
    --------
    iter_deap_subjects : the same, one subject at a time.
    make_synthetic_deap : write DEAP-format files with a known emotion structure.

    Notes
    -----
    Memory: with the defaults the full dataset is 32 x 40 x 30 windows x 32 x 256 float32
    values, about 1.26 GB; the output is allocated once and filled subject by subject, so the
    peak is about that plus one subject's file (~0.3 GB while unpickling). With
    ``step=0.25`` the windows of all subjects need ~10 GB: stream them with
    :func:`iter_deap_subjects` and reduce each subject (e.g. to features) instead.

    Examples
    --------
    >>> import tempfile
    >>> from sk_prnet.datasets import make_synthetic_deap, load_deap
    >>> d = make_synthetic_deap(tempfile.mkdtemp(), n_subjects=2, n_trials=4,
    ...                         trial_seconds=6, random_state=0)
    >>> deap = load_deap(d, subjects=[2], window=2.0)
    >>> deap.X.shape, deap.X.dtype, deap.y.shape
    ((12, 32, 256), dtype('float32'), (12, 2))
    >>> deap.trial[:4].tolist(), deap.target_names
    ([200, 200, 200, 201], ['arousal', 'valence'])
    """
    plan = _plan(
        data_dir,
        subjects,
        window,
        step,
        targets,
        baseline,
        baseline_seconds,
        return_baseline,
        threshold,
        dtype,
    )
    X = None
    small = {k: [] for k in ("ratings", "y", "subject", "trial", "trial_index")}
    if return_baseline:
        small.update(baseline=[], baseline_trial=[])
    n_filled = 0
    for i, b in enumerate(_iterate(plan)):
        n = len(b.X)
        if X is None:
            # Allocate the output once, assuming the other subjects have as many windows (the
            # published files all do); grow only if a file turns out to be larger.
            X = np.empty((n * len(plan["files"]),) + b.X.shape[1:], dtype=b.X.dtype)
        if n_filled + n > len(X):
            X = _grow(X, n_filled, n_filled + n * (len(plan["files"]) - i))
        X[n_filled : n_filled + n] = b.X
        n_filled += n
        for k in small:
            small[k].append(b[k])
        del b
    if n_filled != len(X):
        X = X[:n_filled].copy()
    out = Bunch(X=X, **{k: np.concatenate(v) for k, v in small.items()})
    return _finish(out, filenames=[p for _, p in plan["files"]], **plan["finish"])


def _grow(X, n_filled, n_rows):
    new = np.empty((n_rows,) + X.shape[1:], dtype=X.dtype)
    new[:n_filled] = X[:n_filled]
    return new
