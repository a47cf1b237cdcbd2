"""``sk-prnet demo``: the paper's DEAP comparison (Table IV) on a small synthetic DEAP.

Writes a synthetic DEAP in the real file format to a cache directory (once), reads it back
through :func:`sk_prnet.datasets.load_deap`, and runs the full pipeline -- 2 s windows ->
PSD + PSA features -> Fisher selection of 100 -> z-scoring -> PRNet -- with the paper's
subject-dependent protocol (10 folds of 4 trials, windows of a trial never split) for the
baseline (alpha=0) and PRNet (alpha=1, ranking the 1-9 ratings with epsilon=0.25).
"""

import os
import time
from pathlib import Path

import numpy as np
import pandas as pd
import sklearn
from sklearn.metrics import accuracy_score, f1_score
from sklearn.model_selection import cross_validate

from ..datasets import load_deap, make_synthetic_deap
from ..metrics import target_scorer
from ..model_selection import deap_subject_dependent_cv
from ..pipelines import make_deap_pipeline
from .report import format_table, paired_test, summary_table

__all__ = ["run_demo", "default_cache_dir", "DEMO_MODELS"]

#: The two models the paper compares, by their name in the tables.
DEMO_MODELS = {"baseline (alpha=0)": 0.0, "PRNet (alpha=1)": 1.0}


def default_cache_dir():
    """Where the demo keeps its synthetic data: ``$SK_PRNET_CACHE`` or ``~/.cache/sk_prnet``."""
    root = os.environ.get("SK_PRNET_CACHE") or Path.home() / ".cache" / "sk_prnet"
    return Path(root)


def _scorers(target_names):
    scorers = {}
    for j, name in enumerate(target_names):
        scorers[f"{name}|accuracy"] = target_scorer(accuracy_score, j)
        scorers[f"{name}|f1"] = target_scorer(f1_score, j, average="macro")
    return scorers


def _ensure_data(cache_dir, n_subjects, trial_seconds, random_state):
    data_dir = Path(cache_dir) / f"deap_synthetic_{n_subjects}x{trial_seconds}s_seed{random_state}"
    expected = [data_dir / f"s{i:02d}.dat" for i in range(1, n_subjects + 1)]
    if not all(p.exists() for p in expected):
        make_synthetic_deap(
            data_dir, n_subjects=n_subjects, trial_seconds=trial_seconds, random_state=random_state
        )
    return data_dir


def _run_unit(X, y, ratings, trial, alpha, random_state, scorers):
    """Cross-validate one (subject, model): the 10-fold subject-dependent protocol."""
    import torch

    torch.set_num_threads(1)  # the units run in parallel; tiny nets are fastest on one thread
    with sklearn.config_context(enable_metadata_routing=True):
        pipe = make_deap_pipeline(
            alpha=alpha, random_state=random_state, request_ranking_target=True
        )
        res = cross_validate(
            pipe, X, y, cv=deap_subject_dependent_cv(), scoring=scorers,
            params={"ranking_target": ratings, "groups": trial},
        )  # fmt: skip
    return res


def run_demo(cache_dir=None, n_subjects=8, trial_seconds=30, n_jobs=2, random_state=0,
             figure="sk_prnet_demo.png", progress=True):  # fmt: skip
    """Run the demo and return its tidy scores, the summary table and the paired tests.

    Parameters
    ----------
    cache_dir : str or Path or None, default=None
        Where the synthetic DEAP files are written (once) and read back; ``None`` uses
        :func:`default_cache_dir`.
    n_subjects : int, default=8
    trial_seconds : int, default=30
        Length of each synthetic trial (DEAP: 60 s); 15 windows of 2 s per trial at 30 s.
    n_jobs : int, default=2
        (subject, model) units run in parallel.
    random_state : int, default=0
        Seeds the data and the networks.
    figure : str or Path or None, default="sk_prnet_demo.png"
        Where the per-subject F1 figure is written (needs matplotlib); ``None`` for none.
    progress : bool, default=True
        Show a progress bar.

    Returns
    -------
    result : dict
        ``scores`` (tidy DataFrame), ``summary``, ``tests``, ``table`` (Markdown text),
        ``figure`` (path or None), ``seconds``.
    """
    from joblib import Parallel, delayed
    from tqdm.auto import tqdm

    start = time.perf_counter()
    cache_dir = default_cache_dir() if cache_dir is None else Path(cache_dir)
    data_dir = _ensure_data(cache_dir, n_subjects, trial_seconds, random_state)
    data = load_deap(data_dir)
    scorers = _scorers(data.target_names)
    units = [
        (subject, model, alpha)
        for subject in np.unique(data.subject)
        for model, alpha in DEMO_MODELS.items()
    ]

    def job(subject, alpha):
        rows = data.subject == subject
        return _run_unit(
            data.X[rows], data.y[rows], data.ratings[rows], data.trial[rows], alpha,
            random_state, scorers,
        )  # fmt: skip

    results = Parallel(n_jobs=n_jobs, return_as="generator")(
        delayed(job)(subject, alpha) for subject, _, alpha in units
    )
    records = []
    bar = tqdm(total=len(units), desc="subjects x models", unit="unit", disable=not progress)
    for (subject, model, _), res in zip(units, results):
        for key, values in res.items():
            if not key.startswith("test_"):
                continue
            target, metric = key[len("test_") :].split("|")
            for fold, value in enumerate(values):
                records.append(
                    {"model": model, "subject": int(subject), "fold": fold, "target": target,
                     "metric": metric, "value": float(value)}
                )  # fmt: skip
        bar.update()
    bar.close()
    scores = pd.DataFrame.from_records(records)
    summary = summary_table(scores).reindex(list(DEMO_MODELS))
    baseline, prnet = list(DEMO_MODELS)
    tests = paired_test(scores, baseline=baseline, other=prnet, metric="f1")
    table = format_table(summary, tests)
    fig_path = _figure(scores, baseline, prnet, figure) if figure else None
    seconds = time.perf_counter() - start
    return {"scores": scores, "summary": summary, "tests": tests, "table": table,
            "figure": fig_path, "seconds": seconds, "data_dir": data_dir}  # fmt: skip


def _figure(scores, baseline, prnet, path):
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return None
    f1 = scores[scores["metric"] == "f1"]
    means = f1.groupby(["model", "subject", "target"])["value"].mean().unstack("model")
    targets = list(means.index.get_level_values("target").unique())
    fig, axes = plt.subplots(1, len(targets), figsize=(4.2 * len(targets), 4.0))
    for ax, target in zip(np.atleast_1d(axes), targets):
        part = means.xs(target, level="target")
        lo = min(part.min().min(), 0.4)
        hi = max(part.max().max(), 0.9)
        ax.plot([lo, hi], [lo, hi], color="grey", lw=1)
        ax.scatter(part[baseline], part[prnet], s=30)
        for subject, row in part.iterrows():
            ax.annotate(str(subject), (row[baseline], row[prnet]), fontsize=7,
                        xytext=(3, 3), textcoords="offset points")  # fmt: skip
        ax.set(xlabel=f"{baseline} F1", ylabel=f"{prnet} F1", title=target)
        ax.set_aspect("equal")
    fig.suptitle("Synthetic DEAP, subject-dependent 10-fold CV: macro F1 per subject")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return Path(path)
