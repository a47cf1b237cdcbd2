"""Loader for SEED's precomputed EEG features (Zheng & Lu, 2015), ``ExtractedFeatures/``.

SEED is licensed and not downloaded by sk_prnet. See ``docs/datasets.md`` and
:func:`sk_prnet.datasets.make_synthetic_seed` for stand-ins in the same format.
"""

import datetime
import re

import numpy as np
import scipy.io
from sklearn.utils import Bunch

from ..eeg.montage import SEED_BANDS, SEED_CHANNELS
from ._base import (
    DatasetFormatError,
    as_int_list,
    check_float_dtype,
    resolve_directory,
    select_ids,
)

__all__ = ["load_seed", "SEED_FEATURES", "SEED_LABELS"]

#: Number of input "channels" of each feature family: electrodes for DE/PSD, electrode pairs
#: for the asymmetry features (DASM/RASM: 27 left-right pairs, ASM: both = 54, DCAU: 23
#: frontal-posterior pairs).
SEED_FEATURE_CHANNELS = {"de": 62, "psd": 62, "dasm": 27, "rasm": 27, "asm": 54, "dcau": 23}
#: Smoothing variants of every feature family.
SEED_SMOOTHING = ("LDS", "movingAve")
#: All feature prefixes a SEED subject file holds (``<prefix><k>`` for trials k = 1..15).
SEED_FEATURES = tuple(f"{f}_{s}" for f in SEED_FEATURE_CHANNELS for s in SEED_SMOOTHING)
#: The label of each of the 15 trials (film clips), the same for every subject and session:
#: 1 = positive, 0 = neutral, -1 = negative.
SEED_LABELS = (1, 0, -1, -1, 0, 1, -1, 0, 1, 1, 0, -1, 0, 1, -1)
#: Global trial id = subject * 1000 + session * 100 + trial_index.
SEED_SUBJECT_ID_BASE = 1000
SEED_SESSION_ID_BASE = 100

_FILE_RE = re.compile(r"^(\d+)_(\d{8})\.mat$")

SEED_DESCR = """\
SEED (precomputed features), loaded by sk_prnet
===============================================

15 subjects watched 15 Chinese film clips (about 4 min each; 5 positive, 5 neutral, 5
negative) in each of 3 sessions on different days, with 62-channel EEG (Zheng & Lu,
"Investigating Critical Frequency Bands and Channels for EEG-based Emotion Recognition with
Deep Neural Networks", IEEE Trans. Autonomous Mental Development, 2015).

Source files: ``ExtractedFeatures/<subject>_<yyyymmdd>.mat`` (one per subject and session)
holding ``<feature><k>`` arrays of shape (62, T_k, 5) = channel x 1 s window x band (delta,
theta, alpha, beta, gamma) for trials k = 1..15, and ``label.mat`` (key ``label``, (1, 15)).

This Bunch holds one row per 1 s window:

- X : (n_windows, n_channels * 5) features, channel-major (the 5 bands of channel 0 first).
- y : (n_windows,) emotion label: -1 negative, 0 neutral, 1 positive.
- subject : subject number (from the file name); session : 1..3, the order of the
  recording dates of that subject; trial_index : 1..15 (the k of ``de_LDS{k}``).
- trial : global trial id = subject * 1000 + session * 100 + trial_index (unique).
- feature_names, class_order = [-1, 0, 1] (negative < neutral < positive),
  class_names, target_names = ["emotion"], feature, filenames.

Paper protocol (subject-dependent, per session): trials 1-9 train, trials 10-15 test.
"""


def _resolve_seed_dir(data_dir):
    root = resolve_directory(data_dir, dataset="SEED")
    for folder in (root / "ExtractedFeatures", root):
        if folder.is_dir() and (
            (folder / "label.mat").is_file()
            or any(_FILE_RE.match(p.name) for p in folder.iterdir())
        ):
            return folder
    raise FileNotFoundError(
        f"No SEED feature files (<subject>_<yyyymmdd>.mat, label.mat) in {str(root)!r} nor in "
        f"{str(root / 'ExtractedFeatures')!r}. Point data_dir at the SEED root folder "
        "(the one containing ExtractedFeatures/) or at ExtractedFeatures/ itself."
    )


def _find_seed_files(folder):
    """Return {subject: [(session, date, path), ...]} with sessions numbered by date."""
    by_subject = {}
    for p in folder.iterdir():
        m = _FILE_RE.match(p.name)
        if not (m and p.is_file()):
            continue
        try:
            date = datetime.datetime.strptime(m.group(2), "%Y%m%d").date()
        except ValueError as err:
            raise DatasetFormatError(
                f"{str(p)!r}: {m.group(2)!r} is not a valid yyyymmdd date. SEED files are "
                "named <subject>_<yyyymmdd>.mat; rename or remove the file."
            ) from err
        by_subject.setdefault(int(m.group(1)), []).append((date, p))
    if not by_subject:
        raise FileNotFoundError(
            f"No SEED subject files named <subject>_<yyyymmdd>.mat (e.g. 1_20131027.mat) in "
            f"{str(folder)!r}. Point data_dir at SEED's ExtractedFeatures folder (or its "
            "parent)."
        )
    for s, files in by_subject.items():
        if len(files) >= SEED_SUBJECT_ID_BASE // SEED_SESSION_ID_BASE:
            raise DatasetFormatError(
                f"Subject {s} has {len(files)} files in {str(folder)!r}; at most 9 sessions "
                "a subject are supported (SEED has 3)."
            )
    return {
        s: [(i + 1, d, p) for i, (d, p) in enumerate(sorted(files))]
        for s, files in by_subject.items()
    }


def list_seed_sessions(data_dir):
    """The (subject, session) pairs with a feature file in ``data_dir``, reading no data.

    Sessions are numbered 1, 2, 3 per subject in the order of the dates in the file names.

    Parameters
    ----------
    data_dir : str or path-like
        SEED's root folder or its ``ExtractedFeatures/``.

    Returns
    -------
    sessions : list of (int, int)
        Sorted (subject, session) pairs.

    Raises
    ------
    FileNotFoundError
        If the folder is missing or holds no SEED feature file.
    """
    files = _find_seed_files(_resolve_seed_dir(data_dir))
    return sorted((s, session) for s, entries in files.items() for session, _, _ in entries)


def _loadmat(path, variable_names=None):
    try:
        return scipy.io.loadmat(path, variable_names=variable_names)
    except (MemoryError, KeyboardInterrupt):
        raise
    except NotImplementedError as err:  # MATLAB v7.3 (HDF5) files
        raise DatasetFormatError(
            f"Could not read {str(path)!r}: {err}. It is a MATLAB v7.3 (HDF5) file; SEED's "
            "files are MATLAB v5/v7 files readable by scipy.io.loadmat. Re-save it with "
            "save(..., '-v7') in MATLAB, or re-extract it from the SEED archive."
        ) from err
    except Exception as err:
        raise DatasetFormatError(
            f"Could not read {str(path)!r} as a MATLAB .mat file ({type(err).__name__}: "
            f"{err}). The file is damaged or truncated; re-extract it from the SEED archive."
        ) from err


def _available_keys(path):
    try:
        return sorted(name for name, _, _ in scipy.io.whosmat(path))
    except Exception:  # pragma: no cover - only used to enrich an error message
        return []


def _read_labels(folder):
    path = folder / "label.mat"
    if not path.is_file():
        raise FileNotFoundError(
            f"SEED's label file {str(path)!r} is missing. It ships in ExtractedFeatures/ "
            "(key 'label', shape (1, 15)); copy it next to the subject files."
        )
    mat = _loadmat(path, variable_names=["label"])
    if "label" not in mat:
        raise DatasetFormatError(
            f"{str(path)!r} has no variable 'label' (found {_available_keys(path)}); SEED's "
            "label.mat holds 'label', shape (1, 15)."
        )
    label = np.asarray(mat["label"])
    if label.ndim != 2 or 1 not in label.shape or label.size == 0 or label.dtype.kind not in "fiu":
        raise DatasetFormatError(
            f"{str(path)!r}: 'label' has shape {label.shape} and dtype {label.dtype}, expected "
            "a numeric row vector of shape (1, 15)."
        )
    label = label.ravel()
    if label.size >= SEED_SESSION_ID_BASE:
        raise DatasetFormatError(
            f"{str(path)!r}: 'label' has {label.size} entries; SEED has 15 trials (at most 99 "
            "are supported)."
        )
    if not np.all(np.isin(label, (-1, 0, 1))):
        raise DatasetFormatError(
            f"{str(path)!r}: 'label' holds {sorted(set(label.tolist()))}, expected only -1 "
            "(negative), 0 (neutral) and 1 (positive)."
        )
    return label.astype(np.int64)


def _feature_names(feature):
    family = feature.split("_", 1)[0]
    if family in ("de", "psd"):
        chans = SEED_CHANNELS
    else:
        chans = [f"f{i}" for i in range(SEED_FEATURE_CHANNELS[family])]
    return [f"{feature}_{c}_{b}" for c in chans for b in SEED_BANDS]


def _read_session(path, feature, labels, dtype):
    """Read one subject/session file; return X (n, C*5) and the per-window trial_index."""
    n_chan = SEED_FEATURE_CHANNELS[feature.split("_", 1)[0]]
    keys = [f"{feature}{k}" for k in range(1, len(labels) + 1)]
    mat = _loadmat(path, variable_names=keys)
    missing = [k for k in keys if k not in mat]
    if missing:
        present = _available_keys(path)
        prefixes = sorted({re.sub(r"\d+$", "", k) for k in present})
        raise DatasetFormatError(
            f"{str(path)!r} lacks {missing[:5]}{' ...' if len(missing) > 5 else ''} "
            f"({len(missing)} of the {len(keys)} trials of feature {feature!r}). The file "
            f"holds the features {prefixes}; pick one of them with feature=..."
        )
    blocks, index = [], []
    for k, key in enumerate(keys, start=1):
        arr = mat.pop(key)
        if (
            not isinstance(arr, np.ndarray)
            or arr.dtype.kind not in "fiu"
            or arr.ndim != 3
            or arr.shape[0] != n_chan
            or arr.shape[2] != len(SEED_BANDS)
            or arr.shape[1] == 0
        ):
            got = (
                f"shape {arr.shape}, dtype {arr.dtype}"
                if isinstance(arr, np.ndarray)
                else type(arr).__name__
            )
            raise DatasetFormatError(
                f"{str(path)!r}: {key!r} has {got}; expected a numeric array of shape "
                f"({n_chan}, T, {len(SEED_BANDS)}) = channel x 1 s window x band (delta, "
                "theta, alpha, beta, gamma)."
            )
        # (C, T, 5) -> (T, C, 5) -> (T, C * 5): channel-major, the 5 bands of channel 0 first.
        blocks.append(np.transpose(arr, (1, 0, 2)).reshape(arr.shape[1], -1).astype(dtype))
        index.append(np.full(arr.shape[1], k, dtype=np.int64))
    return np.concatenate(blocks), np.concatenate(index)


def load_seed(data_dir, feature="de_LDS", subjects=None, sessions=None, *, dtype=np.float32):
    """Load SEED's precomputed per-second EEG features with the 3-class emotion labels.

    Reads ``ExtractedFeatures/<subject>_<yyyymmdd>.mat`` with :func:`scipy.io.loadmat`
    (only the ``<feature>1`` ... ``<feature>15`` variables), transposes each trial's
    ``(62, T_k, 5)`` array to ``(T_k, 62, 5)`` and flattens it to ``T_k`` rows of 310
    features, and takes the labels from ``label.mat``.

    Parameters
    ----------
    data_dir : str or path-like
        The SEED root (containing ``ExtractedFeatures/``) or ``ExtractedFeatures/`` itself.
    feature : str, default="de_LDS"
        Feature prefix: ``"de_LDS"``, ``"de_movingAve"``, ``"psd_LDS"``,
        ``"psd_movingAve"``, or the asymmetry variants ``"dasm_*"`` (27 pairs), ``"rasm_*"``
        (27), ``"asm_*"`` (54), ``"dcau_*"`` (23) with ``_LDS`` / ``_movingAve``.
    subjects : int, iterable of int or None, default=None
        Subject numbers (the ``<subject>`` of the file names, 1-15); ``None`` loads all.
    sessions : int, iterable of int or None, default=None
        Sessions 1-3, numbered per subject by the order of the recording dates in the file
        names; ``None`` loads all.
    dtype : numpy floating dtype, default=np.float32
        dtype of ``X``.

    Returns
    -------
    bunch : sklearn.utils.Bunch
        Dictionary-like object with the fields:

        X : ndarray of shape (n_windows, n_channels * 5)
            One row per 1 s window, channel-major: column ``c * 5 + b`` is channel ``c``,
            band ``b`` (delta, theta, alpha, beta, gamma). 310 columns for DE/PSD.
        y : ndarray of shape (n_windows,), int64
            -1 (negative), 0 (neutral), 1 (positive), from ``label.mat``.
        subject : ndarray of shape (n_windows,), int64
            Subject number.
        session : ndarray of shape (n_windows,), int64
            1, 2 or 3: rank of the file's date among that subject's files.
        trial : ndarray of shape (n_windows,), int64
            Global trial id ``subject * 1000 + session * 100 + trial_index`` (e.g. 3207 is
            subject 3, session 2, trial 7); unique across subjects and sessions, so it is the
            right ``groups`` for cross-validation.
        trial_index : ndarray of shape (n_windows,), int64
            1-based trial number k (the ``k`` of ``de_LDS{k}``), 1-15. The paper's split per
            session is ``trial_index <= 9`` (train) vs ``trial_index >= 10`` (test).
        feature_names : list of str
            ``"<feature>_<channel>_<band>"``, e.g. ``"de_LDS_FP1_delta"``; for the asymmetry
            features, whose pair order is not published with the files, generic names
            ``"dasm_LDS_f0_delta"`` ... are used.
        class_order : list of int
            ``[-1, 0, 1]``: negative < neutral < positive (the paper's ordinal relations).
        class_names : list of str
            ``["negative", "neutral", "positive"]``, aligned with ``class_order``.
        target_names : list of str
            ``["emotion"]``.
        feature : str
            The ``feature`` argument.
        filenames : list of str
            The subject files read, in order (subject, then session).
        DESCR : str
            Description of the dataset and of these fields.

    Raises
    ------
    FileNotFoundError
        If ``data_dir`` does not exist, holds no ``<subject>_<yyyymmdd>.mat`` file, or lacks
        ``label.mat``.
    ValueError
        If ``feature`` is unknown, or a requested subject or session has no file (the message
        lists the available ones).
    sk_prnet.datasets.DatasetFormatError
        (A ``ValueError``.) If a file cannot be read by ``scipy.io.loadmat`` (damaged,
        truncated, MATLAB v7.3), lacks the requested feature's variables (the message lists
        the features the file holds), or holds arrays of the wrong shape.

    See Also
    --------
    make_synthetic_seed : write SEED-format files with a known emotion structure.

    Examples
    --------
    >>> import tempfile
    >>> from sk_prnet.datasets import make_synthetic_seed, load_seed
    >>> d = make_synthetic_seed(tempfile.mkdtemp(), n_subjects=2, n_sessions=2,
    ...                         n_windows=(3, 5), random_state=0)
    >>> seed = load_seed(d, subjects=1, sessions=[1])
    >>> seed.X.shape[1], seed.feature_names[:2], sorted(set(seed.y.tolist()))
    (310, ['de_LDS_FP1_delta', 'de_LDS_FP1_theta'], [-1, 0, 1])
    >>> seed.trial_index.min(), seed.trial_index.max(), seed.trial[0]
    (np.int64(1), np.int64(15), np.int64(1101))
    """
    if feature not in SEED_FEATURES:
        raise ValueError(f"Unknown SEED feature {feature!r}; choose from {list(SEED_FEATURES)}.")
    dtype = check_float_dtype(dtype)
    folder = _resolve_seed_dir(data_dir)
    files = _find_seed_files(folder)
    chosen_subjects = select_ids(
        as_int_list(subjects, name="subjects"),
        files,
        what="SEED subject",
        where=f"{str(folder)!r} (files <subject>_<yyyymmdd>.mat)",
    )
    wanted_sessions = as_int_list(sessions, name="sessions")
    plan = []
    for s in chosen_subjects:
        by_session = {sess: path for sess, _, path in files[s]}
        chosen = select_ids(
            wanted_sessions,
            by_session,
            what="session",
            where=f"{str(folder)!r} for subject {s} (files "
            + ", ".join(p.name for _, _, p in files[s])
            + "; sessions are numbered by date)",
        )
        plan.extend((s, sess, by_session[sess]) for sess in chosen)
    labels = _read_labels(folder)

    X, cols = [], {k: [] for k in ("y", "subject", "session", "trial", "trial_index")}
    for s, sess, path in plan:
        x, k = _read_session(path, feature, labels, dtype)
        X.append(x)
        cols["y"].append(labels[k - 1])
        cols["subject"].append(np.full(len(k), s, dtype=np.int64))
        cols["session"].append(np.full(len(k), sess, dtype=np.int64))
        cols["trial"].append(s * SEED_SUBJECT_ID_BASE + sess * SEED_SESSION_ID_BASE + k)
        cols["trial_index"].append(k)
    return Bunch(
        X=np.concatenate(X),
        **{k: np.concatenate(v) for k, v in cols.items()},
        feature_names=_feature_names(feature),
        class_order=[-1, 0, 1],
        class_names=["negative", "neutral", "positive"],
        target_names=["emotion"],
        feature=feature,
        filenames=[str(p) for _, _, p in plan],
        DESCR=SEED_DESCR,
    )
