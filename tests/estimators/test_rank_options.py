"""Opt-in ranking-term options (issue 16): soft relation labels, scheduled/balanced alpha,
and the task-only validation loss, through fit/history (losses recomputed by hand in
float64 from ``predict`` and ``compare``)."""

import numpy as np
import pytest
from torch.utils.data import Subset

from sk_prnet import PRNetClassifier, PRNetRegressor

TINY = dict(lr=0.05, device="cpu", random_state=0)


def _data(n=24, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3)).astype(np.float32)
    y = X[:, 0] - 0.5 * X[:, 1] + 0.3 * rng.normal(size=n)
    return X, y


def _sigmoid(z):
    return 1 / (1 + np.exp(-z))


def _all_pairs(n, groups=None):
    i, j = np.meshgrid(np.arange(n), np.arange(n), indexing="ij")
    keep = i != j
    if groups is not None:
        keep &= groups[i] == groups[j]
    return i[keep], j[keep]


def _second_epoch_loss(est, X, y, **fit_params):
    """Fit one epoch, then one more (warm): the recorded loss of the second epoch is the
    loss of its single full batch at the first epoch's weights, returned with them."""
    est.set_params(max_epochs=1, batch_size=len(X))
    est.fit(X, y, **fit_params)
    before = dict(pred=est.predict(X), cmp=lambda a, b: est.compare(X[a], X[b]))
    before["cmp"] = before["cmp"](*_all_pairs(len(X), fit_params.get("rank_groups")))
    est.set_params(warm_start=True)
    est.fit(X, y, **fit_params)
    return est.history[-1]["train_loss"], before


@pytest.mark.parametrize("grouped, weighted", [(False, False), (True, False), (False, True)])
def test_soft_labels_loss_by_hand(grouped, weighted):
    X, y = _data()
    groups = np.repeat([0, 1, 2], 8) if grouped else None
    w = np.linspace(0.5, 2.0, len(y)) if weighted else np.ones(len(y))
    eps, tau, alpha = 0.2, 0.3, 0.7
    est = PRNetRegressor(alpha=alpha, epsilon=eps, pairing="all", rank_labels="soft",
                         rank_softness=tau, **TINY)  # fmt: skip
    fit_params = {} if groups is None else {"rank_groups": groups}
    if weighted:
        fit_params["sample_weight"] = w
    w = w / w.mean()  # the estimators scale sample weights to mean 1
    loss, before = _second_epoch_loss(est, X, y, **fit_params)
    i, j = _all_pairs(len(X), groups)
    d = y[i] - y[j]
    hi, lo = _sigmoid((d - eps) / tau), _sigmoid((-d - eps) / tau)
    p = np.stack([lo, np.clip(1 - hi - lo, 0, None), hi], axis=1)
    p /= p.sum(1, keepdims=True)
    pair_loss = -(p * np.log(before["cmp"].astype(np.float64))).sum(1)
    rank = np.mean(w[i] * w[j] * pair_loss)
    task = np.mean(w * (before["pred"] - y) ** 2)
    np.testing.assert_allclose(loss, task + alpha * rank, rtol=2e-5)


@pytest.mark.parametrize("pairing", ["split", "all"])
def test_soft_labels_tend_to_hard_labels(pairing):
    # integer targets and epsilon 0.5: every pair is 0.5 or more from the boundary, so a
    # tiny softness gives one-hot labels and the same training as the hard loss
    rng = np.random.default_rng(1)
    X = rng.normal(size=(40, 3)).astype(np.float32)
    y = np.round(2 * X[:, 0]) + 3
    groups = np.repeat([0, 1], 20)
    kw = dict(epsilon=0.5, pairing=pairing, max_epochs=2, batch_size=10, **TINY)
    hard = PRNetRegressor(**kw).fit(X, y, rank_groups=groups)
    soft = PRNetRegressor(rank_labels="soft", rank_softness=1e-3, **kw)
    soft.fit(X, y, rank_groups=groups)
    np.testing.assert_allclose(soft.history[:, "train_loss"], hard.history[:, "train_loss"],
                               rtol=1e-5)  # fmt: skip
    np.testing.assert_allclose(soft.predict(X), hard.predict(X), rtol=1e-4, atol=1e-5)
    wide = PRNetRegressor(rank_labels="soft", rank_softness=1.0, **kw)
    wide.fit(X, y, rank_groups=groups)
    assert not np.allclose(wide.history[:, "train_loss"], hard.history[:, "train_loss"])


def test_soft_labels_classifier_needs_ranking_target():
    X, rating = _data(40)
    y = (rating > 0).astype(int)
    clf = PRNetClassifier(rank_labels="soft", max_epochs=1, **TINY)
    with pytest.raises(ValueError, match="ranking_target"):
        clf.fit(X, y)
    clf.fit(X, y, ranking_target=rating)
    assert np.isfinite(clf.history[-1]["train_loss"])
    PRNetClassifier(rank_labels="soft", alpha=0, max_epochs=1, **TINY).fit(X, y)


def test_warmup_weight_by_hand_continues_over_warm_starts():
    X, y = _data()
    alpha = 2.0
    est = PRNetRegressor(alpha=alpha, epsilon=0.3, pairing="all", alpha_schedule="warmup",
                         alpha_warmup_epochs=4, **TINY)  # fmt: skip
    loss, before = _second_epoch_loss(est, X, y)
    i, j = _all_pairs(len(X))
    d = y[i] - y[j]
    code = (d > 0.3).astype(int) + (d >= -0.3).astype(int)
    rank = -np.log(before["cmp"][np.arange(len(i)), code].astype(np.float64)).mean()
    task = np.mean((before["pred"] - y) ** 2)
    # the second epoch of the history: weight alpha * 2 / 4
    np.testing.assert_allclose(loss, task + alpha * 0.5 * rank, rtol=2e-5)


def test_ratio_balance_makes_the_ranking_term_alpha_times_the_task_loss():
    X, y = _data()
    alpha = 0.4
    est = PRNetRegressor(alpha=alpha, epsilon=0.3, alpha_schedule="ratio", **TINY)
    loss, before = _second_epoch_loss(est, X, y)
    np.testing.assert_allclose(loss, (1 + alpha) * np.mean((before["pred"] - y) ** 2),
                               rtol=2e-5)  # fmt: skip


def test_valid_task_loss_is_the_task_loss_alone():
    X, y = _data(30)
    valid = np.arange(20, 30)

    def split(ds, y=None):
        return Subset(ds, np.arange(20)), Subset(ds, valid)

    est = PRNetRegressor(alpha=1.0, epsilon=0.3, max_epochs=2, train_split=split, **TINY)
    est.fit(X, y)
    row = est.history[-1]
    np.testing.assert_allclose(
        row["valid_task_loss"], np.mean((est.predict(X[valid]) - y[valid]) ** 2), rtol=1e-5
    )
    assert row["valid_loss"] > row["valid_task_loss"]  # plus alpha * L_rank
    base = PRNetRegressor(alpha=0.0, max_epochs=2, train_split=split, **TINY).fit(X, y)
    assert base.history[-1]["valid_loss"] == base.history[-1]["valid_task_loss"]


@pytest.mark.parametrize(
    "params, match",
    [
        (dict(rank_labels="fuzzy"), "rank_labels must be one of"),
        (dict(rank_labels=None), "rank_labels must be one of"),
        (dict(rank_softness=0), "rank_softness must be"),
        (dict(rank_softness=float("nan")), "rank_softness must be"),
        (dict(alpha_schedule="cosine"), "alpha_schedule must be one of"),
        (dict(alpha_warmup_epochs=0), "alpha_warmup_epochs must be"),
        (dict(alpha_warmup_epochs=2.5), "alpha_warmup_epochs must be"),
    ],
)
@pytest.mark.parametrize("cls", [PRNetRegressor, PRNetClassifier])
def test_bad_rank_options(cls, params, match):
    X, y = _data(10)
    if cls is PRNetClassifier:
        y = (y > 0).astype(int)
    with pytest.raises(ValueError, match=match):
        cls(max_epochs=1, **params, **TINY).fit(X, y)


def test_rank_options_are_searchable_parameters():
    from sklearn.model_selection import GridSearchCV

    params = PRNetRegressor().get_params()
    assert (params["rank_labels"], params["alpha_schedule"], params["rank_blend"]) == (
        "hard", None, 0.0,
    )  # fmt: skip
    X, y = _data(40)
    grid = {"rank_labels": ["hard", "soft"], "alpha_schedule": ["warmup"],
            "rank_blend": [0.0, 0.5]}  # fmt: skip
    search = GridSearchCV(PRNetRegressor(max_epochs=1, **TINY), grid, cv=2).fit(X, y)
    assert len(search.cv_results_["params"]) == 4
    assert np.isfinite(search.cv_results_["mean_test_score"]).all()


def test_rank_blend_by_hand():
    from sklearn.isotonic import IsotonicRegression

    X, y = _data(40)
    X_new, _ = _data(7, seed=3)
    est = PRNetRegressor(rank_blend=0.3, rank_reference=100, max_epochs=3, **TINY).fit(X, y)
    np.testing.assert_array_equal(est.rank_reference_X_, X)  # smaller than rank_reference
    blended = est.predict(X_new)
    task = est.set_params(rank_blend=0.0).predict(X_new)
    iso = IsotonicRegression(out_of_bounds="clip").fit(est.rank_scores(X), y)
    rank = iso.predict(est.rank_scores(X_new, reference=X))
    np.testing.assert_allclose(blended, 0.7 * task + 0.3 * rank, rtol=1e-6)
    only_rank = est.set_params(rank_blend=1.0).predict(X_new)
    np.testing.assert_allclose(only_rank, rank, rtol=1e-6)


def test_rank_blend_reference_subsample_and_2d_targets():
    X, y = _data(40)
    Y = np.column_stack([y, -y])
    est = PRNetRegressor(rank_blend=1.0, rank_reference=10, max_epochs=2, **TINY).fit(X, Y)
    assert est.rank_reference_X_.shape == (10, 3)
    assert len(est.rank_maps_) == 2
    pred = est.predict(X)
    assert pred.shape == (40, 2)
    # each output is an increasing map of its Borda score against the reference
    scores = est.rank_scores(X, reference=est.rank_reference_X_)
    for k in range(2):
        order = np.argsort(scores[:, k])
        assert np.all(np.diff(pred[order, k]) >= 0)


def test_rank_blend_errors():
    X, y = _data(20)
    with pytest.raises(ValueError, match="alpha=0"):
        PRNetRegressor(alpha=0, rank_blend=0.5, max_epochs=1, **TINY).fit(X, y)
    for bad in (1.5, -0.1, "half"):
        with pytest.raises(ValueError, match="rank_blend must be"):
            PRNetRegressor(rank_blend=bad, max_epochs=1, **TINY).fit(X, y)
    with pytest.raises(ValueError, match="rank_reference must be"):
        PRNetRegressor(rank_blend=0.5, rank_reference=1, max_epochs=1, **TINY).fit(X, y)
    est = PRNetRegressor(max_epochs=1, **TINY).fit(X, y)
    assert not hasattr(est, "rank_maps_")
    with pytest.raises(ValueError, match="fit again with rank_blend"):
        est.set_params(rank_blend=0.5).predict(X)


def test_warmup_of_one_epoch_trains_like_prnet():
    X, y = _data(48)
    kw = dict(alpha=1.0, max_epochs=3, batch_size=16, **TINY)
    plain = PRNetRegressor(**kw).fit(X, y)
    warm = PRNetRegressor(alpha_schedule="warmup", alpha_warmup_epochs=1, **kw).fit(X, y)
    np.testing.assert_allclose(warm.history[:, "train_loss"], plain.history[:, "train_loss"])
    slow = PRNetRegressor(alpha_schedule="warmup", alpha_warmup_epochs=3, **kw).fit(X, y)
    assert slow.history[0, "train_loss"] < plain.history[0, "train_loss"]
