"""Flat and non-finite channels of real recordings: detect, impute, warn.

A saturated amplifier or a loose electrode makes a channel constant over an epoch (zero power,
so its log is -inf); dropped samples make it NaN. The spectral transformers either raise
(``flat="raise"``, ``nan="raise"``) or replace every feature computed from such a channel in
such an epoch by that feature's mean over the epochs seen in ``fit`` (``"impute"``, the
default), with a :class:`BadChannelWarning` naming the channels and epochs, so that a fitted
pipeline still predicts every epoch of the recording from its remaining channels.
"""

import os
import sys
import warnings

import numpy as np
import sklearn

from ._validation import format_names

__all__ = ["BadChannelWarning", "POLICIES", "check_policy", "impute"]

#: Values of the ``flat`` and ``nan`` parameters of the spectral transformers.
POLICIES = ("impute", "raise")


class BadChannelWarning(UserWarning):
    """Features of flat or non-finite channels were imputed (see ``flat=``/``nan=``)."""


def check_policy(value, name, owner):
    """Return ``value`` if it is one of :data:`POLICIES`, else raise a clear ValueError."""
    if not isinstance(value, str) or value not in POLICIES:
        raise ValueError(
            f"{owner}: {name} must be one of {POLICIES}, got {value!r}. 'impute' replaces the "
            "features of the affected channels and epochs by their mean over the epochs seen "
            "in fit (with a BadChannelWarning); 'raise' raises a ValueError."
        )
    return value


# Frames in these folders are library code: a warning should point past them, at the user's call.
_LIBRARY_DIRS = tuple(
    os.path.dirname(os.path.abspath(path)) + os.sep
    for path in (os.path.dirname(__file__), sklearn.__file__)
)


def _user_stacklevel():
    """``stacklevel`` that makes a warning issued by our caller point at the user's code.

    A fixed level cannot: the warning is reached through ``fit``, ``transform`` or
    ``fit_transform``, possibly via scikit-learn's output wrappers and a Pipeline, so the
    number of library frames above the caller varies.
    """
    frame = sys._getframe(1)  # the function that will call warnings.warn: level 1
    level = 1
    while frame is not None and frame.f_code.co_filename.startswith(_LIBRARY_DIRS):
        frame = frame.f_back
        level += 1
    return level


def _epochs(mask):
    epochs = np.flatnonzero(mask)
    shown = ", ".join(str(e) for e in epochs[:10]) + (", ..." if len(epochs) > 10 else "")
    return f"{len(epochs)} epoch(s) ({shown})"


def impute(features, bad, fill_values, owner, names, flat, nonfinite, fitting,
           feature_names):  # fmt: skip
    """Replace ``features[bad]`` by the fit-time means and warn which channels/epochs.

    ``features`` (n_epochs, n_features) has NaN where ``bad``; ``flat`` and ``nonfinite``
    (n_epochs, n_picks) say why, ``names`` are the picked channels' names. When ``fitting``,
    the means are computed here from the good epochs and returned.
    """
    if fitting:
        counts = (~bad).sum(axis=0)
        if (counts == 0).any():
            never = [feature_names[j] for j in np.flatnonzero(counts == 0)]
            raise ValueError(
                f"{owner}: feature(s) {format_names(never)} come from a channel that is flat or "
                "holds NaN/inf in every epoch given to fit, so there is nothing to impute them "
                "from. Drop that channel (or those epochs) before fitting."
            )
        fill_values = np.where(bad, 0, features).sum(axis=0) / counts
    parts = []
    for mask, what in ((flat, "flat (constant) or without power"), (nonfinite, "NaN/inf")):
        if mask is not None and mask.any():
            for c in np.flatnonzero(mask.any(axis=0)):
                parts.append(f"{names[c]!r} {what} in {_epochs(mask[:, c])}")
    warnings.warn(
        f"{owner}: {'; '.join(parts)}. The features computed from these channels in these "
        "epochs were replaced by their mean over the epochs seen in fit (flat='impute', "
        "nan='impute'); pass flat='raise' / nan='raise' to get an error instead.",
        BadChannelWarning,
        stacklevel=_user_stacklevel(),
    )
    features = np.where(bad, fill_values.astype(features.dtype), features)
    return features, fill_values
