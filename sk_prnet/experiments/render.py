"""``sk-prnet report``: a results store as text (coverage, then the paper's tables) or as one
tidy CSV.

Every configuration of an experiment (:mod:`.config`: the settings that change a result) is
reported on its own: a store holding the same sweep with 150 and with 20 epochs gives two
sets of tables, never one average.
"""

import numpy as np
import pandas as pd

from .config import config_key, split_configurations
from .report import (
    format_grid,
    format_latex,
    format_table,
    p_text,
    paired_test,
    subject_means,
    summary_table,
)
from .store import ResultsStore
from .tables import _test_settings, experiment_tables, scores_for_tables

__all__ = ["CSV_COLUMNS", "coverage_text", "render_report", "report_frame"]

#: Columns of ``sk-prnet report --format csv`` (:func:`report_frame`), in order.
CSV_COLUMNS = (
    "experiment",
    "dataset",
    "configuration",
    "settings",
    "cutoff",
    "model",
    "alpha",
    "epsilon",
    "target",
    "metric",
    "mean",
    "std",
    "n",
    "replicate",
    "test",
    "p_value",
    "units_done",
    "units_planned",
    "complete",
    "package_version",
    "torch_version",
    "device",
)

_BASELINE = "baseline (alpha=0)"


def _read(path):
    store = ResultsStore(path)
    try:
        df = store.results()
        cov, missing = store.coverage(by_config=True)
    finally:
        store.close()
    return df, cov, missing


def _configurations(df, cov):
    """``[(experiment, dataset, key, label, part or None)]``: the finished configurations
    (with their rows) and the planned ones without a finished unit yet."""
    planned = {}
    for experiment, dataset, key in cov.index:
        planned.setdefault((experiment, dataset), []).append(key)
    out, seen = [], set()
    for experiment, dataset, label, part in split_configurations(df, planned):
        key = part["config"].iloc[0]
        out.append((experiment, dataset, key, label, part))
        seen.add((experiment, dataset, key))
    for experiment, dataset, key in cov.index:
        if (experiment, dataset, key) not in seen:
            others = planned[(experiment, dataset)]
            label = _label_among(key, others, df, experiment, dataset)
            out.append((experiment, dataset, key, label, None))
    return sorted(out, key=lambda c: (c[0], c[1], c[3], c[2]))


def _label_among(key, planned, df, experiment, dataset):
    from .config import config_labels

    done = df[(df["experiment"] == experiment) & (df["dataset"] == dataset)]
    keys = {config_key(u) for u in done[["params", "seed"]].to_dict("records")}
    return config_labels(sorted(keys | set(planned)))[key]


def _versions(part):
    """``"sk_prnet 0.1.0, torch 2.13.0, device cpu"`` (counts when units differ)."""
    units = part.drop_duplicates("unit_id")

    def values(column):
        counts = units[column].fillna("unknown").value_counts()
        if len(counts) == 1:
            return str(counts.index[0])
        return ", ".join(f"{v} ({n} units)" for v, n in counts.items())

    return (
        f"sk_prnet {values('package_version')}, torch {values('torch_version')}, "
        f"device {values('device')}"
    )


def _name(experiment, dataset, label, configs):
    datasets = {c[1] for c in configs if c[0] == experiment}
    name = experiment if len(datasets) == 1 else f"{experiment} ({dataset})"
    return name + (f" [{label}]" if label else "")


def _missing_units(missing, experiment, dataset, key):
    if missing.empty:
        return missing
    keys = [config_key(u) for u in missing[["params", "seed"]].to_dict("records")]
    mask = (missing["experiment"] == experiment) & (missing["dataset"] == dataset)
    return missing[mask & (pd.Series(keys, index=missing.index) == key)]


def coverage_text(path, limit=20):
    """The coverage section of the report: per configuration, complete or PARTIAL (with the
    missing units), and the package version, torch version and device(s) its units ran with.

    Parameters
    ----------
    path : str or Path
        A results store.
    limit : int, default=20
        Missing units listed per configuration.

    Returns
    -------
    text : str
    """
    df, cov, missing = _read(path)
    return _coverage_text(df, cov, missing, limit)


def _coverage_text(df, cov, missing, limit=20):
    configs = _configurations(df, cov)
    lines = []
    for experiment in sorted({c[0] for c in configs}):
        mine = [c for c in configs if c[0] == experiment]
        for _, dataset, key, label, part in mine:
            row = cov.loc[(experiment, dataset, key)]
            name = _name(experiment, dataset, label, configs)
            ran = "" if part is None else f"; ran with {_versions(part)}"
            if row["complete"]:
                lines.append(f"- {name}: complete ({row['done']}/{row['planned']} units){ran}")
                continue
            lines.append(
                f"- {name}: PARTIAL, {row['done']}/{row['planned']} units done, "
                f"{row['missing']} missing (tables below use only the finished units){ran}:"
            )
            part_missing = _missing_units(missing, experiment, dataset, key)
            for _, u in part_missing.head(limit).iterrows():
                ident = ", ".join(
                    f"{k}={u[k]}"
                    for k in ("subject", "session", "repeat", "fold", "model", "params")
                    if u[k] is not None and not (isinstance(u[k], float) and np.isnan(u[k]))
                )
                lines.append(f"    - {ident}")
            if len(part_missing) > limit:
                lines.append(f"    - ... and {len(part_missing) - limit} more")
        if len(mine) > 1:
            lines.append(
                f"  ({experiment} holds {len(mine)} configurations with different settings: "
                "each is reported on its own, never averaged with another)"
            )
    return "\n".join(lines)


def report_frame(path):
    """The report as one tidy table: one row per configuration, cut-off, model, target and
    metric (the rows of ``sk-prnet report --format csv``).

    Parameters
    ----------
    path : str or Path
        A results store.

    Returns
    -------
    frame : pandas.DataFrame
        Columns :data:`CSV_COLUMNS`: ``configuration`` (the settings in which it differs from
        the other configurations of the experiment, empty if it is the only one), ``settings``
        (JSON of all of them), ``cutoff`` (``c``, ``"full"``, or empty outside a cut-off
        experiment), ``mean`` and ``std`` (ddof=1; empty with one replicate) over ``n``
        replicates (``replicate``: ``"subject"`` -- folds and sessions averaged first --,
        ``"repeat"`` of a repeated K-fold, or ``"split"`` for one train/test split),
        ``test`` and ``p_value`` (the paired test of the model against the baseline, on the
        tested metric only), ``units_done``,
        ``units_planned``, ``complete`` (of the configuration), and the ``package_version``,
        ``torch_version`` and ``device`` its units ran with (``;``-separated when several).
    """
    df, cov, _ = _read(path)
    rows = []
    for experiment, dataset, key, label, part in _configurations(df, cov):
        if part is None:
            continue
        coverage = cov.loc[(experiment, dataset, key)]
        units = part.drop_duplicates("unit_id")
        common = {
            "experiment": experiment,
            "dataset": dataset,
            "configuration": label,
            "settings": key,
            "units_done": int(coverage["done"]),
            "units_planned": int(coverage["planned"]),
            "complete": bool(coverage["complete"]),
            **{
                c: ";".join(sorted(units[c].fillna("unknown").astype(str).unique()))
                for c in ("package_version", "torch_version", "device")
            },
        }
        if part["subject"].notna().any():
            common["replicate"] = "subject"
        else:
            common["replicate"] = "repeat" if part["repeat"].notna().any() else "split"
        rows += _tidy_rows(scores_for_tables(part), common)
    return pd.DataFrame(rows, columns=list(CSV_COLUMNS))


def _tidy_rows(scores, common):
    metric, test_fraction = _test_settings(scores)
    test = None if metric is None else "paired t-test" if test_fraction is None else (
        "corrected resampled t-test"
    )  # fmt: skip
    models = scores.drop_duplicates("model").set_index("model")
    rows = []
    for cutoff in sorted(set(scores["cutoff"]), key=str):
        part = scores[scores["cutoff"].map(lambda v, c=cutoff: v == c)]
        summary = summary_table(part)
        counts = subject_means(part).groupby(["model", "target", "metric"]).size()
        p_values = {}
        if metric is not None and _BASELINE in set(part["model"]):
            for other in sorted(set(part["model"]) - {_BASELINE}):
                try:
                    res = paired_test(part, _BASELINE, other, metric, test_fraction=test_fraction)
                except ValueError:
                    continue
                p_values.update({(other, t): p for t, p in res["p"].items()})
        order = [m for m in _model_order(models) if m in summary.index]
        for model, row in summary.loc[order].iterrows():
            for target, m in sorted({(t, m) for t, m, _ in summary.columns}):
                mean = row[(target, m, "mean")]
                if not np.isfinite(mean):
                    continue  # a metric this model has not (RankNet: PCC only)
                tested = m == metric and (model, target) in p_values
                rows.append(
                    {
                        **common,
                        "cutoff": "" if cutoff == "n/a" else cutoff,
                        "model": model,
                        "alpha": models.loc[model, "alpha"],
                        "epsilon": models.loc[model, "epsilon"],
                        "target": target,
                        "metric": m,
                        "mean": mean,
                        "std": row[(target, m, "std")],
                        "n": int(counts.get((model, target, m), 0)),
                        "test": test if tested else None,
                        "p_value": p_values.get((model, target)) if tested else None,
                    }
                )
    return rows


def _model_order(models):
    """Baseline first, then PRNet by alpha and epsilon, then models without alpha."""

    def key(model):
        alpha, eps = models.loc[model, "alpha"], models.loc[model, "epsilon"]
        rank = 2 if np.isnan(alpha) else 0 if alpha == 0 else 1
        return rank, 0.0 if np.isnan(alpha) else alpha, -1.0 if np.isnan(eps) else eps, model

    return sorted(models.index, key=key)


def render_report(path, fmt="markdown", figures=None):
    """The text of ``sk-prnet report``: coverage, then the paper-shaped tables.

    Parameters
    ----------
    path : str or Path
        A results store.
    fmt : {"markdown", "latex", "csv"}, default="markdown"
        ``"csv"`` returns only the tidy table of :func:`report_frame` (no prose; the command
        line prints :func:`coverage_text` to stderr).
    figures : str, Path or None
        Folder to write the figures into (needs matplotlib); ``None`` for none.

    Returns
    -------
    text : str
    """
    if fmt == "csv":
        text = report_frame(path).to_csv(index=False)
        if figures is not None:
            from .figures import write_figures

            write_figures(_read(path)[0], figures)
        return text
    df, cov, missing = _read(path)
    out = ["Results store: " + str(path), "", "Coverage:"]
    out.append(_coverage_text(df, cov, missing) or "- empty")
    for experiment, dataset, key, label, part in _configurations(df, cov):
        if part is None:
            continue
        row = cov.loc[(experiment, dataset, key)]
        for table in experiment_tables(part):
            title = table["title"] + (f" [{label}]" if label else "")
            if not row["complete"]:
                title += f" -- PARTIAL ({row['done']}/{row['planned']} units)"
            out += ["", f"## {title}" if fmt == "markdown" else f"% {title}", ""]
            if "grids" in table:
                for target, grid in table["grids"].items():
                    out += [f"{target}:", "", format_grid(grid, table["metric"], fmt), ""]
                continue
            summary, tests = table["summary"], table["tests"]
            render = format_table if fmt == "markdown" else format_latex
            out.append(render(summary, tests[0] if len(tests) == 1 else None))
            for res in tests if len(tests) > 1 else []:
                cells = ", ".join(f"{t}: p = {p_text(r.p)}{r.stars}" for t, r in res.iterrows())
                name = f"{res.attrs['test']} on {res.attrs['metric']}"
                out.append(f"\n{name}, {res.attrs['other']} vs baseline: {cells}")
            for note in table["notes"]:
                out.append(f"\nnote: {note}")
    if figures is not None:
        from .figures import write_figures

        written = write_figures(df, figures)
        out += ["", "Figures:"] + [f"- {p}" for p in written]
    return "\n".join(out)
