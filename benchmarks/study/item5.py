"""Issue 16 item 5: the paper's 20 epochs vs ``max_epochs="auto"`` vs a linear model.

Two arms on the study sets, repeated 5-fold CV with the folds and seeds of ``run_study``:

* continuous targets (CCC): ``run_study.py`` configs ``alpha0``/``alpha1_ep20`` (20 epochs),
  ``alpha0_auto``/``alpha1_auto`` and ``ridge``;
* ordered classes (macro F1): the target cut at the training fold's tertiles into low / mid /
  high (the classifier ranks the classes in that order), ``PRNetClassifier`` at 20 epochs and
  ``"auto"``, and ``LogisticRegression`` -- all on standardized features.

Usage (from the repository root)::

    python -m benchmarks.study.run_study --sets diabetes cars penguins bigfive insects \
        --configs alpha0 alpha1_ep20 alpha0_auto alpha1_auto ridge --repeat-ids 2 3 \
        --out benchmarks/study/results/scores_item5.csv
    python -m benchmarks.study.item5 --sets diabetes cars penguins bigfive insects \
        --repeat-ids 2 3 --out benchmarks/study/results/scores_item5_classes.csv
    python -m benchmarks.study.item5 --report benchmarks/study/results/scores_item5.csv \
        benchmarks/study/results/scores_item5_classes.csv
"""

import argparse
import os
import time

import numpy as np
import pandas as pd
import torch
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sk_prnet import PRNetClassifier

from .datasets import DATASETS, load
from .run_study import _folds, summarize

CLASS_CONFIGS = {
    "alpha0": PRNetClassifier(alpha=0.0, max_epochs=20),
    "alpha1_ep20": PRNetClassifier(alpha=1.0, max_epochs=20),
    "alpha0_auto": PRNetClassifier(alpha=0.0, max_epochs="auto"),
    "alpha1_auto": PRNetClassifier(alpha=1.0, max_epochs="auto"),
    "logreg": LogisticRegression(max_iter=1000),
}


def tertiles(y_train, y):
    """Ordered classes 0 < 1 < 2 of ``y`` at the tertiles of ``y_train``."""
    return np.digitize(y, np.quantile(y_train, [1 / 3, 2 / 3]))


def run_classes(sets, repeat_ids, out, configs=tuple(CLASS_CONFIGS)):
    torch.set_num_threads(1)
    done = set()
    if os.path.exists(out):
        prev = pd.read_csv(out)
        done = set(zip(prev.dataset, prev.config, prev.repeat, prev.fold))
    for ds in sets:
        X, y, _ = load(ds)
        for repeat in repeat_ids:
            for fold, (tr, te) in enumerate(_folds(ds, y, repeat)):
                c_tr, c_te = tertiles(y[tr], y[tr]), tertiles(y[tr], y[te])
                for name in configs:
                    if (ds, name, repeat, fold) in done:
                        continue
                    est = clone(CLASS_CONFIGS[name])
                    if "random_state" in est.get_params():
                        est.set_params(random_state=1000 * repeat + fold)
                    t0 = time.perf_counter()
                    model = make_pipeline(StandardScaler(), est).fit(X[tr], c_tr)
                    seconds = time.perf_counter() - t0
                    f1 = f1_score(c_te, model.predict(X[te]), average="macro")
                    history = getattr(model[-1], "history_", None)
                    pd.DataFrame([dict(
                        dataset=ds, fit=name, config=name, repeat=repeat, fold=fold, f1=f1,
                        seconds=seconds, n_train=len(tr),
                        epochs=np.nan if history is None else len(history),
                    )]).to_csv(out, mode="a", header=not os.path.exists(out),
                               index=False)  # fmt: skip
                    print(ds, name, repeat, fold, f"{f1:.4f}", f"{seconds:.1f}s", flush=True)


def _cell(summary, config, ds):
    r = summary.loc[(config, ds)]
    star = "*" if r.p < 0.05 else ""
    return f"{r.gain:+.4f} (p={r.p:.2f}){star}"


def item5_table(df, metric, linear):
    """Markdown: per set and alpha, the 20-epoch score, the gain of "auto" and of the linear
    model over it, and the linear model against "auto" (corrected resampled t-test)."""
    sets = list(dict.fromkeys(df.dataset))
    lines = [
        f"| set | α | 20 epochs ({metric}) | epochs of auto | auto − 20 epochs | "
        f"{linear} − 20 epochs | {linear} − auto |",
        "|---|---|---|---|---|---|---|",
    ]
    gains = {0: [], 1: []}
    for alpha, old, auto in ((0, "alpha0", "alpha0_auto"), (1, "alpha1_ep20", "alpha1_auto")):
        vs_old = summarize(df, old, metric).set_index(["config", "dataset"])
        vs_auto = summarize(df, auto, metric).set_index(["config", "dataset"])
        for ds in sets:
            gains[alpha].append(vs_old.loc[(auto, ds)].gain)
            lines.append(
                f"| {ds} | {alpha} | {vs_old.loc[(old, ds)].ccc:.3f} | "
                f"{vs_old.loc[(auto, ds)].epochs:.0f} | {_cell(vs_old, auto, ds)} | "
                f"{_cell(vs_old, linear, ds)} | {_cell(vs_auto, linear, ds)} |"
            )
    text = "\n".join(lines)
    for alpha, g in gains.items():
        text += (
            f"\n\nα = {alpha}: auto − 20 epochs, mean {np.mean(g):+.4f}, "
            f"≥ 0 on {sum(x >= 0 for x in g)}/{len(g)} sets"
        )
    return text


def alpha_table(df, metric):
    """Markdown: α = 1 against α = 0 at 20 epochs and with "auto" (the issue's target)."""
    sets = list(dict.fromkeys(df.dataset))
    lines = ["| training | " + " | ".join(sets) + " | mean gain | sets ≥ 0 |",
             "|---" * (len(sets) + 3) + "|"]  # fmt: skip
    for label, a0, a1 in (("20 epochs", "alpha0", "alpha1_ep20"),
                          ('max_epochs="auto"', "alpha0_auto", "alpha1_auto")):  # fmt: skip
        s = summarize(df[df.config.isin([a0, a1])], a0, metric).set_index(["config", "dataset"])
        g = [s.loc[(a1, ds)].gain for ds in sets]
        lines.append(
            f"| {label} | " + " | ".join(_cell(s, a1, ds) for ds in sets)
            + f" | {np.mean(g):+.4f} | {sum(x >= 0 for x in g)}/{len(g)} |"
        )  # fmt: skip
    return "\n".join(lines)


def report(reg_csv, cls_csv):
    parts = []
    for csv, metric, linear in ((reg_csv, "ccc", "ridge"), (cls_csv, "f1", "logreg")):
        if csv is None or not os.path.exists(csv):
            continue
        df = pd.read_csv(csv)
        parts.append(f"### {metric}: {csv}\n\n" + item5_table(df, metric, linear))
        parts.append("α = 1 against α = 0:\n\n" + alpha_table(df, metric))
    text = "\n\n".join(parts)
    with open(os.path.splitext(reg_csv)[0] + "_summary.md", "w") as fh:
        fh.write(text + "\n")
    print(text)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sets", nargs="+", default=list(DATASETS), choices=list(DATASETS))
    ap.add_argument("--configs", nargs="+", default=list(CLASS_CONFIGS))
    ap.add_argument("--repeat-ids", type=int, nargs="+", default=[2, 3])
    ap.add_argument("--out", default="benchmarks/study/results/scores_item5_classes.csv")
    ap.add_argument("--report", nargs=2, metavar=("REGRESSION_CSV", "CLASSES_CSV"))
    args = ap.parse_args(argv)
    if args.report:
        report(*args.report)
        return
    run_classes(args.sets, args.repeat_ids, args.out, args.configs)


if __name__ == "__main__":
    main()
