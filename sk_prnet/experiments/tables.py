"""The report's tables of a results store, laid out by each experiment (see
:meth:`sk_prnet.experiments.protocol.Experiment.tables`): a summary table per model set, one
per cut-off (Table IX), or the alpha and epsilon sweeps and their grid (Tables VII/VIII).
"""

import numpy as np
import pandas as pd

from .registry import get_experiment
from .report import grid_table, paired_test, summary_table

__all__ = [
    "cutoff_tables",
    "experiment_tables",
    "scores_for_tables",
    "standard_tables",
    "summary_tables",
    "sweep_tables",
]

BASELINE = "baseline (alpha=0)"


def _order(keys):
    """Baseline first, then PRNet by alpha and epsilon, then models without alpha (RankNet)."""

    def key(k):
        alpha, eps = k
        rank = 0 if alpha == 0 else 1 if alpha is not None else 2
        return rank, alpha or 0.0, -1.0 if eps is None else eps

    return sorted(keys, key=key)


def _no_nan(value):
    value = float(value)
    return None if np.isnan(value) else value


def scores_for_tables(df):
    """Map the store's tidy rows to the score table of :func:`summary_table`.

    ``subject`` becomes the replicate over which the std is taken: the subject (its folds and
    sessions are averaged first) or, without subjects, the repeat of a repeated K-fold.

    Parameters
    ----------
    df : pandas.DataFrame
        Rows of :func:`sk_prnet.experiments.load_results` (one experiment).

    Returns
    -------
    scores : pandas.DataFrame
        Columns ``model, subject, fold, target, metric, value`` plus ``alpha, epsilon,
        cutoff``.
    """
    import json

    out = df.copy()
    has_subject = out["subject"].notna()
    replicate = out["repeat"].fillna(0).astype(int) + 1
    out["subject"] = np.where(has_subject, out["subject"].fillna(0).astype(int), replicate)
    params = out["params"].map(json.loads)
    # object dtype: "full" (no cut-off), a float c, or "n/a" (not a cut-off experiment)
    cutoff = [
        ("full" if p["cutoff"] is None else float(p["cutoff"])) if "cutoff" in p else "n/a"
        for p in params
    ]
    out["cutoff"] = pd.Series(cutoff, index=out.index, dtype=object)
    out["epsilon"] = out["epsilon"].astype(float)
    return out


def _test_settings(scores):
    """Metric and ``test_fraction`` of the paired tests of an experiment (None: no tests).

    Classification: F1 over subjects (the paper). Regression with repeated K-fold CV: CCC
    with the corrected resampled t-test. A single split (AffectNet) has nothing to pair.
    """
    import json

    if "f1" in set(scores["metric"]):
        return "f1", None
    k = json.loads(scores["params"].iloc[0]).get("n_splits")
    if k and k > 1 and "ccc" in set(scores["metric"]):
        return "ccc", 1.0 / (k - 1)
    return None, None


def experiment_tables(df):
    """Summary tables (and paired tests) of one experiment's rows.

    The experiment registered under the rows' ``experiment`` name lays them out
    (:meth:`~sk_prnet.experiments.protocol.Experiment.tables`); an unknown name gets
    :func:`standard_tables`.

    Parameters
    ----------
    df : pandas.DataFrame
        Rows of :func:`sk_prnet.experiments.load_results` for one experiment and dataset.

    Returns
    -------
    tables : list of dict
        ``title``, ``summary`` (:func:`~sk_prnet.experiments.summary_table`), ``tests``
        (list of :func:`~sk_prnet.experiments.paired_test` frames, baseline vs each other
        model: on F1 over subjects for classification, on CCC with the corrected resampled
        t-test for repeated K-fold regression, none for a single split), ``notes`` (list of
        str); a grid sweep adds a table with ``grids``
        (:func:`~sk_prnet.experiments.grid_table`) and ``metric`` instead of ``summary``.
    """
    scores = scores_for_tables(df)
    experiment, dataset = scores["experiment"].iloc[0], scores["dataset"].iloc[0]
    cls = get_experiment(experiment, None)
    if cls is None:
        return standard_tables(scores, f"{experiment} on {dataset}")
    return cls.tables(scores)


def _settings(scores):
    """``{(alpha, epsilon): model}`` of the scores' models."""
    return {
        (_no_nan(a), _no_nan(e)): m
        for a, e, m in scores[["alpha", "epsilon", "model"]]
        .drop_duplicates()
        .itertuples(index=False)
    }


def _table(title, part, models, metric, test_fraction):
    summary = summary_table(part).reindex(models)
    tests, notes = [], []
    if metric is not None and BASELINE in models:
        for other in models:
            if other == BASELINE:
                continue
            try:
                res = paired_test(
                    part, baseline=BASELINE, other=other, metric=metric,
                    test_fraction=test_fraction,
                )  # fmt: skip
            except ValueError as err:
                notes.append(f"no paired test for {other}: {err}")
                continue
            res.attrs["other"] = other
            tests.append(res)
    return {"title": title, "summary": summary, "tests": tests, "notes": notes}


def summary_tables(scores, title):
    """One summary table of every model (baseline first) with its paired tests.

    Parameters
    ----------
    scores : pandas.DataFrame
        Output of :func:`scores_for_tables` for one configuration of an experiment.
    title : str

    Returns
    -------
    tables : list of dict
        One table (see :func:`experiment_tables`).
    """
    settings = _settings(scores)
    models = [settings[k] for k in _order(settings)]
    return [_table(title, scores, models, *_test_settings(scores))]


def standard_tables(scores, title):
    """:func:`cutoff_tables` when the units have a cut-off, else :func:`summary_tables`.

    Parameters
    ----------
    scores : pandas.DataFrame
        Output of :func:`scores_for_tables`.
    title : str

    Returns
    -------
    tables : list of dict
    """
    if (scores["cutoff"] != "n/a").any():
        return cutoff_tables(scores)
    return summary_tables(scores, title)


def cutoff_tables(scores):
    """One summary table per label-space cut-off (paper Table IX), the full set last.

    Parameters
    ----------
    scores : pandas.DataFrame
        Output of :func:`scores_for_tables`.

    Returns
    -------
    tables : list of dict
    """
    dataset = scores["dataset"].iloc[0]
    metric, test_fraction = _test_settings(scores)
    settings = _settings(scores)
    tables = []
    for c in sorted(set(scores["cutoff"]), key=lambda c: np.inf if c == "full" else c):
        part = scores[scores["cutoff"].map(lambda v, c=c: v == c)]
        label = "full training set" if c == "full" else f"c = {c:g}"
        models = [settings[k] for k in _order(settings) if settings[k] in set(part.model)]
        title = f"Table IX: label-space cut-off, {label} ({dataset})"
        tables.append(_table(title, part, models, metric, test_fraction))
    return tables


def sweep_tables(scores):
    """The alpha sweep (Table VII), the epsilon sweep (Table VIII) and, for a full grid, the
    alpha x epsilon grid of differences to the baseline.

    Parameters
    ----------
    scores : pandas.DataFrame
        Output of :func:`scores_for_tables`.

    Returns
    -------
    tables : list of dict
    """
    dataset = scores["dataset"].iloc[0]
    metric, test_fraction = _test_settings(scores)
    settings = _settings(scores)
    nonzero = [k for k in settings if k[0] not in (0, None)]
    by_eps, by_alpha = {}, {}
    for a, e in nonzero:
        by_eps.setdefault(e, set()).add(a)
        by_alpha.setdefault(a, set()).add(e)
    ref_eps = max(by_eps, key=lambda e: (len(by_eps[e]), -(e or 0)), default=None)
    ref_alpha = max(by_alpha, key=lambda a: (len(by_alpha[a]), a == 1.0), default=None)
    base = [k for k in settings if k[0] == 0]
    alpha_rows = base + [k for k in nonzero if k[1] == ref_eps]
    eps_rows = base + [k for k in nonzero if k[0] == ref_alpha]
    # without epsilon (SEED ranks by class order) there is no epsilon sweep to show
    at_eps = "" if ref_eps is None else f" at epsilon = {ref_eps:g}"
    sweeps = [(f"Table VII shape: alpha sweep{at_eps} ({dataset})", alpha_rows)]
    if any(e is not None for _, e in nonzero):
        title = f"Table VIII shape: epsilon sweep at alpha = {ref_alpha:g} ({dataset})"
        sweeps.append((title, eps_rows))
    tables = []
    for title, rows in sweeps:
        models = [settings[k] for k in _order(rows)]
        part = scores[scores["model"].isin(models)]
        tables.append(_table(title, part, models, metric, test_fraction))
    alphas, epsilons = {a for a, _ in nonzero}, {e for _, e in nonzero}
    is_grid = len(alphas) > 1 and len(epsilons) > 1
    if is_grid and len(nonzero) == len(alphas) * len(epsilons) and metric is not None:
        grids = grid_table(
            scores, BASELINE, {k: settings[k] for k in nonzero}, metric, test_fraction
        )
        title = f"alpha x epsilon grid: {metric} minus the baseline's ({dataset})"
        tables.append({"title": title, "grids": grids, "metric": metric, "notes": []})
    return tables
