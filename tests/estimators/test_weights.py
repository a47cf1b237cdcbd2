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
from sk_prnet.modules import pair_codes


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


def test_integer_weights_equal_duplicated_rows_in_the_task_loss(problem):
    X, y, _ = problem
    clf = PRNetClassifier(alpha=0, **TINY).fit(X, y)
    w = np.array([1, 3, 0, 2, 1, 1, 0, 4])
    x, task = torch.as_tensor(X[:8]), torch.as_tensor(y[:8])
    weight = torch.as_tensor(w, dtype=torch.float32)[:, None]
    loss = batch_loss(clf, x, {"task": task, "weight": weight})
    # by hand: each row repeated w times (0 drops it), plain cross-entropy summed over outputs
    rows = np.repeat(np.arange(8), w)
    out = clf.module_(torch.as_tensor(X[rows]))[0]
    yy = torch.as_tensor(y[rows])
    ref = F.cross_entropy(out[:, :2], yy[:, 0]) + F.cross_entropy(out[:, 2:], yy[:, 1])
    torch.testing.assert_close(loss, ref)


def test_zero_weight_drops_the_sample_from_the_regression_loss(problem):
    X, _, ratings = problem
    reg = PRNetRegressor(alpha=0, **TINY).fit(X, ratings)
    x, t = torch.as_tensor(X[:8]), torch.as_tensor(ratings[:8], dtype=torch.float32)
    w = torch.tensor([[1.0], [0.0], [1.0], [1.0], [0.0], [1.0], [1.0], [1.0]])
    loss = batch_loss(reg, x, {"task": t, "weight": w})
    keep = w[:, 0] > 0
    ref = ((reg.module_(x[keep])[0] - t[keep]) ** 2).mean()  # MSE of the other 6 rows
    torch.testing.assert_close(loss, ref)


def test_ranking_pairs_weigh_the_product_of_the_sample_weights(problem):
    X, _, ratings = problem
    reg = PRNetRegressor(alpha=1.5, epsilon=0.5, **TINY).fit(X, ratings)
    x, t = torch.as_tensor(X[:8]), torch.as_tensor(ratings[:8], dtype=torch.float32)
    w = torch.tensor([2.0, 0.0, 1.0, 3.0, 1.0, 1.0, 0.5, 2.0])
    targets = {"task": t, "codes": pair_codes(t.double(), 0.5), "weight": w[:, None]}
    loss = batch_loss(reg, x, targets)
    # by hand: weighted MSE per output; pair (a, b) of the split halves weighs w_a * w_b
    out, emb = reg.module_(x)
    mse = ((w[:, None] * (out - t) ** 2).sum(0) / w.sum()).mean()
    head = reg.module_.pair_head
    proj = emb @ head.sides.weight.T + head.sides.bias
    codes = hand_codes(t[:4], t[4:], 0.5)
    rank = []
    for k in range(2):
        num = den = 0.0
        for a in range(4):
            for b in range(4):
                logits = proj[a, 3 * k : 3 * k + 3] + proj[4 + b, 6 + 3 * k : 9 + 3 * k]
                pw = w[a] * w[4 + b]
                num = num + pw * F.cross_entropy(logits[None], codes[a, b, k][None])
                den = den + pw
        rank.append(num / den)
    torch.testing.assert_close(loss, mse + 1.5 * torch.stack(rank).mean())


class WeightRecorder(Callback):
    """Records (row id, weight) of every training batch; X[:, 0] holds the row id."""

    def initialize(self):
        self.seen = []
        return self

    def on_batch_begin(self, net, batch=None, training=False, **kwargs):
        xb, targets = batch
        self.seen.append((xb[:, 0].flatten(1)[:, 0] if xb.ndim > 2 else xb[:, 0],
                          targets["weight"][:, 0]))  # fmt: skip


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
    rec = WeightRecorder()
    y = rng.normal(size=n)
    est = PRNetRegressor(max_epochs=2, batch_size=7, device="cpu", random_state=0,
                         callbacks=[rec], **kw)  # fmt: skip
    est.fit(X, y, sample_weight=w)
    ids = torch.cat([i for i, _ in rec.seen]) * scale
    got = torch.cat([wb for _, wb in rec.seen])
    ids = ids.round().long().numpy()
    assert sorted(ids[:n]) == list(range(n))  # one epoch: every row once
    np.testing.assert_array_equal(got.numpy(), w[ids].astype(np.float32))


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
    # a dict per output, for a 2-D y
    cw = [{0: 1.0, 1: 3.0}, {0: 2.0, 1: 0.5}]
    dicts = PRNetClassifier(class_weight=cw, **kw).fit(X, y)
    w = np.column_stack([np.where(y[:, k] == 1, cw[k][1], cw[k][0]) for k in range(2)])
    plain = PRNetClassifier(**kw).fit(X, y)
    x, task = torch.as_tensor(X[:8]), torch.as_tensor(y[:8])
    loss = batch_loss(dicts, x, {"task": task, "weight": torch.as_tensor(w[:8]).float()})
    out = dicts.module_(x)[0]
    ref = sum(
        (torch.as_tensor(w[:8, k]).float() * F.cross_entropy(out[:, 2 * k : 2 * k + 2], task[:, k],
         reduction="none")).sum() / w[:8, k].sum()
        for k in range(2)
    )  # fmt: skip
    torch.testing.assert_close(loss, ref)
    assert any(
        not torch.equal(p, q)
        for p, q in zip(dicts.module_.parameters(), plain.module_.parameters())
    )


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
