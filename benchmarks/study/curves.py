"""Issue 16 item 5: learning curves of the default network on the study sets.

One long fit per (set, repeat, fold, alpha) at the estimator defaults except ``max_epochs``
(the cap), recording after every epoch the training loss and the test CCC. Because a
stopping rule only ends a fit (it never changes the epochs before the stop), the test CCC of
any rule that stops on the training loss -- or of any fixed epoch count up to the cap -- can
be read off these curves; ``--report`` does that for the candidate rules of :data:`RULES`.
The remedy chosen from them (on repeats 0-1) is then measured for real, on other folds
(repeats 2-3), by ``run_study.py`` and ``item5.py`` (configs ``*_auto``).

Usage::

    python -m benchmarks.study.curves --sets diabetes cars --repeats 2 --cap 200 \
        --out benchmarks/study/results/curves.csv
    python -m benchmarks.study.curves --report benchmarks/study/results/curves.csv
"""

import argparse
import os
import time
from functools import partial

import numpy as np
import pandas as pd
import torch
from sklearn.preprocessing import StandardScaler
from skorch.callbacks import Callback

from sk_prnet import PRNetRegressor
from sk_prnet.metrics import concordance_correlation_coefficient as ccc

from .datasets import DATASETS, load
from .run_study import _folds


class TestCurve(Callback):
    """Records the test CCC after every epoch (CCC is invariant to the common affine map
    of the target standardization, so it is computed on the standardized scale)."""

    def __init__(self, X_test, y_test):
        self.X_test = X_test
        self.y_test = y_test

    def on_epoch_end(self, net, **kwargs):
        net.history.record("test_ccc", ccc(self.y_test, net.predict(self.X_test)))


def run(sets, repeats, cap, alphas, out):
    torch.set_num_threads(1)
    done = set()
    if os.path.exists(out):
        prev = pd.read_csv(out)
        done = set(zip(prev.dataset, prev.alpha, prev.repeat, prev.fold))
    for ds in sets:
        X, y, _ = load(ds)
        for repeat in range(repeats):
            for fold, (tr, te) in enumerate(_folds(ds, y, repeat)):
                xs = StandardScaler().fit(X[tr])
                ys = StandardScaler().fit(y[tr, None])
                Xtr, Xte = xs.transform(X[tr]), xs.transform(X[te])
                ytr = ys.transform(y[tr, None])[:, 0]
                yte = ys.transform(y[te, None])[:, 0]
                for alpha in alphas:
                    if (ds, alpha, repeat, fold) in done:
                        continue
                    seed = 1000 * repeat + fold
                    t0 = time.perf_counter()
                    net = PRNetRegressor(
                        alpha=alpha, max_epochs=cap, random_state=seed,
                        callbacks=[("test_curve", TestCurve(Xte, yte))],
                    ).fit(Xtr, ytr)  # fmt: skip
                    sec = time.perf_counter() - t0
                    h = net.history
                    pd.DataFrame(dict(
                        dataset=ds, alpha=alpha, repeat=repeat, fold=fold,
                        epoch=np.arange(1, len(h) + 1), n_train=len(tr),
                        steps_per_epoch=h[:, "train_batch_count"],
                        train_loss=h[:, "train_loss"], test_ccc=h[:, "test_ccc"],
                    )).to_csv(out, mode="a", header=not os.path.exists(out),
                              index=False)  # fmt: skip
                    print(ds, alpha, repeat, fold, f"{sec:.1f}s", flush=True)


def plateau_epoch(losses, tol, n_iter_no_change):
    """The epoch (1-based) at which ``ConvergenceStopping(tol, n_iter_no_change)`` stops a
    fit with these training losses, or ``None`` (its rule, replayed on a recorded curve)."""
    best, misses = np.inf, 0
    for epoch, loss in enumerate(losses, start=1):
        if loss < best * (1 - tol):
            best, misses = loss, 0
        else:
            misses += 1
        if misses >= n_iter_no_change:
            return epoch
    return None


def _fixed(epochs, loss, spe, cap):
    return min(cap, epochs)


def _plateau(tol, n, loss, spe, cap):
    return plateau_epoch(loss[:cap], tol, n) or cap


def _budget(steps, loss, spe, cap):
    return min(cap, max(20, -(-steps // spe)))  # max_epochs="auto" with AUTO_MIN_STEPS=steps


#: Candidate rules: name -> epoch to stop at, from (training losses, steps an epoch, cap).
RULES = {
    **{f"{e} epochs" + (" (paper)" if e == 20 else ""): partial(_fixed, e)
       for e in (20, 40, 100, 200)},
    **{f"loss plateau tol={tol:g}, n={n}": partial(_plateau, tol, n)
       for tol, n in ((1e-3, 10), (1e-2, 10), (1e-2, 5))},
    **{f">= {steps} steps, >= 20 epochs": partial(_budget, steps) for steps in (300, 500, 1000)},
}  # fmt: skip


def simulate(curves, cap=200):
    """Test CCC of every rule of :data:`RULES` on every complete curve (one row each)."""
    rows = []
    for (ds, alpha, repeat, fold), g in curves.groupby(["dataset", "alpha", "repeat", "fold"]):
        g = g.sort_values("epoch")
        if len(g) < cap:
            continue  # an unfinished curve (interrupted run)
        loss, ccc_curve = g.train_loss.to_numpy(), g.test_ccc.to_numpy()
        spe = int(g.steps_per_epoch.iloc[0])
        for name, rule in RULES.items():
            epoch = rule(loss, spe, cap)
            rows.append(dict(dataset=ds, alpha=alpha, repeat=repeat, fold=fold, rule=name,
                             epoch=epoch, ccc=ccc_curve[epoch - 1]))  # fmt: skip
    return pd.DataFrame(rows)


def report(csv):
    """Markdown: per rule, the mean gain over 20 epochs for alpha 0 and 1 and alpha 1 - 0."""
    sim = simulate(pd.read_csv(csv))
    table = sim.pivot_table(index=["dataset", "repeat", "fold"], columns=["alpha", "rule"],
                            values="ccc")  # fmt: skip
    epochs = sim.groupby(["rule", "dataset"]).epoch.mean().unstack()
    sets = list(epochs.columns)
    lines = ["| rule | mean epochs (" + ", ".join(sets) + ") | α=0 gain | α=1 gain | "
             "α=1 − α=0 | α=1 ≥ α=0 |", "|---|---|---|---|---|---|"]  # fmt: skip
    base = "20 epochs (paper)"
    for name in RULES:
        g0 = (table[(0.0, name)] - table[(0.0, base)]).groupby("dataset").mean()
        g1 = (table[(1.0, name)] - table[(1.0, base)]).groupby("dataset").mean()
        d = (table[(1.0, name)] - table[(0.0, name)]).groupby("dataset").mean()
        lines.append(
            f"| {name} | " + ", ".join(f"{epochs.loc[name, s]:.0f}" for s in sets)
            + f" | {g0.mean():+.4f} ({(g0 >= 0).sum()}/{len(g0)}) | {g1.mean():+.4f} "
            f"({(g1 >= 0).sum()}/{len(g1)}) | {d.mean():+.4f} | {(d >= 0).sum()}/{len(d)} |"
        )  # fmt: skip
    text = "\n".join(lines)
    print(text)
    return text


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sets", nargs="+", default=list(DATASETS), choices=list(DATASETS))
    ap.add_argument("--repeats", type=int, default=2)
    ap.add_argument("--cap", type=int, default=200)
    ap.add_argument("--alphas", nargs="+", type=float, default=[0.0, 1.0])
    ap.add_argument("--out", default="benchmarks/study/results/curves.csv")
    ap.add_argument("--report", metavar="CSV", help="compare stopping rules on the curves")
    args = ap.parse_args(argv)
    if args.report:
        report(args.report)
        return
    run(args.sets, args.repeats, args.cap, args.alphas, args.out)


if __name__ == "__main__":
    main()
