"""PRNet vs its plain baseline on real data: scikit-learn's diabetes regression set.

The diabetes data (442 patients, 10 standardized clinical features, a disease-progression
score one year later) ships with scikit-learn, so this runs anywhere without a download.
It is *not* affect data: it only shows, honestly, what the ranking head does to an ordinary
regression problem inside a normal scikit-learn workflow.

Protocol: repeated 5-fold CV (``--repeats`` x 5 folds, the same folds for both models), a
``Pipeline(StandardScaler, PRNetRegressor)`` wrapped in ``TransformedTargetRegressor`` so the
network regresses the standardized score (``epsilon`` is then in target standard deviations).
``alpha=0`` is the plain MLP baseline; ``alpha=1`` adds the pairwise ranking loss. We report
RMSE (in score units), Pearson r and the concordance correlation (CCC), mean +- std over the
folds, how often PRNet beats the baseline on the same fold, and a paired t-test over folds
(folds of repeated CV overlap, so treat that p-value as optimistic).

A second table is about ordering only, on the same test folds: Kendall tau with the true
score of each model's predictions, of PRNet's ``rank_scores`` (every test patient compared
by the trained pair head with every training patient, Borda count), and of a
``RankNetRegressor`` (the paper's Section IV-C comparison: the same MLP trained only on
pairs, a scalar score per patient), with its Pearson r as the paper reports it. RankNet's
scores have no unit, so it has no RMSE/CCC. Which of them orders the patients best on this
small, non-affect data set says nothing about the paper's affect results either way.

Run: ``python examples/plot_ranking_vs_baseline.py [--repeats 3] [--output FILE.png]``
"""

import argparse

import numpy as np
from scipy import stats
from sklearn.compose import TransformedTargetRegressor
from sklearn.datasets import load_diabetes
from sklearn.metrics import mean_squared_error
from sklearn.model_selection import RepeatedKFold
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from sk_prnet import PRNetRegressor, RankNetRegressor
from sk_prnet.metrics import concordance_correlation_coefficient, kendall_tau, pearson_r

METRICS = {
    "RMSE": lambda t, p: float(np.sqrt(mean_squared_error(t, p))),
    "Pearson r": pearson_r,
    "CCC": concordance_correlation_coefficient,
}


def make_model(alpha, seed):
    # The paper's EEG optimizer (SGD, momentum 0.9, wd 5e-4) with more epochs and a larger
    # step than its 20 x 1e-3: 350 training rows give only 9 batches an epoch.
    net = PRNetRegressor(
        alpha=alpha, epsilon=0.15, max_epochs=100, lr=1e-2, batch_size=40, random_state=seed
    )
    return TransformedTargetRegressor(
        regressor=Pipeline([("scale", StandardScaler()), ("prnet", net)]),
        transformer=StandardScaler(),
    )


def make_ranknet(seed):
    # Same backbone, optimizer and epochs; epsilon in standardized-target units as above.
    net = RankNetRegressor(epsilon=0.15, max_epochs=100, lr=1e-2, batch_size=40, random_state=seed)
    return Pipeline([("scale", StandardScaler()), ("ranknet", net)])


def prnet_rank_scores(model, X_train, X_test):
    """Borda scores of the test rows against the training rows, from PRNet's pair head."""
    pipe = model.regressor_
    scale, prnet = pipe.named_steps["scale"], pipe.named_steps["prnet"]
    return prnet.rank_scores(scale.transform(X_test), reference=scale.transform(X_train))


RANKING = (
    "Kendall tau, baseline predict",
    "Kendall tau, PRNet predict",
    "Kendall tau, PRNet rank_scores",
    "Kendall tau, RankNet scores",
    "Pearson r, RankNet scores",
)


def run(repeats=3, seed=0, ranknet=True):
    X, y = load_diabetes(return_X_y=True)
    cv = RepeatedKFold(n_splits=5, n_repeats=repeats, random_state=seed)
    scores = {alpha: {m: [] for m in METRICS} for alpha in (0.0, 1.0)}
    ranking = {name: [] for name in RANKING}
    for fold, (train, test) in enumerate(cv.split(X)):
        for alpha in scores:
            model = make_model(alpha, seed + fold).fit(X[train], y[train])
            pred = model.predict(X[test])
            for name, metric in METRICS.items():
                scores[alpha][name].append(metric(y[test], pred))
            who = "PRNet" if alpha else "baseline"
            ranking[f"Kendall tau, {who} predict"].append(kendall_tau(y[test], pred))
            if alpha:
                ranks = prnet_rank_scores(model, X[train], X[test])
                ranking["Kendall tau, PRNet rank_scores"].append(kendall_tau(y[test], ranks))
        if ranknet:
            rn = make_ranknet(seed + fold).fit(X[train], y[train]).predict(X[test])
            ranking["Kendall tau, RankNet scores"].append(kendall_tau(y[test], rn))
            ranking["Pearson r, RankNet scores"].append(pearson_r(y[test], rn))
    out = {a: {m: np.asarray(v) for m, v in s.items()} for a, s in scores.items()}
    out["ranking"] = {m: np.asarray(v) for m, v in ranking.items() if v}
    return out


def report(scores):
    base, prnet = scores[0.0], scores[1.0]
    lines = [
        "| metric | baseline (alpha=0) | PRNet (alpha=1) | PRNet better on | paired t-test p |",
        "|---|---|---|---|---|",
    ]
    for name in METRICS:
        b, p = base[name], prnet[name]
        better = (p < b) if name == "RMSE" else (p > b)
        pval = stats.ttest_rel(p, b).pvalue
        lines.append(
            f"| {name} | {b.mean():.3f} +- {b.std():.3f} | {p.mean():.3f} +- {p.std():.3f} | "
            f"{better.sum()}/{len(b)} folds | {pval:.3f} |"
        )
    lines += ["", "| ordering on the test folds | mean +- std |", "|---|---|"]
    for name, v in scores.get("ranking", {}).items():
        lines.append(f"| {name} | {v.mean():.3f} +- {v.std():.3f} |")
    return "\n".join(lines)


def plot(scores, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(METRICS), figsize=(4 * len(METRICS), 3.8))
    for ax, name in zip(axes, METRICS):
        b, p = scores[0.0][name], scores[1.0][name]
        lo, hi = min(b.min(), p.min()), max(b.max(), p.max())
        pad = 0.05 * (hi - lo)
        ax.plot([lo - pad, hi + pad], [lo - pad, hi + pad], color="grey", lw=1)
        ax.scatter(b, p, s=18)
        ax.set(xlabel="baseline (alpha=0)", ylabel="PRNet (alpha=1)", title=name)
        ax.set_aspect("equal")
    fig.suptitle("Diabetes, repeated 5-fold CV: one point per fold (above the line: PRNet higher)")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--output", default="ranking_vs_baseline.png")
    parser.add_argument("--no-ranknet", action="store_true", help="skip the RankNet model")
    args = parser.parse_args(argv)
    scores = run(args.repeats, args.seed, ranknet=not args.no_ranknet)
    print(report(scores))
    try:
        print(f"figure: {plot(scores, args.output)}")
    except ImportError:
        print("matplotlib is not installed (pip install sk-prnet[plot]); no figure written.")
    return scores


if __name__ == "__main__":
    main()
