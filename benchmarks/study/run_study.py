"""Issue-16 exploration: PRNet variants vs the α = 0 baseline on real data sets.

Usage (from the repository root)::

    python -m benchmarks.study.run_study --sets diabetes cars --repeats 2 \
        --out benchmarks/study/results/scores.csv
    python -m benchmarks.study.run_study --report benchmarks/study/results/scores.csv

Protocol: repeated 5-fold CV (``KFold(shuffle=True, random_state=repeat)``;
``GroupKFold`` over raters for ``insects``), the same folds and the same estimator seed
(``1000 * repeat + fold``) for every configuration. Every network runs as
``TransformedTargetRegressor(make_pipeline(StandardScaler(), net),
transformer=StandardScaler())``: features and targets are standardized on the training fold,
so ε and the soft-label temperature are in standard deviations of the target. Metric: CCC
on the original scale (CCC is invariant to a common affine map, so it equals the CCC on the
standardized scale). Test: the corrected resampled t-test of Nadeau & Bengio (2003) over the
J = 5 * repeats fold differences, ``n_test / n_train = 1/4``.

Rows are appended to the CSV as each fit finishes, and a rerun skips the (set, config,
repeat, fold) rows already there, so an interrupted run loses nothing.
"""

import argparse
import os
import time

import numpy as np
import pandas as pd
import torch
from sklearn.base import clone
from sklearn.compose import TransformedTargetRegressor
from sklearn.linear_model import RidgeCV
from sklearn.model_selection import GroupKFold, KFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from skorch.callbacks import EarlyStopping
from skorch.dataset import ValidSplit

from sk_prnet import PRNetRegressor
from sk_prnet.experiments import paired_test
from sk_prnet.metrics import concordance_correlation_coefficient as ccc

from .datasets import DATASETS, load, load_groups
from .variants import BLEND_FIT, OPTIONS, TASK_MONITOR

BASELINE = "alpha0"
BLENDS = {"": 0.0, "_blend0.25": 0.25, "_blend0.5": 0.5, "_rankonly": 1.0}


def _early_stopping(alpha, patience=10, monitor="valid_loss", **params):
    """Up to 200 epochs, stopping on the loss of an inner 10 % validation split (best weights
    restored): what scikit-learn's MLP does with ``early_stopping=True``."""
    stop = EarlyStopping(monitor=monitor, patience=patience, load_best=True, sink=_quiet)
    return PRNetRegressor(
        alpha=alpha, max_epochs=200, train_split=ValidSplit(0.1, random_state=0),
        callbacks=[stop], **params,
    )  # fmt: skip


def _quiet(*args):
    """EarlyStopping's message sink (a named function, so configurations can be cloned)."""


#: The exploration's configurations ran at the then-default 20 epochs (the paper's); they
#: pin it, as the default is now max_epochs="auto".
PAPER = dict(max_epochs=20)

#: name -> (estimator, evaluate blend views?). Everything else at the package defaults.
CONFIGS = {
    "alpha0": (PRNetRegressor(alpha=0.0, **PAPER), False),
    "alpha1": (PRNetRegressor(alpha=1.0, **PAPER, **BLEND_FIT), True),  # default ε = 0.15 SD
    "alpha1_eps0": (PRNetRegressor(alpha=1.0, epsilon=0.0, **PAPER), False),
    "alpha1_eps0.5": (PRNetRegressor(alpha=1.0, epsilon=0.5, **PAPER), False),
    "alpha1_eps1": (PRNetRegressor(alpha=1.0, epsilon=1.0, **PAPER), False),
    **{
        f"alpha1_{k}": (PRNetRegressor(alpha=1.0, **PAPER, **v), False)
        for k, v in OPTIONS.items()
    },
    "alpha0_es": (_early_stopping(0.0), False),
    "alpha1_es": (_early_stopping(1.0, **BLEND_FIT), True),
    # controls: the same stopping rule for both (validation task loss), a longer patience
    "alpha1_es_task": (_early_stopping(1.0, monitor=TASK_MONITOR, **BLEND_FIT), True),
    "alpha0_es_p30": (_early_stopping(0.0, patience=30), False),
    # is the default-setting gain just more gradient on an under-trained backbone?
    "alpha0_lr2x": (PRNetRegressor(alpha=0.0, lr=2e-3, **PAPER), False),
    "alpha0_ep40": (PRNetRegressor(alpha=0.0, max_epochs=40), False),
    "alpha1_lr2x": (PRNetRegressor(alpha=1.0, lr=2e-3, **PAPER), False),
    "alpha1_ep40": (PRNetRegressor(alpha=1.0, max_epochs=40), False),
    "ridge": (None, False),
    # issue 16 item 5: the 20 epochs of the paper vs max_epochs="auto" (a step budget)
    "alpha1_ep20": (PRNetRegressor(alpha=1.0, **PAPER), False),  # alpha1 without blend views
    "alpha0_auto": (PRNetRegressor(alpha=0.0, max_epochs="auto"), False),
    "alpha1_auto": (PRNetRegressor(alpha=1.0, max_epochs="auto"), False),
}


def _model(name, seed):
    est, _ = CONFIGS[name]
    if est is None:
        return make_pipeline(StandardScaler(), RidgeCV(alphas=np.logspace(-3, 3, 13)))
    est = clone(est).set_params(random_state=seed)
    return TransformedTargetRegressor(
        make_pipeline(StandardScaler(), est), transformer=StandardScaler()
    )


def _folds(name, y, repeat):
    groups = load_groups(name)
    if groups is not None:
        cv = GroupKFold(5, shuffle=True, random_state=repeat)
        return list(cv.split(y, y, groups))
    return list(KFold(5, shuffle=True, random_state=repeat).split(y))


def run(sets, configs, repeats, out):
    """Fit and score every (set, repeat, fold, config); ``repeats`` is a count or a list of
    repeat ids (e.g. ``[2, 3]``: folds the configuration was not chosen on)."""
    torch.set_num_threads(1)
    done = set()
    if os.path.exists(out):
        prev = pd.read_csv(out)
        done = set(zip(prev.dataset, prev.fit, prev.repeat, prev.fold))
    os.makedirs(os.path.dirname(out) or ".", exist_ok=True)
    for ds in sets:
        X, y, _ = load(ds)
        for repeat in range(repeats) if isinstance(repeats, int) else repeats:
            for fold, (tr, te) in enumerate(_folds(ds, y, repeat)):
                for name in configs:
                    if (ds, name, repeat, fold) in done:
                        continue
                    seed = 1000 * repeat + fold
                    t0 = time.perf_counter()
                    model = _model(name, seed).fit(X[tr], y[tr])
                    seconds = time.perf_counter() - t0
                    net = getattr(model, "regressor_", None)
                    net = None if net is None else net[-1]
                    views = BLENDS if CONFIGS[name][1] else {"": 0.0}
                    rows = []
                    for suffix, blend in views.items():
                        if CONFIGS[name][1]:  # fitted with rank_blend > 0: any blend
                            net.set_params(rank_blend=blend)
                        score = ccc(y[te], model.predict(X[te]))
                        rows.append(dict(
                            dataset=ds, fit=name, config=name + suffix, repeat=repeat,
                            fold=fold, ccc=score, seconds=seconds, n_train=len(tr),
                            epochs=len(net.history) if net is not None else np.nan,
                        ))  # fmt: skip
                    pd.DataFrame(rows).to_csv(
                        out, mode="a", header=not os.path.exists(out), index=False
                    )
                    print(ds, name, repeat, fold, f"{rows[0]['ccc']:.4f}", f"{seconds:.1f}s",
                          flush=True)


def corrected_p(df, config, baseline=BASELINE, metric="ccc"):
    """p of the corrected resampled t-test of ``config`` vs ``baseline`` on one data set,
    from the package's :func:`sk_prnet.experiments.paired_test` (``test_fraction=1/4``)."""
    tidy = df[df.config.isin([config, baseline])].assign(
        model=lambda d: d.config, subject=0, target="y", metric=metric,
        value=lambda d: d[metric],
        fold=lambda d: d.repeat * 100 + d.fold,
    )
    both = tidy.groupby("fold").model.nunique() == 2  # folds an interrupted run finished
    tidy = tidy[tidy.fold.isin(both[both].index)]
    return float(paired_test(tidy, baseline, config, metric, test_fraction=0.25)["p"].iloc[0])


def summarize(df, baseline=BASELINE, metric="ccc"):
    """One row per (dataset, config): mean score (column ``ccc``, whatever ``metric`` is),
    gain vs ``baseline``, wins/losses, p."""
    keys = ["dataset", "repeat", "fold"]
    base = df[df.config == baseline].set_index(keys)[metric]
    rows = []
    for (ds, cfg), g in df.groupby(["dataset", "config"], sort=False):
        d = g.set_index(keys)[metric] - base.reindex(g.set_index(keys).index)
        d = d.dropna()
        rows.append(dict(
            dataset=ds, config=cfg, n_folds=len(d), ccc=g[metric].mean(),
            gain=d.mean() if len(d) else np.nan, wins=int((d > 0).sum()),
            losses=int((d < 0).sum()),
            p=corrected_p(df[df.dataset == ds], cfg, baseline, metric)
            if cfg != baseline else np.nan,
            seconds=g.seconds.mean(), epochs=g.epochs.mean(),
        ))  # fmt: skip
    return pd.DataFrame(rows)


def markdown(summary, baseline=BASELINE):
    """Markdown table: gain vs ``baseline`` (wins/losses over folds, corrected p) per config
    x dataset, with the mean gain over sets and the number of sets with gain >= 0."""
    sets = list(dict.fromkeys(summary.dataset))
    configs = list(dict.fromkeys(summary.config))
    cell = summary.set_index(["config", "dataset"])
    lines = ["| config | " + " | ".join(sets) + " | mean gain | sets ≥ 0 |",
             "|---" * (len(sets) + 3) + "|"]
    for cfg in configs:
        parts, gains = [], []
        for ds in sets:
            if (cfg, ds) not in cell.index:
                parts.append("")
                continue
            r = cell.loc[(cfg, ds)]
            if cfg == baseline:
                parts.append(f"{r.ccc:.3f}")
                continue
            gains.append(r.gain)
            star = "*" if r.p < 0.05 else ""
            parts.append(f"{r.gain:+.4f} ({int(r.wins)}/{int(r.losses)}, p={r.p:.2f}){star}")
        tail = ("CCC of the baseline", "") if cfg == baseline else (
            f"{np.mean(gains):+.4f}", f"{sum(g >= 0 for g in gains)}/{len(gains)}")
        lines.append(f"| {cfg} | " + " | ".join(parts) + f" | {tail[0]} | {tail[1]} |")
    return "\n".join(lines)


#: (training regime, α = 0 configuration, α = 1 configuration) trained the same way.
REGIMES = [
    ("defaults (20 epochs, lr 1e-3)", "alpha0", "alpha1"),
    ("40 epochs", "alpha0_ep40", "alpha1_ep40"),
    ("lr 2e-3", "alpha0_lr2x", "alpha1_lr2x"),
    ("early stopping on task valid loss", "alpha0_es", "alpha1_es_task"),
    ("early stopping on L_task + α L_rank", "alpha0_es", "alpha1_es"),
]


def alpha_effects(df):
    """Markdown table of the α = 1 vs α = 0 gain within each training regime of REGIMES."""
    sets = list(dict.fromkeys(df.dataset))
    lines = ["| regime | " + " | ".join(sets) + " | mean gain | sets ≥ 0 |",
             "|---" * (len(sets) + 3) + "|"]
    for label, base, other in REGIMES:
        sub = df[df.config.isin([base, other])]
        if sub.config.nunique() < 2:
            continue
        summ = summarize(sub, base).set_index(["config", "dataset"])
        parts, gains = [], []
        for ds in sets:
            if (other, ds) not in summ.index or (base, ds) not in summ.index:
                parts.append("")
                continue
            r = summ.loc[(other, ds)]
            gains.append(r.gain)
            star = "*" if r.p < 0.05 else ""
            parts.append(f"{r.gain:+.4f} ({int(r.wins)}/{int(r.losses)}, p={r.p:.2f}){star}")
        lines.append(f"| {label} | " + " | ".join(parts)
                     + f" | {np.mean(gains):+.4f} | {sum(g >= 0 for g in gains)}/{len(gains)} |")
    return "\n".join(lines)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sets", nargs="+", default=list(DATASETS), choices=list(DATASETS))
    ap.add_argument("--configs", nargs="+", default=list(CONFIGS), choices=list(CONFIGS))
    ap.add_argument("--repeats", type=int, default=2)
    ap.add_argument("--repeat-ids", type=int, nargs="+", help="run these repeats instead")
    ap.add_argument("--out", default="benchmarks/study/results/scores.csv")
    ap.add_argument("--report", nargs="+", metavar="CSV", help="summarize CSV files and exit")
    args = ap.parse_args(argv)
    if args.report:
        df = pd.concat([pd.read_csv(f) for f in args.report], ignore_index=True)
        summary = summarize(df)
        base = os.path.splitext(args.report[0])[0]
        summary.to_csv(base + "_summary.csv", index=False)
        text = markdown(summary)
        text += "\n\nα = 1 against α = 0 trained the same way:\n\n" + alpha_effects(df)
        with open(base + "_summary.md", "w") as fh:
            fh.write(text + "\n")
        print(text)
        return
    run(args.sets, args.configs, args.repeat_ids or args.repeats, args.out)


if __name__ == "__main__":
    main()
