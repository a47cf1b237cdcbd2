"""Splitters of the PRNet paper's evaluation protocols (Zoumpourlis & Patras, ACII 2021, Sec. IV).

* DEAP, subject-dependent: for each subject, 10-fold cross-validation over the 40 trials
  (4 whole trials per fold) -- :func:`deap_subject_dependent_cv` / :class:`TrialKFold`.
* SEED, subject-dependent: per session, the first 9 trials train and the last 6 test
  (as in Zheng & Lu, 2015) -- :class:`SeedSessionSplit` / :func:`seed_train_test_split`.
* Subject-independent: leave one subject out -- :func:`leave_one_subject_out`.

Standard scikit-learn splitters are used wherever they fit.
"""

from numbers import Integral

import numpy as np
from sklearn.model_selection import (
    BaseCrossValidator,
    GroupKFold,
    LeaveOneGroupOut,
    PredefinedSplit,
)
from sklearn.model_selection._split import GroupsConsumerMixin
from sklearn.utils import indexable
from sklearn.utils.validation import check_array

__all__ = [
    "SeedSessionSplit",
    "TrialKFold",
    "deap_subject_dependent_cv",
    "leave_one_subject_out",
    "seed_train_test_split",
]

def _check_groups(groups, who):
    if groups is None:
        raise ValueError(
            f"{who} needs groups: pass the per-window trial index, e.g. "
            "cross_val_score(est, X, y, groups=trial, cv=...)."
        )
    return check_array(groups, input_name="groups", ensure_2d=False, dtype=None)


class TrialKFold(GroupKFold):
    """K-fold over whole trials, with the same number of trials in every fold.

    A :class:`~sklearn.model_selection.GroupKFold` whose groups are trial ids; every window of
    a trial lands in the same fold. Unlike ``GroupKFold``, which balances the number of
    *samples* per fold, the folds here hold ``n_trials // n_splits`` or one more *trials*
    regardless of how many windows each trial has (the paper: "40 trials split into 10 folds,
    each fold containing 4 trials").

    Parameters
    ----------
    n_splits : int, default=10
        Number of folds (at least 2).
    shuffle : bool, default=False
        ``False``: deterministic interleaved assignment -- the trial of sorted rank ``r`` goes
        to fold ``r % n_splits`` (for DEAP fold 0 holds trials 0, 10, 20, 30). ``True``: the
        trials are permuted with ``random_state`` and cut into contiguous chunks, exactly as
        ``GroupKFold(shuffle=True)`` does.
    random_state : int, RandomState instance or None, default=None
        Seed of the permutation; only used when ``shuffle=True``.

    Notes
    -----
    Why interleaved rather than contiguous (trials 0-3 in fold 0, ...): DEAP files store the
    trials in video (``Experiment_id``) order, and the videos were chosen per valence/arousal
    quadrant, so neighbouring trials tend to share labels. Contiguous blocks would give test
    folds that are close to single-class, interleaving spreads every block over the folds. The
    paper does not state its assignment; pass ``shuffle=True`` for a random one.

    Examples
    --------
    >>> import numpy as np
    >>> trial = np.repeat(np.arange(6), 2)          # 6 trials, 2 windows each
    >>> cv = TrialKFold(n_splits=3)
    >>> [np.unique(trial[test]).tolist() for _, test in cv.split(trial, groups=trial)]
    [[0, 3], [1, 4], [2, 5]]
    """

    def __init__(self, n_splits=10, *, shuffle=False, random_state=None):
        super().__init__(n_splits, shuffle=shuffle, random_state=random_state)

    def _check_trials(self, groups):
        groups = _check_groups(groups, type(self).__name__)
        n_trials = np.unique(groups).shape[0]
        if n_trials < self.n_splits:
            raise ValueError(
                f"Cannot split {n_trials} trials into n_splits={self.n_splits} folds: "
                "each fold needs at least one whole trial (a DEAP subject has 40). "
                "Check that groups holds trial ids, or lower n_splits."
            )
        return groups

    def _iter_test_indices(self, X, y, groups):
        groups = self._check_trials(groups)
        trials, trial_idx = np.unique(groups, return_inverse=True)
        if self.shuffle:
            yield from super()._iter_test_indices(X, y, groups)
            return
        fold_of_trial = np.arange(trials.shape[0]) % self.n_splits
        fold_of_sample = fold_of_trial[trial_idx]
        for fold in range(self.n_splits):
            yield np.flatnonzero(fold_of_sample == fold)

    def split(self, X, y=None, groups=None):
        """Generate train/test indices; no trial is ever in both.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Windows (only their number is used).
        y : array-like of shape (n_samples,), default=None
            Ignored; present for API compatibility.
        groups : array-like of shape (n_samples,)
            Trial id of every window.

        Yields
        ------
        train : ndarray
            Training-set indices of the split.
        test : ndarray
            Test-set indices of the split.

        Raises
        ------
        ValueError
            If ``groups`` is missing or holds fewer trials than ``n_splits``.
        """
        X, y, groups = indexable(X, y, groups)
        groups_arr = self._check_trials(groups)  # before GroupKFold's less specific checks
        for train, test in super().split(X, y, groups_arr):  # whole trials by construction:
            if np.isin(groups_arr[test], groups_arr[train]).any():
                raise RuntimeError("A trial was split across train and test; please report.")
            yield train, test


def deap_subject_dependent_cv(n_splits=10, *, shuffle=False, random_state=None):
    """Splitter of the DEAP subject-dependent protocol (10 folds of 4 whole trials).

    Use it on ONE subject's windows with ``groups`` = per-window trial id; run it for every
    subject with :func:`evaluate_subjects`.

    Parameters
    ----------
    n_splits : int, default=10
        Number of folds.
    shuffle : bool, default=False
        Deterministic interleaved trials-to-folds assignment when ``False``; see
        :class:`TrialKFold`.
    random_state : int, RandomState instance or None, default=None
        Seed used when ``shuffle=True``.

    Returns
    -------
    cv : TrialKFold
        A group splitter usable as ``cv=`` in :func:`~sklearn.model_selection.cross_validate`.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.dummy import DummyClassifier
    >>> from sklearn.model_selection import cross_val_score
    >>> trial = np.repeat(np.arange(40), 3)          # 40 trials x 3 windows
    >>> X, y = np.zeros((120, 2)), trial % 2
    >>> cross_val_score(DummyClassifier(), X, y, groups=trial,
    ...                 cv=deap_subject_dependent_cv()).shape
    (10,)
    """
    return TrialKFold(n_splits, shuffle=shuffle, random_state=random_state)


def leave_one_subject_out():
    """Subject-independent splitter: each subject is the test set once.

    Returns
    -------
    cv : sklearn.model_selection.LeaveOneGroupOut
        Pass the per-sample subject id as ``groups``.

    Examples
    --------
    >>> import numpy as np
    >>> subject = np.array([1, 1, 2, 2, 3, 3])
    >>> leave_one_subject_out().get_n_splits(groups=subject)
    3
    """
    return LeaveOneGroupOut()


def _seed_train_mask(trial, n_train_trials, n_trials, first_trial):
    """Boolean train mask of the SEED split, with validated parameters and trial indices."""
    for name, value, low in (("n_trials", n_trials, 2), ("n_train_trials", n_train_trials, 1)):
        if not isinstance(value, Integral) or isinstance(value, bool) or value < low:
            raise ValueError(f"{name} must be an integer >= {low}, got {value!r}.")
    if n_train_trials >= n_trials:
        raise ValueError(
            f"n_train_trials={n_train_trials} leaves no test trial out of n_trials={n_trials}."
        )
    if not isinstance(first_trial, Integral) or isinstance(first_trial, bool):
        raise ValueError(f"first_trial must be an integer (0 or 1), got {first_trial!r}.")
    trial = check_array(trial, input_name="trial", ensure_2d=False, dtype=None)
    if trial.ndim != 1:
        raise ValueError(f"trial indices must be 1-D, got shape {trial.shape}.")
    if not np.issubdtype(trial.dtype, np.number) or not np.all(np.mod(trial, 1) == 0):
        raise ValueError("trial indices must be integers (the trial's position in the session).")
    last = first_trial + n_trials - 1
    bad = (trial < first_trial) | (trial > last)
    if bad.any():
        hint = ""
        if first_trial == 1 and trial.min() == 0:
            hint = " They look 0-based: pass first_trial=0."
        elif first_trial == 0 and trial.max() == n_trials:
            hint = " They look 1-based: pass first_trial=1."
        raise ValueError(
            f"trial indices must lie in {first_trial}..{last} (first_trial={first_trial}, "
            f"n_trials={n_trials}); got out-of-range values "
            f"{np.unique(trial[bad])[:10].tolist()}.{hint}"
        )
    train = trial < first_trial + n_train_trials
    if train.all() or not train.any():
        raise ValueError(
            f"The SEED split needs windows from both the first {n_train_trials} trials (train) "
            "and the remaining ones (test); the given trial indices contain only "
            f"{'training' if train.all() else 'test'} trials."
        )
    return train


class SeedSessionSplit(GroupsConsumerMixin, BaseCrossValidator):
    """SEED subject-dependent split: first trials of a session train, the last ones test.

    One split per call: windows of trials ``first_trial .. first_trial + n_train_trials - 1``
    (1..9 by default) are the training set, the others (10..15) the test set. ``groups`` is
    the per-window trial index *within the session*, in file order. Apply it to one session
    at a time, e.g. with :func:`evaluate_subjects` and ``subject`` = a (subject, session) id.

    Parameters
    ----------
    n_train_trials : int, default=9
        Number of leading trials used for training.
    n_trials : int, default=15
        Number of trials in a session; indices outside the range raise an error.
    first_trial : int, default=1
        Index of the first trial: ``1`` for SEED's 1..15 numbering, ``0`` for 0-based.

    Examples
    --------
    >>> import numpy as np
    >>> trial = np.repeat(np.arange(1, 16), 2)      # 15 trials x 2 windows
    >>> train, test = next(SeedSessionSplit().split(trial, groups=trial))
    >>> np.unique(trial[train]).tolist(), np.unique(trial[test]).tolist()
    ([1, 2, 3, 4, 5, 6, 7, 8, 9], [10, 11, 12, 13, 14, 15])
    """

    def __init__(self, n_train_trials=9, *, n_trials=15, first_trial=1):
        self.n_train_trials = n_train_trials
        self.n_trials = n_trials
        self.first_trial = first_trial

    def _iter_test_masks(self, X=None, y=None, groups=None):
        groups = _check_groups(groups, type(self).__name__)
        yield ~_seed_train_mask(groups, self.n_train_trials, self.n_trials, self.first_trial)

    def get_n_splits(self, X=None, y=None, groups=None):
        """Return the number of splits, always 1.

        Parameters
        ----------
        X, y, groups : object
            Ignored; present for API compatibility.

        Returns
        -------
        n_splits : int
            1.
        """
        return 1

    def split(self, X, y=None, groups=None):
        """Generate the train/test indices of the session.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Windows (only their number is used).
        y : array-like of shape (n_samples,), default=None
            Ignored; present for API compatibility.
        groups : array-like of shape (n_samples,)
            Trial index of every window within its session.

        Yields
        ------
        train : ndarray
            Indices of the windows of the first ``n_train_trials`` trials.
        test : ndarray
            Indices of the windows of the remaining trials.

        Raises
        ------
        ValueError
            If ``groups`` is missing, holds non-integer or out-of-range trial indices, or does
            not contain both training and test trials.
        """
        return super().split(X, y, groups)


def seed_train_test_split(trial, n_train_trials=9, *, n_trials=15, first_trial=1):
    """SEED split of one session as a :class:`~sklearn.model_selection.PredefinedSplit`.

    Parameters
    ----------
    trial : array-like of shape (n_samples,)
        Trial index of every window within the session (1..15 by default).
    n_train_trials : int, default=9
        Number of leading trials used for training.
    n_trials : int, default=15
        Number of trials per session.
    first_trial : int, default=1
        ``1`` for 1-based trial numbers, ``0`` for 0-based ones.

    Returns
    -------
    cv : sklearn.model_selection.PredefinedSplit
        ``test_fold`` is -1 for training windows and 0 for test windows; usable as ``cv=``
        on exactly these windows (no ``groups`` needed).

    Raises
    ------
    ValueError
        If trial indices are not integers within the range, or only one side is present.

    Examples
    --------
    >>> import numpy as np
    >>> cv = seed_train_test_split(np.arange(1, 16))
    >>> cv.test_fold.tolist()
    [-1, -1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0]
    """
    train = _seed_train_mask(trial, n_train_trials, n_trials, first_trial)
    return PredefinedSplit(np.where(train, -1, 0))
