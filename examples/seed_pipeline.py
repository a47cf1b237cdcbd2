"""PRNet on SEED: ordered classes, the paper's per-session split, baseline vs PRNet.

SEED's three classes are treated as ordered levels of valence, negative (-1) < neutral (0) <
positive (1) (Zoumpourlis & Patras, ACII 2021, Table III): a pair of windows of the same class
is "similar", otherwise the one of the higher class "succeeds" the other. The ranking labels
come from ``y`` itself through ``class_order``; no extra metadata is needed. The pipeline is
:func:`sk_prnet.pipelines.make_seed_pipeline` on SEED's precomputed features (310 DE values
per 1 s window)::

    DE features (62 channels x 5 bands) -> Fisher selection -> z-score -> PRNet

Protocol (as in Zheng & Lu, 2015): subject-dependent, per session the first 9 trials train
and the last 6 test (:class:`sk_prnet.SeedSessionSplit`, run for every (subject, session)
with :func:`sk_prnet.evaluate_subjects`). We compare the baseline (alpha=0) with PRNet
(alpha=1) on accuracy and macro-F1 per subject and session, and report the mean, the paper's
Table V shape (mean +- std over subjects) and a paired t-test over subjects.

SEED is licensed: obtain it from its owners and pass ``--data-dir`` (the folder holding
``ExtractedFeatures/``). Without it, a small synthetic SEED in the same file format is written
with :func:`sk_prnet.datasets.make_synthetic_seed` to a temporary folder; its numbers only
demonstrate the mechanics, not the paper's results.

Run::

    python examples/seed_pipeline.py                      # synthetic, under a minute
    python examples/seed_pipeline.py --data-dir ~/data/SEED
"""

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from sk_prnet import SeedSessionSplit, evaluate_subjects, ordinal_relation, seed_train_test_split
from sk_prnet.datasets import load_seed, make_synthetic_seed
from sk_prnet.experiments.report import format_table, paired_test, summary_table
from sk_prnet.ordinal import RELATION_NAMES
from sk_prnet.pipelines import make_seed_pipeline

#: SEED's classes from the lowest to the highest valence, and their names.
CLASS_ORDER = [-1, 0, 1]
CLASS_NAMES = {-1: "negative", 0: "neutral", 1: "positive"}
#: The two models compared in the paper's Table V, with their ranking weight alpha.
MODELS = {"baseline (alpha=0)": 0.0, "PRNet (alpha=1)": 1.0}
#: sklearn scorer name -> name in the tables.
METRICS = {"accuracy": "accuracy", "f1_macro": "f1"}


def parse_args(argv=None):
    """Command-line options."""
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument(
        "--data-dir",
        type=Path,
        default=None,
        help="SEED root (with ExtractedFeatures/); omitted: synthetic data",
    )
    p.add_argument("--subjects", type=int, nargs="+", default=None, help="default: all")
    p.add_argument("--sessions", type=int, nargs="+", default=None, help="default: all")
    p.add_argument("--feature", default="de_LDS", help="SEED feature prefix (paper: DE)")
    g = p.add_argument_group("synthetic data (without --data-dir)")
    g.add_argument(
        "--synthetic-dir",
        type=Path,
        default=None,
        help="where to write it; default: a temporary folder, removed at the end",
    )
    g.add_argument("--n-subjects", type=int, default=5, help="SEED: 15")
    g.add_argument("--n-sessions", type=int, default=3, help="SEED: 3")
    g.add_argument(
        "--n-windows",
        type=int,
        nargs=2,
        default=(20, 30),
        metavar=("LOW", "HIGH"),
        help="1 s windows per trial, drawn in [LOW, HIGH] (SEED: about 185-265)",
    )
    n = p.add_argument_group("network")
    n.add_argument("--max-epochs", type=int, default=20, help="paper: 20")
    n.add_argument(
        "--lr",
        type=float,
        default=None,
        help="SGD learning rate; default: the paper's 0.001 on real SEED, 0.01 on "
        "the small synthetic data (far fewer windows, so fewer SGD steps)",
    )
    n.add_argument("--batch-size", type=int, default=40, help="paper: 40")
    n.add_argument("--device", default="auto", help="'auto', 'cpu' or 'cuda'")
    n.add_argument(
        "--n-jobs",
        type=int,
        default=None,
        help="sessions evaluated in parallel (joblib); "
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


def load_data(args, workdir):
    """Load SEED (or write and load a synthetic one); returns the Bunch and a description."""
    if args.data_dir is not None:
        data = load_seed(args.data_dir, args.feature, args.subjects, args.sessions)
        return data, f"SEED ({args.feature}) from {args.data_dir}"
    root = make_synthetic_seed(
        workdir,
        n_subjects=args.n_subjects,
        n_sessions=args.n_sessions,
        random_state=args.seed,
        n_windows=tuple(args.n_windows),
        features=(args.feature,),
    )
    data = load_seed(root, args.feature, args.subjects, args.sessions)
    where = "a temporary folder" if args.synthetic_dir is None else str(root)
    low, high = args.n_windows
    return data, (
        f"No --data-dir: SYNTHETIC SEED ({args.n_subjects} subjects x {args.n_sessions} "
        f"sessions x 15 trials of {low}-{high} windows, {args.feature}) written by "
        f"make_synthetic_seed to {where} and read back with load_seed.\nIt only demonstrates "
        "the mechanics; SEED is licensed, obtain it from its owners for real results."
    )


def relation_table():
    """Table III: the relation of a window of the row class to one of the column class."""
    rows = np.repeat(CLASS_ORDER, len(CLASS_ORDER))
    cols = np.tile(CLASS_ORDER, len(CLASS_ORDER))
    codes = ordinal_relation(rows, cols, class_order=CLASS_ORDER)
    names = np.asarray(RELATION_NAMES)[codes].reshape(len(CLASS_ORDER), -1)
    labels = [f"{CLASS_NAMES[c]} ({c})" for c in CLASS_ORDER]
    return pd.DataFrame(names, index=pd.Index(labels, name="x1 \\ x2"), columns=labels)


def split_of_one_session(data):
    """The paper's split of the first session, via ``seed_train_test_split``."""
    m = (data.subject == data.subject[0]) & (data.session == data.session[0])
    cv = seed_train_test_split(data.trial_index[m])
    train, test = next(cv.split())
    trial, y = data.trial_index[m], data.y[m]
    return pd.DataFrame(
        {
            "trials": [_ranges(np.unique(trial[train])), _ranges(np.unique(trial[test]))],
            "windows": [train.size, test.size],
            **{
                CLASS_NAMES[c]: [int((y[train] == c).sum()), int((y[test] == c).sum())]
                for c in CLASS_ORDER
            },
        },
        index=pd.Index(
            ["train", "test"], name=f"subject {data.subject[0]}, session {data.session[0]}"
        ),
    )


def _ranges(values):
    return f"{values.min()}-{values.max()}" if np.all(np.diff(values) == 1) else str(values)


def evaluate(data, args):
    """Baseline and PRNet on every (subject, session); tidy scores."""
    unit = data.subject * 10 + data.session  # one evaluation per (subject, session)
    frames = []
    for name, alpha in MODELS.items():
        pipe = make_seed_pipeline(
            class_order=CLASS_ORDER,
            alpha=alpha,
            max_epochs=args.max_epochs,
            lr=args.lr,
            batch_size=args.batch_size,
            device=args.device,
            random_state=args.seed,
        )
        df = evaluate_subjects(
            pipe,
            data.X,
            data.y,
            unit,
            SeedSessionSplit(n_train_trials=9),
            groups=data.trial_index,
            scoring=list(METRICS),
            n_jobs=args.n_jobs,
        )
        frames.append(
            df.assign(
                model=name,
                subject=df["subject"] // 10,
                session=df["subject"] % 10,
                metric=df["metric"].map(METRICS),
            )
        )
    scores = pd.concat(frames, ignore_index=True)
    return scores[["model", "subject", "session", "metric", "value", "fit_time"]]


def main(argv=None):
    """Run the comparison, print the tables and return them.

    Parameters
    ----------
    argv : list of str or None
        Command-line arguments (``None``: ``sys.argv[1:]``).

    Returns
    -------
    result : dict
        ``relations`` (Table III), ``split`` (one session's train/test trials), ``scores``
        (tidy: model, subject, session, metric, value), ``per_session`` (one row per subject
        and session, one column per model and metric), ``mean`` (mean over all sessions),
        ``summary``/``tests`` (Table V shape, over subjects), ``timings`` and
        ``description``.
    """
    args = parse_args(argv)
    if args.lr is None:
        args.lr = 1e-3 if args.data_dir is not None else 1e-2
    torch.set_num_threads(args.torch_threads)
    pd.set_option("display.width", 120)
    timings = {}
    with tempfile.TemporaryDirectory(prefix="sk_prnet_seed_") as tmp:
        start = time.perf_counter()
        data, description = load_data(args, args.synthetic_dir or tmp)
        timings["data"] = time.perf_counter() - start
    print(description)
    print(
        f"{len(data.X)} windows x {data.X.shape[1]} features, "
        f"{np.unique(data.subject).size} subjects, sessions {np.unique(data.session).tolist()};"
        f" PRNet with {args.max_epochs} epochs, lr={args.lr:g}, batch {args.batch_size}.\n"
    )

    relations = relation_table()
    print("Ordinal relation of x1 (row) to x2 (column), class_order=[-1, 0, 1] (Table III):")
    print(relations, "\n")
    split = split_of_one_session(data)
    print("The paper's split of one session (seed_train_test_split; windows per class):")
    print(split, "\n")

    start = time.perf_counter()
    scores = evaluate(data, args)
    timings["evaluate"] = time.perf_counter() - start
    per_session = scores.pivot_table(
        index=["subject", "session"], columns=["model", "metric"], values="value"
    ).reindex(columns=list(MODELS), level=0)
    mean = scores.groupby(["model", "metric"])["value"].mean().unstack().reindex(list(MODELS))
    print("Test scores per subject and session (trained on trials 1-9, tested on 10-15):")
    print(per_session.round(3))
    print("\nmean over all subject-sessions:")
    print(mean.round(3), "\n")

    # The paper's table: sessions averaged per subject, mean +- std over subjects.
    tidy = scores.rename(columns={"session": "fold"}).assign(target="emotion")
    summary = summary_table(tidy).reindex(list(MODELS))
    tests = paired_test(tidy, *MODELS, metric="f1")
    print(
        "Per subject (sessions averaged); accuracy in %, macro-F1; mean ± std over subjects;"
        " paired t-test over subjects:"
    )
    print(format_table(summary, tests))
    print("\ntimings (s):", {k: round(v, 1) for k, v in timings.items()})
    return {
        "relations": relations,
        "split": split,
        "scores": scores,
        "per_session": per_session,
        "mean": mean,
        "summary": summary,
        "tests": tests,
        "timings": timings,
        "description": description,
    }


if __name__ == "__main__":
    main()
