"""Paper-shaped tables and statistics from tidy score tables.

A tidy score table has one row per (model, subject, fold, target, metric) with a ``value``;
the paper's protocol averages folds within a subject first, then reports mean and standard
deviation over subjects, and compares models with a paired Student's t-test over subjects.
"""

import numpy as np
import pandas as pd
from scipy import stats

__all__ = ["subject_means", "summary_table", "paired_test", "stars", "format_table"]

_KEYS = ("model", "subject", "target", "metric")


def _check_columns(df, columns):
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise ValueError(
            f"The score table lacks columns {missing}; it needs {list(columns)} "
            "(one row per model, subject, fold, target and metric)."
        )


def subject_means(df):
    """Average the folds of each (model, subject, target, metric).

    Parameters
    ----------
    df : pandas.DataFrame
        Columns ``model, subject, target, metric, value`` (``fold`` optional).

    Returns
    -------
    means : pandas.DataFrame
        One row per (model, subject, target, metric) with the mean ``value``.
    """
    _check_columns(df, (*_KEYS, "value"))
    return df.groupby(list(_KEYS), sort=True, observed=True)["value"].mean().reset_index()


def summary_table(df):
    """Mean and std over subjects of the per-subject means (paper Tables IV and V).

    Parameters
    ----------
    df : pandas.DataFrame
        A tidy score table (see :func:`subject_means`).

    Returns
    -------
    table : pandas.DataFrame
        Index ``model``; columns a MultiIndex ``(target, metric, {"mean", "std"})``. The
        std is the sample standard deviation (ddof=1) over subjects, as usual in papers.
    """
    per_subject = subject_means(df)
    grouped = per_subject.groupby(["model", "target", "metric"], observed=True)["value"]
    table = grouped.agg(mean="mean", std=lambda v: float(np.std(v, ddof=1)) if len(v) > 1 else np.nan)
    return table.unstack(["target", "metric"]).reorder_levels([1, 2, 0], axis=1).sort_index(axis=1)


def paired_test(df, baseline, other, metric="f1"):
    """Paired Student's t-test over subjects of ``other`` vs ``baseline`` on ``metric``.

    Parameters
    ----------
    df : pandas.DataFrame
        A tidy score table.
    baseline, other : hashable
        Values of the ``model`` column to compare.
    metric : str, default="f1"

    Returns
    -------
    result : pandas.DataFrame
        One row per target: ``n_subjects, mean_difference, t, p, stars``.

    Raises
    ------
    ValueError
        If a model is missing or the two models do not cover the same subjects.
    """
    per_subject = subject_means(df)
    per_subject = per_subject[per_subject["metric"] == metric]
    rows = []
    for target, part in per_subject.groupby("target", sort=True, observed=True):
        wide = part.pivot(index="subject", columns="model", values="value")
        for model in (baseline, other):
            if model not in wide.columns:
                raise ValueError(f"Model {model!r} has no {metric!r} scores for {target!r}.")
        pair = wide[[baseline, other]]
        if pair.isna().any().any():
            raise ValueError(
                f"{baseline!r} and {other!r} do not cover the same subjects for {target!r}: "
                "a paired test needs both on every subject."
            )
        diff = pair[other] - pair[baseline]
        if len(pair) < 2:
            t, p = np.nan, np.nan
        else:
            res = stats.ttest_rel(pair[other], pair[baseline])
            t, p = float(res.statistic), float(res.pvalue)
        rows.append(
            {"target": target, "n_subjects": len(pair), "mean_difference": float(diff.mean()),
             "t": t, "p": p, "stars": stars(p)}
        )  # fmt: skip
    result = pd.DataFrame(rows).set_index("target")
    result.attrs["metric"] = metric
    return result


def stars(p):
    """The paper's significance marks: ``"**"`` for p < 0.01, ``"*"`` for p < 0.05."""
    if p is None or not np.isfinite(p):
        return ""
    return "**" if p < 0.01 else "*" if p < 0.05 else ""


def format_table(summary, tests=None, *, percent=("accuracy",), digits=2):
    """Render :func:`summary_table` (and optional :func:`paired_test`) as Markdown.

    Parameters
    ----------
    summary : pandas.DataFrame
        Output of :func:`summary_table`.
    tests : pandas.DataFrame or None
        Output of :func:`paired_test`; adds its p-value row and stars on the compared model.
    percent : tuple of str, default=("accuracy",)
        Metrics shown in percent.
    digits : int, default=2

    Returns
    -------
    text : str
    """
    columns = sorted({(t, m) for t, m, _ in summary.columns})
    header = "| model | " + " | ".join(f"{t} {m}" for t, m in columns) + " |"
    lines = [header, "|---" * (len(columns) + 1) + "|"]
    for model, row in summary.iterrows():
        cells = []
        for t, m in columns:
            scale = 100.0 if m in percent else 1.0
            nd = digits if m in percent else digits + 1
            cell = f"{scale * row[(t, m, 'mean')]:.{nd}f} ± {scale * row[(t, m, 'std')]:.{nd}f}"
            cells.append(cell)
        lines.append(f"| {model} | " + " | ".join(cells) + " |")
    if tests is not None and len(tests):
        metric = tests.attrs.get("metric", "f1")
        cells = [
            f"p = {tests.loc[t, 'p']:.3g}{tests.loc[t, 'stars']}" if m == metric and t in tests.index
            else ""
            for t, m in columns
        ]  # fmt: skip
        lines.append("| paired t-test | " + " | ".join(cells) + " |")
    return "\n".join(lines)
