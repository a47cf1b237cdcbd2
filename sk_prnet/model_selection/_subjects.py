"""Running a cross-validation protocol separately on every subject, and its tidy scores.

:func:`evaluate_subjects` runs any splitter of :mod:`sk_prnet.model_selection` (or of
scikit-learn) per subject and returns a tidy :class:`pandas.DataFrame`;
:func:`pivot_scores` and :func:`summarize_scores` reshape it.
"""

import warnings

import numpy as np
import pandas as pd
from sklearn import get_config
from sklearn.base import clone, is_classifier
from sklearn.model_selection import check_cv, cross_validate
from sklearn.utils import _safe_indexing
from sklearn.utils.metadata_routing import get_routing_for_object
from sklearn.utils.parallel import Parallel, delayed
from sklearn.utils.validation import check_array
from tqdm.auto import tqdm

__all__ = ["evaluate_subjects", "pivot_scores", "summarize_scores"]

def _length(value):  # number of samples of an array-like
    return value.shape[0] if hasattr(value, "shape") else len(value)


def _is_sample_aligned(value, n_samples):
    """Whether a metadata value has one entry per sample (and must be sliced with them)."""
    if isinstance(value, (str, bytes, dict)):
        return False
    if hasattr(value, "shape"):
        return len(value.shape) > 0 and value.shape[0] == n_samples
    try:
        return len(value) == n_samples
    except TypeError:
        return False


def evaluate_subjects(
    estimator,
    X,
    y,
    subject,
    cv,
    *,
    scoring=None,
    groups=None,
    params=None,
    n_jobs=None,
    verbose=0,
    progress=False,
    error_score=np.nan,
):
    """Run a cross-validation separately on every subject (subject-dependent protocol).

    For each subject, ``X``, ``y``, ``groups`` and every sample-aligned entry of ``params``
    are restricted to that subject's samples, and
    :func:`~sklearn.model_selection.cross_validate` is run with a fresh clone of
    ``estimator`` and the splitter ``cv``.

    Parameters
    ----------
    estimator : estimator object
        Unfitted estimator or pipeline; cloned per subject.
    X : array-like of shape (n_samples, ...)
        Samples (e.g. windows or window features) of all subjects.
    y : array-like of shape (n_samples,) or (n_samples, n_outputs)
        Targets.
    subject : array-like of shape (n_samples,)
        Subject id of every sample; use a (subject, session) id for per-session protocols.
    cv : int, cross-validation generator or iterable
        Splitter applied within each subject, e.g. :func:`deap_subject_dependent_cv` or
        :class:`SeedSessionSplit`. An int means (Stratified)KFold as in scikit-learn.
    scoring : str, callable, list, tuple or dict, default=None
        As in :func:`~sklearn.model_selection.cross_validate`.
    groups : array-like of shape (n_samples,), default=None
        Group labels for ``cv`` (e.g. trial ids). With metadata routing enabled they are
        passed through ``params["groups"]`` to splitters that request them.
    params : dict, default=None
        Metadata such as ``{"sample_weight": w}``. Entries of length ``n_samples`` are sliced
        per subject; other values are passed unchanged. They go to ``cross_validate(params=)``,
        which splits sample-aligned entries per fold: with routing disabled they are fit
        parameters of ``estimator``; with ``sklearn.set_config(enable_metadata_routing=True)``
        they are routed to whichever consumers request them.
    n_jobs : int, default=None
        Number of subjects evaluated in parallel (joblib); folds run sequentially.
    verbose : int, default=0
        Verbosity of joblib and of ``cross_validate``.
    progress : bool, default=False
        Show a :mod:`tqdm` progress bar over subjects.
    error_score : "raise" or numeric, default=np.nan
        As in :func:`~sklearn.model_selection.cross_validate`.

    Returns
    -------
    scores : pandas.DataFrame
        Tidy long form, one row per (subject, fold, metric), subjects in sorted order, with
        columns ``subject``, ``fold`` (0-based within the subject), ``metric``, ``value``,
        ``fit_time`` and ``score_time`` (seconds, repeated for each metric of the fold).
        ``metric`` is the scorer name: the string itself for a single string ``scoring``,
        the keys/names for list or dict scoring, ``"score"`` for ``None`` or a callable.
        See :func:`pivot_scores` (one column per metric) and :func:`summarize_scores`.

    Raises
    ------
    ValueError
        If the arrays have different lengths, if ``groups`` is given both directly and in
        ``params`` under routing, or if ``cv`` cannot split some subject (e.g. fewer trials
        than folds); the message names the subject.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.dummy import DummyClassifier
    >>> from sk_prnet.model_selection import TrialKFold, evaluate_subjects
    >>> subject = np.repeat([1, 2], 40)
    >>> trial = np.tile(np.repeat(np.arange(20), 2), 2)
    >>> X, y = np.zeros((80, 3)), trial % 2
    >>> df = evaluate_subjects(DummyClassifier(), X, y, subject, cv=TrialKFold(5),
    ...                        groups=trial, scoring=["accuracy", "f1_macro"])
    >>> df.shape, list(df.columns)
    ((20, 6), ['subject', 'fold', 'metric', 'value', 'fit_time', 'score_time'])
    """
    params = dict(params or {})
    routing = get_config()["enable_metadata_routing"]
    if routing and "groups" in params:
        if groups is not None:
            raise ValueError("Pass groups either as groups= or as params['groups'], not both.")
        groups = params.pop("groups")
    arrays = {"X": X, "y": y, "subject": subject, "groups": groups}
    lengths = {name: _length(a) for name, a in arrays.items() if a is not None}
    if len(set(lengths.values())) > 1:
        raise ValueError(
            "X, y, subject and groups must have one entry per sample; got lengths "
            + ", ".join(f"{k}={v}" for k, v in lengths.items())
            + "."
        )
    n_samples = lengths["X"]
    cv = check_cv(cv, y, classifier=is_classifier(estimator))
    groups_to_params = (
        routing
        and groups is not None
        and "groups" in get_routing_for_object(cv).consumes("split", ["groups"])
    )

    subject_arr = check_array(subject, input_name="subject", ensure_2d=False, dtype=None)
    subjects = np.unique(subject_arr)
    aligned = {k for k, v in params.items() if _is_sample_aligned(v, n_samples)}
    index = [np.flatnonzero(subject_arr == s) for s in subjects]
    # Fail fast, before any fit, if some subject cannot be split (only lengths, y and groups
    # matter to splitters, so a placeholder X avoids copying the data twice).
    for s, idx in zip(subjects, index):
        y_s = None if y is None else _safe_indexing(y, idx)
        g_s = None if groups is None else _safe_indexing(groups, idx)
        try:
            with warnings.catch_warnings():  # the real run emits them once
                warnings.simplefilter("ignore")
                next(iter(cv.split(np.zeros((idx.shape[0], 1)), y_s, g_s)))
        except ValueError as err:
            n_groups = "no" if g_s is None else np.unique(np.asarray(g_s)).shape[0]
            name = s.item() if isinstance(s, np.generic) else s
            raise ValueError(
                f"Subject {name!r} ({idx.shape[0]} samples, {n_groups} groups) cannot be split "
                f"by {cv}: {err}"
            ) from err

    def tasks():  # sliced lazily, so only a few subjects' copies exist at any time
        for idx in index:
            y_s = None if y is None else _safe_indexing(y, idx)
            g_s = None if groups is None else _safe_indexing(groups, idx)
            p_s = {k: (_safe_indexing(v, idx) if k in aligned else v) for k, v in params.items()}
            if routing:  # cross_validate refuses groups= under routing; splitters get params
                if groups_to_params:
                    p_s["groups"] = g_s
                g_s = None
            yield delayed(cross_validate)(
                clone(estimator),
                _safe_indexing(X, idx),
                y_s,
                groups=g_s,
                cv=cv,
                scoring=scoring,
                params=p_s or None,
                error_score=error_score,
                verbose=verbose,
            )

    parallel = Parallel(n_jobs=n_jobs, verbose=verbose, return_as="generator")
    bar = tqdm(parallel(tasks()), total=len(index), disable=not progress, unit="subject")
    results = list(bar)

    rows = []
    for s, res in zip(subjects, results):
        metrics = [k[len("test_") :] for k in res if k.startswith("test_")]
        fit_time = np.asarray(res["fit_time"], dtype=float)
        score_time = np.asarray(res["score_time"], dtype=float)
        for fold in range(len(res["fit_time"])):
            for m in metrics:
                name = scoring if (isinstance(scoring, str) and m == "score") else m
                value = float(res[f"test_{m}"][fold])
                rows.append((s, fold, name, value, fit_time[fold], score_time[fold]))
    columns = ["subject", "fold", "metric", "value", "fit_time", "score_time"]
    return pd.DataFrame(rows, columns=columns)


def pivot_scores(scores):
    """Wide form of :func:`evaluate_subjects` output: one row per (subject, fold).

    Parameters
    ----------
    scores : pandas.DataFrame
        Long-form scores with columns ``subject, fold, metric, value, fit_time, score_time``.

    Returns
    -------
    wide : pandas.DataFrame
        Columns ``subject``, ``fold``, one column per metric (in order of appearance),
        ``fit_time`` and ``score_time``.

    Examples
    --------
    >>> import pandas as pd
    >>> long = pd.DataFrame({"subject": [1, 1], "fold": [0, 0], "metric": ["acc", "f1"],
    ...                      "value": [0.5, 0.4], "fit_time": [0.1, 0.1],
    ...                      "score_time": [0.0, 0.0]})
    >>> list(pivot_scores(long).columns)
    ['subject', 'fold', 'acc', 'f1', 'fit_time', 'score_time']
    """
    keys = ["subject", "fold"]
    metrics = list(pd.unique(scores["metric"]))
    wide = scores.pivot(index=keys, columns="metric", values="value")[metrics]
    times = scores.groupby(keys, sort=True)[["fit_time", "score_time"]].first()
    out = wide.join(times).reset_index()
    out.columns.name = None
    return out


def summarize_scores(scores):
    """Mean and spread over subjects of the per-subject mean scores.

    Each subject's folds are averaged first, as papers report subject-dependent results
    (and compute t-tests) over per-subject scores.

    Parameters
    ----------
    scores : pandas.DataFrame
        Output of :func:`evaluate_subjects`.

    Returns
    -------
    summary : pandas.DataFrame
        Indexed by ``metric``, columns ``mean``, ``std`` (over subjects, ``ddof=1``; NaN
        with a single subject) and ``n_subjects``.

    Examples
    --------
    >>> import pandas as pd
    >>> long = pd.DataFrame({"subject": [1, 1, 2, 2], "fold": [0, 1, 0, 1],
    ...                      "metric": ["acc"] * 4, "value": [0.5, 0.7, 0.8, 1.0],
    ...                      "fit_time": 0.0, "score_time": 0.0})
    >>> summarize_scores(long).round(3).to_dict("index")
    {'acc': {'mean': 0.75, 'std': 0.212, 'n_subjects': 2}}
    """
    per_subject = scores.groupby(["metric", "subject"], sort=False)["value"].mean()
    summary = per_subject.groupby(level="metric", sort=False).agg(["mean", "std", "count"])
    return summary.rename(columns={"count": "n_subjects"})
