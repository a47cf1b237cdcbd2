"""Paper-shaped tables and statistics from tidy score tables (see :mod:`.render` for the
report of a results store).

A tidy score table has one row per (model, subject, fold, target, metric) with a ``value``;
the paper's protocol averages folds within a subject first, then reports mean and standard
deviation over subjects, and compares models with a paired Student's t-test over subjects.
"""

import numpy as np
import pandas as pd
from scipy import stats

__all__ = [
    "aggregate",
    "format_csv",
    "format_latex",
    "format_grid",
    "format_table",
    "grid_table",
    "p_text",
    "paired_test",
    "stars",
    "subject_means",
    "summary_table",
]

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
    return aggregate(df, _KEYS)


def aggregate(df, by, *, spread=False):
    """Mean ``value`` of each group of ``by`` (and, with ``spread``, the sample std).

    The one aggregation of the report: folds within a subject (:func:`subject_means`),
    subjects within a model (:func:`summary_table`), repeats within a fold
    (:func:`paired_test`).

    Parameters
    ----------
    df : pandas.DataFrame
        Columns ``by`` and ``value``.
    by : sequence of str
    spread : bool, default=False
        Also the standard deviation (ddof=1; NaN for a group of one).

    Returns
    -------
    table : pandas.DataFrame
        One row per group: the ``by`` columns and ``value`` or, with ``spread``, ``mean`` and
        ``std`` (indexed by ``by``).

    Examples
    --------
    >>> import pandas as pd
    >>> from sk_prnet.experiments.report import aggregate
    >>> df = pd.DataFrame({"model": ["a", "a", "b"], "value": [1.0, 3.0, 5.0]})
    >>> aggregate(df, ["model"]).to_dict("list")
    {'model': ['a', 'b'], 'value': [2.0, 5.0]}
    """
    grouped = df.groupby(list(by), sort=True, observed=True)["value"]
    if not spread:
        return grouped.mean().reset_index()
    return grouped.agg(
        mean="mean", std=lambda v: float(np.std(v, ddof=1)) if len(v) > 1 else np.nan
    )


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
    table = aggregate(subject_means(df), ["model", "target", "metric"], spread=True)
    return table.unstack(["target", "metric"]).reorder_levels([1, 2, 0], axis=1).sort_index(axis=1)


def paired_test(df, baseline, other, metric="f1", *, test_fraction=None):
    """Paired t-test of ``other`` vs ``baseline`` on ``metric``, one row per target.

    By default the paired units are subjects (their folds averaged first) and the test is
    Student's paired t-test, as in the paper. For repeats of a K-fold cross-validation on one
    dataset the folds are not independent samples (their training sets overlap), and the plain
    test is far too optimistic; pass ``test_fraction`` to use the corrected resampled t-test of
    Nadeau and Bengio (2003) over the ``J`` folds of all repeats instead: ``t = mean(d) /
    sqrt((1 / J + test_fraction) * var(d))`` with ``J - 1`` degrees of freedom.

    Parameters
    ----------
    df : pandas.DataFrame
        A tidy score table (``fold`` is needed with ``test_fraction``).
    baseline, other : hashable
        Values of the ``model`` column to compare.
    metric : str, default="f1"
    test_fraction : float or None, default=None
        ``n_test / n_train`` of the folds (``1 / (K - 1)`` for K-fold CV).

    Returns
    -------
    result : pandas.DataFrame
        One row per target: ``n_subjects`` (paired units: subjects, or folds with
        ``test_fraction``), ``mean_difference, t, p, stars``. ``attrs`` holds ``metric`` and
        ``test`` (a short name of the test).

    Raises
    ------
    ValueError
        If a model is missing or the two models do not cover the same subjects (folds).
    """
    if test_fraction is None:
        units, test = ["subject"], "paired t-test"
        per_unit = subject_means(df)
    else:
        if not test_fraction > 0:
            raise ValueError(f"test_fraction must be > 0 (n_test / n_train), got {test_fraction}.")
        _check_columns(df, (*_KEYS, "fold", "value"))
        units, test = ["subject", "fold"], "corrected resampled t-test"
        per_unit = aggregate(df, [*_KEYS, "fold"])
    per_unit = per_unit[per_unit["metric"] == metric]
    rows = []
    for target, part in per_unit.groupby("target", sort=True, observed=True):
        wide = part.pivot_table(index=units, columns="model", values="value", aggfunc="mean")
        for model in (baseline, other):
            if model not in wide.columns:
                raise ValueError(f"Model {model!r} has no {metric!r} scores for {target!r}.")
        pair = wide[[baseline, other]]
        if pair.isna().any().any():
            raise ValueError(
                f"{baseline!r} and {other!r} do not cover the same subjects for {target!r}: "
                "a paired test needs both on every subject (and fold)."
            )
        diff = pair[other] - pair[baseline]
        n = len(pair)
        t = p = np.nan
        if n >= 2 and test_fraction is None:
            res = stats.ttest_rel(pair[other], pair[baseline])
            t, p = float(res.statistic), float(res.pvalue)
        elif n >= 2 and diff.var(ddof=1) > 0:
            t = float(diff.mean() / np.sqrt((1.0 / n + test_fraction) * diff.var(ddof=1)))
            p = float(2 * stats.t.sf(abs(t), n - 1))
        rows.append(
            {
                "target": target,
                "n_subjects": n,
                "mean_difference": float(diff.mean()),
                "t": t,
                "p": p,
                "stars": stars(p),
            }
        )
    result = pd.DataFrame(rows).set_index("target")
    result.attrs.update(metric=metric, test=test)
    return result


def p_text(p, spec=".3g"):
    """A p-value as text: ``"0.0123"``, or ``"n/a"`` when there is none (fewer than two
    paired units, or no variance)."""
    return "n/a" if p is None or not np.isfinite(p) else format(p, spec)


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
        cells = [_mean_std(*_cell(row, t, m, percent, digits), " ± ") for t, m in columns]
        lines.append(f"| {model} | " + " | ".join(cells) + " |")
    if tests is not None and len(tests):
        metric = tests.attrs.get("metric", "f1")
        cells = [
            f"p = {p_text(tests.loc[t, 'p'])}{tests.loc[t, 'stars']}"
            if m == metric and t in tests.index
            else ""
            for t, m in columns
        ]
        name = tests.attrs.get("test", "paired t-test")
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _cell(row, t, m, percent, digits):
    scale = 100.0 if m in percent else 1.0
    nd = digits if m in percent else digits + 1
    return scale * row[(t, m, "mean")], scale * row[(t, m, "std")], nd


def _mean_std(mean, std, nd, sep):
    """``"0.512 ± 0.031"``; ``"0.512 ± n/a"`` with one replicate (no std); ``"n/a"`` for a
    metric the model has not (e.g. RankNet's RMSE: its scores have no scale)."""
    if not np.isfinite(mean):
        return "n/a"
    return f"{mean:.{nd}f}{sep}" + ("n/a" if not np.isfinite(std) else f"{std:.{nd}f}")


def format_latex(summary, tests=None, *, percent=("accuracy",), digits=2, caption=None):
    """Render :func:`summary_table` (and optional :func:`paired_test`) as a LaTeX tabular.

    Stars of the paired test mark the compared models' cells of the tested metric.

    Parameters
    ----------
    summary : pandas.DataFrame
        Output of :func:`summary_table`.
    tests : pandas.DataFrame or None
        Output of :func:`paired_test`.
    percent : tuple of str, default=("accuracy",)
        Metrics shown in percent.
    digits : int, default=2
    caption : str or None, default=None
        Wraps the tabular in a ``table`` environment with this caption.

    Returns
    -------
    text : str
    """
    columns = sorted({(t, m) for t, m, _ in summary.columns})
    metric = tests.attrs.get("metric", "f1") if tests is not None else None
    lines = [
        r"\begin{tabular}{l" + "c" * len(columns) + "}",
        r"\hline",
        "Model & " + " & ".join(f"{t} {m}".replace("_", r"\_") for t, m in columns) + r" \\",
        r"\hline",
    ]
    for model, row in summary.iterrows():
        cells = []
        for t, m in columns:
            mark = ""
            if tests is not None and m == metric and t in tests.index and model != "baseline":
                mark = tests.loc[t, "stars"] if model == tests.attrs.get("other") else ""
            cell = _mean_std(*_cell(row, t, m, percent, digits), r" \pm ")
            cells.append(f"${cell}${mark}")
        lines.append(str(model).replace("_", r"\_") + " & " + " & ".join(cells) + r" \\")
    if tests is not None and len(tests):
        cells = [
            f"$p = {p_text(tests.loc[t, 'p'])}$" if m == metric and t in tests.index else ""
            for t, m in columns
        ]
        lines.append(tests.attrs.get("test", "paired t-test") + " & " + " & ".join(cells) + r" \\")
    lines += [r"\hline", r"\end{tabular}"]
    if caption:
        lines = [
            r"\begin{table}",
            r"\centering",
            *lines,
            rf"\caption{{{caption}}}",
            r"\end{table}",
        ]
    return "\n".join(lines)


def format_csv(summary):
    """:func:`summary_table` as CSV text, one row per model, columns ``target|metric|stat``."""
    flat = summary.copy()
    flat.columns = ["|".join(map(str, c)) for c in flat.columns]
    return flat.to_csv()


# --------------------------------------------------------------------------------------
# Grid sweeps
# --------------------------------------------------------------------------------------
def grid_table(scores, baseline, settings, metric, test_fraction=None):
    """Every (alpha, epsilon) of a grid sweep against the baseline, one frame per target.

    Parameters
    ----------
    scores : pandas.DataFrame
        Output of :func:`scores_for_tables` for one sweep.
    baseline : str
        The baseline's ``model`` name.
    settings : dict
        ``{(alpha, epsilon): model}`` of the PRNet models (alpha > 0).
    metric : str
    test_fraction : float or None
        See :func:`paired_test`.

    Returns
    -------
    grids : dict
        ``{target: DataFrame}`` indexed by alpha, columns epsilon, each cell a
        ``(mean_difference, p, stars)`` tuple.
    """
    grids = {}
    for (alpha, eps), model in settings.items():
        part = scores[scores["model"].isin([baseline, model])]
        res = paired_test(part, baseline, model, metric=metric, test_fraction=test_fraction)
        for target, row in res.iterrows():
            cell = (row["mean_difference"], row["p"], row["stars"])
            grids.setdefault(target, {}).setdefault(eps, {})[alpha] = cell
    return {t: pd.DataFrame(g).sort_index().sort_index(axis=1) for t, g in grids.items()}


def format_grid(grid, metric, fmt="markdown"):
    """Render one target's :func:`grid_table` frame: differences to the baseline, p, stars.

    Parameters
    ----------
    grid : pandas.DataFrame
        One value of :func:`grid_table`'s result.
    metric : str
        Name of the compared metric (for the header).
    fmt : {"markdown", "latex", "csv"}, default="markdown"

    Returns
    -------
    text : str
    """
    cells = grid.map(lambda c: f"{c[0]:+.4f} (p = {p_text(c[1], '.2g')}){c[2]}")
    if fmt == "csv":
        return cells.to_csv(index_label="alpha")
    if fmt == "latex":
        lines = [
            r"\begin{tabular}{l" + "c" * grid.shape[1] + "}",
            r"\hline",
            r"$\alpha$ \textbackslash{} $\epsilon$ & "
            + " & ".join(f"{e:g}" for e in grid.columns)
            + r" \\",
            r"\hline",
        ]
        lines += [f"{a:g} & " + " & ".join(row) + r" \\" for a, row in cells.iterrows()]
        return "\n".join(lines + [r"\hline", r"\end{tabular}"])
    header = f"| {metric} difference: alpha \\ epsilon | " + " | ".join(
        f"{e:g}" for e in grid.columns
    )
    lines = [header + " |", "|---" * (grid.shape[1] + 1) + "|"]
    lines += [f"| {a:g} | " + " | ".join(row) + " |" for a, row in cells.iterrows()]
    return "\n".join(lines)
