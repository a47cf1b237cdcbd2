"""Figures of a results store: per-subject scatter, alpha/epsilon sweep and cut-off curves."""

from pathlib import Path

import numpy as np

from .config import split_configurations
from .report import subject_means
from .tables import experiment_tables, scores_for_tables

__all__ = ["write_figures"]

_BASELINE = "baseline (alpha=0)"


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _scatter(scores, title, path):
    """Per-subject F1: baseline (x) vs every other model (y), with the diagonal."""
    plt = _plt()
    means = subject_means(scores[scores["metric"] == "f1"])
    wide = means.pivot_table(index=["subject", "target"], columns="model", values="value")
    if _BASELINE not in wide.columns or wide.shape[1] < 2:
        return None
    targets = list(wide.index.get_level_values("target").unique())
    fig, axes = plt.subplots(1, len(targets), figsize=(4.2 * len(targets), 4.2), squeeze=False)
    for ax, target in zip(axes[0], targets):
        part = wide.xs(target, level="target")
        lo = float(np.nanmin(part.values)) - 0.02
        hi = float(np.nanmax(part.values)) + 0.02
        ax.plot([lo, hi], [lo, hi], color="grey", lw=1)
        for model in part.columns.drop(_BASELINE):
            ax.scatter(part[_BASELINE], part[model], s=25, label=model)
        ax.set(xlabel="baseline macro F1", ylabel="PRNet macro F1", title=target)
        ax.set_aspect("equal")
        ax.legend(fontsize=7)
    fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def _curves(table, x_of, xlabel, title, path):
    """Mean +- std (over subjects/repeats) of every target and metric against x."""
    plt = _plt()
    summary = table["summary"].dropna(how="all")
    cols = sorted({(t, m) for t, m, _ in summary.columns})
    xs = [x_of(model) for model in summary.index]
    fig, axes = plt.subplots(1, len(cols), figsize=(3.3 * len(cols), 3.2), squeeze=False)
    for ax, (t, m) in zip(axes[0], cols):
        ax.errorbar(
            xs, summary[(t, m, "mean")], yerr=summary[(t, m, "std")], marker="o", capsize=3
        )
        ax.set(xlabel=xlabel, title=f"{t} {m}")
    fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def _cutoff_curves(scores, title, path):
    plt = _plt()
    per = subject_means(scores.assign(model=scores["model"] + "|" + scores["cutoff"].astype(str)))
    per[["model", "cutoff"]] = per["model"].str.rsplit("|", n=1, expand=True)
    finite = [float(c) for c in per["cutoff"].unique() if c != "full"]
    full_x = (max(finite) if finite else 1.0) * 1.25
    per["x"] = [full_x if c == "full" else float(c) for c in per["cutoff"]]
    cols = sorted(set(zip(per["target"], per["metric"])))
    fig, axes = plt.subplots(1, len(cols), figsize=(3.3 * len(cols), 3.2), squeeze=False)
    for ax, (t, m) in zip(axes[0], cols):
        part = per[(per["target"] == t) & (per["metric"] == m)]
        for model, g in part.groupby("model"):
            stats = g.groupby("x")["value"].agg(["mean", "std"])
            ax.errorbar(
                stats.index, stats["mean"], yerr=stats["std"], marker="o", capsize=3, label=model
            )
        ticks = sorted(part["x"].unique())
        ax.set_xticks(ticks, [("full" if x == full_x else f"{x:g}") for x in ticks])
        ax.set(xlabel="cut-off c (standardized target)", title=f"{t} {m}")
        ax.legend(fontsize=6)
    fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def write_figures(df, directory):
    """Write the figures of every experiment in ``df`` (rows of ``load_results``).

    Parameters
    ----------
    df : pandas.DataFrame
    directory : str or Path
        Created if needed.

    Returns
    -------
    paths : list of Path
        The files written (none if matplotlib is missing).
    """
    try:
        _plt()
    except ImportError:
        return []
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    seen = {}
    for experiment, dataset, label, part in split_configurations(df):
        # several configurations of one experiment: one set of figures each (_2, _3, ...)
        n = seen[(experiment, dataset)] = seen.get((experiment, dataset), 0) + 1
        stem = f"{experiment}_{dataset}" + ("" if n == 1 else f"_{n}")
        dataset = f"{dataset}; {label}" if label else dataset  # in the titles
        scores = scores_for_tables(part)
        if experiment == "cutoff" or (scores["cutoff"] != "n/a").any():
            written.append(
                _cutoff_curves(
                    scores, f"label-space cut-off ({dataset})", directory / f"{stem}_cutoff.png"
                )
            )
            continue
        if experiment == "sweep":
            # the two curve tables (a grid sweep adds a third, the grid, which has no curves)
            tables = [t for t in experiment_tables(part) if "summary" in t][:2]
            alpha_table, eps_table = (tables + [None])[:2]  # no epsilon sweep without epsilon
            by_model = part.drop_duplicates("model").set_index("model")
            written.append(
                _curves(
                    alpha_table,
                    by_model["alpha"].get,
                    "alpha",
                    alpha_table["title"],
                    directory / f"{stem}_alpha.png",
                )
            )

            def eps_x(model, by_model=by_model):
                e = by_model.loc[model, "epsilon"]
                return 0.0 if np.isnan(e) else e

            if eps_table is not None:
                written.append(
                    _curves(
                        eps_table,
                        eps_x,
                        "epsilon (0 = baseline, no ranking)",
                        eps_table["title"],
                        directory / f"{stem}_epsilon.png",
                    )
                )
        if "f1" in set(scores["metric"]):
            path = _scatter(
                scores,
                f"{experiment} on {dataset}: per-subject macro F1",
                directory / f"{stem}_subjects.png",
            )
            if path is not None:
                written.append(path)
    return written
