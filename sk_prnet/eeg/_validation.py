"""Input and parameter checks shared by the spectral feature transformers.

Every check raises :class:`ValueError` with a message that names the offending value and says
how to fix it; nothing here touches the heavy computation.
"""

import numbers
from collections.abc import Sequence

import numpy as np

__all__ = [
    "check_epochs",
    "check_sfreq",
    "check_nperseg",
    "check_floor",
    "check_ch_names",
    "check_pairs",
    "compute_dtype",
    "format_names",
    "raise_zero_power",
]


def format_names(names, limit=12):
    """Quote and join ``names``, eliding the middle of long lists."""
    names = [repr(str(n)) for n in names]
    if len(names) > limit:
        names = names[: limit - 2] + [f"... ({len(names) - limit + 1} more)"] + names[-1:]
    return ", ".join(names)


def compute_dtype(dtype):
    """Floating dtype used for the spectrum of data of dtype ``dtype``.

    ``float32`` (and ``float16``) input is computed in ``float32``: the input holds only float32
    precision, and the float32 pipeline adds an error orders of magnitude below the Welch
    estimator's own variance (measured in ``docs/performance_features.md``). Everything else
    (float64, integers) is computed in ``float64``; float64 input is never downcast, because it
    may carry precision float32 cannot hold (a large DC offset over a small signal).
    """
    dtype = np.dtype(dtype)
    if dtype.kind == "f" and dtype.itemsize <= 4:
        return np.dtype(np.float32)
    return np.dtype(np.float64)


def check_sfreq(sfreq, owner):
    """Return ``sfreq`` as a float, or raise if it is not a positive finite number."""
    if (
        isinstance(sfreq, bool)
        or not isinstance(sfreq, numbers.Real)
        or not np.isfinite(sfreq)
        or sfreq <= 0
    ):
        raise ValueError(f"{owner}: sfreq must be a positive number of Hz, got {sfreq!r}.")
    return float(sfreq)


def check_nperseg(nperseg, sfreq, n_times, owner):
    """Resolve the Welch segment length: ``round(sfreq)`` by default, capped at ``n_times``."""
    if nperseg is None:
        nperseg = int(round(sfreq))
    elif isinstance(nperseg, bool) or not isinstance(nperseg, numbers.Integral):
        raise ValueError(
            f"{owner}: nperseg must be an integer number of samples or None, got {nperseg!r}."
        )
    nperseg = min(int(nperseg), int(n_times))
    if nperseg < 2:
        raise ValueError(
            f"{owner}: the Welch segment must have at least 2 samples, got nperseg={nperseg} "
            f"(sfreq={sfreq:g} Hz, epochs of {n_times} samples). Pass a larger nperseg or "
            "use longer epochs."
        )
    return nperseg


def check_floor(floor, owner):
    """Return ``floor`` as a float (or None), raising unless it is None or positive finite."""
    if floor is None:
        return None
    if (
        isinstance(floor, bool)
        or not isinstance(floor, numbers.Real)
        or not np.isfinite(floor)
        or floor <= 0
    ):
        raise ValueError(
            f"{owner}: floor must be None (raise on zero power) or a positive number, "
            f"got {floor!r}."
        )
    return float(floor)


def check_epochs(X, owner):
    """Convert ``X`` to a floating array of shape (n_epochs, n_channels, n_times).

    Only the shape and dtype are checked here (no pass over the values): finiteness is checked
    while the spectrum is computed, for free.
    """
    if hasattr(X, "to_numpy") and not isinstance(X, np.ndarray):
        X = X.to_numpy()
    X = np.asarray(X)
    if X.dtype.kind not in "biuf":
        raise ValueError(
            f"{owner}: X must hold real numbers, got an array of dtype {X.dtype}. "
            "Convert it with np.asarray(X, dtype=float)."
        )
    if X.ndim != 3:
        if X.ndim == 2:
            hint = (
                " For a single epoch use X[np.newaxis]; for a single channel use "
                "X[:, np.newaxis, :]; to cut continuous trials into epochs use "
                "sk_prnet.eeg.sliding_windows."
            )
        else:
            hint = ""
        raise ValueError(
            f"{owner}: X must be a 3-D array of shape (n_epochs, n_channels, n_times); "
            f"got a {X.ndim}-D array of shape {X.shape}.{hint}"
        )
    if X.shape[0] < 1 or X.shape[1] < 1 or X.shape[2] < 2:
        raise ValueError(
            f"{owner}: X must have at least one epoch, one channel and two time samples; "
            f"got shape {X.shape}."
        )
    X = X.astype(compute_dtype(X.dtype), copy=False)
    return X


def check_ch_names(ch_names, n_channels, owner, default=None):
    """Resolve channel names: given names, ``default``, or ``ch0, ch1, ...``.

    Names must be unique ignoring case (they are looked up case-insensitively and become
    feature names), and there must be one per channel of ``X``.
    """
    if ch_names is None:
        if default is not None:
            names = list(default)
            if len(names) != n_channels:
                raise ValueError(
                    f"{owner}: ch_names defaults to the {len(names)} DEAP EEG channels, but X "
                    f"has {n_channels} channels. Pass ch_names=[...] with one name per channel "
                    "of X."
                )
            return names
        return [f"ch{i}" for i in range(n_channels)]
    try:
        if isinstance(ch_names, str | bytes):
            raise TypeError
        names = list(ch_names)  # list, tuple, ndarray, pandas Index, ...
    except TypeError:
        raise ValueError(
            f"{owner}: ch_names must be a sequence of channel names, got {ch_names!r}."
        ) from None
    if not all(isinstance(n, str) and n for n in names):
        raise ValueError(f"{owner}: ch_names must be non-empty strings, got {names!r}.")
    if len(names) != n_channels:
        raise ValueError(
            f"{owner}: ch_names has {len(names)} names but X has {n_channels} channels "
            f"(X.shape[1]). Pass one name per channel of X, in the order of X's channel axis."
        )
    seen = {}
    dupes = []
    for n in names:
        key = n.lower()
        if key in seen:
            dupes.append(n)
        seen[key] = n
    if dupes:
        raise ValueError(
            f"{owner}: ch_names must be unique (ignoring case); duplicated: {format_names(dupes)}."
        )
    return names


def check_pairs(pairs, ch_names, owner):
    """Resolve (left, right) channel-name pairs to channel indices, case-insensitively.

    Returns
    -------
    index : ndarray of shape (n_pairs, 2)
        Channel indices of the left and right electrode of each pair.
    labels : list of str
        ``"left-right"`` labels, spelled as in ``ch_names``.
    """
    if isinstance(pairs, str | bytes) or not isinstance(pairs, Sequence | np.ndarray):
        raise ValueError(
            f"{owner}: pairs must be a sequence of (left, right) channel-name pairs, "
            f"got {pairs!r}."
        )
    pairs = list(pairs)
    if not pairs:
        raise ValueError(f"{owner}: pairs is empty; give at least one (left, right) pair.")
    for p in pairs:
        if (
            isinstance(p, str)
            or not isinstance(p, Sequence | np.ndarray)
            or len(p) != 2
            or not all(isinstance(n, str) for n in p)
        ):
            raise ValueError(
                f"{owner}: each pair must be a (left, right) tuple of two channel names, "
                f"got {p!r}."
            )
    lookup = {n.lower(): i for i, n in enumerate(ch_names)}
    unknown = [n for p in pairs for n in p if n.lower() not in lookup]
    if unknown:
        unknown = list(dict.fromkeys(unknown))
        raise ValueError(
            f"{owner}: unknown channel name(s) in pairs: {format_names(unknown)}. "
            f"Available channels: {format_names(ch_names, limit=100)}. "
            "Pass ch_names matching X's channels, or pairs using those names."
        )
    index = np.array([[lookup[a.lower()], lookup[b.lower()]] for a, b in pairs], dtype=np.intp)
    same = [tuple(p) for p, (i, j) in zip(pairs, index) if i == j]
    if same:
        raise ValueError(f"{owner}: a pair uses the same channel twice: {same!r}.")
    labels = [f"{ch_names[i]}-{ch_names[j]}" for i, j in index]
    dupes = sorted({lab for lab in labels if labels.count(lab) > 1})
    if dupes:
        raise ValueError(f"{owner}: pairs contains duplicates: {format_names(dupes)}.")
    return index, labels


def raise_zero_power(owner, zero, flat, names, bands, what):
    """Raise the flat-channel / zero-power error of a log band quantity.

    ``zero`` (n_epochs, n_picks, n_bands) marks zero values, ``flat`` (n_epochs, n_picks)
    constant channels; the message names both and says how to fix them.
    """
    units = "units of X squared per Hz" if what == "band power" else "units of X squared"
    bad = zero.any(axis=2)  # (n_epochs, n_picks)
    n_epochs = zero.shape[0]
    parts = []
    flat_bad = bad & flat
    if flat_bad.any():
        chans = np.flatnonzero(flat_bad.any(axis=0))
        epochs = np.flatnonzero(flat_bad.any(axis=1))
        parts.append(
            f"channel(s) {format_names([names[c] for c in chans])} are flat (constant) in "
            f"{len(epochs)} of {n_epochs} epoch(s) (first: epoch {epochs[0]})"
        )
    other = bad & ~flat
    if other.any():
        chans = np.flatnonzero(other.any(axis=0))
        epochs = np.flatnonzero(other.any(axis=1))
        zero_bands = np.flatnonzero((zero & ~flat[..., None]).any(axis=(0, 1)))
        parts.append(
            f"channel(s) {format_names([names[c] for c in chans])} have zero power in band(s) "
            f"{format_names([bands[b] for b in zero_bands])} in {len(epochs)} epoch(s) "
            f"(first: epoch {epochs[0]})"
        )
    raise ValueError(
        f"{owner}: {'; '.join(parts)}, so their {what} is 0 and its logarithm would be -inf. "
        "Drop or interpolate these channels/epochs, pass flat='impute' to replace their "
        "features by the fit-time means, or pass a positive floor (e.g. "
        f"floor=1e-12, in {units}) to clamp the {what} before the log."
    )
