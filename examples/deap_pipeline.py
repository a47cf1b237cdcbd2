"""PRNet on DEAP: the paper pipeline, ratings routed to the net, subject-wise protocols.

The paper's DEAP set-up (Zoumpourlis & Patras, ACII 2021, Sec. IV) as one scikit-learn
pipeline on raw EEG windows::

    2 s windows (32 x 256) -> PSD + PSA features (230) -> Fisher top-100 -> z-score -> PRNet

``y`` holds the low/high arousal and valence classes (rating > 5), one task head each; the
continuous 1-9 ratings reach the ranking heads as ``ranking_target`` through scikit-learn's
metadata routing, so they are split with the folds like ``X`` and ``y``. The script shows

(a) ``GridSearchCV`` over ``prnet__alpha`` and ``prnet__epsilon`` with an inner
    ``GroupKFold`` on trials, fitted per subject on 4/5 of its trials and scored on the
    held-out 1/5 (whole trials, never seen by the search);
(b) the paper's subject-dependent protocol (per subject, 10 folds of 4 whole trials) for the
    baseline (alpha=0) and PRNet (alpha=1) with :func:`sk_prnet.evaluate_subjects`, summarized
    as in the paper's Table IV (mean +- std over subjects, paired t-test on F1);
(c) subject-independent leave-one-subject-out ``cross_val_score``, ranking only pairs of
    windows of the same subject (``rank_groups``; ratings are personal).

DEAP is licensed: obtain it from its owners and pass ``--data-dir`` (the extracted
``data_preprocessed_python`` folder). Without it, a small synthetic DEAP in the same file
format is written with :func:`sk_prnet.datasets.make_synthetic_deap` to a temporary folder;
its numbers only demonstrate the mechanics, not the paper's results.

Run::

    python examples/deap_pipeline.py                       # synthetic, about 1 minute
    python examples/deap_pipeline.py --data-dir ~/data/DEAP/data_preprocessed_python \\
        --subjects 1 2 3
"""

import argparse
import tempfile
import time
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd
import sklearn
import torch
from sklearn.metrics import accuracy_score, f1_score, make_scorer
from sklearn.model_selection import GridSearchCV, GroupKFold, cross_val_score

from sk_prnet import deap_subject_dependent_cv, evaluate_subjects, leave_one_subject_out
from sk_prnet.datasets import load_deap, make_synthetic_deap
from sk_prnet.experiments.report import format_table, paired_test, summary_table
from sk_prnet.pipelines import make_deap_pipeline

#: The two models of the paper's Table IV, by name, with their ranking weight alpha.
MODELS = {"baseline (alpha=0)": 0.0, "PRNet (alpha=1)": 1.0}

#: The search grid. alpha=0 never evaluates the ranking head, so epsilon is only searched
#: with alpha=1 (a list of grids avoids fitting the same baseline twice).
PARAM_GRID = [
    {"prnet__alpha": [0.0]},
    {"prnet__alpha": [1.0], "prnet__epsilon": [0.25, 1.0]},
]


def parse_args(argv=None):
    """Command-line options."""
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument(
        "--data-dir",
        type=Path,
        default=None,
        help="DEAP data_preprocessed_python folder; omitted: synthetic data",
    )
    p.add_argument(
        "--subjects",
        type=int,
        nargs="+",
        default=None,
        help="subjects to use (1-based); default: all in the folder",
    )
    g = p.add_argument_group("synthetic data (without --data-dir)")
    g.add_argument(
        "--synthetic-dir",
        type=Path,
        default=None,
        help="where to write it; default: a temporary folder, removed at the end",
    )
    g.add_argument("--n-subjects", type=int, default=3)
    g.add_argument("--n-trials", type=int, default=40, help="trials per subject (DEAP: 40)")
    g.add_argument(
        "--trial-seconds",
        type=float,
        default=10.0,
        help="seconds per trial (DEAP: 60); 2 s windows, so 5 windows at 10 s",
    )
    n = p.add_argument_group("network and protocol")
    n.add_argument("--max-epochs", type=int, default=20, help="paper: 20")
    n.add_argument(
        "--lr",
        type=float,
        default=None,
        help="SGD learning rate; default: the paper's 0.001 on real DEAP, 0.01 on "
        "the small synthetic data (far fewer windows, so fewer SGD steps)",
    )
    n.add_argument("--batch-size", type=int, default=40, help="paper: 40")
    n.add_argument("--k", type=int, default=100, help="features kept by the Fisher score")
    n.add_argument(
        "--n-splits",
        type=int,
        default=10,
        help="folds of the subject-dependent CV (paper: 10 folds of 4 trials)",
    )
    n.add_argument(
        "--inner-splits",
        type=int,
        default=4,
        help="GroupKFold folds (on trials) of the grid search",
    )
    n.add_argument("--device", default="auto", help="'auto', 'cpu' or 'cuda'")
    n.add_argument(
        "--n-jobs",
        type=int,
        default=None,
        help="subjects evaluated in parallel in (b) (joblib); "
        "each worker first spends a few s importing torch",
    )
    n.add_argument(
        "--torch-threads",
        type=int,
        default=1,
        help="torch CPU threads; tiny nets train fastest on one",
    )
    n.add_argument("--seed", type=int, default=0, help="seeds the data and the networks")
    return p.parse_args(argv)


# ------------------------------------------------------------------------------------ scoring
def _column_score(metric, y_true, y_pred, column):
    return metric(np.asarray(y_true)[:, column], np.asarray(y_pred)[:, column])


def _mean_f1(y_true, y_pred):
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    scores = [
        f1_score(y_true[:, j], y_pred[:, j], average="macro") for j in range(y_true.shape[1])
    ]
    return float(np.mean(scores))


def make_scorers(target_names):
    """Accuracy and macro-F1 of every target, named ``"<target>_<metric>"``."""
    macro_f1 = partial(f1_score, average="macro")
    scorers = {}
    for j, target in enumerate(target_names):
        scorers[f"{target}_accuracy"] = make_scorer(
            partial(_column_score, accuracy_score, column=j)
        )
        scorers[f"{target}_f1"] = make_scorer(partial(_column_score, macro_f1, column=j))
    return scorers


#: Single-number score for model selection: macro-F1 averaged over the targets (the paper
#: prefers F1 on DEAP because of the class imbalance).
MEAN_F1 = make_scorer(_mean_f1)


# ------------------------------------------------------------------------------------ model
def make_model(args, **params):
    """The paper's DEAP pipeline; the net asks for ``ranking_target`` and ``rank_groups``.

    Must be called with metadata routing enabled (``set_fit_request`` needs it).
    """
    pipe = make_deap_pipeline(
        k=args.k,
        max_epochs=args.max_epochs,
        lr=args.lr,
        batch_size=args.batch_size,
        device=args.device,
        random_state=args.seed,
        request_ranking_target=True,
        **params,
    )
    # Requested metadata that is not passed is simply not used: (a) and (b) pass no
    # rank_groups, (c) passes the subject ids so that only same-subject pairs are ranked.
    pipe.named_steps["prnet"].set_fit_request(rank_groups=True)
    return pipe


# ------------------------------------------------------------------------------------ steps
def load_data(args, workdir):
    """Load DEAP (or write and load a synthetic one); returns the Bunch and a description."""
    if args.data_dir is not None:
        data = load_deap(args.data_dir, subjects=args.subjects)
        return data, f"DEAP from {args.data_dir}"
    folder = make_synthetic_deap(
        workdir,
        n_subjects=args.n_subjects,
        n_trials=args.n_trials,
        trial_seconds=args.trial_seconds,
        random_state=args.seed,
    )
    data = load_deap(folder, subjects=args.subjects)
    where = "a temporary folder" if args.synthetic_dir is None else str(folder)
    return data, (
        f"No --data-dir: SYNTHETIC DEAP ({args.n_subjects} subjects x {args.n_trials} trials "
        f"x {args.trial_seconds:g} s) written by make_synthetic_deap to {where} and read back "
        "with load_deap.\nIt only demonstrates the mechanics; DEAP is licensed, obtain it "
        "from its owners for real results."
    )


def search_per_subject(data, args):
    """(a) Per subject: GridSearchCV on 4/5 of the trials, score on the held-out 1/5."""
    rows, grid_rows = [], []
    for subject in np.unique(data.subject):
        m = data.subject == subject
        X, y, ratings, trial = data.X[m], data.y[m], data.ratings[m], data.trial[m]
        # Outer split: one fold of 5 over whole trials (8 of DEAP's 40 trials held out).
        train, test = next(deap_subject_dependent_cv(5).split(X, y, groups=trial))
        search = GridSearchCV(
            make_model(args), PARAM_GRID, scoring=MEAN_F1, cv=GroupKFold(args.inner_splits)
        )
        # Under routing, `groups` goes to the GroupKFold and `ranking_target` to the net;
        # both are split with the inner folds (and used whole for the final refit).
        search.fit(X[train], y[train], groups=trial[train], ranking_target=ratings[train])
        res = search.cv_results_
        for params, score, std in zip(
            res["params"], res["mean_test_score"], res["std_test_score"]
        ):
            grid_rows.append(
                {
                    "subject": int(subject),
                    "setting": _setting(params),
                    "inner_f1": float(score),
                    "inner_f1_std": float(std),
                }
            )
        best = search.best_params_
        rows.append(
            {
                "subject": int(subject),
                "alpha": best["prnet__alpha"],
                "epsilon": best.get("prnet__epsilon", np.nan),
                "inner_cv_f1": float(search.best_score_),
                "held_out_f1": float(MEAN_F1(search, X[test], y[test])),
                "n_test_trials": int(np.unique(trial[test]).size),
            }
        )
    return pd.DataFrame(rows), pd.DataFrame(grid_rows)


def _setting(params):
    alpha = params["prnet__alpha"]
    if alpha == 0:
        return "alpha=0"
    return f"alpha={alpha:g}, eps={params['prnet__epsilon']:g}"


def subject_dependent(data, args):
    """(b) The paper's protocol, baseline and PRNet; tidy scores (model, subject, fold, ...)."""
    scorers = make_scorers(data.target_names)
    frames = []
    for name, alpha in MODELS.items():
        df = evaluate_subjects(
            make_model(args, alpha=alpha),
            data.X,
            data.y,
            data.subject,
            deap_subject_dependent_cv(args.n_splits),
            scoring=scorers,
            n_jobs=args.n_jobs,
            # Under routing `groups` (the trial ids, for the splitter) travels in params.
            params={"groups": data.trial, "ranking_target": data.ratings},
        )
        target_metric = df["metric"].str.rsplit("_", n=1, expand=True)
        frames.append(df.assign(model=name, target=target_metric[0], metric=target_metric[1]))
    columns = ["model", "subject", "fold", "target", "metric", "value", "fit_time"]
    return pd.concat(frames, ignore_index=True)[columns]


def leave_subject_out(data, args):
    """(c) Leave-one-subject-out mean macro-F1 of both models, one row per test subject."""
    subjects = np.unique(data.subject)
    if subjects.size < 2:
        return pd.DataFrame(columns=["subject", *MODELS])
    table = {"subject": subjects.astype(int)}
    for name, alpha in MODELS.items():
        table[name] = cross_val_score(
            make_model(args, alpha=alpha),
            data.X,
            data.y,
            cv=leave_one_subject_out(),
            scoring=MEAN_F1,
            params={
                "groups": data.subject,
                "ranking_target": data.ratings,
                "rank_groups": data.subject,
            },
        )
    return pd.DataFrame(table)


# ------------------------------------------------------------------------------------ main
def main(argv=None):
    """Run the three parts, print their tables and return them.

    Parameters
    ----------
    argv : list of str or None
        Command-line arguments (``None``: ``sys.argv[1:]``).

    Returns
    -------
    result : dict
        ``search`` (per subject: selected alpha/epsilon, inner-CV and held-out mean F1),
        ``grid`` (inner-CV F1 of every setting), ``scores`` (tidy subject-dependent scores),
        ``summary``/``tests`` (Table IV shape), ``loso`` (mean F1 per left-out subject),
        ``timings`` (seconds per part) and ``description``.
    """
    args = parse_args(argv)
    if args.lr is None:
        args.lr = 1e-3 if args.data_dir is not None else 1e-2
    torch.set_num_threads(args.torch_threads)
    pd.set_option("display.width", 120)
    timings = {}
    with tempfile.TemporaryDirectory(prefix="sk_prnet_deap_") as tmp:
        start = time.perf_counter()
        data, description = load_data(args, args.synthetic_dir or tmp)
        timings["data"] = time.perf_counter() - start
    n_trials = np.unique(data.trial).size
    print(description)
    print(
        f"{len(data.X)} windows of {data.X.shape[1]} channels x {data.X.shape[2]} samples "
        f"from {n_trials} trials of {np.unique(data.subject).size} subjects; targets "
        f"{', '.join(data.target_names)} (low/high at {data.threshold:g}); PRNet with "
        f"{args.max_epochs} epochs, lr={args.lr:g}, batch {args.batch_size}.\n"
    )

    with sklearn.config_context(enable_metadata_routing=True):
        start = time.perf_counter()
        search, grid = search_per_subject(data, args)
        timings["search"] = time.perf_counter() - start
        print(
            f"(a) GridSearchCV per subject (inner GroupKFold({args.inner_splits}) on trials; "
            "score: macro-F1 averaged over the targets)"
        )
        print(grid.pivot(index="subject", columns="setting", values="inner_f1").round(3))
        print("selected setting, and its F1 on the held-out trials:")
        print(search.round(3).to_string(index=False), "\n")

        start = time.perf_counter()
        scores = subject_dependent(data, args)
        summary = summary_table(scores).reindex(list(MODELS))
        tests = paired_test(scores, *MODELS, metric="f1")
        timings["subject_dependent"] = time.perf_counter() - start
        print(
            f"(b) subject-dependent {args.n_splits}-fold CV over whole trials; accuracy in %, "
            "macro-F1; mean ± std over subjects; paired t-test over subjects:"
        )
        print(format_table(summary, tests), "\n")

        start = time.perf_counter()
        loso = leave_subject_out(data, args)
        timings["loso"] = time.perf_counter() - start
        print("(c) leave-one-subject-out mean macro-F1 (ranking pairs within subjects only):")
        if len(loso):
            print(loso.round(3).to_string(index=False))
            print("mean:", loso[list(MODELS)].mean().round(3).to_dict())
        else:
            print("skipped: it needs at least 2 subjects")
    print("\ntimings (s):", {k: round(v, 1) for k, v in timings.items()})
    return {
        "search": search,
        "grid": grid,
        "scores": scores,
        "summary": summary,
        "tests": tests,
        "loso": loso,
        "timings": timings,
        "description": description,
    }


if __name__ == "__main__":
    main()
