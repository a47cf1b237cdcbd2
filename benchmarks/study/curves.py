"""Issue 16 item 5: learning curves of the default network on the study sets.

One long fit per (set, repeat, fold, alpha) at the estimator defaults except ``max_epochs``
(the cap), recording after every epoch the training loss and the test CCC. Because a
stopping rule only ends a fit (it never changes the epochs before the stop), the test CCC of
any rule that stops on the training loss -- or of any fixed epoch count up to the cap -- can
be read off these curves; ``--report`` does that for a few candidate rules. The remedy chosen
from them is then measured for real by ``run_study.py`` (configs ``*_auto``).

Usage::

    python -m benchmarks.study.curves --sets diabetes cars --repeats 2 --cap 200 \
        --out benchmarks/study/results/curves.csv
"""

import argparse
import os
import time

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


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sets", nargs="+", default=list(DATASETS), choices=list(DATASETS))
    ap.add_argument("--repeats", type=int, default=2)
    ap.add_argument("--cap", type=int, default=200)
    ap.add_argument("--alphas", nargs="+", type=float, default=[0.0, 1.0])
    ap.add_argument("--out", default="benchmarks/study/results/curves.csv")
    args = ap.parse_args(argv)
    run(args.sets, args.repeats, args.cap, args.alphas, args.out)


if __name__ == "__main__":
    main()
