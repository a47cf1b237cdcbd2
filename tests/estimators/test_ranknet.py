"""RankNetRegressor: the paper's Section IV-C baseline on PRNet's machinery."""

import pickle

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from sklearn.base import clone
from sklearn.metrics import r2_score

from sk_prnet import PRNetRegressor, RankNetRegressor
from sk_prnet.metrics import pearson_r
from sk_prnet.modules import IGNORE, RankNetModule, pair_codes, ranknet_pairs

FAST = dict(max_epochs=15, lr=0.02, batch_size=32, device="cpu", random_state=0)


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 5)).astype(np.float32)
    y = np.column_stack([X @ np.array([1.0, -0.5, 0.3, 0.0, 0.0]), 2 * X[:, 3] + 5])
    return X, y


@pytest.mark.parametrize("pairing", ["split", "all"])
def test_learns_the_order_and_scores_by_pearson(data, pairing):
    X, y = data
    net = RankNetRegressor(pairing=pairing, epsilon=0.05, **FAST).fit(X, y[:, 0])
    pred = net.predict(X)
    assert pred.shape == (200,) and isinstance(net.module_, RankNetModule)
    assert net.score(X, y[:, 0]) == pytest.approx(pearson_r(y[:, 0], pred))
    assert net.score(X, y[:, 0]) > 0.9
    # scores have no unit: R² is not what score reports
    assert net.score(X, y[:, 0]) != pytest.approx(r2_score(y[:, 0], pred))


def test_multi_output_and_weighted_score(data):
    X, y = data
    net = RankNetRegressor(epsilon=0.05, **FAST).fit(X, y)
    assert net.predict(X).shape == (200, 2) and net.n_targets_ == 2
    assert net.score(X, y) > 0.8
    ones = np.ones(len(X))
    assert net.score(X, y, sample_weight=ones) == pytest.approx(net.score(X, y))
    with pytest.raises(ValueError, match="sample_weight"):
        net.score(X, y, sample_weight=ones[:5])


def test_trained_loss_is_ranknet_bce(data):
    X, y = data
    net = RankNetRegressor(max_epochs=1, device="cpu", random_state=0).fit(X, y[:, 0])
    scores = net.module_(torch.as_tensor(X[:8]))[0]
    codes = pair_codes(torch.as_tensor(y[:8, :1]), 0.15, "split")
    net._rank_weight = 1.0
    loss = net.get_loss((scores, None), {"task": None, "codes": codes})
    s1, s2 = scores[:4, 0], scores[4:, 0]
    logits = (s1[:, None] - s2[None, :]).ravel()
    target = codes[..., 0].ravel().float() / 2
    assert torch.allclose(loss, F.binary_cross_entropy_with_logits(logits, target))


def test_rank_groups_and_ranking_target_are_used(data):
    X, y = data
    groups = np.repeat([0, 1], 100)
    net = RankNetRegressor(epsilon=0.05, **FAST)
    net.fit(X, y[:, 0], ranking_target=-y[:, 0], rank_groups=groups)
    assert net.score(X, y[:, 0]) < -0.8  # it ranks by ranking_target, not y


def test_reuses_prnet_api_without_pair_head(data):
    X, y = data
    net = RankNetRegressor(**FAST).fit(X, y[:, 0])
    for name in ("compare", "rank_scores", "predict_proba"):
        assert not hasattr(net, name)
    assert "alpha" not in net.get_params() and "alpha" in PRNetRegressor().get_params()
    twin = pickle.loads(pickle.dumps(net))
    np.testing.assert_array_equal(twin.predict(X), net.predict(X))
    again = clone(net).fit(X, y[:, 0])
    np.testing.assert_array_equal(again.predict(X), net.predict(X))
    net.partial_fit(X, y[:, 0])
    assert len(net.history) == 2 * FAST["max_epochs"]


def test_ranknet_pairs_targets_and_ignored_pairs():
    scores = torch.tensor([[3.0], [1.0], [2.0]])
    codes = pair_codes(torch.tensor([[1.0], [1.0], [0.0]], dtype=torch.float64), 0.0, "all")
    logits, targets = ranknet_pairs(scores, codes, "all")
    assert logits.shape == targets.shape == (6,)  # the diagonal is ignored
    assert (codes[..., 0].diagonal() == IGNORE).all()
    # pair (0, 1): equal ratings -> tie target 1/2; pair (0, 2): higher -> 1
    assert targets.tolist() == [0.5, 1.0, 0.5, 1.0, 0.0, 0.0]
    assert logits.tolist() == [2.0, 1.0, -2.0, -1.0, -1.0, 1.0]
