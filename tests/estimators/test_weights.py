"""sample_weight and class_weight: semantics checked by hand, alignment through the batches,
metadata routing, validation, and partial_fit's `classes=` message."""

import numpy as np
import pytest
import sklearn
import torch
import torch.nn.functional as F
from sklearn.model_selection import GridSearchCV, KFold, cross_validate
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.class_weight import compute_sample_weight
from skorch.callbacks import Callback

from sk_prnet import PRNetClassifier, PRNetRegressor, RankNetRegressor


def hand_codes(r_a, r_b, eps):
    """Relation label of every pair (a, b): 2 if r_a > r_b + eps, 0 if r_a < r_b - eps, else 1."""
    diff = r_a[:, None, :] - r_b[None, :, :]
    return torch.where(diff > eps, 2, torch.where(diff < -eps, 0, 1))


TINY = dict(module__hidden_sizes=(6,), max_epochs=1, batch_size=8, device="cpu", random_state=0)


@pytest.fixture(scope="module")
def problem():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(24, 3)).astype(np.float32)
    ratings = np.column_stack([5 + 2 * X[:, 0], 5 - 2 * X[:, 1]]) + rng.normal(size=(24, 2))
    y = (ratings > 5).astype(int)
    y[:2] = [[0, 1], [1, 0]]
    return X, y, ratings


def batch_loss(est, x, targets):
    return est.get_loss(est._training_forward(x, targets), targets, X=x, training=True)


class AtFirstBatch(Callback):
    """Calls ``fn(net, X_batch)`` once, before the first optimizer step."""

    def __init__(self, fn):
        self.fn = fn

    def initialize(self):
        self.value = None
        return self

    def on_batch_begin(self, net, batch=None, training=False, **kwargs):
        if training and self.value is None:
            with torch.no_grad():
                self.value = self.fn(net, batch[0])


def whole_batch_fit(est, X, y, **fit_params):
    """One step on one batch holding the whole set: train_loss is the loss at the initial
    weights, through fit's real path (validation, weight scaling, batches)."""
    est.set_params(batch_size=len(X), max_epochs=1)
    est.fit(X, y, **fit_params)
    return est.history_[0, "train_loss"]


def rows_of(X, xb):
    """Indices in X of the rows of a (shuffled) batch."""
    return [int(np.flatnonzero((X == row).all(axis=1))[0]) for row in xb.numpy()]


def test_integer_weights_equal_duplicated_rows(problem):
    X, y, _ = problem
    w = np.random.default_rng(5).integers(0, 4, len(X))

    def by_hand(net, xb):  # each row repeated w times (0 drops it), plain cross-entropy
        rows = np.repeat(np.arange(len(X)), w)
        out = net.module_(torch.as_tensor(X[rows]))[0]
        yy = torch.as_tensor(y[rows])
        return float(F.cross_entropy(out[:, :2], yy[:, 0]) + F.cross_entropy(out[:, 2:], yy[:, 1]))

    hand = AtFirstBatch(by_hand)
    loss = whole_batch_fit(PRNetClassifier(alpha=0, **TINY, callbacks=[hand]), X, y,
                           sample_weight=w)  # fmt: skip
    assert loss == pytest.approx(hand.value, rel=1e-5)


def test_zero_weight_drops_the_sample_from_the_regression_loss(problem):
    X, _, ratings = problem
    w = np.ones(len(X))
    w[[1, 4, 9]] = 0

    def by_hand(net, xb):  # MSE of the other rows only
        keep = w > 0
        out = net.module_(torch.as_tensor(X[keep]))[0]
        return float(((out - torch.as_tensor(ratings[keep], dtype=torch.float32)) ** 2).mean())

    hand = AtFirstBatch(by_hand)
    reg = PRNetRegressor(alpha=0, **TINY, callbacks=[hand])
    assert whole_batch_fit(reg, X, ratings, sample_weight=w) == pytest.approx(hand.value, 1e-5)


def test_ranking_pairs_weigh_the_product_of_the_sample_weights(problem):
    X, _, ratings = problem
    X, ratings = X[:8], ratings[:8]
    w = np.array([2.0, 0.0, 1.0, 3.0, 1.0, 1.0, 0.5, 2.0])

    def by_hand(net, xb):
        # in the batch's own order: the first half is paired with the second (split)
        idx = rows_of(X, xb)
        wb = torch.as_tensor(w[idx] / w.mean(), dtype=torch.float32)  # scaled to mean 1
        t = torch.as_tensor(ratings[idx], dtype=torch.float32)
        out, emb = net.module_(xb)
        mse = ((wb[:, None] * (out - t) ** 2).mean(0)).mean()
        head = net.module_.pair_head
        proj = emb @ head.sides.weight.T + head.sides.bias
        codes = hand_codes(t[:4], t[4:], 0.5)
        terms = [
            wb[a] * wb[4 + b] * F.cross_entropy(
                (proj[a, 3 * k : 3 * k + 3] + proj[4 + b, 6 + 3 * k : 9 + 3 * k])[None],
                codes[a, b, k][None],
            )
            for k in range(2) for a in range(4) for b in range(4)
        ]  # fmt: skip
        return float(mse + 1.5 * torch.stack(terms).mean())  # mean over outputs, as the task

    hand = AtFirstBatch(by_hand)
    reg = PRNetRegressor(alpha=1.5, epsilon=0.5, **TINY, callbacks=[hand])
    assert whole_batch_fit(reg, X, ratings, sample_weight=w) == pytest.approx(hand.value, 1e-5)


class WeightRecordingRegressor(PRNetRegressor):
    """Records (row id, weight) of every training batch through skorch's
    ``train_step_single`` hook (the batch's loss targets); X[:, 0] holds the row id."""

    def train_step_single(self, batch, **fit_params):
        xb, targets = batch
        self._seen.append((xb[:, 0].flatten(1)[:, 0] if xb.ndim > 2 else xb[:, 0],
                           targets["weight"][:, 0]))  # fmt: skip
        return super().train_step_single(batch, **fit_params)


@pytest.mark.parametrize("images", [False, True])
def test_weights_travel_with_their_rows_through_shuffled_batches(images):
    n = 30
    rng = np.random.default_rng(3)
    w = rng.integers(1, 9, n).astype(float)
    if images:  # uint8 images read batch by batch (pixel value = row id)
        X = np.repeat(np.arange(n, dtype=np.uint8), 3 * 4 * 4).reshape(n, 3, 4, 4)
        kw = dict(module="vgg", module__channels=(2,))
        scale = 255.0
    else:
        X = np.column_stack([np.arange(n), rng.normal(size=n)]).astype(np.float32)
        kw, scale = {}, 1.0
    y = rng.normal(size=n)
    est = WeightRecordingRegressor(max_epochs=2, batch_size=7, device="cpu", random_state=0,
                                   **kw)  # fmt: skip
    vars(est)["_seen"] = []
    est.fit(X, y, sample_weight=w)
    ids = torch.cat([i for i, _ in est._seen]) * scale
    got = torch.cat([wb.detach() for _, wb in est._seen])
    ids = ids.round().long().numpy()
    assert sorted(ids[:n]) == list(range(n))  # one epoch: every row once
    np.testing.assert_allclose(got.numpy(), w[ids] / w.mean(), rtol=1e-6)  # scaled to mean 1


def test_class_weight_is_a_sample_weight_of_the_class_weights(problem):
    X, y, ratings = problem
    y1 = y[:, 0]
    kw = dict(TINY, max_epochs=3)
    balanced = PRNetClassifier(class_weight="balanced", **kw)
    balanced.fit(X, y1, ranking_target=ratings[:, 0])
    by_hand = PRNetClassifier(**kw).fit(
        X, y1, ranking_target=ratings[:, 0], sample_weight=compute_sample_weight("balanced", y1)
    )
    for p, q in zip(balanced.module_.parameters(), by_hand.module_.parameters()):
        torch.testing.assert_close(p, q)
    # a dict per output, for a 2-D y: class weights act as per-output sample weights
    cw = [{0: 1.0, 1: 3.0}, {0: 2.0, 1: 0.5}]
    w = np.column_stack([np.where(y[:, k] == 1, cw[k][1], cw[k][0]) for k in range(2)])

    def by_hand(net, xb):
        idx = rows_of(X, xb)
        out, task = net.module_(xb)[0], torch.as_tensor(y[idx])
        wk = torch.as_tensor(w[idx] / w.mean(axis=0), dtype=torch.float32)
        return float(sum(
            (wk[:, k] * F.cross_entropy(out[:, 2 * k : 2 * k + 2], task[:, k], reduction="none")
             ).mean()
            for k in range(2)
        ))  # fmt: skip

    hand = AtFirstBatch(by_hand)
    dicts = PRNetClassifier(class_weight=cw, alpha=0, **TINY, callbacks=[hand])
    assert whole_batch_fit(dicts, X, y) == pytest.approx(hand.value, rel=1e-5)


def test_bad_weights_are_clear_errors(problem):
    X, y, _ = problem
    clf = PRNetClassifier(**TINY)
    with pytest.raises(ValueError, match="(?i)negative"):
        clf.fit(X, y, sample_weight=-np.ones(len(X)))
    with pytest.raises(ValueError, match="sample_weight"):
        clf.fit(X, y, sample_weight=np.ones(3))
    with pytest.raises(ValueError, match="class_weight"):
        PRNetClassifier(class_weight={0: 1.0, 1: 2.0}, **TINY).fit(X, y)  # 2-D y: one per output
    with pytest.raises(ValueError, match="criterion__weight"):
        PRNetClassifier(class_weight="balanced", criterion__weight=torch.ones(2), **TINY).fit(
            X, y[:, 0]
        )


def test_partial_fit_first_batch_missing_classes_says_pass_classes():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(20, 3)).astype(np.float32)
    y = np.array([0, 1] * 10)
    clf = PRNetClassifier(**TINY)
    with pytest.raises(ValueError, match="classes="):
        clf.partial_fit(X[:4], np.zeros(4, dtype=int))  # one class only
    clf = PRNetClassifier(**TINY).partial_fit(X[:10], y[:10])  # classes 0, 1
    with pytest.raises(ValueError, match="classes="):
        clf.partial_fit(X[:4], np.array([0, 1, 2, 2]))
    ok = PRNetClassifier(**TINY).partial_fit(X[:10], y[:10], classes=[0, 1, 2])
    ok.partial_fit(X[:4], np.array([0, 1, 2, 2]), sample_weight=np.ones(4))
    np.testing.assert_array_equal(ok.classes_, [0, 1, 2])
    with pytest.raises(ValueError, match="balanced"):
        PRNetClassifier(class_weight="balanced", **TINY).partial_fit(X, y)


@pytest.fixture
def routing():
    with sklearn.config_context(enable_metadata_routing=True):
        yield


class Seen(PRNetRegressor):
    """Records the sample weights that reach fit."""

    seen = []

    def fit(self, X, y, ranking_target=None, rank_groups=None, sample_weight=None):
        Seen.seen.append(None if sample_weight is None else np.asarray(sample_weight))
        return super().fit(X, y, ranking_target, rank_groups, sample_weight)


def test_sample_weight_routed_through_cross_validate_and_grid_search(routing, problem):
    X, _, ratings = problem
    w = np.arange(1, 25, dtype=float)
    Seen.seen = []
    est = Seen(**TINY).set_fit_request(sample_weight=True).set_score_request(sample_weight=True)
    pipe = make_pipeline(StandardScaler().set_fit_request(sample_weight=False), est)
    cv = KFold(3)
    cross_validate(pipe, X, ratings[:, 0], cv=cv, params={"sample_weight": w})
    assert len(Seen.seen) == 3
    for got, (train, _) in zip(Seen.seen, cv.split(X)):
        np.testing.assert_array_equal(got, w[train])
    grid = GridSearchCV(
        PRNetClassifier(**TINY)
        .set_fit_request(sample_weight=True)
        .set_score_request(sample_weight=True),
        {"alpha": [0.0, 1.0]},
        cv=2,
    )
    grid.fit(X, (ratings[:, 0] > 5).astype(int), sample_weight=w)
    assert len(grid.cv_results_["params"]) == 2
    assert np.isfinite(grid.cv_results_["mean_test_score"]).all()


def test_set_fit_request_accepts_only_what_fit_consumes(routing):
    for est in (PRNetClassifier(), PRNetRegressor(), RankNetRegressor()):
        est.set_fit_request(ranking_target=True, rank_groups="subject", sample_weight=True)
        with pytest.raises(TypeError, match="foo_bar"):
            est.set_fit_request(foo_bar=True)
        with pytest.raises(TypeError, match="foo_bar"):
            est.set_partial_fit_request(foo_bar=True)


def test_fit_accepts_sample_weight_directly(problem):
    X, y, ratings = problem
    # today's main raised a TypeError naming the private base class
    PRNetClassifier(**TINY).fit(X, y, sample_weight=np.ones(len(X)))
    RankNetRegressor(**TINY).fit(X, ratings, sample_weight=np.arange(len(X)) % 3)
